/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The soak test (issue 5, "Churn and time"; docs/testing.md, "Soak").
 *
 * The real daemon ($RW_SERVER) serves a 640x480 test pattern on 127.0.0.1
 * and runs with GStreamer's leaks tracer. A few watchers (RwTestViewer,
 * decoding) stay connected the whole time while hundreds of short-lived
 * viewers join and leave, a bounded number at once, in four ways in turn:
 *
 *  - hang-up: a real viewer gets frames, then `DELETE /peers/{id}`;
 *  - vanish: a real viewer gets frames, then drops without a word (a closed
 *    tab); the daemon notices the missing RTCP;
 *  - no-ice: a real trickle offer, then one trickled candidate that points
 *    at a loopback UDP port this test holds open and never reads, then
 *    end-of-candidates: the daemon's connectivity checks are never answered;
 *  - offer-only: a real trickle offer, then nothing at all.
 *
 * It asserts, each with a bound:
 *
 *  - no watcher is below the configured frame rate (minus a tolerance) for
 *    more than a second: never in two 1 s windows in a row, and no frame
 *    gap over 1 s;
 *  - every short-lived viewer does what it should (frames for the real
 *    ones, 200 for every request) and the daemon removes it, for the
 *    reason its kind implies, within a bound after it left;
 *  - `/status` returns to the watchers' count, and after they hang up to
 *    0 viewers and 0 tee branches;
 *  - the daemon's threads and fds return to the baseline measured after a
 *    warm-up (with and without the watchers), and its RSS grows by less than
 *    RSS_GROWTH_BOUND_KB over the churn and RSS_LATE_GROWTH_BOUND_KB over
 *    its second half;
 *  - on SIGTERM it exits 0 and the leaks tracer reports no GstObject or
 *    GstMiniObject alive at gst_deinit(), apart from the one DTLS agent
 *    GStreamer keeps for the process's lifetime.
 *
 * Every loop is bounded in count and time. RW_SOAK_SECONDS changes the
 * churn's length (default CHURN_SECONDS); RW_TEST_SERVER_LOG=1 echoes the
 * daemon's log. */

#include <gst/gst.h>
#include <glib/gstdio.h>
#include <string.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

/* --- settings --- */

/* The stream: small, so that encoding it and the viewers in this process
 * fit on 2 cores. */
#define WIDTH 640
#define HEIGHT 480
#define FRAMERATE 30
#define HANDSHAKE_TIMEOUT_S 4

/* The daemon's RW_VIEWER_RTCP_TIMEOUT_S and its liveness check period. */
#define RTCP_TIMEOUT_S 5
#define LIVENESS_PERIOD_S 1

#define N_WATCHERS 3
#define MAX_PARALLEL 10         /* short-lived sessions open at once */
#define WARMUP_CYCLES 8
#define CHURN_SECONDS 150
#define MAX_CYCLES 2000
/* at CHURN_SECONDS (about 90 measured); scaled with RW_SOAK_SECONDS */
#define MIN_CYCLES_PER_KIND 50
/* the churn stops early after this many */
#define MAX_FAILURES 20

/* A real viewer's first frame, and its hang-up's answer. */
#define JOIN_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define HANGUP_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* Holding on after the first frame, at random up to this. */
#define MAX_HOLD_MS 1000
/* How long after a viewer left the daemon may still list it: the removal
 * mechanism's own delay plus SETTLE_MARGIN_US for the /status poll
 * (STATUS_PERIOD_MS) and a loaded machine. */
#define SETTLE_MARGIN_US (3 * G_USEC_PER_SEC)
#define STATUS_PERIOD_MS 500
/* progress lines: a fifth of the churn, within these */
#define MIN_PROGRESS_PERIOD_US (5 * G_USEC_PER_SEC)
#define MAX_PROGRESS_PERIOD_US (30 * G_USEC_PER_SEC)

/* Watchers: below FRAMERATE - FPS_TOLERANCE in two windows in a row is
 * more than a second below the rate; so is a gap over MAX_GAP_US. */
#define MAX_GAP_US ((gint64) G_USEC_PER_SEC)
#define FPS_WINDOW_US ((gint64) G_USEC_PER_SEC)
#define FPS_TOLERANCE 3.0

/* Back to baseline, with slack. GLib keeps up to 2 idle threads of the
 * shared pool that runs the daemon's branch teardowns; a leaked branch costs
 * 7 threads and 5 fds once connected, 1 thread and 4 fds if it never was. */
#define THREAD_SLACK 2
#define FD_SLACK 2
#define RSS_GROWTH_BOUND_KB (32 * 1024)
/* from the middle of the churn to its end */
#define RSS_LATE_GROWTH_BOUND_KB (8 * 1024)

typedef enum
{
  KIND_HANGUP,
  KIND_VANISH,
  KIND_NO_ICE,
  KIND_OFFER_ONLY,
  N_KINDS
} Kind;

static const gchar *const kind_names[N_KINDS] = {
  "hang-up", "vanish", "no-ice", "offer-only"
};

/* What the daemon's "viewer … removed: <reason>" line must say per kind;
 * no-ice ends by the handshake timeout or by ICE failing, whichever comes
 * first. */
static const gchar *const kind_reasons[N_KINDS][3] = {
  {"hung up", NULL},
  {"no RTCP", NULL},
  {"handshake-timeout", "the connection failed", NULL},
  {"handshake-timeout", NULL},
};

static gint64
removal_bound_us (Kind kind)
{
  switch (kind) {
    case KIND_HANGUP:
      return SETTLE_MARGIN_US;
    case KIND_VANISH:
      return (RTCP_TIMEOUT_S + LIVENESS_PERIOD_S) * G_USEC_PER_SEC +
          SETTLE_MARGIN_US;
    default:
      return (HANDSHAKE_TIMEOUT_S + LIVENESS_PERIOD_S) * G_USEC_PER_SEC +
          SETTLE_MARGIN_US;
  }
}

typedef enum
{
  PHASE_JOINING,
  PHASE_HANGING_UP,
  PHASE_LEAVING,                /* waiting for the daemon to drop it */
  PHASE_GONE,
} Phase;

typedef struct _Soak Soak;

typedef struct
{
  Soak *soak;
  Kind kind;
  guint n;
  Phase phase;
  RwTestViewer *viewer;         /* hang-up and vanish */
  guint in_flight;              /* raw requests on their way */
  gchar *peer_id;
  gint64 started;
  gint64 hold_until;
  gint64 left;
} Cycle;

typedef RwTestProcCounts ProcSample;

struct _Soak
{
  RwTestServer *server;
  const gchar *url;
  const gchar *pid;
  SoupSession *http;            /* the raw offers and candidates, /status */
  GSocket *blackhole;
  guint blackhole_port;
  gchar *offer_only_sdp;
  gchar *no_ice_sdp;
  GRand *rand;

  GPtrArray *cycles;            /* Cycle, every one until the end */
  guint n_active;
  guint launched[N_KINDS];
  guint ok[N_KINDS];
  gint64 max_removal_us[N_KINDS];
  GString *failures;
  guint n_failures;

  /* the last answered GET /status */
  gboolean status_in_flight;
  gint64 status_sent;           /* when it was asked */
  GHashTable *status_peers;     /* peer_id set */
  gint64 status_viewers;
  gint64 status_branches;
  gint64 max_viewers_seen;

  /* watchers, over the measured part */
  RwTestViewer *watchers[N_WATCHERS];
  guint64 window_frames[N_WATCHERS];
  guint slow_run[N_WATCHERS];   /* slow windows in a row */
  gint64 churn_start;
  gint64 window_start;
  gdouble min_fps;
  gint64 worst_gap_us;
  guint n_windows;
  guint n_slow_windows;
  guint n_drops;                /* below the rate for more than a second */

  /* RSS in the middle of the watched churn */
  gint64 rss_mid_kb;
};

static void
fail_cycle (Cycle * c, const gchar * format, ...)
G_GNUC_PRINTF (2, 3);

     static void fail_cycle (Cycle * c, const gchar * format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  c->soak->n_failures++;
  if (c->soak->n_failures <= 20)
    g_string_append_printf (c->soak->failures, "  %s #%u (peer %s): %s\n",
        kind_names[c->kind], c->n, c->peer_id ? c->peer_id : "-", message);
  g_printerr ("soak: %s #%u failed: %s\n", kind_names[c->kind], c->n, message);
}

/* --- /proc --- */

/* Quiet first: this test's idle HTTP connections closed, then the least
 * threads and fds of 5 samples over 2 s (a teardown on a task-pool thread
 * may just be finishing), and the last RSS. */
static ProcSample
proc_sample (Soak * soak, const gchar * label)
{
  ProcSample best = {.rss_kb = 0,.threads = G_MAXINT,.fds = G_MAXINT };

  soup_session_abort (soak->http);
  rw_test_pump_for (500);
  for (guint i = 0; i < 5; i++) {
    ProcSample s = { 0 };

    rw_test_check (rw_test_proc_counts (soak->pid, &s), "cannot read /proc/%s",
        soak->pid);
    best.threads = MIN (best.threads, s.threads);
    best.fds = MIN (best.fds, s.fds);
    best.rss_kb = s.rss_kb;
    rw_test_pump_for (400);
  }
  g_print ("soak: %-34s threads %4d  fds %4d  RSS %7.1f MB\n", label,
      best.threads, best.fds, best.rss_kb / 1024.0);
  return best;
}

/* --- GET /status, polled without blocking --- */

typedef struct
{
  Soak *soak;
  SoupMessage *msg;
  gint64 sent;
} StatusPoll;

static void
on_status (GObject * source, GAsyncResult * result, gpointer user_data)
{
  StatusPoll *poll = user_data;
  Soak *soak = poll->soak;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *peers;

  soak->status_in_flight = FALSE;
  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      NULL);
  if (body == NULL || soup_message_get_status (poll->msg) != SOUP_STATUS_OK ||
      !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    goto out;

  g_hash_table_remove_all (soak->status_peers);
  peers = json_object_get_array_member (json_node_get_object (root), "peers");
  for (guint i = 0; peers && i < json_array_get_length (peers); i++) {
    JsonObject *peer = json_array_get_object_element (peers, i);
    const gchar *id = peer ?
        json_object_get_string_member_with_default (peer, "peer_id", NULL) :
        NULL;

    if (id)
      g_hash_table_add (soak->status_peers, g_strdup (id));
  }
  soak->status_viewers = rw_test_json_get_int (root, "viewers", -1);
  soak->status_branches = rw_test_json_get_int (root, "branches", -1);
  soak->max_viewers_seen = MAX (soak->max_viewers_seen, soak->status_viewers);
  soak->status_sent = poll->sent;

out:
  g_object_unref (poll->msg);
  g_free (poll);
}

static void
poll_status (Soak * soak)
{
  g_autofree gchar *url = rw_test_url (soak->url, "/status");
  StatusPoll *poll = g_new0 (StatusPoll, 1);

  poll->soak = soak;
  poll->msg = soup_message_new ("GET", url);
  poll->sent = g_get_monotonic_time ();
  soak->status_in_flight = TRUE;
  soup_session_send_and_read_async (soak->http, poll->msg, G_PRIORITY_DEFAULT,
      NULL, on_status, poll);
}

/* --- raw requests (no-ice, offer-only) --- */

typedef void (*ReplyFunc) (Cycle * c, guint status, JsonNode * json,
    const gchar * error);

typedef struct
{
  Cycle *cycle;
  SoupMessage *msg;
  ReplyFunc func;
} RawRequest;

static void
on_raw_reply (GObject * source, GAsyncResult * result, gpointer user_data)
{
  RawRequest *request = user_data;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *json = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &error);
  request->cycle->in_flight--;
  if (body && json_parser_load_from_data (parser, g_bytes_get_data (body,
              NULL), g_bytes_get_size (body), NULL))
    json = json_parser_get_root (parser);
  request->func (request->cycle, body ?
      soup_message_get_status (request->msg) : 0, json,
      error ? error->message : NULL);
  g_object_unref (request->msg);
  g_free (request);
}

static void
post_json (Cycle * c, const gchar * path, JsonBuilder * builder, ReplyFunc func)
{
  g_autofree gchar *url = rw_test_url (c->soak->url, path);
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  gchar *text = json_to_string (root, FALSE);
  g_autoptr (GBytes) body = g_bytes_new_take (text, strlen (text));
  RawRequest *request = g_new0 (RawRequest, 1);

  request->cycle = c;
  request->func = func;
  request->msg = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (request->msg, "application/json",
      body);
  c->in_flight++;
  soup_session_send_and_read_async (c->soak->http, request->msg,
      G_PRIORITY_DEFAULT, NULL, on_raw_reply, request);
}

static void
post_candidate (Cycle * c, const gchar * candidate, ReplyFunc func)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "peer_id");
  json_builder_add_string_value (builder, c->peer_id);
  json_builder_set_member_name (builder, "candidate");
  json_builder_add_string_value (builder, candidate);
  json_builder_set_member_name (builder, "sdpMid");
  json_builder_add_string_value (builder, "0");
  json_builder_set_member_name (builder, "sdpMLineIndex");
  json_builder_add_int_value (builder, 0);
  json_builder_end_object (builder);
  post_json (c, "/ice-candidate", builder, func);
}

static void
start_leaving (Cycle * c)
{
  c->left = g_get_monotonic_time ();
  c->phase = PHASE_LEAVING;
}

static void
on_end_of_candidates (Cycle * c, guint status, JsonNode * json,
    const gchar * error)
{
  if (status != SOUP_STATUS_OK) {
    fail_cycle (c, "end-of-candidates: HTTP %u %s", status, error ? error : "");
    c->phase = PHASE_GONE;
    return;
  }
  start_leaving (c);
}

static void
on_candidate (Cycle * c, guint status, JsonNode * json, const gchar * error)
{
  const gchar *answer = json ? rw_test_json_get_string (json, "status") : NULL;

  if (status != SOUP_STATUS_OK || g_strcmp0 (answer, "ok") != 0) {
    fail_cycle (c, "the unreachable candidate: HTTP %u, status %s %s",
        status, answer, error ? error : "");
    c->phase = PHASE_GONE;
    return;
  }
  post_candidate (c, "", on_end_of_candidates);
}

static void
on_raw_answer (Cycle * c, guint status, JsonNode * json, const gchar * error)
{
  const gchar *peer_id = json ? rw_test_json_get_string (json, "peer_id") :
      NULL;
  g_autofree gchar *candidate = NULL;

  if (status != SOUP_STATUS_OK || peer_id == NULL ||
      g_strcmp0 (rw_test_json_get_string (json, "type"), "answer") != 0) {
    fail_cycle (c, "POST /offer: HTTP %u %s%s", status,
        json ? rw_test_json_get_string (json, "error") : "",
        error ? error : "");
    c->phase = PHASE_GONE;
    return;
  }
  c->peer_id = g_strdup (peer_id);
  if (c->kind == KIND_OFFER_ONLY) {
    start_leaving (c);
    return;
  }
  /* the daemon's checks go to a port that is open but never answers */
  candidate = g_strdup_printf ("candidate:1 1 udp 2122260223 127.0.0.1 %u "
      "typ host", c->soak->blackhole_port);
  post_candidate (c, candidate, on_candidate);
}

static void
post_raw_offer (Cycle * c)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, c->kind == KIND_NO_ICE ?
      c->soak->no_ice_sdp : c->soak->offer_only_sdp);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "offer");
  json_builder_end_object (builder);
  post_json (c, "/offer", builder, on_raw_answer);
}

/* --- cycles --- */

static void
cycle_free (Cycle * c)
{
  g_clear_pointer (&c->viewer, rw_test_viewer_free);
  g_free (c->peer_id);
  g_free (c);
}

static void
launch_cycle (Soak * soak, Kind kind)
{
  Cycle *c = g_new0 (Cycle, 1);

  c->soak = soak;
  c->kind = kind;
  c->n = soak->launched[kind]++;
  c->started = g_get_monotonic_time ();
  g_ptr_array_add (soak->cycles, c);
  soak->n_active++;

  if (kind == KIND_HANGUP || kind == KIND_VANISH) {
    g_autofree gchar *name = g_strdup_printf ("%s-%u", kind_names[kind], c->n);
    g_autoptr (GError) error = NULL;

    /* counting frames after the depayloader is enough to know it works */
    c->viewer = rw_test_viewer_new (soak->url, RW_TEST_VIEWER_VP8, FALSE);
    rw_test_viewer_set_name (c->viewer, name);
    if (!rw_test_viewer_start (c->viewer, &error)) {
      fail_cycle (c, "cannot start: %s", error->message);
      c->phase = PHASE_GONE;
    }
  } else {
    post_raw_offer (c);
  }
}

/* Moves a cycle on; returns TRUE once it is over. */
static gboolean
advance_cycle (Soak * soak, Cycle * c, gint64 now)
{
  switch (c->phase) {
    case PHASE_JOINING:
      if (c->viewer == NULL) {
        /* raw: the replies move it on; bounded by the session's timeout */
        if (now - c->started > JOIN_TIMEOUT_US + 5 * G_USEC_PER_SEC &&
            c->in_flight == 0) {
          fail_cycle (c, "no answer in time");
          c->phase = PHASE_GONE;
        }
        break;
      }
      if (rw_test_viewer_get_frames (c->viewer) > 0) {
        if (c->hold_until == 0)
          c->hold_until = now + g_rand_int_range (soak->rand, 0,
              MAX_HOLD_MS + 1) * G_TIME_SPAN_MILLISECOND;
        if (now < c->hold_until)
          break;
        c->peer_id = g_strdup (rw_test_viewer_get_peer_id (c->viewer));
        if (c->kind == KIND_HANGUP) {
          rw_test_viewer_hangup (c->viewer);
          c->phase = PHASE_HANGING_UP;
          c->hold_until = now;
        } else {
          rw_test_viewer_vanish (c->viewer);
          g_clear_pointer (&c->viewer, rw_test_viewer_free);
          start_leaving (c);
        }
      } else if (rw_test_viewer_get_state (c->viewer) ==
          RW_TEST_VIEWER_FAILED || now - c->started > JOIN_TIMEOUT_US) {
        fail_cycle (c, "no frame: %s (%s)", rw_test_viewer_state_to_string
            (rw_test_viewer_get_state (c->viewer)),
            rw_test_viewer_get_error (c->viewer));
        g_clear_pointer (&c->viewer, rw_test_viewer_free);
        c->phase = PHASE_GONE;
      }
      break;
    case PHASE_HANGING_UP:
      if (rw_test_viewer_is_hangup_done (c->viewer)) {
        guint status = rw_test_viewer_get_hangup_status (c->viewer);

        if (status != SOUP_STATUS_OK)
          fail_cycle (c, "DELETE: HTTP %u (%s)", status,
              rw_test_viewer_get_error (c->viewer));
        g_clear_pointer (&c->viewer, rw_test_viewer_free);
        start_leaving (c);
      } else if (now - c->hold_until > HANGUP_TIMEOUT_US) {
        fail_cycle (c, "DELETE not answered in %d s",
            (gint) (HANGUP_TIMEOUT_US / G_USEC_PER_SEC));
        g_clear_pointer (&c->viewer, rw_test_viewer_free);
        c->phase = PHASE_GONE;
      }
      break;
    case PHASE_LEAVING:
      /* gone from a /status that was asked after it left */
      if (soak->status_sent > c->left &&
          !g_hash_table_contains (soak->status_peers, c->peer_id)) {
        gint64 took = soak->status_sent - c->left;

        soak->max_removal_us[c->kind] = MAX (soak->max_removal_us[c->kind],
            took);
        soak->ok[c->kind]++;
        c->phase = PHASE_GONE;
      } else if (now - c->left > removal_bound_us (c->kind)) {
        fail_cycle (c, "the daemon still lists it %.1f s after it left",
            (now - c->left) / 1e6);
        c->phase = PHASE_GONE;
      }
      break;
    case PHASE_GONE:
      break;
  }
  return c->phase == PHASE_GONE && c->in_flight == 0;
}

/* --- watchers --- */

static void
watchers_window_start (Soak * soak)
{
  for (guint i = 0; i < N_WATCHERS; i++) {
    soak->window_frames[i] = rw_test_viewer_get_frames (soak->watchers[i]);
    rw_test_viewer_take_max_gap_us (soak->watchers[i]);
  }
  soak->window_start = g_get_monotonic_time ();
}

static void
watchers_window_end (Soak * soak, gint64 now)
{
  gdouble seconds = (now - soak->window_start) / 1e6;

  for (guint i = 0; i < N_WATCHERS; i++) {
    RwTestViewer *w = soak->watchers[i];
    guint64 frames = rw_test_viewer_get_frames (w);
    gdouble fps = (frames - soak->window_frames[i]) / seconds;
    gint64 gap = rw_test_viewer_take_max_gap_us (w);

    soak->min_fps = MIN (soak->min_fps, fps);
    soak->worst_gap_us = MAX (soak->worst_gap_us, gap);
    if (fps < FRAMERATE - FPS_TOLERANCE) {
      soak->n_slow_windows++;
      soak->slow_run[i]++;
    } else {
      soak->slow_run[i] = 0;
    }
    if (soak->slow_run[i] >= 2 || gap > MAX_GAP_US)
      soak->n_drops++;
    if (soak->slow_run[i] > 0 || gap > MAX_GAP_US)
      g_printerr ("soak: %5.1f s: watcher %u: %.1f fps over %.2f s, longest "
          "gap %" G_GINT64_FORMAT " ms%s\n",
          (now - soak->churn_start) / 1e6, i, fps, seconds, gap / 1000,
          soak->slow_run[i] >= 2 || gap > MAX_GAP_US ? " (too long)" : "");
    soak->window_frames[i] = frames;
  }
  soak->n_windows++;
  soak->window_start = now;
}

static gboolean
watchers_decoding (gpointer data)
{
  Soak *soak = data;

  for (guint i = 0; i < N_WATCHERS; i++) {
    RwTestViewer *w = soak->watchers[i];

    if (rw_test_viewer_get_state (w) == RW_TEST_VIEWER_FAILED)
      return TRUE;
    if (rw_test_viewer_get_frames (w) < FRAMERATE ||
        rw_test_viewer_get_width (w) != WIDTH)
      return FALSE;
  }
  return TRUE;
}

static void
check_watchers_alive (Soak * soak)
{
  for (guint i = 0; i < N_WATCHERS; i++) {
    RwTestViewer *w = soak->watchers[i];

    rw_test_check (rw_test_viewer_is_connected (w), "watcher %u is %s: %s", i,
        rw_test_viewer_state_to_string (rw_test_viewer_get_state (w)),
        rw_test_viewer_get_error (w));
  }
}

/* --- the churn --- */

/* Runs cycles, MAX_PARALLEL at once and the kinds in turn, until
 * @max_cycles were launched or @seconds passed, then until every cycle is
 * over (bounded); samples the watchers if @watch. */
static void
churn (Soak * soak, guint max_cycles, guint seconds, gboolean watch)
{
  gint64 start = g_get_monotonic_time ();
  gint64 stop_launching = start + (gint64) seconds * G_USEC_PER_SEC;
  /* the longest a cycle may take, and then some */
  gint64 hard_stop = stop_launching + JOIN_TIMEOUT_US + HANGUP_TIMEOUT_US +
      removal_bound_us (KIND_VANISH) + 5 * G_USEC_PER_SEC;
  gint64 next_status = 0;
  gint64 progress_period = CLAMP ((gint64) seconds * G_USEC_PER_SEC / 5,
      MIN_PROGRESS_PERIOD_US, MAX_PROGRESS_PERIOD_US);
  gint64 next_progress = start + progress_period;
  guint launched = 0;
  g_autoptr (GPtrArray) active = g_ptr_array_new ();

  soak->churn_start = start;
  if (watch)
    watchers_window_start (soak);

  for (;;) {
    gint64 now = g_get_monotonic_time ();

    while (active->len < MAX_PARALLEL && launched < max_cycles &&
        now < stop_launching) {
      launch_cycle (soak, launched++ % N_KINDS);
      g_ptr_array_add (active, soak->cycles->pdata[soak->cycles->len - 1]);
    }
    if (active->len == 0 && (launched >= max_cycles || now >= stop_launching))
      break;
    if (now < stop_launching && (!rw_test_server_is_running (soak->server)
            || soak->n_failures > MAX_FAILURES)) {
      g_printerr ("soak: %s; stopping the churn\n",
          rw_test_server_is_running (soak->server) ? "too many failures" :
          "the daemon exited");
      stop_launching = now;
      hard_stop = MIN (hard_stop, now + 2 * G_USEC_PER_SEC);
    }
    if (now > hard_stop) {
      for (guint i = 0; i < active->len; i++)
        fail_cycle (active->pdata[i], "still running when the churn's time "
            "was up");
      break;
    }

    rw_test_pump_for (20);
    now = g_get_monotonic_time ();
    if (!soak->status_in_flight && now >= next_status) {
      poll_status (soak);
      next_status = now + STATUS_PERIOD_MS * G_TIME_SPAN_MILLISECOND;
    }
    for (guint i = 0; i < active->len;) {
      if (advance_cycle (soak, active->pdata[i], now)) {
        Cycle *c = g_ptr_array_steal_index (active, i);

        g_clear_pointer (&c->viewer, rw_test_viewer_free);
        soak->n_active--;
      } else {
        i++;
      }
    }
    if (watch && now - soak->window_start >= FPS_WINDOW_US)
      watchers_window_end (soak, now);
    if (watch && now >= next_progress) {
      ProcSample s = { 0 };
      guint done = 0;

      for (guint k = 0; k < N_KINDS; k++)
        done += soak->ok[k];
      rw_test_proc_counts (soak->pid, &s);
      g_print ("soak: %3.0f s: %4u cycles done, daemon: %d threads, %d fds, "
          "RSS %.1f MB\n", (now - start) / 1e6, done, s.threads, s.fds,
          s.rss_kb / 1024.0);
      if (soak->rss_mid_kb == 0 && now - start >= (stop_launching - start) / 2)
        soak->rss_mid_kb = s.rss_kb;
      next_progress = now + progress_period;
    }
  }

  /* an in-flight raw request ends (cancelled) when the session aborts */
  soup_session_abort (soak->http);
  rw_test_pump_for (100);
  for (guint i = 0; i < soak->cycles->len; i++)
    rw_test_check (((Cycle *) soak->cycles->pdata[i])->in_flight == 0,
        "a raw request is still in flight after the session was aborted");
  if (watch && g_get_monotonic_time () - soak->window_start >=
      FPS_WINDOW_US / 2)
    watchers_window_end (soak, g_get_monotonic_time ());
}

/* --- the daemon's log --- */

typedef struct
{
  guint alive;
  guint allowed;
  GString *report;
} LeakReport;

/* The leaks tracer logs one "object-alive" record per object still alive at
 * gst_deinit(). One is expected: the DTLS agent with the certificate
 * dtlsdec generates, which GStreamer keeps in a static for the process's
 * lifetime (gst-plugins-bad ext/dtls/gstdtlsdec.c, generated_cert_agent). */
static void
parse_leaks (const gchar * log, LeakReport * leaks)
{
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);
  guint dtls_agents = 0;

  for (guint i = 0; lines[i]; i++) {
    const gchar *record = strstr (lines[i], "object-alive, type-name=");

    /* not the record format the tracer logs at start */
    if (record == NULL || g_str_has_prefix (record,
            "object-alive, type-name=(string)%"))
      continue;
    leaks->alive++;
    if (strstr (record, "type-name=(string)GstDtlsAgent,") &&
        strstr (record, "ref-count=(uint)1,") && dtls_agents++ == 0) {
      leaks->allowed++;
      continue;
    }
    if (leaks->alive - leaks->allowed <= 30)
      g_string_append_printf (leaks->report, "  %s\n", record);
  }
}

/* "viewer <id> removed: <reason> (<n> left)" */
static GHashTable *
parse_removals (const gchar * log)
{
  GHashTable *reasons = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, g_free);
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);

  for (guint i = 0; lines[i]; i++) {
    const gchar *colon = strstr (lines[i], " removed: ");
    const gchar *start, *end;

    if (colon == NULL || (start = g_strrstr_len (lines[i], colon - lines[i],
                "viewer ")) == NULL)
      continue;
    start += strlen ("viewer ");
    end = strrchr (colon, '(');
    if (end == NULL)
      end = colon + strlen (colon);
    g_hash_table_replace (reasons, g_strndup (start, colon - start),
        g_strstrip (g_strndup (colon + strlen (" removed: "),
                end - colon - strlen (" removed: "))));
  }
  return reasons;
}

static void
check_removal_reasons (Soak * soak, const gchar * log)
{
  g_autoptr (GHashTable) reasons = parse_removals (log);
  guint wrong = 0;

  for (guint i = 0; i < soak->cycles->len; i++) {
    Cycle *c = soak->cycles->pdata[i];
    const gchar *reason;
    gboolean expected = FALSE;

    if (c->peer_id == NULL || c->left == 0)
      continue;
    reason = g_hash_table_lookup (reasons, c->peer_id);
    for (guint k = 0; reason && kind_reasons[c->kind][k]; k++)
      expected = expected || strstr (reason, kind_reasons[c->kind][k]);
    if (!expected) {
      wrong++;
      fail_cycle (c, "the daemon removed it with reason '%s'", reason);
    }
  }
  g_print ("soak: removal reasons as expected for every cycle that left: "
      "%s\n", wrong ? "NO" : "yes");
}

/* The end of the daemon's log, without the tracer's records. */
static void
print_log_tail (const gchar * log, guint max_lines)
{
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);
  guint n = g_strv_length (lines), shown = 0, first = n;

  while (first > 0 && shown < max_lines) {
    first--;
    if (strstr (lines[first], "GST_TRACER") == NULL && *lines[first])
      shown++;
  }
  g_printerr ("soak: the daemon's log ends with:\n");
  for (guint i = first; i < n; i++)
    if (strstr (lines[i], "GST_TRACER") == NULL && *lines[i])
      g_printerr ("[server] %s\n", lines[i]);
}

/* --- set-up --- */

static gchar *
load_fixture (const gchar * name)
{
  g_autofree gchar *path = g_build_filename (g_getenv ("RW_FIXTURES"),
      "offers", name, NULL);
  g_autoptr (GError) error = NULL;
  gchar *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static GSocket *
open_blackhole (guint * port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback
      (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}

static gchar *
write_config (const gchar * dir)
{
  g_autofree gchar *text = g_strdup_printf ("[server]\n"
      "max-viewers=%d\n"
      "rate-limit=0\n"
      "handshake-timeout=%d\n"
      "[webrtc]\n"
      "ice-addresses=127.0.0.1\n"
      "[media]\n"
      "camera=255\n"
      "codec=vp8\n"
      "width=%d\n"
      "height=%d\n"
      "framerate=%d\n" "bitrate=1000000\n" "keyframe-interval=2\n",
      N_WATCHERS + MAX_PARALLEL + 4, HANDSHAKE_TIMEOUT_S, WIDTH, HEIGHT,
      FRAMERATE);
  gchar *path = g_build_filename (dir, "soak.conf", NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* The daemon under `env`, so that only it gets the leaks tracer. */
static RwTestServer *
start_server (const gchar * config)
{
  const gchar *debug = g_getenv ("GST_DEBUG");
  g_autofree gchar *debug_env = g_strdup_printf ("GST_DEBUG=%s%s"
      "GST_TRACER:7,leaks:7", debug ? debug : "", debug ? "," : "");
  const gchar *argv[] = { "env", "GST_TRACERS=leaks", debug_env,
    "GST_DEBUG_NO_COLOR=1", g_getenv ("RW_SERVER"), "--port", "0", "--bind",
    "127.0.0.1", "--ice-address", "127.0.0.1", "--config", config, NULL
  };
  g_autoptr (GError) error = NULL;
  RwTestServer *server;

  server = rw_test_process_start (argv, 20000, &error);
  g_assert_no_error (error);
  return server;
}

static gboolean
stream_running (gpointer data)
{
  Soak *soak = data;
  g_autoptr (JsonNode) status = rw_test_get_status (soak->http, soak->url,
      2000, NULL);

  if (status && g_strcmp0 (rw_test_json_get_string (status, "status"),
          "ok") == 0 && rw_test_json_get_string (status, "codec"))
    return TRUE;
  rw_test_pump_for (100);
  return FALSE;
}

static void
wait_for_viewers (Soak * soak, gint64 viewers, guint timeout_ms)
{
  gint64 last_viewers = -1, last_branches = -1;
  gboolean ok;

  ok = rw_test_wait_for_status_int (soak->http, soak->url, "viewers",
      viewers, timeout_ms, &last_viewers) &&
      rw_test_wait_for_status_int (soak->http, soak->url, "branches",
      viewers, 5000, &last_branches);
  if (!ok) {
    g_autofree gchar *log = rw_test_server_dup_stderr (soak->server);

    g_printerr ("soak: the daemon is %s\n", rw_test_server_is_running
        (soak->server) ? "running" : "gone");
    print_log_tail (log, 40);
  }
  rw_test_check (ok,
      "/status: %" G_GINT64_FORMAT " viewers and %" G_GINT64_FORMAT
      " branches, not %" G_GINT64_FORMAT " (within %u ms)", last_viewers,
      last_branches, viewers, timeout_ms);
}

/* --- the test --- */

static gboolean
hangup_done (gpointer data)
{
  return rw_test_viewer_is_hangup_done (data);
}

static void
print_kinds (Soak * soak)
{
  guint total = 0;

  for (guint k = 0; k < N_KINDS; k++) {
    g_print ("soak: %-10s %4u cycles, %4u removed in time, slowest removal "
        "%4.1f s (bound %4.1f s)\n", kind_names[k], soak->launched[k],
        soak->ok[k], soak->max_removal_us[k] / 1e6, removal_bound_us (k) / 1e6);
    total += soak->launched[k];
  }
  g_print ("soak: %u cycles, at most %" G_GINT64_FORMAT " viewers at once "
      "(watchers included), %u failures\n", total, soak->max_viewers_seen,
      soak->n_failures);
}

static void
test_soak (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("rw-soak-XXXXXX", NULL);
  g_autofree gchar *config = NULL;
  g_autofree gchar *log = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *seconds_env = g_getenv ("RW_SOAK_SECONDS");
  guint seconds = CLAMP (seconds_env ? g_ascii_strtoull (seconds_env, NULL,
          10) : CHURN_SECONDS, 10, 3600);
  guint min_per_kind = MIN_CYCLES_PER_KIND * seconds / CHURN_SECONDS;
  gint64 start = g_get_monotonic_time ();
  ProcSample idle0, watched0, watched1, idle1;
  LeakReport leaks = { 0, 0, g_string_new (NULL) };
  Soak soak_data = { 0 }, *soak = &soak_data;
  guint total = 0;
  gint status = -1;
  gboolean stopped;

  g_assert_nonnull (dir);
  soak->http = soup_session_new_with_options ("timeout", 10,
      "proxy-resolver", NULL, "max-conns", 64, "max-conns-per-host", 32, NULL);
  soak->cycles = g_ptr_array_new_with_free_func ((GDestroyNotify) cycle_free);
  soak->failures = g_string_new (NULL);
  soak->status_peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  soak->rand = g_rand_new_with_seed (5);
  soak->min_fps = G_MAXDOUBLE;
  soak->offer_only_sdp = load_fixture ("chromium-156-recvonly-trickle.sdp");
  soak->no_ice_sdp = load_fixture ("firefox-esr-153-recvonly-trickle.sdp");
  soak->blackhole = open_blackhole (&soak->blackhole_port);

  config = write_config (dir);
  soak->server = start_server (config);
  soak->url = rw_test_server_get_url (soak->server);
  soak->pid = rw_test_server_get_pid (soak->server);
  g_print ("soak: daemon %s at %s: VP8 %dx%d@%d, handshake-timeout %d s, "
      "leaks tracer on; %d watchers, %d short-lived sessions at once, "
      "%u s of churn\n", soak->pid, soak->url, WIDTH, HEIGHT, FRAMERATE,
      HANDSHAKE_TIMEOUT_S, N_WATCHERS, MAX_PARALLEL, seconds);
  rw_test_check (rw_test_pump_until (stream_running, soak, 10000),
      "the daemon's stream did not start within 10 s");

  /* Warm-up: every kind a few times, so that pools, caches and allocator
   * arenas are in use before the baselines are taken. */
  churn (soak, WARMUP_CYCLES, 60, FALSE);
  wait_for_viewers (soak, 0, 10000);
  idle0 = proc_sample (soak, "idle, after warm-up:");

  for (guint i = 0; i < N_WATCHERS; i++) {
    g_autofree gchar *name = g_strdup_printf ("watcher-%u", i);

    soak->watchers[i] = rw_test_viewer_new (soak->url, RW_TEST_VIEWER_VP8,
        TRUE);
    rw_test_viewer_set_name (soak->watchers[i], name);
    rw_test_viewer_start (soak->watchers[i], &error);
    g_assert_no_error (error);
  }
  rw_test_pump_until (watchers_decoding, soak, 15000);
  for (guint i = 0; i < N_WATCHERS; i++)
    rw_test_check (rw_test_viewer_get_frames (soak->watchers[i]) >= FRAMERATE &&
        rw_test_viewer_get_width (soak->watchers[i]) == WIDTH,
        "watcher %u does not decode %dx%d within 15 s: %s, %" G_GUINT64_FORMAT
        " frames, %dx%d, %s", i, WIDTH, HEIGHT,
        rw_test_viewer_state_to_string (rw_test_viewer_get_state
            (soak->watchers[i])), rw_test_viewer_get_frames (soak->watchers[i]),
        rw_test_viewer_get_width (soak->watchers[i]),
        rw_test_viewer_get_height (soak->watchers[i]),
        rw_test_viewer_get_error (soak->watchers[i]));
  wait_for_viewers (soak, N_WATCHERS, 5000);
  watched0 = proc_sample (soak, "watchers, before the churn:");
  g_print ("soak: one viewer costs the daemon %.1f threads, %.1f fds\n",
      (watched0.threads - idle0.threads) / (gdouble) N_WATCHERS,
      (watched0.fds - idle0.fds) / (gdouble) N_WATCHERS);

  /* The churn, watched. */
  memset (soak->launched, 0, sizeof (soak->launched));
  memset (soak->ok, 0, sizeof (soak->ok));
  memset (soak->max_removal_us, 0, sizeof (soak->max_removal_us));
  soak->max_viewers_seen = 0;
  churn (soak, MAX_CYCLES, seconds, TRUE);
  check_watchers_alive (soak);
  wait_for_viewers (soak, N_WATCHERS, 10000);
  watched1 = proc_sample (soak, "watchers, after the churn:");

  for (guint i = 0; i < N_WATCHERS; i++)
    rw_test_viewer_hangup (soak->watchers[i]);
  for (guint i = 0; i < N_WATCHERS; i++) {
    rw_test_check (rw_test_pump_until (hangup_done, soak->watchers[i], 10000),
        "watcher %u's hang-up not answered", i);
    rw_test_check (rw_test_viewer_get_hangup_status (soak->watchers[i]) ==
        SOUP_STATUS_OK, "watcher %u's hang-up: HTTP %u", i,
        rw_test_viewer_get_hangup_status (soak->watchers[i]));
    g_clear_pointer (&soak->watchers[i], rw_test_viewer_free);
  }
  wait_for_viewers (soak, 0, 10000);
  idle1 = proc_sample (soak, "idle, at the end:");

  stopped = rw_test_server_stop (soak->server, 15000, &status, &error);
  log = rw_test_server_dup_stderr (soak->server);
  parse_leaks (log, &leaks);
  check_removal_reasons (soak, log);

  /* the figures, then the verdicts */
  print_kinds (soak);
  for (guint k = 0; k < N_KINDS; k++)
    total += soak->launched[k];
  g_print ("soak: watchers: %u windows of %.0f s, %u below %.0f fps (none "
      "may follow another), slowest %.1f fps, longest frame gap %"
      G_GINT64_FORMAT " ms (bound %" G_GINT64_FORMAT ")\n", soak->n_windows,
      FPS_WINDOW_US / 1e6, soak->n_slow_windows, FRAMERATE - FPS_TOLERANCE,
      soak->min_fps, soak->worst_gap_us / 1000, MAX_GAP_US / 1000);
  g_print ("soak: threads %d -> %d with watchers, %d -> %d idle (slack %d)\n",
      watched0.threads, watched1.threads, idle0.threads, idle1.threads,
      THREAD_SLACK);
  g_print ("soak: fds %d -> %d with watchers, %d -> %d idle (slack %d)\n",
      watched0.fds, watched1.fds, idle0.fds, idle1.fds, FD_SLACK);
  g_print ("soak: RSS %.1f -> %.1f MB with watchers (%+.1f MB, bound %+.1f; "
      "%+.1f MB since the middle of the churn, bound %+.1f), %.1f -> %.1f MB "
      "idle\n", watched0.rss_kb / 1024.0, watched1.rss_kb / 1024.0,
      (watched1.rss_kb - watched0.rss_kb) / 1024.0,
      RSS_GROWTH_BOUND_KB / 1024.0, (watched1.rss_kb - soak->rss_mid_kb) /
      1024.0, RSS_LATE_GROWTH_BOUND_KB / 1024.0, idle0.rss_kb / 1024.0,
      idle1.rss_kb / 1024.0);
  g_print ("soak: leaks tracer: %u objects alive at gst_deinit(), %u of them "
      "expected (the DTLS agent)\n", leaks.alive, leaks.allowed);
  g_print ("soak: wall time %.0f s\n", (g_get_monotonic_time () - start) / 1e6);

  rw_test_check (stopped && status == 0, "the daemon did not stop cleanly: %s",
      error ? error->message : "?");
  rw_test_check (strstr (log, "CRITICAL") == NULL,
      "the daemon logged a CRITICAL");
  rw_test_check (strstr (log, "listed ")
      && strstr (log, " alive objects"),
      "the leaks tracer did not report at gst_deinit()");
  rw_test_check (strstr (log, "while the leaks tracer was finalizing") == NULL,
      "an object was freed during gst_deinit(): a thread was still running");
  rw_test_check (leaks.alive == leaks.allowed,
      "%u GstObjects/GstMiniObjects leaked:" "\n%s",
      leaks.alive - leaks.allowed, leaks.report->str);
  rw_test_check (soak->n_failures == 0,
      "%u of %u cycles failed; the first:\n%s", soak->n_failures, total,
      soak->failures->str);
  for (guint k = 0; k < N_KINDS; k++)
    rw_test_check (soak->ok[k] >= min_per_kind, "only %u %s cycles in %u s (at "
        "least %u expected)", soak->ok[k], kind_names[k], seconds,
        min_per_kind);
  rw_test_check (soak->n_drops == 0,
      "watchers were below %.0f fps for more than a "
      "second, or had a gap over %" G_GINT64_FORMAT " ms, %u times",
      FRAMERATE - FPS_TOLERANCE, MAX_GAP_US / 1000, soak->n_drops);
  rw_test_check (watched1.threads <= watched0.threads + THREAD_SLACK
      && idle1.threads <= idle0.threads + THREAD_SLACK,
      "threads did not return "
      "to the baseline: %d -> %d with watchers, %d -> %d idle",
      watched0.threads, watched1.threads, idle0.threads, idle1.threads);
  rw_test_check (watched1.fds <= watched0.fds + FD_SLACK
      && idle1.fds <= idle0.fds + FD_SLACK,
      "fds did not return to the "
      "baseline: %d -> %d with watchers, %d -> %d idle", watched0.fds,
      watched1.fds, idle0.fds, idle1.fds);
  rw_test_check (watched1.rss_kb - watched0.rss_kb <= RSS_GROWTH_BOUND_KB,
      "RSS grew by %.1f MB over the churn",
      (watched1.rss_kb - watched0.rss_kb) / 1024.0);
  rw_test_check (soak->rss_mid_kb > 0
      && watched1.rss_kb - soak->rss_mid_kb <= RSS_LATE_GROWTH_BOUND_KB,
      "RSS grew by %.1f MB over the second half of the churn",
      (watched1.rss_kb - soak->rss_mid_kb) / 1024.0);

  g_rand_free (soak->rand);
  g_object_unref (soak->blackhole);
  g_free (soak->offer_only_sdp);
  g_free (soak->no_ice_sdp);
  g_hash_table_unref (soak->status_peers);
  g_string_free (soak->failures, TRUE);
  g_string_free (leaks.report, TRUE);
  g_ptr_array_unref (soak->cycles);
  g_object_unref (soak->http);
  rw_test_server_free (soak->server);
  g_unlink (config);
  g_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  rw_test_quiet_gio_debug ();
  gst_init (&argc, &argv);
  /* Hundreds of viewers in this process: their warnings, not their every
   * step, and not the two warnings each client webrtcbin gives (its offer
   * has no SSRC; nicesrc's sticky events before the transport is up). */
  gst_debug_set_threshold_for_name ("rw-test-viewer", GST_LEVEL_WARNING);
  gst_debug_set_threshold_for_name ("webrtcbin", GST_LEVEL_ERROR);
  gst_debug_set_threshold_for_name ("GST_PADS", GST_LEVEL_ERROR);

  g_test_add_func ("/soak/churn", test_soak);

  if (g_getenv ("RW_SERVER") == NULL || g_getenv ("RW_FIXTURES") == NULL) {
    g_printerr ("RW_SERVER or RW_FIXTURES is not set: skipping (meson test "
        "sets them)\n");
    return 77;
  }
  return g_test_run ();
}

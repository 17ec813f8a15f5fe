/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Integration tests: the real robot-webrtc-server binary ($RW_SERVER) on
 * 127.0.0.1, watched by in-process WebRTC viewers (RwTestViewer) and a plain
 * SoupSession. Every wait is bounded. Set RW_TEST_SERVER_LOG=0 to silence the
 * daemon's stderr, which is echoed (prefixed "[server]") by default. */

#include <gst/gst.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

#define MIN_FPS 25.0


static const gchar vp8_offer_sdp[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Zx9q\r\n"
    "a=ice-pwd:V1jOqPNbJ2YvOQ0J0TvJxCq8\r\n"
    "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:"
    "DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n" "a=recvonly\r\n" "a=rtcp-mux\r\n" "a=rtpmap:96 VP8/90000\r\n";

static const gchar audio_only_sdp[] =
    "v=0\r\n"
    "o=- 4611731400430051337 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Zx9r\r\n"
    "a=ice-pwd:V1jOqPNbJ2YvOQ0J0TvJxCq9\r\n"
    "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:"
    "DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=recvonly\r\n" "a=rtcp-mux\r\n" "a=rtpmap:111 opus/48000/2\r\n";

/* --- helpers --- */

static gchar *
describe_viewers (RwTestViewer ** viewers, guint n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++) {
    RwTestViewer *v = viewers[i];

    g_string_append_printf (s, "%s%s: state %s, peer %s, frames %"
        G_GUINT64_FORMAT ", %dx%d, error: %s", i ? "; " : "",
        rw_test_viewer_get_name (v),
        rw_test_viewer_state_to_string (rw_test_viewer_get_state (v)),
        rw_test_viewer_get_peer_id (v), rw_test_viewer_get_frames (v),
        rw_test_viewer_get_width (v), rw_test_viewer_get_height (v),
        rw_test_viewer_get_error (v));
  }
  return g_string_free (s, FALSE);
}

typedef struct
{
  RwTestViewer **viewers;
  guint n;
} ViewerSet;

static gboolean
all_decoding_or_one_failed (gpointer data)
{
  ViewerSet *set = data;
  gboolean all = TRUE;

  for (guint i = 0; i < set->n; i++) {
    RwTestViewer *v = set->viewers[i];

    if (rw_test_viewer_get_state (v) == RW_TEST_VIEWER_FAILED)
      return TRUE;
    all = all && rw_test_viewer_is_connected (v) &&
        rw_test_viewer_get_frames (v) > 0 && rw_test_viewer_get_width (v) > 0;
  }
  return all;
}

static void
start_and_wait_decoding (RwTestViewer ** viewers, guint n, guint timeout_ms)
{
  ViewerSet set = { viewers, n };
  g_autofree gchar *description = NULL;
  gint64 start = g_get_monotonic_time ();
  gboolean ok;

  for (guint i = 0; i < n; i++) {
    g_autoptr (GError) error = NULL;

    rw_test_viewer_start (viewers[i], &error);
    g_assert_no_error (error);
  }
  ok = rw_test_pump_until (all_decoding_or_one_failed, &set, timeout_ms);
  description = describe_viewers (viewers, n);
  for (guint i = 0; i < n && ok; i++)
    ok = rw_test_viewer_is_connected (viewers[i]) &&
        rw_test_viewer_get_frames (viewers[i]) > 0;
  rw_test_check (ok, "not all viewers decoding within %u ms: %s", timeout_ms,
      description);
  for (guint i = 0; i < n; i++)
    g_test_message ("%s: answer %" G_GINT64_FORMAT " ms, connected %"
        G_GINT64_FORMAT " ms, first frame %" G_GINT64_FORMAT " ms after POST",
        rw_test_viewer_get_name (viewers[i]),
        (rw_test_viewer_get_answer_time (viewers[i]) -
            rw_test_viewer_get_post_time (viewers[i])) / 1000,
        (rw_test_viewer_get_connected_time (viewers[i]) -
            rw_test_viewer_get_post_time (viewers[i])) / 1000,
        rw_test_viewer_get_ttff_us (viewers[i]) / 1000);
  g_test_message ("all %u viewers decoding after %" G_GINT64_FORMAT " ms", n,
      (g_get_monotonic_time () - start) / 1000);
}

/* Frames per second of each viewer over @ms of pumping. */
static void
measure_fps (RwTestViewer ** viewers, guint n, guint ms, gdouble * fps)
{
  guint64 before[8];
  gint64 start;
  gdouble seconds;

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (before));
  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++) {
    before[i] = rw_test_viewer_get_frames (viewers[i]);
    rw_test_viewer_take_max_gap_us (viewers[i]);
  }
  rw_test_pump_for (ms);
  seconds = (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;
  for (guint i = 0; i < n; i++) {
    fps[i] = (rw_test_viewer_get_frames (viewers[i]) - before[i]) / seconds;
    g_test_message ("%s: %.1f fps over %.1f s, longest gap between frames "
        "%" G_GINT64_FORMAT " ms", rw_test_viewer_get_name (viewers[i]),
        fps[i], seconds, rw_test_viewer_take_max_gap_us (viewers[i]) / 1000);
  }
}

static JsonNode *
get_status (SoupSession * session, RwTestServer * server)
{
  g_autoptr (GError) error = NULL;
  JsonNode *status = rw_test_get_status (session,
      rw_test_server_get_url (server), 3000, &error);

  g_assert_no_error (error);
  return status;
}

static void
wait_for_status (SoupSession * session, RwTestServer * server,
    const gchar * path, gint64 expected, guint timeout_ms)
{
  gint64 last = -1, start = g_get_monotonic_time ();
  gboolean ok = rw_test_wait_for_status_int (session,
      rw_test_server_get_url (server), path, expected, timeout_ms, &last);

  rw_test_check (ok, "/status %s is %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT
      " after %u ms", path, last, expected, timeout_ms);
  g_test_message ("/status %s == %" G_GINT64_FORMAT " after %"
      G_GINT64_FORMAT " ms", path, expected,
      (g_get_monotonic_time () - start) / 1000);
}

static gboolean
peer_listed (JsonNode * status, const gchar * peer_id)
{
  JsonNode *peers = json_object_get_member (json_node_get_object (status),
      "peers");
  JsonArray *array;

  if (peers == NULL || !JSON_NODE_HOLDS_ARRAY (peers))
    return FALSE;
  array = json_node_get_array (peers);
  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonNode *peer = json_array_get_element (array, i);

    if (g_strcmp0 (rw_test_json_get_string (peer, "peer_id"), peer_id) == 0)
      return TRUE;
  }
  return FALSE;
}

/* A peer's object in /status, or NULL. */
static JsonNode *
find_peer (JsonNode * status, const gchar * peer_id)
{
  JsonNode *peers = json_object_get_member (json_node_get_object (status),
      "peers");
  JsonArray *array;

  if (peers == NULL || !JSON_NODE_HOLDS_ARRAY (peers))
    return NULL;
  array = json_node_get_array (peers);
  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonNode *peer = json_array_get_element (array, i);

    if (g_strcmp0 (rw_test_json_get_string (peer, "peer_id"), peer_id) == 0)
      return peer;
  }
  return NULL;
}

static gboolean
viewer_pair_answered (gpointer data)
{
  return !rw_test_viewer_is_pair_pending (data);
}

/* The daemon's `ice` of a viewer on loopback, once it has an RTT: both ends
 * host/udp on 127.0.0.1, the same pair as the viewer's own, seen from the
 * other side. */
static void
check_ice_status (SoupSession * session, RwTestServer * server,
    RwTestViewer * viewer, guint timeout_ms)
{
  const gchar *name = rw_test_viewer_get_name (viewer);
  const gchar *v_local = NULL, *v_remote = NULL;
  gint64 start = g_get_monotonic_time ();
  g_autoptr (JsonNode) status = NULL;
  g_autofree gchar *local = NULL;
  g_autofree gchar *remote = NULL;
  JsonObject *ice = NULL;
  gdouble rtt = -1;

  for (;;) {
    JsonNode *peer, *node;

    g_clear_pointer (&status, json_node_unref);
    status = get_status (session, server);
    peer = find_peer (status, rw_test_viewer_get_peer_id (viewer));
    rw_test_check (peer != NULL, "%s not in /status", name);
    node = json_object_get_member (json_node_get_object (peer), "ice");
    rw_test_check (node != NULL, "%s: /status has no ice", name);
    ice = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    if (ice && !json_object_get_null_member (ice, "rtt_ms")) {
      rtt = json_object_get_double_member (ice, "rtt_ms");
      break;
    }
    rw_test_check ((g_get_monotonic_time () - start) / 1000 < timeout_ms,
        "%s: /status ice %s after %u ms", name, ice ? "has no rtt_ms" :
        "is null", timeout_ms);
    rw_test_pump_for (200);
  }
  g_test_message ("%s: /status ice with rtt_ms %.2f after %" G_GINT64_FORMAT
      " ms", name, rtt, (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpfloat (rtt, >=, 0);
  g_assert_cmpfloat (rtt, <, 1000);
  g_assert_cmpint (json_object_get_int_member (ice, "age_ms"), >=, 0);

  for (guint i = 0; i < 2; i++) {
    JsonObject *end = json_object_get_object_member (ice,
        i == 0 ? "local" : "remote");
    gchar *text;

    g_assert_nonnull (end);
    g_assert_cmpstr (json_object_get_string_member (end, "type"), ==, "host");
    g_assert_cmpstr (json_object_get_string_member (end, "protocol"), ==,
        "udp");
    g_assert_cmpstr (json_object_get_string_member (end, "address"), ==,
        "127.0.0.1");
    text = g_strdup_printf ("127.0.0.1:%" G_GINT64_FORMAT,
        json_object_get_int_member (end, "port"));
    if (i == 0)
      local = text;
    else
      remote = text;
  }

  rw_test_viewer_query_selected_pair (viewer);
  rw_test_check (rw_test_pump_until (viewer_pair_answered, viewer, 3000),
      "%s: get-stats unanswered", name);
  rw_test_check (rw_test_viewer_get_selected_pair (viewer, NULL, NULL,
          &v_local, &v_remote), "%s: no selected pair of its own", name);
  g_test_message ("%s: daemon %s <-> %s, viewer %s <-> %s", name, local,
      remote, v_local, v_remote);
  g_assert_cmpstr (local, ==, v_remote);
  g_assert_cmpstr (remote, ==, v_local);
}

static gboolean
viewer_hangup_done (gpointer data)
{
  return rw_test_viewer_is_hangup_done (data);
}

static gboolean
viewer_done (gpointer data)
{
  return rw_test_viewer_is_done (data);
}

static gboolean
viewer_answered_or_done (gpointer data)
{
  return rw_test_viewer_get_peer_id (data) != NULL ||
      rw_test_viewer_is_done (data);
}

static void
hangup_and_wait (RwTestViewer * viewer)
{
  rw_test_viewer_hangup (viewer);
  rw_test_check (rw_test_pump_until (viewer_hangup_done, viewer, 3000),
      "%s: DELETE not answered in 3 s", rw_test_viewer_get_name (viewer));
  rw_test_check (rw_test_viewer_get_hangup_status (viewer) == 200,
      "%s: DELETE /peers/%s: %s", rw_test_viewer_get_name (viewer),
      rw_test_viewer_get_peer_id (viewer), rw_test_viewer_get_error (viewer));
}

/* --- /daemon/three-viewers --- */

static RwTestResponse *request (SoupSession * session, RwTestServer * server,
    const gchar * method, const gchar * path, const gchar * const *headers,
    const gchar * body);

/* The value of the sample @line_start (name and labels), or -1. */
static gdouble
metric (const gchar * text, const gchar * line_start)
{
  g_autofree gchar *needle = g_strconcat ("\n", line_start, " ", NULL);
  const gchar *at = strstr (text, needle);

  return at ? g_ascii_strtod (at + strlen (needle), NULL) : -1;
}

/* After three viewers: two hung up, one vanished. GET /metrics counts
 * them, the bytes and keyframes, and times their first frames and every
 * frame's capture to send; promtool reads it. */
static void
check_totals (SoupSession * session, RwTestServer * server)
{
  g_autoptr (RwTestResponse) r = request (session, server, "GET", "/metrics",
      NULL, NULL);
  g_autofree gchar *text = rw_test_response_dup_text (r);
  gdouble frames, sent;

  g_assert_cmpuint (r->status, ==, 200);
  rw_test_promtool_check_metrics (text);
  g_assert_cmpfloat (metric (text, "robot_webrtc_sessions_opened_total"
          "{stream=\"main\"}"), ==, 3);
  g_assert_cmpfloat (metric (text, "robot_webrtc_sessions_closed_total"
          "{stream=\"main\",reason=\"hangup\"}"), ==, 2);
  g_assert_cmpfloat (metric (text, "robot_webrtc_sessions_closed_total"
          "{stream=\"main\",reason=\"silent\"}"), ==, 1);
  g_assert_cmpfloat (metric (text, "robot_webrtc_sent_bytes_total"
          "{stream=\"main\"}"), >, 100000);
  /* each viewer started with a keyframe, live or forced, or the cached
   * frames (with a gop-cache) */
  g_assert_cmpfloat (metric (text, "robot_webrtc_keyframes_forced_total"
          "{stream=\"main\"}") + metric (text,
          "robot_webrtc_joins_from_cache_total{stream=\"main\"}"), >=, 1);
  g_assert_cmpfloat (metric (text, "robot_webrtc_keyframe_requests_total"
          "{stream=\"main\"}"), >=, metric (text,
          "robot_webrtc_keyframes_forced_total{stream=\"main\"}"));
  g_assert_cmpfloat (metric (text, "robot_webrtc_first_frame_seconds_count"
          "{stream=\"main\"}"), ==, 3);
  g_assert_cmpfloat (metric (text, "robot_webrtc_first_frame_seconds_bucket"
          "{stream=\"main\",le=\"+Inf\"}"), ==, 3);
  frames = metric (text, "robot_webrtc_capture_to_send_seconds_count"
      "{stream=\"main\"}");
  sent = metric (text, "robot_webrtc_capture_to_send_seconds_sum"
      "{stream=\"main\"}");
  g_assert_cmpfloat (frames, >, 100);
  /* every frame timed is one sent; a session's first frame may leave
   * before its branch has a clock to time it with */
  g_assert_cmpfloat (metric (text, "robot_webrtc_sent_frames_total"
          "{stream=\"main\"}"), >=, frames);
  g_assert_cmpfloat (metric (text, "robot_webrtc_sent_frames_total"
          "{stream=\"main\"}"), <=, frames + 3);
  g_test_message ("first frame %.0f ms on average; capture to send %.1f ms "
      "on average over %.0f frames", 1000 * metric (text,
          "robot_webrtc_first_frame_seconds_sum{stream=\"main\"}") / 3,
      1000 * sent / frames, frames);
  /* a live test pattern: a frame leaves well within 100 ms */
  rw_test_check (sent / frames < 0.1, "capture to send %.0f ms on average",
      1000 * sent / frames);
}

static void
test_three_viewers (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (JsonNode) status = NULL;
  RwTestViewer *viewers[3];
  gdouble fps[3];
  gint64 vanished_at;
  guint remaining_ms;

  server =
      rw_test_daemon_start ("--width", "640", "--height", "480", "--framerate",
      "30", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);

  for (guint i = 0; i < 3; i++) {
    g_autofree gchar *name = g_strdup_printf ("viewer%u", i + 1);

    viewers[i] = rw_test_viewer_new (rw_test_server_get_url (server),
        RW_TEST_VIEWER_VP8, TRUE);
    rw_test_viewer_set_name (viewers[i], name);
  }
  start_and_wait_decoding (viewers, 3, 10000);

  measure_fps (viewers, 3, 4000, fps);
  for (guint i = 0; i < 3; i++) {
    rw_test_check (fps[i] >= MIN_FPS, "viewer%u: %.1f fps < %.0f", i + 1,
        fps[i], MIN_FPS);
    g_assert_cmpint (rw_test_viewer_get_width (viewers[i]), ==, 640);
    g_assert_cmpint (rw_test_viewer_get_height (viewers[i]), ==, 480);
  }

  status = get_status (session, server);
  g_assert_cmpstr (rw_test_json_get_string (status, "status"), ==, "ok");
  g_assert_cmpstr (rw_test_json_get_string (status, "codec"), ==, "VP8");
  g_assert_cmpint (rw_test_json_get_int (status, "viewers", -1), ==, 3);
  g_assert_cmpint (rw_test_json_get_int (status, "branches", -1), ==, 3);
  for (guint i = 0; i < 3; i++)
    rw_test_check (peer_listed (status,
            rw_test_viewer_get_peer_id (viewers[i])), "peer %s not in /status",
        rw_test_viewer_get_peer_id (viewers[i]));
  g_clear_pointer (&status, json_node_unref);

  /* The first leaves politely, the second closes its tab. */
  rw_test_viewer_hangup (viewers[0]);
  rw_test_viewer_vanish (viewers[1]);
  vanished_at = g_get_monotonic_time ();

  measure_fps (&viewers[2], 1, 3000, fps);
  rw_test_check (fps[0] >= MIN_FPS,
      "viewer3 after the others left: %.1f fps < %.0f", fps[0], MIN_FPS);
  rw_test_check (rw_test_viewer_is_hangup_done (viewers[0])
      && rw_test_viewer_get_hangup_status (viewers[0]) == 200,
      "viewer1: DELETE: status %u, %s",
      rw_test_viewer_get_hangup_status (viewers[0]),
      rw_test_viewer_get_error (viewers[0]));

  remaining_ms = MAX (500, 8000 - (g_get_monotonic_time () - vanished_at)
      / 1000);
  wait_for_status (session, server, "viewers", 1, remaining_ms);
  wait_for_status (session, server, "branches", 1, 2000);
  status = get_status (session, server);
  rw_test_check (peer_listed (status, rw_test_viewer_get_peer_id (viewers[2])),
      "viewer3 is not in /status");
  g_clear_pointer (&status, json_node_unref);
  rw_test_check (rw_test_viewer_is_connected (viewers[2]), "viewer3: %s",
      rw_test_viewer_get_error (viewers[2]));

  hangup_and_wait (viewers[2]);
  wait_for_status (session, server, "viewers", 0, 3000);
  wait_for_status (session, server, "branches", 0, 3000);
  check_totals (session, server);

  for (guint i = 0; i < 3; i++)
    rw_test_viewer_free (viewers[i]);
  rw_test_daemon_stop (server, 3000);
}

/* --- /daemon/h264 --- */

static void
test_h264 (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (JsonNode) status = NULL;
  RwTestViewer *viewer;
  gdouble fps;

  server =
      rw_test_daemon_start ("--codec", "h264", "--width", "640", "--height",
      "480", "--framerate", "30", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);
  viewer = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_H264, TRUE);
  rw_test_viewer_set_name (viewer, "h264-viewer");
  start_and_wait_decoding (&viewer, 1, 10000);

  measure_fps (&viewer, 1, 3000, &fps);
  rw_test_check (fps >= MIN_FPS, "H264: %.1f fps < %.0f", fps, MIN_FPS);
  g_assert_cmpint (rw_test_viewer_get_width (viewer), ==, 640);
  g_assert_cmpint (rw_test_viewer_get_height (viewer), ==, 480);

  status = get_status (session, server);
  g_assert_cmpstr (rw_test_json_get_string (status, "codec"), ==, "H264");
  g_assert_cmpint (rw_test_json_get_int (status, "viewers", -1), ==, 1);
  check_ice_status (session, server, viewer, 6000);

  hangup_and_wait (viewer);
  wait_for_status (session, server, "viewers", 0, 3000);
  wait_for_status (session, server, "branches", 0, 3000);
  rw_test_viewer_free (viewer);
  rw_test_daemon_stop (server, 3000);
}

/* --- /daemon/gop-cache --- */

/* Every peer's replayed_frames in @status is at least @min (-1: each is
 * null); the peers' count is @n. */
static void
check_replayed (JsonNode * status, guint n, gint64 min)
{
  JsonArray *peers = json_node_get_array (json_object_get_member
      (json_node_get_object (status), "peers"));

  g_assert_cmpuint (json_array_get_length (peers), ==, n);
  for (guint i = 0; i < n; i++) {
    JsonNode *peer = json_array_get_element (peers, i);
    gint64 replayed = rw_test_json_get_int (peer, "replayed_frames", -1);

    if (min < 0)
      g_assert_true (json_object_get_null_member (json_node_get_object (peer),
              "replayed_frames"));
    else
      rw_test_check (replayed >= min, "peer %s started with %" G_GINT64_FORMAT
          " cached frames, expected at least %" G_GINT64_FORMAT,
          rw_test_json_get_string (peer, "peer_id"), replayed, min);
  }
}

/* Keyframes 10 s apart. With the cache, two viewers joining 1.5 s apart
 * both start with the frames since the stream's first keyframe (the
 * second with more than a second of them), decode at once and go on at
 * full rate, and no keyframe is asked of the encoder: the first viewer
 * never pays for the second's join. With the cache off, each join forces
 * a keyframe. */
static void
gop_cache_case (const gchar * codec, gboolean on)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (JsonNode) status = NULL;
  RwTestViewer *viewers[2];
  gdouble fps[2];

  server = rw_test_daemon_start ("--codec", codec, "--width", "640",
      "--height", "480", "--bitrate", "500000", "--keyframe-interval", "10",
      "--gop-cache", on ? "2048" : "0", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);
  for (guint i = 0; i < 2; i++) {
    g_autofree gchar *name = g_strdup_printf ("%s-%s-%u", codec,
        on ? "cached" : "uncached", i + 1);

    viewers[i] = rw_test_viewer_new (rw_test_server_get_url (server),
        g_str_equal (codec, "h264") ? RW_TEST_VIEWER_H264 :
        RW_TEST_VIEWER_VP8, TRUE);
    rw_test_viewer_set_name (viewers[i], name);
    start_and_wait_decoding (&viewers[i], 1, 10000);
    if (i == 0)
      rw_test_pump_for (1500);
  }
  measure_fps (viewers, 2, 2000, fps);
  for (guint i = 0; i < 2; i++)
    rw_test_check (fps[i] >= MIN_FPS, "%s: %.1f fps < %.0f",
        rw_test_viewer_get_name (viewers[i]), fps[i], MIN_FPS);

  status = get_status (session, server);
  if (on) {
    g_assert_cmpint (rw_test_json_get_int (status, "totals.joins_from_cache",
            -1), ==, 2);
    /* The C viewer's rtph264depay (avc output) asks for a keyframe at
     * the access unit delimiter that precedes the IDR's SPS and PPS, once
     * per viewer; Chromium asks for none. */
    g_assert_cmpint (rw_test_json_get_int (status, "totals.keyframes_forced",
            -1), <=, g_str_equal (codec, "h264") ? 2 : 0);
    check_replayed (status, 2, 2);
  } else {
    g_assert_cmpint (rw_test_json_get_int (status, "totals.joins_from_cache",
            -1), ==, 0);
    g_assert_cmpint (rw_test_json_get_int (status, "totals.keyframes_forced",
            -1), >=, 2);
    check_replayed (status, 2, -1);
  }

  for (guint i = 0; i < 2; i++) {
    hangup_and_wait (viewers[i]);
    rw_test_viewer_free (viewers[i]);
  }
  rw_test_daemon_stop (server, 3000);
}

static void
test_gop_cache (void)
{
  gop_cache_case ("vp8", TRUE);
  gop_cache_case ("vp8", FALSE);
  gop_cache_case ("h264", TRUE);
}

/* --- /daemon/http-errors --- */

static RwTestResponse *
request (SoupSession * session, RwTestServer * server, const gchar * method,
    const gchar * path, const gchar * const *headers, const gchar * body)
{
  g_autofree gchar *url = rw_test_url (rw_test_server_get_url (server), path);
  g_autoptr (GBytes) bytes = body ? g_bytes_new (body, strlen (body)) : NULL;
  g_autoptr (GError) error = NULL;
  RwTestResponse *response;

  response = rw_test_http_request (session, method, url, headers,
      body ? "application/json" : NULL, bytes, 5000, &error);
  g_assert_no_error (error);
  return response;
}

static gchar *
offer_json (const gchar * sdp, const gchar * type)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, sdp);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* Checks an error response: status, JSON content type, a string "error"
 * (containing @needle, case-insensitively, if given). */
static void
expect_error (RwTestResponse * response, const gchar * what, guint status,
    const gchar * needle)
{
  g_autofree gchar *text = rw_test_response_dup_text (response);
  const gchar *message = rw_test_response_get_error (response);

  g_test_message ("%s -> %u %s", what, response->status, text);
  rw_test_check (response->status == status, "%s: HTTP %u, expected %u: %s",
      what, response->status, status, text);
  rw_test_check (g_strcmp0 (rw_test_response_get_content_type (response),
          "application/json") == 0, "%s: Content-Type %s", what,
      rw_test_response_get_content_type (response));
  rw_test_check (message != NULL
      && *message != '\0', "%s: no string 'error' member: %s", what, text);
  if (needle) {
    g_autofree gchar *lower = g_ascii_strdown (message, -1);
    g_autofree gchar *lower_needle = g_ascii_strdown (needle, -1);

    rw_test_check (strstr (lower, lower_needle) != NULL,
        "%s: the error does not mention %s: %s", what, needle, message);
  }
}

static void
post_offer_expect (SoupSession * session, RwTestServer * server,
    const gchar * what, const gchar * body, guint status, const gchar * needle)
{
  g_autoptr (RwTestResponse) response = request (session, server, "POST",
      "/offer", NULL, body);

  expect_error (response, what, status, needle);
}

static void
check_bad_fixtures (SoupSession * session, RwTestServer * server)
{
  const gchar *fixtures = g_getenv ("RW_FIXTURES");
  g_autofree gchar *dir_path = NULL;
  g_autoptr (GDir) dir = NULL;
  const gchar *name;

  if (fixtures == NULL)
    return;
  dir_path = g_build_filename (fixtures, "offers", "bad", NULL);
  dir = g_dir_open (dir_path, 0, NULL);
  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir))) {
    g_autofree gchar *path = g_build_filename (dir_path, name, NULL);
    g_autofree gchar *sdp = NULL;
    g_autofree gchar *body = NULL;
    g_autofree gchar *what = NULL;
    gsize length;

    if (!g_str_has_suffix (name, ".sdp") ||
        !g_file_get_contents (path, &sdp, &length, NULL))
      continue;
    body = offer_json (sdp, "offer");
    what = g_strdup_printf ("offer fixture bad/%s", name);
    /* Bigger than the 64 KiB limit: refused before it is parsed. */
    post_offer_expect (session, server, what, body,
        strlen (body) > 65536 ? 413 : 400, NULL);
  }
}

static void
test_http_errors (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (RwTestResponse) response = NULL;
  g_autofree gchar *body = NULL;
  g_autofree gchar *h264_sdp = NULL;
  g_autofree gchar *vp8_sdp = NULL;
  g_autofree gchar *big = NULL;
  g_autoptr (GString) padding = NULL;
  RwTestViewer *h264, *first, *second, *third;
  const gchar *origin[] = { "Origin", "http://lab.example", NULL };
  const gchar *preflight[] = { "Origin", "http://lab.example",
    "Access-Control-Request-Method", "POST",
    "Access-Control-Request-Headers", "content-type", NULL
  };

  server = rw_test_daemon_start ("--width", "320", "--height", "240",
      "--max-viewers", "1", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);

  post_offer_expect (session, server, "malformed JSON", "{\"sdp\": ", 400,
      NULL);
  post_offer_expect (session, server, "not an object", "[1, 2]", 400, NULL);
  post_offer_expect (session, server, "missing sdp", "{\"type\": \"offer\"}",
      400, "sdp");
  body = offer_json (vp8_offer_sdp, "answer");
  post_offer_expect (session, server, "type answer", body, 400, "offer");
  g_clear_pointer (&body, g_free);
  body = offer_json ("this is not SDP", "offer");
  post_offer_expect (session, server, "invalid SDP", body, 400, NULL);
  g_clear_pointer (&body, g_free);
  body = offer_json (audio_only_sdp, "offer");
  post_offer_expect (session, server, "audio-only SDP", body, 400, NULL);
  g_clear_pointer (&body, g_free);
  check_bad_fixtures (session, server);

  /* A real H264-only offer to a VP8 server. */
  h264 = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_H264, FALSE);
  rw_test_viewer_set_name (h264, "h264-to-vp8");
  g_assert_true (rw_test_viewer_start (h264, NULL));
  rw_test_check (rw_test_pump_until (viewer_done, h264, 10000),
      "the H264 viewer is still %s",
      rw_test_viewer_state_to_string (rw_test_viewer_get_state (h264)));
  rw_test_check (rw_test_viewer_get_offer_status (h264) == 400,
      "H264-only offer: HTTP %u: %s", rw_test_viewer_get_offer_status (h264),
      rw_test_viewer_get_error (h264));
  h264_sdp = rw_test_viewer_dup_offer_sdp (h264);
  g_assert_nonnull (h264_sdp);
  body = offer_json (h264_sdp, "offer");
  post_offer_expect (session, server, "H264-only offer", body, 400, "VP8");
  g_clear_pointer (&body, g_free);
  rw_test_viewer_free (h264);

  response = request (session, server, "POST", "/ice-candidate", NULL,
      "{\"peer_id\": \"nope\", \"candidate\": \"candidate:1 1 udp "
      "2122260223 127.0.0.1 50000 typ host\", \"sdpMid\": \"0\", "
      "\"sdpMLineIndex\": 0}");
  expect_error (response, "candidate for an unknown peer", 404, NULL);
  g_clear_pointer (&response, rw_test_response_free);

  response = request (session, server, "DELETE", "/peers/nope", NULL, NULL);
  expect_error (response, "DELETE /peers/nope", 404, NULL);
  g_clear_pointer (&response, rw_test_response_free);

  padding = g_string_new ("{\"type\": \"offer\", \"sdp\": \"");
  while (padding->len < 70000 - 2)
    g_string_append_c (padding, 'x');
  g_string_append (padding, "\"}");
  big = g_string_free (g_steal_pointer (&padding), FALSE);
  g_assert_cmpuint (strlen (big), ==, 70000);
  post_offer_expect (session, server, "70000-byte body", big, 413, NULL);

  {
    g_autofree gchar *url = rw_test_url (rw_test_server_get_url (server),
        "/offer");
    g_autoptr (GBytes) bytes = g_bytes_new_static ("{\"type\": \"offer\"}", 17);
    g_autoptr (GError) error = NULL;

    response = rw_test_http_request_chunked (session, "POST", url,
        "application/json", bytes, 5000, &error);
    g_assert_no_error (error);
    expect_error (response, "chunked body (no Content-Length)", 411, NULL);
    g_clear_pointer (&response, rw_test_response_free);
  }

  response = request (session, server, "GET", "/nope", NULL, NULL);
  expect_error (response, "GET /nope", 404, NULL);
  g_clear_pointer (&response, rw_test_response_free);

  response = request (session, server, "PUT", "/offer", NULL, "{}");
  expect_error (response, "PUT /offer", 405, NULL);
  rw_test_check (strstr (soup_message_headers_get_one (response->headers,
              "Allow") ? soup_message_headers_get_one (response->headers,
              "Allow") : "", "POST") != NULL, "PUT /offer: Allow: %s",
      soup_message_headers_get_one (response->headers, "Allow"));
  g_clear_pointer (&response, rw_test_response_free);

  response = request (session, server, "OPTIONS", "/offer", preflight, NULL);
  g_test_message ("OPTIONS /offer -> %u", response->status);
  g_assert_cmpuint (response->status, ==, 204);
  rw_test_check (soup_message_headers_get_one (response->headers,
          "Access-Control-Allow-Origin") != NULL,
      "OPTIONS /offer: no Access-Control-Allow-Origin");
  rw_test_check (strstr (soup_message_headers_get_one (response->headers,
              "Access-Control-Allow-Methods") ?
          soup_message_headers_get_one (response->headers,
              "Access-Control-Allow-Methods") : "", "POST") != NULL,
      "OPTIONS /offer: Access-Control-Allow-Methods: %s",
      soup_message_headers_get_one (response->headers,
          "Access-Control-Allow-Methods"));
  g_clear_pointer (&response, rw_test_response_free);

  response = request (session, server, "GET", "/status", origin, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  rw_test_check (soup_message_headers_get_one (response->headers,
          "Access-Control-Allow-Origin") != NULL,
      "GET /status with Origin: no Access-Control-Allow-Origin");
  g_clear_pointer (&response, rw_test_response_free);

  /* --max-viewers 1: the second offer is refused while the first is open. */
  first = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_VP8, FALSE);
  rw_test_viewer_set_name (first, "first");
  g_assert_true (rw_test_viewer_start (first, NULL));
  rw_test_check (rw_test_pump_until (viewer_answered_or_done, first, 10000) &&
      rw_test_viewer_get_peer_id (first) != NULL, "first viewer: %s",
      rw_test_viewer_get_error (first));

  second = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_VP8, FALSE);
  rw_test_viewer_set_name (second, "second");
  g_assert_true (rw_test_viewer_start (second, NULL));
  rw_test_check (rw_test_pump_until (viewer_done, second, 10000),
      "second viewer still %s",
      rw_test_viewer_state_to_string (rw_test_viewer_get_state (second)));
  rw_test_check (rw_test_viewer_get_offer_status (second) == 503,
      "second viewer with --max-viewers 1: HTTP %u: %s",
      rw_test_viewer_get_offer_status (second),
      rw_test_viewer_get_error (second));
  vp8_sdp = rw_test_viewer_dup_offer_sdp (second);
  body = offer_json (vp8_sdp, "offer");
  post_offer_expect (session, server, "offer beyond --max-viewers", body,
      503, NULL);
  g_clear_pointer (&body, g_free);
  rw_test_viewer_free (second);

  /* The slot comes back after a hangup. */
  hangup_and_wait (first);
  rw_test_viewer_free (first);
  wait_for_status (session, server, "viewers", 0, 3000);
  third = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_VP8, FALSE);
  rw_test_viewer_set_name (third, "third");
  g_assert_true (rw_test_viewer_start (third, NULL));
  {
    ViewerSet set = { &third, 1 };

    rw_test_check (rw_test_pump_until (all_decoding_or_one_failed, &set, 10000)
        && rw_test_viewer_get_frames (third) > 0,
        "a viewer after the slot was freed: %s, %s",
        rw_test_viewer_state_to_string (rw_test_viewer_get_state (third)),
        rw_test_viewer_get_error (third));
  }

  /* SIGTERM with a viewer still connected: exit 0 within 2 s. */
  rw_test_daemon_stop (server, 2000);
  rw_test_viewer_free (third);
}

/* --- /daemon/no-camera --- */

static void
test_no_camera (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (JsonNode) status = NULL;
  const gchar *warning;
  const gchar *needles[] = { "WARNING", "/dev/video9", NULL };

  if (g_file_test ("/dev/video9", G_FILE_TEST_EXISTS)) {
    g_test_skip ("/dev/video9 exists here");
    return;
  }

  server = rw_test_daemon_start ("--camera", "9", "--width", "320", "--height",
      "240", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);
  status = get_status (session, server);
  g_assert_cmpstr (rw_test_json_get_string (status, "status"), ==, "ok");
  g_assert_cmpstr (rw_test_json_get_string (status, "source.kind"), ==,
      "test-pattern");
  warning = rw_test_json_get_string (status, "source.warning");
  g_test_message ("source.warning: %s", warning);
  g_assert_nonnull (warning);
  g_assert_nonnull (strstr (warning, "/dev/video9"));
  rw_test_check (rw_test_server_wait_for_stderr (server, needles, 2000),
      "no WARNING line naming /dev/video9 on the server's stderr");

  rw_test_daemon_stop (server, 3000);
}

/* --- /daemon/config-pipeline --- */

/* The daemon from a config file that names a file of pipelines/. */
static void
test_config_pipeline (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (JsonNode) status = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;
  RwTestViewer *viewer;
  gint fd;

  fd = g_file_open_tmp ("rw-daemon-XXXXXX.conf", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, "[server]\nmax-viewers=2\n"
          "[media]\npipeline=test-h264\n", -1, NULL));

  server = rw_test_daemon_start ("--config", path, NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);
  status = get_status (session, server);
  g_assert_cmpstr (rw_test_json_get_string (status, "source.kind"), ==,
      "pipeline");
  g_assert_true (g_str_has_suffix (rw_test_json_get_string (status,
              "source.pipeline"), "test-h264.pipeline"));
  g_assert_cmpstr (rw_test_json_get_string (status, "codec"), ==, "H264");
  g_assert_cmpint (rw_test_json_get_int (status, "max_viewers", -1), ==, 2);

  viewer = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_H264, TRUE);
  rw_test_viewer_set_name (viewer, "pipeline-viewer");
  start_and_wait_decoding (&viewer, 1, 10000);
  g_assert_cmpint (rw_test_viewer_get_width (viewer), ==, 1280);
  g_assert_cmpint (rw_test_viewer_get_height (viewer), ==, 720);

  hangup_and_wait (viewer);
  rw_test_viewer_free (viewer);
  rw_test_daemon_stop (server, 3000);
  g_unlink (path);
}

/* --- /launch: gst-launch-1.0 … ! robotwebrtcsink port=N --- */

static RwTestServer *
start_launch (const gchar * source)
{
  const gchar *launch = g_getenv ("RW_GST_LAUNCH");
  g_autofree gchar *port = g_strdup_printf ("port=%u", rw_test_free_port ());
  g_auto (GStrv) src = g_strsplit (source, " ", -1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  RwTestServer *server;

  g_ptr_array_add (argv, (gpointer) (launch ? launch : "gst-launch-1.0"));
  g_ptr_array_add (argv, (gpointer) "-e");
  for (guint i = 0; src[i]; i++)
    g_ptr_array_add (argv, src[i]);
  g_ptr_array_add (argv, (gpointer) "!");
  g_ptr_array_add (argv, (gpointer) "robotwebrtcsink");
  g_ptr_array_add (argv, port);
  g_ptr_array_add (argv, (gpointer) "bind-address=127.0.0.1");
  g_ptr_array_add (argv, (gpointer) "ice-addresses=127.0.0.1");
  g_ptr_array_add (argv, NULL);

  server = rw_test_process_start ((const gchar * const *) argv->pdata, 0,
      &error);
  g_assert_no_error (error);
  g_test_message ("gst-launch-1.0 pid %s at %s",
      rw_test_server_get_pid (server), rw_test_server_get_url (server));
  return server;
}

/* Ctrl-C: gst-launch sends EOS (-e), the element closes its viewers and
 * its server, and gst-launch exits 0. */
static void
test_launch_sigint (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (JsonNode) status = NULL;
  g_autoptr (GError) error = NULL;
  RwTestViewer *viewers[2];
  gdouble fps[2];
  gint exit_status = -1;

  server = start_launch ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "vp8enc deadline=1 cpu-used=8 lag-in-frames=0");
  rw_test_daemon_wait_streaming (session, server, 5000);
  for (guint i = 0; i < 2; i++)
    viewers[i] = rw_test_viewer_new (rw_test_server_get_url (server),
        RW_TEST_VIEWER_VP8, TRUE);
  start_and_wait_decoding (viewers, 2, 10000);
  measure_fps (viewers, 2, 2000, fps);
  for (guint i = 0; i < 2; i++)
    rw_test_check (fps[i] >= MIN_FPS, "gst-launch viewer %u: %.1f fps < %.0f",
        i, fps[i], MIN_FPS);
  g_assert_cmpint (rw_test_viewer_get_width (viewers[0]), ==, 320);
  status = get_status (session, server);
  g_assert_cmpint (rw_test_json_get_int (status, "viewers", -1), ==, 2);

  g_assert_true (rw_test_server_stop_with (server, SIGINT, 5000,
          &exit_status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (exit_status, ==, 0);
  for (guint i = 0; i < 2; i++)
    rw_test_viewer_free (viewers[i]);
}

/* The source ends: EOS stops gst-launch by itself, exit 0. */
static void
test_launch_eos (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (GError) error = NULL;
  RwTestViewer *viewer;
  gint exit_status = -1;

  server = start_launch ("videotestsrc is-live=true num-buffers=150 ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "vp8enc deadline=1 cpu-used=8 lag-in-frames=0");
  rw_test_daemon_wait_streaming (session, server, 5000);
  viewer = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_VP8, TRUE);
  start_and_wait_decoding (&viewer, 1, 4000);

  /* 150 frames at 30 fps: it ends within 5 s of its start */
  g_assert_true (rw_test_server_stop_with (server, 0, 8000, &exit_status,
          &error));
  g_assert_no_error (error);
  g_assert_cmpint (exit_status, ==, 0);
  rw_test_viewer_free (viewer);
}

/* --- /daemon/auth: viewer tokens --- */

#define TEST_SECRET "robot-webrtc integration test secret, 48 bytes.."
#define TEST_ROBOT "robot-test"

/* A secret file in a new directory, mode 0600. */
static gchar *
write_secret_file (gchar ** dir, const gchar * secret, gint mode)
{
  g_autoptr (GError) error = NULL;
  gchar *path;

  *dir = g_dir_make_tmp ("rw-daemon-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (*dir, "secret", NULL);
  g_assert_true (g_file_set_contents (path, secret, -1, NULL));
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

static gchar *
mint (const gchar * sub, gint64 exp_in, const gchar * aud)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree gchar *claims = NULL;

  if (sub)
    claims = g_strdup_printf ("{\"aud\":\"%s\",\"exp\":%" G_GINT64_FORMAT
        ",\"sub\":\"%s\",\"max_viewers\":1}", aud, now + exp_in, sub);
  else
    claims = g_strdup_printf ("{\"aud\":\"%s\",\"exp\":%" G_GINT64_FORMAT
        "}", aud, now + exp_in);
  return rw_test_mint_token (TEST_SECRET, claims);
}

static RwTestResponse *
request_with_token (SoupSession * session, RwTestServer * server,
    const gchar * method, const gchar * path, const gchar * token,
    const gchar * body)
{
  g_autofree gchar *bearer = token ? g_strconcat ("Bearer ", token,
      NULL) : NULL;
  const gchar *headers[] = { "Authorization", bearer, NULL };

  return request (session, server, method, path, token ? headers : NULL, body);
}

/* A 401 with the RFC 6750 challenge and a JSON error. */
static void
expect_401 (RwTestResponse * response, const gchar * what,
    const gchar * needle, gboolean invalid_token)
{
  const gchar *challenge = soup_message_headers_get_one (response->headers,
      "WWW-Authenticate");

  expect_error (response, what, 401, needle);
  rw_test_check (challenge && g_str_has_prefix (challenge, "Bearer realm="),
      "%s: WWW-Authenticate: %s", what, challenge);
  rw_test_check ((strstr (challenge, "error=\"invalid_token\"") != NULL) ==
      invalid_token, "%s: WWW-Authenticate: %s", what, challenge);
}

static gchar *
candidate_json (const gchar * peer_id)
{
  return g_strdup_printf ("{\"peer_id\": \"%s\", \"candidate\": "
      "\"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\", "
      "\"sdpMid\": \"0\", \"sdpMLineIndex\": 0}", peer_id);
}

/* The width and height of a baseline or progressive JPEG (its SOF). */
static gboolean
jpeg_size (GBytes * jpeg, guint * width, guint * height)
{
  gsize n;
  const guint8 *p = g_bytes_get_data (jpeg, &n);

  if (n < 4 || p[0] != 0xff || p[1] != 0xd8)
    return FALSE;
  for (gsize i = 2; i + 9 < n; i++) {
    if (p[i] == 0xff && (p[i + 1] == 0xc0 || p[i + 1] == 0xc2)) {
      *height = p[i + 5] << 8 | p[i + 6];
      *width = p[i + 7] << 8 | p[i + 8];
      return TRUE;
    }
  }
  return FALSE;
}

static gint
compare_ms (gconstpointer a, gconstpointer b)
{
  return *(const gint64 *) a - *(const gint64 *) b;
}

/* GET /snapshot.jpg at 720p: a token needed (HEAD too), a JPEG of the
 * stream's size, CORS and no-store, per stream, each answer timed. */
static void
test_snapshot (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autofree gchar *dir = NULL;
  g_autofree gchar *secret = write_secret_file (&dir, TEST_SECRET "\n", 0600);
  g_autofree gchar *alice = mint ("alice", 60, TEST_ROBOT);
  g_autofree gchar *bearer = g_strconcat ("Bearer ", alice, NULL);
  const gchar *headers[] = { "Authorization", bearer, "Origin",
    "https://lab.example.org", NULL
  };
  gint64 ms[10];
  guint width = 0, height = 0;

  server = rw_test_daemon_start ("--auth-secret-file", secret, "--robot-id",
      TEST_ROBOT, "--width", "1280", "--height", "720", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);

  {
    g_autoptr (RwTestResponse) r = request (session, server, "GET",
        "/snapshot.jpg", NULL, NULL);

    expect_401 (r, "snapshot without a token", "token", FALSE);
  }
  {
    g_autoptr (RwTestResponse) r = request (session, server, "HEAD",
        "/snapshot.jpg", NULL, NULL);

    g_assert_cmpuint (r->status, ==, 401);
  }

  /* 503 with Retry-After until the first keyframe reached the sink */
  for (guint i = 0; i < 30; i++) {
    g_autoptr (RwTestResponse) r = request (session, server, "GET",
        "/snapshot.jpg", headers, NULL);

    if (r->status == 200)
      break;
    g_assert_cmpuint (r->status, ==, 503);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers,
            "Retry-After"), ==, "1");
    rw_test_pump_for (100);
  }

  for (guint i = 0; i < G_N_ELEMENTS (ms); i++) {
    gint64 start = g_get_monotonic_time ();
    g_autoptr (RwTestResponse) r = request (session, server, "GET",
        i % 2 ? "/streams/main/snapshot.jpg" : "/snapshot.jpg", headers, NULL);

    ms[i] = (g_get_monotonic_time () - start) / 1000;
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (rw_test_response_get_content_type (r), ==, "image/jpeg");
    g_assert_cmpstr (soup_message_headers_get_one (r->headers,
            "Cache-Control"), ==, "no-store");
    g_assert_nonnull (soup_message_headers_get_one (r->headers,
            "Access-Control-Allow-Origin"));
    rw_test_check (jpeg_size (r->body, &width, &height) && width == 1280 &&
        height == 720, "snapshot %u: not a 1280x720 JPEG (%ux%u, %"
        G_GSIZE_FORMAT " bytes)", i, width, height, g_bytes_get_size (r->body));
    rw_test_pump_for (150);
  }
  qsort (ms, G_N_ELEMENTS (ms), sizeof ms[0], compare_ms);
  g_test_message ("snapshot 1280x720: answered in %" G_GINT64_FORMAT " ms "
      "(median), %" G_GINT64_FORMAT " ms (max) over %u requests",
      ms[G_N_ELEMENTS (ms) / 2], ms[G_N_ELEMENTS (ms) - 1],
      (guint) G_N_ELEMENTS (ms));
  /* a bound for a loaded machine; the target (100 ms) is read above */
  rw_test_check (ms[G_N_ELEMENTS (ms) - 1] < 2000, "a snapshot took %"
      G_GINT64_FORMAT " ms", ms[G_N_ELEMENTS (ms) - 1]);

  {
    g_autoptr (RwTestResponse) r = request (session, server, "GET",
        "/streams/nope/snapshot.jpg", headers, NULL);

    expect_error (r, "snapshot of an unknown stream", 404, "nope");
  }
  rw_test_daemon_stop (server, 5000);
}

static void
test_auth (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (RwTestResponse) response = NULL;
  g_autoptr (JsonNode) status = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *secret = write_secret_file (&dir, TEST_SECRET "\n", 0600);
  g_autofree gchar *alice = mint ("alice", 60, TEST_ROBOT);
  g_autofree gchar *alice_expired = mint ("alice", -600, TEST_ROBOT);
  g_autofree gchar *bob = mint ("bob", 60, TEST_ROBOT);
  g_autofree gchar *other_robot = mint ("alice", 60, "robot-other");
  g_autofree gchar *anonymous = mint (NULL, 60, TEST_ROBOT);
  g_autofree gchar *wrong_key = NULL;
  g_autofree gchar *alg_none = NULL;
  g_autofree gchar *body = offer_json (vp8_offer_sdp, "offer");
  g_autofree gchar *candidate = NULL;
  g_autofree gchar *hangup = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *err = NULL;
  const gchar *needles[] = { "token of sub:alice", "max_viewers 1", NULL };
  RwTestViewer *viewer, *second;

  {
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;
    g_autofree gchar *claims = g_strdup_printf ("{\"aud\":\"" TEST_ROBOT
        "\",\"exp\":%" G_GINT64_FORMAT "}", now + 60);
    g_autofree gchar *payload = g_base64_encode ((const guchar *) claims,
        strlen (claims));

    wrong_key = rw_test_mint_token (TEST_SECRET "!", claims);
    /* {"alg":"none"}, unsigned; the payload's padding is trimmed */
    g_strdelimit (payload, "=", '\0');
    alg_none = g_strconcat ("eyJhbGciOiJub25lIn0.", payload, ".", NULL);
  }

  server = rw_test_daemon_start ("--auth-secret-file", secret, "--robot-id",
      TEST_ROBOT, "--width", "320", "--height", "240", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);

  status = get_status (session, server);
  rw_test_check (rw_test_json_get_boolean (status, "auth.tokens"),
      "/status: auth.tokens is not true");
  g_assert_cmpstr (rw_test_json_get_string (status, "auth.audience"), ==,
      TEST_ROBOT);
  text = json_to_string (status, FALSE);
  rw_test_check (strstr (text, "integration test secret") == NULL,
      "/status shows the secret");

  /* no token, or not a bearer token: a challenge without an error code */
  response = request (session, server, "POST", "/offer", NULL, body);
  expect_401 (response, "offer without a token", "token", FALSE);
  g_clear_pointer (&response, rw_test_response_free);
  {
    const gchar *basic[] = { "Authorization", "Basic YWxpY2U6cHc=", NULL };

    response = request (session, server, "POST", "/offer", basic, body);
    expect_401 (response, "offer with Basic", "Bearer", FALSE);
    g_clear_pointer (&response, rw_test_response_free);
  }
  /* refused before its body is looked at */
  response = request (session, server, "POST", "/offer", NULL, "{\"sdp\": ");
  expect_401 (response, "malformed offer without a token", "token", FALSE);
  g_clear_pointer (&response, rw_test_response_free);

  /* invalid tokens */
  {
    const struct
    {
      const gchar *what, *token, *needle;
    } cases[] = {
      {"expired token", alice_expired, "expired"},
      {"token for another robot", other_robot, "another robot"},
      {"token signed with another key", wrong_key, "signature"},
      {"alg none", alg_none, "HS256"},
      {"not a JWT", "hello", "not a signed JWT"},
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
      response = request_with_token (session, server, "POST", "/offer",
          cases[i].token, body);
      expect_401 (response, cases[i].what, cases[i].needle, TRUE);
      g_clear_pointer (&response, rw_test_response_free);
    }
  }
  wait_for_status (session, server, "viewers", 0, 1000);

  /* alice's token: she watches */
  viewer = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_VP8, TRUE);
  rw_test_viewer_set_name (viewer, "alice");
  rw_test_viewer_set_token (viewer, alice);
  start_and_wait_decoding (&viewer, 1, 10000);
  rw_test_check (rw_test_server_wait_for_stderr (server, needles, 2000),
      "no log line naming the token's sub and max_viewers");

  /* a token without sub is its own owner: another token is another viewer */
  second = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_VP8, FALSE);
  rw_test_viewer_set_name (second, "anonymous");
  rw_test_viewer_set_token (second, anonymous);
  g_assert_true (rw_test_viewer_start (second, NULL));
  rw_test_check (rw_test_pump_until (viewer_answered_or_done, second, 10000) &&
      rw_test_viewer_get_peer_id (second) != NULL, "anonymous viewer: %s",
      rw_test_viewer_get_error (second));

  /* only the owner may trickle to or hang up alice's session */
  candidate = candidate_json (rw_test_viewer_get_peer_id (viewer));
  hangup = g_strdup_printf ("/peers/%s", rw_test_viewer_get_peer_id (viewer));
  response = request_with_token (session, server, "POST", "/ice-candidate",
      NULL, candidate);
  expect_401 (response, "candidate without a token", "token", FALSE);
  g_clear_pointer (&response, rw_test_response_free);
  response = request_with_token (session, server, "POST", "/ice-candidate",
      bob, candidate);
  expect_error (response, "bob's candidate for alice's session", 403,
      "another viewer");
  g_clear_pointer (&response, rw_test_response_free);
  response = request_with_token (session, server, "POST", "/ice-candidate",
      anonymous, candidate);
  expect_error (response, "anonymous candidate for alice's session", 403,
      "another viewer");
  g_clear_pointer (&response, rw_test_response_free);
  response = request_with_token (session, server, "POST", "/ice-candidate",
      alice, candidate);
  rw_test_check (response->status == 200, "alice's candidate: HTTP %u",
      response->status);
  g_clear_pointer (&response, rw_test_response_free);

  response = request_with_token (session, server, "DELETE", hangup, NULL, NULL);
  expect_401 (response, "DELETE without a token", "token", FALSE);
  g_clear_pointer (&response, rw_test_response_free);
  response = request_with_token (session, server, "DELETE", hangup, bob, NULL);
  expect_error (response, "bob hangs up alice", 403, "another viewer");
  g_clear_pointer (&response, rw_test_response_free);
  response = request_with_token (session, server, "DELETE", hangup,
      other_robot, NULL);
  expect_401 (response, "DELETE with another robot's token", "another robot",
      TRUE);
  g_clear_pointer (&response, rw_test_response_free);
  rw_test_check (rw_test_viewer_is_connected (viewer) &&
      rw_test_viewer_get_frames (viewer) > 0, "alice's viewer: %s",
      rw_test_viewer_get_error (viewer));

  /* the session outlives its token: alice may hang up with an expired one */
  response = request_with_token (session, server, "DELETE", hangup,
      alice_expired, NULL);
  rw_test_check (response->status == 200,
      "alice hangs up with her expired token: " "HTTP %u", response->status);
  g_clear_pointer (&response, rw_test_response_free);
  hangup_and_wait (second);
  wait_for_status (session, server, "viewers", 0, 3000);
  rw_test_viewer_free (viewer);
  rw_test_viewer_free (second);

  /* neither the secret nor a token ever reaches the log */
  err = rw_test_server_dup_stderr (server);
  rw_test_check (strstr (err, "integration test secret") == NULL,
      "the secret is in the server's log");
  rw_test_check (strstr (err, alice + strlen (alice) - 20) == NULL,
      "a token is in the server's log");

  /* the refusals above, counted by reason */
  response = request (session, server, "GET", "/metrics", NULL, NULL);
  g_free (text);
  text = rw_test_response_dup_text (response);
  g_clear_pointer (&response, rw_test_response_free);
  g_test_message ("%s", strstr (text, "# HELP robot_webrtc_tokens_refused"));
  g_assert_cmpfloat (metric (text, "robot_webrtc_tokens_refused_total"
          "{reason=\"missing\"}"), >=, 1);
  g_assert_cmpfloat (metric (text, "robot_webrtc_tokens_refused_total"
          "{reason=\"malformed\"}"), >=, 1);
  g_assert_cmpfloat (metric (text, "robot_webrtc_tokens_refused_total"
          "{reason=\"wrong_robot\"}"), >=, 1);
  g_assert_cmpfloat (metric (text, "robot_webrtc_tokens_refused_total"
          "{reason=\"bad_signature\"}"), >=, 1);
  rw_test_daemon_stop (server, 3000);
  g_unlink (secret);
  g_rmdir (dir);
}

/* An unusable secret file stops the daemon at once, exit code 2, with a
 * message naming the file and never its content. */
static void
test_auth_bad_secret (void)
{
  const struct
  {
    const gchar *secret;
    gint mode;
    const gchar *needle;
  } cases[] = {
    {TEST_SECRET "\n", 0644, "chmod 600"},
    {"too-short-secret\n", 0600, "16 bytes"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *dir = NULL;
    g_autofree gchar *path = write_secret_file (&dir, cases[i].secret,
        cases[i].mode);
    const gchar *argv[] = { g_getenv ("RW_SERVER"), "--port", "0", "--bind",
      "127.0.0.1", "--auth-secret-file", path, NULL
    };
    g_autofree gchar *err = NULL;
    g_autoptr (GError) error = NULL;
    gint status = -1;

    g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status,
            &error));
    g_assert_no_error (error);
    g_test_message ("mode %04o: %s", cases[i].mode, err);
    rw_test_check (g_spawn_check_wait_status (status, NULL) == FALSE &&
        WIFEXITED (status) && WEXITSTATUS (status) == 2,
        "a bad secret file: wait status %d, not exit code 2", status);
    rw_test_check (strstr (err, path) && strstr (err, cases[i].needle),
        "the error does not name %s and '%s': %s", path, cases[i].needle, err);
    rw_test_check (strstr (err, "integration test") == NULL &&
        strstr (err, "too-short") == NULL, "the error shows the secret");
    g_unlink (path);
    g_rmdir (dir);
  }
}

/* Bad TURN settings on the command line, and an open TURN secret file:
 * exit code 2 at once, naming the setting, never showing a password. */
static void
test_turn_bad_settings (void)
{
  g_autofree gchar *dir = NULL;
  g_autofree gchar *open_secret = write_secret_file (&dir, TEST_SECRET "\n",
      0644);
  const struct
  {
    const gchar *args[9];
    const gchar *needle;
  } cases[] = {
    {{"--turn-server", "stun:turn.example.org", NULL}, "turn-server must "
        "start with turn: or turns:"},
    {{"--turn-server", "turn:turn.example.org:65536", "--turn-user", "u",
            "--turn-password", "hunter2", NULL}, "turn-server is not a valid "
        "URI"},
    {{"--turn-server", "turn:turn.example.org", "--turn-user", "u", NULL},
        "turn-user needs turn-password"},
    {{"--turn-server", "turn://robot:hunter2@turn.example.org",
            "--turn-user", "u", "--turn-password", "p", NULL},
        "turn-server has credentials in it"},
    {{"--turn-server", "turn:turn.example.org", "--turn-password", "hunter2",
            "--turn-user", "u", "--turn-secret-file", "x"},
        "exclude each other"},
    {{"--turn-server", "turn:turn.example.org", "--turn-secret-file",
            open_secret, NULL}, "turn-secret-file: secret file"},
    {{"--public-address", "router.example", NULL}, "public-address"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GPtrArray) argv = g_ptr_array_new ();
    g_autofree gchar *err = NULL;
    g_autoptr (GError) error = NULL;
    gint status = -1;

    g_ptr_array_add (argv, (gpointer) g_getenv ("RW_SERVER"));
    g_ptr_array_add (argv, "--port");
    g_ptr_array_add (argv, "0");
    g_ptr_array_add (argv, "--bind");
    g_ptr_array_add (argv, "127.0.0.1");
    for (guint a = 0; a < G_N_ELEMENTS (cases[i].args) && cases[i].args[a]; a++)
      g_ptr_array_add (argv, (gpointer) cases[i].args[a]);
    g_ptr_array_add (argv, NULL);

    g_assert_true (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL,
            G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status,
            &error));
    g_assert_no_error (error);
    g_test_message ("%s", err);
    rw_test_check (WIFEXITED (status) && WEXITSTATUS (status) == 2,
        "bad TURN settings: wait status %d, not exit code 2", status);
    rw_test_check (strstr (err, cases[i].needle) != NULL,
        "the error does not say '%s': %s", cases[i].needle, err);
    rw_test_check (strstr (err, "hunter2") == NULL &&
        strstr (err, TEST_SECRET) == NULL, "the error shows a secret: %s", err);
  }
  g_unlink (open_secret);
  g_rmdir (dir);
}

/* --- /daemon/origins --- */

static const gchar *
header (RwTestResponse * response, const gchar * name)
{
  return soup_message_headers_get_one (response->headers, name);
}

static void
test_origins (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (RwTestResponse) response = NULL;
  g_autofree gchar *body = offer_json (vp8_offer_sdp, "answer");
  g_autofree gchar *own = NULL;
  const gchar *evil[] = { "Origin", "http://evil.example", NULL };
  const gchar *lab[] = { "Origin", "http://lab.example", NULL };
  const gchar *evil_preflight[] = { "Origin", "http://evil.example",
    "Access-Control-Request-Method", "POST",
    "Access-Control-Request-Headers", "authorization, content-type", NULL
  };
  const gchar *lab_preflight[] = { "Origin", "http://lab.example",
    "Access-Control-Request-Method", "POST",
    "Access-Control-Request-Headers", "authorization, content-type", NULL
  };

  server = rw_test_daemon_start ("--allow-origin", "http://lab.example",
      "--allow-origin", "https://lab.example:8443", "--width", "320",
      "--height", "240", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);

  /* another origin: refused, and told nothing through CORS */
  response = request (session, server, "POST", "/offer", evil, body);
  expect_error (response, "offer from http://evil.example", 403,
      "evil.example");
  rw_test_check (header (response, "Access-Control-Allow-Origin") == NULL,
      "403 with Access-Control-Allow-Origin: %s",
      header (response, "Access-Control-Allow-Origin"));
  g_clear_pointer (&response, rw_test_response_free);

  response = request (session, server, "OPTIONS", "/offer", evil_preflight,
      NULL);
  rw_test_check (response->status == 403 &&
      header (response, "Access-Control-Allow-Origin") == NULL,
      "preflight from http://evil.example: HTTP %u, Allow-Origin %s",
      response->status, header (response, "Access-Control-Allow-Origin"));
  g_clear_pointer (&response, rw_test_response_free);

  response = request (session, server, "DELETE", "/peers/nope", evil, NULL);
  expect_error (response, "DELETE from http://evil.example", 403, NULL);
  g_clear_pointer (&response, rw_test_response_free);

  /* a status read from anywhere, but not shared with the foreign page */
  response = request (session, server, "GET", "/status", evil, NULL);
  rw_test_check (response->status == 200 &&
      header (response, "Access-Control-Allow-Origin") == NULL,
      "GET /status from http://evil.example: HTTP %u, Allow-Origin %s",
      response->status, header (response, "Access-Control-Allow-Origin"));
  g_clear_pointer (&response, rw_test_response_free);

  /* the allowed origin, named exactly, never "*" */
  response = request (session, server, "OPTIONS", "/offer", lab_preflight,
      NULL);
  rw_test_check (response->status == 204, "preflight from the lab: HTTP %u",
      response->status);
  g_assert_cmpstr (header (response, "Access-Control-Allow-Origin"), ==,
      "http://lab.example");
  rw_test_check (strstr (header (response, "Vary") ? header (response,
              "Vary") : "", "Origin") != NULL, "no Vary: Origin");
  rw_test_check (strstr (header (response, "Access-Control-Allow-Headers"),
          "Authorization") != NULL, "preflight: Allow-Headers %s",
      header (response, "Access-Control-Allow-Headers"));
  g_clear_pointer (&response, rw_test_response_free);

  /* its errors are readable by the page */
  response = request (session, server, "POST", "/offer", lab, body);
  expect_error (response, "bad offer from the lab", 400, "offer");
  g_assert_cmpstr (header (response, "Access-Control-Allow-Origin"), ==,
      "http://lab.example");
  rw_test_check (strstr (header (response, "Access-Control-Expose-Headers"),
          "WWW-Authenticate") != NULL, "Expose-Headers: %s",
      header (response, "Access-Control-Expose-Headers"));
  g_clear_pointer (&response, rw_test_response_free);

  /* the server's own page is always allowed */
  own = g_strdup (rw_test_server_get_url (server));
  {
    const gchar *same[] = { "Origin", own, NULL };

    response = request (session, server, "POST", "/offer", same, body);
    expect_error (response, "offer from the server's own page", 400, "offer");
    g_clear_pointer (&response, rw_test_response_free);
  }
  rw_test_daemon_stop (server, 3000);
}

/* --- /daemon/https --- */

static void
test_https (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (SoupSession) untrusting = rw_test_session_new ();
  g_autoptr (GTlsDatabase) ca = NULL;
  g_autoptr (RwTestResponse) response = NULL;
  g_autoptr (JsonNode) status = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *openssl = g_find_program_in_path ("openssl");
  g_autofree gchar *dir = NULL;
  g_autofree gchar *secret = NULL;
  g_autofree gchar *ca_file = NULL;
  g_autofree gchar *cert = NULL;
  g_autofree gchar *key = NULL;
  g_autofree gchar *token = mint ("alice", 60, TEST_ROBOT);
  g_autofree gchar *plain = NULL;
  RwTestViewer *viewer;

  if (openssl == NULL) {
    g_test_skip ("no openssl to make a test certificate (apt-get install "
        "openssl)");
    return;
  }
  secret = write_secret_file (&dir, TEST_SECRET, 0600);
  ca_file = g_build_filename (dir, "ca.pem", NULL);
  cert = g_build_filename (dir, "cert.pem", NULL);
  key = g_build_filename (dir, "key.pem", NULL);
  g_assert_true (rw_test_make_certificates (dir, &error));
  g_assert_no_error (error);
  ca = g_tls_file_database_new (ca_file, &error);
  g_assert_no_error (error);
  soup_session_set_tls_database (session, ca);

  server = rw_test_daemon_start ("--tls-certificate", cert, "--tls-key", key,
      "--auth-secret-file", secret, "--robot-id", TEST_ROBOT,
      "--allow-origin", "https://lab.example", "--width", "320", "--height",
      "240", NULL);
  rw_test_check (g_str_has_prefix (rw_test_server_get_url (server), "https://"),
      "the server prints %s", rw_test_server_get_url (server));
  rw_test_daemon_wait_streaming (session, server, 5000);
  status = get_status (session, server);
  rw_test_check (rw_test_json_get_boolean (status, "tls"),
      "/status: tls is not true");

  /* a client that does not trust the test CA gets no answer */
  {
    g_autofree gchar *url = rw_test_url (rw_test_server_get_url (server),
        "/status");
    g_autoptr (GError) tls_error = NULL;

    response = rw_test_http_request (untrusting, "GET", url, NULL, NULL,
        NULL, 5000, &tls_error);
    rw_test_check (response == NULL && tls_error != NULL,
        "an untrusted certificate was accepted");
    g_test_message ("without the test CA: %s", tls_error->message);
  }

  /* nor does plain HTTP on the HTTPS port */
  {
    g_autoptr (GError) http_error = NULL;

    plain = g_strconcat ("http://", rw_test_server_get_url (server) +
        strlen ("https://"), "/status", NULL);
    response = rw_test_http_request (session, "GET", plain, NULL, NULL, NULL,
        5000, &http_error);
    rw_test_check (response == NULL || response->status != 200,
        "plain HTTP on the HTTPS port: HTTP %u", response->status);
    g_clear_pointer (&response, rw_test_response_free);
  }

  /* a method the server does not implement: 501 over TLS too */
  {
    g_autofree gchar *url = rw_test_url (rw_test_server_get_url (server),
        "/status");

    response = rw_test_http_request (session, "BREW", url, NULL, NULL, NULL,
        5000, &error);
    g_assert_no_error (error);
    rw_test_check (response->status == 501 && response->json &&
        rw_test_json_get_string (response->json, "error"), "BREW over TLS: "
        "HTTP %u", response->status);
    g_clear_pointer (&response, rw_test_response_free);
  }

  /* the page's own origin is https: it may post (the token is checked
   * next: 401), the same host over http may not (403) */
  for (guint i = 0; i < 2; i++) {
    g_autofree gchar *url = rw_test_url (rw_test_server_get_url (server),
        "/offer");
    g_autofree gchar *origin = i == 0 ?
        g_strdup (rw_test_server_get_url (server)) :
        g_strconcat ("http://", rw_test_server_get_url (server) +
        strlen ("https://"), NULL);
    const gchar *headers[] = { "Origin", origin, NULL };
    g_autoptr (GBytes) body = g_bytes_new_static ("{}", 2);

    response = rw_test_http_request (session, "POST", url, headers,
        "application/json", body, 5000, &error);
    g_assert_no_error (error);
    rw_test_check (response->status == (i == 0 ? 401u : 403u), "POST /offer "
        "from %s: HTTP %u", origin, response->status);
    g_clear_pointer (&response, rw_test_response_free);
  }

  viewer = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_VP8, TRUE);
  rw_test_viewer_set_name (viewer, "https-viewer");
  rw_test_viewer_set_token (viewer, token);
  rw_test_viewer_set_tls_database (viewer, ca);
  rw_test_viewer_set_trickle (viewer, TRUE);
  start_and_wait_decoding (&viewer, 1, 10000);
  hangup_and_wait (viewer);
  wait_for_status (session, server, "viewers", 0, 3000);
  rw_test_viewer_free (viewer);
  rw_test_daemon_stop (server, 3000);

  for (guint i = 0; i < 7; i++) {
    const gchar *names[] = { "ca.pem", "ca.key", "ca.srl", "cert.pem",
      "cert.csr", "cert.ext", "key.pem"
    };
    g_autofree gchar *path = g_build_filename (dir, names[i], NULL);

    g_unlink (path);
  }
  g_unlink (secret);
  g_rmdir (dir);
}

/* --- /daemon/limits --- */

static void
test_rate_limit (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  guint ok = 0, limited = 0, retry_after = 0;
  const gchar *needles[] = { "WARNING", "too many", NULL };

  server = rw_test_daemon_start ("--rate-limit", "2", "--rate-burst", "4",
      "--width", "320", "--height", "240", NULL);
  /* polls that are turned away count as not ready yet */
  rw_test_daemon_wait_streaming (session, server, 8000);
  rw_test_pump_for (2100);

  for (guint i = 0; i < 10; i++) {
    g_autoptr (RwTestResponse) response = request (session, server, "GET",
        "/status", NULL, NULL);

    if (response->status == 200) {
      ok++;
      continue;
    }
    expect_error (response, "request over the limit", 429, "too many");
    retry_after = atoi (header (response, "Retry-After") ?
        header (response, "Retry-After") : "0");
    limited++;
  }
  g_test_message ("10 requests at once, 2/s and 4 at once allowed: %u "
      "answered, %u refused (Retry-After: %u)", ok, limited, retry_after);
  rw_test_check (ok >= 4 && ok <= 5
      && limited >= 5, "%u answered, %u refused", ok, limited);
  rw_test_check (retry_after >= 1
      && retry_after <= 2, "Retry-After: %u", retry_after);

  /* after Retry-After, answered again */
  rw_test_pump_for (retry_after * 1000);
  {
    g_autoptr (RwTestResponse) response = request (session, server, "GET",
        "/status", NULL, NULL);

    rw_test_check (response->status == 200, "after Retry-After: HTTP %u",
        response->status);
  }
  rw_test_check (!rw_test_server_wait_for_stderr (server, needles, 10),
      "refusals were logged as warnings");
  rw_test_daemon_stop (server, 3000);
}

static void
test_body_and_handshake (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (RwTestResponse) response = NULL;
  g_autoptr (GString) big = g_string_new ("{\"type\": \"offer\", \"sdp\": \"");
  g_autofree gchar *body = offer_json (vp8_offer_sdp, "offer");
  const gchar *needles[] = { "did not connect within 2 s", NULL };
  gint64 answered;

  server =
      rw_test_daemon_start ("--max-body", "2048", "--handshake-timeout", "2",
      "--width", "320", "--height", "240", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);

  while (big->len < 3000)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}");
  response = request (session, server, "POST", "/offer", NULL, big->str);
  expect_error (response, "3000-byte body, --max-body 2048", 413, "2048");
  g_clear_pointer (&response, rw_test_response_free);

  /* an offer nobody will ever connect from: removed after 2 s */
  g_assert_cmpuint (strlen (body), <, 2048);
  response = request (session, server, "POST", "/offer", NULL, body);
  rw_test_check (response->status == 200, "offer: HTTP %u", response->status);
  answered = g_get_monotonic_time ();
  g_clear_pointer (&response, rw_test_response_free);
  wait_for_status (session, server, "viewers", 1, 1000);
  wait_for_status (session, server, "viewers", 0, 5000);
  g_test_message ("the silent viewer was removed %" G_GINT64_FORMAT " ms "
      "after its answer", (g_get_monotonic_time () - answered) / 1000);
  rw_test_check (g_get_monotonic_time () - answered >
      1500 * G_TIME_SPAN_MILLISECOND,
      "the viewer was removed before the handshake timeout");
  rw_test_check (rw_test_server_wait_for_stderr (server, needles, 1000),
      "no log line with the handshake timeout's reason");
  rw_test_daemon_stop (server, 3000);
}

/* --- /daemon/sigterm-*: SIGTERM at any time stops the daemon cleanly --- */

#define SIGTERM_EXIT_MS 2000

/* Sends SIGTERM and asserts that the daemon exits by itself with status 0,
 * within SIGTERM_EXIT_MS and with no CRITICAL logged. Returns how long it
 * took, signal to exit, in ms. */
static gdouble
sigterm_and_check (RwTestServer * server, const gchar * what)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *err = NULL;
  gint status = -1;
  gint64 sent;
  gdouble ms;
  gboolean ok;

  sent = g_get_monotonic_time ();
  ok = rw_test_server_stop_with (server, SIGTERM, SIGTERM_EXIT_MS, &status,
      &error);
  ms = rw_test_server_get_exit_time (server) ?
      (rw_test_server_get_exit_time (server) - sent) / 1000.0 : -1;
  g_test_message ("%s: exit status %d, %.1f ms after SIGTERM", what, status,
      ms);
  rw_test_check (ok && error == NULL, "%s: %s", what,
      error ? error->message : "not a clean exit");
  g_assert_cmpint (status, ==, 0);
  rw_test_check (ms >= 0 && ms < SIGTERM_EXIT_MS, "%s: exited %.1f ms after "
      "SIGTERM", what, ms);
  err = rw_test_server_dup_stderr (server);
  rw_test_check (strstr (err, "CRITICAL") == NULL, "%s: the daemon logged a "
      "CRITICAL:\n%s", what, err);
  return ms;
}

/* Whether process @pid has a handler for @signum now (/proc/PID/status,
 * SigCgt). */
static gboolean
signal_caught (const gchar * pid, gint signum)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    if (g_str_has_prefix (lines[i], "SigCgt:"))
      return (g_ascii_strtoull (lines[i] + strlen ("SigCgt:"), NULL, 16) >>
          (signum - 1)) & 1;
  }
  return FALSE;
}

/* A SIGTERM while the daemon starts (before, during and after it sets up
 * its pipeline and listens) is taken: the daemon exits 0 within 2 s, never
 * runs on, never dies of the signal. Each delay counts from the spawn. The
 * signal is handled once the main loop runs, so the exit time includes
 * the rest of the start-up.
 *
 * One window is out of the daemon's hands: from exec to the first line of
 * main (), where the handlers are installed, SIGTERM has its default
 * action and kills the process. That takes 3-6 ms here, and over 10 ms on
 * a loaded machine, so a 10 ms delay can land in it. Which side of it the
 * signal landed on is read from /proc/PID/status (SigCgt) just before it
 * is sent: a daemon that had its handler must exit 0; one that had not
 * yet may be killed by it, and the run is reported as such. */
static void
test_sigterm_early (void)
{
  static const guint delays_ms[] = { 10, 50, 200 };
  const gchar *args[] = { "--width", "320", "--height", "240", NULL };
  g_autoptr (GString) summary = g_string_new (NULL);
  guint pre_main = 0;

  for (guint d = 0; d < G_N_ELEMENTS (delays_ms); d++) {
    g_string_append_printf (summary, "%s%u ms:", d ? "; " : "", delays_ms[d]);
    for (guint run = 0; run < 3; run++) {
      g_autoptr (RwTestServer) server = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree gchar *what = NULL;
      gint64 spawned, signalled, exited;
      gint status = -1;
      gboolean caught;

      spawned = g_get_monotonic_time ();
      server = rw_test_server_spawn (NULL, args, &error);
      g_assert_no_error (error);
      signalled = spawned + delays_ms[d] * G_TIME_SPAN_MILLISECOND;
      if (g_get_monotonic_time () < signalled)
        g_usleep (signalled - g_get_monotonic_time ());
      caught = signal_caught (rw_test_server_get_pid (server), SIGTERM);
      what = g_strdup_printf ("SIGTERM %.1f ms after the spawn (run %u, "
          "pid %s)", (g_get_monotonic_time () - spawned) / 1000.0, run + 1,
          rw_test_server_get_pid (server));

      /* 200 ms is far past main ()'s first line, even under a sanitizer
       * on a loaded machine: that run tests the handler */
      rw_test_check (caught || delays_ms[d] < 200, "%s: no SIGTERM handler "
          "yet", what);
      if (caught) {
        g_string_append_printf (summary, " %.1f",
            sigterm_and_check (server, what));
        continue;
      }

      /* before main (): killed by the signal, or exits 0 if its handler
       * came first after all; either way at once */
      signalled = g_get_monotonic_time ();
      rw_test_server_stop_with (server, SIGTERM, SIGTERM_EXIT_MS, &status,
          NULL);
      exited = rw_test_server_get_exit_time (server);
      rw_test_check (exited > 0 && exited - signalled < SIGTERM_EXIT_MS *
          G_TIME_SPAN_MILLISECOND, "%s, before its handler: it ran on", what);
      g_test_message ("%s: before main () installed the handler; %s, %.1f "
          "ms after SIGTERM", what, status == 0 ? "exit status 0" :
          "killed by it", (exited - signalled) / 1000.0);
      g_string_append_printf (summary, " %.1f (before main)",
          (exited - signalled) / 1000.0);
      pre_main++;
    }
  }
  g_test_message ("exit times after SIGTERM, by delay from the spawn (ms): "
      "%s", summary->str);
  g_test_message ("%u of 9 SIGTERMs came before main () installed the "
      "handler", pre_main);
}

/* The SIGTERM handler is the daemon's first act: it is there before the
 * daemon reads the GStreamer registry (gst_init () in the option parsing),
 * so that the window in which SIGTERM kills it is exec to main () alone.
 * An order, not a time: the registry's opening is seen with inotify, and
 * SigCgt read then. */
static void
test_sigterm_handler_first (void)
{
  const gchar *registry = g_getenv ("GST_REGISTRY_1_0");
  const gchar *args[] = { "--width", "320", "--height", "240", NULL };
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (GError) error = NULL;
  struct inotify_event event;
  struct pollfd pfd = { 0 };
  gboolean caught;
  gint fd;

  if (registry == NULL || !g_file_test (registry, G_FILE_TEST_IS_REGULAR)) {
    g_test_skip ("no GST_REGISTRY_1_0 file to watch");
    return;
  }
  fd = inotify_init1 (IN_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (inotify_add_watch (fd, registry, IN_OPEN), >=, 0);

  server = rw_test_server_spawn (NULL, args, &error);
  g_assert_no_error (error);
  pfd.fd = fd;
  pfd.events = POLLIN;
  rw_test_check (poll (&pfd, 1, 10000) == 1, "the daemon did not open %s "
      "within 10 s", registry);
  caught = signal_caught (rw_test_server_get_pid (server), SIGTERM);
  g_assert_cmpint (read (fd, &event, sizeof (event)), >=, sizeof (event));
  close (fd);
  rw_test_check (caught, "the daemon read the GStreamer registry before it "
      "had a SIGTERM handler: a SIGTERM then would kill it");
  sigterm_and_check (server, "SIGTERM as the daemon reads the registry");
}

/* [media] of the config file: the test pattern (no camera 9) in @codec at
 * 320x240. */
static void
write_media_config (const gchar * path, const gchar * codec)
{
  g_autofree gchar *text = g_strdup_printf ("[media]\ncamera = 9\n"
      "codec = %s\nwidth = 320\nheight = 240\n", codec);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static gchar *
new_config_file (void)
{
  g_autoptr (GError) error = NULL;
  gchar *path = NULL;
  gint fd;

  fd = g_file_open_tmp ("rw-sigterm-XXXXXX.conf", &path, &error);
  g_assert_no_error (error);
  close (fd);
  return path;
}

static void
send_signal (RwTestServer * server, gint signum)
{
  g_assert_cmpint (kill (atoi (rw_test_server_get_pid (server)), signum),
      ==, 0);
}

typedef struct
{
  RwTestServer *server;
  const gchar *needle;
  guint count;
} LineCount;

static guint
count_stderr_lines (RwTestServer * server, const gchar * needle)
{
  g_autofree gchar *err = rw_test_server_dup_stderr (server);
  g_auto (GStrv) lines = g_strsplit (err, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i]; i++)
    n += strstr (lines[i], needle) != NULL;
  return n;
}

static gboolean
has_lines (gpointer data)
{
  LineCount *c = data;

  return count_stderr_lines (c->server, c->needle) >= c->count;
}

/* Waits (bounded) until the daemon's stderr has @count lines with
 * @needle. */
static void
wait_for_lines (RwTestServer * server, const gchar * needle, guint count,
    guint timeout_ms)
{
  LineCount c = { server, needle, count };

  rw_test_check (rw_test_pump_until (has_lines, &c, timeout_ms),
      "%u line(s) with '%s' in the daemon's log after %u ms, not %u",
      count_stderr_lines (server, needle), needle, timeout_ms, count);
}

/* Where the SIGTERM landed: before the restart began, during it (before
 * "restarted"), or after it. */
static const gchar *
describe_order (RwTestServer * server)
{
  g_autofree gchar *err = rw_test_server_dup_stderr (server);
  const gchar *restarting = strstr (err, "restarting the media pipeline");
  const gchar *restarted = strstr (err, "media pipeline restarted");
  const gchar *quit = strstr (err, "shutting down");

  if (quit == NULL)
    return "no 'shutting down' line";
  if (restarting == NULL || quit < restarting)
    return "the SIGTERM was handled before the restart began";
  if (restarted == NULL || quit < restarted)
    return "the SIGTERM was handled while the pipeline restarted";
  return "the SIGTERM was handled after the restart";
}

/* The daemon from @path, streaming. */
static RwTestServer *
start_streaming (const gchar * path, SoupSession * session)
{
  RwTestServer *server = rw_test_daemon_start ("--config", path, NULL);

  rw_test_daemon_wait_streaming (session, server, 10000);
  return server;
}

/* SIGTERM while a new codec restarts the media pipeline: at once after the
 * SIGHUP, 30 ms after it, and while a second restart follows the first. */
static void
test_sigterm_restart (void)
{
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autofree gchar *path = new_config_file ();
  static const guint delays_ms[] = { 0, 30 };
  const gchar *restarted = "media pipeline restarted";

  for (guint d = 0; d < G_N_ELEMENTS (delays_ms); d++) {
    g_autoptr (RwTestServer) server = NULL;
    g_autofree gchar *what = NULL;

    write_media_config (path, "vp8");
    server = start_streaming (path, session);
    write_media_config (path, "h264");
    send_signal (server, SIGHUP);
    if (delays_ms[d])
      g_usleep (delays_ms[d] * G_TIME_SPAN_MILLISECOND);
    what = g_strdup_printf ("SIGHUP (vp8 -> h264), SIGTERM %u ms later",
        delays_ms[d]);
    sigterm_and_check (server, what);
    g_test_message ("%s: %s", what, describe_order (server));
  }

  /* a second restart right after the first */
  {
    g_autoptr (RwTestServer) server = NULL;
    g_autofree gchar *err = NULL;
    g_auto (GStrv) lines = NULL;

    write_media_config (path, "vp8");
    server = start_streaming (path, session);
    write_media_config (path, "h264");
    send_signal (server, SIGHUP);
    wait_for_lines (server, restarted, 1, 10000);
    write_media_config (path, "vp8");
    send_signal (server, SIGHUP);
    g_usleep (100 * G_TIME_SPAN_MILLISECOND);
    sigterm_and_check (server, "SIGHUP h264, restarted, SIGHUP vp8, SIGTERM "
        "100 ms later");
    /* what the daemon did, for the record: a codec change of the camera
     * settings restarts at once (rw_stream_reload () forgets the last
     * restart), and a SIGHUP before the restarted stream has caps swaps
     * the source instead of restarting */
    err = rw_test_server_dup_stderr (server);
    lines = g_strsplit (err, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
      if (strstr (lines[i], "robot-webrtc-") && !strstr (lines[i], "tokens"))
        g_test_message ("log: %s", lines[i]);
    }
  }
  g_unlink (path);
}

/* A configured pipeline (not the camera) whose codec changes restarts the
 * media once its new source has a frame; a second such restart within
 * 10 s of the first waits (500 ms, then more). SIGTERM in that wait. */
static void
test_sigterm_restart_backoff (void)
{
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autofree gchar *path = new_config_file ();
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *vp8 = "[media]\npipeline = videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "vp8enc deadline=1 cpu-used=8\n";
  const gchar *h264 = "[media]\npipeline = videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast ! "
      "video/x-h264,profile=constrained-baseline,stream-format=byte-stream ! "
      "identity\n";
  const gchar *backoff[] = { "restarting the media pipeline in 500 ms",
    NULL
  };

  g_file_set_contents (path, vp8, -1, &error);
  g_assert_no_error (error);
  server = start_streaming (path, session);

  g_file_set_contents (path, h264, -1, &error);
  g_assert_no_error (error);
  send_signal (server, SIGHUP);
  wait_for_lines (server, "media pipeline restarted", 1, 10000);

  g_file_set_contents (path, vp8, -1, &error);
  g_assert_no_error (error);
  send_signal (server, SIGHUP);
  rw_test_check (rw_test_server_wait_for_stderr (server, backoff, 10000),
      "the second restart did not wait 500 ms");
  g_usleep (100 * G_TIME_SPAN_MILLISECOND);
  sigterm_and_check (server, "SIGTERM 100 ms into a 500 ms restart backoff");
  g_unlink (path);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  rw_test_quiet_gio_debug ();
  gst_init (&argc, &argv);
  if (g_getenv ("RW_TEST_SERVER_LOG") == NULL)
    g_setenv ("RW_TEST_SERVER_LOG", "1", TRUE);

  g_test_add_func ("/daemon/three-viewers", test_three_viewers);
  g_test_add_func ("/daemon/h264", test_h264);
  g_test_add_func ("/daemon/gop-cache", test_gop_cache);
  g_test_add_func ("/daemon/http-errors", test_http_errors);
  g_test_add_func ("/daemon/no-camera", test_no_camera);
  g_test_add_func ("/daemon/config-pipeline", test_config_pipeline);
  g_test_add_func ("/daemon/auth", test_auth);
  g_test_add_func ("/daemon/snapshot", test_snapshot);
  g_test_add_func ("/daemon/auth-bad-secret", test_auth_bad_secret);
  g_test_add_func ("/daemon/turn-bad-settings", test_turn_bad_settings);
  g_test_add_func ("/daemon/origins", test_origins);
  g_test_add_func ("/daemon/https", test_https);
  g_test_add_func ("/daemon/rate-limit", test_rate_limit);
  g_test_add_func ("/daemon/body-and-handshake", test_body_and_handshake);
  g_test_add_func ("/daemon/sigterm-handler-first", test_sigterm_handler_first);
  g_test_add_func ("/daemon/sigterm-early", test_sigterm_early);
  g_test_add_func ("/daemon/sigterm-restart", test_sigterm_restart);
  g_test_add_func ("/daemon/sigterm-restart-backoff",
      test_sigterm_restart_backoff);
  /* A sanitized build's plugin cannot load into gst-launch-1.0: the
   * sanitized suite leaves RW_GST_LAUNCH unset. */
  if (g_getenv ("RW_GST_LAUNCH")) {
    g_test_add_func ("/launch/sigint", test_launch_sigint);
    g_test_add_func ("/launch/eos", test_launch_eos);
  }

  if (g_getenv ("RW_SERVER") == NULL) {
    g_printerr ("RW_SERVER is not set: skipping (it names the "
        "robot-webrtc-server binary)\n");
    return 77;
  }
  return g_test_run ();
}

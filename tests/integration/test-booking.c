/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Access that ends with the booking, against the real daemon ($RW_SERVER)
 * on 127.0.0.1 with viewer tokens and the in-process webrtcbin viewer: a
 * session ends at its token's exp (its frames stop within a second of it,
 * /status drops it, the token opens no other), and the backend's
 * POST /revoke ends a user's sessions at once, not another user's, and
 * refuses that user's older tokens. Token times are whole seconds: the
 * test takes exp as the second it names, and the frames' times as the
 * real clock. Every wait is bounded. */

#include <gst/gst.h>
#include <glib/gstdio.h>
#include <string.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

#define TEST_SECRET "robot-webrtc booking test secret, 40 bytes+"
#define TEST_ROBOT "robot-booking"
#define PLAY_TIMEOUT_MS 10000
/* frames must stop within this of the session's end */
#define STOP_WITHIN_MS 1000

typedef struct
{
  gchar *dir;
  gchar *secret;
  RwTestServer *server;
  SoupSession *session;
} Fixture;

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("rw-booking-XXXXXX", &error);
  g_assert_no_error (error);
  f->secret = g_build_filename (f->dir, "secret", NULL);
  g_assert_true (g_file_set_contents (f->secret, TEST_SECRET "\n", -1, NULL));
  g_assert_cmpint (g_chmod (f->secret, 0600), ==, 0);

  f->session = rw_test_session_new ();
  f->server = rw_test_daemon_start ("--auth-secret-file", f->secret,
      "--robot-id", TEST_ROBOT, "--rate-limit", "0", "--width", "320",
      "--height", "240", NULL);
  rw_test_daemon_wait_streaming (f->session, f->server, 5000);
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  rw_test_daemon_stop (f->server, 3000);
  g_clear_object (&f->session);
  g_unlink (f->secret);
  g_rmdir (f->dir);
  g_free (f->secret);
  g_free (f->dir);
}

/* --- helpers --- */

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static gchar *
mint (const gchar * sub, gint64 exp, gint64 iat, const gchar * extra)
{
  g_autofree gchar *claims = g_strdup_printf ("{\"aud\": \"" TEST_ROBOT
      "\", \"sub\": \"%s\", \"exp\": %" G_GINT64_FORMAT ", \"iat\": %"
      G_GINT64_FORMAT "%s%s}", sub, exp, iat, extra ? ", " : "",
      extra ? extra : "");

  return rw_test_mint_token (TEST_SECRET, claims);
}

static RwTestViewer *
viewer_new (Fixture * f, const gchar * name, const gchar * token)
{
  RwTestViewer *viewer = rw_test_viewer_new (rw_test_server_get_url
      (f->server), RW_TEST_VIEWER_VP8, TRUE);

  rw_test_viewer_set_name (viewer, name);
  rw_test_viewer_set_token (viewer, token);
  return viewer;
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
    if (rw_test_viewer_get_state (set->viewers[i]) == RW_TEST_VIEWER_FAILED)
      return TRUE;
    all = all && rw_test_viewer_is_connected (set->viewers[i]) &&
        rw_test_viewer_get_frames (set->viewers[i]) > 0;
  }
  return all;
}

static void
start_and_wait_decoding (RwTestViewer ** viewers, guint n)
{
  ViewerSet set = { viewers, n };

  for (guint i = 0; i < n; i++) {
    g_autoptr (GError) error = NULL;

    g_assert_true (rw_test_viewer_start (viewers[i], &error));
    g_assert_no_error (error);
  }
  rw_test_pump_until (all_decoding_or_one_failed, &set, PLAY_TIMEOUT_MS);
  for (guint i = 0; i < n; i++)
    rw_test_check (rw_test_viewer_is_connected (viewers[i]) &&
        rw_test_viewer_get_frames (viewers[i]) > 0, "%s: not decoding "
        "within %u ms: state %s, %s", rw_test_viewer_get_name (viewers[i]),
        PLAY_TIMEOUT_MS, rw_test_viewer_state_to_string
        (rw_test_viewer_get_state (viewers[i])),
        rw_test_viewer_get_error (viewers[i]));
}

/* Each viewer's last frame, by the real clock, while the main context is
 * pumped until a time. */
typedef struct
{
  RwTestViewer **viewers;
  guint n;
  guint64 frames[4];
  gint64 last_frame[4];         /* µs since the epoch */
  gint64 until;                 /* µs since the epoch */
} FrameWatch;

static gboolean
watch_frames (gpointer data)
{
  FrameWatch *watch = data;
  gint64 now = g_get_real_time ();

  for (guint i = 0; i < watch->n; i++) {
    guint64 frames = rw_test_viewer_get_frames (watch->viewers[i]);

    if (frames != watch->frames[i]) {
      watch->frames[i] = frames;
      watch->last_frame[i] = now;
    }
  }
  return now >= watch->until;
}

static void
watch_frames_until (FrameWatch * watch, gint64 until)
{
  g_assert_cmpuint (watch->n, <=, G_N_ELEMENTS (watch->frames));
  for (guint i = 0; i < watch->n; i++) {
    watch->frames[i] = rw_test_viewer_get_frames (watch->viewers[i]);
    watch->last_frame[i] = g_get_real_time ();
  }
  watch->until = until;
  g_assert_true (rw_test_pump_until (watch_frames, watch,
          (until - g_get_real_time ()) / 1000 + 5000));
}

/* The viewer's frames stopped within STOP_WITHIN_MS after @end (µs since
 * the epoch), and not more than one frame interval and a jitter buffer
 * before it. Returns how long after. */
static gint64
assert_stopped_at (FrameWatch * watch, guint i, gint64 end, const gchar * what)
{
  gint64 after_ms = (watch->last_frame[i] - end) / 1000;

  g_test_message ("%s: last frame %" G_GINT64_FORMAT " ms after %s",
      rw_test_viewer_get_name (watch->viewers[i]), after_ms, what);
  rw_test_check (after_ms <= STOP_WITHIN_MS, "%s: frames went on %"
      G_GINT64_FORMAT " ms after %s", rw_test_viewer_get_name
      (watch->viewers[i]), after_ms, what);
  rw_test_check (after_ms >= -500, "%s: frames stopped %" G_GINT64_FORMAT
      " ms before %s", rw_test_viewer_get_name (watch->viewers[i]),
      -after_ms, what);
  return after_ms;
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

static void
assert_viewers (Fixture * f, gint64 expected, RwTestViewer * gone)
{
  g_autoptr (JsonNode) status = NULL;
  gint64 last = -1;

  rw_test_check (rw_test_wait_for_status_int (f->session,
          rw_test_server_get_url (f->server), "viewers", expected, 2000,
          &last), "/status viewers is %" G_GINT64_FORMAT ", not %"
      G_GINT64_FORMAT, last, expected);
  status = rw_test_get_status (f->session, rw_test_server_get_url (f->server),
      3000, NULL);
  g_assert_nonnull (status);
  g_assert_cmpint (rw_test_json_get_int (status, "sessions", -1), ==, expected);
  if (gone)
    rw_test_check (!peer_listed (status, rw_test_viewer_get_peer_id (gone)),
        "/status still lists %s", rw_test_viewer_get_name (gone));
}

static gboolean
viewer_done (gpointer data)
{
  return rw_test_viewer_is_done (data);
}

/* A new viewer with @token is refused with 401 and @needle. */
static void
assert_offer_refused (Fixture * f, const gchar * token, const gchar * needle)
{
  RwTestViewer *viewer = viewer_new (f, "refused", token);
  g_autoptr (GError) error = NULL;

  g_assert_true (rw_test_viewer_start (viewer, &error));
  g_assert_no_error (error);
  rw_test_check (rw_test_pump_until (viewer_done, viewer, 5000),
      "the offer was not refused in 5 s");
  g_assert_cmpuint (rw_test_viewer_get_offer_status (viewer), ==, 401);
  rw_test_check (rw_test_viewer_get_error (viewer) &&
      strstr (rw_test_viewer_get_error (viewer), needle), "refused with '%s', "
      "not '%s'", rw_test_viewer_get_error (viewer), needle);
  rw_test_viewer_free (viewer);
}

static RwTestResponse *
post_revoke (Fixture * f, const gchar * token, const gchar * body)
{
  g_autofree gchar *url = rw_test_url (rw_test_server_get_url (f->server),
      "/revoke");
  g_autofree gchar *bearer = token ? g_strconcat ("Bearer ", token,
      NULL) : NULL;
  const gchar *headers[] = { "Authorization", bearer, NULL };
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr (GError) error = NULL;
  RwTestResponse *response = rw_test_http_request (f->session, "POST", url,
      token ? headers : NULL, "application/json", bytes,
      RW_TEST_HTTP_TIMEOUT_MS, &error);

  g_assert_no_error (error);
  return response;
}

/* --- /booking/expiry --- */

/* alice's token expires 3 to 4 s after her offer (exp is a whole second),
 * bob's in ten minutes: alice's frames stop at exp, bob's go on. */
static void
test_expiry (Fixture * f, gconstpointer data)
{
  gint64 exp = now_s () + 4;
  g_autofree gchar *alice = mint ("alice", exp, now_s (), NULL);
  g_autofree gchar *bob = mint ("bob", now_s () + 600, now_s (), NULL);
  RwTestViewer *viewers[2];
  FrameWatch watch = { viewers, 2 };
  const gchar *expired[] = { "the token of sub:alice expired (booking over)",
    NULL
  };
  const gchar *removed[] = { "removed: the token expired (booking over)",
    NULL
  };
  guint64 bob_frames;

  viewers[0] = viewer_new (f, "alice", alice);
  viewers[1] = viewer_new (f, "bob", bob);
  start_and_wait_decoding (viewers, 2);
  rw_test_check (g_get_real_time () < exp * G_USEC_PER_SEC - 500000,
      "the viewers took too long to start: exp is near");

  bob_frames = rw_test_viewer_get_frames (viewers[1]);
  watch_frames_until (&watch, (exp + 2) * G_USEC_PER_SEC);
  assert_stopped_at (&watch, 0, exp * G_USEC_PER_SEC, "exp");
  rw_test_check (rw_test_viewer_get_frames (viewers[1]) > bob_frames + 30 &&
      g_get_real_time () - watch.last_frame[1] < 500000, "bob's frames "
      "stopped too: %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT, bob_frames,
      rw_test_viewer_get_frames (viewers[1]));

  assert_viewers (f, 1, viewers[0]);
  rw_test_check (rw_test_server_wait_for_stderr (f->server, expired, 2000) &&
      rw_test_server_wait_for_stderr (f->server, removed, 2000),
      "the log does not say why alice's session ended");

  /* the token is still within the clock skew, but the booking is over:
   * what the viewer page shows when it tries to reconnect */
  assert_offer_refused (f, alice, "booking over");

  for (guint i = 0; i < 2; i++)
    rw_test_viewer_free (viewers[i]);
}

/* --- /booking/revoke --- */

/* Two sessions of alice and one of carol: revoking alice ends hers at
 * once, and her older token opens no other; a newer one does. */
static void
test_revoke (Fixture * f, gconstpointer data)
{
  g_autofree gchar *alice = mint ("alice", now_s () + 600, now_s (), NULL);
  g_autofree gchar *carol = mint ("carol", now_s () + 600, now_s (), NULL);
  g_autofree gchar *admin = mint ("lab-backend", now_s () + 60, now_s (),
      "\"scope\": \"robot-admin\"");
  g_autofree gchar *fresh = NULL;
  g_autoptr (RwTestResponse) response = NULL;
  RwTestViewer *viewers[3];
  FrameWatch watch = { viewers, 3 };
  RwTestViewer *again;
  gint64 revoked;
  guint64 carol_frames;

  viewers[0] = viewer_new (f, "alice-1", alice);
  viewers[1] = viewer_new (f, "alice-2", alice);
  viewers[2] = viewer_new (f, "carol", carol);
  start_and_wait_decoding (viewers, 3);

  /* not without the admin scope, nor without a token */
  response = post_revoke (f, alice, "{\"sub\": \"alice\"}");
  g_assert_cmpuint (response->status, ==, 403);
  g_clear_pointer (&response, rw_test_response_free);
  response = post_revoke (f, NULL, "{\"sub\": \"alice\"}");
  g_assert_cmpuint (response->status, ==, 401);
  g_clear_pointer (&response, rw_test_response_free);
  response = post_revoke (f, admin, "{\"user\": \"alice\"}");
  g_assert_cmpuint (response->status, ==, 400);
  g_clear_pointer (&response, rw_test_response_free);

  /* the frames counted from the moment the revocation is sent: an upper
   * bound of when they stopped */
  carol_frames = rw_test_viewer_get_frames (viewers[2]);
  revoked = g_get_real_time ();
  response = post_revoke (f, admin, "{\"sub\": \"alice\"}");
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (rw_test_json_get_string (response->json, "status"), ==,
      "revoked");
  g_assert_cmpint (rw_test_json_get_int (response->json, "closed", -1), ==, 2);

  watch_frames_until (&watch, g_get_real_time () + 2 * G_USEC_PER_SEC);
  assert_stopped_at (&watch, 0, revoked, "POST /revoke");
  assert_stopped_at (&watch, 1, revoked, "POST /revoke");
  rw_test_check (rw_test_viewer_get_frames (viewers[2]) > carol_frames + 30 &&
      g_get_real_time () - watch.last_frame[2] < 500000, "carol's frames "
      "stopped too");
  assert_viewers (f, 1, viewers[0]);

  assert_offer_refused (f, alice, "the token was revoked");

  /* a token issued after the revocation (iat: the next whole second after
   * its answer) */
  fresh = mint ("alice", now_s () + 600, now_s () + 1, NULL);
  again = viewer_new (f, "alice-again", fresh);
  start_and_wait_decoding (&again, 1);
  assert_viewers (f, 2, NULL);

  rw_test_viewer_free (again);
  for (guint i = 0; i < 3; i++)
    rw_test_viewer_free (viewers[i]);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  rw_test_quiet_gio_debug ();

  g_test_add ("/booking/expiry", Fixture, NULL, fixture_setup, test_expiry,
      fixture_teardown);
  g_test_add ("/booking/revoke", Fixture, NULL, fixture_setup, test_revoke,
      fixture_teardown);
  return g_test_run ();
}

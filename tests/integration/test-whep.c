/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* WHEP against the real robot-webrtc-server ($RW_SERVER) on 127.0.0.1,
 * with in-process webrtcbin viewers (RwTestViewer) in WHEP mode beside
 * JSON ones: a complete offer and one posted before gathering with its
 * candidates trickled in PATCHes decode frames; the time to first frame of
 * each protocol, sequentially, medians printed; DELETE removes the viewer
 * at once; an ICE restart PATCH gets 422 and the session plays on; the
 * media side's refusals (no codec we send) as statuses; tokens, with
 * PATCH and DELETE refused to another owner. Every wait is bounded. Set
 * RW_TEST_SERVER_LOG=0 to silence the daemon's stderr. */

#include <gst/gst.h>
#include <glib/gstdio.h>
#include <string.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

#define TEST_SECRET "whep integration test secret, more than 32 bytes"
#define ROUNDS 5

#define FINGERPRINT "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:" \
    "6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n"

/* H264 only, to a VP8 stream */
static const gchar h264_offer_sdp[] =
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\n"
    "c=IN IP4 0.0.0.0\r\na=ice-ufrag:Zx9q\r\n"
    "a=ice-pwd:V1jOqPNbJ2YvOQ0J0TvJxCq8\r\n" FINGERPRINT
    "a=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\n";

typedef enum
{
  KIND_JSON,
  KIND_JSON_TRICKLE,
  KIND_WHEP,
  KIND_WHEP_TRICKLE,
  N_KINDS
} Kind;

static const gchar *kind_names[N_KINDS] = { "JSON", "JSON trickle", "WHEP",
  "WHEP trickle"
};

static RwTestViewer *
new_viewer (RwTestServer * server, Kind kind, const gchar * name)
{
  RwTestViewer *viewer = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_VP8, TRUE);

  rw_test_viewer_set_name (viewer, name);
  rw_test_viewer_set_whep (viewer, kind == KIND_WHEP ||
      kind == KIND_WHEP_TRICKLE);
  rw_test_viewer_set_trickle (viewer, kind == KIND_JSON_TRICKLE ||
      kind == KIND_WHEP_TRICKLE);
  return viewer;
}

static gboolean
decoding_or_failed (gpointer data)
{
  RwTestViewer *viewer = data;

  return rw_test_viewer_get_state (viewer) == RW_TEST_VIEWER_FAILED ||
      (rw_test_viewer_is_connected (viewer) &&
      rw_test_viewer_get_frames (viewer) > 0);
}

static void
start_and_wait_decoding (RwTestViewer * viewer, guint timeout_ms)
{
  g_autoptr (GError) error = NULL;

  rw_test_viewer_start (viewer, &error);
  g_assert_no_error (error);
  rw_test_pump_until (decoding_or_failed, viewer, timeout_ms);
  rw_test_check (rw_test_viewer_is_connected (viewer) &&
      rw_test_viewer_get_frames (viewer) > 0 &&
      rw_test_viewer_get_width (viewer) > 0, "%s: not decoding within %u ms "
      "(state %s): %s", rw_test_viewer_get_name (viewer), timeout_ms,
      rw_test_viewer_state_to_string (rw_test_viewer_get_state (viewer)),
      rw_test_viewer_get_error (viewer));
}

static gboolean
hangup_done (gpointer data)
{
  return rw_test_viewer_is_hangup_done (data);
}

static void
hangup_and_wait (RwTestViewer * viewer, guint expected)
{
  rw_test_viewer_hangup (viewer);
  rw_test_check (rw_test_pump_until (hangup_done, viewer, 3000),
      "%s: DELETE not answered in 3 s", rw_test_viewer_get_name (viewer));
  rw_test_check (rw_test_viewer_get_hangup_status (viewer) == expected,
      "%s: DELETE: HTTP %u, not %u: %s", rw_test_viewer_get_name (viewer),
      rw_test_viewer_get_hangup_status (viewer), expected,
      rw_test_viewer_get_error (viewer));
}

static gint64
get_viewers (SoupSession * session, RwTestServer * server)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status = rw_test_get_status (session,
      rw_test_server_get_url (server), 3000, &error);

  g_assert_no_error (error);
  return rw_test_json_get_int (status, "viewers", -1);
}

static gboolean
peer_listed (SoupSession * session, RwTestServer * server, const gchar * id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status = rw_test_get_status (session,
      rw_test_server_get_url (server), 3000, &error);
  JsonNode *peers;
  JsonArray *array;

  g_assert_no_error (error);
  peers = json_object_get_member (json_node_get_object (status), "peers");
  g_assert_true (peers && JSON_NODE_HOLDS_ARRAY (peers));
  array = json_node_get_array (peers);
  for (guint i = 0; i < json_array_get_length (array); i++) {
    if (g_strcmp0 (rw_test_json_get_string (json_array_get_element (array,
                    i), "peer_id"), id) == 0)
      return TRUE;
  }
  return FALSE;
}

static RwTestResponse *
request (SoupSession * session, const gchar * method, const gchar * url,
    const gchar * const *headers, const gchar * content_type,
    const gchar * body)
{
  g_autoptr (GBytes) bytes = body ? g_bytes_new (body, strlen (body)) : NULL;
  g_autoptr (GError) error = NULL;
  RwTestResponse *response = rw_test_http_request (session, method, url,
      headers, content_type, bytes, 5000, &error);

  g_assert_no_error (error);
  return response;
}

static void
expect_status (RwTestResponse * response, const gchar * what, guint status)
{
  g_autofree gchar *text = rw_test_response_dup_text (response);

  rw_test_check (response->status == status, "%s: HTTP %u, not %u: %s", what,
      response->status, status, text);
  g_test_message ("%s: HTTP %u %s", what, response->status, text);
}

static gint
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* --- /whep/viewers: both protocols at once, then DELETE --- */

static void
test_viewers (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  RwTestViewer *viewers[N_KINDS];
  gint64 deleted;

  server = rw_test_daemon_start ("--width", "640", "--height", "480",
      "--framerate", "30", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);

  for (guint k = 0; k < N_KINDS; k++) {
    viewers[k] = new_viewer (server, k, kind_names[k]);
    start_and_wait_decoding (viewers[k], 10000);
    g_test_message ("%s: first frame %" G_GINT64_FORMAT " ms after the POST",
        kind_names[k], rw_test_viewer_get_ttff_us (viewers[k]) / 1000);
  }
  g_assert_cmpint (get_viewers (session, server), ==, N_KINDS);
  for (guint k = 0; k < N_KINDS; k++)
    rw_test_check (peer_listed (session, server,
            rw_test_viewer_get_peer_id (viewers[k])), "%s: %s not in /status",
        kind_names[k], rw_test_viewer_get_peer_id (viewers[k]));
  g_assert_true (g_str_has_suffix (rw_test_viewer_get_location
          (viewers[KIND_WHEP]), rw_test_viewer_get_peer_id
          (viewers[KIND_WHEP])));

  /* the WHEP viewers hang up: gone at once; the others play on */
  hangup_and_wait (viewers[KIND_WHEP], SOUP_STATUS_OK);
  deleted = g_get_monotonic_time ();
  g_assert_cmpint (get_viewers (session, server), ==, N_KINDS - 1);
  g_test_message ("WHEP DELETE: the viewer was gone %" G_GINT64_FORMAT
      " ms after the 200", (g_get_monotonic_time () - deleted) / 1000);
  hangup_and_wait (viewers[KIND_WHEP_TRICKLE], SOUP_STATUS_OK);
  g_assert_cmpint (get_viewers (session, server), ==, N_KINDS - 2);
  {
    guint64 before = rw_test_viewer_get_frames (viewers[KIND_JSON]);

    rw_test_pump_for (1000);
    rw_test_check (rw_test_viewer_get_frames (viewers[KIND_JSON]) > before +
        15, "the JSON viewer stalled after the WHEP ones left");
  }

  for (guint k = 0; k < N_KINDS; k++) {
    if (k == KIND_JSON || k == KIND_JSON_TRICKLE)
      hangup_and_wait (viewers[k], SOUP_STATUS_OK);
    rw_test_viewer_free (viewers[k]);
  }
  g_assert_cmpint (get_viewers (session, server), ==, 0);
  rw_test_daemon_stop (server, 3000);
}

/* --- /whep/ttff: each protocol alone, ROUNDS times --- */

static void
test_ttff (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  GArray *ttff[N_KINDS];

  server = rw_test_daemon_start ("--width", "640", "--height", "480",
      "--framerate", "30", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);

  for (guint k = 0; k < N_KINDS; k++)
    ttff[k] = g_array_new (FALSE, FALSE, sizeof (gint64));
  /* interleaved, so that a slow moment of the machine hits every kind */
  for (guint round = 0; round < ROUNDS; round++) {
    for (guint k = 0; k < N_KINDS; k++) {
      g_autofree gchar *name = g_strdup_printf ("%s #%u", kind_names[k],
          round + 1);
      RwTestViewer *viewer = new_viewer (server, k, name);
      gint64 us;

      start_and_wait_decoding (viewer, 10000);
      us = rw_test_viewer_get_ttff_us (viewer);
      g_array_append_val (ttff[k], us);
      hangup_and_wait (viewer, SOUP_STATUS_OK);
      rw_test_viewer_free (viewer);
      /* the sink forces a keyframe per joiner at most every 500 ms
       * (keyframe-min-interval): the next one must not wait for it */
      rw_test_pump_for (1000);
    }
  }

  for (guint k = 0; k < N_KINDS; k++) {
    GString *all = g_string_new (NULL);
    gint64 mid;

    g_array_sort (ttff[k], compare_gint64);
    for (guint i = 0; i < ttff[k]->len; i++)
      g_string_append_printf (all, "%s%" G_GINT64_FORMAT, i ? " " : "",
          g_array_index (ttff[k], gint64, i) / 1000);
    mid = g_array_index (ttff[k], gint64, ttff[k]->len / 2);
    g_test_message ("TTFF %-12s median %4" G_GINT64_FORMAT " ms (POST to "
        "first decoded frame; all: %s ms)", kind_names[k], mid / 1000,
        all->str);
    /* a sanity bound: both protocols take the same media path */
    rw_test_check (mid < 3 * G_USEC_PER_SEC, "%s: median TTFF %" G_GINT64_FORMAT
        " ms", kind_names[k], mid / 1000);
    g_string_free (all, TRUE);
    g_array_unref (ttff[k]);
  }
  g_assert_cmpint (get_viewers (session, server), ==, 0);
  rw_test_daemon_stop (server, 3000);
}

/* --- /whep/errors: the media side's refusals, an ICE restart --- */

static void
test_errors (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  const gchar *base;
  RwTestViewer *viewer;

  server = rw_test_daemon_start ("--width", "320", "--height", "240", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);
  base = rw_test_server_get_url (server);

  /* no codec the stream sends: 400, naming the codec it sends */
  {
    g_autofree gchar *url = rw_test_url (base, "/whep");
    g_autoptr (RwTestResponse) response = request (session, "POST", url,
        NULL, "application/sdp", h264_offer_sdp);

    expect_status (response, "H264 offer to a VP8 stream", 400);
    g_assert_nonnull (strstr (rw_test_response_get_error (response), "VP8"));
  }
  {
    g_autofree gchar *url = rw_test_url (base, "/whep/main");
    g_autoptr (RwTestResponse) garbage = request (session, "POST", url, NULL,
        "application/sdp", "v=0\r\nthis is not SDP\r\n");
    g_autoptr (RwTestResponse) json = request (session, "POST", url, NULL,
        "application/json", "{\"sdp\": \"v=0\", \"type\": \"offer\"}");
    g_autofree gchar *nope_url = rw_test_url (base, "/whep/nope");
    g_autoptr (RwTestResponse) nope = request (session, "POST", nope_url,
        NULL, "application/sdp", h264_offer_sdp);

    expect_status (garbage, "not SDP", 400);
    expect_status (json, "JSON to /whep", 415);
    expect_status (nope, "an unknown stream", 404);
  }
  g_assert_cmpint (get_viewers (session, server), ==, 0);

  /* a real session: an ICE restart is refused and it plays on */
  viewer = new_viewer (server, KIND_WHEP_TRICKLE, "restarter");
  rw_test_viewer_set_stream (viewer, "main");
  start_and_wait_decoding (viewer, 10000);
  {
    const gchar *headers[] = { "If-Match", "*", NULL };
    g_autofree gchar *offer = rw_test_viewer_dup_offer_sdp (viewer);
    g_autofree gchar *fragment = NULL;
    g_autoptr (RwTestResponse) restart = NULL;
    const gchar *stale[] = { "If-Match", "\"stale\"", NULL };
    g_autoptr (RwTestResponse) precondition = NULL;
    const gchar *mid = strstr (offer, "a=mid:");
    guint64 before;

    /* the viewer's first m-line, with new credentials */
    g_assert_nonnull (mid);
    mid += strlen ("a=mid:");
    fragment = g_strdup_printf ("a=ice-ufrag:EsAw\r\n"
        "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:%.*s\r\n"
        "a=candidate:1 1 udp 2122260223 127.0.0.1 61764 typ host\r\n",
        (gint) strcspn (mid, "\r\n"), mid);
    restart = request (session, "PATCH", rw_test_viewer_get_location (viewer),
        headers, "application/trickle-ice-sdpfrag", fragment);
    precondition = request (session, "PATCH",
        rw_test_viewer_get_location (viewer), stale,
        "application/trickle-ice-sdpfrag", "a=end-of-candidates\r\n");

    expect_status (restart, "ICE restart", 422);
    expect_status (precondition, "stale If-Match", 412);
    before = rw_test_viewer_get_frames (viewer);
    rw_test_pump_for (1000);
    rw_test_check (rw_test_viewer_is_connected (viewer) &&
        rw_test_viewer_get_frames (viewer) > before + 15,
        "the session did not play on after the refused restart: %s",
        rw_test_viewer_get_error (viewer));
  }
  hangup_and_wait (viewer, SOUP_STATUS_OK);
  rw_test_viewer_free (viewer);
  g_assert_cmpint (get_viewers (session, server), ==, 0);
  rw_test_daemon_stop (server, 3000);
}

/* --- /whep/tokens --- */

static gchar *
mint (const gchar * sub)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree gchar *claims = g_strdup_printf ("{\"exp\":%" G_GINT64_FORMAT
      ",\"sub\":\"%s\"}", now + 60, sub);

  return rw_test_mint_token (TEST_SECRET, claims);
}

static void
test_tokens (void)
{
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("rw-whep-XXXXXX", &error);
  g_autofree gchar *secret = g_build_filename (dir, "secret", NULL);
  g_autofree gchar *alice = mint ("alice");
  g_autofree gchar *bob = mint ("bob");
  g_autofree gchar *bearer = g_strconcat ("Bearer ", bob, NULL);
  const gchar *as_bob[] = { "Authorization", bearer, NULL };
  RwTestViewer *viewer;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (secret, TEST_SECRET "\n", -1, NULL));
  g_assert_cmpint (g_chmod (secret, 0600), ==, 0);
  server = rw_test_daemon_start ("--auth-secret-file", secret, "--width",
      "320", "--height", "240", NULL);
  rw_test_daemon_wait_streaming (session, server, 5000);

  /* without a token: 401 */
  {
    g_autofree gchar *url = rw_test_url (rw_test_server_get_url (server),
        "/whep");

    g_autoptr (RwTestResponse) response = request (session, "POST", url,
        NULL, "application/sdp", h264_offer_sdp);

    expect_status (response, "no token", 401);
  }

  /* alice's viewer trickles and decodes; bob may neither trickle to nor
   * hang up her session */
  viewer = new_viewer (server, KIND_WHEP_TRICKLE, "alice");
  rw_test_viewer_set_token (viewer, alice);
  start_and_wait_decoding (viewer, 10000);
  {
    g_autoptr (RwTestResponse) patch = request (session, "PATCH",
        rw_test_viewer_get_location (viewer), as_bob,
        "application/trickle-ice-sdpfrag", "a=end-of-candidates\r\n");
    g_autoptr (RwTestResponse) hangup = request (session, "DELETE",
        rw_test_viewer_get_location (viewer), as_bob, NULL, NULL);

    expect_status (patch, "bob's PATCH", 403);
    expect_status (hangup, "bob's DELETE", 403);
  }
  g_assert_cmpint (get_viewers (session, server), ==, 1);
  hangup_and_wait (viewer, SOUP_STATUS_OK);
  rw_test_viewer_free (viewer);
  g_assert_cmpint (get_viewers (session, server), ==, 0);
  rw_test_daemon_stop (server, 3000);

  g_assert_cmpint (g_unlink (secret), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  rw_test_quiet_gio_debug ();

  g_test_add_func ("/whep/viewers", test_viewers);
  g_test_add_func ("/whep/ttff", test_ttff);
  g_test_add_func ("/whep/errors", test_errors);
  g_test_add_func ("/whep/tokens", test_tokens);
  return g_test_run ();
}

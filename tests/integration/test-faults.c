/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Faults of the video source, against the real daemon on 127.0.0.1.
 *
 * There is no camera on the test machines, so the source that fails on
 * demand is a network camera run by this process: VP8 over RTP over TCP
 * from a tcpserversink, which the daemon's configured pipeline reads with
 * tcpclientsrc. Stopping it closes the connection (the source ends),
 * pausing it stalls the stream, starting it again brings the source back.
 * A viewer watches throughout, and must keep its session and its frames. */

#include <gst/gst.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "test-utils.h"
#include "rw-test-viewer.h"

#define CAMERA_CAPS "application/x-rtp-stream,media=video,clock-rate=90000," \
  "encoding-name=VP8,payload=96"

/* Generous bounds for a loaded two-core machine; the measured times are
 * printed, and the targets are checked on those numbers. */
#define SWITCH_BOUND_MS 3000
#define RETURN_BOUND_MS 15000

typedef struct
{
  gchar *dir;
  gchar *config;
  GstElement *camera;
  RwTestServer *server;
  SoupSession *session;
  RwTestViewer *viewer;
} Fixture;

static GstElement *
camera_new (guint port)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *description = g_strdup_printf ("videotestsrc "
      "is-live=true pattern=ball ! video/x-raw,width=320,height=240,"
      "framerate=30/1 ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=15 ! "
      "rtpvp8pay ! rtpstreampay ! tcpserversink host=127.0.0.1 port=%u "
      "sync=false", port);
  GstElement *camera = gst_parse_launch (description, &error);

  g_assert_no_error (error);
  return camera;
}

static void
camera_set_state (GstElement * camera, GstState state)
{
  rw_test_check (gst_element_set_state (camera,
          state) != GST_STATE_CHANGE_FAILURE,
      "the test camera did not go to %s", gst_element_state_get_name (state));
}

static void
write_config (Fixture * f, const gchar * server, const gchar * pipeline)
{
  g_autofree gchar *conf = g_strdup_printf ("[server]\n%s\n[media]\n"
      "pipeline = %s\n", server, pipeline);

  g_assert_true (g_file_set_contents (f->config, conf, -1, NULL));
}

static void
fixture_start_with (Fixture * f, const gchar * server, const gchar * pipeline)
{
  g_autoptr (GError) error = NULL;
  const gchar *args[] = { "--config", NULL, NULL };

  f->dir = g_dir_make_tmp ("rw-faults-XXXXXX", &error);
  g_assert_no_error (error);
  f->config = g_build_filename (f->dir, "robot-webrtc.conf", NULL);
  write_config (f, server, pipeline);
  args[1] = f->config;

  f->server = rw_test_daemon_startv (args);
  f->session = rw_test_session_new ();
}

static void
fixture_start (Fixture * f, const gchar * pipeline)
{
  fixture_start_with (f, "", pipeline);
}

static void
fixture_stop (Fixture * f)
{
  if (f->viewer) {
    rw_test_viewer_hangup (f->viewer);
    rw_test_pump_for (200);
  }
  rw_test_daemon_stop (f->server, 3000);

  g_clear_pointer (&f->viewer, rw_test_viewer_free);
  g_clear_pointer (&f->server, rw_test_server_free);
  g_clear_object (&f->session);
  if (f->camera) {
    gst_element_set_state (f->camera, GST_STATE_NULL);
    gst_clear_object (&f->camera);
  }
  g_unlink (f->config);
  g_rmdir (f->dir);
  g_free (f->config);
  g_free (f->dir);
}

static JsonNode *
get_status (Fixture * f)
{
  g_autoptr (GError) error = NULL;
  JsonNode *status = rw_test_get_status (f->session,
      rw_test_server_get_url (f->server), 3000, &error);

  g_assert_no_error (error);
  return status;
}

/* Polls /status until source.state is @state; returns the milliseconds
 * it took, or fails the test after @timeout_ms. */
static gint64
wait_for_source_state (Fixture * f, const gchar * state, guint timeout_ms)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  g_autofree gchar *last = NULL;

  do {
    g_autoptr (JsonNode) status = get_status (f);

    g_free (last);
    last = g_strdup (rw_test_json_get_string (status, "source.state"));
    if (g_strcmp0 (last, state) == 0)
      return (g_get_monotonic_time () - start) / G_TIME_SPAN_MILLISECOND;
    rw_test_pump_for (25);
  } while (g_get_monotonic_time () < deadline);
  rw_test_check (FALSE, "source.state is \"%s\", not \"%s\", after %u ms", last,
      state, timeout_ms);
  return -1;
}

static gboolean
decoding (gpointer data)
{
  RwTestViewer *viewer = data;

  return rw_test_viewer_is_done (viewer) ||
      (rw_test_viewer_is_connected (viewer) &&
      rw_test_viewer_get_frames (viewer) >= 15);
}

static void
start_viewer_with (Fixture * f, RwTestViewerCodec codec)
{
  g_autoptr (GError) error = NULL;

  f->viewer = rw_test_viewer_new (rw_test_server_get_url (f->server), codec,
      TRUE);
  rw_test_viewer_set_name (f->viewer, "watcher");
  rw_test_viewer_start (f->viewer, &error);
  g_assert_no_error (error);
  rw_test_check (rw_test_pump_until (decoding, f->viewer, 15000) &&
      rw_test_viewer_is_connected (f->viewer), "the viewer is not decoding: "
      "state %s, %" G_GUINT64_FORMAT " frames, error %s",
      rw_test_viewer_state_to_string (rw_test_viewer_get_state (f->viewer)),
      rw_test_viewer_get_frames (f->viewer),
      rw_test_viewer_get_error (f->viewer));
}

static void
start_viewer (Fixture * f)
{
  start_viewer_with (f, RW_TEST_VIEWER_VP8);
}

/* The viewer keeps its session and decodes on: at least @min_fps over
 * @ms of watching. */
static void
check_viewer_watching (Fixture * f, guint ms, guint min_fps, const gchar * when)
{
  guint64 before = rw_test_viewer_get_frames (f->viewer);
  guint64 frames;

  rw_test_pump_for (ms);
  frames = rw_test_viewer_get_frames (f->viewer) - before;
  g_test_message ("%s: %" G_GUINT64_FORMAT " frames in %u ms", when, frames,
      ms);
  rw_test_check (rw_test_viewer_is_connected (f->viewer),
      "%s: the viewer is %s (%s)", when,
      rw_test_viewer_state_to_string (rw_test_viewer_get_state (f->viewer)),
      rw_test_viewer_get_error (f->viewer));
  rw_test_check (frames * 1000 >= (guint64) min_fps * ms,
      "%s: the viewer decoded " "%" G_GUINT64_FORMAT
      " frames in %u ms, under %u fps", when, frames, ms, min_fps);
}

static void
check_same_session (Fixture * f)
{
  g_autoptr (JsonNode) status = get_status (f);
  JsonArray *peers;

  g_assert_cmpint (rw_test_json_get_int (status, "viewers", -1), ==, 1);
  peers = json_object_get_array_member (json_node_get_object (status), "peers");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (peers, 0), "peer_id"), ==, rw_test_viewer_get_peer_id (f->viewer));
}

static gchar *
camera_pipeline (guint port)
{
  return g_strdup_printf ("tcpclientsrc host=127.0.0.1 port=%u "
      "do-timestamp=true ! " CAMERA_CAPS " ! rtpstreamdepay ! rtpvp8depay",
      port);
}

/* --- /faults/source-lost --- */

/* The camera goes away (its connection closes) and comes back; then it
 * stalls (no frame, connection open) and resumes. */
static void
test_source_lost (void)
{
  Fixture f = { 0 };
  guint port = rw_test_free_port ();
  g_autofree gchar *pipeline = camera_pipeline (port);
  g_autoptr (JsonNode) status = NULL;
  gint64 ms, gap;

  f.camera = camera_new (port);
  camera_set_state (f.camera, GST_STATE_PLAYING);
  fixture_start (&f, pipeline);
  wait_for_source_state (&f, "ok", 10000);
  start_viewer (&f);
  rw_test_viewer_take_max_gap_us (f.viewer);

  /* unplugged */
  camera_set_state (f.camera, GST_STATE_NULL);
  ms = wait_for_source_state (&f, "lost", SWITCH_BOUND_MS);
  g_test_message ("camera gone: the slate shows after %" G_GINT64_FORMAT
      " ms (polled every 25 ms)", ms);
  status = get_status (&f);
  g_assert_cmpstr (rw_test_json_get_string (status, "source.kind"), ==,
      "test-pattern");
  g_assert_nonnull (rw_test_json_get_string (status, "source.lost_since"));
  g_assert_nonnull (rw_test_json_get_string (status, "source.warning"));
  g_assert_cmpint (rw_test_json_get_int (status, "source.losses", -1), ==, 1);
  check_viewer_watching (&f, 2000, 20, "on the slate");
  check_same_session (&f);
  g_clear_pointer (&status, json_node_unref);
  status = get_status (&f);
  rw_test_check (rw_test_json_get_int (status, "source.retries", 0) >= 1,
      "no retry of the camera 2 s after it was lost");

  /* plugged in again */
  camera_set_state (f.camera, GST_STATE_PLAYING);
  ms = wait_for_source_state (&f, "ok", RETURN_BOUND_MS);
  g_test_message ("camera back: shown again after %" G_GINT64_FORMAT " ms", ms);
  g_clear_pointer (&status, json_node_unref);
  status = get_status (&f);
  g_assert_cmpstr (rw_test_json_get_string (status, "source.kind"), ==,
      "pipeline");
  g_assert_null (rw_test_json_get_string (status, "source.warning"));
  check_viewer_watching (&f, 1500, 20, "camera back");
  check_same_session (&f);

  /* stalled: the connection stays, the frames stop */
  camera_set_state (f.camera, GST_STATE_PAUSED);
  ms = wait_for_source_state (&f, "lost", SWITCH_BOUND_MS);
  g_test_message ("camera stalled: the slate shows after %" G_GINT64_FORMAT
      " ms", ms);
  check_viewer_watching (&f, 1000, 20, "on the slate after a stall");
  camera_set_state (f.camera, GST_STATE_PLAYING);
  ms = wait_for_source_state (&f, "ok", RETURN_BOUND_MS);
  g_test_message ("camera resumed: shown again after %" G_GINT64_FORMAT
      " ms", ms);
  check_viewer_watching (&f, 1000, 20, "camera resumed");
  check_same_session (&f);

  gap = rw_test_viewer_take_max_gap_us (f.viewer) / 1000;
  g_test_message ("longest gap between decoded frames through it all: %"
      G_GINT64_FORMAT " ms", gap);
  rw_test_check (gap < 1500,
      "the viewer went %" G_GINT64_FORMAT " ms without a " "frame", gap);
  g_clear_pointer (&status, json_node_unref);
  status = get_status (&f);
  g_assert_cmpint (rw_test_json_get_int (status, "source.losses", -1), ==, 2);
  g_assert_cmpint (rw_test_json_get_int (status, "source.restarts", -1), ==, 0);

  fixture_stop (&f);
}

/* --- /faults/source-error --- */

/* The configured pipeline errors every 45 frames: each time the slate
 * covers and the pipeline is rebuilt, the viewer watching on. */
static void
test_source_error (void)
{
  Fixture f = { 0 };
  g_autoptr (JsonNode) status = NULL;
  gint64 gap, losses;

  fixture_start (&f, "videotestsrc is-live=true ! video/x-raw,width=320,"
      "height=240,framerate=30/1 ! identity error-after=45 ! vp8enc "
      "deadline=1 cpu-used=8");
  wait_for_source_state (&f, "ok", 10000);
  start_viewer (&f);
  rw_test_viewer_take_max_gap_us (f.viewer);

  check_viewer_watching (&f, 6000, 20, "a pipeline that keeps failing");
  check_same_session (&f);
  gap = rw_test_viewer_take_max_gap_us (f.viewer) / 1000;
  status = get_status (&f);
  losses = rw_test_json_get_int (status, "source.losses", -1);
  g_test_message ("%" G_GINT64_FORMAT " errors in 6 s; longest gap %"
      G_GINT64_FORMAT " ms", losses, gap);
  rw_test_check (losses >= 2, "the pipeline failed only %" G_GINT64_FORMAT
      " times in 6 s", losses);
  rw_test_check (gap < 1500,
      "the viewer went %" G_GINT64_FORMAT " ms without a " "frame", gap);
  g_assert_cmpint (rw_test_json_get_int (status, "source.restarts", -1), ==, 0);
  rw_test_check (rw_test_server_is_running (f.server), "the daemon exited");

  fixture_stop (&f);
}

/* --- /faults/silent-viewer --- */

/* POSTs a real browser offer and never connects. */
static void
post_offer_and_vanish (Fixture * f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (RwTestResponse) response = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *sdp = NULL;
  g_autofree gchar *url = NULL;
  gchar *json;

  path = g_build_filename (g_getenv ("RW_FIXTURES"), "offers",
      "chromium-156-recvonly-complete.sdp", NULL);
  g_assert_true (g_file_get_contents (path, &sdp, NULL, &error));
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "offer");
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, sdp);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  url = rw_test_url (rw_test_server_get_url (f->server), "/offer");
  response = rw_test_http_request (f->session, "POST", url, NULL,
      "application/json", g_bytes_new_take (json, strlen (json)), 5000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
}

/* A viewer that posts its offer and never connects (ICE that never
 * completes, a closed tab) must not hold up the shared stream: webrtcbin
 * holds its input until connected, and the encoder's allocation query
 * used to wait behind it, freezing every viewer until the handshake
 * timeout. */
static void
test_silent_viewer (void)
{
  Fixture f = { 0 };

  fixture_start (&f, "videotestsrc is-live=true ! video/x-raw,width=320,"
      "height=240,framerate=30/1 ! vp8enc deadline=1 cpu-used=8");
  wait_for_source_state (&f, "ok", 10000);
  post_offer_and_vanish (&f);
  start_viewer (&f);
  rw_test_viewer_take_max_gap_us (f.viewer);
  post_offer_and_vanish (&f);
  check_viewer_watching (&f, 2000, 20, "beside two silent viewers");
  rw_test_check (rw_test_viewer_take_max_gap_us (f.viewer) < G_USEC_PER_SEC,
      "the watching viewer froze when a silent one joined");
  fixture_stop (&f);
}

/* --- /faults/reload --- */

#define SMALL_PIPELINE "videotestsrc is-live=true ! video/x-raw,width=%u," \
  "height=%u,framerate=30/1 ! vp8enc deadline=1 cpu-used=8"

static void
send_sighup (Fixture * f)
{
  g_assert_cmpint (kill (atoi (rw_test_server_get_pid (f->server)), SIGHUP),
      ==, 0);
}

static gboolean
has_width_160 (gpointer data)
{
  return rw_test_viewer_get_width (data) == 160;
}

/* SIGHUP reads the file again: new limits keep the viewers, a broken file
 * changes nothing, a new size keeps them too, and only a new codec
 * restarts the pipeline. */
static void
test_reload (void)
{
  Fixture f = { 0 };
  g_autofree gchar *pipeline = g_strdup_printf (SMALL_PIPELINE, 320, 240);
  g_autofree gchar *smaller = g_strdup_printf (SMALL_PIPELINE, 160, 120);
  const gchar *h264 = "videotestsrc is-live=true ! video/x-raw,width=160,"
      "height=120,framerate=30/1 ! x264enc tune=zerolatency "
      "speed-preset=ultrafast ! video/x-h264,profile=constrained-baseline,"
      "stream-format=byte-stream ! identity";
  const gchar *reloaded[] = { "settings reloaded", NULL };
  const gchar *refused[] = { "reload failed", "banana", NULL };
  g_autoptr (JsonNode) status = NULL;
  g_autofree gchar *url = NULL;
  gint64 last = -1;

  fixture_start_with (&f, "max-viewers = 5", pipeline);
  wait_for_source_state (&f, "ok", 10000);
  start_viewer (&f);
  rw_test_viewer_take_max_gap_us (f.viewer);
  url = g_strdup (rw_test_server_get_url (f.server));

  /* new limits, same media */
  write_config (&f, "max-viewers = 7", pipeline);
  send_sighup (&f);
  rw_test_check (rw_test_wait_for_status_int (f.session, url, "max_viewers", 7,
          5000, &last),
      "max_viewers is %" G_GINT64_FORMAT ", not 7, after SIGHUP", last);
  rw_test_check (rw_test_server_wait_for_stderr (f.server, reloaded, 1000),
      "no log line says the settings were reloaded");
  check_viewer_watching (&f, 1000, 20, "after a reload of the limits");
  check_same_session (&f);
  rw_test_check (rw_test_viewer_take_max_gap_us (f.viewer) < G_USEC_PER_SEC,
      "the viewer froze during the reload");
  status = get_status (&f);
  g_assert_cmpint (rw_test_json_get_int (status, "source.restarts", -1), ==, 0);

  /* a broken file: refused, the running settings stay */
  write_config (&f, "max-viewers = banana", pipeline);
  send_sighup (&f);
  rw_test_check (rw_test_server_wait_for_stderr (f.server, refused, 5000),
      "no log line refuses the broken file");
  g_clear_pointer (&status, json_node_unref);
  status = get_status (&f);
  g_assert_cmpint (rw_test_json_get_int (status, "max_viewers", -1), ==, 7);
  check_viewer_watching (&f, 500, 20, "after a refused reload");

  /* new media, same codec: the new source takes over, the viewer watches
   * on at the new size */
  write_config (&f, "max-viewers = 7", smaller);
  send_sighup (&f);
  rw_test_check (rw_test_pump_until (has_width_160, f.viewer, 10000),
      "the viewer still gets %dx%d after the size changed to 160x120",
      rw_test_viewer_get_width (f.viewer),
      rw_test_viewer_get_height (f.viewer));
  check_viewer_watching (&f, 1000, 20, "after the size changed");
  check_same_session (&f);
  rw_test_check (rw_test_viewer_take_max_gap_us (f.viewer) < G_USEC_PER_SEC,
      "the viewer froze while the media changed");
  g_clear_pointer (&status, json_node_unref);
  status = get_status (&f);
  g_assert_cmpint (rw_test_json_get_int (status, "width", -1), ==, 160);
  g_assert_cmpint (rw_test_json_get_int (status, "source.restarts", -1), ==, 0);

  /* another codec: the pipeline restarts and the sessions end; a new
   * viewer negotiates H264 */
  write_config (&f, "max-viewers = 7", h264);
  send_sighup (&f);
  rw_test_check (rw_test_wait_for_status_int (f.session, url, "source.restarts",
          1, 10000, &last),
      "source.restarts is %" G_GINT64_FORMAT ", not 1, "
      "after the codec changed", last);
  rw_test_check (rw_test_wait_for_status_int (f.session, url, "viewers", 0,
          5000, &last), "%" G_GINT64_FORMAT " viewers after the codec changed",
      last);
  g_clear_pointer (&f.viewer, rw_test_viewer_free);
  wait_for_source_state (&f, "ok", 10000);
  start_viewer_with (&f, RW_TEST_VIEWER_H264);
  g_clear_pointer (&status, json_node_unref);
  status = get_status (&f);
  g_assert_cmpstr (rw_test_json_get_string (status, "codec"), ==, "H264");

  fixture_stop (&f);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/faults/source-lost", test_source_lost);
  g_test_add_func ("/faults/source-error", test_source_error);
  g_test_add_func ("/faults/silent-viewer", test_silent_viewer);
  g_test_add_func ("/faults/reload", test_reload);
  return g_test_run ();
}

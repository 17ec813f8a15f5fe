/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Named streams and their audio, with the real daemon ($RW_SERVER) on
 * 127.0.0.1: three streams from one config file (a 640x480 one with a test
 * tone, a 320x240 one without audio, one whose microphone is missing),
 * watched by the in-process webrtcbin viewer with video and audio, audio
 * only or video only, and by aiortc ($RW_AIORTC_VIEWER), a peer that is not
 * GStreamer. Every wait is bounded. */

#include <gst/gst.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

#define PLAY_TIMEOUT_MS 10000
#define AUDIBLE 0.05            /* RMS of the 0.3 test tone: about 0.21 */

static const gchar config_text[] =
    "[server]\n"
    "rate-limit=0\n"
    "max-viewers=3\n"
    "[media]\n"
    "codec=vp8\n"
    "bitrate=600000\n"
    "width=320\n"
    "height=240\n"
    "[stream front]\n"
    "camera=97\n"
    "width=640\n"
    "height=480\n"
    "audio=test\n"
    "[stream wrist]\n"
    "camera=98\n"
    "[stream deaf]\n" "camera=99\n" "width=160\n" "height=120\n"
    "audio-device=hw:9,0\n";

/* A real Chromium audio-only offer (tests/fixtures/offers/README.md). */
static gchar *
audio_only_offer (void)
{
  g_autofree gchar *path = g_build_filename (g_getenv ("RW_FIXTURES"),
      "offers", "bad", "audio-only-chromium-156.sdp", NULL);
  gchar *sdp = NULL;

  g_assert_true (g_file_get_contents (path, &sdp, NULL, NULL));
  return sdp;
}

typedef struct
{
  gchar *config;
  RwTestServer *server;
  SoupSession *session;
} Fixture;

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gint fd = g_file_open_tmp ("rw-streams-XXXXXX.conf", &f->config, &error);

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (f->config, config_text, -1, NULL));
  f->session = rw_test_session_new ();
  f->server = rw_test_daemon_start ("--config", f->config, NULL);
  rw_test_daemon_wait_streaming (f->session, f->server, 5000);
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  rw_test_daemon_stop (f->server, 3000);
  rw_test_server_free (f->server);
  g_object_unref (f->session);
  g_unlink (f->config);
  g_free (f->config);
}

/* The stream of /status named @name. */
static JsonNode *
find_stream (JsonNode * status, const gchar * name)
{
  JsonArray *streams = json_object_get_array_member (json_node_get_object
      (status), "streams");

  for (guint i = 0; i < json_array_get_length (streams); i++) {
    JsonNode *stream = json_array_get_element (streams, i);

    if (g_strcmp0 (rw_test_json_get_string (stream, "name"), name) == 0)
      return stream;
  }
  return NULL;
}

/* --- viewers --- */

typedef struct
{
  RwTestViewer *viewer;
  gboolean video, audio;
} Want;

static gboolean
playing_or_failed (gpointer data)
{
  Want *want = data;
  RwTestViewer *v = want->viewer;

  if (rw_test_viewer_is_done (v))
    return TRUE;
  return rw_test_viewer_is_connected (v) &&
      (!want->video || rw_test_viewer_get_frames (v) > 10) &&
      (!want->audio || rw_test_viewer_get_audio_samples (v) > 48000);
}

/* A viewer of @stream offering @video and/or @audio, playing both. */
static RwTestViewer *
watch (Fixture * f, const gchar * stream, gboolean video, gboolean audio)
{
  RwTestViewer *viewer = rw_test_viewer_new (rw_test_server_get_url
      (f->server), RW_TEST_VIEWER_VP8, TRUE);
  g_autoptr (GError) error = NULL;
  Want want = { viewer, video, audio };

  rw_test_viewer_set_name (viewer, stream);
  rw_test_viewer_set_stream (viewer, stream);
  rw_test_viewer_set_media (viewer, video, audio);
  rw_test_viewer_start (viewer, &error);
  g_assert_no_error (error);
  rw_test_pump_until (playing_or_failed, &want, PLAY_TIMEOUT_MS);
  rw_test_check (rw_test_viewer_is_connected (viewer), "%s: %s (%s)",
      stream, rw_test_viewer_state_to_string (rw_test_viewer_get_state
          (viewer)), rw_test_viewer_get_error (viewer));
  return viewer;
}

static gboolean
hung_up (gpointer viewer)
{
  return rw_test_viewer_is_hangup_done (viewer);
}

static void
hang_up (RwTestViewer * viewer)
{
  rw_test_viewer_hangup (viewer);
  rw_test_pump_until (hung_up, viewer, 3000);
  rw_test_check (rw_test_viewer_get_hangup_status (viewer) == 200,
      "DELETE: %s", rw_test_viewer_get_error (viewer));
  rw_test_viewer_free (viewer);
}

static RwTestResponse *
post_offer (Fixture * f, const gchar * stream, const gchar * sdp)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *url = rw_test_url (rw_test_server_get_url (f->server),
      "/offer");
  RwTestResponse *response;
  gchar *json;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, sdp);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "offer");
  json_builder_set_member_name (builder, "stream");
  json_builder_add_string_value (builder, stream);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  body = g_bytes_new_take (json, strlen (json));
  response = rw_test_http_request (f->session, "POST", url, NULL,
      "application/json", body, RW_TEST_HTTP_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  return response;
}

/* --- tests --- */

/* GET /streams: the three streams, in file order, as configured; the
 * missing microphone is one warning naming it, and silence. */
static void
test_list (Fixture * f, gconstpointer data)
{
  g_autofree gchar *url = rw_test_url (rw_test_server_get_url (f->server),
      "/streams");
  g_autoptr (RwTestResponse) response = NULL;
  g_autoptr (JsonNode) status = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *needles[] = { "ALSA hw:9,0 unavailable", NULL };
  JsonArray *streams;
  JsonNode *deaf;
  const struct
  {
    const gchar *name;
    gint width, height;
    gboolean audio;
  } want[] = {
    {"front", 640, 480, TRUE}, {"wrist", 320, 240, FALSE},
    {"deaf", 160, 120, TRUE},
  };

  response = rw_test_http_request (f->session, "GET", url, NULL, NULL, NULL,
      RW_TEST_HTTP_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  streams = json_object_get_array_member (json_node_get_object
      (response->json), "streams");
  g_assert_cmpuint (json_array_get_length (streams), ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++) {
    JsonNode *s = json_array_get_element (streams, i);

    g_assert_cmpstr (rw_test_json_get_string (s, "name"), ==, want[i].name);
    g_assert_cmpint (rw_test_json_get_int (s, "width", -1), ==, want[i].width);
    g_assert_cmpint (rw_test_json_get_int (s, "height", -1), ==,
        want[i].height);
    g_assert_cmpstr (rw_test_json_get_string (s, "codec"), ==, "VP8");
    g_assert_cmpstr (rw_test_json_get_string (s, "audio"), ==,
        want[i].audio ? "OPUS" : NULL);
    g_assert_cmpstr (rw_test_json_get_string (s, "source.kind"), ==,
        "test-pattern");
    g_assert_cmpint (rw_test_json_get_int (s, "viewers", -1), ==, 0);
  }

  status = rw_test_get_status (f->session, rw_test_server_get_url
      (f->server), 3000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rw_test_json_get_string (status, "stream"), ==, "front");
  g_assert_cmpint (rw_test_json_get_int (status, "width", -1), ==, 640);
  deaf = find_stream (status, "deaf");
  g_assert_nonnull (deaf);
  g_assert_cmpstr (rw_test_json_get_string (deaf, "audio_source.state"), ==,
      "lost");
  g_assert_cmpstr (rw_test_json_get_string (deaf, "audio_source.kind"), ==,
      "silence");
  g_assert_nonnull (strstr (rw_test_json_get_string (deaf,
              "audio_source.warning"), "hw:9,0"));
  g_assert_cmpstr (rw_test_json_get_string (find_stream (status, "front"),
          "audio_source.kind"), ==, "test");
  rw_test_check (rw_test_server_wait_for_stderr (f->server, needles, 1000),
      "no warning names the missing microphone");
}

/* Video and audio from one stream: the tone is audible, and the video has
 * the stream's size. */
static void
test_audio_video (Fixture * f, gconstpointer data)
{
  RwTestViewer *viewer = watch (f, "front", TRUE, TRUE);

  g_test_message ("front: %" G_GUINT64_FORMAT " frames %dx%d, %"
      G_GUINT64_FORMAT " samples at %d Hz, level %.3f",
      rw_test_viewer_get_frames (viewer), rw_test_viewer_get_width (viewer),
      rw_test_viewer_get_height (viewer),
      rw_test_viewer_get_audio_samples (viewer),
      rw_test_viewer_get_audio_rate (viewer),
      rw_test_viewer_get_audio_level (viewer));
  g_assert_true (rw_test_viewer_answer_has_audio (viewer));
  g_assert_cmpint (rw_test_viewer_get_width (viewer), ==, 640);
  g_assert_cmpint (rw_test_viewer_get_height (viewer), ==, 480);
  g_assert_cmpint (rw_test_viewer_get_audio_rate (viewer), ==, 48000);
  g_assert_cmpfloat (rw_test_viewer_get_audio_level (viewer), >, AUDIBLE);
  hang_up (viewer);
}

/* An audio-only offer to a stream with audio. */
static void
test_audio_only (Fixture * f, gconstpointer data)
{
  RwTestViewer *viewer = watch (f, "front", FALSE, TRUE);
  g_autoptr (RwTestResponse) refused = NULL;
  g_autofree gchar *sdp = audio_only_offer ();

  g_assert_cmpuint (rw_test_viewer_get_frames (viewer), ==, 0);
  g_assert_cmpuint (rw_test_viewer_get_audio_samples (viewer), >, 48000);
  g_assert_cmpfloat (rw_test_viewer_get_audio_level (viewer), >, AUDIBLE);
  hang_up (viewer);

  /* ... and to a stream without: nothing to send */
  refused = post_offer (f, "wrist", sdp);
  g_assert_cmpuint (refused->status, ==, 400);
  g_assert_nonnull (strstr (rw_test_response_get_error (refused), "no audio"));
}

/* A viewer offering audio to a stream without it gets the video. */
static void
test_video_only_stream (Fixture * f, gconstpointer data)
{
  RwTestViewer *viewer = watch (f, "wrist", TRUE, FALSE);
  RwTestViewer *asking = watch (f, "wrist", TRUE, TRUE);

  g_assert_cmpint (rw_test_viewer_get_width (viewer), ==, 320);
  g_assert_false (rw_test_viewer_answer_has_audio (asking));
  g_assert_cmpint (rw_test_viewer_get_width (asking), ==, 320);
  g_assert_cmpuint (rw_test_viewer_get_audio_samples (asking), ==, 0);
  hang_up (viewer);
  hang_up (asking);
}

/* A missing microphone: silence, never a failed session. */
static void
test_missing_microphone (Fixture * f, gconstpointer data)
{
  RwTestViewer *viewer = watch (f, "deaf", TRUE, TRUE);

  g_assert_true (rw_test_viewer_answer_has_audio (viewer));
  g_assert_cmpint (rw_test_viewer_get_width (viewer), ==, 160);
  g_assert_cmpuint (rw_test_viewer_get_audio_samples (viewer), >, 48000);
  g_assert_cmpfloat (rw_test_viewer_get_audio_level (viewer), <, 0.001);
  hang_up (viewer);
}

/* An unknown stream is 404; max-viewers counts every stream's viewers. */
static void
test_errors (Fixture * f, gconstpointer data)
{
  g_autofree gchar *sdp = audio_only_offer ();
  g_autoptr (RwTestResponse) unknown = post_offer (f, "nope", sdp);
  g_autoptr (RwTestResponse) full = NULL;
  RwTestViewer *a, *b, *c;

  g_assert_cmpuint (unknown->status, ==, 404);
  g_assert_nonnull (strstr (rw_test_response_get_error (unknown),
          "front, wrist, deaf"));

  a = watch (f, "front", TRUE, FALSE);
  b = watch (f, "wrist", TRUE, FALSE);
  c = watch (f, "deaf", TRUE, FALSE);
  full = post_offer (f, "front", sdp);
  g_assert_cmpuint (full->status, ==, 503);
  g_assert_nonnull (strstr (rw_test_response_get_error (full), "max-viewers"));
  hang_up (a);
  hang_up (b);
  hang_up (c);
}

static gboolean
frames_rise (RwTestViewer * viewer, guint ms)
{
  guint64 before = rw_test_viewer_get_frames (viewer);

  rw_test_pump_for (ms);
  return rw_test_viewer_get_frames (viewer) > before + ms * 20 / 1000;
}

static gboolean
only_front_and_rear (gpointer data)
{
  Fixture *f = data;
  g_autoptr (JsonNode) status = rw_test_get_status (f->session,
      rw_test_server_get_url (f->server), 3000, NULL);

  return status && find_stream (status, "rear") != NULL &&
      find_stream (status, "wrist") == NULL &&
      rw_test_json_get_int (status, "sessions", -1) == 1 &&
      g_strcmp0 (rw_test_json_get_string (find_stream (status, "rear"),
          "codec"), "VP8") == 0;
}

/* SIGHUP with a file that drops wrist and adds rear: wrist's viewer is
 * closed, rear starts, and front's viewer goes on watching. */
static void
test_reload (Fixture * f, gconstpointer data)
{
  const gchar *removed[] = { "stream wrist removed", NULL };
  g_autofree gchar *text = NULL;
  RwTestViewer *front = watch (f, "front", TRUE, FALSE);
  RwTestViewer *wrist = watch (f, "wrist", TRUE, FALSE);
  RwTestViewer *rear;
  gchar *at;

  text = g_strdup (config_text);
  at = strstr (text, "[stream wrist]");
  g_assert_nonnull (at);
  memcpy (at, "[stream rear] ", strlen ("[stream rear] "));
  g_assert_true (g_file_set_contents (f->config, text, -1, NULL));
  g_assert_cmpint (kill (atoi (rw_test_server_get_pid (f->server)), SIGHUP),
      ==, 0);

  rw_test_check (rw_test_pump_until (only_front_and_rear, f, 5000),
      "after SIGHUP: not front, deaf and rear with front's viewer only");
  rw_test_check (rw_test_server_wait_for_stderr (f->server, removed, 1000),
      "no log line says wrist was removed");
  rw_test_check (frames_rise (front, 1000), "front's viewer stopped");

  rear = watch (f, "rear", TRUE, FALSE);
  g_assert_cmpint (rw_test_viewer_get_width (rear), ==, 320);
  hang_up (rear);
  hang_up (front);
  rw_test_viewer_free (wrist);
}

/* aiortc 1.4 (Debian's python3-aiortc): a client that is not GStreamer,
 * and whose audio+video offer gives each bundled m-line its own ICE
 * credentials. It runs while this thread goes on reading the daemon's
 * output (a blocked pipe would stall the daemon), bounded in time. */
typedef struct
{
  gboolean done;
  gchar *out, *err;
  GError *error;
} Run;

static void
on_communicated (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Run *run = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
      &run->out, &run->err, &run->error);
  run->done = TRUE;
}

static gboolean
run_done (gpointer run)
{
  return ((Run *) run)->done;
}

static JsonNode *
run_aiortc (Fixture * f, const gchar * const *args)
{
  const gchar *script = g_getenv ("RW_AIORTC_VIEWER");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  Run run = { 0 };
  JsonNode *result;

  g_assert_nonnull (script);
  g_ptr_array_add (argv, (gpointer) script);
  g_ptr_array_add (argv, (gpointer) "--url");
  g_ptr_array_add (argv, (gpointer) rw_test_server_get_url (f->server));
  g_ptr_array_add (argv, (gpointer) "--duration");
  g_ptr_array_add (argv, (gpointer) "3");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const gchar * const *) argv->pdata,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated,
      &run);
  if (!rw_test_pump_until (run_done, &run, 40000)) {
    g_subprocess_force_exit (process);
    rw_test_pump_until (run_done, &run, 5000);
    rw_test_check (FALSE, "aiortc-viewer did not end within 40 s: %s\n%s",
        run.out, run.err);
  }
  g_assert_no_error (run.error);
  g_test_message ("aiortc-viewer: %s", run.out);
  rw_test_check (g_subprocess_get_successful (process), "aiortc-viewer "
      "failed: %s\n%s", run.out, run.err);
  g_assert_true (json_parser_load_from_data (parser, run.out, -1, &error));
  result = json_node_copy (json_parser_get_root (parser));
  g_free (run.out);
  g_free (run.err);
  return result;
}

static void
test_aiortc (Fixture * f, gconstpointer data)
{
  const gchar *both[] = { "--stream", "front", "--audio", NULL };
  const gchar *seed[] = { NULL };
  g_autoptr (JsonNode) av = run_aiortc (f, both);
  g_autoptr (JsonNode) first = run_aiortc (f, seed);

  g_assert_cmpint (rw_test_json_get_int (av, "status", 0), ==, 200);
  g_assert_true (rw_test_json_get_boolean (av, "answer_has_audio"));
  g_assert_cmpint (rw_test_json_get_int (av, "video.width", 0), ==, 640);
  g_assert_cmpint (rw_test_json_get_int (av, "video.frames", 0), >, 30);
  g_assert_cmpint (rw_test_json_get_int (av, "audio.samples", 0), >, 48000);

  /* no "stream": the first one */
  g_assert_cmpint (rw_test_json_get_int (first, "video.width", 0), ==, 640);
  g_assert_cmpint (rw_test_json_get_int (first, "video.frames", 0), >, 30);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  rw_test_quiet_gio_debug ();
  gst_init (&argc, &argv);
  if (g_getenv ("RW_TEST_SERVER_LOG") == NULL)
    g_setenv ("RW_TEST_SERVER_LOG", "1", TRUE);

  g_test_add ("/streams/list", Fixture, NULL, fixture_setup, test_list,
      fixture_teardown);
  g_test_add ("/streams/audio-video", Fixture, NULL, fixture_setup,
      test_audio_video, fixture_teardown);
  g_test_add ("/streams/audio-only", Fixture, NULL, fixture_setup,
      test_audio_only, fixture_teardown);
  g_test_add ("/streams/video-only-stream", Fixture, NULL, fixture_setup,
      test_video_only_stream, fixture_teardown);
  g_test_add ("/streams/missing-microphone", Fixture, NULL, fixture_setup,
      test_missing_microphone, fixture_teardown);
  g_test_add ("/streams/errors", Fixture, NULL, fixture_setup, test_errors,
      fixture_teardown);
  g_test_add ("/streams/reload", Fixture, NULL, fixture_setup, test_reload,
      fixture_teardown);
  g_test_add ("/streams/aiortc", Fixture, NULL, fixture_setup, test_aiortc,
      fixture_teardown);

  if (g_getenv ("RW_SERVER") == NULL) {
    g_printerr ("RW_SERVER is not set: skipping\n");
    return 77;
  }
  return g_test_run ();
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* RwStream in this process: the daemon's pipeline, its slate and its
 * restarts, without HTTP or viewers. */

#include <gst/check/gstcheck.h>

#include "rw-session-host.h"
#include "rw-stream.h"

typedef struct
{
  RwConfig *config;
  RwStream *stream;
  gint buffers;                 /* atomic: into the sink */
} Fixture;

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Fixture *f = user_data;

  g_atomic_int_inc (&f->buffers);
  return GST_PAD_PROBE_OK;
}

static void
fixture_start (Fixture * f, const gchar * conf)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstPad) pad = NULL;

  /* the test's thread runs the stream's context (threading contract) */
  fail_unless (g_main_context_acquire (NULL));
  f->config = rw_config_new ();
  fail_unless (rw_config_load_data (f->config, conf, -1, "test.conf", NULL,
          &error), "%s", error ? error->message : "");
  rw_config_ensure_streams (f->config);
  f->stream = rw_stream_new (f->config,
      g_ptr_array_index (f->config->streams, 0));
  fail_unless (rw_stream_start (f->stream, &error), "%s",
      error ? error->message : "");
  pad = gst_element_get_static_pad (GST_ELEMENT (rw_stream_get_sink
          (f->stream)), "video_0");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, f, NULL);
}

static void
fixture_stop (Fixture * f)
{
  rw_stream_stop (f->stream);
  g_clear_object (&f->stream);
  rw_config_free (f->config);
}

/* The "source" object of the stream's status, as a JSON object. */
static JsonObject *
dup_source_status (Fixture * f)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  rw_session_host_add_status (RW_SESSION_HOST (f->stream), builder,
      RW_STATUS_FULL);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_object_ref (json_object_get_object_member
      (json_node_get_object (root), "source"));
}

static gboolean
iterate_until (gboolean (*cond) (Fixture * f), Fixture * f, guint ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (!cond (f) && g_get_monotonic_time () < deadline) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (5000);
  }
  return cond (f);
}

static gboolean
flowing (Fixture * f)
{
  return g_atomic_int_get (&f->buffers) >= 10;
}

static gboolean
retried_twice (Fixture * f)
{
  g_autoptr (JsonObject) source = dup_source_status (f);

  return json_object_get_int_member (source, "retries") >= 2;
}

/* An error from outside the source restarts the whole pipeline, which
 * then streams again. */
GST_START_TEST (test_restart_on_error)
{
  Fixture f = { 0 };
  g_autoptr (JsonObject) source = NULL;
  g_autoptr (GError) error = NULL;
  RwSink *sink;
  gint64 start;

  fixture_start (&f, "[media]\npipeline = videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! vp8enc deadline=1\n");
  fail_unless (iterate_until (flowing, &f, 5000), "no buffer into the sink");

  sink = rw_stream_get_sink (f.stream);
  error = g_error_new_literal (GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
      "injected by the test");
  g_atomic_int_set (&f.buffers, 0);
  start = g_get_monotonic_time ();
  gst_element_post_message (GST_ELEMENT (sink),
      gst_message_new_error (GST_OBJECT (sink), error, "test"));

  fail_unless (iterate_until (flowing, &f, 5000),
      "no buffer into the sink after the restart");
  GST_INFO ("streaming again %" G_GINT64_FORMAT " ms after the error",
      (g_get_monotonic_time () - start) / 1000);
  source = dup_source_status (&f);
  fail_unless_equals_int (json_object_get_int_member (source, "restarts"), 1);
  fail_unless_equals_string (json_object_get_string_member (source,
          "state"), "ok");
  fail_unless (rw_stream_is_running (f.stream));

  fixture_stop (&f);
}

GST_END_TEST;

/* No camera: the slate streams, the state says lost, and the camera is
 * retried. */
GST_START_TEST (test_missing_camera_retried)
{
  Fixture f = { 0 };
  g_autoptr (JsonObject) source = NULL;

  if (g_file_test ("/dev/video99", G_FILE_TEST_EXISTS))
    return;
  fixture_start (&f, "[media]\ncamera = 99\nwidth = 160\nheight = 120\n");
  fail_unless (iterate_until (flowing, &f, 5000), "the slate does not flow");
  fail_unless (iterate_until (retried_twice, &f, 5000),
      "the camera is not retried");

  source = dup_source_status (&f);
  fail_unless_equals_string (json_object_get_string_member (source, "kind"),
      "test-pattern");
  fail_unless_equals_string (json_object_get_string_member (source,
          "state"), "lost");
  fail_unless_equals_int (json_object_get_int_member (source, "losses"), 1);
  fail_unless (strstr (json_object_get_string_member (source, "warning"),
          "/dev/video99") != NULL);
  fail_unless (json_object_get_string_member (source, "lost_since") != NULL);

  fixture_stop (&f);
}

GST_END_TEST;

static Suite *
stream_suite (void)
{
  Suite *s = suite_create ("stream");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_restart_on_error);
  tcase_add_test (tc, test_missing_camera_retried);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (stream);

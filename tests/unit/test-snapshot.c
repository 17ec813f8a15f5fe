/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* RwSnapshot on a live encoded stream in this process: a JPEG of the
 * newest frame (its picture checked: the test pattern's colour, its size),
 * from VP8 and H264, requests at once sharing one decode, the same JPEG
 * while no frame came, nothing before the first keyframe. */

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "rw-error.h"
#include "rw-snapshot.h"

typedef struct
{
  GstElement *pipeline;
  RwSnapshot *snapshot;
  GList *results;               /* GBytes or NULL, as they came */
  GError *error;
  guint done;
} Fixture;

static void
fixture_start (Fixture * f, const gchar * encoder, gint width, gint height)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *description = g_strdup_printf ("videotestsrc "
      "is-live=true pattern=red ! video/x-raw,format=I420,width=%d,height=%d,"
      "framerate=30/1 ! %s ! fakesink name=out sync=false", width, height,
      encoder);
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstPad) pad = NULL;

  memset (f, 0, sizeof *f);
  f->pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (f->pipeline), "out");
  pad = gst_element_get_static_pad (sink, "sink");
  f->snapshot = rw_snapshot_new (pad);
  g_assert_cmpint (gst_element_set_state (f->pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
}

static void
fixture_stop (Fixture * f)
{
  gst_element_set_state (f->pipeline, GST_STATE_NULL);
  gst_object_unref (f->pipeline);
  g_object_unref (f->snapshot);
  g_list_free_full (f->results, (GDestroyNotify) g_bytes_unref);
  g_clear_error (&f->error);
}

static void
on_snapshot (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Fixture *f = user_data;
  GError *error = NULL;
  GBytes *jpeg = rw_snapshot_get_finish (RW_SNAPSHOT (source), result,
      &error);

  if (jpeg == NULL && f->error == NULL)
    f->error = error;
  else
    g_clear_error (&error);
  f->results = g_list_append (f->results, jpeg);
  f->done++;
}

/* Asks @n at once and waits for every answer; returns the time taken. */
static gint64
ask (Fixture * f, guint n)
{
  gint64 start = g_get_monotonic_time ();
  guint want = f->done + n;

  for (guint i = 0; i < n; i++)
    rw_snapshot_get_async (f->snapshot, NULL, on_snapshot, f);
  while (f->done < want
      && g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);
  g_assert_cmpuint (f->done, ==, want);
  return (g_get_monotonic_time () - start) / 1000;
}

static void
run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);
}

/* The JPEG decodes to @width x @height, mostly red (the test pattern). */
static void
check_picture (GBytes * jpeg, gint width, gint height)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch ("appsrc name=src "
      "caps=image/jpeg ! jpegdec ! videoconvert ! video/x-raw,format=RGB ! "
      "appsink name=sink", &error);
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstSample) raw = NULL;
  GstFlowReturn flow;
  GstVideoInfo info;
  GstVideoFrame frame;
  const guint8 *p;

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (jpeg), >, 100);
  p = g_bytes_get_data (jpeg, NULL);
  g_assert_cmpuint (p[0], ==, 0xff);
  g_assert_cmpuint (p[1], ==, 0xd8);    /* SOI */

  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_signal_emit_by_name (src, "push-buffer", gst_buffer_new_wrapped_bytes
      (jpeg), &flow);
  g_signal_emit_by_name (src, "end-of-stream", &flow);
  g_signal_emit_by_name (sink, "try-pull-sample", 5 * GST_SECOND, &raw);
  g_assert_nonnull (raw);

  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (raw)));
  g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, width);
  g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&info), ==, height);
  g_assert_true (gst_video_frame_map (&frame, &info,
          gst_sample_get_buffer (raw), GST_MAP_READ));
  p = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
      GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0) * (height / 2) + 3 * (width / 2);
  GST_INFO ("middle pixel %u,%u,%u", p[0], p[1], p[2]);
  g_assert_cmpuint (p[0], >, 200);
  g_assert_cmpuint (p[1], <, 60);
  g_assert_cmpuint (p[2], <, 60);
  gst_video_frame_unmap (&frame);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

static void
check_stream (const gchar * encoder, gint width, gint height)
{
  Fixture f;
  gint64 ms;

  fixture_start (&f, encoder, width, height);
  run_for (1500);

  /* four at once: one decode, the same bytes for each */
  ms = ask (&f, 4);
  g_assert_no_error (f.error);
  GST_INFO ("%s %dx%d: 4 requests answered in %" G_GINT64_FORMAT " ms",
      encoder, width, height, ms);
  for (GList * l = f.results; l; l = l->next)
    g_assert_true (l->data == f.results->data);
  check_picture (g_bytes_ref (f.results->data), width, height);

  /* a later frame: a new JPEG */
  run_for (100);
  ask (&f, 1);
  g_assert_no_error (f.error);
  g_assert_true (g_list_last (f.results)->data != f.results->data);
  fixture_stop (&f);
}

GST_START_TEST (test_vp8)
{
  check_stream ("vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30", 320, 240);
}

GST_END_TEST;

GST_START_TEST (test_h264)
{
  check_stream ("x264enc tune=zerolatency speed-preset=ultrafast "
      "key-int-max=30 ! video/x-h264,stream-format=byte-stream,alignment=au",
      640, 480);
}

GST_END_TEST;

/* Stopped: the JPEG of the last frame, again, at once. */
GST_START_TEST (test_no_new_frame)
{
  Fixture f;

  fixture_start (&f, "vp8enc deadline=1 keyframe-max-dist=30", 160, 120);
  run_for (500);
  gst_element_set_state (f.pipeline, GST_STATE_PAUSED);
  ask (&f, 1);
  g_assert_no_error (f.error);
  g_assert_cmpint (ask (&f, 1), <, 50);
  g_assert_true (g_list_last (f.results)->data == f.results->data);
  fixture_stop (&f);
}

GST_END_TEST;

/* No keyframe yet: 503's error, at once. */
GST_START_TEST (test_nothing_yet)
{
  Fixture f;

  fixture_start (&f, "vp8enc deadline=1", 160, 120);
  gst_element_set_state (f.pipeline, GST_STATE_NULL);
  ask (&f, 1);
  g_assert_error (f.error, RW_ERROR, RW_ERROR_UNAVAILABLE);
  g_assert_null (f.results->data);
  fixture_stop (&f);
}

GST_END_TEST;

/* Frames that do not decode: an error, not a hang. */
GST_START_TEST (test_garbage)
{
  g_autoptr (GPtrArray) frames =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  g_autoptr (GstCaps) caps = gst_caps_from_string ("video/x-vp8,width=320,"
      "height=240,framerate=30/1");
  g_autoptr (GError) error = NULL;
  GBytes *jpeg;

  for (guint i = 0; i < 5; i++)
    g_ptr_array_add (frames, gst_buffer_new_memdup ("not vp8 at all", 14));
  jpeg = rw_snapshot_encode (caps, frames, &error);
  g_assert_null (jpeg);
  g_assert_error (error, RW_ERROR, RW_ERROR_PIPELINE);
}

GST_END_TEST;

static Suite *
snapshot_suite (void)
{
  Suite *s = suite_create ("snapshot");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vp8);
  tcase_add_test (tc, test_h264);
  tcase_add_test (tc, test_no_new_frame);
  tcase_add_test (tc, test_nothing_yet);
  tcase_add_test (tc, test_garbage);
  return s;
}

GST_CHECK_MAIN (snapshot);

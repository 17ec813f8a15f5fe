/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Every file of pipelines/ parses: the ones whose elements this machine
 * has build a source bin; the others fail only for missing elements,
 * never for their syntax. The test-pattern ones must produce what
 * robotwebrtcsink takes. */

#include <gst/gst.h>
#include <string.h>

#include "rw-error.h"
#include "rw-pipeline.h"
#include "rw-sink.h"

static const gchar *
pipelines_dir (void)
{
  const gchar *dir = g_getenv ("RW_PIPELINES_DIR");

  g_assert_nonnull (dir);
  return dir;
}

static void
test_file (gconstpointer data)
{
  const gchar *name = data;
  g_autofree gchar *path = g_build_filename (pipelines_dir (), name, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *description = rw_pipeline_read_file (path, &error);
  GstElement *bin;

  g_assert_no_error (error);
  g_assert_null (strchr (description, '#'));

  bin = rw_pipeline_parse (description, &error);
  if (bin == NULL) {
    g_assert_error (error, RW_ERROR, RW_ERROR_PIPELINE);
    if (!g_str_has_prefix (error->message, "missing GStreamer elements: "))
      g_error ("%s: %s", name, error->message);
    g_test_message ("%s: %s", name, error->message);
    return;
  }
  gst_object_unref (gst_object_ref_sink (bin));
}

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

/* The test patterns run into robotwebrtcsink: caps, then frames (an
 * overlay whose text pad got linked by mistake would hold them back). */
static void
test_streams (gconstpointer data)
{
  const gchar *name = data;
  g_autofree gchar *path = g_build_filename (pipelines_dir (), name, NULL);
  g_autofree gchar *description = rw_pipeline_read_file (path, NULL);
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *source = rw_pipeline_parse (description, NULL);
  GstElement *sink = g_object_new (RW_TYPE_SINK, NULL);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_autoptr (GstPad) pad = NULL;
  gint buffers = 0;

  g_assert_nonnull (source);
  gst_bin_add_many (GST_BIN (pipeline), source, sink, NULL);
  g_assert_true (gst_element_link (source, sink));
  pad = gst_element_get_static_pad (sink, "video_0");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &buffers,
      NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);

  while (!rw_sink_is_streaming (RW_SINK (sink)) &&
      g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_assert_true (rw_sink_is_streaming (RW_SINK (sink)));
  while (g_atomic_int_get (&buffers) < 10 && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_assert_cmpint (g_atomic_int_get (&buffers), >=, 10);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  dir = g_dir_open (pipelines_dir (), 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir))) {
    if (g_str_has_suffix (name, ".pipeline"))
      g_ptr_array_add (names, g_strdup (name));
  }
  g_assert_cmpuint (names->len, >=, 7);

  for (guint i = 0; i < names->len; i++) {
    g_autofree gchar *test = g_strdup_printf ("/pipelines/parse/%s",
        (gchar *) names->pdata[i]);

    g_test_add_data_func (test, names->pdata[i], test_file);
  }
  g_test_add_data_func ("/pipelines/streams/test-vp8", "test-vp8.pipeline",
      test_streams);
  g_test_add_data_func ("/pipelines/streams/test-h264", "test-h264.pipeline",
      test_streams);

  return g_test_run ();
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-source
 * @title: Sources
 * @short_description: the camera or test pattern and the one encoder
 *
 * Builds the bin whose "src" pad gives the encoded video every viewer
 * shares: a V4L2 camera (raw or MJPEG) or a moving test pattern with a
 * running clock, scaled to the configured size and rate, and one encoder
 * tuned for real-time use on a small computer.
 */

#include "rw-source.h"
#include "rw-error.h"
#include "rw-pipeline.h"

GST_DEBUG_CATEGORY_STATIC (rw_source_debug);
#define GST_CAT_DEFAULT rw_source_debug

static void
init_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rw_source_debug, "rw-source", 0,
        "robot-webrtc sources");
    g_once_init_leave (&once, 1);
  }
}

/**
 * rw_source_kind_to_string:
 * @kind: a source kind
 *
 * Returns: (transfer none): "camera", "test-pattern" or "pipeline".
 */
const gchar *
rw_source_kind_to_string (RwSourceKind kind)
{
  switch (kind) {
    case RW_SOURCE_CAMERA:
      return "camera";
    case RW_SOURCE_TEST_PATTERN:
      return "test-pattern";
    case RW_SOURCE_PIPELINE:
      return "pipeline";
  }
  return "unknown";
}

static gchar *
error_from_bus (GstElement * element)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (element);
  g_autoptr (GstMessage) msg = NULL;
  g_autoptr (GError) error = NULL;

  if (bus)
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg == NULL)
    return g_strdup ("the device could not be opened");
  gst_message_parse_error (msg, &error, NULL);
  return g_strdup (error->message);
}

static gboolean
caps_allow (GstCaps * caps, const gchar * media, guint width, guint height)
{
  g_autoptr (GstCaps) want = gst_caps_new_simple (media, NULL, NULL);

  if (width)
    gst_caps_set_simple (want, "width", G_TYPE_INT, width, "height",
        G_TYPE_INT, height, NULL);
  return gst_caps_can_intersect (caps, want);
}

/**
 * rw_source_probe_camera:
 * @device: a V4L2 device path
 * @width: the wanted width
 * @height: the wanted height
 * @error: where to say why the camera cannot be used
 *
 * Opens the camera and picks the capture caps: MJPEG at the wanted size,
 * raw at the wanted size, then MJPEG or raw at any size (scaled later).
 *
 * Returns: (transfer full) (nullable): the capture caps as a string, or
 * %NULL with @error set.
 */
gchar *
rw_source_probe_camera (const gchar * device, guint width, guint height,
    GError ** error)
{
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstCaps) caps = NULL;
  GstElement *src;
  const gchar *choice = NULL;

  init_debug ();

  if (!g_file_test (device, G_FILE_TEST_EXISTS)) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE, "%s does not exist",
        device);
    return NULL;
  }

  src = gst_element_factory_make ("v4l2src", NULL);
  if (src == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the v4l2src element is missing (install gstreamer1.0-plugins-good)");
    return NULL;
  }
  pipeline = gst_pipeline_new ("camera-probe");
  gst_bin_add (GST_BIN (pipeline), src);
  g_object_set (src, "device", device, NULL);

  if (gst_element_set_state (pipeline, GST_STATE_READY) ==
      GST_STATE_CHANGE_FAILURE) {
    g_autofree gchar *reason = error_from_bus (pipeline);

    gst_element_set_state (pipeline, GST_STATE_NULL);
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE, "%s", reason);
    return NULL;
  }

  pad = gst_element_get_static_pad (src, "src");
  caps = gst_pad_query_caps (pad, NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  GST_INFO ("%s offers %" GST_PTR_FORMAT, device, caps);

  if (caps_allow (caps, "image/jpeg", width, height))
    return g_strdup_printf ("image/jpeg,width=%u,height=%u", width, height);
  if (caps_allow (caps, "video/x-raw", width, height))
    return g_strdup_printf ("video/x-raw,width=%u,height=%u", width, height);
  if (caps_allow (caps, "image/jpeg", 0, 0))
    choice = "image/jpeg";
  else if (caps_allow (caps, "video/x-raw", 0, 0))
    choice = "video/x-raw";

  if (choice == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "%s offers neither raw video nor MJPEG", device);
    return NULL;
  }
  return g_strdup (choice);
}

/**
 * rw_source_encoder_description:
 * @config: the settings
 *
 * The encoder part of a launch description: raw video in, the configured
 * codec out, from an element named "out". VP8 is libvpx in real-time
 * mode on one thread (two threads spin on a loaded two-core machine);
 * H264 is x264 constrained baseline with no B-frames.
 *
 * Returns: (transfer full): a launch description fragment.
 */
gchar *
rw_source_encoder_description (const RwConfig * config)
{
  guint kf = config->keyframe_interval * config->framerate;

  switch (config->codec) {
    case RW_CODEC_VP8:
      return g_strdup_printf ("vp8enc name=encoder deadline=1 cpu-used=8 "
          "threads=1 lag-in-frames=0 end-usage=cbr target-bitrate=%u "
          "undershoot=95 buffer-size=1000 buffer-initial-size=500 "
          "buffer-optimal-size=600 error-resilient=default "
          "keyframe-max-dist=%u ! capsfilter name=out caps=video/x-vp8",
          config->bitrate, kf);
    case RW_CODEC_H264:
      return g_strdup_printf ("x264enc name=encoder tune=zerolatency "
          "speed-preset=ultrafast threads=1 bitrate=%u vbv-buf-capacity=500 "
          "key-int-max=%u bframes=0 ! capsfilter name=out "
          "caps=\"video/x-h264,profile=constrained-baseline,"
          "stream-format=byte-stream,alignment=au\"",
          config->bitrate / 1000, kf);
  }
  g_return_val_if_reached (NULL);
}

static gchar *
camera_description (const RwConfig * config, const gchar * camera_caps)
{
  g_autofree gchar *device = rw_config_camera_device (config);
  gboolean mjpeg = g_str_has_prefix (camera_caps, "image/jpeg");

  return g_strdup_printf ("v4l2src device=%s do-timestamp=true ! %s ! %s"
      "queue max-size-buffers=2 leaky=downstream ! videoconvert ! "
      "videoscale ! videorate drop-only=true ! video/x-raw,format=I420,"
      "width=%u,height=%u,framerate=%u/1,pixel-aspect-ratio=1/1",
      device, camera_caps, mjpeg ? "jpegdec ! " : "", config->width,
      config->height, config->framerate);
}

static gchar *
slate_description (const RwConfig * config)
{
  return g_strdup_printf ("videotestsrc is-live=true pattern=smpte "
      "horizontal-speed=4 ! video/x-raw,format=I420,width=%u,height=%u,"
      "framerate=%u/1,pixel-aspect-ratio=1/1 ! timeoverlay "
      "halignment=center valignment=center font-desc=\"Sans %u\" "
      "time-mode=running-time ! textoverlay name=message "
      "valignment=bottom font-desc=\"Sans %u\"",
      config->width, config->height, config->framerate,
      MAX (config->height / 12, 8), MAX (config->height / 30, 6));
}

static GstElement *
make_encoded_bin (const RwConfig * config, const gchar * source,
    GError ** error)
{
  g_autofree gchar *encoder = rw_source_encoder_description (config);
  g_autofree gchar *description = g_strdup_printf ("%s ! %s", source,
      encoder);

  init_debug ();
  GST_DEBUG ("source: %s", description);
  return rw_pipeline_parse (description, error);
}

/**
 * rw_source_make_slate:
 * @config: the settings: size, rate, codec and bitrate
 * @message: what the picture says, for example why the camera is missing
 * @error: where to say why the bin could not be built
 *
 * The test pattern shown when there is no camera or the configured source
 * is lost: a moving SMPTE pattern with a running clock and @message,
 * encoded like the camera would be.
 *
 * Returns: (transfer floating) (nullable): a bin with a "src" pad giving
 * the encoded video, or %NULL with @error set.
 */
GstElement *
rw_source_make_slate (const RwConfig * config, const gchar * message,
    GError ** error)
{
  g_autofree gchar *source = slate_description (config);
  g_autofree gchar *text = g_strdup_printf ("robot-webrtc: %s", message);
  GstElement *bin = make_encoded_bin (config, source, error);
  g_autoptr (GstElement) overlay = NULL;

  if (bin == NULL)
    return NULL;
  /* a property, not the description: the message is free text */
  overlay = gst_bin_get_by_name (GST_BIN (bin), "message");
  g_object_set (overlay, "text", text, NULL);
  return bin;
}

/**
 * rw_source_make_bin:
 * @config: the settings
 * @kind: camera, test pattern, or the configured pipeline
 * @camera_caps: (nullable): the capture caps from rw_source_probe_camera()
 * @error: where to say why the bin could not be built
 *
 * Returns: (transfer floating) (nullable): a bin with a "src" pad giving
 * the encoded video, or %NULL with @error set.
 */
GstElement *
rw_source_make_bin (const RwConfig * config, RwSourceKind kind,
    const gchar * camera_caps, GError ** error)
{
  g_autofree gchar *device = NULL;
  g_autofree gchar *source = NULL;
  g_autofree gchar *message = NULL;

  switch (kind) {
    case RW_SOURCE_PIPELINE:
      return rw_pipeline_parse (config->pipeline, error);
    case RW_SOURCE_CAMERA:
      source = camera_description (config, camera_caps);
      return make_encoded_bin (config, source, error);
    case RW_SOURCE_TEST_PATTERN:
      device = rw_config_camera_device (config);
      message = g_strdup_printf ("no camera (%s)", device);
      return rw_source_make_slate (config, message, error);
  }
  g_return_val_if_reached (NULL);
}

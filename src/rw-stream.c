/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-stream
 * @title: RwStream
 * @short_description: the daemon's pipeline: one source, one encoder, the sink
 *
 * #RwStream owns the daemon's media pipeline: the source bin (camera or
 * test pattern, and the one encoder) feeding a robotwebrtcsink, which
 * serves every viewer. When the camera is missing or fails before its first
 * frame, the stream falls back to the test pattern with a warning.
 */

#include "rw-stream.h"
#include "rw-error.h"

GST_DEBUG_CATEGORY_STATIC (rw_stream_debug);
#define GST_CAT_DEFAULT rw_stream_debug

struct _RwStream
{
  GObject parent;

  const RwConfig *config;       /* the caller's; outlives the stream */

  /* main context only */
  GstElement *pipeline;
  GstElement *source;
  RwSink *sink;
  guint bus_watch;
  RwSourceKind kind;
  gchar *device;
  gchar *warning;
  gboolean running;
  gboolean failed;

  gint flowing;                 /* atomic: a buffer reached the sink */
};

G_DEFINE_FINAL_TYPE (RwStream, rw_stream, G_TYPE_OBJECT);

static void
rw_stream_dispose (GObject * object)
{
  RwStream *self = RW_STREAM (object);

  rw_stream_stop (self);
  gst_clear_object (&self->sink);
  gst_clear_object (&self->pipeline);

  G_OBJECT_CLASS (rw_stream_parent_class)->dispose (object);
}

static void
rw_stream_finalize (GObject * object)
{
  RwStream *self = RW_STREAM (object);

  g_free (self->device);
  g_free (self->warning);

  G_OBJECT_CLASS (rw_stream_parent_class)->finalize (object);
}

static void
rw_stream_class_init (RwStreamClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_stream_dispose;
  object_class->finalize = rw_stream_finalize;

  GST_DEBUG_CATEGORY_INIT (rw_stream_debug, "rw-stream", 0,
      "robot-webrtc media stream");
}

static void
rw_stream_init (RwStream * self)
{
}

/**
 * rw_stream_new:
 * @config: (transfer none): the settings; must outlive the stream
 *
 * Returns: (transfer full): a stopped stream.
 */
RwStream *
rw_stream_new (const RwConfig * config)
{
  RwStream *self = g_object_new (RW_TYPE_STREAM, NULL);
  g_autofree gchar *ice = NULL;
  g_autofree gchar *origins = NULL;

  self->config = config;
  self->device = rw_config_camera_device (config);

  self->pipeline = gst_object_ref_sink (gst_pipeline_new ("robot-webrtc"));
  /* the element itself, whether or not the plugin is installed */
  self->sink = g_object_new (RW_TYPE_SINK, "name", "sink", NULL);
  if (config->ice_addresses)
    ice = g_strjoinv (",", config->ice_addresses);
  if (config->allowed_origins)
    origins = g_strjoinv (",", config->allowed_origins);
  /* port 0: the daemon's own HTTP server drives the viewers */
  g_object_set (self->sink, "port", 0, "max-viewers", config->max_viewers,
      "stun-server", config->stun_server, "turn-server", config->turn_server,
      "ice-addresses", ice, "allowed-origins", origins, "handshake-timeout",
      config->handshake_timeout, "min-rtp-port", config->min_rtp_port,
      "max-rtp-port", config->max_rtp_port, NULL);
  gst_object_ref (self->sink);
  gst_bin_add (GST_BIN (self->pipeline), GST_ELEMENT (self->sink));
  return self;
}

/**
 * rw_stream_get_sink:
 * @self: a stream
 *
 * Returns: (transfer none): the sink that serves the viewers.
 */
RwSink *
rw_stream_get_sink (RwStream * self)
{
  return self->sink;
}

static GstPadProbeReturn
first_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwStream *self = user_data;

  g_atomic_int_set (&self->flowing, 1);
  return GST_PAD_PROBE_REMOVE;
}

/* --- the pipeline --- */

static gboolean use_source (RwStream * self, RwSourceKind kind,
    const gchar * camera_caps, GError ** error);

static void
fall_back_to_test_pattern (RwStream * self, const gchar * reason)
{
  g_autoptr (GError) error = NULL;

  g_free (self->warning);
  self->warning = g_strdup_printf ("camera %s: %s", self->device, reason);
  g_warning ("camera %s failed to start (%s); streaming a test pattern "
      "instead", self->device, reason);

  gst_element_set_state (self->pipeline, GST_STATE_NULL);
  if (!use_source (self, RW_SOURCE_TEST_PATTERN, NULL, &error) ||
      gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_warning ("the test pattern failed too: %s",
        error ? error->message : "state change failed");
    self->failed = TRUE;
  }
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  RwStream *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &error, &debug);
      if (self->kind == RW_SOURCE_CAMERA && !g_atomic_int_get (&self->flowing)
          && rw_sink_get_n_viewers (self->sink) == 0) {
        fall_back_to_test_pattern (self, error->message);
        break;
      }
      g_warning ("media pipeline error from %s: %s (%s)",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), error->message,
          debug ? debug : "no details");
      GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS (GST_BIN (self->pipeline),
          GST_DEBUG_GRAPH_SHOW_ALL, "robot-webrtc-error");
      self->failed = TRUE;
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &error, &debug);
      GST_WARNING ("%s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
          error->message, debug);
      break;
    case GST_MESSAGE_LATENCY:
      gst_bin_recalculate_latency (GST_BIN (self->pipeline));
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* Puts a new source bin in front of the sink; the pipeline is in NULL. */
static gboolean
use_source (RwStream * self, RwSourceKind kind, const gchar * camera_caps,
    GError ** error)
{
  GstElement *source;
  g_autoptr (GstPad) src = NULL;

  source = rw_source_make_bin (self->config, kind, camera_caps, error);
  if (source == NULL)
    return FALSE;

  if (self->source) {
    gst_bin_remove (GST_BIN (self->pipeline), self->source);
    self->source = NULL;
  }
  gst_bin_add (GST_BIN (self->pipeline), source);
  if (!gst_element_link (source, GST_ELEMENT (self->sink))) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the source's output cannot feed robotwebrtcsink (it takes VP8 or "
        "H264 byte-stream)");
    gst_bin_remove (GST_BIN (self->pipeline), source);
    return FALSE;
  }

  self->source = source;
  self->kind = kind;
  g_atomic_int_set (&self->flowing, 0);
  src = gst_element_get_static_pad (source, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, first_buffer, self, NULL);
  GST_INFO ("source: %s", rw_source_kind_to_string (kind));
  return TRUE;
}

/**
 * rw_stream_start:
 * @self: a stopped stream
 * @error: why the pipeline could not start
 *
 * Opens the camera (falling back to the test pattern with a warning when it
 * is missing or fails to start), starts the encoder and plays.
 *
 * Returns: %TRUE if the pipeline plays.
 */
gboolean
rw_stream_start (RwStream * self, GError ** error)
{
  g_autoptr (GError) camera_error = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autofree gchar *camera_caps = NULL;

  g_return_val_if_fail (!self->running, FALSE);

  bus = gst_element_get_bus (self->pipeline);
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);

  if (self->config->pipeline) {
    if (!use_source (self, RW_SOURCE_PIPELINE, NULL, error))
      goto fail;
    if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
      g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
          "the pipeline from %s failed to start", self->config->pipeline_name);
      goto fail;
    }
    self->running = TRUE;
    return TRUE;
  }

  camera_caps = rw_source_probe_camera (self->device, self->config->width,
      self->config->height, &camera_error);
  if (camera_caps == NULL) {
    self->warning = g_strdup_printf ("camera %s: %s", self->device,
        camera_error->message);
    g_warning ("camera %s unavailable (%s); streaming a test pattern instead",
        self->device, camera_error->message);
  }

  if (!use_source (self, camera_caps ? RW_SOURCE_CAMERA :
          RW_SOURCE_TEST_PATTERN, camera_caps, error))
    goto fail;

  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    if (self->kind != RW_SOURCE_CAMERA) {
      g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
          "the media pipeline failed to start");
      goto fail;
    }
    fall_back_to_test_pattern (self, "the device failed to start");
    if (self->failed) {
      g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
          "neither the camera nor the test pattern could start");
      goto fail;
    }
  }

  self->running = TRUE;
  return TRUE;

fail:
  rw_stream_stop (self);
  return FALSE;
}

/**
 * rw_stream_is_running:
 * @self: a stream
 *
 * Returns: %TRUE while the pipeline plays without error.
 */
gboolean
rw_stream_is_running (RwStream * self)
{
  return self->running && !self->failed;
}

/**
 * rw_stream_stop:
 * @self: a stream
 *
 * Stops the pipeline; the sink closes every viewer.
 */
void
rw_stream_stop (RwStream * self)
{
  self->running = FALSE;
  if (self->pipeline)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
}

/**
 * rw_stream_add_status:
 * @builder: a builder inside the status object
 * @stream: (type RwStream): a stream
 *
 * An #RwStatusFunc: adds the source and the configured bitrate to
 * `GET /status` (null with a custom pipeline).
 *
 * Returns: %TRUE while the pipeline plays without error.
 */
gboolean
rw_stream_add_status (JsonBuilder * builder, gpointer stream)
{
  RwStream *self = stream;
  const RwConfig *config = self->config;

  json_builder_set_member_name (builder, "source");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, rw_source_kind_to_string
      (self->kind));
  if (self->kind == RW_SOURCE_PIPELINE) {
    json_builder_set_member_name (builder, "pipeline");
    json_builder_add_string_value (builder, config->pipeline_name);
  } else {
    json_builder_set_member_name (builder, "device");
    json_builder_add_string_value (builder, self->device);
  }
  if (self->warning) {
    json_builder_set_member_name (builder, "warning");
    json_builder_add_string_value (builder, self->warning);
  }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "bitrate");
  if (self->kind == RW_SOURCE_PIPELINE)
    json_builder_add_null_value (builder);
  else
    json_builder_add_int_value (builder, config->bitrate);
  return rw_stream_is_running (self);
}

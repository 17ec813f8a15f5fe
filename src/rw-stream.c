/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-stream
 * @title: RwStream
 * @short_description: one named stream: its pipeline, sources and sessions
 *
 * #RwStream owns one named stream of the daemon: a pipeline of its own in
 * which a video feed (the camera or the configured pipeline, with the one
 * encoder) and, optionally, an audio feed (the microphone, encoded once to
 * Opus) feed a robotwebrtcsink, which serves every viewer of the stream.
 * Each feed keeps its input fed through faults (#RwFeed); an error anywhere
 * else (a fallback, the sink) restarts the stream's pipeline, with backoff
 * while it keeps failing, and its viewers reconnect. Other streams, in
 * pipelines of their own, are not disturbed by any of it.
 *
 * The stream is the #RwSessionHost the daemon's HTTP server mounts under
 * its name: sessions are its sink's, and its status adds the sources'
 * health to the sink's.
 */

#include "rw-stream.h"
#include "rw-error.h"
#include "rw-feed.h"
#include "rw-private.h"
#include "rw-session-host.h"
#include "rw-sink.h"
#include "rw-source.h"

GST_DEBUG_CATEGORY_STATIC (rw_stream_debug);
#define GST_CAT_DEFAULT rw_stream_debug

#define WATCHDOG_INTERVAL_MS 100
#define RESTART_FIRST_MS 500
#define RESTART_MAX_MS 30000
#define RESTART_QUIET_US (10 * G_USEC_PER_SEC)

struct _RwStream
{
  GObject parent;

  const RwConfig *config;       /* the robot's; the caller's, outlives it */
  RwStreamConfig *stream;       /* this stream's settings */

  /* main context only */
  GstElement *pipeline;
  RwSink *sink;
  RwFeed *video;
  RwFeed *audio;                /* NULL: no audio */
  guint bus_watch;
  guint watchdog_id;
  gboolean running;

  /* restarts of the whole pipeline */
  guint restarts;
  guint restart_ms;
  gint64 restarted_at;          /* monotonic, µs */
  guint restart_id;
};

static void rw_stream_session_host_init (RwSessionHostInterface * iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RwStream, rw_stream, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (RW_TYPE_SESSION_HOST, rw_stream_session_host_init));

static void
rw_stream_dispose (GObject * object)
{
  RwStream *self = RW_STREAM (object);

  rw_stream_stop (self);
  g_clear_object (&self->video);
  g_clear_object (&self->audio);
  gst_clear_object (&self->sink);
  gst_clear_object (&self->pipeline);

  G_OBJECT_CLASS (rw_stream_parent_class)->dispose (object);
}

static void
rw_stream_finalize (GObject * object)
{
  RwStream *self = RW_STREAM (object);

  rw_stream_config_free (self->stream);

  G_OBJECT_CLASS (rw_stream_parent_class)->finalize (object);
}

static void
rw_stream_class_init (RwStreamClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_stream_dispose;
  object_class->finalize = rw_stream_finalize;

  GST_DEBUG_CATEGORY_INIT (rw_stream_debug, "rw-stream", 0,
      "robot-webrtc streams");
}

static void
rw_stream_init (RwStream * self)
{
}

/* The viewers' settings the sink takes from the robot's and the stream's
 * configuration, for the next viewers. */
static void
configure_sink (RwStream * self)
{
  const RwConfig *config = self->config;
  g_autofree gchar *ice = NULL;
  g_autofree gchar *origins = NULL;

  if (config->ice_addresses)
    ice = g_strjoinv (",", config->ice_addresses);
  if (config->allowed_origins)
    origins = g_strjoinv (",", config->allowed_origins);
  g_object_set (self->sink, "max-viewers", self->stream->max_viewers ?
      self->stream->max_viewers : config->max_viewers,
      "stun-server", config->stun_server, "public-address",
      config->public_address, "ice-addresses", ice, "allowed-origins", origins,
      "handshake-timeout", config->handshake_timeout, "min-rtp-port",
      config->min_rtp_port, "max-rtp-port", config->max_rtp_port,
      "retransmissions", config->retransmissions, "fec-percentage",
      config->fec_percentage, "ice-tcp", config->ice_tcp,
      "zero-playout-delay", config->zero_playout_delay, "gop-cache",
      config->gop_cache, NULL);
  g_object_set (self->sink, "rate-control", self->stream->rate_control,
      "min-bitrate", self->stream->min_bitrate, "max-bitrate",
      self->stream->max_bitrate ? self->stream->max_bitrate :
      self->stream->bitrate, "low-layer", self->stream->low_layer,
      "low-layer-bitrate", self->stream->low_layer_bitrate, "scale-down",
      self->stream->scale_down, NULL);
}

static void restart_pipeline (RwStream * self, const gchar * reason);

static void
on_feed_failed (RwFeed * feed, const gchar * reason, gpointer user_data)
{
  restart_pipeline (user_data, reason);
}

static RwFeed *
make_feed (RwStream * self, RwFeedKind kind)
{
  RwFeed *feed = rw_feed_new (kind, GST_BIN (self->pipeline),
      GST_ELEMENT (self->sink), self->stream);

  g_signal_connect (feed, "failed", G_CALLBACK (on_feed_failed), self);
  return feed;
}

/* the sink's sessions are the stream's */
static void
on_session_closed (RwSessionHost * sink, const gchar * id,
    const gchar * reason, gpointer user_data)
{
  rw_session_host_session_closed (RW_SESSION_HOST (user_data), id, reason);
}

/**
 * rw_stream_new:
 * @config: (transfer none): the robot's settings; must outlive the stream
 * @stream: (transfer none): the stream's settings (copied)
 *
 * Returns: (transfer full): a stopped stream.
 */
RwStream *
rw_stream_new (const RwConfig * config, const RwStreamConfig * stream)
{
  RwStream *self = g_object_new (RW_TYPE_STREAM, NULL);
  g_autofree gchar *name = g_strdup_printf ("stream-%s", stream->name);

  self->config = config;
  self->stream = rw_stream_config_copy (stream);
  self->pipeline = gst_object_ref_sink (gst_pipeline_new (name));
  /* a microphone never becomes the clock of the video too */
  gst_pipeline_use_clock (GST_PIPELINE (self->pipeline),
      gst_system_clock_obtain ());
  gst_object_unref (gst_pipeline_get_clock (GST_PIPELINE (self->pipeline)));
  /* the element itself, whether or not the plugin is installed; port 0:
   * the daemon's own HTTP server serves its sessions */
  self->sink = g_object_new (RW_TYPE_SINK, "name", "sink", "port", 0, NULL);
  gst_object_ref (self->sink);
  gst_bin_add (GST_BIN (self->pipeline), GST_ELEMENT (self->sink));
  configure_sink (self);
  g_signal_connect_object (self->sink, "session-closed",
      G_CALLBACK (on_session_closed), self, 0);

  self->video = make_feed (self, RW_FEED_VIDEO);
  if (stream->audio != RW_AUDIO_NONE)
    self->audio = make_feed (self, RW_FEED_AUDIO);
  return self;
}

/**
 * rw_stream_get_name:
 * @self: a stream
 *
 * Returns: (transfer none): its name.
 */
const gchar *
rw_stream_get_name (RwStream * self)
{
  return self->stream->name;
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

/* --- the pipeline --- */

/* The pipeline plays (the sink alone), then each feed starts its source
 * into it. At the first start a configured video pipeline that does not
 * start is an error; anything else missing is covered by its fallback. */
static gboolean
start_media (RwStream * self, GError ** error)
{
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "robotwebrtcsink failed to start");
    return FALSE;
  }
  if (!rw_feed_start (self->video, self->restarts == 0, error))
    return FALSE;
  return self->audio == NULL || rw_feed_start (self->audio, FALSE, error);
}

static void
stop_media (RwStream * self)
{
  /* the sink closes its sessions on its way to NULL */
  gst_element_set_state (self->pipeline, GST_STATE_NULL);
  rw_feed_stop (self->video);
  if (self->audio)
    rw_feed_stop (self->audio);
}

static gboolean
do_restart (gpointer user_data)
{
  RwStream *self = user_data;
  g_autoptr (GError) error = NULL;

  self->restart_id = 0;
  self->restarts++;
  self->restarted_at = g_get_monotonic_time ();
  if (start_media (self, &error)) {
    g_message ("stream %s: media pipeline restarted (%u so far)",
        self->stream->name, self->restarts);
    return G_SOURCE_REMOVE;
  }
  restart_pipeline (self, error->message);
  return G_SOURCE_REMOVE;
}

/* Stops everything, closing the viewers so that they reconnect, and starts
 * again: at once, or with backoff while it keeps failing. */
static void
restart_pipeline (RwStream * self, const gchar * reason)
{
  gint64 now = g_get_monotonic_time ();

  if (self->restart_id || !self->running)
    return;

  if (self->restarted_at && now - self->restarted_at < RESTART_QUIET_US)
    self->restart_ms = CLAMP (self->restart_ms * 2, RESTART_FIRST_MS,
        RESTART_MAX_MS);
  else
    self->restart_ms = 0;
  g_warning ("stream %s: restarting the media pipeline in %u ms (%s); "
      "viewers reconnect", self->stream->name, self->restart_ms, reason);
  GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS (GST_BIN (self->pipeline),
      GST_DEBUG_GRAPH_SHOW_ALL, "robot-webrtc-error");

  stop_media (self);
  self->restart_id = g_timeout_add (self->restart_ms, do_restart, self);
}

static gboolean
watch_feeds (gpointer user_data)
{
  RwStream *self = user_data;
  gint64 now = g_get_monotonic_time ();

  if (self->restart_id)
    return G_SOURCE_CONTINUE;
  rw_feed_check (self->video, now);
  if (self->audio && self->restart_id == 0)
    rw_feed_check (self->audio, now);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  RwStream *self = user_data;
  GstObject *src = GST_MESSAGE_SRC (msg);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &error, &debug);
      /* from a source already replaced, or a stopped pipeline */
      if (!self->running || self->restart_id ||
          !gst_object_has_as_ancestor (src, GST_OBJECT (self->pipeline))) {
        GST_DEBUG ("late error from %s: %s", GST_OBJECT_NAME (src),
            error->message);
        break;
      }
      GST_INFO ("stream %s: error from %s: %s (%s)", self->stream->name,
          GST_OBJECT_NAME (src), error->message, debug ? debug : "no details");
      if (!rw_feed_handle_error (self->video, src, error->message) &&
          !(self->audio && rw_feed_handle_error (self->audio, src,
                  error->message)))
        restart_pipeline (self, error->message);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &error, &debug);
      GST_WARNING ("%s: %s (%s)", GST_OBJECT_NAME (src), error->message, debug);
      break;
    case GST_MESSAGE_LATENCY:
      gst_bin_recalculate_latency (GST_BIN (self->pipeline));
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/**
 * rw_stream_start:
 * @self: a stopped stream
 * @error: why the pipeline could not start
 *
 * Plays: the camera (or the test pattern with a warning when it is missing
 * or fails to start, retrying the camera) and its encoder, and the
 * microphone (or silence, likewise). A configured video pipeline that
 * fails to start is an error.
 *
 * Returns: %TRUE if the pipeline plays.
 */
gboolean
rw_stream_start (RwStream * self, GError ** error)
{
  g_autoptr (GstBus) bus = NULL;

  g_return_val_if_fail (!self->running, FALSE);

  bus = gst_element_get_bus (self->pipeline);
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);
  self->running = TRUE;
  if (!start_media (self, error)) {
    g_prefix_error (error, "stream %s: ", self->stream->name);
    rw_stream_stop (self);
    return FALSE;
  }
  self->watchdog_id = g_timeout_add (WATCHDOG_INTERVAL_MS, watch_feeds, self);
  return TRUE;
}

/* Whether the running video is of another codec than @stream makes: the
 * viewers would have to negotiate again. A configured pipeline's codec is
 * seen at its first frame (#RwFeed::failed). */
static gboolean
codec_changes (RwStream * self, const RwStreamConfig * stream)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (GST_ELEMENT
      (self->sink), "video_0");
  g_autoptr (GstCaps) caps = pad ? gst_pad_get_current_caps (pad) : NULL;
  RwCodec codec;

  if (caps == NULL || stream->pipeline)
    return FALSE;
  codec = gst_structure_has_name (gst_caps_get_structure (caps, 0),
      "video/x-h264") ? RW_CODEC_H264 : RW_CODEC_VP8;
  return codec != stream->codec;
}

/**
 * rw_stream_reload:
 * @self: a stream
 * @stream: its new settings (copied), or %NULL when only the robot's
 *   changed
 *
 * Takes the settings again: the viewers' limits, ICE and origins apply at
 * once, to the next viewers. New video or audio settings start a new
 * source beside the running one, which it replaces once it has a buffer:
 * viewers keep watching. A new codec, or audio added or removed, restarts
 * the pipeline instead, closing the viewers (they reconnect and
 * negotiate again).
 */
void
rw_stream_reload (RwStream * self, const RwStreamConfig * stream)
{
  gboolean video = FALSE, audio = FALSE;
  const gchar *restart = NULL;

  if (stream) {
    video = !rw_stream_config_video_equal (self->stream, stream);
    audio = !rw_stream_config_audio_equal (self->stream, stream);
    if (codec_changes (self, stream))
      restart = "the codec changed";
    else if ((self->stream->audio == RW_AUDIO_NONE) !=
        (stream->audio == RW_AUDIO_NONE))
      restart = stream->audio == RW_AUDIO_NONE ? "the audio was removed" :
          "audio was added";
    rw_stream_config_free (self->stream);
    self->stream = rw_stream_config_copy (stream);
  }
  configure_sink (self);

  if (restart) {
    self->restarted_at = 0;
    restart_pipeline (self, restart);
    /* no source runs now: the feeds only take the settings */
    rw_feed_reload (self->video, self->stream);
    g_clear_object (&self->audio);
    if (self->stream->audio != RW_AUDIO_NONE)
      self->audio = make_feed (self, RW_FEED_AUDIO);
    return;
  }
  if (video) {
    g_message ("stream %s: new video settings: a new source takes over",
        self->stream->name);
    rw_feed_reload (self->video, self->stream);
  }
  if (audio && self->audio) {
    g_message ("stream %s: new audio settings: a new source takes over",
        self->stream->name);
    rw_feed_reload (self->audio, self->stream);
  }
}

/**
 * rw_stream_is_running:
 * @self: a stream
 *
 * Returns: %TRUE while the pipeline plays (with the configured sources or
 * their fallbacks), %FALSE when stopped or restarting.
 */
gboolean
rw_stream_is_running (RwStream * self)
{
  return self->running && self->restart_id == 0;
}

/**
 * rw_stream_get_state:
 * @self: a stream
 *
 * Returns: "ok" while its configured video source plays, "lost" while the
 * slate stands in, "restarting" between pipeline restarts, "stopped"
 * before it starts, after it stops, or when it could not start.
 */
const gchar *
rw_stream_get_state (RwStream * self)
{
  if (!self->running)
    return "stopped";
  if (self->restart_id)
    return "restarting";
  return rw_feed_is_lost (self->video) ? "lost" : "ok";
}

/**
 * rw_stream_get_frames:
 * @self: a stream
 *
 * Returns: the encoded video frames its sources (and the slate) gave since
 * it was made: the count stops when the video stops.
 */
guint64
rw_stream_get_frames (RwStream * self)
{
  return rw_feed_get_frames (self->video);
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
  g_clear_handle_id (&self->watchdog_id, g_source_remove);
  g_clear_handle_id (&self->restart_id, g_source_remove);
  if (self->pipeline)
    stop_media (self);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
}

/* --- sessions: the sink's --- */

static void
on_sink_opened (GObject * sink, GAsyncResult * result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  gchar *answer;

  answer = rw_session_host_open_finish (RW_SESSION_HOST (sink), result, &error);
  if (answer)
    g_task_return_pointer (task, answer, g_free);
  else
    g_task_return_error (task, error);
}

static void
rw_stream_open_async (RwSessionHost * host, const gchar * session_id,
    const gchar * offer, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  RwStream *self = RW_STREAM (host);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, rw_stream_open_async);
  rw_session_host_open_async (RW_SESSION_HOST (self->sink), session_id, offer,
      cancellable, on_sink_opened, task);
}

static gchar *
rw_stream_open_finish (RwSessionHost * host, GAsyncResult * result,
    GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, host), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
rw_stream_add_candidate (RwSessionHost * host, const gchar * session_id,
    guint mline, const gchar * candidate, gchar ** ignored, GError ** error)
{
  RwStream *self = RW_STREAM (host);

  return rw_session_host_add_candidate (RW_SESSION_HOST (self->sink),
      session_id, mline, candidate, ignored, error);
}

static gboolean
rw_stream_close (RwSessionHost * host, const gchar * session_id,
    const gchar * reason)
{
  RwStream *self = RW_STREAM (host);

  return rw_session_host_close (RW_SESSION_HOST (self->sink), session_id,
      reason);
}

/* "source" (the video's) or "audio_source": what plays, its health, and
 * the stream's restarts. */
static void
add_feed_status (RwStream * self, JsonBuilder * builder, const gchar * name,
    RwFeed * feed)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  rw_feed_add_status (feed, builder);
  if (!rw_stream_is_running (self)) {
    json_builder_set_member_name (builder, "state");
    json_builder_add_string_value (builder, "restarting");
  }
  json_builder_set_member_name (builder, "restarts");
  json_builder_add_int_value (builder, self->restarts);
  json_builder_end_object (builder);
}

/* The sink's members, the sources and their health, and the configured
 * bitrates (null with a configured pipeline). Healthy once the video
 * streams, while the pipeline runs (with the configured sources or their
 * fallbacks). */
static gboolean
rw_stream_add_status (RwSessionHost * host, JsonBuilder * builder,
    RwStatusDetail detail)
{
  RwStream *self = RW_STREAM (host);
  gboolean streaming;

  streaming = rw_session_host_add_status (RW_SESSION_HOST (self->sink),
      builder, detail);
  /* what it sends, also while its media starts (offers wait for it) */
  json_builder_set_member_name (builder, "audio");
  if (self->audio)
    json_builder_add_string_value (builder, "OPUS");
  else
    json_builder_add_null_value (builder);
  add_feed_status (self, builder, "source", self->video);
  json_builder_set_member_name (builder, "bitrate");
  if (self->stream->pipeline)
    json_builder_add_null_value (builder);
  else
    json_builder_add_int_value (builder, self->stream->bitrate);
  if (self->audio) {
    add_feed_status (self, builder, "audio_source", self->audio);
    json_builder_set_member_name (builder, "audio_bitrate");
    if (self->stream->audio == RW_AUDIO_PIPELINE)
      json_builder_add_null_value (builder);
    else
      json_builder_add_int_value (builder, self->stream->audio_bitrate);
  }
  return streaming && rw_stream_is_running (self);
}

/* The sink's: what it sends, the slate's frames included. */
static void
rw_stream_snapshot_async (RwSessionHost * host, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  rw_session_host_snapshot_async (RW_SESSION_HOST (RW_STREAM (host)->sink),
      cancellable, callback, user_data);
}

static GBytes *
rw_stream_snapshot_finish (RwSessionHost * host, GAsyncResult * result,
    GError ** error)
{
  return rw_session_host_snapshot_finish (RW_SESSION_HOST (RW_STREAM
          (host)->sink), result, error);
}

static void
rw_stream_session_host_init (RwSessionHostInterface * iface)
{
  iface->snapshot_async = rw_stream_snapshot_async;
  iface->snapshot_finish = rw_stream_snapshot_finish;
  iface->open_async = rw_stream_open_async;
  iface->open_finish = rw_stream_open_finish;
  iface->add_candidate = rw_stream_add_candidate;
  iface->close = rw_stream_close;
  iface->add_status = rw_stream_add_status;
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-stream
 * @title: RwStream
 * @short_description: the daemon's pipeline: one source, one encoder, the sink
 *
 * #RwStream owns the daemon's media pipeline: a source bin (the camera or
 * the configured pipeline, with the one encoder) feeding a robotwebrtcsink,
 * which serves every viewer.
 *
 * The stream outlives its source. When the configured source is missing at
 * start, fails (an error, its end, or no frame for a few frame intervals),
 * a slate takes its place in front of the sink: the test pattern saying what
 * happened, encoded the same way. Viewers stay connected, since only the
 * source bin changes and the sink goes on with the same tee and viewers.
 * The configured source is retried with backoff and swapped back in once it
 * starts. New sources are live and their timestamps follow the pipeline's
 * running time, so the viewers' RTP timestamps go on without a jump.
 *
 * An error anywhere else (the slate, the sink) restarts the whole pipeline;
 * viewers then reconnect.
 */

#include "rw-stream.h"
#include "rw-error.h"
#include "rw-private.h"
#include "rw-session-host.h"

GST_DEBUG_CATEGORY_STATIC (rw_stream_debug);
#define GST_CAT_DEFAULT rw_stream_debug

#define WATCHDOG_INTERVAL_MS 100
/* A source stalls after this long without a frame, or STALL_FRAMES frame
 * intervals if longer; the slate, our own, is given longer before the whole
 * pipeline restarts, so that a loaded machine does not restart it. */
#define STALL_MIN_MS 1000
#define STALL_FRAMES 4
#define SLATE_STALL_MS 3000
#define FIRST_FRAME_TIMEOUT_MS 3000
#define RETRY_FIRST_MS 500
#define RETRY_MAX_MS 10000
#define RESTART_MAX_MS 30000
#define RESTART_QUIET_US (10 * G_USEC_PER_SEC)

struct _RwStream
{
  GObject parent;

  const RwConfig *config;       /* the caller's; outlives the stream */

  /* main context only */
  GstElement *pipeline;
  RwSink *sink;
  guint bus_watch;
  gchar *device;
  RwSourceKind primary;         /* configured: camera or pipeline */
  GstElement *source;           /* the bin feeding the sink */
  RwSourceKind kind;            /* what it is: primary or test pattern */
  gboolean running;

  /* the configured source's health; main context only */
  gboolean lost;                /* not streaming: the slate shows */
  gint64 lost_since;            /* real time, µs */
  gchar *warning;               /* why */
  guint losses;                 /* times lost since start */
  guint retries;                /* since lost */
  guint retry_ms;
  guint retry_id;
  GstElement *trial;            /* the configured source, being retried */
  gboolean reloading;           /* ...or replacing the old one's settings */
  gulong trial_probe;           /* holds the trial's first frame */
  gint64 trial_since;           /* monotonic, µs */

  /* restarts of the whole pipeline; main context only */
  guint restarts;
  guint restart_ms;
  gint64 restarted_at;          /* monotonic, µs */
  guint restart_id;

  /* the source watchdog; main context only */
  guint watchdog_id;
  gint64 source_since;          /* monotonic, µs: the source was put in */
  gint64 moved_at;              /* monotonic, µs: frames last changed */
  gint last_frames;
  guint n_sources;              /* bins made, for unique names */

  /* atomic: written by the source's streaming thread */
  gint frames;                  /* buffers out of the current source */
  gint ended;                   /* the current source sent EOS */
  gint trial_ready;             /* the trial holds its first frame */
};

static void rw_stream_session_host_init (RwSessionHostInterface * iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RwStream, rw_stream, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (RW_TYPE_SESSION_HOST, rw_stream_session_host_init));

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

/* The settings the sink and the source take from the configuration. */
static void
configure (RwStream * self)
{
  const RwConfig *config = self->config;
  g_autofree gchar *ice = NULL;
  g_autofree gchar *origins = NULL;

  g_free (self->device);
  self->device = rw_config_camera_device (config);
  self->primary = config->pipeline ? RW_SOURCE_PIPELINE : RW_SOURCE_CAMERA;

  if (config->ice_addresses)
    ice = g_strjoinv (",", config->ice_addresses);
  if (config->allowed_origins)
    origins = g_strjoinv (",", config->allowed_origins);
  g_object_set (self->sink, "max-viewers", config->max_viewers,
      "stun-server", config->stun_server, "turn-server", config->turn_server,
      "ice-addresses", ice, "allowed-origins", origins, "handshake-timeout",
      config->handshake_timeout, "min-rtp-port", config->min_rtp_port,
      "max-rtp-port", config->max_rtp_port, NULL);
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
 * @config: (transfer none): the settings; must outlive the stream
 *
 * Returns: (transfer full): a stopped stream.
 */
RwStream *
rw_stream_new (const RwConfig * config)
{
  RwStream *self = g_object_new (RW_TYPE_STREAM, NULL);

  self->config = config;
  self->pipeline = gst_object_ref_sink (gst_pipeline_new ("robot-webrtc"));
  /* the element itself, whether or not the plugin is installed */
  /* port 0: the daemon's own HTTP server drives the viewers */
  self->sink = g_object_new (RW_TYPE_SINK, "name", "sink", "port", 0, NULL);
  configure (self);
  gst_object_ref (self->sink);
  gst_bin_add (GST_BIN (self->pipeline), GST_ELEMENT (self->sink));
  g_signal_connect_object (self->sink, "session-closed",
      G_CALLBACK (on_session_closed), self, 0);
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

/* --- the source bin --- */

static GstPadProbeReturn
count_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwStream *self = user_data;

  g_atomic_int_inc (&self->frames);
  return GST_PAD_PROBE_OK;
}

/* A source's end is a fault to the daemon, not the end of the viewers'
 * streams: the EOS stops here and the watchdog replaces the source. */
static GstPadProbeReturn
catch_eos (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwStream *self = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  g_atomic_int_set (&self->ended, 1);
  return GST_PAD_PROBE_DROP;
}

static const gchar *
primary_kind (RwStream * self)
{
  return self->primary == RW_SOURCE_CAMERA ? "camera" : "pipeline";
}

static const gchar *
primary_name (RwStream * self)
{
  return self->primary == RW_SOURCE_CAMERA ? self->device :
      self->config->pipeline_name;
}

/* Adds a new source bin to the pipeline, named after its kind. */
static GstElement *
add_source (RwStream * self, GstElement * bin, RwSourceKind kind)
{
  g_autofree gchar *name = g_strdup_printf ("%s-%u",
      rw_source_kind_to_string (kind), self->n_sources++);

  gst_object_set_name (GST_OBJECT (bin), name);
  if (!gst_bin_add (GST_BIN (self->pipeline), bin))
    g_return_val_if_reached (NULL);
  return bin;
}

/* The configured source, added to the pipeline and ready to start. */
static GstElement *
add_primary (RwStream * self, GError ** error)
{
  g_autofree gchar *camera_caps = NULL;
  GstElement *bin;

  if (self->primary == RW_SOURCE_CAMERA) {
    camera_caps = rw_source_probe_camera (self->device, self->config->width,
        self->config->height, error);
    if (camera_caps == NULL)
      return NULL;
  }
  bin = rw_source_make_bin (self->config, self->primary, camera_caps, error);
  if (bin == NULL)
    return NULL;
  return add_source (self, bin, self->primary);
}

/* The caps of the stream the viewers get, or NULL before it runs. */
static GstCaps *
serving_caps (RwStream * self)
{
  g_autoptr (GstPad) pad =
      gst_element_get_static_pad (GST_ELEMENT (self->sink), "video_0");

  return pad ? gst_pad_get_current_caps (pad) : NULL;
}

static RwCodec
caps_codec (GstCaps * caps)
{
  return gst_structure_has_name (gst_caps_get_structure (caps, 0),
      "video/x-h264") ? RW_CODEC_H264 : RW_CODEC_VP8;
}

/* The slate for @message, with the codec, size and rate the viewers
 * already get (a configured pipeline may differ from the settings). */
static GstElement *
add_slate (RwStream * self, const gchar * message, GError ** error)
{
  g_autoptr (GstCaps) caps = serving_caps (self);
  RwConfig config = *self->config;      /* shallow, for this call only */
  GstStructure *s;
  GstElement *bin;
  gint width, height, fps_n, fps_d;

  if (caps) {
    s = gst_caps_get_structure (caps, 0);
    config.codec = caps_codec (caps);
    if (gst_structure_get_int (s, "width", &width) &&
        gst_structure_get_int (s, "height", &height)) {
      config.width = width;
      config.height = height;
    }
    if (gst_structure_get_fraction (s, "framerate", &fps_n, &fps_d) &&
        fps_n > 0 && fps_d > 0)
      config.framerate = MAX (fps_n / fps_d, 1);
  }

  bin = rw_source_make_slate (&config, message, error);
  if (bin == NULL)
    return NULL;
  return add_source (self, bin, RW_SOURCE_TEST_PATTERN);
}

static void
remove_source (RwStream * self, GstElement * bin)
{
  gst_element_set_state (bin, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (self->pipeline), bin);
}

/* Puts @bin (added, not linked) in front of the sink in place of the
 * current source, and starts it if the pipeline runs. */
static gboolean
use_source (RwStream * self, GstElement * bin, RwSourceKind kind,
    GError ** error)
{
  g_autoptr (GstPad) src = NULL;

  if (self->source) {
    remove_source (self, self->source);
    self->source = NULL;
  }

  if (!gst_element_link (bin, GST_ELEMENT (self->sink))) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the source's output cannot feed robotwebrtcsink (it takes VP8 or "
        "H264 byte-stream)");
    remove_source (self, bin);
    return FALSE;
  }

  self->source = bin;
  self->kind = kind;
  g_atomic_int_set (&self->frames, 0);
  g_atomic_int_set (&self->ended, 0);
  self->last_frames = 0;
  self->source_since = self->moved_at = g_get_monotonic_time ();

  src = gst_element_get_static_pad (bin, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, count_frame, self, NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, catch_eos,
      self, NULL);
  GST_INFO ("source: %s", rw_source_kind_to_string (kind));

  if (self->running && !gst_element_sync_state_with_parent (bin)) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE, "the %s failed to start",
        rw_source_kind_to_string (kind));
    return FALSE;
  }
  return TRUE;
}

/* --- faults --- */

static void restart_pipeline (RwStream * self, const gchar * reason);

static gboolean retry_primary (gpointer user_data);

static void
schedule_retry (RwStream * self)
{
  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_id = g_timeout_add (self->retry_ms, retry_primary, self);
  self->retry_ms = MIN (self->retry_ms * 2, RETRY_MAX_MS);
}

static void
set_warning (RwStream * self, const gchar * reason)
{
  g_free (self->warning);
  self->warning = g_strdup_printf ("%s %s: %s", primary_kind (self),
      primary_name (self), reason);
}

/* Shows the slate in place of the configured source and retries it. */
static void
primary_lost (RwStream * self, const gchar * reason)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *message = NULL;
  GstElement *slate;

  if (self->trial) {
    /* a reload's new source was starting: retried like the lost one */
    remove_source (self, self->trial);
    self->trial = NULL;
    self->reloading = FALSE;
  }
  set_warning (self, reason);
  if (!self->lost) {
    self->losses++;
    self->lost = TRUE;
    self->lost_since = g_get_real_time ();
    self->retries = 0;
    self->retry_ms = RETRY_FIRST_MS;
    g_warning ("%s %s lost (%s); showing a slate and retrying",
        primary_kind (self), primary_name (self), reason);
  } else {
    GST_INFO ("retry %u failed: %s", self->retries, reason);
  }

  message = self->primary == RW_SOURCE_CAMERA ?
      g_strdup_printf ("camera lost (%s), retrying", self->device) :
      g_strdup ("video source lost, retrying");
  slate = add_slate (self, message, &error);
  if (slate == NULL || !use_source (self, slate, RW_SOURCE_TEST_PATTERN,
          &error)) {
    restart_pipeline (self, error->message);
    return;
  }
  schedule_retry (self);
}

/* The trial runs unlinked beside the slate, its output blocked on its
 * first frame, so that viewers keep the slate until the source works. */
static GstPadProbeReturn
hold_first_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwStream *self = user_data;

  g_atomic_int_set (&self->trial_ready, 1);
  return GST_PAD_PROBE_OK;
}

static void
end_trial (RwStream * self, const gchar * reason)
{
  remove_source (self, self->trial);
  self->trial = NULL;
  if (self->reloading) {
    /* the new settings' source does not work: the old one goes too */
    self->reloading = FALSE;
    primary_lost (self, reason);
    return;
  }
  GST_INFO ("retry %u failed: %s", self->retries, reason);
  set_warning (self, reason);
  schedule_retry (self);
}

/* Starts the configured source beside the current one. */
static gboolean
start_trial (RwStream * self, GError ** error)
{
  g_autoptr (GstPad) src = NULL;
  GstElement *bin;

  bin = add_primary (self, error);
  if (bin == NULL)
    return FALSE;

  self->trial = bin;
  self->trial_since = g_get_monotonic_time ();
  g_atomic_int_set (&self->trial_ready, 0);
  src = gst_element_get_static_pad (bin, "src");
  self->trial_probe = gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BLOCK |
      GST_PAD_PROBE_TYPE_BUFFER, hold_first_frame, self, NULL);
  if (!gst_element_sync_state_with_parent (bin))
    end_trial (self, "it failed to start");
  return TRUE;
}

static gboolean
retry_primary (gpointer user_data)
{
  RwStream *self = user_data;
  g_autoptr (GError) error = NULL;

  self->retry_id = 0;
  self->retries++;
  GST_DEBUG ("retry %u of %s", self->retries, primary_name (self));
  if (!start_trial (self, &error)) {
    GST_INFO ("retry %u failed: %s", self->retries, error->message);
    set_warning (self, error->message);
    schedule_retry (self);
  }
  return G_SOURCE_REMOVE;
}

/* Whether the trial's first frame is of another codec than the viewers
 * get: they would have to negotiate again. */
static gboolean
trial_changes_codec (RwStream * self, GstPad * src)
{
  g_autoptr (GstCaps) serving = serving_caps (self);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (src);

  return caps && serving && caps_codec (caps) != caps_codec (serving);
}

/* The trial has a frame: it replaces the slate, and its held first frame
 * (a keyframe from a fresh encoder) goes on to the viewers. */
static void
promote_trial (RwStream * self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstPad) src = NULL;
  GstElement *bin = self->trial;

  src = gst_element_get_static_pad (bin, "src");
  if (trial_changes_codec (self, src)) {
    restart_pipeline (self, "the codec changed");
    return;
  }
  self->trial = NULL;
  self->reloading = FALSE;
  if (!use_source (self, bin, self->primary, &error)) {
    primary_lost (self, error->message);
    return;
  }
  /* the frame it holds now reaches the sink */
  gst_pad_remove_probe (src, self->trial_probe);
  self->trial_probe = 0;
  if (!self->lost) {
    g_message ("%s %s now streams", primary_kind (self), primary_name (self));
    return;
  }
  g_message ("%s %s is back after %u %s and %.1f s; viewers see it again",
      primary_kind (self), primary_name (self), self->retries,
      self->retries == 1 ? "retry" : "retries",
      (g_get_real_time () - self->lost_since) / (gdouble) G_USEC_PER_SEC);
  self->lost = FALSE;
  self->lost_since = 0;
  self->retries = 0;
  g_clear_pointer (&self->warning, g_free);
}

static void
source_failed (RwStream * self, const gchar * reason)
{
  if (self->kind == self->primary)
    primary_lost (self, reason);
  else
    restart_pipeline (self, reason);
}

static guint
stall_ms (RwStream * self)
{
  g_autoptr (GstCaps) caps = NULL;
  gint fps_n = self->config->framerate, fps_d = 1;

  if (self->kind != self->primary)
    return SLATE_STALL_MS;
  caps = serving_caps (self);
  if (caps)
    gst_structure_get_fraction (gst_caps_get_structure (caps, 0),
        "framerate", &fps_n, &fps_d);
  if (fps_n <= 0 || fps_d <= 0)
    return STALL_MIN_MS;
  return MAX (STALL_MIN_MS, STALL_FRAMES * 1000 * fps_d / fps_n);
}

/* Frames out of the source, checked every WATCHDOG_INTERVAL_MS: a source
 * that ended, never started or stopped giving frames has failed. */
static gboolean
watch_source (gpointer user_data)
{
  RwStream *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint frames = g_atomic_int_get (&self->frames);
  g_autofree gchar *reason = NULL;

  if (self->source == NULL)
    return G_SOURCE_CONTINUE;

  if (frames != self->last_frames) {
    if (now - self->moved_at > 200 * G_TIME_SPAN_MILLISECOND)
      GST_DEBUG ("a frame after %" G_GINT64_FORMAT " ms",
          (now - self->moved_at) / G_TIME_SPAN_MILLISECOND);
    self->last_frames = frames;
    self->moved_at = now;
  }

  if (g_atomic_int_get (&self->ended))
    reason = g_strdup ("the source ended");
  else if (frames == 0 && now - self->source_since >
      FIRST_FRAME_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND)
    reason = g_strdup_printf ("no frame %u ms after it started",
        FIRST_FRAME_TIMEOUT_MS);
  /* the caps are looked at only once a frame is late */
  else if (frames > 0 && now - self->moved_at >
      STALL_MIN_MS * G_TIME_SPAN_MILLISECOND && now - self->moved_at >
      stall_ms (self) * G_TIME_SPAN_MILLISECOND)
    reason = g_strdup_printf ("no frame for %" G_GINT64_FORMAT " ms",
        (now - self->moved_at) / G_TIME_SPAN_MILLISECOND);

  if (reason)
    source_failed (self, reason);

  if (self->trial && g_atomic_int_get (&self->trial_ready))
    promote_trial (self);
  else if (self->trial && now - self->trial_since >
      FIRST_FRAME_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND)
    end_trial (self, "no frame after it started");
  return G_SOURCE_CONTINUE;
}

/* --- the pipeline --- */

/* Builds the source (the configured one, or the slate when the camera is
 * missing) and plays. */
static gboolean
start_media (RwStream * self, GError ** error)
{
  g_autoptr (GError) primary_error = NULL;
  GstElement *bin;

  bin = add_primary (self, &primary_error);
  if (bin && use_source (self, bin, self->primary, &primary_error) &&
      gst_element_set_state (self->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE)
    return TRUE;

  if (self->primary == RW_SOURCE_PIPELINE && self->restarts == 0) {
    /* at start, a pipeline that does not run is a configuration error */
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the pipeline from %s failed to start%s%s",
        self->config->pipeline_name, primary_error ? ": " : "",
        primary_error ? primary_error->message : "");
    return FALSE;
  }

  gst_element_set_state (self->pipeline, GST_STATE_NULL);
  if (primary_error == NULL)
    g_set_error (&primary_error, RW_ERROR, RW_ERROR_PIPELINE,
        "it failed to start");
  set_warning (self, primary_error->message);
  if (!self->lost) {
    self->losses++;
    self->lost = TRUE;
    self->lost_since = g_get_real_time ();
    self->retries = 0;
    self->retry_ms = RETRY_FIRST_MS;
  }
  if (self->primary == RW_SOURCE_CAMERA) {
    g_warning ("camera %s unavailable (%s); streaming a test pattern instead",
        self->device, primary_error->message);
    bin = rw_source_make_bin (self->config, RW_SOURCE_TEST_PATTERN, NULL,
        error);
    if (bin)
      add_source (self, bin, RW_SOURCE_TEST_PATTERN);
  } else {
    g_warning ("the pipeline from %s failed to start (%s); showing a slate",
        self->config->pipeline_name, primary_error->message);
    bin = add_slate (self, "video source lost, retrying", error);
  }
  if (bin == NULL || !use_source (self, bin, RW_SOURCE_TEST_PATTERN, error))
    return FALSE;
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "neither the %s nor the test pattern could start",
        self->primary == RW_SOURCE_CAMERA ? "camera" : "pipeline");
    return FALSE;
  }
  schedule_retry (self);
  return TRUE;
}

static void
stop_media (RwStream * self)
{
  g_clear_handle_id (&self->retry_id, g_source_remove);
  gst_element_set_state (self->pipeline, GST_STATE_NULL);
  self->reloading = FALSE;
  if (self->trial) {
    gst_bin_remove (GST_BIN (self->pipeline), self->trial);
    self->trial = NULL;
  }
  if (self->source) {
    gst_bin_remove (GST_BIN (self->pipeline), self->source);
    self->source = NULL;
  }
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
    g_message ("media pipeline restarted (%u so far)", self->restarts);
    return G_SOURCE_REMOVE;
  }
  stop_media (self);
  restart_pipeline (self, error->message);
  return G_SOURCE_REMOVE;
}

/* Stops everything, closing the viewers so that they reconnect, and starts
 * again: at once, or with backoff while it keeps failing. */
static void
restart_pipeline (RwStream * self, const gchar * reason)
{
  gint64 now = g_get_monotonic_time ();

  if (self->restart_id)
    return;

  if (self->restarted_at && now - self->restarted_at < RESTART_QUIET_US)
    self->restart_ms = CLAMP (self->restart_ms * 2, RETRY_FIRST_MS,
        RESTART_MAX_MS);
  else
    self->restart_ms = 0;
  g_warning ("restarting the media pipeline in %u ms (%s); viewers "
      "reconnect", self->restart_ms, reason);
  GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS (GST_BIN (self->pipeline),
      GST_DEBUG_GRAPH_SHOW_ALL, "robot-webrtc-error");

  stop_media (self);
  self->restart_id = g_timeout_add (self->restart_ms, do_restart, self);
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
      GST_INFO ("error from %s: %s (%s)", GST_OBJECT_NAME (src),
          error->message, debug ? debug : "no details");
      if (self->trial && gst_object_has_as_ancestor (src,
              GST_OBJECT (self->trial)))
        end_trial (self, error->message);
      else if (self->source && gst_object_has_as_ancestor (src,
              GST_OBJECT (self->source)))
        source_failed (self, error->message);
      else
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
 * Opens the camera (or the test pattern with a warning when it is missing
 * or fails to start, retrying the camera), starts the encoder and plays. A
 * configured pipeline that fails to start is an error.
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
    rw_stream_stop (self);
    return FALSE;
  }
  self->watchdog_id = g_timeout_add (WATCHDOG_INTERVAL_MS, watch_source, self);
  return TRUE;
}

/**
 * rw_stream_reload:
 * @self: a stream
 * @restart: whether the media settings changed
 *
 * Takes the settings again (they changed in place): the viewers' limits,
 * ICE and origins apply at once, to the next viewers. With @restart, a
 * source and encoder with the new settings start beside the running ones
 * and replace them once they have a frame: viewers keep watching. A new
 * codec restarts the whole pipeline instead, closing the viewers (they
 * reconnect and negotiate it).
 */
void
rw_stream_reload (RwStream * self, gboolean restart)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstCaps) serving = NULL;

  configure (self);
  if (!restart || !self->running || self->restart_id)
    return;

  if (self->trial) {
    remove_source (self, self->trial);
    self->trial = NULL;
  }
  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->lost = FALSE;
  self->lost_since = 0;
  self->retries = 0;
  g_clear_pointer (&self->warning, g_free);

  /* another codec: the viewers must negotiate again */
  serving = serving_caps (self);
  if (self->primary == RW_SOURCE_CAMERA && serving &&
      caps_codec (serving) != self->config->codec) {
    self->restarted_at = 0;
    restart_pipeline (self, "the codec changed");
    return;
  }

  /* the same codec: the new source replaces the old one once it has a
   * frame, and viewers keep watching */
  self->reloading = TRUE;
  if (!start_trial (self, &error)) {
    self->reloading = FALSE;
    primary_lost (self, error->message);
  }
}

/**
 * rw_stream_is_running:
 * @self: a stream
 *
 * Returns: %TRUE while the pipeline plays (with the configured source or
 * the slate), %FALSE when stopped or restarting.
 */
gboolean
rw_stream_is_running (RwStream * self)
{
  return self->running && self->restart_id == 0;
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

static void
add_source_status (RwStream * self, JsonBuilder * builder)
{
  const RwConfig *config = self->config;
  g_autoptr (GDateTime) since = NULL;
  g_autofree gchar *iso = NULL;

  json_builder_set_member_name (builder, "source");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, rw_source_kind_to_string
      (self->kind));
  if (self->primary == RW_SOURCE_PIPELINE) {
    json_builder_set_member_name (builder, "pipeline");
    json_builder_add_string_value (builder, config->pipeline_name);
  } else {
    json_builder_set_member_name (builder, "device");
    json_builder_add_string_value (builder, self->device);
  }
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, !rw_stream_is_running (self) ?
      "restarting" : self->lost ? "lost" : "ok");
  json_builder_set_member_name (builder, "lost_since");
  if (self->lost) {
    since = g_date_time_new_from_unix_utc (self->lost_since / G_USEC_PER_SEC);
    iso = g_date_time_format_iso8601 (since);
    json_builder_add_string_value (builder, iso);
  } else {
    json_builder_add_null_value (builder);
  }
  json_builder_set_member_name (builder, "losses");
  json_builder_add_int_value (builder, self->losses);
  json_builder_set_member_name (builder, "retries");
  json_builder_add_int_value (builder, self->retries);
  json_builder_set_member_name (builder, "restarts");
  json_builder_add_int_value (builder, self->restarts);
  if (self->warning) {
    json_builder_set_member_name (builder, "warning");
    json_builder_add_string_value (builder, self->warning);
  }
  json_builder_end_object (builder);
}

/* The sink's members, the source, its health and the configured bitrate
 * (null with a custom pipeline). Healthy once the video streams, and while
 * the pipeline runs (with the configured source or the slate). */
static gboolean
rw_stream_add_status (RwSessionHost * host, JsonBuilder * builder,
    RwStatusDetail detail)
{
  RwStream *self = RW_STREAM (host);
  gboolean streaming;

  streaming = rw_session_host_add_status (RW_SESSION_HOST (self->sink),
      builder, detail);
  add_source_status (self, builder);
  json_builder_set_member_name (builder, "bitrate");
  if (self->primary == RW_SOURCE_PIPELINE)
    json_builder_add_null_value (builder);
  else
    json_builder_add_int_value (builder, self->config->bitrate);
  return streaming && rw_stream_is_running (self);
}

static void
rw_stream_session_host_init (RwSessionHostInterface * iface)
{
  iface->open_async = rw_stream_open_async;
  iface->open_finish = rw_stream_open_finish;
  iface->add_candidate = rw_stream_add_candidate;
  iface->close = rw_stream_close;
  iface->add_status = rw_stream_add_status;
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-feed
 * @title: RwFeed
 * @short_description: one input of a stream's sink, kept fed
 *
 * A feed supervises what feeds one input of a stream's robotwebrtcsink:
 * the video (a camera or a configured pipeline, with its encoder) or the
 * audio (a microphone or a configured pipeline, encoded to Opus). It
 * outlives its source: when the configured source is missing at start,
 * fails (an error, its end, or no buffer for a while), a fallback takes its
 * place in front of the sink, encoded the same way: for video the test
 * pattern saying what happened (the slate), for audio silence. Viewers stay
 * connected, since only the source bin changes and the sink goes on with
 * the same tee and sessions. The configured source is retried with backoff
 * and swapped back in once it gives a buffer. New sources are live and
 * their timestamps follow the pipeline's running time, so the viewers' RTP
 * timestamps go on without a jump.
 *
 * A retry runs the source beside the fallback, unlinked, with a blocking
 * probe holding its first buffer: viewers keep the fallback until the
 * source works, and the held buffer, a keyframe from a fresh encoder, is
 * the first they get from it.
 *
 * What the feed cannot mend (its fallback fails, or a new source brings
 * another video codec, which viewers would have to negotiate) it reports
 * with #RwFeed::failed; the stream then restarts its pipeline.
 *
 * Everything runs on the main context but the pad probes, which only count.
 */

#include "rw-feed.h"
#include "rw-error.h"
#include "rw-source.h"

GST_DEBUG_CATEGORY_STATIC (rw_feed_debug);
#define GST_CAT_DEFAULT rw_feed_debug

/* A source stalls after this long without a buffer, or STALL_FRAMES frame
 * intervals if longer; the fallback, our own, is given longer before the
 * whole pipeline restarts, so that a loaded machine does not restart it. */
#define STALL_MIN_MS 1000
#define STALL_FRAMES 4
#define FALLBACK_STALL_MS 3000
#define FIRST_FRAME_TIMEOUT_MS 3000
#define RETRY_FIRST_MS 500
#define RETRY_MAX_MS 10000

struct _RwFeed
{
  GObject parent;

  RwFeedKind kind;
  GstBin *pipeline;
  GstElement *sink;
  GstPad *sink_pad;             /* the sink's input this feed feeds */
  RwStreamConfig *config;
  gchar *device;                /* video: /dev/videoN */

  /* main context only */
  GstElement *source;           /* the bin feeding the sink */
  gboolean on_fallback;         /* it is the slate or silence */
  gboolean lost;                /* the configured source is not in use */
  gint64 lost_since;            /* real time, µs */
  gchar *warning;               /* why */
  guint losses;                 /* times lost since start */
  guint retries;                /* since lost */
  guint retry_ms;
  guint retry_id;
  GstElement *trial;            /* the configured source, being retried */
  gboolean reloading;           /* ...or replacing the old one's settings */
  gulong trial_probe;           /* holds the trial's first buffer */
  gint64 trial_since;           /* monotonic, µs */
  gint64 source_since;          /* monotonic, µs: the source was put in */
  gint64 moved_at;              /* monotonic, µs: buffers last came */
  gint last_frames;
  guint64 frames_total;         /* out of every source since start */
  guint n_sources;              /* bins made, for unique names */

  /* atomic: written by the source's streaming thread */
  gint frames;                  /* buffers out of the current source */
  gint ended;                   /* the current source sent EOS */
  gint trial_ready;             /* the trial holds its first buffer */
};

enum
{
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RwFeed, rw_feed, G_TYPE_OBJECT);

static void
rw_feed_dispose (GObject * object)
{
  RwFeed *self = RW_FEED (object);

  rw_feed_stop (self);
  if (self->sink_pad) {
    /* the sink's input goes with its feed: no audio, say */
    gst_element_release_request_pad (self->sink, self->sink_pad);
    gst_clear_object (&self->sink_pad);
  }
  gst_clear_object (&self->sink);
  gst_clear_object (&self->pipeline);

  G_OBJECT_CLASS (rw_feed_parent_class)->dispose (object);
}

static void
rw_feed_finalize (GObject * object)
{
  RwFeed *self = RW_FEED (object);

  rw_stream_config_free (self->config);
  g_free (self->device);
  g_free (self->warning);

  G_OBJECT_CLASS (rw_feed_parent_class)->finalize (object);
}

static void
rw_feed_class_init (RwFeedClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_feed_dispose;
  object_class->finalize = rw_feed_finalize;

  /**
   * RwFeed::failed:
   * @feed: the feed
   * @reason: why
   *
   * The feed cannot go on by itself: the pipeline must restart.
   */
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  GST_DEBUG_CATEGORY_INIT (rw_feed_debug, "rw-feed", 0,
      "robot-webrtc sources and their fallbacks");
}

static void
rw_feed_init (RwFeed * self)
{
}

static void
set_config (RwFeed * self, const RwStreamConfig * config)
{
  rw_stream_config_free (self->config);
  self->config = rw_stream_config_copy (config);
  g_free (self->device);
  self->device = rw_stream_config_camera_device (config);
}

/**
 * rw_feed_new:
 * @kind: video or audio
 * @pipeline: the stream's pipeline
 * @sink: the stream's robotwebrtcsink, in @pipeline
 * @config: the stream's settings (copied)
 *
 * Returns: (transfer full): a feed with no source yet.
 */
RwFeed *
rw_feed_new (RwFeedKind kind, GstBin * pipeline, GstElement * sink,
    const RwStreamConfig * config)
{
  RwFeed *self = g_object_new (RW_TYPE_FEED, NULL);

  self->kind = kind;
  self->pipeline = gst_object_ref (pipeline);
  self->sink = gst_object_ref (sink);
  set_config (self, config);
  return self;
}

/* --- names, for logs and /status --- */

static gboolean
primary_is_pipeline (RwFeed * self)
{
  return self->kind == RW_FEED_VIDEO ? self->config->pipeline != NULL :
      self->config->audio == RW_AUDIO_PIPELINE;
}

/* "camera /dev/video0", "pipeline X", "microphone ALSA hw:1,0" */
static gchar *
primary_label (RwFeed * self)
{
  g_autofree gchar *audio = NULL;

  if (self->kind == RW_FEED_AUDIO) {
    audio = rw_source_audio_name (self->config);
    return g_strdup_printf ("%s %s", primary_is_pipeline (self) ?
        "audio pipeline" : "microphone", audio);
  }
  if (primary_is_pipeline (self))
    return g_strdup_printf ("pipeline %s", self->config->pipeline_name);
  return g_strdup_printf ("camera %s", self->device);
}

/* What plays now, as /status names it. */
static const gchar *
current_kind (RwFeed * self)
{
  if (self->kind == RW_FEED_AUDIO)
    return self->on_fallback ? "silence" :
        rw_audio_source_to_string (self->config->audio);
  if (self->on_fallback)
    return rw_source_kind_to_string (RW_SOURCE_TEST_PATTERN);
  return rw_source_kind_to_string (primary_is_pipeline (self) ?
      RW_SOURCE_PIPELINE : RW_SOURCE_CAMERA);
}

/* --- source bins --- */

static GstPadProbeReturn
count_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwFeed *self = user_data;

  g_atomic_int_inc (&self->frames);
  return GST_PAD_PROBE_OK;
}

/* A source's end is a fault to the daemon, not the end of the viewers'
 * streams: the EOS stops here and the watchdog replaces the source. */
static GstPadProbeReturn
catch_eos (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwFeed *self = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  g_atomic_int_set (&self->ended, 1);
  return GST_PAD_PROBE_DROP;
}

/* Adds a new source bin to the pipeline, named after what it is. */
static GstElement *
add_bin (RwFeed * self, GstElement * bin, gboolean fallback)
{
  g_autofree gchar *name = g_strdup_printf ("%s-%s-%u",
      self->kind == RW_FEED_VIDEO ? "video" : "audio",
      fallback ? "fallback" : "source", self->n_sources++);

  gst_object_set_name (GST_OBJECT (bin), name);
  if (!gst_bin_add (self->pipeline, bin))
    g_return_val_if_reached (NULL);
  return bin;
}

/* The configured source, added to the pipeline and ready to start. */
static GstElement *
add_primary (RwFeed * self, GError ** error)
{
  g_autofree gchar *camera_caps = NULL;
  GstElement *bin;

  if (self->kind == RW_FEED_AUDIO) {
    bin = rw_source_make_audio_bin (self->config, error);
  } else if (primary_is_pipeline (self)) {
    bin = rw_source_make_bin (self->config, RW_SOURCE_PIPELINE, NULL, error);
  } else {
    camera_caps = rw_source_probe_camera (self->device, self->config->width,
        self->config->height, error);
    if (camera_caps == NULL)
      return NULL;
    bin = rw_source_make_bin (self->config, RW_SOURCE_CAMERA, camera_caps,
        error);
  }
  return bin ? add_bin (self, bin, FALSE) : NULL;
}

/* The caps viewers get now from this feed's input, or NULL. */
static GstCaps *
serving_caps (RwFeed * self)
{
  return self->sink_pad ? gst_pad_get_current_caps (self->sink_pad) : NULL;
}

static RwCodec
caps_codec (GstCaps * caps)
{
  return gst_structure_has_name (gst_caps_get_structure (caps, 0),
      "video/x-h264") ? RW_CODEC_H264 : RW_CODEC_VP8;
}

/* The fallback saying @message: for video the slate, with the codec, size
 * and rate the viewers already get (a configured pipeline may differ from
 * the settings); for audio silence. */
static GstElement *
add_fallback (RwFeed * self, const gchar * message, GError ** error)
{
  g_autoptr (GstCaps) caps = serving_caps (self);
  g_autoptr (RwStreamConfig) config = rw_stream_config_copy (self->config);
  GstStructure *s;
  GstElement *bin;
  gint width, height, fps_n, fps_d;

  if (self->kind == RW_FEED_AUDIO) {
    bin = rw_source_make_silence (config, error);
    return bin ? add_bin (self, bin, TRUE) : NULL;
  }

  if (caps) {
    s = gst_caps_get_structure (caps, 0);
    config->codec = caps_codec (caps);
    if (gst_structure_get_int (s, "width", &width) &&
        gst_structure_get_int (s, "height", &height)) {
      config->width = width;
      config->height = height;
    }
    if (gst_structure_get_fraction (s, "framerate", &fps_n, &fps_d) &&
        fps_n > 0 && fps_d > 0)
      config->framerate = MAX (fps_n / fps_d, 1);
  }
  bin = rw_source_make_slate (config, message, error);
  return bin ? add_bin (self, bin, TRUE) : NULL;
}

static void
remove_bin (RwFeed * self, GstElement * bin)
{
  gst_element_set_state (bin, GST_STATE_NULL);
  gst_bin_remove (self->pipeline, bin);
}

/* The sink's input for this feed, requested the first time. */
static GstPad *
get_sink_pad (RwFeed * self)
{
  const gchar *name = self->kind == RW_FEED_VIDEO ? "video_%u" : "audio_%u";

  if (self->sink_pad == NULL)
    self->sink_pad = gst_element_request_pad_simple (self->sink, name);
  return self->sink_pad;
}

/* Moves the buffers counted since the last look into the total. */
static void
account_frames (RwFeed * self, gint frames)
{
  if (frames > self->last_frames)
    self->frames_total += frames - self->last_frames;
  self->last_frames = frames;
}

/* Puts @bin (added, not linked) in front of the sink in place of the
 * current source, and starts it. */
static gboolean
use_source (RwFeed * self, GstElement * bin, gboolean fallback, GError ** error)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (bin, "src");
  GstPad *sink_pad = get_sink_pad (self);

  if (self->source) {
    remove_bin (self, self->source);
    self->source = NULL;
  }

  if (src == NULL || sink_pad == NULL ||
      gst_pad_link (src, sink_pad) != GST_PAD_LINK_OK) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the source's output cannot feed robotwebrtcsink (it takes %s)",
        self->kind == RW_FEED_VIDEO ? "VP8 or H264 byte-stream" : "Opus");
    remove_bin (self, bin);
    return FALSE;
  }

  account_frames (self, g_atomic_int_get (&self->frames));
  self->source = bin;
  self->on_fallback = fallback;
  g_atomic_int_set (&self->frames, 0);
  g_atomic_int_set (&self->ended, 0);
  self->last_frames = 0;
  self->source_since = self->moved_at = g_get_monotonic_time ();

  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, count_frame, self, NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, catch_eos,
      self, NULL);
  GST_INFO ("%s source: %s", self->kind == RW_FEED_VIDEO ? "video" :
      "audio", current_kind (self));

  if (!gst_element_sync_state_with_parent (bin)) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE, "it failed to start");
    return FALSE;
  }
  return TRUE;
}

/* --- faults --- */

static gboolean retry_primary (gpointer user_data);

static void
schedule_retry (RwFeed * self)
{
  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_id = g_timeout_add (self->retry_ms, retry_primary, self);
  self->retry_ms = MIN (self->retry_ms * 2, RETRY_MAX_MS);
}

static void
set_warning (RwFeed * self, const gchar * reason)
{
  g_autofree gchar *label = primary_label (self);

  g_free (self->warning);
  self->warning = g_strdup_printf ("%s: %s", label, reason);
}

static void
fail (RwFeed * self, const gchar * reason)
{
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, reason);
}

/* Starts counting a loss; %FALSE if it was lost already. */
static gboolean
mark_lost (RwFeed * self, const gchar * reason)
{
  set_warning (self, reason);
  if (self->lost)
    return FALSE;
  self->losses++;
  self->lost = TRUE;
  self->lost_since = g_get_real_time ();
  self->retries = 0;
  self->retry_ms = RETRY_FIRST_MS;
  return TRUE;
}

static gchar *
fallback_message (RwFeed * self)
{
  if (self->kind == RW_FEED_AUDIO)
    return NULL;
  if (primary_is_pipeline (self))
    return g_strdup ("video source lost, retrying");
  return g_strdup_printf ("camera lost (%s), retrying", self->device);
}

/* Puts the fallback in place of the configured source and retries it. */
static void
primary_lost (RwFeed * self, const gchar * reason)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *message = fallback_message (self);
  g_autofree gchar *label = primary_label (self);
  GstElement *fallback;

  if (self->trial) {
    /* a reload's new source was starting: retried like the lost one */
    remove_bin (self, self->trial);
    self->trial = NULL;
    self->reloading = FALSE;
  }
  if (mark_lost (self, reason))
    g_warning ("%s lost (%s); %s and retrying", label, reason,
        self->kind == RW_FEED_VIDEO ? "showing a slate" : "sending silence");
  else
    GST_INFO ("retry %u failed: %s", self->retries, reason);

  fallback = add_fallback (self, message, &error);
  if (fallback == NULL || !use_source (self, fallback, TRUE, &error)) {
    fail (self, error->message);
    return;
  }
  schedule_retry (self);
}

/* The trial runs unlinked beside the fallback, its output blocked on its
 * first buffer, so that viewers keep the fallback until the source works. */
static GstPadProbeReturn
hold_first_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwFeed *self = user_data;

  g_atomic_int_set (&self->trial_ready, 1);
  return GST_PAD_PROBE_OK;
}

static void
end_trial (RwFeed * self, const gchar * reason)
{
  remove_bin (self, self->trial);
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
start_trial (RwFeed * self, GError ** error)
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
  RwFeed *self = user_data;
  g_autoptr (GError) error = NULL;

  self->retry_id = 0;
  self->retries++;
  GST_DEBUG ("retry %u of the %s source", self->retries,
      self->kind == RW_FEED_VIDEO ? "video" : "audio");
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
trial_changes_codec (RwFeed * self, GstPad * src)
{
  g_autoptr (GstCaps) serving = serving_caps (self);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (src);

  return self->kind == RW_FEED_VIDEO && caps && serving &&
      caps_codec (caps) != caps_codec (serving);
}

/* The trial has a buffer: it replaces the fallback, and its held first
 * buffer (a keyframe from a fresh encoder) goes on to the viewers. */
static void
promote_trial (RwFeed * self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstPad) src = NULL;
  g_autofree gchar *label = primary_label (self);
  GstElement *bin = self->trial;

  src = gst_element_get_static_pad (bin, "src");
  if (trial_changes_codec (self, src)) {
    fail (self, "the codec changed");
    return;
  }
  self->trial = NULL;
  self->reloading = FALSE;
  if (!use_source (self, bin, FALSE, &error)) {
    primary_lost (self, error->message);
    return;
  }
  /* the buffer it holds now reaches the sink */
  gst_pad_remove_probe (src, self->trial_probe);
  self->trial_probe = 0;
  if (!self->lost) {
    g_message ("%s now streams", label);
    return;
  }
  g_message ("%s is back after %u %s and %.1f s; viewers get it again",
      label, self->retries, self->retries == 1 ? "retry" : "retries",
      (g_get_real_time () - self->lost_since) / (gdouble) G_USEC_PER_SEC);
  self->lost = FALSE;
  self->lost_since = 0;
  self->retries = 0;
  g_clear_pointer (&self->warning, g_free);
}

static void
source_failed (RwFeed * self, const gchar * reason)
{
  if (self->on_fallback)
    fail (self, reason);
  else
    primary_lost (self, reason);
}

static guint
stall_ms (RwFeed * self)
{
  g_autoptr (GstCaps) caps = NULL;
  gint fps_n = self->config->framerate, fps_d = 1;

  if (self->on_fallback)
    return FALLBACK_STALL_MS;
  if (self->kind == RW_FEED_AUDIO)
    return STALL_MIN_MS;
  caps = serving_caps (self);
  if (caps)
    gst_structure_get_fraction (gst_caps_get_structure (caps, 0),
        "framerate", &fps_n, &fps_d);
  if (fps_n <= 0 || fps_d <= 0)
    return STALL_MIN_MS;
  return MAX (STALL_MIN_MS, STALL_FRAMES * 1000 * fps_d / fps_n);
}

/**
 * rw_feed_check:
 * @self: a feed
 * @now: g_get_monotonic_time()
 *
 * The watchdog, called every 100 ms or so: a source that ended, never
 * started or stopped giving buffers has failed; a retried source with a
 * buffer takes over.
 */
void
rw_feed_check (RwFeed * self, gint64 now)
{
  gint frames = g_atomic_int_get (&self->frames);
  g_autofree gchar *reason = NULL;

  if (self->source == NULL)
    return;

  if (frames != self->last_frames) {
    if (now - self->moved_at > 200 * G_TIME_SPAN_MILLISECOND)
      GST_DEBUG ("a buffer after %" G_GINT64_FORMAT " ms",
          (now - self->moved_at) / G_TIME_SPAN_MILLISECOND);
    account_frames (self, frames);
    self->moved_at = now;
  }

  if (g_atomic_int_get (&self->ended))
    reason = g_strdup ("the source ended");
  else if (frames == 0 && now - self->source_since >
      FIRST_FRAME_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND)
    reason = g_strdup_printf ("nothing %u ms after it started",
        FIRST_FRAME_TIMEOUT_MS);
  /* the caps are looked at only once a buffer is late */
  else if (frames > 0 && now - self->moved_at >
      STALL_MIN_MS * G_TIME_SPAN_MILLISECOND && now - self->moved_at >
      stall_ms (self) * G_TIME_SPAN_MILLISECOND)
    reason = g_strdup_printf ("nothing for %" G_GINT64_FORMAT " ms",
        (now - self->moved_at) / G_TIME_SPAN_MILLISECOND);

  if (reason) {
    source_failed (self, reason);
    return;
  }

  if (self->trial && g_atomic_int_get (&self->trial_ready))
    promote_trial (self);
  else if (self->trial && now - self->trial_since >
      FIRST_FRAME_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND)
    end_trial (self, "nothing after it started");
}

/**
 * rw_feed_handle_error:
 * @self: a feed
 * @src: where an ERROR message came from
 * @message: its text
 *
 * Returns: %TRUE if the error came from the feed's source or its retried
 * source, and was handled (the fallback, or another retry).
 */
gboolean
rw_feed_handle_error (RwFeed * self, GstObject * src, const gchar * message)
{
  if (self->trial && gst_object_has_as_ancestor (src, GST_OBJECT (self->trial))) {
    end_trial (self, message);
    return TRUE;
  }
  if (self->source && gst_object_has_as_ancestor (src,
          GST_OBJECT (self->source))) {
    source_failed (self, message);
    return TRUE;
  }
  return FALSE;
}

/* --- start, stop, reload --- */

/* The configured source could not start: the fallback, with a warning,
 * and retries. */
static gboolean
start_fallback (RwFeed * self, const gchar * reason, GError ** error)
{
  g_autofree gchar *label = primary_label (self);
  GstElement *bin;

  mark_lost (self, reason);
  if (self->kind == RW_FEED_AUDIO) {
    g_warning ("%s unavailable (%s); sending silence instead", label, reason);
    bin = add_fallback (self, NULL, error);
  } else if (primary_is_pipeline (self)) {
    g_warning ("%s failed to start (%s); showing a slate", label, reason);
    bin = add_fallback (self, "video source lost, retrying", error);
  } else {
    g_warning ("%s unavailable (%s); streaming a test pattern instead",
        label, reason);
    bin = rw_source_make_bin (self->config, RW_SOURCE_TEST_PATTERN, NULL,
        error);
    if (bin)
      add_bin (self, bin, TRUE);
  }
  if (bin == NULL || !use_source (self, bin, TRUE, error))
    return FALSE;
  schedule_retry (self);
  return TRUE;
}

/**
 * rw_feed_start:
 * @self: a feed with no source, in a playing pipeline
 * @strict: whether a configured video pipeline that does not start is an
 *   error (at the daemon's start: it is a configuration error), rather than
 *   a loss
 * @error: why nothing could feed the sink
 *
 * Starts the configured source, or, when it is missing or does not start,
 * the fallback with a warning, retrying the source.
 *
 * Returns: %TRUE if the sink is fed.
 */
gboolean
rw_feed_start (RwFeed * self, gboolean strict, GError ** error)
{
  g_autoptr (GError) primary_error = NULL;
  g_autofree gchar *label = primary_label (self);
  GstElement *bin;

  g_return_val_if_fail (self->source == NULL, FALSE);

  bin = add_primary (self, &primary_error);
  if (bin && use_source (self, bin, FALSE, &primary_error))
    return TRUE;

  if (strict && self->kind == RW_FEED_VIDEO && primary_is_pipeline (self)) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the pipeline from %s failed to start: %s",
        self->config->pipeline_name, primary_error->message);
    return FALSE;
  }
  if (self->source) {
    remove_bin (self, self->source);
    self->source = NULL;
  }
  if (!start_fallback (self, primary_error->message, error)) {
    g_prefix_error (error, "neither the %s nor its fallback could start: ",
        label);
    return FALSE;
  }
  return TRUE;
}

/**
 * rw_feed_stop:
 * @self: a feed
 *
 * Removes its sources (the pipeline is stopped, or stopping). The losses
 * are kept; the source is seen afresh at the next start.
 */
void
rw_feed_stop (RwFeed * self)
{
  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->reloading = FALSE;
  if (self->trial) {
    remove_bin (self, self->trial);
    self->trial = NULL;
  }
  if (self->source) {
    remove_bin (self, self->source);
    self->source = NULL;
  }
  self->lost = FALSE;
  self->lost_since = 0;
  self->retries = 0;
  g_clear_pointer (&self->warning, g_free);
}

/**
 * rw_feed_reload:
 * @self: a started feed
 * @config: new settings, with the same video codec
 *
 * A source with the new settings starts beside the running one and
 * replaces it once it has a buffer: viewers keep their sessions. When it
 * does not start, the fallback covers and it is retried.
 */
void
rw_feed_reload (RwFeed * self, const RwStreamConfig * config)
{
  g_autoptr (GError) error = NULL;

  set_config (self, config);
  if (self->source == NULL)
    return;                     /* the next start uses them */
  if (self->trial) {
    remove_bin (self, self->trial);
    self->trial = NULL;
  }
  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->lost = FALSE;
  self->lost_since = 0;
  self->retries = 0;
  g_clear_pointer (&self->warning, g_free);

  self->reloading = TRUE;
  if (!start_trial (self, &error)) {
    self->reloading = FALSE;
    primary_lost (self, error->message);
  }
}

/**
 * rw_feed_is_lost:
 * @self: a feed
 *
 * Returns: %TRUE while the fallback covers for the configured source.
 */
gboolean
rw_feed_is_lost (RwFeed * self)
{
  return self->lost;
}

/**
 * rw_feed_add_status:
 * @self: a feed
 * @builder: a builder inside the feed's status object
 *
 * Adds what plays (kind), the configured device or pipeline, the state
 * (`ok` or `lost`), since when, the frames sent, losses, retries and the
 * warning.
 */
void
rw_feed_add_status (RwFeed * self, JsonBuilder * builder)
{
  g_autoptr (GDateTime) since = NULL;
  g_autofree gchar *iso = NULL;
  g_autofree gchar *audio_name = NULL;

  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, current_kind (self));
  if (primary_is_pipeline (self)) {
    json_builder_set_member_name (builder, "pipeline");
    json_builder_add_string_value (builder, self->kind == RW_FEED_VIDEO ?
        self->config->pipeline_name : self->config->audio_pipeline_name);
  } else if (self->kind == RW_FEED_VIDEO) {
    json_builder_set_member_name (builder, "device");
    json_builder_add_string_value (builder, self->device);
  } else {
    audio_name = rw_source_audio_name (self->config);
    json_builder_set_member_name (builder, "device");
    json_builder_add_string_value (builder, audio_name);
  }
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, self->lost ? "lost" : "ok");
  json_builder_set_member_name (builder, "lost_since");
  if (self->lost) {
    since = g_date_time_new_from_unix_utc (self->lost_since / G_USEC_PER_SEC);
    iso = g_date_time_format_iso8601 (since);
    json_builder_add_string_value (builder, iso);
  } else {
    json_builder_add_null_value (builder);
  }
  json_builder_set_member_name (builder, "frames");
  json_builder_add_int_value (builder, self->frames_total);
  json_builder_set_member_name (builder, "losses");
  json_builder_add_int_value (builder, self->losses);
  json_builder_set_member_name (builder, "retries");
  json_builder_add_int_value (builder, self->retries);
  if (self->warning) {
    json_builder_set_member_name (builder, "warning");
    json_builder_add_string_value (builder, self->warning);
  }
}

/**
 * rw_feed_get_frames:
 * @self: a feed
 *
 * Returns: the encoded frames (Opus packets for audio) its sources, the
 * fallback's included, gave the sink since the stream was made, as of the
 * last rw_feed_check(): the count stops when media stops flowing.
 */
guint64
rw_feed_get_frames (RwFeed * self)
{
  return self->frames_total;
}

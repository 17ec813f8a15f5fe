/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-snapshot
 * @title: RwSnapshot
 * @short_description: a JPEG of an encoded video stream, made on request
 *
 * A snapshot keeps the encoded stream's last keyframe and the frames since
 * (references to the buffers the encoder made, copied only when they come
 * from a pool; no decoding), and
 * only when asked decodes them and encodes the newest frame as a JPEG, on
 * a thread of its own. Requests that come while one is made share it; a
 * request with no new frame since the last JPEG gets that JPEG again. So
 * it costs nothing while nobody asks, whatever the codec or the pipeline
 * that made the stream (the slate's frames too), and answers within the
 * time it takes to decode one keyframe interval.
 *
 * The cache is bounded (%MAX_BYTES, %MAX_FRAMES): a stream with longer
 * keyframe intervals than that holds nothing until its next keyframe, and
 * its snapshots are refused meanwhile.
 */

#include "rw-snapshot.h"
#include "rw-error.h"

#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (rw_snapshot_debug);
#define GST_CAT_DEFAULT rw_snapshot_debug

#define MAX_BYTES (32 * 1024 * 1024)
#define MAX_FRAMES 1800
#define DECODE_TIMEOUT (3 * GST_SECOND)

struct _RwSnapshot
{
  GObject parent;

  GstPad *pad;
  gulong probe;

  GMutex lock;                  /* protects everything below */
  GstCaps *caps;
  GPtrArray *frames;            /* GstBuffer: a keyframe, then deltas */
  gsize bytes;
  guint64 seq;                  /* frames seen: the newest one's number */
  GBytes *jpeg;                 /* the last one made... */
  guint64 jpeg_seq;             /* ...of this frame */
  GList *waiting;               /* GTask: for the JPEG being made */
  gboolean making;
};

G_DEFINE_FINAL_TYPE (RwSnapshot, rw_snapshot, G_TYPE_OBJECT);

static void
clear_frames (RwSnapshot * self)
{
  g_ptr_array_set_size (self->frames, 0);
  self->bytes = 0;
}

static void
rw_snapshot_dispose (GObject * object)
{
  RwSnapshot *self = RW_SNAPSHOT (object);

  if (self->pad && self->probe)
    gst_pad_remove_probe (self->pad, self->probe);
  self->probe = 0;
  gst_clear_object (&self->pad);

  G_OBJECT_CLASS (rw_snapshot_parent_class)->dispose (object);
}

static void
rw_snapshot_finalize (GObject * object)
{
  RwSnapshot *self = RW_SNAPSHOT (object);

  g_ptr_array_unref (self->frames);
  gst_clear_caps (&self->caps);
  g_clear_pointer (&self->jpeg, g_bytes_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (rw_snapshot_parent_class)->finalize (object);
}

static void
rw_snapshot_class_init (RwSnapshotClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_snapshot_dispose;
  object_class->finalize = rw_snapshot_finalize;
  GST_DEBUG_CATEGORY_INIT (rw_snapshot_debug, "rw-snapshot", 0,
      "robot-webrtc snapshots");
}

static void
rw_snapshot_init (RwSnapshot * self)
{
  g_mutex_init (&self->lock);
  self->frames = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
}

/* --- the keyframe interval, kept by the streaming thread --- */

/* Called with the lock. */
static void
keep_frame (RwSnapshot * self, GstBuffer * buffer)
{
  gsize size = gst_buffer_get_size (buffer);

  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    clear_frames (self);
  else if (self->frames->len == 0)
    return;                     /* no keyframe to start from */
  if (self->bytes + size > MAX_BYTES || self->frames->len >= MAX_FRAMES) {
    GST_INFO ("keyframe interval over %u frames or %u bytes: nothing kept "
        "until the next keyframe", MAX_FRAMES, MAX_BYTES);
    clear_frames (self);
    return;
  }
  /* a hardware encoder's buffers come from a small pool, which holding
   * them would drain: those are copied (a few kB a frame) */
  g_ptr_array_add (self->frames, buffer->pool ? gst_buffer_copy_deep (buffer) :
      gst_buffer_ref (buffer));
  self->bytes += size;
  self->seq++;
}

static gboolean
keep_listed (GstBuffer ** buffer, guint idx, gpointer user_data)
{
  keep_frame (user_data, *buffer);
  return TRUE;
}

static GstPadProbeReturn
watch_stream (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwSnapshot *self = user_data;
  GstCaps *caps;

  g_mutex_lock (&self->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    keep_frame (self, GST_PAD_PROBE_INFO_BUFFER (info));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        keep_listed, self);
  } else {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    switch (GST_EVENT_TYPE (event)) {
      case GST_EVENT_CAPS:
        gst_event_parse_caps (event, &caps);
        if (self->caps == NULL || !gst_caps_is_equal (caps, self->caps)) {
          gst_caps_replace (&self->caps, caps);
          clear_frames (self);
        }
        break;
      case GST_EVENT_FLUSH_STOP:
      case GST_EVENT_STREAM_START:
        clear_frames (self);
        break;
      default:
        break;
    }
  }
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

/**
 * rw_snapshot_new:
 * @pad: where the encoded video passes (a tee's sink pad, say)
 *
 * Returns: (transfer full): snapshots of what passes @pad.
 */
RwSnapshot *
rw_snapshot_new (GstPad * pad)
{
  RwSnapshot *self = g_object_new (RW_TYPE_SNAPSHOT, NULL);

  self->pad = gst_object_ref (pad);
  self->probe = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_EVENT_FLUSH, watch_stream, self, NULL);
  return self;
}

/* --- decoding --- */

/* decodebin's output, once it found the decoder */
static void
link_decoded (GstElement * decode, GstPad * pad, gpointer user_data)
{
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (user_data, "sink");

  if (!gst_pad_is_linked (sink_pad))
    gst_pad_link (pad, sink_pad);
}

/**
 * rw_snapshot_encode:
 * @caps: the frames' caps (VP8, H264 byte-stream, or anything decodebin
 *   decodes)
 * @frames: (element-type GstBuffer): a keyframe and the frames after it
 * @error: why there is no JPEG
 *
 * Decodes @frames and encodes the last one as a JPEG, blocking (up to 3 s
 * each step), in the calling thread.
 *
 * Returns: (transfer full) (nullable): the JPEG.
 */
GBytes *
rw_snapshot_encode (GstCaps * caps, GPtrArray * frames, GError ** error)
{
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;
  g_autoptr (GstSample) decoded = NULL;
  g_autoptr (GstSample) jpeg = NULL;
  g_autoptr (GstCaps) jpeg_caps = NULL;
  g_autoptr (GstCaps) raw = NULL;
  g_autoptr (GError) inner = NULL;
  GstElement *decode;
  GstFlowReturn flow = GST_FLOW_OK;
  GstMapInfo map;
  GBytes *bytes;

  if (caps == NULL || frames->len == 0) {
    g_set_error (error, RW_ERROR, RW_ERROR_UNAVAILABLE, "no video yet");
    return NULL;
  }
  /* the newest frame only reaches the sink: the others are decoded for
   * it, and dropped as they come (max-buffers=1, drop) */
  pipeline = gst_pipeline_new (NULL);
  src = gst_element_factory_make ("appsrc", NULL);
  decode = gst_element_factory_make ("decodebin", NULL);
  sink = gst_element_factory_make ("appsink", NULL);
  if (src == NULL || decode == NULL || sink == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE, "no appsrc, decodebin "
        "or appsink (gstreamer1.0-plugins-base)");
    return NULL;
  }
  gst_object_ref_sink (src);
  gst_object_ref_sink (sink);
  raw = gst_caps_new_empty_simple ("video/x-raw");
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  /* wait-on-eos: the EOS message goes out with the frame still queued */
  g_object_set (sink, "caps", raw, "sync", FALSE, "max-buffers", 1,
      "drop", TRUE, "wait-on-eos", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), gst_object_ref (src), decode,
      gst_object_ref (sink), NULL);
  gst_element_link (src, decode);
  g_signal_connect_object (decode, "pad-added", G_CALLBACK (link_decoded),
      sink, 0);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE, "the decoder did not "
        "start");
    return NULL;
  }
  for (guint i = 0; i < frames->len && flow == GST_FLOW_OK; i++)
    g_signal_emit_by_name (src, "push-buffer", g_ptr_array_index (frames, i),
        &flow);
  g_signal_emit_by_name (src, "end-of-stream", &flow);

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, DECODE_TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
    g_signal_emit_by_name (sink, "pull-sample", &decoded);
  else if (msg)
    gst_message_parse_error (msg, &inner, NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (decoded == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE, "the %u frames were "
        "not decoded: %s", frames->len, inner ? inner->message :
        msg ? "no frame came out" : "it took over 3 s");
    return NULL;
  }

  jpeg_caps = gst_caps_new_empty_simple ("image/jpeg");
  jpeg = gst_video_convert_sample (decoded, jpeg_caps, DECODE_TIMEOUT, &inner);
  if (jpeg == NULL || !gst_buffer_map (gst_sample_get_buffer (jpeg), &map,
          GST_MAP_READ)) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE, "no JPEG: %s",
        inner ? inner->message : "unreadable");
    return NULL;
  }
  bytes = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (gst_sample_get_buffer (jpeg), &map);
  return bytes;
}

/* --- requests --- */

typedef struct
{
  GstCaps *caps;
  GPtrArray *frames;
  guint64 seq;
} Job;

static void
job_free (Job * job)
{
  gst_clear_caps (&job->caps);
  g_ptr_array_unref (job->frames);
  g_free (job);
}

static void
make_jpeg (GTask * task, gpointer source, gpointer task_data,
    GCancellable * cancellable)
{
  RwSnapshot *self = source;
  Job *job = task_data;
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  GBytes *jpeg = rw_snapshot_encode (job->caps, job->frames, &error);
  GList *waiting;

  GST_DEBUG ("JPEG of frame %" G_GUINT64_FORMAT " (%u decoded) in %"
      G_GINT64_FORMAT " ms: %s", job->seq, job->frames->len,
      (g_get_monotonic_time () - start) / 1000, jpeg ? "made" : error->message);
  g_mutex_lock (&self->lock);
  if (jpeg) {
    g_clear_pointer (&self->jpeg, g_bytes_unref);
    self->jpeg = g_bytes_ref (jpeg);
    self->jpeg_seq = job->seq;
  }
  waiting = g_steal_pointer (&self->waiting);
  self->making = FALSE;
  g_mutex_unlock (&self->lock);

  for (GList * l = waiting; l; l = l->next) {
    if (jpeg)
      g_task_return_pointer (l->data, g_bytes_ref (jpeg),
          (GDestroyNotify) g_bytes_unref);
    else
      g_task_return_error (l->data, g_error_copy (error));
  }
  g_list_free_full (waiting, g_object_unref);
  g_clear_pointer (&jpeg, g_bytes_unref);
  g_task_return_boolean (task, TRUE);
}

static gpointer
ref_buffer (gconstpointer buffer, gpointer user_data)
{
  return gst_buffer_ref ((GstBuffer *) buffer);
}

/**
 * rw_snapshot_get_async:
 * @self: the snapshots
 * @cancellable: (nullable): not used: a JPEG takes a bounded time
 * @callback: called on the caller's thread-default context
 * @user_data: for @callback
 *
 * Asks for a JPEG of the newest frame.
 */
void
rw_snapshot_get_async (RwSnapshot * self, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GTask) maker = NULL;
  Job *job;

  g_task_set_source_tag (task, rw_snapshot_get_async);
  g_mutex_lock (&self->lock);
  if (self->jpeg && self->jpeg_seq == self->seq) {
    /* nothing new since the last one */
    g_task_return_pointer (task, g_bytes_ref (self->jpeg),
        (GDestroyNotify) g_bytes_unref);
    g_mutex_unlock (&self->lock);
    g_object_unref (task);
    return;
  }
  if (self->frames->len == 0 && !self->making) {
    g_mutex_unlock (&self->lock);
    g_task_return_new_error (task, RW_ERROR, RW_ERROR_UNAVAILABLE,
        "no video frame to show yet (the stream starts, or waits for its "
        "next keyframe)");
    g_object_unref (task);
    return;
  }
  self->waiting = g_list_append (self->waiting, task);
  if (self->making) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->making = TRUE;
  job = g_new0 (Job, 1);
  job->caps = gst_caps_ref (self->caps);
  /* the copy unrefs them too */
  job->frames = g_ptr_array_copy (self->frames, ref_buffer, NULL);
  job->seq = self->seq;
  g_mutex_unlock (&self->lock);

  maker = g_task_new (self, NULL, NULL, NULL);
  g_task_set_task_data (maker, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (maker, make_jpeg);
}

/**
 * rw_snapshot_get_finish:
 * @self: the snapshots
 * @result: the result given to the callback
 * @error: %RW_ERROR_UNAVAILABLE (no frame yet), %RW_ERROR_PIPELINE (it
 *   could not be decoded)
 *
 * Returns: (transfer full) (nullable): the JPEG's bytes.
 */
GBytes *
rw_snapshot_get_finish (RwSnapshot * self, GAsyncResult * result,
    GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-low-layer
 * @title: RwLowLayer
 * @short_description: a second, cheaper encoding, while a viewer needs it
 *
 * The low layer is the stream again at half the width and height, at most
 * 15 frames a second and a low bitrate, for viewers whose network cannot
 * carry the full layer (docs/rate-control.md). It is made from what the
 * sink receives, so that it works behind any encoder, the daemon's or a
 * launch line's: a branch of the full layer's tee,
 *
 *   queue (leaky) ! decoder ! videoscale ! videorate ! encoder ! tee
 *
 * in the sink's bin. Its queue drops what the decoder cannot take (beyond
 * 500 ms) rather than hold up the full layer; the decoder then waits for
 * the full layer's next keyframe, as it does when it starts (one is asked
 * for then). Its encoder is the daemon's for the codec
 * (rw_source_encoder_description()), so that viewers who negotiated the
 * full layer decode it too. Only the gates' own keyframe requests (a
 * switch, a dropping viewer) reach its encoder, at most one a second: see
 * limit_keyframe_requests().
 */

#include "rw-low-layer.h"
#include "rw-encoder.h"
#include "rw-error.h"
#include "rw-layer-gate.h"
#include "rw-private.h"
#include "rw-source.h"

#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (rw_low_layer_debug);
#define GST_CAT_DEFAULT rw_low_layer_debug

#define MAX_FPS 15
#define KEYFRAME_MIN_INTERVAL_US G_USEC_PER_SEC
#define KEYFRAME_INTERVAL_S 2

struct _RwLowLayer
{
  GstBin *parent;
  GstElement *upstream_tee;     /* the full layer's */
  GstPad *upstream_pad;         /* its request pad feeding us */
  GstElement *bin;              /* queue ! decoder ! ... ! encoder */
  GstElement *encoder;
  GstElement *tee;
  gint width, height, fps;
  guint bitrate;

  GMutex lock;                  /* protects the fields below */
  guint64 bytes;
  gint64 keyframe_passed;       /* monotonic µs */
  gboolean broken;              /* the decoder waits for a keyframe */
  guint64 overruns;
};

static GstPadProbeReturn
count_bytes (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwLowLayer *self = user_data;

  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  GST_LOG ("%" GST_PTR_FORMAT, buffer);
  g_mutex_lock (&self->lock);
  self->bytes += gst_buffer_get_size (buffer);
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

/* The queue in front of the decoder is full: it drops what comes, and a
 * delta frame after a dropped one would decode wrong. */
static void
on_overrun (GstElement * queue, gpointer user_data)
{
  RwLowLayer *self = user_data;

  g_mutex_lock (&self->lock);
  self->broken = TRUE;
  self->overruns++;
  g_mutex_unlock (&self->lock);
}

/* The decoder's input: it starts at a keyframe, and after frames were
 * dropped it waits for the next one. */
static GstPadProbeReturn
wait_for_keyframe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwLowLayer *self = user_data;
  gboolean drop;

  g_mutex_lock (&self->lock);
  if (!GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info),
          GST_BUFFER_FLAG_DELTA_UNIT))
    self->broken = FALSE;
  drop = self->broken;
  g_mutex_unlock (&self->lock);
  return drop ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* Keyframes of the low layer come every KEYFRAME_INTERVAL_S anyway; its
 * viewers are on weak links, which lose packets and ask for keyframes
 * often, and each keyframe costs them all several frames' worth of their
 * bandwidth and, sent at once, overflows their routers' queues: only the
 * gates' requests (a switch, a dropping viewer's) pass, at most every
 * KEYFRAME_MIN_INTERVAL_US. A viewer that lost a frame waits for the next
 * keyframe (retransmissions repair most losses first). */
static GstPadProbeReturn
limit_keyframe_requests (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  RwLowLayer *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gint64 now = g_get_monotonic_time ();
  gboolean pass;

  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  if (!gst_structure_has_field (gst_event_get_structure (event),
          RW_LAYER_GATE_REQUEST))
    return GST_PAD_PROBE_DROP;
  g_mutex_lock (&self->lock);
  pass = now - self->keyframe_passed >= KEYFRAME_MIN_INTERVAL_US;
  if (pass)
    self->keyframe_passed = now;
  g_mutex_unlock (&self->lock);
  GST_DEBUG ("a switch's keyframe request %s", pass ? "passes" : "waits");
  return pass ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

static const gchar *
decoder_for (RwCodec codec)
{
  static const gchar *h264[] = { "avdec_h264", "openh264dec" };

  if (codec == RW_CODEC_VP8)
    return gst_element_factory_find ("vp8dec") ? "vp8dec" : NULL;
  for (guint i = 0; i < G_N_ELEMENTS (h264); i++) {
    g_autoptr (GstElementFactory) factory = gst_element_factory_find (h264[i]);

    if (factory)
      return h264[i];
  }
  return NULL;
}

static gchar *
describe (RwCodec codec, const gchar * decoder, gint width, gint height,
    gint fps, guint bitrate)
{
  RwStreamConfig stream = {
    .codec = codec,.framerate = fps,.bitrate = bitrate,
    .keyframe_interval = KEYFRAME_INTERVAL_S,
  };
  g_autofree gchar *encoder = rw_source_encoder_description (&stream);

  return g_strdup_printf ("queue name=in leaky=downstream "
      "max-size-buffers=0 max-size-bytes=0 max-size-time=500000000 ! "
      "%s name=decoder ! videoscale ! videorate drop-only=true skip-to-first=true max-rate=%d ! "
      "capsfilter caps=video/x-raw,width=%d,height=%d,pixel-aspect-ratio=1/1 ! "
      "%s", decoder, fps, width, height, encoder);
}

/**
 * rw_low_layer_new:
 * @bin: the sink's bin
 * @tee: the full layer's tee, in @bin
 * @codec: its codec
 * @width: its width
 * @height: its height
 * @fps_n: its frame rate's numerator (0: unknown)
 * @fps_d: and denominator
 * @bitrate: the low layer's target, bits/s
 * @error: why it could not start
 *
 * Starts the low layer in @bin, fed by @tee; viewers take its tee
 * (rw_low_layer_get_tee()). Call on the sink's context.
 *
 * Returns: (transfer full) (nullable): the layer, or %NULL with @error set.
 */
RwLowLayer *
rw_low_layer_new (GstBin * bin, GstElement * tee, RwCodec codec,
    gint width, gint height, gint fps_n, gint fps_d, guint bitrate,
    GError ** error)
{
  const gchar *decoder = decoder_for (codec);
  g_autofree gchar *description = NULL;
  g_autoptr (GstPad) in = NULL;
  g_autoptr (GstPad) out = NULL;
  g_autoptr (GstPad) tee_sink = NULL;
  g_autoptr (GstElement) element = NULL;
  RwLowLayer *self;
  gint fps;

  if (rw_low_layer_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (rw_low_layer_debug, "rw-low-layer", 0,
        "robot-webrtc low layer");
  if (decoder == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "no %s decoder for the low layer", rw_codec_to_string (codec));
    return NULL;
  }
  if (width < 64 || height < 64) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the video's size (%dx%d) is unknown or too small for a low layer",
        width, height);
    return NULL;
  }
  fps = fps_n > 0 && fps_d > 0 ? MIN (MAX_FPS, MAX (1, fps_n / fps_d)) :
      MAX_FPS;

  self = g_new0 (RwLowLayer, 1);
  g_mutex_init (&self->lock);
  self->broken = TRUE;
  self->width = (width / 2) & ~1;
  self->height = (height / 2) & ~1;
  self->fps = fps;
  self->bitrate = bitrate;
  description = describe (codec, decoder, self->width, self->height, fps,
      bitrate);
  GST_DEBUG ("low layer: %s", description);
  self->bin = gst_parse_bin_from_description (description, TRUE, error);
  if (self->bin == NULL) {
    rw_low_layer_free (self);
    return NULL;
  }
  gst_object_ref_sink (self->bin);
  gst_object_set_name (GST_OBJECT (self->bin), RW_LOW_LAYER_NAME);
  element = gst_bin_get_by_name (GST_BIN (self->bin), "decoder");
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), "max-errors"))
    g_object_set (element, "max-errors", -1, NULL);
  self->encoder = gst_bin_get_by_name (GST_BIN (self->bin), "encoder");
  /* a weak link's layer keeps its rate before its frame rate */
  rw_encoder_set_bitrate (self->encoder, bitrate, TRUE);
  self->tee = gst_object_ref_sink (gst_element_factory_make ("tee",
          RW_LOW_LAYER_NAME "-tee"));
  g_object_set (self->tee, "allow-not-linked", TRUE, NULL);

  self->parent = gst_object_ref (bin);
  /* the bin takes a reference of its own: both are ours too */
  gst_bin_add_many (bin, self->bin, self->tee, NULL);
  in = gst_element_get_static_pad (self->bin, "sink");
  out = gst_element_get_static_pad (self->bin, "src");
  tee_sink = gst_element_get_static_pad (self->tee, "sink");
  {
    g_autoptr (GstElement) queue = gst_bin_get_by_name (GST_BIN (self->bin),
        "in");
    g_autoptr (GstPad) decoder_sink = gst_element_get_static_pad (element,
        "sink");


    g_signal_connect (queue, "overrun", G_CALLBACK (on_overrun), self);

    gst_pad_add_probe (decoder_sink, GST_PAD_PROBE_TYPE_BUFFER,
        wait_for_keyframe, self, NULL);
  }
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_BUFFER, count_bytes, self,
      NULL);
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      limit_keyframe_requests, self, NULL);
  if (gst_pad_link (out, tee_sink) != GST_PAD_LINK_OK ||
      !gst_element_sync_state_with_parent (self->tee) ||
      !gst_element_sync_state_with_parent (self->bin)) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "could not start the low layer");
    rw_low_layer_free (self);
    return NULL;
  }
  self->upstream_tee = gst_object_ref (tee);
  self->upstream_pad = gst_element_request_pad_simple (tee, "src_%u");
  if (gst_pad_link (self->upstream_pad, in) != GST_PAD_LINK_OK) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "could not feed the low layer");
    rw_low_layer_free (self);
    return NULL;
  }
  /* the decoder starts at the full layer's next keyframe */
  gst_pad_push_event (in, gst_video_event_new_upstream_force_key_unit
      (GST_CLOCK_TIME_NONE, FALSE, 0));
  return self;
}

GstElement *
rw_low_layer_get_tee (RwLowLayer * self)
{
  return self->tee;
}

void
rw_low_layer_set_bitrate (RwLowLayer * self, guint bitrate)
{
  if (bitrate == self->bitrate || self->encoder == NULL)
    return;
  self->bitrate = bitrate;
  rw_encoder_set_bitrate (self->encoder, bitrate, TRUE);
}

guint
rw_low_layer_get_bitrate (RwLowLayer * self)
{
  return self->bitrate;
}

/**
 * rw_low_layer_get_bytes:
 * @self: a low layer
 *
 * Returns: the bytes it encoded so far.
 */
guint64
rw_low_layer_get_bytes (RwLowLayer * self)
{
  guint64 bytes;

  g_mutex_lock (&self->lock);
  bytes = self->bytes;
  g_mutex_unlock (&self->lock);
  return bytes;
}

void
rw_low_layer_get_size (RwLowLayer * self, gint * width, gint * height,
    gint * fps)
{
  *width = self->width;
  *height = self->height;
  *fps = self->fps;
}

typedef struct
{
  GMainContext *context;
  GSourceFunc stopped;
  gpointer user_data;           /* NULL once handed to the context */
  GDestroyNotify destroy;
} StopData;

static void
stop_data_free (gpointer user_data)
{
  StopData *data = user_data;

  if (data->user_data && data->destroy)
    data->destroy (data->user_data);
  g_main_context_unref (data->context);
  g_free (data);
}

static GstPadProbeReturn
unlink_input (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  StopData *data = user_data;
  g_autoptr (GstPad) peer = gst_pad_get_peer (pad);

  if (peer)
    gst_pad_unlink (pad, peer);
  rw_invoke_later (data->context, data->stopped,
      g_steal_pointer (&data->user_data), data->destroy);
  return GST_PAD_PROBE_REMOVE;
}

/**
 * rw_low_layer_stop:
 * @self: a low layer
 * @context: where to call @stopped
 * @stopped: called once nothing flows into the layer any more; then take
 *     the viewers off its tee and rw_low_layer_free() it
 * @user_data: for @stopped
 * @destroy: frees @user_data once @stopped ran, or when it never will (the
 *     layer was freed first)
 *
 * Takes the layer off the full layer's tee without disturbing it.
 */
void
rw_low_layer_stop (RwLowLayer * self, GMainContext * context,
    GSourceFunc stopped, gpointer user_data, GDestroyNotify destroy)
{
  StopData *data = g_new0 (StopData, 1);

  data->context = g_main_context_ref (context);
  data->stopped = stopped;
  data->user_data = user_data;
  data->destroy = destroy;
  gst_pad_add_probe (self->upstream_pad, GST_PAD_PROBE_TYPE_IDLE,
      unlink_input, data, stop_data_free);
}

/**
 * rw_low_layer_free:
 * @self: a low layer, stopped (or in a pipeline that does not stream)
 *
 * Takes it out of the sink's bin. No viewer may be linked to its tee.
 */
void
rw_low_layer_free (RwLowLayer * self)
{
  if (self->upstream_pad) {
    g_autoptr (GstPad) peer = gst_pad_get_peer (self->upstream_pad);

    if (peer)
      gst_pad_unlink (self->upstream_pad, peer);
    gst_element_release_request_pad (self->upstream_tee, self->upstream_pad);
    gst_object_unref (self->upstream_pad);
  }
  g_clear_object (&self->upstream_tee);
  for (guint i = 0; i < 2; i++) {
    GstElement *element = i == 0 ? self->bin : self->tee;

    if (element == NULL)
      continue;
    gst_element_set_locked_state (element, TRUE);
    gst_element_set_state (element, GST_STATE_NULL);
    if (self->parent
        && GST_OBJECT_PARENT (element) == GST_OBJECT (self->parent))
      gst_bin_remove (self->parent, element);
  }
  g_clear_object (&self->encoder);
  g_clear_object (&self->bin);
  g_clear_object (&self->tee);
  g_clear_object (&self->parent);
  g_mutex_clear (&self->lock);
  g_free (self);
}

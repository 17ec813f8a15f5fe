/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-layer-gate
 * @title: RwLayerGate
 * @short_description: which layer reaches one viewer, frame by frame
 *
 * A viewer's video branch starts with a funnel: its first input takes the
 * full layer's tee, its second the low layer's while that exists. The gate
 * watches both inputs with pad probes and lets one layer through:
 *
 * - a switch happens at a keyframe of the layer asked for; until then the
 *   layer in use goes on, so the viewer never waits on nothing. The
 *   viewer's payloader stays, so the SSRC, the payload type and the
 *   sequence numbers go on as a simulcast receiver sees them. The low
 *   layer comes later than the full one (it is encoded from it), so its
 *   first keyframe may be timed before the last full frame: it is given
 *   1 ms after it instead, as RTP timestamps must not go back;
 * - keyframe requests (the viewer's PLI, upstream) reach the layer asked
 *   for only, so the other layer's viewers never pay for them; for 5 s
 *   after a switch they are marked as the gate's own (the low layer takes
 *   only those: rw-low-layer.c), as the switch's keyframe may have been
 *   lost in what the link still held of the other layer;
 * - with a budget (the viewer carries less than its layer) frames are
 *   dropped whole: a frame passes while the viewer's token bucket (its
 *   estimate, up to 1 s of it saved) is at most 0.5 s in debt; after a
 *   dropped frame nothing passes until a keyframe (a VP8 or H264 delta
 *   frame after a missing one decodes wrong), which is asked for at most
 *   every 2 s, as are the viewer's own requests.
 *
 * The probes run on the tees' streaming threads; rw_layer_gate_set() on
 * any thread.
 */

#include "rw-layer-gate.h"

#include <gst/video/video.h>

#define BUCKET_SECONDS 1.0
#define DEBT_SECONDS 0.5
#define KEYFRAME_INTERVAL_US (2 * G_USEC_PER_SEC)
/* a switch's keyframe is asked for again after this long */
#define SWITCH_ASK_US G_USEC_PER_SEC
/* the viewer's keyframe requests count as the gate's this long after a
 * switch */
#define RECOVER_US (5 * G_USEC_PER_SEC)

struct _RwLayerGate
{
  GstPad *pads[2];              /* funnel inputs: full, low */
  gulong probes[2][2];          /* buffers, upstream events */

  GMutex lock;                  /* protects the fields below */
  RwLayer current;              /* the layer passing */
  RwLayer wanted;
  guint64 budget;               /* bits/s; 0: no limit */
  gdouble bucket;               /* bytes */
  gint64 filled_at;             /* monotonic µs */
  gboolean skipping;            /* until a keyframe */
  gint64 keyframe_asked;        /* monotonic µs */
  gint64 switch_asked;          /* monotonic µs: the wanted layer's */
  gint64 switched_at;           /* monotonic µs: the last switch */
  GstClockTime last_pts;
  guint64 dropped;
};

static RwLayer
pad_layer (RwLayerGate * self, GstPad * pad)
{
  return pad == self->pads[RW_LAYER_LOW] ? RW_LAYER_LOW : RW_LAYER_FULL;
}

/* The gate's own requests are marked, so that its probe lets them by. */
#define OWN_REQUEST RW_LAYER_GATE_REQUEST

static void
ask_keyframe (GstPad * pad)
{
  GstEvent *event = gst_video_event_new_upstream_force_key_unit
      (GST_CLOCK_TIME_NONE, FALSE, 0);

  gst_structure_set (gst_event_writable_structure (event), OWN_REQUEST,
      G_TYPE_BOOLEAN, TRUE, NULL);
  gst_pad_push_event (pad, event);
}

/* Lock held. Whether the viewer's budget lets the frame through. */
static gboolean
afford (RwLayerGate * self, gsize size, gboolean keyframe, gboolean * ask)
{
  gint64 now = g_get_monotonic_time ();
  gdouble rate = self->budget / 8.0;

  self->bucket = MIN (self->bucket + rate * (now - self->filled_at) /
      G_USEC_PER_SEC, rate * BUCKET_SECONDS);
  self->filled_at = now;
  if (self->skipping && !keyframe)
    return FALSE;
  if (!keyframe && self->bucket < -rate * DEBT_SECONDS) {
    self->skipping = TRUE;
    if (now - self->keyframe_asked >= KEYFRAME_INTERVAL_US) {
      self->keyframe_asked = now;
      *ask = TRUE;
    }
    return FALSE;
  }
  self->skipping = FALSE;
  self->bucket -= size;
  return TRUE;
}

static GstPadProbeReturn
gate_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwLayerGate *self = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  RwLayer layer = pad_layer (self, pad);
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_DELTA_UNIT);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  gboolean pass = TRUE, ask = FALSE, retime = FALSE;

  g_mutex_lock (&self->lock);
  if (layer != self->current) {
    if (layer != self->wanted || !keyframe) {
      gint64 now = g_get_monotonic_time ();

      /* the request may have been merged away: ask again */
      ask = layer == self->wanted && now - self->switch_asked >= SWITCH_ASK_US;
      if (ask)
        self->switch_asked = now;
      g_mutex_unlock (&self->lock);
      if (ask)
        ask_keyframe (pad);
      return GST_PAD_PROBE_DROP;
    }
    GST_DEBUG_OBJECT (pad, "switched to the %s layer",
        rw_layer_to_string (layer));
    self->current = layer;
    self->skipping = FALSE;
    self->switched_at = g_get_monotonic_time ();
  }
  if (self->budget)
    pass = afford (self, gst_buffer_get_size (buffer), keyframe, &ask);
  if (pass && GST_CLOCK_TIME_IS_VALID (pts)) {
    if (GST_CLOCK_TIME_IS_VALID (self->last_pts) && pts <= self->last_pts) {
      pts = self->last_pts + GST_MSECOND;
      retime = TRUE;
    }
    self->last_pts = pts;
  }
  if (!pass)
    self->dropped++;
  g_mutex_unlock (&self->lock);

  if (ask)
    ask_keyframe (pad);
  if (!pass)
    return GST_PAD_PROBE_DROP;
  if (retime) {
    buffer = gst_buffer_make_writable (buffer);
    GST_BUFFER_PTS (buffer) = pts;
    GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
    GST_PAD_PROBE_INFO_DATA (info) = buffer;
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
gate_keyframe_request (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwLayerGate *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gboolean pass, own;

  if (!gst_video_event_is_force_key_unit (event) ||
      gst_structure_has_field (gst_event_get_structure (event), OWN_REQUEST))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&self->lock);
  /* a switch pending has asked for its keyframe already */
  pass = pad_layer (self, pad) == self->wanted && self->current == self->wanted;
  /* the first keyframe after a switch may be lost in what was queued for
   * the other layer: the viewer's requests count as the gate's then */
  own = pass && g_get_monotonic_time () - self->switched_at < RECOVER_US;
  if (pass && self->budget) {
    gint64 now = g_get_monotonic_time ();

    pass = now - self->keyframe_asked >= KEYFRAME_INTERVAL_US;
    if (pass)
      self->keyframe_asked = now;
  }
  g_mutex_unlock (&self->lock);
  if (pass && own) {
    event = gst_event_make_writable (event);
    gst_structure_set (gst_event_writable_structure (event), OWN_REQUEST,
        G_TYPE_BOOLEAN, TRUE, NULL);
    GST_PAD_PROBE_INFO_DATA (info) = event;
  }
  return pass ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/**
 * rw_layer_gate_new:
 * @full: the funnel's input from the full layer
 * @low: the funnel's input from the low layer
 *
 * Returns: (transfer full): a gate letting the full layer through.
 */
RwLayerGate *
rw_layer_gate_new (GstPad * full, GstPad * low)
{
  RwLayerGate *self = g_new0 (RwLayerGate, 1);

  g_mutex_init (&self->lock);
  self->current = self->wanted = RW_LAYER_FULL;
  self->last_pts = GST_CLOCK_TIME_NONE;
  self->pads[RW_LAYER_FULL] = gst_object_ref (full);
  self->pads[RW_LAYER_LOW] = gst_object_ref (low);
  for (guint i = 0; i < 2; i++) {
    self->probes[i][0] = gst_pad_add_probe (self->pads[i],
        GST_PAD_PROBE_TYPE_BUFFER, gate_buffer, self, NULL);
    self->probes[i][1] = gst_pad_add_probe (self->pads[i],
        GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, gate_keyframe_request, self, NULL);
  }
  return self;
}

/**
 * rw_layer_gate_free:
 * @self: a gate
 *
 * Removes the probes. Call once no buffer flows into the funnel.
 */
void
rw_layer_gate_free (RwLayerGate * self)
{
  for (guint i = 0; i < 2; i++) {
    gst_pad_remove_probe (self->pads[i], self->probes[i][0]);
    gst_pad_remove_probe (self->pads[i], self->probes[i][1]);
    gst_object_unref (self->pads[i]);
  }
  g_mutex_clear (&self->lock);
  g_free (self);
}

/**
 * rw_layer_gate_set:
 * @self: a gate
 * @layer: the layer the viewer should get
 * @budget: bits/s the viewer may get, 0 for no limit
 *
 * Asks for @layer (a keyframe of it is requested when it is not the one
 * passing) and sets the budget.
 */
void
rw_layer_gate_set (RwLayerGate * self, RwLayer layer, guint64 budget)
{
  gboolean ask;

  g_mutex_lock (&self->lock);
  ask = layer != self->wanted && layer != self->current;
  self->wanted = layer;
  if (ask)
    self->switch_asked = g_get_monotonic_time ();
  if (budget && !self->budget) {
    self->bucket = budget / 8.0 * BUCKET_SECONDS;
    self->filled_at = g_get_monotonic_time ();
  }
  self->budget = budget;
  if (!budget)
    self->skipping = FALSE;
  g_mutex_unlock (&self->lock);
  if (ask)
    ask_keyframe (self->pads[layer]);
}

RwLayer
rw_layer_gate_get_layer (RwLayerGate * self)
{
  RwLayer layer;

  g_mutex_lock (&self->lock);
  layer = self->current;
  g_mutex_unlock (&self->lock);
  return layer;
}

guint64
rw_layer_gate_get_dropped (RwLayerGate * self)
{
  guint64 dropped;

  g_mutex_lock (&self->lock);
  dropped = self->dropped;
  g_mutex_unlock (&self->lock);
  return dropped;
}

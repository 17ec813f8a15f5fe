/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-rate-layers
 * @title: RwRateLayers
 * @short_description: a stream's rate control, applied
 *
 * What robotwebrtcsink does with RwRateControl's decisions
 * (docs/rate-control.md): it sets the shared encoder's bitrate (the one
 * upstream of the sink, found by rw_encoder_find_upstream()), starts the
 * low layer (RwLowLayer) when a viewer is moved to it and stops it once no
 * viewer was on it for 30 s, links every viewer to the low layer while it
 * runs, and tells each viewer's gate its layer and budget. It also
 * measures what each layer sends. Everything here runs on the sink's
 * context.
 */

#include "rw-rate-layers.h"
#include "rw-encoder.h"
#include "rw-low-layer.h"
#include "rw-private.h"
#include "rw-rate-scale.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rw_rate_layers_debug);
#define GST_CAT_DEFAULT rw_rate_layers_debug

#define LOW_IDLE_US (30 * G_USEC_PER_SEC)
/* after the low layer failed, it is not tried again for this long */
#define LOW_FAILED_US (60 * G_USEC_PER_SEC)
#define DEFAULT_MAX_BITRATE 2000000
/* each layer's bitrate is measured over this long at least */
#define MEASURE_US G_USEC_PER_SEC

/* What the probes count, in streaming threads. Each probe holds a
 * reference: one may still be running when rw_rate_layers_free() has
 * removed it (the encoder streams on while the sink stops). */
typedef struct
{
  GMutex lock;
  guint64 full_bytes;           /* out of the encoder, into the tee */
  guint64 full_frames;
  guint64 fed_frames;           /* into the encoder */
} RwFrameCounts;

static void
clear_counts (gpointer data)
{
  g_mutex_clear (&((RwFrameCounts *) data)->lock);
}

static void
release_counts (gpointer data)
{
  g_atomic_rc_box_release_full (data, clear_counts);
}

struct _RwRateLayers
{
  GstBin *bin;
  GstElement *tee;              /* the full layer's */
  GstPad *tee_sink;
  gulong tee_probe;
  GMainContext *context;
  RwRateSettings settings;
  RwRateControl *control;
  GstElement *encoder;          /* NULL: none found (yet) */
  GstPad *encoder_sink;         /* its input, counted */
  gulong encoder_probe;
  gboolean unknown_warned;
  gboolean freed;               /* only a stopping low layer's ref left */
  guint applied;                /* the bitrate last set on the encoder */
  guint encoder_bitrate;        /* its own, when it was found */

  RwRateScale scale;
  GstElement *size_filter;      /* the capsfilter that sets its size */
  GstCaps *full_size;           /* that filter's own caps */
  guint scale_step;             /* applied; 0: full size */
  gboolean scale_failed;        /* the filter cannot scale: not again */

  RwLowLayer *low;
  gboolean low_stopping;
  gint64 low_used_at;           /* monotonic: a viewer was on it */
  gint64 low_failed_at;         /* monotonic; 0: never */
  GPtrArray *linked;            /* RwViewer, linked to the low layer */

  gint64 measured_at;
  guint64 full_bytes_then, low_bytes_then;
  guint64 full_bitrate, low_bitrate;
  guint full_viewers, low_viewers;

  guint64 full_frames_then, fed_frames_then;
  gdouble full_fps;             /* frames the encoder put out a second */
  gdouble fed_fps;              /* frames it was given a second */

  RwFrameCounts *counts;        /* the probes' */
};

static void apply_policy (RwRateLayers * self, guint encoder_bitrate);
static void forget_size (RwRateLayers * self);

static GstPadProbeReturn
count_full (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwFrameCounts *counts = user_data;

  g_mutex_lock (&counts->lock);
  counts->full_bytes += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  counts->full_frames++;
  g_mutex_unlock (&counts->lock);
  return GST_PAD_PROBE_OK;
}

/* What the encoder is given: fewer frames than it puts out only when it
 * drops some for its bitrate, not when the machine is short of CPU (then
 * fewer reach it, or both fall together). */
static GstPadProbeReturn
count_fed (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwFrameCounts *counts = user_data;

  g_mutex_lock (&counts->lock);
  counts->fed_frames++;
  g_mutex_unlock (&counts->lock);
  return GST_PAD_PROBE_OK;
}

static void
watch_input (RwRateLayers * self, GstElement * encoder)
{
  if (self->encoder_sink) {
    gst_pad_remove_probe (self->encoder_sink, self->encoder_probe);
    gst_clear_object (&self->encoder_sink);
  }
  self->encoder_probe = 0;
  if (encoder)
    self->encoder_sink = gst_element_get_static_pad (encoder, "sink");
  if (self->encoder_sink)
    self->encoder_probe = gst_pad_add_probe (self->encoder_sink,
        GST_PAD_PROBE_TYPE_BUFFER, count_fed,
        g_atomic_rc_box_acquire (self->counts), release_counts);
}

/**
 * rw_rate_layers_new:
 * @bin: the sink
 * @tee: its video tee
 * @context: the sink's context
 * @settings: the policy's settings
 *
 * Returns: (transfer full): the stream's rate control.
 */
RwRateLayers *
rw_rate_layers_new (GstBin * bin, GstElement * tee, GMainContext * context,
    const RwRateSettings * settings)
{
  RwRateLayers *self = g_rc_box_new0 (RwRateLayers);
  static gsize debug_initialized = 0;

  if (g_once_init_enter (&debug_initialized)) {
    GST_DEBUG_CATEGORY_INIT (rw_rate_layers_debug, "rw-rate", 0,
        "robot-webrtc rate control");
    g_once_init_leave (&debug_initialized, 1);
  }
  self->counts = g_atomic_rc_box_new0 (RwFrameCounts);
  g_mutex_init (&self->counts->lock);
  self->bin = gst_object_ref (bin);
  self->tee = gst_object_ref (tee);
  self->context = g_main_context_ref (context);
  self->settings = *settings;
  self->linked = g_ptr_array_new_with_free_func (g_object_unref);
  self->tee_sink = gst_element_get_static_pad (tee, "sink");
  self->tee_probe = gst_pad_add_probe (self->tee_sink,
      GST_PAD_PROBE_TYPE_BUFFER, count_full,
      g_atomic_rc_box_acquire (self->counts), release_counts);
  self->control = rw_rate_control_new (&(RwRatePolicy) {
      DEFAULT_MAX_BITRATE / 10, DEFAULT_MAX_BITRATE, FALSE, 0}
  );
  apply_policy (self, 0);
  return self;
}

static void
apply_policy (RwRateLayers * self, guint encoder_bitrate)
{
  RwRatePolicy policy;

  policy.max_bitrate = self->settings.max_bitrate ? self->settings.max_bitrate
      : encoder_bitrate ? encoder_bitrate : DEFAULT_MAX_BITRATE;
  policy.min_bitrate = self->settings.min_bitrate ?
      self->settings.min_bitrate : policy.max_bitrate / 10;
  policy.low_layer = self->settings.low_layer;
  policy.low_bitrate = self->settings.low_bitrate;
  rw_rate_control_set_policy (self->control, &policy);
}

/* The encoder in front of the sink, looked for at each update: the daemon
 * replaces it when its source fails over to the slate or is reloaded. A
 * new one gets the current target at once. */
static void
find_encoder (RwRateLayers * self)
{
  g_autoptr (GstElement) encoder = rw_encoder_find_upstream (self->tee_sink);
  guint bitrate = 0;

  if (encoder == self->encoder)
    return;
  if (encoder && !rw_encoder_get_bitrate (encoder, &bitrate)) {
    if (!self->unknown_warned)
      g_warning ("rate control: the bitrate of %s is not known here; the "
          "shared bitrate stays as it is",
          GST_OBJECT_NAME (gst_element_get_factory (encoder)));
    self->unknown_warned = TRUE;
    return;
  }
  if (encoder == NULL) {
    if (self->encoder == NULL && !self->unknown_warned)
      g_warning ("rate control: no encoder found upstream of the sink; the "
          "shared bitrate stays as it is");
    self->unknown_warned = TRUE;
    gst_clear_object (&self->encoder);
    watch_input (self, NULL);
    forget_size (self);
    return;
  }
  if (self->encoder == NULL) {
    apply_policy (self, bitrate);
    g_message ("rate control: %s %s between %u and %u bit/s",
        GST_OBJECT_NAME (gst_element_get_factory (encoder)),
        GST_OBJECT_NAME (encoder),
        rw_rate_control_get_policy (self->control)->min_bitrate,
        rw_rate_control_get_policy (self->control)->max_bitrate);
  }
  gst_object_replace ((GstObject **) & self->encoder, GST_OBJECT (encoder));
  watch_input (self, encoder);
  forget_size (self);
  self->applied = bitrate;
  self->encoder_bitrate = bitrate;
}

/* A new encoder (or none): its size filter is another one, at its own
 * size. */
static void
forget_size (RwRateLayers * self)
{
  gst_clear_object (&self->size_filter);
  gst_clear_caps (&self->full_size);
  self->scale = (RwRateScale) {
  0};
  self->scale_step = 0;
  self->scale_failed = FALSE;
}

/* The encoder's picture to @step (rw-rate-scale.c), through the capsfilter
 * in front of it; warns once when it cannot. */
static void
apply_scale (RwRateLayers * self, guint step)
{
  g_autoptr (GError) error = NULL;
  guint num, den;

  if (step == self->scale_step || self->scale_failed || self->encoder == NULL)
    return;
  if (self->size_filter == NULL)
    self->size_filter = rw_encoder_find_size_filter (self->encoder,
        &self->full_size);
  if (self->size_filter == NULL) {
    g_warning ("rate control: no capsfilter upstream of %s sets the size of "
        "its picture, which keeps it (scale-down=false stops trying)",
        GST_OBJECT_NAME (self->encoder));
    self->scale_failed = TRUE;
    return;
  }
  rw_rate_scale_get_factor (step, &num, &den);
  if (!rw_encoder_scale (self->size_filter, self->full_size, num, den, &error)) {
    g_warning ("rate control: the picture keeps its size: %s (scale-down="
        "false stops trying)", error->message);
    self->scale_failed = TRUE;
    return;
  }
  g_message ("rate control: the picture of %s at %u/%u of its size "
      "(target %u bit/s, %.1f frames a second encoded)",
      GST_OBJECT_NAME (self->encoder), num, den, self->applied, self->full_fps);
  self->scale_step = step;
}

static void
link_low (RwRateLayers * self, RwViewer * viewer)
{
  if (rw_viewer_link_low (viewer, rw_low_layer_get_tee (self->low)))
    g_ptr_array_add (self->linked, g_object_ref (viewer));
}

static void
start_low (RwRateLayers * self, RwViewer ** viewers, guint n, RwCodec codec,
    gint width, gint height, gint fps_n, gint fps_d, gint64 now)
{
  g_autoptr (GError) error = NULL;

  if (self->low_failed_at && now - self->low_failed_at < LOW_FAILED_US)
    return;
  self->low = rw_low_layer_new (self->bin, self->tee, codec, width, height,
      fps_n, fps_d, self->settings.low_bitrate, &error);
  if (self->low == NULL) {
    g_warning ("rate control: no low layer: %s", error->message);
    self->low_failed_at = now;
    return;
  }
  g_message ("rate control: the low layer started for a viewer far below "
      "the others");
  self->low_used_at = now;
  self->low_bytes_then = 0;
  for (guint i = 0; i < n; i++)
    link_low (self, viewers[i]);
}

/* On the context: nothing flows into the low layer any more. */
static gboolean
low_stopped (gpointer user_data)
{
  RwRateLayers *self = user_data;

  /* rw_rate_layers_free() came first, and freed the layer */
  if (self->freed)
    return G_SOURCE_REMOVE;
  for (guint i = 0; i < self->linked->len; i++)
    rw_viewer_unlink_low (g_ptr_array_index (self->linked, i));
  g_ptr_array_set_size (self->linked, 0);
  g_clear_pointer (&self->low, rw_low_layer_free);
  self->low_stopping = FALSE;
  self->low_bitrate = 0;
  g_message ("rate control: the low layer stopped");
  return G_SOURCE_REMOVE;
}

static void
stop_low (RwRateLayers * self)
{
  if (self->low == NULL || self->low_stopping)
    return;
  self->low_stopping = TRUE;
  /* nobody may get it while it goes */
  for (guint i = 0; i < self->linked->len; i++)
    rw_viewer_set_layer (g_ptr_array_index (self->linked, i), RW_LAYER_FULL, 0);
  rw_low_layer_stop (self->low, self->context, low_stopped,
      g_rc_box_acquire (self), (GDestroyNotify) g_rc_box_release);
}

static void
measure (RwRateLayers * self, gint64 now)
{
  guint64 full, low, frames, fed;

  g_mutex_lock (&self->counts->lock);
  full = self->counts->full_bytes;
  frames = self->counts->full_frames;
  fed = self->counts->fed_frames;
  g_mutex_unlock (&self->counts->lock);
  low = self->low ? rw_low_layer_get_bytes (self->low) : 0;
  if (self->measured_at && now - self->measured_at < MEASURE_US)
    return;
  if (self->measured_at) {
    gint64 span = now - self->measured_at;

    self->full_bitrate = (full - self->full_bytes_then) * 8 *
        G_USEC_PER_SEC / span;
    self->low_bitrate = self->low && low >= self->low_bytes_then ?
        (low - self->low_bytes_then) * 8 * G_USEC_PER_SEC / span : 0;
    self->full_fps = (frames - self->full_frames_then) *
        (gdouble) G_USEC_PER_SEC / span;
    self->fed_fps = (fed - self->fed_frames_then) *
        (gdouble) G_USEC_PER_SEC / span;
  }
  self->full_frames_then = frames;
  self->fed_frames_then = fed;
  self->measured_at = now;
  self->full_bytes_then = full;
  self->low_bytes_then = low;
}

/**
 * rw_rate_layers_update:
 * @self: a stream's rate control
 * @settings: the policy's settings now
 * @viewers: (array length=n): its viewers with video
 * @peers: (array length=n): their entries for the policy
 * @n: how many
 * @codec: the video's codec
 * @width: its size
 * @height: its size
 * @fps_n: its frame rate
 * @fps_d: its frame rate
 *
 * Measures, decides and applies. Call on the sink's context, about twice
 * a second.
 */
void
rw_rate_layers_update (RwRateLayers * self, const RwRateSettings * settings,
    RwViewer ** viewers, RwRatePeer ** peers, guint n, RwCodec codec,
    gint width, gint height, gint fps_n, gint fps_d)
{
  gint64 now = g_get_monotonic_time ();
  gboolean want_low = FALSE;
  guint target;

  if (memcmp (settings, &self->settings, sizeof (RwRateSettings)) != 0) {
    self->settings = *settings;
    apply_policy (self, self->encoder_bitrate);
  }
  if (!self->settings.enabled || !self->settings.low_layer)
    stop_low (self);
  if (!self->settings.enabled) {
    guint max = rw_rate_control_get_policy (self->control)->max_bitrate;

    for (guint i = 0; i < n; i++)
      rw_viewer_set_layer (viewers[i], RW_LAYER_FULL, 0);
    /* switched off by a reload: the encoder's bitrate back to the top,
     * its picture to its size */
    if (self->encoder && self->applied != max) {
      rw_encoder_set_bitrate (self->encoder, max, FALSE);
      self->applied = max;
    }
    apply_scale (self, 0);
    self->scale = (RwRateScale) {
    0};
    return;
  }
  find_encoder (self);
  measure (self, now);

  for (guint i = 0; i < n; i++) {
    RwViewerRate rate;

    rw_viewer_measure_rate (viewers[i], now, &rate);
    peers[i]->estimate = rate.estimate;
    peers[i]->delivered = rate.delivered;
    peers[i]->fraction_lost = rate.fraction_lost;
  }
  target = rw_rate_control_update (self->control, peers, n, now);
  if (self->encoder && target != self->applied) {
    GST_DEBUG_OBJECT (self->encoder, "target %u bit/s", target);
    rw_encoder_set_bitrate (self->encoder, target, target <
        rw_rate_control_get_policy (self->control)->max_bitrate);
    self->applied = target;
  }
  if (self->encoder && self->settings.scale_down)
    apply_scale (self, rw_rate_scale_update (&self->scale, now, target,
            rw_rate_control_get_policy (self->control)->max_bitrate,
            self->full_fps, self->fed_fps));
  else if (self->encoder) {
    apply_scale (self, 0);
    self->scale = (RwRateScale) {
    0};
  }

  self->full_viewers = self->low_viewers = 0;
  /* started as soon as a viewer looks far below, so that it runs when the
   * viewer is moved */
  for (guint i = 0; i < n; i++)
    want_low |= peers[i]->layer == RW_LAYER_LOW || (self->settings.low_layer
        && rw_rate_peer_is_far_below (peers[i]));
  if (want_low && self->low == NULL)
    start_low (self, viewers, n, codec, width, height, fps_n, fps_d, now);
  for (guint i = 0; i < n; i++) {
    RwLayer layer = peers[i]->layer;

    /* without a low layer (starting failed, or it is stopping) a viewer
     * stays on the full one and drops what it cannot carry */
    if (layer == RW_LAYER_LOW && (self->low == NULL || self->low_stopping))
      layer = RW_LAYER_FULL;
    if (layer == RW_LAYER_LOW)
      self->low_used_at = now;
    self->low_viewers += layer == RW_LAYER_LOW;
    self->full_viewers += layer == RW_LAYER_FULL;
    rw_viewer_set_layer (viewers[i], layer,
        peers[i]->dropping || (layer != peers[i]->layer &&
            peers[i]->estimate) ? peers[i]->estimate : 0);
  }
  if (self->low && !want_low && now - self->low_used_at > LOW_IDLE_US)
    stop_low (self);
}

/**
 * rw_rate_layers_viewer_joined:
 * @self: a stream's rate control
 * @viewer: a viewer that joined the tees
 */
void
rw_rate_layers_viewer_joined (RwRateLayers * self, RwViewer * viewer)
{
  if (self->low && !self->low_stopping)
    link_low (self, viewer);
}

/**
 * rw_rate_layers_viewer_removed:
 * @self: a stream's rate control
 * @viewer: a viewer that is leaving (it unlinks itself)
 */
void
rw_rate_layers_viewer_removed (RwRateLayers * self, RwViewer * viewer)
{
  g_ptr_array_remove (self->linked, viewer);
}

/**
 * rw_rate_layers_low_failed:
 * @self: a stream's rate control
 *
 * The low layer posted an error: it stops, and is not tried again for a
 * while; its viewers stay on the full layer and drop what they cannot
 * carry.
 */
void
rw_rate_layers_low_failed (RwRateLayers * self)
{
  if (self->low == NULL)
    return;
  g_warning ("rate control: the low layer failed; not tried again for %d s",
      (int) (LOW_FAILED_US / G_USEC_PER_SEC));
  self->low_failed_at = g_get_monotonic_time ();
  stop_low (self);
}

/* A layer's object in `rate_control.layers`, left open for more members. */
static void
begin_layer (JsonBuilder * builder, const gchar * name, guint64 target,
    guint64 bitrate, guint viewers)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "target");
  json_builder_add_int_value (builder, target);
  json_builder_set_member_name (builder, "bitrate");
  json_builder_add_int_value (builder, bitrate);
  json_builder_set_member_name (builder, "viewers");
  json_builder_add_int_value (builder, viewers);
}

/**
 * rw_rate_layers_add_status:
 * @self: a stream's rate control
 * @builder: a builder inside the stream's object
 *
 * Adds `rate_control`: the target, its bounds, and each layer's target,
 * bitrate and viewers.
 */
void
rw_rate_layers_add_status (RwRateLayers * self, JsonBuilder * builder)
{
  const RwRatePolicy *policy = rw_rate_control_get_policy (self->control);
  guint target = self->encoder ? self->applied :
      rw_rate_control_get_target (self->control);
  guint num, den;

  json_builder_set_member_name (builder, "rate_control");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, self->settings.enabled);
  json_builder_set_member_name (builder, "encoder");
  if (self->encoder)
    json_builder_add_string_value (builder,
        GST_OBJECT_NAME (gst_element_get_factory (self->encoder)));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "target");
  json_builder_add_int_value (builder, target);
  json_builder_set_member_name (builder, "min");
  json_builder_add_int_value (builder, policy->min_bitrate);
  json_builder_set_member_name (builder, "max");
  json_builder_add_int_value (builder, policy->max_bitrate);
  json_builder_set_member_name (builder, "layers");
  json_builder_begin_array (builder);

  begin_layer (builder, "full", target, self->full_bitrate, self->full_viewers);
  rw_rate_scale_get_factor (self->scale_step, &num, &den);
  json_builder_set_member_name (builder, "scale");
  json_builder_add_double_value (builder, (gdouble) num / den);
  json_builder_set_member_name (builder, "encoded_fps");
  json_builder_add_double_value (builder,
      (gint64) (self->full_fps * 10 + 0.5) / 10.0);
  json_builder_set_member_name (builder, "input_fps");
  json_builder_add_double_value (builder,
      (gint64) (self->fed_fps * 10 + 0.5) / 10.0);
  json_builder_end_object (builder);

  begin_layer (builder, "low", self->settings.low_bitrate, self->low_bitrate,
      self->low_viewers);
  json_builder_set_member_name (builder, "active");
  json_builder_add_boolean_value (builder, self->low != NULL);
  if (self->low) {
    gint width, height, fps;

    rw_low_layer_get_size (self->low, &width, &height, &fps);
    json_builder_set_member_name (builder, "width");
    json_builder_add_int_value (builder, width);
    json_builder_set_member_name (builder, "height");
    json_builder_add_int_value (builder, height);
    json_builder_set_member_name (builder, "framerate");
    json_builder_add_int_value (builder, fps);
  }
  json_builder_end_object (builder);

  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

/**
 * rw_rate_layers_free:
 * @self: a stream's rate control, with no viewer left on its tees and the
 *     pipeline not streaming into the low layer
 */
void
rw_rate_layers_free (RwRateLayers * self)
{
  for (guint i = 0; i < self->linked->len; i++)
    rw_viewer_unlink_low (g_ptr_array_index (self->linked, i));
  g_ptr_array_unref (self->linked);
  g_clear_pointer (&self->low, rw_low_layer_free);
  gst_pad_remove_probe (self->tee_sink, self->tee_probe);
  gst_object_unref (self->tee_sink);
  watch_input (self, NULL);
  gst_clear_object (&self->encoder);
  gst_clear_object (&self->size_filter);
  gst_clear_caps (&self->full_size);
  gst_object_unref (self->tee);
  gst_object_unref (self->bin);
  g_main_context_unref (self->context);
  rw_rate_control_free (self->control);
  release_counts (self->counts);
  self->freed = TRUE;
  g_rc_box_release (self);
}

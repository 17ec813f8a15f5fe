/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-encoder
 * @title: Encoders
 * @short_description: finds the shared encoder and sets its bitrate
 *
 * Rate control changes the bitrate of the encoder in front of the sink,
 * wherever it is: the daemon's source bin or a launch line's
 * `vp8enc ! robotwebrtcsink`. It is found by walking upstream from the
 * sink's input through bins (ghost pads) and elements with one sink pad
 * (queues, capsfilters, parsers) to the first element whose class says
 * "Encoder". Each encoder names its bitrate its own way: vp8enc and
 * vp9enc `target-bitrate` in bit/s, x264enc and x265enc `bitrate` in
 * kbit/s, openh264enc `bitrate` in bit/s. All of them take a new bitrate
 * while playing, without a keyframe.
 *
 * libvpx has a floor: at its coarsest quantizer a detailed, moving picture
 * at 640x480 and 30 frames a second takes about 750 kbit/s, whatever the
 * target. Below the encoder's own bitrate it may therefore drop frames
 * (`dropframe-threshold`, as libwebrtc does), and meets a lower target with
 * fewer frames a second, and its keyframes are kept to 9 average frames
 * (`max-intra-bitrate`); at its own bitrate neither applies. x264 meets low
 * targets with coarser quantizers.
 */

#include "rw-encoder.h"
#include "rw-error.h"

#include <string.h>

#define MAX_HOPS 32

typedef struct
{
  const gchar *factory;
  const gchar *property;
  guint unit;                   /* bits per property unit */
  const gchar *drop;            /* lets it drop frames to keep the rate */
  const gchar *intra;           /* caps a keyframe's size */
} EncoderKind;

static const EncoderKind kinds[] = {
  {"vp8enc", "target-bitrate", 1, "dropframe-threshold", "max-intra-bitrate"},
  {"vp9enc", "target-bitrate", 1, "dropframe-threshold", "max-intra-bitrate"},
  {"x264enc", "bitrate", 1000, NULL, NULL},
  {"x265enc", "bitrate", 1000, NULL, NULL},
  {"openh264enc", "bitrate", 1, NULL, NULL},
};

/* libvpx's buffer level (percent) below which it drops a frame, as
 * libwebrtc sets it */
#define DROP_THRESHOLD 30
/* a keyframe's size at most, in % of an average frame's (libwebrtc's
 * value for a 600 ms buffer at 30 frames a second): on a narrow link a
 * whole keyframe sent at once overflows the router's queue */
#define MAX_INTRA_PCT 900

static const EncoderKind *
kind_of (GstElement * encoder)
{
  GstElementFactory *factory = gst_element_get_factory (encoder);

  if (factory == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++) {
    if (g_str_equal (GST_OBJECT_NAME (factory), kinds[i].factory))
      return &kinds[i];
  }
  return NULL;
}

static gboolean
is_encoder (GstElement * element)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  const gchar *klass = factory ? gst_element_factory_get_metadata (factory,
      GST_ELEMENT_METADATA_KLASS) : NULL;

  return klass && strstr (klass, "Encoder") != NULL;
}

/* The only linked sink pad of @element (a textoverlay's text input is
 * mostly not), or NULL. */
static GstPad *
only_sink_pad (GstElement * element)
{
  GstPad *pad = NULL;

  GST_OBJECT_LOCK (element);
  for (GList * l = element->sinkpads; l; l = l->next) {
    if (!gst_pad_is_linked (l->data))
      continue;
    if (pad) {
      gst_clear_object (&pad);
      break;
    }
    pad = gst_object_ref (l->data);
  }
  GST_OBJECT_UNLOCK (element);
  return pad;
}

/* The first element upstream of @pad, on a plain path (one sink pad each,
 * through bins' ghost pads), that @match takes. */
static GstElement *
find_upstream (GstPad * pad, gboolean (*match) (GstElement * element))
{
  GstPad *current = gst_pad_get_peer (pad);

  for (guint hop = 0; current && hop < MAX_HOPS; hop++) {
    GstElement *element;
    GstPad *next;

    /* out of an upstream bin: its ghost pad's target */
    if (GST_IS_GHOST_PAD (current)) {
      next = gst_ghost_pad_get_target (GST_GHOST_PAD (current));
      gst_object_unref (current);
      current = next;
      continue;
    }
    /* the inside of a ghost sink pad (the sink's own): what feeds it */
    if (GST_IS_PROXY_PAD (current)) {
      GstProxyPad *ghost = gst_proxy_pad_get_internal (GST_PROXY_PAD (current));

      gst_object_unref (current);
      current = ghost ? gst_pad_get_peer (GST_PAD (ghost)) : NULL;
      g_clear_object (&ghost);
      continue;
    }
    element = gst_pad_get_parent_element (current);
    gst_object_unref (current);
    current = NULL;
    if (element == NULL)
      break;
    if (match (element))
      return element;
    next = only_sink_pad (element);
    gst_object_unref (element);
    if (next == NULL)
      break;
    current = gst_pad_get_peer (next);
    gst_object_unref (next);
  }
  g_clear_object (&current);
  return NULL;
}

/**
 * rw_encoder_find_upstream:
 * @pad: a sink pad
 *
 * Returns: (transfer full) (nullable): the encoder feeding @pad, or %NULL
 *     when there is none on a plain path upstream.
 */
GstElement *
rw_encoder_find_upstream (GstPad * pad)
{
  return find_upstream (pad, is_encoder);
}

/* Caps of one structure with a fixed width and height. */
static gboolean
has_size (const GstCaps * caps)
{
  const GstStructure *s;
  gint width, height;

  if (caps == NULL || gst_caps_get_size (caps) != 1)
    return FALSE;
  s = gst_caps_get_structure (caps, 0);
  return gst_structure_get_int (s, "width", &width) &&
      gst_structure_get_int (s, "height", &height) && width > 0 && height > 0;
}

static gboolean
is_size_filter (GstElement * element)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  g_autoptr (GstCaps) caps = NULL;

  if (factory == NULL || !g_str_equal (GST_OBJECT_NAME (factory), "capsfilter"))
    return FALSE;
  g_object_get (element, "caps", &caps, NULL);
  return has_size (caps);
}

/**
 * rw_encoder_find_size_filter:
 * @encoder: an encoder
 * @caps: (out) (transfer full) (optional): the filter's caps now
 *
 * Returns: (transfer full) (nullable): the capsfilter upstream of @encoder
 *     that sets its picture's size, or %NULL when there is none.
 */
GstElement *
rw_encoder_find_size_filter (GstElement * encoder, GstCaps ** caps)
{
  g_autoptr (GstPad) sink = only_sink_pad (encoder);
  GstElement *filter = sink ? find_upstream (sink, is_size_filter) : NULL;

  if (filter && caps)
    g_object_get (filter, "caps", caps, NULL);
  return filter;
}

/**
 * rw_encoder_scale:
 * @filter: a capsfilter from rw_encoder_find_size_filter()
 * @original: its caps at full size
 * @num: each side is multiplied by @num / @den (rounded to even)
 * @den: see @num
 * @error: where to say why not
 *
 * Sets @filter to a smaller (or its full) size, when what feeds it can
 * produce that size (a videoscale, a test source).
 *
 * Returns: %FALSE with @error set when it cannot.
 */
gboolean
rw_encoder_scale (GstElement * filter, const GstCaps * original, guint num,
    guint den, GError ** error)
{
  g_autoptr (GstCaps) caps = gst_caps_copy (original);
  g_autoptr (GstPad) sink = gst_element_get_static_pad (filter, "sink");
  g_autoptr (GstCaps) possible = NULL;
  GstStructure *s;
  gint width, height;

  g_return_val_if_fail (has_size (original), FALSE);
  s = gst_caps_get_structure (caps, 0);
  gst_structure_get_int (s, "width", &width);
  gst_structure_get_int (s, "height", &height);
  width = MAX ((gint) ((gint64) width * num / den) & ~1, 16);
  height = MAX ((gint) ((gint64) height * num / den) & ~1, 16);
  gst_structure_set (s, "width", G_TYPE_INT, width, "height", G_TYPE_INT,
      height, NULL);
  possible = sink ? gst_pad_peer_query_caps (sink, caps) : NULL;
  if (possible == NULL || gst_caps_is_empty (possible)) {
    g_set_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED,
        "what feeds %s cannot produce %dx%d (add a videoscale before it)",
        GST_OBJECT_NAME (filter), width, height);
    return FALSE;
  }
  g_object_set (filter, "caps", caps, NULL);
  return TRUE;
}

/**
 * rw_encoder_get_bitrate:
 * @encoder: an encoder
 * @bitrate: (out): its bitrate, bits/s
 *
 * Returns: %FALSE for an encoder whose bitrate is not known here.
 */
gboolean
rw_encoder_get_bitrate (GstElement * encoder, guint * bitrate)
{
  const EncoderKind *kind = kind_of (encoder);
  guint value = 0;

  if (kind == NULL)
    return FALSE;
  g_object_get (encoder, kind->property, &value, NULL);
  *bitrate = value * kind->unit;
  return TRUE;
}

/**
 * rw_encoder_set_bitrate:
 * @encoder: an encoder
 * @bitrate: bits/s
 * @drop_frames: it may drop frames to keep to @bitrate, when it can
 *
 * Returns: %FALSE for an encoder whose bitrate is not known here.
 */
gboolean
rw_encoder_set_bitrate (GstElement * encoder, guint bitrate,
    gboolean drop_frames)
{
  const EncoderKind *kind = kind_of (encoder);
  GParamSpec *pspec;

  if (kind == NULL)
    return FALSE;
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (encoder),
      kind->property);
  if (pspec == NULL)
    return FALSE;
  if (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_INT)
    g_object_set (encoder, kind->property,
        (gint) MIN (bitrate / kind->unit, G_MAXINT), NULL);
  else
    g_object_set (encoder, kind->property, MAX (bitrate / kind->unit, 1), NULL);
  if (kind->drop && g_object_class_find_property (G_OBJECT_GET_CLASS
          (encoder), kind->drop))
    g_object_set (encoder, kind->drop, drop_frames ? DROP_THRESHOLD : 0, NULL);
  if (kind->intra && g_object_class_find_property (G_OBJECT_GET_CLASS
          (encoder), kind->intra))
    g_object_set (encoder, kind->intra, drop_frames ? MAX_INTRA_PCT : 0, NULL);
  return TRUE;
}

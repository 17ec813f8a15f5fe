/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-playout-delay
 * @title: RwPlayoutDelay
 * @short_description: the playout-delay RTP header extension, sent
 *
 * Tells a browser's receiver how long it may hold video back before it
 * shows it: `http://www.webrtc.org/experiments/rtp-hdrext/playout-delay`,
 * three bytes, a minimum and a maximum of 12 bits each in units of 10 ms.
 * With both 0 Chromium renders each frame as soon as it is decoded, without
 * the jitter buffer's smoothing: the least delay a remote-control view can
 * have on a network that does not jitter. A payloader writes it into every
 * packet (the receiver keeps the last value it read, and any packet may be
 * lost); GStreamer 1.22 has no such extension of its own.
 */

#include "rw-playout-delay.h"

/* 12 bits of 10 ms each */
#define UNIT_MS 10
#define MAX_UNITS 0xfff
#define SIZE 3

struct _RwPlayoutDelay
{
  GstRTPHeaderExtension parent;
  guint min_units;              /* set before the payloader has it */
  guint max_units;
};

G_DEFINE_TYPE (RwPlayoutDelay, rw_playout_delay, GST_TYPE_RTP_HEADER_EXTENSION);

static GstRTPHeaderExtensionFlags
get_supported_flags (GstRTPHeaderExtension * ext)
{
  return GST_RTP_HEADER_EXTENSION_ONE_BYTE | GST_RTP_HEADER_EXTENSION_TWO_BYTE;
}

static gsize
get_max_size (GstRTPHeaderExtension * ext, const GstBuffer * input_meta)
{
  return SIZE;
}

static gssize
write (GstRTPHeaderExtension * ext, const GstBuffer * input_meta,
    GstRTPHeaderExtensionFlags write_flags, GstBuffer * output,
    guint8 * data, gsize size)
{
  RwPlayoutDelay *self = RW_PLAYOUT_DELAY (ext);

  g_return_val_if_fail (size >= SIZE, -1);
  data[0] = self->min_units >> 4;
  data[1] = (self->min_units & 0xf) << 4 | self->max_units >> 8;
  data[2] = self->max_units & 0xff;
  return SIZE;
}

/* what a receiver sends back is not ours to act on */
static gboolean
read (GstRTPHeaderExtension * ext, GstRTPHeaderExtensionFlags read_flags,
    const guint8 * data, gsize size, GstBuffer * buffer)
{
  return TRUE;
}

static void
rw_playout_delay_class_init (RwPlayoutDelayClass * klass)
{
  GstRTPHeaderExtensionClass *ext_class =
      GST_RTP_HEADER_EXTENSION_CLASS (klass);

  ext_class->get_supported_flags = get_supported_flags;
  ext_class->get_max_size = get_max_size;
  ext_class->write = write;
  ext_class->read = read;
  gst_element_class_set_static_metadata (GST_ELEMENT_CLASS (klass),
      "Playout delay", GST_RTP_HDREXT_ELEMENT_CLASS,
      "Asks a browser to show video within a delay (playout-delay)",
      "robot-webrtc contributors");
  gst_rtp_header_extension_class_set_uri (ext_class, RW_PLAYOUT_DELAY_URI);
}

static void
rw_playout_delay_init (RwPlayoutDelay * self)
{
}

/**
 * rw_playout_delay_new:
 * @id: the extension's id, as the receiver's offer maps it (1-255)
 * @min_ms: the least delay before showing a frame, in ms (at most 40950;
 *     rounded down to 10 ms)
 * @max_ms: the most, at least @min_ms
 *
 * Returns: (transfer full): the extension, for a payloader's
 *     `add-extension`
 */
GstRTPHeaderExtension *
rw_playout_delay_new (guint id, guint min_ms, guint max_ms)
{
  RwPlayoutDelay *self;

  g_return_val_if_fail (id >= 1 && id <= 255, NULL);
  g_return_val_if_fail (min_ms <= max_ms, NULL);
  g_return_val_if_fail (max_ms / UNIT_MS <= MAX_UNITS, NULL);

  self = g_object_new (RW_TYPE_PLAYOUT_DELAY, NULL);
  self->min_units = min_ms / UNIT_MS;
  self->max_units = max_ms / UNIT_MS;
  gst_rtp_header_extension_set_id (GST_RTP_HEADER_EXTENSION (self), id);
  return gst_object_ref_sink (GST_RTP_HEADER_EXTENSION (self));
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The playout-delay header extension on a real payloader: every packet of
 * a frame carries it, with the id the offer gave it and the delays in
 * 10 ms units; the payloader's caps map it (extmap-ID), which is what
 * webrtcbin answers. */

#include <gst/gst.h>
#include <gst/rtp/rtp.h>

#include "rw-playout-delay.h"

#define FRAMES 3

static GstPadProbeReturn
keep_packets (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GPtrArray *packets = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    for (guint i = 0; i < gst_buffer_list_length (list); i++)
      g_ptr_array_add (packets, gst_buffer_ref (gst_buffer_list_get (list, i)));
  } else {
    g_ptr_array_add (packets,
        gst_buffer_ref (GST_PAD_PROBE_INFO_BUFFER (info)));
  }
  return GST_PAD_PROBE_OK;
}

/* The packets of FRAMES VP8 frames from rtpvp8pay with the extension of
 * @id, @min_ms and @max_ms, and the payloader's output caps. */
static GPtrArray *
payload (guint id, guint min_ms, guint max_ms, GstCaps ** caps)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch ("videotestsrc "
      "num-buffers=" G_STRINGIFY (FRAMES) " pattern=snow ! "
      "video/x-raw,width=320,height=240 ! vp8enc deadline=1 ! "
      "rtpvp8pay name=pay mtu=400 ! fakesink sync=false", &error);
  g_autoptr (GstElement) pay = NULL;
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;
  g_autoptr (GstRTPHeaderExtension) ext = NULL;
  GPtrArray *packets = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);

  g_assert_no_error (error);
  pay = gst_bin_get_by_name (GST_BIN (pipeline), "pay");
  src = gst_element_get_static_pad (pay, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, keep_packets, packets, NULL);
  ext = rw_playout_delay_new (id, min_ms, max_ms);
  g_assert_cmpstr (gst_rtp_header_extension_get_uri (ext), ==,
      RW_PLAYOUT_DELAY_URI);
  g_signal_emit_by_name (pay, "add-extension", ext);

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  *caps = gst_pad_get_current_caps (src);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return packets;
}

/* @packet carries the extension @id with @expected */
static void
check_packet (GstBuffer * packet, guint id, const guint8 expected[3])
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gpointer data = NULL;
  guint size = 0;

  g_assert_true (gst_rtp_buffer_map (packet, GST_MAP_READ, &rtp));
  g_assert_true (gst_rtp_buffer_get_extension_onebyte_header (&rtp, id, 0,
          &data, &size));
  g_assert_cmpuint (size, ==, 3);
  g_assert_cmpmem (data, size, expected, 3);
  gst_rtp_buffer_unmap (&rtp);
}

static void
test_every_packet (void)
{
  const guint8 zero[3] = { 0, 0, 0 };
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GPtrArray) packets = payload (5, 0, 0, &caps);
  const GstStructure *s;

  /* snow at 320x240 does not fit in one 400-byte packet */
  g_assert_cmpuint (packets->len, >, FRAMES);
  for (guint i = 0; i < packets->len; i++)
    check_packet (packets->pdata[i], 5, zero);

  g_assert_nonnull (caps);
  s = gst_caps_get_structure (caps, 0);
  g_assert_cmpstr (gst_structure_get_string (s, "extmap-5"), ==,
      RW_PLAYOUT_DELAY_URI);
}

/* 12 bits each, 10 ms units: 120 ms (12 = 0x00c) and 40950 ms (0xfff),
 * a remainder rounded down */
static void
test_units (void)
{
  const guint8 bytes[3] = { 0x00, 0xcf, 0xff };
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GPtrArray) packets = payload (14, 129, 40950, &caps);

  g_assert_cmpuint (packets->len, >, 0);
  check_packet (packets->pdata[0], 14, bytes);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/playout-delay/every-packet", test_every_packet);
  g_test_add_func ("/playout-delay/units", test_units);
  return g_test_run ();
}

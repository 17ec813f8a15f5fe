/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer: a viewer's compound RTCP packet, as rw-receiver-rtt reads it
 * for XR reference times, then answered in a report of ours; and the same
 * bytes as the FCI of a REMB message (rw-remb). */

#include <gst/rtp/rtp.h>

#include "rw-receiver-rtt.h"
#include "rw-remb.h"

int LLVMFuzzerTestOneInput (const guint8 * data, gsize size);

int
LLVMFuzzerTestOneInput (const guint8 * data, gsize size)
{
  static RwReceiverRtt *rtt;
  static gint64 now = 1;
  g_autoptr (GstBuffer) in = NULL;
  g_autoptr (GstBuffer) out = NULL;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint64 bitrate;
  guint n_ssrcs;

  if (rw_remb_parse (data, size, &bitrate, &n_ssrcs) &&
      size < 8 + 4 * (gsize) n_ssrcs)
    abort ();

  if (rtt == NULL) {
    gst_init (NULL, NULL);
    rtt = rw_receiver_rtt_new ();
  }
  now += G_USEC_PER_SEC / 10;

  in = size ? gst_buffer_new_memdup (data, size) : gst_buffer_new ();
  rw_receiver_rtt_note_rtcp (rtt, in, now);

  /* our report, as rtpsession makes it, with what was noted added */
  out = gst_rtcp_buffer_new (1200);
  gst_rtcp_buffer_map (out, GST_MAP_READWRITE, &rtcp);
  gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SR, &packet);
  gst_rtcp_packet_sr_set_sender_info (&packet, 0x11223344, 0, 0, 0, 0);
  gst_rtcp_buffer_unmap (&rtcp);
  rw_receiver_rtt_add_dlrr (rtt, out, now);
  if (!gst_rtcp_buffer_validate (out))
    abort ();
  return 0;
}

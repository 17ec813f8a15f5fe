/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-receiver-rtt
 * @title: Receiver RTT
 * @short_description: answers a viewer's RTCP XR reference times (RFC 3611)
 *
 * A viewer that only receives cannot learn the round-trip time from RTCP
 * sender and receiver reports, and without it a browser waits its default
 * 100 ms before it asks again for a packet whose retransmission was lost.
 * Offers that say `a=rtcp-xr:rcvr-rtt=all` (Chromium's) get the same line in
 * our answer; the viewer then sends Receiver Reference Time blocks (RRTR)
 * and we answer each with a DLRR block in our next RTCP packet: its last
 * reference time and how long we held it, from which the viewer computes
 * the RTT (RFC 3611 §4.4, §4.5). GStreamer 1.22's rtpsession ignores XR
 * packets, so this reads them in its `on-receiving-rtcp` signal and adds
 * the answer in `on-sending-rtcp`.
 */

#include "rw-receiver-rtt.h"

#include <gst/rtp/rtp.h>

GST_DEBUG_CATEGORY_STATIC (rw_receiver_rtt_debug);
#define GST_CAT_DEFAULT rw_receiver_rtt_debug

/* Viewers' receiving SSRCs we answer (one per m-line a browser receives) */
#define MAX_SOURCES 4
/* An RRTR older than this is not answered any more: the viewer stopped
 * sending them, or left. */
#define MAX_AGE_US (10 * G_USEC_PER_SEC)
/* XR header + SSRC, DLRR block header, one 12-byte sub-block per source */
#define XR_HEADER_LEN 8
#define DLRR_HEADER_LEN 4
#define DLRR_SUB_BLOCK_LEN 12

typedef struct
{
  guint32 ssrc;                 /* the viewer's SSRC that sent it */
  guint32 lrr;                  /* the middle 32 bits of its NTP time */
  gint64 received_us;           /* monotonic; 0: unused */
} RwReferenceTime;

struct _RwReceiverRtt
{
  GMutex lock;                  /* protects times */
  RwReferenceTime times[MAX_SOURCES];
};

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (rw_receiver_rtt_debug, "rw-receiver-rtt", 0,
        "robot-webrtc RTCP XR receiver reference times");
    g_once_init_leave (&done, 1);
  }
}

/**
 * rw_receiver_rtt_new:
 *
 * Returns: (transfer full): an empty table of reference times
 */
RwReceiverRtt *
rw_receiver_rtt_new (void)
{
  RwReceiverRtt *self = g_new0 (RwReceiverRtt, 1);

  init_debug ();
  g_mutex_init (&self->lock);
  return self;
}

void
rw_receiver_rtt_free (RwReceiverRtt * self)
{
  if (self == NULL)
    return;
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* Called with the lock: the slot for @ssrc, else a free or the oldest one */
static RwReferenceTime *
slot_for (RwReceiverRtt * self, guint32 ssrc)
{
  RwReferenceTime *oldest = &self->times[0];

  for (guint i = 0; i < MAX_SOURCES; i++) {
    RwReferenceTime *t = &self->times[i];

    if (t->received_us != 0 && t->ssrc == ssrc)
      return t;
    if (t->received_us < oldest->received_us)
      oldest = t;
  }
  return oldest;
}

/**
 * rw_receiver_rtt_note_rtcp:
 * @self: the table
 * @rtcp: a compound RTCP packet from the viewer, as received
 * @now_us: the monotonic time it arrived
 *
 * Remembers the Receiver Reference Time blocks in @rtcp. Malformed packets
 * and blocks are skipped.
 *
 * Returns: how many reference times were noted
 */
guint
rw_receiver_rtt_note_rtcp (RwReceiverRtt * self, GstBuffer * rtcp,
    gint64 now_us)
{
  GstRTCPBuffer buf = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean more;
  guint noted = 0;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (GST_IS_BUFFER (rtcp), 0);

  /* too short for a packet header (and an empty buffer does not map) */
  if (gst_buffer_get_size (rtcp) < 4 ||
      !gst_rtcp_buffer_map (rtcp, GST_MAP_READ, &buf))
    return 0;
  for (more = gst_rtcp_buffer_get_first_packet (&buf, &packet); more;
      more = gst_rtcp_packet_move_to_next (&packet)) {
    guint32 ssrc;
    gboolean block;

    if (gst_rtcp_packet_get_type (&packet) != GST_RTCP_TYPE_XR)
      continue;
    ssrc = gst_rtcp_packet_xr_get_ssrc (&packet);
    for (block = gst_rtcp_packet_xr_first_rb (&packet); block;
        block = gst_rtcp_packet_xr_next_rb (&packet)) {
      guint64 ntp;
      RwReferenceTime *t;

      if (gst_rtcp_packet_xr_get_block_type (&packet) != GST_RTCP_XR_TYPE_RRT
          || !gst_rtcp_packet_xr_get_rrt (&packet, &ntp))
        continue;
      g_mutex_lock (&self->lock);
      t = slot_for (self, ssrc);
      t->ssrc = ssrc;
      t->lrr = (guint32) (ntp >> 16);
      t->received_us = now_us;
      g_mutex_unlock (&self->lock);
      GST_LOG ("reference time %08x from SSRC %08x", (guint32) (ntp >> 16),
          ssrc);
      noted++;
    }
  }
  gst_rtcp_buffer_unmap (&buf);
  return noted;
}

/* The SSRC our compound packet speaks for (its first packet, an SR or an
 * RR), or FALSE when it is not a report or says goodbye. */
static gboolean
report_ssrc (GstRTCPBuffer * buf, guint32 * ssrc)
{
  GstRTCPPacket packet;
  gboolean more;

  if (!gst_rtcp_buffer_get_first_packet (buf, &packet))
    return FALSE;
  switch (gst_rtcp_packet_get_type (&packet)) {
    case GST_RTCP_TYPE_SR:
      gst_rtcp_packet_sr_get_sender_info (&packet, ssrc, NULL, NULL, NULL,
          NULL);
      break;
    case GST_RTCP_TYPE_RR:
      *ssrc = gst_rtcp_packet_rr_get_ssrc (&packet);
      break;
    default:
      return FALSE;
  }
  for (more = TRUE; more; more = gst_rtcp_packet_move_to_next (&packet)) {
    if (gst_rtcp_packet_get_type (&packet) == GST_RTCP_TYPE_BYE)
      return FALSE;
  }
  return TRUE;
}

/**
 * rw_receiver_rtt_add_dlrr:
 * @self: the table
 * @rtcp: (transfer none): a writable compound RTCP packet of ours, about to
 *   be sent
 * @now_us: the monotonic time now
 *
 * Appends to @rtcp one XR packet with a DLRR sub-block for each viewer SSRC
 * whose last reference time is recent. GstRTCPBuffer (1.22) reads XR but
 * cannot write it: the block is written after the 8 bytes
 * gst_rtcp_buffer_add_packet() makes for an XR packet, the way it extends
 * its own packets. Nothing is added when the packet is not a report (an
 * early feedback packet), says goodbye, or has no room.
 *
 * Returns: the number of DLRR sub-blocks added
 */
guint
rw_receiver_rtt_add_dlrr (RwReceiverRtt * self, GstBuffer * rtcp, gint64 now_us)
{
  GstRTCPBuffer buf = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  RwReferenceTime times[MAX_SOURCES];
  guint n = 0;
  guint32 ssrc;
  guint8 *data;
  gsize extra;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (GST_IS_BUFFER (rtcp), 0);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < MAX_SOURCES; i++) {
    RwReferenceTime *t = &self->times[i];

    if (t->received_us == 0)
      continue;
    if (now_us - t->received_us > MAX_AGE_US) {
      t->received_us = 0;
      continue;
    }
    times[n++] = *t;
  }
  g_mutex_unlock (&self->lock);
  if (n == 0 || gst_buffer_get_size (rtcp) < 4 ||
      !gst_buffer_is_writable (rtcp))
    return 0;

  if (!gst_rtcp_buffer_map (rtcp, GST_MAP_READWRITE, &buf))
    return 0;
  if (!report_ssrc (&buf, &ssrc) ||
      !gst_rtcp_buffer_add_packet (&buf, GST_RTCP_TYPE_XR, &packet)) {
    gst_rtcp_buffer_unmap (&buf);
    return 0;
  }
  extra = DLRR_HEADER_LEN + n * DLRR_SUB_BLOCK_LEN;
  if (buf.map.size + extra > buf.map.maxsize) {
    gst_rtcp_packet_remove (&packet);
    gst_rtcp_buffer_unmap (&buf);
    return 0;
  }

  data = buf.map.data + packet.offset;
  GST_WRITE_UINT16_BE (data + 2, (XR_HEADER_LEN + extra) / 4 - 1);
  GST_WRITE_UINT32_BE (data + 4, ssrc);
  data += XR_HEADER_LEN;
  data[0] = GST_RTCP_XR_TYPE_DLRR;
  data[1] = 0;
  GST_WRITE_UINT16_BE (data + 2, n * DLRR_SUB_BLOCK_LEN / 4);
  data += DLRR_HEADER_LEN;
  for (guint i = 0; i < n; i++, data += DLRR_SUB_BLOCK_LEN) {
    /* the delay in units of 1/65536 s */
    guint64 delay = (guint64) (now_us - times[i].received_us) * 65536 /
        G_USEC_PER_SEC;

    GST_WRITE_UINT32_BE (data, times[i].ssrc);
    GST_WRITE_UINT32_BE (data + 4, times[i].lrr);
    GST_WRITE_UINT32_BE (data + 8, (guint32) MIN (delay, G_MAXUINT32));
  }
  buf.map.size += extra;
  gst_rtcp_buffer_unmap (&buf);
  GST_LOG ("DLRR for %u viewer SSRCs in the RTCP of %08x", n, ssrc);
  return n;
}

/* The session's threads: its RTCP receiving and its RTCP timer. */
static void
on_receiving_rtcp (GObject * session, GstBuffer * buffer, gpointer user_data)
{
  rw_receiver_rtt_note_rtcp (user_data, buffer, g_get_monotonic_time ());
}

static gboolean
on_sending_rtcp (GObject * session, GstBuffer * buffer, gboolean early,
    gpointer user_data)
{
  rw_receiver_rtt_add_dlrr (user_data, buffer, g_get_monotonic_time ());
  /* an added DLRR is no reason to send a packet rtpsession would drop */
  return FALSE;
}

/**
 * rw_receiver_rtt_attach:
 * @rtp_session: an rtpbin session's RTPSession (its rtpsession element's
 *   `internal-session`)
 *
 * Answers the reference times @rtp_session receives for as long as it
 * lives; the table lives with it.
 */
void
rw_receiver_rtt_attach (GObject * rtp_session)
{
  RwReceiverRtt *self;

  g_return_if_fail (G_IS_OBJECT (rtp_session));

  if (g_object_get_data (rtp_session, "rw-receiver-rtt"))
    return;
  self = rw_receiver_rtt_new ();
  g_object_set_data_full (rtp_session, "rw-receiver-rtt", self,
      (GDestroyNotify) rw_receiver_rtt_free);
  g_signal_connect (rtp_session, "on-receiving-rtcp",
      G_CALLBACK (on_receiving_rtcp), self);
  g_signal_connect (rtp_session, "on-sending-rtcp",
      G_CALLBACK (on_sending_rtcp), self);
  GST_DEBUG ("answering receiver reference times on %" GST_PTR_FORMAT,
      rtp_session);
}

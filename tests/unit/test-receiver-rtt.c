/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* RTCP XR reference times in, DLRR blocks out (RFC 3611 §4.4, §4.5), on a
 * clock the test moves; the packets are written byte by byte here and read
 * back with GstRTCPBuffer. */

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#include "rw-receiver-rtt.h"

#define S G_USEC_PER_SEC
#define OUR_SSRC 0x11223344
#define NTP(sec, frac) (((guint64) (sec) << 32) | (frac))

static GstBuffer *
buffer_from (const guint8 * bytes, gsize len, gsize maxsize)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, maxsize, NULL);

  gst_buffer_fill (buf, 0, bytes, len);
  gst_buffer_set_size (buf, len);
  return buf;
}

/* A viewer's compound packet: an empty RR from @ssrc, then an XR with one
 * RRTR block of @ntp, as Chromium sends it. */
static GstBuffer *
viewer_rtcp (guint32 ssrc, guint64 ntp)
{
  /* 32-bit aligned, as GST_WRITE_* store whole words (UBSan checks) */
  guint32 words[7];
  guint8 *b = (guint8 *) words;

  b[0] = 0x80;
  b[1] = GST_RTCP_TYPE_RR;
  GST_WRITE_UINT16_BE (b + 2, 1);
  GST_WRITE_UINT32_BE (b + 4, ssrc);
  b[8] = 0x80;
  b[9] = GST_RTCP_TYPE_XR;
  GST_WRITE_UINT16_BE (b + 10, 4);
  GST_WRITE_UINT32_BE (b + 12, ssrc);
  b[16] = GST_RTCP_XR_TYPE_RRT;
  b[17] = 0;
  GST_WRITE_UINT16_BE (b + 18, 2);
  GST_WRITE_UINT32_BE (b + 20, ntp >> 32);
  GST_WRITE_UINT32_BE (b + 24, ntp & 0xffffffff);
  return buffer_from (b, sizeof words, sizeof words);
}

/* Our report as rtpsession makes it: an SR of OUR_SSRC in a buffer with
 * room for @maxsize bytes. */
static GstBuffer *
our_sr (gsize maxsize)
{
  GstBuffer *buf = gst_rtcp_buffer_new (maxsize);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SR, &packet));
  gst_rtcp_packet_sr_set_sender_info (&packet, OUR_SSRC, 0, 0, 0, 0);
  gst_rtcp_buffer_unmap (&rtcp);
  return buf;
}

typedef struct
{
  guint32 ssrc, lrr, dlrr;
} Dlrr;

/* The DLRR sub-blocks of the one XR packet in @buf (valid as a whole). */
static guint
read_dlrr (GstBuffer * buf, Dlrr * out, guint max)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint n = 0, xr = 0;

  g_assert_true (gst_rtcp_buffer_validate (buf));
  gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp);
  g_assert_true (gst_rtcp_buffer_get_first_packet (&rtcp, &packet));
  do {
    if (gst_rtcp_packet_get_type (&packet) != GST_RTCP_TYPE_XR)
      continue;
    xr++;
    g_assert_cmphex (gst_rtcp_packet_xr_get_ssrc (&packet), ==, OUR_SSRC);
    g_assert_true (gst_rtcp_packet_xr_first_rb (&packet));
    g_assert_cmpint (gst_rtcp_packet_xr_get_block_type (&packet), ==,
        GST_RTCP_XR_TYPE_DLRR);
    while (n < max && gst_rtcp_packet_xr_get_dlrr_block (&packet, n,
            &out[n].ssrc, &out[n].lrr, &out[n].dlrr))
      n++;
    g_assert_false (gst_rtcp_packet_xr_next_rb (&packet));
  } while (gst_rtcp_packet_move_to_next (&packet));
  gst_rtcp_buffer_unmap (&rtcp);
  g_assert_cmpuint (xr, ==, n ? 1 : 0);
  return n;
}

static void
test_answer (void)
{
  g_autoptr (RwReceiverRtt) rtt = rw_receiver_rtt_new ();
  g_autoptr (GstBuffer) in = viewer_rtcp (0x1, NTP (0xe24a, 0xaaf70000));
  g_autoptr (GstBuffer) out = our_sr (1400);
  gint64 t = 1000 * S;
  Dlrr d[4];

  g_assert_cmpuint (rw_receiver_rtt_note_rtcp (rtt, in, t), ==, 1);
  /* held 250 ms: 16384/65536 s */
  g_assert_cmpuint (rw_receiver_rtt_add_dlrr (rtt, out, t + S / 4), ==, 1);
  g_assert_cmpuint (read_dlrr (out, d, 4), ==, 1);
  g_assert_cmphex (d[0].ssrc, ==, 0x1);
  /* the middle 32 bits of the NTP time */
  g_assert_cmphex (d[0].lrr, ==, 0xe24aaaf7);
  g_assert_cmpuint (d[0].dlrr, ==, 16384);
}

static void
test_sources (void)
{
  g_autoptr (RwReceiverRtt) rtt = rw_receiver_rtt_new ();
  g_autoptr (GstBuffer) out = our_sr (1400);
  gint64 t = 1000 * S;
  Dlrr d[8];

  /* two viewer SSRCs (video and audio m-lines), the first one twice: its
   * latest time counts */
  for (guint i = 0; i < 3; i++) {
    g_autoptr (GstBuffer) in = viewer_rtcp (i == 1 ? 0x2 : 0x1,
        NTP (100 + i, 0));

    g_assert_cmpuint (rw_receiver_rtt_note_rtcp (rtt, in, t + i * S), ==, 1);
  }
  g_assert_cmpuint (rw_receiver_rtt_add_dlrr (rtt, out, t + 3 * S), ==, 2);
  g_assert_cmpuint (read_dlrr (out, d, 8), ==, 2);
  for (guint i = 0; i < 2; i++) {
    if (d[i].ssrc == 0x1) {
      g_assert_cmphex (d[i].lrr, ==, 102 << 16);
      g_assert_cmpuint (d[i].dlrr, ==, 65536);
    } else {
      g_assert_cmphex (d[i].ssrc, ==, 0x2);
      g_assert_cmphex (d[i].lrr, ==, 101 << 16);
      g_assert_cmpuint (d[i].dlrr, ==, 2 * 65536);
    }
  }

  /* many SSRCs: a bounded table, the newest kept */
  for (guint i = 0; i < 20; i++) {
    g_autoptr (GstBuffer) in = viewer_rtcp (0x100 + i, NTP (200 + i, 0));

    rw_receiver_rtt_note_rtcp (rtt, in, t + 4 * S + i);
  }
  {
    g_autoptr (GstBuffer) out2 = our_sr (1400);
    guint n = rw_receiver_rtt_add_dlrr (rtt, out2, t + 5 * S);

    g_assert_cmpuint (n, >=, 1);
    g_assert_cmpuint (n, <=, 8);
    g_assert_cmpuint (read_dlrr (out2, d, 8), ==, n);
    for (guint i = 0; i < n; i++)
      g_assert_cmphex (d[i].ssrc, >=, 0x100 + 20 - n);
  }
}

static void
test_stale_and_nothing (void)
{
  g_autoptr (RwReceiverRtt) rtt = rw_receiver_rtt_new ();
  g_autoptr (GstBuffer) in = viewer_rtcp (0x1, NTP (5, 0));
  g_autoptr (GstBuffer) out = our_sr (1400);
  gint64 t = 1000 * S;
  gsize size = gst_buffer_get_size (out);

  /* nothing heard: nothing added */
  g_assert_cmpuint (rw_receiver_rtt_add_dlrr (rtt, out, t), ==, 0);
  g_assert_cmpuint (gst_buffer_get_size (out), ==, size);

  /* heard 11 s ago: the viewer stopped, no answer */
  rw_receiver_rtt_note_rtcp (rtt, in, t);
  g_assert_cmpuint (rw_receiver_rtt_add_dlrr (rtt, out, t + 11 * S), ==, 0);
  g_assert_cmpuint (gst_buffer_get_size (out), ==, size);
  g_assert_cmpuint (rw_receiver_rtt_add_dlrr (rtt, out, t + 12 * S), ==, 0);
}

static void
test_not_a_report (void)
{
  g_autoptr (RwReceiverRtt) rtt = rw_receiver_rtt_new ();
  g_autoptr (GstBuffer) in = viewer_rtcp (0x1, NTP (5, 0));
  gint64 t = 1000 * S;
  /* an early reduced-size packet: a PLI alone */
  const guint8 pli[12] = { 0x81, GST_RTCP_TYPE_PSFB, 0, 2,
    0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1
  };
  g_autoptr (GstBuffer) early = buffer_from (pli, sizeof pli, 1400);
  g_autoptr (GstBuffer) bye = our_sr (1400);
  g_autoptr (GstBuffer) full = our_sr (40);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  rw_receiver_rtt_note_rtcp (rtt, in, t);
  g_assert_cmpuint (rw_receiver_rtt_add_dlrr (rtt, early, t), ==, 0);
  g_assert_cmpuint (gst_buffer_get_size (early), ==, sizeof pli);

  /* our goodbye */
  gst_rtcp_buffer_map (bye, GST_MAP_READWRITE, &rtcp);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_BYE,
          &packet));
  gst_rtcp_packet_bye_add_ssrc (&packet, OUR_SSRC);
  gst_rtcp_buffer_unmap (&rtcp);
  g_assert_cmpuint (rw_receiver_rtt_add_dlrr (rtt, bye, t), ==, 0);

  /* no room: the packet is left as it was, still valid */
  g_assert_cmpuint (rw_receiver_rtt_add_dlrr (rtt, full, t), ==, 0);
  g_assert_cmpuint (gst_buffer_get_size (full), ==, 28);
  g_assert_true (gst_rtcp_buffer_validate (full));
}

/* Whatever a viewer sends, noting it reads inside the packet. */
static void
test_malformed (void)
{
  g_autoptr (RwReceiverRtt) rtt = rw_receiver_rtt_new ();
  g_autoptr (GstBuffer) good = viewer_rtcp (0x1, NTP (5, 0));
  guint8 bytes[28];
  GRand *rand = g_rand_new_with_seed (42);

  gst_buffer_extract (good, 0, bytes, sizeof bytes);
  /* every truncation */
  for (gsize len = 0; len < sizeof bytes; len++) {
    g_autoptr (GstBuffer) cut = buffer_from (bytes, len, sizeof bytes);

    g_assert_cmpuint (rw_receiver_rtt_note_rtcp (rtt, cut, 1), ==, 0);
  }
  /* block lengths that claim more than there is, and random bytes */
  for (guint i = 0; i < 2000; i++) {
    guint8 copy[28];
    g_autoptr (GstBuffer) buf = NULL;

    memcpy (copy, bytes, sizeof copy);
    copy[g_rand_int_range (rand, 8, sizeof copy)] = g_rand_int (rand);
    if (i % 2)
      copy[g_rand_int_range (rand, 8, sizeof copy)] = g_rand_int (rand);
    buf = buffer_from (copy, sizeof copy, sizeof copy);
    g_assert_cmpuint (rw_receiver_rtt_note_rtcp (rtt, buf, 1), <=, 4);
  }
  g_rand_free (rand);
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/receiver-rtt/answer", test_answer);
  g_test_add_func ("/receiver-rtt/sources", test_sources);
  g_test_add_func ("/receiver-rtt/stale-and-nothing", test_stale_and_nothing);
  g_test_add_func ("/receiver-rtt/not-a-report", test_not_a_report);
  g_test_add_func ("/receiver-rtt/malformed", test_malformed);

  return g_test_run ();
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Rate control apart from GStreamer: a viewer's estimate from its RTCP
 * (rw-rate-estimate.c) and the stream's policy (rw-rate-control.c). */

#include <glib.h>

#include "rw-rate-control.h"
#include "rw-rate-estimate.h"
#include "rw-rate-scale.h"

#define S G_USEC_PER_SEC

/* What a viewer's receiver reports count: time, bytes sent to it, and
 * its cumulative counters. */
typedef struct
{
  gint64 now;
  guint64 bytes;
  guint32 seq;
  gint32 lost;
} Feed;

/* A receiver report @ms after the last while @rate bit/s are sent in
 * packets of 1200 bytes, @lost of them lost. */
static void
report_after (RwRateEstimate * estimate, Feed * feed, gint64 ms,
    guint64 rate, gdouble lost)
{
  guint packets = MAX (rate / 8 * ms / 1000 / 1000, 1);

  feed->now += ms * 1000;
  feed->bytes += rate / 8 * ms / 1000;
  feed->seq += packets;
  feed->lost += (gint32) (packets * lost + 0.5);
  rw_rate_estimate_report (estimate, feed->now, feed->seq, feed->lost,
      feed->bytes);
}

/* Receiver reports once a second. */
static void
report (RwRateEstimate * estimate, Feed * feed, guint64 rate, gdouble lost)
{
  report_after (estimate, feed, 1000, rate, lost);
}

static void
test_estimate_loss (void)
{
  RwRateEstimate estimate;
  Feed feed = {.now = 1,.seq = 65530 };
  const gchar *source = "x";

  rw_rate_estimate_init (&estimate);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, &source), ==, 0);
  g_assert_null (source);
  g_assert_cmpfloat (rw_rate_estimate_get_fraction_lost (&estimate), <, 0);

  /* clean reports: no limit */
  for (guint i = 0; i < 3; i++)
    report (&estimate, &feed, 2000000, 0);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==, 0);
  g_assert_cmpfloat (rw_rate_estimate_get_fraction_lost (&estimate), ==, 0);

  /* 80 % lost: GCC's step, (1 - 0.8 / 2) × 2 Mbit/s, and what got
   * through, kept apart */
  report (&estimate, &feed, 2000000, 0.8);
  g_assert_cmpfloat_with_epsilon (rw_rate_estimate_get_fraction_lost
      (&estimate), 0.8, 0.01);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, &source), ==,
      1200000);
  g_assert_cmpstr (source, ==, "loss");
  g_assert_cmpuint (rw_rate_estimate_get_delivered (&estimate), ==, 400000);

  /* at a fixed rate (a layer that does not follow) the steps, at most
   * every 2 s, end at what gets through */
  report (&estimate, &feed, 500000, 0.5);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      1200000);
  report (&estimate, &feed, 500000, 0.5);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      375000);
  report (&estimate, &feed, 500000, 0.5);
  report (&estimate, &feed, 500000, 0.5);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      281250);
  report (&estimate, &feed, 500000, 0.5);
  report (&estimate, &feed, 500000, 0.5);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      250000);
  g_assert_cmpuint (rw_rate_estimate_get_delivered (&estimate), ==, 250000);

  /* a little loss holds it, and so do clean reports for 3 s (what got
   * through is forgotten at the first clean one); then each raises it by
   * 8 %, at most to 1.5 × what is sent */
  report (&estimate, &feed, 200000, 0.05);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      250000);
  g_assert_cmpuint (rw_rate_estimate_get_delivered (&estimate), ==, 250000);
  report (&estimate, &feed, 200000, 0);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      250000);
  g_assert_cmpuint (rw_rate_estimate_get_delivered (&estimate), ==, 0);
  report (&estimate, &feed, 200000, 0);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      270000);
  for (guint i = 0; i < 3; i++)
    report (&estimate, &feed, 200000, 0);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      300000);
  /* never lowered by a clean report */
  report (&estimate, &feed, 100000, 0);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      300000);

  /* a report too soon after the last is summed into the next: half lost
   * over 100 ms and none over the 900 ms after is 5 %, no step */
  report_after (&estimate, &feed, 100, 2000000, 0.5);
  report_after (&estimate, &feed, 900, 2000000, 0);
  g_assert_cmpfloat_with_epsilon (rw_rate_estimate_get_fraction_lost
      (&estimate), 0.05, 0.01);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      300000);

  /* counters that go back start a new measure */
  feed.seq -= 1000;
  report (&estimate, &feed, 2000000, 0.9);
  g_assert_cmpfloat_with_epsilon (rw_rate_estimate_get_fraction_lost
      (&estimate), 0.05, 0.01);

  /* a switch of layer forgets the limit */
  rw_rate_estimate_reset (&estimate);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==, 0);
}

/* A browser sends a receiver report with every NACK: 2 % random loss as
 * reports of a few packets, one lost in each, is still 2 %, no step. */
static void
test_estimate_nack_reports (void)
{
  RwRateEstimate estimate;
  Feed feed = {.now = 1 };

  rw_rate_estimate_init (&estimate);
  report (&estimate, &feed, 1000000, 0);
  for (guint i = 0; i < 100; i++) {
    /* 1 of 5 lost, then 45 more arrive: 50 packets in 0.5 s */
    report_after (&estimate, &feed, 60, 1000000, 0.2);
    report_after (&estimate, &feed, 440, 1000000, 0);
    g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==, 0);
  }
  g_assert_cmpfloat (rw_rate_estimate_get_fraction_lost (&estimate), <, 0.05);
}

static void
test_estimate_remb (void)
{
  RwRateEstimate estimate;
  Feed feed = {.now = 1 };
  const gchar *source = NULL;

  rw_rate_estimate_init (&estimate);
  report (&estimate, &feed, 2000000, 0);
  report (&estimate, &feed, 2000000, 0);

  /* a REMB that only climbs, even below what is sent, is no limit */
  rw_rate_estimate_remb (&estimate, feed.now, 300000);
  rw_rate_estimate_remb (&estimate, feed.now, 400000);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==, 0);
  /* a falling one below 85 % of it is, for 3 s, once REMBs stayed below
   * for 1.5 s */
  rw_rate_estimate_remb (&estimate, feed.now, 350000);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==, 0);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now + S, NULL), ==,
      0);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now + 2 * S,
          &source), ==, 350000);
  g_assert_cmpstr (source, ==, "remb");
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now + 3 * S, NULL),
      ==, 0);
  /* a dip for a moment is none */
  rw_rate_estimate_remb (&estimate, feed.now, 2000000);
  feed.now += 2 * S;
  rw_rate_estimate_remb (&estimate, feed.now, 700000);
  rw_rate_estimate_remb (&estimate, feed.now + S, 1900000);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now + 2 * S, NULL),
      ==, 0);
  /* bogus values: 10 Gbit/s then 1 bit/s */
  feed.now += 2 * S;
  rw_rate_estimate_remb (&estimate, feed.now, G_GUINT64_CONSTANT (10000000000));
  rw_rate_estimate_remb (&estimate, feed.now, 1);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now + 2 * S, NULL),
      ==, 1);
  /* the lower of the two limits holds */
  report (&estimate, &feed, 2000000, 0.5);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now + S, &source),
      ==, 1);
  g_assert_cmpstr (source, ==, "remb");
}

/* A REMB limit that held stays while the browser's REMB does not climb,
 * though what is sent came down to it, and ends when it climbs 5 %. */
static void
test_estimate_remb_held (void)
{
  RwRateEstimate estimate;
  Feed feed = {.now = 1 };
  gint64 t0;
  const gchar *source = NULL;

  rw_rate_estimate_init (&estimate);
  report (&estimate, &feed, 2000000, 0);
  report (&estimate, &feed, 2000000, 0);
  t0 = feed.now;
  rw_rate_estimate_remb (&estimate, t0, 1900000);
  rw_rate_estimate_remb (&estimate, t0, 600000);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, t0 + S, NULL), ==, 0);
  rw_rate_estimate_remb (&estimate, t0 + 2 * S, 600000);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, t0 + 2 * S, &source),
      ==, 600000);
  g_assert_cmpstr (source, ==, "remb");
  /* what is sent comes down to it: the limit stays, 3 s past each REMB
   * that does not climb (a drift of 1-3 % is none) */
  feed.now = t0 + 2 * S;
  report (&estimate, &feed, 600000, 0);
  rw_rate_estimate_remb (&estimate, t0 + 3 * S, 610000);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, t0 + 3 * S, NULL), ==,
      600000);
  rw_rate_estimate_remb (&estimate, t0 + 4 * S, 620000);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, t0 + 6 * S, NULL), ==,
      600000);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, t0 + 7 * S, NULL), ==, 0);
  /* a REMB 5 % above it ends it */
  rw_rate_estimate_remb (&estimate, t0 + 5 * S, 640000);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, t0 + 5 * S, NULL), ==, 0);
}

/* After a loss, clean reports raise the limit no higher than the
 * browser's REMB, which climbs when the link has room. */
static void
test_estimate_remb_caps_probing (void)
{
  RwRateEstimate estimate;
  Feed feed = {.now = 1 };
  guint64 expected[] = { 600000, 600000, 600000, 648000, 699840, 700000,
    700000
  };

  rw_rate_estimate_init (&estimate);
  report (&estimate, &feed, 1000000, 0);
  rw_rate_estimate_remb (&estimate, feed.now, 700000);
  /* 80 % lost: GCC's step to 600 kbit/s, held 3 s, then 8 % a report, but
   * no higher than the REMB */
  report (&estimate, &feed, 1000000, 0.8);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++) {
    if (i > 0) {
      rw_rate_estimate_remb (&estimate, feed.now, 700000);
      report (&estimate, &feed, 600000, 0);
    }
    g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
        expected[i]);
  }
  /* the REMB climbs, and the limit with it */
  rw_rate_estimate_remb (&estimate, feed.now, 720000);
  report (&estimate, &feed, 600000, 0);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      720000);
  rw_rate_estimate_remb (&estimate, feed.now, 900000);
  report (&estimate, &feed, 600000, 0);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      777600);
  /* the REMBs stop (it got all of 800 kbit/s): one 3 s old caps nothing */
  report (&estimate, &feed, 800000, 0);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      864000);
  report (&estimate, &feed, 800000, 0);
  g_assert_cmpuint (rw_rate_estimate_get (&estimate, feed.now, NULL), ==,
      933120);
}

/* Updates twice a second for @seconds with the encoder given 30 frames a
 * second and putting out @encoded; returns the step. */
static guint
scale_run (RwRateScale * scale, gint64 * now, gdouble seconds, guint target,
    gdouble encoded)
{
  guint step = 0;

  for (guint i = 0; i < seconds * 2; i++) {
    *now += S / 2;
    step = rw_rate_scale_update (scale, *now, target, 2000000, encoded, 30);
  }
  return step;
}

static void
test_scale (void)
{
  RwRateScale scale = { 0 };
  gint64 now = 1;
  guint num, den;

  /* at the top the encoder never shrinks, whatever it drops (a busy
   * machine) */
  g_assert_cmpuint (scale_run (&scale, &now, 10, 2000000, 10), ==, 0);
  /* nor below the top while it keeps the frame rate */
  g_assert_cmpuint (scale_run (&scale, &now, 10, 600000, 29), ==, 0);
  /* dropping frames for 3 s below the top: 3/4 */
  g_assert_cmpuint (scale_run (&scale, &now, 3, 600000, 15), ==, 0);
  g_assert_cmpuint (scale_run (&scale, &now, 0.5, 600000, 15), ==, 1);
  rw_rate_scale_get_factor (1, &num, &den);
  g_assert_cmpuint (num, ==, 3);
  g_assert_cmpuint (den, ==, 4);
  /* still dropping: 1/2, not within 6 s of the last change */
  g_assert_cmpuint (scale_run (&scale, &now, 5.5, 400000, 15), ==, 1);
  g_assert_cmpuint (scale_run (&scale, &now, 0.5, 400000, 15), ==, 2);
  /* and no smaller */
  g_assert_cmpuint (scale_run (&scale, &now, 20, 200000, 5), ==, 2);
  /* a target not 1.6 times the one that shrank it keeps it */
  g_assert_cmpuint (scale_run (&scale, &now, 20, 600000, 30), ==, 2);
  /* one that is, for 5 s, grows it a step */
  g_assert_cmpuint (scale_run (&scale, &now, 5, 650000, 30), ==, 2);
  g_assert_cmpuint (scale_run (&scale, &now, 0.5, 650000, 30), ==, 1);
  /* the top brings it back after 6 s */
  g_assert_cmpuint (scale_run (&scale, &now, 5.5, 2000000, 30), ==, 1);
  g_assert_cmpuint (scale_run (&scale, &now, 0.5, 2000000, 30), ==, 0);
  /* no frame rate known: nothing */
  scale = (RwRateScale) {
  0};
  for (guint i = 0; i < 20; i++)
    g_assert_cmpuint (rw_rate_scale_update (&scale, now += S, 100000, 2000000,
            1, 0), ==, 0);
  /* a machine short of CPU: the encoder is given 12 frames a second and
   * puts all of them out, below the top: nothing (it is not dropping) */
  for (guint i = 0; i < 20; i++)
    g_assert_cmpuint (rw_rate_scale_update (&scale, now += S, 600000, 2000000,
            12, 12.5), ==, 0);
  /* given 12, putting out 8: its own drops, 3/4 */
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (rw_rate_scale_update (&scale, now += S, 600000, 2000000,
            8, 12), ==, 0);
  g_assert_cmpuint (rw_rate_scale_update (&scale, now += S, 600000, 2000000,
          8, 12), ==, 1);
}

static const RwRatePolicy policy = {
  .min_bitrate = 200000,.max_bitrate = 2000000,.low_layer = TRUE,
  .low_bitrate = 250000,
};

/* Updates twice a second for @seconds. */
static guint
run (RwRateControl * control, RwRatePeer ** peers, guint n, gint64 * now,
    gdouble seconds)
{
  guint target = 0;

  for (guint i = 0; i < seconds * 2; i++) {
    *now += S / 2;
    target = rw_rate_control_update (control, peers, n, *now);
  }
  return target;
}

static void
test_one_far_below (void)
{
  g_autoptr (RwRateControl) control = rw_rate_control_new (&policy);
  RwRatePeer a, b, c;
  RwRatePeer *peers[] = { &a, &b, &c };
  gint64 now = S;

  rw_rate_peer_init (&a, now);
  rw_rate_peer_init (&b, now);
  rw_rate_peer_init (&c, now);
  g_assert_cmpuint (run (control, peers, 3, &now, 2), ==, 2000000);

  /* 400 kbit/s got through to one viewer: the low layer once that held
   * for 1.5 s, the target stays */
  a.estimate = 1200000;
  a.delivered = 400000;
  a.fraction_lost = 0.8;
  g_assert_cmpuint (run (control, peers, 3, &now, 1), ==, 2000000);
  g_assert_cmpint (a.layer, ==, RW_LAYER_FULL);
  g_assert_cmpuint (run (control, peers, 3, &now, 1), ==, 2000000);
  g_assert_cmpint (a.layer, ==, RW_LAYER_LOW);
  g_assert_cmpint (b.layer, ==, RW_LAYER_FULL);
  g_assert_false (a.dropping);
  g_assert_cmpuint (run (control, peers, 3, &now, 5), ==, 2000000);

  /* it keeps losing: no trial */
  g_assert_cmpint (a.layer, ==, RW_LAYER_LOW);
  run (control, peers, 3, &now, 20);
  g_assert_cmpint (a.layer, ==, RW_LAYER_LOW);

  /* too weak even for the low layer: dropping */
  a.estimate = 100000;
  a.delivered = 100000;
  run (control, peers, 3, &now, 0.5);
  g_assert_true (a.dropping);

  /* clean again (its estimate says nothing more): a trial after 20 s */
  a.estimate = 0;
  a.delivered = 0;
  a.fraction_lost = 0;
  run (control, peers, 3, &now, 19);
  g_assert_cmpint (a.layer, ==, RW_LAYER_LOW);
  g_assert_false (a.dropping);
  run (control, peers, 3, &now, 1.5);
  g_assert_cmpint (a.layer, ==, RW_LAYER_FULL);

  /* the trial fails: back, and the next one waits 40 s */
  a.delivered = 300000;
  run (control, peers, 3, &now, 2);
  g_assert_cmpint (a.layer, ==, RW_LAYER_LOW);
  a.delivered = 0;
  run (control, peers, 3, &now, 38);
  g_assert_cmpint (a.layer, ==, RW_LAYER_LOW);
  run (control, peers, 3, &now, 3);
  g_assert_cmpint (a.layer, ==, RW_LAYER_FULL);

  /* an estimate near the target promotes at once */
  a.estimate = 300000;
  run (control, peers, 3, &now, 2);
  g_assert_cmpint (a.layer, ==, RW_LAYER_LOW);
  a.estimate = 1800000;
  a.fraction_lost = 0.05;
  run (control, peers, 3, &now, 0.5);
  g_assert_cmpint (a.layer, ==, RW_LAYER_FULL);
}

static void
test_all_below (void)
{
  g_autoptr (RwRateControl) control = rw_rate_control_new (&policy);
  RwRatePeer a, b, c;
  RwRatePeer *peers[] = { &a, &b, &c };
  gint64 now = S;
  guint target, last;

  rw_rate_peer_init (&a, now);
  rw_rate_peer_init (&b, now);
  rw_rate_peer_init (&c, now);
  /* one link for all: as much got through to each, none far below */
  a.estimate = b.estimate = c.estimate = 800000;
  a.delivered = b.delivered = c.delivered = 700000;

  /* the target comes down, at most to 60 % a second, to 90 % of their
   * estimate, no layer split */
  target = run (control, peers, 3, &now, 1);
  g_assert_cmpuint (target, ==, 1200000);
  target = run (control, peers, 3, &now, 2);
  g_assert_cmpuint (target, ==, 720000);
  g_assert_cmpint (a.layer, ==, RW_LAYER_FULL);
  g_assert_cmpint (c.layer, ==, RW_LAYER_FULL);
  g_assert_false (a.dropping);

  /* lifted: up by 10 % a second at most */
  a.estimate = b.estimate = c.estimate = 0;
  a.delivered = b.delivered = c.delivered = 0;
  last = target;
  for (guint i = 0; i < 4; i++) {
    target = run (control, peers, 3, &now, 1);
    g_assert_cmpuint (target, <=, last * 1.1 + 1);
    g_assert_cmpuint (target, >, last);
    last = target;
  }
  target = run (control, peers, 3, &now, 10);
  g_assert_cmpuint (target, ==, 2000000);

  /* never below the minimum */
  a.estimate = b.estimate = c.estimate = 1000;
  g_assert_cmpuint (run (control, peers, 3, &now, 10), ==, 200000);
}

static void
test_without_low_layer (void)
{
  RwRatePolicy no_low = policy;
  g_autoptr (RwRateControl) control = NULL;
  RwRatePeer a, b;
  RwRatePeer *peers[] = { &a, &b };
  gint64 now = S;

  no_low.low_layer = FALSE;
  control = rw_rate_control_new (&no_low);
  rw_rate_peer_init (&a, now);
  rw_rate_peer_init (&b, now);
  a.estimate = 100000;
  run (control, peers, 2, &now, 5);
  /* it has nowhere to go: the target follows the lower of the two, down
   * to the minimum, and it drops frames beyond that */
  g_assert_cmpint (a.layer, ==, RW_LAYER_FULL);
  g_assert_cmpuint (rw_rate_control_get_target (control), ==, 200000);
  g_assert_true (a.dropping);
  g_assert_false (b.dropping);

  /* a single viewer always drives the target alone */
  a.estimate = 500000;
  run (control, peers, 1, &now, 10);
  g_assert_cmpuint (rw_rate_control_get_target (control), ==, 450000);
  g_assert_false (a.dropping);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rate/estimate/loss", test_estimate_loss);
  g_test_add_func ("/rate/estimate/nack-reports", test_estimate_nack_reports);
  g_test_add_func ("/rate/estimate/remb", test_estimate_remb);
  g_test_add_func ("/rate/estimate/remb-held", test_estimate_remb_held);
  g_test_add_func ("/rate/estimate/remb-caps-probing",
      test_estimate_remb_caps_probing);
  g_test_add_func ("/rate/scale", test_scale);
  g_test_add_func ("/rate/control/one-far-below", test_one_far_below);
  g_test_add_func ("/rate/control/all-below", test_all_below);
  g_test_add_func ("/rate/control/without-low-layer", test_without_low_layer);
  return g_test_run ();
}

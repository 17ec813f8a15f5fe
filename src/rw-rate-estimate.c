/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-rate-estimate
 * @title: RwRateEstimate
 * @short_description: what one viewer's network carries, from its RTCP
 *
 * Every viewer sends receiver reports; browsers also send REMB when the
 * answer offers it. The estimate is the lower of two limits:
 *
 * - from the receiver reports (loss-based, as in GCC's sender side): a
 *   report losing a fraction p > 10 % of what was sent since the one
 *   before lowers the limit to (the lower of itself and the rate sent)
 *   × (1 − p/2), GCC's step, or to what got through, the rate sent ×
 *   (1 − p), whichever is more: a shared encoder that follows steps down
 *   without overshooting, and a fixed-rate layer still finds the link's
 *   rate. It steps at most every 2 s: the report after a step mostly
 *   counts packets queued before the encoder followed it. From 3 s after
 *   that, each report losing less than 2 % raises the limit by 8 % (by
 *   3 % within 10 % of the rate that lost packets last), never beyond
 *   1.5 × the rate sent (growth needs evidence), and at once to the rate
 *   sent if it was lower (the viewer got all of it); in between it holds. A viewer that never lost that much has
 *   no limit. Nor does a clean report raise it above the viewer's last
 *   REMB (under 3 s old): the browser sees no room above, and probing past
 *   it only overflows the link's queue; the REMB climbs when there is;
 * - from REMB (the browser's delay-based estimate): only a REMB that fell
 *   and is below 85 % of what we send counts, for 3 s, once REMBs stayed
 *   that low for 1.5 s (one that dips for a moment is no congestion: a
 *   browser's estimate does when retransmissions arrive late). Such a
 *   limit then stays (3 s past each REMB) until a REMB climbs 5 % above
 *   it, though what we send has come down to it. A browser's REMB is
 *   bounded by 1.5 × what it receives, so after a switch to a bigger
 *   layer it climbs for seconds while the link is fine: a REMB that only
 *   climbs is no congestion. A falling one is the browser seeing queues
 *   grow before any loss.
 *
 * No limit at all (0) means the viewer carried all it got so far.
 *
 * What got through the last lossy interval is kept apart too
 * (rw_rate_estimate_get_delivered()), until a clean report: it tells a
 * viewer whose own link is far below the others' from a link they share.
 */

#include "rw-rate-estimate.h"

#define HIGH_LOSS 0.10
#define LOW_LOSS 0.02
#define INCREASE 1.08
#define MAX_OVER_SENT 1.5
/* after a loss, clean reports raise the limit only after this long */
#define HOLD_US (3 * G_USEC_PER_SEC)
/* within 10 % of the rate that lost packets last, the limit rises by 3 %
 * a report instead of 8 % */
#define NEAR 0.9
#define CREEP 1.03
/* steps down at most this often */
#define DECREASE_INTERVAL_US (2 * G_USEC_PER_SEC)
#define REMB_BELOW_SENT 0.85
#define REMB_HOLD_US (3 * G_USEC_PER_SEC)
/* and only once REMBs stayed below that long: a browser's estimate dips
 * for a moment when retransmissions arrive late */
#define REMB_BELOW_US (1500 * 1000)
/* a limit from REMB ends when a REMB climbs this far above it */
#define REMB_CLIMB 1.05
/* an older REMB says nothing of the link now */
#define REMB_FRESH_US (3 * G_USEC_PER_SEC)
/* Loss is measured between reports at least this far apart and covering
 * this many packets: a browser sends a receiver report with every NACK,
 * and the fraction lost of such a report covers a few packets (one lost
 * in five is 20 %). Closer reports are summed into the next one. */
#define MIN_REPORT_INTERVAL_US (750 * 1000)
#define MIN_REPORT_PACKETS 10

void
rw_rate_estimate_init (RwRateEstimate * self)
{
  *self = (RwRateEstimate) {
  .fraction_lost = -1};
}

/**
 * rw_rate_estimate_reset:
 * @self: an estimate
 *
 * Forgets the limits (the viewer moved to another layer: what it lost
 * before says little now). The next report only starts a new measure: it
 * still counts packets of the layer before.
 */
void
rw_rate_estimate_reset (RwRateEstimate * self)
{
  self->report_at = 0;
  self->loss_based = 0;
  self->hold_until = 0;
  self->decreased_at = 0;
  self->lossy_rate = 0;
  self->delivered = 0;
  self->remb_limit = 0;
  self->remb_limit_until = 0;
  self->remb_below_since = 0;
  self->remb_held = FALSE;
}

/**
 * rw_rate_estimate_report:
 * @self: an estimate
 * @now: monotonic time, µs
 * @highest_seq: the report's extended highest sequence number received
 * @packets_lost: the report's cumulative number of packets lost
 * @bytes_sent: all bytes sent to the viewer so far
 *
 * Takes a receiver report for the viewer's video. The fraction lost is
 * that of the packets expected since the last report counted, from the
 * two cumulative counters, not the report's own fraction lost: see
 * MIN_REPORT_INTERVAL_US.
 */
void
rw_rate_estimate_report (RwRateEstimate * self, gint64 now,
    guint32 highest_seq, gint32 packets_lost, guint64 bytes_sent)
{
  gint64 interval = now - self->report_at;
  guint32 expected = highest_seq - self->report_seq;
  gint64 lost = (gint64) packets_lost - self->report_lost;
  guint64 sent;

  /* the first report, or counters that went back (a new source, a
   * reordered report): a new measure starts */
  if (self->report_at == 0 || bytes_sent < self->report_bytes ||
      expected > G_MAXINT32) {
    self->report_at = now;
    self->report_bytes = bytes_sent;
    self->report_seq = highest_seq;
    self->report_lost = packets_lost;
    return;
  }
  if (interval < MIN_REPORT_INTERVAL_US || expected < MIN_REPORT_PACKETS)
    return;
  sent = (bytes_sent - self->report_bytes) * 8 * G_USEC_PER_SEC / interval;
  self->report_at = now;
  self->report_bytes = bytes_sent;
  self->report_seq = highest_seq;
  self->report_lost = packets_lost;
  /* duplicates count as negative loss */
  self->fraction_lost = CLAMP ((gdouble) lost / expected, 0.0, 1.0);
  self->sent_rate = sent;

  if (self->fraction_lost > HIGH_LOSS) {
    guint64 base = self->loss_based ? MIN (self->loss_based, sent) : sent;

    self->delivered = MAX ((guint64) (sent * (1.0 - self->fraction_lost) +
            0.5), 1);
    /* the loss of the interval after a step down is mostly that of
     * packets queued before it took effect */
    if (now - self->decreased_at >= DECREASE_INTERVAL_US) {
      self->loss_based = MAX (self->delivered,
          (guint64) (base * (1.0 - self->fraction_lost / 2) + 0.5));
      self->decreased_at = now;
      self->lossy_rate = sent;
    }
    self->hold_until = now + HOLD_US;
  } else if (self->fraction_lost < LOW_LOSS) {
    self->delivered = 0;
    /* it got what was sent: it carries that at least */
    if (self->loss_based && self->loss_based < sent)
      self->loss_based = sent;
  }
  if (self->fraction_lost < LOW_LOSS && self->loss_based &&
      now >= self->hold_until) {
    /* near the rate that lost packets last, it creeps */
    gdouble step = self->loss_based >= self->lossy_rate * NEAR &&
        self->loss_based <= self->lossy_rate * (2 - NEAR) ? CREEP : INCREASE;
    guint64 raised = (guint64) (self->loss_based * step + 0.5);
    guint64 cap = sent * MAX_OVER_SENT;

    /* the browser sees no room above its own estimate: probing past it
     * only overflows the link's queue */
    if (self->remb && now - self->remb_at < REMB_FRESH_US)
      cap = MIN (cap, self->remb);

    /* never lowered by a clean report */
    self->loss_based = MAX (self->loss_based, MIN (raised, cap));
  }
}

/**
 * rw_rate_estimate_remb:
 * @self: an estimate
 * @now: monotonic time, µs
 * @bitrate: the REMB's estimate, bits/s
 *
 * Takes a REMB from the viewer.
 */
void
rw_rate_estimate_remb (RwRateEstimate * self, gint64 now, guint64 bitrate)
{
  gboolean below = self->sent_rate &&
      bitrate < self->sent_rate * REMB_BELOW_SENT;

  if (!below)
    self->remb_below_since = 0;
  else if (self->remb_below_since == 0)
    self->remb_below_since = now;
  if (below && self->remb && bitrate < self->remb) {
    self->remb_limit = MAX (bitrate, 1);
    self->remb_limit_until = now + REMB_HOLD_US;
  }
  if (self->remb_limit && now < self->remb_limit_until &&
      self->remb_below_since && now - self->remb_below_since >= REMB_BELOW_US)
    self->remb_held = TRUE;
  /* A limit that held stays while the browser's estimate does not climb,
   * though we then send no more than it: its estimate is of the link. One
   * that climbs (the link has room again) ends it. */
  if (self->remb_held && self->remb_limit) {
    if (bitrate > self->remb_limit * REMB_CLIMB) {
      self->remb_limit = 0;
      self->remb_held = FALSE;
    } else {
      self->remb_limit = MAX (MIN (self->remb_limit, bitrate), 1);
      self->remb_limit_until = now + REMB_HOLD_US;
    }
  }
  self->remb = bitrate;
  self->remb_at = now;
}

/**
 * rw_rate_estimate_get:
 * @self: an estimate
 * @now: monotonic time, µs
 * @source: (out) (optional): "loss" or "remb", the limit that holds; %NULL
 *     without one
 *
 * Returns: the viewer's estimate, bits/s, or 0 when nothing limits it.
 */
guint64
rw_rate_estimate_get (const RwRateEstimate * self, gint64 now,
    const gchar ** source)
{
  guint64 estimate = self->loss_based;
  const gchar *from = estimate ? "loss" : NULL;

  if (self->remb_limit && now < self->remb_limit_until &&
      (self->remb_held || (self->remb_below_since &&
              now - self->remb_below_since >= REMB_BELOW_US)) &&
      (estimate == 0 || self->remb_limit < estimate)) {
    estimate = self->remb_limit;
    from = "remb";
  }
  if (source)
    *source = from;
  return estimate;
}

/**
 * rw_rate_estimate_get_fraction_lost:
 * @self: an estimate
 *
 * Returns: the last report's fraction lost, or a negative value before one.
 */
gdouble
rw_rate_estimate_get_fraction_lost (const RwRateEstimate * self)
{
  return self->fraction_lost;
}

/**
 * rw_rate_estimate_get_delivered:
 * @self: an estimate
 *
 * Returns: what got through to the viewer, bits/s, in the last interval
 *     that lost more than 10 %, until a report loses less than 2 %; 0
 *     otherwise.
 */
guint64
rw_rate_estimate_get_delivered (const RwRateEstimate * self)
{
  return self->delivered;
}

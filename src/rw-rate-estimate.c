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
 *   report losing more than 10 % of what was sent since the one before
 *   sets the limit to what got through, the sent rate × (1 − loss); a
 *   report losing less than 2 % raises the limit by 8 %, never beyond
 *   1.5 × the rate sent (growth needs evidence); in between it holds;
 * - from REMB (the browser's delay-based estimate): only a REMB that fell
 *   and is below 85 % of what we send counts, for 3 s. A browser's REMB is
 *   bounded by 1.5 × what it receives, so after a switch to a bigger
 *   layer it climbs for seconds while the link is fine: a REMB that only
 *   climbs is no congestion. A falling one is the browser seeing queues
 *   grow before any loss.
 *
 * No limit at all (0) means the viewer carries what it gets: loss-free so
 * far, or never measured.
 */

#include "rw-rate-estimate.h"

#define HIGH_LOSS 0.10
#define LOW_LOSS 0.02
#define INCREASE 1.08
#define MAX_OVER_SENT 1.5
#define REMB_BELOW_SENT 0.85
#define REMB_HOLD_US (3 * G_USEC_PER_SEC)
/* reports closer than this are summed into the next one */
#define MIN_REPORT_INTERVAL_US (200 * 1000)

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
  self->remb_limit = 0;
  self->remb_limit_until = 0;
}

/**
 * rw_rate_estimate_report:
 * @self: an estimate
 * @now: monotonic time, µs
 * @fraction_lost: the report's fraction lost, 0 to 1
 * @bytes_sent: all bytes sent to the viewer so far
 *
 * Takes a receiver report for the viewer's video.
 */
void
rw_rate_estimate_report (RwRateEstimate * self, gint64 now,
    gdouble fraction_lost, guint64 bytes_sent)
{
  gint64 interval = now - self->report_at;
  guint64 sent;

  if (self->report_at == 0 || bytes_sent < self->report_bytes) {
    self->report_at = now;
    self->report_bytes = bytes_sent;
    self->fraction_lost = fraction_lost;
    return;
  }
  if (interval < MIN_REPORT_INTERVAL_US)
    return;
  sent = (bytes_sent - self->report_bytes) * 8 * G_USEC_PER_SEC / interval;
  self->report_at = now;
  self->report_bytes = bytes_sent;
  self->fraction_lost = CLAMP (fraction_lost, 0.0, 1.0);
  self->sent_rate = sent;

  if (self->fraction_lost > HIGH_LOSS) {
    self->loss_based = MAX ((guint64) (sent * (1.0 - self->fraction_lost) +
            0.5), 1);
  } else if (self->fraction_lost < LOW_LOSS && self->loss_based) {
    guint64 raised = (guint64) (self->loss_based * INCREASE + 0.5);
    guint64 cap = sent * MAX_OVER_SENT;

    /* never lowered by a clean report; beyond the cap it is no limit */
    if (raised > cap)
      self->loss_based = 0;
    else
      self->loss_based = raised;
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
  if (self->remb && bitrate < self->remb && self->sent_rate &&
      bitrate < self->sent_rate * REMB_BELOW_SENT) {
    self->remb_limit = MAX (bitrate, 1);
    self->remb_limit_until = now + REMB_HOLD_US;
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

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * RwRateEstimate:
 *
 * One viewer's bandwidth estimate, from its RTCP: see rw-rate-estimate.c.
 * A plain struct: the viewer keeps it under its own lock.
 */
typedef struct
{
  /*< private > */
  guint64 loss_based;           /* bits/s; 0: no limit seen */
  gint64 hold_until;            /* no rise before, after a loss */
  gint64 decreased_at;          /* monotonic µs of the last step down */
  guint64 lossy_rate;           /* the rate sent then, bits/s */
  guint64 delivered;            /* what got through a lossy interval */
  gint64 report_at;             /* monotonic µs of the last report; 0: none */
  guint64 report_bytes;         /* bytes sent at that report */
  guint32 report_seq;           /* its extended highest sequence number */
  gint32 report_lost;           /* its cumulative packets lost */
  gdouble fraction_lost;        /* since the report before; < 0: none */
  guint64 sent_rate;            /* bits/s between the last two reports */
  guint64 remb;                 /* the last REMB, bits/s; 0: none */
  gint64 remb_at;
  guint64 remb_limit;           /* a REMB that fell below what we sent */
  gint64 remb_limit_until;
  gint64 remb_below_since;      /* REMBs below what we send since; 0: not */
  gboolean remb_held;           /* remb_limit held long enough to stay */
} RwRateEstimate;

void rw_rate_estimate_init (RwRateEstimate * self);
void rw_rate_estimate_reset (RwRateEstimate * self);
void rw_rate_estimate_report (RwRateEstimate * self, gint64 now,
    guint32 highest_seq, gint32 packets_lost, guint64 bytes_sent);
void rw_rate_estimate_remb (RwRateEstimate * self, gint64 now,
    guint64 bitrate);
guint64 rw_rate_estimate_get (const RwRateEstimate * self, gint64 now,
    const gchar ** source);
gdouble rw_rate_estimate_get_fraction_lost (const RwRateEstimate * self);
guint64 rw_rate_estimate_get_delivered (const RwRateEstimate * self);

G_END_DECLS

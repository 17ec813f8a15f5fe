/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-counters
 * @title: RwCounters
 * @short_description: what a stream served since it started
 *
 * A stream's running totals, for `GET /status` (`totals`) and, from there,
 * `GET /metrics`: sessions opened, and closed by a bounded set of reasons;
 * RTP bytes and video frames sent; the viewers' PLI, FIR and NACK; keyframe
 * requests from viewers and keyframes asked of the encoder; viewers that
 * started from the cached frames; and two timings as histograms with fixed
 * buckets (a viewer's offer to the first keyframe sent to it once
 * connected, a frame's capture to its first packet sent). Safe from any
 * thread: the streaming threads count, the context reads.
 */

#include "rw-counters.h"

#include <string.h>

/* seconds; the last bucket is +Inf */
static const gdouble first_frame_bounds[] = {
  0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5
};

static const gdouble capture_bounds[] = {
  0.005, 0.01, 0.015, 0.02, 0.025, 0.035, 0.05, 0.1, 0.25
};

#define MAX_BUCKETS 10

static const struct
{
  const gchar *name;
  const gdouble *bounds;
  guint n;
} timings[RW_N_TIMINGS] = {
  {"first_frame_seconds", first_frame_bounds,
      G_N_ELEMENTS (first_frame_bounds)},
  {"capture_to_send_seconds", capture_bounds, G_N_ELEMENTS (capture_bounds)},
};

/* Why sessions end, as a bounded set, and the start of each reason the
 * code gives (rw_counters_close_category()). */
static const gchar *const close_categories[] = {
  "hangup", "booking_over", "revoked", "connection_failed",
  "closed_by_viewer", "handshake_timeout", "silent", "stream_stopped",
  "stream_removed", "error", "other"
};

#define N_CLOSE G_N_ELEMENTS (close_categories)
#define CLOSE_OTHER (N_CLOSE - 1)

static const struct
{
  const gchar *prefix;
  guint category;
} close_reasons[] = {
  {"hung up", 0},
  {"the token expired", 1},
  {"the token was revoked", 2},
  {"the connection failed", 3},
  {"the connection closed", 4},
  {"it did not connect within", 5},
  {"no RTCP from it", 6},
  {"the stream stopped", 7},
  {"its stream was removed", 8},
  {"negotiation failed", 9},
  {"error:", 9},
};

typedef struct
{
  guint64 counts[MAX_BUCKETS + 1];      /* per bucket, not cumulative */
  guint64 total;
  gdouble sum;
} Histogram;

struct _RwCounters
{
  GMutex lock;                  /* protects everything below */
  guint64 counters[RW_N_COUNTERS];
  guint64 closed[N_CLOSE];
  Histogram histograms[RW_N_TIMINGS];
};

/**
 * rw_counters_new:
 *
 * Returns: (transfer full): zeroed counters, shared by reference (the
 * sink's viewers hold them too).
 */
RwCounters *
rw_counters_new (void)
{
  RwCounters *self = g_atomic_rc_box_new0 (RwCounters);

  g_mutex_init (&self->lock);
  return self;
}

RwCounters *
rw_counters_ref (RwCounters * self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
counters_clear (gpointer data)
{
  RwCounters *self = data;

  g_mutex_clear (&self->lock);
}

void
rw_counters_unref (RwCounters * self)
{
  if (self)
    g_atomic_rc_box_release_full (self, counters_clear);
}

/**
 * rw_counters_add:
 * @self: the counters
 * @counter: which
 * @n: how much
 */
void
rw_counters_add (RwCounters * self, RwCounter counter, guint64 n)
{
  g_mutex_lock (&self->lock);
  self->counters[counter] += n;
  g_mutex_unlock (&self->lock);
}

/**
 * rw_counters_get:
 * @self: the counters
 * @counter: which
 *
 * Returns: its value.
 */
guint64
rw_counters_get (RwCounters * self, RwCounter counter)
{
  guint64 value;

  g_mutex_lock (&self->lock);
  value = self->counters[counter];
  g_mutex_unlock (&self->lock);
  return value;
}

static guint
close_index (const gchar * reason)
{
  for (guint i = 0; reason && i < G_N_ELEMENTS (close_reasons); i++) {
    if (g_str_has_prefix (reason, close_reasons[i].prefix))
      return close_reasons[i].category;
  }
  return CLOSE_OTHER;
}

/**
 * rw_counters_close_category:
 * @reason: (nullable): why a session ended, as the log says it
 *
 * Returns: a label for it from a bounded set (`hangup`, `silent`, …,
 * `other`).
 */
const gchar *
rw_counters_close_category (const gchar * reason)
{
  return close_categories[close_index (reason)];
}

/**
 * rw_counters_session_closed:
 * @self: the counters
 * @reason: why an answered session ended
 */
void
rw_counters_session_closed (RwCounters * self, const gchar * reason)
{
  g_mutex_lock (&self->lock);
  self->closed[close_index (reason)]++;
  g_mutex_unlock (&self->lock);
}

/**
 * rw_counters_observe:
 * @self: the counters
 * @timing: which histogram
 * @seconds: one measurement
 */
void
rw_counters_observe (RwCounters * self, RwTiming timing, gdouble seconds)
{
  Histogram *h = &self->histograms[timing];
  guint bucket = 0;

  while (bucket < timings[timing].n && seconds > timings[timing].bounds[bucket])
    bucket++;
  g_mutex_lock (&self->lock);
  h->counts[bucket]++;
  h->total++;
  h->sum += seconds;
  g_mutex_unlock (&self->lock);
}

/* {"le": [0.05, …], "counts": [cumulative…, total], "sum": s, "count": n}:
 * counts has one more member than le, the +Inf bucket. */
static void
add_histogram (RwCounters * self, JsonBuilder * builder, RwTiming timing)
{
  const Histogram *h = &self->histograms[timing];
  guint64 cumulative = 0;

  json_builder_set_member_name (builder, timings[timing].name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "le");
  json_builder_begin_array (builder);
  for (guint i = 0; i < timings[timing].n; i++)
    json_builder_add_double_value (builder, timings[timing].bounds[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "counts");
  json_builder_begin_array (builder);
  for (guint i = 0; i <= timings[timing].n; i++) {
    cumulative += h->counts[i];
    json_builder_add_int_value (builder, cumulative);
  }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "sum");
  json_builder_add_double_value (builder, h->sum);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, h->total);
  json_builder_end_object (builder);
}

/**
 * rw_counters_add_status:
 * @self: the counters
 * @builder: a builder inside the stream's status object
 * @bytes_now: the RTP bytes sent to the viewers still there
 *
 * Adds `totals`: `sessions_opened`, `sessions_closed` (by reason),
 * `bytes_sent`, `frames_sent`, `pli_received`, `fir_received`,
 * `nack_received`, `keyframe_requests`, `keyframes_forced`,
 * `joins_from_cache`, and the
 * `first_frame_seconds` and `capture_to_send_seconds` histograms.
 */
void
rw_counters_add_status (RwCounters * self, JsonBuilder * builder,
    guint64 bytes_now)
{
  g_mutex_lock (&self->lock);
  json_builder_set_member_name (builder, "totals");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sessions_opened");
  json_builder_add_int_value (builder,
      self->counters[RW_COUNTER_SESSIONS_OPENED]);
  json_builder_set_member_name (builder, "sessions_closed");
  json_builder_begin_object (builder);
  for (guint i = 0; i < N_CLOSE; i++) {
    if (self->closed[i] == 0)
      continue;
    json_builder_set_member_name (builder, close_categories[i]);
    json_builder_add_int_value (builder, self->closed[i]);
  }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "bytes_sent");
  json_builder_add_int_value (builder, self->counters[RW_COUNTER_BYTES_LEFT] +
      bytes_now);
  json_builder_set_member_name (builder, "frames_sent");
  json_builder_add_int_value (builder, self->counters[RW_COUNTER_FRAMES_SENT]);
  json_builder_set_member_name (builder, "pli_received");
  json_builder_add_int_value (builder, self->counters[RW_COUNTER_PLI]);
  json_builder_set_member_name (builder, "fir_received");
  json_builder_add_int_value (builder, self->counters[RW_COUNTER_FIR]);
  json_builder_set_member_name (builder, "nack_received");
  json_builder_add_int_value (builder, self->counters[RW_COUNTER_NACK]);
  json_builder_set_member_name (builder, "keyframe_requests");
  json_builder_add_int_value (builder,
      self->counters[RW_COUNTER_KEYFRAME_REQUESTS]);
  json_builder_set_member_name (builder, "keyframes_forced");
  json_builder_add_int_value (builder,
      self->counters[RW_COUNTER_KEYFRAMES_FORCED]);
  json_builder_set_member_name (builder, "joins_from_cache");
  json_builder_add_int_value (builder,
      self->counters[RW_COUNTER_JOINS_FROM_CACHE]);
  for (guint t = 0; t < RW_N_TIMINGS; t++)
    add_histogram (self, builder, t);
  json_builder_end_object (builder);
  g_mutex_unlock (&self->lock);
}

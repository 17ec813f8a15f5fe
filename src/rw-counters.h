/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * RwCounter:
 * @RW_COUNTER_SESSIONS_OPENED: sessions answered
 * @RW_COUNTER_KEYFRAME_REQUESTS: keyframe requests from the viewers'
 *   branches (their PLI and FIR, and joins)
 * @RW_COUNTER_KEYFRAMES_FORCED: keyframes asked of the encoder, once the
 *   requests are merged and rate-limited
 * @RW_COUNTER_BYTES_LEFT: RTP bytes sent to viewers that left
 * @RW_COUNTER_FRAMES_SENT: video frames sent, counted once per viewer
 * @RW_COUNTER_PLI: RTCP picture loss indications from viewers
 * @RW_COUNTER_FIR: RTCP full intra requests from viewers
 * @RW_COUNTER_NACK: RTCP generic NACK packets from viewers
 * @RW_COUNTER_JOINS_FROM_CACHE: viewers that started with the frames
 *   cached since the last keyframe, without a keyframe forced
 */
typedef enum
{
  RW_COUNTER_SESSIONS_OPENED,
  RW_COUNTER_KEYFRAME_REQUESTS,
  RW_COUNTER_KEYFRAMES_FORCED,
  RW_COUNTER_BYTES_LEFT,
  RW_COUNTER_FRAMES_SENT,
  RW_COUNTER_PLI,
  RW_COUNTER_FIR,
  RW_COUNTER_NACK,
  RW_COUNTER_JOINS_FROM_CACHE,
  RW_N_COUNTERS
} RwCounter;

/**
 * RwTiming:
 * @RW_TIMING_FIRST_FRAME: a viewer's offer to the first keyframe sent to
 *   it once connected
 * @RW_TIMING_CAPTURE_TO_SEND: a frame's capture time to its first packet
 *   handed to a viewer's connection
 */
typedef enum
{
  RW_TIMING_FIRST_FRAME,
  RW_TIMING_CAPTURE_TO_SEND,
  RW_N_TIMINGS
} RwTiming;

typedef struct _RwCounters RwCounters;

RwCounters *rw_counters_new (void);
RwCounters *rw_counters_ref (RwCounters * self);
void rw_counters_unref (RwCounters * self);
void rw_counters_add (RwCounters * self, RwCounter counter, guint64 n);
guint64 rw_counters_get (RwCounters * self, RwCounter counter);
void rw_counters_session_closed (RwCounters * self, const gchar * reason);
void rw_counters_observe (RwCounters * self, RwTiming timing,
    gdouble seconds);
void rw_counters_add_status (RwCounters * self, JsonBuilder * builder,
    guint64 bytes_now);
const gchar *rw_counters_close_category (const gchar * reason);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwCounters, rw_counters_unref);

G_END_DECLS

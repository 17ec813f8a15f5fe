/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <json-glib/json-glib.h>

#include "rw-config.h"
#include "rw-rate-control.h"
#include "rw-counters.h"
#include "rw-gop-cache.h"
#include "rw-sdp.h"
#include "rw-turn.h"

G_BEGIN_DECLS

/**
 * RwViewerState:
 * @RW_VIEWER_NEGOTIATING: the offer is being answered
 * @RW_VIEWER_CONNECTING: answered; ICE and DTLS are not up yet
 * @RW_VIEWER_CONNECTED: media flows
 * @RW_VIEWER_CLOSING: being removed
 */
typedef enum
{
  RW_VIEWER_NEGOTIATING,
  RW_VIEWER_CONNECTING,
  RW_VIEWER_CONNECTED,
  RW_VIEWER_CLOSING,
} RwViewerState;

/* How long a connected viewer may stay silent. */
#define RW_VIEWER_RTCP_TIMEOUT_S 5

#define RW_TYPE_VIEWER (rw_viewer_get_type ())
G_DECLARE_FINAL_TYPE (RwViewer, rw_viewer, RW, VIEWER, GObject);

RwViewer *rw_viewer_new (const gchar * id, const RwConfig * config,
    RwTurn * turn, RwCodec codec, const RwOfferMatch * match,
    GError ** error);
RwViewer *rw_viewer_new_offerer (const gchar * id, const RwConfig * config,
    RwTurn * turn, RwCodec codec, gboolean audio, GError ** error);
void rw_viewer_set_counters (RwViewer * self, RwCounters * counters);
void rw_viewer_set_gop_cache (RwViewer * self, RwGopCache * cache);
gboolean rw_viewer_start_video (RwViewer * self);

gboolean rw_viewer_join (RwViewer * self, GstBin * bin, GstElement * video_tee,
    GstElement * audio_tee, GError ** error);
void rw_viewer_leave (RwViewer * self);
void rw_viewer_leave_now (RwViewer * self);
gboolean rw_viewer_has_left (RwViewer * self);

const gchar *rw_viewer_get_id (RwViewer * self);
GstElement *rw_viewer_get_bin (RwViewer * self);
RwViewerState rw_viewer_get_state (RwViewer * self);
const gchar *rw_viewer_state_to_string (RwViewerState state);
gint64 rw_viewer_get_created (RwViewer * self);
gint64 rw_viewer_get_connected_since (RwViewer * self);
gboolean rw_viewer_has_audio (RwViewer * self);
gboolean rw_viewer_has_video (RwViewer * self);
guint64 rw_viewer_get_bytes_sent (RwViewer * self);
gboolean rw_viewer_get_rtp_clock (RwViewer * self, guint * ssrc,
    guint * clock_rate, guint * timestamp, GstClockTime * running_time);

void rw_viewer_negotiate_async (RwViewer * self, GstSDPMessage * offer,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data);
gchar *rw_viewer_negotiate_finish (RwViewer * self, GAsyncResult * result,
    GError ** error);

void rw_viewer_offer_async (RwViewer * self, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);
gchar *rw_viewer_offer_finish (RwViewer * self, GAsyncResult * result,
    GError ** error);
void rw_viewer_accept_answer_async (RwViewer * self, GstSDPMessage * answer,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data);
gboolean rw_viewer_accept_answer_finish (RwViewer * self,
    GAsyncResult * result, GError ** error);
void rw_viewer_add_status (RwViewer * self, JsonBuilder * builder);

/**
 * RwViewerRate:
 * @estimate: what the viewer's network carries, bits/s; 0: no limit known
 * @source: "loss" or "remb": where @estimate comes from; %NULL without one
 * @fraction_lost: of its last receiver report; < 0 before one
 * @delivered: what got through its last lossy interval, bits/s (0: none)
 * @bitrate: the video sent to it lately, bits/s
 */
typedef struct
{
  guint64 estimate;
  const gchar *source;
  gdouble fraction_lost;
  guint64 delivered;
  guint64 bitrate;
} RwViewerRate;

gboolean rw_viewer_link_low (RwViewer * self, GstElement * tee);
void rw_viewer_unlink_low (RwViewer * self);
void rw_viewer_measure_rate (RwViewer * self, gint64 now,
    RwViewerRate * rate);
void rw_viewer_set_layer (RwViewer * self, RwLayer layer, guint64 budget);
void rw_viewer_add_candidate (RwViewer * self, guint mline,
    const gchar * candidate);
const gchar *rw_viewer_check_liveness (RwViewer * self, gint64 now);
void rw_viewer_close (RwViewer * self);
void rw_viewer_prewarm (void);

G_END_DECLS

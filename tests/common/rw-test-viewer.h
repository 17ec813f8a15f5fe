/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * RwTestViewerCodec:
 * @RW_TEST_VIEWER_VP8: offer VP8 only (payload 96)
 * @RW_TEST_VIEWER_H264: offer H264 only (payload 102, packetization-mode=1,
 *   profile-level-id=42e01f)
 */
typedef enum
{
  RW_TEST_VIEWER_VP8,
  RW_TEST_VIEWER_H264,
} RwTestViewerCodec;

/**
 * RwTestViewerState:
 * @RW_TEST_VIEWER_NEW: not started
 * @RW_TEST_VIEWER_OFFERING: creating the offer and gathering candidates
 * @RW_TEST_VIEWER_POSTING: `POST /offer` is on its way
 * @RW_TEST_VIEWER_CONNECTING: the answer is set; ICE/DTLS are not up yet
 * @RW_TEST_VIEWER_CONNECTED: the peer connection is connected
 * @RW_TEST_VIEWER_CLOSED: hung up or vanished (on purpose)
 * @RW_TEST_VIEWER_FAILED: something failed; see rw_test_viewer_get_error()
 */
typedef enum
{
  RW_TEST_VIEWER_NEW,
  RW_TEST_VIEWER_OFFERING,
  RW_TEST_VIEWER_POSTING,
  RW_TEST_VIEWER_CONNECTING,
  RW_TEST_VIEWER_CONNECTED,
  RW_TEST_VIEWER_CLOSED,
  RW_TEST_VIEWER_FAILED,
} RwTestViewerState;

/* How long the viewer waits for its own ICE gathering before it posts the
 * offer with the candidates it has, and for the connection after that. */
#define RW_TEST_VIEWER_GATHER_TIMEOUT_MS 2000
#define RW_TEST_VIEWER_CONNECT_TIMEOUT_MS 15000
#define RW_TEST_VIEWER_HTTP_TIMEOUT_S 10
/* Two frames this far apart or more are a freeze (issue 12's bound). */
#define RW_TEST_VIEWER_FREEZE_US (300 * G_TIME_SPAN_MILLISECOND)

#define RW_TYPE_TEST_VIEWER (rw_test_viewer_get_type ())
G_DECLARE_FINAL_TYPE (RwTestViewer, rw_test_viewer, RW, TEST_VIEWER, GObject);

RwTestViewer *rw_test_viewer_new (const gchar * base_url,
    RwTestViewerCodec codec, gboolean decode);

void rw_test_viewer_set_ice_address (RwTestViewer * self,
    const gchar * address);
void rw_test_viewer_set_trickle (RwTestViewer * self, gboolean trickle);
void rw_test_viewer_set_name (RwTestViewer * self, const gchar * name);
void rw_test_viewer_set_token (RwTestViewer * self, const gchar * token);
void rw_test_viewer_set_tls_database (RwTestViewer * self,
    GTlsDatabase * database);
void rw_test_viewer_set_stream (RwTestViewer * self, const gchar * name);
void rw_test_viewer_set_media (RwTestViewer * self, gboolean video,
    gboolean audio);
void rw_test_viewer_set_whep (RwTestViewer * self, gboolean whep);
void rw_test_viewer_set_nack (RwTestViewer * self, gboolean nack);
void rw_test_viewer_set_keyframe_after_loss (RwTestViewer * self,
    gboolean keyframe_after_loss);
void rw_test_viewer_set_ice_tcp (RwTestViewer * self, gboolean ice_tcp);
void rw_test_viewer_set_remb (RwTestViewer * self, gboolean remb);
GstElement *rw_test_viewer_get_webrtcbin (RwTestViewer * self);
void rw_test_viewer_set_ice_servers (RwTestViewer * self,
    const gchar * stun_server, const gchar * const *turn_servers);
void rw_test_viewer_set_check_timeouts (RwTestViewer * self,
    guint initial_ms, gint retransmissions);

gboolean rw_test_viewer_start (RwTestViewer * self, GError ** error);
void rw_test_viewer_hangup (RwTestViewer * self);
void rw_test_viewer_vanish (RwTestViewer * self);
void rw_test_viewer_free (RwTestViewer * self);

RwTestViewerState rw_test_viewer_get_state (RwTestViewer * self);
const gchar *rw_test_viewer_state_to_string (RwTestViewerState state);
gboolean rw_test_viewer_is_connected (RwTestViewer * self);
gboolean rw_test_viewer_is_done (RwTestViewer * self);
const gchar *rw_test_viewer_get_name (RwTestViewer * self);
const gchar *rw_test_viewer_get_peer_id (RwTestViewer * self);
const gchar *rw_test_viewer_get_error (RwTestViewer * self);
const gchar *rw_test_viewer_get_location (RwTestViewer * self);
const gchar *rw_test_viewer_get_etag (RwTestViewer * self);
guint rw_test_viewer_get_offer_status (RwTestViewer * self);
guint rw_test_viewer_get_hangup_status (RwTestViewer * self);
gboolean rw_test_viewer_is_hangup_done (RwTestViewer * self);
gchar *rw_test_viewer_dup_offer_sdp (RwTestViewer * self);

guint64 rw_test_viewer_get_frames (RwTestViewer * self);
guint64 rw_test_viewer_get_bytes (RwTestViewer * self);
gint rw_test_viewer_get_width (RwTestViewer * self);
gint rw_test_viewer_get_height (RwTestViewer * self);
gint64 rw_test_viewer_get_post_time (RwTestViewer * self);
gint64 rw_test_viewer_get_answer_time (RwTestViewer * self);
gint64 rw_test_viewer_get_connected_time (RwTestViewer * self);
gint64 rw_test_viewer_get_first_frame_time (RwTestViewer * self);
gint64 rw_test_viewer_get_ttff_us (RwTestViewer * self);
gint64 rw_test_viewer_take_max_gap_us (RwTestViewer * self);
guint rw_test_viewer_get_freezes (RwTestViewer * self, gint64 * frozen_us);

void rw_test_viewer_query_selected_pair (RwTestViewer * self);
gboolean rw_test_viewer_is_pair_pending (RwTestViewer * self);
gboolean rw_test_viewer_get_selected_pair (RwTestViewer * self,
    const gchar ** local, const gchar ** remote,
    const gchar ** local_address, const gchar ** remote_address);

void rw_test_viewer_set_rtp_clock (RwTestViewer * self, guint clock_rate,
    guint32 timestamp, gint64 capture_monotonic_ns);
guint64 rw_test_viewer_get_rtp_bytes (RwTestViewer * self);
guint rw_test_viewer_take_latencies (RwTestViewer * self, GArray * latencies);

gboolean rw_test_viewer_answer_has_audio (RwTestViewer * self);
guint64 rw_test_viewer_get_audio_buffers (RwTestViewer * self);
guint64 rw_test_viewer_get_audio_samples (RwTestViewer * self);
gint rw_test_viewer_get_audio_rate (RwTestViewer * self);
gdouble rw_test_viewer_get_audio_level (RwTestViewer * self);
gint64 rw_test_viewer_get_first_audio_time (RwTestViewer * self);

G_END_DECLS

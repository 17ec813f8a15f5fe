/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * RwOfferRequest:
 * @sdp: the offer's SDP text
 * @stream: (nullable): the stream asked for; %NULL for the first
 *
 * The body of `POST /offer`: `{"sdp": "…", "type": "offer"}`, and
 * optionally `"stream": "NAME"`.
 */
typedef struct
{
  gchar *sdp;
  gchar *stream;
} RwOfferRequest;

/**
 * RwCandidateRequest:
 * @peer_id: the session
 * @candidate: (nullable): the candidate line; %NULL or "" for end of
 *   candidates
 * @mline: the m-line index (`sdpMLineIndex`, default 0)
 *
 * The body of `POST /ice-candidate`.
 */
typedef struct
{
  gchar *peer_id;
  gchar *candidate;
  guint mline;
} RwCandidateRequest;

void rw_offer_request_clear (RwOfferRequest * req);
void rw_candidate_request_clear (RwCandidateRequest * req);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RwOfferRequest, rw_offer_request_clear);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RwCandidateRequest,
    rw_candidate_request_clear);

gboolean rw_signaling_parse_offer (GBytes * body, RwOfferRequest * req,
    GError ** error);
gboolean rw_signaling_parse_candidate (GBytes * body, RwCandidateRequest * req,
    GError ** error);
gchar *rw_signaling_answer_to_json (const gchar * sdp, const gchar * peer_id);
gchar *rw_signaling_error_to_json (const gchar * message);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "rw-config.h"

G_BEGIN_DECLS

/**
 * RwCodecMatch:
 * @mline: index of the offer's video m-line we answer
 * @payload: the payload type the viewer chose for our codec
 * @caps: the codec as the viewer offered it (encoding name, clock rate,
 *   fmtp parameters), for the transceiver's codec preferences
 * @playout_delay_id: the id the m-line's `a=extmap` gives the playout-delay
 *   header extension (rw-playout-delay.c), 0 when it offers none
 *
 * What a viewer's offer asks of our codec.
 */
typedef struct
{
  guint mline;
  gint payload;
  GstCaps *caps;
  guint playout_delay_id;
} RwCodecMatch;

void rw_codec_match_clear (RwCodecMatch * match);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RwCodecMatch, rw_codec_match_clear);

/**
 * RwOfferMatch:
 * @video: the video m-line we answer (valid when @has_video)
 * @has_video: the offer receives our video
 * @audio: the audio m-line we answer with Opus (valid when @has_audio)
 * @has_audio: the offer receives our audio
 *
 * What a viewer's offer asks of a stream: its video, its audio, or both.
 */
typedef struct
{
  RwCodecMatch video;
  gboolean has_video;
  RwCodecMatch audio;
  gboolean has_audio;
} RwOfferMatch;

void rw_offer_match_clear (RwOfferMatch * match);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RwOfferMatch, rw_offer_match_clear);

GstSDPMessage *rw_sdp_parse_offer (const gchar * text, GError ** error);
gboolean rw_sdp_match_codec (const GstSDPMessage * offer, RwCodec codec,
    RwCodecMatch * match, GError ** error);
gboolean rw_sdp_match_offer (const GstSDPMessage * offer, RwCodec video_codec,
    gboolean serve_audio, RwOfferMatch * match, GError ** error);
void rw_sdp_publish_match (RwCodec codec, gboolean audio,
    RwOfferMatch * match);
guint rw_sdp_unify_bundle_credentials (GstSDPMessage * offer);
gboolean rw_sdp_candidate_acceptable (const gchar * candidate,
    const gchar * const *ice_addresses, gboolean ice_tcp,
    const gchar ** reason, GError ** error);
gchar *rw_sdp_public_candidate (const gchar * candidate,
    const gchar * public_address);
guint rw_sdp_add_public_candidates (GstSDPMessage * sdp,
    const gchar * public_address);
guint rw_sdp_filter_candidates (GstSDPMessage * offer,
    const gchar * const *ice_addresses, gboolean ice_tcp);
guint rw_sdp_answer_remb (GstSDPMessage * answer,
    const GstSDPMessage * offer);
guint rw_sdp_answer_receiver_rtt (GstSDPMessage * answer,
    const GstSDPMessage * offer);
gboolean rw_sdp_get_ice_credentials (const GstSDPMessage * offer,
    guint mline, const gchar ** ufrag, const gchar ** pwd);

/**
 * RwIceFragment:
 * @mid: (nullable): the m-section's a=mid; %NULL for a fragment without
 *   m= lines, or an m-section without one
 * @ufrag: (nullable): the a=ice-ufrag in effect for the section
 * @pwd: (nullable): the a=ice-pwd in effect for the section
 * @candidates: (element-type utf8): its "candidate:…" lines, checked
 * @end_of_candidates: the section (or the whole fragment) has
 *   a=end-of-candidates
 *
 * One section of a trickle ICE SDP fragment (RFC 8840).
 */
typedef struct
{
  gchar *mid;
  gchar *ufrag;
  gchar *pwd;
  GPtrArray *candidates;
  gboolean end_of_candidates;
} RwIceFragment;

GPtrArray *rw_sdp_parse_ice_fragment (const gchar * text, GError ** error);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer: an offer's SDP, as POST /offer checks it before webrtcbin
 * sees it: parse, codec and payload-type choice, candidate filter, the
 * bundled m-lines' ICE credentials made one (twice: the second changes
 * nothing), and the video and Opus audio m-lines matched for each codec,
 * with and without audio, before and after. */

#include <gst/gst.h>

#include "rw-error.h"
#include "rw-sdp.h"

int LLVMFuzzerTestOneInput (const guint8 * data, gsize size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  return 0;
}

/* What a stream would answer: an offer matches video, audio or both,
 * each a real m-line with a payload type; or it has an error. */
static void
match_offer (const GstSDPMessage * offer)
{
  guint medias = gst_sdp_message_medias_len (offer);

  for (RwCodec codec = RW_CODEC_VP8; codec <= RW_CODEC_H264; codec++) {
    for (gint audio = 0; audio < 2; audio++) {
      g_auto (RwOfferMatch) match = { 0 };
      g_autoptr (GError) error = NULL;

      if (!rw_sdp_match_offer (offer, codec, audio, &match, &error)) {
        g_assert (error != NULL && error->domain == RW_ERROR);
        g_assert (!match.has_video && !match.has_audio);
        continue;
      }
      g_assert (error == NULL);
      g_assert (match.has_video || match.has_audio);
      g_assert (audio || !match.has_audio);
      if (match.has_video) {
        g_assert (match.video.caps != NULL);
        g_assert (match.video.payload >= 0 && match.video.payload <= 127);
        g_assert (match.video.mline < medias);
      }
      if (match.has_audio) {
        g_assert (match.audio.caps != NULL);
        g_assert (match.audio.payload >= 0 && match.audio.payload <= 127);
        g_assert (match.audio.mline < medias);
        g_assert (!match.has_video || match.audio.mline != match.video.mline);
      }
    }
  }
}

int
LLVMFuzzerTestOneInput (const guint8 * data, gsize size)
{
  static const gchar *loopback[] = { "127.0.0.1", NULL };
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  GstSDPMessage *offer = rw_sdp_parse_offer (text, NULL);

  if (offer == NULL)
    return 0;

  for (RwCodec codec = RW_CODEC_VP8; codec <= RW_CODEC_H264; codec++) {
    g_auto (RwCodecMatch) match = { 0 };

    if (rw_sdp_match_codec (offer, codec, &match, NULL)) {
      g_assert (match.caps != NULL);
      g_assert (match.payload >= 0 && match.payload <= 127);
      g_assert (match.mline < gst_sdp_message_medias_len (offer));
    }
  }
  match_offer (offer);
  rw_sdp_filter_candidates (offer, loopback, TRUE);
  rw_sdp_filter_candidates (offer, NULL, FALSE);

  /* as the sink does: candidates filtered, credentials unified, matched */
  rw_sdp_unify_bundle_credentials (offer);
  g_assert (rw_sdp_unify_bundle_credentials (offer) == 0);
  match_offer (offer);
  g_free (gst_sdp_message_as_text (offer));
  gst_sdp_message_free (offer);
  return 0;
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer: an offer's SDP, as POST /offer checks it before webrtcbin
 * sees it: parse, codec and payload-type choice, candidate filter. */

#include <gst/gst.h>

#include "rw-sdp.h"

int LLVMFuzzerTestOneInput (const guint8 * data, gsize size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  return 0;
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
  rw_sdp_filter_candidates (offer, loopback);
  rw_sdp_filter_candidates (offer, NULL);
  gst_sdp_message_free (offer);
  return 0;
}

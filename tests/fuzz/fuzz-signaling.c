/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer: the JSON bodies of POST /offer and POST /ice-candidate. */

#include "rw-signaling.h"

int LLVMFuzzerTestOneInput (const guint8 * data, gsize size);

int
LLVMFuzzerTestOneInput (const guint8 * data, gsize size)
{
  g_autoptr (GBytes) body = g_bytes_new (data, size);
  g_auto (RwOfferRequest) offer = { 0 };
  g_auto (RwCandidateRequest) candidate = { 0 };

  if (rw_signaling_parse_offer (body, &offer, NULL))
    g_assert (offer.sdp != NULL);
  if (rw_signaling_parse_candidate (body, &candidate, NULL))
    g_assert (candidate.peer_id != NULL && candidate.mline <= 255);
  return 0;
}

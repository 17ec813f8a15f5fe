/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-remb
 * @title: REMB
 * @short_description: a viewer's bandwidth estimate, from its RTCP
 *
 * REMB (draft-alvestrand-rmcat-remb) is the receiver's estimate of what its
 * network carries, in an RTCP payload-specific feedback packet of the
 * application-layer kind (PT 206, FMT 15). Browsers send it when the answer
 * offers `goog-remb` (rw_sdp_answer_remb()). GStreamer 1.22's rtpsession
 * hands it over as is, in `on-feedback-rtcp`: this reads its FCI.
 */

#include "rw-remb.h"

#include <string.h>

/* "REMB", Num SSRC (8 bits), BR Exp (6 bits), BR Mantissa (18 bits), then
 * Num SSRC SSRCs of 32 bits. */
#define REMB_HEADER_LEN 8

/**
 * rw_remb_parse:
 * @fci: the feedback control information of a PSFB FMT 15 packet
 * @size: its size in bytes
 * @bitrate: (out): the estimate, bits per second
 * @n_ssrcs: (out) (optional): how many media SSRCs it is for
 *
 * Returns: %TRUE if @fci is a whole REMB message.
 */
gboolean
rw_remb_parse (const guint8 * fci, gsize size, guint64 * bitrate,
    guint * n_ssrcs)
{
  guint n, exponent;
  guint32 mantissa;

  g_return_val_if_fail (bitrate != NULL, FALSE);

  if (fci == NULL || size < REMB_HEADER_LEN || memcmp (fci, "REMB", 4) != 0)
    return FALSE;
  n = fci[4];
  if (size < REMB_HEADER_LEN + 4 * (gsize) n)
    return FALSE;
  exponent = fci[5] >> 2;
  mantissa = ((guint32) (fci[5] & 0x03) << 16) | ((guint32) fci[6] << 8) |
      fci[7];
  /* 18 bits shifted by up to 63: saturate rather than wrap */
  if (mantissa != 0 && exponent > 63 - 18)
    *bitrate = G_MAXUINT64;
  else
    *bitrate = (guint64) mantissa << exponent;
  if (n_ssrcs)
    *n_ssrcs = n;
  return TRUE;
}

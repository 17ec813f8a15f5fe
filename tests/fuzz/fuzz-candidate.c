/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer: a trickled ICE candidate line (POST /ice-candidate). */

#include "rw-sdp.h"

int LLVMFuzzerTestOneInput (const guint8 * data, gsize size);

int
LLVMFuzzerTestOneInput (const guint8 * data, gsize size)
{
  static const gchar *loopback[] = { "127.0.0.1", "::1", NULL };
  g_autofree gchar *line = g_strndup ((const gchar *) data, size);
  const gchar *reason = NULL;

  rw_sdp_candidate_acceptable (line, NULL, FALSE, &reason, NULL);
  rw_sdp_candidate_acceptable (line, loopback, TRUE, &reason, NULL);
  return 0;
}

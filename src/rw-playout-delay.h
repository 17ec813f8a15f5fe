/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/rtp/rtp.h>

G_BEGIN_DECLS

#define RW_PLAYOUT_DELAY_URI \
  "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

#define RW_TYPE_PLAYOUT_DELAY (rw_playout_delay_get_type ())
G_DECLARE_FINAL_TYPE (RwPlayoutDelay, rw_playout_delay, RW, PLAYOUT_DELAY,
    GstRTPHeaderExtension);

GstRTPHeaderExtension *rw_playout_delay_new (guint id, guint min_ms,
    guint max_ms);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define RW_TYPE_REPLAY_STREAM (rw_replay_stream_get_type ())
G_DECLARE_FINAL_TYPE (RwReplayStream, rw_replay_stream, RW, REPLAY_STREAM,
    GIOStream);

GIOStream *rw_replay_stream_new (GIOStream * base, GBytes * replay);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

#include "rw-turn.h"

G_BEGIN_DECLS

#define RW_TYPE_SINK (rw_sink_get_type ())
G_DECLARE_FINAL_TYPE (RwSink, rw_sink, RW, SINK, GstBin);

GST_ELEMENT_REGISTER_DECLARE (robotwebrtcsink);

guint rw_sink_get_n_viewers (RwSink * self);
guint rw_sink_get_n_branches (RwSink * self);
gboolean rw_sink_is_streaming (RwSink * self);
void rw_sink_request_keyframe (RwSink * self);
void rw_sink_set_turn (RwSink * self, RwTurn * turn);
void rw_sink_set_publishes (RwSink * self, GPtrArray * publishes);

G_END_DECLS

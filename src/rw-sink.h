/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <json-glib/json-glib.h>

#include "rw-viewer.h"

G_BEGIN_DECLS

#define RW_TYPE_SINK (rw_sink_get_type ())
G_DECLARE_FINAL_TYPE (RwSink, rw_sink, RW, SINK, GstBin);

GST_ELEMENT_REGISTER_DECLARE (robotwebrtcsink);

RwViewer *rw_sink_add_viewer (RwSink * self, GstSDPMessage * offer,
    GError ** error);
gboolean rw_sink_add_candidate (RwSink * self, const gchar * id, guint mline,
    const gchar * candidate, const gchar ** ignored, GError ** error);
gboolean rw_sink_remove_viewer (RwSink * self, const gchar * id,
    const gchar * reason);
guint rw_sink_get_n_viewers (RwSink * self);
guint rw_sink_get_n_branches (RwSink * self);
gboolean rw_sink_is_streaming (RwSink * self);
void rw_sink_request_keyframe (RwSink * self);
void rw_sink_add_status (RwSink * self, JsonBuilder * builder);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "rw-config.h"
#include "rw-sdp.h"
#include "rw-source.h"
#include "rw-viewer.h"

G_BEGIN_DECLS

#define RW_TYPE_STREAM (rw_stream_get_type ())
G_DECLARE_FINAL_TYPE (RwStream, rw_stream, RW, STREAM, GObject);

RwStream *rw_stream_new (const RwConfig * config);
gboolean rw_stream_start (RwStream * self, GError ** error);
void rw_stream_stop (RwStream * self);
gboolean rw_stream_is_running (RwStream * self);

RwViewer *rw_stream_add_viewer (RwStream * self, const RwCodecMatch * match,
    GError ** error);
RwViewer *rw_stream_lookup_viewer (RwStream * self, const gchar * id);
gboolean rw_stream_remove_viewer (RwStream * self, const gchar * id,
    const gchar * reason);
guint rw_stream_get_n_viewers (RwStream * self);
guint rw_stream_get_n_branches (RwStream * self);
void rw_stream_request_keyframe (RwStream * self);

void rw_stream_add_status (RwStream * self, JsonBuilder * builder);

G_END_DECLS

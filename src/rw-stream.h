/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

#include "rw-config.h"
#include "rw-sink.h"

G_BEGIN_DECLS

#define RW_TYPE_STREAM (rw_stream_get_type ())
G_DECLARE_FINAL_TYPE (RwStream, rw_stream, RW, STREAM, GObject);

RwStream *rw_stream_new (const RwConfig * config,
    const RwStreamConfig * stream);
gboolean rw_stream_start (RwStream * self, GError ** error);
void rw_stream_stop (RwStream * self);
void rw_stream_reload (RwStream * self, const RwStreamConfig * stream);
gboolean rw_stream_is_running (RwStream * self);
const gchar *rw_stream_get_state (RwStream * self);
guint64 rw_stream_get_frames (RwStream * self);
const gchar *rw_stream_get_name (RwStream * self);
RwSink *rw_stream_get_sink (RwStream * self);

G_END_DECLS

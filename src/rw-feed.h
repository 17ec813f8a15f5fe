/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "rw-config.h"

G_BEGIN_DECLS

/**
 * RwFeedKind:
 * @RW_FEED_VIDEO: the camera (or video pipeline) and its encoder
 * @RW_FEED_AUDIO: the microphone (or audio pipeline) and its Opus encoder
 */
typedef enum
{
  RW_FEED_VIDEO,
  RW_FEED_AUDIO,
} RwFeedKind;

#define RW_TYPE_FEED (rw_feed_get_type ())
G_DECLARE_FINAL_TYPE (RwFeed, rw_feed, RW, FEED, GObject);

RwFeed *rw_feed_new (RwFeedKind kind, GstBin * pipeline, GstElement * sink,
    const RwStreamConfig * config);
gboolean rw_feed_start (RwFeed * self, gboolean strict, GError ** error);
void rw_feed_stop (RwFeed * self);
void rw_feed_reload (RwFeed * self, const RwStreamConfig * config);
gboolean rw_feed_handle_error (RwFeed * self, GstObject * src,
    const gchar * message);
void rw_feed_check (RwFeed * self, gint64 now);
gboolean rw_feed_is_lost (RwFeed * self);
guint64 rw_feed_get_frames (RwFeed * self);
void rw_feed_add_status (RwFeed * self, JsonBuilder * builder);

G_END_DECLS

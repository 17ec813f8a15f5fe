/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

#include "rw-config.h"

G_BEGIN_DECLS

typedef struct _RwLowLayer RwLowLayer;

/* the names of its bin and tee begin so, in the sink's bin */
#define RW_LOW_LAYER_NAME "rw-low-layer"

RwLowLayer *rw_low_layer_new (GstBin * bin, GstElement * tee,
    RwCodec codec, gint width, gint height, gint fps_n, gint fps_d,
    guint bitrate, GError ** error);
GstElement *rw_low_layer_get_tee (RwLowLayer * self);
void rw_low_layer_set_bitrate (RwLowLayer * self, guint bitrate);
guint rw_low_layer_get_bitrate (RwLowLayer * self);
guint64 rw_low_layer_get_bytes (RwLowLayer * self);
void rw_low_layer_get_size (RwLowLayer * self, gint * width, gint * height,
    gint * fps);
void rw_low_layer_stop (RwLowLayer * self, GMainContext * context,
    GSourceFunc stopped, gpointer user_data, GDestroyNotify destroy);
void rw_low_layer_free (RwLowLayer * self);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "rw-config.h"
#include "rw-rate-control.h"
#include "rw-viewer.h"

G_BEGIN_DECLS

typedef struct _RwRateLayers RwRateLayers;

/**
 * RwRateSettings:
 * @enabled: the encoder's target follows the viewers
 * @min_bitrate: its lowest target, bits/s (0: a tenth of the highest)
 * @max_bitrate: its highest (0: the encoder's bitrate when serving began)
 * @low_layer: viewers far below the others get a low layer
 * @low_bitrate: the low layer's target, bits/s
 * @scale_down: the picture shrinks when the encoder drops frames to keep
 *     a low target (rw-rate-scale.c)
 */
typedef struct
{
  gboolean enabled;
  guint min_bitrate;
  guint max_bitrate;
  gboolean low_layer;
  guint low_bitrate;
  gboolean scale_down;
} RwRateSettings;

RwRateLayers *rw_rate_layers_new (GstBin * bin, GstElement * tee,
    GMainContext * context, const RwRateSettings * settings);
void rw_rate_layers_free (RwRateLayers * self);
void rw_rate_layers_update (RwRateLayers * self,
    const RwRateSettings * settings, RwViewer ** viewers, RwRatePeer ** peers,
    guint n, RwCodec codec, gint width, gint height, gint fps_n, gint fps_d);
void rw_rate_layers_viewer_joined (RwRateLayers * self, RwViewer * viewer);
void rw_rate_layers_viewer_removed (RwRateLayers * self, RwViewer * viewer);
void rw_rate_layers_low_failed (RwRateLayers * self);
void rw_rate_layers_add_status (RwRateLayers * self, JsonBuilder * builder);

G_END_DECLS

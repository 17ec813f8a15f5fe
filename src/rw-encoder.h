/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

GstElement *rw_encoder_find_upstream (GstPad * pad);
gboolean rw_encoder_get_bitrate (GstElement * encoder, guint * bitrate);
gboolean rw_encoder_set_bitrate (GstElement * encoder, guint bitrate,
    gboolean drop_frames);

GstElement *rw_encoder_find_size_filter (GstElement * encoder,
    GstCaps ** caps);
gboolean rw_encoder_scale (GstElement * filter, const GstCaps * original,
    guint num, guint den, GError ** error);

G_END_DECLS

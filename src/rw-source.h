/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

#include "rw-config.h"

G_BEGIN_DECLS

/**
 * RwSourceKind:
 * @RW_SOURCE_CAMERA: a V4L2 camera
 * @RW_SOURCE_TEST_PATTERN: the moving test pattern
 * @RW_SOURCE_PIPELINE: a launch description from the configuration
 */
typedef enum
{
  RW_SOURCE_CAMERA,
  RW_SOURCE_TEST_PATTERN,
  RW_SOURCE_PIPELINE,
} RwSourceKind;

const gchar *rw_source_kind_to_string (RwSourceKind kind);

gchar *rw_source_probe_camera (const gchar * device, guint width,
    guint height, GError ** error);
GstElement *rw_source_make_bin (const RwStreamConfig * stream,
    RwSourceKind kind, const gchar * camera_caps, GError ** error);
GstElement *rw_source_make_slate (const RwStreamConfig * stream,
    const gchar * message, GError ** error);
gchar *rw_source_encoder_description (const RwStreamConfig * stream);

GstElement *rw_source_make_audio_bin (const RwStreamConfig * stream,
    GError ** error);
GstElement *rw_source_make_silence (const RwStreamConfig * stream,
    GError ** error);
gchar *rw_source_audio_name (const RwStreamConfig * stream);

G_END_DECLS

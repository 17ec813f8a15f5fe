/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

GstElement *rw_pipeline_parse (const gchar * description, GError ** error);
gchar *rw_pipeline_read_file (const gchar * path, GError ** error);
gchar *rw_pipeline_find (const gchar * value, const gchar * base_dir,
    gchar ** name, GError ** error);

G_END_DECLS

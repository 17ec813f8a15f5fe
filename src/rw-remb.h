/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean rw_remb_parse (const guint8 * fci, gsize size, guint64 * bitrate,
    guint * n_ssrcs);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define RW_TYPE_SNAPSHOT (rw_snapshot_get_type ())
G_DECLARE_FINAL_TYPE (RwSnapshot, rw_snapshot, RW, SNAPSHOT, GObject);

RwSnapshot *rw_snapshot_new (GstPad * pad);
void rw_snapshot_get_async (RwSnapshot * self, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);
GBytes *rw_snapshot_get_finish (RwSnapshot * self, GAsyncResult * result,
    GError ** error);
GBytes *rw_snapshot_encode (GstCaps * caps, GPtrArray * frames,
    GError ** error);

G_END_DECLS

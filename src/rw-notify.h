/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RwNotify RwNotify;

RwNotify *rw_notify_new (void);
void rw_notify_free (RwNotify * self);
gint64 rw_notify_get_watchdog_interval (RwNotify * self);
void rw_notify_check (RwNotify * self, gint64 now, const gchar * const *streams,
    const guint64 * frames, const gchar * status);
void rw_notify_reloading (RwNotify * self);
void rw_notify_stopping (RwNotify * self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwNotify, rw_notify_free);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "rw-config.h"
#include "rw-session-host.h"
#include "rw-turn.h"

G_BEGIN_DECLS

typedef struct _RwSignalingThread RwSignalingThread;

RwSignalingThread *rw_signaling_thread_start (const RwConfig * config,
    GMainContext * context, const gchar * name, RwSessionHost * host,
    GError ** error);
void rw_signaling_thread_set_turn (RwSignalingThread * self, RwTurn * turn);
void rw_signaling_thread_stop (RwSignalingThread * self,
    GSourceFunc last_words, gpointer user_data);

G_END_DECLS

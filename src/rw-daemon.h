/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "rw-config.h"

G_BEGIN_DECLS

#define RW_TYPE_DAEMON (rw_daemon_get_type ())
G_DECLARE_FINAL_TYPE (RwDaemon, rw_daemon, RW, DAEMON, GObject);

RwDaemon *rw_daemon_new (RwConfig * config);
gboolean rw_daemon_start (RwDaemon * self, GError ** error);
GSList *rw_daemon_get_uris (RwDaemon * self);
void rw_daemon_reload (RwDaemon * self, RwConfig * config);
void rw_daemon_stop (RwDaemon * self);

G_END_DECLS

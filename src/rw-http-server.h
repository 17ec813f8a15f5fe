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

#define RW_TYPE_HTTP_SERVER (rw_http_server_get_type ())
G_DECLARE_FINAL_TYPE (RwHttpServer, rw_http_server, RW, HTTP_SERVER, GObject);

RwHttpServer *rw_http_server_new (const RwConfig * config);
void rw_http_server_add_host (RwHttpServer * self, const gchar * name,
    RwSessionHost * host);
void rw_http_server_remove_host (RwHttpServer * self, const gchar * name);
gboolean rw_http_server_load_credentials (RwHttpServer * self,
    GError ** error);
RwTurn *rw_http_server_get_turn (RwHttpServer * self);
void rw_http_server_set_turn (RwHttpServer * self, RwTurn * turn);
gboolean rw_http_server_reload (RwHttpServer * self, const RwConfig * config,
    GError ** error);
gboolean rw_http_server_listen (RwHttpServer * self, GError ** error);
gboolean rw_http_server_accept_iostream (RwHttpServer * self,
    GIOStream * stream, GSocketAddress * local, GSocketAddress * remote,
    GError ** error);
GSList *rw_http_server_get_uris (RwHttpServer * self);
void rw_http_server_stop (RwHttpServer * self);

G_END_DECLS

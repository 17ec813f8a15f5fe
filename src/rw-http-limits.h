/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define RW_TYPE_HTTP_LIMITS (rw_http_limits_get_type ())
G_DECLARE_FINAL_TYPE (RwHttpLimits, rw_http_limits, RW, HTTP_LIMITS, GObject);

RwHttpLimits *rw_http_limits_new (SoupServer * server, GMainContext * context,
    guint request_timeout, guint idle_timeout, guint max_connections);
void rw_http_limits_update (RwHttpLimits * self, guint request_timeout,
    guint idle_timeout, guint max_connections);
void rw_http_limits_add_connection (RwHttpLimits * self, GSocket * socket,
    GSocketAddress * remote);
GSocket *rw_http_limits_get_message_socket (SoupServerMessage * msg);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "rw-http-limits.h"

G_BEGIN_DECLS

#define RW_TYPE_HTTP_LISTENER (rw_http_listener_get_type ())
G_DECLARE_FINAL_TYPE (RwHttpListener, rw_http_listener, RW, HTTP_LISTENER,
    GObject);

RwHttpListener *rw_http_listener_new (SoupServer * server,
    RwHttpLimits * limits, const gchar * const *methods);
gboolean rw_http_listener_listen (RwHttpListener * self,
    const gchar * bind_address, guint port, GTlsCertificate * certificate,
    guint backlog, GError ** error);
void rw_http_listener_set_backlog (RwHttpListener * self, guint backlog);
GSList *rw_http_listener_get_uris (RwHttpListener * self);
void rw_http_listener_stop (RwHttpListener * self);


G_END_DECLS

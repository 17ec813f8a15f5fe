/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/* The HTTP front door's session table (rw-http-sessions.c): never
 * installed, used by rw-http-server.c only. */

#include <libsoup/soup.h>

#include "rw-auth.h"
#include "rw-http-private.h"

G_BEGIN_DECLS

typedef struct _RwHttpSessions RwHttpSessions;

RwHttpSessions *rw_http_sessions_new (RwHttpServer * server,
    GMainContext * context, const RwConfig * config,
    RwAuthRevocations * revocations);
void rw_http_sessions_free (RwHttpSessions * self);

gboolean rw_http_sessions_open (RwHttpSessions * self,
    SoupServerMessage * msg, const RwAuthClaims * claims,
    RwSessionHost * host, const gchar * stream, const gchar * offer,
    RwHttpOpenedFunc opened, gpointer data, GDestroyNotify free_data,
    GError ** error);
RwSessionHost *rw_http_sessions_find (RwHttpSessions * self,
    SoupServerMessage * msg, const RwAuthClaims * claims,
    gboolean check_owner, const gchar * session_id);
gpointer rw_http_sessions_get_data (RwHttpSessions * self,
    const gchar * session_id, GDestroyNotify free_data);
guint rw_http_sessions_count (RwHttpSessions * self);

void rw_http_sessions_closed (RwHttpSessions * self,
    const gchar * session_id);
void rw_http_sessions_forget_host (RwHttpSessions * self,
    RwSessionHost * host);
guint rw_http_sessions_end_of (RwHttpSessions * self, const gchar * subject);
void rw_http_sessions_cancel (RwHttpSessions * self);
void rw_http_sessions_clear (RwHttpSessions * self);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/* What the signaling protocols beside the JSON API (rw-whep.c) use of
 * RwHttpServer: its streams, its session table with the max-viewers and
 * owner rules, the pending-offer machinery and its error replies. Never
 * installed. Everything here runs on the server's main context. */

#include <libsoup/soup.h>

#include "rw-http-server.h"

G_BEGIN_DECLS

/* The realm of the Bearer challenges (RFC 6750 §3). */
#define RW_HTTP_REALM "robot-webrtc"

/**
 * RwHttpOpenedFunc:
 * @self: the server
 * @msg: the request that opened the session (unpaused after the call)
 * @session_id: the id the server minted for it
 * @answer: (nullable): the host's answer, or %NULL when it failed
 * @error: (nullable): why it failed, when @answer is %NULL
 *
 * Replies to a request once the host answered its offer or failed. It is
 * not called for a failure whose client went away.
 */
typedef void (*RwHttpOpenedFunc) (RwHttpServer * self,
    SoupServerMessage * msg, const gchar * session_id, const gchar * answer,
    const GError * error);

const RwConfig *rw_http_server_get_config (RwHttpServer * self);
const gchar *rw_http_server_lookup_stream (RwHttpServer * self,
    const gchar * name);
gchar *rw_http_server_dup_stream_names (RwHttpServer * self);

gboolean rw_http_server_open_session (RwHttpServer * self,
    SoupServerMessage * msg, const gchar * stream, const gchar * offer,
    RwHttpOpenedFunc opened, gpointer data, GDestroyNotify free_data,
    GError ** error);
gpointer rw_http_server_get_session_data (RwHttpServer * self,
    const gchar * session_id, GDestroyNotify free_data);
RwSessionHost *rw_http_server_find_session (RwHttpServer * self,
    SoupServerMessage * msg, const gchar * session_id);

/* *INDENT-OFF* */
void rw_http_server_reply_error (SoupServerMessage * msg, guint status,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* *INDENT-ON* */
guint rw_http_server_status_for_error (const GError * error);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "rw-http-server.h"

G_BEGIN_DECLS

/* the media types of a WHEP offer and answer, and of a trickle PATCH */
#define RW_WHEP_SDP "application/sdp"
#define RW_WHEP_SDP_FRAGMENT "application/trickle-ice-sdpfrag"

/* Retry-After of every 503, in seconds: a viewer whose tab closed is
 * dropped within 5 s (no RTCP), which frees its place. */
#define RW_WHEP_RETRY_AFTER_S 5

/* the close reason of DELETE /whep/NAME/ID */
#define RW_WHEP_HANGUP_REASON "hung up (WHEP)"

void rw_whep_handle_offer (RwHttpServer * server, SoupServerMessage * msg,
    const gchar * path);
void rw_whep_handle_patch (RwHttpServer * server, SoupServerMessage * msg,
    const gchar * path);
void rw_whep_handle_delete (RwHttpServer * server, SoupServerMessage * msg,
    const gchar * path);

gchar *rw_whep_ice_server_link (const gchar * uri, GError ** error);

G_END_DECLS

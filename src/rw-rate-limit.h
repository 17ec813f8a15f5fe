/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How many client addresses are remembered at most. */
#define RW_RATE_LIMIT_MAX_CLIENTS 4096

typedef struct _RwRateLimiter RwRateLimiter;

RwRateLimiter *rw_rate_limiter_new (guint rate, guint burst,
    guint max_clients);
void rw_rate_limiter_free (RwRateLimiter * self);
gboolean rw_rate_limiter_take (RwRateLimiter * self, const gchar * client,
    gint64 now, guint * retry_after);
guint rw_rate_limiter_get_n_clients (RwRateLimiter * self);
gchar *rw_rate_limit_client_key (GSocketAddress * address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwRateLimiter, rw_rate_limiter_free);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _RwMetrics RwMetrics;

RwMetrics *rw_metrics_new (void);
void rw_metrics_free (RwMetrics * self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwMetrics, rw_metrics_free);

void rw_metrics_count_request (RwMetrics * self, const gchar * route,
    const gchar * method, guint status);
void rw_metrics_count_refusal (RwMetrics * self, const gchar * reason);
gchar *rw_metrics_render (RwMetrics * self, JsonNode * status);

gboolean rw_metrics_parse_allow (const gchar * const *entries,
    GPtrArray ** masks, GError ** error);
gboolean rw_metrics_client_allowed (GPtrArray * masks, GInetAddress * client);

G_END_DECLS

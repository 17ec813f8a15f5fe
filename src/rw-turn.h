/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>


G_BEGIN_DECLS

/* TURN REST credentials (coturn `use-auth-secret`): valid for a day by
 * default, as the convention has it. */
#define RW_TURN_DEFAULT_LIFETIME 86400
#define RW_TURN_MIN_LIFETIME 10
#define RW_TURN_MAX_LIFETIME (30 * 86400)
/* The name in minted user names without a robot id. */
#define RW_TURN_DEFAULT_NAME "robot-webrtc"
/* The longest user name or password taken from the settings. */
#define RW_TURN_MAX_CREDENTIAL 512
/* The fewest seconds between two warnings about viewers without a relay
 * candidate. */
#define RW_TURN_WARNING_INTERVAL 60

#define RW_TYPE_TURN (rw_turn_get_type ())
G_DECLARE_FINAL_TYPE (RwTurn, rw_turn, RW, TURN, GObject);

gboolean rw_turn_check_settings (const gchar * server, const gchar * user,
    const gchar * password, const gchar * secret_file, guint lifetime,
    GError ** error);
RwTurn *rw_turn_new (const gchar * uri, const gchar * user,
    const gchar * password, GError ** error);
RwTurn *rw_turn_new_with_secret (const gchar * uri, const guint8 * secret,
    gsize secret_len, const gchar * name, guint lifetime, GError ** error);

const gchar *rw_turn_get_server (RwTurn * self);
gboolean rw_turn_has_secret (RwTurn * self);
gint64 rw_turn_get_credentials (RwTurn * self, gint64 now, gchar ** username,
    gchar ** password);
gchar *rw_turn_get_uri (RwTurn * self, gint64 now);

gboolean rw_turn_report_gathering (RwTurn * self, gboolean relay,
    gint64 now);
void rw_turn_add_status (RwTurn * self, JsonBuilder * builder);

gint64 rw_turn_rest_expiry (gint64 now, guint lifetime);
gchar *rw_turn_rest_username (gint64 expiry, const gchar * name);
gchar *rw_turn_rest_password (const guint8 * secret, gsize secret_len,
    const gchar * username);

G_END_DECLS

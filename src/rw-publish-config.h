/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * RwPublishConfig:
 * @name: the `[publish NAME]` group's name
 * @stream: (nullable): the stream to publish; %NULL: the first
 * @url: the WHIP endpoint (http or https)
 * @token_file: (nullable): a file holding the bearer token; %NULL: none
 * @audio: send the stream's audio too, when it has some
 * @stun_server: (nullable): a STUN server for this publish only
 * @turn_server: (nullable): a TURN server for this publish only
 * @turn_user: (nullable): its user
 * @turn_password: (nullable): its password
 * @ice_addresses: (nullable): the local addresses ICE may use; %NULL: the
 *   robot's `[webrtc] ice-addresses`
 *
 * One upload of a stream to a WHIP endpoint (an SFU), as a config file's
 * `[publish NAME]` group or the element's publish-* properties give it.
 */
typedef struct
{
  gchar *name;
  gchar *stream;
  gchar *url;
  gchar *token_file;
  gboolean audio;
  gchar *stun_server;
  gchar *turn_server;
  gchar *turn_user;
  gchar *turn_password;
  gchar **ice_addresses;
} RwPublishConfig;

RwPublishConfig *rw_publish_config_new (const gchar * name);
RwPublishConfig *rw_publish_config_copy (const RwPublishConfig * config);
void rw_publish_config_free (RwPublishConfig * config);
gboolean rw_publish_config_equal (const RwPublishConfig * a,
    const RwPublishConfig * b);
gboolean rw_publish_config_validate (const RwPublishConfig * config,
    GError ** error);
gboolean rw_publish_config_is_group (const gchar * group);
GPtrArray *rw_publish_config_load_all (GKeyFile * file, const gchar * path,
    const gchar * base_dir, GError ** error);
gchar *rw_publish_config_read_token (const RwPublishConfig * config,
    GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwPublishConfig, rw_publish_config_free);

G_END_DECLS

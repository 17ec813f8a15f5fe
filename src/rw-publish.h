/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "rw-publish-config.h"
#include "rw-viewer.h"

G_BEGIN_DECLS

/**
 * RwPublishState:
 * @RW_PUBLISH_STOPPED: not started, or stopped
 * @RW_PUBLISH_CONNECTING: offering to the endpoint, or connecting to it
 * @RW_PUBLISH_LIVE: the SFU receives the stream
 * @RW_PUBLISH_RETRYING: the last attempt failed; the next waits its turn
 */
typedef enum
{
  RW_PUBLISH_STOPPED,
  RW_PUBLISH_CONNECTING,
  RW_PUBLISH_LIVE,
  RW_PUBLISH_RETRYING,
} RwPublishState;

/* The first wait after a failure, and the longest (issue 13). */
#define RW_PUBLISH_BACKOFF_FIRST_MS 500
#define RW_PUBLISH_BACKOFF_MAX_MS 30000

/**
 * RwPublishJoinFunc:
 * @host: the user data given to rw_publish_new()
 * @id: the branch's id
 * @settings: the publish's ICE settings
 * @turn: (nullable): the TURN server to use
 * @audio: whether to send the stream's audio too
 * @error: why there is no branch now
 *
 * Makes an offering viewer (rw_viewer_new_offerer()) of the host's stream,
 * fed by its tees.
 *
 * Returns: (transfer full) (nullable): the joined viewer.
 */
typedef RwViewer *(*RwPublishJoinFunc) (gpointer host, const gchar * id,
    const RwConfig * settings, RwTurn * turn, gboolean audio,
    GError ** error);

#define RW_TYPE_PUBLISH (rw_publish_get_type ())
G_DECLARE_FINAL_TYPE (RwPublish, rw_publish, RW, PUBLISH, GObject);

RwPublish *rw_publish_new (const RwPublishConfig * config,
    const RwConfig * settings, RwTurn * turn, RwPublishJoinFunc join,
    gpointer host);
void rw_publish_start (RwPublish * self);
void rw_publish_stop (RwPublish * self, gboolean now);
const RwPublishConfig *rw_publish_get_config (RwPublish * self);
RwPublishState rw_publish_get_state (RwPublish * self);
const gchar *rw_publish_state_to_string (RwPublishState state);
void rw_publish_add_status (RwPublish * self, JsonBuilder * builder);

G_END_DECLS

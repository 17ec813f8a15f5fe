/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RW_TYPE_SESSION_HOST (rw_session_host_get_type ())
G_DECLARE_INTERFACE (RwSessionHost, rw_session_host, RW, SESSION_HOST,
    GObject);

/**
 * RwStatusDetail:
 * @RW_STATUS_SUMMARY: what the stream is (`GET /streams`)
 * @RW_STATUS_FULL: that, its health and every session (`GET /status`)
 */
typedef enum
{
  RW_STATUS_SUMMARY,
  RW_STATUS_FULL,
} RwStatusDetail;

/**
 * RwSessionHostInterface:
 * @open_async: starts a session from a viewer's offer
 * @open_finish: the answer's SDP text, or why there is none
 * @add_candidate: adds a viewer's trickled ICE candidate
 * @close: ends a session
 * @add_status: adds the host's members to a status object
 * @snapshot_async: (nullable): a JPEG of the video's newest frame
 * @snapshot_finish: its bytes, or why there are none
 *
 * The media side of a signaling protocol: whatever serves sessions (the
 * sink, a stream above it) implements it, and the HTTP front door calls it
 * knowing nothing of SDP, webrtcbin or pipelines. Every call is made on
 * the host's main context; the host emits #RwSessionHost::session-closed
 * there too.
 */
struct _RwSessionHostInterface
{
  GTypeInterface parent_iface;

  void (*open_async) (RwSessionHost * self, const gchar * session_id,
      const gchar * offer, GCancellable * cancellable,
      GAsyncReadyCallback callback, gpointer user_data);
  gchar *(*open_finish) (RwSessionHost * self, GAsyncResult * result,
      GError ** error);
  gboolean (*add_candidate) (RwSessionHost * self, const gchar * session_id,
      guint mline, const gchar * candidate, gchar ** ignored,
      GError ** error);
  gboolean (*close) (RwSessionHost * self, const gchar * session_id,
      const gchar * reason);
  gboolean (*add_status) (RwSessionHost * self, JsonBuilder * builder,
      RwStatusDetail detail);
  void (*snapshot_async) (RwSessionHost * self, GCancellable * cancellable,
      GAsyncReadyCallback callback, gpointer user_data);
  GBytes *(*snapshot_finish) (RwSessionHost * self, GAsyncResult * result,
      GError ** error);
};

void rw_session_host_open_async (RwSessionHost * self,
    const gchar * session_id, const gchar * offer,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data);
gchar *rw_session_host_open_finish (RwSessionHost * self,
    GAsyncResult * result, GError ** error);
gboolean rw_session_host_add_candidate (RwSessionHost * self,
    const gchar * session_id, guint mline, const gchar * candidate,
    gchar ** ignored, GError ** error);
gboolean rw_session_host_close (RwSessionHost * self,
    const gchar * session_id, const gchar * reason);
gboolean rw_session_host_add_status (RwSessionHost * self,
    JsonBuilder * builder, RwStatusDetail detail);
void rw_session_host_snapshot_async (RwSessionHost * self,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data);
GBytes *rw_session_host_snapshot_finish (RwSessionHost * self,
    GAsyncResult * result, GError ** error);
void rw_session_host_session_closed (RwSessionHost * self,
    const gchar * session_id, const gchar * reason);

G_END_DECLS

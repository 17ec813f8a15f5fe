/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-session-host
 * @title: RwSessionHost
 * @short_description: the seam between the HTTP front door and the media
 *
 * A session host serves viewer sessions: it answers an offer (or says why
 * not, with an %RW_ERROR code the front door turns into a status), takes
 * trickled candidates, closes sessions, describes itself for `/status`, and
 * may give a JPEG of its video.
 * It owns each session's whole life, from the offer to its removal, and
 * tells the front door when one ended (#RwSessionHost::session-closed), for
 * whatever reason: a hang-up, a failure, silence, or the pipeline stopping.
 *
 * The front door mints the session ids and keeps no media state; the host
 * never calls the front door. Like gst-rtsp-server's media, which its
 * clients call and which never calls them back but through signals.
 *
 * Every call is made, and every signal emitted, on the host's main context.
 */

#include "rw-session-host.h"
#include "rw-error.h"

G_DEFINE_INTERFACE (RwSessionHost, rw_session_host, G_TYPE_OBJECT);

enum
{
  SIGNAL_SESSION_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
rw_session_host_default_init (RwSessionHostInterface * iface)
{
  /**
   * RwSessionHost::session-closed:
   * @host: the host
   * @session_id: the session that ended
   * @reason: why, for the log
   *
   * A session ended and its id is unknown to the host from now on.
   */
  signals[SIGNAL_SESSION_CLOSED] = g_signal_new ("session-closed",
      G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

/**
 * rw_session_host_open_async:
 * @self: a host
 * @session_id: the id the front door gave the session
 * @offer: the viewer's SDP offer, as received
 * @cancellable: (nullable): cancels the answer (the client went away);
 *   the host then closes the session
 * @callback: called on the host's context with the result
 * @user_data: for @callback
 *
 * Starts a session: checks the offer, joins a viewer to the media and
 * answers. On failure the host has already forgotten the session.
 */
void
rw_session_host_open_async (RwSessionHost * self, const gchar * session_id,
    const gchar * offer, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (RW_IS_SESSION_HOST (self));
  g_return_if_fail (session_id != NULL && offer != NULL);

  RW_SESSION_HOST_GET_IFACE (self)->open_async (self, session_id, offer,
      cancellable, callback, user_data);
}

/**
 * rw_session_host_open_finish:
 * @self: a host
 * @result: the result given to the callback
 * @error: why no session was opened, as an %RW_ERROR code: a bad offer
 *   (%RW_ERROR_BAD_REQUEST), nothing we send in it (%RW_ERROR_UNSUPPORTED),
 *   no room (%RW_ERROR_FULL), no media yet (%RW_ERROR_UNAVAILABLE), …
 *
 * Returns: (transfer full) (nullable): the answer's SDP text.
 */
gchar *
rw_session_host_open_finish (RwSessionHost * self, GAsyncResult * result,
    GError ** error)
{
  g_return_val_if_fail (RW_IS_SESSION_HOST (self), NULL);

  return RW_SESSION_HOST_GET_IFACE (self)->open_finish (self, result, error);
}

/**
 * rw_session_host_add_candidate:
 * @self: a host
 * @session_id: a session of the host
 * @mline: the candidate's m-line index
 * @candidate: (nullable): a candidate line; %NULL or "" for end of
 *   candidates
 * @ignored: (out) (transfer full) (optional): why the candidate was skipped
 *   on purpose, or %NULL when it is used
 * @error: an unknown session (%RW_ERROR_NOT_FOUND) or a line that does not
 *   parse (%RW_ERROR_BAD_REQUEST)
 *
 * Returns: %FALSE with @error set on failure.
 */
gboolean
rw_session_host_add_candidate (RwSessionHost * self, const gchar * session_id,
    guint mline, const gchar * candidate, gchar ** ignored, GError ** error)
{
  g_return_val_if_fail (RW_IS_SESSION_HOST (self), FALSE);
  g_return_val_if_fail (session_id != NULL, FALSE);

  if (ignored)
    *ignored = NULL;
  return RW_SESSION_HOST_GET_IFACE (self)->add_candidate (self, session_id,
      mline, candidate, ignored, error);
}

/**
 * rw_session_host_close:
 * @self: a host
 * @session_id: a session of the host
 * @reason: why, for the log
 *
 * Ends a session at once; #RwSessionHost::session-closed follows.
 *
 * Returns: %FALSE if the host has no such session.
 */
gboolean
rw_session_host_close (RwSessionHost * self, const gchar * session_id,
    const gchar * reason)
{
  g_return_val_if_fail (RW_IS_SESSION_HOST (self), FALSE);
  g_return_val_if_fail (session_id != NULL, FALSE);

  return RW_SESSION_HOST_GET_IFACE (self)->close (self, session_id, reason);
}

/**
 * rw_session_host_add_status:
 * @self: a host
 * @builder: a builder inside an object
 * @detail: how much to say
 *
 * Adds the host's members to a status object.
 *
 * Returns: %FALSE when the host cannot serve now (its media is stopped or
 * restarting).
 */
gboolean
rw_session_host_add_status (RwSessionHost * self, JsonBuilder * builder,
    RwStatusDetail detail)
{
  g_return_val_if_fail (RW_IS_SESSION_HOST (self), FALSE);

  return RW_SESSION_HOST_GET_IFACE (self)->add_status (self, builder, detail);
}

/**
 * rw_session_host_snapshot_async:
 * @self: a host
 * @cancellable: (nullable): cancels the wait
 * @callback: called on the caller's context with the result
 * @user_data: for @callback
 *
 * Asks for a JPEG of the host's newest video frame. A host without
 * snapshots fails with %RW_ERROR_NOT_FOUND.
 */
void
rw_session_host_snapshot_async (RwSessionHost * self,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  RwSessionHostInterface *iface;

  g_return_if_fail (RW_IS_SESSION_HOST (self));

  iface = RW_SESSION_HOST_GET_IFACE (self);
  if (iface->snapshot_async == NULL) {
    g_task_report_new_error (self, callback, user_data,
        rw_session_host_snapshot_async, RW_ERROR, RW_ERROR_NOT_FOUND,
        "this stream gives no snapshots");
    return;
  }
  iface->snapshot_async (self, cancellable, callback, user_data);
}

/**
 * rw_session_host_snapshot_finish:
 * @self: a host
 * @result: the result given to the callback
 * @error: why there is no JPEG: %RW_ERROR_UNAVAILABLE (no frame yet),
 *   %RW_ERROR_NOT_FOUND (no snapshots here), %RW_ERROR_PIPELINE
 *
 * Returns: (transfer full) (nullable): the JPEG's bytes.
 */
GBytes *
rw_session_host_snapshot_finish (RwSessionHost * self, GAsyncResult * result,
    GError ** error)
{
  g_return_val_if_fail (RW_IS_SESSION_HOST (self), NULL);

  if (g_async_result_is_tagged (result, rw_session_host_snapshot_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return RW_SESSION_HOST_GET_IFACE (self)->snapshot_finish (self, result,
      error);
}

/**
 * rw_session_host_session_closed:
 * @self: a host
 * @session_id: the session that ended
 * @reason: why
 *
 * For implementations: emits #RwSessionHost::session-closed.
 */
void
rw_session_host_session_closed (RwSessionHost * self,
    const gchar * session_id, const gchar * reason)
{
  g_signal_emit (self, signals[SIGNAL_SESSION_CLOSED], 0, session_id, reason);
}

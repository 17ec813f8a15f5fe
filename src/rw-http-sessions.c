/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-http-sessions
 * @title: RwHttpSessions
 * @short_description: the HTTP front door's session table
 *
 * Every session the HTTP server opened, whatever the protocol (the JSON
 * API's `POST /offer`, WHEP): its id (minted here), its host and stream,
 * its token owner and its end, and the offer while its host answers it.
 * A session is forgotten when its host says it closed (session-closed),
 * when its open failed, or when its stream is unmounted.
 *
 * While a host answers, the request is paused; the client going away
 * (libsoup 3.2 says nothing for a paused message, so its socket is
 * watched), the stream's unmounting or the server's stop cancel the
 * host's open.
 *
 * With tokens, a session ends with its booking: at its token's
 * `session_exp` (or `exp`) plus `[auth] session-grace`, a timer closes it;
 * a revoked owner's sessions end at once (rw_http_sessions_end_of()); a
 * token's `max_sessions` bounds its owner's sessions (409).
 *
 * Everything runs on the server's main context.
 */

#include "rw-http-sessions.h"
#include "rw-error.h"
#include "rw-http-limits.h"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (rw_http_sessions_debug);
#define GST_CAT_DEFAULT rw_http_sessions_debug

/* Why the server ends a session (the host's close reason, and the error of
 * an offer that was being answered); each holds a marker of rw-auth.h. */
#define REASON_EXPIRED "the token expired (" RW_AUTH_BOOKING_OVER ")"
#define REASON_REVOKED RW_AUTH_REVOKED

/* The longest wait of a session's end timer: the time left is then
 * computed again from the wall clock, which may have been set meanwhile. */
#define END_TIMER_MAX_MS (60 * 1000)

struct _RwHttpSessions
{
  RwHttpServer *server;         /* unowned: it owns the table */
  GMainContext *context;
  const RwConfig *config;       /* the server's */
  RwAuthRevocations *revocations;       /* the server's */
  GHashTable *sessions;         /* id -> Session */
  GList *pending;               /* PendingOffer, answers not sent yet */
};

/* A session: opened, or being answered. */
typedef struct
{
  RwHttpSessions *table;        /* unowned: it forgets its sessions first */
  gchar *id;
  RwSessionHost *host;
  gchar *stream;
  gchar *owner;                 /* the token's, with tokens only */
  gpointer data;                /* the protocol's (WHEP), or NULL */
  GDestroyNotify free_data;
  gint64 ends;                  /* with tokens: µs since the epoch */
  GSource *end_timer;
  const gchar *ended;           /* why the server ended it, or NULL */
} Session;

typedef struct
{
  RwHttpSessions *table;
  SoupServerMessage *msg;
  gchar *peer_id;
  GCancellable *cancellable;
  gboolean gone;
  gint64 started;
  GSource *watch;               /* the client's socket, until the answer */
  RwHttpOpenedFunc opened;      /* replies to msg */
} PendingOffer;

static void
destroy_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

static void
session_free (Session * session)
{
  destroy_source (&session->end_timer);
  g_free (session->id);
  g_object_unref (session->host);
  g_free (session->stream);
  g_free (session->owner);
  if (session->free_data)
    session->free_data (session->data);
  g_free (session);
}

/**
 * rw_http_sessions_new:
 * @server: the server that owns the table
 * @context: the server's context
 * @config: (transfer none): the server's settings; outlive the table
 * @revocations: (transfer none): the server's revocation list; outlives
 *   the table
 *
 * Returns: (transfer full): an empty table.
 */
RwHttpSessions *
rw_http_sessions_new (RwHttpServer * server, GMainContext * context,
    const RwConfig * config, RwAuthRevocations * revocations)
{
  RwHttpSessions *self = g_new0 (RwHttpSessions, 1);

  GST_DEBUG_CATEGORY_INIT (rw_http_sessions_debug, "rw-http-sessions", 0,
      "robot-webrtc HTTP sessions");
  self->server = server;
  self->context = g_main_context_ref (context);
  self->config = config;
  self->revocations = revocations;
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) session_free);
  return self;
}

/**
 * rw_http_sessions_free:
 * @self: a table whose offers were answered (or cancelled and answered)
 */
void
rw_http_sessions_free (RwHttpSessions * self)
{
  g_warn_if_fail (self->pending == NULL);
  g_hash_table_unref (self->sessions);
  g_main_context_unref (self->context);
  g_free (self);
}

/* --- offers being answered --- */

static void
pending_offer_free (PendingOffer * pending)
{
  g_signal_handlers_disconnect_by_data (pending->msg, pending);
  destroy_source (&pending->watch);
  g_object_unref (pending->msg);
  g_object_unref (pending->cancellable);
  g_free (pending->peer_id);
  g_object_unref (pending->table->server);
  g_free (pending);
}

static void
on_client_gone (SoupServerMessage * msg, gpointer user_data)
{
  PendingOffer *pending = user_data;

  GST_INFO ("viewer %s: the client went away before the answer",
      pending->peer_id);
  pending->gone = TRUE;
  g_cancellable_cancel (pending->cancellable);
}

/* libsoup 3.2 reads nothing from a paused message's connection, so it does
 * not see the client close it ("disconnected" does not come): peek at the
 * socket until the answer. */
static gboolean
on_client_readable (GSocket * socket, GIOCondition condition,
    gpointer user_data)
{
  PendingOffer *pending = user_data;
  gint flags = G_SOCKET_MSG_PEEK;
  g_autoptr (GError) error = NULL;
  gchar byte;
  GInputVector vector = { &byte, 1 };
  gssize n;

  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags,
      NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&pending->watch, g_source_unref);
  if (n <= 0)
    on_client_gone (pending->msg, pending);
  /* more from the client (pipelining, a TLS alert): stop watching */
  return G_SOURCE_REMOVE;
}

static PendingOffer *
find_pending (RwHttpSessions * self, const gchar * peer_id)
{
  for (GList * l = self->pending; l; l = l->next) {
    PendingOffer *pending = l->data;

    if (g_str_equal (pending->peer_id, peer_id))
      return pending;
  }
  return NULL;
}

/* --- bookings: when sessions end, revocation, max_sessions --- */

/* RFC 6750 §3: the challenge of a 401 for a token that was sent. */
static void
set_token_challenge (SoupServerMessage * msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "WWW-Authenticate",
      "Bearer realm=\"" RW_HTTP_REALM "\", error=\"invalid_token\"");
}

/* Ends a session on the server's behalf. An answered one is closed on its
 * host, which says so (session-closed), and it is forgotten then; one
 * still being answered is cancelled, and its offer refused with @reason
 * (refuse_if_ended ()). @id must not be the session's own string. */
static void
end_session (RwHttpSessions * self, const gchar * id, const gchar * reason)
{
  Session *session = g_hash_table_lookup (self->sessions, id);
  PendingOffer *pending;

  if (session == NULL)
    return;
  session->ended = reason;
  pending = find_pending (self, id);
  if (pending) {
    g_cancellable_cancel (pending->cancellable);
    return;
  }
  if (!rw_session_host_close (session->host, id, reason))
    g_hash_table_remove (self->sessions, id);
}

static gboolean on_session_end (gpointer user_data);

/* One timer per session: a session is forgotten in one place
 * (session_free ()), which removes its timer with it, and the main context
 * holds a few sources more with max-viewers sessions at most. */
static void
arm_end_timer (Session * session)
{
  gint64 left_ms = (session->ends - g_get_real_time () + 999) / 1000;
  GSource *source = g_timeout_source_new (CLAMP (left_ms, 0,
          END_TIMER_MAX_MS));

  g_source_set_callback (source, on_session_end, session, NULL);
  g_source_set_static_name (source, "rw-http-session-end");
  g_source_attach (source, session->table->context);
  session->end_timer = source;
}

static gboolean
on_session_end (gpointer user_data)
{
  Session *session = user_data;
  g_autofree gchar *id = g_strdup (session->id);
  gint64 late = g_get_real_time () - session->ends;

  g_clear_pointer (&session->end_timer, g_source_unref);
  if (late < 0) {
    arm_end_timer (session);
    return G_SOURCE_REMOVE;
  }
  g_message ("viewer %s: the token of %s expired (%s), %" G_GINT64_FORMAT
      " ms ago: closing its session", id, session->owner,
      RW_AUTH_BOOKING_OVER, late / 1000);
  end_session (session->table, id, REASON_EXPIRED);
  return G_SOURCE_REMOVE;
}

/* Whether the token may open one more session: its session time is not
 * over, it was not revoked since its headers were checked (401, with the
 * challenge set on @msg), and its owner has fewer than max_sessions
 * (409). */
static gboolean
admit_session (RwHttpSessions * self, SoupServerMessage * msg,
    const RwAuthClaims * claims, gint64 ends, GError ** error)
{
  gint64 now = g_get_real_time ();
  GHashTableIter iter;
  Session *session;
  guint open = 0;

  if (now >= ends) {
    g_set_error (error, RW_ERROR, RW_ERROR_UNAUTHORIZED, "the token's "
        "session time ended %" G_GINT64_FORMAT " s ago: "
        RW_AUTH_BOOKING_OVER, (now - ends) / G_USEC_PER_SEC);
    set_token_challenge (msg);
    return FALSE;
  }
  if (!rw_auth_revocations_check (self->revocations, claims, error)) {
    set_token_challenge (msg);
    return FALSE;
  }
  if (claims->max_sessions < 0)
    return TRUE;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & session)) {
    if (g_strcmp0 (session->owner, claims->owner) == 0 &&
        session->ended == NULL)
      open++;
  }
  if (open < claims->max_sessions)
    return TRUE;
  g_set_error (error, RW_ERROR, RW_ERROR_CONFLICT, "the token's owner "
      "already has %u session%s open, its max_sessions; close one first",
      open, open == 1 ? "" : "s");
  return FALSE;
}

static void
log_owner (const gchar * peer_id, const RwAuthClaims * claims)
{
  gint64 left = claims->expires - g_get_real_time () / G_USEC_PER_SEC;

  if (claims->max_viewers >= 0)
    g_message ("viewer %s: token of %s (max_viewers %" G_GINT64_FORMAT
        "), expires in %" G_GINT64_FORMAT " s", peer_id, claims->owner,
        claims->max_viewers, left);
  else
    g_message ("viewer %s: token of %s, expires in %" G_GINT64_FORMAT " s",
        peer_id, claims->owner, left);
}

/* Registers a new session in the table. With tokens, the session
 * remembers its owner and its end: the token's `session_exp` (or `exp`)
 * plus `[auth] session-grace`, when a timer closes it (reason
 * %REASON_EXPIRED); it is refused with 401 when that time is over or the
 * token was revoked, and with 409 when the owner already has the token's
 * `max_sessions` (%RW_ERROR_UNAUTHORIZED, with the challenge header set on
 * @msg, and %RW_ERROR_CONFLICT). Returns the session (in the table), or
 * NULL with @error set. */
static Session *
register_session (RwHttpSessions * self, SoupServerMessage * msg,
    const RwAuthClaims * claims, RwSessionHost * host, const gchar * stream,
    const gchar * peer_id, GError ** error)
{
  gint64 ends = 0;
  Session *session;

  if (claims) {
    ends = (claims->session_expires + self->config->auth_session_grace) *
        G_USEC_PER_SEC;
    if (!admit_session (self, msg, claims, ends, error))
      return NULL;
  }

  session = g_new0 (Session, 1);
  session->table = self;
  session->id = g_strdup (peer_id);
  session->host = g_object_ref (host);
  session->stream = g_strdup (stream);
  if (claims) {
    session->owner = g_strdup (claims->owner);
    session->ends = ends;
    arm_end_timer (session);
    log_owner (peer_id, claims);
    GST_INFO ("viewer %s: its session ends in %" G_GINT64_FORMAT " s", peer_id,
        (ends - g_get_real_time ()) / G_USEC_PER_SEC);
  }
  g_hash_table_insert (self->sessions, g_strdup (peer_id), session);
  return session;
}

/* An offer whose session ended while it was answered (its time ran out, or
 * its owner was revoked): its answer, if any, is closed at once, and
 * @error says why (401). */
static void
refuse_if_ended (RwHttpSessions * self, PendingOffer * pending,
    RwSessionHost * host, gchar ** answer, GError ** error)
{
  Session *session = g_hash_table_lookup (self->sessions, pending->peer_id);
  const gchar *reason;

  if (session == NULL || session->ended == NULL)
    return;
  reason = session->ended;
  GST_INFO ("viewer %s: %s while it was answered", pending->peer_id, reason);
  if (*answer)
    rw_session_host_close (host, pending->peer_id, reason);
  g_clear_pointer (answer, g_free);
  g_clear_error (error);
  g_set_error_literal (error, RW_ERROR, RW_ERROR_UNAUTHORIZED, reason);
  set_token_challenge (pending->msg);
}

/**
 * rw_http_sessions_end_of:
 * @self: a table
 * @subject: a token's `sub`, revoked
 *
 * Ends every session of @subject at once (those being answered are
 * refused with 401).
 *
 * Returns: how many.
 */
guint
rw_http_sessions_end_of (RwHttpSessions * self, const gchar * subject)
{
  g_autofree gchar *owner = g_strconcat ("sub:", subject, NULL);
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  const gchar *id;
  Session *session;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, (gpointer *) & id,
          (gpointer *) & session)) {
    if (g_strcmp0 (session->owner, owner) == 0 && session->ended == NULL)
      g_ptr_array_add (ids, g_strdup (id));
  }
  for (guint i = 0; i < ids->len; i++)
    end_session (self, g_ptr_array_index (ids, i), REASON_REVOKED);
  return ids->len;
}

/* --- opening --- */

static void
on_opened (GObject * source, GAsyncResult * result, gpointer user_data)
{
  PendingOffer *pending = user_data;
  RwHttpSessions *self = pending->table;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;

  answer = rw_session_host_open_finish (RW_SESSION_HOST (source), result,
      &error);
  self->pending = g_list_remove (self->pending, pending);

  /* the stream was unmounted meanwhile: nobody would know the session */
  if (!g_hash_table_contains (self->sessions, pending->peer_id)) {
    if (answer)
      rw_session_host_close (RW_SESSION_HOST (source), pending->peer_id,
          "its stream was removed");
    g_clear_pointer (&answer, g_free);
    g_clear_error (&error);
    g_set_error (&error, RW_ERROR, RW_ERROR_UNAVAILABLE,
        "the stream was removed");
  }
  refuse_if_ended (self, pending, RW_SESSION_HOST (source), &answer, &error);
  if (answer == NULL) {
    g_hash_table_remove (self->sessions, pending->peer_id);
    if (!pending->gone)
      pending->opened (self->server, pending->msg, pending->peer_id, NULL,
          error);
  } else {
    GST_INFO ("viewer %s answered in %" G_GINT64_FORMAT " ms",
        pending->peer_id, (g_get_monotonic_time () - pending->started) / 1000);
    pending->opened (self->server, pending->msg, pending->peer_id, answer,
        NULL);
  }

  if (!pending->gone)
    soup_server_message_unpause (pending->msg);
  pending_offer_free (pending);
}

/**
 * rw_http_sessions_open:
 * @self: a table
 * @msg: the request whose offer opens the session; paused until @opened
 *   has replied to it
 * @claims: (nullable): the request's token, with tokens
 * @host: the stream's host
 * @stream: the stream's name
 * @offer: the offer's SDP text
 * @opened: replies to @msg once the host answered or failed
 * @data: (nullable) (transfer full): the protocol's data for the session
 * @free_data: (nullable): frees @data once the session is forgotten
 * @error: %RW_ERROR_FULL (max-viewers sessions are open, of every stream
 *   and protocol), %RW_ERROR_UNAUTHORIZED or %RW_ERROR_CONFLICT (see
 *   register_session ())
 *
 * Mints the session's id, registers it, and asks @host to answer, the
 * request paused meanwhile.
 *
 * Returns: %TRUE if the host was asked; @msg is then replied to by
 * @opened, else by the caller.
 */
gboolean
rw_http_sessions_open (RwHttpSessions * self, SoupServerMessage * msg,
    const RwAuthClaims * claims, RwSessionHost * host, const gchar * stream,
    const gchar * offer, RwHttpOpenedFunc opened, gpointer data,
    GDestroyNotify free_data, GError ** error)
{
  g_autofree gchar *peer_id = NULL;
  PendingOffer *pending;
  Session *session = NULL;

  if (g_hash_table_size (self->sessions) >= self->config->max_viewers)
    g_set_error (error, RW_ERROR, RW_ERROR_FULL, "already serving "
        "%u viewers (max-viewers)", self->config->max_viewers);
  else
    session = register_session (self, msg, claims, host, stream,
        (peer_id = g_uuid_string_random ()), error);
  if (session == NULL) {
    if (free_data)
      free_data (data);
    return FALSE;
  }
  session->data = data;
  session->free_data = free_data;

  pending = g_new0 (PendingOffer, 1);
  pending->table = self;
  g_object_ref (self->server);
  pending->msg = g_object_ref (msg);
  pending->peer_id = g_steal_pointer (&peer_id);
  pending->cancellable = g_cancellable_new ();
  pending->started = g_get_monotonic_time ();
  pending->opened = opened;
  self->pending = g_list_prepend (self->pending, pending);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_client_gone), pending);
  if (rw_http_limits_get_message_socket (msg)) {
    pending->watch =
        g_socket_create_source (rw_http_limits_get_message_socket (msg),
        G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback (pending->watch, G_SOURCE_FUNC (on_client_readable),
        pending, NULL);
    g_source_set_static_name (pending->watch, "rw-http-offer-client");
    g_source_attach (pending->watch, self->context);
  }

  soup_server_message_pause (msg);
  rw_session_host_open_async (host, pending->peer_id, offer,
      pending->cancellable, on_opened, pending);
  return TRUE;
}

/* --- sessions --- */

/**
 * rw_http_sessions_find:
 * @self: a table
 * @msg: a request that acts on the session
 * @claims: (nullable): the request's token
 * @check_owner: whether tokens are required: only a session's owner may
 *   act on it
 * @session_id: the session's id
 *
 * Replies 404 or 403 when @msg may not act on the session.
 *
 * Returns: (transfer none) (nullable): the session's host, or %NULL when
 * @msg was replied to.
 */
RwSessionHost *
rw_http_sessions_find (RwHttpSessions * self, SoupServerMessage * msg,
    const RwAuthClaims * claims, gboolean check_owner, const gchar * session_id)
{
  Session *session = g_hash_table_lookup (self->sessions, session_id);

  if (session == NULL) {
    rw_http_server_reply_error (msg, SOUP_STATUS_NOT_FOUND,
        "no session with peer_id '%s'", session_id);
    return NULL;
  }
  if (!check_owner || session->owner == NULL ||
      (claims && g_str_equal (session->owner, claims->owner)))
    return session->host;
  rw_http_server_reply_error (msg, SOUP_STATUS_FORBIDDEN, "session %s "
      "belongs to another viewer", session_id);
  return NULL;
}

/**
 * rw_http_sessions_get_data:
 * @self: a table
 * @session_id: a session's id
 * @free_data: the protocol's free function, which tells its sessions
 *
 * Returns: (transfer none) (nullable): the data of the session, if it is
 * known and was opened with @free_data.
 */
gpointer
rw_http_sessions_get_data (RwHttpSessions * self, const gchar * session_id,
    GDestroyNotify free_data)
{
  Session *session = g_hash_table_lookup (self->sessions, session_id);

  if (session == NULL || session->free_data != free_data)
    return NULL;
  return session->data;
}

/**
 * rw_http_sessions_count:
 * @self: a table
 *
 * Returns: the sessions, answered or being answered.
 */
guint
rw_http_sessions_count (RwHttpSessions * self)
{
  return g_hash_table_size (self->sessions);
}

/**
 * rw_http_sessions_closed:
 * @self: a table
 * @session_id: a session its host says closed
 */
void
rw_http_sessions_closed (RwHttpSessions * self, const gchar * session_id)
{
  g_hash_table_remove (self->sessions, session_id);
}

/**
 * rw_http_sessions_forget_host:
 * @self: a table
 * @host: an unmounted stream's host
 *
 * Cancels the host's offers being answered and forgets its sessions (the
 * caller closes them on the host).
 */
void
rw_http_sessions_forget_host (RwHttpSessions * self, RwSessionHost * host)
{
  GHashTableIter iter;
  Session *session;

  for (GList * l = self->pending; l; l = l->next) {
    PendingOffer *pending = l->data;
    Session *opening = g_hash_table_lookup (self->sessions, pending->peer_id);

    if (opening && opening->host == host)
      g_cancellable_cancel (pending->cancellable);
  }

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & session)) {
    if (session->host == host)
      g_hash_table_iter_remove (&iter);
  }
}

/**
 * rw_http_sessions_cancel:
 * @self: a table
 *
 * Cancels every offer being answered (the server stops).
 */
void
rw_http_sessions_cancel (RwHttpSessions * self)
{
  for (GList * l = self->pending; l; l = l->next) {
    PendingOffer *pending = l->data;

    g_cancellable_cancel (pending->cancellable);
  }
}

/**
 * rw_http_sessions_clear:
 * @self: a table
 *
 * Forgets every session.
 */
void
rw_http_sessions_clear (RwHttpSessions * self)
{
  g_hash_table_remove_all (self->sessions);
}

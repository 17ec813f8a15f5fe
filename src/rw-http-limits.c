/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-http-limits
 * @title: RwHttpLimits
 * @short_description: a SoupServer's connections, bounded in number and
 *   in time
 *
 * libsoup 3.2 puts no bound on a server connection: one that sends
 * nothing, or a byte now and then, holds its fd for ever, and nothing
 * limits how many there are. #RwHttpLimits is given each connection as it
 * is accepted (rw_http_limits_add_connection(), by #RwHttpListener),
 * watches its request through the #SoupServer's signals once libsoup
 * reads it, and bounds each of them:
 *
 * - the socket times out after `idle-timeout` seconds without I/O
 *   (g_socket_set_timeout(): libsoup's next read or write then fails with
 *   %G_IO_ERROR_TIMED_OUT and it closes the connection);
 * - a request must be read whole, headers and body, within
 *   `request-timeout` seconds of its connection's accept (the TLS
 *   handshake and the method check included), or the socket is shut down,
 *   which makes libsoup (or the listener) read EOF and close it: this cuts
 *   a client that sends a byte every few seconds;
 * - at most `max-connections` are open: a new one beyond that shuts down
 *   the oldest connection still sending its request, or is shut down
 *   itself when every open one is being served;
 * - every connection closes after its response (`Connection: close`).
 *
 * libsoup reads the body even of a request an early handler refused (gave
 * a status), so that body is not kept, and once more than 1 MiB of it came
 * the connection is closed. libsoup itself refuses request headers larger
 * than 64 KiB.
 *
 * What the limits cut is logged in one line a minute at most; each
 * connection is logged at DEBUG (`GST_DEBUG=rw-http-limits:5`).
 */

#include "rw-http-limits.h"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (rw_http_limits_debug);
#define GST_CAT_DEFAULT rw_http_limits_debug

#define SOCKET_KEY "rw-socket"
/* the socket of a connection we accepted, on its client address */
#define REMOTE_SOCKET_KEY "rw-remote-socket"

/* The body of a refused request is read and dropped up to this size; a
 * larger one closes the connection. */
#define MAX_DISCARD (1024 * 1024)
/* What the connection limits cut is logged once per interval at most. */
#define ABUSE_SUMMARY_INTERVAL 60       /* s */

/* Everything here runs on the server's main context. */
struct _RwHttpLimits
{
  GObject parent;

  SoupServer *server;
  gulong request_started_id;
  GMainContext *context;        /* the server's, for the timers */
  guint request_timeout;        /* s to send headers and body */
  guint idle_timeout;           /* s without I/O */
  guint max_connections;
  GHashTable *connections;      /* GSocket (weak) -> Connection */
  guint n_open;                 /* connections not being closed by us */
  GSource *abuse_summary;       /* pending summary of what was cut */
  guint n_slow;                 /* counts for that summary */
  guint n_over_limit;
  guint n_discard_cut;
};

G_DEFINE_FINAL_TYPE (RwHttpLimits, rw_http_limits, G_TYPE_OBJECT);

/* Each accepted socket gets a record, from its accept until the
 * connection is closed ("disconnected") or its GSocket is freed. */
typedef struct
{
  RwHttpLimits *self;
  GSocket *socket;              /* weak */
  gint64 accepted;              /* monotonic time, µs */
  GSource *deadline;            /* while a request is being read */
  guint64 discarded;            /* body bytes of a refused request */
  gboolean closing;             /* shut down by us */
} Connection;

static void
connection_close (Connection * conn, const gchar * why)
{
  RwHttpLimits *self = conn->self;

  if (conn->closing)
    return;
  conn->closing = TRUE;
  self->n_open--;
  if (conn->deadline) {
    g_source_destroy (conn->deadline);
    g_clear_pointer (&conn->deadline, g_source_unref);
  }
  GST_DEBUG ("closing the connection on fd %d after %" G_GINT64_FORMAT
      " ms: %s", g_socket_get_fd (conn->socket),
      (g_get_monotonic_time () - conn->accepted) / 1000, why);
  if (!g_socket_is_closed (conn->socket))
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
}

static void
connection_free (Connection * conn)
{
  if (conn->deadline) {
    g_source_destroy (conn->deadline);
    g_source_unref (conn->deadline);
  }
  g_free (conn);
}

static void
connection_forget (Connection * conn)
{
  RwHttpLimits *self = conn->self;

  if (!conn->closing)
    self->n_open--;
  g_hash_table_remove (self->connections, conn->socket);
  connection_free (conn);
}

static void
on_socket_gone (gpointer data, GObject * where_the_socket_was)
{
  connection_forget (data);
}

static void
on_disconnected (SoupServerMessage * msg, gpointer user_data)
{
  RwHttpLimits *self = user_data;
  GSocket *socket = g_object_get_data (G_OBJECT (msg), SOCKET_KEY);
  Connection *conn = g_hash_table_lookup (self->connections, socket);

  if (conn == NULL)
    return;
  GST_LOG ("connection on fd %d closed after %" G_GINT64_FORMAT " ms",
      g_socket_get_fd (socket), (g_get_monotonic_time () - conn->accepted)
      / 1000);
  g_object_weak_unref (G_OBJECT (socket), on_socket_gone, conn);
  connection_forget (conn);
}

static Connection *
connection_for_message (RwHttpLimits * self, SoupServerMessage * msg)
{
  GSocket *socket = g_object_get_data (G_OBJECT (msg), SOCKET_KEY);

  return socket ? g_hash_table_lookup (self->connections, socket) : NULL;
}

/* One line a minute at most says what the limits cut; each connection is
 * logged at DEBUG only. */
static gboolean
log_abuse_summary (gpointer user_data)
{
  RwHttpLimits *self = user_data;

  g_message ("HTTP limits, last %u s: %u requests not sent within %u s, "
      "%u connections closed at the limit of %u, %u refused bodies cut",
      ABUSE_SUMMARY_INTERVAL, self->n_slow, self->request_timeout,
      self->n_over_limit, self->max_connections, self->n_discard_cut);
  self->n_slow = self->n_over_limit = self->n_discard_cut = 0;
  g_clear_pointer (&self->abuse_summary, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
count_abuse (RwHttpLimits * self, guint * counter)
{
  (*counter)++;
  if (self->abuse_summary)
    return;
  self->abuse_summary = g_timeout_source_new_seconds (ABUSE_SUMMARY_INTERVAL);
  g_source_set_callback (self->abuse_summary, log_abuse_summary, self, NULL);
  g_source_set_static_name (self->abuse_summary, "rw-http-abuse-summary");
  g_source_attach (self->abuse_summary, self->context);
}

static gboolean
on_request_deadline (gpointer user_data)
{
  Connection *conn = user_data;
  RwHttpLimits *self = conn->self;

  g_clear_pointer (&conn->deadline, g_source_unref);
  count_abuse (self, &self->n_slow);
  connection_close (conn, "the request was not sent in time");
  return G_SOURCE_REMOVE;
}

/* The oldest connection still sending its request. */
static Connection *
find_eviction_victim (RwHttpLimits * self)
{
  GHashTableIter iter;
  Connection *conn, *oldest = NULL;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & conn)) {
    if (!conn->closing && conn->deadline &&
        (oldest == NULL || conn->accepted < oldest->accepted))
      oldest = conn;
  }
  return oldest;
}

static void
start_deadline (RwHttpLimits * self, Connection * conn)
{
  conn->deadline = g_timeout_source_new (self->request_timeout * 1000);
  g_source_set_callback (conn->deadline, on_request_deadline, conn, NULL);
  g_source_set_static_name (conn->deadline, "rw-http-request-deadline");
  g_source_attach (conn->deadline, self->context);
}

static Connection *
connection_new (RwHttpLimits * self, GSocket * socket)
{
  Connection *conn = g_new0 (Connection, 1);

  if (self->n_open >= self->max_connections) {
    Connection *victim = find_eviction_victim (self);

    count_abuse (self, &self->n_over_limit);
    if (victim)
      connection_close (victim, "too many connections; this one is the "
          "oldest still sending its request");
  }

  conn->self = self;
  conn->socket = socket;
  conn->accepted = g_get_monotonic_time ();
  self->n_open++;
  g_socket_set_timeout (socket, self->idle_timeout);
  g_object_weak_ref (G_OBJECT (socket), on_socket_gone, conn);
  g_hash_table_insert (self->connections, socket, conn);
  GST_LOG ("new connection on fd %d, %u open", g_socket_get_fd (socket),
      self->n_open);
  start_deadline (self, conn);

  if (self->n_open > self->max_connections)
    connection_close (conn, "too many connections, all of them served");
  return conn;
}

/* A status set before the body is read: an early handler refused it. */
static void
on_got_headers (SoupServerMessage * msg, gpointer user_data)
{
  RwHttpLimits *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  Connection *conn;

  if (soup_server_message_get_status (msg) == 0)
    return;

  /* Refused: libsoup reads the body all the same, so don't keep it. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body
      (msg), FALSE);
  conn = connection_for_message (self, msg);
  if (conn && soup_message_headers_get_encoding (headers) ==
      SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > MAX_DISCARD) {
    count_abuse (self, &self->n_discard_cut);
    connection_close (conn, "refused request with a large body");
  }
}

static void
on_got_chunk (SoupServerMessage * msg, GBytes * chunk, gpointer user_data)
{
  RwHttpLimits *self = user_data;
  Connection *conn;

  if (soup_server_message_get_status (msg) == 0)
    return;
  conn = connection_for_message (self, msg);
  if (conn == NULL || conn->closing)
    return;
  conn->discarded += g_bytes_get_size (chunk);
  if (conn->discarded > MAX_DISCARD) {
    count_abuse (self, &self->n_discard_cut);
    connection_close (conn, "refused request with a large body");
  }
}

/* libsoup 3.2 never notices that a client closed an idle keep-alive
 * connection, nor that its socket timed out: that message has no
 * completion callback, so the connection is never closed, an fd lost for
 * good. Signaling is a few requests per viewer, so every connection closes
 * after its response. */
static void
close_after_response (SoupServerMessage * msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Connection", "close");
}

static void
on_got_body (SoupServerMessage * msg, gpointer user_data)
{
  Connection *conn = connection_for_message (user_data, msg);

  /* again: after a "100 Continue" libsoup cleared the response headers */
  close_after_response (msg);

  GST_LOG ("request read on fd %d", conn ? g_socket_get_fd (conn->socket) : -1);
  if (conn && conn->deadline) {
    g_source_destroy (conn->deadline);
    g_clear_pointer (&conn->deadline, g_source_unref);
  }
}

/* Emitted for each request, the first one as soon as libsoup has its
 * connection, before it reads anything. */
static void
on_request_started (SoupServer * server, SoupServerMessage * msg,
    gpointer user_data)
{
  RwHttpLimits *self = user_data;
  GSocket *socket = rw_http_limits_get_message_socket (msg);
  Connection *conn;

  close_after_response (msg);

  if (socket == NULL)
    return;
  conn = g_hash_table_lookup (self->connections, socket);
  if (conn == NULL)
    conn = connection_new (self, socket);
  /* libsoup forgets the socket before it says "disconnected" */
  g_object_set_data (G_OBJECT (msg), SOCKET_KEY, socket);
  g_signal_connect_object (msg, "disconnected", G_CALLBACK (on_disconnected),
      self, 0);
  if (conn->closing)
    return;

  conn->discarded = 0;
  if (conn->deadline == NULL)
    start_deadline (self, conn);
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (on_got_headers),
      self, 0);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (on_got_chunk),
      self, 0);
  g_signal_connect_object (msg, "got-body", G_CALLBACK (on_got_body), self, 0);
}

/* --- object --- */

static void
rw_http_limits_dispose (GObject * object)
{
  RwHttpLimits *self = RW_HTTP_LIMITS (object);
  GHashTableIter iter;
  gpointer socket;
  Connection *conn;

  if (self->server)
    g_clear_signal_handler (&self->request_started_id, self->server);
  g_clear_object (&self->server);

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &socket, (gpointer *) & conn)) {
    g_object_weak_unref (socket, on_socket_gone, conn);
    g_hash_table_iter_remove (&iter);
    connection_free (conn);
  }
  self->n_open = 0;
  if (self->abuse_summary) {
    g_source_destroy (self->abuse_summary);
    g_clear_pointer (&self->abuse_summary, g_source_unref);
  }

  G_OBJECT_CLASS (rw_http_limits_parent_class)->dispose (object);
}

static void
rw_http_limits_finalize (GObject * object)
{
  RwHttpLimits *self = RW_HTTP_LIMITS (object);

  g_hash_table_unref (self->connections);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (rw_http_limits_parent_class)->finalize (object);
}

static void
rw_http_limits_class_init (RwHttpLimitsClass * klass)
{
  G_OBJECT_CLASS (klass)->dispose = rw_http_limits_dispose;
  G_OBJECT_CLASS (klass)->finalize = rw_http_limits_finalize;

  GST_DEBUG_CATEGORY_INIT (rw_http_limits_debug, "rw-http-limits", 0,
      "robot-webrtc HTTP connection limits");
}

static void
rw_http_limits_init (RwHttpLimits * self)
{
  self->connections = g_hash_table_new (NULL, NULL);
}

/**
 * rw_http_limits_new:
 * @server: the server whose connections are bounded
 * @context: (nullable): the main context @server runs on; %NULL: the
 *   thread-default one
 * @request_timeout: seconds a client has to send a whole request
 * @idle_timeout: seconds without I/O before a connection is closed
 * @max_connections: the most connections open at once
 *
 * Bounds @server's connections from its next one on, until the returned
 * object is disposed: each connection from its accept, given with
 * rw_http_limits_add_connection(), or else from its first request.
 *
 * Returns: (transfer full): the limits, watching @server.
 */
RwHttpLimits *
rw_http_limits_new (SoupServer * server, GMainContext * context,
    guint request_timeout, guint idle_timeout, guint max_connections)
{
  RwHttpLimits *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);

  self = g_object_new (RW_TYPE_HTTP_LIMITS, NULL);
  self->server = g_object_ref (server);
  self->context = context ? g_main_context_ref (context) :
      g_main_context_ref_thread_default ();
  self->request_timeout = request_timeout;
  self->idle_timeout = idle_timeout;
  self->max_connections = max_connections;
  self->request_started_id = g_signal_connect (server, "request-started",
      G_CALLBACK (on_request_started), self);
  return self;
}

/**
 * rw_http_limits_update:
 * @self: the limits
 * @request_timeout: seconds a client has to send a whole request
 * @idle_timeout: seconds without I/O before a connection is closed
 * @max_connections: the most connections open at once
 *
 * Takes new values (on a reload): the timeouts apply to connections opened
 * from now on, the request timeout also to the next request of an open
 * one, and the cap to the next connection. (The listen backlog is the
 * listener's.)
 */
void
rw_http_limits_update (RwHttpLimits * self, guint request_timeout,
    guint idle_timeout, guint max_connections)
{
  g_return_if_fail (RW_IS_HTTP_LIMITS (self));

  self->request_timeout = request_timeout;
  self->idle_timeout = idle_timeout;
  self->max_connections = max_connections;
}

/**
 * rw_http_limits_add_connection:
 * @self: the limits
 * @socket: a connection just accepted
 * @remote: the client's address, the object given to
 *   soup_server_accept_iostream() with the connection
 *
 * Bounds @socket from now on: its idle timeout, its request's deadline
 * and `max-connections` (which may shut it down at once, or an older
 * one). libsoup knows no #GSocket for a connection it did not accept, so
 * @socket rides on @remote, which soup_server_message_get_remote_address()
 * returns: once libsoup serves the connection, its request is watched as
 * well (rw_http_limits_get_message_socket()).
 */
void
rw_http_limits_add_connection (RwHttpLimits * self, GSocket * socket,
    GSocketAddress * remote)
{
  g_return_if_fail (RW_IS_HTTP_LIMITS (self));
  g_return_if_fail (G_IS_SOCKET (socket));
  g_return_if_fail (G_IS_SOCKET_ADDRESS (remote));

  g_object_set_data_full (G_OBJECT (remote), REMOTE_SOCKET_KEY,
      g_object_ref (socket), g_object_unref);
  if (g_hash_table_lookup (self->connections, socket) == NULL)
    connection_new (self, socket);
}

/**
 * rw_http_limits_get_message_socket:
 * @msg: a request
 *
 * Returns: (transfer none) (nullable): the socket of @msg's connection,
 * whether libsoup accepted it or it was given to
 * rw_http_limits_add_connection(); %NULL for another connection given with
 * soup_server_accept_iostream().
 */
GSocket *
rw_http_limits_get_message_socket (SoupServerMessage * msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  GSocketAddress *remote;

  if (socket)
    return socket;
  remote = soup_server_message_get_remote_address (msg);
  return remote ? g_object_get_data (G_OBJECT (remote), REMOTE_SOCKET_KEY) :
      NULL;
}

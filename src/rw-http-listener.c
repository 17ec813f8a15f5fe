/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-http-listener
 * @title: RwHttpListener
 * @short_description: the HTTP port: accepts connections, checks each
 *   request's method, then hands the connection to libsoup
 *
 * libsoup 3.2 interns the method of every request line it parses
 * (soup_server_message_set_method() calls g_intern_string()), before any
 * handler runs, and interned strings are never freed: a client sending
 * requests with made-up methods, up to 64 KiB each, would grow the daemon
 * for good. So the listener accepts the connections itself, as
 * #SoupServer's own listener would (IPv4 and IPv6, TLS with the server's
 * certificate), and reads the start of the request: the method, up to the
 * first space or tab. A method the server implements (the list given at
 * creation) is handed to libsoup with the connection, through an
 * #RwReplayStream that reads the bytes already read again. Anything else
 * never reaches libsoup: a token that is not one of those methods (or is
 * longer than any of them) gets a `501 Not Implemented`, bytes that are
 * not a method at all a `400 Bad Request`, both with a JSON `{"error": …}`
 * body, and the connection is closed.
 *
 * Each connection is given to #RwHttpLimits as soon as it is accepted, so
 * its idle timeout, its request deadline and `max-connections` bound the
 * reading of the method too. libsoup knows no #GSocket for a connection it
 * did not accept (soup_server_message_get_socket() returns %NULL): the
 * socket rides on the client's address instead, which is the object
 * soup_server_message_get_remote_address() returns
 * (rw_http_limits_get_message_socket()).
 *
 * Every connection carries one request (`Connection: close`, see
 * #RwHttpLimits), so only its first request line is read here.
 *
 * Everything runs on the main context that was the thread-default one when
 * the listener was created: the server's.
 */

#include "rw-http-listener.h"
#include "rw-replay-stream.h"
#include "rw-signaling.h"

#include <errno.h>
#include <gio/gnetworking.h>
#include <gst/gst.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"

GST_DEBUG_CATEGORY_STATIC (rw_http_listener_debug);
#define GST_CAT_DEFAULT rw_http_listener_debug

/* Empty lines before the request line are skipped (RFC 9112 §2.2), a few
 * of them. */
#define MAX_EMPTY_LINE_BYTES 16
/* The most read before the method is known. */
#define MAX_HEAD (MAX_EMPTY_LINE_BYTES + 32)
/* After a refusal, what the client still sends is read and dropped for a
 * while, so that the kernel does not answer it with a reset that could
 * destroy the refusal before the client read it (a lingering close). */
#define LINGER_MS 2000
#define MAX_LINGER_BYTES (256 * 1024)
#define LINGER_BUFFER 4096
/* An accept that fails (out of fds) is tried again after this. */
#define ACCEPT_RETRY_MS 100
/* With port 0, the IPv6 side may find the IPv4 port taken. */
#define MAX_PORT_TRIES 8

typedef struct _Connection Connection;

struct _RwHttpListener
{
  GObject parent;

  SoupServer *server;
  RwHttpLimits *limits;
  GMainContext *context;
  gchar **methods;              /* served: the others get 501 */
  gsize max_method;             /* the longest of them */
  gchar *methods_text;          /* "GET, HEAD, …", for the errors */
  GTlsCertificate *certificate; /* NULL: plain HTTP */
  guint backlog;
  GPtrArray *listening;         /* Listening */
  GList *connections;           /* Connection, until handed to libsoup */
};

G_DEFINE_FINAL_TYPE (RwHttpListener, rw_http_listener, G_TYPE_OBJECT);

/* --- listening --- */

typedef struct
{
  RwHttpListener *self;
  GSocket *socket;
  GSource *source;              /* incoming connections, or the retry */
} Listening;

static void accept_connection (RwHttpListener * self, GSocket * socket);
static void watch_listening (Listening * listening);

static void
listening_free (Listening * listening)
{
  if (listening->source) {
    g_source_destroy (listening->source);
    g_source_unref (listening->source);
  }
  g_socket_close (listening->socket, NULL);
  g_object_unref (listening->socket);
  g_free (listening);
}

static gboolean
on_accept_retry (gpointer user_data)
{
  Listening *listening = user_data;

  g_clear_pointer (&listening->source, g_source_unref);
  watch_listening (listening);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocket * socket, GIOCondition condition, gpointer user_data)
{
  Listening *listening = user_data;
  g_autoptr (GError) error = NULL;
  GSocket *accepted = g_socket_accept (socket, NULL, &error);

  if (accepted) {
    accept_connection (listening->self, accepted);
    g_object_unref (accepted);
    return G_SOURCE_CONTINUE;
  }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;

  /* out of fds, most likely: the socket stays readable, so wait a little
   * instead of spinning */
  GST_WARNING ("cannot accept a connection: %s; trying again in %d ms",
      error->message, ACCEPT_RETRY_MS);
  g_source_destroy (listening->source);
  g_source_unref (listening->source);
  listening->source = g_timeout_source_new (ACCEPT_RETRY_MS);
  g_source_set_callback (listening->source, on_accept_retry, listening, NULL);
  g_source_set_static_name (listening->source, "rw-http-accept-retry");
  g_source_attach (listening->source, listening->self->context);
  return G_SOURCE_REMOVE;
}

static void
watch_listening (Listening * listening)
{
  listening->source = g_socket_create_source (listening->socket, G_IO_IN, NULL);
  g_source_set_callback (listening->source, G_SOURCE_FUNC (on_incoming),
      listening, NULL);
  g_source_set_static_name (listening->source, "rw-http-listener");
  g_source_attach (listening->source, listening->self->context);
}

/* Listens on @address:@port, as libsoup does (an IPv6 socket for IPv6
 * only). Returns the port it got. */
static gboolean
listen_on (RwHttpListener * self, GInetAddress * address, guint * port,
    GError ** error)
{
  GSocketFamily family = g_inet_address_get_family (address);
  g_autoptr (GSocketAddress) where = g_inet_socket_address_new (address, *port);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GSocket) socket = NULL;
  Listening *listening;

  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return FALSE;
  if (family == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);
  /* GSocket's default is 10: the connections of a burst beyond that wait
   * for SYN retransmits (1 s, 3 s, …), those of viewers too */
  g_socket_set_listen_backlog (socket, self->backlog);
  if (!g_socket_bind (socket, where, TRUE, error) ||
      !g_socket_listen (socket, error))
    return FALSE;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return FALSE;
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  listening = g_new0 (Listening, 1);
  listening->self = self;
  listening->socket = g_steal_pointer (&socket);
  watch_listening (listening);
  g_ptr_array_add (self->listening, listening);
  return TRUE;
}

/* 0.0.0.0 and ::, on the same port, as soup_server_listen_all() does; a
 * host without IPv6 listens on IPv4 only. */
static gboolean
listen_all (RwHttpListener * self, guint port, GError ** error)
{
  g_autoptr (GInetAddress) any4 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GInetAddress) any6 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);

  for (guint i = 0; i < MAX_PORT_TRIES; i++) {
    g_autoptr (GError) error6 = NULL;
    guint got = port;

    if (!listen_on (self, any4, &got, error))
      return FALSE;
    if (listen_on (self, any6, &got, &error6) ||
        g_error_matches (error6, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
      return TRUE;
    g_ptr_array_set_size (self->listening, 0);
    if (port != 0 || !g_error_matches (error6, G_IO_ERROR,
            G_IO_ERROR_ADDRESS_IN_USE)) {
      g_propagate_error (error, g_steal_pointer (&error6));
      return FALSE;
    }
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
      "no port free on both IPv4 and IPv6 after %d tries", MAX_PORT_TRIES);
  return FALSE;
}

/* --- connections, until their method is known --- */

typedef enum
{
  HEAD_INCOMPLETE,
  HEAD_SERVED,                  /* a method we serve: to libsoup */
  HEAD_NOT_IMPLEMENTED,         /* another token: 501 */
  HEAD_BAD,                     /* not a method: 400 */
} HeadKind;

struct _Connection
{
  RwHttpListener *self;         /* NULL once the listener stopped */
  GSocket *socket;
  GIOStream *stream;            /* the TCP connection, or TLS over it */
  GSocketAddress *local, *remote;
  GCancellable *cancellable;
  guint8 head[MAX_HEAD];        /* the bytes read, to be replayed */
  gsize head_len;
  GBytes *refusal;              /* the answer being written */
  guint8 *linger_buffer;
  gsize lingered;
  GSource *linger;              /* the end of the lingering close */
};

static void
connection_free (Connection * conn)
{
  if (conn->linger) {
    g_source_destroy (conn->linger);
    g_source_unref (conn->linger);
  }
  g_clear_pointer (&conn->refusal, g_bytes_unref);
  g_free (conn->linger_buffer);
  g_object_unref (conn->cancellable);
  g_clear_object (&conn->local);
  g_clear_object (&conn->remote);
  g_clear_object (&conn->stream);
  g_object_unref (conn->socket);
  g_free (conn);
}

static void
connection_forget (Connection * conn)
{
  if (conn->self)
    conn->self->connections = g_list_remove (conn->self->connections, conn);
  conn->self = NULL;
}

/* Closes the connection (TLS: with its close_notify) and frees it. */
static void
connection_close (Connection * conn)
{
  connection_forget (conn);
  g_io_stream_close_async (conn->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  connection_free (conn);
}

/* RFC 9110 §5.6.2 */
static gboolean
is_tchar (guint8 c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c));
}

static HeadKind
classify_head (RwHttpListener * self, const guint8 * head, gsize len)
{
  gsize start = 0;

  while (start < len && (head[start] == '\r' || head[start] == '\n'))
    start++;
  if (start > MAX_EMPTY_LINE_BYTES)
    return HEAD_BAD;

  for (gsize i = start; i < len; i++) {
    if (head[i] == ' ' || head[i] == '\t') {
      g_autofree gchar *method = g_strndup ((const gchar *) head + start,
          i - start);

      if (i == start)
        return HEAD_BAD;
      return g_strv_contains ((const gchar * const *) self->methods, method) ?
          HEAD_SERVED : HEAD_NOT_IMPLEMENTED;
    }
    if (!is_tchar (head[i]))
      return HEAD_BAD;
    if (i - start >= self->max_method)
      return HEAD_NOT_IMPLEMENTED;
  }
  return HEAD_INCOMPLETE;
}

static void
hand_over (Connection * conn)
{
  RwHttpListener *self = conn->self;
  g_autoptr (GBytes) head = g_bytes_new (conn->head, conn->head_len);
  g_autoptr (GIOStream) stream = rw_replay_stream_new (conn->stream, head);

  connection_forget (conn);
  GST_LOG ("fd %d: the method is served; to libsoup",
      g_socket_get_fd (conn->socket));
  soup_server_accept_iostream (self->server, stream, conn->local,
      conn->remote, NULL);
  connection_free (conn);
}

static void on_lingered (GObject * source, GAsyncResult * result,
    gpointer user_data);

static gboolean
on_linger_over (gpointer user_data)
{
  Connection *conn = user_data;

  g_clear_pointer (&conn->linger, g_source_unref);
  g_cancellable_cancel (conn->cancellable);
  return G_SOURCE_REMOVE;
}

static void
linger_read (Connection * conn)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (conn->stream),
      conn->linger_buffer, LINGER_BUFFER, G_PRIORITY_DEFAULT,
      conn->cancellable, on_lingered, conn);
}

static void
on_lingered (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Connection *conn = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result,
      NULL);

  if (n > 0 && conn->self && conn->lingered + n <= MAX_LINGER_BYTES) {
    conn->lingered += n;
    linger_read (conn);
    return;
  }
  connection_close (conn);
}

static void
on_refusal_written (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Connection *conn = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result,
          NULL, NULL) || conn->self == NULL) {
    connection_close (conn);
    return;
  }

  /* The client reads the answer, then the end of the connection: on TCP,
   * that comes now; TLS has no half-close, there it comes with the
   * close. */
  if (!G_IS_TLS_CONNECTION (conn->stream))
    g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);
  conn->linger_buffer = g_malloc (LINGER_BUFFER);
  conn->linger = g_timeout_source_new (LINGER_MS);
  g_source_set_callback (conn->linger, on_linger_over, conn, NULL);
  g_source_set_static_name (conn->linger, "rw-http-linger");
  g_source_attach (conn->linger, conn->self->context);
  linger_read (conn);
}

/* A complete answer that closes the connection; the request is not
 * echoed. */
static GBytes *
make_refusal (guint status, const gchar * message)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *date = soup_date_time_to_string (now, SOUP_DATE_HTTP);
  g_autofree gchar *body = rw_signaling_error_to_json (message);
  gchar *text;

  text = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
      "Server: " PACKAGE_NAME "/" PACKAGE_VERSION "\r\n"
      "Date: %s\r\n"
      "Content-Type: application/json\r\n"
      "Content-Length: %" G_GSIZE_FORMAT "\r\n"
      "Connection: close\r\n"
      "\r\n%s", status, soup_status_get_phrase (status), date,
      strlen (body), body);
  return g_bytes_new_take (text, strlen (text));
}

static void
refuse (Connection * conn, guint status)
{
  RwHttpListener *self = conn->self;
  g_autofree gchar *client = NULL;
  g_autofree gchar *message = NULL;
  gsize len;
  const gchar *data;

  if (status == SOUP_STATUS_NOT_IMPLEMENTED)
    message = g_strdup_printf ("the request's method is not one this "
        "server implements: %s", self->methods_text);
  else
    message = g_strdup_printf ("not an HTTP request: it must start with a "
        "method (%s), a space and the path", self->methods_text);
  client = g_inet_address_to_string (g_inet_socket_address_get_address
      (G_INET_SOCKET_ADDRESS (conn->remote)));
  GST_INFO ("%s: %u after %" G_GSIZE_FORMAT " bytes (%s)", client, status,
      conn->head_len, status == SOUP_STATUS_NOT_IMPLEMENTED ?
      "a method not served" : "no method");

  conn->refusal = make_refusal (status, message);
  data = g_bytes_get_data (conn->refusal, &len);
  g_output_stream_write_all_async (g_io_stream_get_output_stream
      (conn->stream), data, len, G_PRIORITY_DEFAULT, conn->cancellable,
      on_refusal_written, conn);
}

static void read_head (Connection * conn);

static void
on_head_read (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Connection *conn = user_data;
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result,
      &error);

  if (n <= 0 || conn->self == NULL) {
    /* the client went away, its socket timed out or was shut down by
     * RwHttpLimits, or the listener stopped */
    GST_LOG ("fd %d: closed after %" G_GSIZE_FORMAT " bytes: %s",
        g_socket_get_fd (conn->socket), conn->head_len,
        error ? error->message : "end of stream");
    connection_close (conn);
    return;
  }
  conn->head_len += n;

  switch (classify_head (conn->self, conn->head, conn->head_len)) {
    case HEAD_INCOMPLETE:
      read_head (conn);
      break;
    case HEAD_SERVED:
      hand_over (conn);
      break;
    case HEAD_NOT_IMPLEMENTED:
      refuse (conn, SOUP_STATUS_NOT_IMPLEMENTED);
      break;
    case HEAD_BAD:
      refuse (conn, SOUP_STATUS_BAD_REQUEST);
      break;
  }
}

/* classify_head() decides within MAX_HEAD bytes */
static void
read_head (Connection * conn)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (conn->stream),
      conn->head + conn->head_len, MAX_HEAD - conn->head_len,
      G_PRIORITY_DEFAULT, conn->cancellable, on_head_read, conn);
}

static void
on_handshake (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Connection *conn = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result,
          &error) || conn->self == NULL) {
    GST_DEBUG ("fd %d: TLS handshake failed: %s",
        g_socket_get_fd (conn->socket),
        error ? error->message : "the listener stopped");
    connection_close (conn);
    return;
  }
  read_head (conn);
}

/* TLS as libsoup sets it up: HTTP/1.x only (libsoup serves HTTP/2 only
 * when asked to), no close_notify needed. */
static GIOStream *
wrap_tls (RwHttpListener * self, GIOStream * base, GError ** error)
{
  const gchar *protocols[] = { "http/1.1", "http/1.0", NULL };
  GIOStream *tls = g_tls_server_connection_new (base, self->certificate,
      error);

  if (tls == NULL)
    return NULL;
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (tls), protocols);
  return tls;
}

static void
accept_connection (RwHttpListener * self, GSocket * socket)
{
  g_autoptr (GError) error = NULL;
  Connection *conn;

  conn = g_new0 (Connection, 1);
  conn->self = self;
  conn->socket = g_object_ref (socket);
  conn->cancellable = g_cancellable_new ();
  conn->stream = G_IO_STREAM (g_socket_connection_factory_create_connection
      (socket));
  conn->local = g_socket_get_local_address (socket, NULL);
  conn->remote = g_socket_get_remote_address (socket, &error);
  if (conn->local == NULL || conn->remote == NULL) {
    GST_DEBUG ("a connection closed at once: %s", error ? error->message :
        "no local address");
    connection_close (conn);
    return;
  }
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  self->connections = g_list_prepend (self->connections, conn);
  rw_http_limits_add_connection (self->limits, socket, conn->remote);

  if (self->certificate == NULL) {
    read_head (conn);
    return;
  }
  {
    GIOStream *tls = wrap_tls (self, conn->stream, &error);

    if (tls == NULL) {
      GST_WARNING ("cannot set up TLS: %s", error->message);
      connection_close (conn);
      return;
    }
    g_object_unref (conn->stream);
    conn->stream = tls;
  }
  g_tls_connection_handshake_async (G_TLS_CONNECTION (conn->stream),
      G_PRIORITY_DEFAULT, conn->cancellable, on_handshake, conn);
}

/* --- object --- */

static void
rw_http_listener_dispose (GObject * object)
{
  RwHttpListener *self = RW_HTTP_LISTENER (object);

  rw_http_listener_stop (self);
  g_clear_object (&self->server);
  g_clear_object (&self->limits);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (rw_http_listener_parent_class)->dispose (object);
}

static void
rw_http_listener_finalize (GObject * object)
{
  RwHttpListener *self = RW_HTTP_LISTENER (object);

  g_ptr_array_unref (self->listening);
  g_strfreev (self->methods);
  g_free (self->methods_text);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (rw_http_listener_parent_class)->finalize (object);
}

static void
rw_http_listener_class_init (RwHttpListenerClass * klass)
{
  G_OBJECT_CLASS (klass)->dispose = rw_http_listener_dispose;
  G_OBJECT_CLASS (klass)->finalize = rw_http_listener_finalize;

  GST_DEBUG_CATEGORY_INIT (rw_http_listener_debug, "rw-http-listener", 0,
      "robot-webrtc HTTP port and method check");
}

static void
rw_http_listener_init (RwHttpListener * self)
{
  self->context = g_main_context_ref_thread_default ();
  self->listening =
      g_ptr_array_new_with_free_func ((GDestroyNotify) listening_free);
}

/**
 * rw_http_listener_new:
 * @server: the server the connections are handed to
 * @limits: the limits each connection is given to when accepted
 * @methods: the request methods @server serves
 *
 * Listens on the thread-default main context, once
 * rw_http_listener_listen() is called.
 *
 * Returns: (transfer full): a listener that does not listen yet.
 */
RwHttpListener *
rw_http_listener_new (SoupServer * server, RwHttpLimits * limits,
    const gchar * const *methods)
{
  RwHttpListener *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (RW_IS_HTTP_LIMITS (limits), NULL);
  g_return_val_if_fail (methods != NULL && methods[0] != NULL, NULL);

  self = g_object_new (RW_TYPE_HTTP_LISTENER, NULL);
  self->server = g_object_ref (server);
  self->limits = g_object_ref (limits);
  self->methods = g_strdupv ((gchar **) methods);
  self->methods_text = g_strjoinv (", ", self->methods);
  for (guint i = 0; methods[i]; i++)
    self->max_method = MAX (self->max_method, strlen (methods[i]));
  return self;
}

/**
 * rw_http_listener_listen:
 * @self: a listener
 * @bind_address: (nullable): an IP address; %NULL: every address, IPv4
 *   and IPv6
 * @port: the port; 0 picks a free one
 * @certificate: (nullable): serve HTTPS with it
 * @backlog: the listen backlog
 * @error: why it cannot listen
 *
 * Returns: %TRUE if listening.
 */
gboolean
rw_http_listener_listen (RwHttpListener * self, const gchar * bind_address,
    guint port, GTlsCertificate * certificate, guint backlog, GError ** error)
{
  g_return_val_if_fail (RW_IS_HTTP_LISTENER (self), FALSE);
  g_return_val_if_fail (self->listening->len == 0, FALSE);

  g_set_object (&self->certificate, certificate);
  self->backlog = backlog;
  if (bind_address) {
    g_autoptr (GInetAddress) address =
        g_inet_address_new_from_string (bind_address);

    if (address == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "'%s' is not an IP address", bind_address);
      return FALSE;
    }
    return listen_on (self, address, &port, error);
  }
  return listen_all (self, port, error);
}

/**
 * rw_http_listener_set_backlog:
 * @self: a listener
 * @backlog: the listen backlog
 *
 * Sets the backlog of the sockets listening now (on a reload), and of
 * those to come.
 */
void
rw_http_listener_set_backlog (RwHttpListener * self, guint backlog)
{
  g_return_if_fail (RW_IS_HTTP_LISTENER (self));

  self->backlog = backlog;
  /* GSocket cannot change the backlog of a listening socket; a second
   * listen(2) does */
  for (guint i = 0; i < self->listening->len; i++) {
    Listening *listening = g_ptr_array_index (self->listening, i);

    if (listen (g_socket_get_fd (listening->socket), backlog) != 0)
      GST_WARNING ("cannot change the listen backlog: %s", g_strerror (errno));
  }
}

/**
 * rw_http_listener_get_uris:
 * @self: a listener
 *
 * Returns: (transfer full) (element-type GUri): where it listens, as
 * soup_server_get_uris() says it (IPv4 first).
 */
GSList *
rw_http_listener_get_uris (RwHttpListener * self)
{
  GSList *uris = NULL;

  g_return_val_if_fail (RW_IS_HTTP_LISTENER (self), NULL);

  for (guint i = self->listening->len; i > 0; i--) {
    Listening *listening = g_ptr_array_index (self->listening, i - 1);
    g_autoptr (GSocketAddress) address =
        g_socket_get_local_address (listening->socket, NULL);
    g_autofree gchar *host = NULL;

    if (address == NULL)
      continue;
    host = g_inet_address_to_string (g_inet_socket_address_get_address
        (G_INET_SOCKET_ADDRESS (address)));
    uris = g_slist_prepend (uris, g_uri_build (SOUP_HTTP_URI_FLAGS,
            self->certificate ? "https" : "http", NULL, host,
            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)),
            "/", NULL, NULL));
  }
  return uris;
}

/**
 * rw_http_listener_stop:
 * @self: a listener
 *
 * Stops listening, and closes the connections whose method is not read
 * yet (those handed to libsoup are the server's).
 */
void
rw_http_listener_stop (RwHttpListener * self)
{
  g_return_if_fail (RW_IS_HTTP_LISTENER (self));

  g_ptr_array_set_size (self->listening, 0);
  /* each has an operation in flight, which its cancellation ends: it
   * closes and frees the connection then */
  while (self->connections) {
    Connection *conn = self->connections->data;

    connection_forget (conn);
    g_cancellable_cancel (conn->cancellable);
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  }
}

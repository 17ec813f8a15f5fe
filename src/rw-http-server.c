/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-http-server
 * @title: RwHttpServer
 * @short_description: the HTTP signaling routes, CORS and limits
 *
 * The lab frontend's signaling protocol on a libsoup server, over HTTP or
 * HTTPS: `POST /offer`, `POST /ice-candidate`, `DELETE /peers/{id}`,
 * `GET /status`, `GET /streams` and the viewer page at `GET /`. Every error
 * is answered with a status and a JSON `{"error": …}` body. `POST /offer`
 * is answered asynchronously, once the viewer's answer is complete. WHEP
 * (`/whep/…`, rw-whep.c) has its routes in the same table and opens its
 * sessions the same way, through rw-http-private.h.
 *
 * The server is the front door only: each named stream is an
 * #RwSessionHost mounted under its name (rw_http_server_add_host(), like
 * gst-rtsp-server's mount points), which owns its sessions' media. The
 * server mints the session ids, remembers which host and which token
 * owner each session belongs to until the host says it closed, and turns
 * the hosts' %RW_ERROR codes into statuses. An offer without `"stream"`
 * goes to the first stream mounted. `--max-viewers` counts the sessions of
 * every stream (they share the robot's uplink).
 *
 * Before a body is read, an early handler applies, in order: the rate
 * limit per client address (429), the origin allow-list (403), the body
 * size (411, 413) and, with a secret configured, the viewer token (401; see
 * #RwAuth). libsoup reads the body of a refused request all the same
 * (unless the client sent `Expect: 100-continue`): #RwHttpLimits drops it,
 * and closes the connection past 1 MiB. A session remembers who opened
 * it, and only the same owner may trickle candidates to it or hang it up
 * (403).
 *
 * Every connection is bounded by #RwHttpLimits: its request must arrive
 * whole within `request-timeout` seconds, it is closed after
 * `idle-timeout` seconds without I/O and after its response, and at most
 * `max-connections` are open: beyond that, the oldest one still sending
 * its request is closed.
 *
 * The server listens through an #RwHttpListener, which lets only the
 * methods of the routes (and HEAD, OPTIONS and PUT, whose answers are
 * 200, 204 and 405) reach libsoup: another method gets 501 before libsoup
 * reads it, since libsoup 3.2 keeps every method it parses for good.
 *
 * With tokens, a session ends with its booking: at its token's
 * `session_exp` (or `exp`) plus `[auth] session-grace`, a timer closes it.
 * The backend's `POST /revoke` (a token with the `robot-admin` scope)
 * closes every session of a `sub` and refuses that sub's older tokens, and
 * a token's `max_sessions` bounds its owner's sessions (409). Every route
 * that opens sessions goes through the session table (#RwHttpSessions).
 */

#include "rw-http-server.h"
#include "rw-auth.h"
#include "rw-error.h"
#include "rw-http-limits.h"
#include "rw-http-listener.h"
#include "rw-http-private.h"
#include "rw-http-sessions.h"
#include "rw-metrics.h"
#include "rw-private.h"
#include "rw-rate-limit.h"
#include "rw-signaling.h"
#include "rw-whep.h"
#include "rw-www-resources.h"

#include <gst/gst.h>
#include <libsoup/soup.h>
#include <string.h>

#include "config.h"

GST_DEBUG_CATEGORY_STATIC (rw_http_debug);
#define GST_CAT_DEFAULT rw_http_debug

#define PAGE_RESOURCE "/org/robot-webrtc/www/index.html"
#define CLAIMS_KEY "rw-auth-claims"

/* A named stream's session host. */
typedef struct
{
  gchar *name;
  RwSessionHost *host;
  gulong closed_id;
} Mount;

struct _RwHttpServer
{
  GObject parent;

  const RwConfig *config;       /* the caller's; outlives the server */
  GMainContext *context;        /* where it serves and its hosts live */
  SoupServer *server;
  gint64 started;
  GPtrArray *mounts;            /* Mount, in the order added */
  RwHttpSessions *sessions;
  RwRateLimiter *limiter;
  gboolean credentials_loaded;
  RwAuth *auth;                 /* NULL: open, no token needed */
  RwTurn *turn;                 /* NULL: no TURN server */
  RwAuthRevocations *revocations;       /* POST /revoke's, kept on reload */

  RwHttpLimits *limits;         /* connections, in number and time */
  RwHttpListener *listener;     /* the port */
  RwMetrics *metrics;           /* requests answered, for GET /metrics */
  GPtrArray *metrics_allow;     /* GInetAddressMask: besides loopback */
};

G_DEFINE_FINAL_TYPE (RwHttpServer, rw_http_server, G_TYPE_OBJECT);

typedef void (*RouteFunc) (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path);

/* How a route's requests are authorized when tokens are required. */
typedef enum
{
  AUTH_NONE,                    /* public: the page, /status */
  AUTH_TOKEN,                   /* a valid token opens a session */
  AUTH_OWNER,                   /* the session's owner, even expired */
  AUTH_ADMIN,                   /* the backend: scope robot-admin */
} RouteAuth;

typedef struct
{
  const gchar *path;
  gboolean prefix;
  const gchar *method;
  RouteFunc func;
  RouteAuth auth;
  const gchar *accepts;         /* its body's media type, or NULL */
} Route;

static void handle_page (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path);
static void handle_status (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path);
static void handle_streams (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path);
static void handle_metrics (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path);
static const Route *find_route (const gchar * path, const gchar * method);
static void handle_offer (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path);
static void handle_candidate (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path);
static void handle_hangup (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path);
static void handle_revoke (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path);
static void handle_snapshot (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path);

static const Route routes[] = {
  {"/", FALSE, "GET", handle_page, AUTH_NONE},
  {"/index.html", FALSE, "GET", handle_page, AUTH_NONE},
  {"/status", FALSE, "GET", handle_status, AUTH_NONE},
  {"/streams", FALSE, "GET", handle_streams, AUTH_NONE},
  /* loopback and metrics-allow only, checked by the route */
  {"/metrics", FALSE, "GET", handle_metrics, AUTH_NONE},
  {"/offer", FALSE, "POST", handle_offer, AUTH_TOKEN},
  {"/snapshot.jpg", FALSE, "GET", handle_snapshot, AUTH_TOKEN},
  {"/streams/*/snapshot.jpg", FALSE, "GET", handle_snapshot, AUTH_TOKEN},
  {"/ice-candidate", FALSE, "POST", handle_candidate, AUTH_OWNER},
  {"/peers/", TRUE, "DELETE", handle_hangup, AUTH_OWNER},
  /* WHEP (rw-whep.c); a '*' matches one path segment */
  {"/whep", FALSE, "POST", rw_whep_handle_offer, AUTH_TOKEN, RW_WHEP_SDP},
  {"/whep/*", FALSE, "POST", rw_whep_handle_offer, AUTH_TOKEN, RW_WHEP_SDP},
  {"/whep/*/*", FALSE, "PATCH", rw_whep_handle_patch, AUTH_OWNER,
      RW_WHEP_SDP_FRAGMENT},
  {"/whep/*/*", FALSE, "DELETE", rw_whep_handle_delete, AUTH_OWNER},
  {"/revoke", FALSE, "POST", handle_revoke, AUTH_ADMIN},
};

/* The methods that reach libsoup (RwHttpListener): the routes' own, HEAD
 * (GET's), OPTIONS (CORS preflights) and PUT, which some clients try and
 * which gets 405 with Allow like any other of these on the wrong path.
 * Any other method is answered 501 before libsoup parses it. */
static const gchar *const served_methods[] = {
  "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", NULL
};

/* --- replies --- */

#define STATUS_TOO_MANY_REQUESTS 429    /* RFC 6585; libsoup 3.2 has no name */

static void
reply_json (SoupServerMessage * msg, guint status, gchar * json)
{
  soup_server_message_set_status (msg, status,
      status == STATUS_TOO_MANY_REQUESTS ? "Too Many Requests" : NULL);
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, json, strlen (json));
}

/* *INDENT-OFF* */
static void reply_error (SoupServerMessage * msg, guint status,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* *INDENT-ON* */

static void
reply_error (SoupServerMessage * msg, guint status, const gchar * format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  GST_INFO ("%s %s -> %u: %s", soup_server_message_get_method (msg),
      g_uri_get_path (soup_server_message_get_uri (msg)), status, message);
  reply_json (msg, status, rw_signaling_error_to_json (message));
}

static guint
status_for_error (const GError * error)
{
  if (error->domain != RW_ERROR)
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;

  switch ((RwError) error->code) {
    case RW_ERROR_BAD_REQUEST:
    case RW_ERROR_UNSUPPORTED:
    case RW_ERROR_INVALID_ARGUMENT:
      return SOUP_STATUS_BAD_REQUEST;
    case RW_ERROR_FORBIDDEN:
      return SOUP_STATUS_FORBIDDEN;
    case RW_ERROR_UNAUTHORIZED:
      return SOUP_STATUS_UNAUTHORIZED;
    case RW_ERROR_NOT_FOUND:
      return SOUP_STATUS_NOT_FOUND;
    case RW_ERROR_FULL:
    case RW_ERROR_UNAVAILABLE:
      return SOUP_STATUS_SERVICE_UNAVAILABLE;
    case RW_ERROR_TIMEOUT:
      return SOUP_STATUS_GATEWAY_TIMEOUT;
    case RW_ERROR_CONFLICT:
      return SOUP_STATUS_CONFLICT;
    case RW_ERROR_PIPELINE:
    case RW_ERROR_FAILED:
      return SOUP_STATUS_INTERNAL_SERVER_ERROR;
  }
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static void
reply_gerror (SoupServerMessage * msg, const GError * error)
{
  reply_error (msg, status_for_error (error), "%s", error->message);
}

static gchar *
status_object (const gchar * status, const gchar * key, const gchar * value)
{
  g_autoptr (JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, status);
  if (key) {
    json_builder_set_member_name (builder, key);
    json_builder_add_string_value (builder, value);
  }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* --- CORS --- */

/* The viewer page served here calls the API from the server's own origin. */
static gboolean
is_same_origin (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * origin)
{
  const gchar *host =
      soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "Host");
  /* not the request URI's: libsoup sees no GTlsConnection in what
   * RwHttpListener hands it, so its URIs say http even over TLS */
  const gchar *scheme = soup_server_is_https (self->server) ? "https" : "http";
  g_autofree gchar *own = NULL;

  if (host == NULL)
    return FALSE;
  own = g_strdup_printf ("%s://%s", scheme, host);
  return g_ascii_strcasecmp (own, origin) == 0;
}

static gboolean
origin_allowed (RwHttpServer * self, SoupServerMessage * msg)
{
  const gchar *origin =
      soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "Origin");

  return origin == NULL || rw_config_origin_allowed (self->config, origin) ||
      is_same_origin (self, msg, origin);
}

static void
add_cors_headers (RwHttpServer * self, SoupServerMessage * msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const gchar *origin = soup_message_headers_get_one (request, "Origin");
  gboolean any = self->config->allowed_origins == NULL ||
      g_strv_contains ((const gchar * const *) self->config->allowed_origins,
      "*");

  if (origin == NULL || !origin_allowed (self, msg))
    return;

  soup_message_headers_replace (response, "Access-Control-Allow-Origin",
      any ? "*" : origin);
  soup_message_headers_replace (response, "Access-Control-Expose-Headers",
      "Retry-After, WWW-Authenticate, Location, Link, ETag");
  if (!any)
    soup_message_headers_append (response, "Vary", "Origin");
}

static gchar *allowed_methods (const Route * route, gboolean options);
static void add_accept_headers (SoupMessageHeaders * response,
    const Route * route);

static void
answer_preflight (RwHttpServer * self, SoupServerMessage * msg,
    const Route * route)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  g_autofree gchar *methods = allowed_methods (route, TRUE);
  const gchar *pna = soup_message_headers_get_one (request,
      "Access-Control-Request-Private-Network");

  soup_message_headers_replace (response, "Access-Control-Allow-Methods",
      methods);
  soup_message_headers_replace (response, "Access-Control-Allow-Headers",
      "Content-Type, Authorization, If-Match");
  soup_message_headers_replace (response, "Access-Control-Max-Age", "600");
  if (g_strcmp0 (pna, "true") == 0)
    soup_message_headers_replace (response,
        "Access-Control-Allow-Private-Network", "true");
  soup_message_headers_replace (response, "Allow", methods);
  add_accept_headers (response, route);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* --- routes --- */

static void
handle_page (RwHttpServer * self, SoupServerMessage * msg, const gchar * path)
{
  g_autoptr (GBytes) page = g_resource_lookup_data (rw_www_get_resource (),
      PAGE_RESOURCE, 0, NULL);

  if (page == NULL) {
    reply_error (msg, SOUP_STATUS_NOT_FOUND, "the viewer page is not built "
        "in");
    return;
  }
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8",
      SOUP_MEMORY_COPY, g_bytes_get_data (page, NULL), g_bytes_get_size (page));
}

/* A stream's members, as its host says them; FALSE when it cannot serve. */
static gboolean
add_stream (JsonBuilder * builder, Mount * mount, RwStatusDetail detail)
{
  gboolean ok;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, mount->name);
  ok = rw_session_host_add_status (mount->host, builder, detail);
  json_builder_end_object (builder);
  return ok;
}

/* The robot, then the first stream's members at the top level (as the
 * single-stream robot had them), then every stream. */
static JsonNode *
build_status (RwHttpServer * self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new_immutable ();
  gboolean ok = self->mounts->len > 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "uptime");
  json_builder_add_int_value (builder,
      (g_get_monotonic_time () - self->started) / G_USEC_PER_SEC);
  json_builder_set_member_name (builder, "tls");
  json_builder_add_boolean_value (builder, soup_server_is_https (self->server));
  json_builder_set_member_name (builder, "auth");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tokens");
  json_builder_add_boolean_value (builder, self->auth != NULL);
  if (self->auth && rw_auth_get_audience (self->auth)) {
    json_builder_set_member_name (builder, "audience");
    json_builder_add_string_value (builder, rw_auth_get_audience (self->auth));
  }
  json_builder_end_object (builder);

  if (self->mounts->len > 0) {
    Mount *first = g_ptr_array_index (self->mounts, 0);

    json_builder_set_member_name (builder, "stream");
    json_builder_add_string_value (builder, first->name);
    rw_session_host_add_status (first->host, builder, RW_STATUS_FULL);
  }
  json_builder_set_member_name (builder, "max_viewers");
  json_builder_add_int_value (builder, self->config->max_viewers);
  json_builder_set_member_name (builder, "sessions");
  json_builder_add_int_value (builder, rw_http_sessions_count (self->sessions));
  json_builder_set_member_name (builder, "streams");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->mounts->len; i++)
    ok = add_stream (builder, g_ptr_array_index (self->mounts, i),
        RW_STATUS_FULL) && ok;
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, ok ? "ok" : "error");
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
handle_status (RwHttpServer * self, SoupServerMessage * msg, const gchar * path)
{
  g_autoptr (JsonNode) root = build_status (self);

  reply_json (msg, SOUP_STATUS_OK, json_to_string (root, FALSE));
}

/* The same, as Prometheus metrics, for loopback and metrics-allow. */
static void
handle_metrics (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  g_autoptr (JsonNode) root = NULL;
  gchar *text;

  if (!G_IS_INET_SOCKET_ADDRESS (remote) ||
      !rw_metrics_client_allowed (self->metrics_allow,
          g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)))) {
    reply_error (msg, SOUP_STATUS_FORBIDDEN, "/metrics is for loopback and "
        "the networks of metrics-allow only");
    return;
  }
  root = build_status (self);
  text = rw_metrics_render (self->metrics, root);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; "
      "charset=utf-8", SOUP_MEMORY_TAKE, text, strlen (text));
}

/* Any request answered, by its route and method (bounded sets of labels).
 * A request libsoup could not parse (400, 505) has no URI, and maybe no
 * method. */
static void
on_request_finished (SoupServer * server, SoupServerMessage * msg,
    gpointer user_data)
{
  RwHttpServer *self = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  const gchar *method = soup_server_message_get_method (msg);
  const Route *route = NULL;

  if (method == NULL || !g_strv_contains (served_methods, method))
    method = "other";
  else if (uri)
    route = find_route (g_uri_get_path (uri), method);
  rw_metrics_count_request (self->metrics, route ? route->path : "other",
      method, soup_server_message_get_status (msg));
}

static void
handle_streams (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path)
{
  g_autoptr (JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "streams");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->mounts->len; i++)
    add_stream (builder, g_ptr_array_index (self->mounts, i),
        RW_STATUS_SUMMARY);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  reply_json (msg, SOUP_STATUS_OK, json_to_string (root, FALSE));
}

/* --- sessions --- */

static void
mount_free (Mount * mount)
{
  g_clear_signal_handler (&mount->closed_id, mount->host);
  g_object_unref (mount->host);
  g_free (mount->name);
  g_free (mount);
}

static Mount *
find_mount (RwHttpServer * self, const gchar * name)
{
  for (guint i = 0; i < self->mounts->len; i++) {
    Mount *mount = g_ptr_array_index (self->mounts, i);

    if (name == NULL || g_str_equal (mount->name, name))
      return mount;
  }
  return NULL;
}

static gchar *
stream_names (RwHttpServer * self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) names = NULL;

  for (guint i = 0; i < self->mounts->len; i++)
    g_strv_builder_add (builder,
        ((Mount *) g_ptr_array_index (self->mounts, i))->name);
  names = g_strv_builder_end (builder);
  return g_strjoinv (", ", names);
}

static void
on_session_closed (RwSessionHost * host, const gchar * id,
    const gchar * reason, gpointer user_data)
{
  RwHttpServer *self = user_data;

  rw_http_sessions_closed (self->sessions, id);
}

static RwAuthClaims *
get_claims (SoupServerMessage * msg)
{
  return g_object_get_data (G_OBJECT (msg), CLAIMS_KEY);
}

static GBytes *
request_body (SoupServerMessage * msg)
{
  return soup_message_body_flatten (soup_server_message_get_request_body (msg));
}

static gboolean open_session (RwHttpServer * self, SoupServerMessage * msg,
    Mount * mount, const gchar * sdp, RwHttpOpenedFunc opened, gpointer data,
    GDestroyNotify free_data, GError ** error);
static void reply_offer (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * peer_id, const gchar * answer, const GError * error);

static void
handle_offer (RwHttpServer * self, SoupServerMessage * msg, const gchar * path)
{
  g_auto (RwOfferRequest) req = { 0 };
  g_autoptr (GBytes) body = request_body (msg);
  g_autoptr (GError) error = NULL;
  Mount *mount;

  if (!rw_signaling_parse_offer (body, &req, &error)) {
    reply_gerror (msg, error);
    return;
  }
  mount = find_mount (self, req.stream);
  if (mount == NULL) {
    g_autofree gchar *names = stream_names (self);

    if (req.stream)
      reply_error (msg, SOUP_STATUS_NOT_FOUND, "no stream '%s' (this robot "
          "has: %s)", req.stream, names);
    else
      reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "this robot "
          "serves no stream now");
    return;
  }
  if (!open_session (self, msg, mount, req.sdp, reply_offer, NULL, NULL,
          &error))
    reply_gerror (msg, error);
}

/* --- snapshots --- */

typedef struct
{
  RwHttpServer *server;
  SoupServerMessage *msg;
  RwSessionHost *host;          /* the stream's, even if unmounted meanwhile */
  gchar *stream;
  gboolean gone;
  gint64 started;
} SnapshotRequest;

static void
on_snapshot_client_gone (SoupServerMessage * msg, gpointer user_data)
{
  ((SnapshotRequest *) user_data)->gone = TRUE;
}

static void
on_snapshot (GObject * source, GAsyncResult * result, gpointer user_data)
{
  SnapshotRequest *req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) jpeg = NULL;

  jpeg = rw_session_host_snapshot_finish (req->host, result, &error);
  g_signal_handlers_disconnect_by_data (req->msg, req);
  if (!req->gone) {
    if (jpeg) {
      SoupMessageHeaders *headers =
          soup_server_message_get_response_headers (req->msg);

      GST_DEBUG ("snapshot of %s: %" G_GSIZE_FORMAT " bytes in %"
          G_GINT64_FORMAT " ms", req->stream,
          g_bytes_get_size (jpeg), (g_get_monotonic_time () - req->started) /
          1000);
      soup_message_headers_replace (headers, "Cache-Control", "no-store");
      soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (req->msg, "image/jpeg",
          SOUP_MEMORY_COPY, g_bytes_get_data (jpeg, NULL),
          g_bytes_get_size (jpeg));
    } else {
      /* no frame yet: the stream starts, or a keyframe is awaited */
      if (g_error_matches (error, RW_ERROR, RW_ERROR_UNAVAILABLE))
        soup_message_headers_replace (soup_server_message_get_response_headers
            (req->msg), "Retry-After", "1");
      reply_gerror (req->msg, error);
    }
    soup_server_message_unpause (req->msg);
  }
  g_object_unref (req->msg);
  g_object_unref (req->host);
  g_object_unref (req->server);
  g_free (req->stream);
  g_free (req);
}

/* GET /snapshot.jpg (the first stream's) and /streams/NAME/snapshot.jpg:
 * a JPEG of the newest frame, made on request, shared by the requests
 * that come meanwhile (RwSnapshot). */
static void
handle_snapshot (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path)
{
  g_autofree gchar *name = NULL;
  SnapshotRequest *req;
  Mount *mount;

  if (g_str_has_prefix (path, "/streams/"))
    name = g_strndup (path + strlen ("/streams/"), strcspn (path +
            strlen ("/streams/"), "/"));
  mount = find_mount (self, name);
  if (mount == NULL) {
    g_autofree gchar *names = stream_names (self);

    if (name)
      reply_error (msg, SOUP_STATUS_NOT_FOUND, "no stream '%s' (this robot "
          "has: %s)", name, names);
    else
      reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "this robot "
          "serves no stream now");
    return;
  }

  req = g_new0 (SnapshotRequest, 1);
  req->server = g_object_ref (self);
  req->msg = g_object_ref (msg);
  req->stream = g_strdup (mount->name);
  req->started = g_get_monotonic_time ();
  req->host = g_object_ref (mount->host);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_snapshot_client_gone),
      req);
  soup_server_message_pause (msg);
  rw_session_host_snapshot_async (req->host, NULL, on_snapshot, req);
}

/* The JSON API's reply to POST /offer. */
static void
reply_offer (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * peer_id, const gchar * answer, const GError * error)
{
  if (answer)
    reply_json (msg, SOUP_STATUS_OK, rw_signaling_answer_to_json (answer,
            peer_id));
  else
    reply_gerror (msg, error);
}

/* Opens a session on @mount's host for @msg, which @opened answers once
 * the host is done (rw_http_sessions_open ()). */
static gboolean
open_session (RwHttpServer * self, SoupServerMessage * msg, Mount * mount,
    const gchar * sdp, RwHttpOpenedFunc opened, gpointer data,
    GDestroyNotify free_data, GError ** error)
{
  if (rw_http_sessions_open (self->sessions, msg,
          self->auth ? get_claims (msg) : NULL, mount->host, mount->name, sdp,
          opened, data, free_data, error))
    return TRUE;
  /* the token's session time is over (booking over) */
  if (error && g_error_matches (*error, RW_ERROR, RW_ERROR_UNAUTHORIZED))
    rw_metrics_count_refusal (self->metrics, rw_auth_refusal_category (*error));
  return FALSE;
}

/* The session a request names, if it may act on it: with tokens, only the
 * session's owner may. Replies 404 or 403 otherwise. */
static RwSessionHost *
find_session (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * peer_id)
{
  return rw_http_sessions_find (self->sessions, msg, get_claims (msg),
      self->auth != NULL, peer_id);
}

static void
handle_candidate (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * path)
{
  g_auto (RwCandidateRequest) req = { 0 };
  g_autoptr (GBytes) body = request_body (msg);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *reason = NULL;
  RwSessionHost *host;

  if (!rw_signaling_parse_candidate (body, &req, &error)) {
    reply_gerror (msg, error);
    return;
  }
  host = find_session (self, msg, req.peer_id);
  if (host == NULL)
    return;

  if (!rw_session_host_add_candidate (host, req.peer_id, req.mline,
          req.candidate, &reason, &error)) {
    reply_gerror (msg, error);
    return;
  }
  if (reason)
    reply_json (msg, SOUP_STATUS_OK, status_object ("ignored", "reason",
            reason));
  else
    reply_json (msg, SOUP_STATUS_OK, status_object ("ok", NULL, NULL));
}

static void
handle_hangup (RwHttpServer * self, SoupServerMessage * msg, const gchar * path)
{
  const gchar *id = path + strlen ("/peers/");
  RwSessionHost *host = find_session (self, msg, id);

  if (host == NULL)
    return;
  if (!rw_session_host_close (host, id, "hung up")) {
    reply_error (msg, SOUP_STATUS_NOT_FOUND, "no session with peer_id '%s'",
        id);
    return;
  }
  reply_json (msg, SOUP_STATUS_OK, status_object ("closed", "peer_id", id));
}

/* POST /revoke, the backend's: {"sub": "…"} ends every session of that
 * sub at once, and refuses its tokens issued before now. */
static void
handle_revoke (RwHttpServer * self, SoupServerMessage * msg, const gchar * path)
{
  g_autoptr (GBytes) body = request_body (msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *subject = NULL;
  guint closed;

  if (self->auth == NULL) {
    reply_error (msg, SOUP_STATUS_FORBIDDEN, "this robot takes no tokens "
        "(no [auth] secret-file): there is nothing to revoke");
    return;
  }
  subject = rw_auth_parse_revocation (body, &error);
  if (subject == NULL) {
    reply_gerror (msg, error);
    return;
  }

  rw_auth_revocations_add (self->revocations, subject, g_get_real_time ());
  closed = rw_http_sessions_end_of (self->sessions, subject);
  g_message ("revoked sub:%s: %u session%s closed, and its tokens issued "
      "before now are refused", subject, closed, closed == 1 ? "" : "s");

  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "revoked");
  json_builder_set_member_name (builder, "sub");
  json_builder_add_string_value (builder, subject);
  json_builder_set_member_name (builder, "closed");
  json_builder_add_int_value (builder, closed);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  reply_json (msg, SOUP_STATUS_OK, json_to_string (root, FALSE));
}

/* @path is the route's, is under its prefix, or matches its pattern,
 * whose '*' segments match one non-empty segment each. */
static gboolean
route_matches (const Route * route, const gchar * path)
{
  const gchar *pattern = route->path;

  if (route->prefix)
    return g_str_has_prefix (path, route->path) &&
        path[strlen (route->path)] != '\0';

  while (*pattern) {
    if (*pattern == '*') {
      gsize segment = strcspn (path, "/");

      if (segment == 0)
        return FALSE;
      path += segment;
      pattern++;
    } else if (*pattern++ != *path++) {
      return FALSE;
    }
  }
  return *path == '\0';
}

/* The route of @path for @method or, when it has none for @method, its
 * first one (for OPTIONS and 405); NULL for an unknown path. */
static const Route *
find_route (const gchar * path, const gchar * method)
{
  const Route *found = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++) {
    if (!route_matches (&routes[i], path))
      continue;
    if (g_str_equal (method, routes[i].method))
      return &routes[i];
    if (found == NULL)
      found = &routes[i];
  }
  return found;
}

/* The methods of @route's path, as Allow lists them. */
static gchar *
allowed_methods (const Route * route, gboolean options)
{
  GString *methods = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++) {
    if (g_str_equal (routes[i].path, route->path))
      g_string_append_printf (methods, "%s%s", methods->len ? ", " : "",
          routes[i].method);
  }
  if (options)
    g_string_append (methods, ", OPTIONS");
  return g_string_free (methods, FALSE);
}

/* Accept-Post (W3C LDP) and Accept-Patch (RFC 5789): the media types the
 * routes of @route's path take. */
static void
add_accept_headers (SoupMessageHeaders * response, const Route * route)
{
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++) {
    if (!g_str_equal (routes[i].path, route->path) || routes[i].accepts == NULL)
      continue;
    if (g_str_equal (routes[i].method, "POST"))
      soup_message_headers_replace (response, "Accept-Post", routes[i].accepts);
    else if (g_str_equal (routes[i].method, "PATCH"))
      soup_message_headers_replace (response, "Accept-Patch",
          routes[i].accepts);
  }
}

static void
handle_request (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  RwHttpServer *self = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  const Route *route = find_route (path, method);

  /* CORS, rate, origin, size and token: done by check_request() */
  GST_DEBUG ("%s %s", method, path);
  rw_assert_context (self->context);

  if (route == NULL) {
    reply_error (msg, SOUP_STATUS_NOT_FOUND, "no such endpoint: %s", path);
    return;
  }

  if (g_str_equal (method, "OPTIONS")) {
    answer_preflight (self, msg, route);
    return;
  }

  if (!g_str_equal (method, route->method) &&
      !(g_str_equal (method, "HEAD") && g_str_equal (route->method, "GET"))) {
    g_autofree gchar *allow = allowed_methods (route, TRUE);
    g_autofree gchar *use = allowed_methods (route, FALSE);

    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Allow", allow);
    reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "%s %s is not "
        "supported; use %s", method, path, use);
    return;
  }

  route->func (self, msg, path);
}

/* --- before the body is read --- */

static gboolean
check_rate (RwHttpServer * self, SoupServerMessage * msg)
{
  g_autofree gchar *client =
      rw_rate_limit_client_key (soup_server_message_get_remote_address (msg));
  g_autofree gchar *retry = NULL;
  guint retry_after;

  if (rw_rate_limiter_take (self->limiter, client, g_get_monotonic_time (),
          &retry_after))
    return TRUE;

  retry = g_strdup_printf ("%u", retry_after);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Retry-After", retry);
  reply_error (msg, STATUS_TOO_MANY_REQUESTS, "too many requests from "
      "%s (more than %u per second); retry in %u s", client,
      self->config->rate_limit, retry_after);
  return FALSE;
}

/* A body must have a Content-Length within max-body, whatever the method:
 * libsoup would read any body and keep it in memory. */
static gboolean
check_size (RwHttpServer * self, SoupServerMessage * msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const gchar *method = soup_server_message_get_method (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  if (encoding == SOUP_ENCODING_CONTENT_LENGTH) {
    goffset length = soup_message_headers_get_content_length (headers);

    /* libsoup 3.2 parses "-1" as a length of -1 */
    if (length < 0) {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST,
          "the Content-Length is not a length");
      return FALSE;
    }
    if (length <= self->config->max_body)
      return TRUE;
    reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
        "the request body is larger than %u bytes", self->config->max_body);
    return FALSE;
  }

  if (encoding == SOUP_ENCODING_NONE && !g_str_equal (method, "POST") &&
      !g_str_equal (method, "PUT") && !g_str_equal (method, "PATCH"))
    return TRUE;

  reply_error (msg, SOUP_STATUS_LENGTH_REQUIRED,
      "the request needs a Content-Length (at most %u bytes)",
      self->config->max_body);
  return FALSE;
}

/* RFC 6750 §3: the challenge names the realm, and the error once a token
 * was sent. */
static void
reply_unauthorized (SoupServerMessage * msg, const GError * error,
    gboolean had_token)
{
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "WWW-Authenticate", had_token ?
      "Bearer realm=\"" RW_HTTP_REALM "\", error=\"invalid_token\"" :
      "Bearer realm=\"" RW_HTTP_REALM "\"");
  reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "%s", error->message);
}

/* What a valid token may do: nothing once revoked; /revoke only with the
 * admin scope (403). */
static gboolean
check_access (RwHttpServer * self, SoupServerMessage * msg,
    const Route * route, const RwAuthClaims * claims)
{
  g_autoptr (GError) error = NULL;

  if (!rw_auth_revocations_check (self->revocations, claims, &error)) {
    rw_metrics_count_refusal (self->metrics, rw_auth_refusal_category (error));
    reply_unauthorized (msg, error, TRUE);
    return FALSE;
  }
  if (route->auth == AUTH_ADMIN &&
      !rw_auth_claims_has_scope (claims, RW_AUTH_SCOPE_ADMIN)) {
    rw_metrics_count_refusal (self->metrics, "scope");
    reply_error (msg, SOUP_STATUS_FORBIDDEN, "%s %s needs the backend's "
        "token, with \"scope\": \"" RW_AUTH_SCOPE_ADMIN "\"", route->method,
        route->path);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_token (RwHttpServer * self, SoupServerMessage * msg, const Route * route)
{
  const gchar *authorization =
      soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "Authorization");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *token = NULL;
  RwAuthClaims *claims;

  token = rw_auth_parse_bearer (authorization, &error);
  if (token == NULL) {
    rw_metrics_count_refusal (self->metrics, rw_auth_refusal_category (error));
    reply_unauthorized (msg, error, FALSE);
    return FALSE;
  }
  claims = rw_auth_verify (self->auth, token,
      g_get_real_time () / G_USEC_PER_SEC, route->auth == AUTH_OWNER ?
      RW_AUTH_VERIFY_ALLOW_EXPIRED : RW_AUTH_VERIFY_DEFAULT, &error);
  if (claims == NULL) {
    rw_metrics_count_refusal (self->metrics, rw_auth_refusal_category (error));
    reply_unauthorized (msg, error, TRUE);
    return FALSE;
  }
  if (!check_access (self, msg, route, claims)) {
    rw_auth_claims_free (claims);
    return FALSE;
  }
  g_object_set_data_full (G_OBJECT (msg), CLAIMS_KEY, claims,
      (GDestroyNotify) rw_auth_claims_free);
  return TRUE;
}

/* Runs once the headers are in, before the body is read. Whatever is
 * refused here gets its status now; libsoup still reads its body, which
 * RwHttpLimits drops (and cuts past 1 MiB). */
static void
check_request (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  RwHttpServer *self = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  const Route *route = find_route (path, method);

  add_cors_headers (self, msg);

  if (!check_rate (self, msg))
    return;

  if (route && !g_str_equal (method, "GET") && !g_str_equal (method, "HEAD")
      && !origin_allowed (self, msg)) {
    reply_error (msg, SOUP_STATUS_FORBIDDEN, "origin %s is not allowed "
        "(see allowed-origins)",
        soup_message_headers_get_one (soup_server_message_get_request_headers
            (msg), "Origin"));
    return;
  }

  if (!check_size (self, msg))
    return;

  /* HEAD runs GET's handler: it needs GET's token */
  if (self->auth && route && route->auth != AUTH_NONE &&
      (g_str_equal (method, route->method) || (g_str_equal (method, "HEAD")
              && g_str_equal (route->method, "GET"))))
    check_token (self, msg, route);
}

/* --- object --- */

static void
rw_http_server_dispose (GObject * object)
{
  RwHttpServer *self = RW_HTTP_SERVER (object);

  rw_http_server_stop (self);
  g_clear_object (&self->listener);
  g_clear_object (&self->limits);
  g_clear_object (&self->server);
  rw_http_sessions_clear (self->sessions);
  g_ptr_array_set_size (self->mounts, 0);

  G_OBJECT_CLASS (rw_http_server_parent_class)->dispose (object);
}

static void
rw_http_server_finalize (GObject * object)
{
  RwHttpServer *self = RW_HTTP_SERVER (object);

  g_clear_pointer (&self->limiter, rw_rate_limiter_free);
  g_clear_pointer (&self->metrics, rw_metrics_free);
  g_clear_pointer (&self->metrics_allow, g_ptr_array_unref);
  g_clear_pointer (&self->auth, rw_auth_free);
  g_clear_object (&self->turn);
  rw_http_sessions_free (self->sessions);
  g_clear_pointer (&self->revocations, rw_auth_revocations_free);
  g_ptr_array_unref (self->mounts);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (rw_http_server_parent_class)->finalize (object);
}

static void
rw_http_server_class_init (RwHttpServerClass * klass)
{
  G_OBJECT_CLASS (klass)->dispose = rw_http_server_dispose;
  G_OBJECT_CLASS (klass)->finalize = rw_http_server_finalize;

  GST_DEBUG_CATEGORY_INIT (rw_http_debug, "rw-http", 0,
      "robot-webrtc HTTP signaling");
}

static void
rw_http_server_init (RwHttpServer * self)
{
  self->started = g_get_monotonic_time ();
  self->context = g_main_context_ref_thread_default ();
  self->mounts = g_ptr_array_new_with_free_func ((GDestroyNotify) mount_free);
  self->revocations = rw_auth_revocations_new (RW_AUTH_MAX_REVOCATIONS);
}

/**
 * rw_http_server_new:
 * @config: (transfer none): the settings; must outlive the server
 *
 * Serves on the thread-default main context, where the session hosts
 * added later must live too. The TLS certificate and the token secret are
 * read by rw_http_server_load_credentials() or, at the latest, when
 * listening.
 *
 * Returns: (transfer full): a server that is not listening yet.
 */
RwHttpServer *
rw_http_server_new (const RwConfig * config)
{
  RwHttpServer *self = g_object_new (RW_TYPE_HTTP_SERVER, NULL);

  self->config = config;
  self->sessions = rw_http_sessions_new (self, self->context, config,
      self->revocations);
  self->limiter = rw_rate_limiter_new (config->rate_limit, config->rate_burst,
      RW_RATE_LIMIT_MAX_CLIENTS);
  self->server = soup_server_new ("server-header",
      PACKAGE_NAME "/" PACKAGE_VERSION " ", NULL);
  self->limits = rw_http_limits_new (self->server, NULL,
      config->request_timeout, config->idle_timeout, config->max_connections);
  self->listener = rw_http_listener_new (self->server, self->limits,
      served_methods);
  soup_server_add_early_handler (self->server, NULL, check_request, self, NULL);
  self->metrics = rw_metrics_new ();
  if (!rw_metrics_parse_allow ((const gchar * const *) config->metrics_allow,
          &self->metrics_allow, NULL))
    self->metrics_allow = g_ptr_array_new ();
  g_signal_connect (self->server, "request-finished",
      G_CALLBACK (on_request_finished), self);
  soup_server_add_handler (self->server, NULL, handle_request, self, NULL);
  return self;
}

/**
 * rw_http_server_add_host:
 * @self: a server
 * @name: the stream's name, `"stream"` in `POST /offer`
 * @host: (transfer none): serves the stream's sessions, on the server's
 *   context
 *
 * Mounts a stream. The first one mounted serves offers that name none.
 */
void
rw_http_server_add_host (RwHttpServer * self, const gchar * name,
    RwSessionHost * host)
{
  Mount *mount;

  g_return_if_fail (find_mount (self, name) == NULL || name == NULL);
  g_return_if_fail (name != NULL);

  mount = g_new0 (Mount, 1);
  mount->name = g_strdup (name);
  mount->host = g_object_ref (host);
  mount->closed_id = g_signal_connect (host, "session-closed",
      G_CALLBACK (on_session_closed), self);
  g_ptr_array_add (self->mounts, mount);
}

/**
 * rw_http_server_remove_host:
 * @self: a server
 * @name: a mounted stream
 *
 * Unmounts a stream: its new offers get 404, and the server forgets its
 * sessions (the caller closes them on the host).
 */
void
rw_http_server_remove_host (RwHttpServer * self, const gchar * name)
{
  Mount *mount = find_mount (self, name);

  g_return_if_fail (name != NULL && mount != NULL);

  rw_http_sessions_forget_host (self->sessions, mount->host);
  g_ptr_array_remove (self->mounts, mount);
}

/**
 * rw_http_server_load_credentials:
 * @self: a server
 * @error: which file cannot be used, and why (%RW_ERROR_INVALID_ARGUMENT)
 *
 * Reads the configured TLS certificate and key, and the secret viewer
 * tokens are signed with. Without a secret the server is open, as the
 * seed's was, and says so once in the log. Does nothing the second time.
 *
 * Returns: %TRUE if every configured file could be used.
 */
static gboolean load_turn (const RwConfig * config, RwTurn ** turn,
    GError ** error);
static gboolean load_auth (RwHttpServer * self, const RwConfig * config,
    GError ** error);

gboolean
rw_http_server_load_credentials (RwHttpServer * self, GError ** error)
{
  const RwConfig *config = self->config;

  if (self->credentials_loaded)
    return TRUE;

  if (config->tls_certificate) {
    g_autoptr (GTlsCertificate) certificate = NULL;
    g_autoptr (GError) tls_error = NULL;

    if (config->tls_key)
      certificate = g_tls_certificate_new_from_files (config->tls_certificate,
          config->tls_key, &tls_error);
    else
      certificate = g_tls_certificate_new_from_file (config->tls_certificate,
          &tls_error);
    if (certificate == NULL) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "TLS certificate %s%s%s: %s", config->tls_certificate,
          config->tls_key ? ", key " : "",
          config->tls_key ? config->tls_key : "", tls_error->message);
      return FALSE;
    }
    soup_server_set_tls_certificate (self->server, certificate);
  }

  if (!load_auth (self, config, error) ||
      !load_turn (config, &self->turn, error))
    return FALSE;
  self->credentials_loaded = TRUE;
  return TRUE;
}

/**
 * rw_http_server_get_turn:
 * @self: a server with its credentials loaded
 *
 * Returns: (transfer none) (nullable): the TURN server of its settings, or
 * %NULL without one.
 */
RwTurn *
rw_http_server_get_turn (RwHttpServer * self)
{
  g_return_val_if_fail (RW_IS_HTTP_SERVER (self), NULL);

  return self->turn;
}

/**
 * rw_http_server_set_turn:
 * @self: a server
 * @turn: (transfer none) (nullable): the TURN server viewers are told of
 *   from now on, or %NULL for none
 *
 * For a server whose TURN settings change after it loaded them (the
 * element's properties, changed while it plays): its WHEP `Link` headers
 * name @turn.
 */
void
rw_http_server_set_turn (RwHttpServer * self, RwTurn * turn)
{
  g_return_if_fail (RW_IS_HTTP_SERVER (self));

  g_set_object (&self->turn, turn);
}

/**
 * rw_http_server_reload:
 * @self: a server with its credentials loaded
 * @config: the new settings, before they replace the running ones
 * @error: why they cannot be used
 *
 * Takes the rate limits, the connection limits (request-timeout,
 * idle-timeout, max-connections: for the connections opened from now on),
 * metrics-allow and the token settings of @config (reading the secret file
 * again: a rotated secret applies to the next requests). The other
 * settings the server reads from its configuration at each request.
 *
 * Returns: %TRUE if applied; with %FALSE nothing changed.
 */
gboolean
rw_http_server_reload (RwHttpServer * self, const RwConfig * config,
    GError ** error)
{
  RwAuth *running = g_steal_pointer (&self->auth);
  RwTurn *turn = NULL;
  GPtrArray *masks = NULL;

  if (!load_turn (config, &turn, error)) {
    self->auth = running;
    return FALSE;
  }
  if (!load_auth (self, config, error)) {
    self->auth = running;
    g_clear_object (&turn);
    return FALSE;
  }
  g_clear_pointer (&running, rw_auth_free);
  g_clear_object (&self->turn);
  self->turn = turn;
  /* checked with the rest of the settings */
  if (rw_metrics_parse_allow ((const gchar * const *) config->metrics_allow,
          &masks, NULL)) {
    g_ptr_array_unref (self->metrics_allow);
    self->metrics_allow = masks;
  }
  rw_rate_limiter_free (self->limiter);
  self->limiter = rw_rate_limiter_new (config->rate_limit, config->rate_burst,
      RW_RATE_LIMIT_MAX_CLIENTS);
  rw_http_limits_update (self->limits, config->request_timeout,
      config->idle_timeout, config->max_connections);
  rw_http_listener_set_backlog (self->listener, config->max_connections);
  return TRUE;
}

/* Reads the TURN secret file, if any; says which TURN server (never a
 * credential). */
static gboolean
load_turn (const RwConfig * config, RwTurn ** turn, GError ** error)
{
  if (!rw_config_new_turn (config, turn, error))
    return FALSE;
  if (*turn)
    g_message ("TURN server %s, %s", rw_turn_get_server (*turn),
        rw_turn_has_secret (*turn) ? "credentials minted from "
        "turn-secret-file" : "static credentials");
  return TRUE;
}

static gboolean
load_auth (RwHttpServer * self, const RwConfig * config, GError ** error)
{
  if (config->auth_secret_file) {
    self->auth = rw_auth_new_from_file (config->auth_secret_file,
        config->auth_audience, config->auth_clock_skew, error);
    if (self->auth == NULL)
      return FALSE;
    if (config->auth_audience)
      g_message ("viewers need a token from the backend (HS256, secret in "
          "%s, audience '%s')", config->auth_secret_file,
          config->auth_audience);
    else
      g_message ("viewers need a token from the backend (HS256, secret in "
          "%s); no audience (robot id) is set, so a token made for another "
          "robot with the same secret is accepted too",
          config->auth_secret_file);
  } else {
    g_message ("no viewer tokens (no [auth] secret-file): anyone who can "
        "reach this port may watch");
  }
  return TRUE;
}

/**
 * rw_http_server_accept_iostream:
 * @self: a server with its credentials loaded
 * @stream: a connection accepted elsewhere (socket activation, a fuzzer)
 * @local: (nullable): its local address
 * @remote: (nullable): the client's address
 * @error: why it cannot be served
 *
 * Serves HTTP on @stream, as on a connection to the server's port, but
 * without the method check of the port (#RwHttpListener): @stream goes to
 * libsoup as it is.
 *
 * Returns: %TRUE if served.
 */
gboolean
rw_http_server_accept_iostream (RwHttpServer * self, GIOStream * stream,
    GSocketAddress * local, GSocketAddress * remote, GError ** error)
{
  return soup_server_accept_iostream (self->server, stream, local, remote,
      error);
}

/**
 * rw_http_server_listen:
 * @self: a server
 * @error: why it could not listen
 *
 * Loads the credentials if that was not done yet, then listens on the
 * configured address (all addresses by default) and port, with HTTPS when
 * a certificate is configured.
 *
 * Returns: %TRUE if listening.
 */
gboolean
rw_http_server_listen (RwHttpServer * self, GError ** error)
{
  if (!rw_http_server_load_credentials (self, error))
    return FALSE;

  if (!rw_http_listener_listen (self->listener, self->config->bind_address,
          self->config->port, soup_server_get_tls_certificate (self->server),
          self->config->max_connections, error)) {
    g_prefix_error (error, "cannot listen on port %u: ", self->config->port);
    return FALSE;
  }
  return TRUE;
}

/**
 * rw_http_server_get_uris:
 * @self: a listening server
 *
 * Returns: (transfer full) (element-type GUri): where the server listens.
 */
GSList *
rw_http_server_get_uris (RwHttpServer * self)
{
  return rw_http_listener_get_uris (self->listener);
}

/**
 * rw_http_server_stop:
 * @self: a server
 *
 * Stops listening, closes connections and cancels answers not sent yet.
 */
void
rw_http_server_stop (RwHttpServer * self)
{
  rw_http_sessions_cancel (self->sessions);
  if (self->listener)
    rw_http_listener_stop (self->listener);
  if (self->server)
    soup_server_disconnect (self->server);
}

/* --- for the protocols beside the JSON API (rw-http-private.h) --- */

/**
 * rw_http_server_get_config:
 * @self: a server
 *
 * Returns: (transfer none): the settings the server serves with now.
 */
const RwConfig *
rw_http_server_get_config (RwHttpServer * self)
{
  return self->config;
}

/**
 * rw_http_server_lookup_stream:
 * @self: a server
 * @name: (nullable): a stream's name; %NULL for the first stream mounted
 *
 * Returns: (transfer none) (nullable): the mounted stream's name, or %NULL
 * if there is none.
 */
const gchar *
rw_http_server_lookup_stream (RwHttpServer * self, const gchar * name)
{
  Mount *mount = find_mount (self, name);

  return mount ? mount->name : NULL;
}

/**
 * rw_http_server_dup_stream_names:
 * @self: a server
 *
 * Returns: (transfer full): the mounted streams' names, comma-separated,
 * for error messages.
 */
gchar *
rw_http_server_dup_stream_names (RwHttpServer * self)
{
  return stream_names (self);
}

/**
 * rw_http_server_open_session:
 * @self: a server
 * @msg: the request whose offer opens the session; paused until @opened
 *   has replied to it
 * @stream: a mounted stream's name
 * @offer: the offer's SDP text
 * @opened: replies to @msg once the host answered or failed
 * @data: (nullable) (transfer full): the protocol's data for the session
 * @free_data: (nullable): frees @data once the server forgets the session
 * @error: why no session was opened: %RW_ERROR_FULL (max-viewers sessions
 *   of every stream and protocol are open), %RW_ERROR_NOT_FOUND,
 *   %RW_ERROR_UNAUTHORIZED (the token's session time is over, or it was
 *   revoked; the Bearer challenge is set on @msg) or %RW_ERROR_CONFLICT
 *   (the token's owner has its `max_sessions`)
 *
 * Opens a session as `POST /offer` does: the server mints its id,
 * remembers its host, stream, token owner and end (closing it then),
 * counts it against max-viewers while it is answered and afterwards, and
 * cancels the host's open if the client goes away, the stream is
 * unmounted or the server stops.
 *
 * Returns: %TRUE if the host was asked; @msg is then replied to by
 * @opened, else by the caller.
 */
gboolean
rw_http_server_open_session (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * stream, const gchar * offer, RwHttpOpenedFunc opened,
    gpointer data, GDestroyNotify free_data, GError ** error)
{
  Mount *mount;

  g_return_val_if_fail (stream != NULL && offer != NULL, FALSE);

  mount = find_mount (self, stream);
  if (mount == NULL) {
    if (free_data)
      free_data (data);
    g_set_error (error, RW_ERROR, RW_ERROR_NOT_FOUND, "no stream '%s'", stream);
    return FALSE;
  }
  return open_session (self, msg, mount, offer, opened, data, free_data, error);
}

/**
 * rw_http_server_get_session_data:
 * @self: a server
 * @session_id: a session's id
 * @free_data: the protocol's free function, which tells its sessions
 *
 * Returns: (transfer none) (nullable): the data of the session, if the
 * server knows it and it was opened with @free_data.
 */
gpointer
rw_http_server_get_session_data (RwHttpServer * self,
    const gchar * session_id, GDestroyNotify free_data)
{
  return rw_http_sessions_get_data (self->sessions, session_id, free_data);
}

/**
 * rw_http_server_find_session:
 * @self: a server
 * @msg: a request that acts on the session
 * @session_id: the session's id
 *
 * Checks that @msg may act on the session, as `POST /ice-candidate` and
 * `DELETE /peers/{id}` do: with tokens, only its owner may. Replies 404
 * or 403 otherwise.
 *
 * Returns: (transfer none) (nullable): the session's host, or %NULL when
 * @msg was replied to.
 */
RwSessionHost *
rw_http_server_find_session (RwHttpServer * self, SoupServerMessage * msg,
    const gchar * session_id)
{
  return find_session (self, msg, session_id);
}

/**
 * rw_http_server_reply_error:
 * @msg: a request
 * @status: the HTTP status
 * @format: the error's message, a printf format
 * @...: its arguments
 *
 * Replies with @status and the JSON body `{"error": message}`.
 */
void
rw_http_server_reply_error (SoupServerMessage * msg, guint status,
    const gchar * format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  reply_error (msg, status, "%s", message);
}

/**
 * rw_http_server_status_for_error:
 * @error: a host's or a parser's error
 *
 * Returns: the HTTP status an %RW_ERROR code is answered with.
 */
guint
rw_http_server_status_for_error (const GError * error)
{
  return status_for_error (error);
}

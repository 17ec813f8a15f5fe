/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-turn
 * @title: RwTurn
 * @short_description: the TURN server and the credentials to use it
 *
 * #RwTurn is the robot's TURN server: its address (`turn:host:port`,
 * `turns:host:port`, optionally `?transport=tcp`) and either a static user
 * name and password or the coturn `static-auth-secret` from which it mints
 * its own time-limited credentials (TURN REST: the user name is
 * `EXPIRY:NAME`, the password base64(HMAC-SHA1(secret, user name))).
 *
 * Minted credentials are renewed without a timer: time is cut into
 * windows of half the lifetime, and each window's credentials expire one
 * lifetime after the window starts, so whoever asks gets credentials valid
 * for at least half the lifetime, and two #RwTurn made from the same
 * settings (the signaling side for WHEP `Link` headers, the media side for
 * webrtcbin) hand out the same ones at the same time.
 *
 * A viewer already connected keeps the allocation webrtcbin made with the
 * credentials it was given: coturn checks the credentials' expiry when
 * an allocation is made and keeps the key for its refreshes
 * (docs/networking.md).
 *
 * It also counts the viewers whose ICE gathering ended with or without a
 * relay candidate, for `/status` and the operator's log. Its methods may be
 * called from any thread. Neither the secret, the password nor minted
 * credentials are ever logged or shown.
 */

#include "rw-turn.h"
#include "rw-error.h"

#include <string.h>

#define DEFAULT_PORT 3478
#define DEFAULT_TLS_PORT 5349

typedef enum
{
  STATE_UNKNOWN,
  STATE_RELAY,
  STATE_NO_RELAY,
} GatherState;

struct _RwTurn
{
  GObject parent;

  /* set at construction, then read only */
  gchar *scheme;                /* "turn" or "turns" */
  gchar *host;
  guint port;
  gchar *transport;             /* NULL, "udp" or "tcp" */
  gchar *server;                /* scheme:host:port[?transport=…] */
  gchar *user;                  /* static credentials, or NULL */
  gchar *password;
  guint8 *secret;               /* coturn's static-auth-secret, or NULL */
  gsize secret_len;
  gchar *name;                  /* in minted user names */
  guint lifetime;               /* seconds, minted credentials */

  GMutex lock;                  /* protects the fields below */
  GatherState state;
  guint64 with_relay;
  guint64 without_relay;
  gint64 last_warning;          /* seconds, 0: never */
};

G_DEFINE_FINAL_TYPE (RwTurn, rw_turn, G_TYPE_OBJECT);

static void
wipe (gchar * text)
{
  if (text)
    memset (text, 0, strlen (text));
  g_free (text);
}

static void
rw_turn_finalize (GObject * object)
{
  RwTurn *self = RW_TURN (object);

  g_free (self->scheme);
  g_free (self->host);
  g_free (self->transport);
  g_free (self->server);
  g_free (self->user);
  wipe (self->password);
  if (self->secret)
    memset (self->secret, 0, self->secret_len);
  g_free (self->secret);
  g_free (self->name);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (rw_turn_parent_class)->finalize (object);
}

static void
rw_turn_class_init (RwTurnClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_turn_finalize;
}

static void
rw_turn_init (RwTurn * self)
{
  g_mutex_init (&self->lock);
}

/* --- the server's URI --- */

typedef struct
{
  gchar *scheme;
  gchar *host;
  guint port;
  gchar *transport;
  gchar *user;                  /* decoded; NULL without credentials */
  gchar *password;
} ServerUri;

static void
server_uri_clear (ServerUri * uri)
{
  g_free (uri->scheme);
  g_free (uri->host);
  g_free (uri->transport);
  g_free (uri->user);
  wipe (uri->password);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ServerUri, server_uri_clear);

/* turn:host[:port][?transport=udp|tcp] (RFC 7065), turns:…, and the form
 * webrtcbin takes, turn://[user:password@]host[:port][?transport=…]. The
 * messages never quote @text: it may hold a password. */
static gboolean
parse_server (const gchar * text, ServerUri * out, GError ** error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) uri_error = NULL;
  g_autofree gchar *full = NULL;
  const gchar *rest, *query;
  gint port;

  if (g_str_has_prefix (text, "turn:"))
    out->scheme = g_strdup ("turn");
  else if (g_str_has_prefix (text, "turns:"))
    out->scheme = g_strdup ("turns");
  else {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-server must start with turn: or turns: (e.g. "
        "turn:turn.example.org:3478?transport=tcp)");
    return FALSE;
  }
  rest = text + strlen (out->scheme) + 1;
  if (g_str_has_prefix (rest, "//"))
    rest += 2;
  full = g_strconcat (out->scheme, "://", rest, NULL);

  uri = g_uri_parse (full, G_URI_FLAGS_HAS_PASSWORD |
      G_URI_FLAGS_ENCODED_QUERY, &uri_error);
  if (uri == NULL) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-server is not a valid URI (a bad port, or a user or password "
        "that is not percent-escaped: give them as turn-user and "
        "turn-password instead)");
    return FALSE;
  }
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0') {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-server has no host (expected turn:host:port)");
    return FALSE;
  }
  if (*g_uri_get_path (uri) != '\0' || g_uri_get_fragment (uri) != NULL) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-server must be turn:host:port with nothing after the port "
        "but ?transport=udp or ?transport=tcp");
    return FALSE;
  }
  port = g_uri_get_port (uri);
  if (port == 0) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-server: the port must be between 1 and 65535");
    return FALSE;
  }
  out->port = port > 0 ? (guint) port :
      g_str_equal (out->scheme, "turns") ? DEFAULT_TLS_PORT : DEFAULT_PORT;

  query = g_uri_get_query (uri);
  if (query && g_str_equal (query, "transport=udp"))
    out->transport = g_strdup ("udp");
  else if (query && g_str_equal (query, "transport=tcp"))
    out->transport = g_strdup ("tcp");
  else if (query) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-server: the only parameter is ?transport=udp or "
        "?transport=tcp, got '?%s'", query);
    return FALSE;
  }
  if (g_strcmp0 (out->transport, "udp") == 0 &&
      g_str_equal (out->scheme, "turns")) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-server: turns: is TLS over TCP; ?transport=udp does not go "
        "with it");
    return FALSE;
  }

  out->host = g_strdup (g_uri_get_host (uri));
  if (g_uri_get_user (uri) && *g_uri_get_user (uri)) {
    out->user = g_strdup (g_uri_get_user (uri));
    out->password = g_strdup (g_uri_get_password (uri) ?
        g_uri_get_password (uri) : "");
  }
  return TRUE;
}

static gboolean
check_credential (const gchar * key, const gchar * value, GError ** error)
{
  if (value == NULL)
    return TRUE;
  if (*value == '\0' || strlen (value) > RW_TURN_MAX_CREDENTIAL ||
      !g_utf8_validate (value, -1, NULL)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "%s must be 1 to %d bytes of UTF-8", key, RW_TURN_MAX_CREDENTIAL);
    return FALSE;
  }
  return TRUE;
}

/**
 * rw_turn_check_settings:
 * @server: (nullable): turn-server
 * @user: (nullable): turn-user
 * @password: (nullable): turn-password
 * @secret_file: (nullable): turn-secret-file
 * @lifetime: turn-credential-lifetime
 * @error: where to say which TURN setting is wrong, naming its key
 *
 * Checks the TURN settings together, without reading the secret file: the
 * URI's scheme, host, port and parameter; a user name with a password;
 * credentials given once (in the URI, as turn-user and turn-password, or
 * as a secret file); nothing of TURN without turn-server.
 *
 * Returns: %TRUE if they are usable.
 */
gboolean
rw_turn_check_settings (const gchar * server, const gchar * user,
    const gchar * password, const gchar * secret_file, guint lifetime,
    GError ** error)
{
  g_auto (ServerUri) uri = { 0 };
  gboolean statics = user || password;

  if (lifetime < RW_TURN_MIN_LIFETIME || lifetime > RW_TURN_MAX_LIFETIME) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-credential-lifetime must be between %d and %d seconds, got %u",
        RW_TURN_MIN_LIFETIME, RW_TURN_MAX_LIFETIME, lifetime);
    return FALSE;
  }
  if (server == NULL) {
    if (statics || secret_file) {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          secret_file ? "turn-secret-file needs turn-server" :
          user ? "turn-user needs turn-server" :
          "turn-password needs turn-server");
      return FALSE;
    }
    return TRUE;
  }

  if (!parse_server (server, &uri, error) ||
      !check_credential ("turn-user", user, error) ||
      !check_credential ("turn-password", password, error))
    return FALSE;

  if (user && password == NULL) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-user needs turn-password");
    return FALSE;
  }
  if (password && user == NULL) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-password needs turn-user");
    return FALSE;
  }
  if (statics && secret_file) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-secret-file and turn-user/turn-password exclude each other: "
        "the robot either mints its credentials from the secret or uses "
        "the static ones");
    return FALSE;
  }
  if (uri.user && (statics || secret_file)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-server has credentials in it and %s gives them again: give "
        "them only once (better as turn-user and turn-password)",
        statics ? "turn-user/turn-password" : "turn-secret-file");
    return FALSE;
  }
  if (uri.user == NULL && !statics && secret_file == NULL) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-server needs credentials: turn-user and turn-password, or "
        "turn-secret-file (coturn's static-auth-secret)");
    return FALSE;
  }
  return TRUE;
}

static RwTurn *
turn_new (ServerUri * uri)
{
  RwTurn *self = g_object_new (RW_TYPE_TURN, NULL);
  gboolean v6 = strchr (uri->host, ':') != NULL;

  self->scheme = g_steal_pointer (&uri->scheme);
  self->host = g_steal_pointer (&uri->host);
  self->port = uri->port;
  self->transport = g_steal_pointer (&uri->transport);
  self->server = g_strdup_printf ("%s:%s%s%s:%u%s%s", self->scheme,
      v6 ? "[" : "", self->host, v6 ? "]" : "", self->port,
      self->transport ? "?transport=" : "",
      self->transport ? self->transport : "");
  return self;
}

/**
 * rw_turn_new:
 * @uri: `turn:host[:port][?transport=…]`, `turns:…`, or
 *   `turn://user:password@host…` with percent-escaped credentials
 * @user: (nullable): the user name, not escaped; %NULL: the one in @uri
 * @password: (nullable): its password, not escaped
 * @error: why @uri is unusable
 *
 * A TURN server with static credentials.
 *
 * Returns: (transfer full) (nullable): the server, or %NULL with @error set.
 */
RwTurn *
rw_turn_new (const gchar * uri, const gchar * user, const gchar * password,
    GError ** error)
{
  g_auto (ServerUri) parsed = { 0 };
  RwTurn *self;

  g_return_val_if_fail (uri != NULL, NULL);

  if (!parse_server (uri, &parsed, error))
    return NULL;
  if (user == NULL && parsed.user == NULL) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-server needs credentials: turn-user and turn-password, or "
        "turn-secret-file");
    return NULL;
  }
  self = turn_new (&parsed);
  if (user) {
    self->user = g_strdup (user);
    self->password = g_strdup (password ? password : "");
  } else {
    self->user = g_steal_pointer (&parsed.user);
    self->password = g_steal_pointer (&parsed.password);
  }
  return self;
}

/**
 * rw_turn_new_with_secret:
 * @uri: `turn:host[:port][?transport=…]` or `turns:…`, without credentials
 * @secret: (array length=secret_len): coturn's static-auth-secret
 * @secret_len: its length
 * @name: the part of minted user names after the expiry (the robot's id)
 * @lifetime: seconds minted credentials are valid
 * @error: why @uri is unusable
 *
 * A TURN server with TURN REST credentials minted from @secret.
 *
 * Returns: (transfer full) (nullable): the server, or %NULL with @error set.
 */
RwTurn *
rw_turn_new_with_secret (const gchar * uri, const guint8 * secret,
    gsize secret_len, const gchar * name, guint lifetime, GError ** error)
{
  g_auto (ServerUri) parsed = { 0 };
  RwTurn *self;

  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (secret != NULL && secret_len > 0, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (lifetime >= RW_TURN_MIN_LIFETIME, NULL);

  if (!parse_server (uri, &parsed, error))
    return NULL;
  if (parsed.user) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "turn-server has credentials in it and turn-secret-file gives them "
        "again");
    return NULL;
  }
  self = turn_new (&parsed);
  self->secret = g_memdup2 (secret, secret_len);
  self->secret_len = secret_len;
  self->name = g_strdup (name);
  self->lifetime = lifetime;
  return self;
}

/**
 * rw_turn_get_server:
 * @self: a TURN server
 *
 * Returns: (transfer none): `scheme:host:port[?transport=…]`, without
 * credentials: what logs and `/status` show.
 */
const gchar *
rw_turn_get_server (RwTurn * self)
{
  g_return_val_if_fail (RW_IS_TURN (self), NULL);

  return self->server;
}

/**
 * rw_turn_has_secret:
 * @self: a TURN server
 *
 * Returns: %TRUE if it mints its credentials, %FALSE if they are static.
 */
gboolean
rw_turn_has_secret (RwTurn * self)
{
  g_return_val_if_fail (RW_IS_TURN (self), FALSE);

  return self->secret != NULL;
}

/**
 * rw_turn_rest_expiry:
 * @now: unix time, seconds
 * @lifetime: seconds credentials are valid
 *
 * When the credentials handed out at @now expire: one @lifetime after the
 * start of @now's window of @lifetime / 2 seconds. They stay valid at least
 * @lifetime / 2 seconds after @now.
 *
 * Returns: unix time, seconds.
 */
gint64
rw_turn_rest_expiry (gint64 now, guint lifetime)
{
  gint64 window = MAX (lifetime / 2, 1);

  return now - now % window + lifetime;
}

/**
 * rw_turn_rest_username:
 * @expiry: unix time, seconds
 * @name: who the credentials are for
 *
 * Returns: (transfer full): `EXPIRY:NAME`.
 */
gchar *
rw_turn_rest_username (gint64 expiry, const gchar * name)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry, name);
}

/**
 * rw_turn_rest_password:
 * @secret: (array length=secret_len): coturn's static-auth-secret
 * @secret_len: its length
 * @username: a TURN REST user name
 *
 * Returns: (transfer full): base64 (HMAC-SHA1 (@secret, @username)).
 */
gchar *
rw_turn_rest_password (const guint8 * secret, gsize secret_len,
    const gchar * username)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, secret, secret_len);
  guint8 digest[20];
  gsize length = sizeof (digest);
  gchar *password;

  g_hmac_update (hmac, (const guchar *) username, -1);
  g_hmac_get_digest (hmac, digest, &length);
  password = g_base64_encode (digest, length);
  memset (digest, 0, sizeof (digest));
  return password;
}

/**
 * rw_turn_get_credentials:
 * @self: a TURN server
 * @now: unix time, seconds
 * @username: (out) (transfer full): the user name to use at @now
 * @password: (out) (transfer full): its password
 *
 * Returns: when they expire (unix time), or 0 for static credentials.
 */
gint64
rw_turn_get_credentials (RwTurn * self, gint64 now, gchar ** username,
    gchar ** password)
{
  gint64 expiry;

  g_return_val_if_fail (RW_IS_TURN (self), 0);
  g_return_val_if_fail (username != NULL && password != NULL, 0);

  if (self->secret == NULL) {
    *username = g_strdup (self->user);
    *password = g_strdup (self->password);
    return 0;
  }
  expiry = rw_turn_rest_expiry (now, self->lifetime);
  *username = rw_turn_rest_username (expiry, self->name);
  *password = rw_turn_rest_password (self->secret, self->secret_len, *username);
  return expiry;
}

/**
 * rw_turn_get_uri:
 * @self: a TURN server
 * @now: unix time, seconds
 *
 * The URI webrtcbin's `turn-server` takes, with the credentials of @now
 * percent-escaped: `turn://USER:PASSWORD@host:port[?transport=…]`. It
 * holds the password: never log it.
 *
 * Returns: (transfer full): the URI.
 */
gchar *
rw_turn_get_uri (RwTurn * self, gint64 now)
{
  g_autofree gchar *user = NULL;
  g_autofree gchar *password = NULL;
  g_autofree gchar *escaped_user = NULL;
  gchar *escaped_password, *uri;
  gboolean v6;

  g_return_val_if_fail (RW_IS_TURN (self), NULL);

  rw_turn_get_credentials (self, now, &user, &password);
  escaped_user = g_uri_escape_string (user, NULL, FALSE);
  escaped_password = g_uri_escape_string (password, NULL, FALSE);
  v6 = strchr (self->host, ':') != NULL;
  uri = g_strdup_printf ("%s://%s:%s@%s%s%s:%u%s%s", self->scheme,
      escaped_user, escaped_password, v6 ? "[" : "", self->host,
      v6 ? "]" : "", self->port, self->transport ? "?transport=" : "",
      self->transport ? self->transport : "");
  wipe (escaped_password);
  memset (password, 0, strlen (password));
  return uri;
}

/**
 * rw_turn_report_gathering:
 * @self: a TURN server
 * @relay: whether a viewer's ICE gathering ended with a relay candidate
 * @now: seconds, any clock that does not go back
 *
 * Counts one viewer's gathering, for rw_turn_add_status().
 *
 * Returns: %TRUE if the caller should warn the operator that there was no
 * relay candidate: for the first such viewer, then at most once every
 * %RW_TURN_WARNING_INTERVAL seconds.
 */
gboolean
rw_turn_report_gathering (RwTurn * self, gboolean relay, gint64 now)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TURN (self), FALSE);

  locker = g_mutex_locker_new (&self->lock);
  if (relay) {
    self->state = STATE_RELAY;
    self->with_relay++;
    return FALSE;
  }
  self->state = STATE_NO_RELAY;
  self->without_relay++;
  if (self->last_warning != 0 &&
      now - self->last_warning < RW_TURN_WARNING_INTERVAL)
    return FALSE;
  self->last_warning = now;
  return TRUE;
}

/**
 * rw_turn_add_status:
 * @self: a TURN server
 * @builder: a builder inside an object
 *
 * Adds `"turn": {"server", "credentials": "static"|"minted",
 * "credential_lifetime" (minted), "state": "unknown"|"relay"|"no-relay",
 * "reason" (no-relay), "viewers_with_relay", "viewers_without_relay"}`:
 * "state" is what the latest viewer's ICE gathering found. No credential
 * is shown.
 */
void
rw_turn_add_status (RwTurn * self, JsonBuilder * builder)
{
  static const gchar *states[] = { "unknown", "relay", "no-relay" };
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_if_fail (RW_IS_TURN (self));

  locker = g_mutex_locker_new (&self->lock);
  json_builder_set_member_name (builder, "turn");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "server");
  json_builder_add_string_value (builder, self->server);
  json_builder_set_member_name (builder, "credentials");
  json_builder_add_string_value (builder, self->secret ? "minted" : "static");
  if (self->secret) {
    json_builder_set_member_name (builder, "credential_lifetime");
    json_builder_add_int_value (builder, self->lifetime);
  }
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, states[self->state]);
  if (self->state == STATE_NO_RELAY) {
    json_builder_set_member_name (builder, "reason");
    json_builder_add_string_value (builder, "the latest viewer's ICE "
        "gathering ended without a relay candidate: the TURN server did not "
        "answer, refused the credentials, or cannot be reached over this "
        "transport");
  }
  json_builder_set_member_name (builder, "viewers_with_relay");
  json_builder_add_int_value (builder, self->with_relay);
  json_builder_set_member_name (builder, "viewers_without_relay");
  json_builder_add_int_value (builder, self->without_relay);
  json_builder_end_object (builder);
}

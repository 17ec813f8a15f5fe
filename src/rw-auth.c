/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-auth
 * @title: RwAuth
 * @short_description: viewer tokens: HS256 JSON Web Tokens from the backend
 *
 * The lab's backend checks the user's booking and hands the frontend a
 * short-lived token beside the robot's `webrtc_url`: a JWT (RFC 7519) in
 * the JWS compact form (RFC 7515), signed with HMAC-SHA256 and a secret it
 * shares with this robot only. #RwAuth verifies such tokens:
 *
 * - the header must say `"alg": "HS256"`; any other algorithm, `none`
 *   included, is refused before anything else is looked at, and so is a
 *   `crit` member (no extension is understood here);
 * - the signature is compared in constant time, and the claims are parsed
 *   only once it matches;
 * - `exp` is required; `nbf` is honoured; both allow the configured clock
 *   skew;
 * - with an audience configured (the robot's id), `aud` must name it;
 * - `iat`, `session_exp`, `max_sessions` and `scope` are checked when
 *   present (see check_claims()).
 *
 * Segments must be canonical unpadded base64url, and a token longer than
 * %RW_AUTH_MAX_TOKEN bytes is refused before it is decoded. Neither the
 * secret nor a token is ever logged.
 *
 * #RwAuthRevocations remembers the subjects the backend revoked, and when:
 * their tokens issued before that are refused. It lives in memory only,
 * and keeps the %RW_AUTH_MAX_REVOCATIONS most recent subjects.
 */

#include "rw-auth.h"
#include "rw-error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rw_auth_debug);
#define GST_CAT_DEFAULT rw_auth_debug

#define HS256_LEN 32
#define MAX_SUBJECT 256
#define MAX_SCOPE 1024

struct _RwAuth
{
  guint8 *secret;
  gsize secret_len;
  gchar *audience;              /* NULL: `aud` is not checked */
  guint clock_skew;             /* seconds */
};

static void
init_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rw_auth_debug, "rw-auth", 0,
        "robot-webrtc viewer tokens");
    g_once_init_leave (&once, 1);
  }
}

/**
 * rw_auth_new:
 * @secret: (array length=secret_len): the secret shared with the backend
 * @secret_len: its length, at least %RW_AUTH_MIN_SECRET
 * @audience: (nullable): the robot's id, which `aud` must name; %NULL does
 *   not check `aud`
 * @clock_skew: seconds of tolerance on `exp` and `nbf`
 *
 * Returns: (transfer full): a verifier holding a copy of @secret.
 */
RwAuth *
rw_auth_new (const guint8 * secret, gsize secret_len, const gchar * audience,
    guint clock_skew)
{
  RwAuth *auth;

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (secret_len >= RW_AUTH_MIN_SECRET, NULL);

  init_debug ();
  auth = g_new0 (RwAuth, 1);
  auth->secret = g_memdup2 (secret, secret_len);
  auth->secret_len = secret_len;
  auth->audience = audience && *audience ? g_strdup (audience) : NULL;
  auth->clock_skew = clock_skew;
  return auth;
}

/**
 * rw_auth_read_secret_file:
 * @path: a file holding a secret; one trailing newline is not part of it
 * @length: (out): the secret's length
 * @error: why the file cannot be used, naming it (never its content)
 *
 * Reads a shared secret. Refuses a file that others may read or anyone but
 * its owner may write (mode 0600, or 0640 with a group, is fine), and a
 * secret shorter than %RW_AUTH_MIN_SECRET bytes. The caller overwrites the
 * secret (memset) before freeing it.
 *
 * Returns: (transfer full) (nullable) (array length=length): the secret,
 * NUL-terminated, or %NULL with @error set.
 */
guint8 *
rw_auth_read_secret_file (const gchar * path, gsize * length, GError ** error)
{
  g_autoptr (GError) read_error = NULL;
  gchar *contents = NULL;
  GStatBuf st;
  gsize size;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (length != NULL, NULL);

  if (g_stat (path, &st) != 0) {
    int saved_errno = errno;

    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "secret file %s: %s", path, g_strerror (saved_errno));
    return NULL;
  }
  if (!S_ISREG (st.st_mode)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "secret file %s: not a regular file", path);
    return NULL;
  }
  if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "secret file %s: mode %04o lets other users read or change it; "
        "chmod 600 (or 640 for a group) it", path,
        (guint) (st.st_mode & 07777));
    return NULL;
  }
  if (st.st_size > RW_AUTH_MAX_SECRET + 2) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "secret file %s: larger than %d bytes", path, RW_AUTH_MAX_SECRET);
    return NULL;
  }
  if (!g_file_get_contents (path, &contents, &size, &read_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "secret file %s: %s", path, read_error->message);
    return NULL;
  }

  if (size > 0 && contents[size - 1] == '\n')
    size--;
  if (size > 0 && contents[size - 1] == '\r')
    size--;
  contents[size] = '\0';

  if (size < RW_AUTH_MIN_SECRET || size > RW_AUTH_MAX_SECRET) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "secret file %s: the secret has %" G_GSIZE_FORMAT " bytes; it needs "
        "%d to %d (make one with: openssl rand -hex 32 > %s)", path, size,
        RW_AUTH_MIN_SECRET, RW_AUTH_MAX_SECRET, path);
    memset (contents, 0, size);
    g_free (contents);
    return NULL;
  }

  *length = size;
  return (guint8 *) contents;
}

/**
 * rw_auth_new_from_file:
 * @path: a file holding the secret; one trailing newline is not part of it
 * @audience: (nullable): as for rw_auth_new()
 * @clock_skew: as for rw_auth_new()
 * @error: why the file cannot be used, naming it (never its content)
 *
 * Reads the secret with rw_auth_read_secret_file().
 *
 * Returns: (transfer full) (nullable): a verifier, or %NULL with @error set.
 */
RwAuth *
rw_auth_new_from_file (const gchar * path, const gchar * audience,
    guint clock_skew, GError ** error)
{
  guint8 *secret;
  gsize length;
  RwAuth *auth;

  g_return_val_if_fail (path != NULL, NULL);

  secret = rw_auth_read_secret_file (path, &length, error);
  if (secret == NULL)
    return NULL;
  auth = rw_auth_new (secret, length, audience, clock_skew);
  memset (secret, 0, length);
  g_free (secret);
  return auth;
}

/**
 * rw_auth_free:
 * @auth: (nullable): a verifier
 *
 * Frees @auth, overwriting its copy of the secret.
 */
void
rw_auth_free (RwAuth * auth)
{
  if (auth == NULL)
    return;

  memset (auth->secret, 0, auth->secret_len);
  g_free (auth->secret);
  g_free (auth->audience);
  g_free (auth);
}

/**
 * rw_auth_get_audience:
 * @auth: a verifier
 *
 * Returns: (transfer none) (nullable): the audience tokens must name.
 */
const gchar *
rw_auth_get_audience (RwAuth * auth)
{
  return auth->audience;
}

/**
 * rw_auth_claims_free:
 * @claims: (nullable): claims
 */
void
rw_auth_claims_free (RwAuthClaims * claims)
{
  if (claims == NULL)
    return;

  g_free (claims->subject);
  g_free (claims->owner);
  g_free (claims->scope);
  g_free (claims);
}

/**
 * rw_auth_claims_has_scope:
 * @claims: a verified token's claims
 * @scope: a scope name, such as %RW_AUTH_SCOPE_ADMIN
 *
 * Returns: whether the token's `scope` (space-separated names, RFC 8693
 * §4.2) names @scope.
 */
gboolean
rw_auth_claims_has_scope (const RwAuthClaims * claims, const gchar * scope)
{
  g_auto (GStrv) names = NULL;

  g_return_val_if_fail (claims != NULL, FALSE);
  g_return_val_if_fail (scope != NULL, FALSE);

  if (claims->scope == NULL)
    return FALSE;
  names = g_strsplit (claims->scope, " ", -1);
  return g_strv_contains ((const gchar * const *) names, scope);
}

/* --- decoding --- */

/* *INDENT-OFF* */
static gboolean fail (GError ** error, const gchar * format, ...)
    G_GNUC_PRINTF (2, 3);
/* *INDENT-ON* */

static gboolean
fail (GError ** error, const gchar * format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, RW_ERROR, RW_ERROR_UNAUTHORIZED, message);
  return FALSE;
}

static gboolean
is_base64url_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

/* Decodes unpadded base64url (RFC 7515 §2). GLib's decoder skips
 * characters it does not know, so the alphabet is checked here, and the
 * text must be the canonical encoding of what it decodes to. */
static GBytes *
base64url_decode (const gchar * text, gsize length, const gchar * what,
    GError ** error)
{
  g_autofree gchar *standard = NULL;
  g_autofree gchar *again = NULL;
  g_autofree guchar *data = NULL;
  gsize padded, size = 0;

  if (length == 0) {
    fail (error, "the token's %s is empty", what);
    return NULL;
  }
  for (gsize i = 0; i < length; i++) {
    if (!is_base64url_char (text[i])) {
      fail (error, "the token's %s is not base64url", what);
      return NULL;
    }
  }
  if (length % 4 == 1) {
    fail (error, "the token's %s is truncated", what);
    return NULL;
  }

  padded = (length + 3) / 4 * 4;
  standard = g_malloc (padded + 1);
  for (gsize i = 0; i < padded; i++) {
    if (i >= length)
      standard[i] = '=';
    else if (text[i] == '-')
      standard[i] = '+';
    else if (text[i] == '_')
      standard[i] = '/';
    else
      standard[i] = text[i];
  }
  standard[padded] = '\0';
  data = g_base64_decode (standard, &size);

  /* Unused low bits must be zero: one token, one spelling. */
  again = g_base64_encode (data, size);
  if (strncmp (again, standard, padded) != 0) {
    fail (error, "the token's %s is not canonical base64url", what);
    return NULL;
  }
  return g_bytes_new_take (g_steal_pointer (&data), size);
}

static JsonObject *
decode_json_object (const gchar * text, gsize length, const gchar * what,
    GError ** error)
{
  g_autoptr (GBytes) bytes = base64url_decode (text, length, what, error);
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) parse_error = NULL;
  JsonNode *root;
  gsize size;
  const gchar *data;

  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &size);
  parser = json_parser_new_immutable ();
  if (size == 0 || !g_utf8_validate (data, size, NULL) ||
      !json_parser_load_from_data (parser, data, size, &parse_error)) {
    fail (error, "the token's %s is not JSON", what);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    fail (error, "the token's %s is not a JSON object", what);
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

/* A NumericDate (RFC 7519 §2): integer or fractional seconds. */
static gboolean
get_time (JsonObject * object, const gchar * name, gboolean required,
    gint64 * value, GError ** error)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;

  if (node == NULL) {
    if (required)
      return fail (error, "the token has no '%s' claim", name);
    return TRUE;
  }
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : 0;
  if (type == G_TYPE_INT64) {
    *value = json_node_get_int (node);
    return TRUE;
  }
  if (type == G_TYPE_DOUBLE) {
    gdouble d = json_node_get_double (node);

    if (d > -1e15 && d < 1e15) {
      *value = (gint64) d;
      return TRUE;
    }
  }
  return fail (error, "the token's '%s' claim is not a time in seconds", name);
}

static gboolean
check_header (JsonObject * header, GError ** error)
{
  JsonNode *alg = json_object_get_member (header, "alg");
  JsonNode *typ = json_object_get_member (header, "typ");
  const gchar *name;

  if (alg == NULL || !JSON_NODE_HOLDS_VALUE (alg) ||
      json_node_get_value_type (alg) != G_TYPE_STRING)
    return fail (error, "the token's header has no 'alg'");
  name = json_node_get_string (alg);
  if (!g_str_equal (name, "HS256")) {
    g_autofree gchar *shown = g_strndup (name, 16);

    g_strcanon (shown, G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS "-_", '?');
    return fail (error, "the token's algorithm must be HS256, not '%s'", shown);
  }
  if (typ != NULL && (!JSON_NODE_HOLDS_VALUE (typ) ||
          json_node_get_value_type (typ) != G_TYPE_STRING ||
          g_ascii_strcasecmp (json_node_get_string (typ), "JWT") != 0))
    return fail (error, "the token's 'typ' must be JWT");
  if (json_object_has_member (header, "crit"))
    return fail (error, "the token's header has 'crit' extensions, which "
        "are not supported");
  return TRUE;
}

static gboolean
audience_matches (JsonNode * aud, const gchar * audience)
{
  if (JSON_NODE_HOLDS_VALUE (aud) &&
      json_node_get_value_type (aud) == G_TYPE_STRING)
    return g_strcmp0 (json_node_get_string (aud), audience) == 0;

  if (JSON_NODE_HOLDS_ARRAY (aud)) {
    JsonArray *array = json_node_get_array (aud);

    for (guint i = 0; i < json_array_get_length (array); i++) {
      JsonNode *item = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (item) &&
          json_node_get_value_type (item) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (item), audience) == 0)
        return TRUE;
    }
  }
  return FALSE;
}

static gboolean
is_printable (const gchar * text)
{
  for (const gchar * p = text; *p; p = g_utf8_next_char (p)) {
    if (!g_unichar_isprint (g_utf8_get_char (p)))
      return FALSE;
  }
  return TRUE;
}

static gboolean
check_subject (const gchar * sub, GError ** error)
{
  if (*sub == '\0' || strlen (sub) > MAX_SUBJECT || !is_printable (sub))
    return fail (error, "the token's 'sub' claim must be 1 to %d "
        "printable characters", MAX_SUBJECT);
  return TRUE;
}

/* The times first: whether the token expired depends on `session_exp`
 * too, which says whether the booking is over. */
static gboolean
check_times (RwAuth * auth, JsonObject * payload, gint64 now,
    RwAuthVerifyFlags flags, RwAuthClaims * claims, GError ** error)
{
  gint64 skew = auth->clock_skew;

  if (!get_time (payload, "exp", TRUE, &claims->expires, error) ||
      !get_time (payload, "nbf", FALSE, &claims->not_before, error) ||
      !get_time (payload, "iat", FALSE, &claims->issued_at, error) ||
      !get_time (payload, "session_exp", FALSE, &claims->session_expires,
          error))
    return FALSE;

  if (!json_object_has_member (payload, "session_exp"))
    claims->session_expires = claims->expires;
  else if (claims->session_expires < claims->expires)
    return fail (error, "the token's 'session_exp' claim is before its "
        "'exp'");
  else if (claims->session_expires - claims->expires >
      RW_AUTH_MAX_SESSION_EXTENSION)
    return fail (error, "the token's 'session_exp' claim is more than %d h "
        "after its 'exp'", RW_AUTH_MAX_SESSION_EXTENSION / 3600);

  if (!(flags & RW_AUTH_VERIFY_ALLOW_EXPIRED) && now >= claims->expires + skew)
    return fail (error, "the token has expired (%" G_GINT64_FORMAT " s ago)%s",
        now - claims->expires, now >= claims->session_expires ?
        ": " RW_AUTH_BOOKING_OVER : "");
  if (claims->not_before && now + skew < claims->not_before)
    return fail (error, "the token is not valid yet (for another %"
        G_GINT64_FORMAT " s)", claims->not_before - now);
  if (claims->issued_at && now + skew < claims->issued_at)
    return fail (error, "the token was issued in the future (in %"
        G_GINT64_FORMAT " s): check the clocks", claims->issued_at - now);
  return TRUE;
}

/* A non-negative integer claim, or -1 when absent. */
static gboolean
get_count (JsonObject * payload, const gchar * name, gint64 min,
    gint64 * value, GError ** error)
{
  JsonNode *node = json_object_get_member (payload, name);

  *value = -1;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < min)
    return fail (error, "the token's '%s' claim is not a %s integer", name,
        min > 0 ? "positive" : "non-negative");
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
check_claims (RwAuth * auth, JsonObject * payload, gint64 now,
    RwAuthVerifyFlags flags, RwAuthClaims * claims, GError ** error)
{
  JsonNode *node;

  if (!check_times (auth, payload, now, flags, claims, error))
    return FALSE;

  if (auth->audience) {
    node = json_object_get_member (payload, "aud");
    if (node == NULL)
      return fail (error, "the token has no 'aud' claim (it must name "
          "this robot)");
    if (!audience_matches (node, auth->audience))
      return fail (error, "the token is for another robot ('aud' does not "
          "name this one)");
  }

  node = json_object_get_member (payload, "sub");
  if (node != NULL) {
    if (!JSON_NODE_HOLDS_VALUE (node) ||
        json_node_get_value_type (node) != G_TYPE_STRING)
      return fail (error, "the token's 'sub' claim is not a string");
    if (!check_subject (json_node_get_string (node), error))
      return FALSE;
    claims->subject = g_strdup (json_node_get_string (node));
  }

  if (!get_count (payload, "max_viewers", 0, &claims->max_viewers, error) ||
      !get_count (payload, "max_sessions", 1, &claims->max_sessions, error))
    return FALSE;

  node = json_object_get_member (payload, "scope");
  if (node != NULL) {
    if (!JSON_NODE_HOLDS_VALUE (node) ||
        json_node_get_value_type (node) != G_TYPE_STRING ||
        strlen (json_node_get_string (node)) > MAX_SCOPE)
      return fail (error, "the token's 'scope' claim is not a string of at "
          "most %d bytes", MAX_SCOPE);
    claims->scope = g_strdup (json_node_get_string (node));
  }
  return TRUE;
}

static gboolean
equal_in_constant_time (const guint8 * a, const guint8 * b, gsize length)
{
  volatile guint8 diff = 0;

  for (gsize i = 0; i < length; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

/**
 * rw_auth_verify:
 * @auth: a verifier
 * @token: a compact JWS, `header.payload.signature`
 * @now: the time, in seconds since the epoch
 * @flags: what to relax
 * @error: why the token is refused (%RW_ERROR_UNAUTHORIZED), in words that
 *   may be shown to the client: they never quote the token
 *
 * Returns: (transfer full) (nullable): the token's claims, or %NULL with
 * @error set.
 */
RwAuthClaims *
rw_auth_verify (RwAuth * auth, const gchar * token, gint64 now,
    RwAuthVerifyFlags flags, GError ** error)
{
  g_autoptr (RwAuthClaims) claims = NULL;
  g_autoptr (JsonObject) header = NULL;
  g_autoptr (JsonObject) payload = NULL;
  g_autoptr (GBytes) signature = NULL;
  g_autoptr (GHmac) hmac = NULL;
  const gchar *dot1, *dot2;
  guint8 digest[HS256_LEN];
  gsize digest_len = sizeof (digest);
  gsize length;

  g_return_val_if_fail (auth != NULL, NULL);
  g_return_val_if_fail (token != NULL, NULL);

  length = strnlen (token, RW_AUTH_MAX_TOKEN + 1);
  if (length > RW_AUTH_MAX_TOKEN) {
    fail (error, "the token is longer than %d bytes", RW_AUTH_MAX_TOKEN);
    return NULL;
  }
  dot1 = memchr (token, '.', length);
  dot2 = dot1 ? memchr (dot1 + 1, '.', length - (dot1 + 1 - token)) : NULL;
  if (dot2 == NULL || memchr (dot2 + 1, '.', length - (dot2 + 1 - token))) {
    fail (error, "the token is not a signed JWT (header.payload.signature)");
    return NULL;
  }

  header = decode_json_object (token, dot1 - token, "header", error);
  if (header == NULL || !check_header (header, error))
    return NULL;

  signature = base64url_decode (dot2 + 1, length - (dot2 + 1 - token),
      "signature", error);
  if (signature == NULL)
    return NULL;
  if (g_bytes_get_size (signature) != HS256_LEN) {
    fail (error, "the token's signature does not match");
    return NULL;
  }
  hmac = g_hmac_new (G_CHECKSUM_SHA256, auth->secret, auth->secret_len);
  g_hmac_update (hmac, (const guchar *) token, dot2 - token);
  g_hmac_get_digest (hmac, digest, &digest_len);
  if (!equal_in_constant_time (digest, g_bytes_get_data (signature, NULL),
          HS256_LEN)) {
    fail (error, "the token's signature does not match");
    return NULL;
  }

  /* Authentic: only now is the payload parsed. */
  payload = decode_json_object (dot1 + 1, dot2 - (dot1 + 1), "payload", error);
  if (payload == NULL)
    return NULL;
  claims = g_new0 (RwAuthClaims, 1);
  if (!check_claims (auth, payload, now, flags, claims, error))
    return NULL;

  if (claims->subject) {
    claims->owner = g_strconcat ("sub:", claims->subject, NULL);
  } else {
    g_autofree gchar *hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256,
        signature);

    hash[32] = '\0';
    claims->owner = g_strconcat ("sig:", hash, NULL);
  }
  GST_DEBUG ("token for %s accepted, expires in %" G_GINT64_FORMAT " s",
      claims->owner, claims->expires - now);
  return g_steal_pointer (&claims);
}

/**
 * rw_auth_parse_bearer:
 * @authorization: (nullable): an `Authorization` header
 * @error: why there is no token (%RW_ERROR_UNAUTHORIZED)
 *
 * Finds the token of `Authorization: Bearer <token>` (RFC 6750 §2.1).
 *
 * Returns: (transfer full) (nullable): the token.
 */
gchar *
rw_auth_parse_bearer (const gchar * authorization, GError ** error)
{
  const gchar *token;
  gsize n;

  if (authorization == NULL) {
    fail (error, "a viewer token is needed: send Authorization: Bearer "
        "<token>, as the backend issued it");
    return NULL;
  }
  if (g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0) {
    fail (error, "the Authorization header must be 'Bearer <token>'");
    return NULL;
  }
  token = authorization + 7;
  while (*token == ' ')
    token++;
  n = strlen (token);
  while (n > 0 && token[n - 1] == ' ')
    n--;
  if (n == 0) {
    fail (error, "the Authorization header has no token after 'Bearer'");
    return NULL;
  }
  return g_strndup (token, n);
}

/* --- revocations --- */

typedef struct
{
  gchar *subject;
  gint64 time;                  /* µs since the epoch */
} Revocation;

struct _RwAuthRevocations
{
  guint max_subjects;
  GQueue order;                 /* Revocation, the oldest first */
  GHashTable *subjects;         /* subject (the entry's) -> its GList link */
};

static void
revocation_free (Revocation * revocation)
{
  g_free (revocation->subject);
  g_free (revocation);
}

/**
 * rw_auth_revocations_new:
 * @max_subjects: how many subjects to remember at most; beyond that, the
 *   one revoked longest ago is forgotten
 *
 * Returns: (transfer full): an empty revocation list.
 */
RwAuthRevocations *
rw_auth_revocations_new (guint max_subjects)
{
  RwAuthRevocations *self;

  g_return_val_if_fail (max_subjects > 0, NULL);

  init_debug ();
  self = g_new0 (RwAuthRevocations, 1);
  self->max_subjects = max_subjects;
  g_queue_init (&self->order);
  self->subjects = g_hash_table_new (g_str_hash, g_str_equal);
  return self;
}

/**
 * rw_auth_revocations_free:
 * @self: (nullable): a revocation list
 */
void
rw_auth_revocations_free (RwAuthRevocations * self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->subjects);
  g_queue_clear_full (&self->order, (GDestroyNotify) revocation_free);
  g_free (self);
}

/**
 * rw_auth_revocations_add:
 * @self: a revocation list
 * @subject: a `sub`
 * @now_us: the time of the revocation, in µs since the epoch
 *
 * Refuses, from now on, the tokens of @subject issued before @now_us. A
 * subject revoked again moves to the newest end, with the later time.
 */
void
rw_auth_revocations_add (RwAuthRevocations * self, const gchar * subject,
    gint64 now_us)
{
  GList *link;
  Revocation *revocation;

  g_return_if_fail (self != NULL && subject != NULL);

  link = g_hash_table_lookup (self->subjects, subject);
  if (link) {
    revocation = link->data;
    revocation->time = MAX (revocation->time, now_us);
    g_queue_unlink (&self->order, link);
    g_queue_push_tail_link (&self->order, link);
    return;
  }

  revocation = g_new0 (Revocation, 1);
  revocation->subject = g_strdup (subject);
  revocation->time = now_us;
  g_queue_push_tail (&self->order, revocation);
  g_hash_table_insert (self->subjects, revocation->subject,
      g_queue_peek_tail_link (&self->order));

  while (self->order.length > self->max_subjects) {
    Revocation *oldest = g_queue_pop_head (&self->order);

    GST_INFO ("forgetting the revocation of %s: more than %u subjects "
        "revoked", oldest->subject, self->max_subjects);
    g_hash_table_remove (self->subjects, oldest->subject);
    revocation_free (oldest);
  }
}

/**
 * rw_auth_revocations_check:
 * @self: a revocation list
 * @claims: a verified token's claims
 * @error: why the token is refused (%RW_ERROR_UNAUTHORIZED); the message
 *   starts with %RW_AUTH_REVOKED
 *
 * A token of a revoked subject is refused unless its `iat` is at or after
 * the revocation (a token without `iat` is refused). Tokens without `sub`
 * cannot be revoked.
 *
 * Returns: %TRUE if the token is not revoked.
 */
gboolean
rw_auth_revocations_check (RwAuthRevocations * self,
    const RwAuthClaims * claims, GError ** error)
{
  g_autoptr (GDateTime) when = NULL;
  g_autofree gchar *text = NULL;
  Revocation *revocation;
  GList *link;

  g_return_val_if_fail (self != NULL && claims != NULL, FALSE);

  if (claims->subject == NULL)
    return TRUE;
  link = g_hash_table_lookup (self->subjects, claims->subject);
  if (link == NULL)
    return TRUE;
  revocation = link->data;
  if (claims->issued_at > 0 &&
      claims->issued_at * G_USEC_PER_SEC >= revocation->time)
    return TRUE;

  when = g_date_time_new_from_unix_utc (revocation->time / G_USEC_PER_SEC);
  text = when ? g_date_time_format (when, "%FT%TZ") : g_strdup ("?");
  return fail (error, RW_AUTH_REVOKED " (the backend revoked its 'sub' at "
      "%s%s); a token issued after that is needed", text,
      claims->issued_at > 0 ? "" : ", and it has no 'iat'");
}

/**
 * rw_auth_revocations_get_size:
 * @self: a revocation list
 *
 * Returns: how many subjects are remembered.
 */
guint
rw_auth_revocations_get_size (RwAuthRevocations * self)
{
  return self->order.length;
}

/**
 * rw_auth_parse_revocation:
 * @body: the body of `POST /revoke`: `{"sub": "…"}`
 * @error: what is wrong with it (%RW_ERROR_BAD_REQUEST)
 *
 * Other members are ignored.
 *
 * Returns: (transfer full) (nullable): the subject to revoke.
 */
gchar *
rw_auth_parse_revocation (GBytes * body, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GError) sub_error = NULL;
  const gchar *data;
  JsonNode *root, *node;
  gsize size = 0;

  data = body ? g_bytes_get_data (body, &size) : NULL;
  if (size == 0 || !g_utf8_validate (data, size, NULL) ||
      !json_parser_load_from_data (parser, data, size, &parse_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "the body is not JSON; send {\"sub\": \"<the user's sub>\"}");
    return NULL;
  }
  root = json_parser_get_root (parser);
  node = root && JSON_NODE_HOLDS_OBJECT (root) ?
      json_object_get_member (json_node_get_object (root), "sub") : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "the body must be a JSON object with a string 'sub'");
    return NULL;
  }
  if (!check_subject (json_node_get_string (node), &sub_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "'sub' must be 1 to %d printable characters", MAX_SUBJECT);
    return NULL;
  }
  return g_strdup (json_node_get_string (node));
}

/**
 * rw_auth_refusal_category:
 * @error: why rw_auth_parse_bearer(), rw_auth_verify() or
 *   rw_auth_revocations_check() refused a request
 *
 * Returns: a label from a bounded set, for counting refusals: `missing`,
 * `malformed` (the Authorization header), `expired`, `booking_over`,
 * `not_yet_valid`, `wrong_robot`, `bad_signature`, `revoked`, `invalid`
 * (anything else wrong with the token).
 */
const gchar *
rw_auth_refusal_category (const GError * error)
{
  static const struct
  {
    const gchar *prefix;
    const gchar *category;
  } prefixes[] = {
    {"a viewer token is needed", "missing"},
    {"the Authorization header", "malformed"},
    {"the token has expired", "expired"},
    {"the token is not valid yet", "not_yet_valid"},
    {"the token was issued in the future", "not_yet_valid"},
    {"the token is for another robot", "wrong_robot"},
    {"the token has no 'aud'", "wrong_robot"},
    {"the token's signature", "bad_signature"},
    {RW_AUTH_REVOKED, "revoked"},
  };
  const gchar *message = error ? error->message : "";

  if (strstr (message, RW_AUTH_BOOKING_OVER))
    return "booking_over";
  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++) {
    if (g_str_has_prefix (message, prefixes[i].prefix))
      return prefixes[i].category;
  }
  return "invalid";
}

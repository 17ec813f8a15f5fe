/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-whep
 * @title: WHEP
 * @short_description: the WebRTC-HTTP Egress Protocol beside the JSON API
 *
 * WHEP (draft-ietf-wish-whep, built on WHIP, RFC 9725) on the routes of
 * #RwHttpServer, with its media path, limits, tokens and CORS:
 *
 * - `POST /whep/NAME` (`POST /whep`: the first stream), the offer as
 *   `application/sdp` → `201 Created` with the answer, `Location:
 *   /whep/NAME/ID`, `ETag` and one `Link: <…>; rel="ice-server"` per
 *   configured STUN/TURN server;
 * - `PATCH /whep/NAME/ID`, an `application/trickle-ice-sdpfrag` (RFC 8840)
 *   → `204`: its candidates and end-of-candidates go to the session's
 *   host;
 * - `DELETE /whep/NAME/ID` → `200`: the session is closed at once.
 *
 * The session is opened exactly as `POST /offer` opens one
 * (rw_http_server_open_session(): the server mints the id, counts it in
 * max-viewers, remembers its owner, cancels the open if the client goes
 * away), and the server's early checks (rate, origin, size, token) apply
 * to these routes as to the others. What WHEP adds is kept with the
 * session: its stream, its entity tag, and the offer's a=mid and ICE
 * credentials of each m-line, to place a fragment's candidates and to
 * tell a trickle from an ICE restart.
 *
 * The sessions use max-bundle: webrtcbin adds every candidate to the one
 * bundled transport, so a fragment's candidates go to the host with the
 * index of the offer's m-line the fragment's a=mid names, or 0 when the
 * fragment has no m= line (or one without a=mid). ICE restarts are not
 * supported: a fragment with other ICE credentials than the offer's gets
 * `422` (RFC 9725 §4.3.1) and the session goes on as it was (§4.3.3).
 * Without ICE restarts the entity tag never changes; `If-Match` is checked
 * when sent (`412` when it does not match, `*` matches) and not required.
 *
 * Errors are JSON `{"error": …}`, as everywhere on the server; every
 * `503` has `Retry-After: 5` (%RW_WHEP_RETRY_AFTER_S).
 */

#include "rw-whep.h"
#include "rw-error.h"
#include "rw-http-private.h"
#include "rw-sdp.h"

#include <gst/gst.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rw_whep_debug);
#define GST_CAT_DEFAULT rw_whep_debug

#define PREFIX "/whep"

/* What WHEP keeps with a session of the server's table. */
typedef struct
{
  gchar *stream;
  gchar *etag;                  /* quoted, as the ETag header has it */
  GStrv mids;                   /* the offer's a=mid per m-line, "" if none */
  GStrv ufrags;                 /* its ICE credentials per m-line */
  GStrv pwds;
} WhepSession;

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (rw_whep_debug, "rw-whep", 0,
        "robot-webrtc WHEP signaling");
    g_once_init_leave (&done, 1);
  }
}

static void
whep_session_free (WhepSession * whep)
{
  g_free (whep->stream);
  g_free (whep->etag);
  g_strfreev (whep->mids);
  g_strfreev (whep->ufrags);
  g_strfreev (whep->pwds);
  g_free (whep);
}

static WhepSession *
whep_session_new (const gchar * stream, const GstSDPMessage * offer)
{
  WhepSession *whep = g_new0 (WhepSession, 1);
  g_autoptr (GStrvBuilder) mids = g_strv_builder_new ();
  g_autoptr (GStrvBuilder) ufrags = g_strv_builder_new ();
  g_autoptr (GStrvBuilder) pwds = g_strv_builder_new ();

  whep->stream = g_strdup (stream);
  /* a strong entity tag, unique to the session's one ICE session */
  whep->etag = g_strdup_printf ("\"%08x%08x%08x%08x\"", g_random_int (),
      g_random_int (), g_random_int (), g_random_int ());
  for (guint i = 0; i < gst_sdp_message_medias_len (offer); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer, i);
    const gchar *mid = gst_sdp_media_get_attribute_val (media, "mid");
    const gchar *ufrag, *pwd;

    rw_sdp_get_ice_credentials (offer, i, &ufrag, &pwd);
    g_strv_builder_add (mids, mid ? mid : "");
    g_strv_builder_add (ufrags, ufrag ? ufrag : "");
    g_strv_builder_add (pwds, pwd ? pwd : "");
  }
  whep->mids = g_strv_builder_end (mids);
  whep->ufrags = g_strv_builder_end (ufrags);
  whep->pwds = g_strv_builder_end (pwds);
  return whep;
}

/* --- replies --- */

/* An error as everywhere on the server; a 503 says when to try again. */
static void
reply_gerror (SoupServerMessage * msg, const GError * error)
{
  guint status = rw_http_server_status_for_error (error);

  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE)
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Retry-After", G_STRINGIFY (RW_WHEP_RETRY_AFTER_S));
  rw_http_server_reply_error (msg, status, "%s", error->message);
}

static gboolean
has_content_type (SoupServerMessage * msg, const gchar * type)
{
  const gchar *content_type =
      soup_message_headers_get_content_type
      (soup_server_message_get_request_headers (msg), NULL);

  return content_type && g_ascii_strcasecmp (content_type, type) == 0;
}

/* 415, naming the type (and, in @accept_header, advertising it). */
static void
reply_wrong_type (SoupServerMessage * msg, const gchar * accept_header,
    const gchar * type)
{
  const gchar *sent =
      soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "Content-Type");

  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), accept_header, type);
  rw_http_server_reply_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
      "the body must be %s, not %s", type, sent ? sent : "untyped");
}

/* The request body as text, or NULL with @error set. */
static gchar *
request_text (SoupServerMessage * msg, GError ** error)
{
  g_autoptr (GBytes) body =
      soup_message_body_flatten (soup_server_message_get_request_body (msg));
  gsize size;
  const gchar *data = g_bytes_get_data (body, &size);

  if (size > 0 && memchr (data, '\0', size)) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "the body is not text: it has a NUL byte");
    return NULL;
  }
  return g_strndup (data ? data : "", size);
}

/* --- Link: <stun:…>; rel="ice-server" (RFC 9725 §4.6, RFC 8288) --- */

/* Characters a URI may carry as they are (RFC 3986 unreserved, reserved
 * and '%'); none can end the <…> of a Link or the header. */
static gboolean
uri_text_ok (const gchar * text)
{
  return text[strspn (text,
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
          "0123456789-._~:/?#[]@!$&'()*+,;=%")] == '\0';
}

/* A target attribute: a quoted-string (RFC 8288 §3, with '"' and '\'
 * escaped) for printable ASCII, else an RFC 8187 ext-value
 * (name*=UTF-8''%xx…), as RFC 8288 §3 allows. */
static void
append_link_param (GString * link, const gchar * name, const gchar * value)
{
  gboolean printable = TRUE;

  for (const guchar * p = (const guchar *)value; *p; p++)
    printable = printable && *p >= 0x20 && *p < 0x7f;

  if (printable) {
    g_string_append_printf (link, "; %s=\"", name);
    for (const gchar * p = value; *p; p++) {
      if (*p == '"' || *p == '\\')
        g_string_append_c (link, '\\');
      g_string_append_c (link, *p);
    }
    g_string_append_c (link, '"');
    return;
  }

  g_string_append_printf (link, "; %s*=UTF-8''", name);
  for (const guchar * p = (const guchar *)value; *p; p++) {
    if (g_ascii_isalnum (*p) || strchr ("!#$&+-.^_`|~", *p))
      g_string_append_c (link, *p);
    else
      g_string_append_printf (link, "%%%02X", *p);
  }
}

/**
 * rw_whep_ice_server_link:
 * @uri: a configured ICE server, `stun://host:port` or
 *   `turn[s]://user:password@host:port[?transport=…]` (the webrtcbin form)
 * @error: why it cannot be given to clients
 *
 * The value of the `Link` header that gives a WHEP client the server
 * (RFC 9725 §4.6): `<stun:host:port>; rel="ice-server"`, and for TURN
 * `<turn:host:port>; rel="ice-server"; username="…"; credential="…";
 * credential-type="password"` with the user and password of @uri, decoded
 * and then escaped for the header.
 *
 * Returns: (transfer full): the header value, or %NULL with @error set.
 */
gchar *
rw_whep_ice_server_link (const gchar * uri, GError ** error)
{
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GString) link = g_string_new ("<");
  const gchar *scheme, *host, *query, *user, *password;
  gboolean turn;

  g_return_val_if_fail (uri != NULL, NULL);

  parsed = g_uri_parse (uri, G_URI_FLAGS_HAS_PASSWORD |
      G_URI_FLAGS_ENCODED_QUERY, &parse_error);
  if (parsed == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "ICE server '%s' is not a URI: %s", uri, parse_error->message);
    return NULL;
  }
  scheme = g_uri_get_scheme (parsed);
  host = g_uri_get_host (parsed);
  query = g_uri_get_query (parsed);
  user = g_uri_get_user (parsed);
  password = g_uri_get_password (parsed);
  turn = g_str_equal (scheme, "turn") || g_str_equal (scheme, "turns");

  if ((!turn && !g_str_equal (scheme, "stun") && !g_str_equal (scheme,
              "stuns")) || host == NULL || *host == '\0' || !uri_text_ok (host)
      || (query && !uri_text_ok (query))) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "ICE server '%s' is not stun[s]:// or turn[s]:// with a host", uri);
    return NULL;
  }
  if ((user && !g_utf8_validate (user, -1, NULL)) ||
      (password && !g_utf8_validate (password, -1, NULL))) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "ICE server '%s': the user or password is not UTF-8", scheme);
    return NULL;
  }

  /* RFC 7064/7065: scheme ":" host [":" port] ["?transport=…"] */
  g_string_append_printf (link, "%s:", scheme);
  if (strchr (host, ':'))
    g_string_append_printf (link, "[%s]", host);
  else
    g_string_append (link, host);
  if (g_uri_get_port (parsed) > 0)
    g_string_append_printf (link, ":%d", g_uri_get_port (parsed));
  if (query)
    g_string_append_printf (link, "?%s", query);
  g_string_append (link, ">; rel=\"ice-server\"");

  if (turn && user) {
    append_link_param (link, "username", user);
    append_link_param (link, "credential", password ? password : "");
    append_link_param (link, "credential-type", "password");
  }
  return g_string_free (g_steal_pointer (&link), FALSE);
}

static void
add_ice_server_link (SoupMessageHeaders * headers, const gchar * uri)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *link = NULL;

  if (uri == NULL)
    return;
  link = rw_whep_ice_server_link (uri, &error);
  if (link)
    soup_message_headers_append (headers, "Link", link);
  else
    GST_WARNING ("no Link for it: %s", error->message);
}

/* The TURN server with the credentials of now: the same ones the robot's
 * webrtcbin gets (rw_turn_get_uri()). */
static void
add_turn_link (SoupMessageHeaders * headers, RwTurn * turn)
{
  g_autofree gchar *link = NULL;
  gchar *uri;

  if (turn == NULL)
    return;
  uri = rw_turn_get_uri (turn, g_get_real_time () / G_USEC_PER_SEC);
  link = rw_whep_ice_server_link (uri, NULL);
  memset (uri, 0, strlen (uri));
  g_free (uri);
  if (link)
    soup_message_headers_append (headers, "Link", link);
  else
    GST_WARNING ("no Link for the TURN server %s", rw_turn_get_server (turn));
}

/* --- POST /whep[/NAME] --- */

static void
on_opened (RwHttpServer * server, SoupServerMessage * msg,
    const gchar * session_id, const gchar * answer, const GError * error)
{
  const RwConfig *config = rw_http_server_get_config (server);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree gchar *location = NULL;
  WhepSession *whep;

  if (answer == NULL) {
    reply_gerror (msg, error);
    return;
  }
  whep = rw_http_server_get_session_data (server, session_id,
      (GDestroyNotify) whep_session_free);
  g_return_if_fail (whep != NULL);

  location = g_strdup_printf (PREFIX "/%s/%s", whep->stream, session_id);
  soup_message_headers_replace (headers, "Location", location);
  soup_message_headers_replace (headers, "ETag", whep->etag);
  add_ice_server_link (headers, config->stun_server);
  add_turn_link (headers, rw_http_server_get_turn (server));
  soup_server_message_set_status (msg, SOUP_STATUS_CREATED, NULL);
  soup_server_message_set_response (msg, RW_WHEP_SDP, SOUP_MEMORY_COPY,
      answer, strlen (answer));
  GST_INFO ("WHEP viewer %s of stream %s: 201", session_id, whep->stream);
}

/**
 * rw_whep_handle_offer:
 * @server: the server
 * @msg: `POST /whep` or `POST /whep/NAME`, its early checks passed
 * @path: its path
 *
 * Opens a session from the offer in @msg's body; replies `201` with the
 * answer once the host answered, or an error.
 */
void
rw_whep_handle_offer (RwHttpServer * server, SoupServerMessage * msg,
    const gchar * path)
{
  const gchar *name = path[strlen (PREFIX)] == '/' ?
      path + strlen (PREFIX) + 1 : NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  GstSDPMessage *offer;
  const gchar *stream;
  WhepSession *whep;

  init_debug ();
  stream = rw_http_server_lookup_stream (server, name);
  if (stream == NULL) {
    g_autofree gchar *names = rw_http_server_dup_stream_names (server);

    if (name) {
      rw_http_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no stream "
          "'%s' (this robot has: %s)", name, names);
    } else {
      g_set_error (&error, RW_ERROR, RW_ERROR_UNAVAILABLE, "this robot "
          "serves no stream now");
      reply_gerror (msg, error);
    }
    return;
  }
  if (!has_content_type (msg, RW_WHEP_SDP)) {
    reply_wrong_type (msg, "Accept-Post", RW_WHEP_SDP);
    return;
  }

  text = request_text (msg, &error);
  offer = text ? rw_sdp_parse_offer (text, &error) : NULL;
  if (offer == NULL) {
    reply_gerror (msg, error);
    return;
  }
  whep = whep_session_new (stream, offer);
  gst_sdp_message_free (offer);

  if (!rw_http_server_open_session (server, msg, stream, text, on_opened,
          whep, (GDestroyNotify) whep_session_free, &error))
    reply_gerror (msg, error);
}

/* --- /whep/NAME/ID --- */

/* The WHEP session @path names, if the request may act on it: else
 * replies 404 or 403. */
static WhepSession *
find_session (RwHttpServer * server, SoupServerMessage * msg,
    const gchar * path, gchar ** id, RwSessionHost ** host)
{
  g_auto (GStrv) segments = g_strsplit (path + strlen (PREFIX "/"), "/", 3);
  WhepSession *whep;

  /* the route is /whep/∗/∗ */
  g_return_val_if_fail (g_strv_length (segments) == 2, NULL);

  whep = rw_http_server_get_session_data (server, segments[1],
      (GDestroyNotify) whep_session_free);
  if (whep == NULL || !g_str_equal (whep->stream, segments[0])) {
    rw_http_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no WHEP "
        "session %s of stream '%s'", segments[1], segments[0]);
    return NULL;
  }
  *host = rw_http_server_find_session (server, msg, segments[1]);
  if (*host == NULL)
    return NULL;
  *id = g_strdup (segments[1]);
  return whep;
}

/* RFC 9110 §13.1.1: no If-Match, "*", or a list with the entity tag
 * (strong comparison: a weak tag never matches). */
static gboolean
if_match_passes (SoupServerMessage * msg, const gchar * etag)
{
  const gchar *header =
      soup_message_headers_get_list (soup_server_message_get_request_headers
      (msg), "If-Match");
  const gchar *p = header;

  if (header == NULL)
    return TRUE;

  while (*p) {
    const gchar *end;
    gboolean weak = FALSE;

    p += strspn (p, " \t,");
    if (*p == '\0')
      break;
    if (*p == '*')
      return TRUE;
    if (g_str_has_prefix (p, "W/")) {
      weak = TRUE;
      p += 2;
    }
    if (*p != '"' || (end = strchr (p + 1, '"')) == NULL)
      return FALSE;
    if (!weak && (gsize) (end + 1 - p) == strlen (etag) &&
        strncmp (p, etag, end + 1 - p) == 0)
      return TRUE;
    p = end + 1;
  }
  return FALSE;
}

/* The offer's m-line a section's candidates belong to, and whether the
 * section keeps the offer's ICE credentials. */
static gboolean
check_section (WhepSession * whep, const RwIceFragment * section,
    guint * mline, guint * status, GError ** error)
{
  *mline = 0;
  if (section->mid) {
    while (whep->mids[*mline] &&
        !g_str_equal (whep->mids[*mline], section->mid))
      (*mline)++;
    if (whep->mids[*mline] == NULL) {
      *status = SOUP_STATUS_BAD_REQUEST;
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the fragment's "
          "m-section a=mid:%s is none of the offer's m-lines", section->mid);
      return FALSE;
    }
  }

  if ((section->ufrag && g_strcmp0 (section->ufrag,
              whep->ufrags[*mline]) != 0) || (section->pwd &&
          g_strcmp0 (section->pwd, whep->pwds[*mline]) != 0)) {
    *status = SOUP_STATUS_UNPROCESSABLE_ENTITY;
    g_set_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED, "ICE restarts are "
        "not supported: the fragment's a=ice-ufrag/a=ice-pwd are not the "
        "offer's; the session goes on with its ICE credentials");
    return FALSE;
  }
  return TRUE;
}

/* Hands one section's candidates to the host. */
static gboolean
add_candidates (RwSessionHost * host, const gchar * id,
    const RwIceFragment * section, guint mline, GError ** error)
{
  for (guint i = 0; i < section->candidates->len; i++) {
    const gchar *candidate = g_ptr_array_index (section->candidates, i);
    g_autofree gchar *ignored = NULL;

    if (!rw_session_host_add_candidate (host, id, mline, candidate, &ignored,
            error))
      return FALSE;
    if (ignored)
      GST_DEBUG ("WHEP viewer %s: candidate ignored: %s", id, ignored);
  }
  if (section->end_of_candidates &&
      !rw_session_host_add_candidate (host, id, mline, NULL, NULL, error))
    return FALSE;
  return TRUE;
}

/**
 * rw_whep_handle_patch:
 * @server: the server
 * @msg: `PATCH /whep/NAME/ID`, its early checks passed
 * @path: its path
 *
 * Trickles the candidates of an SDP fragment to the session; replies
 * `204`, or an error.
 */
void
rw_whep_handle_patch (RwHttpServer * server, SoupServerMessage * msg,
    const gchar * path)
{
  g_autoptr (GPtrArray) sections = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *id = NULL;
  g_autofree guint *mlines = NULL;
  RwSessionHost *host = NULL;
  WhepSession *whep;

  init_debug ();
  whep = find_session (server, msg, path, &id, &host);
  if (whep == NULL)
    return;
  if (!has_content_type (msg, RW_WHEP_SDP_FRAGMENT)) {
    reply_wrong_type (msg, "Accept-Patch", RW_WHEP_SDP_FRAGMENT);
    return;
  }
  if (!if_match_passes (msg, whep->etag)) {
    rw_http_server_reply_error (msg, SOUP_STATUS_PRECONDITION_FAILED,
        "If-Match does not name the session's ICE session (ETag %s)",
        whep->etag);
    return;
  }

  text = request_text (msg, &error);
  sections = text ? rw_sdp_parse_ice_fragment (text, &error) : NULL;
  if (sections == NULL) {
    reply_gerror (msg, error);
    return;
  }

  /* all checked before any candidate reaches the host */
  mlines = g_new0 (guint, sections->len);
  for (guint i = 0; i < sections->len; i++) {
    guint status;

    if (!check_section (whep, g_ptr_array_index (sections, i), &mlines[i],
            &status, &error)) {
      rw_http_server_reply_error (msg, status, "%s", error->message);
      return;
    }
  }
  for (guint i = 0; i < sections->len; i++) {
    if (!add_candidates (host, id, g_ptr_array_index (sections, i),
            mlines[i], &error)) {
      reply_gerror (msg, error);
      return;
    }
  }
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/**
 * rw_whep_handle_delete:
 * @server: the server
 * @msg: `DELETE /whep/NAME/ID`, its early checks passed
 * @path: its path
 *
 * Closes the session at once (an `If-Match` is ignored, RFC 9725 §4.3.1);
 * replies `200`, or an error.
 */
void
rw_whep_handle_delete (RwHttpServer * server, SoupServerMessage * msg,
    const gchar * path)
{
  g_autofree gchar *id = NULL;
  RwSessionHost *host = NULL;

  init_debug ();
  if (find_session (server, msg, path, &id, &host) == NULL)
    return;
  /* still being answered: not open yet, as for DELETE /peers/{id} */
  if (!rw_session_host_close (host, id, RW_WHEP_HANGUP_REASON)) {
    rw_http_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no open "
        "session %s", id);
    return;
  }
  GST_INFO ("WHEP viewer %s: hung up", id);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

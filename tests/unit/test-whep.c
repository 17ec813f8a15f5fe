/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* WHEP on the HTTP front door (src/rw-whep.c), with two fake session
 * hosts mounted ("front", then "wrist") as in test-http-server.c: every
 * status of POST /whep[/NAME], PATCH and DELETE /whep/NAME/ID, their
 * headers (Location, ETag, Link, Accept-Post/-Patch, Allow, CORS), the
 * candidates a fragment hands to the host with their m-line, the limits
 * and tokens shared with the JSON API, and the fragment parser and Link
 * values on their own. Real HTTP over loopback, everything on this
 * thread, which owns the default main context; every wait is bounded. */

#include <gst/gst.h>
#include <glib/gstdio.h>
#include <string.h>

#include "rw-fake-host.h"
#include "rw-http-server.h"
#include "rw-sdp.h"
#include "rw-whep.h"
#include "test-utils.h"

#define TIMEOUT_MS 5000

#define FINGERPRINT "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:" \
    "6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n"

/* a bundled video and audio offer, as a browser sends it before
 * gathering: its ICE credentials are ufrag "abcd", password PWD */
#define UFRAG "abcd"
#define PWD "0123456789abcdef012345"
#define OFFER_SDP "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n" \
    "s=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n" \
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n" \
    "a=ice-ufrag:" UFRAG "\r\na=ice-pwd:" PWD "\r\n" FINGERPRINT \
    "a=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n" \
    "a=rtpmap:96 VP8/90000\r\n" \
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n" \
    "a=ice-ufrag:" UFRAG "\r\na=ice-pwd:" PWD "\r\n" FINGERPRINT \
    "a=setup:actpass\r\na=mid:1\r\na=recvonly\r\na=rtcp-mux\r\n" \
    "a=rtpmap:111 opus/48000/2\r\n"

#define CANDIDATE "candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host"
#define CANDIDATE2 "candidate:2 1 udp 2122194687 127.0.0.1 54322 typ host"

/* RFC 9725 §4.3.2's layout: the tagged m-line with its credentials */
#define FRAGMENT "a=group:BUNDLE 0 1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n" \
    "a=mid:0\r\na=ice-ufrag:" UFRAG "\r\na=ice-pwd:" PWD "\r\n" \
    "a=" CANDIDATE "\r\na=" CANDIDATE2 "\r\n"

#define SECRET "robot-webrtc unit test secret, more than 32 bytes"
#define LAB "https://lab.example.org"

#define SDP_TYPE "application/sdp"
#define FRAG_TYPE "application/trickle-ice-sdpfrag"

/* Iterates the default context until @cond, failing after TIMEOUT_MS. */
#define WAIT_FOR(cond) G_STMT_START {                                       \
    gint64 _deadline = g_get_monotonic_time () +                          \
        TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;                             \
    while (!(cond)) {                                                     \
      rw_test_check (g_get_monotonic_time () < _deadline,                 \
          "no %s within %u ms", #cond, TIMEOUT_MS);                       \
      if (!g_main_context_iteration (NULL, FALSE))                        \
        g_usleep (1000);                                                  \
    }                                                                     \
  } G_STMT_END

typedef struct
{
  guint max_viewers;            /* 0: the default */
  gboolean tokens;
  gboolean lab_only;            /* allow-origin: LAB only */
  const gchar *stun;
  const gchar *turn;
  gboolean turn_secret;         /* turn-secret-file holds SECRET */
} Setup;

typedef struct
{
  RwConfig *config;
  RwHttpServer *server;
  RwFakeHost *front;
  RwFakeHost *wrist;
  SoupSession *session;
  gchar *url;
  gchar *dir;                   /* the secret's, with tokens */
  gchar *secret;
} Fixture;

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  const Setup *setup = data;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  f->config = rw_config_new ();
  f->config->port = 0;
  f->config->bind_address = g_strdup ("127.0.0.1");
  f->config->rate_limit = 0;
  if (setup && setup->max_viewers)
    f->config->max_viewers = setup->max_viewers;
  if (setup && setup->lab_only) {
    const gchar *origins[] = { LAB, NULL };

    f->config->allowed_origins = g_strdupv ((gchar **) origins);
  }
  if (setup) {
    f->config->stun_server = g_strdup (setup->stun);
    f->config->turn_server = g_strdup (setup->turn);
  }
  if (setup && (setup->tokens || setup->turn_secret)) {
    f->dir = g_dir_make_tmp ("rw-whep-XXXXXX", &error);
    g_assert_no_error (error);
    f->secret = g_build_filename (f->dir, "secret", NULL);
    g_assert_true (g_file_set_contents (f->secret, SECRET "\n", -1, NULL));
    g_assert_cmpint (g_chmod (f->secret, 0600), ==, 0);
  }
  if (setup && setup->tokens)
    f->config->auth_secret_file = g_strdup (f->secret);
  if (setup && setup->turn_secret) {
    f->config->turn_secret_file = g_strdup (f->secret);
    f->config->turn_credential_lifetime = 600;
  }

  f->server = rw_http_server_new (f->config);
  f->front = rw_fake_host_new ("front");
  f->wrist = rw_fake_host_new ("wrist");
  rw_http_server_add_host (f->server, "front", RW_SESSION_HOST (f->front));
  rw_http_server_add_host (f->server, "wrist", RW_SESSION_HOST (f->wrist));
  g_assert_true (rw_http_server_load_credentials (f->server, &error));
  g_assert_no_error (error);
  g_assert_true (rw_http_server_listen (f->server, &error));
  g_assert_no_error (error);

  uris = rw_http_server_get_uris (f->server);
  g_assert_nonnull (uris);
  f->url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  f->session = rw_test_session_new ();
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  rw_fake_host_release (f->front);
  rw_fake_host_release (f->wrist);
  while (g_main_context_iteration (NULL, FALSE));

  g_clear_object (&f->session);
  rw_http_server_stop (f->server);
  g_assert_finalize_object (f->server);
  while (g_main_context_iteration (NULL, FALSE));
  g_assert_finalize_object (f->front);
  g_assert_finalize_object (f->wrist);
  rw_config_free (f->config);
  g_free (f->url);
  if (f->secret)
    g_assert_cmpint (g_unlink (f->secret), ==, 0);
  if (f->dir)
    g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->secret);
  g_free (f->dir);
}

/* --- requests --- */

/* @headers: name/value pairs, NULL-terminated; @body with @content_type
 * (NULL: no Content-Type); @size -1: strlen (@body) */
static RwTestResponse *
request_full (Fixture * f, const gchar * method, const gchar * path,
    const gchar * const *headers, const gchar * content_type,
    const gchar * body, gssize size)
{
  g_autofree gchar *url = rw_test_url (f->url, path);
  g_autoptr (GBytes) bytes = body ? g_bytes_new (body, size < 0 ?
      strlen (body) : (gsize) size) : NULL;
  g_autoptr (GError) error = NULL;
  RwTestResponse *response;

  response = rw_test_http_request (f->session, method, url, headers,
      content_type, bytes, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);
  return response;
}

static RwTestResponse *
request (Fixture * f, const gchar * method, const gchar * path,
    const gchar * token, const gchar * content_type, const gchar * body)
{
  g_autofree gchar *bearer = token ? g_strconcat ("Bearer ", token,
      NULL) : NULL;
  const gchar *headers[] = { "Authorization", bearer, NULL };

  return request_full (f, method, path, token ? headers : NULL,
      content_type, body, -1);
}

static RwTestResponse *
post_whep (Fixture * f, const gchar * path, const gchar * token)
{
  return request (f, "POST", path, token, SDP_TYPE, OFFER_SDP);
}

static RwTestResponse *
patch (Fixture * f, const gchar * location, const gchar * if_match,
    const gchar * fragment, const gchar * token)
{
  g_autofree gchar *bearer = token ? g_strconcat ("Bearer ", token,
      NULL) : NULL;
  const gchar *headers[5] = { NULL, };
  guint n = 0;

  if (if_match) {
    headers[n++] = "If-Match";
    headers[n++] = if_match;
  }
  if (token) {
    headers[n++] = "Authorization";
    headers[n++] = bearer;
  }
  return request_full (f, "PATCH", location, headers, FRAG_TYPE, fragment, -1);
}

static const gchar *
header (RwTestResponse * response, const gchar * name)
{
  return soup_message_headers_get_one (response->headers, name);
}

/* Asserts a JSON error with @status and only an "error" member, and
 * returns its message. */
static const gchar *
assert_error (RwTestResponse * response, guint status)
{
  g_autofree gchar *text = rw_test_response_dup_text (response);

  rw_test_check (response->status == status, "HTTP %u, not %u: %s",
      response->status, status, text);
  rw_test_check (response->json && JSON_NODE_HOLDS_OBJECT (response->json),
      "HTTP %u: not a JSON object: %s", response->status, text);
  g_assert_cmpstr (rw_test_response_get_content_type (response), ==,
      "application/json");
  g_assert_cmpuint (json_object_get_size (json_node_get_object
          (response->json)), ==, 1);
  g_assert_nonnull (rw_test_response_get_error (response));
  return rw_test_response_get_error (response);
}

static void
assert_no_content (RwTestResponse * response, guint status)
{
  g_autofree gchar *text = rw_test_response_dup_text (response);

  rw_test_check (response->status == status, "HTTP %u, not %u: %s",
      response->status, status, text);
  g_assert_cmpuint (g_bytes_get_size (response->body), ==, 0);
}

static const gchar *
last_open_id (RwFakeHost * host)
{
  GPtrArray *opened = rw_fake_host_get_opened (host);

  g_assert_cmpuint (opened->len, >, 0);
  return ((RwFakeCall *) g_ptr_array_index (opened,
          opened->len - 1))->session_id;
}

/* Asserts @response is the 201 of @host's answer to the last offer it got
 * on @stream, and returns its Location. */
static gchar *
assert_created (RwTestResponse * response, RwFakeHost * host,
    const gchar * stream)
{
  g_autofree gchar *text = rw_test_response_dup_text (response);
  g_autofree gchar *answer = NULL;
  g_autofree gchar *expected = NULL;
  const gchar *id = last_open_id (host);
  const gchar *etag = header (response, "ETag");
  GPtrArray *opened = rw_fake_host_get_opened (host);

  rw_test_check (response->status == SOUP_STATUS_CREATED, "HTTP %u: %s",
      response->status, text);
  g_assert_cmpstr (rw_test_response_get_content_type (response), ==, SDP_TYPE);
  answer = rw_fake_host_dup_answer (host, id);
  g_assert_cmpstr (text, ==, answer);
  g_assert_true (g_uuid_string_is_valid (id));
  expected = g_strdup_printf ("/whep/%s/%s", stream, id);
  g_assert_cmpstr (header (response, "Location"), ==, expected);
  /* a strong entity tag */
  g_assert_nonnull (etag);
  g_assert_cmpuint (strlen (etag), >, 2);
  g_assert_true (etag[0] == '"' && etag[strlen (etag) - 1] == '"');
  /* the host got the offer as it was sent */
  g_assert_cmpstr (((RwFakeCall *) g_ptr_array_index (opened,
              opened->len - 1))->text, ==, OFFER_SDP);
  g_assert_true (rw_fake_host_has_session (host, id));
  return g_strdup (expected);
}

static gchar *
open_whep (Fixture * f, RwFakeHost * host, const gchar * token, gchar ** etag)
{
  const gchar *stream = host == f->front ? "front" : "wrist";
  g_autofree gchar *path = g_strconcat ("/whep/", stream, NULL);
  g_autoptr (RwTestResponse) response = post_whep (f, path, token);
  gchar *location = assert_created (response, host, stream);

  if (etag)
    *etag = g_strdup (header (response, "ETag"));
  return location;
}

static const gchar *
location_id (const gchar * location)
{
  return strrchr (location, '/') + 1;
}

static gint64
get_sessions (Fixture * f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status = rw_test_get_status (f->session, f->url,
      TIMEOUT_MS, &error);

  g_assert_no_error (error);
  return rw_test_json_get_int (status, "sessions", -1);
}

static void
assert_candidate (RwFakeHost * host, guint index, const gchar * id,
    const gchar * candidate, guint mline)
{
  GPtrArray *candidates = rw_fake_host_get_candidates (host);
  const RwFakeCall *call;

  g_assert_cmpuint (candidates->len, >, index);
  call = g_ptr_array_index (candidates, index);
  g_assert_cmpstr (call->session_id, ==, id);
  g_assert_cmpstr (call->text, ==, candidate);
  g_assert_cmpuint (call->mline, ==, mline);
}

/* --- POST --- */

static void
test_offer (Fixture * f, gconstpointer data)
{
  g_autofree gchar *front = NULL;
  g_autofree gchar *wrist = NULL;
  g_autofree gchar *first = NULL;

  front = open_whep (f, f->front, NULL, NULL);
  wrist = open_whep (f, f->wrist, NULL, NULL);
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 1);
  g_assert_cmpuint (rw_fake_host_get_opened (f->wrist)->len, ==, 1);

  /* POST /whep: the first stream */
  {
    g_autoptr (RwTestResponse) response = post_whep (f, "/whep", NULL);

    first = assert_created (response, f->front, "front");
  }
  g_assert_cmpstr (first, !=, front);
  g_assert_cmpint (get_sessions (f), ==, 3);

  /* the sessions are the server's: /status lists them, and the JSON API's
   * hang-up closes one too */
  {
    g_autofree gchar *path = g_strconcat ("/peers/", location_id (wrist),
        NULL);
    g_autoptr (RwTestResponse) response = request (f, "DELETE", path, NULL,
        NULL, NULL);

    g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  }
  g_assert_cmpint (get_sessions (f), ==, 2);
}

static void
test_offer_errors (Fixture * f, gconstpointer data)
{
  /* not application/sdp: 415, and what it must be */
  static const gchar *wrong_types[] = { NULL, "application/json",
    "text/plain"
  };
  static const struct
  {
    const gchar *what;
    const gchar *body;
    gssize size;
  } bad[] = {
    {"not SDP", "hello, robot", -1},
    {"empty", "", 0},
    {"JSON", "{\"sdp\": \"v=0\", \"type\": \"offer\"}", -1},
    {"truncated", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
          "m=video 9 UDP/TLS/RTP/SAVPF", -1},
    {"no ICE credentials", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"
          "t=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n", -1},
    {"not UTF-8", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=\xff\xfe\r\n", -1},
    {"a NUL byte", "v=0\r\n\0o=- 1 2 IN IP4 127.0.0.1\r\n", 30},
  };
  static const struct
  {
    RwError code;
    guint status;
  } host_errors[] = {
    /* no codec the stream sends: 400, as /offer (not 406: that is for
     * Accept) */
    {RW_ERROR_UNSUPPORTED, SOUP_STATUS_BAD_REQUEST},
    {RW_ERROR_BAD_REQUEST, SOUP_STATUS_BAD_REQUEST},
    {RW_ERROR_FULL, SOUP_STATUS_SERVICE_UNAVAILABLE},
    {RW_ERROR_UNAVAILABLE, SOUP_STATUS_SERVICE_UNAVAILABLE},
    {RW_ERROR_TIMEOUT, SOUP_STATUS_GATEWAY_TIMEOUT},
    {RW_ERROR_PIPELINE, SOUP_STATUS_INTERNAL_SERVER_ERROR},
  };

  for (guint i = 0; i < G_N_ELEMENTS (wrong_types); i++) {
    g_autoptr (RwTestResponse) response = request (f, "POST", "/whep/front",
        NULL, wrong_types[i], OFFER_SDP);

    assert_error (response, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
    g_assert_cmpstr (header (response, "Accept-Post"), ==, SDP_TYPE);
  }
  /* parameters are fine */
  {
    g_autoptr (RwTestResponse) response = request (f, "POST", "/whep/front",
        NULL, "Application/SDP; charset=utf-8", OFFER_SDP);

    g_free (assert_created (response, f->front, "front"));
  }
  rw_fake_host_clear_calls (f->front);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (RwTestResponse) response = request_full (f, "POST",
        "/whep/front", NULL, SDP_TYPE, bad[i].body, bad[i].size);
    const gchar *message = assert_error (response, SOUP_STATUS_BAD_REQUEST);

    g_test_message ("%s: %s", bad[i].what, message);
  }

  /* larger than max-body: refused before it is read */
  {
    g_autofree gchar *huge = g_strnfill (f->config->max_body + 1, 'a');
    g_autoptr (RwTestResponse) response = request (f, "POST", "/whep/front",
        NULL, SDP_TYPE, huge);

    assert_error (response, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
  }

  /* an unknown stream: 404 naming the streams */
  {
    g_autoptr (RwTestResponse) response = post_whep (f, "/whep/nope", NULL);
    const gchar *message = assert_error (response, SOUP_STATUS_NOT_FOUND);

    rw_test_check (strstr (message, "nope") && strstr (message, "front") &&
        strstr (message, "wrist"), "the 404 names neither: %s", message);
  }
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_opened (f->wrist)->len, ==, 0);

  /* the host's errors; every 503 says when to try again */
  for (guint i = 0; i < G_N_ELEMENTS (host_errors); i++) {
    g_autofree gchar *message = g_strdup_printf ("fake failure %u", i);
    g_autoptr (RwTestResponse) response = NULL;

    rw_fake_host_fail_next (f->wrist, host_errors[i].code, message);
    response = post_whep (f, "/whep/wrist", NULL);
    g_assert_cmpstr (assert_error (response, host_errors[i].status), ==,
        message);
    if (host_errors[i].status == SOUP_STATUS_SERVICE_UNAVAILABLE)
      g_assert_cmpstr (header (response, "Retry-After"), ==, "5");
    else
      g_assert_null (header (response, "Retry-After"));
    g_assert_false (rw_fake_host_has_session (f->wrist,
            last_open_id (f->wrist)));
  }
  /* the one with parameters in its Content-Type */
  g_assert_cmpint (get_sessions (f), ==, 1);
}

/* --- max-viewers, across streams and APIs --- */

static const Setup two_viewers = { 2, };

static void
test_max_viewers (Fixture * f, gconstpointer data)
{
  g_autofree gchar *whep = open_whep (f, f->front, NULL, NULL);
  g_autofree gchar *again = NULL;
  const gchar *body = "{\"sdp\": \"v=0\\r\\n\", \"type\": \"offer\", "
      "\"stream\": \"wrist\"}";

  {
    g_autoptr (RwTestResponse) json = request (f, "POST", "/offer", NULL,
        "application/json", body);

    g_assert_cmpuint (json->status, ==, SOUP_STATUS_OK);
  }
  /* full: a WHEP offer on either stream, and a JSON one */
  for (guint i = 0; i < 2; i++) {
    g_autoptr (RwTestResponse) full = post_whep (f, i ? "/whep/wrist" :
        "/whep", NULL);

    assert_error (full, SOUP_STATUS_SERVICE_UNAVAILABLE);
    g_assert_cmpstr (header (full, "Retry-After"), ==, "5");
  }
  {
    g_autoptr (RwTestResponse) full = request (f, "POST", "/offer", NULL,
        "application/json", body);

    /* the JSON API as it was: no Retry-After */
    assert_error (full, SOUP_STATUS_SERVICE_UNAVAILABLE);
    g_assert_null (header (full, "Retry-After"));
  }
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 1);
  g_assert_cmpuint (rw_fake_host_get_opened (f->wrist)->len, ==, 1);

  /* a WHEP hang-up makes room */
  {
    g_autoptr (RwTestResponse) response = request (f, "DELETE", whep, NULL,
        NULL, NULL);

    assert_no_content (response, SOUP_STATUS_OK);
  }
  again = open_whep (f, f->wrist, NULL, NULL);
  g_assert_cmpint (get_sessions (f), ==, 2);
}

/* --- PATCH --- */

static void
test_patch (Fixture * f, gconstpointer data)
{
  g_autofree gchar *etag = NULL;
  g_autofree gchar *location = open_whep (f, f->front, NULL, &etag);
  g_autofree gchar *stale = g_strdup ("\"0123\"");
  g_autofree gchar *listed = g_strdup_printf ("\"x\", W/\"y\", %s", etag);
  g_autofree gchar *weak = g_strdup_printf ("W/%s", etag);
  const gchar *id = location_id (location);

  /* two candidates with the fragment's m-line (mid 0: m-line 0) */
  {
    g_autoptr (RwTestResponse) response = patch (f, location, etag,
        FRAGMENT, NULL);

    assert_no_content (response, SOUP_STATUS_NO_CONTENT);
    g_assert_null (header (response, "ETag"));
  }
  g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 2);
  assert_candidate (f->front, 0, id, CANDIDATE, 0);
  assert_candidate (f->front, 1, id, CANDIDATE2, 0);

  /* mid 1 is m-line 1; LF line ends; no If-Match is fine */
  {
    g_autoptr (RwTestResponse) response = patch (f, location, NULL,
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:1\na=" CANDIDATE "\n", NULL);

    assert_no_content (response, SOUP_STATUS_NO_CONTENT);
    assert_candidate (f->front, 2, id, CANDIDATE, 1);
  }

  /* no m= line: m-line 0; session-level credentials that are the offer's;
   * If-Match: * */
  {
    g_autoptr (RwTestResponse) response = patch (f, location, "*",
        "a=ice-ufrag:" UFRAG "\r\na=ice-pwd:" PWD "\r\na=" CANDIDATE2 "\r\n",
        NULL);

    assert_no_content (response, SOUP_STATUS_NO_CONTENT);
    assert_candidate (f->front, 3, id, CANDIDATE2, 0);
  }

  /* If-Match with a list that has the tag */
  {
    g_autoptr (RwTestResponse) response = patch (f, location, listed,
        "a=" CANDIDATE "\r\n", NULL);

    assert_no_content (response, SOUP_STATUS_NO_CONTENT);
  }
  g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 5);

  /* a stale or weak tag: 412, nothing reaches the host */
  for (guint i = 0; i < 2; i++) {
    g_autoptr (RwTestResponse) response = patch (f, location, i ? weak :
        stale, FRAGMENT, NULL);

    assert_error (response, SOUP_STATUS_PRECONDITION_FAILED);
  }
  g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 5);

  /* end of candidates: the host hears NULL, with the m-line */
  {
    g_autoptr (RwTestResponse) response = patch (f, location, etag,
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n"
        "a=end-of-candidates\r\n", NULL);

    assert_no_content (response, SOUP_STATUS_NO_CONTENT);
    assert_candidate (f->front, 5, id, NULL, 0);
  }
  {
    g_autoptr (RwTestResponse) response = patch (f, location, etag,
        FRAGMENT "a=end-of-candidates\r\n", NULL);

    assert_no_content (response, SOUP_STATUS_NO_CONTENT);
    assert_candidate (f->front, 8, id, NULL, 0);
  }
  g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 9);
  g_assert_cmpuint (rw_fake_host_get_candidates (f->wrist)->len, ==, 0);
  g_assert_true (rw_fake_host_has_session (f->front, id));
}

static void
test_patch_errors (Fixture * f, gconstpointer data)
{
  g_autofree gchar *etag = NULL;
  g_autofree gchar *location = open_whep (f, f->front, NULL, &etag);
  g_autofree gchar *wrist = open_whep (f, f->wrist, NULL, NULL);
  const gchar *id = location_id (location);
  static const gchar *malformed[] = {
    "",
    "\r\n\r\n",
    "candidate:1 1 udp 1 127.0.0.1 5 typ host\r\n",
    "a=candidate:1 1 udp\r\n",
    "a=candidate:1 1 sctp 1 127.0.0.1 5 typ host\r\n",
    "a=mid:0\r\na=" CANDIDATE "\r\n",
    "m=video\r\na=mid:0\r\n",
    "a=" CANDIDATE "\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n",
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=mid:1\r\n",
    "a=ice-ufrag:\r\n",
    "\xff\xfe=\r\n",
    "A=" CANDIDATE "\r\n",
  };
  /* an ICE restart: other credentials than the offer's */
  static const gchar *restarts[] = {
    "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=" CANDIDATE "\r\n",
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=ice-ufrag:" UFRAG "\r\n"
        "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\na=" CANDIDATE "\r\n",
    "a=ice-ufrag:EsAw\r\na=" CANDIDATE "\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++) {
    g_autoptr (RwTestResponse) response = patch (f, location, etag,
        malformed[i], NULL);
    const gchar *message = assert_error (response, SOUP_STATUS_BAD_REQUEST);

    g_test_message ("fragment %u: %s", i, message);
  }

  /* a fragment naming an m-line the offer does not have */
  {
    g_autoptr (RwTestResponse) response = patch (f, location, etag,
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:7\r\na=" CANDIDATE "\r\n",
        NULL);

    g_assert_nonnull (strstr (assert_error (response,
                SOUP_STATUS_BAD_REQUEST), "mid:7"));
  }

  /* ICE restarts are not supported: 422 (RFC 9725 §4.3.1), and the
   * session goes on */
  for (guint i = 0; i < G_N_ELEMENTS (restarts); i++) {
    g_autoptr (RwTestResponse) response = patch (f, location, "*",
        restarts[i], NULL);

    assert_error (response, SOUP_STATUS_UNPROCESSABLE_ENTITY);
  }
  g_assert_true (rw_fake_host_has_session (f->front, id));
  g_assert_cmpuint (rw_fake_host_get_closes (f->front)->len, ==, 0);

  /* the wrong type: 415, and what it must be */
  {
    g_autoptr (RwTestResponse) response = request (f, "PATCH", location,
        NULL, SDP_TYPE, FRAGMENT);

    assert_error (response, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
    g_assert_cmpstr (header (response, "Accept-Patch"), ==, FRAG_TYPE);
  }

  /* unknown sessions: another id, another stream's name, a JSON
   * session */
  {
    const gchar *unknown = "/whep/front/3f0c5c7e-0e0b-4b8e-9d8e-3c6a0c1d2e3f";
    g_autofree gchar *renamed = g_strdup_printf ("/whep/wrist/%s", id);
    const gchar *json_body = "{\"sdp\": \"v=0\\r\\n\", \"type\": \"offer\"}";
    g_autoptr (RwTestResponse) json = request (f, "POST", "/offer", NULL,
        "application/json", json_body);
    g_autofree gchar *json_path = g_strdup_printf ("/whep/front/%s",
        rw_test_json_get_string (json->json, "peer_id"));
    const gchar *paths[] = { unknown, renamed, json_path };

    g_assert_cmpuint (json->status, ==, SOUP_STATUS_OK);
    for (guint i = 0; i < G_N_ELEMENTS (paths); i++) {
      g_autoptr (RwTestResponse) response = patch (f, paths[i], NULL,
          FRAGMENT, NULL);
      g_autoptr (RwTestResponse) hangup = request (f, "DELETE", paths[i],
          NULL, NULL, NULL);

      assert_error (response, SOUP_STATUS_NOT_FOUND);
      assert_error (hangup, SOUP_STATUS_NOT_FOUND);
    }
  }

  g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_candidates (f->wrist)->len, ==, 0);
  g_assert_true (rw_fake_host_has_session (f->wrist, location_id (wrist)));
  g_assert_cmpint (get_sessions (f), ==, 3);
}

/* --- DELETE --- */

static void
test_delete (Fixture * f, gconstpointer data)
{
  g_autofree gchar *location = open_whep (f, f->wrist, NULL, NULL);
  const gchar *id = location_id (location);
  const gchar *stale[] = { "If-Match", "\"stale\"", NULL };
  const RwFakeCall *close;

  /* an entity tag is ignored */
  {
    g_autoptr (RwTestResponse) response = request_full (f, "DELETE",
        location, stale, NULL, NULL, -1);

    assert_no_content (response, SOUP_STATUS_OK);
  }
  close = rw_fake_host_find_close (f->wrist, id);
  g_assert_nonnull (close);
  g_assert_cmpstr (close->text, ==, RW_WHEP_HANGUP_REASON);
  g_assert_cmpstr (close->text, ==, "hung up (WHEP)");
  g_assert_false (rw_fake_host_has_session (f->wrist, id));
  g_assert_cmpint (get_sessions (f), ==, 0);

  {
    g_autoptr (RwTestResponse) again = request (f, "DELETE", location, NULL,
        NULL, NULL);
    g_autoptr (RwTestResponse) candidate = patch (f, location, NULL,
        FRAGMENT, NULL);

    assert_error (again, SOUP_STATUS_NOT_FOUND);
    assert_error (candidate, SOUP_STATUS_NOT_FOUND);
  }
  g_assert_cmpuint (rw_fake_host_get_closes (f->wrist)->len, ==, 1);
}

/* The media side ends a session: the server forgets it, WHEP too. */
static void
test_host_ends_session (Fixture * f, gconstpointer data)
{
  g_autofree gchar *location = open_whep (f, f->front, NULL, NULL);

  g_assert_true (rw_fake_host_end_session (f->front, location_id (location),
          "it stopped sending RTCP"));
  {
    g_autoptr (RwTestResponse) candidate = patch (f, location, NULL,
        FRAGMENT, NULL);
    g_autoptr (RwTestResponse) hangup = request (f, "DELETE", location, NULL,
        NULL, NULL);

    assert_error (candidate, SOUP_STATUS_NOT_FOUND);
    assert_error (hangup, SOUP_STATUS_NOT_FOUND);
  }
  g_assert_cmpint (get_sessions (f), ==, 0);
}

/* --- the pending offer: client gone, unmounting --- */

typedef struct
{
  GCancellable *cancellable;
  SoupMessage *msg;
  gboolean done;
  GBytes *body;
  GError *error;
} AsyncOffer;

static void
on_async_offer_done (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  AsyncOffer *offer = user_data;

  offer->body = soup_session_send_and_read_finish (SOUP_SESSION (source),
      result, &offer->error);
  offer->done = TRUE;
}

static AsyncOffer *
async_offer_start (Fixture * f, const gchar * path)
{
  AsyncOffer *offer = g_new0 (AsyncOffer, 1);
  g_autofree gchar *url = rw_test_url (f->url, path);
  g_autoptr (GBytes) body = g_bytes_new_static (OFFER_SDP, strlen (OFFER_SDP));

  offer->cancellable = g_cancellable_new ();
  offer->msg = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (offer->msg, SDP_TYPE, body);
  soup_session_send_and_read_async (f->session, offer->msg,
      G_PRIORITY_DEFAULT, offer->cancellable, on_async_offer_done, offer);
  return offer;
}

static void
async_offer_free (AsyncOffer * offer)
{
  g_object_unref (offer->cancellable);
  g_object_unref (offer->msg);
  g_clear_pointer (&offer->body, g_bytes_unref);
  g_clear_error (&offer->error);
  g_free (offer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsyncOffer, async_offer_free);

static void
test_client_gone (Fixture * f, gconstpointer data)
{
  g_autoptr (AsyncOffer) offer = NULL;
  g_autofree gchar *id = NULL;

  rw_fake_host_hold (f->front, TRUE);
  offer = async_offer_start (f, "/whep/front");
  WAIT_FOR (rw_fake_host_get_n_held (f->front) == 1);
  id = g_strdup (last_open_id (f->front));
  /* counted while it is answered */
  g_assert_cmpint (get_sessions (f), ==, 1);

  g_cancellable_cancel (offer->cancellable);
  WAIT_FOR (offer->done);
  WAIT_FOR (rw_fake_host_find_close (f->front, id) != NULL);
  g_assert_cmpstr (rw_fake_host_find_close (f->front, id)->text, ==,
      RW_FAKE_HOST_CANCELLED);
  g_assert_cmpuint (rw_fake_host_release (f->front), ==, 1);
  rw_test_pump_for (50);
  g_assert_false (rw_fake_host_has_session (f->front, id));
  g_assert_cmpint (get_sessions (f), ==, 0);

  rw_fake_host_hold (f->front, FALSE);
  g_free (open_whep (f, f->front, NULL, NULL));
}

static void
test_remove_host (Fixture * f, gconstpointer data)
{
  g_autofree gchar *location = open_whep (f, f->wrist, NULL, NULL);
  g_autoptr (AsyncOffer) offer = NULL;
  g_autofree gchar *id = NULL;
  SoupMessageHeaders *headers;

  rw_fake_host_hold (f->wrist, TRUE);
  offer = async_offer_start (f, "/whep/wrist");
  WAIT_FOR (rw_fake_host_get_n_held (f->wrist) == 1);
  id = g_strdup (last_open_id (f->wrist));

  rw_http_server_remove_host (f->server, "wrist");
  rw_fake_host_release (f->wrist);
  WAIT_FOR (offer->done);
  g_assert_cmpuint (soup_message_get_status (offer->msg), ==,
      SOUP_STATUS_SERVICE_UNAVAILABLE);
  headers = soup_message_get_response_headers (offer->msg);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Retry-After"), ==,
      "5");
  g_assert_false (rw_fake_host_has_session (f->wrist, id));

  /* the open session is forgotten; the stream's WHEP endpoint is gone */
  {
    g_autoptr (RwTestResponse) candidate = patch (f, location, NULL,
        FRAGMENT, NULL);
    g_autoptr (RwTestResponse) post = post_whep (f, "/whep/wrist", NULL);

    assert_error (candidate, SOUP_STATUS_NOT_FOUND);
    assert_error (post, SOUP_STATUS_NOT_FOUND);
  }
  g_assert_cmpint (get_sessions (f), ==, 0);
  rw_fake_host_end_session (f->wrist, location_id (location), "unmounted");
}

/* --- routes, methods, CORS --- */

static void
test_methods (Fixture * f, gconstpointer data)
{
  g_autofree gchar *location = open_whep (f, f->front, NULL, NULL);
  static const struct
  {
    const gchar *method;
    const gchar *path;
    const gchar *allow;
  } wrong[] = {
    {"GET", "/whep", "POST, OPTIONS"},
    {"PUT", "/whep/front", "POST, OPTIONS"},
    {"DELETE", "/whep/front", "POST, OPTIONS"},
    {"PATCH", "/whep", "POST, OPTIONS"},
    {"GET", NULL, "PATCH, DELETE, OPTIONS"},
    {"POST", NULL, "PATCH, DELETE, OPTIONS"},
  };
  static const gchar *unknown[] = { "/whep/", "/whep//x", "/whep/front/a/b",
    "/whep/front/", "/wheps", "/whep/front/x/"
  };

  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++) {
    const gchar *body = g_str_equal (wrong[i].method, "GET") ? NULL : "";
    g_autoptr (RwTestResponse) response = request (f, wrong[i].method,
        wrong[i].path ? wrong[i].path : location, NULL, SDP_TYPE, body);

    assert_error (response, SOUP_STATUS_METHOD_NOT_ALLOWED);
    g_assert_cmpstr (header (response, "Allow"), ==, wrong[i].allow);
  }
  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++) {
    g_autoptr (RwTestResponse) response = request (f, "POST", unknown[i],
        NULL, SDP_TYPE, OFFER_SDP);

    assert_error (response, SOUP_STATUS_NOT_FOUND);
  }
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 1);
}

static const Setup lab_only = { 0, FALSE, TRUE, };

static void
test_cors (Fixture * f, gconstpointer data)
{
  const gchar *lab[] = { "Origin", LAB, NULL };
  const gchar *foreign[] = { "Origin", "https://evil.example.com", NULL };
  const gchar *preflight[] = { "Origin", LAB,
    "Access-Control-Request-Method", "PATCH",
    "Access-Control-Request-Headers", "content-type, if-match", NULL
  };
  const gchar *exposed[] = { "Location", "ETag", "Link", "Retry-After",
    "WWW-Authenticate"
  };
  g_autofree gchar *location = NULL;
  const gchar *expose;

  /* the endpoint's preflight, then the session's */
  {
    g_autoptr (RwTestResponse) response = request_full (f, "OPTIONS",
        "/whep/front", lab, NULL, NULL, -1);

    assert_no_content (response, SOUP_STATUS_NO_CONTENT);
    g_assert_cmpstr (header (response, "Accept-Post"), ==, SDP_TYPE);
    g_assert_null (header (response, "Accept-Patch"));
    g_assert_cmpstr (header (response, "Allow"), ==, "POST, OPTIONS");
    g_assert_cmpstr (header (response, "Access-Control-Allow-Methods"), ==,
        "POST, OPTIONS");
    g_assert_cmpstr (header (response, "Access-Control-Allow-Origin"), ==, LAB);
  }
  {
    g_autoptr (RwTestResponse) response = request_full (f, "OPTIONS",
        "/whep", lab, NULL, NULL, -1);

    assert_no_content (response, SOUP_STATUS_NO_CONTENT);
    g_assert_cmpstr (header (response, "Accept-Post"), ==, SDP_TYPE);
  }
  {
    g_autoptr (RwTestResponse) post = request_full (f, "POST", "/whep/front",
        lab, SDP_TYPE, OFFER_SDP, -1);

    location = g_strdup (header (post, "Location"));
    g_assert_cmpuint (post->status, ==, SOUP_STATUS_CREATED);
    g_assert_cmpstr (header (post, "Access-Control-Allow-Origin"), ==, LAB);
    expose = header (post, "Access-Control-Expose-Headers");
    g_assert_nonnull (expose);
    for (guint i = 0; i < G_N_ELEMENTS (exposed); i++)
      rw_test_check (strstr (expose, exposed[i]), "%s is not exposed: %s",
          exposed[i], expose);
  }
  {
    g_autoptr (RwTestResponse) response = request_full (f, "OPTIONS",
        location, preflight, NULL, NULL, -1);
    const gchar *allowed;

    assert_no_content (response, SOUP_STATUS_NO_CONTENT);
    g_assert_cmpstr (header (response, "Accept-Patch"), ==, FRAG_TYPE);
    g_assert_null (header (response, "Accept-Post"));
    g_assert_cmpstr (header (response, "Allow"), ==, "PATCH, DELETE, OPTIONS");
    g_assert_cmpstr (header (response, "Access-Control-Allow-Methods"), ==,
        "PATCH, DELETE, OPTIONS");
    allowed = header (response, "Access-Control-Allow-Headers");
    g_assert_nonnull (strstr (allowed, "If-Match"));
    g_assert_nonnull (strstr (allowed, "Content-Type"));
    g_assert_nonnull (strstr (allowed, "Authorization"));
  }

  /* a foreign origin: 403 without CORS, for every WHEP method */
  {
    const gchar *methods[] = { "POST", "PATCH", "DELETE", "OPTIONS" };

    for (guint i = 0; i < G_N_ELEMENTS (methods); i++) {
      const gchar *path = i == 0 ? "/whep/front" : location;
      const gchar *type = i == 0 ? SDP_TYPE : i == 1 ? FRAG_TYPE : NULL;
      const gchar *body = i == 0 ? OFFER_SDP : i == 1 ? FRAGMENT : NULL;
      g_autoptr (RwTestResponse) response = request_full (f, methods[i],
          path, foreign, type, body, -1);

      assert_error (response, SOUP_STATUS_FORBIDDEN);
      g_assert_null (header (response, "Access-Control-Allow-Origin"));
    }
  }
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 1);
  g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_closes (f->front)->len, ==, 0);
}

/* --- Link: ICE servers --- */

static const Setup ice_servers = { 0, FALSE, FALSE,
  "stun://stun.example.org:3478",
  /* a user with a quote, a password with a backslash and a space */
  "turn://us%22er:p%5Cw%20d@turn.example.org:3478?transport=udp",
};

static void
collect_links (const gchar * name, const gchar * value, gpointer user_data)
{
  if (g_ascii_strcasecmp (name, "Link") == 0)
    g_ptr_array_add (user_data, g_strdup (value));
}

static void
test_links (Fixture * f, gconstpointer data)
{
  g_autoptr (RwTestResponse) response = post_whep (f, "/whep/front", NULL);
  g_autoptr (GPtrArray) links = g_ptr_array_new_with_free_func (g_free);

  g_free (assert_created (response, f->front, "front"));
  soup_message_headers_foreach (response->headers, collect_links, links);
  g_assert_cmpuint (links->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (links, 0), ==,
      "<stun:stun.example.org:3478>; rel=\"ice-server\"");
  g_assert_cmpstr (g_ptr_array_index (links, 1), ==,
      "<turn:turn.example.org:3478?transport=udp>; rel=\"ice-server\"; "
      "username=\"us\\\"er\"; credential=\"p\\\\w d\"; "
      "credential-type=\"password\"");
}

static const Setup minted_turn = { 0, FALSE, FALSE, NULL,
  "turn:turn.example.org?transport=tcp", TRUE,
};

/* With a TURN secret: the credentials minted now, as webrtcbin gets
 * them. */
static void
test_minted_links (Fixture * f, gconstpointer data)
{
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr (RwTestResponse) response = post_whep (f, "/whep/front", NULL);
  gint64 after = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr (GPtrArray) links = g_ptr_array_new_with_free_func (g_free);
  gboolean found = FALSE;

  g_free (assert_created (response, f->front, "front"));
  soup_message_headers_foreach (response->headers, collect_links, links);
  g_assert_cmpuint (links->len, ==, 1);
  /* the window may have turned during the request */
  for (gint64 now = before; now <= after && !found; now++) {
    g_autofree gchar *user = rw_turn_rest_username (rw_turn_rest_expiry (now,
            600), RW_TURN_DEFAULT_NAME);
    g_autofree gchar *password = rw_turn_rest_password ((const guint8 *)
        SECRET, strlen (SECRET), user);
    g_autofree gchar *expected = g_strdup_printf
        ("<turn:turn.example.org:3478?transport=tcp>; rel=\"ice-server\"; "
        "username=\"%s\"; credential=\"%s\"; credential-type=\"password\"",
        user, password);

    found = g_str_equal (g_ptr_array_index (links, 0), expected);
  }
  g_assert_true (found);
}

/* Without STUN or TURN server: no Link. */
static void
test_no_links (Fixture * f, gconstpointer data)
{
  g_autoptr (RwTestResponse) response = post_whep (f, "/whep/front", NULL);

  g_free (assert_created (response, f->front, "front"));
  g_assert_null (header (response, "Link"));
}

static void
test_link_values (void)
{
  static const struct
  {
    const gchar *uri;
    const gchar *link;
  } good[] = {
    {"stun://stun.l.example.com:19302",
        "<stun:stun.l.example.com:19302>; rel=\"ice-server\""},
    {"stun://192.0.2.1", "<stun:192.0.2.1>; rel=\"ice-server\""},
    {"stun://[2001:db8::1]:3478", "<stun:[2001:db8::1]:3478>; "
          "rel=\"ice-server\""},
    {"turns://robot:secret@turn.example.org:5349?transport=tcp",
        "<turns:turn.example.org:5349?transport=tcp>; rel=\"ice-server\"; "
          "username=\"robot\"; credential=\"secret\"; "
          "credential-type=\"password\""},
    /* not printable ASCII: an RFC 8187 ext-value, never a raw CR LF */
    {"turn://r%C3%A9mi:a%0D%0ALink:%20x@turn.example.org:3478",
        "<turn:turn.example.org:3478>; rel=\"ice-server\"; "
          "username*=UTF-8''r%C3%A9mi; credential*=UTF-8''a%0D%0ALink%3A%20x; "
          "credential-type=\"password\""},
    /* a TURN server without a user: no credentials to give */
    {"turn://turn.example.org:3478", "<turn:turn.example.org:3478>; "
          "rel=\"ice-server\""},
  };
  static const gchar *bad[] = {
    "stun.example.org:3478", "http://example.org", "turn://u:p@",
    "turn://u%FF:p@turn.example.org", "stun://st%3Eun.example.org",
    "stun://a b",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *link = rw_whep_ice_server_link (good[i].uri, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (link, ==, good[i].link);
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *link = rw_whep_ice_server_link (bad[i], &error);

    rw_test_check (link == NULL, "%s gave %s", bad[i], link);
    g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
  }
}

/* --- tokens --- */

static const Setup tokens = { 0, TRUE, };

static gchar *
mint (const gchar * sub, gint64 exp_in)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree gchar *claims = g_strdup_printf ("{\"exp\": %" G_GINT64_FORMAT
      ", \"sub\": \"%s\"}", now + exp_in, sub);

  return rw_test_mint_token (SECRET, claims);
}

static void
test_tokens (Fixture * f, gconstpointer data)
{
  g_autofree gchar *a = mint ("A", 600);
  g_autofree gchar *b = mint ("B", 600);
  g_autofree gchar *a_expired = mint ("A", -600);
  g_autofree gchar *a_etag = NULL;
  g_autofree gchar *a_location = NULL;
  g_autofree gchar *b_location = NULL;

  /* no token or an expired one: no session */
  for (guint i = 0; i < 2; i++) {
    g_autoptr (RwTestResponse) response = post_whep (f, "/whep/front", i ?
        a_expired : NULL);

    assert_error (response, SOUP_STATUS_UNAUTHORIZED);
    g_assert_nonnull (strstr (header (response, "WWW-Authenticate"),
            "Bearer realm="));
  }
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 0);

  a_location = open_whep (f, f->front, a, &a_etag);
  b_location = open_whep (f, f->wrist, b, NULL);

  /* each session is its owner's: another's token 403, none 401 */
  for (guint i = 0; i < 2; i++) {
    const gchar *location = i ? b_location : a_location;
    const gchar *other = i ? a : b;
    g_autoptr (RwTestResponse) candidate = patch (f, location, NULL,
        FRAGMENT, other);
    g_autoptr (RwTestResponse) hangup = request (f, "DELETE", location,
        other, NULL, NULL);
    g_autoptr (RwTestResponse) anonymous = patch (f, location, NULL,
        FRAGMENT, NULL);
    g_autoptr (RwTestResponse) anonymous_hangup = request (f, "DELETE",
        location, NULL, NULL, NULL);

    assert_error (candidate, SOUP_STATUS_FORBIDDEN);
    assert_error (hangup, SOUP_STATUS_FORBIDDEN);
    assert_error (anonymous, SOUP_STATUS_UNAUTHORIZED);
    assert_error (anonymous_hangup, SOUP_STATUS_UNAUTHORIZED);
  }
  g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_candidates (f->wrist)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_closes (f->front)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_closes (f->wrist)->len, ==, 0);

  /* the owner trickles, and hangs up even with an expired token */
  {
    g_autoptr (RwTestResponse) candidate = patch (f, a_location, a_etag,
        FRAGMENT, a);
    g_autoptr (RwTestResponse) hangup = request (f, "DELETE", a_location,
        a_expired, NULL, NULL);
    g_autoptr (RwTestResponse) b_hangup = request (f, "DELETE", b_location,
        b, NULL, NULL);

    assert_no_content (candidate, SOUP_STATUS_NO_CONTENT);
    assert_no_content (hangup, SOUP_STATUS_OK);
    assert_no_content (b_hangup, SOUP_STATUS_OK);
  }
  g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 2);
  g_assert_cmpint (get_sessions (f), ==, 0);

  /* the preflight needs no token */
  {
    g_autoptr (RwTestResponse) response = request (f, "OPTIONS",
        "/whep/front", NULL, NULL, NULL);

    assert_no_content (response, SOUP_STATUS_NO_CONTENT);
  }
}

/* WHEP sessions are registered as the JSON API's: they end at their
 * token's exp, count against its max_sessions across both APIs, and go
 * with a revocation. */
static void
test_tokens_booking (Fixture * f, gconstpointer data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree gchar *short_claims = g_strdup_printf ("{\"exp\": %"
      G_GINT64_FORMAT ", \"iat\": %" G_GINT64_FORMAT ", \"sub\": \"C\", "
      "\"max_sessions\": 1}", now + 2, now);
  g_autofree gchar *short_token = rw_test_mint_token (SECRET, short_claims);
  g_autofree gchar *d = mint ("D", 600);
  g_autofree gchar *admin_claims = g_strdup_printf ("{\"exp\": %"
      G_GINT64_FORMAT ", \"sub\": \"lab-backend\", \"scope\": "
      "\"robot-admin\"}", now + 60);
  g_autofree gchar *admin = rw_test_mint_token (SECRET, admin_claims);
  g_autofree gchar *c_location = open_whep (f, f->front, short_token, NULL);
  g_autofree gchar *d_location = open_whep (f, f->wrist, d, NULL);
  g_autofree gchar *c_id = g_strdup (location_id (c_location));
  g_autofree gchar *d_id = g_strdup (location_id (d_location));

  /* max_sessions 1, counted over both APIs */
  {
    g_autoptr (RwTestResponse) again = post_whep (f, "/whep/wrist",
        short_token);
    g_autofree gchar *json = g_strdup_printf ("{\"sdp\": \"v=0\\r\\n\", "
        "\"type\": \"offer\"}");
    g_autoptr (RwTestResponse) json_again = request (f, "POST", "/offer",
        short_token, "application/json", json);

    assert_error (again, SOUP_STATUS_CONFLICT);
    assert_error (json_again, SOUP_STATUS_CONFLICT);
  }

  /* the revocation of D ends D's session, not C's */
  {
    g_autoptr (RwTestResponse) revoked = request (f, "POST", "/revoke",
        admin, "application/json", "{\"sub\": \"D\"}");

    g_assert_cmpuint (revoked->status, ==, SOUP_STATUS_OK);
    g_assert_cmpint (rw_test_json_get_int (revoked->json, "closed", -1), ==, 1);
  }
  g_assert_cmpstr (rw_fake_host_find_close (f->wrist, d_id)->text, ==,
      "the token was revoked");
  g_assert_true (rw_fake_host_has_session (f->front, c_id));

  /* C's ends at its exp (1 to 2 s from the start) */
  WAIT_FOR (rw_fake_host_find_close (f->front, c_id) != NULL);
  g_assert_cmpstr (rw_fake_host_find_close (f->front, c_id)->text, ==,
      "the token expired (booking over)");
  g_assert_cmpint (get_sessions (f), ==, 0);
  {
    g_autoptr (RwTestResponse) late = post_whep (f, "/whep/front", short_token);
    const gchar *message = assert_error (late, SOUP_STATUS_UNAUTHORIZED);

    g_assert_nonnull (strstr (message, "booking over"));
    g_assert_nonnull (header (late, "WWW-Authenticate"));
  }
}

/* --- the fragment parser --- */

static RwIceFragment *
section (GPtrArray * sections, guint i)
{
  g_assert_cmpuint (sections->len, >, i);
  return g_ptr_array_index (sections, i);
}

static void
test_fragment_parser (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) two = NULL;
  g_autoptr (GPtrArray) flat = NULL;
  RwIceFragment *s;

  /* session-level credentials and end-of-candidates go to every
   * m-section; an m-section's own credentials win; unknown lines pass */
  two = rw_sdp_parse_ice_fragment ("a=ice-options:trickle ice2\r\n"
      "a=group:BUNDLE 0 1\r\na=ice-ufrag:ses\r\na=ice-pwd:sespwd\r\n"
      "a=end-of-candidates\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n"
      "a=" CANDIDATE "\r\na=" CANDIDATE2 "\r\nc=IN IP4 0.0.0.0\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:1\na=ice-ufrag:own\n"
      "a=extmap:1 urn:x\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (two->len, ==, 2);
  s = section (two, 0);
  g_assert_cmpstr (s->mid, ==, "0");
  g_assert_cmpstr (s->ufrag, ==, "ses");
  g_assert_cmpstr (s->pwd, ==, "sespwd");
  g_assert_cmpuint (s->candidates->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (s->candidates, 0), ==, CANDIDATE);
  g_assert_cmpstr (g_ptr_array_index (s->candidates, 1), ==, CANDIDATE2);
  g_assert_true (s->end_of_candidates);
  s = section (two, 1);
  g_assert_cmpstr (s->mid, ==, "1");
  g_assert_cmpstr (s->ufrag, ==, "own");
  g_assert_cmpstr (s->pwd, ==, "sespwd");
  g_assert_cmpuint (s->candidates->len, ==, 0);
  g_assert_true (s->end_of_candidates);

  /* no m= line: one section without mid */
  flat = rw_sdp_parse_ice_fragment ("a=" CANDIDATE "\r\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (flat->len, ==, 1);
  s = section (flat, 0);
  g_assert_null (s->mid);
  g_assert_null (s->ufrag);
  g_assert_cmpuint (s->candidates->len, ==, 1);
  g_assert_false (s->end_of_candidates);

  /* a line too long */
  {
    g_autofree gchar *pad = g_strnfill (5000, 'x');
    g_autofree gchar *text = g_strdup_printf ("a=x-%s\r\n", pad);
    g_autoptr (GPtrArray) none = rw_sdp_parse_ice_fragment (text, &error);

    g_assert_null (none);
    g_assert_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST);
  }
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* the server asserts that its requests run on the context's owner */
  g_assert_true (g_main_context_acquire (NULL));
  rw_test_quiet_gio_debug ();

#define ADD(path, setup, func) g_test_add ("/whep/" path, Fixture, \
    setup, fixture_setup, func, fixture_teardown)

  ADD ("offer", NULL, test_offer);
  ADD ("offer/errors", NULL, test_offer_errors);
  ADD ("max-viewers", &two_viewers, test_max_viewers);
  ADD ("patch", NULL, test_patch);
  ADD ("patch/errors", NULL, test_patch_errors);
  ADD ("delete", NULL, test_delete);
  ADD ("host-ends-session", NULL, test_host_ends_session);
  ADD ("client-gone", NULL, test_client_gone);
  ADD ("remove-host", NULL, test_remove_host);
  ADD ("methods", NULL, test_methods);
  ADD ("cors", &lab_only, test_cors);
  ADD ("links", &ice_servers, test_links);
  ADD ("links/minted", &minted_turn, test_minted_links);
  ADD ("links/none", NULL, test_no_links);
  ADD ("tokens", &tokens, test_tokens);
  ADD ("tokens/booking", &tokens, test_tokens_booking);
  g_test_add_func ("/whep/link-values", test_link_values);
  g_test_add_func ("/whep/fragment-parser", test_fragment_parser);

#undef ADD

  return g_test_run ();
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The HTTP front door, RwHttpServer, with two fake session hosts mounted
 * ("front", then "wrist"): routing by stream, session ids, the hosts'
 * errors as statuses, max-viewers across hosts, candidates, hang-ups,
 * sessions the host ends, clients that go away, status, unmounting and
 * tokens. Real HTTP over loopback, everything on this thread, which owns
 * the default main context; every wait is bounded. */

#include <gst/gst.h>
#include <glib/gstdio.h>
#include <string.h>

#include "rw-fake-host.h"
#include "rw-http-server.h"
#include "test-utils.h"

#define TIMEOUT_MS 5000

/* what an offer's SDP looks like to the front door: text */
#define OFFER_SDP "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n" \
    "s=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n" \
    "c=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n"

#define CANDIDATE "candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host"

#define SECRET "robot-webrtc unit test secret, more than 32 bytes"

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
  gboolean no_hosts;
  gboolean tokens;
  guint session_grace;          /* [auth] session-grace */
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
  if (setup && setup->tokens) {
    f->dir = g_dir_make_tmp ("rw-http-server-XXXXXX", &error);
    g_assert_no_error (error);
    f->secret = g_build_filename (f->dir, "secret", NULL);
    g_assert_true (g_file_set_contents (f->secret, SECRET "\n", -1, NULL));
    g_assert_cmpint (g_chmod (f->secret, 0600), ==, 0);
    f->config->auth_secret_file = g_strdup (f->secret);
    f->config->auth_session_grace = setup->session_grace;
  }

  f->server = rw_http_server_new (f->config);
  if (!(setup && setup->no_hosts)) {
    f->front = rw_fake_host_new ("front");
    f->wrist = rw_fake_host_new ("wrist");
    rw_http_server_add_host (f->server, "front", RW_SESSION_HOST (f->front));
    rw_http_server_add_host (f->server, "wrist", RW_SESSION_HOST (f->wrist));
  }
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
  /* no answer is left waiting: the pending offers hold the server */
  if (f->front)
    rw_fake_host_release (f->front);
  if (f->wrist)
    rw_fake_host_release (f->wrist);
  while (g_main_context_iteration (NULL, FALSE));

  g_clear_object (&f->session);
  rw_http_server_stop (f->server);
  g_assert_finalize_object (f->server);
  while (g_main_context_iteration (NULL, FALSE));
  if (f->front)
    g_assert_finalize_object (f->front);
  if (f->wrist)
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

static RwTestResponse *
request (Fixture * f, const gchar * method, const gchar * path,
    const gchar * token, const gchar * json)
{
  g_autofree gchar *url = rw_test_url (f->url, path);
  g_autofree gchar *bearer = token ? g_strconcat ("Bearer ", token,
      NULL) : NULL;
  const gchar *headers[] = { "Authorization", bearer, NULL };
  g_autoptr (GBytes) body = json ? g_bytes_new (json, strlen (json)) : NULL;
  g_autoptr (GError) error = NULL;
  RwTestResponse *response;

  response = rw_test_http_request (f->session, method, url,
      token ? headers : NULL, json ? "application/json" : NULL, body,
      TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);
  return response;
}

static gchar *
json_string (const gchar * text)
{
  g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return json_to_string (node, FALSE);
}

/* {"sdp": OFFER_SDP, "type": "offer"}, then @extra members if any */
static gchar *
offer_body (const gchar * extra)
{
  g_autofree gchar *sdp = json_string (OFFER_SDP);

  return g_strdup_printf ("{\"sdp\": %s, \"type\": \"offer\"%s%s}", sdp,
      extra ? ", " : "", extra ? extra : "");
}

static RwTestResponse *
post_offer (Fixture * f, const gchar * extra, const gchar * token)
{
  g_autofree gchar *body = offer_body (extra);

  return request (f, "POST", "/offer", token, body);
}

static RwTestResponse *
post_candidate (Fixture * f, const gchar * peer_id, const gchar * candidate,
    gint mline, const gchar * token)
{
  g_autofree gchar *id = json_string (peer_id);
  g_autofree gchar *line = candidate ? json_string (candidate) :
      g_strdup ("null");
  g_autofree gchar *body = g_strdup_printf ("{\"peer_id\": %s, "
      "\"candidate\": %s, \"sdpMid\": \"%d\", \"sdpMLineIndex\": %d}", id,
      line, mline, mline);

  return request (f, "POST", "/ice-candidate", token, body);
}

static RwTestResponse *
delete_peer (Fixture * f, const gchar * peer_id, const gchar * token)
{
  g_autofree gchar *path = g_strconcat ("/peers/", peer_id, NULL);

  return request (f, "DELETE", path, token, NULL);
}

static JsonObject *
response_object (RwTestResponse * response)
{
  g_autofree gchar *text = rw_test_response_dup_text (response);

  rw_test_check (response->json && JSON_NODE_HOLDS_OBJECT (response->json),
      "HTTP %u: not a JSON object: %s", response->status, text);
  g_assert_cmpstr (rw_test_response_get_content_type (response), ==,
      "application/json");
  return json_node_get_object (response->json);
}

/* Asserts a JSON error with @status and only an "error" member, and
 * returns its message. */
static const gchar *
assert_error (RwTestResponse * response, guint status)
{
  g_autofree gchar *text = rw_test_response_dup_text (response);
  JsonObject *object;

  rw_test_check (response->status == status, "HTTP %u, not %u: %s",
      response->status, status, text);
  object = response_object (response);
  g_assert_cmpuint (json_object_get_size (object), ==, 1);
  g_assert_nonnull (rw_test_response_get_error (response));
  g_assert_cmpstr (rw_test_response_get_error (response), !=, "");
  return rw_test_response_get_error (response);
}

/* Asserts @response is @host's answer to the last offer it got, and
 * returns the session id. */
static gchar *
assert_answer (RwTestResponse * response, RwFakeHost * host)
{
  g_autofree gchar *text = rw_test_response_dup_text (response);
  g_autofree gchar *answer = NULL;
  GPtrArray *opened = rw_fake_host_get_opened (host);
  const RwFakeCall *open;
  JsonObject *object;
  const gchar *peer_id;

  rw_test_check (response->status == SOUP_STATUS_OK, "HTTP %u: %s",
      response->status, text);
  object = response_object (response);
  g_assert_cmpuint (json_object_get_size (object), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==,
      "answer");
  peer_id = json_object_get_string_member (object, "peer_id");
  g_assert_true (g_uuid_string_is_valid (peer_id));

  g_assert_cmpuint (opened->len, >, 0);
  open = g_ptr_array_index (opened, opened->len - 1);
  g_assert_cmpstr (open->session_id, ==, peer_id);
  g_assert_cmpstr (open->text, ==, OFFER_SDP);
  answer = rw_fake_host_dup_answer (host, peer_id);
  g_assert_cmpstr (json_object_get_string_member (object, "sdp"), ==, answer);
  g_assert_true (rw_fake_host_has_session (host, peer_id));
  return g_strdup (peer_id);
}

static gchar *
open_session (Fixture * f, RwFakeHost * host, const gchar * token)
{
  g_autoptr (RwTestResponse) response = NULL;

  if (host == f->front)
    response = post_offer (f, NULL, token);
  else
    response = post_offer (f, "\"stream\": \"wrist\"", token);
  return assert_answer (response, host);
}

static void
assert_status_object (RwTestResponse * response, const gchar * status,
    const gchar * key, const gchar * value)
{
  g_autofree gchar *text = rw_test_response_dup_text (response);
  JsonObject *object;

  rw_test_check (response->status == SOUP_STATUS_OK, "HTTP %u: %s",
      response->status, text);
  object = response_object (response);
  g_assert_cmpuint (json_object_get_size (object), ==, key ? 2 : 1);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==,
      status);
  if (key)
    g_assert_cmpstr (json_object_get_string_member (object, key), ==, value);
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

/* An offer sent without waiting for its answer. */
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
async_offer_start (Fixture * f, const gchar * extra)
{
  AsyncOffer *offer = g_new0 (AsyncOffer, 1);
  g_autofree gchar *url = rw_test_url (f->url, "/offer");
  g_autofree gchar *json = offer_body (extra);
  g_autoptr (GBytes) body = g_bytes_new (json, strlen (json));

  offer->cancellable = g_cancellable_new ();
  offer->msg = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (offer->msg, "application/json",
      body);
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

static const gchar *
last_open_id (RwFakeHost * host)
{
  GPtrArray *opened = rw_fake_host_get_opened (host);

  g_assert_cmpuint (opened->len, >, 0);
  return ((RwFakeCall *) g_ptr_array_index (opened,
          opened->len - 1))->session_id;
}

/* --- /offer --- */

/* No "stream": the first host mounted answers, with the id it was given. */
static void
test_offer_default (Fixture * f, gconstpointer data)
{
  g_autoptr (RwTestResponse) response = post_offer (f, NULL, NULL);
  g_autofree gchar *id = assert_answer (response, f->front);

  g_assert_cmpstr (last_open_id (f->front), ==, id);
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 1);
  g_assert_cmpuint (rw_fake_host_get_opened (f->wrist)->len, ==, 0);
  g_assert_cmpint (get_sessions (f), ==, 1);
}

/* The lab frontend's body as JSON.stringify ({sdp, type}) writes it. */
static void
test_offer_seed_body (Fixture * f, gconstpointer data)
{
  static const gchar body[] = "{\"sdp\":\"v=0\\r\\no=- 4611731400430051336 "
      "2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\na=group:BUNDLE 0\\r\\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\\r\\nc=IN IP4 0.0.0.0\\r\\na=mid:0\\r\\n"
      "a=recvonly\\r\\na=rtpmap:96 VP8/90000\\r\\n\",\"type\":\"offer\"}";
  g_autoptr (RwTestResponse) response = request (f, "POST", "/offer", NULL,
      body);
  g_autofree gchar *id = assert_answer (response, f->front);

  g_assert_cmpstr (last_open_id (f->front), ==, id);
}

static void
test_offer_streams (Fixture * f, gconstpointer data)
{
  g_autoptr (RwTestResponse) wrist = post_offer (f,
      "\"stream\": \"wrist\"", NULL);
  g_autoptr (RwTestResponse) null = post_offer (f, "\"stream\": null", NULL);
  g_autoptr (RwTestResponse) nope = post_offer (f, "\"stream\": \"nope\"",
      NULL);
  g_autoptr (RwTestResponse) number = post_offer (f, "\"stream\": 5", NULL);
  g_autofree gchar *wrist_id = assert_answer (wrist, f->wrist);
  g_autofree gchar *null_id = assert_answer (null, f->front);
  const gchar *message;

  g_assert_cmpstr (wrist_id, !=, null_id);
  message = assert_error (nope, SOUP_STATUS_NOT_FOUND);
  rw_test_check (strstr (message, "nope") && strstr (message, "front") &&
      strstr (message, "wrist"), "the 404 does not name the asked and the "
      "known streams: %s", message);
  assert_error (number, SOUP_STATUS_BAD_REQUEST);

  /* neither of the refused reached a host */
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 1);
  g_assert_cmpuint (rw_fake_host_get_opened (f->wrist)->len, ==, 1);
  g_assert_cmpint (get_sessions (f), ==, 2);
}

/* A host's error is the status, and its message the body; the session is
 * forgotten. */
static void
test_offer_host_errors (Fixture * f, gconstpointer data)
{
  static const struct
  {
    RwError code;
    guint status;
  } cases[] = {
    {RW_ERROR_BAD_REQUEST, SOUP_STATUS_BAD_REQUEST},
    {RW_ERROR_UNSUPPORTED, SOUP_STATUS_BAD_REQUEST},
    {RW_ERROR_FULL, SOUP_STATUS_SERVICE_UNAVAILABLE},
    {RW_ERROR_UNAVAILABLE, SOUP_STATUS_SERVICE_UNAVAILABLE},
    {RW_ERROR_CONFLICT, SOUP_STATUS_CONFLICT},
    {RW_ERROR_TIMEOUT, SOUP_STATUS_GATEWAY_TIMEOUT},
    {RW_ERROR_PIPELINE, SOUP_STATUS_INTERNAL_SERVER_ERROR},
    {RW_ERROR_FAILED, SOUP_STATUS_INTERNAL_SERVER_ERROR},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    RwFakeHost *host = i % 2 ? f->wrist : f->front;
    g_autofree gchar *message = g_strdup_printf ("fake failure %u", i);
    g_autoptr (RwTestResponse) response = NULL;
    g_autoptr (RwTestResponse) candidate = NULL;
    g_autoptr (RwTestResponse) hangup = NULL;
    const gchar *id;

    rw_fake_host_fail_next (host, cases[i].code, message);
    response = post_offer (f, host == f->wrist ? "\"stream\": \"wrist\"" :
        NULL, NULL);
    g_assert_cmpstr (assert_error (response, cases[i].status), ==, message);

    id = last_open_id (host);
    g_assert_false (rw_fake_host_has_session (host, id));
    candidate = post_candidate (f, id, CANDIDATE, 0, NULL);
    assert_error (candidate, SOUP_STATUS_NOT_FOUND);
    hangup = delete_peer (f, id, NULL);
    assert_error (hangup, SOUP_STATUS_NOT_FOUND);
  }
  g_assert_cmpint (get_sessions (f), ==, 0);
  g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_candidates (f->wrist)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_closes (f->front)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_closes (f->wrist)->len, ==, 0);
}

/* --- max-viewers, across hosts --- */

static const Setup two_viewers = { 2, FALSE, FALSE };

static void
test_max_viewers (Fixture * f, gconstpointer data)
{
  g_autofree gchar *front_id = open_session (f, f->front, NULL);
  g_autofree gchar *wrist_id = open_session (f, f->wrist, NULL);
  g_autofree gchar *again_id = NULL;
  g_autofree gchar *last_id = NULL;

  /* the third, on either stream, reaches no host */
  for (guint i = 0; i < 2; i++) {
    g_autoptr (RwTestResponse) full = post_offer (f, i ?
        "\"stream\": \"wrist\"" : NULL, NULL);

    assert_error (full, SOUP_STATUS_SERVICE_UNAVAILABLE);
  }
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 1);
  g_assert_cmpuint (rw_fake_host_get_opened (f->wrist)->len, ==, 1);

  /* the media ends one: room again */
  g_assert_true (rw_fake_host_end_session (f->front, front_id,
          "media stopped"));
  again_id = open_session (f, f->wrist, NULL);
  {
    g_autoptr (RwTestResponse) full = post_offer (f, NULL, NULL);

    assert_error (full, SOUP_STATUS_SERVICE_UNAVAILABLE);
  }

  /* a hang-up too */
  {
    g_autoptr (RwTestResponse) hangup = delete_peer (f, wrist_id, NULL);

    assert_status_object (hangup, "closed", "peer_id", wrist_id);
  }
  last_id = open_session (f, f->front, NULL);
  g_assert_cmpint (get_sessions (f), ==, 2);
}

/* An offer still being answered counts. */
static void
test_max_viewers_pending (Fixture * f, gconstpointer data)
{
  g_autofree gchar *front_id = open_session (f, f->front, NULL);
  g_autoptr (AsyncOffer) pending = NULL;
  g_autoptr (RwTestResponse) full = NULL;

  rw_fake_host_hold (f->wrist, TRUE);
  pending = async_offer_start (f, "\"stream\": \"wrist\"");
  WAIT_FOR (rw_fake_host_get_n_held (f->wrist) == 1);

  full = post_offer (f, NULL, NULL);
  assert_error (full, SOUP_STATUS_SERVICE_UNAVAILABLE);
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 1);

  g_assert_cmpuint (rw_fake_host_release (f->wrist), ==, 1);
  WAIT_FOR (pending->done);
  g_assert_no_error (pending->error);
  g_assert_cmpuint (soup_message_get_status (pending->msg), ==, SOUP_STATUS_OK);
  g_assert_true (rw_fake_host_has_session (f->front, front_id));
  g_assert_cmpuint (rw_fake_host_get_n_sessions (f->wrist), ==, 1);
}

/* --- /ice-candidate --- */

static void
assert_last_candidate (RwFakeHost * host, const gchar * id,
    const gchar * candidate, guint mline)
{
  GPtrArray *candidates = rw_fake_host_get_candidates (host);
  const RwFakeCall *call;

  g_assert_cmpuint (candidates->len, >, 0);
  call = g_ptr_array_index (candidates, candidates->len - 1);
  g_assert_cmpstr (call->session_id, ==, id);
  g_assert_cmpstr (call->text, ==, candidate);
  g_assert_cmpuint (call->mline, ==, mline);
}

static void
test_candidate (Fixture * f, gconstpointer data)
{
  g_autofree gchar *front_id = open_session (f, f->front, NULL);
  g_autofree gchar *wrist_id = open_session (f, f->wrist, NULL);
  g_autofree gchar *unknown = g_uuid_string_random ();
  g_autofree gchar *id_json = json_string (wrist_id);
  g_autofree gchar *object_body = NULL;
  g_autofree gchar *missing_body = NULL;

  /* to the session's host, with its m-line */
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, wrist_id,
        CANDIDATE, 1, NULL);

    assert_status_object (response, "ok", NULL, NULL);
    assert_last_candidate (f->wrist, wrist_id, CANDIDATE, 1);
    g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 0);
  }
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, front_id,
        CANDIDATE, 0, NULL);

    assert_status_object (response, "ok", NULL, NULL);
    assert_last_candidate (f->front, front_id, CANDIDATE, 0);
  }

  /* an RTCIceCandidate's toJSON () */
  object_body = g_strdup_printf ("{\"peer_id\": %s, \"candidate\": "
      "{\"candidate\": \"" CANDIDATE "\", \"sdpMid\": \"2\", "
      "\"sdpMLineIndex\": 2}}", id_json);
  {
    g_autoptr (RwTestResponse) response = request (f, "POST",
        "/ice-candidate", NULL, object_body);

    assert_status_object (response, "ok", NULL, NULL);
    assert_last_candidate (f->wrist, wrist_id, CANDIDATE, 2);
  }

  /* unknown session: no host hears of it */
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, unknown,
        CANDIDATE, 0, NULL);

    assert_error (response, SOUP_STATUS_NOT_FOUND);
    g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 1);
    g_assert_cmpuint (rw_fake_host_get_candidates (f->wrist)->len, ==, 2);
  }

  /* the host refuses a line, or ignores it */
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, wrist_id,
        "bad", 0, NULL);

    g_assert_cmpstr (assert_error (response, SOUP_STATUS_BAD_REQUEST), ==,
        "the candidate line does not parse");
  }
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, wrist_id,
        "ignore-me", 0, NULL);

    assert_status_object (response, "ignored", "reason", "test ignore");
  }

  /* end of candidates: null, or no member at all */
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, wrist_id, NULL,
        0, NULL);

    assert_status_object (response, "ok", NULL, NULL);
    assert_last_candidate (f->wrist, wrist_id, NULL, 0);
  }
  missing_body = g_strdup_printf ("{\"peer_id\": %s}", id_json);
  {
    g_autoptr (RwTestResponse) response = request (f, "POST",
        "/ice-candidate", NULL, missing_body);

    assert_status_object (response, "ok", NULL, NULL);
    assert_last_candidate (f->wrist, wrist_id, NULL, 0);
  }
  g_assert_cmpuint (rw_fake_host_get_candidates (f->wrist)->len, ==, 6);
}

/* --- DELETE /peers/{id} and sessions the host ends --- */

static void
test_hangup (Fixture * f, gconstpointer data)
{
  g_autofree gchar *id = open_session (f, f->wrist, NULL);
  const RwFakeCall *close;

  {
    g_autoptr (RwTestResponse) response = delete_peer (f, id, NULL);

    assert_status_object (response, "closed", "peer_id", id);
  }
  close = rw_fake_host_find_close (f->wrist, id);
  g_assert_nonnull (close);
  g_assert_cmpstr (close->text, ==, "hung up");
  g_assert_false (rw_fake_host_has_session (f->wrist, id));
  {
    g_autoptr (RwTestResponse) response = delete_peer (f, id, NULL);

    assert_error (response, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, id, CANDIDATE,
        0, NULL);

    assert_error (response, SOUP_STATUS_NOT_FOUND);
  }
  g_assert_cmpuint (rw_fake_host_get_closes (f->wrist)->len, ==, 1);
  g_assert_cmpuint (rw_fake_host_get_closes (f->front)->len, ==, 0);
  g_assert_cmpint (get_sessions (f), ==, 0);
}

static void
test_host_ends_session (Fixture * f, gconstpointer data)
{
  g_autofree gchar *id = open_session (f, f->front, NULL);
  g_autofree gchar *other = open_session (f, f->front, NULL);

  g_assert_cmpint (get_sessions (f), ==, 2);
  g_assert_true (rw_fake_host_end_session (f->front, id, "it stopped "
          "sending RTCP"));
  g_assert_cmpint (get_sessions (f), ==, 1);
  {
    g_autoptr (RwTestResponse) response = delete_peer (f, id, NULL);

    assert_error (response, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, id, CANDIDATE,
        0, NULL);

    assert_error (response, SOUP_STATUS_NOT_FOUND);
  }
  /* the host was not asked about the session it ended */
  g_assert_cmpuint (rw_fake_host_get_closes (f->front)->len, ==, 1);
  g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 0);

  /* the other goes on */
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, other,
        CANDIDATE, 0, NULL);

    assert_status_object (response, "ok", NULL, NULL);
  }
}

/* --- clients that go away --- */

static gboolean
wait_for_close (RwFakeHost * host, const gchar * id, guint ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (rw_fake_host_find_close (host, id) == NULL) {
    if (g_get_monotonic_time () >= deadline)
      return FALSE;
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  }
  return TRUE;
}

/* The client of the offer @id, which "front" holds, went away: the
 * server cancels the open, forgets the session, and takes the host's late
 * return in its stride. */
static void
assert_gone_client_forgotten (Fixture * f, const gchar * id)
{
  gboolean cancelled = wait_for_close (f->front, id, 2000);

  /* the host returns late, whatever it was told: no crash */
  g_assert_cmpuint (rw_fake_host_release (f->front), ==, 1);
  rw_test_pump_for (100);

  /* the server watches a pending offer's socket: libsoup 3.2 says no
   * "disconnected" for a paused message */
  rw_test_check (cancelled, "the host's open of %s was not cancelled", id);
  g_assert_cmpstr (rw_fake_host_find_close (f->front, id)->text, ==,
      RW_FAKE_HOST_CANCELLED);
  g_assert_false (rw_fake_host_has_session (f->front, id));
  g_assert_cmpint (get_sessions (f), ==, 0);
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, id, CANDIDATE,
        0, NULL);

    assert_error (response, SOUP_STATUS_NOT_FOUND);
  }
}

/* The client cancels its request while the host holds the answer. */
static void
test_client_gone (Fixture * f, gconstpointer data)
{
  g_autoptr (AsyncOffer) offer = NULL;
  g_autofree gchar *id = NULL;

  rw_fake_host_hold (f->front, TRUE);
  offer = async_offer_start (f, NULL);
  WAIT_FOR (rw_fake_host_get_n_held (f->front) == 1);
  id = g_strdup (last_open_id (f->front));

  g_cancellable_cancel (offer->cancellable);
  WAIT_FOR (offer->done);
  g_assert_error (offer->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_gone_client_forgotten (f, id);

  /* and the server goes on serving */
  rw_fake_host_hold (f->front, FALSE);
  g_free (open_session (f, f->front, NULL));
}

/* The client closes its connection while the host holds the answer. */
static void
test_client_closes_connection (Fixture * f, gconstpointer data)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GUri) uri = g_uri_parse (f->url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *body = offer_body (NULL);
  g_autofree gchar *head = NULL;
  g_autofree gchar *id = NULL;
  GOutputStream *out;

  rw_fake_host_hold (f->front, TRUE);
  /* straight to 127.0.0.1, whatever proxy the environment names */
  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1",
      g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  head = g_strdup_printf ("POST /offer HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
      g_uri_get_port (uri), strlen (body));
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_assert_true (g_output_stream_write_all (out, head, strlen (head), NULL,
          NULL, &error));
  g_assert_true (g_output_stream_write_all (out, body, strlen (body), NULL,
          NULL, &error));
  g_assert_no_error (error);

  WAIT_FOR (rw_fake_host_get_n_held (f->front) == 1);
  id = g_strdup (last_open_id (f->front));
  g_assert_true (g_io_stream_close (G_IO_STREAM (connection), NULL, &error));
  g_assert_no_error (error);
  assert_gone_client_forgotten (f, id);

  rw_fake_host_hold (f->front, FALSE);
  g_free (open_session (f, f->front, NULL));
}

/* rw_http_server_stop () cancels the answers not sent yet. */
static void
test_stop_cancels (Fixture * f, gconstpointer data)
{
  g_autoptr (AsyncOffer) offer = NULL;
  g_autofree gchar *id = NULL;

  rw_fake_host_hold (f->wrist, TRUE);
  offer = async_offer_start (f, "\"stream\": \"wrist\"");
  WAIT_FOR (rw_fake_host_get_n_held (f->wrist) == 1);
  id = g_strdup (last_open_id (f->wrist));

  rw_http_server_stop (f->server);
  g_assert_nonnull (rw_fake_host_find_close (f->wrist, id));
  g_assert_cmpuint (rw_fake_host_release (f->wrist), ==, 1);
  WAIT_FOR (offer->done);
  g_assert_false (rw_fake_host_has_session (f->wrist, id));
}

/* --- /streams and /status --- */

static JsonObject *
array_object (JsonArray * array, guint i)
{
  JsonNode *node = json_array_get_element (array, i);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static void
assert_summary (JsonObject * stream, const gchar * name, gint64 viewers)
{
  g_assert_cmpstr (json_object_get_string_member (stream, "name"), ==, name);
  g_assert_cmpstr (json_object_get_string_member (stream, "fake"), ==, name);
  g_assert_cmpint (json_object_get_int_member (stream, "viewers"), ==, viewers);
  g_assert_cmpstr (json_object_get_string_member (stream, "codec"), ==, "VP8");
}

static void
test_streams (Fixture * f, gconstpointer data)
{
  g_autofree gchar *id = open_session (f, f->wrist, NULL);
  g_autoptr (RwTestResponse) response = request (f, "GET", "/streams", NULL,
      NULL);
  JsonObject *object = response_object (response);
  JsonArray *streams;

  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  g_assert_true (rw_fake_host_has_session (f->wrist, id));
  g_assert_cmpuint (json_object_get_size (object), ==, 1);
  streams = json_object_get_array_member (object, "streams");
  g_assert_cmpuint (json_array_get_length (streams), ==, 2);
  assert_summary (array_object (streams, 0), "front", 0);
  assert_summary (array_object (streams, 1), "wrist", 1);
  /* a summary: name and the host's three members */
  g_assert_cmpuint (json_object_get_size (array_object (streams, 0)), ==, 4);
  g_assert_cmpuint (json_object_get_size (array_object (streams, 1)), ==, 4);
}

static void
assert_peers (JsonObject * object, const gchar * id)
{
  JsonArray *peers = json_object_get_array_member (object, "peers");

  g_assert_nonnull (peers);
  g_assert_cmpuint (json_array_get_length (peers), ==, id ? 1 : 0);
  if (id)
    g_assert_cmpstr (json_array_get_string_element (peers, 0), ==, id);
}

static void
test_status (Fixture * f, gconstpointer data)
{
  g_autofree gchar *front_id = open_session (f, f->front, NULL);
  g_autofree gchar *wrist_a = open_session (f, f->wrist, NULL);
  g_autofree gchar *wrist_b = open_session (f, f->wrist, NULL);
  g_autoptr (RwTestResponse) response = request (f, "GET", "/status", NULL,
      NULL);
  JsonObject *object = response_object (response);
  JsonArray *streams, *peers;

  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  /* the first stream's members at the top level, as one stream had them */
  g_assert_cmpstr (json_object_get_string_member (object, "stream"), ==,
      "front");
  g_assert_cmpstr (json_object_get_string_member (object, "fake"), ==, "front");
  g_assert_cmpint (json_object_get_int_member (object, "viewers"), ==, 1);
  assert_peers (object, front_id);
  /* the robot's */
  g_assert_cmpint (json_object_get_int_member (object, "sessions"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (object, "max_viewers"), ==,
      f->config->max_viewers);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "ok");
  g_assert_true (json_object_has_member (object, "version"));
  g_assert_false (rw_test_json_get_boolean (response->json, "auth.tokens"));

  streams = json_object_get_array_member (object, "streams");
  g_assert_cmpuint (json_array_get_length (streams), ==, 2);
  assert_summary (array_object (streams, 0), "front", 1);
  assert_peers (array_object (streams, 0), front_id);
  assert_summary (array_object (streams, 1), "wrist", 2);
  g_assert_cmpint (json_object_get_int_member (array_object (streams, 1),
          "max_viewers"), ==, 99);
  peers = json_object_get_array_member (array_object (streams, 1), "peers");
  g_assert_cmpuint (json_array_get_length (peers), ==, 2);
  for (guint i = 0; i < 2; i++) {
    const gchar *peer = json_array_get_string_element (peers, i);

    g_assert_true (g_str_equal (peer, wrist_a) || g_str_equal (peer, wrist_b));
  }

  /* one host cannot serve: the robot says so */
  for (guint i = 0; i < 2; i++) {
    RwFakeHost *sick = i ? f->wrist : f->front;
    g_autoptr (RwTestResponse) error = NULL;

    rw_fake_host_set_healthy (sick, FALSE);
    error = request (f, "GET", "/status", NULL, NULL);
    g_assert_cmpuint (error->status, ==, SOUP_STATUS_OK);
    g_assert_cmpstr (rw_test_json_get_string (error->json, "status"), ==,
        "error");
    rw_fake_host_set_healthy (sick, TRUE);
  }
}

/* GET /metrics until it has @line (the request counters move when a
 * response is written, after the client may have read it), at most 2 s. */
static gchar *
metrics_with (Fixture * f, const gchar * line)
{
  g_autofree gchar *needle = g_strdup_printf ("\n%s\n", line);
  gint64 deadline = g_get_monotonic_time () + 2 * G_TIME_SPAN_SECOND;

  for (;;) {
    g_autoptr (RwTestResponse) response = request (f, "GET", "/metrics",
        NULL, NULL);
    g_autofree gchar *text = rw_test_response_dup_text (response);

    g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
    g_assert_cmpstr (rw_test_response_get_content_type (response), ==,
        "text/plain");
    if (strstr (text, needle))
      return g_steal_pointer (&text);
    if (g_get_monotonic_time () > deadline)
      g_error ("no line '%s' in /metrics:\n%s", line, text);
    g_usleep (20 * 1000);
  }
}

static void
test_metrics (Fixture * f, gconstpointer data)
{
  g_autofree gchar *front_id = open_session (f, f->front, NULL);
  g_autoptr (RwTestResponse) status = request (f, "GET", "/status", NULL, NULL);
  g_autoptr (RwTestResponse) missing = request (f, "GET", "/nope", NULL, NULL);
  g_autofree gchar *text = NULL;

  g_assert_cmpuint (status->status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (missing->status, ==, SOUP_STATUS_NOT_FOUND);
  text = metrics_with (f, "robot_webrtc_http_requests_total{route=\"other\","
      "method=\"GET\",code=\"404\"} 1");
  g_assert_nonnull (strstr (text, "\nrobot_webrtc_viewers{stream=\"front\"} "
          "1\n"));
  g_assert_nonnull (strstr (text, "\nrobot_webrtc_viewers{stream=\"wrist\"} "
          "0\n"));
  g_assert_nonnull (strstr (text, "\nrobot_webrtc_sessions 1\n"));
  g_assert_nonnull (strstr (text, "\nrobot_webrtc_http_requests_total"
          "{route=\"/status\",method=\"GET\",code=\"200\"} 1\n"));
  g_assert_nonnull (strstr (text, "\nrobot_webrtc_http_requests_total"
          "{route=\"/offer\",method=\"POST\",code=\"200\"} 1\n"));
  /* no session id in it */
  g_assert_null (strstr (text, front_id));
  rw_test_promtool_check_metrics (text);
}

static void
test_preflight (Fixture * f, gconstpointer data)
{
  g_autoptr (RwTestResponse) response = request (f, "OPTIONS", "/streams",
      NULL, NULL);

  g_assert_cmpuint (response->status, ==, SOUP_STATUS_NO_CONTENT);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Allow"),
      ==, "GET, OPTIONS");
  g_assert_cmpstr (soup_message_headers_get_one (response->headers,
          "Access-Control-Allow-Methods"), ==, "GET, OPTIONS");
}

/* --- mounting --- */

static void
test_remove_host (Fixture * f, gconstpointer data)
{
  g_autofree gchar *front_id = open_session (f, f->front, NULL);
  g_autofree gchar *wrist_id = open_session (f, f->wrist, NULL);
  g_autoptr (RwTestResponse) streams = NULL;
  JsonArray *array;

  rw_http_server_remove_host (f->server, "wrist");

  {
    g_autoptr (RwTestResponse) response = post_offer (f,
        "\"stream\": \"wrist\"", NULL);

    assert_error (response, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, wrist_id,
        CANDIDATE, 0, NULL);

    assert_error (response, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr (RwTestResponse) response = delete_peer (f, wrist_id, NULL);

    assert_error (response, SOUP_STATUS_NOT_FOUND);
  }
  g_assert_cmpuint (rw_fake_host_get_opened (f->wrist)->len, ==, 1);
  g_assert_cmpuint (rw_fake_host_get_candidates (f->wrist)->len, ==, 0);
  g_assert_cmpint (get_sessions (f), ==, 1);

  /* the caller closes the unmounted host's sessions: no concern of ours */
  g_assert_true (rw_fake_host_end_session (f->wrist, wrist_id, "unmounted"));
  g_assert_cmpint (get_sessions (f), ==, 1);

  streams = request (f, "GET", "/streams", NULL, NULL);
  array = json_object_get_array_member (response_object (streams), "streams");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  assert_summary (array_object (array, 0), "front", 1);

  /* the other keeps working */
  {
    g_autoptr (RwTestResponse) response = post_candidate (f, front_id,
        CANDIDATE, 0, NULL);

    assert_status_object (response, "ok", NULL, NULL);
  }
  g_free (open_session (f, f->front, NULL));
  {
    g_autoptr (RwTestResponse) response = delete_peer (f, front_id, NULL);

    assert_status_object (response, "closed", "peer_id", front_id);
  }
}

/* An offer the unmounted host is still answering is forgotten with the
 * host's other sessions: its client must not get an answer for a session
 * the server no longer knows (candidates to it would get 404, and
 * max-viewers would not count it). */
static void
test_remove_host_pending (Fixture * f, gconstpointer data)
{
  g_autoptr (AsyncOffer) offer = NULL;
  g_autofree gchar *id = NULL;
  guint status;

  rw_fake_host_hold (f->wrist, TRUE);
  offer = async_offer_start (f, "\"stream\": \"wrist\"");
  WAIT_FOR (rw_fake_host_get_n_held (f->wrist) == 1);
  id = g_strdup (last_open_id (f->wrist));

  rw_http_server_remove_host (f->server, "wrist");
  g_assert_cmpint (get_sessions (f), ==, 0);
  rw_fake_host_release (f->wrist);
  WAIT_FOR (offer->done);
  status = soup_message_get_status (offer->msg);

  g_assert_cmpuint (status, ==, SOUP_STATUS_SERVICE_UNAVAILABLE);
  g_assert_nonnull (rw_fake_host_find_close (f->wrist, id));
  g_assert_false (rw_fake_host_has_session (f->wrist, id));
}

/* Nothing mounted: nothing to serve. */
static const Setup no_hosts = { 0, TRUE, FALSE };

static void
test_no_host (Fixture * f, gconstpointer data)
{
  g_autoptr (RwTestResponse) offer = post_offer (f, NULL, NULL);
  g_autoptr (RwTestResponse) named = post_offer (f, "\"stream\": \"front\"",
      NULL);
  g_autoptr (RwTestResponse) streams = request (f, "GET", "/streams", NULL,
      NULL);
  g_autoptr (RwTestResponse) status = request (f, "GET", "/status", NULL, NULL);

  assert_error (offer, SOUP_STATUS_SERVICE_UNAVAILABLE);
  assert_error (named, SOUP_STATUS_NOT_FOUND);
  g_assert_cmpuint (streams->status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member
          (response_object (streams), "streams")), ==, 0);
  g_assert_cmpuint (status->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (rw_test_json_get_string (status->json, "status"), ==,
      "error");
  g_assert_null (rw_test_json_get_string (status->json, "stream"));
  g_assert_cmpint (rw_test_json_get_int (status->json, "sessions", -1), ==, 0);
}

/* --- tokens --- */

static const Setup tokens = { 0, FALSE, TRUE };

static gchar *
mint (const gchar * sub)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree gchar *claims = g_strdup_printf ("{\"exp\": %" G_GINT64_FORMAT
      ", \"sub\": \"%s\"}", now + 600, sub);

  return rw_test_mint_token (SECRET, claims);
}

static void
test_tokens (Fixture * f, gconstpointer data)
{
  g_autofree gchar *a = mint ("A");
  g_autofree gchar *b = mint ("B");
  g_autofree gchar *a_id = NULL;
  g_autofree gchar *b_id = NULL;

  /* no token, no session */
  {
    g_autoptr (RwTestResponse) response = post_offer (f, NULL, NULL);

    assert_error (response, SOUP_STATUS_UNAUTHORIZED);
    g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 0);
  }
  a_id = open_session (f, f->front, a);
  b_id = open_session (f, f->wrist, b);

  /* each session is its owner's */
  for (guint i = 0; i < 2; i++) {
    const gchar *id = i ? b_id : a_id;
    const gchar *other = i ? a : b;
    g_autoptr (RwTestResponse) candidate = post_candidate (f, id, CANDIDATE,
        0, other);
    g_autoptr (RwTestResponse) hangup = delete_peer (f, id, other);
    g_autoptr (RwTestResponse) anonymous = delete_peer (f, id, NULL);

    assert_error (candidate, SOUP_STATUS_FORBIDDEN);
    assert_error (hangup, SOUP_STATUS_FORBIDDEN);
    assert_error (anonymous, SOUP_STATUS_UNAUTHORIZED);
  }
  g_assert_cmpuint (rw_fake_host_get_candidates (f->front)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_candidates (f->wrist)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_closes (f->front)->len, ==, 0);
  g_assert_cmpuint (rw_fake_host_get_closes (f->wrist)->len, ==, 0);

  for (guint i = 0; i < 2; i++) {
    const gchar *id = i ? b_id : a_id;
    const gchar *own = i ? b : a;
    g_autoptr (RwTestResponse) candidate = post_candidate (f, id, CANDIDATE,
        0, own);
    g_autoptr (RwTestResponse) hangup = delete_peer (f, id, own);

    assert_status_object (candidate, "ok", NULL, NULL);
    assert_status_object (hangup, "closed", "peer_id", id);
  }
  assert_last_candidate (f->front, a_id, CANDIDATE, 0);
  assert_last_candidate (f->wrist, b_id, CANDIDATE, 0);

  /* /status is public */
  {
    g_autoptr (RwTestResponse) status = request (f, "GET", "/status", NULL,
        NULL);

    g_assert_cmpuint (status->status, ==, SOUP_STATUS_OK);
    g_assert_true (rw_test_json_get_boolean (status->json, "auth.tokens"));
  }
}

/* --- bookings: sessions end with their token, revocation, max_sessions --- */

static const Setup grace = { 0, FALSE, TRUE, 1 };

#define REASON_EXPIRED "the token expired (booking over)"
#define REASON_REVOKED "the token was revoked"

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* A token with @claims, a JSON object's members */
static gchar *
mint_with (const gchar * claims)
{
  g_autofree gchar *json = g_strdup_printf ("{%s}", claims);

  return rw_test_mint_token (SECRET, json);
}

static gchar *
mint_until (const gchar * sub, gint64 exp, gint64 iat)
{
  g_autofree gchar *claims = g_strdup_printf ("\"sub\": \"%s\", \"exp\": %"
      G_GINT64_FORMAT ", \"iat\": %" G_GINT64_FORMAT, sub, exp, iat);

  return mint_with (claims);
}

static gchar *
mint_admin (void)
{
  g_autofree gchar *claims = g_strdup_printf ("\"sub\": \"lab-backend\", "
      "\"exp\": %" G_GINT64_FORMAT ", \"iat\": %" G_GINT64_FORMAT ", "
      "\"scope\": \"robot-admin\"", now_s () + 60, now_s ());

  return mint_with (claims);
}

/* Asserts a 401 with the Bearer challenge, and that its error has
 * @needle. */
static void
assert_refused_token (RwTestResponse * response, const gchar * needle)
{
  const gchar *message = assert_error (response, SOUP_STATUS_UNAUTHORIZED);
  const gchar *challenge = soup_message_headers_get_one (response->headers,
      "WWW-Authenticate");

  rw_test_check (strstr (message, needle), "the 401 '%s' does not say '%s'",
      message, needle);
  g_assert_nonnull (challenge);
  g_assert_nonnull (strstr (challenge, "error=\"invalid_token\""));
}

static gboolean
has_close (RwFakeHost * host, const gchar * id)
{
  return rw_fake_host_find_close (host, id) != NULL;
}

/* Waits, a bounded time, for the host to close @id, and returns when (µs
 * since the epoch). */
static gint64
wait_closed (RwFakeHost * host, const gchar * id, const gchar * reason)
{
  WAIT_FOR (has_close (host, id));
  g_assert_cmpstr (rw_fake_host_find_close (host, id)->text, ==, reason);
  g_assert_false (rw_fake_host_has_session (host, id));
  return g_get_real_time ();
}

/* A session ends at its token's exp: closed on its host with the reason,
 * forgotten, another owner's session going on; the token opens no other. */
static void
test_session_expires (Fixture * f, gconstpointer data)
{
  gint64 exp = now_s () + 2;    /* 1 to 2 s from now */
  g_autofree gchar *short_token = mint_until ("alice", exp, now_s ());
  g_autofree gchar *long_token = mint_until ("bob", now_s () + 600, now_s ());
  g_autofree gchar *a = open_session (f, f->front, short_token);
  g_autofree gchar *a_wrist = open_session (f, f->wrist, short_token);
  g_autofree gchar *b = open_session (f, f->front, long_token);
  gint64 closed, late_ms;

  g_assert_cmpint (get_sessions (f), ==, 3);
  closed = wait_closed (f->front, a, REASON_EXPIRED);
  late_ms = (closed - exp * G_USEC_PER_SEC) / 1000;
  g_test_message ("closed %" G_GINT64_FORMAT " ms after exp", late_ms);
  rw_test_check (late_ms >= 0 && late_ms < 500, "closed %" G_GINT64_FORMAT
      " ms after exp", late_ms);
  wait_closed (f->wrist, a_wrist, REASON_EXPIRED);
  g_assert_cmpint (get_sessions (f), ==, 1);
  g_assert_true (rw_fake_host_has_session (f->front, b));
  g_assert_null (rw_fake_host_find_close (f->front, b));

  /* within the clock skew the token is valid, but its session time is
   * over: 401, with the marker the viewer page looks for */
  {
    g_autoptr (RwTestResponse) again = post_offer (f, NULL, short_token);

    assert_refused_token (again, "booking over");
  }
  /* its owner may still hang up what is left, with the expired token */
  {
    g_autoptr (RwTestResponse) hangup = delete_peer (f, a, short_token);

    assert_error (hangup, SOUP_STATUS_NOT_FOUND);
  }
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 2);
}

/* session_exp carries a session past exp, and session-grace (1 s here)
 * beyond that. */
static void
test_session_exp_grace (Fixture * f, gconstpointer data)
{
  gint64 exp = now_s () + 1;
  g_autofree gchar *claims = g_strdup_printf ("\"sub\": \"carol\", "
      "\"exp\": %" G_GINT64_FORMAT ", \"session_exp\": %" G_GINT64_FORMAT,
      exp, exp + 1);
  g_autofree gchar *token = mint_with (claims);
  g_autofree gchar *id = open_session (f, f->front, token);
  gint64 closed, late_ms;

  closed = wait_closed (f->front, id, REASON_EXPIRED);
  late_ms = (closed - (exp + 2) * G_USEC_PER_SEC) / 1000;
  g_test_message ("closed %" G_GINT64_FORMAT " ms after session_exp + grace",
      late_ms);
  rw_test_check (late_ms >= 0 && late_ms < 500, "closed %" G_GINT64_FORMAT
      " ms after session_exp + grace", late_ms);
  g_assert_cmpint (get_sessions (f), ==, 0);
}

/* An offer sent with a token, without waiting for its answer. */
static AsyncOffer *
async_offer_with_token (Fixture * f, const gchar * token)
{
  AsyncOffer *offer = g_new0 (AsyncOffer, 1);
  g_autofree gchar *url = rw_test_url (f->url, "/offer");
  g_autofree gchar *json = offer_body (NULL);
  g_autofree gchar *bearer = g_strconcat ("Bearer ", token, NULL);
  g_autoptr (GBytes) body = g_bytes_new (json, strlen (json));

  offer->cancellable = g_cancellable_new ();
  offer->msg = soup_message_new ("POST", url);
  soup_message_headers_replace (soup_message_get_request_headers
      (offer->msg), "Authorization", bearer);
  soup_message_set_request_body_from_bytes (offer->msg, "application/json",
      body);
  soup_session_send_and_read_async (f->session, offer->msg,
      G_PRIORITY_DEFAULT, offer->cancellable, on_async_offer_done, offer);
  return offer;
}

static void
assert_async_refused (AsyncOffer * offer, const gchar * needle)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  const gchar *message;

  WAIT_FOR (offer->done);
  g_assert_no_error (offer->error);
  g_assert_cmpuint (soup_message_get_status (offer->msg), ==,
      SOUP_STATUS_UNAUTHORIZED);
  g_assert_nonnull (soup_message_headers_get_one
      (soup_message_get_response_headers (offer->msg), "WWW-Authenticate"));
  g_assert_true (json_parser_load_from_data (parser,
          g_bytes_get_data (offer->body, NULL),
          g_bytes_get_size (offer->body), NULL));
  message = json_object_get_string_member (json_node_get_object
      (json_parser_get_root (parser)), "error");
  rw_test_check (strstr (message, needle), "'%s' does not say '%s'", message,
      needle);
}

/* The session time ends while the host is still answering: the open is
 * cancelled and the offer refused, even once the host answers. */
static void
test_session_expires_pending (Fixture * f, gconstpointer data)
{
  g_autofree gchar *token = mint_until ("dave", now_s () + 1, now_s ());
  g_autoptr (AsyncOffer) offer = NULL;
  g_autofree gchar *id = NULL;

  rw_fake_host_hold (f->front, TRUE);
  offer = async_offer_with_token (f, token);
  WAIT_FOR (rw_fake_host_get_n_held (f->front) == 1);
  id = g_strdup (last_open_id (f->front));
  WAIT_FOR (has_close (f->front, id));
  g_assert_cmpstr (rw_fake_host_find_close (f->front, id)->text, ==,
      RW_FAKE_HOST_CANCELLED);
  g_assert_false (offer->done);

  rw_fake_host_release (f->front);
  assert_async_refused (offer, "booking over");
  g_assert_false (rw_fake_host_has_session (f->front, id));
  g_assert_cmpint (get_sessions (f), ==, 0);
}

static RwTestResponse *
post_revoke (Fixture * f, const gchar * token, const gchar * body)
{
  return request (f, "POST", "/revoke", token, body);
}

/* POST /revoke closes every session of one sub at once, and refuses its
 * tokens issued before; a new one is fine. */
static void
test_revoke (Fixture * f, gconstpointer data)
{
  g_autofree gchar *admin = mint_admin ();
  g_autofree gchar *alice = mint_until ("alice", now_s () + 600, now_s ());
  g_autofree gchar *bob = mint_until ("bob", now_s () + 600, now_s ());
  g_autofree gchar *a1 = open_session (f, f->front, alice);
  g_autofree gchar *a2 = open_session (f, f->wrist, alice);
  g_autofree gchar *b = open_session (f, f->front, bob);
  g_autoptr (RwTestResponse) response = NULL;
  g_autofree gchar *again = NULL;
  JsonObject *object;

  response = post_revoke (f, admin, "{\"sub\": \"alice\"}");
  object = response_object (response);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==,
      "revoked");
  g_assert_cmpstr (json_object_get_string_member (object, "sub"), ==, "alice");
  g_assert_cmpint (json_object_get_int_member (object, "closed"), ==, 2);

  /* at once: no waiting */
  g_assert_cmpstr (rw_fake_host_find_close (f->front, a1)->text, ==,
      REASON_REVOKED);
  g_assert_cmpstr (rw_fake_host_find_close (f->wrist, a2)->text, ==,
      REASON_REVOKED);
  g_assert_true (rw_fake_host_has_session (f->front, b));
  g_assert_null (rw_fake_host_find_close (f->front, b));
  g_assert_cmpint (get_sessions (f), ==, 1);

  /* alice's token, issued before: refused, for offers and the rest */
  {
    g_autoptr (RwTestResponse) offer = post_offer (f, NULL, alice);
    g_autoptr (RwTestResponse) hangup = delete_peer (f, a1, alice);

    assert_refused_token (offer, "the token was revoked");
    assert_refused_token (hangup, "the token was revoked");
  }
  /* bob's is not affected */
  {
    g_autoptr (RwTestResponse) candidate = post_candidate (f, b, CANDIDATE,
        0, bob);

    assert_status_object (candidate, "ok", NULL, NULL);
  }

  /* a token issued after the revocation (iat is in whole seconds: the
   * next one) */
  {
    g_autofree gchar *fresh = mint_until ("alice", now_s () + 600,
        now_s () + 1);

    again = open_session (f, f->front, fresh);
  }
  g_assert_cmpint (get_sessions (f), ==, 2);

  /* revoking a sub without sessions closes none */
  {
    g_autoptr (RwTestResponse) none =
        post_revoke (f, admin, "{\"sub\": \"zoe\"}");

    g_assert_cmpuint (none->status, ==, SOUP_STATUS_OK);
    g_assert_cmpint (rw_test_json_get_int (none->json, "closed", -1), ==, 0);
  }
}

/* Who may revoke, and what: 401 without a token, 403 without the admin
 * scope, 400 for a bad body; none of them revokes anything. */
static void
test_revoke_refused (Fixture * f, gconstpointer data)
{
  g_autofree gchar *admin = mint_admin ();
  g_autofree gchar *alice = mint_until ("alice", now_s () + 600, now_s ());
  g_autofree gchar *other_scope = NULL;
  g_autofree gchar *id = open_session (f, f->front, alice);
  static const gchar *bad_bodies[] = { "", "{\"sub\": ", "[]",
    "{\"user\": \"alice\"}", "{\"sub\": 42}", "{\"sub\": \"\"}"
  };

  {
    g_autofree gchar *claims = g_strdup_printf ("\"sub\": \"mallory\", "
        "\"exp\": %" G_GINT64_FORMAT ", \"scope\": \"robot-admins viewer\"",
        now_s () + 60);

    other_scope = mint_with (claims);
  }
  {
    g_autoptr (RwTestResponse) none =
        post_revoke (f, NULL, "{\"sub\": \"alice\"}");
    const gchar *message = assert_error (none, SOUP_STATUS_UNAUTHORIZED);

    g_assert_nonnull (strstr (message, "token"));
  }
  for (guint i = 0; i < 2; i++) {
    g_autoptr (RwTestResponse) viewer = post_revoke (f, i ? other_scope : alice,
        "{\"sub\": \"alice\"}");
    const gchar *message = assert_error (viewer, SOUP_STATUS_FORBIDDEN);

    g_assert_nonnull (strstr (message, "robot-admin"));
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad_bodies); i++) {
    g_autoptr (RwTestResponse) bad = post_revoke (f, admin, bad_bodies[i]);

    g_test_message ("%s: %s", bad_bodies[i], rw_test_response_get_error (bad));
    assert_error (bad, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr (RwTestResponse) get = request (f, "GET", "/revoke", admin, NULL);

    assert_error (get, SOUP_STATUS_METHOD_NOT_ALLOWED);
  }

  g_assert_true (rw_fake_host_has_session (f->front, id));
  {
    g_autoptr (RwTestResponse) offer = post_offer (f, NULL, alice);

    g_free (assert_answer (offer, f->front));
  }
}

/* Without tokens there is nothing to revoke. */
static void
test_revoke_open (Fixture * f, gconstpointer data)
{
  g_autofree gchar *id = open_session (f, f->front, NULL);
  g_autoptr (RwTestResponse) response = post_revoke (f, NULL,
      "{\"sub\": \"alice\"}");

  assert_error (response, SOUP_STATUS_FORBIDDEN);
  g_assert_true (rw_fake_host_has_session (f->front, id));
}

/* A revoked sub's offer still being answered is refused, and its answer
 * closed. */
static void
test_revoke_pending (Fixture * f, gconstpointer data)
{
  g_autofree gchar *admin = mint_admin ();
  g_autofree gchar *alice = mint_until ("alice", now_s () + 600, now_s ());
  g_autoptr (AsyncOffer) offer = NULL;
  g_autoptr (RwTestResponse) response = NULL;
  g_autofree gchar *id = NULL;

  rw_fake_host_hold (f->front, TRUE);
  offer = async_offer_with_token (f, alice);
  WAIT_FOR (rw_fake_host_get_n_held (f->front) == 1);
  id = g_strdup (last_open_id (f->front));

  response = post_revoke (f, admin, "{\"sub\": \"alice\"}");
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  g_assert_cmpint (rw_test_json_get_int (response->json, "closed", -1), ==, 1);
  rw_fake_host_release (f->front);
  assert_async_refused (offer, "the token was revoked");
  g_assert_false (rw_fake_host_has_session (f->front, id));
  g_assert_cmpint (get_sessions (f), ==, 0);
}

/* max_sessions bounds the sessions of a token's owner (its sub, or the
 * token itself without one): 409 beyond it. */
static void
test_max_sessions (Fixture * f, gconstpointer data)
{
  g_autofree gchar *claims = g_strdup_printf ("\"sub\": \"erin\", \"exp\": %"
      G_GINT64_FORMAT ", \"max_sessions\": 2", now_s () + 600);
  g_autofree gchar *erin = mint_with (claims);
  g_autofree gchar *erin_other = mint_until ("erin", now_s () + 600, now_s ());
  g_autofree gchar *frank = mint_until ("frank", now_s () + 600, now_s ());
  g_autofree gchar *e1 = open_session (f, f->front, erin);
  g_autofree gchar *e2 = open_session (f, f->wrist, erin);
  g_autofree gchar *e3 = NULL;
  g_autofree gchar *anonymous_claims = g_strdup_printf ("\"exp\": %"
      G_GINT64_FORMAT ", \"max_sessions\": 1", now_s () + 600);
  g_autofree gchar *anonymous = mint_with (anonymous_claims);
  g_autofree gchar *anonymous_id = NULL;

  {
    g_autoptr (RwTestResponse) third = post_offer (f, NULL, erin);
    const gchar *message = assert_error (third, SOUP_STATUS_CONFLICT);

    g_assert_nonnull (strstr (message, "max_sessions"));
  }
  g_assert_cmpuint (rw_fake_host_get_opened (f->front)->len, ==, 1);
  /* other owners are not counted; a token without the claim has no bound */
  g_free (open_session (f, f->front, frank));
  g_free (open_session (f, f->front, erin_other));

  /* a hang-up makes room: erin's sessions are three now, two counted by
   * the token without the claim */
  {
    g_autoptr (RwTestResponse) hangup = delete_peer (f, e1, erin);
    g_autoptr (RwTestResponse) still = post_offer (f, NULL, erin);

    assert_status_object (hangup, "closed", "peer_id", e1);
    assert_error (still, SOUP_STATUS_CONFLICT);
  }
  {
    g_autoptr (RwTestResponse) hangup = delete_peer (f, e2, erin);

    assert_status_object (hangup, "closed", "peer_id", e2);
  }
  e3 = open_session (f, f->wrist, erin);

  /* without sub, the token is the owner */
  anonymous_id = open_session (f, f->front, anonymous);
  {
    g_autoptr (RwTestResponse) second = post_offer (f, NULL, anonymous);

    assert_error (second, SOUP_STATUS_CONFLICT);
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

#define ADD(path, setup, func) g_test_add ("/http-server/" path, Fixture, \
    setup, fixture_setup, func, fixture_teardown)

  ADD ("offer/default", NULL, test_offer_default);
  ADD ("offer/seed-body", NULL, test_offer_seed_body);
  ADD ("offer/streams", NULL, test_offer_streams);
  ADD ("offer/host-errors", NULL, test_offer_host_errors);
  ADD ("max-viewers", &two_viewers, test_max_viewers);
  ADD ("max-viewers/pending", &two_viewers, test_max_viewers_pending);
  ADD ("candidate", NULL, test_candidate);
  ADD ("hangup", NULL, test_hangup);
  ADD ("host-ends-session", NULL, test_host_ends_session);
  ADD ("client-gone/cancel", NULL, test_client_gone);
  ADD ("client-gone/close", NULL, test_client_closes_connection);
  ADD ("stop-cancels", NULL, test_stop_cancels);
  ADD ("streams", NULL, test_streams);
  ADD ("status", NULL, test_status);
  ADD ("metrics", NULL, test_metrics);
  ADD ("preflight", NULL, test_preflight);
  ADD ("remove-host", NULL, test_remove_host);
  ADD ("remove-host/pending", NULL, test_remove_host_pending);
  ADD ("no-host", &no_hosts, test_no_host);
  ADD ("tokens", &tokens, test_tokens);
  ADD ("tokens/session-expires", &tokens, test_session_expires);
  ADD ("tokens/session-exp-grace", &grace, test_session_exp_grace);
  ADD ("tokens/session-expires-pending", &tokens, test_session_expires_pending);
  ADD ("revoke", &tokens, test_revoke);
  ADD ("revoke/refused", &tokens, test_revoke_refused);
  ADD ("revoke/open", NULL, test_revoke_open);
  ADD ("revoke/pending", &tokens, test_revoke_pending);
  ADD ("max-sessions", &tokens, test_max_sessions);

#undef ADD

  return g_test_run ();
}

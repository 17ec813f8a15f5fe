/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The daemon as a WHIP client (`[publish NAME]`) against a fake WHIP
 * endpoint served here on 127.0.0.1, for what a real SFU does not do on
 * demand: refusing (403, 503 with Retry-After), answering garbage, a 201
 * without Location, never answering. Each gives a clear state in /status
 * and a warning in the log, and the daemon tries again with backoff while
 * a local viewer keeps watching. The request itself (application/sdp, the
 * bearer token, a sendonly offer with its candidates) is checked, and the
 * session's resource is DELETEd when the publish fails, when a reload
 * removes it and when the daemon gets SIGTERM. tests/sfu/ has the real SFU
 * (Janus). */

#include <glib/gstdio.h>
#include <gst/sdp/sdp.h>
#include <signal.h>
#include <string.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

#define TOKEN "whip-test-token-0123456789"

typedef enum
{
  MODE_REFUSE,                  /* 403 */
  MODE_BUSY,                    /* 503 + Retry-After: 3 */
  MODE_GARBAGE,                 /* 201, Location, a body that is not SDP */
  MODE_NO_LOCATION,             /* 201 with an answer, no Location */
  MODE_SILENT,                  /* never answers */
  MODE_MIRROR,                  /* 201 with an answer that never connects */
} Mode;

typedef struct
{
  Mode mode;
  SoupServer *soup;
  gchar *url;
  guint posts;
  guint deletes;
  guint bad_requests;           /* POSTs that were not a WHIP offer */
  gchar *last_offer;
  GPtrArray *paused;            /* SoupServerMessage, MODE_SILENT */

  gchar *dir;
  gchar *config;
  RwTestServer *server;
  SoupSession *session;
} Fixture;

/* An answer that webrtcbin takes, and that never connects: the offer's
 * m-lines turned around, without candidates. */
static gchar *
mirror_answer (const gchar * offer_text)
{
  GstSDPMessage *sdp = NULL;
  gchar *text;

  g_assert_cmpint (gst_sdp_message_new_from_text (offer_text, &sdp), ==,
      GST_SDP_OK);
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (sdp, i);

    for (guint a = gst_sdp_media_attributes_len (media); a > 0; a--) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a - 1);

      if (g_str_equal (attr->key, "sendonly") ||
          g_str_equal (attr->key, "candidate") ||
          g_str_equal (attr->key, "end-of-candidates") ||
          g_str_equal (attr->key, "setup") || g_str_equal (attr->key, "ssrc")
          || g_str_equal (attr->key, "ssrc-group"))
        gst_sdp_media_remove_attribute (media, a - 1);
    }
    gst_sdp_media_add_attribute (media, "recvonly", "");
    gst_sdp_media_add_attribute (media, "setup", "active");
  }
  text = gst_sdp_message_as_text (sdp);
  gst_sdp_message_free (sdp);
  return text;
}

static gboolean
is_whip_offer (SoupServerMessage * msg, const gchar * body)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const gchar *type = soup_message_headers_get_content_type (headers, NULL);
  const gchar *auth = soup_message_headers_get_one (headers, "Authorization");

  return g_strcmp0 (type, "application/sdp") == 0 &&
      g_strcmp0 (auth, "Bearer " TOKEN) == 0 &&
      g_str_has_prefix (body, "v=0") &&
      strstr (body, "m=video ") != NULL && strstr (body, "m=audio ") != NULL &&
      strstr (body, "a=sendonly") != NULL &&
      strstr (body, "a=candidate:") != NULL &&
      strstr (body, " 127.0.0.1 ") != NULL;
}

static void
handle (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  Fixture *f = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  SoupMessageBody *request = soup_server_message_get_request_body (msg);
  SoupMessageHeaders *out = soup_server_message_get_response_headers (msg);
  g_autofree gchar *answer = NULL;

  if (g_str_equal (method, "DELETE") && g_str_equal (path, "/resource/1")) {
    f->deletes++;
    soup_server_message_set_status (msg, 200, NULL);
    return;
  }
  if (!g_str_equal (method, "POST") || !g_str_equal (path, "/whip")) {
    soup_server_message_set_status (msg, 404, NULL);
    return;
  }

  f->posts++;
  g_free (f->last_offer);
  f->last_offer = g_strndup (request->data, request->length);
  if (!is_whip_offer (msg, f->last_offer))
    f->bad_requests++;

  switch (f->mode) {
    case MODE_REFUSE:
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
          "endpoint busy", 13);
      soup_server_message_set_status (msg, 403, NULL);
      break;
    case MODE_BUSY:
      soup_message_headers_replace (out, "Retry-After", "3");
      soup_server_message_set_status (msg, 503, NULL);
      break;
    case MODE_GARBAGE:
      soup_message_headers_replace (out, "Location", "/resource/1");
      soup_server_message_set_response (msg, "application/sdp",
          SOUP_MEMORY_STATIC, "hello, I am not SDP\r\n", 21);
      soup_server_message_set_status (msg, 201, NULL);
      break;
    case MODE_NO_LOCATION:
    case MODE_MIRROR:
      answer = mirror_answer (f->last_offer);
      if (f->mode == MODE_MIRROR) {
        soup_message_headers_replace (out, "Location", "resource/1");
        soup_message_headers_append (out, "Link",
            "<stun:127.0.0.1:3478>; rel=\"ice-server\"");
      }
      soup_server_message_set_response (msg, "application/sdp",
          SOUP_MEMORY_COPY, answer, strlen (answer));
      soup_server_message_set_status (msg, 201, NULL);
      break;
    case MODE_SILENT:
      soup_server_message_pause (msg);
      g_ptr_array_add (f->paused, g_object_ref (msg));
      break;
  }
}

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *token = NULL;
  g_autofree gchar *text = NULL;
  GSList *uris;

  f->mode = GPOINTER_TO_INT (data);
  f->paused = g_ptr_array_new_with_free_func (g_object_unref);
  f->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->soup, NULL, handle, f, NULL);
  g_assert_true (soup_server_listen_local (f->soup, 0,
          SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->soup);
  f->url = g_strdup_printf ("http://127.0.0.1:%d/whip",
      g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  f->dir = g_dir_make_tmp ("rw-publish-XXXXXX", &error);
  g_assert_no_error (error);
  token = g_build_filename (f->dir, "token", NULL);
  g_assert_true (g_file_set_contents (token, TOKEN "\n", -1, NULL));
  text =
      g_strdup_printf
      ("[server]\nport=0\nrate-limit=0\n[webrtc]\nice-addresses=127.0.0.1\n"
      "[media]\nwidth=320\nheight=240\naudio=test\n"
      "[publish sfu]\nurl=%s\ntoken-file=token\n", f->url);
  f->config = g_build_filename (f->dir, "robot.conf", NULL);
  g_assert_true (g_file_set_contents (f->config, text, -1, NULL));

  f->session = rw_test_session_new ();
  f->server = rw_test_daemon_start ("--config", f->config, NULL);
  rw_test_daemon_wait_streaming (f->session, f->server, 5000);
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  g_autofree gchar *token = NULL;

  if (f->server) {
    rw_test_daemon_stop (f->server, 5000);
    rw_test_server_free (f->server);
  }
  for (guint i = 0; i < f->paused->len; i++)
    soup_server_message_unpause (g_ptr_array_index (f->paused, i));
  g_ptr_array_unref (f->paused);
  soup_server_disconnect (f->soup);
  g_object_unref (f->soup);
  g_object_unref (f->session);
  g_unlink (f->config);
  token = g_build_filename (f->dir, "token", NULL);
  g_unlink (token);
  g_rmdir (f->dir);
  g_free (f->config);
  g_free (f->dir);
  g_free (f->url);
  g_free (f->last_offer);
}

/* The first publish of /status, a copy, or NULL. */
static JsonNode *
get_publish (Fixture * f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status = rw_test_get_status (f->session,
      rw_test_server_get_url (f->server), RW_TEST_HTTP_TIMEOUT_MS, &error);
  JsonArray *publishes;

  g_assert_no_error (error);
  publishes = json_object_get_array_member (json_node_get_object (status),
      "publish");
  if (publishes == NULL || json_array_get_length (publishes) == 0)
    return NULL;
  return json_node_copy (json_array_get_element (publishes, 0));
}

typedef struct
{
  Fixture *f;
  const gchar *state;
  const gchar *error_part;
} WantState;

static gboolean
publish_in_state (gpointer data)
{
  WantState *want = data;
  g_autoptr (JsonNode) publish = get_publish (want->f);
  const gchar *error;

  if (publish == NULL)
    return FALSE;
  error = rw_test_json_get_string (publish, "last_error");
  return g_strcmp0 (rw_test_json_get_string (publish, "state"),
      want->state) == 0 && (want->error_part == NULL || (error &&
          strstr (error, want->error_part)));
}

static void
wait_state (Fixture * f, const gchar * state, const gchar * error_part,
    guint timeout_ms)
{
  WantState want = { f, state, error_part };

  if (!rw_test_pump_until (publish_in_state, &want, timeout_ms)) {
    g_autoptr (JsonNode) publish = get_publish (f);
    g_autofree gchar *text = publish ? json_to_string (publish, FALSE) :
        g_strdup ("none");

    g_error ("the publish did not become %s (%s) within %u ms: %s", state,
        error_part ? error_part : "", timeout_ms, text);
  }
}

/* The publish has its session's resource: the endpoint answered. */
static gboolean
has_resource (gpointer data)
{
  g_autoptr (JsonNode) publish = get_publish (data);

  return publish && rw_test_json_get_string (publish, "resource");
}

static gboolean
posted (gpointer data)
{
  return ((Fixture *) data)->posts > 0;
}

static gboolean
deleted (gpointer data)
{
  return ((Fixture *) data)->deletes > 0;
}

static gboolean
viewer_played (gpointer data)
{
  return rw_test_viewer_is_done (data) || rw_test_viewer_get_frames (data) >=
      60;
}

static gboolean
three_posts (gpointer data)
{
  return ((Fixture *) data)->posts >= 3;
}

/* A local viewer of the same stream plays whatever the publish does. */
static void
assert_local_viewer_plays (Fixture * f)
{
  g_autoptr (RwTestViewer) viewer =
      rw_test_viewer_new (rw_test_server_get_url (f->server),
      RW_TEST_VIEWER_VP8, FALSE);
  g_autoptr (GError) error = NULL;

  g_assert_true (rw_test_viewer_start (viewer, &error));
  g_assert_no_error (error);
  rw_test_pump_until (viewer_played, viewer, 8000);
  g_assert_true (rw_test_viewer_is_connected (viewer));
  g_assert_cmpuint (rw_test_viewer_get_frames (viewer), >=, 60);
}

static void
test_refused (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonNode) publish = NULL;
  guint posts;

  wait_state (f, "retrying", "403 Forbidden: endpoint busy", 5000);
  g_assert_true (rw_test_server_wait_for_stderr (f->server, (const gchar *[]) {
            "publish sfu to ", "403", "trying again in", NULL
          }, 2000));
  g_assert_cmpuint (f->bad_requests, ==, 0);

  /* 0.5 s, 1 s, 2 s: three or four tries in 3 s, not more (the local
   * viewer may play sooner than that: it starts with the cached frames) */
  assert_local_viewer_plays (f);
  rw_test_pump_until (three_posts, f, 5000);
  posts = f->posts;
  g_assert_cmpuint (posts, >=, 3);
  g_assert_cmpuint (posts, <=, 5);
  publish = get_publish (f);
  g_assert_cmpint (rw_test_json_get_int (publish, "attempts", 0), ==, posts);
  g_assert_cmpint (rw_test_json_get_int (publish, "retry_in_ms", -1), >=, 0);
  g_assert_null (rw_test_json_get_string (publish, "live_since"));
  g_assert_cmpstr (rw_test_json_get_string (publish, "stream"), ==, "main");
  g_assert_nonnull (strstr (rw_test_json_get_string (publish, "url"), "/whip"));

  /* GET /metrics: the publish is down, its failures counted */
  {
    g_autofree gchar *url = rw_test_url (rw_test_server_get_url (f->server),
        "/metrics");
    g_autoptr (GError) error = NULL;
    g_autoptr (RwTestResponse) response = rw_test_http_request (f->session,
        "GET", url, NULL, NULL, NULL, RW_TEST_HTTP_TIMEOUT_MS, &error);
    g_autofree gchar *text = NULL;

    g_assert_no_error (error);
    g_assert_cmpuint (response->status, ==, 200);
    text = rw_test_response_dup_text (response);
    g_assert_nonnull (strstr (text,
            "robot_webrtc_publish_up{stream=\"main\",publish=\"sfu\"} 0\n"));
    g_assert_nonnull (strstr (text, "robot_webrtc_publish_failures_total{"
            "stream=\"main\",publish=\"sfu\"} "));
    rw_test_promtool_check_metrics (text);
  }
}

static void
test_busy (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonNode) publish = NULL;

  wait_state (f, "retrying", "503", 5000);
  publish = get_publish (f);
  /* Retry-After: 3 over the first 0.5 s */
  g_assert_cmpint (rw_test_json_get_int (publish, "retry_in_ms", 0), >, 2000);
  rw_test_pump_for (2000);
  g_assert_cmpuint (f->posts, ==, 1);
}

static void
test_garbage (Fixture * f, gconstpointer data)
{
  wait_state (f, "retrying", "does not answer our offer", 5000);
  g_assert_cmpuint (f->bad_requests, ==, 0);
  /* the session the 201 made is ended before the next try */
  g_assert_true (rw_test_pump_until (deleted, f, 3000));
  assert_local_viewer_plays (f);
  g_assert_cmpuint (f->posts, >=, 2);
}

static void
test_no_location (Fixture * f, gconstpointer data)
{
  wait_state (f, "retrying", "no Location", 5000);
  g_assert_cmpuint (f->deletes, ==, 0);
}

static void
test_silent (Fixture * f, gconstpointer data)
{
  g_assert_true (rw_test_pump_until (posted, f, 5000));
  wait_state (f, "connecting", NULL, 1000);
  wait_state (f, "retrying", "did not answer", 15000);
  g_assert_cmpuint (f->posts, ==, 1);
  assert_local_viewer_plays (f);
}

/* Answered: connecting until ICE gives up; SIGHUP with the publish gone
 * deletes the session, and so does SIGTERM for a new one. */
static void
test_delete (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonNode) publish = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  gint status;

  wait_state (f, "connecting", NULL, 5000);
  /* connecting from the offer on: the answer comes later */
  g_assert_true (rw_test_pump_until (has_resource, f, 5000));
  g_assert_cmpuint (f->bad_requests, ==, 0);
  publish = get_publish (f);
  g_assert_nonnull (strstr (rw_test_json_get_string (publish, "resource"),
          "/resource/1"));
  g_assert_cmpuint (f->deletes, ==, 0);

  /* a reload without the publish */
  text =
      g_strdup_printf
      ("[server]\nport=0\nrate-limit=0\n[webrtc]\nice-addresses=127.0.0.1"
      "\n[media]\nwidth=320\nheight=240\naudio=test\n");
  g_assert_true (g_file_set_contents (f->config, text, -1, NULL));
  g_assert_cmpint (kill (atoi (rw_test_server_get_pid (f->server)), SIGHUP),
      ==, 0);
  g_assert_true (rw_test_pump_until (deleted, f, 3000));
  g_clear_pointer (&publish, json_node_unref);
  g_assert_null (get_publish (f));

  /* back, then SIGTERM: deleted before the daemon exits */
  g_free (text);
  text =
      g_strdup_printf
      ("[server]\nport=0\nrate-limit=0\n[webrtc]\nice-addresses=127.0.0.1"
      "\n[media]\nwidth=320\nheight=240\naudio=test\n"
      "[publish sfu]\nurl=%s\ntoken-file=token\n", f->url);
  g_assert_true (g_file_set_contents (f->config, text, -1, NULL));
  f->deletes = 0;
  g_assert_cmpint (kill (atoi (rw_test_server_get_pid (f->server)), SIGHUP),
      ==, 0);
  wait_state (f, "connecting", NULL, 5000);
  rw_test_pump_for (300);
  g_assert_true (rw_test_server_stop_with (f->server, SIGTERM, 5000, &status,
          &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (f->deletes, ==, 1);
  g_clear_pointer (&f->server, rw_test_server_free);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  rw_test_quiet_gio_debug ();

  g_test_add ("/publish/refused", Fixture, GINT_TO_POINTER (MODE_REFUSE),
      fixture_setup, test_refused, fixture_teardown);
  g_test_add ("/publish/retry-after", Fixture, GINT_TO_POINTER (MODE_BUSY),
      fixture_setup, test_busy, fixture_teardown);
  g_test_add ("/publish/garbage-answer", Fixture,
      GINT_TO_POINTER (MODE_GARBAGE), fixture_setup, test_garbage,
      fixture_teardown);
  g_test_add ("/publish/no-location", Fixture,
      GINT_TO_POINTER (MODE_NO_LOCATION), fixture_setup, test_no_location,
      fixture_teardown);
  g_test_add ("/publish/never-answers", Fixture,
      GINT_TO_POINTER (MODE_SILENT), fixture_setup, test_silent,
      fixture_teardown);
  g_test_add ("/publish/delete", Fixture, GINT_TO_POINTER (MODE_MIRROR),
      fixture_setup, test_delete, fixture_teardown);
  return g_test_run ();
}

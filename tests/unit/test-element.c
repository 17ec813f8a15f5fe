/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* robotwebrtcsink as the plugin provides it (GST_PLUGIN_PATH_1_0 points at
 * the build's plugins/): registration, properties, a launch line through
 * PLAYING and back with no pad or thread left over, and the built-in
 * signaling server on its own thread. */

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/sdp/sdp.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

static guint
count_threads (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

GST_START_TEST (test_registered)
{
  GstElementFactory *factory = gst_element_factory_find ("robotwebrtcsink");
  GstPlugin *plugin;

  fail_unless (factory != NULL, "robotwebrtcsink is not registered");
  plugin = gst_plugin_feature_get_plugin (GST_PLUGIN_FEATURE (factory));
  fail_unless_equals_string (gst_plugin_get_name (plugin), "robotwebrtc");
  fail_unless_equals_string (gst_element_factory_get_metadata (factory,
          GST_ELEMENT_METADATA_KLASS), "Sink/Network");
  gst_object_unref (plugin);
  gst_object_unref (factory);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *sink = gst_element_factory_make ("robotwebrtcsink", NULL);
  g_autofree gchar *bind = NULL, *origins = NULL, *stun = NULL;
  g_autofree gchar *turn = NULL, *ice = NULL;
  guint port, max_viewers, interval, viewers;

  fail_unless (sink != NULL);
  g_object_get (sink, "port", &port, "max-viewers", &max_viewers,
      "keyframe-min-interval", &interval, "viewers", &viewers,
      "allowed-origins", &origins, "stun-server", &stun, NULL);
  fail_unless_equals_int (port, 0);
  fail_unless_equals_int (max_viewers, 32);
  fail_unless_equals_int (interval, 500);
  fail_unless_equals_int (viewers, 0);
  fail_unless_equals_string (origins, "*");
  fail_unless (stun == NULL, "no STUN server by default");
  g_clear_pointer (&origins, g_free);

  g_object_set (sink, "port", 9123, "bind-address", "127.0.0.1",
      "allowed-origins", "https://a.example, https://b.example",
      "max-viewers", 7, "stun-server", "stun://stun.example:3478",
      "turn-server", "turn://u:p@turn.example:3478",
      "ice-addresses", "127.0.0.1,::1", "keyframe-min-interval", 250, NULL);
  g_object_get (sink, "port", &port, "bind-address", &bind,
      "allowed-origins", &origins, "max-viewers", &max_viewers,
      "stun-server", &stun, "turn-server", &turn, "ice-addresses", &ice,
      "keyframe-min-interval", &interval, NULL);
  fail_unless_equals_int (port, 9123);
  fail_unless_equals_string (bind, "127.0.0.1");
  fail_unless_equals_string (origins, "https://a.example,https://b.example");
  fail_unless_equals_int (max_viewers, 7);
  fail_unless_equals_string (stun, "stun://stun.example:3478");
  fail_unless_equals_string (turn, "turn://u:p@turn.example:3478");
  fail_unless_equals_string (ice, "127.0.0.1,::1");
  fail_unless_equals_int (interval, 250);

  /* GET /metrics: loopback only by default, more networks by a list */
  {
    g_autofree gchar *allow = NULL;

    g_object_get (sink, "metrics-allow", &allow, NULL);
    fail_unless (allow == NULL, "metrics-allow is %s by default", allow);
    g_object_set (sink, "metrics-allow", "10.0.0.0/8, 192.0.2.7", NULL);
    g_object_get (sink, "metrics-allow", &allow, NULL);
    fail_unless_equals_string (allow, "10.0.0.0/8,192.0.2.7");
  }

  /* security and limits: open, plain HTTP and 20 requests/s by default */
  {
    g_autofree gchar *certificate = NULL, *key = NULL, *secret = NULL;
    g_autofree gchar *robot = NULL;
    guint rate, handshake;

    g_object_get (sink, "tls-certificate", &certificate, "auth-secret-file",
        &secret, "rate-limit", &rate, "handshake-timeout", &handshake, NULL);
    fail_unless (certificate == NULL && secret == NULL);
    fail_unless_equals_int (rate, 20);
    fail_unless_equals_int (handshake, 15);
    g_object_set (sink, "tls-certificate", "/etc/robot/cert.pem", "tls-key",
        "/etc/robot/key.pem", "auth-secret-file", "/etc/robot/secret",
        "robot-id", "robot-alpha", "rate-limit", 5, "handshake-timeout", 8,
        NULL);
    g_object_get (sink, "tls-certificate", &certificate, "tls-key", &key,
        "auth-secret-file", &secret, "robot-id", &robot, "rate-limit", &rate,
        "handshake-timeout", &handshake, NULL);
    fail_unless_equals_string (certificate, "/etc/robot/cert.pem");
    fail_unless_equals_string (key, "/etc/robot/key.pem");
    fail_unless_equals_string (secret, "/etc/robot/secret");
    fail_unless_equals_string (robot, "robot-alpha");
    fail_unless_equals_int (rate, 5);
    fail_unless_equals_int (handshake, 8);
  }

  gst_object_unref (sink);
}

GST_END_TEST;

static void
wait_for_caps (GstElement * sink)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (sink, "video_0");
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GstCaps *caps = NULL;

  while ((caps = gst_pad_get_current_caps (pad)) == NULL &&
      g_get_monotonic_time () < deadline)
    g_usleep (10000);
  fail_unless (caps != NULL, "no caps reached robotwebrtcsink");
  gst_caps_unref (caps);
}

GST_START_TEST (test_launch_line)
{
  guint threads_before, threads_after = 0;
  GstElement *pipeline, *sink, *tee;
  g_autoptr (GError) error = NULL;
  gint pads = -1;

  /* warm up the plugins' own thread pools, then count */
  pipeline = gst_parse_launch ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240 ! vp8enc deadline=1 ! "
      "robotwebrtcsink port=0 name=sink", &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_element_get_state (pipeline, NULL, NULL, GST_CLOCK_TIME_NONE);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  threads_before = count_threads ();

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  wait_for_caps (sink);

  tee = gst_bin_get_by_name (GST_BIN (sink), "video");
  g_object_get (tee, "num-src-pads", &pads, NULL);
  fail_unless_equals_int (pads, 0);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (tee, "num-src-pads", &pads, NULL);
  fail_unless_equals_int (pads, 0);
  fail_unless_equals_int (GST_ELEMENT (sink)->numsinkpads, 1);

  for (gint i = 0; i < 100; i++) {
    threads_after = count_threads ();
    if (threads_after <= threads_before)
      break;
    g_usleep (20000);
  }
  fail_unless (threads_after <= threads_before,
      "%u threads before, %u after", threads_before, threads_after);

  gst_object_unref (tee);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_signaling_server)
{
  guint port = rw_test_free_port ();
  g_autofree gchar *launch = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240 ! vp8enc deadline=1 ! "
      "robotwebrtcsink name=sink bind-address=127.0.0.1 port=%u", port);
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u/status",
      port);
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  GstElement *pipeline, *sink;
  JsonObject *status;

  pipeline = gst_parse_launch (launch, &error);
  fail_unless (pipeline != NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  wait_for_caps (sink);

  /* the element serves on its own thread: this one only waits */
  msg = soup_message_new ("GET", url);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  fail_unless (body != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless (json_parser_load_from_data (parser, g_bytes_get_data (body,
              NULL), g_bytes_get_size (body), NULL));
  status = json_node_get_object (json_parser_get_root (parser));
  fail_unless_equals_string (json_object_get_string_member (status, "status"),
      "ok");
  fail_unless_equals_string (json_object_get_string_member (status, "codec"),
      "VP8");
  fail_unless_equals_int (json_object_get_int_member (status, "width"), 320);
  fail_unless_equals_int (json_object_get_int_member (status, "viewers"), 0);

  /* a bad offer gets its error from the element's server too */
  g_clear_object (&msg);
  g_clear_pointer (&body, g_bytes_unref);
  msg = soup_message_new ("POST", url);
  g_free (url);
  url = g_strdup_printf ("http://127.0.0.1:%u/offer", port);
  g_clear_object (&msg);
  msg = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (msg, "application/json",
      g_bytes_new_static ("{\"type\": \"offer\"}", 17));
  body = soup_session_send_and_read (session, msg, NULL, &error);
  fail_unless_equals_int (soup_message_get_status (msg), 400);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);

  /* the port is free again */
  g_clear_object (&msg);
  msg = soup_message_new ("GET", url);
  g_clear_pointer (&body, g_bytes_unref);
  g_clear_error (&error);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  fail_unless (body == NULL, "the server still answers after NULL");
}

GST_END_TEST;

static gboolean
playing_both (gpointer viewer)
{
  return rw_test_viewer_is_done (viewer) ||
      (rw_test_viewer_get_frames (viewer) > 10 &&
      rw_test_viewer_get_audio_samples (viewer) > 48000);
}

/* The request pads video_%u and audio_%u: a launch line with both serves
 * a viewer both; a second input of a kind is refused. */
GST_START_TEST (test_audio_and_video)
{
  guint port = rw_test_free_port ();
  g_autofree gchar *launch = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240 ! vp8enc deadline=1 ! "
      "robotwebrtcsink name=s bind-address=127.0.0.1 ice-addresses=127.0.0.1 "
      "port=%u audiotestsrc is-live=true volume=0.3 ! opusenc ! s.", port);
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autoptr (GError) error = NULL;
  RwTestViewer *viewer;
  GstElement *pipeline, *twice;

  pipeline = gst_parse_launch (launch, &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);

  viewer = rw_test_viewer_new (url, RW_TEST_VIEWER_VP8, TRUE);
  rw_test_viewer_set_media (viewer, TRUE, TRUE);
  fail_unless (rw_test_viewer_start (viewer, &error), "%s",
      error ? error->message : "");
  rw_test_pump_until (playing_both, viewer, 10000);
  fail_unless (rw_test_viewer_answer_has_audio (viewer));
  fail_unless (rw_test_viewer_get_frames (viewer) > 10, "%s",
      rw_test_viewer_get_error (viewer));
  fail_unless (rw_test_viewer_get_audio_samples (viewer) > 48000);
  fail_unless (rw_test_viewer_get_audio_level (viewer) > 0.05);
  rw_test_viewer_hangup (viewer);
  rw_test_pump_until ((RwTestCondFunc) rw_test_viewer_is_hangup_done, viewer,
      3000);
  rw_test_viewer_free (viewer);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);

  g_clear_error (&error);
  twice = gst_parse_launch ("audiotestsrc ! opusenc ! robotwebrtcsink name=s "
      "audiotestsrc ! opusenc ! s.", &error);
  fail_unless (error != NULL, "a second audio input was linked");
  if (twice)
    gst_object_unref (twice);
}

GST_END_TEST;

/* Until the element's /status names @server as its TURN server, at most
 * @timeout_ms. */
static gboolean
wait_for_turn_server (SoupSession * session, const gchar * status_url,
    const gchar * server, guint timeout_ms)
{
  gint64 deadline =
      g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  do {
    g_autoptr (RwTestResponse) response = rw_test_http_request (session,
        "GET", status_url, NULL, NULL, NULL, RW_TEST_HTTP_TIMEOUT_MS, NULL);

    if (response && response->json && g_strcmp0 (rw_test_json_get_string
            (response->json, "turn.server"), server) == 0)
      return TRUE;
    g_usleep (50 * 1000);
  } while (g_get_monotonic_time () < deadline);
  return FALSE;
}

/* A TURN server that refuses the connection: the viewer still plays (it
 * reaches the element directly), /status says there was no relay
 * candidate, and neither /status nor anything else shows the
 * credentials. */
GST_START_TEST (test_turn_no_relay)
{
  guint port = rw_test_free_port ();
  guint turn_port = rw_test_free_port ();
  g_autofree gchar *launch = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240 ! vp8enc deadline=1 ! "
      "robotwebrtcsink name=s bind-address=127.0.0.1 ice-addresses=127.0.0.1 "
      "port=%u turn-server=turn:127.0.0.1:%u?transport=tcp "
      "turn-user=1700000000:robot/a+b=c turn-password=Pa55/w+rd=", port,
      turn_port);
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autofree gchar *status_url = g_strdup_printf ("%s/status", url);
  g_autofree gchar *server = g_strdup_printf ("turn:127.0.0.1:%u"
      "?transport=tcp", turn_port);
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (RwTestResponse) response = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  RwTestViewer *viewer;
  GstElement *pipeline, *sink;
  gint64 last = -1;

  pipeline = gst_parse_launch (launch, &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "s");
  /* write only */
  fail_if (g_object_class_find_property (G_OBJECT_GET_CLASS (sink),
          "turn-password")->flags & G_PARAM_READABLE);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);

  viewer = rw_test_viewer_new (url, RW_TEST_VIEWER_VP8, TRUE);
  fail_unless (rw_test_viewer_start (viewer, &error), "%s",
      error ? error->message : "");
  fail_unless (rw_test_wait_for_status_int (session, url,
          "turn.viewers_without_relay", 1, 10000, &last),
      "viewers_without_relay is %" G_GINT64_FORMAT, last);

  response = rw_test_http_request (session, "GET", status_url, NULL, NULL,
      NULL, RW_TEST_HTTP_TIMEOUT_MS, &error);
  fail_unless (response != NULL, "%s", error ? error->message : "");
  fail_unless_equals_string (rw_test_json_get_string (response->json,
          "turn.server"), server);
  fail_unless_equals_string (rw_test_json_get_string (response->json,
          "turn.credentials"), "static");
  fail_unless_equals_string (rw_test_json_get_string (response->json,
          "turn.state"), "no-relay");
  text = rw_test_response_dup_text (response);
  fail_unless (strstr (text, "\"turn\":\"no-relay\"") != NULL, "%s", text);
  fail_unless (strstr (text, "Pa55") == NULL, "%s", text);
  fail_unless (strstr (text, "robot/a") == NULL, "%s", text);
  fail_unless (strstr (text, "robot%2Fa") == NULL, "%s", text);

  rw_test_viewer_hangup (viewer);
  rw_test_pump_until ((RwTestCondFunc) rw_test_viewer_is_hangup_done, viewer,
      5000);
  rw_test_viewer_free (viewer);

  /* another TURN server while playing: a WHEP viewer's Link header names
   * it, with its credentials */
  {
    guint other_port = rw_test_free_port ();
    g_autofree gchar *other = g_strdup_printf ("turn:127.0.0.1:%u",
        other_port);
    g_autofree gchar *expected = g_strdup_printf ("<turn:127.0.0.1:%u>; "
        "rel=\"ice-server\"; username=\"viewer2\"; credential=\"secret2\"",
        other_port);
    g_autofree gchar *whep_url = g_strdup_printf ("%s/whep", url);
    g_autofree gchar *path = g_build_filename (g_getenv ("RW_FIXTURES"),
        "offers", "chromium-156-recvonly-complete.sdp", NULL);
    g_autofree gchar *offer = NULL;
    g_autoptr (RwTestResponse) whep = NULL;
    const gchar *link;
    gsize size = 0;

    g_object_set (sink, "turn-server", other, "turn-user", "viewer2",
        "turn-password", "secret2", NULL);
    /* the change is applied on the signaling thread, between requests */
    fail_unless (wait_for_turn_server (session, status_url, other, 5000),
        "the element's TURN server did not change to %s", other);
    fail_unless (g_file_get_contents (path, &offer, &size, &error), "%s",
        error ? error->message : "");
    whep = rw_test_http_request (session, "POST", whep_url, NULL,
        "application/sdp", g_bytes_new_take (g_steal_pointer (&offer), size),
        10000, &error);
    fail_unless (whep != NULL, "%s", error ? error->message : "");
    fail_unless_equals_int (whep->status, 201);
    link = soup_message_headers_get_list (whep->headers, "Link");
    fail_unless (link != NULL && strstr (link, expected) != NULL,
        "Link: %s, expected %s", link, expected);
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A TURN secret file that others may read stops the element at READY. */
GST_START_TEST (test_turn_bad_secret_file)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;
  GstElement *sink = gst_element_factory_make ("robotwebrtcsink", NULL);
  gint fd = g_file_open_tmp ("rw-turn-XXXXXX.secret", &path, &error);

  fail_unless (fd >= 0);
  close (fd);
  fail_unless (g_file_set_contents (path,
          "0123456789abcdef0123456789abcdef\n", -1, NULL));
  fail_unless (g_chmod (path, 0644) == 0);
  g_object_set (sink, "turn-server", "turn:127.0.0.1:3478",
      "turn-secret-file", path, NULL);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_object_unref (sink);
  g_unlink (path);
}

GST_END_TEST;

GST_START_TEST (test_port_taken)
{
  g_autoptr (GSocketService) blocker = g_socket_service_new ();
  g_autoptr (GError) error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER
      (blocker), NULL, &error);
  GstElement *sink = gst_element_factory_make ("robotwebrtcsink", NULL);

  fail_unless (port != 0);
  g_object_set (sink, "port", port, NULL);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_object_unref (sink);
}

GST_END_TEST;

/* A WHIP endpoint on its own thread: the element's publish-url POSTs to
 * it from the element's signaling thread, and the DELETE that ends the
 * session comes while the test's thread is in set_state (NULL). */
typedef struct
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  SoupServer *soup;
  guint port;
  gint posts;                   /* atomic */
  gint deletes;                 /* atomic */
  gint good_requests;           /* atomic: POSTs with the token, sendonly */
  GMutex lock;
  GCond ready;
} Endpoint;

/* webrtcbin takes it, and it never connects: the offer turned around. */
static gchar *
turn_around (const gchar * offer)
{
  GstSDPMessage *sdp = NULL;
  gchar *text;

  fail_unless (gst_sdp_message_new_from_text (offer, &sdp) == GST_SDP_OK);
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (sdp, i);

    for (guint a = gst_sdp_media_attributes_len (media); a > 0; a--) {
      const gchar *key = gst_sdp_media_get_attribute (media, a - 1)->key;

      if (g_str_equal (key, "sendonly") || g_str_equal (key, "candidate") ||
          g_str_equal (key, "setup") || g_str_has_prefix (key, "ssrc"))
        gst_sdp_media_remove_attribute (media, a - 1);
    }
    gst_sdp_media_add_attribute (media, "recvonly", "");
    gst_sdp_media_add_attribute (media, "setup", "active");
  }
  text = gst_sdp_message_as_text (sdp);
  gst_sdp_message_free (sdp);
  return text;
}

static void
endpoint_handle (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  Endpoint *e = user_data;
  SoupMessageHeaders *in = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autofree gchar *offer = NULL;
  g_autofree gchar *answer = NULL;

  if (g_str_equal (soup_server_message_get_method (msg), "DELETE")) {
    g_atomic_int_inc (&e->deletes);
    soup_server_message_set_status (msg, 200, NULL);
    return;
  }
  g_atomic_int_inc (&e->posts);
  offer = g_strndup (body->data, body->length);
  if (g_strcmp0 (soup_message_headers_get_one (in, "Authorization"),
          "Bearer element-token") == 0 && strstr (offer, "a=sendonly"))
    g_atomic_int_inc (&e->good_requests);
  answer = turn_around (offer);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Location", "/session/1");
  soup_server_message_set_response (msg, "application/sdp", SOUP_MEMORY_COPY,
      answer, strlen (answer));
  soup_server_message_set_status (msg, 201, NULL);
}

static gpointer
endpoint_run (gpointer data)
{
  Endpoint *e = data;
  GSList *uris;

  g_main_context_push_thread_default (e->context);
  e->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (e->soup, NULL, endpoint_handle, e, NULL);
  fail_unless (soup_server_listen_local (e->soup, 0,
          SOUP_SERVER_LISTEN_IPV4_ONLY, NULL));
  uris = soup_server_get_uris (e->soup);
  g_mutex_lock (&e->lock);
  e->port = g_uri_get_port (uris->data);
  g_cond_signal (&e->ready);
  g_mutex_unlock (&e->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_main_loop_run (e->loop);
  soup_server_disconnect (e->soup);
  g_object_unref (e->soup);
  g_main_context_pop_thread_default (e->context);
  return NULL;
}

static gint
wait_for_int (gint * value, gint at_least, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  while (g_atomic_int_get (value) < at_least &&
      g_get_monotonic_time () < deadline)
    g_usleep (10000);
  return g_atomic_int_get (value);
}

GST_START_TEST (test_publish)
{
  Endpoint e = { 0 };
  g_autofree gchar *dir = g_dir_make_tmp ("rw-element-XXXXXX", NULL);
  g_autofree gchar *token = g_build_filename (dir, "token", NULL);
  g_autofree gchar *launch = NULL;
  g_autofree gchar *publish_url = NULL;
  g_autoptr (GError) error = NULL;
  GstElement *pipeline, *sink;

  g_mutex_init (&e.lock);
  g_cond_init (&e.ready);
  e.context = g_main_context_new ();
  e.loop = g_main_loop_new (e.context, FALSE);
  g_mutex_lock (&e.lock);
  e.thread = g_thread_new ("whip-endpoint", endpoint_run, &e);
  while (e.port == 0)
    g_cond_wait (&e.ready, &e.lock);
  g_mutex_unlock (&e.lock);
  fail_unless (g_file_set_contents (token, "element-token\n", -1, NULL));

  launch = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240 ! vp8enc deadline=1 ! "
      "robotwebrtcsink name=sink port=0 ice-addresses=127.0.0.1 "
      "publish-url=http://127.0.0.1:%u/whip/robot publish-token-file=%s",
      e.port, token);
  pipeline = gst_parse_launch (launch, &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_get (sink, "publish-url", &publish_url, NULL);
  fail_unless (g_str_has_suffix (publish_url, "/whip/robot"));

  /* port=0: this thread runs the element's context */
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  wait_for_caps (sink);
  for (gint i = 0; i < 500 && g_atomic_int_get (&e.posts) == 0; i++) {
    while (g_main_context_iteration (NULL, FALSE));
    g_usleep (10000);
  }
  fail_unless_equals_int (g_atomic_int_get (&e.posts), 1);
  fail_unless_equals_int (g_atomic_int_get (&e.good_requests), 1);
  for (gint i = 0; i < 50; i++) {
    while (g_main_context_iteration (NULL, FALSE));
    g_usleep (10000);
  }

  /* NULL ends the session at the endpoint before it returns */
  fail_unless_equals_int (g_atomic_int_get (&e.deletes), 0);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless_equals_int (wait_for_int (&e.deletes, 1, 0), 1);
  fail_unless_equals_int (g_atomic_int_get (&e.posts), 1);

  gst_object_unref (sink);
  gst_object_unref (pipeline);
  /* a token without an endpoint is refused at start, with the reason */
  sink = gst_element_factory_make ("robotwebrtcsink", NULL);
  g_object_set (sink, "publish-token-file", token, NULL);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_object_unref (sink);

  g_main_loop_quit (e.loop);
  g_thread_join (e.thread);
  g_main_loop_unref (e.loop);
  g_main_context_unref (e.context);
  g_mutex_clear (&e.lock);
  g_cond_clear (&e.ready);
  g_unlink (token);
  g_rmdir (dir);
}

GST_END_TEST;

static Suite *
robotwebrtcsink_suite (void)
{
  Suite *s = suite_create ("robotwebrtcsink");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_registered);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_launch_line);
  tcase_add_test (tc, test_signaling_server);
  tcase_add_test (tc, test_audio_and_video);
  tcase_add_test (tc, test_port_taken);
  tcase_add_test (tc, test_turn_no_relay);
  tcase_add_test (tc, test_turn_bad_secret_file);
  tcase_add_test (tc, test_publish);
  return s;
}

GST_CHECK_MAIN (robotwebrtcsink);

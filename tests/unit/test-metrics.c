/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* GET /metrics' text from a /status as the daemon answers it, the request
 * counters, the process's own metrics, and who may read them. */

#include <gst/gst.h>
#include <string.h>

#include "rw-counters.h"
#include "rw-error.h"
#include "rw-metrics.h"

#include "config.h"

/* Two streams as /status has them: front with audio, its microphone lost,
 * and a TURN server; a stream name that needs escaping. */
static const gchar *status_json = "{\"version\":\"0.1.0\",\"uptime\":5,"
    "\"max_viewers\":32,\"sessions\":3,\"streams\":["
    "{\"name\":\"front\",\"codec\":\"VP8\",\"framerate\":30,\"viewers\":2,"
    "\"max_viewers\":16,\"peers\":[{\"peer_id\":\"a\"},{\"peer_id\":\"b\"}],"
    "\"source\":{\"kind\":\"camera\",\"state\":\"ok\",\"losses\":1,"
    "\"retries\":4,\"restarts\":2},\"bitrate\":2000000,"
    "\"rate_control\":{\"enabled\":true,\"target\":1600000,\"layers\":["
    "{\"name\":\"full\",\"bitrate\":1600000,\"viewers\":1},"
    "{\"name\":\"low\",\"bitrate\":240000,\"viewers\":1}]},"
    "\"audio_source\":{\"state\":\"lost\",\"losses\":3,\"retries\":7,"
    "\"restarts\":2},\"turn\":{\"server\":\"turn:t:3478\",\"state\":\"relay\","
    "\"viewers_with_relay\":5,\"viewers_without_relay\":1},"
    "\"totals\":{\"sessions_opened\":9,\"sessions_closed\":{\"hangup\":5,"
    "\"silent\":2},\"bytes_sent\":123456789,\"frames_sent\":5400,"
    "\"pli_received\":7,\"fir_received\":0,\"nack_received\":31,"
    "\"keyframe_requests\":40,"
    "\"keyframes_forced\":12,\"first_frame_seconds\":{\"le\":[0.1,0.25],"
    "\"counts\":[3,8,9],\"sum\":1.5,\"count\":9},"
    "\"capture_to_send_seconds\":{\"le\":[0.01],\"counts\":[1,2,5],"
    "\"sum\":0.1,\"count\":2}}},"
    "{\"name\":\"we\\\"ird\\\\\",\"framerate\":15,\"viewers\":1,\"max_viewers\":32,"
    "\"source\":{\"state\":\"restarting\",\"losses\":0,\"retries\":0,"
    "\"restarts\":0},\"bitrate\":null}],\"status\":\"ok\"}";

static gchar *
render (RwMetrics * metrics)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status = json_from_string (status_json, &error);

  g_assert_no_error (error);
  return rw_metrics_render (metrics, status);
}

static void
assert_line (const gchar * text, const gchar * line)
{
  g_autofree gchar *needle = g_strdup_printf ("\n%s\n", line);

  if (strstr (text, needle) == NULL)
    g_error ("no line '%s' in:\n%s", line, text);
}

static void
test_status (void)
{
  g_autoptr (RwMetrics) metrics = rw_metrics_new ();
  g_autofree gchar *text = render (metrics);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GHashTable) types = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);

  assert_line (text, "robot_webrtc_info{version=\"" PACKAGE_VERSION "\"} 1");
  assert_line (text, "robot_webrtc_max_viewers 32");
  assert_line (text, "robot_webrtc_sessions 3");
  assert_line (text, "robot_webrtc_viewers{stream=\"front\"} 2");
  assert_line (text, "robot_webrtc_viewers{stream=\"we\\\"ird\\\\\"} 1");
  assert_line (text, "robot_webrtc_stream_max_viewers{stream=\"front\"} 16");
  assert_line (text, "robot_webrtc_encoder_target_bytes_per_second"
      "{stream=\"front\"} 250000");
  assert_line (text, "robot_webrtc_rate_target_bytes_per_second"
      "{stream=\"front\"} 200000");
  assert_line (text, "robot_webrtc_layer_sent_bytes_per_second"
      "{stream=\"front\",layer=\"low\"} 30000");
  assert_line (text, "robot_webrtc_layer_viewers"
      "{stream=\"front\",layer=\"full\"} 1");
  assert_line (text, "robot_webrtc_source_up{stream=\"front\",source=\"video\"}"
      " 1");
  assert_line (text, "robot_webrtc_source_up{stream=\"front\",source=\"audio\"}"
      " 0");
  assert_line (text, "robot_webrtc_source_up{stream=\"we\\\"ird\\\\\","
      "source=\"video\"} 0");
  assert_line (text, "robot_webrtc_source_losses_total{stream=\"front\","
      "source=\"audio\"} 3");
  assert_line (text, "robot_webrtc_source_retries_total{stream=\"front\","
      "source=\"video\"} 4");
  assert_line (text, "robot_webrtc_stream_restarts_total{stream=\"front\"} 2");
  assert_line (text, "robot_webrtc_turn_viewers_without_relay_total"
      "{stream=\"front\"} 1");
  assert_line (text, "# TYPE robot_webrtc_source_losses_total counter");
  assert_line (text, "# TYPE robot_webrtc_viewers gauge");
  assert_line (text, "robot_webrtc_sessions_opened_total{stream=\"front\"} 9");
  assert_line (text, "robot_webrtc_sessions_closed_total{stream=\"front\","
      "reason=\"hangup\"} 5");
  assert_line (text, "robot_webrtc_sessions_closed_total{stream=\"front\","
      "reason=\"silent\"} 2");
  assert_line (text, "robot_webrtc_sent_bytes_total{stream=\"front\"} "
      "123456789");
  assert_line (text, "robot_webrtc_sent_frames_total{stream=\"front\"} 5400");
  assert_line (text, "robot_webrtc_rtcp_feedback_received_total"
      "{stream=\"front\",type=\"pli\"} 7");
  assert_line (text, "robot_webrtc_rtcp_feedback_received_total"
      "{stream=\"front\",type=\"fir\"} 0");
  assert_line (text, "robot_webrtc_rtcp_feedback_received_total"
      "{stream=\"front\",type=\"nack\"} 31");
  assert_line (text, "robot_webrtc_keyframe_requests_total{stream=\"front\"} "
      "40");
  assert_line (text, "robot_webrtc_keyframes_forced_total{stream=\"front\"} "
      "12");
  assert_line (text, "# TYPE robot_webrtc_first_frame_seconds histogram");
  assert_line (text, "robot_webrtc_first_frame_seconds_bucket{stream=\"front\","
      "le=\"0.1\"} 3");
  assert_line (text, "robot_webrtc_first_frame_seconds_bucket{stream=\"front\","
      "le=\"0.25\"} 8");
  assert_line (text, "robot_webrtc_first_frame_seconds_bucket{stream=\"front\","
      "le=\"+Inf\"} 9");
  assert_line (text, "robot_webrtc_first_frame_seconds_sum{stream=\"front\"} "
      "1.5");
  assert_line (text, "robot_webrtc_first_frame_seconds_count{stream=\"front\"} "
      "9");
  /* counts one longer than le: the malformed one is left out */
  g_assert_null (strstr (text, "capture_to_send_seconds_bucket"));
  /* a null bitrate (a configured pipeline) is left out */
  g_assert_null (strstr (text, "bytes_per_second{stream=\"we"));
  /* no per-viewer label */
  g_assert_null (strstr (text, "peer"));

  /* each family's TYPE once, before its samples, which stay together */
  for (guint i = 0; lines[i]; i++) {
    if (g_str_has_prefix (lines[i], "# TYPE ")) {
      g_auto (GStrv) words = g_strsplit (lines[i], " ", 4);

      g_assert_false (g_hash_table_contains (types, words[2]));
      g_hash_table_add (types, g_strdup (words[2]));
    }
  }

  /* the process's own */
  assert_line (text, "# TYPE process_resident_memory_bytes gauge");
  assert_line (text, "# TYPE process_open_fds gauge");
  assert_line (text, "# TYPE process_cpu_seconds_total counter");
  assert_line (text, "# TYPE process_start_time_seconds gauge");
  g_assert_nonnull (strstr (text, "\nrobot_webrtc_process_threads "));
}

static void
test_requests (void)
{
  g_autoptr (RwMetrics) metrics = rw_metrics_new ();
  g_autofree gchar *text = NULL;

  rw_metrics_count_request (metrics, "/status", "GET", 200);
  rw_metrics_count_request (metrics, "/status", "GET", 200);
  rw_metrics_count_request (metrics, "/offer", "POST", 503);
  rw_metrics_count_request (metrics, "other", "GET", 404);
  text = render (metrics);
  assert_line (text, "robot_webrtc_http_requests_total{route=\"/status\","
      "method=\"GET\",code=\"200\"} 2");
  assert_line (text, "robot_webrtc_http_requests_total{route=\"/offer\","
      "method=\"POST\",code=\"503\"} 1");
  assert_line (text, "robot_webrtc_http_requests_total{route=\"other\","
      "method=\"GET\",code=\"404\"} 1");
}

static void
test_refusals (void)
{
  g_autoptr (RwMetrics) metrics = rw_metrics_new ();
  g_autofree gchar *text = NULL;

  rw_metrics_count_refusal (metrics, "expired");
  rw_metrics_count_refusal (metrics, "missing");
  rw_metrics_count_refusal (metrics, "expired");
  text = render (metrics);
  assert_line (text, "# TYPE robot_webrtc_tokens_refused_total counter");
  assert_line (text, "robot_webrtc_tokens_refused_total{reason=\"expired\"} 2");
  assert_line (text, "robot_webrtc_tokens_refused_total{reason=\"missing\"} 1");
}

/* The stream's totals as /status gives them: reasons the code gives sort
 * into the bounded set, histograms cumulative with +Inf last. */
static void
test_counters (void)
{
  g_autoptr (RwCounters) counters = rw_counters_new ();
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *json = NULL;
  const struct
  {
    const gchar *reason;
    const gchar *category;
  } reasons[] = {
    {"hung up", "hangup"},
    {"hung up (WHEP)", "hangup"},
    {"the token expired (booking over)", "booking_over"},
    {"the token was revoked", "revoked"},
    {"the connection failed (ICE or DTLS)", "connection_failed"},
    {"the connection closed", "closed_by_viewer"},
    {"it did not connect within 15 s (handshake-timeout)",
        "handshake_timeout"},
    {"no RTCP from it for 8 s (tab closed or network gone)", "silent"},
    {"the stream stopped", "stream_stopped"},
    {"its stream was removed", "stream_removed"},
    {"negotiation failed: no codec", "error"},
    {"error: not-negotiated", "error"},
    {"something new", "other"},
    {NULL, "other"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    g_assert_cmpstr (rw_counters_close_category (reasons[i].reason), ==,
        reasons[i].category);

  rw_counters_add (counters, RW_COUNTER_SESSIONS_OPENED, 3);
  rw_counters_add (counters, RW_COUNTER_BYTES_LEFT, 1000);
  rw_counters_session_closed (counters, "hung up");
  rw_counters_session_closed (counters, "hung up (WHEP)");
  rw_counters_session_closed (counters, "error: x");
  rw_counters_observe (counters, RW_TIMING_FIRST_FRAME, 0.12);
  rw_counters_observe (counters, RW_TIMING_FIRST_FRAME, 0.01);
  rw_counters_observe (counters, RW_TIMING_FIRST_FRAME, 60);
  json_builder_begin_object (builder);
  rw_counters_add_status (counters, builder, 234);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  g_test_message ("%s", json);
  g_assert_nonnull (strstr (json, "\"sessions_opened\":3"));
  g_assert_nonnull (strstr (json,
          "\"sessions_closed\":{\"hangup\":2,\"error\":1}"));
  g_assert_nonnull (strstr (json, "\"bytes_sent\":1234"));
  /* eight bounds, 50 ms to 5 s, then +Inf */
  g_assert_nonnull (strstr (json, "\"first_frame_seconds\":{\"le\":[0.05"));
  g_assert_nonnull (strstr (json, ",5.0],\"counts\":[1,1,2,2,2,2,2,2,3],"));
  g_assert_nonnull (strstr (json, "\"count\":3"));
}

/* No /status at all (nothing mounted): still the robot's own. */
static void
test_no_status (void)
{
  g_autoptr (RwMetrics) metrics = rw_metrics_new ();
  g_autofree gchar *text = rw_metrics_render (metrics, NULL);

  g_assert_nonnull (strstr (text, "robot_webrtc_info{"));
  g_assert_null (strstr (text, "robot_webrtc_viewers"));
}

static gboolean
allowed (GPtrArray * masks, const gchar * address)
{
  g_autoptr (GInetAddress) client = g_inet_address_new_from_string (address);

  g_assert_nonnull (client);
  return rw_metrics_client_allowed (masks, client);
}

static void
test_allow (void)
{
  static const gchar *lab[] = { "10.0.0.0/8", "2001:db8::/32", "192.0.2.7",
    NULL
  };
  static const gchar *bad[] = { "10.0.0.0/8", "lab-network", NULL };
  g_autoptr (GPtrArray) none = NULL;
  g_autoptr (GPtrArray) masks = NULL;
  g_autoptr (GPtrArray) refused = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (rw_metrics_parse_allow (NULL, &none, NULL));
  g_assert_true (allowed (none, "127.0.0.1"));
  g_assert_true (allowed (none, "::1"));
  g_assert_true (allowed (none, "::ffff:127.0.0.1"));
  g_assert_false (allowed (none, "10.1.2.3"));
  g_assert_false (rw_metrics_client_allowed (none, NULL));

  g_assert_true (rw_metrics_parse_allow (lab, &masks, NULL));
  g_assert_true (allowed (masks, "10.1.2.3"));
  g_assert_true (allowed (masks, "::ffff:10.1.2.3"));
  g_assert_true (allowed (masks, "2001:db8:1::5"));
  g_assert_true (allowed (masks, "192.0.2.7"));
  g_assert_false (allowed (masks, "192.0.2.8"));
  g_assert_false (allowed (masks, "172.16.0.1"));

  g_assert_false (rw_metrics_parse_allow (bad, &refused, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "'lab-network'"));
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/metrics/status", test_status);
  g_test_add_func ("/metrics/requests", test_requests);
  g_test_add_func ("/metrics/refusals", test_refusals);
  g_test_add_func ("/metrics/counters", test_counters);
  g_test_add_func ("/metrics/no-status", test_no_status);
  g_test_add_func ("/metrics/allow", test_allow);

  return g_test_run ();
}

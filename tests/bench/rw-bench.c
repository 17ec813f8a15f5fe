/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* rw-bench: what one robot can serve. Starts robot-webrtc-server, ramps
 * WebRTC viewers (webrtcbin, in this process; only the first decodes, the
 * others count depayloaded frames, so that the client is not the limit),
 * holds each step and prints per step: the server's CPU, RSS, threads and
 * fds from /proc, each viewer's frame rate and bitrate, frame gaps, time to
 * first frame and capture-to-arrival latency, and this client's own CPU.
 * A churn run then joins and leaves viewers many times and compares the
 * server's threads, fds and RSS before and after.
 *
 * --stream NAME makes every viewer ask for that named stream, --audio makes
 * them offer Opus audio too (decoded by the viewers that decode video); the
 * summary says how many received audio. --config FILE starts the server
 * with a config file (its streams, with audio or not) instead of the media
 * options.
 *
 * Latency: the server's /status gives, per viewer, an RTP timestamp and
 * the CLOCK_MONOTONIC time its frame was captured; each frame's last packet
 * is stamped with CLOCK_MONOTONIC on arrival here (one machine, one clock).
 *
 * Everything is bounded in time and runs on 127.0.0.1. */

#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

typedef struct
{
  gint64 cpu_ticks;
  gint64 rss_kb;
  gint threads;
  gint fds;
  gint64 time_us;
} ProcSample;

typedef struct
{
  const gchar *server;
  gchar *codec;
  gint width, height, framerate, bitrate, keyframe_interval;
  gchar *steps;
  gint warmup, hold;
  gboolean decode_all;
  gint churn, churn_seconds, churn_parallel;
  gchar *json_path;
  gboolean smoke;
  gchar *stream;
  gboolean audio;
  gchar *config;
  gint join_spacing;
  gint gop_cache;
} Options;

typedef struct
{
  Options *o;
  RwTestServer *server;
  SoupSession *session;
  const gchar *url;
  const gchar *pid;
  GPtrArray *viewers;           /* RwTestViewer */
  JsonBuilder *json;
  gboolean failed;
  gdouble first_ttff_ms;
  GArray *warm_ttff_ms;
  gdouble cpu_at_1, cpu_at_max;
  gint n_at_max;
  gdouble rss0_mb, rss_at_max;
  gdouble worst_fps_at_max;
  gdouble latency_p50_at_max;
} Bench;

/* --- /proc --- */

static gboolean
proc_sample (const gchar * pid, ProcSample * out)
{
  g_autofree gchar *stat_path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree gchar *stat = NULL;
  g_auto (GStrv) fields = NULL;
  RwTestProcCounts counts;
  const gchar *after_comm;

  if (!g_file_get_contents (stat_path, &stat, NULL, NULL) ||
      !rw_test_proc_counts (pid, &counts))
    return FALSE;

  /* the command name may hold spaces: fields count from after its ')' */
  after_comm = strrchr (stat, ')');
  if (after_comm == NULL)
    return FALSE;
  fields = g_strsplit (after_comm + 2, " ", -1);
  if (g_strv_length (fields) < 15)
    return FALSE;
  /* utime and stime are fields 14 and 15 of stat, 12 and 13 here */
  out->cpu_ticks = g_ascii_strtoll (fields[11], NULL, 10) +
      g_ascii_strtoll (fields[12], NULL, 10);
  out->rss_kb = counts.rss_kb;
  out->threads = counts.threads;
  out->fds = counts.fds;
  out->time_us = g_get_monotonic_time ();
  return TRUE;
}

static gdouble
cores (const ProcSample * a, const ProcSample * b)
{
  return (b->cpu_ticks - a->cpu_ticks) / (gdouble) sysconf (_SC_CLK_TCK) /
      ((b->time_us - a->time_us) / 1e6);
}

/* --- statistics --- */

static gint
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
percentile (GArray * values, gdouble p)
{
  if (values->len == 0)
    return NAN;
  g_array_sort (values, compare_doubles);
  return g_array_index (values, gdouble,
      MIN (values->len - 1, (guint) (p / 100.0 * values->len)));
}

/* --- viewers --- */

static gboolean
all_have_frames (gpointer data)
{
  GPtrArray *viewers = data;

  for (guint i = 0; i < viewers->len; i++) {
    RwTestViewer *v = viewers->pdata[i];

    if (rw_test_viewer_get_frames (v) == 0 && !rw_test_viewer_is_done (v))
      return FALSE;
  }
  return TRUE;
}

/* A member of /status's totals, -1 without it. */
static gint64
status_total (Bench * b, const gchar * name)
{
  g_autoptr (JsonNode) status = rw_test_get_status (b->session, b->url, 5000,
      NULL);
  g_autofree gchar *path = g_strconcat ("totals.", name, NULL);

  return status ? rw_test_json_get_int (status, path, -1) : -1;
}

/* Gives every viewer the server's RTP clock, from /status. */
static void
set_rtp_clocks (Bench * b)
{
  g_autoptr (JsonNode) status = rw_test_get_status (b->session, b->url, 5000,
      NULL);
  JsonArray *peers;

  if (status == NULL)
    return;
  peers = json_object_get_array_member (json_node_get_object (status), "peers");
  for (guint p = 0; peers && p < json_array_get_length (peers); p++) {
    JsonObject *peer = json_array_get_object_element (peers, p);
    const gchar *id = json_object_get_string_member (peer, "peer_id");
    JsonObject *rtp = json_object_has_member (peer, "rtp") ?
        json_object_get_object_member (peer, "rtp") : NULL;

    for (guint i = 0; rtp && i < b->viewers->len; i++) {
      RwTestViewer *v = b->viewers->pdata[i];

      if (g_strcmp0 (rw_test_viewer_get_peer_id (v), id) == 0)
        rw_test_viewer_set_rtp_clock (v,
            json_object_get_int_member (rtp, "clock_rate"),
            json_object_get_int_member (rtp, "timestamp"),
            json_object_get_int_member (rtp, "capture_monotonic_ns"));
    }
  }
}

static RwTestViewerCodec
codec_of (Options * o)
{
  return g_ascii_strcasecmp (o->codec, "h264") == 0 ? RW_TEST_VIEWER_H264 :
      RW_TEST_VIEWER_VP8;
}

/* What every viewer asks for: the --stream, and audio with --audio. */
static void
set_viewer_media (Bench * b, RwTestViewer * v)
{
  rw_test_viewer_set_stream (v, b->o->stream);
  rw_test_viewer_set_media (v, TRUE, b->o->audio);
}

static void
add_viewers (Bench * b, guint n, GArray * ttff_ms)
{
  guint first = b->viewers->len;

  for (guint i = first; i < n; i++) {
    gboolean decode = b->o->decode_all || i == 0;
    RwTestViewer *v = rw_test_viewer_new (b->url, codec_of (b->o), decode);
    g_autofree gchar *name = g_strdup_printf ("v%u", i);
    g_autoptr (GError) error = NULL;

    rw_test_viewer_set_name (v, name);
    set_viewer_media (b, v);
    if (!rw_test_viewer_start (v, &error))
      g_printerr ("viewer %u: %s\n", i, error->message);
    g_ptr_array_add (b->viewers, v);
    /* staggered joins, as people arrive (--join-spacing 0: all at once) */
    if (b->o->join_spacing > 0)
      rw_test_pump_for (b->o->join_spacing);
  }
  rw_test_pump_until (all_have_frames, b->viewers, 20000);

  for (guint i = first; i < n; i++) {
    RwTestViewer *v = b->viewers->pdata[i];
    gint64 ttff = rw_test_viewer_get_ttff_us (v);

    if (ttff >= 0) {
      gdouble ms = ttff / 1000.0;

      g_array_append_val (ttff_ms, ms);
    } else {
      g_printerr ("viewer %u got no frame: %s\n", i,
          rw_test_viewer_get_error (v) ? rw_test_viewer_get_error (v) :
          rw_test_viewer_state_to_string (rw_test_viewer_get_state (v)));
      b->failed = TRUE;
    }
  }
  set_rtp_clocks (b);
}

/* --- one step --- */

static void
json_number (JsonBuilder * json, const gchar * name, gdouble value)
{
  json_builder_set_member_name (json, name);
  if (isnan (value))
    json_builder_add_null_value (json);
  else
    json_builder_add_double_value (json, round (value * 1000) / 1000);
}

static void
run_step (Bench * b, guint n)
{
  g_autoptr (GArray) ttff = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) latencies = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) frames0 = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GArray) bytes0 = g_array_new (FALSE, FALSE, sizeof (guint64));
  ProcSample s0, s1, c0, c1;
  gdouble fps_sum = 0, fps_worst = INFINITY, kbps_sum = 0, gap_worst = 0;
  gdouble seconds, server_cpu, client_cpu;
  guint gaps = 0, got_frames = 0;
  gint64 forced0 = status_total (b, "keyframes_forced");
  gint64 cached0 = status_total (b, "joins_from_cache");
  ProcSample j0, j1;
  gboolean joined = n > b->viewers->len;

  proc_sample (b->pid, &j0);
  add_viewers (b, n, ttff);
  proc_sample (b->pid, &j1);
  /* what the joins cost: the server's CPU until every new viewer had a
   * frame, and the keyframes the viewers already watching were sent */
  if (joined)
    g_print ("     joins up to %u: %.0f ms, server CPU %.3f core-s, "
        "keyframes forced %" G_GINT64_FORMAT ", started from the cache %"
        G_GINT64_FORMAT "\n", n, (j1.time_us - j0.time_us) / 1000.0,
        (j1.cpu_ticks - j0.cpu_ticks) / (gdouble) sysconf (_SC_CLK_TCK),
        status_total (b, "keyframes_forced") - forced0, status_total (b,
            "joins_from_cache") - cached0);
  if (n == 1 && ttff->len == 1)
    b->first_ttff_ms = g_array_index (ttff, gdouble, 0);
  else
    g_array_append_vals (b->warm_ttff_ms, ttff->data, ttff->len);

  rw_test_pump_for (b->o->warmup * 1000);
  for (guint i = 0; i < n; i++) {
    RwTestViewer *v = b->viewers->pdata[i];
    guint64 f = rw_test_viewer_get_frames (v);
    guint64 by = rw_test_viewer_get_rtp_bytes (v);

    g_array_append_val (frames0, f);
    g_array_append_val (bytes0, by);
    rw_test_viewer_take_max_gap_us (v);
    rw_test_viewer_take_latencies (v, latencies);
  }
  g_array_set_size (latencies, 0);
  proc_sample (b->pid, &s0);
  proc_sample ("self", &c0);

  rw_test_pump_for (b->o->hold * 1000);

  proc_sample (b->pid, &s1);
  proc_sample ("self", &c1);
  seconds = (s1.time_us - s0.time_us) / 1e6;
  for (guint i = 0; i < n; i++) {
    RwTestViewer *v = b->viewers->pdata[i];
    gdouble fps = (rw_test_viewer_get_frames (v) -
        g_array_index (frames0, guint64, i)) / seconds;
    gdouble kbps = (rw_test_viewer_get_rtp_bytes (v) -
        g_array_index (bytes0, guint64, i)) * 8 / seconds / 1000;
    gdouble gap = rw_test_viewer_take_max_gap_us (v) / 1000.0;

    fps_sum += fps;
    fps_worst = MIN (fps_worst, fps);
    kbps_sum += kbps;
    gap_worst = MAX (gap_worst, gap);
    gaps += gap > 200;
    got_frames += fps > 0;
    rw_test_viewer_take_latencies (v, latencies);
  }
  if (got_frames < n)
    b->failed = TRUE;

  server_cpu = cores (&s0, &s1);
  client_cpu = cores (&c0, &c1);
  g_print ("%4u %8.3f %8.1f %7d %5d %8.1f %8.1f %8.0f %6u %8.0f %8.0f %8.0f "
      "%8.1f %8.1f %7.2f\n", n, server_cpu, s1.rss_kb / 1024.0, s1.threads,
      s1.fds, fps_sum / n, fps_worst, kbps_sum / n, gaps, gap_worst,
      percentile (ttff, 50), percentile (ttff, 100), percentile (latencies,
          50), percentile (latencies, 95), client_cpu);

  if (n == 1)
    b->cpu_at_1 = server_cpu;
  b->cpu_at_max = server_cpu;
  b->n_at_max = n;
  b->rss_at_max = s1.rss_kb / 1024.0;
  b->worst_fps_at_max = fps_worst;
  b->latency_p50_at_max = percentile (latencies, 50);

  json_builder_begin_object (b->json);
  json_builder_set_member_name (b->json, "viewers");
  json_builder_add_int_value (b->json, n);
  json_number (b->json, "server_cpu_cores", server_cpu);
  json_number (b->json, "server_rss_mb", s1.rss_kb / 1024.0);
  json_number (b->json, "server_threads", s1.threads);
  json_number (b->json, "server_fds", s1.fds);
  json_number (b->json, "fps_mean", fps_sum / n);
  json_number (b->json, "fps_worst", fps_worst);
  json_number (b->json, "kbps_mean", kbps_sum / n);
  json_number (b->json, "viewers_with_gaps_over_200ms", gaps);
  json_number (b->json, "worst_gap_ms", gap_worst);
  json_number (b->json, "ttff_median_ms", percentile (ttff, 50));
  json_number (b->json, "ttff_max_ms", percentile (ttff, 100));
  json_number (b->json, "latency_p50_ms", percentile (latencies, 50));
  json_number (b->json, "latency_p95_ms", percentile (latencies, 95));
  json_number (b->json, "client_cpu_cores", client_cpu);
  json_builder_end_object (b->json);
}

static void
idle_step (Bench * b)
{
  ProcSample s0, s1;

  proc_sample (b->pid, &s0);
  rw_test_pump_for (MIN (b->o->hold, 5) * 1000);
  proc_sample (b->pid, &s1);
  b->rss0_mb = s1.rss_kb / 1024.0;
  g_print ("%4u %8.3f %8.1f %7d %5d\n", 0, cores (&s0, &s1),
      s1.rss_kb / 1024.0, s1.threads, s1.fds);
  json_builder_begin_object (b->json);
  json_builder_set_member_name (b->json, "viewers");
  json_builder_add_int_value (b->json, 0);
  json_number (b->json, "server_cpu_cores", cores (&s0, &s1));
  json_number (b->json, "server_rss_mb", s1.rss_kb / 1024.0);
  json_number (b->json, "server_threads", s1.threads);
  json_number (b->json, "server_fds", s1.fds);
  json_builder_end_object (b->json);
}

static gboolean
all_done (gpointer data)
{
  GPtrArray *viewers = data;

  for (guint i = 0; i < viewers->len; i++) {
    if (!rw_test_viewer_is_done (viewers->pdata[i]))
      return FALSE;
  }
  return TRUE;
}

static void
leave_all (Bench * b)
{
  for (guint i = 0; i < b->viewers->len; i++)
    rw_test_viewer_hangup (b->viewers->pdata[i]);
  rw_test_pump_until (all_done, b->viewers, 10000);
  g_ptr_array_set_size (b->viewers, 0);
  rw_test_wait_for_status_int (b->session, b->url, "viewers", 0, 10000, NULL);
  rw_test_wait_for_status_int (b->session, b->url, "branches", 0, 10000, NULL);
}

/* --- churn --- */

typedef struct
{
  guint ok, failed;
} ChurnCount;

static gboolean
any_done_or_framed (gpointer data)
{
  GPtrArray *viewers = data;

  for (guint i = 0; i < viewers->len; i++) {
    RwTestViewer *v = viewers->pdata[i];

    if (rw_test_viewer_get_frames (v) > 0 || rw_test_viewer_is_done (v))
      return TRUE;
  }
  return FALSE;
}

static void
run_churn (Bench * b)
{
  g_autoptr (GPtrArray) live =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rw_test_viewer_free);
  g_autoptr (GPtrArray) leaving =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rw_test_viewer_free);
  gint64 deadline = g_get_monotonic_time () +
      (gint64) b->o->churn_seconds * G_USEC_PER_SEC;
  gint64 started = g_get_monotonic_time ();
  ProcSample before, after;
  ChurnCount count = { 0, 0 };
  guint launched = 0;
  gboolean settled;

  rw_test_pump_for (2000);
  proc_sample (b->pid, &before);

  while ((launched < (guint) b->o->churn || live->len > 0) &&
      g_get_monotonic_time () < deadline) {
    while (live->len < (guint) b->o->churn_parallel &&
        launched < (guint) b->o->churn) {
      RwTestViewer *v = rw_test_viewer_new (b->url, codec_of (b->o), FALSE);

      set_viewer_media (b, v);
      if (!rw_test_viewer_start (v, NULL))
        count.failed++;
      g_ptr_array_add (live, v);
      launched++;
    }
    rw_test_pump_until (any_done_or_framed, live, 100);
    for (guint i = 0; i < live->len;) {
      RwTestViewer *v = live->pdata[i];
      gboolean framed = rw_test_viewer_get_frames (v) > 0;
      gboolean stuck = g_get_monotonic_time () -
          rw_test_viewer_get_post_time (v) > 10 * G_USEC_PER_SEC &&
          rw_test_viewer_get_post_time (v) > 0;

      if (framed || rw_test_viewer_is_done (v) || stuck) {
        if (framed)
          count.ok++;
        else
          count.failed++;
        /* half hang up, half vanish like a closed tab */
        if ((count.ok + count.failed) % 2)
          rw_test_viewer_hangup (v);
        else
          rw_test_viewer_vanish (v);
        g_ptr_array_add (leaving, g_ptr_array_steal_index_fast (live, i));
      } else {
        i++;
      }
    }
    for (guint i = 0; i < leaving->len;) {
      if (rw_test_viewer_is_done (leaving->pdata[i]))
        g_ptr_array_remove_index_fast (leaving, i);
      else
        i++;
    }
  }
  for (guint i = 0; i < live->len; i++)
    rw_test_viewer_hangup (live->pdata[i]);
  rw_test_pump_until (all_done, live, 10000);
  rw_test_pump_until (all_done, leaving, 10000);
  g_ptr_array_set_size (live, 0);
  g_ptr_array_set_size (leaving, 0);

  /* vanished viewers are noticed after 5 s of silence */
  settled = rw_test_wait_for_status_int (b->session, b->url, "viewers", 0,
      15000, NULL) && rw_test_wait_for_status_int (b->session, b->url,
      "branches", 0, 10000, NULL);
  rw_test_pump_for (3000);
  proc_sample (b->pid, &after);

  g_print ("\nchurn: %u join/leave cycles in %.0f s (%u got frames, %u did "
      "not); /status back to 0 viewers and branches: %s\n",
      count.ok + count.failed,
      (g_get_monotonic_time () - started) / 1e6, count.ok, count.failed,
      settled ? "yes" : "NO");
  g_print ("churn: server threads %d -> %d, fds %d -> %d, RSS %.1f -> %.1f MB "
      "(%+.1f MB)\n", before.threads, after.threads, before.fds, after.fds,
      before.rss_kb / 1024.0, after.rss_kb / 1024.0,
      (after.rss_kb - before.rss_kb) / 1024.0);
  g_print ("churn target: threads and fds back to baseline, RSS within 10 MB: "
      "%s\n", after.threads <= before.threads && after.fds <= before.fds &&
      after.rss_kb - before.rss_kb <= 10 * 1024 ? "met" : "MISSED");

  if (count.failed > 0 || !settled)
    b->failed = TRUE;

  json_builder_set_member_name (b->json, "churn");
  json_builder_begin_object (b->json);
  json_number (b->json, "cycles", count.ok + count.failed);
  json_number (b->json, "with_frames", count.ok);
  json_number (b->json, "without_frames", count.failed);
  json_number (b->json, "threads_before", before.threads);
  json_number (b->json, "threads_after", after.threads);
  json_number (b->json, "fds_before", before.fds);
  json_number (b->json, "fds_after", after.fds);
  json_number (b->json, "rss_before_mb", before.rss_kb / 1024.0);
  json_number (b->json, "rss_after_mb", after.rss_kb / 1024.0);
  json_builder_end_object (b->json);
}

/* --- main --- */

static void
print_targets (Bench * b)
{
  gdouble warm = percentile (b->warm_ttff_ms, 50);
  gdouble marginal = b->n_at_max > 1 ? (b->cpu_at_max - b->cpu_at_1) /
      (b->n_at_max - 1) : NAN;
  gdouble per_viewer_mb = b->n_at_max > 0 ? (b->rss_at_max - b->rss0_mb) /
      b->n_at_max : NAN;

  g_print ("\ntargets (2 cores, loopback):\n");
  g_print ("  marginal server CPU per viewer  %.4f core   (target <= 0.005) "
      "%s\n", marginal, marginal <= 0.005 ? "met" : "MISSED");
  g_print ("  worst viewer fps at %d viewers   %.1f        (target >= 29 at 64)"
      " %s\n", b->n_at_max, b->worst_fps_at_max,
      b->n_at_max >= 64 && b->worst_fps_at_max >= 29 ? "met" :
      b->n_at_max < 64 ? "not run to 64" : "MISSED");
  g_print ("  TTFF first viewer               %.0f ms     (target <= 500) %s\n",
      b->first_ttff_ms, b->first_ttff_ms <= 500 ? "met" : "MISSED");
  g_print ("  TTFF warm median                %.0f ms     (target <= 300) %s\n",
      warm, warm <= 300 ? "met" : isnan (warm) ? "not measured" : "MISSED");
  g_print ("  latency p50 at %d viewers        %.1f ms    (target <= 50) %s\n",
      b->n_at_max, b->latency_p50_at_max, b->latency_p50_at_max <= 50 ?
      "met" : "MISSED");
  g_print ("  RSS per viewer                  %.2f MB    (target <= 3) %s\n",
      per_viewer_mb, per_viewer_mb <= 3 ? "met" : "MISSED");

  json_number (b->json, "ttff_first_ms", b->first_ttff_ms);
  json_number (b->json, "ttff_warm_median_ms", warm);
  json_number (b->json, "marginal_cpu_per_viewer", marginal);
  json_number (b->json, "rss_per_viewer_mb", per_viewer_mb);

  if (b->o->audio) {
    guint answered = 0, heard = 0, decoded = 0, audible = 0;

    for (guint i = 0; i < b->viewers->len; i++) {
      RwTestViewer *v = b->viewers->pdata[i];
      gdouble level = rw_test_viewer_get_audio_level (v);

      answered += rw_test_viewer_answer_has_audio (v);
      heard += rw_test_viewer_get_audio_buffers (v) > 0;
      decoded += level >= 0;
      audible += level > 0;
    }
    g_print ("  audio at %d viewers              answered %u, received %u, "
        "audible %u of %u decoding\n", b->n_at_max, answered, heard, audible,
        decoded);
    json_builder_set_member_name (b->json, "audio_at_max");
    json_builder_begin_object (b->json);
    json_number (b->json, "answered", answered);
    json_number (b->json, "received", heard);
    json_number (b->json, "decoding", decoded);
    json_number (b->json, "audible", audible);
    json_builder_end_object (b->json);
  }
}

int
main (int argc, char *argv[])
{
  Options o = { NULL, NULL, 1280, 720, 30, 1500000, 10, NULL, 5, 15, FALSE,
    0, 300, 8, NULL, FALSE, NULL, FALSE, NULL, 30, -1
  };
  GOptionEntry entries[] = {
    {"server", 0, 0, G_OPTION_ARG_FILENAME, &o.server,
        "robot-webrtc-server (default: $RW_SERVER)", "PATH"},
    {"codec", 0, 0, G_OPTION_ARG_STRING, &o.codec, "vp8 (default) or h264",
        "CODEC"},
    {"width", 0, 0, G_OPTION_ARG_INT, &o.width, "Width (1280)", "W"},
    {"height", 0, 0, G_OPTION_ARG_INT, &o.height, "Height (720)", "H"},
    {"framerate", 0, 0, G_OPTION_ARG_INT, &o.framerate, "FPS (30)", "FPS"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &o.bitrate, "Bits/s (1500000)",
        "BPS"},
    {"keyframe-interval", 0, 0, G_OPTION_ARG_INT, &o.keyframe_interval,
        "Seconds between keyframes (10)", "S"},
    {"steps", 0, 0, G_OPTION_ARG_STRING, &o.steps,
        "Viewer counts (1,2,4,8,16,32,64)", "LIST"},
    {"warmup", 0, 0, G_OPTION_ARG_INT, &o.warmup, "Seconds before each "
          "measurement (5)", "S"},
    {"hold", 0, 0, G_OPTION_ARG_INT, &o.hold, "Seconds measured per step (15)",
        "S"},
    {"decode-all", 0, 0, G_OPTION_ARG_NONE, &o.decode_all,
        "Decode every viewer (default: only the first)", NULL},
    {"churn", 0, 0, G_OPTION_ARG_INT, &o.churn, "Join/leave cycles after the "
          "ramp (0)", "N"},
    {"churn-seconds", 0, 0, G_OPTION_ARG_INT, &o.churn_seconds,
        "Time bound of the churn run (300)", "S"},
    {"churn-parallel", 0, 0, G_OPTION_ARG_INT, &o.churn_parallel,
        "Viewers joining at once during churn (8)", "N"},
    {"json", 0, 0, G_OPTION_ARG_FILENAME, &o.json_path, "Write the results "
          "here", "FILE"},
    {"smoke", 0, 0, G_OPTION_ARG_NONE, &o.smoke, "Exit non-zero unless every "
          "viewer got frames and every number was measured", NULL},
    {"stream", 0, 0, G_OPTION_ARG_STRING, &o.stream, "Every viewer asks for "
          "this named stream (default: none named)", "NAME"},
    {"audio", 0, 0, G_OPTION_ARG_NONE, &o.audio, "Viewers offer Opus audio "
          "too", NULL},
    {"config", 0, 0, G_OPTION_ARG_FILENAME, &o.config, "Start the server with "
          "this config file, not the media options", "FILE"},
    {"join-spacing", 0, 0, G_OPTION_ARG_INT, &o.join_spacing, "Milliseconds "
          "between a step's joins; 0: all at once (30)", "MS"},
    {"gop-cache", 0, 0, G_OPTION_ARG_INT, &o.gop_cache, "The server's "
          "--gop-cache, KiB (default: the server's)", "KIB"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- load a "
      "robot-webrtc-server with WebRTC viewers");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *bitrate = NULL, *fps = NULL, *width = NULL, *height = NULL;
  g_autofree gchar *kf = NULL, *text = NULL, *gop = NULL;
  g_auto (GStrv) steps = NULL;
  Bench b = { &o };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("rw-bench: %s\n", error->message);
    return 2;
  }
  gst_init (&argc, &argv);
  if (o.codec == NULL)
    o.codec = g_strdup ("vp8");
  steps = g_strsplit (o.steps ? o.steps : "1,2,4,8,16,32,64", ",", -1);

  width = g_strdup_printf ("%d", o.width);
  height = g_strdup_printf ("%d", o.height);
  fps = g_strdup_printf ("%d", o.framerate);
  bitrate = g_strdup_printf ("%d", o.bitrate);
  kf = g_strdup_printf ("%d", o.keyframe_interval);
  if (o.gop_cache >= 0)
    gop = g_strdup_printf ("--gop-cache=%d", o.gop_cache);
  {
    /* gop, when given, ends each list */
    const gchar *args[] = { "--codec", o.codec, "--width", width, "--height",
      height, "--framerate", fps, "--bitrate", bitrate, "--keyframe-interval",
      kf, "--max-viewers", "1000", "--camera", "255", "--rate-limit", "0",
      gop, NULL
    };
    const gchar *config_args[] = { "--config", o.config, "--max-viewers",
      "1000", "--rate-limit", "0", gop, NULL
    };

    b.server = rw_test_server_start (o.server, o.config ? config_args : args,
        20000, &error);
  }
  if (b.server == NULL) {
    g_printerr ("rw-bench: %s\n", error->message);
    return 1;
  }
  b.url = rw_test_server_get_url (b.server);
  b.pid = rw_test_server_get_pid (b.server);
  b.session = rw_test_session_new ();
  b.viewers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rw_test_viewer_free);
  b.warm_ttff_ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
  b.first_ttff_ms = NAN;
  b.json = json_builder_new ();

  g_print ("robot-webrtc-server %s at %s: %s %dx%d@%d, %d bit/s, keyframe "
      "every %d s; viewers in this process (%s)\n", b.pid, b.url, o.codec,
      o.width, o.height, o.framerate, o.bitrate, o.keyframe_interval,
      o.decode_all ? "all decode" : "the first decodes, the others count "
      "frames");
  if (o.config)
    g_print ("config: %s (the media options above do not apply)\n", o.config);
  g_print ("stream: %s; audio: %s\n\n", o.stream ? o.stream : "(not named)",
      o.audio ? "on (viewers offer Opus)" : "off");
  g_print ("   N   server   server threads   fds  fps      fps      kbit/s   "
      "gaps   worst    TTFF     TTFF     latency  latency  client\n");
  g_print ("       cores    RSS MB                  mean     worst    mean     "
      ">200ms gap ms   med ms   max ms   p50 ms   p95 ms   cores\n");

  json_builder_begin_object (b.json);
  json_builder_set_member_name (b.json, "codec");
  json_builder_add_string_value (b.json, o.codec);
  json_builder_set_member_name (b.json, "stream");
  if (o.stream)
    json_builder_add_string_value (b.json, o.stream);
  else
    json_builder_add_null_value (b.json);
  json_builder_set_member_name (b.json, "audio");
  json_builder_add_boolean_value (b.json, o.audio);
  json_builder_set_member_name (b.json, "steps");
  json_builder_begin_array (b.json);
  rw_test_pump_for (2000);
  idle_step (&b);
  for (guint i = 0; steps[i]; i++) {
    guint64 n;

    if (!g_ascii_string_to_unsigned (steps[i], 10, 1, 1000, &n, NULL)) {
      g_printerr ("rw-bench: bad step '%s'\n", steps[i]);
      return 2;
    }
    run_step (&b, n);
  }
  json_builder_end_array (b.json);
  print_targets (&b);
  leave_all (&b);
  if (o.churn > 0)
    run_churn (&b);
  json_builder_end_object (b.json);

  if (!rw_test_server_stop (b.server, 5000, NULL, &error)) {
    g_printerr ("rw-bench: the server did not stop cleanly: %s\n",
        error->message);
    b.failed = TRUE;
  }

  root = json_builder_get_root (b.json);
  text = json_to_string (root, TRUE);
  if (o.json_path && !g_file_set_contents (o.json_path, text, -1, &error)) {
    g_printerr ("rw-bench: %s\n", error->message);
    return 1;
  }

  g_ptr_array_unref (b.viewers);
  g_array_unref (b.warm_ttff_ms);
  g_object_unref (b.json);
  g_object_unref (b.session);
  rw_test_server_free (b.server);

  if (b.failed)
    g_printerr ("rw-bench: some viewers got no frames\n");
  if (o.smoke && (b.failed || isnan (b.first_ttff_ms)))
    return 1;
  return 0;
}

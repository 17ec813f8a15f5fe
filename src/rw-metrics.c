/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-metrics
 * @title: Metrics
 * @short_description: `GET /metrics` in the Prometheus text format
 *
 * What `GET /status` says of the robot and each stream, as Prometheus
 * metrics (viewers, sources and their losses, TURN relay counts, per stream:
 * no per-viewer label, whose number has no bound), the HTTP requests the
 * server answered by route, method and status, and the process's own
 * (`process_*`, the names Prometheus clients use). Text exposition format
 * 0.0.4. Who may read it is decided by the caller
 * (rw_metrics_client_allowed()): loopback, and the networks of the
 * `metrics-allow` setting.
 */

#include "rw-metrics.h"
#include "rw-error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"

#define PREFIX "robot_webrtc_"

/* The HTTP counters live on the server's context: no lock. */
struct _RwMetrics
{
  GHashTable *requests;         /* "route\tmethod\tcode" -> guint64 * */
  GHashTable *refusals;         /* reason -> guint64 * */
};

RwMetrics *
rw_metrics_new (void)
{
  RwMetrics *self = g_new0 (RwMetrics, 1);

  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  self->refusals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  return self;
}

void
rw_metrics_free (RwMetrics * self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->requests);
  g_hash_table_unref (self->refusals);
  g_free (self);
}

/**
 * rw_metrics_count_request:
 * @self: the counters
 * @route: the route's path pattern, or "other": a bounded set
 * @method: the request's method (one the server serves)
 * @status: the status it was answered with
 *
 * Counts one answered request.
 */
void
rw_metrics_count_request (RwMetrics * self, const gchar * route,
    const gchar * method, guint status)
{
  gchar *key;
  guint64 *count;

  g_return_if_fail (self != NULL);

  key = g_strdup_printf ("%s\t%s\t%u", route, method, status);
  count = g_hash_table_lookup (self->requests, key);
  if (count == NULL) {
    count = g_new0 (guint64, 1);
    g_hash_table_insert (self->requests, key, count);
  } else {
    g_free (key);
  }
  (*count)++;
}

static void
count (GHashTable * table, const gchar * key)
{
  guint64 *n = g_hash_table_lookup (table, key);

  if (n == NULL) {
    n = g_new0 (guint64, 1);
    g_hash_table_insert (table, g_strdup (key), n);
  }
  (*n)++;
}

/**
 * rw_metrics_count_refusal:
 * @self: the counters
 * @reason: why a token was refused, from a bounded set
 *   (rw_auth_refusal_category(), or `scope`)
 *
 * Counts one refused request.
 */
void
rw_metrics_count_refusal (RwMetrics * self, const gchar * reason)
{
  g_return_if_fail (self != NULL);

  count (self->refusals, reason);
}

/* --- the text format --- */

static void
append_escaped (GString * out, const gchar * value)
{
  for (const gchar * p = value; *p; p++) {
    if (*p == '\\')
      g_string_append (out, "\\\\");
    else if (*p == '"')
      g_string_append (out, "\\\"");
    else if (*p == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *p);
  }
}

static void
family (GString * out, const gchar * name, const gchar * type,
    const gchar * help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
      name, type);
}

/* name{k1="v1",k2="v2"} value; @labels is NULL-terminated key, value... */
static void
sample (GString * out, const gchar * name, gdouble value, ...)
{
  gchar number[G_ASCII_DTOSTR_BUF_SIZE];
  const gchar *key;
  gboolean first = TRUE;
  va_list args;

  g_string_append (out, name);
  va_start (args, value);
  while ((key = va_arg (args, const gchar *)) != NULL)
  {
    const gchar *label = va_arg (args, const gchar *);

    g_string_append (out, first ? "{" : ",");
    g_string_append_printf (out, "%s=\"", key);
    append_escaped (out, label);
    g_string_append_c (out, '"');
    first = FALSE;
  }
  va_end (args);
  if (!first)
    g_string_append_c (out, '}');
  /* 15 digits: exact for counts, no binary noise in seconds */
  g_string_append_printf (out, " %s\n", g_ascii_formatd (number,
          sizeof number, "%.15g", value));
}

static gboolean
get_number (JsonObject * object, const gchar * member, gdouble * value)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return FALSE;
  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node)) {
    case G_TYPE_INT64:
      *value = json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *value = json_node_get_double (node);
      return TRUE;
    default:
      return FALSE;
  }
}

static JsonObject *
get_object (JsonObject * object, const gchar * member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  node = json_object_get_member (object, member);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* One per-stream family: @member of each stream (or of its @sub object),
 * times @scale (to the base unit Prometheus names want). */
static void
stream_family_scaled (GString * out, JsonArray * streams, const gchar * name,
    const gchar * type, const gchar * help, const gchar * sub,
    const gchar * member, gdouble scale)
{
  gboolean any = FALSE;

  for (guint i = 0; streams && i < json_array_get_length (streams); i++) {
    JsonObject *stream = json_array_get_object_element (streams, i);
    const gchar *stream_name = json_object_get_string_member_with_default
        (stream, "name", "");
    gdouble value;

    if (!get_number (sub ? get_object (stream, sub) : stream, member, &value))
      continue;
    if (!any)
      family (out, name, type, help);
    any = TRUE;
    sample (out, name, value * scale, "stream", stream_name, NULL);
  }
}

static void
stream_family (GString * out, JsonArray * streams, const gchar * name,
    const gchar * type, const gchar * help, const gchar * sub,
    const gchar * member)
{
  stream_family_scaled (out, streams, name, type, help, sub, member, 1);
}

/* A family over each stream's sources: "source" (video), "audio_source". */
static void
source_family (GString * out, JsonArray * streams, const gchar * name,
    const gchar * type, const gchar * help, const gchar * member)
{
  static const gchar *const subs[][2] = {
    {"source", "video"}, {"audio_source", "audio"}
  };
  gboolean any = FALSE;

  for (guint i = 0; streams && i < json_array_get_length (streams); i++) {
    JsonObject *stream = json_array_get_object_element (streams, i);
    const gchar *stream_name = json_object_get_string_member_with_default
        (stream, "name", "");

    for (guint s = 0; s < G_N_ELEMENTS (subs); s++) {
      JsonObject *source = get_object (stream, subs[s][0]);
      gdouble value;

      if (source == NULL)
        continue;
      if (member == NULL) {
        /* up: 1 while it plays its own media, 0 lost or restarting */
        value = g_strcmp0 (json_object_get_string_member_with_default (source,
                "state", ""), "ok") == 0;
      } else if (!get_number (source, member, &value)) {
        continue;
      }
      if (!any)
        family (out, name, type, help);
      any = TRUE;
      sample (out, name, value, "stream", stream_name, "source", subs[s][1],
          NULL);
    }
  }
}

/* {stream,layer} from each stream's rate_control.layers: @member, times
 * @scale. */
static void
layer_family (GString * out, JsonArray * streams, const gchar * name,
    const gchar * type, const gchar * help, const gchar * member, gdouble scale)
{
  gboolean any = FALSE;

  for (guint i = 0; streams && i < json_array_get_length (streams); i++) {
    JsonObject *stream = json_array_get_object_element (streams, i);
    JsonObject *rate = get_object (stream, "rate_control");
    JsonArray *layers = rate && json_object_has_member (rate, "layers") &&
        JSON_NODE_HOLDS_ARRAY (json_object_get_member (rate, "layers")) ?
        json_object_get_array_member (rate, "layers") : NULL;

    for (guint l = 0; layers && l < json_array_get_length (layers); l++) {
      JsonObject *layer = json_array_get_object_element (layers, l);
      gdouble value;

      if (layer == NULL || !get_number (layer, member, &value))
        continue;
      if (!any)
        family (out, name, type, help);
      any = TRUE;
      sample (out, name, value * scale, "stream",
          json_object_get_string_member_with_default (stream, "name", ""),
          "layer", json_object_get_string_member_with_default (layer, "name",
              ""), NULL);
    }
  }
}

/* {stream,publish} from each stream's publish array: up (1 while live) or
 * @member. */
static void
publish_family (GString * out, JsonArray * streams, const gchar * name,
    const gchar * type, const gchar * help, const gchar * member)
{
  gboolean any = FALSE;

  for (guint i = 0; streams && i < json_array_get_length (streams); i++) {
    JsonObject *stream = json_array_get_object_element (streams, i);
    JsonArray *publishes = json_object_has_member (stream, "publish") &&
        JSON_NODE_HOLDS_ARRAY (json_object_get_member (stream, "publish")) ?
        json_object_get_array_member (stream, "publish") : NULL;

    for (guint p = 0; publishes && p < json_array_get_length (publishes); p++) {
      JsonObject *publish = json_array_get_object_element (publishes, p);
      gdouble value;

      if (publish == NULL)
        continue;
      if (member == NULL)
        value = g_strcmp0 (json_object_get_string_member_with_default
            (publish, "state", ""), "live") == 0;
      else if (!get_number (publish, member, &value))
        continue;
      if (!any)
        family (out, name, type, help);
      any = TRUE;
      sample (out, name, value, "stream",
          json_object_get_string_member_with_default (stream, "name", ""),
          "publish", json_object_get_string_member_with_default (publish,
              "name", ""), NULL);
    }
  }
}

/* {stream,reason} from each stream's totals.sessions_closed object. */
static void
closed_family (GString * out, JsonArray * streams)
{
  const gchar *name = PREFIX "sessions_closed_total";

  family (out, name, "counter", "Sessions that ended, by reason (hangup, "
      "booking_over, revoked, connection_failed, closed_by_viewer, "
      "handshake_timeout, silent, stream_stopped, stream_removed, error, "
      "other).");
  for (guint i = 0; streams && i < json_array_get_length (streams); i++) {
    JsonObject *stream = json_array_get_object_element (streams, i);
    JsonObject *closed = get_object (get_object (stream, "totals"),
        "sessions_closed");
    g_autoptr (GList) reasons = closed ? json_object_get_members (closed) :
        NULL;

    for (GList * l = reasons; l; l = l->next) {
      gdouble value;

      if (get_number (closed, l->data, &value))
        sample (out, name, value, "stream",
            json_object_get_string_member_with_default (stream, "name", ""),
            "reason", l->data, NULL);
    }
  }
}

/* {stream,type} from each stream's totals.{pli,fir,nack}_received. */
static void
feedback_family (GString * out, JsonArray * streams)
{
  static const gchar *const types[] = { "pli", "fir", "nack" };
  const gchar *name = PREFIX "rtcp_feedback_received_total";

  family (out, name, "counter", "RTCP feedback packets from viewers: "
      "picture loss indications (pli), full intra requests (fir), generic "
      "NACKs (nack).");
  for (guint i = 0; streams && i < json_array_get_length (streams); i++) {
    JsonObject *stream = json_array_get_object_element (streams, i);
    JsonObject *totals = get_object (stream, "totals");

    for (guint t = 0; t < G_N_ELEMENTS (types); t++) {
      g_autofree gchar *member = g_strconcat (types[t], "_received", NULL);
      gdouble value;

      if (get_number (totals, member, &value))
        sample (out, name, value, "stream",
            json_object_get_string_member_with_default (stream, "name", ""),
            "type", types[t], NULL);
    }
  }
}

/* A histogram per stream from totals.@member: {"le": [...], "counts":
 * [cumulative, ..., total], "sum", "count"}. */
static void
histogram_family (GString * out, JsonArray * streams, const gchar * name,
    const gchar * help, const gchar * member)
{
  g_autofree gchar *bucket = g_strconcat (name, "_bucket", NULL);
  g_autofree gchar *sum = g_strconcat (name, "_sum", NULL);
  g_autofree gchar *count = g_strconcat (name, "_count", NULL);
  gboolean any = FALSE;

  for (guint i = 0; streams && i < json_array_get_length (streams); i++) {
    JsonObject *stream = json_array_get_object_element (streams, i);
    const gchar *stream_name = json_object_get_string_member_with_default
        (stream, "name", "");
    JsonObject *h = get_object (get_object (stream, "totals"), member);
    JsonNode *le = h ? json_object_get_member (h, "le") : NULL;
    JsonNode *counts = h ? json_object_get_member (h, "counts") : NULL;
    JsonArray *bounds, *cumulative;
    gdouble value;

    if (le == NULL || counts == NULL || !JSON_NODE_HOLDS_ARRAY (le) ||
        !JSON_NODE_HOLDS_ARRAY (counts))
      continue;
    bounds = json_node_get_array (le);
    cumulative = json_node_get_array (counts);
    if (json_array_get_length (cumulative) != json_array_get_length (bounds) +
        1)
      continue;
    if (!any)
      family (out, name, "histogram", help);
    any = TRUE;
    for (guint b = 0; b < json_array_get_length (cumulative); b++) {
      gchar bound[G_ASCII_DTOSTR_BUF_SIZE] = "+Inf";

      if (b < json_array_get_length (bounds))
        g_ascii_formatd (bound, sizeof bound, "%g",
            json_array_get_double_element (bounds, b));
      sample (out, bucket, json_array_get_int_element (cumulative, b),
          "stream", stream_name, "le", bound, NULL);
    }
    if (get_number (h, "sum", &value))
      sample (out, sum, value, "stream", stream_name, NULL);
    if (get_number (h, "count", &value))
      sample (out, count, value, "stream", stream_name, NULL);
  }
}

static void
render_status (GString * out, JsonNode * status)
{
  JsonObject *root = status && JSON_NODE_HOLDS_OBJECT (status) ?
      json_node_get_object (status) : NULL;
  JsonNode *streams_node = root && json_object_has_member (root, "streams") ?
      json_object_get_member (root, "streams") : NULL;
  JsonArray *streams = streams_node && JSON_NODE_HOLDS_ARRAY (streams_node) ?
      json_node_get_array (streams_node) : NULL;
  gdouble value;

  family (out, PREFIX "info", "gauge", "The daemon's version.");
  sample (out, PREFIX "info", 1, "version", PACKAGE_VERSION, NULL);
  if (get_number (root, "max_viewers", &value)) {
    family (out, PREFIX "max_viewers", "gauge",
        "Viewers the robot serves at most, over all streams.");
    sample (out, PREFIX "max_viewers", value, NULL);
  }
  if (get_number (root, "sessions", &value)) {
    family (out, PREFIX "sessions", "gauge",
        "Sessions open or being answered, over all streams.");
    sample (out, PREFIX "sessions", value, NULL);
  }

  stream_family (out, streams, PREFIX "viewers", "gauge",
      "Viewers of the stream, connected or connecting.", NULL, "viewers");
  stream_family (out, streams, PREFIX "stream_max_viewers", "gauge",
      "Viewers the stream serves at most.", NULL, "max_viewers");
  stream_family (out, streams, PREFIX "stream_framerate", "gauge",
      "Frames per second the stream sends (0: not known yet).", NULL,
      "framerate");
  stream_family_scaled (out, streams, PREFIX
      "encoder_target_bytes_per_second", "gauge", "The video encoder's "
      "target rate (bitrate / 8; absent with a configured pipeline).", NULL,
      "bitrate", 1 / 8.0);
  stream_family_scaled (out, streams, PREFIX
      "rate_target_bytes_per_second", "gauge", "The shared encoder's target "
      "as rate control sets it from the viewers' estimates (bytes/s).",
      "rate_control", "target", 1 / 8.0);
  layer_family (out, streams, PREFIX "layer_sent_bytes_per_second", "gauge",
      "What each layer (full, low) encodes now, bytes/s.", "bitrate", 1 / 8.0);
  layer_family (out, streams, PREFIX "layer_viewers", "gauge",
      "Viewers receiving each layer (full, low).", "viewers", 1);
  source_family (out, streams, PREFIX "source_up", "gauge",
      "1 while the source plays its own media, 0 while it is lost (the "
      "slate or silence is sent) or the stream restarts.", NULL);
  source_family (out, streams, PREFIX "source_frames_total", "counter",
      "Encoded video frames (Opus packets for audio) sent to the viewers' "
      "branches, the slate's or silence's included.", "frames");
  source_family (out, streams, PREFIX "source_losses_total", "counter",
      "Times the source was lost.", "losses");
  source_family (out, streams, PREFIX "source_retries_total", "counter",
      "Times a lost source was tried again.", "retries");
  stream_family (out, streams, PREFIX "stream_restarts_total", "counter",
      "Times the stream's pipeline was restarted after an error.", "source",
      "restarts");
  stream_family (out, streams, PREFIX "sessions_opened_total", "counter",
      "Sessions answered.", "totals", "sessions_opened");
  closed_family (out, streams);
  stream_family (out, streams, PREFIX "sent_bytes_total", "counter",
      "RTP bytes sent to viewers (before SRTP), audio included.", "totals",
      "bytes_sent");
  stream_family (out, streams, PREFIX "sent_frames_total", "counter",
      "Video frames sent, counted once for each viewer they went to.",
      "totals", "frames_sent");
  feedback_family (out, streams);
  stream_family (out, streams, PREFIX "keyframe_requests_total", "counter",
      "Keyframe requests from viewers (their PLI and FIR, and joins).",
      "totals", "keyframe_requests");
  stream_family (out, streams, PREFIX "keyframes_forced_total", "counter",
      "Keyframes asked of the encoder, requests merged and rate-limited.",
      "totals", "keyframes_forced");
  stream_family (out, streams, PREFIX "joins_from_cache_total", "counter",
      "Viewers that started with the frames cached since the last "
      "keyframe, without a keyframe forced.", "totals", "joins_from_cache");
  histogram_family (out, streams, PREFIX "first_frame_seconds",
      "From a viewer's offer to the first keyframe sent to it once "
      "connected.", "first_frame_seconds");
  histogram_family (out, streams, PREFIX "capture_to_send_seconds",
      "From a frame's capture to its first packet out of a viewer's "
      "payloader, per viewer and frame.", "capture_to_send_seconds");
  publish_family (out, streams, PREFIX "publish_up", "gauge",
      "1 while the [publish NAME] upload to its WHIP endpoint is live.", NULL);
  publish_family (out, streams, PREFIX "publish_failures_total", "counter",
      "Failed attempts of the [publish NAME] upload (each is retried).",
      "failures");
  stream_family (out, streams, PREFIX "turn_viewers_with_relay_total",
      "counter", "Viewers for whom the TURN server gave a relay candidate.",
      "turn", "viewers_with_relay");
  stream_family (out, streams, PREFIX "turn_viewers_without_relay_total",
      "counter", "Viewers for whom the TURN server gave no relay candidate.",
      "turn", "viewers_without_relay");
}

static gint
compare_keys (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar **) a, *(const gchar **) b);
}

static void
render_requests (RwMetrics * self, GString * out)
{
  g_autofree gpointer *keys = NULL;
  guint n;

  family (out, PREFIX "http_requests_total", "counter",
      "HTTP requests answered, by route, method and status code.");
  keys = g_hash_table_get_keys_as_array (self->requests, &n);
  qsort (keys, n, sizeof (gpointer), compare_keys);
  for (guint i = 0; i < n; i++) {
    g_auto (GStrv) parts = g_strsplit (keys[i], "\t", 3);
    guint64 *count = g_hash_table_lookup (self->requests, keys[i]);

    sample (out, PREFIX "http_requests_total", (gdouble) * count, "route",
        parts[0], "method", parts[1], "code", parts[2], NULL);
  }
}

static void
render_refusals (RwMetrics * self, GString * out)
{
  g_autofree gpointer *keys = NULL;
  guint n;

  family (out, PREFIX "tokens_refused_total", "counter",
      "Requests refused for their token, by reason (missing, malformed, "
      "expired, booking_over, not_yet_valid, wrong_robot, bad_signature, "
      "revoked, invalid, scope).");
  keys = g_hash_table_get_keys_as_array (self->refusals, &n);
  qsort (keys, n, sizeof (gpointer), compare_keys);
  for (guint i = 0; i < n; i++)
    sample (out, PREFIX "tokens_refused_total", (gdouble) *
        (guint64 *) g_hash_table_lookup (self->refusals, keys[i]), "reason",
        keys[i], NULL);
}

/* The process's own, from /proc/self (Linux). */
static void
render_process (GString * out)
{
  g_autofree gchar *stat = NULL, *proc_stat = NULL;
  g_auto (GStrv) fields = NULL;
  gdouble ticks = sysconf (_SC_CLK_TCK), page = sysconf (_SC_PAGESIZE);
  const gchar *after_name;
  struct rlimit limit;
  GDir *dir;
  guint fds = 0;

  if (g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) &&
      (after_name = strrchr (stat, ')')) != NULL && ticks > 0)
    fields = g_strsplit (after_name + 2, " ", 0);
  /* after "pid (comm) ": state is field 3, so field N is fields[N - 3] */
  if (fields && g_strv_length (fields) > 21) {
    gdouble cpu = (g_ascii_strtod (fields[11], NULL) +
        g_ascii_strtod (fields[12], NULL)) / ticks;
    gdouble start = g_ascii_strtod (fields[19], NULL) / ticks;
    const gchar *btime;

    family (out, "process_cpu_seconds_total", "counter",
        "User and system CPU time spent in seconds.");
    sample (out, "process_cpu_seconds_total", cpu, NULL);
    if (g_file_get_contents ("/proc/stat", &proc_stat, NULL, NULL) &&
        (btime = strstr (proc_stat, "\nbtime ")) != NULL) {
      family (out, "process_start_time_seconds", "gauge",
          "Start time of the process since the Unix epoch in seconds.");
      sample (out, "process_start_time_seconds",
          g_ascii_strtod (btime + 7, NULL) + start, NULL);
    }
    family (out, "process_virtual_memory_bytes", "gauge",
        "Virtual memory size in bytes.");
    sample (out, "process_virtual_memory_bytes",
        g_ascii_strtod (fields[20], NULL), NULL);
    family (out, "process_resident_memory_bytes", "gauge",
        "Resident memory size in bytes.");
    sample (out, "process_resident_memory_bytes",
        g_ascii_strtod (fields[21], NULL) * page, NULL);
    family (out, PREFIX "process_threads", "gauge", "Threads of the process.");
    sample (out, PREFIX "process_threads", g_ascii_strtod (fields[17], NULL),
        NULL);
  }

  dir = g_dir_open ("/proc/self/fd", 0, NULL);
  if (dir) {
    while (g_dir_read_name (dir))
      fds++;
    g_dir_close (dir);
    /* the directory's own descriptor is not the process's */
    family (out, "process_open_fds", "gauge",
        "Number of open file descriptors.");
    sample (out, "process_open_fds", fds > 0 ? fds - 1 : 0, NULL);
  }
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    family (out, "process_max_fds", "gauge",
        "Maximum number of open file descriptors.");
    sample (out, "process_max_fds", limit.rlim_cur, NULL);
  }
}

/**
 * rw_metrics_render:
 * @self: the HTTP counters
 * @status: (nullable): what `GET /status` would answer now
 *
 * Returns: (transfer full): the exposition, text format 0.0.4
 */
gchar *
rw_metrics_render (RwMetrics * self, JsonNode * status)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  render_status (out, status);
  render_requests (self, out);
  render_refusals (self, out);
  render_process (out);
  return g_string_free (out, FALSE);
}

/* --- who may read them --- */

/**
 * rw_metrics_parse_allow:
 * @entries: (nullable): addresses and networks (`10.0.0.0/8`, `fd00::/8`,
 *   `192.0.2.7`) besides loopback
 * @masks: (out) (transfer full) (element-type GInetAddressMask): them
 * @error: which entry is not one
 *
 * Returns: %FALSE if an entry is neither an address nor a network.
 */
gboolean
rw_metrics_parse_allow (const gchar * const *entries, GPtrArray ** masks,
    GError ** error)
{
  g_autoptr (GPtrArray) parsed = g_ptr_array_new_with_free_func
      (g_object_unref);

  for (guint i = 0; entries && entries[i]; i++) {
    GInetAddressMask *mask = g_inet_address_mask_new_from_string (entries[i],
        NULL);

    if (mask == NULL) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "metrics-allow must be IP addresses or networks like 10.0.0.0/8, "
          "got '%s'", entries[i]);
      return FALSE;
    }
    g_ptr_array_add (parsed, mask);
  }
  *masks = g_steal_pointer (&parsed);
  return TRUE;
}

/**
 * rw_metrics_client_allowed:
 * @masks: (nullable) (element-type GInetAddressMask): from
 *   rw_metrics_parse_allow()
 * @client: (nullable): the client's address
 *
 * Returns: %TRUE for loopback clients and those in @masks (an IPv4 client
 * on a dual-stack socket as its IPv4 address).
 */
gboolean
rw_metrics_client_allowed (GPtrArray * masks, GInetAddress * client)
{
  g_autoptr (GInetAddress) v4 = NULL;

  if (client == NULL)
    return FALSE;
  if (g_inet_address_get_family (client) == G_SOCKET_FAMILY_IPV6) {
    const guint8 *bytes = g_inet_address_to_bytes (client);
    static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
      0xff
    };

    if (memcmp (bytes, mapped, sizeof mapped) == 0) {
      v4 = g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);
      client = v4;
    }
  }
  if (g_inet_address_get_is_loopback (client))
    return TRUE;
  for (guint i = 0; masks && i < masks->len; i++) {
    if (g_inet_address_mask_matches (g_ptr_array_index (masks, i), client))
      return TRUE;
  }
  return FALSE;
}

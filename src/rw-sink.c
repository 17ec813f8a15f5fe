/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-robotwebrtcsink
 * @title: robotwebrtcsink
 * @short_description: serves one encoded video stream to many WebRTC viewers
 *
 * robotwebrtcsink takes encoded video (VP8, or H264 byte-stream with
 * access-unit alignment) and sends it to every viewer through a shared
 * `tee`: each viewer is a branch `queue ! payloader ! webrtcbin` with the
 * payload type the viewer offered, added and removed while the pipeline
 * plays. Nothing is encoded per viewer.
 *
 * With #RwSink:port set, the element runs the robot lab's HTTP signaling
 * (`POST /offer`, `POST /ice-candidate`, `DELETE /peers/{id}`,
 * `GET /status`) and a viewer page at `/` on a thread of its own, so a
 * launch line alone serves browsers:
 *
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! vp8enc deadline=1 ! robotwebrtcsink port=8080
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! \
 *     video/x-h264,profile=constrained-baseline ! robotwebrtcsink port=8080 ice-addresses=127.0.0.1
 * ]|
 *
 * With port 0 an application (the robot-webrtc-server daemon) drives the
 * viewers itself on its main context.
 *
 * Viewers' keyframe requests reach the encoder merged, at most one per
 * #RwSink:keyframe-min-interval; a keyframe is forced when a viewer
 * connects. A viewer is removed when it hangs up, its connection fails or
 * closes, its RTCP stops for 5 s, or it does not connect within
 * #RwSink:handshake-timeout (15 s). A
 * viewer's error never reaches the pipeline's bus: it only removes that
 * viewer.
 */

#include "rw-sink.h"
#include "rw-config.h"
#include "rw-error.h"
#include "rw-http-server.h"
#include "rw-private.h"
#include "rw-sdp.h"

#include <gst/video/video.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rw_sink_debug);
#define GST_CAT_DEFAULT rw_sink_debug

#define DEFAULT_KEYFRAME_MIN_INTERVAL 500       /* ms */
#define LIVENESS_INTERVAL_MS 1000
#define STOP_TIMEOUT_US (2 * G_TIME_SPAN_SECOND)

typedef struct
{
  RwSink *sink;
  GMainContext *context;        /* the sink's, when the branch was made */
  RwViewer *viewer;
  GstPad *tee_pad;
  gint64 created;               /* monotonic, for the handshake timeout */
} Branch;

struct _RwSink
{
  GstBin parent;

  GstElement *tee;
  GstPad *tee_sink;

  /* Settings: properties, changed only in NULL and READY. */
  RwConfig *config;
  guint keyframe_min_interval;

  /* The context viewers live on: the server thread's own with a port,
   * the creating thread's default otherwise. Set in NULL->READY. */
  GMainContext *context;
  GThread *server_thread;
  GMainLoop *server_loop;
  RwHttpServer *http;

  /* on the context only */
  GHashTable *branches;         /* id -> Branch, the live viewers */
  guint n_closing;              /* branches still being torn down */
  GSource *liveness;

  /* GST_OBJECT_LOCK protects the fields below */
  gboolean have_codec;
  RwCodec codec;
  gint width, height, fps_n, fps_d;

  GMutex keyframe_lock;         /* protects the two fields below */
  gint64 last_keyframe;         /* monotonic */
  GSource *keyframe_timer;
};

enum
{
  PROP_0,
  PROP_PORT,
  PROP_BIND_ADDRESS,
  PROP_ALLOWED_ORIGINS,
  PROP_MAX_VIEWERS,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_ICE_ADDRESSES,
  PROP_KEYFRAME_MIN_INTERVAL,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_MIN_RTP_PORT,
  PROP_MAX_RTP_PORT,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_KEY,
  PROP_AUTH_SECRET_FILE,
  PROP_ROBOT_ID,
  PROP_RATE_LIMIT,
  PROP_VIEWERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_VIEWER_ADDED,
  SIGNAL_VIEWER_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-vp8; "
        "video/x-h264, stream-format=(string)byte-stream, "
        "alignment=(string)au"));

G_DEFINE_FINAL_TYPE (RwSink, rw_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (robotwebrtcsink, "robotwebrtcsink",
    GST_RANK_NONE, RW_TYPE_SINK);

static void stop_serving (RwSink * self);

/* --- keyframes --- */

static gboolean
send_deferred_keyframe (gpointer user_data)
{
  RwSink *self = user_data;

  g_mutex_lock (&self->keyframe_lock);
  g_clear_pointer (&self->keyframe_timer, g_source_unref);
  g_mutex_unlock (&self->keyframe_lock);

  rw_sink_request_keyframe (self);
  return G_SOURCE_REMOVE;
}

/* Streaming threads: every viewer's PLI arrives here on its way to the
 * encoder. One passes per interval; the rest become one deferred request. */
static GstPadProbeReturn
limit_keyframe_requests (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  RwSink *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gint64 now, wait;

  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;

  now = g_get_monotonic_time ();
  g_mutex_lock (&self->keyframe_lock);
  wait = self->last_keyframe + self->keyframe_min_interval * 1000 - now;
  if (wait <= 0) {
    self->last_keyframe = now;
    g_mutex_unlock (&self->keyframe_lock);
    GST_DEBUG_OBJECT (self, "keyframe requested");
    return GST_PAD_PROBE_OK;
  }
  if (self->keyframe_timer == NULL && self->context) {
    self->keyframe_timer = g_timeout_source_new (wait / 1000 + 1);
    g_source_set_callback (self->keyframe_timer, send_deferred_keyframe,
        gst_object_ref (self), gst_object_unref);
    g_source_attach (self->keyframe_timer, self->context);
  }
  g_mutex_unlock (&self->keyframe_lock);
  GST_LOG_OBJECT (self, "keyframe request merged into the next one");
  return GST_PAD_PROBE_DROP;
}

/**
 * rw_sink_request_keyframe:
 * @self: a sink
 *
 * Asks the encoder upstream for a keyframe, within the rate limit.
 */
void
rw_sink_request_keyframe (RwSink * self)
{
  gst_pad_push_event (self->tee_sink,
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
          0));
}

static GstPadProbeReturn
watch_stream (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwSink *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s;
  const gchar *name;
  GstCaps *caps;

  /* The viewers' inner sinks come and go: the element's EOS is its input's
   * EOS, not theirs (see rw_sink_handle_message). */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    GST_INFO_OBJECT (self, "end of stream");
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_eos (GST_OBJECT (self)));
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;

  gst_event_parse_caps (event, &caps);
  s = gst_caps_get_structure (caps, 0);
  name = gst_structure_get_name (s);
  GST_OBJECT_LOCK (self);
  self->have_codec = TRUE;
  self->codec = g_str_equal (name, "video/x-h264") ? RW_CODEC_H264 :
      RW_CODEC_VP8;
  self->width = self->height = self->fps_n = 0;
  self->fps_d = 1;
  gst_structure_get_int (s, "width", &self->width);
  gst_structure_get_int (s, "height", &self->height);
  gst_structure_get_fraction (s, "framerate", &self->fps_n, &self->fps_d);
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "serving %" GST_PTR_FORMAT, caps);
  return GST_PAD_PROBE_OK;
}

static gboolean
get_codec (RwSink * self, RwCodec * codec)
{
  gboolean have;

  GST_OBJECT_LOCK (self);
  have = self->have_codec;
  *codec = self->codec;
  GST_OBJECT_UNLOCK (self);
  return have;
}

/* --- viewers --- */

static void
branch_free (Branch * branch)
{
  g_clear_object (&branch->viewer);
  gst_clear_object (&branch->tee_pad);
  gst_object_unref (branch->sink);
  g_main_context_unref (branch->context);
  g_free (branch);
}

static gboolean
branch_torn_down (gpointer user_data)
{
  Branch *branch = user_data;

  branch->sink->n_closing--;
  GST_DEBUG_OBJECT (branch->sink, "viewer %s torn down",
      rw_viewer_get_id (branch->viewer));
  return G_SOURCE_REMOVE;
}

/* A task-pool thread: webrtcbin may take a while to stop its transports. */
static void
teardown_bin (GstElement * bin, gpointer user_data)
{
  Branch *branch = user_data;

  gst_element_set_state (bin, GST_STATE_NULL);
  rw_invoke_later (branch->context, branch_torn_down, branch,
      (GDestroyNotify) branch_free);
}

static gboolean
release_branch (gpointer user_data)
{
  Branch *branch = user_data;
  RwSink *self = branch->sink;
  GstElement *bin = rw_viewer_get_bin (branch->viewer);

  gst_element_release_request_pad (self->tee, branch->tee_pad);
  gst_clear_object (&branch->tee_pad);

  gst_element_set_locked_state (bin, TRUE);
  if (GST_OBJECT_PARENT (bin) == GST_OBJECT (self))
    gst_bin_remove (GST_BIN (self), bin);
  gst_element_call_async (bin, teardown_bin, branch, NULL);
  return G_SOURCE_REMOVE;
}

/* Any thread, once the tee is not pushing into the branch. */
static GstPadProbeReturn
unlink_branch (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Branch *branch = user_data;
  GstPad *peer = gst_pad_get_peer (pad);

  if (peer) {
    gst_pad_unlink (pad, peer);
    gst_object_unref (peer);
  }
  rw_invoke_later (branch->context, release_branch, branch, NULL);
  return GST_PAD_PROBE_REMOVE;
}

static void
drop_branch (RwSink * self, Branch * branch)
{
  g_signal_handlers_disconnect_by_data (branch->viewer, self);
  rw_viewer_close (branch->viewer);
  self->n_closing++;
  gst_pad_add_probe (branch->tee_pad, GST_PAD_PROBE_TYPE_IDLE, unlink_branch,
      branch, NULL);
}

/**
 * rw_sink_remove_viewer:
 * @self: a sink
 * @id: the viewer's session id
 * @reason: why, for the log
 *
 * Removes a viewer without disturbing the others. Call on the sink's
 * context.
 *
 * Returns: %FALSE if there is no such viewer.
 */
gboolean
rw_sink_remove_viewer (RwSink * self, const gchar * id, const gchar * reason)
{
  Branch *branch = g_hash_table_lookup (self->branches, id);
  g_autofree gchar *viewer_id = NULL;

  if (branch == NULL)
    return FALSE;

  viewer_id = g_strdup (id);
  g_hash_table_remove (self->branches, viewer_id);
  g_message ("viewer %s removed: %s (%u left)", viewer_id, reason,
      g_hash_table_size (self->branches));
  drop_branch (self, branch);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEWERS]);
  g_signal_emit (self, signals[SIGNAL_VIEWER_REMOVED], 0, viewer_id, reason);
  return TRUE;
}

static void
on_viewer_connected (RwViewer * viewer, gpointer user_data)
{
  RwSink *self = user_data;

  g_message ("viewer %s connected", rw_viewer_get_id (viewer));
  /* A keyframe now, not at join time: DTLS was not up then. */
  rw_sink_request_keyframe (self);
}

static void
on_viewer_closed (RwViewer * viewer, const gchar * reason, gpointer user_data)
{
  RwSink *self = user_data;

  rw_sink_remove_viewer (self, rw_viewer_get_id (viewer), reason);
}

/**
 * rw_sink_add_viewer:
 * @self: a sink in PLAYING
 * @offer: the viewer's checked offer; candidates the sink would not use
 *   are removed from it
 * @error: why no viewer could be added
 *
 * Picks the payload type the viewer offered for the stream's codec and adds
 * a viewer branch to the tee. The viewer still has to be negotiated with
 * rw_viewer_negotiate_async(). Call on the sink's context.
 *
 * Returns: (transfer none) (nullable): the new viewer, owned by the sink.
 */
RwViewer *
rw_sink_add_viewer (RwSink * self, GstSDPMessage * offer, GError ** error)
{
  g_auto (RwCodecMatch) match = { 0 };
  g_autofree gchar *id = NULL;
  g_autoptr (GstPad) sink = NULL;
  RwViewer *viewer;
  GstElement *bin;
  Branch *branch;
  RwConfig settings;
  RwCodec codec;
  guint dropped;

  if (self->context == NULL || !get_codec (self, &codec)) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the video stream has not started yet");
    return NULL;
  }
  if (g_hash_table_size (self->branches) >= self->config->max_viewers) {
    g_set_error (error, RW_ERROR, RW_ERROR_FULL,
        "already serving %u viewers (max-viewers)", self->config->max_viewers);
    return NULL;
  }

  dropped = rw_sdp_filter_candidates (offer,
      (const gchar * const *) self->config->ice_addresses);
  if (dropped)
    GST_DEBUG_OBJECT (self, "ignored %u of the offer's candidates", dropped);
  if (!rw_sdp_match_codec (offer, codec, &match, error))
    return NULL;

  id = g_uuid_string_random ();
  settings = *self->config;
  settings.codec = codec;
  viewer = rw_viewer_new (id, &settings, &match, error);
  if (viewer == NULL)
    return NULL;

  bin = rw_viewer_get_bin (viewer);
  gst_bin_add (GST_BIN (self), bin);

  branch = g_new0 (Branch, 1);
  branch->sink = gst_object_ref (self);
  branch->context = g_main_context_ref (self->context);
  branch->viewer = viewer;
  branch->created = g_get_monotonic_time ();
  branch->tee_pad = gst_element_request_pad_simple (self->tee, "src_%u");
  sink = gst_element_get_static_pad (bin, "sink");

  if (!gst_element_sync_state_with_parent (bin) ||
      gst_pad_link (branch->tee_pad, sink) != GST_PAD_LINK_OK) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "could not start the viewer's branch");
    self->n_closing++;
    gst_pad_add_probe (branch->tee_pad, GST_PAD_PROBE_TYPE_IDLE,
        unlink_branch, branch, NULL);
    return NULL;
  }

  g_signal_connect (viewer, "connected", G_CALLBACK (on_viewer_connected),
      self);
  g_signal_connect (viewer, "closed", G_CALLBACK (on_viewer_closed), self);
  g_hash_table_insert (self->branches, (gchar *) rw_viewer_get_id (viewer),
      branch);
  g_message ("viewer %s joined (%u viewers)", id,
      g_hash_table_size (self->branches));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEWERS]);
  g_signal_emit (self, signals[SIGNAL_VIEWER_ADDED], 0, id);
  return viewer;
}

/**
 * rw_sink_add_candidate:
 * @self: a sink
 * @id: the viewer's session id
 * @mline: the candidate's m-line index
 * @candidate: (nullable): a candidate line; %NULL or "" for end of
 *   candidates
 * @ignored: (out) (transfer none): why the candidate was skipped, or %NULL
 * @error: an unknown viewer (%RW_ERROR_NOT_FOUND) or a line that does not
 *   parse (%RW_ERROR_BAD_REQUEST)
 *
 * Adds one of a viewer's trickled candidates. Call on the sink's context.
 *
 * Returns: %FALSE with @error set on failure.
 */
gboolean
rw_sink_add_candidate (RwSink * self, const gchar * id, guint mline,
    const gchar * candidate, const gchar ** ignored, GError ** error)
{
  Branch *branch = g_hash_table_lookup (self->branches, id);

  *ignored = NULL;
  if (branch == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_NOT_FOUND,
        "no session with peer_id '%s'", id);
    return FALSE;
  }

  if (candidate == NULL || candidate[0] == '\0') {
    GST_DEBUG_OBJECT (self, "viewer %s: end of candidates", id);
    return TRUE;
  }

  if (!rw_sdp_candidate_acceptable (candidate,
          (const gchar * const *) self->config->ice_addresses, ignored, error))
    return FALSE;
  if (*ignored) {
    GST_DEBUG_OBJECT (self, "viewer %s: ignoring candidate: %s", id, *ignored);
    return TRUE;
  }

  rw_viewer_add_candidate (branch->viewer, mline, candidate);
  return TRUE;
}

/**
 * rw_sink_get_n_viewers:
 * @self: a sink
 *
 * Returns: the number of live viewers.
 */
guint
rw_sink_get_n_viewers (RwSink * self)
{
  return g_hash_table_size (self->branches);
}

/**
 * rw_sink_get_n_branches:
 * @self: a sink
 *
 * Returns: how many pads the tee has: live viewers and viewers still being
 * torn down.
 */
guint
rw_sink_get_n_branches (RwSink * self)
{
  gint n = 0;

  g_object_get (self->tee, "num-src-pads", &n, NULL);
  return (guint) n;
}

/**
 * rw_sink_is_streaming:
 * @self: a sink
 *
 * Returns: %TRUE once the encoded stream's caps have arrived.
 */
gboolean
rw_sink_is_streaming (RwSink * self)
{
  RwCodec codec;

  return get_codec (self, &codec);
}

/* Why a viewer must go, or NULL. The handshake timeout is the sink's
 * setting; once connected, the viewer itself knows when its RTCP stopped. */
static gchar *
branch_stale_reason (RwSink * self, Branch * branch, gint64 now)
{
  RwViewerState state = rw_viewer_get_state (branch->viewer);
  guint timeout = self->config->handshake_timeout;

  if (state == RW_VIEWER_NEGOTIATING || state == RW_VIEWER_CONNECTING) {
    if (now - branch->created > (gint64) timeout * G_USEC_PER_SEC)
      return g_strdup_printf ("it did not connect within %u s "
          "(handshake-timeout)", timeout);
    return NULL;
  }
  return g_strdup (rw_viewer_check_liveness (branch->viewer, now));
}

static gboolean
check_liveness (gpointer user_data)
{
  RwSink *self = user_data;
  g_autoptr (GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Branch *branch;

  g_hash_table_iter_init (&iter, self->branches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & branch)) {
    gchar *reason = branch_stale_reason (self, branch, now);

    if (reason) {
      g_ptr_array_add (stale, g_strdup (rw_viewer_get_id (branch->viewer)));
      g_ptr_array_add (reasons, reason);
    }
  }

  for (guint i = 0; i < stale->len; i++)
    rw_sink_remove_viewer (self, stale->pdata[i], reasons->pdata[i]);
  return G_SOURCE_CONTINUE;
}

/* --- status --- */

/* The RTP clock as CLOCK_MONOTONIC capture times (GStreamer's system clock
 * is monotonic): a receiver on the same machine measures capture-to-arrival
 * latency with it. */
static void
add_rtp_clock (RwSink * self, JsonBuilder * builder, RwViewer * viewer)
{
  GstClock *clock = GST_ELEMENT_CLOCK (self);
  GstClockTime running_time;
  guint ssrc, clock_rate, timestamp;

  if (clock == NULL || !GST_IS_SYSTEM_CLOCK (clock) ||
      !rw_viewer_get_rtp_clock (viewer, &ssrc, &clock_rate, &timestamp,
          &running_time))
    return;

  json_builder_set_member_name (builder, "rtp");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ssrc");
  json_builder_add_int_value (builder, ssrc);
  json_builder_set_member_name (builder, "clock_rate");
  json_builder_add_int_value (builder, clock_rate);
  json_builder_set_member_name (builder, "timestamp");
  json_builder_add_int_value (builder, timestamp);
  json_builder_set_member_name (builder, "capture_monotonic_ns");
  json_builder_add_int_value (builder,
      gst_element_get_base_time (GST_ELEMENT (self)) + running_time);
  json_builder_end_object (builder);
}

static void
add_viewer_status (RwSink * self, JsonBuilder * builder, RwViewer * viewer)
{
  gint64 since = rw_viewer_get_connected_since (viewer);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "peer_id");
  json_builder_add_string_value (builder, rw_viewer_get_id (viewer));
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder,
      rw_viewer_state_to_string (rw_viewer_get_state (viewer)));
  json_builder_set_member_name (builder, "connected_since");
  if (since) {
    g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (since /
        G_USEC_PER_SEC);
    g_autofree gchar *iso = g_date_time_format_iso8601 (dt);

    json_builder_add_string_value (builder, iso);
  } else {
    json_builder_add_null_value (builder);
  }
  json_builder_set_member_name (builder, "bytes_sent");
  json_builder_add_int_value (builder, rw_viewer_get_bytes_sent (viewer));
  add_rtp_clock (self, builder, viewer);
  json_builder_end_object (builder);
}

/**
 * rw_sink_add_status:
 * @self: a sink
 * @builder: a builder inside an object
 *
 * Adds the sink's members of `GET /status`: the stream's codec, width,
 * height and framerate as its caps say, max_viewers, viewers, branches and
 * peers. Call on the sink's context.
 */
void
rw_sink_add_status (RwSink * self, JsonBuilder * builder)
{
  GHashTableIter iter;
  Branch *branch;
  RwCodec codec;

  gint width, height, fps_n, fps_d;
  gboolean streaming;

  GST_OBJECT_LOCK (self);
  streaming = self->have_codec;
  codec = self->codec;
  width = self->width;
  height = self->height;
  fps_n = self->fps_n;
  fps_d = MAX (self->fps_d, 1);
  GST_OBJECT_UNLOCK (self);

  json_builder_set_member_name (builder, "codec");
  if (streaming)
    json_builder_add_string_value (builder, rw_codec_to_string (codec));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, width);
  json_builder_set_member_name (builder, "height");
  json_builder_add_int_value (builder, height);
  json_builder_set_member_name (builder, "framerate");
  if (fps_d == 1)
    json_builder_add_int_value (builder, fps_n);
  else
    json_builder_add_double_value (builder, (gdouble) fps_n / fps_d);
  json_builder_set_member_name (builder, "max_viewers");
  json_builder_add_int_value (builder, self->config->max_viewers);
  json_builder_set_member_name (builder, "viewers");
  json_builder_add_int_value (builder, g_hash_table_size (self->branches));
  json_builder_set_member_name (builder, "branches");
  json_builder_add_int_value (builder, rw_sink_get_n_branches (self));

  json_builder_set_member_name (builder, "peers");
  json_builder_begin_array (builder);
  g_hash_table_iter_init (&iter, self->branches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & branch))
    add_viewer_status (self, builder, branch->viewer);
  json_builder_end_array (builder);
}

/* --- serving --- */

static gpointer
run_server (gpointer user_data)
{
  RwSink *self = user_data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->server_loop);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static gboolean
start_serving (RwSink * self, GError ** error)
{
  g_autoptr (GError) listen_error = NULL;

  g_return_val_if_fail (self->context == NULL, FALSE);

  if (self->config->port == 0) {
    self->context = g_main_context_ref_thread_default ();
  } else {
    GSList *uris;

    self->context = g_main_context_new ();
    g_main_context_push_thread_default (self->context);
    self->http = rw_http_server_new (self->config, self);
    if (!rw_http_server_listen (self->http, &listen_error)) {
      g_main_context_pop_thread_default (self->context);
      g_clear_object (&self->http);
      g_clear_pointer (&self->context, g_main_context_unref);
      g_propagate_error (error, g_steal_pointer (&listen_error));
      return FALSE;
    }
    g_main_context_pop_thread_default (self->context);

    uris = rw_http_server_get_uris (self->http);
    for (GSList * l = uris; l; l = l->next) {
      g_autofree gchar *uri = g_uri_to_string (l->data);

      g_print ("robotwebrtcsink: listening on %s\n", uri);
    }
    g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

    self->server_loop = g_main_loop_new (self->context, FALSE);
    self->server_thread = g_thread_new ("rw-signaling", run_server, self);
  }

  self->liveness = g_timeout_source_new (LIVENESS_INTERVAL_MS);
  g_source_set_callback (self->liveness, check_liveness, self, NULL);
  g_source_set_static_name (self->liveness, "rw-viewer-liveness");
  g_source_attach (self->liveness, self->context);
  return TRUE;
}

static gboolean
stop_waiting (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* After this, nothing but the caller touches the viewer table. */
static void
stop_server_thread (RwSink * self)
{
  if (self->server_thread == NULL)
    return;

  g_main_loop_quit (self->server_loop);
  g_thread_join (g_steal_pointer (&self->server_thread));
  g_clear_pointer (&self->server_loop, g_main_loop_unref);
}

/* Closes every viewer and stops the server. Its thread is joined first, so
 * that the context can be iterated here to finish the teardowns. */
static void
stop_serving (RwSink * self)
{
  gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_US;
  GHashTableIter iter;
  Branch *branch;

  if (self->context == NULL)
    return;

  stop_server_thread (self);
  g_main_context_push_thread_default (self->context);

  if (self->http)
    rw_http_server_stop (self->http);
  if (self->liveness) {
    g_source_destroy (self->liveness);
    g_clear_pointer (&self->liveness, g_source_unref);
  }

  g_hash_table_iter_init (&iter, self->branches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & branch)) {
    g_hash_table_iter_steal (&iter);
    drop_branch (self, branch);
  }

  while (self->n_closing > 0 && g_get_monotonic_time () < deadline) {
    GSource *tick = g_timeout_source_new (10);

    g_source_set_callback (tick, stop_waiting, NULL, NULL);
    g_source_attach (tick, self->context);
    g_main_context_iteration (self->context, TRUE);
    g_source_destroy (tick);
    g_source_unref (tick);
  }
  if (self->n_closing > 0)
    GST_WARNING_OBJECT (self, "%u viewers still closing", self->n_closing);
  /* let the HTTP server answer what was cancelled, then close it */
  while (g_main_context_iteration (self->context, FALSE));
  g_clear_object (&self->http);

  g_mutex_lock (&self->keyframe_lock);
  if (self->keyframe_timer) {
    g_source_destroy (self->keyframe_timer);
    g_clear_pointer (&self->keyframe_timer, g_source_unref);
  }
  g_mutex_unlock (&self->keyframe_lock);

  g_main_context_pop_thread_default (self->context);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEWERS]);
}

/* --- element --- */

typedef struct
{
  RwSink *sink;
  gchar *id;
  gchar *reason;
} FailedViewer;

static void
failed_viewer_free (FailedViewer * failed)
{
  gst_object_unref (failed->sink);
  g_free (failed->id);
  g_free (failed->reason);
  g_free (failed);
}

static gboolean
remove_viewer_later (gpointer user_data)
{
  FailedViewer *failed = user_data;

  rw_sink_remove_viewer (failed->sink, failed->id, failed->reason);
  return G_SOURCE_REMOVE;
}

/* The viewer bin a message comes from, if any. */
static gchar *
viewer_of_message (RwSink * self, GstMessage * msg)
{
  for (GstObject * obj = GST_MESSAGE_SRC (msg); obj != NULL &&
      obj != GST_OBJECT (self); obj = GST_OBJECT_PARENT (obj)) {
    if (GST_OBJECT_PARENT (obj) == GST_OBJECT (self) &&
        g_str_has_prefix (GST_OBJECT_NAME (obj), "viewer-"))
      return g_strdup (GST_OBJECT_NAME (obj) + strlen ("viewer-"));
  }
  return NULL;
}

/* Any thread. One viewer's failure must not stop the pipeline, and the
 * viewers' EOS is not the element's. */
static void
rw_sink_handle_message (GstBin * bin, GstMessage * msg)
{
  RwSink *self = RW_SINK (bin);
  g_autofree gchar *id = NULL;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS &&
      GST_MESSAGE_SRC (msg) != GST_OBJECT (self)) {
    gst_message_unref (msg);
    return;
  }

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR &&
      (id = viewer_of_message (self, msg)) != NULL) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *debug = NULL;
    FailedViewer *failed = g_new0 (FailedViewer, 1);

    gst_message_parse_error (msg, &error, &debug);
    GST_INFO_OBJECT (self, "viewer %s: %s (%s)", id, error->message, debug);
    failed->sink = gst_object_ref (self);
    failed->id = g_steal_pointer (&id);
    failed->reason = g_strdup_printf ("error: %s", error->message);
    GST_OBJECT_LOCK (self);
    if (self->context)
      rw_invoke_later (self->context, remove_viewer_later, failed,
          (GDestroyNotify) failed_viewer_free);
    else
      failed_viewer_free (failed);
    GST_OBJECT_UNLOCK (self);
    gst_message_unref (msg);
    return;
  }

  GST_BIN_CLASS (rw_sink_parent_class)->handle_message (bin, msg);
}

static GstStateChangeReturn
rw_sink_change_state (GstElement * element, GstStateChange transition)
{
  RwSink *self = RW_SINK (element);
  g_autoptr (GError) error = NULL;
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!rw_config_validate (self->config, &error)) {
        GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
            (NULL));
        return GST_STATE_CHANGE_FAILURE;
      }
      rw_viewer_prewarm ();
      if (!start_serving (self, &error)) {
        GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
            ("%s", error->message), (NULL));
        return GST_STATE_CHANGE_FAILURE;
      }
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      stop_server_thread (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (rw_sink_parent_class)->change_state (element,
      transition);

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_NULL:
      stop_serving (self);
      GST_OBJECT_LOCK (self);
      self->have_codec = FALSE;
      GST_OBJECT_UNLOCK (self);
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      /* a live sink: there is nothing to preroll on */
      if (ret == GST_STATE_CHANGE_SUCCESS)
        ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    default:
      break;
  }
  return ret;
}

static gchar *
strv_to_list (gchar ** strv)
{
  return strv ? g_strjoinv (",", strv) : NULL;
}

static gchar **
list_to_strv (const gchar * list)
{
  g_auto (GStrv) parts = NULL;
  g_autoptr (GStrvBuilder) builder = NULL;

  if (list == NULL || *list == '\0')
    return NULL;
  parts = g_strsplit (list, ",", -1);
  builder = g_strv_builder_new ();
  for (guint i = 0; parts[i]; i++) {
    g_strstrip (parts[i]);
    if (*parts[i])
      g_strv_builder_add (builder, parts[i]);
  }
  return g_strv_builder_end (builder);
}

/* A setting to apply on the signaling context, which reads them. */
typedef struct
{
  RwSink *self;
  guint prop_id;
  GValue value;
} Change;

static void set_config_value (RwSink * self, guint prop_id,
    const GValue * value);

static gboolean
apply_change (gpointer data)
{
  Change *change = data;

  set_config_value (change->self, change->prop_id, &change->value);
  return G_SOURCE_REMOVE;
}

static void
change_free (gpointer data)
{
  Change *change = data;

  gst_object_unref (change->self);
  g_value_unset (&change->value);
  g_free (change);
}

static void
rw_sink_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  RwSink *self = RW_SINK (object);
  Change *change;

  if (prop_id == PROP_KEYFRAME_MIN_INTERVAL) {
    g_mutex_lock (&self->keyframe_lock);
    self->keyframe_min_interval = g_value_get_uint (value);
    g_mutex_unlock (&self->keyframe_lock);
    return;
  }
  if (GST_STATE (self) <= GST_STATE_READY || self->context == NULL) {
    set_config_value (self, prop_id, value);
    return;
  }
  if (!(pspec->flags & GST_PARAM_MUTABLE_PLAYING)) {
    g_warning ("robotwebrtcsink: %s can only be changed in the NULL and "
        "READY states", pspec->name);
    return;
  }
  /* the viewers' settings, changed between two requests of the signaling
   * context, for the next viewers */
  change = g_new0 (Change, 1);
  change->self = gst_object_ref (self);
  change->prop_id = prop_id;
  g_value_init (&change->value, G_VALUE_TYPE (value));
  g_value_copy (value, &change->value);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, apply_change,
      change, change_free);
}

static void
set_config_value (RwSink * self, guint prop_id, const GValue * value)
{
  RwConfig *config = self->config;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PORT:
      config->port = g_value_get_uint (value);
      break;
    case PROP_BIND_ADDRESS:
      g_free (config->bind_address);
      config->bind_address = g_value_dup_string (value);
      break;
    case PROP_ALLOWED_ORIGINS:
      g_strfreev (config->allowed_origins);
      config->allowed_origins = list_to_strv (g_value_get_string (value));
      break;
    case PROP_MAX_VIEWERS:
      config->max_viewers = g_value_get_uint (value);
      break;
    case PROP_STUN_SERVER:
      g_free (config->stun_server);
      config->stun_server = g_value_dup_string (value);
      break;
    case PROP_TURN_SERVER:
      g_free (config->turn_server);
      config->turn_server = g_value_dup_string (value);
      break;
    case PROP_ICE_ADDRESSES:
      g_strfreev (config->ice_addresses);
      config->ice_addresses = list_to_strv (g_value_get_string (value));
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      config->handshake_timeout = g_value_get_uint (value);
      break;
    case PROP_MIN_RTP_PORT:
      config->min_rtp_port = g_value_get_uint (value);
      break;
    case PROP_MAX_RTP_PORT:
      config->max_rtp_port = g_value_get_uint (value);
      break;
    case PROP_TLS_CERTIFICATE:
      g_free (config->tls_certificate);
      config->tls_certificate = g_value_dup_string (value);
      break;
    case PROP_TLS_KEY:
      g_free (config->tls_key);
      config->tls_key = g_value_dup_string (value);
      break;
    case PROP_AUTH_SECRET_FILE:
      g_free (config->auth_secret_file);
      config->auth_secret_file = g_value_dup_string (value);
      break;
    case PROP_ROBOT_ID:
      g_free (config->auth_audience);
      config->auth_audience = g_value_dup_string (value);
      break;
    case PROP_RATE_LIMIT:
      config->rate_limit = g_value_get_uint (value);
      break;
    default:
      g_assert_not_reached ();
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
rw_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  RwSink *self = RW_SINK (object);
  RwConfig *config = self->config;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PORT:
      g_value_set_uint (value, config->port);
      break;
    case PROP_BIND_ADDRESS:
      g_value_set_string (value, config->bind_address);
      break;
    case PROP_ALLOWED_ORIGINS:
      g_value_take_string (value, strv_to_list (config->allowed_origins));
      break;
    case PROP_MAX_VIEWERS:
      g_value_set_uint (value, config->max_viewers);
      break;
    case PROP_STUN_SERVER:
      g_value_set_string (value, config->stun_server);
      break;
    case PROP_TURN_SERVER:
      g_value_set_string (value, config->turn_server);
      break;
    case PROP_ICE_ADDRESSES:
      g_value_take_string (value, strv_to_list (config->ice_addresses));
      break;
    case PROP_KEYFRAME_MIN_INTERVAL:
      g_value_set_uint (value, self->keyframe_min_interval);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, config->handshake_timeout);
      break;
    case PROP_MIN_RTP_PORT:
      g_value_set_uint (value, config->min_rtp_port);
      break;
    case PROP_MAX_RTP_PORT:
      g_value_set_uint (value, config->max_rtp_port);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_string (value, config->tls_certificate);
      break;
    case PROP_TLS_KEY:
      g_value_set_string (value, config->tls_key);
      break;
    case PROP_AUTH_SECRET_FILE:
      g_value_set_string (value, config->auth_secret_file);
      break;
    case PROP_ROBOT_ID:
      g_value_set_string (value, config->auth_audience);
      break;
    case PROP_RATE_LIMIT:
      g_value_set_uint (value, config->rate_limit);
      break;
    case PROP_VIEWERS:
      /* the table belongs to the context; its size is a plain read */
      g_value_set_uint (value, g_hash_table_size (self->branches));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
rw_sink_dispose (GObject * object)
{
  RwSink *self = RW_SINK (object);

  stop_serving (self);
  gst_clear_object (&self->tee_sink);

  G_OBJECT_CLASS (rw_sink_parent_class)->dispose (object);
}

static void
rw_sink_finalize (GObject * object)
{
  RwSink *self = RW_SINK (object);

  g_hash_table_unref (self->branches);
  rw_config_free (self->config);
  g_mutex_clear (&self->keyframe_lock);

  G_OBJECT_CLASS (rw_sink_parent_class)->finalize (object);
}

static void
rw_sink_class_init (RwSinkClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  /* read for each new viewer: a change applies to the next ones */
  GParamFlags per_viewer = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  object_class->set_property = rw_sink_set_property;
  object_class->get_property = rw_sink_get_property;
  object_class->dispose = rw_sink_dispose;
  object_class->finalize = rw_sink_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR (rw_sink_change_state);
  bin_class->handle_message = GST_DEBUG_FUNCPTR (rw_sink_handle_message);

  properties[PROP_PORT] = g_param_spec_uint ("port", "Port",
      "HTTP signaling port; 0 runs no server (an application drives the "
      "viewers)", 0, 65535, 0, rw);
  properties[PROP_BIND_ADDRESS] = g_param_spec_string ("bind-address",
      "Bind address", "Address the signaling server listens on "
      "(NULL: all addresses)", NULL, rw);
  properties[PROP_ALLOWED_ORIGINS] = g_param_spec_string ("allowed-origins",
      "Allowed origins", "Comma-separated origins allowed to use the "
      "signaling API, or * for any", "*", per_viewer);
  properties[PROP_MAX_VIEWERS] = g_param_spec_uint ("max-viewers",
      "Max viewers", "Most viewers at once; more get HTTP 503", 1, 1000, 32,
      per_viewer);
  properties[PROP_STUN_SERVER] = g_param_spec_string ("stun-server",
      "STUN server", "stun://host:port (NULL: none)", NULL, per_viewer);
  properties[PROP_TURN_SERVER] = g_param_spec_string ("turn-server",
      "TURN server", "turn(s)://user:password@host:port (NULL: none)", NULL,
      per_viewer);
  properties[PROP_ICE_ADDRESSES] = g_param_spec_string ("ice-addresses",
      "ICE addresses", "Comma-separated local addresses ICE may use "
      "(NULL: every interface)", NULL, per_viewer);
  properties[PROP_KEYFRAME_MIN_INTERVAL] =
      g_param_spec_uint ("keyframe-min-interval", "Keyframe min interval",
      "Fewest milliseconds between keyframes requested of the encoder "
      "(viewers' requests in between are merged)", 0, 60000,
      DEFAULT_KEYFRAME_MIN_INTERVAL, G_PARAM_READWRITE |
      G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  properties[PROP_HANDSHAKE_TIMEOUT] = g_param_spec_uint ("handshake-timeout",
      "Handshake timeout", "Seconds a viewer may take from its offer to "
      "a connection before it is removed", 1, 120,
      RW_CONFIG_DEFAULT_HANDSHAKE_TIMEOUT, per_viewer);
  properties[PROP_MIN_RTP_PORT] = g_param_spec_uint ("min-rtp-port",
      "Min RTP port", "Lowest UDP port for media, with max-rtp-port (0: any)",
      0, 65535, 0, per_viewer);
  properties[PROP_MAX_RTP_PORT] = g_param_spec_uint ("max-rtp-port",
      "Max RTP port", "Highest UDP port for media (0: any)", 0, 65535, 0,
      per_viewer);
  properties[PROP_TLS_CERTIFICATE] = g_param_spec_string ("tls-certificate",
      "TLS certificate", "PEM certificate (chain) file: the signaling "
      "server speaks HTTPS (NULL: HTTP)", NULL, rw);
  properties[PROP_TLS_KEY] = g_param_spec_string ("tls-key", "TLS key",
      "PEM private key file of tls-certificate (NULL: in the certificate's "
      "file)", NULL, rw);
  properties[PROP_AUTH_SECRET_FILE] = g_param_spec_string ("auth-secret-file",
      "Token secret file", "File holding the secret viewer tokens (HS256 "
      "JWT) are signed with; set, the signaling server requires a token "
      "(NULL: open)", NULL, rw);
  properties[PROP_ROBOT_ID] = g_param_spec_string ("robot-id", "Robot id",
      "The audience ('aud') viewer tokens must name (NULL: not checked)",
      NULL, rw);
  properties[PROP_RATE_LIMIT] = g_param_spec_uint ("rate-limit",
      "Rate limit", "Signaling requests per second per client address "
      "(0: no limit)", 0, 100000, RW_CONFIG_DEFAULT_RATE_LIMIT, rw);
  properties[PROP_VIEWERS] = g_param_spec_uint ("viewers", "Viewers",
      "Viewers being served now", 0, G_MAXUINT, 0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * RwSink::viewer-added:
   * @sink: the element
   * @peer_id: the new viewer's session id
   *
   * A viewer joined (its offer is being answered). Emitted on the
   * signaling context.
   */
  signals[SIGNAL_VIEWER_ADDED] = g_signal_new ("viewer-added",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * RwSink::viewer-removed:
   * @sink: the element
   * @peer_id: the viewer's session id
   * @reason: why it was removed
   *
   * A viewer left or was removed. Emitted on the signaling context.
   */
  signals[SIGNAL_VIEWER_REMOVED] = g_signal_new ("viewer-removed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Robot WebRTC sink", "Sink/Network",
      "Serves one encoded video stream to many WebRTC viewers with HTTP "
      "signaling", "robot-webrtc contributors");

  GST_DEBUG_CATEGORY_INIT (rw_sink_debug, "rw-sink", 0,
      "robot-webrtc fan-out sink");
}

static void
rw_sink_init (RwSink * self)
{
  GstPadTemplate *templ =
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
      "sink");
  GstPad *ghost;

  g_mutex_init (&self->keyframe_lock);
  self->config = rw_config_new ();
  self->config->port = 0;
  self->config->allowed_origins = list_to_strv ("*");
  self->keyframe_min_interval = DEFAULT_KEYFRAME_MIN_INTERVAL;
  self->branches = g_hash_table_new (g_str_hash, g_str_equal);

  self->tee = gst_element_factory_make ("tee", "fanout");
  g_object_set (self->tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add (GST_BIN (self), self->tee);

  self->tee_sink = gst_element_get_static_pad (self->tee, "sink");
  gst_pad_add_probe (self->tee_sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      limit_keyframe_requests, self, NULL);
  gst_pad_add_probe (self->tee_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      watch_stream, self, NULL);

  ghost = gst_ghost_pad_new_from_template ("sink", self->tee_sink, templ);
  gst_element_add_pad (GST_ELEMENT (self), ghost);

  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

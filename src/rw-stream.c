/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-stream
 * @title: RwStream
 * @short_description: one source, one encoder, one tee, many viewers
 *
 * #RwStream owns the media pipeline: the source bin (camera or test
 * pattern, and the one encoder) feeds a `tee allow-not-linked=true`, and
 * every viewer is a branch of that tee, added and removed while the
 * pipeline plays. Removal unlinks the branch from an IDLE probe, releases
 * the tee pad on the main context and sets the branch to NULL off the main
 * thread, so a leaving viewer never stalls the others.
 *
 * Viewers' keyframe requests (PLI/FIR, which webrtcbin turns into upstream
 * force-key-unit events) reach the shared encoder merged and rate-limited,
 * and a keyframe is forced whenever a viewer connects.
 *
 * All of it runs on the main context the stream was created on.
 */

#include "rw-stream.h"
#include "rw-error.h"
#include "rw-private.h"

#include <gst/video/video.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rw_stream_debug);
#define GST_CAT_DEFAULT rw_stream_debug

#define KEYFRAME_MIN_INTERVAL_US (500 * G_TIME_SPAN_MILLISECOND)
#define LIVENESS_INTERVAL_MS 1000
#define STOP_TIMEOUT_US (2 * G_TIME_SPAN_SECOND)

typedef struct
{
  RwStream *stream;
  RwViewer *viewer;
  GstPad *tee_pad;
} Branch;

struct _RwStream
{
  GObject parent;

  const RwConfig *config;       /* the caller's; outlives the stream */
  GMainContext *context;

  /* main context only */
  GstElement *pipeline;
  GstElement *source;
  GstElement *tee;
  GstPad *tee_sink;
  guint bus_watch;
  GSource *liveness;
  RwSourceKind kind;
  gchar *device;
  gchar *warning;
  gboolean running;
  gboolean failed;
  GHashTable *branches;         /* id -> Branch, the live viewers */
  guint n_closing;              /* branches still being torn down */

  gint flowing;                 /* atomic: a buffer reached the tee */

  GMutex keyframe_lock;         /* protects the two fields below */
  gint64 last_keyframe;         /* monotonic */
  GSource *keyframe_timer;
};

G_DEFINE_FINAL_TYPE (RwStream, rw_stream, G_TYPE_OBJECT);

static void
branch_free (Branch * branch)
{
  g_clear_object (&branch->viewer);
  gst_clear_object (&branch->tee_pad);
  g_object_unref (branch->stream);
  g_free (branch);
}

static void
rw_stream_dispose (GObject * object)
{
  RwStream *self = RW_STREAM (object);

  rw_stream_stop (self);
  g_clear_pointer (&self->branches, g_hash_table_unref);

  G_OBJECT_CLASS (rw_stream_parent_class)->dispose (object);
}

static void
rw_stream_finalize (GObject * object)
{
  RwStream *self = RW_STREAM (object);

  g_free (self->device);
  g_free (self->warning);
  g_mutex_clear (&self->keyframe_lock);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (rw_stream_parent_class)->finalize (object);
}

static void
rw_stream_class_init (RwStreamClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_stream_dispose;
  object_class->finalize = rw_stream_finalize;

  GST_DEBUG_CATEGORY_INIT (rw_stream_debug, "rw-stream", 0,
      "robot-webrtc media stream");
}

static void
rw_stream_init (RwStream * self)
{
  g_mutex_init (&self->keyframe_lock);
  self->context = g_main_context_ref_thread_default ();
  self->branches = g_hash_table_new (g_str_hash, g_str_equal);
}

/**
 * rw_stream_new:
 * @config: (transfer none): the settings; must outlive the stream
 *
 * Returns: (transfer full): a stopped stream.
 */
RwStream *
rw_stream_new (const RwConfig * config)
{
  RwStream *self = g_object_new (RW_TYPE_STREAM, NULL);

  self->config = config;
  self->device = rw_config_camera_device (config);
  return self;
}

/* --- keyframes --- */

static gboolean
send_deferred_keyframe (gpointer user_data)
{
  RwStream *self = user_data;

  g_mutex_lock (&self->keyframe_lock);
  g_clear_pointer (&self->keyframe_timer, g_source_unref);
  g_mutex_unlock (&self->keyframe_lock);

  rw_stream_request_keyframe (self);
  return G_SOURCE_REMOVE;
}

/* Streaming threads: every viewer's PLI arrives here on its way to the
 * encoder. One passes per interval; the rest become one deferred request. */
static GstPadProbeReturn
limit_keyframe_requests (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  RwStream *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gint64 now, wait;

  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;

  now = g_get_monotonic_time ();
  g_mutex_lock (&self->keyframe_lock);
  wait = self->last_keyframe + KEYFRAME_MIN_INTERVAL_US - now;
  if (wait <= 0) {
    self->last_keyframe = now;
    g_mutex_unlock (&self->keyframe_lock);
    GST_DEBUG ("keyframe requested");
    return GST_PAD_PROBE_OK;
  }
  if (self->keyframe_timer == NULL) {
    self->keyframe_timer = g_timeout_source_new (wait / 1000 + 1);
    g_source_set_callback (self->keyframe_timer, send_deferred_keyframe,
        g_object_ref (self), g_object_unref);
    g_source_attach (self->keyframe_timer, self->context);
  }
  g_mutex_unlock (&self->keyframe_lock);
  GST_LOG ("keyframe request merged into the next one");
  return GST_PAD_PROBE_DROP;
}

/**
 * rw_stream_request_keyframe:
 * @self: a stream
 *
 * Asks the encoder for a keyframe, within the rate limit.
 */
void
rw_stream_request_keyframe (RwStream * self)
{
  if (self->tee_sink == NULL)
    return;
  gst_pad_push_event (self->tee_sink,
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
          0));
}

static GstPadProbeReturn
first_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwStream *self = user_data;

  g_atomic_int_set (&self->flowing, 1);
  return GST_PAD_PROBE_REMOVE;
}

/* --- viewers --- */

static gboolean
branch_torn_down (gpointer user_data)
{
  Branch *branch = user_data;

  branch->stream->n_closing--;
  GST_DEBUG ("viewer %s torn down", rw_viewer_get_id (branch->viewer));
  return G_SOURCE_REMOVE;
}

/* A task-pool thread: webrtcbin may take a while to stop its transports. */
static void
teardown_bin (GstElement * bin, gpointer user_data)
{
  Branch *branch = user_data;

  gst_element_set_state (bin, GST_STATE_NULL);
  rw_invoke_later (branch->stream->context, branch_torn_down, branch,
      (GDestroyNotify) branch_free);
}

static gboolean
release_branch (gpointer user_data)
{
  Branch *branch = user_data;
  RwStream *self = branch->stream;
  GstElement *bin = rw_viewer_get_bin (branch->viewer);

  if (self->tee)
    gst_element_release_request_pad (self->tee, branch->tee_pad);
  gst_clear_object (&branch->tee_pad);

  gst_element_set_locked_state (bin, TRUE);
  if (self->pipeline && GST_OBJECT_PARENT (bin) == GST_OBJECT (self->pipeline))
    gst_bin_remove (GST_BIN (self->pipeline), bin);
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
  rw_invoke_later (branch->stream->context, release_branch, branch, NULL);
  return GST_PAD_PROBE_REMOVE;
}

static void
drop_branch (RwStream * self, Branch * branch)
{
  g_signal_handlers_disconnect_by_data (branch->viewer, self);
  rw_viewer_close (branch->viewer);
  self->n_closing++;
  gst_pad_add_probe (branch->tee_pad, GST_PAD_PROBE_TYPE_IDLE, unlink_branch,
      branch, NULL);
}

/**
 * rw_stream_remove_viewer:
 * @self: a stream
 * @id: the viewer's session id
 * @reason: why, for the log
 *
 * Removes a viewer without disturbing the others.
 *
 * Returns: %FALSE if there is no such viewer.
 */
gboolean
rw_stream_remove_viewer (RwStream * self, const gchar * id,
    const gchar * reason)
{
  Branch *branch = g_hash_table_lookup (self->branches, id);

  if (branch == NULL)
    return FALSE;

  g_hash_table_remove (self->branches, id);
  g_message ("viewer %s removed: %s (%u left)", id, reason,
      g_hash_table_size (self->branches));
  drop_branch (self, branch);
  return TRUE;
}

static void
on_viewer_connected (RwViewer * viewer, gpointer user_data)
{
  RwStream *self = user_data;

  g_message ("viewer %s connected", rw_viewer_get_id (viewer));
  /* A keyframe now, not at join time: DTLS was not up then. */
  rw_stream_request_keyframe (self);
}

static void
on_viewer_closed (RwViewer * viewer, const gchar * reason, gpointer user_data)
{
  RwStream *self = user_data;

  rw_stream_remove_viewer (self, rw_viewer_get_id (viewer), reason);
}

/**
 * rw_stream_add_viewer:
 * @self: a running stream
 * @match: the codec and payload type the viewer's offer asks for
 * @error: why no viewer could be added
 *
 * Adds a viewer branch to the tee while the pipeline plays. The viewer
 * still has to be negotiated with rw_viewer_negotiate_async().
 *
 * Returns: (transfer none) (nullable): the new viewer, owned by the stream.
 */
RwViewer *
rw_stream_add_viewer (RwStream * self, const RwCodecMatch * match,
    GError ** error)
{
  g_autofree gchar *id = NULL;
  g_autoptr (GstPad) sink = NULL;
  RwViewer *viewer;
  GstElement *bin;
  Branch *branch;

  if (!rw_stream_is_running (self)) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the media pipeline is not running");
    return NULL;
  }
  if (g_hash_table_size (self->branches) >= self->config->max_viewers) {
    g_set_error (error, RW_ERROR, RW_ERROR_FULL,
        "the robot already serves %u viewers (max-viewers)",
        self->config->max_viewers);
    return NULL;
  }

  id = g_uuid_string_random ();
  viewer = rw_viewer_new (id, self->config, match, error);
  if (viewer == NULL)
    return NULL;

  bin = rw_viewer_get_bin (viewer);
  gst_bin_add (GST_BIN (self->pipeline), bin);

  branch = g_new0 (Branch, 1);
  branch->stream = g_object_ref (self);
  branch->viewer = viewer;
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
  return viewer;
}

/**
 * rw_stream_lookup_viewer:
 * @self: a stream
 * @id: a session id
 *
 * Returns: (transfer none) (nullable): the viewer, or %NULL.
 */
RwViewer *
rw_stream_lookup_viewer (RwStream * self, const gchar * id)
{
  Branch *branch = g_hash_table_lookup (self->branches, id);

  return branch ? branch->viewer : NULL;
}

/**
 * rw_stream_get_n_viewers:
 * @self: a stream
 *
 * Returns: the number of live viewers.
 */
guint
rw_stream_get_n_viewers (RwStream * self)
{
  return g_hash_table_size (self->branches);
}

/**
 * rw_stream_get_n_branches:
 * @self: a stream
 *
 * Returns: how many pads the tee has: live viewers and viewers still
 * being torn down.
 */
guint
rw_stream_get_n_branches (RwStream * self)
{
  gint n = 0;

  if (self->tee)
    g_object_get (self->tee, "num-src-pads", &n, NULL);
  return (guint) n;
}

static gboolean
check_liveness (gpointer user_data)
{
  RwStream *self = user_data;
  g_autoptr (GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) reasons = g_ptr_array_new ();
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Branch *branch;

  g_hash_table_iter_init (&iter, self->branches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & branch)) {
    const gchar *reason = rw_viewer_check_liveness (branch->viewer, now);

    if (reason) {
      g_ptr_array_add (stale, g_strdup (rw_viewer_get_id (branch->viewer)));
      g_ptr_array_add (reasons, (gpointer) reason);
    }
  }

  for (guint i = 0; i < stale->len; i++)
    rw_stream_remove_viewer (self, stale->pdata[i], reasons->pdata[i]);
  return G_SOURCE_CONTINUE;
}

/* --- the pipeline --- */

static gboolean
viewer_of_message (RwStream * self, GstMessage * msg, gchar ** id)
{
  GstObject *obj = GST_MESSAGE_SRC (msg);

  for (; obj != NULL && obj != GST_OBJECT (self->pipeline);
      obj = GST_OBJECT_PARENT (obj)) {
    const gchar *name = GST_OBJECT_NAME (obj);

    if (GST_OBJECT_PARENT (obj) == GST_OBJECT (self->pipeline) &&
        g_str_has_prefix (name, "viewer-")) {
      *id = g_strdup (name + strlen ("viewer-"));
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean use_source (RwStream * self, RwSourceKind kind,
    const gchar * camera_caps, GError ** error);

static void
fall_back_to_test_pattern (RwStream * self, const gchar * reason)
{
  g_autoptr (GError) error = NULL;

  g_free (self->warning);
  self->warning = g_strdup_printf ("camera %s: %s", self->device, reason);
  g_warning ("camera %s failed to start (%s); streaming a test pattern "
      "instead", self->device, reason);

  gst_element_set_state (self->pipeline, GST_STATE_NULL);
  if (!use_source (self, RW_SOURCE_TEST_PATTERN, NULL, &error) ||
      gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_warning ("the test pattern failed too: %s",
        error ? error->message : "state change failed");
    self->failed = TRUE;
  }
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  RwStream *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;
  g_autofree gchar *viewer = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &error, &debug);
      if (viewer_of_message (self, msg, &viewer)) {
        g_autofree gchar *reason = g_strdup_printf ("error: %s",
            error->message);

        GST_INFO ("viewer %s: %s (%s)", viewer, error->message, debug);
        rw_stream_remove_viewer (self, viewer, reason);
        break;
      }
      if (self->kind == RW_SOURCE_CAMERA && !g_atomic_int_get (&self->flowing)
          && g_hash_table_size (self->branches) == 0) {
        fall_back_to_test_pattern (self, error->message);
        break;
      }
      g_warning ("media pipeline error from %s: %s (%s)",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), error->message,
          debug ? debug : "no details");
      GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS (GST_BIN (self->pipeline),
          GST_DEBUG_GRAPH_SHOW_ALL, "robot-webrtc-error");
      self->failed = TRUE;
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &error, &debug);
      GST_WARNING ("%s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
          error->message, debug);
      break;
    case GST_MESSAGE_LATENCY:
      gst_bin_recalculate_latency (GST_BIN (self->pipeline));
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* Puts a new source bin in front of the tee; the pipeline is in NULL. */
static gboolean
use_source (RwStream * self, RwSourceKind kind, const gchar * camera_caps,
    GError ** error)
{
  GstElement *source;
  g_autoptr (GstPad) src = NULL;

  source = rw_source_make_bin (self->config, kind, camera_caps, error);
  if (source == NULL)
    return FALSE;

  if (self->source) {
    gst_bin_remove (GST_BIN (self->pipeline), self->source);
    self->source = NULL;
  }
  gst_bin_add (GST_BIN (self->pipeline), source);
  src = gst_element_get_static_pad (source, "src");
  if (gst_pad_link (src, self->tee_sink) != GST_PAD_LINK_OK) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "could not link the source to the tee");
    gst_bin_remove (GST_BIN (self->pipeline), source);
    return FALSE;
  }

  self->source = source;
  self->kind = kind;
  g_atomic_int_set (&self->flowing, 0);
  gst_pad_add_probe (self->tee_sink, GST_PAD_PROBE_TYPE_BUFFER, first_buffer,
      self, NULL);
  GST_INFO ("source: %s", rw_source_kind_to_string (kind));
  return TRUE;
}

/**
 * rw_stream_start:
 * @self: a stopped stream
 * @error: why the pipeline could not start
 *
 * Opens the camera (falling back to the test pattern with a warning when it
 * is missing or fails to start), starts the encoder and plays.
 *
 * Returns: %TRUE if the pipeline plays.
 */
gboolean
rw_stream_start (RwStream * self, GError ** error)
{
  g_autoptr (GError) camera_error = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autofree gchar *camera_caps = NULL;

  g_return_val_if_fail (self->pipeline == NULL, FALSE);

  self->pipeline = gst_object_ref_sink (gst_pipeline_new ("robot-webrtc"));
  self->tee = gst_element_factory_make ("tee", "fanout");
  g_object_set (self->tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add (GST_BIN (self->pipeline), self->tee);
  self->tee_sink = gst_element_get_static_pad (self->tee, "sink");
  gst_pad_add_probe (self->tee_sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      limit_keyframe_requests, self, NULL);

  bus = gst_element_get_bus (self->pipeline);
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);

  camera_caps = rw_source_probe_camera (self->device, self->config->width,
      self->config->height, &camera_error);
  if (camera_caps == NULL) {
    self->warning = g_strdup_printf ("camera %s: %s", self->device,
        camera_error->message);
    g_warning ("camera %s unavailable (%s); streaming a test pattern instead",
        self->device, camera_error->message);
  }

  if (!use_source (self, camera_caps ? RW_SOURCE_CAMERA :
          RW_SOURCE_TEST_PATTERN, camera_caps, error))
    goto fail;

  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    if (self->kind != RW_SOURCE_CAMERA) {
      g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
          "the media pipeline failed to start");
      goto fail;
    }
    /* the bus watch will say why; start the test pattern now */
    fall_back_to_test_pattern (self, "the device failed to start");
    if (self->failed) {
      g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
          "neither the camera nor the test pattern could start");
      goto fail;
    }
  }

  self->running = TRUE;
  self->liveness = g_timeout_source_new (LIVENESS_INTERVAL_MS);
  g_source_set_callback (self->liveness, check_liveness, self, NULL);
  g_source_set_static_name (self->liveness, "rw-viewer-liveness");
  g_source_attach (self->liveness, self->context);
  return TRUE;

fail:
  rw_stream_stop (self);
  return FALSE;
}

/**
 * rw_stream_is_running:
 * @self: a stream
 *
 * Returns: %TRUE while the pipeline plays without error.
 */
gboolean
rw_stream_is_running (RwStream * self)
{
  return self->running && !self->failed;
}

static gboolean
stop_waiting (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/**
 * rw_stream_stop:
 * @self: a stream
 *
 * Closes every viewer and stops the pipeline. Waits (at most 2 s) for
 * branches being torn down.
 */
void
rw_stream_stop (RwStream * self)
{
  GHashTableIter iter;
  Branch *branch;
  gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_US;

  self->running = FALSE;
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
    g_warning ("%u viewers were still closing at shutdown", self->n_closing);

  if (self->pipeline)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);

  g_mutex_lock (&self->keyframe_lock);
  if (self->keyframe_timer) {
    g_source_destroy (self->keyframe_timer);
    g_clear_pointer (&self->keyframe_timer, g_source_unref);
  }
  g_mutex_unlock (&self->keyframe_lock);

  g_clear_handle_id (&self->bus_watch, g_source_remove);
  gst_clear_object (&self->tee_sink);
  self->tee = NULL;
  self->source = NULL;
  gst_clear_object (&self->pipeline);
}

/* --- status --- */

static void
add_viewer_status (JsonBuilder * builder, RwViewer * viewer)
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
  json_builder_end_object (builder);
}

/**
 * rw_stream_add_status:
 * @self: a stream
 * @builder: a builder inside an object
 *
 * Adds the stream's members of `GET /status`: source, codec, size, rate,
 * bitrate, viewers, branches and peers.
 */
void
rw_stream_add_status (RwStream * self, JsonBuilder * builder)
{
  const RwConfig *config = self->config;
  GHashTableIter iter;
  Branch *branch;

  json_builder_set_member_name (builder, "source");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, rw_source_kind_to_string
      (self->kind));
  json_builder_set_member_name (builder, "device");
  json_builder_add_string_value (builder, self->device);
  if (self->warning) {
    json_builder_set_member_name (builder, "warning");
    json_builder_add_string_value (builder, self->warning);
  }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "codec");
  json_builder_add_string_value (builder, rw_codec_to_string (config->codec));
  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, config->width);
  json_builder_set_member_name (builder, "height");
  json_builder_add_int_value (builder, config->height);
  json_builder_set_member_name (builder, "framerate");
  json_builder_add_int_value (builder, config->framerate);
  json_builder_set_member_name (builder, "bitrate");
  json_builder_add_int_value (builder, config->bitrate);
  json_builder_set_member_name (builder, "max_viewers");
  json_builder_add_int_value (builder, config->max_viewers);
  json_builder_set_member_name (builder, "viewers");
  json_builder_add_int_value (builder, g_hash_table_size (self->branches));
  json_builder_set_member_name (builder, "branches");
  json_builder_add_int_value (builder, rw_stream_get_n_branches (self));

  json_builder_set_member_name (builder, "peers");
  json_builder_begin_array (builder);
  g_hash_table_iter_init (&iter, self->branches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & branch))
    add_viewer_status (builder, branch->viewer);
  json_builder_end_array (builder);
}

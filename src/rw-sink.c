/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-robotwebrtcsink
 * @title: robotwebrtcsink
 * @short_description: serves one encoded stream to many WebRTC viewers
 *
 * robotwebrtcsink takes encoded video (VP8, or H264 byte-stream with
 * access-unit alignment) on a `video_%u` pad and, optionally, Opus on an
 * `audio_%u` pad, and sends them to every viewer through a shared `tee`
 * each: a viewer is one webrtcbin fed by a branch `queue ! payloader` of
 * each tee, with the payload types the viewer offered, added and removed
 * while the pipeline plays. Nothing is encoded per viewer. The element
 * takes one video and one audio input.
 *
 * The element is an #RwSessionHost: it owns each viewer's session from the
 * offer to its removal. With #RwSink:port set, it runs the robot lab's HTTP
 * signaling (`POST /offer`, `POST /ice-candidate`, `DELETE /peers/{id}`,
 * `GET /status`, `GET /streams`) and a viewer page at `/` on a thread of
 * its own, and serves its own sessions there, so a launch line alone
 * serves browsers:
 *
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! vp8enc deadline=1 ! robotwebrtcsink port=8080
 * gst-launch-1.0 videotestsrc is-live=true ! vp8enc deadline=1 ! robotwebrtcsink name=s port=8080 \
 *     audiotestsrc is-live=true ! opusenc ! s.
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! \
 *     video/x-h264,profile=constrained-baseline ! robotwebrtcsink port=8080 ice-addresses=127.0.0.1
 * ]|
 *
 * With port 0 an application (the robot-webrtc-server daemon) serves the
 * sessions with its own HTTP server, on the main context that was the
 * thread-default one when the element went to READY; it then makes every
 * #RwSessionHost call, and the state change to NULL, on that context's
 * thread.
 *
 * With #RwSink:turn-server each viewer's webrtcbin gets the TURN server with
 * #RwSink:turn-user and #RwSink:turn-password, or with credentials minted
 * from #RwSink:turn-secret-file and renewed as they age; `GET /status` says
 * whether viewers got a relay candidate. #RwSink:public-address announces
 * each host candidate on a router's forwarded address too.
 *
 * An offer that arrives before the media does waits for it (5 s at most).
 * Viewers' keyframe requests reach the encoder merged, at most one per
 * #RwSink:keyframe-min-interval. A viewer gets no video before it is
 * connected; then it starts with a keyframe forced for it, or, with
 * #RwSink:gop-cache, with the frames cached since the last keyframe. A viewer is removed when it hangs up, its
 * connection fails or closes, its RTCP stops for 5 s, or it does not
 * connect within #RwSink:handshake-timeout (15 s). A viewer's error never
 * reaches the pipeline's bus: it only removes that viewer.
 */

#include "rw-sink.h"
#include "rw-config.h"
#include "rw-counters.h"
#include "rw-error.h"
#include "rw-gop-cache.h"
#include "rw-private.h"
#include "rw-sdp.h"
#include "rw-session-host.h"
#include "rw-signaling-thread.h"
#include "rw-snapshot.h"
#include "rw-publish.h"
#include "rw-low-layer.h"
#include "rw-rate-layers.h"
#include "rw-turn.h"
#include "rw-viewer.h"

#include <gst/video/video.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rw_sink_debug);
#define GST_CAT_DEFAULT rw_sink_debug

#define DEFAULT_KEYFRAME_MIN_INTERVAL 500       /* ms */
#define DEFAULT_GOP_CACHE 0     /* KiB: off (docs/performance.md) */
#define LIVENESS_INTERVAL_MS 1000
#define RATE_INTERVAL_MS 500
#define DEFAULT_LOW_LAYER_BITRATE 250000
/* how long an offer may wait for the media to start */
#define MEDIA_WAIT_MS 5000

/* The element's inputs: encoded video, Opus. */
enum
{
  INPUT_VIDEO,
  INPUT_AUDIO,
  N_INPUTS
};

static const gchar *input_names[N_INPUTS] = { "video", "audio" };

/* A session of the table: a viewer, answered or still negotiating. */
typedef struct
{
  RwViewer *viewer;
  gboolean answered;
  RwRatePeer rate;              /* the rate control's view of it */
} Session;

struct _RwSink
{
  GstBin parent;

  GstElement *tees[N_INPUTS];
  RwSnapshot *snapshot;         /* JPEGs of the video, on request */
  RwGopCache *gop_cache;        /* the video since its last keyframe */
  guint gop_cache_kib;
  RwCounters *counters;         /* totals since the element was made */

  /* Settings: properties, changed only in NULL and READY (or on the
   * context, see set_property). */
  RwConfig *config;
  guint keyframe_min_interval;
  RwRateSettings rate_settings;

  /* The context sessions live on: the signaling thread's own with a port,
   * the thread-default one of NULL->READY otherwise. Set in NULL->READY. */
  GMainContext *context;
  RwSignalingThread *signaling; /* with a port */

  /* on the context only */
  GHashTable *sessions;         /* id -> Session */
  GHashTable *leaving;          /* RwViewer, not out of the bin yet */
  GList *waiting;               /* GTask, offers waiting for the media */
  GSource *liveness;
  GPtrArray *publishes;         /* RwPublish, while serving */
  RwRateLayers *rate;           /* while serving video */
  GSource *rate_timer;
  gint low_failed;              /* atomic: the low layer posted an error */

  /* GST_OBJECT_LOCK protects the fields below */
  GstPad *inputs[N_INPUTS];     /* the request pads */
  gboolean have_caps[N_INPUTS];
  gboolean ended[N_INPUTS];
  RwCodec codec;
  gint width, height, fps_n, fps_d;
  gboolean media_hop;           /* a hop to resume the waiting is queued */
  RwTurn *turn;                 /* NULL: no TURN server */
  gboolean turn_given;          /* by the application: not from properties */

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
  PROP_METRICS_ALLOW,
  PROP_MAX_VIEWERS,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_ICE_ADDRESSES,
  PROP_KEYFRAME_MIN_INTERVAL,
  PROP_GOP_CACHE,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_MIN_RTP_PORT,
  PROP_MAX_RTP_PORT,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_KEY,
  PROP_AUTH_SECRET_FILE,
  PROP_ROBOT_ID,
  PROP_RATE_LIMIT,
  PROP_TURN_USER,
  PROP_TURN_PASSWORD,
  PROP_TURN_SECRET_FILE,
  PROP_TURN_CREDENTIAL_LIFETIME,
  PROP_PUBLIC_ADDRESS,
  PROP_RETRANSMISSIONS,
  PROP_ZERO_PLAYOUT_DELAY,
  PROP_FEC_PERCENTAGE,
  PROP_ICE_TCP,
  PROP_PUBLISH_URL,
  PROP_PUBLISH_TOKEN_FILE,
  PROP_RATE_CONTROL,
  PROP_MIN_BITRATE,
  PROP_MAX_BITRATE,
  PROP_LOW_LAYER,
  PROP_LOW_LAYER_BITRATE,
  PROP_SCALE_DOWN,
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

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE
    ("video_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-vp8; "
        "video/x-h264, stream-format=(string)byte-stream, "
        "alignment=(string)au"));

static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE
    ("audio_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/x-opus, channel-mapping-family=(int)0"));

static void rw_sink_session_host_init (RwSessionHostInterface * iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RwSink, rw_sink, GST_TYPE_BIN,
    G_IMPLEMENT_INTERFACE (RW_TYPE_SESSION_HOST, rw_sink_session_host_init));
GST_ELEMENT_REGISTER_DEFINE (robotwebrtcsink, "robotwebrtcsink",
    GST_RANK_NONE, RW_TYPE_SINK);

/* --- keyframes --- */

/* A keyframe request for the encoder, without all-headers: each viewer's
 * rtph264pay sends SPS and PPS with every IDR anyway (config-interval -1),
 * and with all-headers it would put them before the encoder's access-unit
 * delimiter, where it sends them as an access unit of their own (marker
 * set) that browsers fail to decode as a frame, drop, and answer with a
 * PLI: 2 keyframes a second for every viewer, for the whole session. */
static GstEvent *
new_keyframe_request (void)
{
  return gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
      FALSE, 0);
}

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

  rw_counters_add (self->counters, RW_COUNTER_KEYFRAME_REQUESTS, 1);
  now = g_get_monotonic_time ();
  g_mutex_lock (&self->keyframe_lock);
  wait = self->last_keyframe + self->keyframe_min_interval * 1000 - now;
  if (wait <= 0) {
    self->last_keyframe = now;
    g_mutex_unlock (&self->keyframe_lock);
    GST_DEBUG_OBJECT (self, "keyframe requested");
    rw_counters_add (self->counters, RW_COUNTER_KEYFRAMES_FORCED, 1);
    /* without all-headers: see rw_sink_request_keyframe () */
    gst_event_unref (event);
    GST_PAD_PROBE_INFO_DATA (info) = new_keyframe_request ();
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
 * Asks the video encoder upstream for a keyframe, within the rate limit.
 */
void
rw_sink_request_keyframe (RwSink * self)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (self->tees[INPUT_VIDEO],
      "sink");

  gst_pad_push_event (pad, new_keyframe_request ());
}

/* --- the media: caps and end of stream of each input --- */

static void resume_waiting (RwSink * self);

static gboolean
media_arrived (gpointer user_data)
{
  RwSink *self = user_data;

  GST_OBJECT_LOCK (self);
  self->media_hop = FALSE;
  GST_OBJECT_UNLOCK (self);
  resume_waiting (self);
  return G_SOURCE_REMOVE;
}

/* Whether every input has ended; the element's EOS is that of its
 * inputs, not of the viewers' inner sinks. Object lock held. */
static gboolean
all_ended (RwSink * self)
{
  for (guint i = 0; i < N_INPUTS; i++) {
    if (self->inputs[i] && !self->ended[i])
      return FALSE;
  }
  return TRUE;
}

static void
watch_caps (RwSink * self, guint input, GstCaps * caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  gboolean hop;

  GST_OBJECT_LOCK (self);
  self->have_caps[input] = TRUE;
  if (input == INPUT_VIDEO) {
    self->codec = gst_structure_has_name (s, "video/x-h264") ?
        RW_CODEC_H264 : RW_CODEC_VP8;
    self->width = self->height = self->fps_n = 0;
    self->fps_d = 1;
    gst_structure_get_int (s, "width", &self->width);
    gst_structure_get_int (s, "height", &self->height);
    gst_structure_get_fraction (s, "framerate", &self->fps_n, &self->fps_d);
  }
  /* offers waiting for the media go on, on the context */
  hop = self->context && !self->media_hop;
  if (hop) {
    self->media_hop = TRUE;
    rw_invoke_later (self->context, media_arrived, gst_object_ref (self),
        gst_object_unref);
  }
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "%s: serving %" GST_PTR_FORMAT, input_names[input],
      caps);
}

/* Streaming threads, on each tee's sink pad. */
static GstPadProbeReturn
watch_input (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwSink *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  guint input = GST_ELEMENT (GST_OBJECT_PARENT (pad)) ==
      self->tees[INPUT_VIDEO] ? INPUT_VIDEO : INPUT_AUDIO;
  gboolean eos;
  GstCaps *caps;

  if (input == INPUT_VIDEO && (GST_EVENT_TYPE (event) == GST_EVENT_CAPS ||
          GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP ||
          GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START ||
          GST_EVENT_TYPE (event) == GST_EVENT_EOS))
    rw_gop_cache_clear (self->gop_cache);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      gst_event_parse_caps (event, &caps);
      watch_caps (self, input, caps);
      break;
    case GST_EVENT_EOS:
      GST_OBJECT_LOCK (self);
      self->ended[input] = TRUE;
      eos = all_ended (self);
      GST_OBJECT_UNLOCK (self);
      GST_INFO_OBJECT (self, "end of the %s stream", input_names[input]);
      if (eos)
        gst_element_post_message (GST_ELEMENT (self),
            gst_message_new_eos (GST_OBJECT (self)));
      break;
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_STREAM_START:
      GST_OBJECT_LOCK (self);
      self->ended[input] = FALSE;
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      break;
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
cache_frame (GstBuffer ** buffer, guint idx, gpointer user_data)
{
  rw_gop_cache_add (user_data, *buffer);
  return TRUE;
}

/* The video's streaming thread, on the tee's sink pad: every frame goes
 * into the cache before it goes on to the viewers. */
static GstPadProbeReturn
cache_video (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwSink *self = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        cache_frame, self->gop_cache);
  else
    rw_gop_cache_add (self->gop_cache, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

static GstPad *
rw_sink_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  RwSink *self = RW_SINK (element);
  guint input = g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ),
      "audio_%u") ? INPUT_AUDIO : INPUT_VIDEO;
  g_autoptr (GstPad) target = gst_element_get_static_pad (self->tees[input],
      "sink");
  g_autofree gchar *pad_name = g_strdup_printf ("%s_0", input_names[input]);
  GstPad *pad;

  GST_OBJECT_LOCK (self);
  if (self->inputs[input]) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "robotwebrtcsink takes one %s input; use one "
        "element (or daemon stream) per camera", input_names[input]);
    return NULL;
  }
  GST_OBJECT_UNLOCK (self);

  /* gst_element_add_pad() activates it when the element plays */
  pad = gst_ghost_pad_new_from_template (pad_name, target, templ);
  GST_OBJECT_LOCK (self);
  self->inputs[input] = pad;
  self->ended[input] = FALSE;
  GST_OBJECT_UNLOCK (self);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
rw_sink_release_pad (GstElement * element, GstPad * pad)
{
  RwSink *self = RW_SINK (element);

  GST_OBJECT_LOCK (self);
  for (guint i = 0; i < N_INPUTS; i++) {
    if (self->inputs[i] == pad) {
      self->inputs[i] = NULL;
      self->have_caps[i] = FALSE;
    }
  }
  GST_OBJECT_UNLOCK (self);
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
}

/* What the viewers can get now: the video codec, and whether there is
 * audio. Ready once the video and, if there is an audio input, the audio
 * have their caps, so that no viewer misses the audio by coming early. */
static gboolean
get_media (RwSink * self, RwCodec * codec, gboolean * audio)
{
  gboolean ready;

  GST_OBJECT_LOCK (self);
  ready = self->have_caps[INPUT_VIDEO] && (self->inputs[INPUT_AUDIO] == NULL
      || self->have_caps[INPUT_AUDIO]);
  *codec = self->codec;
  *audio = self->have_caps[INPUT_AUDIO];
  GST_OBJECT_UNLOCK (self);
  return ready;
}

/**
 * rw_sink_set_turn:
 * @self: a sink
 * @turn: (nullable): the TURN server for the next viewers, or %NULL for
 *   none
 *
 * Gives the sink the application's TURN server (the daemon's, shared with
 * its WHEP `Link` headers); the turn-* properties are then not used.
 */
void
rw_sink_set_turn (RwSink * self, RwTurn * turn)
{
  g_return_if_fail (RW_IS_SINK (self));

  GST_OBJECT_LOCK (self);
  g_clear_object (&self->turn);
  self->turn = turn ? g_object_ref (turn) : NULL;
  self->turn_given = TRUE;
  GST_OBJECT_UNLOCK (self);
}

/**
 * rw_sink_is_streaming:
 * @self: a sink
 *
 * Returns: %TRUE once the encoded video's caps, and the audio's if it has
 * an audio input, have arrived.
 */
gboolean
rw_sink_is_streaming (RwSink * self)
{
  RwCodec codec;
  gboolean audio;

  return get_media (self, &codec, &audio);
}

/* --- sessions, on the context --- */

static void
session_free (Session * session)
{
  g_object_unref (session->viewer);
  g_free (session);
}

static void
on_viewer_left (RwViewer * viewer, gpointer user_data)
{
  RwSink *self = user_data;

  g_signal_handlers_disconnect_by_data (viewer, self);
  g_hash_table_remove (self->leaving, viewer);
}

/* Takes a viewer out of the table: it leaves the tees (at once when the
 * media is stopped), and its session, if it was answered, is closed. */
static gboolean
remove_session (RwSink * self, const gchar * id, const gchar * reason,
    gboolean now)
{
  g_autofree gchar *session_id = NULL;
  Session *session;
  RwViewer *viewer;
  gboolean answered;

  if (!g_hash_table_steal_extended (self->sessions, id,
          (gpointer *) & session_id, (gpointer *) & session))
    return FALSE;
  viewer = g_steal_pointer (&session->viewer);
  answered = session->answered;
  g_free (session);

  g_message ("viewer %s removed: %s (%u left)", session_id, reason,
      g_hash_table_size (self->sessions));
  rw_counters_add (self->counters, RW_COUNTER_BYTES_LEFT,
      rw_viewer_get_bytes_sent (viewer));
  if (answered)
    rw_counters_session_closed (self->counters, reason);
  g_signal_handlers_disconnect_by_data (viewer, self);
  if (self->rate)
    rw_rate_layers_viewer_removed (self->rate, viewer);
  if (now)
    rw_viewer_leave_now (viewer);
  else
    rw_viewer_leave (viewer);
  if (rw_viewer_has_left (viewer)) {
    g_object_unref (viewer);
  } else {
    g_hash_table_add (self->leaving, viewer);
    g_signal_connect (viewer, "left", G_CALLBACK (on_viewer_left), self);
  }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEWERS]);
  g_signal_emit (self, signals[SIGNAL_VIEWER_REMOVED], 0, session_id, reason);
  if (answered)
    rw_session_host_session_closed (RW_SESSION_HOST (self), session_id, reason);
  return TRUE;
}

static void
on_viewer_connected (RwViewer * viewer, gpointer user_data)
{
  RwSink *self = user_data;

  g_message ("viewer %s connected", rw_viewer_get_id (viewer));
  /* The cached frames since the last keyframe, or a keyframe now, not at
   * join time: DTLS was not up then. */
  if (rw_viewer_has_video (viewer) && !rw_viewer_start_video (viewer))
    rw_sink_request_keyframe (self);
}

static void
on_viewer_closed (RwViewer * viewer, const gchar * reason, gpointer user_data)
{
  RwSink *self = user_data;

  remove_session (self, rw_viewer_get_id (viewer), reason, FALSE);
}

/* What an opening session carries until it is answered. */
typedef struct
{
  gchar *id;
  gchar *offer;
  GSource *timeout;             /* while waiting for the media */
  GSource *cancelled;           /* likewise */
  gint64 started;               /* monotonic */
} Opening;

static void
destroy_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

/* It no longer waits for the media. */
static void
opening_stop_waiting (Opening * opening)
{
  destroy_source (&opening->timeout);
  destroy_source (&opening->cancelled);
}

static void
opening_free (Opening * opening)
{
  opening_stop_waiting (opening);
  g_free (opening->id);
  g_free (opening->offer);
  g_free (opening);
}

static void
on_negotiated (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RwSink *self = g_task_get_source_object (task);
  Opening *opening = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  Session *session;

  answer = rw_viewer_negotiate_finish (RW_VIEWER (source), result, &error);
  session = g_hash_table_lookup (self->sessions, opening->id);
  if (answer && (session == NULL || session->viewer != RW_VIEWER (source))) {
    g_clear_pointer (&answer, g_free);
    error = g_error_new (RW_ERROR, RW_ERROR_FAILED, "the session closed "
        "while it was being answered");
  }
  if (answer == NULL) {
    g_autofree gchar *reason = g_strdup_printf ("negotiation failed: %s",
        error->message);

    remove_session (self, opening->id, reason, FALSE);
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  session->answered = TRUE;
  rw_counters_add (self->counters, RW_COUNTER_SESSIONS_OPENED, 1);
  GST_INFO_OBJECT (self, "viewer %s answered in %" G_GINT64_FORMAT " ms",
      opening->id, (g_get_monotonic_time () - opening->started) / 1000);
  g_task_return_pointer (task, g_steal_pointer (&answer), g_free);
}

/* The offer checked, matched against the media, and a viewer joined. */
static RwViewer *
add_viewer (RwSink * self, const gchar * id, GstSDPMessage * offer,
    GError ** error)
{
  g_auto (RwOfferMatch) match = { 0 };
  g_autoptr (RwTurn) turn = NULL;
  RwViewer *viewer;
  Session *session;
  RwCodec codec;
  gboolean audio;
  guint dropped;

  if (!get_media (self, &codec, &audio)) {
    g_set_error (error, RW_ERROR, RW_ERROR_UNAVAILABLE,
        "the video stream has not started yet");
    return NULL;
  }
  if (g_hash_table_size (self->sessions) >= self->config->max_viewers) {
    g_set_error (error, RW_ERROR, RW_ERROR_FULL,
        "already serving %u viewers (max-viewers)", self->config->max_viewers);
    return NULL;
  }

  dropped = rw_sdp_filter_candidates (offer,
      (const gchar * const *) self->config->ice_addresses,
      self->config->ice_tcp);
  if (dropped)
    GST_DEBUG_OBJECT (self, "ignored %u of the offer's candidates", dropped);
  if (rw_sdp_unify_bundle_credentials (offer))
    GST_DEBUG_OBJECT (self, "viewer %s: bundled m-lines take the first one's "
        "ICE credentials", id);
  if (!rw_sdp_match_offer (offer, codec, audio, &match, error))
    return NULL;

  GST_OBJECT_LOCK (self);
  turn = self->turn ? g_object_ref (self->turn) : NULL;
  GST_OBJECT_UNLOCK (self);
  viewer = rw_viewer_new (id, self->config, turn, codec, &match, error);
  if (viewer == NULL)
    return NULL;
  rw_viewer_set_counters (viewer, self->counters);
  rw_viewer_set_gop_cache (viewer, self->gop_cache);

  session = g_new0 (Session, 1);
  session->viewer = viewer;
  rw_rate_peer_init (&session->rate, g_get_monotonic_time ());
  g_hash_table_insert (self->sessions, g_strdup (id), session);
  g_signal_connect (viewer, "connected", G_CALLBACK (on_viewer_connected),
      self);
  g_signal_connect (viewer, "closed", G_CALLBACK (on_viewer_closed), self);

  if (!rw_viewer_join (viewer, GST_BIN (self),
          match.has_video ? self->tees[INPUT_VIDEO] : NULL,
          match.has_audio ? self->tees[INPUT_AUDIO] : NULL, error)) {
    remove_session (self, id, (*error)->message, FALSE);
    return NULL;
  }

  if (self->rate && match.has_video)
    rw_rate_layers_viewer_joined (self->rate, viewer);
  g_message ("viewer %s joined (%s%s%s; %u viewers)", id,
      match.has_video ? "video" : "", match.has_video && match.has_audio ?
      " and " : "", match.has_audio ? "audio" : "",
      g_hash_table_size (self->sessions));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEWERS]);
  g_signal_emit (self, signals[SIGNAL_VIEWER_ADDED], 0, id);
  return viewer;
}

static void
start_session (RwSink * self, GTask * task)
{
  Opening *opening = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  GstSDPMessage *offer;
  RwViewer *viewer = NULL;

  if (g_task_return_error_if_cancelled (task)) {
    g_object_unref (task);
    return;
  }

  offer = rw_sdp_parse_offer (opening->offer, &error);
  if (offer)
    viewer = add_viewer (self, opening->id, offer, &error);
  if (offer == NULL || viewer == NULL) {
    g_clear_pointer (&offer, gst_sdp_message_free);
    g_task_return_error (task, g_steal_pointer (&error));
    g_object_unref (task);
    return;
  }
  rw_viewer_negotiate_async (viewer, offer, g_task_get_cancellable (task),
      on_negotiated, task);
}

static gboolean
media_wait_timed_out (gpointer user_data)
{
  GTask *task = user_data;
  RwSink *self = g_task_get_source_object (task);

  self->waiting = g_list_remove (self->waiting, task);
  opening_stop_waiting (g_task_get_task_data (task));
  g_task_return_new_error (task, RW_ERROR, RW_ERROR_UNAVAILABLE,
      "the video stream has not started (%d s after the offer)",
      MEDIA_WAIT_MS / 1000);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static gboolean
media_wait_cancelled (GCancellable * cancellable, gpointer user_data)
{
  GTask *task = user_data;
  RwSink *self = g_task_get_source_object (task);

  self->waiting = g_list_remove (self->waiting, task);
  opening_stop_waiting (g_task_get_task_data (task));
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* The media started: the offers waiting for it go on. */
static void apply_publishes (RwSink * self);

static void
resume_waiting (RwSink * self)
{
  GList *waiting = g_steal_pointer (&self->waiting);

  if (!rw_sink_is_streaming (self)) {
    self->waiting = waiting;
    return;
  }
  apply_publishes (self);
  for (GList * l = waiting; l; l = l->next) {
    opening_stop_waiting (g_task_get_task_data (l->data));
    start_session (self, l->data);
  }
  g_list_free (waiting);
}

static void
rw_sink_open_async (RwSessionHost * host, const gchar * session_id,
    const gchar * offer, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  RwSink *self = RW_SINK (host);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Opening *opening = g_new0 (Opening, 1);

  g_task_set_source_tag (task, rw_sink_open_async);
  opening->id = g_strdup (session_id);
  opening->offer = g_strdup (offer);
  opening->started = g_get_monotonic_time ();
  g_task_set_task_data (task, opening, (GDestroyNotify) opening_free);

  if (self->context == NULL) {
    g_task_return_new_error (task, RW_ERROR, RW_ERROR_UNAVAILABLE,
        "robotwebrtcsink is not started");
    g_object_unref (task);
    return;
  }
  rw_assert_context (self->context);

  if (rw_sink_is_streaming (self)) {
    start_session (self, task);
    return;
  }
  GST_INFO_OBJECT (self, "viewer %s waits for the media", session_id);
  opening->timeout = g_timeout_source_new (MEDIA_WAIT_MS);
  g_source_set_callback (opening->timeout, media_wait_timed_out, task, NULL);
  g_source_attach (opening->timeout, self->context);
  if (cancellable) {
    opening->cancelled = g_cancellable_source_new (cancellable);
    g_source_set_callback (opening->cancelled,
        G_SOURCE_FUNC (media_wait_cancelled), task, NULL);
    g_source_attach (opening->cancelled, self->context);
  }
  self->waiting = g_list_append (self->waiting, task);
}

static gchar *
rw_sink_open_finish (RwSessionHost * host, GAsyncResult * result,
    GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, host), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
rw_sink_add_candidate (RwSessionHost * host, const gchar * id, guint mline,
    const gchar * candidate, gchar ** ignored, GError ** error)
{
  RwSink *self = RW_SINK (host);
  Session *session;
  const gchar *reason = NULL;

  if (self->context)
    rw_assert_context (self->context);
  session = g_hash_table_lookup (self->sessions, id);
  if (session == NULL || !session->answered) {
    g_set_error (error, RW_ERROR, RW_ERROR_NOT_FOUND,
        "no session with peer_id '%s'", id);
    return FALSE;
  }

  if (candidate == NULL || candidate[0] == '\0') {
    GST_DEBUG_OBJECT (self, "viewer %s: end of candidates", id);
    return TRUE;
  }

  if (!rw_sdp_candidate_acceptable (candidate,
          (const gchar * const *) self->config->ice_addresses,
          self->config->ice_tcp, &reason, error))
    return FALSE;
  if (reason) {
    GST_DEBUG_OBJECT (self, "viewer %s: ignoring candidate: %s", id, reason);
    if (ignored)
      *ignored = g_strdup (reason);
    return TRUE;
  }

  rw_viewer_add_candidate (session->viewer, mline, candidate);
  return TRUE;
}

static gboolean
rw_sink_close (RwSessionHost * host, const gchar * id, const gchar * reason)
{
  RwSink *self = RW_SINK (host);
  Session *session;

  if (self->context)
    rw_assert_context (self->context);
  session = g_hash_table_lookup (self->sessions, id);
  if (session == NULL || !session->answered)
    return FALSE;
  return remove_session (self, id, reason, FALSE);
}

/**
 * rw_sink_get_n_viewers:
 * @self: a sink
 *
 * Returns: the number of sessions, answered or being answered.
 */
guint
rw_sink_get_n_viewers (RwSink * self)
{
  return g_hash_table_size (self->sessions);
}

/**
 * rw_sink_get_n_branches:
 * @self: a sink
 *
 * Returns: how many pads the video tee has: viewers sent video, live or
 * still leaving.
 */
guint
rw_sink_get_n_branches (RwSink * self)
{
  gint n = 0;

  g_object_get (self->tees[INPUT_VIDEO], "num-src-pads", &n, NULL);
  return (guint) n;
}

/* Why a viewer must go, or NULL. The handshake timeout is the sink's
 * setting; once connected, the viewer itself knows when its RTCP stopped. */
static gchar *
stale_reason (RwSink * self, RwViewer * viewer, gint64 now)
{
  RwViewerState state = rw_viewer_get_state (viewer);
  guint timeout = self->config->handshake_timeout;

  if (state == RW_VIEWER_NEGOTIATING || state == RW_VIEWER_CONNECTING) {
    if (now - rw_viewer_get_created (viewer) > (gint64) timeout *
        G_USEC_PER_SEC)
      return g_strdup_printf ("it did not connect within %u s "
          "(handshake-timeout)", timeout);
    return NULL;
  }
  return g_strdup (rw_viewer_check_liveness (viewer, now));
}

static gboolean
check_liveness (gpointer user_data)
{
  RwSink *self = user_data;
  g_autoptr (GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Session *session;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & session)) {
    gchar *reason = stale_reason (self, session->viewer, now);

    if (reason) {
      g_ptr_array_add (stale, g_strdup (rw_viewer_get_id (session->viewer)));
      g_ptr_array_add (reasons, reason);
    }
  }

  for (guint i = 0; i < stale->len; i++)
    remove_session (self, stale->pdata[i], reasons->pdata[i], FALSE);
  return G_SOURCE_CONTINUE;
}

/* Every session ends and every viewer leaves, at once: the media is not
 * streaming any more. The context's owner calls this. */
static void
close_all (RwSink * self, const gchar * reason)
{
  g_autoptr (GList) leaving = NULL;
  GList *waiting = g_steal_pointer (&self->waiting);
  GHashTableIter iter;
  const gchar *id;

  for (GList * l = waiting; l; l = l->next) {
    opening_stop_waiting (g_task_get_task_data (l->data));
    g_task_return_new_error (l->data, RW_ERROR, RW_ERROR_UNAVAILABLE,
        "%s", reason);
    g_object_unref (l->data);
  }
  g_list_free (waiting);

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, (gpointer *) & id, NULL)) {
    g_autofree gchar *copy = g_strdup (id);

    remove_session (self, copy, reason, TRUE);
    g_hash_table_iter_init (&iter, self->sessions);
  }

  /* those that were leaving while the media streamed */
  leaving = g_hash_table_get_keys (self->leaving);
  for (GList * l = leaving; l; l = l->next)
    rw_viewer_leave_now (l->data);
  g_warn_if_fail (g_hash_table_size (self->leaving) == 0);
}

/* --- status --- */

/* codec, width, height, framerate and audio, as the inputs' caps say */
static gboolean
add_media (RwSink * self, JsonBuilder * builder)
{
  gboolean video, audio, ready;
  RwCodec codec;
  gint width, height, fps_n, fps_d;

  ready = get_media (self, &codec, &audio);
  GST_OBJECT_LOCK (self);
  video = self->have_caps[INPUT_VIDEO];
  codec = self->codec;
  width = self->width;
  height = self->height;
  fps_n = self->fps_n;
  fps_d = MAX (self->fps_d, 1);
  GST_OBJECT_UNLOCK (self);

  json_builder_set_member_name (builder, "codec");
  if (video)
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
  json_builder_set_member_name (builder, "audio");
  if (audio)
    json_builder_add_string_value (builder, "OPUS");
  else
    json_builder_add_null_value (builder);
  return ready;
}

/* The sink's members of `GET /streams` (SUMMARY): the media as its caps
 * say and the viewers; of `GET /status` (FULL): also max_viewers, the
 * video tee's branches and every session. */
static gboolean
rw_sink_add_status (RwSessionHost * host, JsonBuilder * builder,
    RwStatusDetail detail)
{
  RwSink *self = RW_SINK (host);
  GHashTableIter iter;
  Session *session;
  guint64 bytes_now = 0;
  gboolean streaming;

  if (self->context)
    rw_assert_context (self->context);
  streaming = add_media (self, builder);
  json_builder_set_member_name (builder, "viewers");
  json_builder_add_int_value (builder, g_hash_table_size (self->sessions));
  if (detail == RW_STATUS_SUMMARY)
    return streaming;

  json_builder_set_member_name (builder, "max_viewers");
  json_builder_add_int_value (builder, self->config->max_viewers);
  json_builder_set_member_name (builder, "branches");
  json_builder_add_int_value (builder, rw_sink_get_n_branches (self));
  GST_OBJECT_LOCK (self);
  if (self->turn)
    rw_turn_add_status (self->turn, builder);
  GST_OBJECT_UNLOCK (self);
  json_builder_set_member_name (builder, "peers");
  json_builder_begin_array (builder);
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & session)) {
    rw_viewer_add_status (session->viewer, builder);
    bytes_now += rw_viewer_get_bytes_sent (session->viewer);
  }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "publish");
  json_builder_begin_array (builder);
  for (guint i = 0; self->publishes && i < self->publishes->len; i++)
    rw_publish_add_status (g_ptr_array_index (self->publishes, i), builder);
  json_builder_end_array (builder);
  if (self->rate)
    rw_rate_layers_add_status (self->rate, builder);
  rw_counters_add_status (self->counters, builder, bytes_now);
  return streaming;
}

static void
rw_sink_snapshot_async (RwSessionHost * host, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  rw_snapshot_get_async (RW_SINK (host)->snapshot, cancellable, callback,
      user_data);
}

static GBytes *
rw_sink_snapshot_finish (RwSessionHost * host, GAsyncResult * result,
    GError ** error)
{
  return rw_snapshot_get_finish (RW_SINK (host)->snapshot, result, error);
}

static void
rw_sink_session_host_init (RwSessionHostInterface * iface)
{
  iface->snapshot_async = rw_sink_snapshot_async;
  iface->snapshot_finish = rw_sink_snapshot_finish;
  iface->open_async = rw_sink_open_async;
  iface->open_finish = rw_sink_open_finish;
  iface->add_candidate = rw_sink_add_candidate;
  iface->close = rw_sink_close;
  iface->add_status = rw_sink_add_status;
}

/* --- publishing (rw-publish.c) --- */

static void
on_publish_connected (RwViewer * viewer, gpointer user_data)
{
  /* as for a viewer: DTLS was not up when it joined */
  if (rw_viewer_has_video (viewer) && !rw_viewer_start_video (viewer))
    rw_sink_request_keyframe (user_data);
}

/* RwPublishJoinFunc: an offering branch of the tees, for one attempt. */
static RwViewer *
join_publish (gpointer host, const gchar * id, const RwConfig * settings,
    RwTurn * turn, gboolean audio, GError ** error)
{
  RwSink *self = host;
  RwViewer *viewer;
  RwCodec codec;
  gboolean have_audio;

  if (!get_media (self, &codec, &have_audio)) {
    g_set_error (error, RW_ERROR, RW_ERROR_UNAVAILABLE,
        "the video stream has not started yet");
    return NULL;
  }
  viewer = rw_viewer_new_offerer (id, settings, turn, codec,
      audio && have_audio, error);
  if (viewer == NULL)
    return NULL;
  /* (not in the viewers' totals: /status shows the publish's own) */
  rw_viewer_set_gop_cache (viewer, self->gop_cache);
  g_signal_connect_object (viewer, "connected",
      G_CALLBACK (on_publish_connected), self, 0);
  if (!rw_viewer_join (viewer, GST_BIN (self), self->tees[INPUT_VIDEO],
          audio && have_audio ? self->tees[INPUT_AUDIO] : NULL, error)) {
    g_object_unref (viewer);
    return NULL;
  }
  return viewer;
}

static RwPublish *
find_publish (RwSink * self, const gchar * name)
{
  for (guint i = 0; i < self->publishes->len; i++) {
    RwPublish *publish = g_ptr_array_index (self->publishes, i);

    if (g_str_equal (rw_publish_get_config (publish)->name, name))
      return publish;
  }
  return NULL;
}

static gboolean
has_publish_config (GPtrArray * configs, const RwPublishConfig * config)
{
  for (guint i = 0; configs && i < configs->len; i++) {
    if (rw_publish_config_equal (g_ptr_array_index (configs, i), config))
      return TRUE;
  }
  return FALSE;
}

/* On the context, while serving: the running publishes become those of
 * the settings, once the media runs. A changed one starts again. */
static void
apply_publishes (RwSink * self)
{
  g_autoptr (GPtrArray) configs = NULL;
  g_autoptr (RwTurn) turn = NULL;

  if (self->publishes == NULL)
    return;                     /* not serving */
  GST_OBJECT_LOCK (self);
  configs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rw_publish_config_free);
  for (guint i = 0; i < self->config->publishes->len; i++)
    g_ptr_array_add (configs, rw_publish_config_copy
        (g_ptr_array_index (self->config->publishes, i)));
  turn = self->turn ? g_object_ref (self->turn) : NULL;
  GST_OBJECT_UNLOCK (self);

  for (guint i = 0; i < self->publishes->len;) {
    RwPublish *publish = g_ptr_array_index (self->publishes, i);

    if (has_publish_config (configs, rw_publish_get_config (publish))) {
      i++;
      continue;
    }
    rw_publish_stop (publish, FALSE);
    g_ptr_array_remove_index (self->publishes, i);
  }
  if (!rw_sink_is_streaming (self))
    return;                     /* started when the media arrives */
  for (guint i = 0; i < configs->len; i++) {
    const RwPublishConfig *config = g_ptr_array_index (configs, i);
    RwPublish *publish;

    if (find_publish (self, config->name))
      continue;
    publish = rw_publish_new (config, self->config, turn, join_publish, self);
    g_ptr_array_add (self->publishes, publish);
    rw_publish_start (publish);
  }
}

static gboolean
apply_publishes_later (gpointer user_data)
{
  apply_publishes (user_data);
  return G_SOURCE_REMOVE;
}

/* On the context: every publish ends, its session at the endpoint too. */
static void
stop_publishes (RwSink * self)
{
  g_autoptr (GPtrArray) publishes = g_steal_pointer (&self->publishes);

  for (guint i = 0; publishes && i < publishes->len; i++)
    rw_publish_stop (g_ptr_array_index (publishes, i), TRUE);
}

/**
 * rw_sink_set_publishes:
 * @self: a sink
 * @publishes: (element-type RwPublishConfig): where to publish the
 *   stream, once each (WHIP)
 *
 * Replaces the publish-url and publish-token-file properties with the
 * application's list (the daemon's `[publish NAME]` groups of this
 * stream). While the sink serves, the publishes no longer listed stop,
 * changed ones start again and new ones start; the others go on.
 */
void
rw_sink_set_publishes (RwSink * self, GPtrArray * publishes)
{
  g_return_if_fail (RW_IS_SINK (self));

  GST_OBJECT_LOCK (self);
  g_ptr_array_set_size (self->config->publishes, 0);
  for (guint i = 0; publishes && i < publishes->len; i++)
    g_ptr_array_add (self->config->publishes,
        rw_publish_config_copy (g_ptr_array_index (publishes, i)));
  GST_OBJECT_UNLOCK (self);
  if (self->context)
    g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT,
        apply_publishes_later, gst_object_ref (self), gst_object_unref);
}

/* The element's own publish, from its properties. */
static void
set_publish_property (RwSink * self, guint prop_id, const GValue * value)
{
  GPtrArray *publishes = self->config->publishes;
  RwPublishConfig *config;

  if (publishes->len == 0)
    g_ptr_array_add (publishes, rw_publish_config_new ("whip"));
  config = g_ptr_array_index (publishes, 0);
  if (prop_id == PROP_PUBLISH_URL) {
    g_free (config->url);
    config->url = g_value_dup_string (value);
  } else {
    g_free (config->token_file);
    config->token_file = g_value_dup_string (value);
  }
  if (config->url == NULL && config->token_file == NULL)
    g_ptr_array_set_size (publishes, 0);
}

/* --- serving --- */

static void
start_liveness (RwSink * self)
{
  self->liveness = g_timeout_source_new (LIVENESS_INTERVAL_MS);
  g_source_set_callback (self->liveness, check_liveness, self, NULL);
  g_source_set_static_name (self->liveness, "rw-viewer-liveness");
  g_source_attach (self->liveness, self->context);
}

/* On the context: the rate control's round over the connected viewers. */
static gboolean
update_rates (gpointer user_data)
{
  RwSink *self = user_data;
  guint n = g_hash_table_size (self->sessions), k = 0;
  g_autofree RwViewer **viewers = g_new (RwViewer *, MAX (n, 1));
  g_autofree RwRatePeer **peers = g_new (RwRatePeer *, MAX (n, 1));
  GHashTableIter iter;
  Session *session;
  RwCodec codec;
  gint width, height, fps_n, fps_d;
  RwRateSettings settings;

  if (g_atomic_int_compare_and_exchange (&self->low_failed, TRUE, FALSE))
    rw_rate_layers_low_failed (self->rate);
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & session)) {
    if (!rw_viewer_has_video (session->viewer) ||
        rw_viewer_get_state (session->viewer) != RW_VIEWER_CONNECTED)
      continue;
    viewers[k] = session->viewer;
    peers[k++] = &session->rate;
  }
  GST_OBJECT_LOCK (self);
  codec = self->codec;
  width = self->width;
  height = self->height;
  fps_n = self->fps_n;
  fps_d = self->fps_d;
  settings = self->rate_settings;
  GST_OBJECT_UNLOCK (self);
  rw_rate_layers_update (self->rate, &settings, viewers, peers, k, codec,
      width, height, fps_n, fps_d);
  return G_SOURCE_CONTINUE;
}

static void
start_rate_control (RwSink * self)
{
  self->rate = rw_rate_layers_new (GST_BIN (self), self->tees[INPUT_VIDEO],
      self->context, &self->rate_settings);
  self->rate_timer = g_timeout_source_new (RATE_INTERVAL_MS);
  g_source_set_callback (self->rate_timer, update_rates, self, NULL);
  g_source_set_static_name (self->rate_timer, "rw-rate-control");
  g_source_attach (self->rate_timer, self->context);
}

static gboolean
start_serving (RwSink * self, GError ** error)
{
  g_return_val_if_fail (self->context == NULL, FALSE);

  if (self->config->port == 0) {
    self->context = g_main_context_ref_thread_default ();
  } else {
    /* with a port: its own HTTP server on its own context and thread,
     * serving this element's sessions */
    self->context = g_main_context_new ();
    self->signaling = rw_signaling_thread_start (self->config, self->context,
        RW_STREAM_DEFAULT_NAME, RW_SESSION_HOST (self), error);
    if (self->signaling == NULL) {
      g_clear_pointer (&self->context, g_main_context_unref);
      return FALSE;
    }
  }
  start_liveness (self);
  start_rate_control (self);
  self->publishes = g_ptr_array_new_with_free_func (g_object_unref);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT,
      apply_publishes_later, gst_object_ref (self), gst_object_unref);
  return TRUE;
}

/* On the context: every session ends, nothing more is scheduled there. */
static gboolean
stop_sessions (gpointer user_data)
{
  RwSink *self = user_data;

  if (self->liveness) {
    g_source_destroy (self->liveness);
    g_clear_pointer (&self->liveness, g_source_unref);
  }
  g_mutex_lock (&self->keyframe_lock);
  if (self->keyframe_timer) {
    g_source_destroy (self->keyframe_timer);
    g_clear_pointer (&self->keyframe_timer, g_source_unref);
  }
  g_mutex_unlock (&self->keyframe_lock);
  stop_publishes (self);
  close_all (self, "the stream stopped");
  if (self->rate_timer) {
    g_source_destroy (self->rate_timer);
    g_clear_pointer (&self->rate_timer, g_source_unref);
  }
  g_clear_pointer (&self->rate, rw_rate_layers_free);
  return G_SOURCE_REMOVE;
}

/* Closes every session, stops the server if any. No main loop is iterated
 * here: with a port the signaling thread ends the sessions before it
 * quits, without one the caller's thread does, which runs the context (see
 * the class documentation). */
static void
stop_serving (RwSink * self)
{
  if (self->context == NULL)
    return;

  if (self->signaling)
    rw_signaling_thread_stop (g_steal_pointer (&self->signaling),
        stop_sessions, self);
  /* without a port, or if the thread could not do it in time */
  if (g_main_context_acquire (self->context)) {
    stop_sessions (self);
    g_main_context_release (self->context);
  } else {
    g_critical ("robotwebrtcsink: set to NULL from a thread that does not "
        "run its main context (the one that was thread-default when it went "
        "to READY)");
  }
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

  remove_session (failed->sink, failed->id, failed->reason, FALSE);
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

/* Whether a message comes from the low layer (rw-low-layer.c). */
static gboolean
is_low_layer_message (RwSink * self, GstMessage * msg)
{
  for (GstObject * obj = GST_MESSAGE_SRC (msg); obj != NULL &&
      obj != GST_OBJECT (self); obj = GST_OBJECT_PARENT (obj)) {
    if (GST_OBJECT_PARENT (obj) == GST_OBJECT (self) &&
        g_str_has_prefix (GST_OBJECT_NAME (obj), RW_LOW_LAYER_NAME))
      return TRUE;
  }
  return FALSE;
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
      is_low_layer_message (self, msg)) {
    GST_WARNING_OBJECT (self, "the low layer failed: %" GST_PTR_FORMAT, msg);
    g_atomic_int_set (&self->low_failed, TRUE);
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

static gboolean load_turn (RwSink * self, GError ** error);

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
      if (!load_turn (self, &error)) {
        GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
            (NULL));
        return GST_STATE_CHANGE_FAILURE;
      }
      /* an application (the daemon) prewarms off its main thread */
      if (self->config->port)
        rw_viewer_prewarm ();
      if (!start_serving (self, &error)) {
        GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
            ("%s", error->message), (NULL));
        return GST_STATE_CHANGE_FAILURE;
      }
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      /* the viewers leave before the bin sets its children to NULL */
      stop_serving (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (rw_sink_parent_class)->change_state (element,
      transition);

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      GST_OBJECT_LOCK (self);
      for (guint i = 0; i < N_INPUTS; i++)
        self->have_caps[i] = self->ended[i] = FALSE;
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
is_turn_property (guint prop_id)
{
  return prop_id == PROP_TURN_SERVER || prop_id == PROP_TURN_USER ||
      prop_id == PROP_TURN_PASSWORD || prop_id == PROP_TURN_SECRET_FILE ||
      prop_id == PROP_TURN_CREDENTIAL_LIFETIME;
}

/* The TURN server of the properties, unless the application gave one
 * (rw_sink_set_turn()). Reads the secret file. */
static gboolean
load_turn (RwSink * self, GError ** error)
{
  RwTurn *turn = NULL;
  gboolean given;

  GST_OBJECT_LOCK (self);
  given = self->turn_given;
  GST_OBJECT_UNLOCK (self);
  if (given)
    return TRUE;
  if (!rw_config_new_turn (self->config, &turn, error))
    return FALSE;

  GST_OBJECT_LOCK (self);
  g_clear_object (&self->turn);
  self->turn = turn;
  GST_OBJECT_UNLOCK (self);
  if (turn)
    GST_INFO_OBJECT (self, "TURN server %s, %s credentials",
        rw_turn_get_server (turn), rw_turn_has_secret (turn) ? "minted" :
        "static");
  return TRUE;
}

static gboolean
apply_change (gpointer data)
{
  Change *change = data;
  RwSink *self = change->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (RwTurn) turn = NULL;

  set_config_value (self, change->prop_id, &change->value);
  if (!is_turn_property (change->prop_id))
    return G_SOURCE_REMOVE;
  if (!load_turn (self, &error)) {
    g_warning ("robotwebrtcsink: the TURN settings stay as they were: %s",
        error->message);
    return G_SOURCE_REMOVE;
  }
  /* the WHEP Link headers of its own server name the same one */
  GST_OBJECT_LOCK (self);
  turn = self->turn ? g_object_ref (self->turn) : NULL;
  GST_OBJECT_UNLOCK (self);
  if (self->signaling)
    rw_signaling_thread_set_turn (self->signaling, turn);
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
  if (prop_id == PROP_GOP_CACHE) {
    /* the cache has its own lock */
    self->gop_cache_kib = g_value_get_uint (value);
    rw_gop_cache_set_max_bytes (self->gop_cache, self->gop_cache_kib * 1024);
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
    case PROP_METRICS_ALLOW:
      g_strfreev (config->metrics_allow);
      config->metrics_allow = list_to_strv (g_value_get_string (value));
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
    case PROP_TURN_USER:
      g_free (config->turn_user);
      config->turn_user = g_value_dup_string (value);
      break;
    case PROP_TURN_PASSWORD:
      g_free (config->turn_password);
      config->turn_password = g_value_dup_string (value);
      break;
    case PROP_TURN_SECRET_FILE:
      g_free (config->turn_secret_file);
      config->turn_secret_file = g_value_dup_string (value);
      break;
    case PROP_TURN_CREDENTIAL_LIFETIME:
      config->turn_credential_lifetime = g_value_get_uint (value);
      break;
    case PROP_PUBLIC_ADDRESS:
      g_free (config->public_address);
      config->public_address = g_value_dup_string (value);
      break;
    case PROP_RETRANSMISSIONS:
      config->retransmissions = g_value_get_boolean (value);
      break;
    case PROP_ZERO_PLAYOUT_DELAY:
      config->zero_playout_delay = g_value_get_boolean (value);
      break;
    case PROP_FEC_PERCENTAGE:
      config->fec_percentage = g_value_get_uint (value);
      break;
    case PROP_ICE_TCP:
      config->ice_tcp = g_value_get_boolean (value);
      break;
    case PROP_PUBLISH_URL:
    case PROP_PUBLISH_TOKEN_FILE:
      set_publish_property (self, prop_id, value);
      break;
    case PROP_RATE_CONTROL:
      self->rate_settings.enabled = g_value_get_boolean (value);
      break;
    case PROP_MIN_BITRATE:
      self->rate_settings.min_bitrate = g_value_get_uint (value);
      break;
    case PROP_MAX_BITRATE:
      self->rate_settings.max_bitrate = g_value_get_uint (value);
      break;
    case PROP_LOW_LAYER:
      self->rate_settings.low_layer = g_value_get_boolean (value);
      break;
    case PROP_LOW_LAYER_BITRATE:
      self->rate_settings.low_bitrate = g_value_get_uint (value);
      break;
    case PROP_SCALE_DOWN:
      self->rate_settings.scale_down = g_value_get_boolean (value);
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
    case PROP_METRICS_ALLOW:
      g_value_take_string (value, strv_to_list (config->metrics_allow));
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
    case PROP_GOP_CACHE:
      g_value_set_uint (value, self->gop_cache_kib);
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
    case PROP_TURN_USER:
      g_value_set_string (value, config->turn_user);
      break;
    case PROP_TURN_SECRET_FILE:
      g_value_set_string (value, config->turn_secret_file);
      break;
    case PROP_TURN_CREDENTIAL_LIFETIME:
      g_value_set_uint (value, config->turn_credential_lifetime);
      break;
    case PROP_PUBLIC_ADDRESS:
      g_value_set_string (value, config->public_address);
      break;
    case PROP_RETRANSMISSIONS:
      g_value_set_boolean (value, config->retransmissions);
      break;
    case PROP_ZERO_PLAYOUT_DELAY:
      g_value_set_boolean (value, config->zero_playout_delay);
      break;
    case PROP_FEC_PERCENTAGE:
      g_value_set_uint (value, config->fec_percentage);
      break;
    case PROP_ICE_TCP:
      g_value_set_boolean (value, config->ice_tcp);
      break;
    case PROP_RATE_CONTROL:
      g_value_set_boolean (value, self->rate_settings.enabled);
      break;
    case PROP_MIN_BITRATE:
      g_value_set_uint (value, self->rate_settings.min_bitrate);
      break;
    case PROP_MAX_BITRATE:
      g_value_set_uint (value, self->rate_settings.max_bitrate);
      break;
    case PROP_LOW_LAYER:
      g_value_set_boolean (value, self->rate_settings.low_layer);
      break;
    case PROP_LOW_LAYER_BITRATE:
      g_value_set_uint (value, self->rate_settings.low_bitrate);
      break;
    case PROP_SCALE_DOWN:
      g_value_set_boolean (value, self->rate_settings.scale_down);
      break;
    case PROP_PUBLISH_URL:
    case PROP_PUBLISH_TOKEN_FILE:{
      const RwPublishConfig *publish = config->publishes->len > 0 ?
          g_ptr_array_index (config->publishes, 0) : NULL;

      g_value_set_string (value, publish == NULL ? NULL :
          prop_id == PROP_PUBLISH_URL ? publish->url : publish->token_file);
      break;
    }
    case PROP_VIEWERS:
      /* the table belongs to the context; its size is a plain read */
      g_value_set_uint (value, g_hash_table_size (self->sessions));
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
  g_clear_object (&self->snapshot);

  G_OBJECT_CLASS (rw_sink_parent_class)->dispose (object);
}

static void
rw_sink_finalize (GObject * object)
{
  RwSink *self = RW_SINK (object);

  g_hash_table_unref (self->sessions);
  g_hash_table_unref (self->leaving);
  rw_config_free (self->config);
  g_clear_object (&self->turn);
  rw_counters_unref (self->counters);
  rw_gop_cache_unref (self->gop_cache);
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
  element_class->request_new_pad = GST_DEBUG_FUNCPTR (rw_sink_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (rw_sink_release_pad);
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
  properties[PROP_METRICS_ALLOW] = g_param_spec_string ("metrics-allow",
      "Metrics allow", "Comma-separated addresses and networks (10.0.0.0/8) "
      "that may read GET /metrics besides loopback (NULL: loopback only)",
      NULL, rw);
  properties[PROP_MAX_VIEWERS] = g_param_spec_uint ("max-viewers",
      "Max viewers", "Most viewers at once; more get HTTP 503", 1, 1000, 32,
      per_viewer);
  properties[PROP_STUN_SERVER] = g_param_spec_string ("stun-server",
      "STUN server", "stun://host:port (NULL: none)", NULL, per_viewer);
  properties[PROP_TURN_SERVER] = g_param_spec_string ("turn-server",
      "TURN server", "turn:host:port[?transport=tcp] or turns:host:port, with "
      "turn-user and turn-password or turn-secret-file; or "
      "turn(s)://user:password@host:port, escaped (NULL: none)", NULL,
      per_viewer);
  properties[PROP_TURN_USER] = g_param_spec_string ("turn-user",
      "TURN user", "User name at turn-server, as it is (not escaped)", NULL,
      per_viewer);
  properties[PROP_TURN_PASSWORD] = g_param_spec_string ("turn-password",
      "TURN password", "Password of turn-user, as it is (write only)", NULL,
      G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  properties[PROP_TURN_SECRET_FILE] = g_param_spec_string
      ("turn-secret-file", "TURN secret file", "File holding coturn's "
      "static-auth-secret: the element mints TURN credentials with it "
      "(NULL: turn-user and turn-password)", NULL, per_viewer);
  properties[PROP_TURN_CREDENTIAL_LIFETIME] = g_param_spec_uint
      ("turn-credential-lifetime", "TURN credential lifetime",
      "Seconds minted TURN credentials are valid", RW_TURN_MIN_LIFETIME,
      RW_TURN_MAX_LIFETIME, RW_TURN_DEFAULT_LIFETIME, per_viewer);
  properties[PROP_PUBLIC_ADDRESS] = g_param_spec_string ("public-address",
      "Public address", "Address a router forwards the media ports from: "
      "each host candidate is also announced on it (NULL: none)", NULL,
      per_viewer);
  properties[PROP_RETRANSMISSIONS] = g_param_spec_boolean ("retransmissions",
      "Retransmissions", "Resend lost video packets a viewer asks for "
      "(generic NACK, RTX)", RW_CONFIG_DEFAULT_RETRANSMISSIONS, per_viewer);
  properties[PROP_ZERO_PLAYOUT_DELAY] = g_param_spec_boolean
      ("zero-playout-delay", "Zero playout delay", "Ask a browser that "
      "offers the playout-delay header extension (Chromium, Firefox) to "
      "show each frame as soon as it is decoded (min = max = 0)",
      RW_CONFIG_DEFAULT_ZERO_PLAYOUT_DELAY, per_viewer);
  properties[PROP_FEC_PERCENTAGE] = g_param_spec_uint ("fec-percentage",
      "FEC percentage", "Video forward error correction (ULPFEC in RED): "
      "FEC packets per 100 media packets (0: off)", 0, 100,
      RW_CONFIG_DEFAULT_FEC_PERCENTAGE, per_viewer);
  properties[PROP_ICE_TCP] = g_param_spec_boolean ("ice-tcp", "ICE-TCP",
      "Also offer passive TCP candidates, for viewers whose UDP is blocked "
      "(on min-rtp-port..max-rtp-port when set)", RW_CONFIG_DEFAULT_ICE_TCP,
      per_viewer);
  properties[PROP_RATE_CONTROL] = g_param_spec_boolean ("rate-control",
      "Rate control", "The encoder upstream follows the viewers' bandwidth "
      "estimates (docs/rate-control.md)", TRUE, per_viewer);
  properties[PROP_MIN_BITRATE] = g_param_spec_uint ("min-bitrate",
      "Min bitrate", "The lowest bitrate rate control sets, bit/s "
      "(0: a tenth of max-bitrate)", 0, G_MAXINT, 0, per_viewer);
  properties[PROP_MAX_BITRATE] = g_param_spec_uint ("max-bitrate",
      "Max bitrate", "The highest bitrate rate control sets, bit/s "
      "(0: the encoder's own when the element starts)", 0, G_MAXINT, 0,
      per_viewer);
  properties[PROP_LOW_LAYER] = g_param_spec_boolean ("low-layer",
      "Low layer", "Viewers far below the others get a second, half-size "
      "encoding while they need it", TRUE, per_viewer);
  properties[PROP_LOW_LAYER_BITRATE] = g_param_spec_uint
      ("low-layer-bitrate", "Low layer bitrate", "The low layer's bitrate, "
      "bit/s", 20000, G_MAXINT, DEFAULT_LOW_LAYER_BITRATE, per_viewer);
  properties[PROP_SCALE_DOWN] = g_param_spec_boolean ("scale-down",
      "Scale down", "The encoder's picture shrinks (to 3/4, then 1/2) while "
      "it drops frames to keep a low target; it needs a capsfilter with the "
      "size upstream of the encoder", TRUE, per_viewer);
  properties[PROP_ICE_ADDRESSES] = g_param_spec_string ("ice-addresses",
      "ICE addresses", "Comma-separated local addresses ICE may use "
      "(NULL: every interface)", NULL, per_viewer);
  properties[PROP_KEYFRAME_MIN_INTERVAL] =
      g_param_spec_uint ("keyframe-min-interval", "Keyframe min interval",
      "Fewest milliseconds between keyframes requested of the encoder "
      "(viewers' requests in between are merged)", 0, 60000,
      DEFAULT_KEYFRAME_MIN_INTERVAL, G_PARAM_READWRITE |
      G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  properties[PROP_GOP_CACHE] = g_param_spec_uint ("gop-cache", "GOP cache",
      "KiB of video kept from the last keyframe on: a viewer that joins "
      "starts with it, instead of a keyframe forced for every viewer; a "
      "larger group is not kept (0: off, always force)", 0, 65536,
      DEFAULT_GOP_CACHE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);
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
  properties[PROP_PUBLISH_URL] = g_param_spec_string ("publish-url",
      "Publish URL", "A WHIP endpoint (http(s)://…) to send the stream to, "
      "once, for an SFU to fan out (NULL: none; docs/scale-out.md)", NULL, rw);
  properties[PROP_PUBLISH_TOKEN_FILE] = g_param_spec_string
      ("publish-token-file", "Publish token file", "File holding the bearer "
      "token of publish-url, read at each attempt (NULL: none)", NULL, rw);
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
   * sink's context.
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
   * A viewer left or was removed. Emitted on the sink's context.
   */
  signals[SIGNAL_VIEWER_REMOVED] = g_signal_new ("viewer-removed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (element_class,
      "Robot WebRTC sink", "Sink/Network",
      "Serves one encoded video stream, and its audio, to many WebRTC "
      "viewers with HTTP signaling", "robot-webrtc contributors");

  GST_DEBUG_CATEGORY_INIT (rw_sink_debug, "rw-sink", 0,
      "robot-webrtc fan-out sink");
}

static GstElement *
make_tee (RwSink * self, guint input)
{
  GstElement *tee = gst_element_factory_make ("tee", input_names[input]);
  g_autoptr (GstPad) pad = NULL;

  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add (GST_BIN (self), tee);
  pad = gst_element_get_static_pad (tee, "sink");
  if (input == INPUT_VIDEO) {
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        limit_keyframe_requests, self, NULL);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, cache_video, self, NULL);
  }
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_EVENT_FLUSH, watch_input, self, NULL);
  return tee;
}

static void
rw_sink_init (RwSink * self)
{
  g_mutex_init (&self->keyframe_lock);
  self->config = rw_config_new ();
  self->config->port = 0;
  self->config->allowed_origins = list_to_strv ("*");
  self->keyframe_min_interval = DEFAULT_KEYFRAME_MIN_INTERVAL;
  self->rate_settings = (RwRateSettings) {
  TRUE, 0, 0, TRUE, DEFAULT_LOW_LAYER_BITRATE, TRUE};
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) session_free);
  self->leaving = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->counters = rw_counters_new ();
  self->gop_cache_kib = DEFAULT_GOP_CACHE;
  self->gop_cache = rw_gop_cache_new (DEFAULT_GOP_CACHE * 1024);

  for (guint i = 0; i < N_INPUTS; i++)
    self->tees[i] = make_tee (self, i);
  {
    g_autoptr (GstPad) pad = gst_element_get_static_pad (self->tees
        [INPUT_VIDEO], "sink");

    self->snapshot = rw_snapshot_new (pad);
  }

  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

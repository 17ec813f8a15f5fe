/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-viewer
 * @title: RwViewer
 * @short_description: one browser: a queue, a payloader and a webrtcbin
 *
 * A viewer is one webrtcbin fed by a branch `queue ! payloader` of the
 * shared video tee and, when its offer receives audio, another of the audio
 * tee. The video branch starts with a funnel whose second input takes the
 * low layer while there is one; its gate (rw-layer-gate.c) picks the layer
 * the rate control asks for (rw_viewer_set_layer()), and the viewer's
 * receiver reports and REMB make its bandwidth estimate
 * (rw_viewer_measure_rate()). It answers the viewer's offer with the payload types the viewer
 * chose, restricts ICE as configured, and watches the connection:
 * #RwViewer::connected when media can flow, #RwViewer::closed when the
 * connection fails or closes. rw_viewer_check_liveness() finds viewers
 * that stopped sending RTCP (a closed tab sends nothing, not even a BYE).
 *
 * A viewer joins the tees itself (rw_viewer_join()) and leaves them itself
 * (rw_viewer_leave()): IDLE probes unlink its branches without disturbing
 * the other viewers, then, on the main context, its tee pads are released
 * and its bin leaves the pipeline (#RwViewer::left); the bin is set to NULL
 * on a GStreamer task thread, so that a slow webrtcbin shutdown never
 * stalls the main loop.
 *
 * webrtcbin calls back on its own threads; every callback here only hops
 * to the viewer's main context, where all state lives.
 */

#include "rw-viewer.h"
#include "rw-counters.h"
#include "rw-error.h"
#include "rw-gop-cache.h"
#include "rw-layer-gate.h"
#include "rw-playout-delay.h"
#include "rw-private.h"
#include "rw-receiver-rtt.h"
#include "rw-rate-estimate.h"
#include "rw-remb.h"
#include "rw-turn.h"

#include <gst/rtp/gstrtcpbuffer.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rw_viewer_debug);
#define GST_CAT_DEFAULT rw_viewer_debug

/* Bounds on the answer: the whole negotiation, and the wait for our ICE
 * candidates (host candidates take milliseconds; STUN may take longer). */
#define NEGOTIATE_TIMEOUT_MS 5000
#define GATHER_TIMEOUT_MS 3000
/* A leaky queue never lets a slow viewer hold up the tee. */
#define QUEUE_MAX_TIME (500 * GST_MSECOND)
#define RTP_MTU 1200
/* /status's view of the connection (`ice`): webrtcbin's stats are asked
 * for this often while connected, at most one request at a time; one
 * unanswered for STATS_TIMEOUT_US is given up. */
#define STATS_INTERVAL_MS 2000
#define STATS_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* How far back a viewer may ask for a packet again: a resent packet older
 * than that comes too late for a browser's jitter buffer, and webrtcbin's
 * own bound (500 packets, 2-5 s of video) costs every viewer memory. */
#define RTX_HISTORY_MS 1000
/* after a switch of layer, what was sent before is not resent: the
 * history is cut for this long (until the next rate round) */
#define RTX_FORGET_US (300 * 1000)

/* The steps of a negotiation: answering a viewer's offer (remote set,
 * answer created, local set), or, as a WHIP client, offering (offer
 * created, local set) and then taking the answer (remote set). */
typedef enum
{
  STEP_REMOTE_SET,
  STEP_ANSWER_CREATED,
  STEP_OFFER_CREATED,
  STEP_LOCAL_SET,
} Step;

/* A viewer's branches: video, audio. */
enum
{
  BRANCH_VIDEO,
  BRANCH_AUDIO,
  N_BRANCHES
};

/* The viewer's links to the tees: its branches', and the low layer's
 * (into the video branch's funnel) while there is one. */
enum
{
  LINK_VIDEO_LOW = N_BRANCHES,
  N_LINKS
};

static const gchar *branch_names[N_BRANCHES] = { "video", "audio" };

/* One end of the selected candidate pair, as webrtcbin's stats say. */
typedef struct
{
  gchar *type;                  /* host, srflx, prflx, relay */
  gchar *protocol;              /* udp, tcp */
  gchar *relay_protocol;        /* relay only, when known: udp, tcp, tls */
  gchar *address;
  guint port;
} IceCandidate;

/* The latest snapshot of the viewer's connection. */
typedef struct
{
  IceCandidate local;
  IceCandidate remote;
  gdouble rtt_ms;               /* < 0: no receiver report with one yet */
  gdouble fraction_lost;        /* of that report; < 0: none yet */
  gint64 updated;               /* monotonic */
} IceSnapshot;

struct _RwViewer
{
  GObject parent;

  gchar *id;
  GMainContext *context;
  GstElement *bin;
  GstElement *webrtcbin;
  GstElement *payloaders[N_BRANCHES];   /* NULL: not sent */
  guint mlines[N_BRANCHES];

  /* main context only */
  RwViewerState state;
  gboolean offerer;             /* we offer (WHIP), the peer answers */
  gint64 created;               /* monotonic */
  gint64 connected_since;       /* wall clock, 0 until connected */
  GstBin *parent_bin;           /* while joined */
  GstElement *tees[N_LINKS];
  GstPad *tee_pads[N_LINKS];
  RwLayerGate *gate;            /* the video's layers; NULL without video */
  guint video_ssrc;
  guint n_unlinked;             /* branches the IDLE probes unlinked */
  gboolean leaving;
  gboolean left;
  GTask *negotiation;
  GSource *negotiation_timeout;
  GSource *gather_timeout;
  gulong cancelled_id;
  GstPromise *promise;          /* the webrtcbin operation in flight */
  RwTurn *turn;                 /* NULL: no TURN server */
  gboolean gathered;            /* ICE gathering completed */
  gchar *public_address;        /* announced beside host candidates */
  GSource *stats_timer;         /* while connected */
  gint64 stats_requested;       /* monotonic; 0: no get-stats in flight */
  IceSnapshot *ice;             /* NULL until the first selected pair */
  gboolean retransmissions;     /* NACK + RTX negotiable */
  gboolean zero_playout_delay;  /* playout-delay 0 in its video packets */
  gboolean live_input;          /* set by rw_viewer_join(), before webrtcbin
                                 * builds its send path */

  gint relay_candidates;        /* atomic: local relay candidates so far */
  RwCounters *counters;         /* the stream's; NULL: not counted */
  RwGopCache *gop_cache;        /* the stream's; NULL: none */
  gint video_start;             /* atomic: a VideoStart */
  gint replayed_frames;         /* atomic: how many it started with; -1: none */

  /* the video payloader's streaming thread only */
  GstClockTime last_pts;        /* of the last frame timed */
  gint connected;               /* atomic: set once connected */

  GMutex lock;                  /* protects the fields below */
  gint64 last_rtcp;             /* monotonic */
  guint64 bytes_sent;
  guint64 remb;                 /* the viewer's last estimate, bits/s */
  gint64 remb_at;               /* monotonic; 0: none yet */
  guint64 video_bytes;          /* sent, RTP */
  RwRateEstimate estimate;
  RwLayer layer;                /* asked for by the rate control */
  gint64 rtx_forget_until;      /* main context: history cut until then */
  guint rtx_packets;            /* and restored to this */
  gboolean dropping;
  guint64 rate_bytes;           /* video_bytes at rate_at */
  gint64 rate_at;               /* monotonic; 0: never measured */
  guint64 bitrate;              /* video sent between the last two */
};

/* How far the viewer's video has started, once connected. */
typedef enum
{
  VIDEO_HELD,                   /* not connected: nothing goes on */
  VIDEO_REPLAY,                 /* the next frame brings the cached ones */
  VIDEO_WAIT_KEYFRAME,          /* deltas are dropped until a keyframe */
  VIDEO_FLOWING,
} VideoStart;

enum
{
  SIGNAL_CONNECTED,
  SIGNAL_CLOSED,
  SIGNAL_LEFT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RwViewer, rw_viewer, G_TYPE_OBJECT);

static void interrupt_promise (RwViewer * self);
static void start_stats (RwViewer * self);
static void stop_stats (RwViewer * self);
static void ice_snapshot_free (IceSnapshot * snapshot);
static void add_rate (RwViewer * self, JsonBuilder * builder);
static void forget_retransmissions (RwViewer * self);
static void remember_retransmissions (RwViewer * self, gint64 now);

static void
rw_viewer_dispose (GObject * object)
{
  RwViewer *self = RW_VIEWER (object);

  g_warn_if_fail (self->negotiation == NULL);
  interrupt_promise (self);
  stop_stats (self);
  g_clear_pointer (&self->gate, rw_layer_gate_free);
  for (guint i = 0; i < N_LINKS; i++) {
    gst_clear_object (&self->tee_pads[i]);
    gst_clear_object (&self->tees[i]);
  }
  gst_clear_object (&self->parent_bin);
  if (self->bin) {
    /* Normally the owner has set the bin to NULL already (off the main
     * thread); after that webrtcbin calls back no more. */
    gst_element_set_state (self->bin, GST_STATE_NULL);
    if (self->webrtcbin)
      g_signal_handlers_disconnect_by_data (self->webrtcbin, self);
    gst_clear_object (&self->webrtcbin);
    gst_clear_object (&self->bin);
  }

  G_OBJECT_CLASS (rw_viewer_parent_class)->dispose (object);
}

static void
rw_viewer_finalize (GObject * object)
{
  RwViewer *self = RW_VIEWER (object);

  GST_DEBUG ("viewer %s freed", self->id);
  g_free (self->id);
  g_clear_object (&self->turn);
  g_free (self->public_address);
  g_clear_pointer (&self->ice, ice_snapshot_free);
  rw_counters_unref (self->counters);
  g_clear_pointer (&self->gop_cache, rw_gop_cache_unref);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (rw_viewer_parent_class)->finalize (object);
}

static void
rw_viewer_class_init (RwViewerClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_viewer_dispose;
  object_class->finalize = rw_viewer_finalize;

  /**
   * RwViewer::connected:
   *
   * ICE and DTLS are up: media reaches the viewer from now on.
   */
  signals[SIGNAL_CONNECTED] = g_signal_new ("connected",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  /**
   * RwViewer::closed:
   * @reason: why
   *
   * The connection failed or closed; the viewer should be removed.
   */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * RwViewer::left:
   *
   * The viewer's branches are off the tees and its bin out of the
   * pipeline, after rw_viewer_leave().
   */
  signals[SIGNAL_LEFT] = g_signal_new ("left",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  GST_DEBUG_CATEGORY_INIT (rw_viewer_debug, "rw-viewer", 0,
      "robot-webrtc viewers");
}

static void
rw_viewer_init (RwViewer * self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->state = RW_VIEWER_NEGOTIATING;
  self->created = g_get_monotonic_time ();
  self->last_pts = GST_CLOCK_TIME_NONE;
  self->replayed_frames = -1;
  rw_rate_estimate_init (&self->estimate);
}

/* --- callbacks from streaming and webrtcbin threads --- */

static GstPadProbeReturn
count_bytes (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwViewer *self = user_data;
  gsize size = 0;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    size = gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    size = gst_buffer_list_calculate_size (GST_PAD_PROBE_INFO_BUFFER_LIST
        (info));

  g_mutex_lock (&self->lock);
  self->bytes_sent += size;
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

/* Chromium then shows each frame as soon as it is decoded: the payloader
 * writes the extension into every packet, and the answer maps it
 * (webrtcbin answers the extmap fields of the codec preferences). */
static void
add_playout_delay (GstElement * pay, GstCaps * prefs, guint id)
{
  g_autoptr (GstRTPHeaderExtension) ext = rw_playout_delay_new (id, 0, 0);
  g_autofree gchar *field = g_strdup_printf ("extmap-%u", id);

  g_signal_emit_by_name (pay, "add-extension", ext);
  gst_caps_set_simple (prefs, field, G_TYPE_STRING, RW_PLAYOUT_DELAY_URI, NULL);
}

/* The video branch's input, until the first keyframe that comes once
 * connected (before, webrtcbin drops what comes): the frame the viewer
 * decodes first, timed from the offer. */
static GstPadProbeReturn
watch_first_keyframe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwViewer *self = user_data;
  GstBuffer *first = (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) ?
      gst_buffer_list_get (GST_PAD_PROBE_INFO_BUFFER_LIST (info), 0) :
      GST_PAD_PROBE_INFO_BUFFER (info);

  if (self->counters == NULL)
    return GST_PAD_PROBE_REMOVE;
  if (!g_atomic_int_get (&self->connected) || first == NULL ||
      GST_BUFFER_FLAG_IS_SET (first, GST_BUFFER_FLAG_DELTA_UNIT))
    return GST_PAD_PROBE_OK;
  rw_counters_observe (self->counters, RW_TIMING_FIRST_FRAME,
      (g_get_monotonic_time () - self->created) / (gdouble) G_USEC_PER_SEC);
  return GST_PAD_PROBE_REMOVE;
}

/* The funnel's output, on the tee's streaming thread (which has cached
 * the frame already). Nothing goes on before the viewer is connected
 * (webrtcbin would drop it, and the viewer would get delta frames first
 * and ask for a keyframe). Then a viewer joining between two keyframes
 * starts with the cached ones (rw-gop-cache.c), sent before the live frame
 * that is the newest of them; without them it waits for a keyframe. */
static GstPadProbeReturn
start_video (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwViewer *self = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_DELTA_UNIT);
  GstBufferList *replay;

  switch (g_atomic_int_get (&self->video_start)) {
    case VIDEO_HELD:
      return GST_PAD_PROBE_DROP;
    case VIDEO_WAIT_KEYFRAME:
      if (!keyframe)
        return GST_PAD_PROBE_DROP;
      break;
    case VIDEO_REPLAY:
      if (keyframe) {
        g_atomic_int_set (&self->replayed_frames, 0);
        break;
      }
      replay = rw_gop_cache_replay (self->gop_cache, buffer);
      if (replay == NULL) {
        GST_DEBUG_OBJECT (pad, "viewer %s: the cache lost its frames, "
            "asking for a keyframe", self->id);
        g_atomic_int_set (&self->video_start, VIDEO_WAIT_KEYFRAME);
        gst_pad_send_event (pad, gst_video_event_new_upstream_force_key_unit
            (GST_CLOCK_TIME_NONE, FALSE, 0));
        return GST_PAD_PROBE_DROP;
      }
      GST_DEBUG_OBJECT (pad, "viewer %s: starting with %u cached frames",
          self->id, gst_buffer_list_length (replay));
      g_atomic_int_set (&self->replayed_frames,
          gst_buffer_list_length (replay));
      if (self->counters)
        rw_counters_add (self->counters, RW_COUNTER_JOINS_FROM_CACHE, 1);
      g_atomic_int_set (&self->video_start, VIDEO_FLOWING);
      /* the live buffer is the list's last; the probe goes at the next */
      gst_pad_push_list (pad, replay);
      return GST_PAD_PROBE_DROP;
    default:
      break;
  }
  g_atomic_int_set (&self->video_start, VIDEO_FLOWING);
  return GST_PAD_PROBE_REMOVE;
}

/* The video payloader's output: its bytes, and for each frame's first
 * packet the time since the frame's capture (its running time: live
 * sources stamp their buffers so). */
static GstPadProbeReturn
count_video (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwViewer *self = user_data;
  GstBufferList *list = (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) ?
      GST_PAD_PROBE_INFO_BUFFER_LIST (info) : NULL;
  GstBuffer *first = list == NULL ? GST_PAD_PROBE_INFO_BUFFER (info) :
      gst_buffer_list_length (list) ? gst_buffer_list_get (list, 0) : NULL;
  GstClockTime pts = first ? GST_BUFFER_PTS (first) : GST_CLOCK_TIME_NONE;
  g_autoptr (GstEvent) event = NULL;
  const GstSegment *segment;
  GstClockTime now, captured;
  gsize size = list ? gst_buffer_list_calculate_size (list) :
      gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));

  /* one lock per packet: all bytes, and the video's */
  g_mutex_lock (&self->lock);
  self->bytes_sent += size;
  self->video_bytes += size;
  g_mutex_unlock (&self->lock);
  if (self->counters == NULL || !GST_CLOCK_TIME_IS_VALID (pts) ||
      pts == self->last_pts)
    return GST_PAD_PROBE_OK;
  self->last_pts = pts;
  rw_counters_add (self->counters, RW_COUNTER_FRAMES_SENT, 1);
  event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  if (event == NULL)
    return GST_PAD_PROBE_OK;
  gst_event_parse_segment (event, &segment);
  captured = gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
  now = gst_element_get_current_running_time (GST_PAD_PARENT (pad));
  if (GST_CLOCK_TIME_IS_VALID (captured) && GST_CLOCK_TIME_IS_VALID (now) &&
      now >= captured)
    rw_counters_observe (self->counters, RW_TIMING_CAPTURE_TO_SEND,
        (gdouble) (now - captured) / GST_SECOND);
  return GST_PAD_PROBE_OK;
}

static void
on_ssrc_active (GstElement * rtpbin, guint session, guint ssrc,
    gpointer user_data)
{
  RwViewer *self = user_data;

  g_mutex_lock (&self->lock);
  self->last_rtcp = g_get_monotonic_time ();
  g_mutex_unlock (&self->lock);
}

/* --- state, on the main context --- */

static void
set_state (RwViewer * self, RwViewerState state)
{
  if (self->state == state)
    return;
  GST_DEBUG ("viewer %s: %s -> %s", self->id,
      rw_viewer_state_to_string (self->state),
      rw_viewer_state_to_string (state));
  self->state = state;
}

static gboolean
connection_state_changed (gpointer user_data)
{
  RwViewer *self = user_data;
  GstWebRTCPeerConnectionState state;

  if (self->state == RW_VIEWER_CLOSING || self->webrtcbin == NULL)
    return G_SOURCE_REMOVE;

  g_object_get (self->webrtcbin, "connection-state", &state, NULL);
  GST_DEBUG ("viewer %s: connection state %d", self->id, state);

  switch (state) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
      if (self->state == RW_VIEWER_CONNECTED)
        break;
      self->connected_since = g_get_real_time ();
      g_mutex_lock (&self->lock);
      self->last_rtcp = g_get_monotonic_time ();
      g_mutex_unlock (&self->lock);
      set_state (self, RW_VIEWER_CONNECTED);
      g_atomic_int_set (&self->connected, 1);
      start_stats (self);
      g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
      break;
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
      g_signal_emit (self, signals[SIGNAL_CLOSED], 0,
          "the connection failed (ICE or DTLS)");
      break;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
      g_signal_emit (self, signals[SIGNAL_CLOSED], 0, "the connection closed");
      break;
    default:
      break;
  }
  return G_SOURCE_REMOVE;
}

static void
on_connection_state (GObject * webrtcbin, GParamSpec * pspec,
    gpointer user_data)
{
  RwViewer *self = user_data;

  rw_invoke_later (self->context, connection_state_changed,
      g_object_ref (self), g_object_unref);
}

/* --- negotiation, on the main context --- */

static void
negotiation_return (RwViewer * self, gchar * answer, GError * error)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->negotiation);

  interrupt_promise (self);
  if (task == NULL) {
    g_free (answer);
    g_clear_error (&error);
    return;
  }

  if (self->negotiation_timeout) {
    g_source_destroy (self->negotiation_timeout);
    g_clear_pointer (&self->negotiation_timeout, g_source_unref);
  }
  if (self->gather_timeout) {
    g_source_destroy (self->gather_timeout);
    g_clear_pointer (&self->gather_timeout, g_source_unref);
  }
  g_cancellable_disconnect (g_task_get_cancellable (task), self->cancelled_id);
  self->cancelled_id = 0;

  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, answer, g_free);
}

static gboolean
answer_is_active (const GstSDPMessage * answer, guint mline)
{
  const GstSDPMedia *media;

  if (mline >= gst_sdp_message_medias_len (answer))
    return FALSE;
  media = gst_sdp_message_get_media (answer, mline);
  return gst_sdp_media_get_attribute_val (media, "inactive") == NULL &&
      gst_sdp_media_get_attribute_val (media, "recvonly") == NULL &&
      (gst_sdp_media_get_port (media) != 0 ||
      gst_sdp_media_get_attribute_val (media, "bundle-only") != NULL);
}

/* The m-line of a branch we send that webrtcbin answered as not sending,
 * or -1. */
static gint
inactive_branch (RwViewer * self, const GstSDPMessage * answer)
{
  for (guint i = 0; i < N_BRANCHES; i++) {
    if (self->payloaders[i] && !answer_is_active (answer, self->mlines[i]))
      return i;
  }
  return -1;
}

static void
finish_answer (RwViewer * self)
{
  GstWebRTCSessionDescription *desc = NULL, *offer = NULL;
  gchar *text;
  gint inactive;

  g_object_get (self->webrtcbin, "local-description", &desc, NULL);
  if (desc == NULL) {
    negotiation_return (self, NULL, g_error_new (RW_ERROR, RW_ERROR_PIPELINE,
            "webrtcbin has no local description"));
    return;
  }

  /* (an offer of ours is sendonly: only an answer can turn a branch off) */
  inactive = self->offerer ? -1 : inactive_branch (self, desc->sdp);
  if (inactive >= 0) {
    gst_webrtc_session_description_free (desc);
    negotiation_return (self, NULL, g_error_new (RW_ERROR, RW_ERROR_PIPELINE,
            "webrtcbin answered the %s m-line as inactive; the codec "
            "could not be matched", branch_names[inactive]));
    return;
  }

  g_object_get (self->webrtcbin, "remote-description", &offer, NULL);
  if (offer && !self->offerer) {
    guint added = rw_sdp_answer_receiver_rtt (desc->sdp, offer->sdp);

    GST_DEBUG ("viewer %s: receiver RTT on %u m-lines", self->id, added);
    added = rw_sdp_answer_remb (desc->sdp, offer->sdp);
    GST_DEBUG ("viewer %s: REMB on %u payload types", self->id, added);
  }
  if (self->public_address) {
    guint added = rw_sdp_add_public_candidates (desc->sdp,
        self->public_address);

    GST_DEBUG ("viewer %s: %u candidates on the public address %s", self->id,
        added, self->public_address);
  }
  g_clear_pointer (&offer, gst_webrtc_session_description_free);
  text = gst_sdp_message_as_text (desc->sdp);
  gst_webrtc_session_description_free (desc);
  GST_DEBUG ("viewer %s: %s\n%s", self->id, self->offerer ? "offer" :
      "answer", text);
  if (!self->offerer)
    set_state (self, RW_VIEWER_CONNECTING);
  negotiation_return (self, text, NULL);
}

/* Once per viewer, when its gathering is complete: did the TURN server
 * give it a relay candidate? */
static void
check_relay (RwViewer * self)
{
  gboolean relay;

  if (self->gathered || self->turn == NULL)
    return;
  self->gathered = TRUE;
  relay = g_atomic_int_get (&self->relay_candidates) > 0;
  GST_INFO ("viewer %s: ICE gathering complete, %s relay candidate", self->id,
      relay ? "with a" : "without a");
  if (rw_turn_report_gathering (self->turn, relay,
          g_get_monotonic_time () / G_USEC_PER_SEC))
    g_warning ("viewer %s: TURN server %s gave no relay candidate (it did "
        "not answer, refused our credentials, or cannot be reached over this "
        "transport); viewers that cannot reach this robot directly get no "
        "video. Said at most once a minute; /status counts them.", self->id,
        rw_turn_get_server (self->turn));
}

static gboolean
gathering_changed (gpointer user_data)
{
  RwViewer *self = user_data;
  GstWebRTCICEGatheringState state;

  g_object_get (self->webrtcbin, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    check_relay (self);

  if (self->negotiation == NULL || self->gather_timeout == NULL)
    return G_SOURCE_REMOVE;
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    finish_answer (self);
  return G_SOURCE_REMOVE;
}

/* On webrtcbin's thread: only counts. */
static void
on_ice_candidate (GstElement * webrtcbin, guint mline, const gchar * candidate,
    gpointer user_data)
{
  RwViewer *self = user_data;

  if (candidate && strstr (candidate, " typ relay"))
    g_atomic_int_inc (&self->relay_candidates);
}

static void
on_gathering_state (GObject * webrtcbin, GParamSpec * pspec, gpointer user_data)
{
  RwViewer *self = user_data;

  rw_invoke_later (self->context, gathering_changed, g_object_ref (self),
      g_object_unref);
}

static gboolean
gather_timed_out (gpointer user_data)
{
  RwViewer *self = user_data;

  GST_INFO ("viewer %s: ICE gathering still running after %d ms, answering "
      "with the candidates found so far", self->id, GATHER_TIMEOUT_MS);
  finish_answer (self);
  return G_SOURCE_REMOVE;
}

static GSource *
add_timeout (RwViewer * self, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

static void
wait_for_gathering (RwViewer * self)
{
  GstWebRTCICEGatheringState state;

  g_object_get (self->webrtcbin, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) {
    finish_answer (self);
    return;
  }
  self->gather_timeout = add_timeout (self, GATHER_TIMEOUT_MS,
      gather_timed_out);
}

typedef struct
{
  RwViewer *viewer;
  Step step;
  GstPromise *promise;
} PromiseReply;

static void
promise_reply_free (gpointer data)
{
  PromiseReply *reply = data;

  g_object_unref (reply->viewer);
  if (reply->promise)
    gst_promise_unref (reply->promise);
  g_free (reply);
}

static void on_promise (GstPromise * promise, gpointer user_data);

static GstPromise *
promise_for (RwViewer * self, Step step)
{
  PromiseReply *reply = g_new0 (PromiseReply, 1);

  reply->viewer = g_object_ref (self);
  reply->step = step;
  return gst_promise_new_with_change_func (on_promise, reply,
      promise_reply_free);
}

/* webrtcbin keeps its own reference while the operation is pending. */
static void
emit_with_promise (RwViewer * self, const gchar * signal, gpointer arg,
    Step step)
{
  GstPromise *promise = promise_for (self, step);

  g_signal_emit_by_name (self->webrtcbin, signal, arg, promise);
  g_clear_pointer (&self->promise, gst_promise_unref);
  self->promise = promise;
}

/* An operation still queued in webrtcbin when the negotiation ends would
 * be freed unreplied when webrtcbin stops: it is given up here. */
static void
interrupt_promise (RwViewer * self)
{
  GstPromise *promise = g_steal_pointer (&self->promise);

  if (promise == NULL)
    return;
  gst_promise_interrupt (promise);
  gst_promise_unref (promise);
}

static const gchar *
step_name (Step step)
{
  switch (step) {
    case STEP_REMOTE_SET:
      return "setting the remote description";
    case STEP_ANSWER_CREATED:
      return "creating the answer";
    case STEP_OFFER_CREATED:
      return "creating the offer";
    case STEP_LOCAL_SET:
      return "setting the answer";
  }
  return "negotiating";
}

static gboolean
promise_replied (gpointer user_data)
{
  PromiseReply *reply = user_data;
  RwViewer *self = reply->viewer;
  const GstStructure *s = NULL;
  GstWebRTCSessionDescription *answer = NULL;
  g_autoptr (GError) error = NULL;

  if (self->negotiation == NULL)
    return G_SOURCE_REMOVE;     /* timed out or cancelled meanwhile */
  if (self->promise == reply->promise)
    g_clear_pointer (&self->promise, gst_promise_unref);

  /* set-*-description reply with no structure on success */
  if (gst_promise_wait (reply->promise) != GST_PROMISE_RESULT_REPLIED) {
    negotiation_return (self, NULL, g_error_new (RW_ERROR, RW_ERROR_PIPELINE,
            "webrtcbin did not reply when %s", step_name (reply->step)));
    return G_SOURCE_REMOVE;
  }
  s = gst_promise_get_reply (reply->promise);
  if (s && gst_structure_has_field (s, "error"))
    gst_structure_get (s, "error", G_TYPE_ERROR, &error, NULL);
  if (error) {
    negotiation_return (self, NULL, g_error_new (RW_ERROR,
            RW_ERROR_BAD_REQUEST, "webrtcbin failed %s: %s",
            step_name (reply->step), error->message));
    return G_SOURCE_REMOVE;
  }

  switch (reply->step) {
    case STEP_REMOTE_SET:
      if (self->offerer) {
        set_state (self, RW_VIEWER_CONNECTING);
        negotiation_return (self, g_strdup ("answer"), NULL);
        break;
      }
      emit_with_promise (self, "create-answer", NULL, STEP_ANSWER_CREATED);
      break;
    case STEP_ANSWER_CREATED:
    case STEP_OFFER_CREATED:
      if (s)
        gst_structure_get (s, reply->step == STEP_OFFER_CREATED ? "offer" :
            "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
      if (answer == NULL) {
        negotiation_return (self, NULL, g_error_new (RW_ERROR,
                RW_ERROR_PIPELINE, "webrtcbin created no %s",
                reply->step == STEP_OFFER_CREATED ? "offer" : "answer"));
        break;
      }
      emit_with_promise (self, "set-local-description", answer, STEP_LOCAL_SET);
      gst_webrtc_session_description_free (answer);
      break;
    case STEP_LOCAL_SET:
      wait_for_gathering (self);
      break;
  }
  return G_SOURCE_REMOVE;
}

/* webrtcbin's thread (or the caller's, when it replies at once) */
static void
on_promise (GstPromise * promise, gpointer user_data)
{
  PromiseReply *reply = user_data;
  PromiseReply *hop = g_new0 (PromiseReply, 1);

  hop->viewer = g_object_ref (reply->viewer);
  hop->step = reply->step;
  hop->promise = gst_promise_ref (promise);
  rw_invoke_later (reply->viewer->context, promise_replied, hop,
      promise_reply_free);
}

static gboolean
negotiation_timed_out (gpointer user_data)
{
  RwViewer *self = user_data;

  negotiation_return (self, NULL, g_error_new (RW_ERROR, RW_ERROR_TIMEOUT,
          "negotiation did not finish within %d ms", NEGOTIATE_TIMEOUT_MS));
  return G_SOURCE_REMOVE;
}

static gboolean
negotiation_cancelled (gpointer user_data)
{
  RwViewer *self = user_data;

  negotiation_return (self, NULL, g_error_new (G_IO_ERROR,
          G_IO_ERROR_CANCELLED, "negotiation cancelled"));
  return G_SOURCE_REMOVE;
}

static void
on_cancelled (GCancellable * cancellable, gpointer user_data)
{
  RwViewer *self = user_data;

  rw_invoke_later (self->context, negotiation_cancelled, g_object_ref (self),
      g_object_unref);
}

/* Starts @task as the viewer's one negotiation, if it may start now. */
static gboolean
begin_negotiation (RwViewer * self, GTask * task, gboolean offerer,
    RwViewerState state)
{
  if (self->negotiation != NULL || self->offerer != offerer ||
      self->state != state) {
    g_task_return_new_error (task, RW_ERROR, RW_ERROR_FAILED,
        "viewer %s was already negotiated", self->id);
    g_object_unref (task);
    return FALSE;
  }
  self->negotiation = task;
  self->negotiation_timeout = add_timeout (self, NEGOTIATE_TIMEOUT_MS,
      negotiation_timed_out);
  if (g_task_get_cancellable (task))
    self->cancelled_id = g_cancellable_connect (g_task_get_cancellable (task),
        G_CALLBACK (on_cancelled), self, NULL);
  return TRUE;
}

/**
 * rw_viewer_negotiate_async:
 * @self: a viewer whose bin is already fed by the tee
 * @offer: (transfer full): the viewer's checked offer
 * @cancellable: (nullable): cancels the negotiation
 * @callback: called on the viewer's main context with the answer
 * @user_data: for @callback
 *
 * Sets the offer, creates and sets the answer, and waits (bounded) for our
 * ICE candidates so that the answer is complete on its own.
 */
void
rw_viewer_negotiate_async (RwViewer * self, GstSDPMessage * offer,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GstWebRTCSessionDescription *desc;
  GTask *task;

  g_return_if_fail (RW_IS_VIEWER (self));
  g_return_if_fail (offer != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rw_viewer_negotiate_async);
  if (!begin_negotiation (self, task, FALSE, RW_VIEWER_NEGOTIATING)) {
    gst_sdp_message_free (offer);
    return;
  }
  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, offer);
  emit_with_promise (self, "set-remote-description", desc, STEP_REMOTE_SET);
  gst_webrtc_session_description_free (desc);
}

/**
 * rw_viewer_negotiate_finish:
 * @self: a viewer
 * @result: the result given to the callback
 * @error: why negotiation failed
 *
 * Returns: (transfer full) (nullable): the answer's SDP text.
 */
gchar *
rw_viewer_negotiate_finish (RwViewer * self, GAsyncResult * result,
    GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * rw_viewer_offer_async:
 * @self: a viewer made by rw_viewer_new_offerer(), already fed by the tees
 * @cancellable: (nullable): cancels the negotiation
 * @callback: called on the viewer's main context with the offer
 * @user_data: for @callback
 *
 * Creates and sets our offer (sendonly), and waits (bounded) for our ICE
 * candidates so that the offer is complete on its own: a WHIP endpoint
 * gets no trickled candidates.
 */
void
rw_viewer_offer_async (RwViewer * self, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (RW_IS_VIEWER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rw_viewer_offer_async);
  if (begin_negotiation (self, task, TRUE, RW_VIEWER_NEGOTIATING))
    emit_with_promise (self, "create-offer", NULL, STEP_OFFER_CREATED);
}

/**
 * rw_viewer_offer_finish:
 * @self: a viewer
 * @result: the result given to the callback
 * @error: why there is no offer
 *
 * Returns: (transfer full) (nullable): the offer's SDP text.
 */
gchar *
rw_viewer_offer_finish (RwViewer * self, GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * rw_viewer_accept_answer_async:
 * @self: a viewer whose offer rw_viewer_offer_async() made
 * @answer: (transfer full): the peer's answer
 * @cancellable: (nullable): cancels it
 * @callback: called on the viewer's main context
 * @user_data: for @callback
 *
 * Sets the peer's answer: the viewer is then connecting.
 */
void
rw_viewer_accept_answer_async (RwViewer * self, GstSDPMessage * answer,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GstWebRTCSessionDescription *desc;
  GTask *task;

  g_return_if_fail (RW_IS_VIEWER (self));
  g_return_if_fail (answer != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rw_viewer_accept_answer_async);
  if (!begin_negotiation (self, task, TRUE, RW_VIEWER_NEGOTIATING)) {
    gst_sdp_message_free (answer);
    return;
  }
  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER,
      answer);
  emit_with_promise (self, "set-remote-description", desc, STEP_REMOTE_SET);
  gst_webrtc_session_description_free (desc);
}

/**
 * rw_viewer_accept_answer_finish:
 * @self: a viewer
 * @result: the result given to the callback
 * @error: why the answer was refused
 *
 * Returns: %TRUE when the answer was set.
 */
gboolean
rw_viewer_accept_answer_finish (RwViewer * self, GAsyncResult * result,
    GError ** error)
{
  g_autofree gchar *done = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  done = g_task_propagate_pointer (G_TASK (result), error);
  return done != NULL;
}

/* --- construction --- */

static gboolean
configure_ice (RwViewer * self, const RwConfig * config, GError ** error)
{
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  g_object_get (self->webrtcbin, "ice-agent", &ice, NULL);
  if (ice == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE, "webrtcbin has no ICE "
        "agent (is gstreamer1.0-nice installed?)");
    return FALSE;
  }

  g_object_set (ice, "ice-tcp", config->ice_tcp, NULL);
  if (config->min_rtp_port)
    g_object_set (ice, "min-rtp-port", config->min_rtp_port, "max-rtp-port",
        config->max_rtp_port, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  /* Debian's libnice maps ports through UPnP unless told not to. */
  if (agent && g_object_class_find_property (G_OBJECT_GET_CLASS (agent),
          "upnp"))
    g_object_set (agent, "upnp", FALSE, NULL);

  for (guint i = 0; config->ice_addresses && config->ice_addresses[i]; i++) {
    gboolean added = FALSE;

    g_signal_emit_by_name (ice, "add-local-ip-address",
        config->ice_addresses[i], &added);
    if (!added) {
      g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
          "ICE refused local address %s", config->ice_addresses[i]);
      return FALSE;
    }
  }
  return TRUE;
}

/* One payloader per viewer: its payload type is the one this viewer chose
 * (DESIGN.md §4.1). */
static GstElement *
make_payloader (guint branch, RwCodec codec, gint payload)
{
  GstElement *pay;

  if (branch == BRANCH_AUDIO) {
    pay = gst_element_factory_make ("rtpopuspay", NULL);
  } else if (codec == RW_CODEC_H264) {
    pay = gst_element_factory_make ("rtph264pay", NULL);
    if (pay)
      g_object_set (pay, "config-interval", -1, "aggregate-mode", 1, NULL);
  } else {
    pay = gst_element_factory_make ("rtpvp8pay", NULL);
    if (pay)
      gst_util_set_object_arg (G_OBJECT (pay), "picture-id-mode", "15-bit");
  }
  if (pay)
    g_object_set (pay, "pt", (guint) payload, "mtu", RTP_MTU, NULL);
  return pay;
}

static GstElement *
make_element (const gchar * factory, GError ** error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the GStreamer element %s is missing", factory);
  return element;
}

/* A serialized query (the encoder's ALLOCATION after each new branch)
 * waits in the queue until everything before it has gone downstream, and
 * webrtcbin holds its input until the viewer has connected: one viewer that
 * never connects would stall the shared stream. The branch needs nothing
 * from the encoder, so such queries are answered here, empty. */
static GstPadProbeReturn
answer_serialized_query (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (!GST_QUERY_IS_SERIALIZED (query))
    return GST_PAD_PROBE_OK;
  GST_LOG_OBJECT (pad, "answering %" GST_PTR_FORMAT, query);
  return GST_PAD_PROBE_DROP;
}

static gboolean
make_webrtcbin (RwViewer * self, const RwConfig * config, RwTurn * turn,
    GError ** error)
{
  g_autoptr (GstElement) rtpbin = NULL;

  self->webrtcbin = make_element ("webrtcbin", error);
  if (self->webrtcbin == NULL)
    return FALSE;
  gst_object_ref (self->webrtcbin);
  gst_bin_add (GST_BIN (self->bin), self->webrtcbin);
  gst_util_set_object_arg (G_OBJECT (self->webrtcbin), "bundle-policy",
      "max-bundle");
  if (config->stun_server)
    g_object_set (self->webrtcbin, "stun-server", config->stun_server, NULL);
  if (turn) {
    /* the credentials of now, renewed for each viewer */
    gchar *uri = rw_turn_get_uri (turn, g_get_real_time () / G_USEC_PER_SEC);

    g_object_set (self->webrtcbin, "turn-server", uri, NULL);
    memset (uri, 0, strlen (uri));
    g_free (uri);
    self->turn = g_object_ref (turn);
    g_signal_connect (self->webrtcbin, "on-ice-candidate",
        G_CALLBACK (on_ice_candidate), self);
  }
  if (!configure_ice (self, config, error))
    return FALSE;

  /* RTCP from the viewer is the only sign that a tab is still open. */
  rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtcbin), "rtpbin");
  if (rtpbin == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "webrtcbin has no rtpbin to watch RTCP on");
    return FALSE;
  }
  g_signal_connect (rtpbin, "on-ssrc-active", G_CALLBACK (on_ssrc_active),
      self);
  g_signal_connect (self->webrtcbin, "notify::connection-state",
      G_CALLBACK (on_connection_state), self);
  g_signal_connect (self->webrtcbin, "notify::ice-gathering-state",
      G_CALLBACK (on_gathering_state), self);
  return TRUE;
}

/* Loss repair for the video (docs/networking.md, "Lossy links"). With
 * do-nack webrtcbin answers the offer's generic NACK and its rtx payload
 * type for ours (apt=), with an RTX SSRC (a=ssrc-group:FID), and its
 * rtprtxsend resends what a viewer's NACK names. With a FEC type it answers
 * the offer's red and ulpfec payload types and sends every packet in RED,
 * with ULPFEC packets made by rtpulpfecenc (fec-percentage of the media
 * packets). */
static void
configure_repair (GstWebRTCRTPTransceiver * transceiver,
    const RwConfig * config)
{
  g_object_set (transceiver, "do-nack", config->retransmissions, NULL);
  if (config->fec_percentage > 0)
    g_object_set (transceiver, "fec-type", GST_WEBRTC_FEC_TYPE_ULP_RED,
        "fec-percentage", config->fec_percentage, NULL);
}

/* The session's thread: a viewer's RTCP feedback, counted for the stream
 * (RFC 4585: PSFB PLI 1, FIR 4 (RFC 5104); RTPFB generic NACK 1). */
static void
count_feedback (GObject * session, guint type, guint fbtype, guint sender,
    guint media, GstBuffer * fci, gpointer user_data)
{
  RwCounters *counters = user_data;

  if (type == GST_RTCP_TYPE_PSFB && fbtype == GST_RTCP_PSFB_TYPE_PLI)
    rw_counters_add (counters, RW_COUNTER_PLI, 1);
  else if (type == GST_RTCP_TYPE_PSFB && fbtype == GST_RTCP_PSFB_TYPE_FIR)
    rw_counters_add (counters, RW_COUNTER_FIR, 1);
  else if (type == GST_RTCP_TYPE_RTPFB && fbtype == GST_RTCP_RTPFB_TYPE_NACK)
    rw_counters_add (counters, RW_COUNTER_NACK, 1);
}

/* The session's thread: the viewer's REMB (PSFB FMT 15, "REMB"). */
static void
read_remb (GObject * session, guint type, guint fbtype, guint sender,
    guint media, GstBuffer * fci, gpointer user_data)
{
  RwViewer *self = user_data;
  GstMapInfo map;
  guint64 bitrate;

  if (type != GST_RTCP_TYPE_PSFB || fbtype != GST_RTCP_PSFB_TYPE_AFB ||
      fci == NULL || !gst_buffer_map (fci, &map, GST_MAP_READ))
    return;
  if (rw_remb_parse (map.data, map.size, &bitrate, NULL)) {
    g_mutex_lock (&self->lock);
    self->remb = bitrate;
    self->remb_at = g_get_monotonic_time ();
    rw_rate_estimate_remb (&self->estimate, self->remb_at, bitrate);
    g_mutex_unlock (&self->lock);
    GST_LOG ("viewer %s: REMB %" G_GUINT64_FORMAT " bit/s", self->id, bitrate);
  }
  gst_buffer_unmap (fci, &map);
}

/* The session's thread: the viewer's receiver reports of our video. */
static void
read_receiver_reports (GObject * session, GstBuffer * buffer,
    gpointer user_data)
{
  RwViewer *self = user_data;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean more;

  if (self->video_ssrc == 0 || !gst_rtcp_buffer_map (buffer, GST_MAP_READ,
          &rtcp))
    return;
  for (more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
      more = gst_rtcp_packet_move_to_next (&packet)) {
    GstRTCPType type = gst_rtcp_packet_get_type (&packet);
    guint n;

    if (type != GST_RTCP_TYPE_RR && type != GST_RTCP_TYPE_SR)
      continue;
    n = gst_rtcp_packet_get_rb_count (&packet);
    for (guint i = 0; i < n; i++) {
      guint32 ssrc, exthighestseq, jitter, lsr, dlsr;
      guint8 fractionlost;
      gint32 packetslost;

      gst_rtcp_packet_get_rb (&packet, i, &ssrc, &fractionlost,
          &packetslost, &exthighestseq, &jitter, &lsr, &dlsr);
      if (ssrc != self->video_ssrc)
        continue;
      g_mutex_lock (&self->lock);
      rw_rate_estimate_report (&self->estimate, g_get_monotonic_time (),
          exthighestseq, packetslost, self->video_bytes);
      g_mutex_unlock (&self->lock);
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);
}

static void
release_counters (gpointer data, GClosure * closure)
{
  rw_counters_unref (data);
}

/* Any thread: webrtcbin made its rtpbin's session (when it links the
 * transport) or its rtprtxsend (when the first packet goes out). The
 * session answers the viewer's RTCP XR reference times, so that a browser
 * knows how long to wait for a retransmission, and counts its feedback;
 * the rtprtxsend keeps a shorter history than webrtcbin's 500 packets. */
static void
on_deep_element_added (GstBin * bin, GstBin * sub_bin, GstElement * element,
    gpointer user_data)
{
  RwViewer *self = user_data;
  GstElementFactory *factory = gst_element_get_factory (element);
  const gchar *name = factory ? GST_OBJECT_NAME (factory) : "";

  if (g_str_equal (name, "rtpsession")) {
    g_autoptr (GObject) session = NULL;

    g_object_get (element, "internal-session", &session, NULL);
    if (session)
      rw_receiver_rtt_attach (session);
    if (session && self->counters)
      g_signal_connect_data (session, "on-feedback-rtcp",
          G_CALLBACK (count_feedback), rw_counters_ref (self->counters),
          release_counters, 0);
    /* the session lives in the viewer's bin, which the viewer outlives */
    if (session) {
      g_signal_connect (session, "on-feedback-rtcp", G_CALLBACK (read_remb),
          self);
      g_signal_connect (session, "on-receiving-rtcp",
          G_CALLBACK (read_receiver_reports), self);
    }
  } else if (g_str_equal (name, "rtprtxsend")) {
    GST_DEBUG_OBJECT (element, "keeping %d ms for retransmissions",
        RTX_HISTORY_MS);
    g_object_set (element, "max-size-time", RTX_HISTORY_MS, NULL);
  } else if (g_str_equal (name, "clocksync") && self->live_input) {
    /* webrtcbin 1.22 puts one in front of each of its sink pads and holds
     * every packet until the frame's capture time plus the pipeline's
     * latency (a frame and more: 25 ms of 34 from capture to the wire at
     * 640x480 30 fps), which paces a source that is not live. A live
     * source is paced by its capture: its packets go at once. */
    GST_DEBUG_OBJECT (element, "not syncing: the input is live");
    g_object_set (element, "sync", FALSE, NULL);
  }
}

/* The video's two inputs, `funnel` in front of the queue: "video" takes the
 * full layer, "video_low" the low layer while there is one; the gate picks
 * the one that goes on (rw-layer-gate.c). */
static gboolean
add_layers (RwViewer * self, GstPad * queue_sink, GError ** error)
{
  GstElement *funnel = make_element ("funnel", error);
  g_autoptr (GstPad) funnel_src = NULL;
  g_autoptr (GstPad) full = NULL;
  g_autoptr (GstPad) low = NULL;

  if (funnel == NULL)
    return FALSE;
  gst_bin_add (GST_BIN (self->bin), funnel);
  funnel_src = gst_element_get_static_pad (funnel, "src");
  full = gst_element_request_pad_simple (funnel, "sink_%u");
  low = gst_element_request_pad_simple (funnel, "sink_%u");
  if (gst_pad_link (funnel_src, queue_sink) != GST_PAD_LINK_OK) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "could not link the viewer's video funnel");
    return FALSE;
  }
  self->gate = rw_layer_gate_new (full, low);
  gst_pad_add_probe (funnel_src, GST_PAD_PROBE_TYPE_BUFFER, start_video,
      self, NULL);
  gst_element_add_pad (self->bin, gst_ghost_pad_new ("video", full));
  gst_element_add_pad (self->bin, gst_ghost_pad_new ("video_low", low));
  return TRUE;
}

/* queue ! payloader ! webrtcbin, behind the bin's ghost pad named after
 * the branch (for video, behind the funnel of add_layers()). */
static gboolean
add_branch (RwViewer * self, const RwConfig * config, guint branch,
    RwCodec codec, const RwCodecMatch * match, GError ** error)
{
  GstElement *queue, *pay;
  g_autoptr (GstPad) queue_sink = NULL;
  g_autoptr (GstPad) pay_src = NULL;
  g_autoptr (GstPad) webrtc_sink = NULL;
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;
  g_autoptr (GstCaps) prefs = NULL;
  g_autofree gchar *msid = NULL;
  guint ssrc;

  queue = make_element ("queue", error);
  if (queue == NULL)
    return FALSE;
  gst_bin_add (GST_BIN (self->bin), queue);
  g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0,
      "max-size-time", QUEUE_MAX_TIME, NULL);
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");

  pay = make_payloader (branch, codec, match->payload);
  if (pay == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the RTP payloader for %s is missing", branch == BRANCH_AUDIO ?
        "Opus" : rw_codec_to_string (codec));
    return FALSE;
  }
  gst_bin_add (GST_BIN (self->bin), pay);
  self->payloaders[branch] = pay;
  self->mlines[branch] = match->mline;

  /* The transceiver must exist, send only and prefer the viewer's payload
   * type before the offer is set, or webrtcbin answers "inactive". Our SSRC
   * goes into the answer (a=ssrc), so that receivers which map streams by
   * signalled SSRC (webrtcbin, aiortc) find it. */
  ssrc = g_random_int ();
  g_object_set (pay, "ssrc", ssrc, NULL);
  if (branch == BRANCH_VIDEO)
    self->video_ssrc = ssrc;
  prefs = gst_caps_copy (match->caps);
  gst_caps_set_simple (prefs, "ssrc", G_TYPE_UINT, ssrc, NULL);
  if (branch == BRANCH_VIDEO && config->zero_playout_delay &&
      match->playout_delay_id) {
    add_playout_delay (pay, prefs, match->playout_delay_id);
    self->zero_playout_delay = TRUE;
  }

  webrtc_sink = gst_element_request_pad_simple (self->webrtcbin, "sink_%u");
  /* Each track in a media stream of its own: a browser then plays video
   * as soon as it can, instead of holding it back to audio's longer
   * jitter buffer for lip sync (docs/architecture.md, "Audio"). */
  msid = g_strdup_printf ("robot-webrtc-%s", branch_names[branch]);
  g_object_set (webrtc_sink, "msid", msid, NULL);
  g_object_get (webrtc_sink, "transceiver", &transceiver, NULL);
  g_object_set (transceiver, "direction",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "codec-preferences",
      prefs, NULL);
  if (branch == BRANCH_VIDEO)
    configure_repair (transceiver, config);

  pay_src = gst_element_get_static_pad (pay, "src");
  if (!gst_element_link (queue, pay) ||
      gst_pad_link (pay_src, webrtc_sink) != GST_PAD_LINK_OK) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "could not link the viewer's %s payloader", branch_names[branch]);
    return FALSE;
  }
  gst_pad_add_probe (pay_src, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, branch == BRANCH_VIDEO ? count_video :
      count_bytes, self, NULL);

  queue_sink = gst_element_get_static_pad (queue, "sink");
  if (branch == BRANCH_VIDEO)
    gst_pad_add_probe (queue_sink, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, watch_first_keyframe, self, NULL);
  gst_pad_add_probe (queue_sink, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      answer_serialized_query, NULL, NULL);
  if (branch == BRANCH_VIDEO)
    return add_layers (self, queue_sink, error);
  gst_element_add_pad (self->bin, gst_ghost_pad_new (branch_names[branch],
          queue_sink));
  return TRUE;
}

/**
 * rw_viewer_new:
 * @id: the session id
 * @config: the settings (ICE)
 * @turn: (nullable): the TURN server, with the credentials to use now
 * @codec: the stream's video codec
 * @match: the m-lines and payload types from the viewer's offer
 * @error: why the viewer could not be built
 *
 * Builds the viewer's bin: a "video" and/or an "audio" sink pad take the
 * encoded streams, as @match asks.
 *
 * Returns: (transfer full) (nullable): the viewer, or %NULL with @error set.
 */
RwViewer *
rw_viewer_new (const gchar * id, const RwConfig * config, RwTurn * turn,
    RwCodec codec, const RwOfferMatch * match, GError ** error)
{
  g_autoptr (RwViewer) self = g_object_new (RW_TYPE_VIEWER, NULL);
  g_autofree gchar *name = g_strdup_printf ("viewer-%s", id);

  g_return_val_if_fail (match->has_video || match->has_audio, NULL);

  self->id = g_strdup (id);
  self->bin = gst_object_ref_sink (gst_bin_new (name));
  self->public_address = g_strdup (config->public_address);
  self->retransmissions = config->retransmissions;
  /* the bin goes before the viewer: no reference needed */
  g_signal_connect (self->bin, "deep-element-added",
      G_CALLBACK (on_deep_element_added), self);
  if (!make_webrtcbin (self, config, turn, error))
    return NULL;
  if (match->has_video && !add_branch (self, config, BRANCH_VIDEO, codec,
          &match->video, error))
    return NULL;
  if (match->has_audio && !add_branch (self, config, BRANCH_AUDIO, codec,
          &match->audio, error))
    return NULL;

  GST_DEBUG ("viewer %s: %s%s%s", id, match->has_video ?
      rw_codec_to_string (codec) : "", match->has_video &&
      match->has_audio ? " + " : "", match->has_audio ? "Opus" : "");
  return g_steal_pointer (&self);
}

/**
 * rw_viewer_new_offerer:
 * @id: the session id
 * @config: the settings (ICE)
 * @turn: (nullable): the TURN server, with the credentials to use now
 * @codec: the stream's video codec
 * @audio: whether to send the stream's audio too
 * @error: why the viewer could not be built
 *
 * Like rw_viewer_new(), for a peer we offer to (a WHIP endpoint): video
 * and, with @audio, Opus, with our own payload types
 * (rw_sdp_publish_match()). Negotiate with rw_viewer_offer_async(), then
 * rw_viewer_accept_answer_async().
 *
 * Returns: (transfer full) (nullable): the viewer, or %NULL with @error set.
 */
RwViewer *
rw_viewer_new_offerer (const gchar * id, const RwConfig * config,
    RwTurn * turn, RwCodec codec, gboolean audio, GError ** error)
{
  g_auto (RwOfferMatch) match = { 0 };
  RwViewer *self;

  rw_sdp_publish_match (codec, audio, &match);
  self = rw_viewer_new (id, config, turn, codec, &match, error);
  if (self)
    self->offerer = TRUE;
  return self;
}

/* --- joining and leaving the tees --- */

/* Whether what feeds @tee is live (a camera, a live test source, a
 * network camera): the upstream latency query says. */
static gboolean
input_is_live (GstElement * tee)
{
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstQuery) query = NULL;
  gboolean live = FALSE;

  if (tee == NULL)
    return FALSE;
  sink = gst_element_get_static_pad (tee, "sink");
  query = gst_query_new_latency ();
  if (sink && gst_pad_peer_query (sink, query))
    gst_query_parse_latency (query, &live, NULL, NULL);
  return live;
}

/**
 * rw_viewer_join:
 * @self: a new viewer
 * @bin: the bin to add the viewer's bin to, holding the tees
 * @video_tee: (nullable): the encoded video's tee
 * @audio_tee: (nullable): the encoded audio's tee
 * @error: why it could not join
 *
 * Adds the viewer's bin to @bin, starts it and links each of its branches
 * to a new pad of the matching tee. On failure the viewer has left again
 * (or is leaving: see #RwViewer::left). Call on the viewer's context.
 *
 * Returns: %TRUE when its branches are fed.
 */
gboolean
rw_viewer_join (RwViewer * self, GstBin * bin, GstElement * video_tee,
    GstElement * audio_tee, GError ** error)
{
  GstElement *tees[N_BRANCHES] = { video_tee, audio_tee };

  g_return_val_if_fail (self->parent_bin == NULL, FALSE);
  rw_assert_context (self->context);

  self->live_input = input_is_live (video_tee ? video_tee : audio_tee);
  self->parent_bin = gst_object_ref (bin);
  gst_bin_add (bin, self->bin);
  if (!gst_element_sync_state_with_parent (self->bin)) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "could not start the viewer's bin");
    rw_viewer_leave (self);
    return FALSE;
  }

  for (guint i = 0; i < N_BRANCHES; i++) {
    g_autoptr (GstPad) sink = NULL;

    if (self->payloaders[i] == NULL)
      continue;
    if (tees[i] == NULL) {
      g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
          "the stream has no %s to send", branch_names[i]);
      rw_viewer_leave (self);
      return FALSE;
    }
    self->tees[i] = gst_object_ref (tees[i]);
    self->tee_pads[i] = gst_element_request_pad_simple (tees[i], "src_%u");
    sink = gst_element_get_static_pad (self->bin, branch_names[i]);
    if (gst_pad_link (self->tee_pads[i], sink) != GST_PAD_LINK_OK) {
      g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
          "could not link the viewer's %s branch", branch_names[i]);
      rw_viewer_leave (self);
      return FALSE;
    }
  }
  return TRUE;
}

static void
set_bin_to_null (GstElement * bin, gpointer user_data)
{
  /* a task-pool thread: webrtcbin may take a while to stop */
  gst_element_set_state (bin, GST_STATE_NULL);
  g_object_unref (user_data);
}

/* Main context, once no tee pushes into the viewer's branches. */
static void
finish_leaving (RwViewer * self)
{
  self->left = TRUE;
  for (guint i = 0; i < N_LINKS; i++) {
    if (self->tee_pads[i] == NULL)
      continue;
    gst_element_release_request_pad (self->tees[i], self->tee_pads[i]);
    gst_clear_object (&self->tee_pads[i]);
    gst_clear_object (&self->tees[i]);
  }

  gst_element_set_locked_state (self->bin, TRUE);
  if (GST_OBJECT_PARENT (self->bin) == GST_OBJECT (self->parent_bin))
    gst_bin_remove (self->parent_bin, self->bin);
  gst_clear_object (&self->parent_bin);
  gst_element_call_async (self->bin, set_bin_to_null, g_object_ref (self),
      NULL);
  GST_DEBUG ("viewer %s left", self->id);
  /* the handlers may drop the last reference but ours */
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_LEFT], 0);
  g_object_unref (self);
}

static gboolean
branch_unlinked (gpointer user_data)
{
  RwViewer *self = user_data;
  guint n = 0;

  if (self->left)
    return G_SOURCE_REMOVE;     /* rw_viewer_leave_now() finished it */
  for (guint i = 0; i < N_LINKS; i++)
    n += self->tee_pads[i] != NULL;
  if (++self->n_unlinked >= n)
    finish_leaving (self);
  return G_SOURCE_REMOVE;
}

/* Any thread, once the tee is not pushing into the branch. */
static GstPadProbeReturn
unlink_branch (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwViewer *self = user_data;
  GstPad *peer = gst_pad_get_peer (pad);

  if (peer) {
    gst_pad_unlink (pad, peer);
    gst_object_unref (peer);
  }
  rw_invoke_later (self->context, branch_unlinked, g_object_ref (self),
      g_object_unref);
  return GST_PAD_PROBE_REMOVE;
}

/**
 * rw_viewer_leave:
 * @self: a viewer
 *
 * Closes the viewer (rw_viewer_close()) and takes its branches off the
 * tees without disturbing the others: #RwViewer::left says when it is
 * done. Call on the viewer's context.
 */
void
rw_viewer_leave (RwViewer * self)
{
  gboolean linked = FALSE;

  rw_assert_context (self->context);
  rw_viewer_close (self);
  if (self->leaving || self->left)
    return;
  if (self->parent_bin == NULL) {
    self->left = TRUE;          /* it never joined */
    return;
  }
  self->leaving = TRUE;

  for (guint i = 0; i < N_LINKS; i++) {
    if (self->tee_pads[i] == NULL)
      continue;
    linked = TRUE;
    gst_pad_add_probe (self->tee_pads[i], GST_PAD_PROBE_TYPE_IDLE,
        unlink_branch, g_object_ref (self), g_object_unref);
  }
  if (!linked)
    finish_leaving (self);
}

/**
 * rw_viewer_leave_now:
 * @self: a viewer
 *
 * Like rw_viewer_leave(), but done on return: for a pipeline that is not
 * streaming (its pads are inactive, so no IDLE probe is pending). Call on
 * the viewer's context.
 */
void
rw_viewer_leave_now (RwViewer * self)
{
  rw_assert_context (self->context);
  rw_viewer_close (self);
  if (self->left)
    return;
  if (self->parent_bin == NULL) {
    self->left = TRUE;          /* it never joined */
    return;
  }
  for (guint i = 0; i < N_LINKS; i++) {
    g_autoptr (GstPad) peer = NULL;

    if (self->tee_pads[i] && (peer = gst_pad_get_peer (self->tee_pads[i])))
      gst_pad_unlink (self->tee_pads[i], peer);
  }
  finish_leaving (self);
}

/**
 * rw_viewer_has_left:
 * @self: a viewer
 *
 * Returns: %TRUE once its bin is out of the pipeline (or, for a viewer that
 * never joined, once told to leave).
 */
gboolean
rw_viewer_has_left (RwViewer * self)
{
  return self->left;
}

/* --- accessors --- */

/**
 * rw_viewer_get_id:
 * @self: a viewer
 *
 * Returns: (transfer none): the session id.
 */
const gchar *
rw_viewer_get_id (RwViewer * self)
{
  return self->id;
}

/**
 * rw_viewer_get_bin:
 * @self: a viewer
 *
 * Returns: (transfer none): the viewer's bin.
 */
GstElement *
rw_viewer_get_bin (RwViewer * self)
{
  return self->bin;
}

/**
 * rw_viewer_get_state:
 * @self: a viewer
 *
 * Returns: the viewer's state.
 */
RwViewerState
rw_viewer_get_state (RwViewer * self)
{
  return self->state;
}

/**
 * rw_viewer_state_to_string:
 * @state: a state
 *
 * Returns: (transfer none): the state's name as /status shows it.
 */
const gchar *
rw_viewer_state_to_string (RwViewerState state)
{
  switch (state) {
    case RW_VIEWER_NEGOTIATING:
      return "negotiating";
    case RW_VIEWER_CONNECTING:
      return "connecting";
    case RW_VIEWER_CONNECTED:
      return "connected";
    case RW_VIEWER_CLOSING:
      return "closing";
  }
  return "unknown";
}

/**
 * rw_viewer_get_created:
 * @self: a viewer
 *
 * Returns: the monotonic time (µs) it was made, at its offer.
 */
gint64
rw_viewer_get_created (RwViewer * self)
{
  return self->created;
}

/**
 * rw_viewer_has_video:
 * @self: a viewer
 *
 * Returns: %TRUE if it is sent video.
 */
gboolean
rw_viewer_has_video (RwViewer * self)
{
  return self->payloaders[BRANCH_VIDEO] != NULL;
}

/**
 * rw_viewer_has_audio:
 * @self: a viewer
 *
 * Returns: %TRUE if it is sent audio.
 */
gboolean
rw_viewer_has_audio (RwViewer * self)
{
  return self->payloaders[BRANCH_AUDIO] != NULL;
}

/**
 * rw_viewer_get_connected_since:
 * @self: a viewer
 *
 * Returns: the wall-clock time (µs) the viewer connected, or 0.
 */
gint64
rw_viewer_get_connected_since (RwViewer * self)
{
  return self->connected_since;
}

/**
 * rw_viewer_set_counters:
 * @self: a viewer, before it joins the tees
 * @counters: the stream's totals, which it adds its timings to
 */
void
rw_viewer_set_counters (RwViewer * self, RwCounters * counters)
{
  g_return_if_fail (self->counters == NULL);

  self->counters = rw_counters_ref (counters);
}

/**
 * rw_viewer_set_gop_cache:
 * @self: a viewer, before it joins the tees
 * @cache: the cache of the stream's video (its full layer)
 */
void
rw_viewer_set_gop_cache (RwViewer * self, RwGopCache * cache)
{
  g_return_if_fail (self->gop_cache == NULL && self->parent_bin == NULL);

  self->gop_cache = rw_gop_cache_ref (cache);
}

/**
 * rw_viewer_start_video:
 * @self: a viewer that has just connected
 *
 * Lets the viewer's video through: it starts with the cached frames when
 * its stream's cache holds a keyframe and the frames since (if the cache
 * loses them meanwhile, the viewer asks for a keyframe itself), at a
 * keyframe otherwise.
 *
 * Returns: %FALSE when the caller must have the encoder send a keyframe.
 */
gboolean
rw_viewer_start_video (RwViewer * self)
{
  gboolean cached = self->gop_cache && rw_gop_cache_is_ready (self->gop_cache);

  g_atomic_int_set (&self->video_start, cached ? VIDEO_REPLAY :
      VIDEO_WAIT_KEYFRAME);
  return cached;
}

/**
 * rw_viewer_get_bytes_sent:
 * @self: a viewer
 *
 * Returns: RTP bytes handed to the viewer's transport so far.
 */
guint64
rw_viewer_get_bytes_sent (RwViewer * self)
{
  guint64 bytes;

  g_mutex_lock (&self->lock);
  bytes = self->bytes_sent;
  g_mutex_unlock (&self->lock);
  return bytes;
}

/**
 * rw_viewer_get_rtp_clock:
 * @self: a viewer
 * @ssrc: (out): the SSRC sent
 * @clock_rate: (out): the RTP clock rate
 * @timestamp: (out): an RTP timestamp sent
 * @running_time: (out): the running time of the frame with @timestamp
 *
 * How the viewer's video RTP timestamps map to the pipeline's running
 * time: the capture time of any received frame follows from its RTP
 * timestamp.
 *
 * Returns: %FALSE until a video packet was sent.
 */
gboolean
rw_viewer_get_rtp_clock (RwViewer * self, guint * ssrc, guint * clock_rate,
    guint * timestamp, GstClockTime * running_time)
{
  GstStructure *stats = NULL;
  guint64 ticks = 0;
  gboolean ok;

  if (self->payloaders[BRANCH_VIDEO] == NULL)
    return FALSE;
  g_object_get (self->payloaders[BRANCH_VIDEO], "stats", &stats, NULL);
  if (stats == NULL)
    return FALSE;
  /* 1.22's "running-time" there counts RTP clock ticks, not nanoseconds */
  ok = gst_structure_get (stats, "ssrc", G_TYPE_UINT, ssrc, "clock-rate",
      G_TYPE_UINT, clock_rate, "timestamp", G_TYPE_UINT, timestamp,
      "running-time", G_TYPE_UINT64, &ticks, NULL) && *clock_rate > 0 &&
      ticks > 0;
  gst_structure_free (stats);
  if (ok)
    *running_time = gst_util_uint64_scale (ticks, GST_SECOND, *clock_rate);
  return ok;
}

/* The RTP clock as CLOCK_MONOTONIC capture times (GStreamer's system clock
 * is monotonic): a receiver on the same machine measures capture-to-arrival
 * latency with it. */
static void
add_rtp_clock (RwViewer * self, JsonBuilder * builder)
{
  GstClock *clock = GST_ELEMENT_CLOCK (self->bin);
  GstClockTime running_time;
  guint ssrc, clock_rate, timestamp;

  if (clock == NULL || !GST_IS_SYSTEM_CLOCK (clock) ||
      !rw_viewer_get_rtp_clock (self, &ssrc, &clock_rate, &timestamp,
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
      gst_element_get_base_time (self->bin) + running_time);
  json_builder_end_object (builder);
}

/* --- the selected candidate pair and RTT (`ice` of /status) ---
 *
 * webrtcbin answers get-stats on its own thread, and /status is built
 * synchronously: a timer on the viewer's context asks every
 * STATS_INTERVAL_MS while it is connected, the reply hops back to the
 * context, and /status shows the latest snapshot. webrtcbin 1.22 fills no
 * round-trip time in its candidate-pair stats; the RTT is the one of the
 * RTCP receiver reports (remote-inbound-rtp `round-trip-time`). */

static void
ice_candidate_clear (IceCandidate * candidate)
{
  g_free (candidate->type);
  g_free (candidate->protocol);
  g_free (candidate->relay_protocol);
  g_free (candidate->address);
}

static void
ice_snapshot_free (IceSnapshot * snapshot)
{
  ice_candidate_clear (&snapshot->local);
  ice_candidate_clear (&snapshot->remote);
  g_free (snapshot);
}

static const GstStructure *
stats_by_id (const GstStructure * stats, const gchar * id)
{
  const GValue *value;

  if (id == NULL)
    return NULL;
  value = gst_structure_get_value (stats, id);
  if (value == NULL || !GST_VALUE_HOLDS_STRUCTURE (value))
    return NULL;
  return gst_value_get_structure (value);
}

/* Our candidate stats' own "type" is the wrong way round in webrtcbin
 * 1.22 (local says remote-candidate): which end is which follows from the
 * candidate pair's ids. */
static void
read_candidate (const GstStructure * s, gboolean local, IceCandidate * out)
{
  const gchar *relay = gst_structure_get_string (s, "relay-protocol");

  out->type = g_strdup (gst_structure_get_string (s, "candidate-type"));
  out->protocol = g_strdup (gst_structure_get_string (s, "protocol"));
  out->address = g_strdup (gst_structure_get_string (s, "address"));
  gst_structure_get_uint (s, "port", &out->port);
  /* how we reach the TURN server; 1.22 says "none" when it cannot tell */
  if (local && g_strcmp0 (out->type, "relay") == 0 && relay &&
      g_strcmp0 (relay, "none") != 0)
    out->relay_protocol = g_strdup (relay);
}

typedef struct
{
  const GstStructure *stats;
  IceSnapshot *snapshot;
  gboolean video_rtt;           /* rtt_ms is the video stream's */
} StatsParse;

static gboolean
parse_stats_field (GQuark field, const GValue * value, gpointer user_data)
{
  StatsParse *parse = user_data;
  IceSnapshot *snapshot = parse->snapshot;
  const GstStructure *s, *local, *remote, *source;
  GstWebRTCStatsType type;
  gdouble rtt;
  guint lsr = 0;
  gboolean video;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  s = gst_value_get_structure (value);
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL))
    return TRUE;

  switch (type) {
    case GST_WEBRTC_STATS_CANDIDATE_PAIR:
      /* only the selected pair is reported, one per transport (bundled) */
      local = stats_by_id (parse->stats,
          gst_structure_get_string (s, "local-candidate-id"));
      remote = stats_by_id (parse->stats,
          gst_structure_get_string (s, "remote-candidate-id"));
      if (local == NULL || remote == NULL || snapshot->local.type != NULL)
        break;
      read_candidate (local, TRUE, &snapshot->local);
      read_candidate (remote, FALSE, &snapshot->remote);
      break;
    case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP:
      if (!gst_structure_get_double (s, "round-trip-time", &rtt))
        break;
      /* 0 until the viewer's report echoes one of our sender reports */
      source = stats_by_id (s, "gst-rtpsource-stats");
      if (source == NULL || !gst_structure_get_uint (source, "rb-lsr", &lsr)
          || lsr == 0)
        break;
      video = g_strcmp0 (gst_structure_get_string (s, "kind"), "video") == 0;
      if (snapshot->rtt_ms < 0 || (video && !parse->video_rtt)) {
        gdouble lost;

        snapshot->rtt_ms = rtt * 1000.0;
        if (gst_structure_get_double (s, "fraction-lost", &lost))
          snapshot->fraction_lost = lost;
        parse->video_rtt = video;
      }
      break;
    default:
      break;
  }
  return TRUE;
}

typedef struct
{
  RwViewer *viewer;
  GstPromise *promise;
} StatsReply;

static void
stats_reply_free (gpointer data)
{
  StatsReply *reply = data;

  g_object_unref (reply->viewer);
  gst_promise_unref (reply->promise);
  g_free (reply);
}

static gboolean
stats_replied (gpointer user_data)
{
  StatsReply *reply = user_data;
  RwViewer *self = reply->viewer;
  const GstStructure *stats;
  IceSnapshot *snapshot;
  StatsParse parse = { NULL, };

  self->stats_requested = 0;
  if (gst_promise_wait (reply->promise) != GST_PROMISE_RESULT_REPLIED)
    return G_SOURCE_REMOVE;
  stats = gst_promise_get_reply (reply->promise);
  if (stats == NULL || gst_structure_has_field (stats, "error")) {
    GST_DEBUG ("viewer %s: no stats", self->id);
    return G_SOURCE_REMOVE;
  }

  snapshot = g_new0 (IceSnapshot, 1);
  snapshot->rtt_ms = -1;
  snapshot->fraction_lost = -1;
  parse.stats = stats;
  parse.snapshot = snapshot;
  gst_structure_foreach (stats, parse_stats_field, &parse);
  if (snapshot->local.type == NULL) {
    GST_DEBUG ("viewer %s: no selected candidate pair yet", self->id);
    ice_snapshot_free (snapshot);
    return G_SOURCE_REMOVE;
  }
  snapshot->updated = g_get_monotonic_time ();
  GST_LOG ("viewer %s: pair %s/%s %s:%u <-> %s/%s %s:%u, rtt %.2f ms",
      self->id, snapshot->local.type, snapshot->local.protocol,
      snapshot->local.address, snapshot->local.port, snapshot->remote.type,
      snapshot->remote.protocol, snapshot->remote.address,
      snapshot->remote.port, snapshot->rtt_ms);
  g_clear_pointer (&self->ice, ice_snapshot_free);
  self->ice = snapshot;
  return G_SOURCE_REMOVE;
}

/* webrtcbin's thread (or the caller's, when webrtcbin is closed): only
 * hops, and holds the viewer weakly so that webrtcbin never drops its last
 * reference. */
static void
on_stats (GstPromise * promise, gpointer user_data)
{
  RwViewer *viewer = g_weak_ref_get (user_data);
  StatsReply *reply;

  if (viewer == NULL)
    return;
  reply = g_new0 (StatsReply, 1);
  reply->viewer = viewer;
  reply->promise = gst_promise_ref (promise);
  rw_invoke_later (viewer->context, stats_replied, reply, stats_reply_free);
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
request_stats (RwViewer * self)
{
  gint64 now = g_get_monotonic_time ();
  GWeakRef *ref;
  GstPromise *promise;

  if (self->webrtcbin == NULL || (self->stats_requested &&
          now - self->stats_requested < STATS_TIMEOUT_US))
    return;
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  promise = gst_promise_new_with_change_func (on_stats, ref, weak_ref_free);
  self->stats_requested = now;
  g_signal_emit_by_name (self->webrtcbin, "get-stats", NULL, promise);
  gst_promise_unref (promise);
}

static gboolean
stats_tick (gpointer user_data)
{
  RwViewer *self = user_data;

  if (self->state != RW_VIEWER_CONNECTED) {
    g_clear_pointer (&self->stats_timer, g_source_unref);
    return G_SOURCE_REMOVE;
  }
  request_stats (self);
  return G_SOURCE_CONTINUE;
}

/* On the viewer's context, once connected; stopped there too, by
 * rw_viewer_close() (the timer holds no reference, and a viewer may be
 * disposed on the task pool's thread). */
static void
start_stats (RwViewer * self)
{
  if (self->stats_timer)
    return;
  request_stats (self);
  self->stats_timer = g_timeout_source_new (STATS_INTERVAL_MS);
  g_source_set_callback (self->stats_timer, stats_tick, self, NULL);
  g_source_set_static_name (self->stats_timer, "rw-viewer-stats");
  g_source_attach (self->stats_timer, self->context);
}

static void
stop_stats (RwViewer * self)
{
  if (self->stats_timer == NULL)
    return;
  g_source_destroy (self->stats_timer);
  g_clear_pointer (&self->stats_timer, g_source_unref);
}

static void
add_ice_candidate (JsonBuilder * builder, const gchar * name,
    const IceCandidate * candidate)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, candidate->type);
  json_builder_set_member_name (builder, "protocol");
  json_builder_add_string_value (builder, candidate->protocol);
  if (candidate->relay_protocol) {
    json_builder_set_member_name (builder, "relay_protocol");
    json_builder_add_string_value (builder, candidate->relay_protocol);
  }
  json_builder_set_member_name (builder, "address");
  json_builder_add_string_value (builder, candidate->address);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, candidate->port);
  json_builder_end_object (builder);
}

/* `ice`: the latest snapshot, null before the first one. */
static void
add_ice (RwViewer * self, JsonBuilder * builder)
{
  IceSnapshot *ice = self->ice;

  json_builder_set_member_name (builder, "ice");
  if (ice == NULL) {
    json_builder_add_null_value (builder);
    return;
  }
  json_builder_begin_object (builder);
  add_ice_candidate (builder, "local", &ice->local);
  add_ice_candidate (builder, "remote", &ice->remote);
  json_builder_set_member_name (builder, "rtt_ms");
  if (ice->rtt_ms >= 0)
    /* 16.16 fixed-point seconds underneath: 0.01 ms is plenty */
    json_builder_add_double_value (builder,
        (gint64) (ice->rtt_ms * 100 + 0.5) / 100.0);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "fraction_lost");
  if (ice->fraction_lost >= 0)
    json_builder_add_double_value (builder, ice->fraction_lost);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "age_ms");
  json_builder_add_int_value (builder,
      (g_get_monotonic_time () - ice->updated) / 1000);
  json_builder_end_object (builder);
}

/* `remb`: the viewer's last bandwidth estimate, or null. */
static void
add_remb (RwViewer * self, JsonBuilder * builder)
{
  guint64 remb;
  gint64 at;

  g_mutex_lock (&self->lock);
  remb = self->remb;
  at = self->remb_at;
  g_mutex_unlock (&self->lock);

  json_builder_set_member_name (builder, "remb");
  if (at == 0) {
    json_builder_add_null_value (builder);
    return;
  }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "bitrate");
  json_builder_add_int_value (builder, MIN (remb, (guint64) G_MAXINT64));
  json_builder_set_member_name (builder, "age_ms");
  json_builder_add_int_value (builder, (g_get_monotonic_time () - at) / 1000);
  json_builder_end_object (builder);
}

static gint
is_rtx_sender (gconstpointer element, gconstpointer unused)
{
  GstElementFactory *factory = gst_element_get_factory ((GstElement *)
      g_value_get_object (element));

  return factory && g_str_equal (GST_OBJECT_NAME (factory), "rtprtxsend") ?
      0 : 1;
}

/* What webrtcbin's rtprtxsend did for this viewer: retransmissions asked
 * for (packets named in its NACKs) and resent. webrtcbin 1.22's stats have
 * no retransmittedPacketsSent. */
static void
add_retransmissions (RwViewer * self, JsonBuilder * builder)
{
  g_autoptr (GstIterator) it = NULL;
  g_auto (GValue) found = G_VALUE_INIT;
  guint requests = 0, packets = 0;

  if (self->webrtcbin == NULL || !self->retransmissions)
    return;
  it = gst_bin_iterate_recurse (GST_BIN (self->webrtcbin));
  if (!gst_iterator_find_custom (it, is_rtx_sender, &found, NULL))
    return;
  g_object_get (g_value_get_object (&found), "num-rtx-requests", &requests,
      "num-rtx-packets", &packets, NULL);
  json_builder_set_member_name (builder, "retransmissions");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "requested");
  json_builder_add_int_value (builder, requests);
  json_builder_set_member_name (builder, "sent");
  json_builder_add_int_value (builder, packets);
  json_builder_end_object (builder);
}

/**
 * rw_viewer_add_status:
 * @self: a viewer in a pipeline
 * @builder: a builder inside an array
 *
 * Adds the viewer's object of `GET /status`: its id, state, what it is
 * sent, since when it is connected, the bytes sent, the selected ICE
 * candidate pair and round-trip time (`ice`, refreshed every
 * STATS_INTERVAL_MS while connected), the retransmissions it asked for and
 * got (`retransmissions`, when they are on), how its video RTP
 * timestamps map to capture times (`rtp`), and the playout delay its
 * packets ask for (`playout_delay_ms`, 0, or null when they carry none).
 */
void
rw_viewer_add_status (RwViewer * self, JsonBuilder * builder)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "peer_id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder,
      rw_viewer_state_to_string (self->state));
  json_builder_set_member_name (builder, "video");
  json_builder_add_boolean_value (builder, rw_viewer_has_video (self));
  json_builder_set_member_name (builder, "audio");
  json_builder_add_boolean_value (builder, rw_viewer_has_audio (self));
  json_builder_set_member_name (builder, "connected_since");
  if (self->connected_since) {
    g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc
        (self->connected_since / G_USEC_PER_SEC);
    g_autofree gchar *iso = g_date_time_format_iso8601 (dt);

    json_builder_add_string_value (builder, iso);
  } else {
    json_builder_add_null_value (builder);
  }
  json_builder_set_member_name (builder, "bytes_sent");
  json_builder_add_int_value (builder, rw_viewer_get_bytes_sent (self));
  if (self->turn) {
    json_builder_set_member_name (builder, "turn");
    json_builder_add_string_value (builder, !self->gathered ? "gathering" :
        g_atomic_int_get (&self->relay_candidates) > 0 ? "relay" : "no-relay");
  }
  add_ice (self, builder);
  add_remb (self, builder);
  add_rate (self, builder);
  add_retransmissions (self, builder);
  add_rtp_clock (self, builder);
  json_builder_set_member_name (builder, "replayed_frames");
  if (g_atomic_int_get (&self->replayed_frames) >= 0)
    json_builder_add_int_value (builder,
        g_atomic_int_get (&self->replayed_frames));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "playout_delay_ms");
  if (self->zero_playout_delay)
    json_builder_add_int_value (builder, 0);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

/**
 * rw_viewer_add_candidate:
 * @self: a negotiated viewer
 * @mline: the candidate's m-line index
 * @candidate: a checked candidate line
 *
 * Adds one of the viewer's trickled ICE candidates.
 */
void
rw_viewer_add_candidate (RwViewer * self, guint mline, const gchar * candidate)
{
  g_return_if_fail (RW_IS_VIEWER (self));

  if (self->state == RW_VIEWER_CLOSING)
    return;
  /* With max-bundle every candidate belongs to the bundled transport. */
  g_signal_emit_by_name (self->webrtcbin, "add-ice-candidate", mline,
      candidate);
}

/**
 * rw_viewer_check_liveness:
 * @self: a viewer
 * @now: g_get_monotonic_time()
 *
 * Returns: (nullable) (transfer none): why a connected viewer should be
 * removed (its RTCP stopped), or %NULL.
 */
const gchar *
rw_viewer_check_liveness (RwViewer * self, gint64 now)
{
  gint64 last_rtcp;

  switch (self->state) {
    case RW_VIEWER_NEGOTIATING:
    case RW_VIEWER_CONNECTING:
      /* the owner bounds the handshake (RwSink:handshake-timeout) */
      return NULL;
    case RW_VIEWER_CONNECTED:
      g_mutex_lock (&self->lock);
      last_rtcp = self->last_rtcp;
      g_mutex_unlock (&self->lock);
      if (now - last_rtcp > RW_VIEWER_RTCP_TIMEOUT_S * G_USEC_PER_SEC)
        return self->offerer ? "no RTCP from it for "
            G_STRINGIFY (RW_VIEWER_RTCP_TIMEOUT_S) " s (it stopped, or the "
            "network went)" : "no RTCP from it for "
            G_STRINGIFY (RW_VIEWER_RTCP_TIMEOUT_S)
            " s (tab closed or network gone)";
      return NULL;
    case RW_VIEWER_CLOSING:
      return NULL;
  }
  return NULL;
}

/**
 * rw_viewer_close:
 * @self: a viewer
 *
 * Marks the viewer as closing: a pending negotiation fails, and nothing it
 * hears from webrtcbin any more is acted on. The owner then removes its bin.
 */
void
rw_viewer_close (RwViewer * self)
{
  g_return_if_fail (RW_IS_VIEWER (self));

  set_state (self, RW_VIEWER_CLOSING);
  /* here, on the context: the last reference may go on another thread */
  stop_stats (self);
  negotiation_return (self, NULL, g_error_new (RW_ERROR, RW_ERROR_FAILED,
          "viewer %s closed during negotiation", self->id));
}

/**
 * rw_viewer_prewarm:
 *
 * Loads webrtcbin's plugins and makes the DTLS certificate once, at start-up,
 * so that the first viewer is answered as fast as the next ones.
 */
void
rw_viewer_prewarm (void)
{
  static const gchar *factories[] = {
    "webrtcbin", "rtpbin", "dtlsdec", "dtlsenc", "dtlssrtpenc",
    "dtlssrtpdec", "srtpenc", "srtpdec", "nicesrc", "nicesink", "rtpfunnel",
    "rtprtxsend", "rtprtxreceive", "rtpulpfecenc", "rtpulpfecdec",
    "rtpredenc", "rtpreddec", "rtpstorage", "rtpvp8pay", "rtph264pay",
    "rtpopuspay", "queue",
  };
  gint64 start = g_get_monotonic_time ();

  g_type_class_unref (g_type_class_ref (RW_TYPE_VIEWER));
  for (guint i = 0; i < G_N_ELEMENTS (factories); i++) {
    GstElement *element = gst_element_factory_make (factories[i], NULL);

    if (element == NULL) {
      GST_WARNING ("prewarm: no element %s", factories[i]);
      continue;
    }
    gst_object_unref (gst_object_ref_sink (element));
  }
  GST_INFO ("webrtcbin prewarmed in %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - start) / 1000);
}

/**
 * rw_viewer_link_low:
 * @self: a joined viewer with video
 * @tee: the low layer's tee
 *
 * Feeds the video's second input from the low layer; the gate lets it
 * through once rw_viewer_set_layer() asks for it. Call on the viewer's
 * context.
 *
 * Returns: %TRUE when linked (or already).
 */
gboolean
rw_viewer_link_low (RwViewer * self, GstElement * tee)
{
  g_autoptr (GstPad) sink = NULL;

  rw_assert_context (self->context);
  if (self->gate == NULL || self->parent_bin == NULL || self->leaving ||
      self->left)
    return FALSE;
  if (self->tee_pads[LINK_VIDEO_LOW])
    return TRUE;
  sink = gst_element_get_static_pad (self->bin, "video_low");
  self->tees[LINK_VIDEO_LOW] = gst_object_ref (tee);
  self->tee_pads[LINK_VIDEO_LOW] = gst_element_request_pad_simple (tee,
      "src_%u");
  if (gst_pad_link (self->tee_pads[LINK_VIDEO_LOW], sink) != GST_PAD_LINK_OK) {
    GST_WARNING ("viewer %s: could not link the low layer", self->id);
    rw_viewer_unlink_low (self);
    return FALSE;
  }
  return TRUE;
}

/**
 * rw_viewer_unlink_low:
 * @self: a viewer
 *
 * Takes the video's second input off the low layer's tee, which must not
 * be streaming any more (rw_low_layer_stop()). Call on the viewer's
 * context.
 */
void
rw_viewer_unlink_low (RwViewer * self)
{
  g_autoptr (GstPad) peer = NULL;
  GstPad *pad = self->tee_pads[LINK_VIDEO_LOW];

  rw_assert_context (self->context);
  /* a leaving viewer's IDLE probe owns the link */
  if (pad == NULL || self->leaving || self->left)
    return;
  peer = gst_pad_get_peer (pad);
  if (peer)
    gst_pad_unlink (pad, peer);
  gst_element_release_request_pad (self->tees[LINK_VIDEO_LOW], pad);
  gst_clear_object (&self->tee_pads[LINK_VIDEO_LOW]);
  gst_clear_object (&self->tees[LINK_VIDEO_LOW]);
  if (self->gate)
    rw_layer_gate_set (self->gate, RW_LAYER_FULL, 0);
}

/**
 * rw_viewer_measure_rate:
 * @self: a viewer
 * @now: monotonic time, µs
 * @rate: (out): its estimate, loss, and the video bitrate sent since the
 *     last call
 *
 * Call on the viewer's context, about twice a second.
 */
void
rw_viewer_measure_rate (RwViewer * self, gint64 now, RwViewerRate * rate)
{
  remember_retransmissions (self, now);
  g_mutex_lock (&self->lock);
  if (self->rate_at && now > self->rate_at)
    self->bitrate = (self->video_bytes - self->rate_bytes) * 8 *
        G_USEC_PER_SEC / (now - self->rate_at);
  self->rate_at = now;
  self->rate_bytes = self->video_bytes;
  rate->estimate = rw_rate_estimate_get (&self->estimate, now, &rate->source);
  rate->fraction_lost = rw_rate_estimate_get_fraction_lost (&self->estimate);
  rate->delivered = rw_rate_estimate_get_delivered (&self->estimate);
  rate->bitrate = self->bitrate;
  g_mutex_unlock (&self->lock);
}

/* A switch of layer: the viewer's NACKs for what the link lost of the
 * layer before would fill its link with retransmissions while the new
 * layer's keyframe tries to get through. The history of rtprtxsend is cut
 * to a packet for RTX_FORGET_US, then restored
 * (rw_viewer_measure_rate()). */
static void
forget_retransmissions (RwViewer * self)
{
  g_autoptr (GstIterator) it = NULL;
  g_auto (GValue) found = G_VALUE_INIT;

  if (self->webrtcbin == NULL || !self->retransmissions)
    return;
  it = gst_bin_iterate_recurse (GST_BIN (self->webrtcbin));
  if (!gst_iterator_find_custom (it, is_rtx_sender, &found, NULL))
    return;
  if (self->rtx_forget_until == 0)
    g_object_get (g_value_get_object (&found), "max-size-packets",
        &self->rtx_packets, NULL);
  g_object_set (g_value_get_object (&found), "max-size-packets", 1, NULL);
  self->rtx_forget_until = g_get_monotonic_time () + RTX_FORGET_US;
}

static void
remember_retransmissions (RwViewer * self, gint64 now)
{
  g_autoptr (GstIterator) it = NULL;
  g_auto (GValue) found = G_VALUE_INIT;

  if (self->rtx_forget_until == 0 || now < self->rtx_forget_until)
    return;
  self->rtx_forget_until = 0;
  it = gst_bin_iterate_recurse (GST_BIN (self->webrtcbin));
  if (gst_iterator_find_custom (it, is_rtx_sender, &found, NULL))
    g_object_set (g_value_get_object (&found), "max-size-packets",
        self->rtx_packets, NULL);
}

/**
 * rw_viewer_set_layer:
 * @self: a viewer with video
 * @layer: the layer it should get
 * @budget: bits/s when frames must be dropped to fit, 0 otherwise
 *
 * Call on the viewer's context.
 */
void
rw_viewer_set_layer (RwViewer * self, RwLayer layer, guint64 budget)
{
  gboolean changed;

  if (self->gate == NULL)
    return;
  g_mutex_lock (&self->lock);
  /* what it lost on the other layer says little about this one */
  if (layer != self->layer)
    rw_rate_estimate_reset (&self->estimate);
  changed = layer != self->layer;
  self->layer = layer;
  self->dropping = budget != 0;
  g_mutex_unlock (&self->lock);
  rw_layer_gate_set (self->gate, layer, budget);
  if (changed)
    forget_retransmissions (self);
}

/* `rate`: what the rate control knows of the viewer (docs/rate-control.md) */
static void
add_rate (RwViewer * self, JsonBuilder * builder)
{
  RwViewerRate rate;
  gint64 now = g_get_monotonic_time ();
  gboolean dropping;

  if (self->gate == NULL)
    return;
  g_mutex_lock (&self->lock);
  rate.estimate = rw_rate_estimate_get (&self->estimate, now, &rate.source);
  rate.fraction_lost = rw_rate_estimate_get_fraction_lost (&self->estimate);
  rate.bitrate = self->bitrate;
  dropping = self->dropping;
  g_mutex_unlock (&self->lock);

  json_builder_set_member_name (builder, "rate");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "estimate");
  if (rate.estimate)
    json_builder_add_int_value (builder, MIN (rate.estimate, G_MAXINT64));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "source");
  if (rate.source)
    json_builder_add_string_value (builder, rate.source);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "fraction_lost");
  if (rate.fraction_lost >= 0)
    json_builder_add_double_value (builder,
        (gint64) (rate.fraction_lost * 1000 + 0.5) / 1000.0);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "rtt_ms");
  if (self->ice && self->ice->rtt_ms >= 0)
    json_builder_add_double_value (builder,
        (gint64) (self->ice->rtt_ms * 100 + 0.5) / 100.0);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "layer");
  json_builder_add_string_value (builder,
      rw_layer_to_string (rw_layer_gate_get_layer (self->gate)));
  json_builder_set_member_name (builder, "dropping");
  json_builder_add_boolean_value (builder, dropping);
  json_builder_set_member_name (builder, "frames_dropped");
  json_builder_add_int_value (builder, rw_layer_gate_get_dropped (self->gate));
  json_builder_set_member_name (builder, "bitrate");
  json_builder_add_int_value (builder, rate.bitrate);
  json_builder_end_object (builder);
}

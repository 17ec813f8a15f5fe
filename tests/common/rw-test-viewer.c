/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-test-viewer
 * @title: RwTestViewer
 * @short_description: an in-process WebRTC viewer that does the browser's job
 *
 * A #RwTestViewer is what the lab frontend does in a browser, done with a
 * `webrtcbin` in its own pipeline: a recvonly video transceiver (VP8 or
 * H264), `create-offer`, `set-local-description`, a bounded wait for ICE
 * gathering, `POST /offer` with libsoup, `set-remote-description` with the
 * answer. With rw_test_viewer_set_whep() it speaks WHEP instead (RFC 9725's
 * client flow on draft-ietf-wish-whep's endpoint): the offer is posted as
 * `application/sdp` to `/whep/NAME` (or `/whep`), the `201`'s `Location`
 * is followed for trickle PATCHes (`application/trickle-ice-sdpfrag`, with
 * `If-Match` and the candidates gathered until then in one fragment) and
 * for the hang-up's DELETE. Incoming video is either decoded (`decode` mode: frames and their
 * size are counted after the decoder) or only depayloaded (`count` mode, for
 * load tests: frames are counted after the depayloader).
 *
 * With rw_test_viewer_set_media() the viewer offers audio too (or only
 * audio): a recvonly Opus transceiver (payload 111, as browsers offer it),
 * after the video one. Incoming Opus is decoded in `decode` mode (buffers,
 * samples, sample rate and the RMS level of the decoded sound are counted
 * after the decoder) and only depayloaded in `count` mode (buffers, and
 * samples read from each packet's TOC byte; no level). With
 * rw_test_viewer_set_stream() the offer names the stream it wants.
 *
 * ICE is restricted to one local address (127.0.0.1 unless told otherwise),
 * without UPnP and without ICE-TCP, so the viewer's traffic stays on
 * loopback. rw_test_viewer_set_ice_servers() gives it a STUN server and TURN
 * servers (a viewer behind NAT, in the network namespace tests), and
 * rw_test_viewer_query_selected_pair() reads the candidate pair ICE chose
 * from webrtcbin's `get-stats`.
 *
 * Threading: everything but the pad-added handler and the pad probe runs on
 * the main context the viewer was created on. webrtcbin's signals and promise
 * callbacks fire on webrtcbin's threads; they only copy what they need and hop
 * to that context with g_main_context_invoke_full(), carrying a reference.
 * The pad-added handler links the new pad to its depayloader branch before it
 * returns (data already flows on that thread, and an unlinked pad would stop
 * it with not-linked); that only adds and links new elements.
 */

#include "rw-test-viewer.h"

#include <gst/rtp/rtp.h>
#include <math.h>

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

GST_DEBUG_CATEGORY_STATIC (rw_test_viewer_debug);
#define GST_CAT_DEFAULT rw_test_viewer_debug

struct _RwTestViewer
{
  GObject parent;

  /* Set before rw_test_viewer_start(), read-only afterwards (also read by
   * the pad-added handler on webrtcbin's threads). */
  gchar *base_url;
  RwTestViewerCodec codec;
  gboolean decode;
  gchar *ice_address;
  gboolean trickle;
  gchar *name;
  gchar *stream;                /* the "stream" of the offer, or NULL */
  gboolean offer_video;
  gboolean offer_audio;
  gboolean nack;                /* rw_test_viewer_set_nack () */
  gboolean keyframe_after_loss; /* rw_test_viewer_set_keyframe_after_loss () */
  gboolean remb;                /* rw_test_viewer_set_remb () */
  gboolean ice_tcp;             /* rw_test_viewer_set_ice_tcp () */
  gboolean whep;
  gchar *stun_server;           /* or NULL */
  guint check_timeout_ms;       /* libnice's stun-initial-timeout, 0: its own */
  gint check_retransmissions;   /* stun-max-retransmissions, -1: its own */
  GPtrArray *turn_servers;      /* gchar*, URIs */
  GMainContext *context;

  /* Main context only. */
  RwTestViewerState state;
  GstElement *pipeline;
  GstElement *webrtc;
  guint bus_watch;
  SoupSession *session;
  gchar *authorization;         /* "Bearer <token>", or NULL */
  GCancellable *cancellable;
  guint gather_timeout;
  guint connect_timeout;
  gboolean local_set;
  gboolean gathering_done;
  gboolean end_of_candidates_sent;
  gboolean hangup_requested;
  gboolean hangup_in_flight;
  gboolean hangup_done;
  gchar *peer_id;
  gchar *location;              /* WHEP: the session's absolute URL */
  gchar *etag;                  /* WHEP: its entity tag */
  gchar *error;
  gchar *offer_sdp;
  guint offer_status;
  guint hangup_status;
  GPtrArray *pending_candidates;        /* Candidate, before peer_id */
  gint64 post_time;
  gint64 answer_time;
  gint64 connected_time;
  gboolean answer_has_audio;
  gboolean pair_pending;        /* a get-stats for the pair is on its way */
  gchar *pair_local;            /* "relay/udp" or "relay/udp/tcp", or NULL */
  gchar *pair_remote;
  gchar *pair_local_address;    /* "ADDR:PORT" */
  gchar *pair_remote_address;

  /* Written by the pad probe on streaming threads. */
  GMutex lock;                  /* protects the fields below */
  guint64 frames;
  guint64 bytes;
  gint width;
  gint height;
  gint64 first_frame_time;
  gint64 last_frame_time;
  gint64 max_gap;               /* since rw_test_viewer_take_max_gap_us() */
  guint freezes;                /* gaps of RW_TEST_VIEWER_FREEZE_US or more */
  gint64 frozen;                /* their total, µs */
  guint64 rtp_bytes;
  GArray *arrivals;             /* Arrival, since the last take */
  guint clock_rate;             /* the sender's RTP clock, 0 while unknown */
  guint32 clock_timestamp;
  gint64 clock_capture_ns;
  guint64 audio_buffers;
  guint64 audio_samples;        /* per channel */
  gint audio_rate;              /* 0 while unknown */
  gint audio_channels;          /* 0 while unknown */
  gint64 first_audio_time;
  gdouble audio_sum_squares;    /* of the current level window */
  guint64 audio_window_values;  /* samples of all channels in it */
  guint64 audio_window_frames;  /* samples per channel in it */
  gdouble audio_level;          /* RMS of the last full window, -1: none */
};

/* A frame's last packet (marker bit): its RTP timestamp and arrival time. */
typedef struct
{
  guint32 timestamp;
  gint64 arrival_us;
} Arrival;

#define MAX_ARRIVALS 16384

G_DEFINE_FINAL_TYPE (RwTestViewer, rw_test_viewer, G_TYPE_OBJECT);

typedef struct
{
  guint mline;
  gchar *candidate;
} Candidate;

static void
candidate_free (gpointer data)
{
  Candidate *c = data;

  g_free (c->candidate);
  g_free (c);
}

static void teardown (RwTestViewer * self);

/* --- helpers --- */

static gboolean
is_finished (RwTestViewer * self)
{
  return self->pipeline == NULL || self->state == RW_TEST_VIEWER_CLOSED ||
      self->state == RW_TEST_VIEWER_FAILED;
}

static void
fail (RwTestViewer * self, const gchar * format, ...)
G_GNUC_PRINTF (2, 3);

/* Records the first error, marks the viewer failed and stops its pipeline.
 * Main context only. */
     static void fail (RwTestViewer * self, const gchar * format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  GST_WARNING ("viewer %s: %s", self->name, message);
  if (self->error == NULL)
    self->error = g_steal_pointer (&message);
  if (self->state != RW_TEST_VIEWER_CLOSED)
    self->state = RW_TEST_VIEWER_FAILED;
  if (self->hangup_requested) {
    self->hangup_requested = FALSE;
    self->hangup_done = TRUE;
  }
  teardown (self);
}

static gchar *
describe_http_failure (SoupMessage * msg, GBytes * body)
{
  gsize size = 0;
  const gchar *data = body ? g_bytes_get_data (body, &size) : NULL;

  return g_strdup_printf ("HTTP %u %s: %.*s", soup_message_get_status (msg),
      soup_message_get_reason_phrase (msg) ? soup_message_get_reason_phrase
      (msg) : "", (gint) MIN (size, 1024), data ? data : "");
}

static gchar *
make_url (RwTestViewer * self, const gchar * path)
{
  gsize len = strlen (self->base_url);

  while (len > 0 && self->base_url[len - 1] == '/')
    len--;
  return g_strdup_printf ("%.*s%s", (gint) len, self->base_url, path);
}

/* Sends @json to base_url + @path with @method; the callback gets a ref. */
static SoupMessage *
send_json (RwTestViewer * self, const gchar * method, const gchar * path,
    gchar * json, GAsyncReadyCallback callback, GCancellable * cancellable)
{
  g_autofree gchar *url = make_url (self, path);
  SoupMessage *msg = soup_message_new (method, url);

  if (msg == NULL) {
    g_free (json);
    return NULL;
  }
  if (json) {
    g_autoptr (GBytes) bytes = g_bytes_new_take (json, strlen (json));

    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  }
  if (self->authorization)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", self->authorization);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
      cancellable, callback, g_object_ref (self));
  return msg;
}

/* --- hops from webrtcbin's threads to the main context --- */

typedef void (*HopFunc) (RwTestViewer * self, gpointer data);

typedef struct
{
  RwTestViewer *self;
  HopFunc func;
  gpointer data;
  GDestroyNotify free_data;
} Hop;

static gboolean
hop_dispatch (gpointer user_data)
{
  Hop *hop = user_data;

  hop->func (hop->self, hop->data);
  return G_SOURCE_REMOVE;
}

static void
hop_free (gpointer user_data)
{
  Hop *hop = user_data;

  if (hop->free_data && hop->data)
    hop->free_data (hop->data);
  g_object_unref (hop->self);
  g_free (hop);
}

static void
hop_to_main (RwTestViewer * self, HopFunc func, gpointer data,
    GDestroyNotify free_data)
{
  Hop *hop = g_new0 (Hop, 1);

  hop->self = g_object_ref (self);
  hop->func = func;
  hop->data = data;
  hop->free_data = free_data;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, hop_dispatch,
      hop, hop_free);
}

/* Checks a resolved promise; @reply (nullable: set-*-description reply
 * nothing) is valid while @promise is. Returns FALSE with @error set. */
static gboolean
promise_reply (GstPromise * promise, const gchar * what,
    const GstStructure ** reply, gchar ** error)
{
  GstPromiseResult result = gst_promise_wait (promise);

  *reply = NULL;
  if (result != GST_PROMISE_RESULT_REPLIED) {
    *error = g_strdup_printf ("%s: promise %s", what,
        result == GST_PROMISE_RESULT_INTERRUPTED ? "interrupted" :
        result == GST_PROMISE_RESULT_EXPIRED ? "expired" : "not replied");
    return FALSE;
  }
  *reply = gst_promise_get_reply (promise);
  if (*reply && gst_structure_has_field (*reply, "error")) {
    g_autoptr (GError) gerror = NULL;

    gst_structure_get (*reply, "error", G_TYPE_ERROR, &gerror, NULL);
    *error = g_strdup_printf ("%s: %s", what,
        gerror ? gerror->message : "failed");
    return FALSE;
  }
  return TRUE;
}

/* --- stats, from streaming threads --- */

/* Call with the lock held. */
static void
count_frames (RwTestViewer * self, guint frames, gsize bytes)
{
  gint64 now = g_get_monotonic_time ();

  self->frames += frames;
  self->bytes += bytes;
  if (self->first_frame_time == 0)
    self->first_frame_time = now;
  if (self->last_frame_time && now - self->last_frame_time > self->max_gap)
    self->max_gap = now - self->last_frame_time;
  if (self->last_frame_time &&
      now - self->last_frame_time >= RW_TEST_VIEWER_FREEZE_US) {
    self->freezes++;
    self->frozen += now - self->last_frame_time;
  }
  self->last_frame_time = now;
}

static GstPadProbeReturn
on_sink_data (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwTestViewer *self = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

    count_frames (self, 1, gst_buffer_get_size (buffer));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

    count_frames (self, gst_buffer_list_length (list),
        gst_buffer_list_calculate_size (list));
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      GstCaps *caps;
      const GstStructure *s;
      gint width = 0, height = 0;

      gst_event_parse_caps (event, &caps);
      s = gst_caps_get_structure (caps, 0);
      if (gst_structure_get_int (s, "width", &width) &&
          gst_structure_get_int (s, "height", &height)) {
        g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

        self->width = width;
        self->height = height;
      }
    }
  }
  return GST_PAD_PROBE_OK;
}

/* The number of 48 kHz samples in one Opus packet, from its TOC byte
 * (RFC 6716, 3.1); 0 if the packet is malformed. */
static guint
opus_packet_samples (const guint8 * data, gsize size)
{
  static const guint silk[] = { 480, 960, 1920, 2880 };
  static const guint hybrid[] = { 480, 960 };
  static const guint celt[] = { 120, 240, 480, 960 };
  guint config, per_frame, frames;

  if (size < 1)
    return 0;
  config = data[0] >> 3;
  if (config < 12)
    per_frame = silk[config & 3];
  else if (config < 16)
    per_frame = hybrid[config & 1];
  else
    per_frame = celt[config & 3];

  switch (data[0] & 3) {
    case 0:
      frames = 1;
      break;
    case 1:
    case 2:
      frames = 2;
      break;
    default:
      if (size < 2)
        return 0;
      frames = data[1] & 0x3f;
      break;
  }
  return per_frame * frames;
}

/* Call with the lock held. @data holds interleaved F32 samples (decode
 * mode) or one Opus packet (count mode). */
static void
count_audio (RwTestViewer * self, const guint8 * data, gsize size)
{
  if (self->first_audio_time == 0)
    self->first_audio_time = g_get_monotonic_time ();
  self->audio_buffers++;

  if (!self->decode) {
    self->audio_samples += opus_packet_samples (data, size);
    return;
  }
  if (self->audio_channels > 0 && self->audio_rate > 0) {
    const gfloat *values = (const gfloat *) data;
    gsize n = size / sizeof (gfloat);

    for (gsize i = 0; i < n; i++)
      self->audio_sum_squares += (gdouble) values[i] * values[i];
    self->audio_window_values += n;
    self->audio_window_frames += n / self->audio_channels;
    self->audio_samples += n / self->audio_channels;
    /* one level per second of sound */
    if (self->audio_window_frames >= (guint64) self->audio_rate) {
      self->audio_level = sqrt (self->audio_sum_squares /
          self->audio_window_values);
      self->audio_sum_squares = 0;
      self->audio_window_values = 0;
      self->audio_window_frames = 0;
    }
  }
}

static void
count_audio_buffer (RwTestViewer * self, GstBuffer * buffer)
{
  GstMapInfo map;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  count_audio (self, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
}

static gboolean
count_audio_in_list (GstBuffer ** buffer, guint idx, gpointer user_data)
{
  count_audio_buffer (user_data, *buffer);
  return TRUE;
}

/* Streaming thread: the audio sink's pad. */
static GstPadProbeReturn
on_audio_sink_data (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwTestViewer *self = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

    count_audio_buffer (self, GST_PAD_PROBE_INFO_BUFFER (info));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        count_audio_in_list, self);
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      GstCaps *caps;
      const GstStructure *s;
      gint rate = 0, channels = 0;

      gst_event_parse_caps (event, &caps);
      s = gst_caps_get_structure (caps, 0);
      gst_structure_get_int (s, "rate", &rate);
      gst_structure_get_int (s, "channels", &channels);
      {
        g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

        /* an Opus stream is 48 kHz whatever its caps say */
        self->audio_rate = rate > 0 ? rate : 48000;
        self->audio_channels = channels;
      }
    }
  }
  return GST_PAD_PROBE_OK;
}

/* --- incoming media --- */

static void
branch_failed_main (RwTestViewer * self, gpointer data)
{
  if (!is_finished (self))
    fail (self, "%s", (const gchar *) data);
}

static const gchar *
branch_description (RwTestViewer * self, const gchar * encoding)
{
  if (g_ascii_strcasecmp (encoding, "VP8") == 0) {
    if (self->decode && self->keyframe_after_loss)
      return "rtpvp8depay wait-for-keyframe=true request-keyframe=true ! "
          "vp8dec ! fakesink name=sink sync=false async=false";
    return self->decode ? "rtpvp8depay ! vp8dec ! fakesink name=sink "
        "sync=false async=false" :
        "rtpvp8depay ! fakesink name=sink sync=false async=false";
  }
  if (g_ascii_strcasecmp (encoding, "H264") == 0) {
    if (self->decode && self->keyframe_after_loss)
      return "rtph264depay wait-for-keyframe=true request-keyframe=true ! "
          "h264parse ! avdec_h264 ! fakesink name=sink sync=false "
          "async=false";
    return self->decode ? "rtph264depay ! h264parse ! avdec_h264 ! "
        "fakesink name=sink sync=false async=false" :
        "rtph264depay ! video/x-h264,stream-format=avc,alignment=au ! "
        "fakesink name=sink sync=false async=false";
  }
  if (g_ascii_strcasecmp (encoding, "OPUS") == 0)
    return self->decode ? "rtpopusdepay ! opusdec ! audioconvert ! "
        "audio/x-raw,format=F32LE,layout=interleaved ! "
        "fakesink name=sink sync=false async=false" :
        "rtpopusdepay ! fakesink name=sink sync=false async=false";
  return NULL;
}

/* webrtcbin streaming thread: notes when each frame's last packet came. */
static GstPadProbeReturn
on_rtp (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RwTestViewer *self = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  Arrival arrival;

  g_mutex_lock (&self->lock);
  self->rtp_bytes += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  g_mutex_unlock (&self->lock);
  if (!gst_rtp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ,
          &rtp))
    return GST_PAD_PROBE_OK;
  if (gst_rtp_buffer_get_marker (&rtp)) {
    arrival.timestamp = gst_rtp_buffer_get_timestamp (&rtp);
    arrival.arrival_us = g_get_monotonic_time ();
    g_mutex_lock (&self->lock);
    if (self->arrivals->len < MAX_ARRIVALS)
      g_array_append_val (self->arrivals, arrival);
    g_mutex_unlock (&self->lock);
  }
  gst_rtp_buffer_unmap (&rtp);
  return GST_PAD_PROBE_OK;
}

/* webrtcbin streaming thread: link the new pad before data flows into it.
 * Only the immutable settings of @self are used here. */
static void
on_pad_added (GstElement * webrtc, GstPad * pad, gpointer user_data)
{
  RwTestViewer *self = user_data;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstObject) parent = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstPad) sink_pad = NULL;
  g_autoptr (GstPad) bin_pad = NULL;
  g_autoptr (GError) error = NULL;
  const GstStructure *s;
  const gchar *encoding, *description;
  GstElement *bin;
  GstPadLinkReturn link;
  gboolean audio;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;

  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  s = gst_caps_get_structure (caps, 0);
  encoding = gst_structure_get_string (s, "encoding-name");
  audio = g_strcmp0 (gst_structure_get_string (s, "media"), "audio") == 0;
  GST_INFO ("viewer %s: new pad %s with %" GST_PTR_FORMAT, self->name,
      GST_PAD_NAME (pad), caps);

  description = encoding ? branch_description (self, encoding) : NULL;
  if (description == NULL) {
    hop_to_main (self, branch_failed_main, g_strdup_printf ("received an "
            "unexpected stream: %s", gst_structure_get_name (s)), g_free);
    description = "fakesink name=sink sync=false async=false";
  }

  bin = gst_parse_bin_from_description_full (description, TRUE, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (bin == NULL) {
    hop_to_main (self, branch_failed_main, g_strdup_printf ("cannot build "
            "'%s': %s", description, error->message), g_free);
    return;
  }

  parent = gst_object_get_parent (GST_OBJECT (webrtc));
  if (parent == NULL) {
    gst_object_unref (gst_object_ref_sink (bin));
    return;
  }
  gst_bin_add (GST_BIN (parent), bin);

  sink = gst_bin_get_by_name (GST_BIN (bin), "sink");
  sink_pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      audio ? on_audio_sink_data : on_sink_data, self, NULL);

  /* RTP bytes and frame arrivals are the video's */
  if (!audio)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_rtp, self, NULL);
  bin_pad = gst_element_get_static_pad (bin, "sink");
  link = gst_pad_link (pad, bin_pad);
  if (link != GST_PAD_LINK_OK)
    hop_to_main (self, branch_failed_main, g_strdup_printf ("cannot link %s "
            "to '%s': %s", GST_PAD_NAME (pad), description,
            gst_pad_link_get_name (link)), g_free);
  gst_element_sync_state_with_parent (bin);
}

/* --- connection state --- */

static void
connection_state_main (RwTestViewer * self, gpointer data)
{
  GstWebRTCPeerConnectionState state = GPOINTER_TO_UINT (data);

  GST_DEBUG ("viewer %s: connection state %d", self->name, state);
  if (is_finished (self))
    return;

  switch (state) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
      if (self->state != RW_TEST_VIEWER_CONNECTED) {
        self->state = RW_TEST_VIEWER_CONNECTED;
        self->connected_time = g_get_monotonic_time ();
        g_clear_handle_id (&self->connect_timeout, g_source_remove);
        GST_INFO ("viewer %s: connected", self->name);
      }
      break;
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
      fail (self, "the peer connection failed");
      break;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
      fail (self, "the peer connection closed");
      break;
    default:
      break;
  }
}

static void
on_connection_state (GstElement * webrtc, GParamSpec * pspec,
    gpointer user_data)
{
  RwTestViewer *self = user_data;
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  hop_to_main (self, connection_state_main, GUINT_TO_POINTER (state), NULL);
}

static gboolean
on_connect_timeout (gpointer user_data)
{
  RwTestViewer *self = user_data;

  self->connect_timeout = 0;
  if (!is_finished (self) && self->state != RW_TEST_VIEWER_CONNECTED)
    fail (self, "not connected %d ms after the answer",
        RW_TEST_VIEWER_CONNECT_TIMEOUT_MS);
  return G_SOURCE_REMOVE;
}

/* --- trickle --- */

static void
on_candidate_response (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  g_autoptr (RwTestViewer) self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION
      (source), result);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &error);
  if (body == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        !is_finished (self))
      fail (self, "POST /ice-candidate: %s", error->message);
    return;
  }
  if (soup_message_get_status (msg) != SOUP_STATUS_OK && !is_finished (self)) {
    g_autofree gchar *why = describe_http_failure (msg, body);

    fail (self, "POST /ice-candidate: %s", why);
  }
}

static gchar *
mid_for_mline (RwTestViewer * self, guint mline)
{
  GstWebRTCSessionDescription *desc = NULL;
  const GstSDPMedia *media;
  gchar *mid = NULL;

  g_object_get (self->webrtc, "local-description", &desc, NULL);
  if (desc == NULL)
    return NULL;
  if (mline < gst_sdp_message_medias_len (desc->sdp)) {
    media = gst_sdp_message_get_media (desc->sdp, mline);
    mid = g_strdup (gst_sdp_media_get_attribute_val (media, "mid"));
  }
  gst_webrtc_session_description_free (desc);
  return mid;
}

/* --- WHEP trickle: PATCH with an SDP fragment (RFC 8840) --- */

static void
on_patch_response (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_autoptr (RwTestViewer) self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION
      (source), result);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &error);
  if (body == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        !is_finished (self))
      fail (self, "PATCH %s: %s", self->location, error->message);
    return;
  }
  if (soup_message_get_status (msg) != SOUP_STATUS_NO_CONTENT &&
      !is_finished (self)) {
    g_autofree gchar *why = describe_http_failure (msg, body);

    fail (self, "PATCH %s: %s", self->location, why);
  }
}

/* The m-section of the local description's m-line @mline, with its ICE
 * credentials, as a fragment starts it. */
static void
append_fragment_section (RwTestViewer * self, GString * fragment, guint mline)
{
  GstWebRTCSessionDescription *desc = NULL;
  const GstSDPMedia *media;
  const gchar *value;

  g_object_get (self->webrtc, "local-description", &desc, NULL);
  if (desc == NULL || mline >= gst_sdp_message_medias_len (desc->sdp)) {
    g_clear_pointer (&desc, gst_webrtc_session_description_free);
    return;
  }
  media = gst_sdp_message_get_media (desc->sdp, mline);
  g_string_append_printf (fragment, "m=%s %u %s",
      gst_sdp_media_get_media (media), gst_sdp_media_get_port (media),
      gst_sdp_media_get_proto (media));
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++)
    g_string_append_printf (fragment, " %s",
        gst_sdp_media_get_format (media, i));
  g_string_append (fragment, "\r\n");
  if ((value = gst_sdp_media_get_attribute_val (media, "mid")))
    g_string_append_printf (fragment, "a=mid:%s\r\n", value);
  value = gst_sdp_media_get_attribute_val (media, "ice-ufrag");
  if (value == NULL)
    value = gst_sdp_message_get_attribute_val (desc->sdp, "ice-ufrag");
  if (value)
    g_string_append_printf (fragment, "a=ice-ufrag:%s\r\n", value);
  value = gst_sdp_media_get_attribute_val (media, "ice-pwd");
  if (value == NULL)
    value = gst_sdp_message_get_attribute_val (desc->sdp, "ice-pwd");
  if (value)
    g_string_append_printf (fragment, "a=ice-pwd:%s\r\n", value);
  gst_webrtc_session_description_free (desc);
}

/* One PATCH with @candidates (Candidate; NULL ones mean end of
 * candidates), grouped by m-line in their order. */
static void
patch_candidates (RwTestViewer * self, GPtrArray * candidates)
{
  g_autoptr (GString) fragment = g_string_new (NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("PATCH", self->location);
  g_autoptr (GBytes) bytes = NULL;
  gint section = -1;

  if (msg == NULL || candidates->len == 0)
    return;
  for (guint i = 0; i < candidates->len; i++) {
    Candidate *c = g_ptr_array_index (candidates, i);

    if ((gint) c->mline != section) {
      section = c->mline;
      append_fragment_section (self, fragment, c->mline);
    }
    if (c->candidate && c->candidate[0])
      g_string_append_printf (fragment, "a=%s\r\n", c->candidate);
    else
      g_string_append (fragment, "a=end-of-candidates\r\n");
  }

  GST_DEBUG ("viewer %s: PATCH %u candidates", self->name, candidates->len);
  bytes = g_bytes_new (fragment->str, fragment->len);
  soup_message_set_request_body_from_bytes (msg,
      "application/trickle-ice-sdpfrag", bytes);
  if (self->etag)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "If-Match", self->etag);
  if (self->authorization)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", self->authorization);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
      self->cancellable, on_patch_response, g_object_ref (self));
}

/* @candidate NULL means end of candidates. */
static void
post_candidate (RwTestViewer * self, guint mline, const gchar * candidate)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *mid = NULL;
  g_autoptr (SoupMessage) msg = NULL;

  if (self->whep) {
    g_autoptr (GPtrArray) one = g_ptr_array_new_with_free_func (candidate_free);
    Candidate *c = g_new0 (Candidate, 1);

    c->mline = mline;
    c->candidate = g_strdup (candidate);
    g_ptr_array_add (one, c);
    patch_candidates (self, one);
    return;
  }

  mid = mid_for_mline (self, mline);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "peer_id");
  json_builder_add_string_value (builder, self->peer_id);
  json_builder_set_member_name (builder, "candidate");
  json_builder_add_string_value (builder, candidate ? candidate : "");
  json_builder_set_member_name (builder, "sdpMid");
  if (mid)
    json_builder_add_string_value (builder, mid);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "sdpMLineIndex");
  json_builder_add_int_value (builder, mline);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  GST_DEBUG ("viewer %s: trickling %s", self->name, candidate ? candidate :
      "end-of-candidates");
  msg = send_json (self, "POST", "/ice-candidate", json_to_string (root,
          FALSE), on_candidate_response, self->cancellable);
}

static void
flush_candidates (RwTestViewer * self)
{
  /* WHEP: what was gathered before the 201 in one PATCH (RFC 9725
   * §4.3.2) */
  if (self->whep) {
    if (self->gathering_done && !self->end_of_candidates_sent) {
      self->end_of_candidates_sent = TRUE;
      g_ptr_array_add (self->pending_candidates, g_new0 (Candidate, 1));
    }
    patch_candidates (self, self->pending_candidates);
    g_ptr_array_set_size (self->pending_candidates, 0);
    return;
  }
  for (guint i = 0; i < self->pending_candidates->len; i++) {
    Candidate *c = g_ptr_array_index (self->pending_candidates, i);

    post_candidate (self, c->mline, c->candidate);
  }
  g_ptr_array_set_size (self->pending_candidates, 0);
  if (self->gathering_done && !self->end_of_candidates_sent) {
    self->end_of_candidates_sent = TRUE;
    post_candidate (self, 0, NULL);
  }
}

static void
ice_candidate_main (RwTestViewer * self, gpointer data)
{
  Candidate *c = data;

  if (!self->trickle || is_finished (self))
    return;
  if (self->peer_id) {
    post_candidate (self, c->mline, c->candidate);
  } else {
    Candidate *copy = g_new0 (Candidate, 1);

    copy->mline = c->mline;
    copy->candidate = g_strdup (c->candidate);
    g_ptr_array_add (self->pending_candidates, copy);
  }
}

static void
on_ice_candidate (GstElement * webrtc, guint mline, gchar * candidate,
    gpointer user_data)
{
  RwTestViewer *self = user_data;
  Candidate *c;

  if (!self->trickle)
    return;
  c = g_new0 (Candidate, 1);
  c->mline = mline;
  c->candidate = g_strdup (candidate);
  hop_to_main (self, ice_candidate_main, c, candidate_free);
}

/* --- answer --- */

static void
remote_set_main (RwTestViewer * self, gpointer data)
{
  GstPromise *promise = data;
  const GstStructure *reply;
  g_autofree gchar *error = NULL;

  if (is_finished (self))
    return;
  if (!promise_reply (promise, "set-remote-description", &reply, &error))
    fail (self, "%s", error);
}

static void
on_remote_set (GstPromise * promise, gpointer user_data)
{
  hop_to_main (user_data, remote_set_main, gst_promise_ref (promise),
      (GDestroyNotify) gst_promise_unref);
}

static void hangup_now (RwTestViewer * self);

/* Whether the answer sends us audio: its audio m-line is neither rejected
 * (port 0) nor inactive nor recvonly. */
static gboolean
answer_sends_audio (const GstSDPMessage * answer)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (answer); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (answer, i);

    if (g_strcmp0 (gst_sdp_media_get_media (media), "audio") != 0)
      continue;
    return gst_sdp_media_get_port (media) != 0 &&
        gst_sdp_media_get_attribute_val (media, "inactive") == NULL &&
        gst_sdp_media_get_attribute_val (media, "recvonly") == NULL;
  }
  return FALSE;
}

/* Whether the answer's video takes generic NACK (`a=rtcp-fb:PT nack`,
 * not `nack pli`): the server resends what we report lost. */
static gboolean
answer_takes_nack (const GstSDPMessage * answer)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (answer); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (answer, i);

    if (g_strcmp0 (gst_sdp_media_get_media (media), "video") != 0)
      continue;
    for (guint j = 0;; j++) {
      const gchar *fb = gst_sdp_media_get_attribute_val_n (media, "rtcp-fb",
          j);
      const gchar *type;

      if (fb == NULL)
        break;
      type = strchr (fb, ' ');
      if (type && g_str_equal (type + 1, "nack"))
        return TRUE;
    }
    return FALSE;
  }
  return FALSE;
}

/* The video is offered with NACK and RTX, as browsers offer it; its
 * jitter buffer asks for lost packets (and waits for them) only when the
 * answer takes NACK. */
static void
set_nack_from_answer (RwTestViewer * self, const GstSDPMessage * answer)
{
  g_autoptr (GstWebRTCRTPTransceiver) video = NULL;
  gboolean nack = answer_takes_nack (answer);

  if (!self->offer_video || !self->nack)
    return;
  g_signal_emit_by_name (self->webrtc, "get-transceiver", 0, &video);
  if (video)
    g_object_set (video, "do-nack", nack, NULL);
  GST_INFO ("viewer %s: the answer %s NACK", self->name, nack ? "takes" :
      "does not take");
}

static void set_answer (RwTestViewer * self, const gchar * what,
    const gchar * text);

static void
on_offer_response (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_autoptr (RwTestViewer) self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION
      (source), result);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *object;
  JsonNode *root;
  const gchar *type, *text, *peer_id;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &error);
  if (body == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        !is_finished (self))
      fail (self, "POST /offer: %s", error->message);
    return;
  }
  self->offer_status = soup_message_get_status (msg);
  self->answer_time = g_get_monotonic_time ();
  /* Vanished or freed meanwhile (a hangup asked meanwhile is done below). */
  if (self->pipeline == NULL)
    return;
  if (self->offer_status != SOUP_STATUS_OK) {
    g_autofree gchar *why = describe_http_failure (msg, body);

    fail (self, "POST /offer: %s", why);
    return;
  }

  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), &error)) {
    fail (self, "POST /offer: the answer is not JSON: %s", error->message);
    return;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    fail (self, "POST /offer: the answer is not a JSON object");
    return;
  }
  object = json_node_get_object (root);
  type = json_object_get_string_member_with_default (object, "type", NULL);
  text = json_object_get_string_member_with_default (object, "sdp", NULL);
  peer_id = json_object_get_string_member_with_default (object, "peer_id",
      NULL);
  if (g_strcmp0 (type, "answer") != 0 || text == NULL || peer_id == NULL ||
      *peer_id == '\0') {
    fail (self, "POST /offer: the answer lacks type \"answer\", sdp or "
        "peer_id: %.*s", (gint) MIN (g_bytes_get_size (body), 512),
        (const gchar *) g_bytes_get_data (body, NULL));
    return;
  }
  self->peer_id = g_strdup (peer_id);
  set_answer (self, "POST /offer", text);
}

/* Takes the server's answer to the offer, once the session is known. */
static void
set_answer (RwTestViewer * self, const gchar * what, const gchar * text)
{
  g_autoptr (GstWebRTCSessionDescription) answer = NULL;
  GstSDPMessage *sdp = NULL;
  GstPromise *promise;

  GST_INFO ("viewer %s: answered as peer %s in %" G_GINT64_FORMAT " ms",
      self->name, self->peer_id, (self->answer_time - self->post_time) / 1000);
  if (self->hangup_requested) {
    hangup_now (self);
    return;
  }

  if (gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK) {
    fail (self, "%s: the answer's SDP does not parse", what);
    return;
  }
  self->answer_has_audio = answer_sends_audio (sdp);
  set_nack_from_answer (self, sdp);
  if (self->offer_audio)
    GST_INFO ("viewer %s: the answer %s audio", self->name,
        self->answer_has_audio ? "sends" : "declines");
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  promise = gst_promise_new_with_change_func (on_remote_set,
      g_object_ref (self), g_object_unref);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", answer,
      promise);
  gst_promise_unref (promise);

  self->state = RW_TEST_VIEWER_CONNECTING;
  self->connect_timeout = g_timeout_add (RW_TEST_VIEWER_CONNECT_TIMEOUT_MS,
      on_connect_timeout, self);
  if (self->trickle)
    flush_candidates (self);
}

/* WHEP: 201 with the answer, Location and ETag. */
static void
on_whep_response (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_autoptr (RwTestViewer) self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION
      (source), result);
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const gchar *location = soup_message_headers_get_one (headers, "Location");
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  const gchar *type;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &error);
  if (body == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        !is_finished (self))
      fail (self, "POST /whep: %s", error->message);
    return;
  }
  self->offer_status = soup_message_get_status (msg);
  self->answer_time = g_get_monotonic_time ();
  if (self->pipeline == NULL)
    return;
  if (self->offer_status != SOUP_STATUS_CREATED) {
    g_autofree gchar *why = describe_http_failure (msg, body);

    fail (self, "POST /whep: %s", why);
    return;
  }
  type = soup_message_headers_get_content_type (headers, NULL);
  if (location == NULL || g_strcmp0 (type, "application/sdp") != 0) {
    fail (self, "POST /whep: 201 without Location, or not application/sdp");
    return;
  }
  self->location = g_uri_resolve_relative (self->base_url, location,
      G_URI_FLAGS_NONE, &error);
  if (self->location == NULL) {
    fail (self, "POST /whep: Location %s: %s", location, error->message);
    return;
  }
  self->etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));
  self->peer_id = g_strdup (strrchr (self->location, '/') + 1);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  set_answer (self, "POST /whep", text);
}

static void
post_whep (RwTestViewer * self)
{
  g_autofree gchar *path = self->stream ? g_strconcat ("/whep/",
      self->stream, NULL) : g_strdup ("/whep");
  g_autofree gchar *url = make_url (self, path);
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, url);
  g_autoptr (GBytes) bytes = NULL;

  if (msg == NULL) {
    fail (self, "bad base URL '%s'", self->base_url);
    return;
  }
  bytes = g_bytes_new (self->offer_sdp, strlen (self->offer_sdp));
  soup_message_set_request_body_from_bytes (msg, "application/sdp", bytes);
  if (self->authorization)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", self->authorization);
  self->state = RW_TEST_VIEWER_POSTING;
  self->post_time = g_get_monotonic_time ();
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
      self->cancellable, on_whep_response, g_object_ref (self));
}

static void
post_offer (RwTestViewer * self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  GstWebRTCSessionDescription *desc = NULL;

  g_clear_handle_id (&self->gather_timeout, g_source_remove);
  if (self->state != RW_TEST_VIEWER_OFFERING)
    return;

  g_object_get (self->webrtc, "local-description", &desc, NULL);
  if (desc == NULL) {
    fail (self, "webrtcbin has no local description");
    return;
  }
  g_free (self->offer_sdp);
  self->offer_sdp = gst_sdp_message_as_text (desc->sdp);
  gst_webrtc_session_description_free (desc);
  if (self->whep) {
    post_whep (self);
    return;
  }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, self->offer_sdp);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "offer");
  if (self->stream) {
    json_builder_set_member_name (builder, "stream");
    json_builder_add_string_value (builder, self->stream);
  }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  self->state = RW_TEST_VIEWER_POSTING;
  self->post_time = g_get_monotonic_time ();
  msg = send_json (self, "POST", "/offer", json_to_string (root, FALSE),
      on_offer_response, self->cancellable);
  if (msg == NULL)
    fail (self, "bad base URL '%s'", self->base_url);
}

static gboolean
on_gather_timeout (gpointer user_data)
{
  RwTestViewer *self = user_data;

  self->gather_timeout = 0;
  GST_INFO ("viewer %s: ICE gathering not complete after %d ms; posting what "
      "there is", self->name, RW_TEST_VIEWER_GATHER_TIMEOUT_MS);
  post_offer (self);
  return G_SOURCE_REMOVE;
}

static void
gathering_main (RwTestViewer * self, gpointer data)
{
  if (GPOINTER_TO_UINT (data) != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE ||
      self->gathering_done || is_finished (self))
    return;

  self->gathering_done = TRUE;
  GST_DEBUG ("viewer %s: ICE gathering complete", self->name);
  if (self->trickle) {
    if (self->peer_id)
      flush_candidates (self);
  } else if (self->local_set) {
    post_offer (self);
  }
}

static void
on_gathering_state (GstElement * webrtc, GParamSpec * pspec, gpointer user_data)
{
  RwTestViewer *self = user_data;
  GstWebRTCICEGatheringState state;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  hop_to_main (self, gathering_main, GUINT_TO_POINTER (state), NULL);
}

/* --- offer --- */

static void
local_set_main (RwTestViewer * self, gpointer data)
{
  GstPromise *promise = data;
  const GstStructure *reply;
  g_autofree gchar *error = NULL;

  if (is_finished (self))
    return;
  if (!promise_reply (promise, "set-local-description", &reply, &error)) {
    fail (self, "%s", error);
    return;
  }

  self->local_set = TRUE;
  if (self->trickle || self->gathering_done)
    post_offer (self);
  else
    self->gather_timeout = g_timeout_add (RW_TEST_VIEWER_GATHER_TIMEOUT_MS,
        on_gather_timeout, self);
}

static void
on_local_set (GstPromise * promise, gpointer user_data)
{
  hop_to_main (user_data, local_set_main, gst_promise_ref (promise),
      (GDestroyNotify) gst_promise_unref);
}

static void
offer_created_main (RwTestViewer * self, gpointer data)
{
  GstPromise *promise = data;
  g_autoptr (GstWebRTCSessionDescription) offer = NULL;
  g_autofree gchar *error = NULL;
  const GstStructure *reply;
  GstPromise *local;

  if (is_finished (self))
    return;
  if (!promise_reply (promise, "create-offer", &reply, &error)) {
    fail (self, "%s", error);
    return;
  }
  if (reply == NULL) {
    fail (self, "create-offer: no reply");
    return;
  }
  gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
      &offer, NULL);
  if (offer == NULL) {
    fail (self, "create-offer: no offer in the reply");
    return;
  }

  local = gst_promise_new_with_change_func (on_local_set, g_object_ref (self),
      g_object_unref);
  g_signal_emit_by_name (self->webrtc, "set-local-description", offer, local);
  gst_promise_unref (local);
}

static void
on_offer_created (GstPromise * promise, gpointer user_data)
{
  hop_to_main (user_data, offer_created_main, gst_promise_ref (promise),
      (GDestroyNotify) gst_promise_unref);
}

/* --- bus --- */

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  RwTestViewer *self = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:{
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_error (msg, &error, &debug);
      if (!is_finished (self))
        fail (self, "pipeline error from %s: %s (%s)",
            GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), error->message,
            debug ? debug : "");
      break;
    }
    case GST_MESSAGE_WARNING:{
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_warning (msg, &error, &debug);
      GST_WARNING ("viewer %s: warning from %s: %s (%s)", self->name,
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), error->message,
          debug ? debug : "");
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* --- teardown and hangup --- */

/* Main context only: stops everything; callbacks still queued find the
 * viewer finished and do nothing. */
static void
teardown (RwTestViewer * self)
{
  GstElement *pipeline;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->gather_timeout, g_source_remove);
  g_clear_handle_id (&self->connect_timeout, g_source_remove);
  if (self->pipeline == NULL)
    return;

  pipeline = g_steal_pointer (&self->pipeline);
  g_signal_handlers_disconnect_by_data (self->webrtc, self);
  self->webrtc = NULL;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  gst_object_unref (pipeline);
  GST_DEBUG ("viewer %s: torn down", self->name);
}

static void
on_hangup_response (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_autoptr (RwTestViewer) self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION
      (source), result);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &error);
  self->hangup_in_flight = FALSE;
  self->hangup_done = TRUE;
  if (body == NULL) {
    if (self->error == NULL)
      self->error = g_strdup_printf ("DELETE /peers/%s: %s", self->peer_id,
          error->message);
  } else {
    self->hangup_status = soup_message_get_status (msg);
    if (self->hangup_status != SOUP_STATUS_OK && self->error == NULL) {
      g_autofree gchar *why = describe_http_failure (msg, body);

      self->error = g_strdup_printf ("DELETE /peers/%s: %s", self->peer_id,
          why);
    }
  }
  GST_INFO ("viewer %s: hung up (HTTP %u)", self->name, self->hangup_status);
  teardown (self);
}

static void
hangup_now (RwTestViewer * self)
{
  g_autofree gchar *path = NULL;
  g_autoptr (SoupMessage) msg = NULL;

  self->hangup_requested = FALSE;
  self->state = RW_TEST_VIEWER_CLOSED;
  if (self->peer_id == NULL) {
    self->hangup_done = TRUE;
    teardown (self);
    return;
  }

  path = g_strdup_printf ("/peers/%s", self->peer_id);
  self->hangup_in_flight = TRUE;
  /* Not self->cancellable: teardown must not cancel our own hangup. */
  if (self->whep && self->location) {
    msg = soup_message_new (SOUP_METHOD_DELETE, self->location);
    if (msg && self->authorization)
      soup_message_headers_replace (soup_message_get_request_headers (msg),
          "Authorization", self->authorization);
    if (msg)
      soup_session_send_and_read_async (self->session, msg,
          G_PRIORITY_DEFAULT, NULL, on_hangup_response, g_object_ref (self));
  } else {
    msg = send_json (self, "DELETE", path, NULL, on_hangup_response, NULL);
  }
  if (msg == NULL) {
    self->hangup_in_flight = FALSE;
    self->hangup_done = TRUE;
    teardown (self);
  }
}

/* --- object --- */

static void
rw_test_viewer_dispose (GObject * object)
{
  RwTestViewer *self = RW_TEST_VIEWER (object);

  teardown (self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (rw_test_viewer_parent_class)->dispose (object);
}

static void
rw_test_viewer_finalize (GObject * object)
{
  RwTestViewer *self = RW_TEST_VIEWER (object);

  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->pending_candidates);
  g_main_context_unref (self->context);
  g_free (self->base_url);
  g_free (self->ice_address);
  g_free (self->name);
  g_free (self->stream);
  g_free (self->authorization);
  g_free (self->peer_id);
  g_free (self->location);
  g_free (self->etag);
  g_free (self->error);
  g_free (self->offer_sdp);
  g_free (self->stun_server);
  g_ptr_array_unref (self->turn_servers);
  g_free (self->pair_local);
  g_free (self->pair_remote);
  g_free (self->pair_local_address);
  g_free (self->pair_remote_address);
  g_mutex_clear (&self->lock);
  g_array_unref (self->arrivals);

  G_OBJECT_CLASS (rw_test_viewer_parent_class)->finalize (object);
}

static void
rw_test_viewer_class_init (RwTestViewerClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_test_viewer_dispose;
  object_class->finalize = rw_test_viewer_finalize;

  GST_DEBUG_CATEGORY_INIT (rw_test_viewer_debug, "rw-test-viewer", 0,
      "robot-webrtc test viewer");
}

static void
rw_test_viewer_init (RwTestViewer * self)
{
  g_mutex_init (&self->lock);
  self->arrivals = g_array_new (FALSE, FALSE, sizeof (Arrival));
  self->cancellable = g_cancellable_new ();
  self->pending_candidates = g_ptr_array_new_with_free_func (candidate_free);
  self->ice_address = g_strdup ("127.0.0.1");
  self->turn_servers = g_ptr_array_new_with_free_func (g_free);
  self->check_retransmissions = -1;
  self->offer_video = TRUE;
  self->audio_level = -1.0;
  self->context = g_main_context_ref_thread_default ();
}

/**
 * rw_test_viewer_new:
 * @base_url: the server, e.g. `http://127.0.0.1:8080`
 * @codec: the codec to offer
 * @decode: %TRUE to decode the video (and audio), %FALSE to only depayload
 *   it
 *
 * Creates a viewer bound to the thread-default main context, which must run
 * for anything to happen. gst_init() must have been called.
 *
 * Returns: (transfer full): a viewer; start it with rw_test_viewer_start()
 * and release it with rw_test_viewer_free().
 */
RwTestViewer *
rw_test_viewer_new (const gchar * base_url, RwTestViewerCodec codec,
    gboolean decode)
{
  RwTestViewer *self;

  g_return_val_if_fail (base_url != NULL, NULL);

  self = g_object_new (RW_TYPE_TEST_VIEWER, NULL);
  self->base_url = g_strdup (base_url);
  self->codec = codec;
  self->decode = decode;
  self->name = g_strdup_printf ("viewer-%p", self);
  self->session = soup_session_new_with_options ("timeout",
      RW_TEST_VIEWER_HTTP_TIMEOUT_S, "proxy-resolver", NULL, NULL);
  return self;
}

/**
 * rw_test_viewer_set_ice_address:
 * @self: a viewer that was not started
 * @address: the only local address ICE may use (default 127.0.0.1)
 */
void
rw_test_viewer_set_ice_address (RwTestViewer * self, const gchar * address)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (address != NULL);
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  g_free (self->ice_address);
  self->ice_address = g_strdup (address);
}

/**
 * rw_test_viewer_set_trickle:
 * @self: a viewer that was not started
 * @trickle: %TRUE to post the offer right after set-local-description
 *   (no candidates in it, as the seed's frontend does) and trickle the
 *   candidates through `POST /ice-candidate` once the `peer_id` is known
 */
void
rw_test_viewer_set_trickle (RwTestViewer * self, gboolean trickle)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  self->trickle = trickle;
}

/**
 * rw_test_viewer_set_name:
 * @self: a viewer that was not started
 * @name: the name used in logs and as the pipeline's name
 */
void
rw_test_viewer_set_name (RwTestViewer * self, const gchar * name)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  g_free (self->name);
  self->name = g_strdup (name);
}

/**
 * rw_test_viewer_set_token:
 * @self: a viewer that was not started
 * @token: (nullable): a viewer token, sent as `Authorization: Bearer` with
 *   every request (offer, candidates, hang-up)
 */
void
rw_test_viewer_set_token (RwTestViewer * self, const gchar * token)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  g_free (self->authorization);
  self->authorization = token ? g_strconcat ("Bearer ", token, NULL) : NULL;
}

/**
 * rw_test_viewer_set_tls_database:
 * @self: a viewer that was not started
 * @database: the certificate authorities an `https://` server is checked
 *   against (a test CA)
 */
void
rw_test_viewer_set_tls_database (RwTestViewer * self, GTlsDatabase * database)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  soup_session_set_tls_database (self->session, database);
}

/**
 * rw_test_viewer_set_stream:
 * @self: a viewer that was not started
 * @name: (nullable): the stream to watch, sent as the `"stream"` member of
 *   `POST /offer`; %NULL (the default) sends none, as the seed's frontend
 */
void
rw_test_viewer_set_stream (RwTestViewer * self, const gchar * name)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  g_free (self->stream);
  self->stream = g_strdup (name);
}

/**
 * rw_test_viewer_set_whep:
 * @self: a viewer that was not started
 * @whep: %TRUE to speak WHEP: `POST /whep/NAME` (the stream of
 *   rw_test_viewer_set_stream(), else `POST /whep`) with the offer as
 *   `application/sdp`, trickle PATCHes to the `201`'s `Location` (with
 *   rw_test_viewer_set_trickle()) and the hang-up as `DELETE` of it
 */
void
rw_test_viewer_set_whep (RwTestViewer * self, gboolean whep)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  self->whep = whep;
}

/**
 * rw_test_viewer_set_nack:
 * @self: a viewer that was not started
 * @nack: %TRUE to offer the video with NACK and RTX, as browsers do, and
 *   have the jitter buffer ask for lost packets when the answer takes NACK
 *
 * Off by default: across the daemon's switch from a lost camera to its
 * slate, webrtcbin's receiving jitter buffer in this mode stalls for
 * seconds where browsers do not (the faults tests' viewer).
 */
void
rw_test_viewer_set_nack (RwTestViewer * self, gboolean nack)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  self->nack = nack;
}

/**
 * rw_test_viewer_set_keyframe_after_loss:
 * @self: a viewer that was not started
 * @keyframe_after_loss: %TRUE to decode nothing after a packet lost for
 *   good (past retransmissions) until a keyframe, and ask for one (PLI)
 *
 * What a browser does. Off by default, as GStreamer's: the frames after a
 * loss are decoded against the picture before it (at its size, after a
 * lost keyframe of another size). In this mode the jitter buffer's latency
 * is 200 ms instead of 20: a missing packet (a retransmission to come, a
 * packet late on a loaded machine) is waited for that long rather than
 * given up, as a browser waits. The first packet is held that long too,
 * so the time to first frame grows by it; later frames come when whole.
 */
void
rw_test_viewer_set_keyframe_after_loss (RwTestViewer * self,
    gboolean keyframe_after_loss)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  self->keyframe_after_loss = keyframe_after_loss;
}

/**
 * rw_test_viewer_set_remb:
 * @self: a viewer that was not started
 * @remb: %TRUE to offer the video with `goog-remb`, as browsers do (the
 *   viewer sends no REMB itself: a caller that wants to adds it to the
 *   RTCP of rw_test_viewer_get_webrtcbin()'s sessions)
 */
void
rw_test_viewer_set_remb (RwTestViewer * self, gboolean remb)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  self->remb = remb;
}

/**
 * rw_test_viewer_get_webrtcbin:
 * @self: a viewer
 *
 * For callers that look inside: its inner `rtpbin`, or the branches
 * added to its pipeline (the webrtcbin's parent) when media arrives.
 * Use it on the viewer's main context only.
 *
 * Returns: (transfer none) (nullable): the viewer's webrtcbin, %NULL
 *   before rw_test_viewer_start() and after the viewer ended
 */
GstElement *
rw_test_viewer_get_webrtcbin (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), NULL);

  return self->webrtc;
}

/**
 * rw_test_viewer_set_ice_tcp:
 * @self: a viewer that was not started
 * @ice_tcp: %TRUE to gather TCP candidates too (ICE-TCP), as browsers do
 *
 * Off by default: a robot without ICE-TCP ignores them.
 */
void
rw_test_viewer_set_ice_tcp (RwTestViewer * self, gboolean ice_tcp)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  self->ice_tcp = ice_tcp;
}

/**
 * rw_test_viewer_get_location:
 * @self: a WHEP viewer
 *
 * Returns: (transfer none) (nullable): the absolute URL of its WHEP
 * session, once answered
 */
const gchar *
rw_test_viewer_get_location (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), NULL);
  return self->location;
}

/**
 * rw_test_viewer_get_etag:
 * @self: a WHEP viewer
 *
 * Returns: (transfer none) (nullable): the `ETag` of its WHEP session
 */
const gchar *
rw_test_viewer_get_etag (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), NULL);
  return self->etag;
}

/**
 * rw_test_viewer_set_media:
 * @self: a viewer that was not started
 * @video: offer a recvonly video transceiver (the default)
 * @audio: offer a recvonly Opus audio transceiver, after the video one
 *
 * Chooses what the offer asks for; at least one of @video and @audio.
 */
void
rw_test_viewer_set_media (RwTestViewer * self, gboolean video, gboolean audio)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (video || audio);
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  self->offer_video = video;
  self->offer_audio = audio;
}

/**
 * rw_test_viewer_set_ice_servers:
 * @self: a viewer that was not started
 * @stun_server: (nullable): `stun://host:port`, or %NULL for none (the
 *   default)
 * @turn_servers: (nullable) (array zero-terminated=1): TURN URIs,
 *   `turn(s)://user:pass@host:port[?transport=tcp]` (user and password
 *   percent-escaped), or %NULL for none (the default)
 *
 * The servers the viewer's ICE agent gathers server-reflexive and relayed
 * candidates from, on its one local address.
 */
void
rw_test_viewer_set_ice_servers (RwTestViewer * self,
    const gchar * stun_server, const gchar * const *turn_servers)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  g_free (self->stun_server);
  self->stun_server = g_strdup (stun_server);
  g_ptr_array_set_size (self->turn_servers, 0);
  for (guint i = 0; turn_servers && turn_servers[i]; i++)
    g_ptr_array_add (self->turn_servers, g_strdup (turn_servers[i]));
}

/**
 * rw_test_viewer_set_check_timeouts:
 * @self: a viewer that was not started
 * @initial_ms: the first retransmission timeout of a STUN request
 *   (connectivity checks included), 0 for libnice's (200 ms)
 * @retransmissions: how many times it is sent again before the check
 *   fails, -1 for libnice's (7)
 *
 * libnice's regular nomination (webrtcbin's, the viewer is controlling)
 * nominates a working pair only once every pair of higher priority has
 * failed: on a network that drops some of them (UDP blocked) that waits for
 * their retransmissions, about 2.5 s with libnice's defaults. Browsers
 * nominate sooner; lower timeouts keep the viewer's wait out of the time to
 * first frame.
 */
void
rw_test_viewer_set_check_timeouts (RwTestViewer * self, guint initial_ms,
    gint retransmissions)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));
  g_return_if_fail (self->state == RW_TEST_VIEWER_NEW);

  self->check_timeout_ms = initial_ms;
  self->check_retransmissions = retransmissions;
}

static gboolean
set_ice_servers (RwTestViewer * self, GError ** error)
{
  if (self->stun_server)
    g_object_set (self->webrtc, "stun-server", self->stun_server, NULL);
  for (guint i = 0; i < self->turn_servers->len; i++) {
    const gchar *uri = g_ptr_array_index (self->turn_servers, i);
    gboolean added = FALSE;

    g_signal_emit_by_name (self->webrtc, "add-turn-server", uri, &added);
    if (!added) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "webrtcbin refused the TURN server '%s'", uri);
      return FALSE;
    }
  }
  return TRUE;
}

/* --- the selected candidate pair --- */

/* "relay/udp", or "relay/udp/tcp" for a relayed candidate whose
 * TURN server is reached over TCP: type/protocol[/relay protocol]. */
static gchar *
describe_candidate (const GstStructure * s, gchar ** address)
{
  const gchar *type = gst_structure_get_string (s, "candidate-type");
  const gchar *proto = gst_structure_get_string (s, "protocol");
  const gchar *relay = gst_structure_get_string (s, "relay-protocol");
  const gchar *addr = gst_structure_get_string (s, "address");
  guint port = 0;

  gst_structure_get_uint (s, "port", &port);
  *address = g_strdup_printf ("%s:%u", addr ? addr : "?", port);
  /* webrtcbin 1.22 says "none" for a relayed candidate reached over TCP */
  if (relay && *relay && g_strcmp0 (relay, "none") != 0)
    return g_strdup_printf ("%s/%s/%s", type ? type : "?",
        proto ? proto : "?", relay);
  return g_strdup_printf ("%s/%s", type ? type : "?", proto ? proto : "?");
}

typedef struct
{
  const gchar *id;
  const GstStructure *found;
} FindStats;

static gboolean
find_stats_by_id (GQuark field, const GValue * value, gpointer user_data)
{
  FindStats *find = user_data;

  if (G_VALUE_HOLDS (value, GST_TYPE_STRUCTURE)) {
    const GstStructure *s = gst_value_get_structure (value);
    const gchar *id = gst_structure_get_string (s, "id");

    if (id && g_strcmp0 (id, find->id) == 0) {
      find->found = s;
      return FALSE;
    }
    if (g_strcmp0 (g_quark_to_string (field), find->id) == 0) {
      find->found = s;
      return FALSE;
    }
  }
  return TRUE;
}

static const GstStructure *
stats_by_id (const GstStructure * stats, const gchar * id)
{
  FindStats find = { id, NULL };

  if (id == NULL)
    return NULL;
  gst_structure_foreach (stats, find_stats_by_id, &find);
  return find.found;
}

typedef struct
{
  const GstStructure *stats;
  RwTestViewer *self;
} PairSearch;

static gboolean
find_pair (GQuark field, const GValue * value, gpointer user_data)
{
  PairSearch *search = user_data;
  const GstStructure *s, *local, *remote;
  GstWebRTCStatsType type;

  if (!G_VALUE_HOLDS (value, GST_TYPE_STRUCTURE))
    return TRUE;
  s = gst_value_get_structure (value);
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL)
      || type != GST_WEBRTC_STATS_CANDIDATE_PAIR)
    return TRUE;
  local = stats_by_id (search->stats,
      gst_structure_get_string (s, "local-candidate-id"));
  remote = stats_by_id (search->stats,
      gst_structure_get_string (s, "remote-candidate-id"));
  if (local == NULL || remote == NULL)
    return TRUE;

  g_free (search->self->pair_local);
  g_free (search->self->pair_local_address);
  g_free (search->self->pair_remote);
  g_free (search->self->pair_remote_address);
  search->self->pair_local = describe_candidate (local,
      &search->self->pair_local_address);
  search->self->pair_remote = describe_candidate (remote,
      &search->self->pair_remote_address);
  return FALSE;
}

static void
stats_main (RwTestViewer * self, gpointer data)
{
  GstPromise *promise = data;
  const GstStructure *reply;
  g_autofree gchar *error = NULL;

  self->pair_pending = FALSE;
  if (!promise_reply (promise, "get-stats", &reply, &error) || reply == NULL) {
    GST_WARNING ("viewer %s: %s", self->name, error ? error : "no stats");
    return;
  }
  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_LOG) {
    g_autofree gchar *text = gst_structure_to_string (reply);

    GST_LOG ("viewer %s: stats %s", self->name, text);
  }
  {
    PairSearch search = { reply, self };

    gst_structure_foreach (reply, find_pair, &search);
  }
}

static void
on_stats (GstPromise * promise, gpointer user_data)
{
  hop_to_main (user_data, stats_main, gst_promise_ref (promise),
      (GDestroyNotify) gst_promise_unref);
}

/**
 * rw_test_viewer_query_selected_pair:
 * @self: a viewer
 *
 * Asks webrtcbin for its stats (`get-stats`) and keeps the candidate pair
 * ICE selected: rw_test_viewer_get_selected_pair() has it once
 * rw_test_viewer_is_pair_pending() is %FALSE. Does nothing once the viewer
 * is finished.
 */
void
rw_test_viewer_query_selected_pair (RwTestViewer * self)
{
  GstPromise *promise;

  g_return_if_fail (RW_IS_TEST_VIEWER (self));

  if (is_finished (self) || self->webrtc == NULL || self->pair_pending)
    return;
  self->pair_pending = TRUE;
  promise = gst_promise_new_with_change_func (on_stats, g_object_ref (self),
      g_object_unref);
  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
  gst_promise_unref (promise);
}

/**
 * rw_test_viewer_is_pair_pending:
 * @self: a viewer
 *
 * Returns: %TRUE while a rw_test_viewer_query_selected_pair() is unanswered
 */
gboolean
rw_test_viewer_is_pair_pending (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), FALSE);
  return self->pair_pending;
}

/**
 * rw_test_viewer_get_selected_pair:
 * @self: a viewer
 * @local: (out) (optional) (transfer none) (nullable): the local candidate,
 *   `TYPE/PROTOCOL` (`host/udp`, `srflx/udp`, `relay/udp`), with
 *   `/RELAY-PROTOCOL` after it for a relayed one whose TURN server is
 *   reached over TCP or TLS (`relay/udp/tcp`) when webrtcbin says so
 * @remote: (out) (optional) (transfer none) (nullable): the remote one
 * @local_address: (out) (optional) (transfer none) (nullable): `ADDR:PORT`
 * @remote_address: (out) (optional) (transfer none) (nullable): `ADDR:PORT`
 *
 * Returns: %TRUE if the last query found a selected pair
 */
gboolean
rw_test_viewer_get_selected_pair (RwTestViewer * self, const gchar ** local,
    const gchar ** remote, const gchar ** local_address,
    const gchar ** remote_address)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), FALSE);

  if (local)
    *local = self->pair_local;
  if (remote)
    *remote = self->pair_remote;
  if (local_address)
    *local_address = self->pair_local_address;
  if (remote_address)
    *remote_address = self->pair_remote_address;
  return self->pair_local != NULL;
}

static gboolean
restrict_ice (RwTestViewer * self, GError ** error)
{
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;
  gboolean added = FALSE;

  g_object_get (self->webrtc, "ice-agent", &ice, NULL);
  if (ice == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "webrtcbin has no ice-agent");
    return FALSE;
  }
  g_signal_emit_by_name (ice, "add-local-ip-address", self->ice_address,
      &added);
  if (!added) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "the ICE agent refused the local address '%s'", self->ice_address);
    return FALSE;
  }
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "ice-tcp"))
    g_object_set (ice, "ice-tcp", self->ice_tcp, NULL);
  else if (self->ice_tcp) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "this webrtcbin's ICE agent has no ice-tcp property");
    return FALSE;
  }

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  if (agent == NULL ||
      !g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "cannot turn UPnP off: the ICE agent has no NiceAgent");
    return FALSE;
  }
  g_object_set (agent, "upnp", FALSE, NULL);
  /* over TCP a check is sent once and waited for (stun-reliable-timeout,
   * libnice's 7.9 s); the same shortening, as the unanswered UDP check is
   * given its initial timeout and retransmissions */
  if (self->check_timeout_ms > 0)
    g_object_set (agent, "stun-initial-timeout", self->check_timeout_ms,
        "stun-reliable-timeout", self->check_timeout_ms *
        (1u << (MAX (self->check_retransmissions, 0) + 1)), NULL);
  if (self->check_retransmissions >= 0)
    g_object_set (agent, "stun-max-retransmissions",
        (guint) self->check_retransmissions, NULL);
  return TRUE;
}

/* As Chromium offers Opus. */
#define OPUS_CAPS "application/x-rtp,media=audio,encoding-name=OPUS," \
  "clock-rate=48000,encoding-params=(string)2,payload=111," \
  "minptime=(string)10,useinbandfec=(string)1"

static GstCaps *
transceiver_caps (RwTestViewerCodec codec, gboolean remb)
{
  GstCaps *caps;

  if (codec == RW_TEST_VIEWER_H264)
    caps = gst_caps_from_string ("application/x-rtp,media=video,"
        "encoding-name=H264,payload=102,clock-rate=90000,"
        "packetization-mode=(string)1,profile-level-id=(string)42e01f,"
        "level-asymmetry-allowed=(string)1");
  else
    caps = gst_caps_from_string ("application/x-rtp,media=video,"
        "encoding-name=VP8,payload=96,clock-rate=90000");
  /* webrtcbin turns it into a=rtcp-fb:PT goog-remb */
  if (remb)
    gst_caps_set_simple (caps, "rtcp-fb-goog-remb", G_TYPE_BOOLEAN, TRUE, NULL);
  return caps;
}

/* Browsers send RTCP about once a second; GStreamer's default minimum is
 * 5 s, randomized up to 7.5 s, which a server that drops silent viewers
 * after 5 s takes for a closed tab. Behave like a browser. */
static void
on_new_ssrc (GstElement * rtpbin, guint session, guint ssrc, gpointer user_data)
{
  GObject *internal = NULL;

  g_signal_emit_by_name (rtpbin, "get-internal-session", session, &internal);
  if (internal) {
    g_object_set (internal, "rtcp-min-interval", (guint64) GST_SECOND, NULL);
    g_object_unref (internal);
  }
}

static void
send_rtcp_like_a_browser (RwTestViewer * self)
{
  g_autoptr (GstElement) rtpbin =
      gst_bin_get_by_name (GST_BIN (self->webrtc), "rtpbin");

  if (rtpbin)
    g_signal_connect (rtpbin, "on-new-ssrc", G_CALLBACK (on_new_ssrc), NULL);
}

/**
 * rw_test_viewer_start:
 * @self: a new viewer
 * @error: why the viewer could not start
 *
 * Builds the viewer's pipeline and starts negotiating: offer, bounded ICE
 * gathering (%RW_TEST_VIEWER_GATHER_TIMEOUT_MS), `POST /offer`, answer.
 * Later failures are reported through rw_test_viewer_get_error() and the
 * %RW_TEST_VIEWER_FAILED state.
 *
 * Returns: %TRUE if negotiation started.
 */
gboolean
rw_test_viewer_start (RwTestViewer * self, GError ** error)
{
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;
  g_autoptr (GstBus) bus = NULL;
  GstPromise *promise;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), FALSE);
  g_return_val_if_fail (self->state == RW_TEST_VIEWER_NEW, FALSE);

  self->pipeline = gst_pipeline_new (self->name);
  self->webrtc = gst_element_factory_make ("webrtcbin", "webrtc");
  if (self->webrtc == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no webrtcbin element (gst-plugins-bad)");
    g_clear_pointer (&self->pipeline, gst_object_unref);
    self->state = RW_TEST_VIEWER_FAILED;
    return FALSE;
  }
  gst_bin_add (GST_BIN (self->pipeline), self->webrtc);
  /* A browser's jitter buffer starts near 0; rtpjitterbuffer holds the
   * first packet for its whole latency (200 ms by default), which would
   * count in every time to first frame. A browser's grows with the jitter
   * and the retransmissions it waits for: waiting for a keyframe after
   * each packet given up, 20 ms would wait for many (a retransmission
   * behind a shaped link's queue, a packet late on a loaded machine). */
  g_object_set (self->webrtc, "bundle-policy",
      GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
      self->keyframe_after_loss ? 200 : 20, NULL);

  if (!restrict_ice (self, error) || !set_ice_servers (self, error))
    goto failed;
  send_rtcp_like_a_browser (self);

  /* m-lines in transceiver order: video first, as a browser page that
   * adds audio after video */
  if (self->offer_video) {
    caps = transceiver_caps (self->codec, self->remb);
    g_signal_emit_by_name (self->webrtc, "add-transceiver",
        GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &transceiver);
    if (transceiver == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "webrtcbin refused the recvonly video transceiver");
      goto failed;
    }
    /* an rtx payload type in the offer, as browsers offer it */
    if (self->nack)
      g_object_set (transceiver, "do-nack", TRUE, NULL);
  }
  if (self->offer_audio) {
    g_autoptr (GstCaps) audio_caps = gst_caps_from_string (OPUS_CAPS);
    g_autoptr (GstWebRTCRTPTransceiver) audio = NULL;

    g_signal_emit_by_name (self->webrtc, "add-transceiver",
        GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, audio_caps, &audio);
    if (audio == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "webrtcbin refused the recvonly audio transceiver");
      goto failed;
    }
  }

  g_signal_connect (self->webrtc, "pad-added", G_CALLBACK (on_pad_added), self);
  g_signal_connect (self->webrtc, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (self->webrtc, "notify::ice-gathering-state",
      G_CALLBACK (on_gathering_state), self);
  g_signal_connect (self->webrtc, "notify::connection-state",
      G_CALLBACK (on_connection_state), self);

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);

  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "the viewer pipeline does not start");
    goto failed;
  }

  self->state = RW_TEST_VIEWER_OFFERING;
  promise = gst_promise_new_with_change_func (on_offer_created,
      g_object_ref (self), g_object_unref);
  g_signal_emit_by_name (self->webrtc, "create-offer", NULL, promise);
  gst_promise_unref (promise);
  return TRUE;

failed:
  self->state = RW_TEST_VIEWER_FAILED;
  if (self->error == NULL && error && *error)
    self->error = g_strdup ((*error)->message);
  teardown (self);
  return FALSE;
}

/**
 * rw_test_viewer_hangup:
 * @self: a viewer
 *
 * Hangs up like a well-behaved page: `DELETE /peers/{peer_id}` (after the
 * answer, if `POST /offer` is still on its way), then stops the pipeline.
 * The state becomes %RW_TEST_VIEWER_CLOSED at once;
 * rw_test_viewer_is_hangup_done() says when the DELETE has been answered.
 */
void
rw_test_viewer_hangup (RwTestViewer * self)
{
  gboolean failed;

  g_return_if_fail (RW_IS_TEST_VIEWER (self));

  if (self->hangup_in_flight || self->hangup_done || self->hangup_requested)
    return;
  /* Vanished: the server is not to be told. */
  if (self->state == RW_TEST_VIEWER_CLOSED)
    return;
  if (self->state == RW_TEST_VIEWER_POSTING) {
    self->hangup_requested = TRUE;
    self->state = RW_TEST_VIEWER_CLOSED;
    return;
  }
  failed = self->state == RW_TEST_VIEWER_FAILED;
  hangup_now (self);
  /* A failed viewer still hangs up its session, but stays failed. */
  if (failed)
    self->state = RW_TEST_VIEWER_FAILED;
}

/**
 * rw_test_viewer_vanish:
 * @self: a viewer
 *
 * Stops the pipeline without telling the server, like a closed tab.
 */
void
rw_test_viewer_vanish (RwTestViewer * self)
{
  g_return_if_fail (RW_IS_TEST_VIEWER (self));

  if (self->state != RW_TEST_VIEWER_FAILED)
    self->state = RW_TEST_VIEWER_CLOSED;
  self->hangup_requested = FALSE;
  teardown (self);
}

/**
 * rw_test_viewer_free:
 * @self: (transfer full) (nullable): a viewer
 *
 * Stops the viewer (without telling the server) and drops the caller's
 * reference. Callbacks already queued on the main context keep the object
 * alive until they ran.
 */
void
rw_test_viewer_free (RwTestViewer * self)
{
  if (self == NULL)
    return;
  teardown (self);
  g_object_unref (self);
}

/**
 * rw_test_viewer_get_state:
 * @self: a viewer
 *
 * Returns: the viewer's state
 */
RwTestViewerState
rw_test_viewer_get_state (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), RW_TEST_VIEWER_FAILED);
  return self->state;
}

/**
 * rw_test_viewer_state_to_string:
 * @state: a state
 *
 * Returns: (transfer none): the state's name
 */
const gchar *
rw_test_viewer_state_to_string (RwTestViewerState state)
{
  switch (state) {
    case RW_TEST_VIEWER_NEW:
      return "new";
    case RW_TEST_VIEWER_OFFERING:
      return "offering";
    case RW_TEST_VIEWER_POSTING:
      return "posting";
    case RW_TEST_VIEWER_CONNECTING:
      return "connecting";
    case RW_TEST_VIEWER_CONNECTED:
      return "connected";
    case RW_TEST_VIEWER_CLOSED:
      return "closed";
    case RW_TEST_VIEWER_FAILED:
      return "failed";
  }
  return "unknown";
}

/**
 * rw_test_viewer_is_connected:
 * @self: a viewer
 *
 * Returns: %TRUE while the peer connection is connected
 */
gboolean
rw_test_viewer_is_connected (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), FALSE);
  return self->state == RW_TEST_VIEWER_CONNECTED;
}

/**
 * rw_test_viewer_is_done:
 * @self: a viewer
 *
 * Returns: %TRUE once the viewer failed or was closed and has nothing left
 * in flight (its hangup, if any, was answered).
 */
gboolean
rw_test_viewer_is_done (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), TRUE);
  return (self->state == RW_TEST_VIEWER_FAILED ||
      self->state == RW_TEST_VIEWER_CLOSED) && !self->hangup_in_flight &&
      !self->hangup_requested;
}

/**
 * rw_test_viewer_get_name:
 * @self: a viewer
 *
 * Returns: (transfer none): the viewer's name
 */
const gchar *
rw_test_viewer_get_name (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), NULL);
  return self->name;
}

/**
 * rw_test_viewer_get_peer_id:
 * @self: a viewer
 *
 * Returns: (transfer none) (nullable): the server's `peer_id`, once answered
 */
const gchar *
rw_test_viewer_get_peer_id (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), NULL);
  return self->peer_id;
}

/**
 * rw_test_viewer_get_error:
 * @self: a viewer
 *
 * Returns: (transfer none) (nullable): the first failure (with the HTTP
 * status and body for HTTP failures), or %NULL
 */
const gchar *
rw_test_viewer_get_error (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), NULL);
  return self->error;
}

/**
 * rw_test_viewer_get_offer_status:
 * @self: a viewer
 *
 * Returns: the HTTP status of `POST /offer`, 0 until it was answered
 */
guint
rw_test_viewer_get_offer_status (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  return self->offer_status;
}

/**
 * rw_test_viewer_get_hangup_status:
 * @self: a viewer
 *
 * Returns: the HTTP status of `DELETE /peers/{peer_id}`, 0 until answered
 */
guint
rw_test_viewer_get_hangup_status (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  return self->hangup_status;
}

/**
 * rw_test_viewer_is_hangup_done:
 * @self: a viewer
 *
 * Returns: %TRUE once rw_test_viewer_hangup() has finished (answered, failed,
 * or there was no session to hang up)
 */
gboolean
rw_test_viewer_is_hangup_done (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), FALSE);
  return self->hangup_done;
}

/**
 * rw_test_viewer_dup_offer_sdp:
 * @self: a viewer
 *
 * Returns: (transfer full) (nullable): the SDP text that was posted
 */
gchar *
rw_test_viewer_dup_offer_sdp (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), NULL);
  return g_strdup (self->offer_sdp);
}

/**
 * rw_test_viewer_get_frames:
 * @self: a viewer
 *
 * Returns: frames decoded (decode mode) or depayloaded (count mode) so far
 */
guint64
rw_test_viewer_get_frames (RwTestViewer * self)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  return self->frames;
}

/**
 * rw_test_viewer_get_bytes:
 * @self: a viewer
 *
 * Returns: bytes of decoded (decode mode) or encoded (count mode) video so far
 */
guint64
rw_test_viewer_get_bytes (RwTestViewer * self)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  return self->bytes;
}

/**
 * rw_test_viewer_get_width:
 * @self: a viewer
 *
 * Returns: the width of the received video, 0 until known (count mode only
 * knows it if the depayloader's caps carry it)
 */
gint
rw_test_viewer_get_width (RwTestViewer * self)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  return self->width;
}

/**
 * rw_test_viewer_get_height:
 * @self: a viewer
 *
 * Returns: the height of the received video, 0 until known
 */
gint
rw_test_viewer_get_height (RwTestViewer * self)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  return self->height;
}

/**
 * rw_test_viewer_get_post_time:
 * @self: a viewer
 *
 * Returns: g_get_monotonic_time() when `POST /offer` was sent, 0 before
 */
gint64
rw_test_viewer_get_post_time (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  return self->post_time;
}

/**
 * rw_test_viewer_get_answer_time:
 * @self: a viewer
 *
 * Returns: g_get_monotonic_time() when `POST /offer` was answered, 0 before
 */
gint64
rw_test_viewer_get_answer_time (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  return self->answer_time;
}

/**
 * rw_test_viewer_get_connected_time:
 * @self: a viewer
 *
 * Returns: g_get_monotonic_time() when the connection became connected, 0
 * before
 */
gint64
rw_test_viewer_get_connected_time (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  return self->connected_time;
}

/**
 * rw_test_viewer_get_first_frame_time:
 * @self: a viewer
 *
 * Returns: g_get_monotonic_time() of the first frame, 0 before
 */
gint64
rw_test_viewer_get_first_frame_time (RwTestViewer * self)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  return self->first_frame_time;
}

/**
 * rw_test_viewer_take_max_gap_us:
 * @self: a viewer
 *
 * The longest time between two frames (a freeze shows up here), since the
 * previous call; the time since the last frame counts too.
 *
 * Returns: the longest gap in microseconds, 0 before two frames arrived
 */
gint64
rw_test_viewer_take_max_gap_us (RwTestViewer * self)
{
  g_autoptr (GMutexLocker) locker = NULL;
  gint64 gap, now = g_get_monotonic_time ();

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  gap = self->max_gap;
  if (self->last_frame_time && now - self->last_frame_time > gap)
    gap = now - self->last_frame_time;
  self->max_gap = 0;
  return gap;
}

/**
 * rw_test_viewer_get_freezes:
 * @self: a viewer
 * @frozen_us: (out) (optional): their total length in microseconds
 *
 * Returns: how many times two frames were %RW_TEST_VIEWER_FREEZE_US or more
 * apart (freezes), since the first frame
 */
guint
rw_test_viewer_get_freezes (RwTestViewer * self, gint64 * frozen_us)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  if (frozen_us)
    *frozen_us = self->frozen;
  return self->freezes;
}

/**
 * rw_test_viewer_get_ttff_us:
 * @self: a viewer
 *
 * Returns: time to first frame, from `POST /offer` to the first decoded (or
 * depayloaded) frame, in microseconds; -1 while unknown
 */
gint64
rw_test_viewer_get_ttff_us (RwTestViewer * self)
{
  gint64 first = rw_test_viewer_get_first_frame_time (self);

  if (first == 0 || self->post_time == 0)
    return -1;
  return first - self->post_time;
}

/**
 * rw_test_viewer_set_rtp_clock:
 * @self: a viewer
 * @clock_rate: the sender's RTP clock rate
 * @timestamp: an RTP timestamp the sender sent
 * @capture_monotonic_ns: when the frame with @timestamp was captured, on
 *   CLOCK_MONOTONIC (the server's `/status` peers[].rtp)
 *
 * Lets the viewer turn arrival times into capture-to-arrival latencies
 * (sender and viewer on one machine).
 */
void
rw_test_viewer_set_rtp_clock (RwTestViewer * self, guint clock_rate,
    guint32 timestamp, gint64 capture_monotonic_ns)
{
  g_mutex_lock (&self->lock);
  self->clock_rate = clock_rate;
  self->clock_timestamp = timestamp;
  self->clock_capture_ns = capture_monotonic_ns;
  self->arrivals->len = 0;
  g_mutex_unlock (&self->lock);
}

/**
 * rw_test_viewer_take_latencies:
 * @self: a viewer with its RTP clock set
 * @latencies: (element-type gdouble): where to append the capture-to-arrival
 *   latency (ms) of each frame received since the last call
 *
 * Returns: how many latencies were appended
 */
guint
rw_test_viewer_take_latencies (RwTestViewer * self, GArray * latencies)
{
  guint n = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; self->clock_rate && i < self->arrivals->len; i++) {
    const Arrival *a = &g_array_index (self->arrivals, Arrival, i);
    gint32 ticks = (gint32) (a->timestamp - self->clock_timestamp);
    gdouble capture_us = self->clock_capture_ns / 1000.0 +
        ticks * 1e6 / self->clock_rate;
    gdouble ms = (a->arrival_us - capture_us) / 1000.0;

    g_array_append_val (latencies, ms);
    n++;
  }
  self->arrivals->len = 0;
  g_mutex_unlock (&self->lock);
  return n;
}

/**
 * rw_test_viewer_get_rtp_bytes:
 * @self: a viewer
 *
 * Returns: video RTP bytes received (after SRTP), headers included; audio
 * is not counted here
 */
guint64
rw_test_viewer_get_rtp_bytes (RwTestViewer * self)
{
  guint64 bytes;

  g_mutex_lock (&self->lock);
  bytes = self->rtp_bytes;
  g_mutex_unlock (&self->lock);
  return bytes;
}

/**
 * rw_test_viewer_answer_has_audio:
 * @self: a viewer
 *
 * Returns: %TRUE if the server's answer sends audio (its audio m-line is
 * sendonly or sendrecv; not rejected with port 0, inactive or recvonly);
 * %FALSE before the answer and when no audio was offered
 */
gboolean
rw_test_viewer_answer_has_audio (RwTestViewer * self)
{
  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), FALSE);
  return self->answer_has_audio;
}

/**
 * rw_test_viewer_get_audio_buffers:
 * @self: a viewer
 *
 * Returns: audio buffers received so far: decoded buffers (decode mode) or
 * Opus packets (count mode)
 */
guint64
rw_test_viewer_get_audio_buffers (RwTestViewer * self)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  return self->audio_buffers;
}

/**
 * rw_test_viewer_get_audio_samples:
 * @self: a viewer
 *
 * Returns: audio samples per channel received so far (48000 a second for
 * Opus): decoded (decode mode) or read from the Opus packets (count mode)
 */
guint64
rw_test_viewer_get_audio_samples (RwTestViewer * self)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  return self->audio_samples;
}

/**
 * rw_test_viewer_get_audio_rate:
 * @self: a viewer
 *
 * Returns: the sample rate of the received audio, 0 until known
 */
gint
rw_test_viewer_get_audio_rate (RwTestViewer * self)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  return self->audio_rate;
}

/**
 * rw_test_viewer_get_audio_level:
 * @self: a viewer
 *
 * The RMS level of the decoded sound (all channels, full scale 1.0) over
 * the last complete second of samples; before the first complete second,
 * over the samples so far. A full-scale sine is about 0.707, silence 0.
 *
 * Returns: the RMS level in 0..1; 0 before any audio; -1 in count mode
 * (the audio is not decoded)
 */
gdouble
rw_test_viewer_get_audio_level (RwTestViewer * self)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  if (!self->decode)
    return -1.0;
  locker = g_mutex_locker_new (&self->lock);
  if (self->audio_level >= 0)
    return self->audio_level;
  if (self->audio_window_values > 0)
    return sqrt (self->audio_sum_squares / self->audio_window_values);
  return 0.0;
}

/**
 * rw_test_viewer_get_first_audio_time:
 * @self: a viewer
 *
 * Returns: g_get_monotonic_time() of the first audio buffer (decoded, or
 * depayloaded in count mode), 0 before
 */
gint64
rw_test_viewer_get_first_audio_time (RwTestViewer * self)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (RW_IS_TEST_VIEWER (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  return self->first_audio_time;
}

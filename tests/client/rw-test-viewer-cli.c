/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* rw-test-viewer: N WebRTC viewers of a robot-webrtc-server in one process.
 *
 *   rw-test-viewer --url http://127.0.0.1:8080 --viewers 8 --duration 10
 *
 * Each viewer does what the lab frontend does (recvonly offer, POST /offer,
 * answer) and counts frames: decoded ones by default, depayloaded ones with
 * --count-only (cheap, for load tests). At the end it prints one JSON line
 * per viewer:
 *
 *   {"viewer":0,"peer_id":"…","state":"closed","frames":300,"fps":30.0,
 *    "width":640,"height":480,"ttff_ms":285.2,"answer_ms":9.1,
 *    "max_gap_ms":41.0,"bytes":…,"error":null}
 *
 * fps counts the frames from the end of the warm-up (--warmup seconds after
 * the first frame; from the first frame if the run was shorter) to the end of
 * the viewer's run (its hangup/vanish or --duration); max_gap_ms is the
 * longest time between two frames (a freeze), "freezes" and "frozen_ms"
 * count the gaps of 300 ms or more and their total, ttff_ms the time from
 * POST /offer to the first frame. Viewers still connected
 * at the end hang up politely (DELETE /peers/{id}).
 *
 * --stun-server URI and --turn-server URI (repeatable) give the viewers'
 * ICE agents a STUN server and TURN servers (a viewer behind NAT). Each line
 * also says which candidate pair ICE selected (webrtcbin's get-stats, read
 * a second after the connection and again at the end):
 *
 *   "pair":{"local":"relay/udp","remote":"relay/udp",
 *           "local_address":"100.64.0.254:49160",
 *           "remote_address":"100.64.0.254:49170"}
 *
 * (type/protocol, and /relay-protocol for a relayed candidate when
 * webrtcbin knows it; null if no pair was selected).
 *
 * --nack offers the video with NACK and RTX, as browsers do (the jitter
 * buffer then asks for lost packets when the answer takes NACK).
 * --keyframe-after-loss (decoding): after a packet lost for good, nothing
 * is decoded until a keyframe, which the viewer asks for (PLI), as browsers
 * do, and its jitter buffer waits up to 200 ms for a missing packet
 * instead of 20 (the first frame comes that much later; delay_ms grows only
 * while a packet is waited for); by default the frames after a loss decode
 * against the old picture.
 * --ice-tcp gathers TCP candidates too (ICE-TCP), as browsers do.
 * --check-timeout MS and --check-retransmissions N shorten libnice's ICE
 * check timeouts: with its regular nomination the viewer nominates a working
 * pair only once the better ones failed, which on a network that drops
 * some (UDP blocked) takes about 2.5 s with libnice's defaults.
 *
 * --stream NAME asks for a named stream ("stream" in POST /offer; the line
 * then has "stream":"NAME", else null). --audio offers Opus audio after the
 * video, --no-video offers no video; with audio the line also has
 *
 *   "audio":{"answered":true,"buffers":250,"samples":240000,"rate":48000,
 *            "level":0.566,"first_audio_ms":301.4}
 *
 * answered: the server's answer sends audio (not inactive or rejected);
 * samples per channel; level: the RMS (0..1) of the last second of decoded
 * sound (null with --count-only, which does not decode); first_audio_ms:
 * from POST /offer to the first audio buffer.
 *
 * --progress prints, once a second, one more line per viewer (before the
 * final ones):
 *
 *   {"progress":true,"viewer":0,"t":3.0,"frames":90,"fps":30.0,
 *    "width":640,"height":480,"kbps":1010.2,"delay_ms":34.1,
 *    "delay_max_ms":52.0,"gap_ms":41.0}
 *
 * t: seconds since the program started; frames: decoded (or, with
 * --count-only, depayloaded) frames so far; fps and kbps (video RTP bytes,
 * headers included) over the last second; width/height of the last decoded
 * frame (0 before the first). delay_ms is the mean capture-to-decode delay
 * of the frames decoded in the last second, delay_max_ms the largest: the
 * server's RTCP sender reports map its RTP timestamps to its NTP wall clock
 * (the frame's capture, as the server's pipeline clock saw it); the
 * viewer's rtpbin (`add-reference-timestamp-meta`) puts that NTP time on
 * each buffer as a `timestamp/x-ntp` GstReferenceTimestampMeta, which
 * survives depayloading and decoding; at the decoder's output it is
 * compared with this host's wall clock (g_get_real_time () + 2208988800 s).
 * It is a true delay only with both processes on one host (or clocks
 * synchronized to well under a millisecond); null until the first sender
 * report arrived. gap_ms: the longest time between two decoded frames
 * (or since the last one) in the last second, null before the first; with
 * --count-only both are measured after the depayloader instead.
 *
 * --rtcp-interval MS sets the viewers' regular RTCP interval (the internal
 * RTPSession's `rtcp-min-interval` of each webrtcbin rtpbin session;
 * default 1000, as browsers: GStreamer's own default is 5 s, randomized
 * up to 7.5 s). RTPSession randomizes it (0.5 to 1.5 times) as RFC 3550
 * says.
 *
 * --bogus-feedback makes the viewers send absurd feedback: every RTCP
 * packet they send carries a PLI (PSFB FMT 1) and a REMB (PSFB FMT 15)
 * that says 1 bit/s and 10 Gbit/s in turn, and every 10 ms the viewer asks
 * its RTPSession for an (early) RTCP packet (`send-rtcp-full`); unless
 * --rtcp-interval is given the regular interval is then 10 ms too. The
 * video is offered with `goog-remb`. Progress lines then add
 * "rtcp_sent","pli_sent","remb_sent" (totals), and at the end stderr says
 * how often it really managed.
 *
 * Exit status: 0 if every viewer got what it offered for and the server
 * answered (frames if it offered video; audio if it offered audio and the
 * answer sends audio, or if it offered only audio), 1 if one did not, 2 for
 * a bad command line. */

#include <gst/gst.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include <gst/rtp/rtp.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

/* NTP's epoch (1900) is this long before the Unix epoch (1970) */
#define NTP_UNIX_OFFSET_US (G_GINT64_CONSTANT (2208988800) * G_USEC_PER_SEC)
/* --bogus-feedback: how often the viewer asks for an RTCP packet */
#define BOGUS_PERIOD_MS 10
#define REMB_LOW 1
#define REMB_HIGH G_GUINT64_CONSTANT (10000000000)

typedef struct
{
  RwTestViewer *viewer;
  guint64 frames;               /* frozen at the end of its run */
  gint64 end_time;
  gint64 max_gap;               /* longest time between frames, µs */
  guint64 warm_frames;          /* frames when the warm-up ended */
  gint64 warm_time;             /* 0 until then */
  gboolean pair_queried;        /* the query a second after connecting */
  guint index;
  guint rtcp_interval_ms;       /* read on streaming threads, set before */
  gboolean bogus;               /* likewise */

  /* --progress: the counters at the last line (main context) */
  guint64 tick_frames;
  guint64 tick_rtp_bytes;
  gint64 tick_time;

  /* Written on streaming threads. */
  GMutex lock;                  /* protects the fields below */
  gdouble delay_sum_ms;         /* since the last progress line */
  gdouble delay_max_ms;
  guint delay_count;
  gint64 last_decoded;          /* monotonic, µs; 0 before the first */
  gint64 gap_max;               /* µs, since the last progress line */
  GObject *session;             /* the internal RTPSession (bogus), a ref */
  guint32 media_ssrc;           /* the server's first SSRC (bogus) */
  gboolean remb_high;           /* the next REMB says 10 Gbit/s */
  guint64 rtcp_sent;            /* RTCP packets that got PLI and REMB */
  guint64 pli_sent;
  guint64 remb_sent;
  guint64 rtcp_asked;           /* send-rtcp-full calls */
  guint64 rtcp_accepted;        /* ... that returned TRUE */
} ViewerRun;

typedef struct
{
  GMainLoop *loop;
  GPtrArray *runs;              /* ViewerRun */
  guint leavers;
  gint64 warmup;                /* µs after the first frame */
  gboolean vanish;
  gboolean video;
  gboolean audio;
  gboolean interrupted;
  gboolean progress;
  gint64 start_time;            /* monotonic, µs */
} Cli;

static void
view_run_free (gpointer data)
{
  ViewerRun *run = data;

  rw_test_viewer_free (run->viewer);
  g_clear_object (&run->session);
  g_mutex_clear (&run->lock);
  g_free (run);
}

static void
finish_run (ViewerRun * run)
{
  if (run->end_time)
    return;
  run->end_time = g_get_monotonic_time ();
  run->frames = rw_test_viewer_get_frames (run->viewer);
  run->max_gap = rw_test_viewer_get_frames (run->viewer) > 1 ?
      rw_test_viewer_take_max_gap_us (run->viewer) : 0;
}

/* Marks where each viewer's warm-up (its first --warmup seconds of video,
 * with the start-up burst) ends: fps is counted from there. */
static gboolean
on_tick (gpointer user_data)
{
  Cli *cli = user_data;
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < cli->runs->len; i++) {
    ViewerRun *run = g_ptr_array_index (cli->runs, i);
    gint64 first = rw_test_viewer_get_first_frame_time (run->viewer);

    gint64 connected = rw_test_viewer_get_connected_time (run->viewer);

    if (run->warm_time == 0 && run->end_time == 0 && first &&
        now - first >= cli->warmup) {
      run->warm_time = now;
      run->warm_frames = rw_test_viewer_get_frames (run->viewer);
    }
    if (!run->pair_queried && connected && now - connected >= G_USEC_PER_SEC
        && rw_test_viewer_is_connected (run->viewer)) {
      run->pair_queried = TRUE;
      rw_test_viewer_query_selected_pair (run->viewer);
    }
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_leave (gpointer user_data)
{
  Cli *cli = user_data;

  for (guint i = 0; i < MIN (cli->leavers, cli->runs->len); i++) {
    ViewerRun *run = g_ptr_array_index (cli->runs, i);

    finish_run (run);
    if (cli->vanish)
      rw_test_viewer_vanish (run->viewer);
    else
      rw_test_viewer_hangup (run->viewer);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
on_end (gpointer user_data)
{
  Cli *cli = user_data;

  g_main_loop_quit (cli->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_interrupt (gpointer user_data)
{
  Cli *cli = user_data;

  cli->interrupted = TRUE;
  g_main_loop_quit (cli->loop);
  return G_SOURCE_CONTINUE;
}

/* --- inside the viewers: delay, RTCP interval, bogus feedback --- */

/* Streaming thread (the decoder's): the frame's capture time, as the
 * server's sender reports map its RTP time to NTP, against this host's
 * wall clock (see --progress above). */
static GstPadProbeReturn
on_decoded (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  static GstCaps *ntp_caps;
  ViewerRun *run = user_data;
  GstReferenceTimestampMeta *meta;
  gint64 now_ns, now_us;
  gdouble delay_ms;

  if (!(GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER))
    return GST_PAD_PROBE_OK;
  now_us = g_get_monotonic_time ();
  g_mutex_lock (&run->lock);
  if (run->last_decoded)
    run->gap_max = MAX (run->gap_max, now_us - run->last_decoded);
  run->last_decoded = now_us;
  g_mutex_unlock (&run->lock);
  if (g_once_init_enter (&ntp_caps))
    g_once_init_leave (&ntp_caps,
        gst_caps_new_empty_simple ("timestamp/x-ntp"));
  meta = gst_buffer_get_reference_timestamp_meta (GST_PAD_PROBE_INFO_BUFFER
      (info), ntp_caps);
  if (meta == NULL)
    return GST_PAD_PROBE_OK;
  now_ns = (g_get_real_time () + NTP_UNIX_OFFSET_US) * 1000;
  delay_ms = (now_ns - (gint64) meta->timestamp) / 1e6;
  /* a mapping this far off is no delay (no sender report yet, or clocks
   * that are not the same) */
  if (delay_ms < -1000.0 || delay_ms > 60000.0)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&run->lock);
  run->delay_sum_ms += delay_ms;
  run->delay_max_ms = MAX (run->delay_max_ms, delay_ms);
  run->delay_count++;
  g_mutex_unlock (&run->lock);
  return GST_PAD_PROBE_OK;
}

/* webrtcbin streaming thread: the viewer's video branch (a bin holding a
 * video depayloader and a fakesink named "sink") was added to its
 * pipeline; it is not linked yet. */
static void
on_element_added (GstBin * pipeline, GstElement * element, gpointer user_data)
{
  ViewerRun *run = user_data;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstPad) pad = NULL;
  gboolean video = FALSE;

  if (!GST_IS_BIN (element))
    return;
  GST_OBJECT_LOCK (element);
  for (GList * l = GST_BIN_CHILDREN (element); l; l = l->next) {
    GstElementFactory *factory = gst_element_get_factory (l->data);

    if (factory && g_str_has_prefix (GST_OBJECT_NAME (factory), "rtp") &&
        g_str_has_suffix (GST_OBJECT_NAME (factory), "depay") &&
        !g_str_has_prefix (GST_OBJECT_NAME (factory), "rtpopus"))
      video = TRUE;
  }
  GST_OBJECT_UNLOCK (element);
  if (!video)
    return;
  sink = gst_bin_get_by_name (GST_BIN (element), "sink");
  pad = sink ? gst_element_get_static_pad (sink, "sink") : NULL;
  if (pad)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_decoded, run, NULL);
}

static guint32
first_packet_ssrc (GstRTCPBuffer * rtcp)
{
  GstRTCPPacket packet;
  guint32 ssrc = 0;

  if (!gst_rtcp_buffer_get_first_packet (rtcp, &packet))
    return 0;
  switch (gst_rtcp_packet_get_type (&packet)) {
    case GST_RTCP_TYPE_RR:
      ssrc = gst_rtcp_packet_rr_get_ssrc (&packet);
      break;
    case GST_RTCP_TYPE_SR:
      gst_rtcp_packet_sr_get_sender_info (&packet, &ssrc, NULL, NULL, NULL,
          NULL);
      break;
    case GST_RTCP_TYPE_RTPFB:
    case GST_RTCP_TYPE_PSFB:
      ssrc = gst_rtcp_packet_fb_get_sender_ssrc (&packet);
      break;
    default:
      break;
  }
  return ssrc;
}

/* A REMB FCI (draft-alvestrand-rmcat-remb): "REMB", 1 SSRC, exponent (6
 * bits) and mantissa (18 bits) of @bitrate, the SSRC. */
static void
write_remb (guint8 * fci, guint64 bitrate, guint32 ssrc)
{
  guint exponent = 0;

  while (bitrate > 0x3ffff) {
    bitrate >>= 1;
    exponent++;
  }
  memcpy (fci, "REMB", 4);
  fci[4] = 1;
  fci[5] = (exponent << 2) | ((bitrate >> 16) & 0x3);
  fci[6] = (bitrate >> 8) & 0xff;
  fci[7] = bitrate & 0xff;
  GST_WRITE_UINT32_BE (fci + 8, ssrc);
}

/* RTPSession's RTCP thread: every packet the viewer sends gets a PLI for
 * the server's video and a REMB of 1 bit/s or 10 Gbit/s. */
static gboolean
on_sending_rtcp (GObject * session, GstBuffer * buffer, gboolean early,
    gpointer user_data)
{
  ViewerRun *run = user_data;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint32 sender, media;
  gboolean high, pli = FALSE, remb = FALSE;

  if (!gst_buffer_is_writable (buffer) ||
      !gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp))
    return FALSE;
  sender = first_packet_ssrc (&rtcp);
  g_mutex_lock (&run->lock);
  media = run->media_ssrc;
  high = run->remb_high;
  g_mutex_unlock (&run->lock);
  if (sender && media &&
      gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_PSFB, &packet)) {
    gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_PSFB_TYPE_PLI);
    gst_rtcp_packet_fb_set_sender_ssrc (&packet, sender);
    gst_rtcp_packet_fb_set_media_ssrc (&packet, media);
    pli = TRUE;
  }
  if (sender && media &&
      gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_PSFB, &packet)) {
    gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_PSFB_TYPE_AFB);
    gst_rtcp_packet_fb_set_sender_ssrc (&packet, sender);
    gst_rtcp_packet_fb_set_media_ssrc (&packet, 0);
    if (gst_rtcp_packet_fb_set_fci_length (&packet, 3)) {
      write_remb (gst_rtcp_packet_fb_get_fci (&packet),
          high ? REMB_HIGH : REMB_LOW, media);
      remb = TRUE;
    } else {
      gst_rtcp_packet_remove (&packet);
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);

  g_mutex_lock (&run->lock);
  if (pli || remb)
    run->rtcp_sent++;
  run->pli_sent += pli;
  run->remb_sent += remb;
  if (remb)
    run->remb_high = !high;
  g_mutex_unlock (&run->lock);
  /* send it, even when rtpsession would not (an early packet) */
  return pli || remb;
}

/* rtpbin's thread: a new source in a session; its internal session is
 * configured (after rw-test-viewer's own handler, which sets 1 s). */
static void
on_new_ssrc (GstElement * rtpbin, guint session_id, guint ssrc,
    gpointer user_data)
{
  ViewerRun *run = user_data;
  g_autoptr (GObject) session = NULL;
  gboolean attach = FALSE;

  g_signal_emit_by_name (rtpbin, "get-internal-session", session_id, &session);
  if (session == NULL)
    return;
  g_object_set (session, "rtcp-min-interval", (guint64) run->rtcp_interval_ms
      * GST_MSECOND, NULL);
  if (!run->bogus)
    return;
  g_mutex_lock (&run->lock);
  if (run->session == NULL) {
    run->session = g_object_ref (session);
    attach = TRUE;
  }
  if (run->media_ssrc == 0 && run->session == session)
    run->media_ssrc = ssrc;
  g_mutex_unlock (&run->lock);
  if (attach)
    g_signal_connect (session, "on-sending-rtcp",
        G_CALLBACK (on_sending_rtcp), run);
}

/* Main context, right after the viewer started (its pipeline exists, no
 * media flows yet). */
static void
look_inside (ViewerRun * run)
{
  GstElement *webrtc = rw_test_viewer_get_webrtcbin (run->viewer);
  g_autoptr (GstElement) rtpbin = NULL;
  g_autoptr (GstObject) pipeline = NULL;

  if (webrtc == NULL)
    return;
  rtpbin = gst_bin_get_by_name (GST_BIN (webrtc), "rtpbin");
  if (rtpbin) {
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (rtpbin),
            "add-reference-timestamp-meta"))
      g_object_set (rtpbin, "add-reference-timestamp-meta", TRUE, NULL);
    g_signal_connect (rtpbin, "on-new-ssrc", G_CALLBACK (on_new_ssrc), run);
  }
  pipeline = gst_object_get_parent (GST_OBJECT (webrtc));
  if (pipeline)
    g_signal_connect (pipeline, "element-added",
        G_CALLBACK (on_element_added), run);
}

/* --bogus-feedback, every BOGUS_PERIOD_MS: ask for an RTCP packet now. */
static gboolean
on_bogus_tick (gpointer user_data)
{
  Cli *cli = user_data;

  for (guint i = 0; i < cli->runs->len; i++) {
    ViewerRun *run = g_ptr_array_index (cli->runs, i);
    g_autoptr (GObject) session = NULL;
    gboolean accepted = FALSE;

    if (run->end_time)
      continue;
    g_mutex_lock (&run->lock);
    if (run->session && run->media_ssrc)
      session = g_object_ref (run->session);
    g_mutex_unlock (&run->lock);
    if (session == NULL)
      continue;
    g_signal_emit_by_name (session, "send-rtcp-full", (guint64) 0, &accepted);
    g_mutex_lock (&run->lock);
    run->rtcp_asked++;
    run->rtcp_accepted += accepted;
    g_mutex_unlock (&run->lock);
  }
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  Cli *cli;
  guint index;
} StartData;

static gboolean
on_start_viewer (gpointer user_data)
{
  StartData *start = user_data;
  ViewerRun *run = g_ptr_array_index (start->cli->runs, start->index);
  g_autoptr (GError) error = NULL;

  if (!rw_test_viewer_start (run->viewer, &error)) {
    g_printerr ("rw-test-viewer: viewer %u: %s\n", start->index,
        error->message);
    return G_SOURCE_REMOVE;
  }
  run->tick_time = g_get_monotonic_time ();
  look_inside (run);
  return G_SOURCE_REMOVE;
}

static gboolean
all_done (gpointer data)
{
  Cli *cli = data;

  for (guint i = 0; i < cli->runs->len; i++) {
    ViewerRun *run = g_ptr_array_index (cli->runs, i);

    if (!rw_test_viewer_is_done (run->viewer))
      return FALSE;
  }
  return TRUE;
}

static gboolean
no_pair_pending (gpointer data)
{
  Cli *cli = data;

  for (guint i = 0; i < cli->runs->len; i++) {
    ViewerRun *run = g_ptr_array_index (cli->runs, i);

    if (rw_test_viewer_is_pair_pending (run->viewer))
      return FALSE;
  }
  return TRUE;
}

static void
append_member (GString * line, const gchar * name)
{
  g_string_append_printf (line, "%s\"%s\":", line->len > 1 ? "," : "", name);
}

static void
append_string (GString * line, const gchar * name, const gchar * value)
{
  append_member (line, name);
  if (value) {
    g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (),
        value);
    g_autofree gchar *text = json_to_string (node, FALSE);

    g_string_append (line, text);
  } else {
    g_string_append (line, "null");
  }
}

static void
append_int (GString * line, const gchar * name, gint64 value)
{
  append_member (line, name);
  g_string_append_printf (line, "%" G_GINT64_FORMAT, value);
}

/* One decimal, locale-independent; negative means unknown (null). */
static void
append_double (GString * line, const gchar * name, gdouble value)
{
  gchar buffer[G_ASCII_DTOSTR_BUF_SIZE];

  append_member (line, name);
  if (value < 0)
    g_string_append (line, "null");
  else
    g_string_append (line, g_ascii_formatd (buffer, sizeof (buffer), "%.1f",
            value));
}

/* Three decimals, locale-independent; negative means unknown (null). */
static void
append_level (GString * line, const gchar * name, gdouble value)
{
  gchar buffer[G_ASCII_DTOSTR_BUF_SIZE];

  append_member (line, name);
  if (value < 0)
    g_string_append (line, "null");
  else
    g_string_append (line, g_ascii_formatd (buffer, sizeof (buffer), "%.3f",
            value));
}

/* --progress, once a second: one line per viewer still running. */
static gboolean
on_progress (gpointer user_data)
{
  Cli *cli = user_data;
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < cli->runs->len; i++) {
    ViewerRun *run = g_ptr_array_index (cli->runs, i);
    guint64 frames = rw_test_viewer_get_frames (run->viewer);
    guint64 bytes = rw_test_viewer_get_rtp_bytes (run->viewer);
    gdouble seconds = (now - run->tick_time) / (gdouble) G_USEC_PER_SEC;
    gdouble delay = -1.0, delay_max = -1.0, gap = -1.0;
    guint64 rtcp, pli, remb;
    g_autoptr (GString) line = g_string_new ("{");

    if (run->end_time)
      continue;
    g_mutex_lock (&run->lock);
    if (run->delay_count) {
      delay = run->delay_sum_ms / run->delay_count;
      delay_max = run->delay_max_ms;
    }
    run->delay_sum_ms = run->delay_max_ms = 0.0;
    run->delay_count = 0;
    /* a frame that is late now counts too */
    if (run->last_decoded)
      gap = MAX (run->gap_max, now - run->last_decoded) / 1000.0;
    run->gap_max = 0;
    rtcp = run->rtcp_sent;
    pli = run->pli_sent;
    remb = run->remb_sent;
    g_mutex_unlock (&run->lock);

    append_member (line, "progress");
    g_string_append (line, "true");
    append_int (line, "viewer", i);
    append_double (line, "t", (now - cli->start_time) /
        (gdouble) G_USEC_PER_SEC);
    append_int (line, "frames", frames);
    append_double (line, "fps", seconds > 0 ? (frames - run->tick_frames) /
        seconds : -1.0);
    append_int (line, "width", rw_test_viewer_get_width (run->viewer));
    append_int (line, "height", rw_test_viewer_get_height (run->viewer));
    append_double (line, "kbps", seconds > 0 ? (bytes - run->tick_rtp_bytes)
        * 8 / 1000.0 / seconds : -1.0);
    append_double (line, "delay_ms", delay);
    append_double (line, "delay_max_ms", delay_max);
    append_double (line, "gap_ms", gap);
    if (run->bogus) {
      append_int (line, "rtcp_sent", rtcp);
      append_int (line, "pli_sent", pli);
      append_int (line, "remb_sent", remb);
    }
    g_string_append_c (line, '}');
    g_print ("%s\n", line->str);

    run->tick_frames = frames;
    run->tick_rtp_bytes = bytes;
    run->tick_time = now;
  }
  fflush (stdout);
  return G_SOURCE_CONTINUE;
}

static void
append_pair (GString * line, RwTestViewer * viewer)
{
  const gchar *local, *remote, *local_address, *remote_address;
  g_autoptr (GString) pair = NULL;

  append_member (line, "pair");
  if (!rw_test_viewer_get_selected_pair (viewer, &local, &remote,
          &local_address, &remote_address)) {
    g_string_append (line, "null");
    return;
  }
  pair = g_string_new ("{");
  append_string (pair, "local", local);
  append_string (pair, "remote", remote);
  append_string (pair, "local_address", local_address);
  append_string (pair, "remote_address", remote_address);
  g_string_append_c (pair, '}');
  g_string_append (line, pair->str);
}

static void
append_audio (GString * line, RwTestViewer * viewer)
{
  g_autoptr (GString) audio = g_string_new ("{");
  gint64 first = rw_test_viewer_get_first_audio_time (viewer);
  gint64 post = rw_test_viewer_get_post_time (viewer);

  append_member (audio, "answered");
  g_string_append (audio, rw_test_viewer_answer_has_audio (viewer) ? "true" :
      "false");
  append_int (audio, "buffers", rw_test_viewer_get_audio_buffers (viewer));
  append_int (audio, "samples", rw_test_viewer_get_audio_samples (viewer));
  append_int (audio, "rate", rw_test_viewer_get_audio_rate (viewer));
  append_level (audio, "level", rw_test_viewer_get_audio_level (viewer));
  append_double (audio, "first_audio_ms", first && post ? (first - post) /
      1000.0 : -1.0);
  g_string_append_c (audio, '}');

  append_member (line, "audio");
  g_string_append (line, audio->str);
}

/* Whether the viewer got what it offered for: see the exit status above. */
static gboolean
run_failed (Cli * cli, ViewerRun * run)
{
  RwTestViewer *viewer = run->viewer;

  if (cli->video && run->frames == 0)
    return TRUE;
  if (cli->audio && rw_test_viewer_get_audio_buffers (viewer) == 0 &&
      (rw_test_viewer_answer_has_audio (viewer) || !cli->video))
    return TRUE;
  return FALSE;
}

static gchar *
run_to_json (Cli * cli, ViewerRun * run, guint index, const gchar * stream)
{
  RwTestViewer *viewer = run->viewer;
  GString *line = g_string_new ("{");
  gint64 first = rw_test_viewer_get_first_frame_time (viewer);
  gint64 ttff = rw_test_viewer_get_ttff_us (viewer);
  gint64 post = rw_test_viewer_get_post_time (viewer);
  gint64 answer = rw_test_viewer_get_answer_time (viewer);
  gint64 frozen = 0;
  gdouble fps = 0.0;

  if (run->warm_time && run->end_time > run->warm_time)
    fps = (run->frames - run->warm_frames) / ((run->end_time -
            run->warm_time) / (gdouble) G_USEC_PER_SEC);
  else if (first && run->end_time > first)
    fps = run->frames / ((run->end_time - first) / (gdouble) G_USEC_PER_SEC);

  append_int (line, "viewer", index);
  append_string (line, "peer_id", rw_test_viewer_get_peer_id (viewer));
  append_string (line, "stream", stream);
  append_string (line, "state",
      rw_test_viewer_state_to_string (rw_test_viewer_get_state (viewer)));
  append_int (line, "frames", run->frames);
  append_double (line, "fps", fps);
  append_int (line, "width", rw_test_viewer_get_width (viewer));
  append_int (line, "height", rw_test_viewer_get_height (viewer));
  append_double (line, "ttff_ms", ttff >= 0 ? ttff / 1000.0 : -1.0);
  append_double (line, "answer_ms", post && answer ? (answer - post) /
      1000.0 : -1.0);
  append_double (line, "max_gap_ms", run->max_gap / 1000.0);
  append_int (line, "freezes", rw_test_viewer_get_freezes (viewer, &frozen));
  append_double (line, "frozen_ms", frozen / 1000.0);
  append_int (line, "bytes", rw_test_viewer_get_bytes (viewer));
  append_pair (line, viewer);
  if (cli->audio)
    append_audio (line, viewer);
  append_string (line, "error", rw_test_viewer_get_error (viewer));
  g_string_append_c (line, '}');
  return g_string_free (line, FALSE);
}

/* --bogus-feedback: how often the viewer really sent it (stderr). */
static void
print_bogus_summary (ViewerRun * run, guint index)
{
  gint64 first = rw_test_viewer_get_first_frame_time (run->viewer);
  gdouble seconds = first && run->end_time > first ?
      (run->end_time - first) / (gdouble) G_USEC_PER_SEC : 0.0;

  g_mutex_lock (&run->lock);
  g_printerr ("rw-test-viewer: viewer %u bogus feedback: %" G_GUINT64_FORMAT
      " RTCP packets with %" G_GUINT64_FORMAT " PLI and %" G_GUINT64_FORMAT
      " REMB in %.1f s of video (%.1f PLI/s; every %d ms asked), "
      "send-rtcp-full asked %" G_GUINT64_FORMAT " times, accepted %"
      G_GUINT64_FORMAT "\n", index, run->rtcp_sent, run->pli_sent,
      run->remb_sent, seconds, seconds > 0 ? run->pli_sent / seconds : 0.0,
      BOGUS_PERIOD_MS, run->rtcp_asked, run->rtcp_accepted);
  g_mutex_unlock (&run->lock);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *url = NULL;
  g_autofree gchar *codec_name = NULL;
  g_autofree gchar *ice_address = NULL;
  g_autofree gchar *token = NULL;
  g_autofree gchar *ca_file = NULL;
  g_autofree gchar *stream = NULL;
  g_autofree gchar *stun_server = NULL;
  g_auto (GStrv) turn_servers = NULL;
  gint check_timeout = 0, check_retransmissions = -1;
  gboolean nack = FALSE, ice_tcp = FALSE, keyframe_after_loss = FALSE;
  g_autoptr (GTlsDatabase) ca = NULL;
  gint viewers = 1, leavers = -1, stagger_ms = 0;
  gdouble duration = 10.0, hangup_after = -1.0, vanish_after = -1.0;
  gdouble warmup = 1.0;
  gboolean count_only = FALSE, trickle = FALSE, audio = FALSE;
  gboolean no_video = FALSE;
  gboolean progress = FALSE, bogus = FALSE;
  gint rtcp_interval_ms = -1;
  guint progress_tick = 0, bogus_tick = 0;
  RwTestViewerCodec codec = RW_TEST_VIEWER_VP8;
  Cli cli = { 0 };
  guint failures = 0, tick;
  GOptionEntry entries[] = {
    {"url", 'u', 0, G_OPTION_ARG_STRING, &url,
        "The server, e.g. http://127.0.0.1:8080 (required)", "URL"},
    {"viewers", 'n', 0, G_OPTION_ARG_INT, &viewers,
        "Number of viewers (default 1)", "N"},
    {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration,
        "Seconds to run (default 10)", "S"},
    {"codec", 0, 0, G_OPTION_ARG_STRING, &codec_name,
        "vp8 (default) or h264", "CODEC"},
    {"count-only", 0, 0, G_OPTION_ARG_NONE, &count_only,
        "Count depayloaded frames, do not decode", NULL},
    {"trickle", 0, 0, G_OPTION_ARG_NONE, &trickle,
        "Post the offer at once and trickle candidates", NULL},
    {"ice-address", 0, 0, G_OPTION_ARG_STRING, &ice_address,
        "Local address for ICE (default 127.0.0.1)", "ADDRESS"},
    {"stagger", 0, 0, G_OPTION_ARG_INT, &stagger_ms,
        "Milliseconds between viewer starts (default 0)", "MS"},
    {"hangup-after", 0, 0, G_OPTION_ARG_DOUBLE, &hangup_after,
        "Hang up (DELETE /peers/{id}) after S seconds", "S"},
    {"vanish-after", 0, 0, G_OPTION_ARG_DOUBLE, &vanish_after,
        "Vanish (close without telling the server) after S seconds", "S"},
    {"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup,
        "Seconds of video (after the first frame) left out of fps "
          "(default 1)", "S"},
    {"token", 0, 0, G_OPTION_ARG_STRING, &token,
          "Viewer token sent as Authorization: Bearer (a secured robot)",
        "JWT"},
    {"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
        "PEM certificate authorities an https:// server is checked against "
          "(default: the system's)", "FILE"},
    {"leavers", 0, 0, G_OPTION_ARG_INT, &leavers,
          "How many viewers (the first ones) hang up or vanish (default all)",
        "K"},
    {"stream", 0, 0, G_OPTION_ARG_STRING, &stream,
        "Ask for this named stream (\"stream\" in POST /offer)", "NAME"},
    {"audio", 0, 0, G_OPTION_ARG_NONE, &audio,
        "Offer Opus audio too (after the video)", NULL},
    {"no-video", 0, 0, G_OPTION_ARG_NONE, &no_video,
        "Offer no video (with --audio: audio only)", NULL},
    {"stun-server", 0, 0, G_OPTION_ARG_STRING, &stun_server,
        "STUN server for ICE, stun://host:port (default: none)", "URI"},
    {"turn-server", 0, 0, G_OPTION_ARG_STRING_ARRAY, &turn_servers,
          "TURN server for ICE, turn(s)://user:pass@host:port[?transport=tcp] "
          "(user and password percent-escaped; repeatable; default: none)",
        "URI"},
    {"nack", 0, 0, G_OPTION_ARG_NONE, &nack,
        "Offer the video with NACK and RTX, as browsers do, and ask for "
          "lost packets when the answer takes NACK", NULL},
    {"keyframe-after-loss", 0, 0, G_OPTION_ARG_NONE, &keyframe_after_loss,
        "Decoding, after a packet lost for good wait for a keyframe and ask "
          "for one, as browsers do", NULL},
    {"ice-tcp", 0, 0, G_OPTION_ARG_NONE, &ice_tcp,
        "Gather TCP candidates too (ICE-TCP), as browsers do", NULL},
    {"check-timeout", 0, 0, G_OPTION_ARG_INT, &check_timeout,
        "First retransmission timeout of ICE checks in ms (default: "
          "libnice's, 200)", "MS"},
    {"check-retransmissions", 0, 0, G_OPTION_ARG_INT, &check_retransmissions,
          "Retransmissions before an ICE check fails (default: libnice's, 7)",
        "N"},
    {"progress", 0, 0, G_OPTION_ARG_NONE, &progress,
        "Print a JSON line per viewer every second (fps, kbps, size, "
          "capture-to-decode delay)", NULL},
    {"rtcp-interval", 0, 0, G_OPTION_ARG_INT, &rtcp_interval_ms,
        "Regular RTCP interval in ms (default 1000, as browsers; 10 with "
          "--bogus-feedback)", "MS"},
    {"bogus-feedback", 0, 0, G_OPTION_ARG_NONE, &bogus,
        "Send absurd feedback: a PLI and a REMB of 1 bit/s or 10 Gbit/s in "
          "every RTCP packet, one asked for every 10 ms", NULL},
    {NULL}
  };

  ctx = g_option_context_new ("- WebRTC test viewers for "
      "robot-webrtc-server");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("rw-test-viewer: %s (see --help)\n", error->message);
    return 2;
  }
  if (url == NULL) {
    g_printerr ("rw-test-viewer: --url is required (see --help)\n");
    return 2;
  }
  if (codec_name == NULL || g_ascii_strcasecmp (codec_name, "vp8") == 0) {
    codec = RW_TEST_VIEWER_VP8;
  } else if (g_ascii_strcasecmp (codec_name, "h264") == 0) {
    codec = RW_TEST_VIEWER_H264;
  } else {
    g_printerr ("rw-test-viewer: unknown codec '%s' (vp8 or h264)\n",
        codec_name);
    return 2;
  }
  if (viewers < 1 || duration <= 0 || stagger_ms < 0 || warmup < 0 ||
      (hangup_after >= 0 && vanish_after >= 0)) {
    g_printerr ("rw-test-viewer: need --viewers >= 1, --duration > 0, "
        "--stagger >= 0 and at most one of --hangup-after/--vanish-after\n");
    return 2;
  }
  if (rtcp_interval_ms == 0 || rtcp_interval_ms > 60000) {
    g_printerr ("rw-test-viewer: --rtcp-interval must be 1 to 60000 ms\n");
    return 2;
  }
  if (rtcp_interval_ms < 0)
    rtcp_interval_ms = bogus ? BOGUS_PERIOD_MS : 1000;
  if (no_video && !audio) {
    g_printerr ("rw-test-viewer: --no-video needs --audio\n");
    return 2;
  }

  if (ca_file) {
    /* GnuTLS loads nothing from a relative name, silently */
    g_autofree gchar *path = g_canonicalize_filename (ca_file, NULL);

    ca = g_tls_file_database_new (path, &error);
    if (ca == NULL) {
      g_printerr ("rw-test-viewer: --ca-file: %s\n", error->message);
      return 2;
    }
  }

  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.runs = g_ptr_array_new_with_free_func (view_run_free);
  cli.leavers = leavers < 0 ? (guint) viewers : (guint) leavers;
  cli.vanish = vanish_after >= 0;
  cli.warmup = (gint64) (warmup * G_USEC_PER_SEC);
  cli.video = !no_video;
  cli.audio = audio;
  cli.progress = progress;
  cli.start_time = g_get_monotonic_time ();
  g_unix_signal_add (SIGINT, on_interrupt, &cli);
  g_unix_signal_add (SIGTERM, on_interrupt, &cli);

  for (gint i = 0; i < viewers; i++) {
    ViewerRun *run = g_new0 (ViewerRun, 1);
    g_autofree gchar *name = g_strdup_printf ("viewer%d", i);
    StartData *start = g_new0 (StartData, 1);

    run->viewer = rw_test_viewer_new (url, codec, !count_only);
    rw_test_viewer_set_name (run->viewer, name);
    rw_test_viewer_set_trickle (run->viewer, trickle);
    rw_test_viewer_set_stream (run->viewer, stream);
    rw_test_viewer_set_media (run->viewer, cli.video, cli.audio);
    rw_test_viewer_set_nack (run->viewer, nack);
    rw_test_viewer_set_keyframe_after_loss (run->viewer, keyframe_after_loss);
    rw_test_viewer_set_remb (run->viewer, bogus);
    g_mutex_init (&run->lock);
    run->index = i;
    run->rtcp_interval_ms = rtcp_interval_ms;
    run->bogus = bogus;
    rw_test_viewer_set_ice_tcp (run->viewer, ice_tcp);
    if (ice_address)
      rw_test_viewer_set_ice_address (run->viewer, ice_address);
    rw_test_viewer_set_ice_servers (run->viewer, stun_server,
        (const gchar * const *) turn_servers);
    rw_test_viewer_set_check_timeouts (run->viewer, MAX (check_timeout, 0),
        check_retransmissions);
    rw_test_viewer_set_token (run->viewer, token);
    if (ca)
      rw_test_viewer_set_tls_database (run->viewer, ca);
    g_ptr_array_add (cli.runs, run);

    start->cli = &cli;
    start->index = i;
    g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) stagger_ms * i,
        on_start_viewer, start, g_free);
  }
  if (hangup_after >= 0 || vanish_after >= 0)
    g_timeout_add ((guint) ((hangup_after >= 0 ? hangup_after :
                vanish_after) * 1000), on_leave, &cli);
  g_timeout_add ((guint) (duration * 1000), on_end, &cli);
  tick = g_timeout_add (50, on_tick, &cli);
  if (progress)
    progress_tick = g_timeout_add (1000, on_progress, &cli);
  if (bogus)
    bogus_tick = g_timeout_add (BOGUS_PERIOD_MS, on_bogus_tick, &cli);

  g_main_loop_run (cli.loop);
  g_source_remove (tick);
  g_clear_handle_id (&progress_tick, g_source_remove);
  g_clear_handle_id (&bogus_tick, g_source_remove);

  for (guint i = 0; i < cli.runs->len; i++)
    finish_run (g_ptr_array_index (cli.runs, i));
  /* The pair ICE ended on, while the viewers are still connected; bounded. */
  for (guint i = 0; i < cli.runs->len; i++) {
    ViewerRun *run = g_ptr_array_index (cli.runs, i);

    rw_test_viewer_query_selected_pair (run->viewer);
  }
  if (!rw_test_pump_until (no_pair_pending, &cli, 2000))
    g_printerr ("rw-test-viewer: some stats were not answered in 2 s\n");
  /* Polite end: hang up the others; bounded. */
  for (guint i = 0; i < cli.runs->len; i++) {
    ViewerRun *run = g_ptr_array_index (cli.runs, i);

    rw_test_viewer_hangup (run->viewer);
  }
  if (!rw_test_pump_until (all_done, &cli, 3000))
    g_printerr ("rw-test-viewer: some hangups were not answered in 3 s\n");

  for (guint i = 0; i < cli.runs->len; i++) {
    ViewerRun *run = g_ptr_array_index (cli.runs, i);
    g_autofree gchar *line = run_to_json (&cli, run, i, stream);

    g_print ("%s\n", line);
    if (bogus)
      print_bogus_summary (run, i);
    if (run_failed (&cli, run))
      failures++;
  }

  g_ptr_array_unref (cli.runs);
  g_main_loop_unref (cli.loop);
  if (failures)
    g_printerr ("rw-test-viewer: %u of %d viewers got no %s%s\n",
        failures, viewers, cli.audio ? "frames or no audio" : "frames",
        cli.interrupted ? " (interrupted)" : "");
  return failures ? 1 : 0;
}

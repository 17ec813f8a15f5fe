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
 * Exit status: 0 if every viewer got what it offered for and the server
 * answered (frames if it offered video; audio if it offered audio and the
 * answer sends audio, or if it offered only audio), 1 if one did not, 2 for
 * a bad command line. */

#include <gst/gst.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

typedef struct
{
  RwTestViewer *viewer;
  guint64 frames;               /* frozen at the end of its run */
  gint64 end_time;
  gint64 max_gap;               /* longest time between frames, µs */
  guint64 warm_frames;          /* frames when the warm-up ended */
  gint64 warm_time;             /* 0 until then */
  gboolean pair_queried;        /* the query a second after connecting */
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
} Cli;

static void
view_run_free (gpointer data)
{
  ViewerRun *run = data;

  rw_test_viewer_free (run->viewer);
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

  if (!rw_test_viewer_start (run->viewer, &error))
    g_printerr ("rw-test-viewer: viewer %u: %s\n", start->index,
        error->message);
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
  gboolean nack = FALSE, ice_tcp = FALSE;
  g_autoptr (GTlsDatabase) ca = NULL;
  gint viewers = 1, leavers = -1, stagger_ms = 0;
  gdouble duration = 10.0, hangup_after = -1.0, vanish_after = -1.0;
  gdouble warmup = 1.0;
  gboolean count_only = FALSE, trickle = FALSE, audio = FALSE;
  gboolean no_video = FALSE;
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
    {"ice-tcp", 0, 0, G_OPTION_ARG_NONE, &ice_tcp,
        "Gather TCP candidates too (ICE-TCP), as browsers do", NULL},
    {"check-timeout", 0, 0, G_OPTION_ARG_INT, &check_timeout,
        "First retransmission timeout of ICE checks in ms (default: "
          "libnice's, 200)", "MS"},
    {"check-retransmissions", 0, 0, G_OPTION_ARG_INT, &check_retransmissions,
          "Retransmissions before an ICE check fails (default: libnice's, 7)",
        "N"},
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

  g_main_loop_run (cli.loop);
  g_source_remove (tick);

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

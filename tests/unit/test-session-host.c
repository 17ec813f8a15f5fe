/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The RwSessionHost of robotwebrtcsink, driven in this process with no
 * HTTP: real offers (tests/fixtures/offers/) in, answers or RW_ERROR codes
 * out, session-closed for every answered session whatever ends it, the
 * tees back to no branch, and the threading contract enforced. The test's
 * thread owns the default main context and runs it, as the daemon's main
 * thread does. */

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "rw-error.h"
#include "rw-playout-delay.h"
#include "rw-session-host.h"
#include "rw-sink.h"
#include "test-utils.h"

#define OPEN_TIMEOUT_MS 10000
#define STREAMING_TIMEOUT_MS 10000
#define LEAVE_TIMEOUT_MS 5000

typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
  gulong closed_id;
  guint bus_watch;
  GPtrArray *closed_ids;        /* session-closed, in order */
  GPtrArray *closed_reasons;
  gboolean in_set_state;        /* inside gst_element_set_state () */
  guint closed_in_set_state;
} Fixture;

typedef struct
{
  gboolean done;
  gchar *answer;
  GError *error;
  gint64 finished;              /* monotonic */
} OpenResult;

/* --- a known bug: webrtcbin frees a pending promise --- */

/* GStreamer's "gst_promise_free: runtime check failed: (GST_PROMISE_RESULT
 * (promise) != GST_PROMISE_RESULT_PENDING)" warnings so far (atomic). They
 * come from webrtcbin's thread when a viewer goes away while an operation
 * it asked for (set-remote-description, create-answer, ...) is still
 * queued: see check_promise_warnings (). Counted instead of fatal, so that
 * the test that meets one can say so. */
static gint promise_warnings;

static gboolean
is_promise_warning (const gchar * domain, GLogLevelFlags level,
    const gchar * message)
{
  return g_strcmp0 (domain, "GStreamer") == 0 &&
      (level & G_LOG_LEVEL_WARNING) && message &&
      strstr (message, "gst_promise_free") &&
      strstr (message, "GST_PROMISE_RESULT_PENDING");
}

/* GStreamer's warnings: that one is counted, the others go on to the
 * default handler (which aborts: g_test_init () makes warnings fatal). The
 * default handler would abort before the fatal handler below is asked. */
static void
on_gstreamer_warning (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  if (is_promise_warning (domain, level, message)) {
    g_atomic_int_inc (&promise_warnings);
    g_printerr ("known bug, counted: %s-WARNING: %s\n", domain, message);
    return;
  }
  g_log_default_handler (domain, level, message, user_data);
}

static gboolean
on_fatal_log (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  return !is_promise_warning (domain, level, message);
}

#define PROMISE_BUG "a viewer closed during its negotiation must " \
  "interrupt the webrtcbin operation still queued, whose promise webrtcbin " \
  "1.22 would free unreplied when it stops"

/* Fails if webrtcbin freed a pending promise since @before. */
static void
check_promise_warnings (gint before)
{
  gint n = g_atomic_int_get (&promise_warnings) - before;

  rw_test_check (n == 0, "%d pending promise(s) freed by webrtcbin: %s", n,
      PROMISE_BUG);
}

/* --- fixtures: offers --- */

static gchar *
load_offer (const gchar * name)
{
  const gchar *dir = g_getenv ("RW_FIXTURES");
  g_autofree gchar *path = NULL;
  g_autoptr (GError) error = NULL;
  gchar *text = NULL;

  if (dir == NULL)
    dir = "tests/fixtures";
  path = g_build_filename (dir, "offers", name, NULL);
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* --- fixtures: the pipeline --- */

static void
on_session_closed (RwSessionHost * host, const gchar * id,
    const gchar * reason, gpointer user_data)
{
  Fixture *f = user_data;

  g_test_message ("session-closed %s: %s", id, reason);
  g_ptr_array_add (f->closed_ids, g_strdup (id));
  g_ptr_array_add (f->closed_reasons, g_strdup (reason));
  if (f->in_set_state)
    f->closed_in_set_state++;
}

/* The bus is read, as an application does: a message not taken holds its
 * source, and would keep a viewer's bin alive. */
static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &error, &debug);
    g_error ("error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
        error->message, debug);
  }
  return G_SOURCE_CONTINUE;
}

static void fixture_clear (Fixture * f);

static void
fixture_init (Fixture * f)
{
  g_autoptr (GstBus) bus = NULL;

  fixture_clear (f);
  memset (f, 0, sizeof (*f));
  /* reset by GTest before each test */
  g_test_log_set_fatal_handler (on_fatal_log, NULL);
  f->closed_ids = g_ptr_array_new_with_free_func (g_free);
  f->closed_reasons = g_ptr_array_new_with_free_func (g_free);
  f->pipeline = gst_pipeline_new ("session-host-test");
  /* RW_TYPE_SINK itself, from rw-core: no plugin is loaded */
  f->sink = g_object_new (RW_TYPE_SINK, "name", "sink",
      "ice-addresses", "127.0.0.1", NULL);
  gst_bin_add (GST_BIN (f->pipeline), f->sink);
  bus = gst_element_get_bus (f->pipeline);
  f->bus_watch = gst_bus_add_watch (bus, on_bus_message, f);
  f->closed_id = g_signal_connect (f->sink, "session-closed",
      G_CALLBACK (on_session_closed), f);
}

/* The encoded video (and Opus) the brief's launch line makes, linked to
 * the sink's request pads. */
static GstElement *
add_source (Fixture * f, gboolean audio)
{
  g_autoptr (GError) error = NULL;
  GstElement *bin;
  g_autoptr (GstElement) venc = NULL;
  g_autoptr (GstElement) aenc = NULL;
  g_autoptr (GstPad) vsrc = NULL;
  g_autoptr (GstPad) asrc = NULL;
  GString *desc = g_string_new ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "vp8enc deadline=1 name=venc");

  if (audio)
    g_string_append (desc, " audiotestsrc is-live=true ! opusenc name=aenc");
  bin = gst_parse_bin_from_description_full (desc->str, FALSE, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &error);
  g_string_free (desc, TRUE);
  g_assert_no_error (error);

  venc = gst_bin_get_by_name (GST_BIN (bin), "venc");
  vsrc = gst_element_get_static_pad (venc, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("video", vsrc));
  if (audio) {
    aenc = gst_bin_get_by_name (GST_BIN (bin), "aenc");
    asrc = gst_element_get_static_pad (aenc, "src");
    gst_element_add_pad (bin, gst_ghost_pad_new ("audio", asrc));
  }
  gst_bin_add (GST_BIN (f->pipeline), bin);
  g_assert_true (gst_element_link_pads (bin, "video", f->sink, "video_%u"));
  if (audio)
    g_assert_true (gst_element_link_pads (bin, "audio", f->sink, "audio_%u"));
  return bin;
}

static JsonObject *
dup_status (Fixture * f, RwStatusDetail detail)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  rw_session_host_add_status (RW_SESSION_HOST (f->sink), builder, detail);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_object_ref (json_node_get_object (root));
}

typedef struct
{
  Fixture *f;
  gboolean audio;
} StreamingWait;

static gboolean
streaming (gpointer data)
{
  StreamingWait *wait = data;
  g_autoptr (JsonObject) status = NULL;

  if (!rw_sink_is_streaming (RW_SINK (wait->f->sink)))
    return FALSE;
  if (!wait->audio)
    return TRUE;
  status = dup_status (wait->f, RW_STATUS_SUMMARY);
  return g_strcmp0 (json_object_get_string_member_with_default (status,
          "audio", NULL), "OPUS") == 0;
}

/* A playing pipeline whose video (and audio) caps reached the sink. */
static void
fixture_start_full (Fixture * f, gboolean audio, guint max_viewers,
    guint handshake_timeout)
{
  StreamingWait wait = { f, audio };

  fixture_init (f);
  if (max_viewers)
    g_object_set (f->sink, "max-viewers", max_viewers, NULL);
  if (handshake_timeout)
    g_object_set (f->sink, "handshake-timeout", handshake_timeout, NULL);
  add_source (f, audio);
  g_assert_cmpint (gst_element_set_state (f->pipeline, GST_STATE_PLAYING),
      !=, GST_STATE_CHANGE_FAILURE);
  rw_test_check (rw_test_pump_until (streaming, &wait, STREAMING_TIMEOUT_MS),
      "the sink had no %s caps after %d ms", audio ? "video and audio" :
      "video", STREAMING_TIMEOUT_MS);
}

static void
fixture_start (Fixture * f, gboolean audio, guint max_viewers)
{
  fixture_start_full (f, audio, max_viewers, 0);
}

static void
fixture_stop (Fixture * f)
{
  if (f->pipeline) {
    gst_element_set_state (f->pipeline, GST_STATE_NULL);
    g_clear_signal_handler (&f->closed_id, f->sink);
    g_clear_handle_id (&f->bus_watch, g_source_remove);
    gst_clear_object (&f->pipeline);
    f->sink = NULL;
  }
}

/* After fixture_stop (): what session-closed said is kept until here. */
static void
fixture_clear (Fixture * f)
{
  fixture_stop (f);
  g_clear_pointer (&f->closed_ids, g_ptr_array_unref);
  g_clear_pointer (&f->closed_reasons, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fixture, fixture_clear);

/* --- opening sessions --- */

static void
open_result_clear (OpenResult * r)
{
  g_clear_pointer (&r->answer, g_free);
  g_clear_error (&r->error);
}

static void
on_opened (GObject * source, GAsyncResult * result, gpointer user_data)
{
  OpenResult *r = user_data;

  r->answer = rw_session_host_open_finish (RW_SESSION_HOST (source), result,
      &r->error);
  r->done = TRUE;
  r->finished = g_get_monotonic_time ();
}

static gboolean
open_done (gpointer data)
{
  OpenResult *r = data;

  return r->done;
}

static void
open_async (Fixture * f, const gchar * id, const gchar * offer,
    GCancellable * cancellable, OpenResult * r)
{
  memset (r, 0, sizeof (*r));
  rw_session_host_open_async (RW_SESSION_HOST (f->sink), id, offer,
      cancellable, on_opened, r);
}

static void
wait_open (OpenResult * r, const gchar * id)
{
  rw_test_check (rw_test_pump_until (open_done, r, OPEN_TIMEOUT_MS),
      "session %s: no answer nor error within %d ms", id, OPEN_TIMEOUT_MS);
}

/* Opens a session with the offer in fixture file @name and waits
 * (bounded): the answer's text, or NULL with @error set. */
static gchar *
open_file (Fixture * f, const gchar * id, const gchar * name, GError ** error)
{
  g_autofree gchar *offer = load_offer (name);
  OpenResult r;
  gint64 start = g_get_monotonic_time ();

  open_async (f, id, offer, NULL, &r);
  wait_open (&r, id);
  g_test_message ("%s (%s): %s in %" G_GINT64_FORMAT " ms", id, name,
      r.answer ? "answered" : r.error->message, (r.finished - start) / 1000);
  if (r.error)
    g_propagate_error (error, g_steal_pointer (&r.error));
  return g_steal_pointer (&r.answer);
}

static gchar *
open_file_ok (Fixture * f, const gchar * id, const gchar * name)
{
  g_autoptr (GError) error = NULL;
  gchar *answer = open_file (f, id, name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (answer);
  return answer;
}

static void
open_file_fails (Fixture * f, const gchar * id, const gchar * name, gint code)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = open_file (f, id, name, &error);

  g_assert_null (answer);
  g_assert_error (error, RW_ERROR, code);
}

/* --- the answer --- */

static GstSDPMessage *
parse_answer (const gchar * text)
{
  GstSDPMessage *msg = NULL;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &msg), ==, GST_SDP_OK);
  return msg;
}

static const GstSDPMedia *
find_media (const GstSDPMessage * msg, const gchar * kind)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);

    if (g_strcmp0 (gst_sdp_media_get_media (media), kind) == 0)
      return media;
  }
  return NULL;
}

/* Whether the answer's m-line sends: not rejected, and sendonly. */
static gboolean
media_sends (const GstSDPMedia * media)
{
  return (gst_sdp_media_get_port (media) != 0 ||
      gst_sdp_media_get_attribute_val (media, "bundle-only") != NULL) &&
      gst_sdp_media_get_attribute_val (media, "sendonly") != NULL;
}

/* A sending m-line whose first format is @pt, mapped to @encoding, with
 * our SSRC. */
static void
check_sending (const GstSDPMedia * media, const gchar * pt,
    const gchar * encoding)
{
  g_autofree gchar *rtpmap = NULL;
  const gchar *value;

  g_assert_nonnull (media);
  rw_test_check (media_sends (media), "the %s m-line does not send",
      gst_sdp_media_get_media (media));
  g_assert_cmpuint (gst_sdp_media_formats_len (media), >=, 1);
  g_assert_cmpstr (gst_sdp_media_get_format (media, 0), ==, pt);
  rtpmap = g_strdup_printf ("%s %s", pt, encoding);
  value = gst_sdp_media_get_attribute_val (media, "rtpmap");
  rw_test_check (value && g_ascii_strncasecmp (value, rtpmap,
          strlen (rtpmap)) == 0, "a=rtpmap:%s, not %s", value, rtpmap);
  g_assert_nonnull (gst_sdp_media_get_attribute_val (media, "ssrc"));
}

/* Every candidate of the answer is on 127.0.0.1, and there is one. */
static void
check_candidates (const GstSDPMessage * msg)
{
  guint n = 0;

  for (guint m = 0; m < gst_sdp_message_medias_len (msg); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, m);

    for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);

      if (g_strcmp0 (attr->key, "candidate") != 0)
        continue;
      rw_test_check (strstr (attr->value, " 127.0.0.1 ") != NULL,
          "a candidate off loopback: %s", attr->value);
      n++;
    }
  }
  rw_test_check (n > 0, "the answer has no candidate");
}

/* --- the sink's insides --- */

static GstElement *
get_tee (Fixture * f, const gchar * name)
{
  GstElement *tee = gst_bin_get_by_name (GST_BIN (f->sink), name);

  g_assert_nonnull (tee);
  return tee;
}

static gint
tee_src_pads (Fixture * f, const gchar * name)
{
  g_autoptr (GstElement) tee = get_tee (f, name);
  gint n = -1;

  g_object_get (tee, "num-src-pads", &n, NULL);
  return n;
}

static gboolean
no_branch (gpointer data)
{
  Fixture *f = data;

  return tee_src_pads (f, "video") == 0 && tee_src_pads (f, "audio") == 0;
}

static guint
sink_children (Fixture * f)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_elements (GST_BIN (f->sink));
  GValue item = G_VALUE_INIT;
  guint n = 0;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *child = g_value_get_object (&item);

    if (!GST_IS_BIN (child) || !g_str_has_prefix (GST_OBJECT_NAME (child),
            "viewer-"))
      g_assert_true (g_str_equal (GST_OBJECT_NAME (child), "video") ||
          g_str_equal (GST_OBJECT_NAME (child), "audio"));
    n++;
    g_value_reset (&item);
  }
  g_value_unset (&item);
  return n;
}

/* Weak references to the viewers' bins: gone once nothing holds them. */
static GPtrArray *
watch_viewer_bins (Fixture * f)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_elements (GST_BIN (f->sink));
  GPtrArray *refs = g_ptr_array_new ();
  GValue item = G_VALUE_INIT;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *child = g_value_get_object (&item);

    if (g_str_has_prefix (GST_OBJECT_NAME (child), "viewer-")) {
      GWeakRef *ref = g_new0 (GWeakRef, 1);

      g_weak_ref_init (ref, child);
      g_ptr_array_add (refs, ref);
    }
    g_value_reset (&item);
  }
  g_value_unset (&item);
  return refs;
}

static gboolean
viewer_bins_freed (gpointer data)
{
  GPtrArray *refs = data;

  for (guint i = 0; i < refs->len; i++) {
    GObject *obj = g_weak_ref_get (refs->pdata[i]);

    if (obj) {
      g_object_unref (obj);
      return FALSE;
    }
  }
  return TRUE;
}

static void
wait_viewer_bins_freed (GPtrArray * refs)
{
  rw_test_check (rw_test_pump_until (viewer_bins_freed, refs,
          LEAVE_TIMEOUT_MS), "a viewer's bin is still alive %d ms after it "
      "left", LEAVE_TIMEOUT_MS);
  for (guint i = 0; i < refs->len; i++) {
    g_weak_ref_clear (refs->pdata[i]);
    g_free (refs->pdata[i]);
  }
  g_ptr_array_unref (refs);
}

static guint
n_viewers (Fixture * f)
{
  guint n = G_MAXUINT;

  g_object_get (f->sink, "viewers", &n, NULL);
  return n;
}

/* --- tests --- */

/* A Chromium recvonly VP8 offer: answered with the offer's payload type,
 * our SSRC and loopback candidates; /status lists it; closing it says
 * session-closed once and the branch leaves the tee. */
static void
test_chromium_vp8 (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *answer = NULL;
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (GstSDPMessage) msg = NULL;
  JsonArray *peers;
  GPtrArray *bins;

  fixture_start (&f, FALSE, 0);
  answer = open_file_ok (&f, "chromium-1",
      "chromium-156-recvonly-complete.sdp");
  msg = parse_answer (answer);
  g_assert_cmpuint (gst_sdp_message_medias_len (msg), ==, 1);
  check_sending (find_media (msg, "video"), "96", "VP8/90000");
  check_candidates (msg);

  status = dup_status (&f, RW_STATUS_FULL);
  g_assert_cmpint (json_object_get_int_member (status, "viewers"), ==, 1);
  peers = json_object_get_array_member (status, "peers");
  g_assert_cmpuint (json_array_get_length (peers), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (peers, 0), "peer_id"), ==, "chromium-1");
  g_assert_cmpuint (n_viewers (&f), ==, 1);
  g_assert_cmpint (tee_src_pads (&f, "video"), ==, 1);
  g_assert_cmpint (tee_src_pads (&f, "audio"), ==, 0);

  bins = watch_viewer_bins (&f);
  g_assert_cmpuint (bins->len, ==, 1);
  g_assert_false (rw_session_host_close (RW_SESSION_HOST (f.sink), "nobody",
          "test"));
  g_assert_cmpuint (f.closed_ids->len, ==, 0);
  g_assert_true (rw_session_host_close (RW_SESSION_HOST (f.sink),
          "chromium-1", "the test hung up"));
  /* emitted at once, with the id and the reason */
  g_assert_cmpuint (f.closed_ids->len, ==, 1);
  g_assert_cmpstr (f.closed_ids->pdata[0], ==, "chromium-1");
  g_assert_cmpstr (f.closed_reasons->pdata[0], ==, "the test hung up");
  g_assert_cmpuint (n_viewers (&f), ==, 0);
  g_assert_false (rw_session_host_close (RW_SESSION_HOST (f.sink),
          "chromium-1", "again"));

  rw_test_check (rw_test_pump_until (no_branch, &f, LEAVE_TIMEOUT_MS),
      "the video tee still has %d src pads %d ms after the close",
      tee_src_pads (&f, "video"), LEAVE_TIMEOUT_MS);
  g_assert_cmpuint (sink_children (&f), ==, 2);
  wait_viewer_bins_freed (bins);
  /* once */
  rw_test_pump_for (300);
  g_assert_cmpuint (f.closed_ids->len, ==, 1);

  fixture_stop (&f);
  g_assert_cmpuint (f.closed_ids->len, ==, 1);
}

/* Chromium's audio+video offer: both sent when the sink has audio; video
 * alone (audio not sending) when it has none. */
static void
test_chromium_audio_video (void)
{
  for (gint audio = 1; audio >= 0; audio--) {
    g_auto (Fixture) f = { 0 };
    g_autofree gchar *answer = NULL;
    g_autoptr (GstSDPMessage) msg = NULL;
    const GstSDPMedia *media;

    g_test_message ("the sink %s audio", audio ? "has" : "has no");
    fixture_start (&f, audio, 0);
    answer = open_file_ok (&f, "av", "chromium-156-audio-video.sdp");
    msg = parse_answer (answer);
    g_assert_cmpuint (gst_sdp_message_medias_len (msg), ==, 2);
    check_sending (find_media (msg, "video"), "96", "VP8/90000");
    media = find_media (msg, "audio");
    g_assert_nonnull (media);
    if (audio) {
      check_sending (media, "111", "OPUS/48000/2");
      g_assert_cmpint (tee_src_pads (&f, "audio"), ==, 1);
    } else {
      rw_test_check (!media_sends (media), "the audio m-line sends, with no "
          "audio input: port %u", gst_sdp_media_get_port (media));
      g_test_message ("no audio input: the audio m-line has port %u%s%s",
          gst_sdp_media_get_port (media),
          gst_sdp_media_get_attribute_val (media, "inactive") ?
          ", a=inactive" : "",
          gst_sdp_media_get_attribute_val (media, "recvonly") ?
          ", a=recvonly" : "");
      g_assert_cmpint (tee_src_pads (&f, "audio"), ==, 0);
    }
    check_candidates (msg);
    g_assert_cmpint (tee_src_pads (&f, "video"), ==, 1);

    g_assert_true (rw_session_host_close (RW_SESSION_HOST (f.sink), "av",
            "done"));
    rw_test_check (rw_test_pump_until (no_branch, &f, LEAVE_TIMEOUT_MS),
        "tee branches left after the close");
    fixture_stop (&f);
    g_assert_cmpuint (f.closed_ids->len, ==, 1);
  }
}

/* Chromium's audio-only offer: served audio only by a sink with audio,
 * refused (UNSUPPORTED) by one without. */
static void
test_chromium_audio_only (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *answer = NULL;
  g_autoptr (GstSDPMessage) msg = NULL;

  fixture_start (&f, TRUE, 0);
  answer = open_file_ok (&f, "audio-only", "bad/audio-only-chromium-156.sdp");
  msg = parse_answer (answer);
  g_assert_cmpuint (gst_sdp_message_medias_len (msg), ==, 1);
  g_assert_null (find_media (msg, "video"));
  check_sending (find_media (msg, "audio"), "111", "OPUS/48000/2");
  check_candidates (msg);
  g_assert_cmpint (tee_src_pads (&f, "video"), ==, 0);
  g_assert_cmpint (tee_src_pads (&f, "audio"), ==, 1);
  fixture_stop (&f);
  /* the end of the pipeline ended it */
  g_assert_cmpuint (f.closed_ids->len, ==, 1);

  fixture_start (&f, FALSE, 0);
  open_file_fails (&f, "audio-only", "bad/audio-only-chromium-156.sdp",
      RW_ERROR_UNSUPPORTED);
  g_assert_cmpuint (n_viewers (&f), ==, 0);
  g_assert_true (no_branch (&f));
  fixture_stop (&f);
  g_assert_cmpuint (f.closed_ids->len, ==, 0);
}

/* aiortc 1.4 gives each bundled m-line its own ICE credentials, which
 * webrtcbin 1.22 refuses on its own (DESIGN.md §4.15). */
static void
test_aiortc_bundle (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *answer = NULL;
  g_autoptr (GstSDPMessage) msg = NULL;

  fixture_start (&f, TRUE, 0);
  answer = open_file_ok (&f, "aiortc", "aiortc-1.4-audio-video.sdp");
  msg = parse_answer (answer);
  g_assert_cmpuint (gst_sdp_message_medias_len (msg), ==, 2);
  check_sending (find_media (msg, "video"), "97", "VP8/90000");
  check_sending (find_media (msg, "audio"), "96", "OPUS/48000/2");
  check_candidates (msg);
  fixture_stop (&f);
}

/* The id @media maps the playout-delay extension to, or 0 */
static guint
playout_delay_id (const GstSDPMedia * media)
{
  const gchar *value;

  for (guint i = 0; (value = gst_sdp_media_get_attribute_val_n (media,
              "extmap", i)) != NULL; i++) {
    if (g_str_has_suffix (value, " " RW_PLAYOUT_DELAY_URI))
      return (guint) g_ascii_strtoull (value, NULL, 10);
  }
  return 0;
}

/* Chromium and Firefox offer playout-delay (Firefox recvonly): answered
 * with their id while zero-playout-delay is on, not at all when off. */
static void
test_playout_delay (void)
{
  const struct
  {
    const gchar *file;
    guint id;
  } offers[] = {
    {"chromium-156-recvonly-complete.sdp", 5},
    {"firefox-esr-153-recvonly-complete.sdp", 6},
    {"aiortc-1.4-recvonly-video.sdp", 0},
  };

  for (gint on = 1; on >= 0; on--) {
    g_auto (Fixture) f = { 0 };
    g_autoptr (JsonObject) status = NULL;
    JsonArray *peers;

    fixture_start (&f, FALSE, 0);
    g_object_set (f.sink, "zero-playout-delay", on, NULL);
    for (guint i = 0; i < G_N_ELEMENTS (offers); i++) {
      g_autofree gchar *id = g_strdup_printf ("pd-%u", i);
      g_autofree gchar *answer = open_file_ok (&f, id, offers[i].file);
      g_autoptr (GstSDPMessage) msg = parse_answer (answer);
      const GstSDPMedia *video = find_media (msg, "video");

      g_assert_nonnull (video);
      rw_test_check (playout_delay_id (video) == (on ? offers[i].id : 0),
          "%s, zero-playout-delay %s: the answer maps playout-delay to %u",
          offers[i].file, on ? "on" : "off", playout_delay_id (video));
    }
    /* /status says which viewers are asked for it */
    status = dup_status (&f, RW_STATUS_FULL);
    peers = json_object_get_array_member (status, "peers");
    g_assert_cmpuint (json_array_get_length (peers), ==, G_N_ELEMENTS (offers));
    for (guint i = 0; i < json_array_get_length (peers); i++) {
      JsonObject *peer = json_array_get_object_element (peers, i);
      const gchar *id = json_object_get_string_member (peer, "peer_id");
      guint n = (guint) g_ascii_strtoull (id + strlen ("pd-"), NULL, 10);
      gboolean sent = !json_object_get_null_member (peer, "playout_delay_ms");

      g_assert_cmpuint (n, <, G_N_ELEMENTS (offers));
      rw_test_check (sent == (on && offers[n].id != 0), "%s: playout_delay_ms "
          "%s", offers[n].file, sent ? "0" : "null");
      if (sent)
        g_assert_cmpint (json_object_get_int_member (peer, "playout_delay_ms"),
            ==, 0);
    }
    g_clear_pointer (&status, json_object_unref);
    fixture_stop (&f);
  }
}

/* webrtcbin's clocksyncs in the sink: how many, and how many sync */
typedef struct
{
  guint found;
  guint syncing;
} Clocksyncs;

static void
count_clocksync (const GValue * value, gpointer user_data)
{
  GstElement *element = g_value_get_object (value);
  GstElementFactory *factory = gst_element_get_factory (element);
  Clocksyncs *c = user_data;
  gboolean sync;

  if (factory == NULL || g_strcmp0 (GST_OBJECT_NAME (factory), "clocksync"))
    return;
  g_object_get (element, "sync", &sync, NULL);
  c->found++;
  c->syncing += sync;
}

static Clocksyncs
find_clocksyncs (Fixture * f)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (f->sink));
  Clocksyncs c = { 0 };

  while (gst_iterator_foreach (it, count_clocksync, &c) == GST_ITERATOR_RESYNC) {
    gst_iterator_resync (it);
    c = (Clocksyncs) {
    0};
  }
  return c;
}

static gboolean
has_clocksync (gpointer user_data)
{
  return find_clocksyncs (user_data).found > 0;
}

/* A live input: webrtcbin's clocksync in front of the viewer's send path
 * does not hold packets back to the clock (it would add the pipeline's
 * latency, a frame and more, between capture and the wire). */
static void
test_live_input_not_synced (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *answer = NULL;
  Clocksyncs c;

  fixture_start (&f, TRUE, 0);
  answer = open_file_ok (&f, "av", "chromium-156-audio-video.sdp");
  rw_test_check (rw_test_pump_until (has_clocksync, &f, 5000),
      "webrtcbin put no clocksync in the send path within 5 s");
  c = find_clocksyncs (&f);
  g_test_message ("%u clocksyncs, %u syncing", c.found, c.syncing);
  rw_test_check (c.syncing == 0, "%u of %u clocksyncs sync to the clock",
      c.syncing, c.found);
  fixture_stop (&f);
}

/* Offers refused before any viewer exists: each with its RW_ERROR code,
 * and no session, branch or session-closed left behind. */
static void
test_refused (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *first = NULL;
  OpenResult r;

  fixture_start (&f, TRUE, 1);

  open_file_fails (&f, "not-sdp", "bad/not-sdp.sdp", RW_ERROR_BAD_REQUEST);
  open_file_fails (&f, "truncated", "bad/truncated-mid-mline.sdp",
      RW_ERROR_BAD_REQUEST);
  open_async (&f, "garbage", "v=0\r\nthis is no SDP\r\n", NULL, &r);
  wait_open (&r, "garbage");
  g_assert_error (r.error, RW_ERROR, RW_ERROR_BAD_REQUEST);
  open_result_clear (&r);
  /* H264 only, to a VP8 sink: refused even though its audio could be
   * served */
  open_file_fails (&f, "h264", "aiortc-1.4-audio-video-h264-only.sdp",
      RW_ERROR_UNSUPPORTED);
  open_file_fails (&f, "h264-pm0", "bad/video-h264-pm0-only-chromium-156.sdp",
      RW_ERROR_UNSUPPORTED);
  g_assert_cmpuint (n_viewers (&f), ==, 0);
  g_assert_true (no_branch (&f));

  /* max-viewers=1 */
  first = open_file_ok (&f, "first", "chromium-156-recvonly-trickle.sdp");
  open_file_fails (&f, "second", "chromium-156-recvonly-trickle.sdp",
      RW_ERROR_FULL);
  g_assert_cmpuint (n_viewers (&f), ==, 1);
  g_assert_cmpint (tee_src_pads (&f, "video"), ==, 1);
  g_assert_true (rw_session_host_close (RW_SESSION_HOST (f.sink), "first",
          "make room"));
  g_clear_pointer (&first, g_free);
  first = open_file_ok (&f, "third", "chromium-156-recvonly-trickle.sdp");

  g_assert_cmpuint (f.closed_ids->len, ==, 1);
  g_assert_cmpstr (f.closed_ids->pdata[0], ==, "first");
  fixture_stop (&f);
  g_assert_cmpuint (f.closed_ids->len, ==, 2);
  g_assert_cmpstr (f.closed_ids->pdata[1], ==, "third");
}

/* An offer before the media waits for it; answered once the video's caps
 * come. */
static void
test_offer_before_media (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *offer = load_offer ("chromium-156-recvonly-complete.sdp");
  g_autoptr (GstSDPMessage) msg = NULL;
  GstElement *source;
  OpenResult r;
  gint64 opened, linked;

  fixture_init (&f);
  g_assert_cmpint (gst_element_set_state (f.pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_false (rw_sink_is_streaming (RW_SINK (f.sink)));

  opened = g_get_monotonic_time ();
  open_async (&f, "early", offer, NULL, &r);
  rw_test_pump_for (500);
  g_assert_false (r.done);
  g_assert_cmpuint (n_viewers (&f), ==, 0);

  source = add_source (&f, FALSE);
  linked = g_get_monotonic_time ();
  g_assert_true (gst_element_sync_state_with_parent (source));
  wait_open (&r, "early");
  g_assert_no_error (r.error);
  g_test_message ("answered %" G_GINT64_FORMAT " ms after the offer, %"
      G_GINT64_FORMAT " ms after the source started",
      (r.finished - opened) / 1000, (r.finished - linked) / 1000);
  g_assert_cmpint (r.finished - opened, <, 5 * G_USEC_PER_SEC);
  msg = parse_answer (r.answer);
  check_sending (find_media (msg, "video"), "96", "VP8/90000");
  g_assert_cmpuint (n_viewers (&f), ==, 1);
  open_result_clear (&r);
  fixture_stop (&f);
  g_assert_cmpuint (f.closed_ids->len, ==, 1);
}

/* No media for 5 s: UNAVAILABLE, and nothing left. */
static void
test_no_media (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *offer = load_offer ("chromium-156-recvonly-complete.sdp");
  OpenResult r;
  gint64 opened;

  fixture_init (&f);
  g_assert_cmpint (gst_element_set_state (f.pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  opened = g_get_monotonic_time ();
  open_async (&f, "never", offer, NULL, &r);
  wait_open (&r, "never");
  g_test_message ("refused after %" G_GINT64_FORMAT " ms: %s",
      (r.finished - opened) / 1000, r.error ? r.error->message : "(answer)");
  g_assert_error (r.error, RW_ERROR, RW_ERROR_UNAVAILABLE);
  g_assert_cmpint (r.finished - opened, >=, 4900 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (r.finished - opened, <, 7000 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (n_viewers (&f), ==, 0);
  open_result_clear (&r);
  fixture_stop (&f);
  g_assert_cmpuint (f.closed_ids->len, ==, 0);

  /* a stopped sink refuses at once */
  fixture_init (&f);
  opened = g_get_monotonic_time ();
  open_async (&f, "stopped", offer, NULL, &r);
  wait_open (&r, "stopped");
  g_assert_cmpint (r.finished - opened, <, 500 * G_TIME_SPAN_MILLISECOND);
  g_assert_error (r.error, RW_ERROR, RW_ERROR_UNAVAILABLE);
  open_result_clear (&r);
  fixture_stop (&f);
}

/* An open cancelled before its answer: an error, no session, no
 * session-closed, no branch. */
static void
test_cancelled (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *offer = load_offer ("chromium-156-recvonly-complete.sdp");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GCancellable) cancelled = g_cancellable_new ();
  g_autofree gchar *answer = NULL;
  gint warnings = g_atomic_int_get (&promise_warnings);
  GPtrArray *bins;
  OpenResult r;
  gint64 start;

  fixture_start (&f, FALSE, 0);

  /* while webrtcbin negotiates */
  open_async (&f, "cancelled", offer, cancellable, &r);
  g_assert_false (r.done);
  g_assert_cmpuint (n_viewers (&f), ==, 1);
  bins = watch_viewer_bins (&f);
  start = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  wait_open (&r, "cancelled");
  g_test_message ("cancelled negotiation: %s after %" G_GINT64_FORMAT " ms",
      r.error ? r.error->message : "(answer)", (r.finished - start) / 1000);
  g_assert_null (r.answer);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (n_viewers (&f), ==, 0);
  g_assert_false (rw_session_host_close (RW_SESSION_HOST (f.sink),
          "cancelled", "test"));
  rw_test_check (rw_test_pump_until (no_branch, &f, LEAVE_TIMEOUT_MS),
      "the cancelled viewer's branch is still on the tee");
  g_assert_cmpuint (sink_children (&f), ==, 2);
  wait_viewer_bins_freed (bins);
  open_result_clear (&r);

  /* cancelled before the call */
  g_cancellable_cancel (cancelled);
  open_async (&f, "cancelled-before", offer, cancelled, &r);
  wait_open (&r, "cancelled-before");
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (n_viewers (&f), ==, 0);
  open_result_clear (&r);

  /* the sink still serves */
  answer = open_file_ok (&f, "after", "chromium-156-recvonly-complete.sdp");
  g_assert_cmpuint (f.closed_ids->len, ==, 0);
  fixture_stop (&f);
  g_assert_cmpuint (f.closed_ids->len, ==, 1);
  g_assert_cmpstr (f.closed_ids->pdata[0], ==, "after");
  check_promise_warnings (warnings);
}

/* Opens cancelled at each point of the negotiation, from the call to the
 * answer: each an error, nothing left, no session-closed. A viewer removed
 * while webrtcbin still has an operation of it queued shows the bug of
 * check_promise_warnings () (found here about once in 6 runs of this
 * suite before this test; this test makes it likelier). */
static void
test_cancelled_each_step (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *offer = load_offer ("chromium-156-recvonly-complete.sdp");
  gint warnings = g_atomic_int_get (&promise_warnings);
  guint answered = 0, cancelled = 0;

  fixture_start (&f, FALSE, 0);
  for (guint round = 0; round < 3; round++) {
    for (guint steps = 0; steps < 8; steps++) {
      g_autoptr (GCancellable) cancellable = g_cancellable_new ();
      g_autofree gchar *id = g_strdup_printf ("c%u-%u", round, steps);
      GPtrArray *bins;
      OpenResult r;

      open_async (&f, id, offer, cancellable, &r);
      bins = watch_viewer_bins (&f);
      /* each step a webrtcbin reply handled, or another hop */
      for (guint i = 0; i < steps && !r.done; i++)
        g_main_context_iteration (NULL, TRUE);
      g_cancellable_cancel (cancellable);
      wait_open (&r, id);
      if (r.answer) {
        /* answered before the cancel was seen: a session like any */
        answered++;
        g_assert_true (rw_session_host_close (RW_SESSION_HOST (f.sink), id,
                "done"));
      } else {
        cancelled++;
        g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      }
      g_assert_cmpuint (n_viewers (&f), ==, 0);
      rw_test_check (rw_test_pump_until (no_branch, &f, LEAVE_TIMEOUT_MS),
          "%s: its branch is still on the tee", id);
      wait_viewer_bins_freed (bins);
      open_result_clear (&r);
    }
  }
  g_test_message ("%u cancelled, %u answered first; %d pending promise(s) "
      "freed by webrtcbin", cancelled, answered,
      g_atomic_int_get (&promise_warnings) - warnings);
  g_assert_cmpuint (f.closed_ids->len, ==, answered);
  fixture_stop (&f);
  g_assert_cmpuint (f.closed_ids->len, ==, answered);
  check_promise_warnings (warnings);
}

/* The pipeline stops while an offer is being answered: the open fails,
 * there is no session-closed (it was never answered), and nothing is
 * left. webrtcbin still has the offer's set-remote-description queued
 * then: the bug of check_promise_warnings (). */
static void
test_stop_while_answering (void)
{
  g_autofree gchar *offer = load_offer ("chromium-156-recvonly-complete.sdp");
  gint warnings = g_atomic_int_get (&promise_warnings);
  guint failed = 0;

  for (guint run = 0; run < 3; run++) {
    g_auto (Fixture) f = { 0 };
    GPtrArray *bins;
    OpenResult r;

    fixture_start (&f, FALSE, 0);
    open_async (&f, "answering", offer, NULL, &r);
    bins = watch_viewer_bins (&f);
    g_assert_cmpuint (bins->len, ==, 1);
    g_assert_cmpint (gst_element_set_state (f.pipeline, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_assert_cmpuint (n_viewers (&f), ==, 0);
    g_assert_true (no_branch (&f));
    wait_open (&r, "answering");
    g_assert_null (r.answer);
    g_assert_nonnull (r.error);
    g_test_message ("run %u: %s", run + 1, r.error->message);
    failed++;
    fixture_stop (&f);
    wait_viewer_bins_freed (bins);
    g_assert_cmpuint (f.closed_ids->len, ==, 0);
    open_result_clear (&r);
  }
  g_test_message ("%u opens failed; %d pending promise(s) freed by "
      "webrtcbin", failed, g_atomic_int_get (&promise_warnings) - warnings);
  check_promise_warnings (warnings);
}

/* The webrtcbin of viewer @id. */
static GstElement *
get_webrtcbin (Fixture * f, const gchar * id)
{
  g_autofree gchar *name = g_strdup_printf ("viewer-%s", id);
  g_autoptr (GstElement) bin = gst_bin_get_by_name (GST_BIN (f->sink), name);
  g_autoptr (GstIterator) it = NULL;
  GValue item = G_VALUE_INIT;
  GstElement *webrtcbin = NULL;

  g_assert_nonnull (bin);
  it = gst_bin_iterate_elements (GST_BIN (bin));
  while (webrtcbin == NULL && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *child = g_value_get_object (&item);
    GstElementFactory *factory = gst_element_get_factory (child);

    if (factory && g_str_equal (GST_OBJECT_NAME (factory), "webrtcbin"))
      webrtcbin = gst_object_ref (child);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  g_assert_nonnull (webrtcbin);
  return webrtcbin;
}

static gint stats_replying;     /* atomic */

/* webrtcbin's operations thread: holds it, so that the operations queued
 * meanwhile wait. */
static void
hold_operations_thread (GstPromise * promise, gpointer user_data)
{
  g_atomic_int_set (&stats_replying, 1);
  g_usleep (G_USEC_PER_SEC);
}

static gboolean
stats_being_replied (gpointer data)
{
  return g_atomic_int_get (&stats_replying);
}

/* The bug of check_promise_warnings (), made certain: the viewer's
 * create-answer is queued behind an operation that holds webrtcbin's
 * thread (a get-stats whose reply takes 1 s) when the pipeline stops.
 * webrtcbin then drops the queued create-answer and frees its promise
 * unreplied. */
static void
test_stop_with_queued_operation (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *offer = load_offer ("chromium-156-recvonly-complete.sdp");
  g_autoptr (GstElement) webrtcbin = NULL;
  gint warnings = g_atomic_int_get (&promise_warnings);
  GstPromise *stats;
  GPtrArray *bins;
  OpenResult r;

  fixture_start (&f, FALSE, 0);
  open_async (&f, "queued", offer, NULL, &r);
  bins = watch_viewer_bins (&f);
  webrtcbin = get_webrtcbin (&f, "queued");

  /* set-remote-description is queued; get-stats after it */
  g_atomic_int_set (&stats_replying, 0);
  stats = gst_promise_new_with_change_func (hold_operations_thread, NULL, NULL);
  g_signal_emit_by_name (webrtcbin, "get-stats", NULL, stats);
  gst_promise_unref (stats);
  g_assert_true (rw_test_pump_until (stats_being_replied, NULL, 5000));
  /* the offer's reply reaches the viewer, which asks for the answer:
   * queued behind the held thread */
  rw_test_pump_for (50);
  g_assert_false (r.done);

  g_assert_cmpint (gst_element_set_state (f.pipeline, GST_STATE_NULL), ==,
      GST_STATE_CHANGE_SUCCESS);
  wait_open (&r, "queued");
  g_assert_null (r.answer);
  g_assert_nonnull (r.error);
  fixture_stop (&f);
  g_clear_object (&webrtcbin);
  wait_viewer_bins_freed (bins);
  g_assert_cmpuint (f.closed_ids->len, ==, 0);
  open_result_clear (&r);

  g_test_message ("%d pending promise(s) freed by webrtcbin",
      g_atomic_int_get (&promise_warnings) - warnings);
  check_promise_warnings (warnings);
}

/* An open cancelled while it waits for the media. */
static void
test_cancelled_waiting (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *offer = load_offer ("chromium-156-recvonly-complete.sdp");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  OpenResult r;
  gint64 start;
  gboolean prompt;

  fixture_init (&f);
  g_assert_cmpint (gst_element_set_state (f.pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  open_async (&f, "waiting", offer, cancellable, &r);
  rw_test_pump_for (100);
  g_assert_false (r.done);
  start = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  wait_open (&r, "waiting");
  g_test_message ("cancelled while waiting for the media: %s after %"
      G_GINT64_FORMAT " ms", r.error ? r.error->message : "(answer)",
      (r.finished - start) / 1000);
  /* the contract: an error, no session, no session-closed */
  g_assert_null (r.answer);
  g_assert_nonnull (r.error);
  g_assert_cmpuint (n_viewers (&f), ==, 0);
  g_assert_cmpuint (f.closed_ids->len, ==, 0);
  prompt = g_error_matches (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      r.finished - start < G_USEC_PER_SEC;
  open_result_clear (&r);
  fixture_stop (&f);
  g_assert_cmpuint (f.closed_ids->len, ==, 0);

  rw_test_check (prompt, "an offer waiting for the media was not ended by "
      "its cancellable");
}

/* The pipeline to NULL with two answered sessions: both closed during the
 * state change, which iterates no main context and returns promptly; the
 * tees have no branch and the viewers' bins go away. */
static void
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
test_stop_with_sessions (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *a = NULL, *b = NULL;
  gboolean idle_ran = FALSE;
  GPtrArray *bins;
  guint idle;
  gint64 start, took;
  OpenResult r;

  fixture_start (&f, TRUE, 0);
  a = open_file_ok (&f, "a", "chromium-156-audio-video.sdp");
  b = open_file_ok (&f, "b", "chromium-156-recvonly-complete.sdp");
  g_assert_cmpuint (n_viewers (&f), ==, 2);
  g_assert_cmpint (tee_src_pads (&f, "video"), ==, 2);
  g_assert_cmpint (tee_src_pads (&f, "audio"), ==, 1);
  bins = watch_viewer_bins (&f);
  g_assert_cmpuint (bins->len, ==, 2);

  /* would run if anything iterated the default context meanwhile */
  idle = g_timeout_add_once (0, set_flag, &idle_ran);

  f.in_set_state = TRUE;
  start = g_get_monotonic_time ();
  g_assert_cmpint (gst_element_set_state (f.pipeline, GST_STATE_NULL), ==,
      GST_STATE_CHANGE_SUCCESS);
  took = g_get_monotonic_time () - start;
  f.in_set_state = FALSE;
  g_test_message ("set to NULL in %" G_GINT64_FORMAT " ms", took / 1000);

  g_assert_false (idle_ran);
  g_source_remove (idle);
  g_assert_cmpint (took, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (f.closed_ids->len, ==, 2);
  g_assert_cmpuint (f.closed_in_set_state, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (f.closed_ids, "a",
          g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (f.closed_ids, "b",
          g_str_equal, NULL));
  g_assert_cmpuint (n_viewers (&f), ==, 0);
  g_assert_true (no_branch (&f));
  g_assert_cmpuint (sink_children (&f), ==, 2);

  /* stopped: refused at once */
  start = g_get_monotonic_time ();
  open_async (&f, "late", b, NULL, &r);
  wait_open (&r, "late");
  g_assert_cmpint (r.finished - start, <, 500 * G_TIME_SPAN_MILLISECOND);
  g_assert_error (r.error, RW_ERROR, RW_ERROR_UNAVAILABLE);
  open_result_clear (&r);

  fixture_stop (&f);
  wait_viewer_bins_freed (bins);
  g_assert_cmpuint (f.closed_ids->len, ==, 2);
}

/* Trickled candidates: unknown session, skipped, malformed, used. */
static void
test_add_candidate (void)
{
  g_auto (Fixture) f = { 0 };
  RwSessionHost *host;
  g_autofree gchar *answer = NULL;
  g_autoptr (GError) error = NULL;
  gchar *ignored = NULL;

  fixture_start (&f, FALSE, 0);
  host = RW_SESSION_HOST (f.sink);
  answer = open_file_ok (&f, "trickle", "chromium-156-recvonly-trickle.sdp");

  g_assert_false (rw_session_host_add_candidate (host, "nobody", 0,
          "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", &ignored,
          &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_NOT_FOUND);
  g_assert_null (ignored);
  g_clear_error (&error);

  g_assert_true (rw_session_host_add_candidate (host, "trickle", 0,
          "candidate:1 1 udp 2122260223 10.9.9.9 5000 typ host", &ignored,
          &error));
  g_assert_no_error (error);
  g_assert_nonnull (ignored);
  g_test_message ("10.9.9.9 ignored: %s", ignored);
  g_clear_pointer (&ignored, g_free);

  g_assert_false (rw_session_host_add_candidate (host, "trickle", 0,
          "candidate:garbage", &ignored, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_false (rw_session_host_add_candidate (host, "trickle", 0,
          "not a candidate at all", &ignored, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  g_assert_true (rw_session_host_add_candidate (host, "trickle", 0,
          "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", &ignored,
          &error));
  g_assert_no_error (error);
  g_assert_null (ignored);
  /* end of candidates */
  g_assert_true (rw_session_host_add_candidate (host, "trickle", 0, "",
          &ignored, &error));
  g_assert_no_error (error);
  g_assert_true (rw_session_host_add_candidate (host, "trickle", 0, NULL,
          NULL, &error));
  g_assert_no_error (error);

  rw_test_pump_for (100);
  g_assert_cmpuint (n_viewers (&f), ==, 1);
  fixture_stop (&f);
  g_assert_cmpuint (f.closed_ids->len, ==, 1);
}

static gboolean
one_closed (gpointer data)
{
  Fixture *f = data;

  return f->closed_ids->len > 0;
}

/* An answered viewer that never connects is removed after
 * handshake-timeout, and that too says session-closed. */
static void
test_handshake_timeout (void)
{
  g_auto (Fixture) f = { 0 };
  g_autofree gchar *answer = NULL;
  gint64 answered;

  fixture_start_full (&f, FALSE, 0, 1);
  answer = open_file_ok (&f, "silent", "chromium-156-recvonly-trickle.sdp");
  answered = g_get_monotonic_time ();
  rw_test_check (rw_test_pump_until (one_closed, &f, 5000),
      "the viewer that never connected is still there");
  g_test_message ("removed %" G_GINT64_FORMAT " ms after its answer: %s",
      (g_get_monotonic_time () - answered) / 1000,
      (gchar *) f.closed_reasons->pdata[0]);
  g_assert_cmpstr (f.closed_ids->pdata[0], ==, "silent");
  g_assert_nonnull (strstr (f.closed_reasons->pdata[0], "handshake-timeout"));
  g_assert_cmpuint (n_viewers (&f), ==, 0);
  rw_test_check (rw_test_pump_until (no_branch, &f, LEAVE_TIMEOUT_MS),
      "its branch is still on the tee");
  fixture_stop (&f);
  g_assert_cmpuint (f.closed_ids->len, ==, 1);
}

static gpointer
open_from_another_thread (gpointer data)
{
  rw_session_host_open_async (RW_SESSION_HOST (data), "anyone", "v=0\r\n",
      NULL, NULL, NULL);
  return NULL;
}

static gpointer
add_candidate_from_another_thread (gpointer data)
{
  rw_session_host_add_candidate (RW_SESSION_HOST (data), "anyone", 0, NULL,
      NULL, NULL);
  return NULL;
}

static gpointer
close_from_another_thread (gpointer data)
{
  rw_session_host_close (RW_SESSION_HOST (data), "anyone", "wrong thread");
  return NULL;
}

static gpointer
add_status_from_another_thread (gpointer data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  rw_session_host_add_status (RW_SESSION_HOST (data), builder, RW_STATUS_FULL);
  json_builder_end_object (builder);
  return NULL;
}

typedef struct
{
  const gchar *name;
  GThreadFunc func;
  const gchar *stderr_pattern;
} ContractCase;

static const ContractCase contract_cases[] = {
  {"open", open_from_another_thread,
      "*rw_sink_open_async*threading contract*"},
  {"add-candidate", add_candidate_from_another_thread,
      "*rw_sink_add_candidate*threading contract*"},
  {"close", close_from_another_thread, "*rw_sink_close*threading contract*"},
  {"add-status", add_status_from_another_thread,
      "*rw_sink_add_status*threading contract*"},
};

/* A call from a thread that does not run the sink's context fails the
 * process in rw_assert_context (), naming the function. */
static void
test_threading_contract (gconstpointer data)
{
  const ContractCase *c = data;

#ifdef G_DISABLE_ASSERT
  g_test_skip ("built with G_DISABLE_ASSERT: no threading contract checks");
  return;
#endif

  if (g_test_subprocess ()) {
    GstElement *sink = gst_object_ref_sink (g_object_new (RW_TYPE_SINK,
            NULL));

    /* main () made this thread the default context's owner */
    g_assert_cmpint (gst_element_set_state (sink, GST_STATE_READY), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_thread_join (g_thread_new ("intruder", c->func, sink));
    /* not reached */
    gst_element_set_state (sink, GST_STATE_NULL);
    gst_object_unref (sink);
    return;
  }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr (c->stderr_pattern);
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_log_set_handler ("GStreamer", G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL,
      on_gstreamer_warning, NULL);

  /* the test's thread runs the sink's context (threading contract) */
  if (!g_main_context_acquire (NULL))
    g_error ("cannot own the default main context");

  g_test_add_func ("/session-host/chromium-vp8", test_chromium_vp8);
  g_test_add_func ("/session-host/chromium-audio-video",
      test_chromium_audio_video);
  g_test_add_func ("/session-host/chromium-audio-only",
      test_chromium_audio_only);
  g_test_add_func ("/session-host/aiortc-bundle", test_aiortc_bundle);
  g_test_add_func ("/session-host/playout-delay", test_playout_delay);
  g_test_add_func ("/session-host/live-input-not-synced",
      test_live_input_not_synced);
  g_test_add_func ("/session-host/refused", test_refused);
  g_test_add_func ("/session-host/offer-before-media", test_offer_before_media);
  g_test_add_func ("/session-host/no-media", test_no_media);
  g_test_add_func ("/session-host/cancelled", test_cancelled);
  g_test_add_func ("/session-host/cancelled-each-step",
      test_cancelled_each_step);
  g_test_add_func ("/session-host/cancelled-waiting", test_cancelled_waiting);
  g_test_add_func ("/session-host/stop-while-answering",
      test_stop_while_answering);
  g_test_add_func ("/session-host/stop-with-queued-operation",
      test_stop_with_queued_operation);
  g_test_add_func ("/session-host/stop-with-sessions", test_stop_with_sessions);
  g_test_add_func ("/session-host/add-candidate", test_add_candidate);
  g_test_add_func ("/session-host/handshake-timeout", test_handshake_timeout);
  for (guint i = 0; i < G_N_ELEMENTS (contract_cases); i++) {
    g_autofree gchar *path =
        g_strdup_printf ("/session-host/threading-contract/%s",
        contract_cases[i].name);

    g_test_add_data_func (path, &contract_cases[i], test_threading_contract);
  }
  return g_test_run ();
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The audio sources: the test tone and the silence give 48 kHz Opus in
 * 20 ms frames at the configured bitrate, one loud and one silent once
 * decoded; a bin started in a running pipeline timestamps in its running
 * time; a missing microphone fails at once with an ERROR; configured
 * descriptions must give Opus. Every wait is bounded. */

#include <gst/gst.h>
#include <string.h>

#include "rw-config.h"
#include "rw-error.h"
#include "rw-source.h"

#define WAIT_US (3 * G_USEC_PER_SEC)
#define FRAME (20 * GST_MSECOND)
/* half a second of frames */
#define FRAMES 25

typedef struct
{
  RwStreamConfig stream;        /* filled by hand, strings owned */
} Fixture;

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  f->stream.name = g_strdup ("front");
  f->stream.audio = RW_AUDIO_TEST;
  f->stream.audio_bitrate = RW_CONFIG_DEFAULT_AUDIO_BITRATE;
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_free (f->stream.name);
  g_free (f->stream.audio_device);
  g_free (f->stream.audio_pipeline);
  g_free (f->stream.audio_pipeline_name);
}

/* --- running a bin --- */

/* What went through a bin's src pad, and what came out of opusdec. */
typedef struct
{
  GMutex lock;
  guint frames;                 /* Opus buffers */
  guint64 bytes;
  guint odd_durations;          /* frames after the first not 20 ms long */
  guint gaps;                   /* frames not following the previous one */
  GstClockTime first_pts;
  GstClockTime end;             /* of the last frame */
  gint64 first_at;              /* monotonic time of the first frame */
  guint decoded;                /* buffers out of opusdec */
  gint peak;                    /* largest |sample| decoded */
} Stats;

static void
stats_clear (Stats * stats)
{
  g_mutex_clear (&stats->lock);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Stats, stats_clear);

static GstPadProbeReturn
count_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Stats *stats = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  GstClockTime duration = GST_BUFFER_DURATION (buffer);
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&stats->lock);

  if (stats->frames++ == 0) {
    stats->first_pts = pts;
    stats->first_at = g_get_monotonic_time ();
  } else if (!GST_CLOCK_TIME_IS_VALID (pts) ||
      GST_CLOCK_DIFF (stats->end, pts) > GST_MSECOND ||
      GST_CLOCK_DIFF (pts, stats->end) > GST_MSECOND) {
    stats->gaps++;
  }
  /* the first frame lacks the encoder's lookahead (6.5 ms), clipped */
  if (stats->frames > 1 && duration != FRAME)
    stats->odd_durations++;
  stats->bytes += gst_buffer_get_size (buffer);
  stats->end = pts + duration;
  return GST_PAD_PROBE_OK;
}

/* opusdec gives S16LE */
static GstPadProbeReturn
measure_peak (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Stats *stats = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&stats->lock);
  GstMapInfo map;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  for (gsize i = 0; i + 1 < map.size; i += 2) {
    gint16 sample = GINT16_FROM_LE (*(gint16 *) (map.data + i));

    stats->peak = MAX (stats->peak, ABS ((gint) sample));
  }
  gst_buffer_unmap (buffer, &map);
  stats->decoded++;
  return GST_PAD_PROBE_OK;
}

static gboolean
stats_done (Stats * stats)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&stats->lock);

  return stats->frames >= FRAMES && stats->decoded >= FRAMES;
}

/* Pops the bus until @stats has FRAMES frames in and out, or WAIT_US
 * passed; an ERROR fails the test. */
static void
wait_for_frames (GstElement * pipeline, Stats * stats)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  while (!stats_done (stats) && g_get_monotonic_time () < deadline) {
    g_autoptr (GstMessage) msg = gst_bus_timed_pop_filtered (bus,
        10 * GST_MSECOND, GST_MESSAGE_ERROR);
    g_autoptr (GError) error = NULL;

    if (msg) {
      gst_message_parse_error (msg, &error, NULL);
      g_error ("%s: %s", GST_MESSAGE_SRC_NAME (msg), error->message);
    }
  }
  g_assert_true (stats_done (stats));
}

/* Adds @bin ! opusdec ! fakesink to @pipeline, with @stats (zeroed)
 * counting. */
static void
add_decoded (GstElement * pipeline, GstElement * bin, Stats * stats)
{
  GstElement *decoder = gst_element_factory_make ("opusdec", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstPad) decoded = NULL;

  g_assert_nonnull (decoder);
  g_mutex_init (&stats->lock);
  /* a sink that does not preroll can join a playing pipeline without
   * taking it back to PAUSED */
  g_object_set (sink, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), bin, decoder, sink, NULL);
  g_assert_true (gst_element_link_many (bin, decoder, sink, NULL));
  src = gst_element_get_static_pad (bin, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, count_frame, stats, NULL);
  decoded = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (decoded, GST_PAD_PROBE_TYPE_BUFFER, measure_peak, stats,
      NULL);
}

static GstCaps *
output_caps (GstElement * bin)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (bin, "src");

  return gst_pad_get_current_caps (src);
}

static guint
bitrate (Stats * stats)
{
  return gst_util_uint64_scale (stats->bytes * 8, GST_SECOND,
      stats->end - stats->first_pts);
}

/* Plays @bin ! opusdec ! fakesink for FRAMES frames; @caps gets the
 * bin's output caps. */
static void
play (GstElement * bin, Stats * stats, GstCaps ** caps)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  gint64 start;

  gst_object_ref (bin);
  add_decoded (pipeline, bin, stats);
  start = g_get_monotonic_time ();
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  wait_for_frames (pipeline, stats);
  *caps = output_caps (bin);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  gst_object_unref (bin);

  g_test_message ("first frame after %.1f ms, %u frames, %.1f kbit/s, "
      "peak %d", (stats->first_at - start) / 1000.0, stats->frames,
      bitrate (stats) / 1000.0, stats->peak);
}

/* 48 kHz mono Opus in 20 ms frames, none missing. */
static void
assert_opus (GstCaps * caps, Stats * stats)
{
  GstStructure *s;
  gint rate = 0, channels = 0;

  g_assert_nonnull (caps);
  s = gst_caps_get_structure (caps, 0);
  g_assert_cmpstr (gst_structure_get_name (s), ==, "audio/x-opus");
  g_assert_true (gst_structure_get_int (s, "rate", &rate));
  g_assert_cmpint (rate, ==, 48000);
  g_assert_true (gst_structure_get_int (s, "channels", &channels));
  g_assert_cmpint (channels, ==, 1);
  g_assert_cmpuint (stats->odd_durations, ==, 0);
  g_assert_cmpuint (stats->gaps, ==, 0);
}

static GstElement *
make_audio_bin (const RwStreamConfig * stream)
{
  g_autoptr (GError) error = NULL;
  GstElement *bin = rw_source_make_audio_bin (stream, &error);

  g_assert_no_error (error);
  g_assert_nonnull (bin);
  g_assert_true (g_object_is_floating (bin));
  return bin;
}

/* --- the test tone and the silence --- */

static void
test_tone (Fixture * f, gconstpointer data)
{
  GstElement *bin = make_audio_bin (&f->stream);
  g_autoptr (GstElement) encoder = gst_bin_get_by_name (GST_BIN (bin),
      "encoder");
  g_autoptr (GstCaps) caps = NULL;
  g_auto (Stats) stats = { 0, };

  g_assert_nonnull (encoder);
  play (bin, &stats, &caps);
  assert_opus (caps, &stats);
  /* the sine at volume 0.3 is -10.5 dBFS; anything above -20 dBFS */
  g_assert_cmpint (stats.peak, >, 3277);
  g_assert_cmpuint (bitrate (&stats), >, f->stream.audio_bitrate / 2);
  g_assert_cmpuint (bitrate (&stats), <, f->stream.audio_bitrate * 3 / 2);
}

/* The caps apart from the stream header (whose comment holds the source's
 * tags). */
static GstCaps *
without_header (GstCaps * caps)
{
  GstCaps *copy = gst_caps_copy (caps);

  gst_structure_remove_field (gst_caps_get_structure (copy, 0), "streamheader");
  return copy;
}

static void
test_silence (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  GstElement *bin = rw_source_make_silence (&f->stream, &error);
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstCaps) tone_caps = NULL;
  g_autoptr (GstCaps) a = NULL;
  g_autoptr (GstCaps) b = NULL;
  g_auto (Stats) stats = { 0, };
  g_auto (Stats) tone = { 0, };

  g_assert_no_error (error);
  play (bin, &stats, &caps);
  assert_opus (caps, &stats);
  /* digital silence decodes to (near) zero: below -60 dBFS */
  g_assert_cmpint (stats.peak, <, 33);
  /* constrained VBR: silence costs little of the bitrate */
  g_assert_cmpuint (bitrate (&stats), <, f->stream.audio_bitrate / 4);

  /* it can stand in for the tone without new caps downstream */
  play (make_audio_bin (&f->stream), &tone, &tone_caps);
  a = without_header (caps);
  b = without_header (tone_caps);
  g_assert_true (gst_caps_is_equal (a, b));
}

/* A bin started in a pipeline that has run for a while (the tone taking
 * over from the silence) timestamps in the pipeline's running time, not
 * from zero. */
static void
test_running_time (Fixture * f, gconstpointer data)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *silence = rw_source_make_silence (&f->stream, NULL);
  GstElement *tone = make_audio_bin (&f->stream);
  g_auto (Stats) before = { 0, };
  g_auto (Stats) after = { 0, };
  GstClockTime now;
  GstClock *clock;

  add_decoded (pipeline, silence, &before);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  wait_for_frames (pipeline, &before);

  add_decoded (pipeline, tone, &after);
  clock = gst_element_get_clock (pipeline);
  now = gst_clock_get_time (clock) - gst_element_get_base_time (pipeline);
  gst_object_unref (clock);
  g_assert_true (gst_bin_sync_children_states (GST_BIN (pipeline)));
  wait_for_frames (pipeline, &after);

  g_test_message ("started at running time %" GST_TIME_FORMAT
      ", first frame at %" GST_TIME_FORMAT, GST_TIME_ARGS (now),
      GST_TIME_ARGS (after.first_pts));
  g_assert_cmpuint (now, >=, (FRAMES - 1) * FRAME);
  g_assert_cmpint (ABS (GST_CLOCK_DIFF (now, after.first_pts)), <,
      200 * GST_MSECOND);
  g_assert_cmpuint (after.gaps, ==, 0);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* --- microphones that are not there --- */

/* The bin from @stream, or NULL when this machine lacks its element. */
static GstElement *
make_or_skip (const RwStreamConfig * stream)
{
  g_autoptr (GError) error = NULL;
  GstElement *bin = rw_source_make_audio_bin (stream, &error);

  if (bin == NULL) {
    g_assert_error (error, RW_ERROR, RW_ERROR_PIPELINE);
    g_assert_true (g_str_has_prefix (error->message, "missing GStreamer"));
    g_test_skip (error->message);
  }
  return bin;
}

/* @bin ! fakesink fails to start, at once, with an ERROR; returns its
 * message and debug text. */
static gchar *
fail_to_start (GstElement * bin)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;
  gint64 start = g_get_monotonic_time ();

  gst_bin_add_many (GST_BIN (pipeline), bin, sink, NULL);
  g_assert_true (gst_element_link (bin, sink));
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), ==,
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_US * GST_USECOND,
      GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (g_get_monotonic_time () - start, <, WAIT_US);
  gst_message_parse_error (msg, &error, &debug);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  g_test_message ("%s (%s)", error->message, debug);
  return g_strdup_printf ("%s\n%s", error->message, debug ? debug : "");
}

static void
test_alsa_missing (Fixture * f, gconstpointer data)
{
  g_autofree gchar *text = NULL;
  GstElement *bin;

  f->stream.audio = RW_AUDIO_ALSA;
  f->stream.audio_device = g_strdup ("hw:9,0");
  bin = make_or_skip (&f->stream);
  if (bin == NULL)
    return;
  text = fail_to_start (bin);
  g_assert_nonnull (strstr (text, "hw:9,0"));
}

/* main() points PULSE_SERVER at nothing: no server at all, whatever
 * runs on this machine. */
static void
test_pulse_missing (Fixture * f, gconstpointer data)
{
  g_autofree gchar *text = NULL;
  GstElement *bin;

  f->stream.audio = RW_AUDIO_PULSE;
  f->stream.audio_device = g_strdup ("robot-mic");
  bin = make_or_skip (&f->stream);
  if (bin == NULL)
    return;
  text = fail_to_start (bin);
  g_assert_cmpstr (text, !=, "");
}

/* What a microphone's bin is made of, checked without one: it never
 * provides the pipeline's clock, captures in 10 ms periods, and opens the
 * configured device. */
static void
assert_capture (GstElement * bin, const gchar * device)
{
  g_autoptr (GstElement) mic = gst_bin_get_by_name (GST_BIN (bin), "mic");
  g_autoptr (GstElement) encoder = gst_bin_get_by_name (GST_BIN (bin),
      "encoder");
  g_autofree gchar *opened = NULL;
  gboolean provide_clock = TRUE;
  gint64 latency_time = 0;
  gint bitrate = 0;

  g_assert_nonnull (mic);
  g_object_get (mic, "provide-clock", &provide_clock, "latency-time",
      &latency_time, "device", &opened, NULL);
  g_assert_false (provide_clock);
  g_assert_false (GST_OBJECT_FLAG_IS_SET (mic, GST_ELEMENT_FLAG_PROVIDE_CLOCK));
  g_assert_cmpint (latency_time, ==, 10000);
  g_assert_cmpstr (opened, ==, device);
  g_object_get (encoder, "bitrate", &bitrate, NULL);
  g_assert_cmpint (bitrate, ==, 48000);
}

static void
test_capture_settings (Fixture * f, gconstpointer data)
{
  GstElement *bin;

  f->stream.audio_bitrate = 48000;
  f->stream.audio = RW_AUDIO_ALSA;
  bin = make_or_skip (&f->stream);
  if (bin == NULL)
    return;
  assert_capture (bin, "default");
  gst_object_unref (gst_object_ref_sink (bin));

  f->stream.audio_device = g_strdup ("plughw:CARD=Mic,DEV=0");
  bin = make_or_skip (&f->stream);
  assert_capture (bin, "plughw:CARD=Mic,DEV=0");
  gst_object_unref (gst_object_ref_sink (bin));

  f->stream.audio = RW_AUDIO_PULSE;
  bin = make_or_skip (&f->stream);
  if (bin == NULL)
    return;
  assert_capture (bin, "plughw:CARD=Mic,DEV=0");
  gst_object_unref (gst_object_ref_sink (bin));
}

/* --- configured descriptions and bad settings --- */

static void
test_pipeline (Fixture * f, gconstpointer data)
{
  g_autoptr (GstCaps) caps = NULL;
  g_auto (Stats) stats = { 0, };
  GstCaps *header_free;

  f->stream.audio = RW_AUDIO_PIPELINE;
  f->stream.audio_pipeline = g_strdup ("audiotestsrc is-live=true ! opusenc");
  play (make_audio_bin (&f->stream), &stats, &caps);
  header_free = without_header (caps);
  g_assert_true (gst_structure_has_name (gst_caps_get_structure (header_free,
              0), "audio/x-opus"));
  gst_caps_unref (header_free);
}

static void
assert_bad_pipeline (Fixture * f, const gchar * description, gint code,
    const gchar * message)
{
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&f->stream.audio_pipeline, g_free);
  f->stream.audio_pipeline = g_strdup (description);
  g_assert_null (rw_source_make_audio_bin (&f->stream, &error));
  g_assert_error (error, RW_ERROR, code);
  g_assert_nonnull (strstr (error->message, message));
}

static void
test_bad_pipeline (Fixture * f, gconstpointer data)
{
  f->stream.audio = RW_AUDIO_PIPELINE;
  assert_bad_pipeline (f, "audiotestsrc is-live=true ! nosuchencoder",
      RW_ERROR_PIPELINE, "nosuchencoder");
  assert_bad_pipeline (f, "audiotestsrc ! ! opusenc", RW_ERROR_PIPELINE,
      "does not parse");
  assert_bad_pipeline (f, "audiotestsrc is-live=true ! audioconvert",
      RW_ERROR_PIPELINE, "must end in Opus");
  assert_bad_pipeline (f, NULL, RW_ERROR_INVALID_ARGUMENT, "no audio");
}

static void
test_bad_settings (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->stream.audio = RW_AUDIO_NONE;
  g_assert_null (rw_source_make_audio_bin (&f->stream, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  f->stream.audio = RW_AUDIO_TEST;
  f->stream.audio_bitrate = 0;
  g_assert_null (rw_source_make_audio_bin (&f->stream, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (rw_source_make_silence (&f->stream, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
}

static void
assert_name (Fixture * f, RwAudioSource audio, const gchar * device,
    const gchar * expected)
{
  g_autofree gchar *name = NULL;

  f->stream.audio = audio;
  g_clear_pointer (&f->stream.audio_device, g_free);
  f->stream.audio_device = g_strdup (device);
  name = rw_source_audio_name (&f->stream);
  g_assert_cmpstr (name, ==, expected);
}

static void
test_names (Fixture * f, gconstpointer data)
{
  assert_name (f, RW_AUDIO_ALSA, "hw:1,0", "ALSA hw:1,0");
  assert_name (f, RW_AUDIO_ALSA, NULL, "ALSA default");
  assert_name (f, RW_AUDIO_PULSE, NULL, "PulseAudio default source");
  assert_name (f, RW_AUDIO_PULSE, "alsa_input.usb-mic", "PulseAudio "
      "alsa_input.usb-mic");
  assert_name (f, RW_AUDIO_TEST, NULL, "test tone");
  assert_name (f, RW_AUDIO_NONE, NULL, "no audio");
  assert_name (f, RW_AUDIO_PIPELINE, NULL, "inline");
  f->stream.audio_pipeline_name = g_strdup ("/etc/robot/mic.pipeline");
  assert_name (f, RW_AUDIO_PIPELINE, NULL, "/etc/robot/mic.pipeline");
}

int
main (int argc, char *argv[])
{
  /* before any thread: no test may reach a desktop's sound server */
  g_setenv ("PULSE_SERVER", "unix:/nonexistent/robot-webrtc-test/native", TRUE);
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/audio/tone", test_tone);
  ADD ("/audio/silence", test_silence);
  ADD ("/audio/running-time", test_running_time);
  ADD ("/audio/alsa-missing", test_alsa_missing);
  ADD ("/audio/pulse-missing", test_pulse_missing);
  ADD ("/audio/capture-settings", test_capture_settings);
  ADD ("/audio/pipeline", test_pipeline);
  ADD ("/audio/bad-pipeline", test_bad_pipeline);
  ADD ("/audio/bad-settings", test_bad_settings);
  ADD ("/audio/names", test_names);
#undef ADD

  return g_test_run ();
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-source
 * @title: Sources
 * @short_description: the camera or test pattern and the one encoder
 *
 * Builds the bin whose "src" pad gives the encoded video every viewer
 * shares: a V4L2 camera (raw or MJPEG) or a moving test pattern with a
 * running clock, scaled to the configured size and rate, and one encoder
 * tuned for real-time use on a small computer.
 *
 * A stream's optional sound is built the same way: a microphone (ALSA or
 * PulseAudio), a test tone or a configured description, encoded once to
 * Opus for every viewer, and a silent bin with the same caps to stand in
 * while the microphone is missing.
 */

#include "rw-source.h"
#include "rw-error.h"
#include "rw-pipeline.h"

GST_DEBUG_CATEGORY_STATIC (rw_source_debug);
#define GST_CAT_DEFAULT rw_source_debug

static void
init_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rw_source_debug, "rw-source", 0,
        "robot-webrtc sources");
    g_once_init_leave (&once, 1);
  }
}

/**
 * rw_source_kind_to_string:
 * @kind: a source kind
 *
 * Returns: (transfer none): "camera", "test-pattern" or "pipeline".
 */
const gchar *
rw_source_kind_to_string (RwSourceKind kind)
{
  switch (kind) {
    case RW_SOURCE_CAMERA:
      return "camera";
    case RW_SOURCE_TEST_PATTERN:
      return "test-pattern";
    case RW_SOURCE_PIPELINE:
      return "pipeline";
  }
  return "unknown";
}

static gchar *
error_from_bus (GstElement * element)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (element);
  g_autoptr (GstMessage) msg = NULL;
  g_autoptr (GError) error = NULL;

  if (bus)
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg == NULL)
    return g_strdup ("the device could not be opened");
  gst_message_parse_error (msg, &error, NULL);
  return g_strdup (error->message);
}

static gboolean
caps_allow (GstCaps * caps, const gchar * media, guint width, guint height)
{
  g_autoptr (GstCaps) want = gst_caps_new_simple (media, NULL, NULL);

  if (width)
    gst_caps_set_simple (want, "width", G_TYPE_INT, width, "height",
        G_TYPE_INT, height, NULL);
  return gst_caps_can_intersect (caps, want);
}

/**
 * rw_source_probe_camera:
 * @device: a V4L2 device path
 * @width: the wanted width
 * @height: the wanted height
 * @error: where to say why the camera cannot be used
 *
 * Opens the camera and picks the capture caps: MJPEG at the wanted size,
 * raw at the wanted size, then MJPEG or raw at any size (scaled later).
 *
 * Returns: (transfer full) (nullable): the capture caps as a string, or
 * %NULL with @error set.
 */
gchar *
rw_source_probe_camera (const gchar * device, guint width, guint height,
    GError ** error)
{
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstCaps) caps = NULL;
  GstElement *src;
  const gchar *choice = NULL;

  init_debug ();

  if (!g_file_test (device, G_FILE_TEST_EXISTS)) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE, "%s does not exist",
        device);
    return NULL;
  }

  src = gst_element_factory_make ("v4l2src", NULL);
  if (src == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the v4l2src element is missing (install gstreamer1.0-plugins-good)");
    return NULL;
  }
  pipeline = gst_pipeline_new ("camera-probe");
  gst_bin_add (GST_BIN (pipeline), src);
  g_object_set (src, "device", device, NULL);

  if (gst_element_set_state (pipeline, GST_STATE_READY) ==
      GST_STATE_CHANGE_FAILURE) {
    g_autofree gchar *reason = error_from_bus (pipeline);

    gst_element_set_state (pipeline, GST_STATE_NULL);
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE, "%s", reason);
    return NULL;
  }

  pad = gst_element_get_static_pad (src, "src");
  caps = gst_pad_query_caps (pad, NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  GST_INFO ("%s offers %" GST_PTR_FORMAT, device, caps);

  if (caps_allow (caps, "image/jpeg", width, height))
    return g_strdup_printf ("image/jpeg,width=%u,height=%u", width, height);
  if (caps_allow (caps, "video/x-raw", width, height))
    return g_strdup_printf ("video/x-raw,width=%u,height=%u", width, height);
  if (caps_allow (caps, "image/jpeg", 0, 0))
    choice = "image/jpeg";
  else if (caps_allow (caps, "video/x-raw", 0, 0))
    choice = "video/x-raw";

  if (choice == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "%s offers neither raw video nor MJPEG", device);
    return NULL;
  }
  return g_strdup (choice);
}

/**
 * rw_source_encoder_description:
 * @config: the settings
 *
 * The encoder part of a launch description: raw video in, the configured
 * codec out, from an element named "out". VP8 is libvpx in real-time
 * mode on one thread (two threads spin on a loaded two-core machine);
 * H264 is x264 constrained baseline with no B-frames.
 *
 * Returns: (transfer full): a launch description fragment.
 */
gchar *
rw_source_encoder_description (const RwStreamConfig * config)
{
  guint kf = config->keyframe_interval * config->framerate;

  switch (config->codec) {
    case RW_CODEC_VP8:
      return g_strdup_printf ("vp8enc name=encoder deadline=1 cpu-used=8 "
          "threads=1 lag-in-frames=0 end-usage=cbr target-bitrate=%u "
          "undershoot=95 buffer-size=1000 buffer-initial-size=500 "
          "buffer-optimal-size=600 error-resilient=default "
          "keyframe-max-dist=%u ! capsfilter name=out caps=video/x-vp8",
          config->bitrate, kf);
    case RW_CODEC_H264:
      return g_strdup_printf ("x264enc name=encoder tune=zerolatency "
          "speed-preset=ultrafast threads=1 bitrate=%u vbv-buf-capacity=500 "
          "key-int-max=%u bframes=0 ! capsfilter name=out "
          "caps=\"video/x-h264,profile=constrained-baseline,"
          "stream-format=byte-stream,alignment=au\"",
          config->bitrate / 1000, kf);
  }
  g_return_val_if_reached (NULL);
}

static gchar *
camera_description (const RwStreamConfig * config, const gchar * camera_caps)
{
  g_autofree gchar *device = rw_stream_config_camera_device (config);
  gboolean mjpeg = g_str_has_prefix (camera_caps, "image/jpeg");

  return g_strdup_printf ("v4l2src device=%s do-timestamp=true ! %s ! %s"
      "queue max-size-buffers=2 leaky=downstream ! videoconvert ! "
      "videoscale ! videorate drop-only=true ! video/x-raw,format=I420,"
      "width=%u,height=%u,framerate=%u/1,pixel-aspect-ratio=1/1",
      device, camera_caps, mjpeg ? "jpegdec ! " : "", config->width,
      config->height, config->framerate);
}

/* The pattern moves, so a viewer sees the stream is live. No clock on it:
 * timeoverlay renders its text anew every frame, 0.13 core at 1280x720 on
 * the project's machine (the message, rendered once, costs next to none),
 * which a robot without its camera would pay for hours. */
static gchar *
slate_description (const RwStreamConfig * config)
{
  return g_strdup_printf ("videotestsrc is-live=true pattern=smpte "
      "horizontal-speed=4 ! video/x-raw,format=I420,width=%u,height=%u,"
      "framerate=%u/1,pixel-aspect-ratio=1/1 ! textoverlay name=message "
      "valignment=bottom font-desc=\"Sans %u\"",
      config->width, config->height, config->framerate,
      MAX (config->height / 30, 6));
}

static GstElement *
make_encoded_bin (const RwStreamConfig * config, const gchar * source,
    GError ** error)
{
  g_autofree gchar *encoder = rw_source_encoder_description (config);
  g_autofree gchar *description = g_strdup_printf ("%s ! %s", source,
      encoder);

  init_debug ();
  GST_DEBUG ("source: %s", description);
  return rw_pipeline_parse (description, error);
}

/**
 * rw_source_make_slate:
 * @config: the settings: size, rate, codec and bitrate
 * @message: what the picture says, for example why the camera is missing
 * @error: where to say why the bin could not be built
 *
 * The test pattern shown when there is no camera or the configured source
 * is lost: a moving SMPTE pattern with @message,
 * encoded like the camera would be.
 *
 * Returns: (transfer floating) (nullable): a bin with a "src" pad giving
 * the encoded video, or %NULL with @error set.
 */
GstElement *
rw_source_make_slate (const RwStreamConfig * config, const gchar * message,
    GError ** error)
{
  g_autofree gchar *source = slate_description (config);
  g_autofree gchar *text = g_strdup_printf ("robot-webrtc: %s", message);
  GstElement *bin = make_encoded_bin (config, source, error);
  g_autoptr (GstElement) overlay = NULL;

  if (bin == NULL)
    return NULL;
  /* a property, not the description: the message is free text */
  overlay = gst_bin_get_by_name (GST_BIN (bin), "message");
  g_object_set (overlay, "text", text, NULL);
  return bin;
}

/**
 * rw_source_make_bin:
 * @config: the settings
 * @kind: camera, test pattern, or the configured pipeline
 * @camera_caps: (nullable): the capture caps from rw_source_probe_camera()
 * @error: where to say why the bin could not be built
 *
 * Returns: (transfer floating) (nullable): a bin with a "src" pad giving
 * the encoded video, or %NULL with @error set.
 */
GstElement *
rw_source_make_bin (const RwStreamConfig * config, RwSourceKind kind,
    const gchar * camera_caps, GError ** error)
{
  g_autofree gchar *device = NULL;
  g_autofree gchar *source = NULL;
  g_autofree gchar *message = NULL;

  switch (kind) {
    case RW_SOURCE_PIPELINE:
      return rw_pipeline_parse (config->pipeline, error);
    case RW_SOURCE_CAMERA:
      source = camera_description (config, camera_caps);
      return make_encoded_bin (config, source, error);
    case RW_SOURCE_TEST_PATTERN:
      device = rw_stream_config_camera_device (config);
      message = g_strdup_printf ("no camera (%s)", device);
      return rw_source_make_slate (config, message, error);
  }
  g_return_val_if_reached (NULL);
}

/* --- audio --- */

/* The bitrates libopus encodes at; opusenc's property accepts more and
 * clamps. */
#define OPUS_MIN_BITRATE 6000
#define OPUS_MAX_BITRATE 510000

/* Capture from a GstAudioBaseSrc (alsasrc, pulsesrc), named "mic" so that
 * the device, free text from the config file, is set as a property and
 * never written into a description.
 *
 * provide-clock=false: the daemon's pipeline runs on the system clock,
 * which the video, the sink's RTP clock report and every viewer share.
 * A capture element that provides its clock would become the pipeline's
 * clock (sources win the election), drift from the system clock, and be
 * lost with the microphone (a CLOCK_LOST stalls the whole pipeline,
 * video included). Not providing it, the element slaves to the pipeline
 * clock (slave-method=skew, the default): its first timestamp is the
 * running time, later ones count samples, and it skips ahead to the clock
 * when it falls a whole buffer-time behind (a card running slow).
 * GStreamer 1.22 does not correct a card that runs fast: its timestamps
 * get ahead of the clock by the card's error (tens of ppm, a fraction of
 * a second an hour).
 *
 * do-timestamp stays FALSE: the element timestamps from its sample count
 * against the clock, smoother than the arrival time of each period.
 *
 * latency-time=10000: 10 ms periods (ALSA's usual one), half an Opus
 * frame, so a frame is complete one period after its last sample.
 * buffer-time=100000: the ring holds 10 periods. Capture reads each period
 * as soon as it is filled, so the ring adds no latency in steady state;
 * it is headroom against an overrun (a click) while the reading thread
 * waits for a core the video encoder holds on a loaded two-core robot.
 * It is also how far a slow card's sound falls behind before the skew
 * slaving catches up: 100 ms stays within what lip sync tolerates. */
#define CAPTURE_PROPERTIES "name=mic provide-clock=false latency-time=10000 " \
    "buffer-time=100000"

/* Live test sources in 10 ms buffers, like a microphone's periods. A live
 * source's first timestamp is offset to the running time (GstBaseSrc), so
 * one started in a running pipeline goes on from the pipeline's time. The
 * tone is loud enough for a browser's audioLevel (-10.5 dBFS). */
#define TEST_TONE_SOURCE "audiotestsrc is-live=true samplesperbuffer=480 " \
    "wave=sine freq=440 volume=0.3"
#define SILENCE_SOURCE "audiotestsrc is-live=true samplesperbuffer=480 " \
    "wave=silence"

static const gchar *
audio_device (const RwStreamConfig * stream)
{
  if (stream->audio_device == NULL || stream->audio_device[0] == '\0')
    return NULL;
  return stream->audio_device;
}

/**
 * rw_source_audio_name:
 * @stream: a stream's settings
 *
 * Names the stream's sound source for logs and /status: "ALSA hw:1,0",
 * "ALSA default", "PulseAudio default source", "PulseAudio NAME", "test
 * tone", the pipeline file (or "inline"), or "no audio".
 *
 * Returns: (transfer full): the name.
 */
gchar *
rw_source_audio_name (const RwStreamConfig * stream)
{
  const gchar *device;

  g_return_val_if_fail (stream != NULL, NULL);

  device = audio_device (stream);
  switch (stream->audio) {
    case RW_AUDIO_NONE:
      return g_strdup ("no audio");
    case RW_AUDIO_ALSA:
      return g_strdup_printf ("ALSA %s", device ? device : "default");
    case RW_AUDIO_PULSE:
      if (device == NULL)
        return g_strdup ("PulseAudio default source");
      return g_strdup_printf ("PulseAudio %s", device);
    case RW_AUDIO_TEST:
      return g_strdup ("test tone");
    case RW_AUDIO_PIPELINE:
      return g_strdup (stream->audio_pipeline_name ?
          stream->audio_pipeline_name : "inline");
  }
  g_return_val_if_reached (NULL);
}

/* Raw audio of any kind in, Opus out of the element named "encoder".
 *
 * 48 kHz, the rate WebRTC's Opus runs at, so nothing resamples again.
 * Mono: a robot's microphone is one capsule, or a pair too close for
 * useful stereo, and at one bitrate mono spends every bit on one channel. Browsers play mono
 * Opus on both speakers; the SDP says opus/48000/2 either way (RFC 7587),
 * and rtpopuspay signals sprop-stereo=0.
 *
 * 20 ms frames, WebRTC's usual ptime. Constrained VBR (opusenc's default):
 * like CBR, the rate does not burst above the target, but silence and
 * quiet rooms cost about 1 kbit/s instead of the whole bitrate, for every
 * viewer. No in-band FEC (it takes bits from the
 * audio and helps only with a packet-loss-percentage we do not know) and
 * no DTX (constrained VBR already makes silence cheap, and an unbroken
 * stream keeps every viewer's jitter buffer simple). Complexity stays at
 * 10: it is encoded once, about 0.5 % of a core here. */
static gchar *
opus_description (const RwStreamConfig * stream)
{
  return g_strdup_printf ("audioconvert ! audioresample ! "
      "audio/x-raw,rate=48000,channels=1 ! opusenc name=encoder "
      "bitrate=%u bitrate-type=constrained-vbr frame-size=20 "
      "audio-type=generic inband-fec=false dtx=false", stream->audio_bitrate);
}

static gboolean
check_bitrate (const RwStreamConfig * stream, GError ** error)
{
  if (stream->audio_bitrate >= OPUS_MIN_BITRATE &&
      stream->audio_bitrate <= OPUS_MAX_BITRATE)
    return TRUE;
  g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
      "the audio bitrate %u is out of Opus's range (%u to %u bit/s)",
      stream->audio_bitrate, OPUS_MIN_BITRATE, OPUS_MAX_BITRATE);
  return FALSE;
}

/* @source, encoded to Opus, in a bin called @name. */
static GstElement *
make_opus_bin (const RwStreamConfig * stream, const gchar * source,
    const gchar * name, GError ** error)
{
  g_autofree gchar *encoder = NULL;
  g_autofree gchar *description = NULL;
  GstElement *bin;

  if (!check_bitrate (stream, error))
    return NULL;
  encoder = opus_description (stream);
  description = g_strdup_printf ("%s ! %s", source, encoder);
  GST_DEBUG ("audio: %s", description);
  bin = rw_pipeline_parse (description, error);
  if (bin)
    gst_object_set_name (GST_OBJECT (bin), name);
  return bin;
}

/* alsasrc or pulsesrc. A device that cannot be opened fails the bin's
 * change to READY, with the element's ERROR on the bus (alsasrc's debug
 * text names the device; pulsesrc's says why it could not connect). */
static GstElement *
make_capture_bin (const RwStreamConfig * stream, GError ** error)
{
  const gchar *device = audio_device (stream);
  g_autofree gchar *source = g_strdup_printf ("%s " CAPTURE_PROPERTIES,
      stream->audio == RW_AUDIO_ALSA ? "alsasrc" : "pulsesrc");
  g_autoptr (GstElement) mic = NULL;
  GstElement *bin;

  bin = make_opus_bin (stream, source, "audio-source", error);
  if (bin == NULL)
    return NULL;
  mic = gst_bin_get_by_name (GST_BIN (bin), "mic");
  /* alsasrc's default device is "default"; pulsesrc's is the server's
   * default source */
  if (device)
    g_object_set (mic, "device", device, NULL);
  if (stream->audio == RW_AUDIO_PULSE)
    g_object_set (mic, "client-name", "robot-webrtc", NULL);
  return bin;
}

static gboolean
gives_opus (GstElement * bin)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (bin, "src");
  g_autoptr (GstCaps) caps = gst_pad_query_caps (src, NULL);
  g_autoptr (GstCaps) opus = gst_caps_new_empty_simple ("audio/x-opus");

  return gst_caps_can_intersect (caps, opus);
}

/* The configured description, parsed like a video one. Its output is
 * checked now, so that one ending in raw audio or another codec stops the
 * daemon at start-up rather than when the sink links it. */
static GstElement *
make_pipeline_bin (const RwStreamConfig * stream, GError ** error)
{
  GstElement *bin;

  if (stream->audio_pipeline == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "no audio pipeline description");
    return NULL;
  }
  bin = rw_pipeline_parse (stream->audio_pipeline, error);
  if (bin == NULL)
    return NULL;
  if (!gives_opus (bin)) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the audio pipeline must end in Opus (audio/x-opus, e.g. opusenc)");
    gst_object_unref (gst_object_ref_sink (bin));
    return NULL;
  }
  gst_object_set_name (GST_OBJECT (bin), "audio-source");
  return bin;
}

/**
 * rw_source_make_audio_bin:
 * @stream: the stream's settings: its audio source, device and bitrate
 * @error: where to say why the bin could not be built
 *
 * The stream's sound, encoded once to Opus for every viewer: 48 kHz mono,
 * 20 ms frames, constrained VBR at the configured bitrate, from an
 * element named "encoder" (a configured description gives its own Opus).
 * The bin is live and timestamps in the pipeline's running time, and it
 * never provides the pipeline's clock.
 *
 * A microphone is opened when the bin goes to READY: a missing or busy
 * device fails that state change and posts the element's ERROR.
 *
 * Returns: (transfer floating) (nullable): a bin with a "src" pad giving
 * `audio/x-opus`, or %NULL with @error set (%RW_ERROR_INVALID_ARGUMENT for
 * a stream without audio).
 */
GstElement *
rw_source_make_audio_bin (const RwStreamConfig * stream, GError ** error)
{
  g_return_val_if_fail (stream != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  init_debug ();
  switch (stream->audio) {
    case RW_AUDIO_NONE:
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "the stream has no audio source");
      return NULL;
    case RW_AUDIO_ALSA:
    case RW_AUDIO_PULSE:
      return make_capture_bin (stream, error);
    case RW_AUDIO_TEST:
      return make_opus_bin (stream, TEST_TONE_SOURCE, "audio-source", error);
    case RW_AUDIO_PIPELINE:
      return make_pipeline_bin (stream, error);
  }
  g_return_val_if_reached (NULL);
}

/**
 * rw_source_make_silence:
 * @stream: the stream's settings: its audio bitrate
 * @error: where to say why the bin could not be built
 *
 * The audio slate: silence encoded like rw_source_make_audio_bin() encodes
 * a microphone (same caps, frames and bitrate), to stand in while the
 * microphone is missing or lost. It costs about 1 kbit/s per viewer.
 *
 * Returns: (transfer floating) (nullable): a bin with a "src" pad giving
 * `audio/x-opus`, or %NULL with @error set.
 */
GstElement *
rw_source_make_silence (const RwStreamConfig * stream, GError ** error)
{
  g_return_val_if_fail (stream != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  init_debug ();
  return make_opus_bin (stream, SILENCE_SOURCE, "audio-silence", error);
}

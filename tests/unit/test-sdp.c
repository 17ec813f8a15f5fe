/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Offer checks and codec choice against real offers (tests/fixtures/offers,
 * whose README tells where each came from). */

#include <gst/gst.h>
#include <string.h>

#include "rw-error.h"
#include "rw-sdp.h"

typedef struct
{
  const gchar *file;
  RwCodec codec;
  gint payload;                 /* -1: the offer must be refused */
  guint mline;
  const gchar *profile;
} MatchCase;

static const MatchCase match_cases[] = {
  {"chromium-156-recvonly-complete.sdp", RW_CODEC_VP8, 96, 0, NULL},
  {"chromium-156-recvonly-trickle.sdp", RW_CODEC_VP8, 96, 0, NULL},
  {"chromium-156-audio-video.sdp", RW_CODEC_VP8, 96, 0, NULL},
  {"chromium-156-recvonly-complete.sdp", RW_CODEC_H264, 108, 0,
      "constrained-baseline"},
  {"chromium-156-audio-video.sdp", RW_CODEC_H264, 108, 0,
      "constrained-baseline"},
  {"firefox-esr-153-recvonly-complete.sdp", RW_CODEC_VP8, 120, 0, NULL},
  {"firefox-esr-153-recvonly-trickle.sdp", RW_CODEC_VP8, 120, 0, NULL},
  {"firefox-esr-153-audio-video.sdp", RW_CODEC_VP8, 120, 0, NULL},
  {"firefox-esr-153-recvonly-complete.sdp", RW_CODEC_H264, -1, 0, NULL},
  {"firefox-tau-openh264-sendrecv-bundle-only.sdp", RW_CODEC_VP8, 120, 1,
      NULL},
  {"firefox-tau-openh264-sendrecv-bundle-only.sdp", RW_CODEC_H264, 126, 1,
      "constrained-baseline"},
  {"aiortc-1.4-recvonly-video.sdp", RW_CODEC_VP8, 97, 0, NULL},
  {"aiortc-1.4-audio-video.sdp", RW_CODEC_VP8, 97, 0, NULL},
  {"aiortc-1.4-recvonly-video.sdp", RW_CODEC_H264, 101, 0,
      "constrained-baseline"},
  {"safari-kvs-mac-recvonly-video.sdp", RW_CODEC_H264, 98, 0,
      "constrained-baseline"},
  {"safari-kvs-mac-recvonly-video.sdp", RW_CODEC_VP8, 100, 0, NULL},
  {"safari-tau-2025-sendrecv-h265.sdp", RW_CODEC_H264, 98, 1,
      "constrained-baseline"},
  {"safari-tau-2025-sendrecv-h265.sdp", RW_CODEC_VP8, 106, 1, NULL},
};

typedef struct
{
  const gchar *file;
  RwCodec codec;
  gint code;                    /* RwError of the refusal */
  const gchar *message_part;
} BadCase;

static const BadCase bad_cases[] = {
  {"bad/not-sdp.sdp", RW_CODEC_VP8, RW_ERROR_BAD_REQUEST, "v=0"},
  {"bad/truncated-mid-mline.sdp", RW_CODEC_VP8, RW_ERROR_BAD_REQUEST,
      "ice-ufrag"},
  {"bad/long-attribute-line.sdp", RW_CODEC_VP8, RW_ERROR_BAD_REQUEST,
      "longer than"},
  {"bad/audio-only-chromium-156.sdp", RW_CODEC_VP8, RW_ERROR_UNSUPPORTED,
      "no video"},
  {"bad/video-port0-rejected-chromium-156.sdp", RW_CODEC_VP8,
      RW_ERROR_UNSUPPORTED, "no video"},
  {"bad/video-av1-only-chromium-156.sdp", RW_CODEC_VP8, RW_ERROR_UNSUPPORTED,
      "it sends VP8"},
  {"bad/video-vp9-only-chromium-156.sdp", RW_CODEC_VP8, RW_ERROR_UNSUPPORTED,
      "it sends VP8"},
  {"bad/video-vp9-only-chromium-156.sdp", RW_CODEC_H264, RW_ERROR_UNSUPPORTED,
      "it sends H264"},
  {"bad/video-h264-pm0-only-chromium-156.sdp", RW_CODEC_H264,
      RW_ERROR_UNSUPPORTED, "packetization-mode=1"},
  {"bad/video-h264-pm0-only-chromium-156.sdp", RW_CODEC_VP8,
      RW_ERROR_UNSUPPORTED, "it sends VP8"},
};

/* rw_sdp_match_offer(): what each real offer gets from a stream with
 * (serve_audio) or without audio. */
typedef struct
{
  const gchar *file;
  RwCodec codec;
  gboolean serve_audio;
  gint video_payload;           /* -1: no video */
  gint audio_payload;           /* -1: no audio */
  guint audio_mline;
  const gchar *fmtp;            /* an audio fmtp field the caps keep */
  const gchar *refusal;         /* refused with this in the message */
} OfferCase;

static const OfferCase offer_cases[] = {
  /* video + audio from each browser; without audio of ours, video only */
  {"chromium-156-audio-video.sdp", RW_CODEC_VP8, TRUE, 96, 111, 1,
      "useinbandfec", NULL},
  {"chromium-156-audio-video.sdp", RW_CODEC_H264, TRUE, 108, 111, 1,
      "minptime", NULL},
  {"chromium-156-audio-video.sdp", RW_CODEC_VP8, FALSE, 96, -1, 0, NULL,
      NULL},
  {"firefox-esr-153-audio-video.sdp", RW_CODEC_VP8, TRUE, 120, 109, 1,
      "stereo", NULL},
  {"firefox-esr-153-audio-video.sdp", RW_CODEC_VP8, FALSE, 120, -1, 0, NULL,
      NULL},
  {"aiortc-1.4-audio-video.sdp", RW_CODEC_VP8, TRUE, 97, 96, 1, NULL, NULL},
  {"aiortc-1.4-audio-video.sdp", RW_CODEC_VP8, FALSE, 97, -1, 0, NULL, NULL},
  {"aiortc-1.4-audio-video-h264-only.sdp", RW_CODEC_H264, TRUE, 101, 96, 1,
      NULL, NULL},
  /* sendrecv audio, first or second */
  {"safari-tau-2025-sendrecv-h265.sdp", RW_CODEC_H264, TRUE, 98, 111, 0,
      "useinbandfec", NULL},
  {"safari-kvs-mac-recvonly-video.sdp", RW_CODEC_VP8, TRUE, 100, 111, 1,
      "minptime", NULL},
  /* sendonly audio is not for us */
  {"firefox-tau-openh264-sendrecv-bundle-only.sdp", RW_CODEC_VP8, TRUE, 120,
      -1, 0, NULL, NULL},
  /* video only, from a stream with audio */
  {"chromium-156-recvonly-complete.sdp", RW_CODEC_VP8, TRUE, 96, -1, 0, NULL,
      NULL},
  /* audio only */
  {"aiortc-1.4-recvonly-audio.sdp", RW_CODEC_VP8, TRUE, -1, 96, 0, NULL,
      NULL},
  {"bad/audio-only-chromium-156.sdp", RW_CODEC_H264, TRUE, -1, 111, 0,
      "useinbandfec", NULL},
  {"bad/video-port0-rejected-chromium-156.sdp", RW_CODEC_VP8, TRUE, -1, 111,
      1, "minptime", NULL},
  {"aiortc-1.4-recvonly-audio.sdp", RW_CODEC_VP8, FALSE, -1, -1, 0, NULL,
      "receives audio only, and this stream has no audio"},
  {"bad/audio-only-chromium-156.sdp", RW_CODEC_VP8, FALSE, -1, -1, 0, NULL,
      "addTransceiver('video'"},
  /* audio without Opus, and no video */
  {"bad/audio-pcm-only-aiortc-1.4.sdp", RW_CODEC_VP8, TRUE, -1, -1, 0, NULL,
      "Opus"},
  {"bad/audio-pcm-only-aiortc-1.4.sdp", RW_CODEC_VP8, FALSE, -1, -1, 0, NULL,
      "audio only"},
  /* video that is not our codec: refused, even with audio we could send */
  {"aiortc-1.4-audio-video-h264-only.sdp", RW_CODEC_VP8, TRUE, -1, -1, 0,
      NULL, "it sends VP8"},
  {"bad/video-vp9-only-chromium-156.sdp", RW_CODEC_VP8, TRUE, -1, -1, 0, NULL,
      "it sends VP8"},
  {"bad/video-h264-pm0-only-chromium-156.sdp", RW_CODEC_H264, TRUE, -1, -1, 0,
      NULL, "packetization-mode=1"},
  /* nothing usable */
  {"firefox-esr-153-recvonly-complete.sdp", RW_CODEC_H264, TRUE, -1, -1, 0,
      NULL, "it sends H264"},
};

static gchar *
load_fixture (const gchar * name)
{
  const gchar *dir = g_getenv ("RW_FIXTURES");
  g_autofree gchar *path = NULL;
  g_autoptr (GError) error = NULL;
  gchar *text = NULL;

  g_assert_nonnull (dir);
  path = g_build_filename (dir, "offers", name, NULL);
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
test_match (gconstpointer data)
{
  const MatchCase *c = data;
  g_autofree gchar *text = load_fixture (c->file);
  g_autoptr (GError) error = NULL;
  g_auto (RwCodecMatch) match = { 0 };
  GstSDPMessage *offer;
  const GstStructure *s;
  gboolean ok;

  offer = rw_sdp_parse_offer (text, &error);
  g_assert_no_error (error);
  g_assert_nonnull (offer);

  ok = rw_sdp_match_codec (offer, c->codec, &match, &error);
  gst_sdp_message_free (offer);

  if (c->payload < 0) {
    g_assert_false (ok);
    g_assert_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (error->message, rw_codec_to_string (c->codec)));
    return;
  }

  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (match.payload, ==, c->payload);
  g_assert_cmpuint (match.mline, ==, c->mline);

  s = gst_caps_get_structure (match.caps, 0);
  g_assert_true (gst_structure_has_name (s, "application/x-rtp"));
  g_assert_cmpstr (gst_structure_get_string (s, "encoding-name"), ==,
      rw_codec_to_string (c->codec));
  if (c->codec == RW_CODEC_H264) {
    g_assert_cmpstr (gst_structure_get_string (s, "packetization-mode"), ==,
        "1");
    g_assert_cmpstr (gst_structure_get_string (s, "profile"), ==, c->profile);
  }
  /* Generic NACK would ask for retransmissions we do not make. */
  g_assert_false (gst_structure_has_field (s, "rtcp-fb-nack"));
}

static void
test_bad (gconstpointer data)
{
  const BadCase *c = data;
  g_autofree gchar *text = load_fixture (c->file);
  g_autoptr (GError) error = NULL;
  g_auto (RwCodecMatch) match = { 0 };
  GstSDPMessage *offer;

  offer = rw_sdp_parse_offer (text, &error);
  if (offer) {
    g_assert_no_error (error);
    g_assert_false (rw_sdp_match_codec (offer, c->codec, &match, &error));
    g_assert_null (match.caps);
    gst_sdp_message_free (offer);
  }
  g_assert_error (error, RW_ERROR, c->code);
  if (strstr (error->message, c->message_part) == NULL)
    g_error ("'%s' does not contain '%s'", error->message, c->message_part);
}

static void
test_match_offer (gconstpointer data)
{
  const OfferCase *c = data;
  g_autofree gchar *text = load_fixture (c->file);
  g_autoptr (GError) error = NULL;
  g_auto (RwOfferMatch) match = { 0 };
  g_auto (RwCodecMatch) video = { 0 };
  GstSDPMessage *offer;
  const GstStructure *s;
  gint rate = 0;
  gboolean ok;

  offer = rw_sdp_parse_offer (text, &error);
  g_assert_no_error (error);
  ok = rw_sdp_match_offer (offer, c->codec, c->serve_audio, &match, &error);
  /* the video half is rw_sdp_match_codec()'s */
  if (match.has_video)
    g_assert_true (rw_sdp_match_codec (offer, c->codec, &video, NULL));
  gst_sdp_message_free (offer);

  if (c->refusal) {
    g_assert_false (ok);
    g_assert_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED);
    if (strstr (error->message, c->refusal) == NULL)
      g_error ("'%s' does not contain '%s'", error->message, c->refusal);
    g_assert_false (match.has_video || match.has_audio);
    g_assert_null (match.video.caps);
    g_assert_null (match.audio.caps);
    return;
  }

  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (match.has_video, ==, c->video_payload >= 0);
  g_assert_cmpint (match.has_audio, ==, c->audio_payload >= 0);
  g_assert_cmpint (match.video.caps != NULL, ==, match.has_video);
  g_assert_cmpint (match.audio.caps != NULL, ==, match.has_audio);

  if (match.has_video) {
    g_assert_cmpint (match.video.payload, ==, c->video_payload);
    g_assert_cmpint (match.video.payload, ==, video.payload);
    g_assert_cmpuint (match.video.mline, ==, video.mline);
    g_assert_true (gst_caps_is_equal (match.video.caps, video.caps));
  }
  if (!match.has_audio)
    return;

  g_assert_cmpint (match.audio.payload, ==, c->audio_payload);
  g_assert_cmpuint (match.audio.mline, ==, c->audio_mline);
  s = gst_caps_get_structure (match.audio.caps, 0);
  g_assert_true (gst_structure_has_name (s, "application/x-rtp"));
  g_assert_cmpstr (gst_structure_get_string (s, "media"), ==, "audio");
  g_assert_cmpstr (gst_structure_get_string (s, "encoding-name"), ==, "OPUS");
  g_assert_true (gst_structure_get_int (s, "clock-rate", &rate));
  g_assert_cmpint (rate, ==, 48000);
  if (c->fmtp)
    g_assert_true (gst_structure_has_field (s, c->fmtp));
  /* no audio feedback is answered (browsers offer transport-cc) */
  for (gint i = 0; i < gst_structure_n_fields (s); i++)
    g_assert_false (g_str_has_prefix (gst_structure_nth_field_name (s, i),
            "rtcp-fb-"));
}

/* Audio-only offers, one m-line each: direction, port and codec. */
static void
test_match_offer_audio_mline (void)
{
  static const struct
  {
    const gchar *mline;
    const gchar *refusal;       /* NULL: served audio, pt 111 */
  } cases[] = {
    {"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
          "a=recvonly\r\n", NULL},
    /* no direction: sendrecv; encoding names are case-insensitive */
    {"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 OPUS/48000/2\r\n",
        NULL},
    {"m=audio 9 UDP/TLS/RTP/SAVPF 0 111\r\na=rtpmap:0 PCMU/8000\r\n"
          "a=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n", NULL},
    /* a sendonly, inactive or rejected m-line receives nothing */
    {"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
          "a=sendonly\r\n", "no video m-line"},
    {"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
          "a=inactive\r\n", "no video m-line"},
    {"m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n",
        "no video m-line"},
    /* not Opus as RFC 7587 names it */
    {"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/16000/2\r\n",
        "Opus"},
    {"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/1\r\n",
        "Opus"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *text = g_strconcat ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"
        "s=-\r\nt=0 0\r\na=ice-ufrag:abcd\r\n"
        "a=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 00\r\n",
        cases[i].mline, NULL);
    g_autoptr (GError) error = NULL;
    g_auto (RwOfferMatch) match = { 0 };
    GstSDPMessage *offer = rw_sdp_parse_offer (text, &error);
    gboolean ok;

    g_test_message ("%s", cases[i].mline);
    g_assert_no_error (error);
    ok = rw_sdp_match_offer (offer, RW_CODEC_VP8, TRUE, &match, &error);
    gst_sdp_message_free (offer);
    if (cases[i].refusal) {
      g_assert_false (ok);
      g_assert_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED);
      g_assert_nonnull (strstr (error->message, cases[i].refusal));
    } else {
      g_assert_no_error (error);
      g_assert_true (ok && match.has_audio && !match.has_video);
      g_assert_cmpint (match.audio.payload, ==, 111);
    }
  }
}

static void
test_refuses_incomplete (void)
{
  static const gchar *cases[] = {
    "",
    "v=0",
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
    /* no ICE credentials */
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
        "a=fingerprint:sha-256 00\r\n",
    /* no fingerprint */
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
        "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n",
    /* not UTF-8 (GStreamer would warn on it when making caps) */
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
        "a=fingerprint:sha-256 00\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 \xff\xfe/90000\r\n",
    /* no formats */
    ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF\r\n"),
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_null (rw_sdp_parse_offer (cases[i], &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST);
  }
}

static void
test_minimal_offer (void)
{
  const gchar *text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
      "a=fingerprint:sha-256 00\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 100 101\r\na=rtpmap:100 VP8/90000\r\n"
      "a=rtpmap:101 VP8/48000\r\na=recvonly\r\n";
  g_autoptr (GError) error = NULL;
  g_auto (RwCodecMatch) match = { 0 };
  GstSDPMessage *offer = rw_sdp_parse_offer (text, &error);

  g_assert_no_error (error);
  /* session-level credentials count; a VP8 with the wrong clock does not */
  g_assert_true (rw_sdp_match_codec (offer, RW_CODEC_VP8, &match, &error));
  g_assert_cmpint (match.payload, ==, 100);
  gst_sdp_message_free (offer);
}

static void
test_sendonly_offer_refused (void)
{
  const gchar *text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
      "a=fingerprint:sha-256 00\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
      "a=sendonly\r\n";
  g_autoptr (GError) error = NULL;
  g_auto (RwCodecMatch) match = { 0 };
  GstSDPMessage *offer = rw_sdp_parse_offer (text, &error);

  g_assert_false (rw_sdp_match_codec (offer, RW_CODEC_VP8, &match, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED);
  gst_sdp_message_free (offer);
}

static void
test_candidates (void)
{
  static const gchar *loopback[] = { "127.0.0.1", NULL };
  static const gchar *lan[] = { "192.168.1.5", NULL };
  static const struct
  {
    const gchar *line;
    const gchar *const *addresses;
    gboolean valid;
    gboolean used;
  } cases[] = {
    {"candidate:1 1 udp 2122260223 10.0.0.5 54321 typ host", NULL, TRUE,
        TRUE},
    {"a=candidate:1 1 UDP 2122260223 10.0.0.5 54321 typ host", NULL, TRUE,
        TRUE},
    {"candidate:1 1 udp 2122260223 10.0.0.5 54321 typ host", lan, TRUE, TRUE},
    {"candidate:1 1 udp 2122260223 10.0.0.5 54321 typ host", loopback, TRUE,
        FALSE},
    {"candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host", loopback, TRUE,
        TRUE},
    {"candidate:1 1 udp 2122260223 ::1 54321 typ host", loopback, TRUE, TRUE},
    {"candidate:1 1 udp 2122260223 4f2b1c9e-aaaa.local 54321 typ host", NULL,
        TRUE, FALSE},
    {"candidate:1 1 tcp 2122260223 10.0.0.5 9 typ host tcptype active", NULL,
        TRUE, FALSE},
    {"candidate:1 1 udp 2122260223 robot.example 54321 typ host", NULL, TRUE,
        FALSE},
    {"candidate:1 1 udp 2122260223 10.0.0.5 65536 typ host", NULL, FALSE,
        FALSE},
    {"candidate:1 1 sctp 2122260223 10.0.0.5 5000 typ host", NULL, FALSE,
        FALSE},
    {"candidate:1 1 udp 2122260223 10.0.0.5 54321 type host", NULL, FALSE,
        FALSE},
    {"candidate: 1 udp 2122260223 10.0.0.5 54321 typ host", NULL, FALSE,
        FALSE},
    {"candidate:1 0 udp 2122260223 10.0.0.5 54321 typ host", NULL, FALSE,
        FALSE},
    {"candidate:1 1 udp", NULL, FALSE, FALSE},
    {"hello", NULL, FALSE, FALSE},
    {"", NULL, FALSE, FALSE},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    const gchar *reason = NULL;
    gboolean valid = rw_sdp_candidate_acceptable (cases[i].line,
        cases[i].addresses, FALSE, &reason, &error);

    g_test_message ("%s", cases[i].line);
    g_assert_cmpint (valid, ==, cases[i].valid);
    if (!valid) {
      g_assert_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST);
      continue;
    }
    g_assert_cmpint (reason == NULL, ==, cases[i].used);
  }

  /* with ICE-TCP, TCP candidates are used, checked like UDP ones */
  {
    const gchar *reason = NULL;

    g_assert_true (rw_sdp_candidate_acceptable ("candidate:1 1 tcp "
            "2122260223 10.0.0.5 9 typ host tcptype active", NULL, TRUE,
            &reason, NULL));
    g_assert_null (reason);
    g_assert_true (rw_sdp_candidate_acceptable ("candidate:1 1 TCP "
            "2122260223 10.0.0.5 9 typ host tcptype active", loopback, TRUE,
            &reason, NULL));
    g_assert_nonnull (reason);
    g_assert_true (rw_sdp_candidate_acceptable ("candidate:1 1 tcp "
            "2122260223 4f2b1c9e-aaaa.local 9 typ host tcptype active", NULL,
            TRUE, &reason, NULL));
    g_assert_nonnull (reason);
  }
}

static guint
count_candidates (const GstSDPMessage * msg)
{
  guint n = 0;

  for (guint m = 0; m < gst_sdp_message_medias_len (msg); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, m);

    for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
      n += g_strcmp0 (gst_sdp_media_get_attribute (media, i)->key,
          "candidate") == 0;
  }
  return n;
}

static void
test_filter_candidates (void)
{
  static const gchar *loopback[] = { "127.0.0.1", NULL };
  g_autofree gchar *firefox =
      load_fixture ("firefox-esr-153-recvonly-complete.sdp");
  g_autofree gchar *chromium =
      load_fixture ("chromium-156-recvonly-complete.sdp");
  GstSDPMessage *offer;

  /* Firefox offers UDP and TCP; TCP goes, unless we do ICE-TCP. */
  offer = rw_sdp_parse_offer (firefox, NULL);
  g_assert_cmpuint (count_candidates (offer), ==, 4);
  g_assert_cmpuint (rw_sdp_filter_candidates (offer, NULL, TRUE), ==, 0);
  g_assert_cmpuint (rw_sdp_filter_candidates (offer, NULL, FALSE), ==, 2);
  g_assert_cmpuint (count_candidates (offer), ==, 2);
  gst_sdp_message_free (offer);

  /* Restricted to loopback, Chromium's 10.213.0.1 goes too. */
  offer = rw_sdp_parse_offer (chromium, NULL);
  g_assert_cmpuint (rw_sdp_filter_candidates (offer, NULL, FALSE), ==, 0);
  g_assert_cmpuint (rw_sdp_filter_candidates (offer, loopback, FALSE), ==, 1);
  g_assert_cmpuint (count_candidates (offer), ==, 0);
  gst_sdp_message_free (offer);
}

/* A robot behind a router that forwards its media ports: each host
 * candidate also on the public address, same port and transport. */
static void
test_public_candidates (void)
{
  static const struct
  {
    const gchar *candidate, *public, *expected;
  } cases[] = {
    {"candidate:1 1 UDP 2015363327 10.1.0.2 40000 typ host", "203.0.113.7",
        "candidate:1p 1 UDP 2015363071 203.0.113.7 40000 typ host"},
    {"a=candidate:12 1 UDP 2015363327 192.168.1.20 40002 typ host "
          "generation 0", "203.0.113.7", "a=candidate:12p 1 UDP 2015363071 "
          "203.0.113.7 40002 typ host generation 0"},
    {"7 1 TCP 1015021823 10.1.0.2 9 typ host tcptype active",
        "198.51.100.1", "7p 1 TCP 1015021567 198.51.100.1 9 typ host "
          "tcptype active"},
    {"candidate:3 1 UDP 2015363327 fd00::2 40004 typ host", "2001:db8::7",
        "candidate:3p 1 UDP 2015363071 2001:db8::7 40004 typ host"},
    {"candidate:0123456789abcdef0123456789abcdef 1 UDP 100 10.1.0.2 40000 "
          "typ host", "203.0.113.7", "candidate:p123456789abcdef0123456789"
          "abcdef 1 UDP 100 203.0.113.7 40000 typ host"},
    /* not copied: other family, not host, already public, not a line */
    {"candidate:3 1 UDP 2015363327 fd00::2 40004 typ host", "203.0.113.7",
        NULL},
    {"candidate:2 1 UDP 1679819007 100.64.0.1 40000 typ srflx raddr "
          "10.1.0.2 rport 40000", "203.0.113.7", NULL},
    {"candidate:4 1 UDP 16777215 100.64.0.254 49152 typ relay raddr "
          "100.64.0.1 rport 40000", "203.0.113.7", NULL},
    {"candidate:1 1 UDP 2015363327 203.0.113.7 40000 typ host",
        "203.0.113.7", NULL},
    {"candidate:1 1 UDP 2015363327 10.1.0.2 0 typ host", "203.0.113.7",
        NULL},
    {"candidate:1 1 UDP 2015363327 robot.local 40000 typ host",
        "203.0.113.7", NULL},
    {"candidate:1 1 UDP high 10.1.0.2 40000 typ host", "203.0.113.7", NULL},
    {"candidate:1 1 UDP", "203.0.113.7", NULL},
    {"", "203.0.113.7", NULL},
    {"candidate:1 1 UDP 2015363327 10.1.0.2 40000 typ host", "router", NULL},
  };
  static const gchar *answer_text = "v=0\r\n"
      "o=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "a=group:BUNDLE video0\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
      "a=mid:video0\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n"
      "a=candidate:1 1 UDP 2015363327 10.1.0.2 40000 typ host\r\n"
      "a=candidate:2 1 UDP 2015363327 172.17.0.1 40001 typ host\r\n"
      "a=candidate:3 1 UDP 1679819007 100.64.0.1 40000 typ srflx raddr "
      "10.1.0.2 rport 40000\r\n" "a=end-of-candidates\r\n";
  GstSDPMessage *answer = NULL;
  const GstSDPMedia *media;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *copy = rw_sdp_public_candidate (cases[i].candidate,
        cases[i].public);

    g_test_message ("%s on %s", cases[i].candidate, cases[i].public);
    g_assert_cmpstr (copy, ==, cases[i].expected);
  }

  g_assert_cmpint (gst_sdp_message_new_from_text (answer_text, &answer), ==,
      GST_SDP_OK);
  g_assert_cmpuint (rw_sdp_add_public_candidates (answer, "203.0.113.7"), ==,
      2);
  media = gst_sdp_message_get_media (answer, 0);
  g_assert_cmpuint (count_candidates (answer), ==, 5);
  /* each copy right after its original; the rest untouched */
  g_assert_cmpstr (gst_sdp_media_get_attribute_val_n (media, "candidate", 0),
      ==, "1 1 UDP 2015363327 10.1.0.2 40000 typ host");
  g_assert_cmpstr (gst_sdp_media_get_attribute_val_n (media, "candidate", 1),
      ==, "1p 1 UDP 2015363071 203.0.113.7 40000 typ host");
  g_assert_cmpstr (gst_sdp_media_get_attribute_val_n (media, "candidate", 2),
      ==, "2 1 UDP 2015363327 172.17.0.1 40001 typ host");
  g_assert_cmpstr (gst_sdp_media_get_attribute_val_n (media, "candidate", 3),
      ==, "2p 1 UDP 2015363071 203.0.113.7 40001 typ host");
  g_assert_cmpstr (gst_sdp_media_get_attribute_val_n (media, "candidate", 4),
      ==, "3 1 UDP 1679819007 100.64.0.1 40000 typ srflx raddr 10.1.0.2 "
      "rport 40000");
  g_assert_nonnull (gst_sdp_media_get_attribute_val (media,
          "end-of-candidates"));
  /* an IPv6 public address copies none of them */
  g_assert_cmpuint (rw_sdp_add_public_candidates (answer, "2001:db8::7"), ==,
      0);
  gst_sdp_message_free (answer);

  /* the last attribute a candidate, as webrtcbin answers */
  answer = NULL;
  g_assert_cmpint (gst_sdp_message_new_from_text ("v=0\r\n"
          "o=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
          "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
          "a=mid:video0\r\n"
          "a=candidate:1 1 UDP 2015364095 127.0.0.1 40051 typ host\r\n",
          &answer), ==, GST_SDP_OK);
  g_assert_cmpuint (rw_sdp_add_public_candidates (answer, "203.0.113.7"), ==,
      1);
  media = gst_sdp_message_get_media (answer, 0);
  g_assert_cmpuint (gst_sdp_media_attributes_len (media), ==, 3);
  g_assert_cmpstr (gst_sdp_media_get_attribute (media, 2)->value, ==,
      "1p 1 UDP 2015363839 203.0.113.7 40051 typ host");
  gst_sdp_message_free (answer);
}

static void
assert_bundle_credentials (const GstSDPMessage * offer, const gchar * ufrag,
    const gchar * pwd)
{
  for (guint m = 0; m < gst_sdp_message_medias_len (offer); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer, m);

    g_assert_cmpstr (gst_sdp_media_get_attribute_val (media, "ice-ufrag"), ==,
        ufrag);
    g_assert_cmpstr (gst_sdp_media_get_attribute_val (media, "ice-pwd"), ==,
        pwd);
  }
}

/* A fixture with each (from, to) pair replaced, once each. */
/* *INDENT-OFF* */
static GstSDPMessage *parse_edited (const gchar * file, ...)
    G_GNUC_NULL_TERMINATED;
/* *INDENT-ON* */

static GstSDPMessage *
parse_edited (const gchar * file, ...)
{
  g_autofree gchar *text = load_fixture (file);
  g_autoptr (GError) error = NULL;
  GstSDPMessage *offer;
  va_list args;

  va_start (args, file);
  for (;;) {
    const gchar *from = va_arg (args, const gchar *);
    g_auto (GStrv) parts = NULL;

    if (from == NULL)
      break;
    parts = g_strsplit (text, from, -1);
    g_assert_cmpuint (g_strv_length (parts), ==, 2);
    g_free (text);
    text = g_strjoinv (va_arg (args, const gchar *), parts);
  }
  va_end (args);

  offer = rw_sdp_parse_offer (text, &error);
  g_assert_no_error (error);
  return offer;
}

/* The playout-delay extension's id: as offered (with or without a
 * direction), 0 when the offer has none or an id out of 1-255. */
static void
test_playout_delay_id (void)
{
  static const struct
  {
    const gchar *to;
    guint expected;
  } cases[] = {
    {"a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        5},
    {"a=extmap:200/recvonly http://www.webrtc.org/experiments/rtp-hdrext/"
          "playout-delay", 200},
    {"a=extmap:0 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        0},
    {"a=extmap:256 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        0},
    {"a=extmap:x5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        0},
    {"a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delays",
        0},
    {"a=extmap:5", 0},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GstSDPMessage) offer = parse_edited
        ("chromium-156-recvonly-complete.sdp", "a=extmap:5 http://www.webrtc."
        "org/experiments/rtp-hdrext/playout-delay", cases[i].to, NULL);
    g_auto (RwCodecMatch) match = { 0 };
    g_autoptr (GError) error = NULL;

    g_test_message ("%s", cases[i].to);
    g_assert_true (rw_sdp_match_codec (offer, RW_CODEC_VP8, &match, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (match.playout_delay_id, ==, cases[i].expected);
  }
}

static void
test_unify_bundle_credentials (void)
{
  static const gchar *unchanged[] = {
    "chromium-156-audio-video.sdp", "firefox-esr-153-audio-video.sdp",
    "safari-kvs-mac-recvonly-video.sdp",
    "firefox-tau-openh264-sendrecv-bundle-only.sdp",
    "aiortc-1.4-recvonly-video.sdp",
    "bad/video-port0-rejected-chromium-156.sdp",
  };
  g_autofree gchar *aiortc = load_fixture ("aiortc-1.4-audio-video.sdp");
  GstSDPMessage *offer;

  /* aiortc: mid 1 gets mid 0's credentials; its candidate stays */
  offer = rw_sdp_parse_offer (aiortc, NULL);
  g_assert_cmpstr (gst_sdp_media_get_attribute_val (gst_sdp_message_get_media
          (offer, 1), "ice-ufrag"), ==, "bpCY");
  g_assert_cmpuint (rw_sdp_unify_bundle_credentials (offer), ==, 1);
  assert_bundle_credentials (offer, "9nxJ", "tMXiLxkMnWQssJYQiyUeLH");
  g_assert_cmpuint (count_candidates (offer), ==, 2);
  g_assert_cmpuint (rw_sdp_unify_bundle_credentials (offer), ==, 0);
  gst_sdp_message_free (offer);

  /* browsers share them already; a lone bundled m-line has no other */
  for (guint i = 0; i < G_N_ELEMENTS (unchanged); i++) {
    g_autofree gchar *text = load_fixture (unchanged[i]);
    g_autofree gchar *before = NULL;
    g_autofree gchar *after = NULL;

    g_test_message ("%s", unchanged[i]);
    offer = rw_sdp_parse_offer (text, NULL);
    before = gst_sdp_message_as_text (offer);
    g_assert_cmpuint (rw_sdp_unify_bundle_credentials (offer), ==, 0);
    after = gst_sdp_message_as_text (offer);
    g_assert_cmpstr (before, ==, after);
    gst_sdp_message_free (offer);
  }

  /* The group's first mid is the tag, wherever its m-line is. */
  offer = parse_edited ("aiortc-1.4-audio-video.sdp", "BUNDLE 0 1",
      "BUNDLE 1 0", NULL);
  g_assert_cmpuint (rw_sdp_unify_bundle_credentials (offer), ==, 1);
  assert_bundle_credentials (offer, "bpCY", "rQQl7zsneS3rp8K4s1a2Kw");
  gst_sdp_message_free (offer);

  /* Only bundled m-lines. */
  offer = parse_edited ("aiortc-1.4-audio-video.sdp",
      "a=group:BUNDLE 0 1\r\n", "", NULL);
  g_assert_cmpuint (rw_sdp_unify_bundle_credentials (offer), ==, 0);
  gst_sdp_message_free (offer);
  offer = parse_edited ("aiortc-1.4-audio-video.sdp", "BUNDLE 0 1", "LS 0 1",
      NULL);
  g_assert_cmpuint (rw_sdp_unify_bundle_credentials (offer), ==, 0);
  gst_sdp_message_free (offer);

  /* A tag with session-level credentials: the others use them too. */
  offer = parse_edited ("aiortc-1.4-audio-video.sdp",
      "a=ice-ufrag:9nxJ\r\na=ice-pwd:tMXiLxkMnWQssJYQiyUeLH\r\n", "",
      "a=msid-semantic:WMS *\r\n", "a=msid-semantic:WMS *\r\n"
      "a=ice-ufrag:9nxJ\r\na=ice-pwd:tMXiLxkMnWQssJYQiyUeLH\r\n", NULL);
  g_assert_cmpuint (rw_sdp_unify_bundle_credentials (offer), ==, 1);
  assert_bundle_credentials (offer, NULL, NULL);
  gst_sdp_message_free (offer);
}

/* Chromium offers a=rtcp-xr:rcvr-rtt=all on each m-line: the answer says it
 * back there, once; Firefox offers none, and its answer gets none. */
static void
test_receiver_rtt (void)
{
  static const struct
  {
    const gchar *file;
    guint expected;
  } cases[] = {
    {"chromium-156-recvonly-complete.sdp", 1},
    {"chromium-156-audio-video.sdp", 2},
    {"firefox-esr-153-recvonly-complete.sdp", 0},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *text = load_fixture (cases[i].file);
    g_autoptr (GError) error = NULL;
    GstSDPMessage *offer = rw_sdp_parse_offer (text, &error);
    GstSDPMessage *answer = NULL;

    g_test_message ("%s", cases[i].file);
    g_assert_no_error (error);
    /* an answer with the offer's m-lines, as webrtcbin makes it (no XR) */
    gst_sdp_message_copy (offer, &answer);
    for (guint m = 0; m < gst_sdp_message_medias_len (answer); m++) {
      GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (answer,
          m);

      for (gint a = gst_sdp_media_attributes_len (media) - 1; a >= 0; a--) {
        if (g_str_equal (gst_sdp_media_get_attribute (media, a)->key,
                "rtcp-xr"))
          gst_sdp_media_remove_attribute (media, a);
      }
    }
    g_assert_cmpuint (rw_sdp_answer_receiver_rtt (answer, offer), ==,
        cases[i].expected);
    for (guint m = 0; m < gst_sdp_message_medias_len (answer); m++) {
      const GstSDPMedia *media = gst_sdp_message_get_media (answer, m);
      const gchar *xr = gst_sdp_media_get_attribute_val (media, "rtcp-xr");

      if (cases[i].expected > 0)
        g_assert_cmpstr (xr, ==, "rcvr-rtt=all");
      else
        g_assert_null (xr);
      g_assert_null (gst_sdp_media_get_attribute_val_n (media, "rtcp-xr", 1));
    }
    /* said once, however often it runs */
    g_assert_cmpuint (rw_sdp_answer_receiver_rtt (answer, offer), ==, 0);
    gst_sdp_message_free (answer);
    gst_sdp_message_free (offer);
  }
}

/* goog-remb where the viewer offered it, no transport-cc without its
 * header extension (webrtcbin's answer has them the other way round). */
static void
test_answer_remb (void)
{
  g_autofree gchar *text = load_fixture ("chromium-156-audio-video.sdp");
  g_autoptr (GError) error = NULL;
  GstSDPMessage *offer = rw_sdp_parse_offer (text, &error);
  GstSDPMessage *answer = NULL;
  guint added, remb_lines = 0;

  g_assert_no_error (error);
  gst_sdp_message_copy (offer, &answer);
  for (guint m = 0; m < gst_sdp_message_medias_len (answer); m++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (answer, m);

    /* as webrtcbin answers: no goog-remb, transport-cc, no extmap */
    for (gint a = gst_sdp_media_attributes_len (media) - 1; a >= 0; a--) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);

      if (g_str_equal (attr->key, "extmap") || (g_str_equal (attr->key,
                  "rtcp-fb") && strstr (attr->value, "goog-remb")))
        gst_sdp_media_remove_attribute (media, a);
    }
  }

  added = rw_sdp_answer_remb (answer, offer);
  g_assert_cmpuint (added, >, 0);
  for (guint m = 0; m < gst_sdp_message_medias_len (answer); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (answer, m);
    const gchar *value;

    for (guint i = 0; (value = gst_sdp_media_get_attribute_val_n (media,
                "rtcp-fb", i)) != NULL; i++) {
      g_assert_null (strstr (value, "transport-cc"));
      if (strstr (value, "goog-remb")) {
        g_assert_cmpstr (gst_sdp_media_get_media (media), ==, "video");
        remb_lines++;
      }
    }
  }
  g_assert_cmpuint (remb_lines, ==, added);
  /* said once, however often it runs */
  g_assert_cmpuint (rw_sdp_answer_remb (answer, offer), ==, 0);
  gst_sdp_message_free (answer);

  /* with the transport-wide-cc extension, transport-cc stays */
  gst_sdp_message_copy (offer, &answer);
  rw_sdp_answer_remb (answer, offer);
  {
    const GstSDPMedia *video = gst_sdp_message_get_media (answer, 0);
    gboolean twcc = FALSE;
    const gchar *value;

    for (guint i = 0; (value = gst_sdp_media_get_attribute_val_n (video,
                "rtcp-fb", i)) != NULL; i++)
      twcc |= strstr (value, "transport-cc") != NULL;
    g_assert_true (twcc);
  }
  gst_sdp_message_free (answer);
  gst_sdp_message_free (offer);
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (match_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/sdp/match/%s/%s",
        rw_codec_to_string (match_cases[i].codec), match_cases[i].file);

    g_test_add_data_func (path, &match_cases[i], test_match);
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/sdp/refuse/%s/%s",
        rw_codec_to_string (bad_cases[i].codec), bad_cases[i].file);

    g_test_add_data_func (path, &bad_cases[i], test_bad);
  }
  for (guint i = 0; i < G_N_ELEMENTS (offer_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/sdp/offer/%s/%s/%s",
        rw_codec_to_string (offer_cases[i].codec),
        offer_cases[i].serve_audio ? "audio" : "no-audio",
        offer_cases[i].file);

    g_test_add_data_func (path, &offer_cases[i], test_match_offer);
  }
  g_test_add_func ("/sdp/offer/audio-mline", test_match_offer_audio_mline);
  g_test_add_func ("/sdp/unify-bundle-credentials",
      test_unify_bundle_credentials);
  g_test_add_func ("/sdp/refuse/incomplete", test_refuses_incomplete);
  g_test_add_func ("/sdp/refuse/sendonly", test_sendonly_offer_refused);
  g_test_add_func ("/sdp/minimal", test_minimal_offer);
  g_test_add_func ("/sdp/candidates", test_candidates);
  g_test_add_func ("/sdp/filter-candidates", test_filter_candidates);
  g_test_add_func ("/sdp/public-candidates", test_public_candidates);
  g_test_add_func ("/sdp/receiver-rtt", test_receiver_rtt);
  g_test_add_func ("/sdp/answer-remb", test_answer_remb);
  g_test_add_func ("/sdp/playout-delay-id", test_playout_delay_id);

  return g_test_run ();
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-sdp
 * @title: Offers
 * @short_description: checks a viewer's SDP offer and picks our codec in it
 *
 * A 1.22 webrtcbin asserts on some malformed SDP, so every offer is checked
 * here first: it must parse, carry ICE credentials and a DTLS fingerprint,
 * and have a video m-line that accepts the codec our one encoder produces,
 * or, for a stream with audio, an audio m-line that accepts Opus. The
 * payload type we send is the one the viewer chose for that codec.
 */

#include "rw-sdp.h"
#include "rw-error.h"
#include "rw-playout-delay.h"

#include <gio/gio.h>
#include <string.h>

/* An offer larger than the HTTP body limit never gets here; this bounds a
 * single attribute so that nothing downstream copies megabytes of it. */
#define MAX_ATTRIBUTE_LEN 4096

void
rw_codec_match_clear (RwCodecMatch * match)
{
  gst_clear_caps (&match->caps);
}

void
rw_offer_match_clear (RwOfferMatch * match)
{
  rw_codec_match_clear (&match->video);
  rw_codec_match_clear (&match->audio);
  match->has_video = FALSE;
  match->has_audio = FALSE;
}

static const gchar *
attribute_anywhere (const GstSDPMessage * msg, const GstSDPMedia * media,
    const gchar * key)
{
  const gchar *value = gst_sdp_media_get_attribute_val (media, key);

  return value ? value : gst_sdp_message_get_attribute_val (msg, key);
}

/* Port 0 rejects an m-line, unless it is bundle-only (RFC 8843): then it
 * rides on the bundle's transport. */
static gboolean
media_is_rejected (const GstSDPMedia * media)
{
  return gst_sdp_media_get_port (media) == 0 &&
      gst_sdp_media_get_attribute_val (media, "bundle-only") == NULL;
}

static gboolean
check_media (const GstSDPMessage * msg, guint idx, GError ** error)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (msg, idx);

  if (gst_sdp_media_get_media (media) == NULL ||
      gst_sdp_media_formats_len (media) == 0) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "invalid SDP: m-line %u has no media type or no formats", idx);
    return FALSE;
  }

  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);

    if (attr->value && strlen (attr->value) > MAX_ATTRIBUTE_LEN) {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
          "invalid SDP: attribute a=%s of m-line %u is longer than %d bytes",
          attr->key, idx, MAX_ATTRIBUTE_LEN);
      return FALSE;
    }
  }

  /* A rejected m-line needs no transport. */
  if (media_is_rejected (media))
    return TRUE;

  if (attribute_anywhere (msg, media, "ice-ufrag") == NULL ||
      attribute_anywhere (msg, media, "ice-pwd") == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "invalid SDP: m-line %u has no a=ice-ufrag/a=ice-pwd", idx);
    return FALSE;
  }
  if (attribute_anywhere (msg, media, "fingerprint") == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "invalid SDP: m-line %u has no a=fingerprint (DTLS is required)", idx);
    return FALSE;
  }
  return TRUE;
}

/**
 * rw_sdp_parse_offer:
 * @text: the offer's SDP text
 * @error: where to say what is wrong with it
 *
 * Parses and checks an offer as far as webrtcbin needs it to be sound.
 *
 * Returns: (transfer full) (nullable): the offer, or %NULL with @error set.
 */
GstSDPMessage *
rw_sdp_parse_offer (const gchar * text, GError ** error)
{
  GstSDPMessage *msg = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  /* GStreamer warns on every non-UTF-8 name it is asked to put in caps */
  if (!g_utf8_validate (text, -1, NULL)) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "invalid SDP: it is not UTF-8 text");
    return NULL;
  }
  if (!g_str_has_prefix (text, "v=0") ||
      gst_sdp_message_new_from_text (text, &msg) != GST_SDP_OK) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "invalid SDP: it must start with v=0 and parse as SDP (RFC 4566)");
    goto fail;
  }

  if (gst_sdp_message_get_origin (msg)->sess_id == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "invalid SDP: no o= line");
    goto fail;
  }

  if (gst_sdp_message_medias_len (msg) == 0) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "invalid SDP: no m-line; the offer must receive video");
    goto fail;
  }

  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    if (!check_media (msg, i, error))
      goto fail;
  }
  return msg;

fail:
  if (msg)
    gst_sdp_message_free (msg);
  return NULL;
}

/* An m-line of @kind ("video", "audio") that is not rejected and not
 * sendonly or inactive: the viewer wants to receive that media from us. */
static gboolean
media_can_receive (const GstSDPMedia * media, const gchar * kind)
{
  return g_strcmp0 (gst_sdp_media_get_media (media), kind) == 0 &&
      !media_is_rejected (media) &&
      gst_sdp_media_get_attribute_val (media, "sendonly") == NULL &&
      gst_sdp_media_get_attribute_val (media, "inactive") == NULL;
}

/* How much we like a viewer's H264 variant: constrained baseline first
 * (what x264 and v4l2h264enc make here, and every browser decodes it), then
 * baseline, then the profiles that decode a constrained-baseline stream
 * too. GStreamer turns the offer's profile-level-id into a "profile" field.
 * Without packetization-mode=1 we cannot send it (no single-NAL mode). */
static gint
h264_score (const GstStructure * s)
{
  static const gchar *profiles[] = { "constrained-baseline", "baseline",
    "constrained-high", "main", "high",
  };
  const gchar *pm = gst_structure_get_string (s, "packetization-mode");
  const gchar *profile = gst_structure_get_string (s, "profile");

  if (g_strcmp0 (pm, "1") != 0)
    return -1;
  for (guint i = 0; profile && i < G_N_ELEMENTS (profiles); i++) {
    if (g_str_equal (profile, profiles[i]))
      return G_N_ELEMENTS (profiles) + 1 - i;
  }
  return 1;
}

static gint
video_score (const GstStructure * s, RwCodec codec)
{
  const gchar *name = gst_structure_get_string (s, "encoding-name");
  gint clock_rate = 0;

  if (!gst_structure_get_int (s, "clock-rate", &clock_rate) ||
      clock_rate != 90000 || name == NULL)
    return -1;

  switch (codec) {
    case RW_CODEC_VP8:
      return g_ascii_strcasecmp (name, "VP8") == 0 ? 1 : -1;
    case RW_CODEC_H264:
      return g_ascii_strcasecmp (name, "H264") == 0 ? h264_score (s) : -1;
  }
  return -1;
}

/* Opus is always opus/48000/2 in SDP (RFC 7587 §7), whatever the channels
 * sent; the fmtp (stereo, useinbandfec…) says the rest. */
static gint
opus_score (const GstStructure * s, RwCodec unused)
{
  const gchar *name = gst_structure_get_string (s, "encoding-name");
  const gchar *channels = gst_structure_get_string (s, "encoding-params");
  gint clock_rate = 0;

  if (!gst_structure_get_int (s, "clock-rate", &clock_rate) ||
      clock_rate != 48000 || name == NULL ||
      g_ascii_strcasecmp (name, "OPUS") != 0)
    return -1;
  return channels == NULL || g_str_equal (channels, "2") ? 1 : -1;
}

/* The video feedback kept in the transceiver's codec preferences: PLI and
 * FIR become keyframe requests. The answer is webrtcbin's intersection of
 * the offer with these preferences, so a field dropped here still comes
 * from the offer: generic NACK is answered when retransmissions are on
 * (webrtcbin removes it when the transceiver's do-nack is off), with the
 * offer's rtx payload type for ours (rw-viewer.c, configure_repair()). */
static gboolean
keep_video_field (GQuark field, GValue * value, gpointer user_data)
{
  const gchar *name = g_quark_to_string (field);

  if (!g_str_has_prefix (name, "rtcp-fb-"))
    return TRUE;
  return g_str_equal (name, "rtcp-fb-nack-pli") ||
      g_str_equal (name, "rtcp-fb-ccm-fir");
}

/* No audio feedback is acted on (browsers offer transport-cc for Opus);
 * the fmtp fields (minptime, useinbandfec, stereo…) stay. */
static gboolean
keep_audio_field (GQuark field, GValue * value, gpointer user_data)
{
  return !g_str_has_prefix (g_quark_to_string (field), "rtcp-fb-");
}

/* The id of the header extension @uri in @media's `a=extmap:ID[/DIR] URI`
 * lines, or 0: an id out of RFC 8285's range (1-255) counts as none. */
static guint
find_extmap (const GstSDPMedia * media, const gchar * uri)
{
  const gchar *value;

  for (guint i = 0; (value = gst_sdp_media_get_attribute_val_n (media,
              "extmap", i)) != NULL; i++) {
    g_auto (GStrv) words = g_strsplit_set (value, " \t", 3);
    g_autofree gchar *id = NULL;
    guint64 n;

    if (words[0] == NULL || g_strcmp0 (words[1], uri) != 0)
      continue;
    id = g_strndup (words[0], strcspn (words[0], "/"));
    if (g_ascii_string_to_unsigned (id, 10, 1, 255, &n, NULL))
      return (guint) n;
  }
  return 0;
}

/* What we look for in an m-line: a codec, by score, and the caps fields
 * the transceiver's codec preferences get. */
typedef struct
{
  gint (*score) (const GstStructure * s, RwCodec codec);
  RwCodec codec;
  GstStructureFilterMapFunc keep;
} Wanted;

/* Picks the payload of @media that @want scores best (>= 0; on a tie, the
 * first) into @match. */
static gboolean
match_mline (const GstSDPMedia * media, guint mline, const Wanted * want,
    RwCodecMatch * match)
{
  gint best_score = -1;
  GstStructure *s;

  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    const gchar *fmt = gst_sdp_media_get_format (media, i);
    guint64 pt;
    GstCaps *caps;
    gint score;

    if (!g_ascii_string_to_unsigned (fmt, 10, 0, 127, &pt, NULL))
      continue;
    caps = gst_sdp_media_get_caps_from_media (media, (gint) pt);
    if (caps == NULL)
      continue;
    score = want->score (gst_caps_get_structure (caps, 0), want->codec);
    if (score > best_score) {
      gst_clear_caps (&match->caps);
      match->caps = caps;
      match->payload = (gint) pt;
      match->mline = mline;
      best_score = score;
    } else {
      gst_caps_unref (caps);
    }
  }

  if (match->caps == NULL)
    return FALSE;

  s = gst_caps_get_structure (match->caps, 0);
  gst_structure_set_name (s, "application/x-rtp");
  gst_structure_filter_and_map_in_place (s, want->keep, NULL);
  match->playout_delay_id = find_extmap (media, RW_PLAYOUT_DELAY_URI);
  return TRUE;
}

static gboolean
media_has_encoding (const GstSDPMedia * media, const gchar * name)
{
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    g_autoptr (GstCaps) caps = NULL;
    const gchar *enc;
    guint64 pt;

    if (g_ascii_string_to_unsigned (gst_sdp_media_get_format (media, i), 10,
            0, 127, &pt, NULL))
      caps = gst_sdp_media_get_caps_from_media (media, (gint) pt);
    if (caps == NULL)
      continue;
    enc = gst_structure_get_string (gst_caps_get_structure (caps, 0),
        "encoding-name");
    if (enc && g_ascii_strcasecmp (enc, name) == 0)
      return TRUE;
  }
  return FALSE;
}

/* rw_sdp_match_codec(), and whether the offer has a video m-line that
 * receives at all (@any_video), our codec or not. */
static gboolean
match_video (const GstSDPMessage * offer, RwCodec codec,
    RwCodecMatch * match, gboolean * any_video, GError ** error)
{
  const Wanted want = { video_score, codec, keep_video_field };

  *any_video = FALSE;
  for (guint m = 0; m < gst_sdp_message_medias_len (offer); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer, m);

    if (!media_can_receive (media, "video"))
      continue;
    *any_video = TRUE;

    if (match_mline (media, m, &want, match))
      return TRUE;

    if (codec == RW_CODEC_H264 && media_has_encoding (media, "H264")) {
      g_set_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED,
          "the offer's H264 lacks packetization-mode=1; this server sends "
          "H264 (packetization-mode=1)");
      return FALSE;
    }
  }

  if (!*any_video) {
    g_set_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED,
        "the offer has no video m-line that can receive; add "
        "addTransceiver('video', {direction: 'recvonly'})");
    return FALSE;
  }

  g_set_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED,
      "the offer accepts no codec this server sends; it sends %s",
      codec == RW_CODEC_H264 ? "H264 (packetization-mode=1)" : "VP8");
  return FALSE;
}

/* The first audio m-line that receives and offers Opus, and whether the
 * offer has an audio m-line that receives at all (@any_audio). */
static gboolean
match_audio (const GstSDPMessage * offer, RwCodecMatch * match,
    gboolean * any_audio)
{
  const Wanted want = { opus_score, 0 /* unused */ , keep_audio_field };

  *any_audio = FALSE;
  for (guint m = 0; m < gst_sdp_message_medias_len (offer); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer, m);

    if (!media_can_receive (media, "audio"))
      continue;
    *any_audio = TRUE;
    if (match_mline (media, m, &want, match))
      return TRUE;
  }
  return FALSE;
}

/**
 * rw_sdp_match_codec:
 * @offer: a checked offer
 * @codec: the codec we send
 * @match: (out caller-allocates): the m-line, payload type and caps to answer
 * @error: where to say why the offer cannot be served
 *
 * Finds the first video m-line that can receive @codec and the payload type
 * the viewer gave it (when it offers the codec several times, the variant we
 * like best, then the first).
 *
 * Returns: %TRUE if the offer can be served.
 */
gboolean
rw_sdp_match_codec (const GstSDPMessage * offer, RwCodec codec,
    RwCodecMatch * match, GError ** error)
{
  gboolean any_video;

  g_return_val_if_fail (offer != NULL && match != NULL, FALSE);
  memset (match, 0, sizeof (*match));

  return match_video (offer, codec, match, &any_video, error);
}

/**
 * rw_sdp_match_offer:
 * @offer: a checked offer
 * @video_codec: the video codec the stream sends
 * @serve_audio: whether the stream has audio (Opus)
 * @match: (out caller-allocates): the video and audio m-lines to answer;
 *   clear it with rw_offer_match_clear()
 * @error: where to say why the offer cannot be served
 *
 * Finds what an offer asks of a stream: the video m-line as
 * rw_sdp_match_codec() finds it and, when @serve_audio, the first audio
 * m-line that can receive (recvonly or sendrecv) and offers Opus
 * (`opus/48000/2`), with the payload type the viewer gave it. An audio
 * m-line the stream cannot serve is left out of @match: webrtcbin answers
 * it inactive.
 *
 * An offer that receives video is refused when that video is not our
 * codec, even if its audio could be served: the viewer asked for a
 * picture. An offer that receives audio only is served audio only, if the
 * stream has audio.
 *
 * Returns: %TRUE if the offer can be served: @match has video, audio or
 *   both.
 */
gboolean
rw_sdp_match_offer (const GstSDPMessage * offer, RwCodec video_codec,
    gboolean serve_audio, RwOfferMatch * match, GError ** error)
{
  g_autoptr (GError) video_error = NULL;
  gboolean any_video, any_audio;

  g_return_val_if_fail (offer != NULL && match != NULL, FALSE);
  memset (match, 0, sizeof (*match));

  if (match_video (offer, video_codec, &match->video, &any_video, &video_error)) {
    match->has_video = TRUE;
    if (serve_audio)
      match->has_audio = match_audio (offer, &match->audio, &any_audio);
    return TRUE;
  }

  /* A viewer that wants video we cannot send gets the reason, not a
   * session with its audio alone that would look like a dead camera. */
  if (any_video) {
    g_propagate_error (error, g_steal_pointer (&video_error));
    return FALSE;
  }

  if (match_audio (offer, &match->audio, &any_audio) && serve_audio) {
    match->has_audio = TRUE;
    return TRUE;
  }
  rw_codec_match_clear (&match->audio);

  if (!any_audio) {
    g_propagate_error (error, g_steal_pointer (&video_error));
  } else if (!serve_audio) {
    g_set_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED,
        "the offer receives audio only, and this stream has no audio; add "
        "addTransceiver('video', {direction: 'recvonly'})");
  } else {
    g_set_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED,
        "the offer receives no video, and its audio accepts no Opus; this "
        "server sends %s video and Opus (opus/48000/2) audio",
        video_codec == RW_CODEC_H264 ? "H264" : "VP8");
  }
  return FALSE;
}

/**
 * rw_sdp_publish_match:
 * @codec: the stream's video codec
 * @audio: whether the stream's Opus audio is sent too
 * @match: (out caller-allocates): what our own offer sends; clear it with
 *   rw_offer_match_clear()
 *
 * The m-lines and payload types of an offer we make (publishing to a WHIP
 * endpoint): video first, with the payload types browsers use (VP8 96,
 * H264 constrained baseline 102 with packetization-mode=1), PLI and FIR
 * as keyframe requests, then Opus (111). webrtcbin adds NACK and its rtx
 * type when retransmissions are on.
 */
void
rw_sdp_publish_match (RwCodec codec, gboolean audio, RwOfferMatch * match)
{
  g_return_if_fail (match != NULL);
  memset (match, 0, sizeof (*match));

  match->has_video = TRUE;
  match->video.mline = 0;
  if (codec == RW_CODEC_H264) {
    match->video.payload = 102;
    match->video.caps = gst_caps_from_string ("application/x-rtp, "
        "media=video, encoding-name=H264, clock-rate=90000, payload=102, "
        "packetization-mode=(string)1, profile-level-id=(string)42e01f, "
        "level-asymmetry-allowed=(string)1, rtcp-fb-nack-pli=(boolean)true, "
        "rtcp-fb-ccm-fir=(boolean)true");
  } else {
    match->video.payload = 96;
    match->video.caps = gst_caps_from_string ("application/x-rtp, "
        "media=video, encoding-name=VP8, clock-rate=90000, payload=96, "
        "rtcp-fb-nack-pli=(boolean)true, rtcp-fb-ccm-fir=(boolean)true");
  }
  if (!audio)
    return;
  match->has_audio = TRUE;
  match->audio.mline = 1;
  match->audio.payload = 111;
  match->audio.caps = gst_caps_from_string ("application/x-rtp, "
      "media=audio, encoding-name=OPUS, clock-rate=48000, payload=111, "
      "encoding-params=(string)2, minptime=(string)10, "
      "useinbandfec=(string)1");
}

/* The mids of the offer's first a=group:BUNDLE, or %NULL. */
static GStrv
bundle_mids (const GstSDPMessage * msg)
{
  for (guint i = 0; i < gst_sdp_message_attributes_len (msg); i++) {
    const GstSDPAttribute *attr = gst_sdp_message_get_attribute (msg, i);
    g_autoptr (GStrvBuilder) builder = NULL;
    g_auto (GStrv) tokens = NULL;

    if (g_strcmp0 (attr->key, "group") != 0 || attr->value == NULL)
      continue;
    tokens = g_strsplit (attr->value, " ", -1);
    if (g_strcmp0 (tokens[0], "BUNDLE") != 0)
      continue;

    builder = g_strv_builder_new ();
    for (guint t = 1; tokens[t]; t++) {
      if (tokens[t][0] != '\0')
        g_strv_builder_add (builder, tokens[t]);
    }
    return g_strv_builder_end (builder);
  }
  return NULL;
}

/* Makes @value the only media-level a=@key of @media, or removes every
 * a=@key when @value is %NULL. Returns whether @media changed. */
static gboolean
set_media_attribute (GstSDPMedia * media, const gchar * key,
    const gchar * value)
{
  gboolean changed = FALSE, kept = FALSE;
  guint i = 0;

  while (i < gst_sdp_media_attributes_len (media)) {
    const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);

    if (g_strcmp0 (attr->key, key) != 0) {
      i++;
      continue;
    }
    if (value && !kept) {
      if (g_strcmp0 (attr->value, value) != 0) {
        GstSDPAttribute replacement = { 0 };

        /* gst_sdp_media_replace_attribute() takes its contents */
        gst_sdp_attribute_set (&replacement, key, value);
        gst_sdp_media_replace_attribute (media, i, &replacement);
        changed = TRUE;
      }
      kept = TRUE;
      i++;
      continue;
    }
    gst_sdp_media_remove_attribute (media, i);
    changed = TRUE;
  }

  if (value && !kept) {
    gst_sdp_media_add_attribute (media, key, value);
    changed = TRUE;
  }
  return changed;
}

/**
 * rw_sdp_unify_bundle_credentials:
 * @offer: a checked offer
 *
 * Gives every m-line of the offer's first BUNDLE group the ICE credentials
 * (a=ice-ufrag, a=ice-pwd) of the group's tagged m-line, the one its first
 * mid names. The candidates of those m-lines stay.
 *
 * aiortc 1.4 (Debian 12's) gathers on one ICE transport per m-line, so its
 * offers give each bundled m-line its own credentials, candidates and port.
 * That is a valid initial BUNDLE offer: RFC 8843 §7.2 and §10 (the same
 * sections in RFC 9143) have the offerer give every bundled m-line a
 * unique address and unique ICE properties, to be ready in case the
 * answerer does not bundle, and once the answerer selects the suggested
 * offerer-tagged m-line (§7.2.1: the first mid of the group; §7.3.1: the
 * answerer must select it unless it rejects it or moves it out of the
 * group) the tagged m-line's transport attributes apply to the whole group
 * (§7.1.3). webrtcbin 1.22 refuses such an offer instead ("media 1 has
 * different ice-ufrag values in bundle", validate_sdp()): its
 * _set_description_task() sets the remote credentials of each m-line in
 * turn on the one bundle transport, so the last m-line's would win.
 *
 * Rewriting them to the tagged m-line's is what the offerer itself does:
 * aiortc 1.4 (rtcpeerconnection.py, setRemoteDescription), on an answer
 * with a BUNDLE group, moves every other bundled transceiver onto the
 * transport of the group's first mid and stops the others, so only the
 * tagged m-line's ufrag, password and sockets are used. webrtcbin answers
 * every m-line it accepts inside one BUNDLE group and does not reject the
 * tagged one (it answers an m-line it cannot serve inactive), and it
 * drops the SDP candidates of the other bundled m-lines ("Unknown mline 1,
 * dropping ICE candidates from SDP": it has no ICE stream for them), so
 * the candidates can stay.
 *
 * webrtcbin compares the media-level values literally: when the tagged
 * m-line has no media-level value (it uses the session's), the other
 * m-lines lose theirs and use the session's too.
 *
 * Returns: how many m-lines were changed.
 */
guint
rw_sdp_unify_bundle_credentials (GstSDPMessage * offer)
{
  static const gchar *keys[] = { "ice-ufrag", "ice-pwd" };
  g_auto (GStrv) mids = NULL;
  gchar *values[G_N_ELEMENTS (keys)] = { NULL, };
  const GstSDPMedia *tagged = NULL;
  guint tag = 0, changed = 0;

  g_return_val_if_fail (offer != NULL, 0);

  mids = bundle_mids (offer);
  if (mids == NULL || mids[0] == NULL)
    return 0;
  for (; tag < gst_sdp_message_medias_len (offer); tag++) {
    tagged = gst_sdp_message_get_media (offer, tag);
    if (g_strcmp0 (gst_sdp_media_get_attribute_val (tagged, "mid"),
            mids[0]) == 0)
      break;
  }
  if (tag == gst_sdp_message_medias_len (offer))
    return 0;

  for (guint k = 0; k < G_N_ELEMENTS (keys); k++) {
    /* nothing to give the others */
    if (attribute_anywhere (offer, tagged, keys[k]) == NULL)
      goto done;
    values[k] = g_strdup (gst_sdp_media_get_attribute_val (tagged, keys[k]));
  }

  for (guint m = 0; m < gst_sdp_message_medias_len (offer); m++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (offer, m);
    const gchar *mid = gst_sdp_media_get_attribute_val (media, "mid");
    gboolean media_changed = FALSE;

    if (m == tag || mid == NULL || !g_strv_contains ((const gchar * const *)
            mids, mid))
      continue;
    for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
      media_changed |= set_media_attribute (media, keys[k], values[k]);
    changed += media_changed;
  }

done:
  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    g_free (values[k]);
  return changed;
}

static gboolean
all_loopback (const gchar * const *addresses)
{
  if (addresses == NULL || addresses[0] == NULL)
    return FALSE;

  for (guint i = 0; addresses[i]; i++) {
    g_autoptr (GInetAddress) addr = g_inet_address_new_from_string
        (addresses[i]);

    if (addr == NULL || !g_inet_address_get_is_loopback (addr))
      return FALSE;
  }
  return TRUE;
}

/**
 * rw_sdp_candidate_acceptable:
 * @candidate: an ICE candidate line, "candidate:…" or "a=candidate:…"
 * @ice_addresses: (nullable): the addresses ICE is restricted to
 * @ice_tcp: whether we offer TCP candidates (ICE-TCP)
 * @reason: (out) (transfer none): why the candidate is skipped, or %NULL
 *   when it should be used
 * @error: where to say why the line is not a candidate
 *
 * Checks one of a viewer's candidates. mDNS names (webrtcbin 1.22 leaks per
 * resolved name), host names, TCP unless @ice_tcp and, when ICE is
 * restricted to loopback, other addresses are skipped.
 *
 * Returns: %FALSE if @candidate does not parse.
 */
gboolean
rw_sdp_candidate_acceptable (const gchar * candidate,
    const gchar * const *ice_addresses, gboolean ice_tcp,
    const gchar ** reason, GError ** error)
{
  g_auto (GStrv) tokens = NULL;
  g_autoptr (GInetAddress) addr = NULL;
  guint64 value;

  g_return_val_if_fail (candidate != NULL && reason != NULL, FALSE);
  *reason = NULL;

  if (g_str_has_prefix (candidate, "a="))
    candidate += 2;
  if (!g_str_has_prefix (candidate, "candidate:") ||
      strlen (candidate) > MAX_ATTRIBUTE_LEN)
    goto invalid;

  tokens = g_strsplit (candidate, " ", 0);
  if (g_strv_length (tokens) < 8 || tokens[0][strlen ("candidate:")] == '\0'
      || !g_ascii_string_to_unsigned (tokens[1], 10, 1, 256, NULL, NULL)
      || !g_ascii_string_to_unsigned (tokens[3], 10, 0, G_MAXUINT32, NULL, NULL)
      || !g_ascii_string_to_unsigned (tokens[5], 10, 0, 65535, &value, NULL)
      || g_strcmp0 (tokens[6], "typ") != 0 || tokens[4][0] == '\0')
    goto invalid;

  if (g_ascii_strcasecmp (tokens[2], "udp") != 0) {
    if (g_ascii_strcasecmp (tokens[2], "tcp") != 0)
      goto invalid;
    if (!ice_tcp) {
      *reason = "TCP candidate (ICE-TCP is off)";
      return TRUE;
    }
  }

  if (g_str_has_suffix (tokens[4], ".local")) {
    *reason = "mDNS (.local) candidate";
    return TRUE;
  }

  addr = g_inet_address_new_from_string (tokens[4]);
  if (addr == NULL) {
    *reason = "the address is not an IP address";
    return TRUE;
  }

  if (all_loopback (ice_addresses) && !g_inet_address_get_is_loopback (addr))
    *reason = "ICE is restricted to loopback addresses";
  return TRUE;

invalid:
  g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
      "not an ICE candidate line: expected 'candidate:<foundation> "
      "<component> udp|tcp <priority> <address> <port> typ <type> ...'");
  return FALSE;
}

/**
 * rw_sdp_filter_candidates:
 * @offer: an offer
 * @ice_addresses: (nullable): the addresses ICE is restricted to
 * @ice_tcp: whether we offer TCP candidates (ICE-TCP)
 *
 * Removes the candidates rw_sdp_candidate_acceptable() would skip or
 * reject from a complete offer.
 *
 * Returns: how many candidates were removed.
 */
guint
rw_sdp_filter_candidates (GstSDPMessage * offer,
    const gchar * const *ice_addresses, gboolean ice_tcp)
{
  guint removed = 0;

  for (guint m = 0; m < gst_sdp_message_medias_len (offer); m++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (offer, m);
    guint i = 0;

    while (i < gst_sdp_media_attributes_len (media)) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);
      g_autofree gchar *line = NULL;
      const gchar *reason = NULL;

      if (g_strcmp0 (attr->key, "candidate") == 0) {
        line = g_strconcat ("candidate:", attr->value ? attr->value : "", NULL);
        if (!rw_sdp_candidate_acceptable (line, ice_addresses, ice_tcp,
                &reason, NULL) || reason != NULL) {
          gst_sdp_media_remove_attribute (media, i);
          removed++;
          continue;
        }
      }
      i++;
    }
  }
  return removed;
}

/* The foundation of a candidate's copy on the public address: distinct
 * from every foundation libnice makes (digits only). */
#define PUBLIC_FOUNDATION_MARK "p"
#define MAX_FOUNDATION 32

/**
 * rw_sdp_public_candidate:
 * @candidate: one of our candidates, "candidate:…" or "a=candidate:…" or
 *   without the prefix, as an SDP attribute value
 * @public_address: the address a router forwards to this robot
 *
 * A copy of a host candidate on @public_address, for a robot behind a
 * router that forwards its media ports: same component, transport and
 * port (and the rest of the line), a distinct foundation and a slightly
 * lower priority than the private one. Only host candidates of
 * @public_address's family are copied.
 *
 * Returns: (transfer full) (nullable): the copy, in the form of
 * @candidate, or %NULL when @candidate is not copied.
 */
gchar *
rw_sdp_public_candidate (const gchar * candidate, const gchar * public_address)
{
  g_autoptr (GInetAddress) public = NULL;
  g_autoptr (GInetAddress) addr = NULL;
  g_auto (GStrv) tokens = NULL;
  g_autofree gchar *foundation = NULL;
  g_autofree gchar *rest = NULL;
  const gchar *prefix = "";
  guint64 priority;

  g_return_val_if_fail (candidate != NULL, NULL);
  g_return_val_if_fail (public_address != NULL, NULL);

  public = g_inet_address_new_from_string (public_address);
  if (public == NULL)
    return NULL;
  if (g_str_has_prefix (candidate, "a=candidate:"))
    prefix = "a=candidate:";
  else if (g_str_has_prefix (candidate, "candidate:"))
    prefix = "candidate:";
  candidate += strlen (prefix);
  if (strlen (candidate) > MAX_ATTRIBUTE_LEN)
    return NULL;

  tokens = g_strsplit (candidate, " ", 9);
  if (g_strv_length (tokens) < 8 || tokens[0][0] == '\0' ||
      strlen (tokens[0]) > MAX_FOUNDATION ||
      !g_ascii_string_to_unsigned (tokens[3], 10, 0, G_MAXUINT32, &priority,
          NULL) || !g_ascii_string_to_unsigned (tokens[5], 10, 1, 65535, NULL,
          NULL) || g_strcmp0 (tokens[6], "typ") != 0 ||
      g_strcmp0 (tokens[7], "host") != 0)
    return NULL;
  addr = g_inet_address_new_from_string (tokens[4]);
  if (addr == NULL ||
      g_inet_address_get_family (addr) != g_inet_address_get_family (public)
      || g_inet_address_equal (addr, public))
    return NULL;

  /* priority = 2^24 type + 2^8 local + (256 - component): one step lower
   * local preference */
  if (priority >= 256)
    priority -= 256;
  if (strlen (tokens[0]) < MAX_FOUNDATION)
    foundation = g_strconcat (tokens[0], PUBLIC_FOUNDATION_MARK, NULL);
  else
    foundation = g_strconcat (PUBLIC_FOUNDATION_MARK, tokens[0] + 1, NULL);
  rest = tokens[8] ? g_strconcat (" ", tokens[8], NULL) : g_strdup ("");
  return g_strdup_printf ("%s%s %s %s %" G_GUINT64_FORMAT " %s %s typ host%s",
      prefix, foundation, tokens[1], tokens[2], priority, public_address,
      tokens[5], rest);
}

/**
 * rw_sdp_add_public_candidates:
 * @sdp: our answer, with its candidates
 * @public_address: the address a router forwards to this robot
 *
 * Adds, after each host candidate of @sdp, its rw_sdp_public_candidate()
 * copy.
 *
 * Returns: how many candidates were added.
 */
guint
rw_sdp_add_public_candidates (GstSDPMessage * sdp, const gchar * public_address)
{
  guint added = 0;

  g_return_val_if_fail (sdp != NULL, 0);
  g_return_val_if_fail (public_address != NULL, 0);

  for (guint m = 0; m < gst_sdp_message_medias_len (sdp); m++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (sdp, m);

    for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);
      GstSDPAttribute copy;
      gchar *value;

      if (g_strcmp0 (attr->key, "candidate") != 0 || attr->value == NULL)
        continue;
      value = rw_sdp_public_candidate (attr->value, public_address);
      if (value == NULL)
        continue;
      gst_sdp_attribute_set (&copy, "candidate", value);
      g_free (value);
      /* the array takes the attribute's strings; -1 appends (an index
       * must be below the length) */
      i++;
      gst_sdp_media_insert_attribute (media,
          i < gst_sdp_media_attributes_len (media) ? (gint) i : -1, &copy);
      added++;
    }
  }
  return added;
}

/* RFC 3611 §5.1: rcvr-rtt=<mode>[:<max-size>] among the offer's XR
 * formats; "all" lets a viewer that only receives send reference times. */
static gboolean
offers_receiver_rtt (const GstSDPMedia * media)
{
  const gchar *value;

  for (guint i = 0; (value = gst_sdp_media_get_attribute_val_n (media,
              "rtcp-xr", i)) != NULL; i++) {
    g_auto (GStrv) formats = g_strsplit_set (value, " ", -1);

    for (guint f = 0; formats[f]; f++) {
      if (g_str_equal (formats[f], "rcvr-rtt=all") ||
          g_str_has_prefix (formats[f], "rcvr-rtt=all:"))
        return TRUE;
    }
  }
  return FALSE;
}

/**
 * rw_sdp_answer_receiver_rtt:
 * @answer: our answer, before it goes out
 * @offer: the viewer's offer that @answer answers
 *
 * Adds `a=rtcp-xr:rcvr-rtt=all` to each m-line of @answer whose m-line in
 * @offer offers it (Chromium does): the viewer then sends RTCP XR
 * reference times, which rw-receiver-rtt answers, and learns the RTT.
 *
 * Returns: the number of m-lines that got the attribute
 */
guint
rw_sdp_answer_receiver_rtt (GstSDPMessage * answer, const GstSDPMessage * offer)
{
  guint added = 0;

  g_return_val_if_fail (answer != NULL, 0);
  g_return_val_if_fail (offer != NULL, 0);

  for (guint m = 0; m < gst_sdp_message_medias_len (answer) &&
      m < gst_sdp_message_medias_len (offer); m++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (answer, m);

    if (gst_sdp_media_get_port (media) == 0 &&
        gst_sdp_media_get_attribute_val (media, "bundle-only") == NULL)
      continue;
    if (gst_sdp_media_get_attribute_val (media, "rtcp-xr") != NULL ||
        !offers_receiver_rtt (gst_sdp_message_get_media (offer, m)))
      continue;
    gst_sdp_media_add_attribute (media, "rtcp-xr", "rcvr-rtt=all");
    added++;
  }
  return added;
}

/* Whether @media has a=rtcp-fb:@pt @feedback. */
static gboolean
has_feedback (const GstSDPMedia * media, const gchar * pt,
    const gchar * feedback)
{
  g_autofree gchar *wanted = g_strdup_printf ("%s %s", pt, feedback);
  const gchar *value;

  for (guint i = 0; (value = gst_sdp_media_get_attribute_val_n (media,
              "rtcp-fb", i)) != NULL; i++) {
    if (g_ascii_strcasecmp (value, wanted) == 0)
      return TRUE;
  }
  return FALSE;
}

/**
 * rw_sdp_answer_remb:
 * @answer: our answer, before it goes out
 * @offer: the viewer's offer that @answer answers
 *
 * Bandwidth estimates from the viewers: webrtcbin 1.22 never answers
 * `goog-remb`, and answers `transport-cc` without the header extension it
 * needs, so that a browser sends neither estimate. For each payload type
 * of @answer's video whose m-line in @offer offers `goog-remb`, this adds
 * `a=rtcp-fb:PT goog-remb`, and takes every `transport-cc` out of @answer
 * when it has no transport-wide-cc header extension: the viewer then sends
 * REMB (Chromium, Firefox), which rw_remb_parse() reads.
 *
 * Returns: the number of payload types that got `goog-remb`
 */
guint
rw_sdp_answer_remb (GstSDPMessage * answer, const GstSDPMessage * offer)
{
  guint added = 0;

  g_return_val_if_fail (answer != NULL, 0);
  g_return_val_if_fail (offer != NULL, 0);

  for (guint m = 0; m < gst_sdp_message_medias_len (answer) &&
      m < gst_sdp_message_medias_len (offer); m++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (answer, m);
    const GstSDPMedia *offered = gst_sdp_message_get_media (offer, m);
    gboolean twcc = FALSE;
    const gchar *value;

    for (guint i = 0; (value = gst_sdp_media_get_attribute_val_n (media,
                "extmap", i)) != NULL; i++)
      twcc |= strstr (value, "transport-wide-cc") != NULL;
    for (guint a = gst_sdp_media_attributes_len (media); a > 0 && !twcc; a--) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a - 1);

      if (g_str_equal (attr->key, "rtcp-fb") && attr->value &&
          g_str_has_suffix (attr->value, " transport-cc"))
        gst_sdp_media_remove_attribute (media, a - 1);
    }

    if (g_strcmp0 (gst_sdp_media_get_media (media), "video") != 0)
      continue;
    for (guint f = 0; f < gst_sdp_media_formats_len (media); f++) {
      const gchar *pt = gst_sdp_media_get_format (media, f);
      g_autofree gchar *line = NULL;

      if (!has_feedback (offered, pt, "goog-remb") ||
          has_feedback (media, pt, "goog-remb"))
        continue;
      line = g_strdup_printf ("%s goog-remb", pt);
      gst_sdp_media_add_attribute (media, "rtcp-fb", line);
      added++;
    }
  }
  return added;
}

/**
 * rw_sdp_get_ice_credentials:
 * @offer: a checked offer
 * @mline: an m-line index of @offer
 * @ufrag: (out) (transfer none) (nullable): the m-line's a=ice-ufrag, or
 *   the session's
 * @pwd: (out) (transfer none) (nullable): the m-line's a=ice-pwd, or the
 *   session's
 *
 * The ICE credentials an m-line of an offer uses, as webrtcbin reads
 * them: the media-level value, else the session-level one.
 *
 * Returns: %FALSE if @mline is not an m-line of @offer.
 */
gboolean
rw_sdp_get_ice_credentials (const GstSDPMessage * offer, guint mline,
    const gchar ** ufrag, const gchar ** pwd)
{
  const GstSDPMedia *media;

  g_return_val_if_fail (offer != NULL && ufrag != NULL && pwd != NULL, FALSE);

  *ufrag = *pwd = NULL;
  if (mline >= gst_sdp_message_medias_len (offer))
    return FALSE;
  media = gst_sdp_message_get_media (offer, mline);
  *ufrag = attribute_anywhere (offer, media, "ice-ufrag");
  *pwd = attribute_anywhere (offer, media, "ice-pwd");
  return TRUE;
}

static void
ice_fragment_free (RwIceFragment * fragment)
{
  g_free (fragment->mid);
  g_free (fragment->ufrag);
  g_free (fragment->pwd);
  g_ptr_array_unref (fragment->candidates);
  g_free (fragment);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwIceFragment, ice_fragment_free);

static RwIceFragment *
ice_fragment_new (void)
{
  RwIceFragment *fragment = g_new0 (RwIceFragment, 1);

  fragment->candidates = g_ptr_array_new_with_free_func (g_free);
  return fragment;
}

/* One a= line of a fragment into @section (the session level or an
 * m-section). */
static gboolean
parse_fragment_attribute (RwIceFragment * section, gboolean session_level,
    const gchar * line, guint number, GError ** error)
{
  const gchar *attribute = line + 2;
  const gchar *colon = strchr (attribute, ':');
  g_autofree gchar *key = colon ? g_strndup (attribute, colon - attribute) :
      g_strdup (attribute);
  const gchar *value = colon ? colon + 1 : NULL;
  gchar **slot = NULL;

  if (g_str_equal (key, "ice-ufrag"))
    slot = &section->ufrag;
  else if (g_str_equal (key, "ice-pwd"))
    slot = &section->pwd;
  else if (g_str_equal (key, "mid") && !session_level)
    slot = &section->mid;

  if (slot) {
    if (value == NULL || *value == '\0' || strchr (value, ' ')) {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "invalid SDP "
          "fragment: line %u: a=%s needs a value without spaces", number, key);
      return FALSE;
    }
    if (*slot) {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "invalid SDP "
          "fragment: line %u: a second a=%s in the same section", number, key);
      return FALSE;
    }
    *slot = g_strdup (value);
    return TRUE;
  }

  if (g_str_equal (key, "mid")) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "invalid SDP "
        "fragment: line %u: a=mid before any m= line", number);
    return FALSE;
  }

  if (g_str_equal (key, "candidate")) {
    const gchar *reason;

    if (!rw_sdp_candidate_acceptable (attribute, NULL, TRUE, &reason, error)) {
      g_prefix_error (error, "invalid SDP fragment: line %u: ", number);
      return FALSE;
    }
    g_ptr_array_add (section->candidates, g_strdup (attribute));
    return TRUE;
  }

  if (g_str_equal (key, "end-of-candidates"))
    section->end_of_candidates = TRUE;
  /* a=group, a=ice-options, a=ice-lite, …: nothing to do with them */
  return TRUE;
}

/* An m= line: "m=<media> <port> <proto> <fmt> ...". */
static gboolean
media_line_valid (const gchar * line)
{
  g_auto (GStrv) tokens = g_strsplit (line + 2, " ", 0);

  return g_strv_length (tokens) >= 4 && tokens[0][0] != '\0' &&
      g_ascii_string_to_unsigned (tokens[1], 10, 0, 65535, NULL, NULL) &&
      tokens[2][0] != '\0';
}

/**
 * rw_sdp_parse_ice_fragment:
 * @text: an `application/trickle-ice-sdpfrag` body (RFC 8840)
 * @error: where to say what is wrong with it
 *
 * Parses a trickle ICE SDP fragment, as WHIP and WHEP clients send them in
 * PATCH requests (RFC 9725 §4.3): optional session-level a=ice-ufrag,
 * a=ice-pwd and a=end-of-candidates, then m-sections, each an m= line with
 * its a=mid, a=ice-ufrag, a=ice-pwd, a=candidate and a=end-of-candidates
 * lines. Other attributes (a=group, a=ice-options, …) and other line
 * types are skipped. Every candidate line must parse (see
 * rw_sdp_candidate_acceptable()); lines end with CRLF or LF.
 *
 * Each m-section becomes one #RwIceFragment, with the session-level
 * credentials when it has none of its own and the session-level
 * end-of-candidates. A fragment without m= lines (candidates at the
 * session level) is one #RwIceFragment without @mid.
 *
 * Returns: (transfer full) (element-type RwIceFragment): the sections, at
 * least one; %NULL with @error set.
 */
GPtrArray *
rw_sdp_parse_ice_fragment (const gchar * text, GError ** error)
{
  g_autoptr (GPtrArray) sections = NULL;
  g_autoptr (RwIceFragment) session = NULL;
  g_auto (GStrv) lines = NULL;
  RwIceFragment *current;
  guint n_lines = 0;

  g_return_val_if_fail (text != NULL, NULL);

  if (!g_utf8_validate (text, -1, NULL)) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "invalid SDP fragment: it is not UTF-8 text");
    return NULL;
  }

  sections = g_ptr_array_new_with_free_func ((GDestroyNotify)
      ice_fragment_free);
  session = ice_fragment_new ();
  current = session;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    gchar *line = lines[i];
    gsize length = strlen (line);

    if (length > 0 && line[length - 1] == '\r')
      line[--length] = '\0';
    if (length == 0)
      continue;
    n_lines++;
    if (length > MAX_ATTRIBUTE_LEN) {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "invalid SDP "
          "fragment: line %u is longer than %d bytes", i + 1,
          MAX_ATTRIBUTE_LEN);
      return NULL;
    }
    if (length < 2 || !g_ascii_islower (line[0]) || line[1] != '=') {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "invalid SDP "
          "fragment: line %u is not an SDP line (<letter>=<value>)", i + 1);
      return NULL;
    }

    if (line[0] == 'm') {
      if (!media_line_valid (line)) {
        g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "invalid SDP "
            "fragment: line %u: an m= line is 'm=<media> <port> <proto> "
            "<fmt> ...'", i + 1);
        return NULL;
      }
      current = ice_fragment_new ();
      g_ptr_array_add (sections, current);
    } else if (line[0] == 'a') {
      if (!parse_fragment_attribute (current, current == session, line,
              i + 1, error))
        return NULL;
    }
  }

  if (n_lines == 0) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "invalid SDP fragment: it is empty");
    return NULL;
  }

  if (sections->len == 0) {
    g_ptr_array_add (sections, g_steal_pointer (&session));
    return g_steal_pointer (&sections);
  }

  if (session->candidates->len > 0) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "invalid SDP "
        "fragment: a=candidate lines before the first m= line");
    return NULL;
  }
  for (guint i = 0; i < sections->len; i++) {
    RwIceFragment *section = g_ptr_array_index (sections, i);

    if (section->ufrag == NULL)
      section->ufrag = g_strdup (session->ufrag);
    if (section->pwd == NULL)
      section->pwd = g_strdup (session->pwd);
    section->end_of_candidates |= session->end_of_candidates;
  }
  return g_steal_pointer (&sections);
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "rw-turn.h"

G_BEGIN_DECLS

/**
 * RwCodec:
 * @RW_CODEC_VP8: VP8
 * @RW_CODEC_H264: H.264, constrained baseline, packetization-mode 1
 *
 * The codec the one shared encoder produces.
 */
typedef enum
{
  RW_CODEC_VP8,
  RW_CODEC_H264,
} RwCodec;

/**
 * RwAudioSource:
 * @RW_AUDIO_NONE: no audio
 * @RW_AUDIO_ALSA: an ALSA capture device (`audio-device`, default "default")
 * @RW_AUDIO_PULSE: a PulseAudio (or PipeWire's pulse) source
 *   (`audio-device` names it; default: the server's default source)
 * @RW_AUDIO_TEST: a test tone (440 Hz sine)
 * @RW_AUDIO_PIPELINE: a launch description (`audio-pipeline`) ending in
 *   Opus
 *
 * Where a stream's sound comes from. It is encoded once to Opus.
 */
typedef enum
{
  RW_AUDIO_NONE,
  RW_AUDIO_ALSA,
  RW_AUDIO_PULSE,
  RW_AUDIO_TEST,
  RW_AUDIO_PIPELINE,
} RwAudioSource;

/* The name of the one stream of a config without [stream NAME] groups. */
#define RW_STREAM_DEFAULT_NAME "main"
#define RW_STREAM_NAME_MAX 32
#define RW_CONFIG_DEFAULT_AUDIO_BITRATE 64000
#define RW_CONFIG_DEFAULT_LOW_LAYER_BITRATE 250000

/**
 * RwStreamConfig:
 * @name: `[a-z0-9-]{1,32}`
 * @max_viewers: most viewers of this stream; 0: only the robot's limit
 *
 * One named stream: one video source and encoder, and optionally one
 * microphone encoded to Opus. The video keys are those of `[media]`, which
 * gives their defaults.
 */
typedef struct
{
  gchar *name;

  /* video */
  gint camera;
  RwCodec codec;
  guint width;
  guint height;
  guint framerate;
  guint bitrate;                /* bits per second */
  guint keyframe_interval;      /* seconds */
  gboolean rate_control;        /* the encoder follows the viewers */
  guint min_bitrate;            /* bits per second; 0: a tenth of max */
  guint max_bitrate;            /* bits per second; 0: bitrate */
  gboolean low_layer;           /* a low layer for viewers far below */
  guint low_layer_bitrate;      /* bits per second */
  gboolean scale_down;          /* the picture shrinks at low targets */
  gchar *pipeline;              /* a launch description, NULL: built in */
  gchar *pipeline_name;         /* where it came from, for /status */

  /* audio */
  RwAudioSource audio;
  gchar *audio_device;          /* ALSA device or pulse source; NULL: default */
  gchar *audio_pipeline;        /* with RW_AUDIO_PIPELINE */
  gchar *audio_pipeline_name;   /* where it came from, for /status */
  guint audio_bitrate;          /* bits per second */

  guint max_viewers;            /* 0: the robot's max-viewers only */
} RwStreamConfig;

/* Defaults of the limits. An offer with many candidates is a few
 * kilobytes; a page that joins sends an offer, a preflight and a dozen
 * trickled candidates at once. */
#define RW_CONFIG_DEFAULT_MAX_BODY (64 * 1024)
#define RW_CONFIG_DEFAULT_RATE_LIMIT 20
#define RW_CONFIG_DEFAULT_RATE_BURST 40
#define RW_CONFIG_DEFAULT_HANDSHAKE_TIMEOUT 15
#define RW_CONFIG_DEFAULT_CLOCK_SKEW 30
/* Bounds on each client connection (see #RwHttpLimits). A viewer makes a
 * handful of small requests, each in milliseconds. */
#define RW_CONFIG_DEFAULT_REQUEST_TIMEOUT 10
#define RW_CONFIG_DEFAULT_IDLE_TIMEOUT 10
#define RW_CONFIG_DEFAULT_MAX_CONNECTIONS 256
/* Video loss repair (docs/networking.md, "Lossy links"): NACK + RTX
 * measured in Chromium and Firefox (tests/browser/loss-watch.mjs); FEC
 * off, it repaired too little for what it costs. */
#define RW_CONFIG_DEFAULT_RETRANSMISSIONS TRUE
#define RW_CONFIG_DEFAULT_FEC_PERCENTAGE 0
/* a joining viewer starts with the frames since the last keyframe, when
 * they are at most this many KiB (docs/performance.md, "First frame") */
#define RW_CONFIG_DEFAULT_GOP_CACHE 0
/* Browsers show each frame as soon as it is decoded (playout-delay
 * min = max = 0, docs/performance.md, "Latency") */
#define RW_CONFIG_DEFAULT_ZERO_PLAYOUT_DELAY TRUE
/* ICE-TCP (docs/networking.md, "UDP blocked"): off, see there */
#define RW_CONFIG_DEFAULT_ICE_TCP FALSE

/**
 * RwConfig:
 *
 * Everything the daemon is told by its command line: a plain struct of
 * validated values.
 */
typedef struct
{
  /* [server] */
  guint port;
  gchar *bind_address;          /* NULL: all addresses */
  gchar **allowed_origins;      /* "*" or exact origins */
  gchar **metrics_allow;        /* GET /metrics besides loopback */
  guint max_viewers;
  gchar *tls_certificate;       /* PEM; NULL: plain HTTP */
  gchar *tls_key;               /* PEM; NULL: in tls_certificate's file */
  guint max_body;               /* bytes */
  guint rate_limit;             /* requests/s per client address; 0: off */
  guint rate_burst;             /* requests at once per client address */
  guint handshake_timeout;      /* seconds from offer to connected */
  guint request_timeout;        /* seconds to send a whole request */
  guint idle_timeout;           /* seconds a connection may be silent */
  guint max_connections;        /* HTTP connections open at once */

  /* [auth] */
  gchar *auth_secret_file;      /* NULL: open, no token needed */
  gchar *auth_audience;         /* the robot's id, `aud`; NULL: unchecked */
  guint auth_clock_skew;        /* seconds */
  guint auth_session_grace;     /* seconds a session outlives its token */

  /* [webrtc] */
  gchar *stun_server;
  gchar *turn_server;           /* turn(s):host:port[?transport=…] */
  gchar *turn_user;             /* static TURN credentials, not escaped */
  gchar *turn_password;
  gchar *turn_secret_file;      /* coturn static-auth-secret: minted ones */
  guint turn_credential_lifetime;       /* seconds, minted credentials */
  gchar *public_address;        /* announced beside host candidates */
  gchar **ice_addresses;        /* NULL: every interface */
  guint min_rtp_port;           /* 0: any */
  guint max_rtp_port;
  gboolean retransmissions;     /* NACK + RTX for video */
  guint fec_percentage;         /* ULPFEC in RED for video; 0: off */
  guint gop_cache;              /* KiB since the last keyframe; 0: off */
  gboolean ice_tcp;             /* passive TCP candidates too (ICE-TCP) */
  gboolean zero_playout_delay;  /* playout-delay 0, to browsers that offer it */

  /* [media]: the one stream's settings without [stream NAME] groups, and
   * the defaults of every [stream NAME] group (its name is not used) */
  RwStreamConfig media;

  /* [stream NAME] groups, in file order (RwStreamConfig); empty when the
   * file has none, until rw_config_ensure_streams() */
  GPtrArray *streams;

  /* [publish NAME] groups, in file order (RwPublishConfig) */
  GPtrArray *publishes;
} RwConfig;

RwConfig *rw_config_new (void);
void rw_config_free (RwConfig * config);
gboolean rw_config_validate (const RwConfig * config, GError ** error);
gboolean rw_config_new_turn (const RwConfig * config, RwTurn ** turn,
    GError ** error);
gboolean rw_config_load_data (RwConfig * config, const gchar * data,
    gsize length, const gchar * path, const gchar * base_dir, GError ** error);
gboolean rw_config_load_file (RwConfig * config, const gchar * path,
    GError ** error);

gboolean rw_config_set_port_range (RwConfig * config, const gchar * text,
    GError ** error);
gboolean rw_config_parse_boolean (const gchar * text, gboolean * value,
    GError ** error);

gboolean rw_config_listen_equal (const RwConfig * a, const RwConfig * b);

gchar *rw_config_camera_device (const RwConfig * config);
gboolean rw_config_origin_allowed (const RwConfig * config,
    const gchar * origin);

void rw_config_ensure_streams (RwConfig * config);
const RwStreamConfig *rw_config_find_stream (const RwConfig * config,
    const gchar * name);

RwStreamConfig *rw_stream_config_new_from_media (const RwConfig * config,
    const gchar * name);
RwStreamConfig *rw_stream_config_copy (const RwStreamConfig * stream);
void rw_stream_config_free (RwStreamConfig * stream);
gboolean rw_stream_config_validate (const RwStreamConfig * stream,
    GError ** error);
gboolean rw_stream_config_video_equal (const RwStreamConfig * a,
    const RwStreamConfig * b);
gboolean rw_stream_config_audio_equal (const RwStreamConfig * a,
    const RwStreamConfig * b);
gchar *rw_stream_config_camera_device (const RwStreamConfig * stream);
gboolean rw_stream_name_is_valid (const gchar * name);

const gchar *rw_audio_source_to_string (RwAudioSource audio);

const gchar *rw_codec_to_string (RwCodec codec);
gboolean rw_codec_from_string (const gchar * name, RwCodec * codec,
    GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwConfig, rw_config_free);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwStreamConfig, rw_stream_config_free);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

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

  /* [webrtc] */
  gchar *stun_server;
  gchar *turn_server;
  gchar **ice_addresses;        /* NULL: every interface */
  guint min_rtp_port;           /* 0: any */
  guint max_rtp_port;

  /* [media] */
  gint camera;
  RwCodec codec;
  guint width;
  guint height;
  guint framerate;
  guint bitrate;                /* bits per second */
  guint keyframe_interval;      /* seconds */
  gchar *pipeline;              /* a launch description, NULL: built in */
  gchar *pipeline_name;         /* where it came from, for /status */
} RwConfig;

RwConfig *rw_config_new (void);
void rw_config_free (RwConfig * config);
gboolean rw_config_validate (const RwConfig * config, GError ** error);
gboolean rw_config_load_data (RwConfig * config, const gchar * data,
    gsize length, const gchar * path, const gchar * base_dir, GError ** error);
gboolean rw_config_load_file (RwConfig * config, const gchar * path,
    GError ** error);

gboolean rw_config_media_equal (const RwConfig * a, const RwConfig * b);
gboolean rw_config_listen_equal (const RwConfig * a, const RwConfig * b);

gchar *rw_config_camera_device (const RwConfig * config);
gboolean rw_config_origin_allowed (const RwConfig * config,
    const gchar * origin);

const gchar *rw_codec_to_string (RwCodec codec);
gboolean rw_codec_from_string (const gchar * name, RwCodec * codec,
    GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwConfig, rw_config_free);

G_END_DECLS

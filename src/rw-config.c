/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-config
 * @title: RwConfig
 * @short_description: validated daemon settings
 *
 * #RwConfig holds the daemon's settings with their defaults; the config
 * file and the command line fill it and rw_config_validate() checks every
 * value before anything starts.
 *
 * Each stream the robot serves is an #RwStreamConfig in @streams: one per
 * `[stream NAME]` group of the file, in file order, starting from the
 * `[media]` values. A file without `[stream NAME]` groups serves one stream,
 * "main", made from the `[media]` values by rw_config_ensure_streams() once
 * the command line has had its say.
 */

#include "rw-config.h"
#include "rw-publish-config.h"
#include "rw-auth.h"
#include "rw-error.h"
#include "rw-pipeline.h"

#include <gio/gio.h>
#include <string.h>

static void stream_config_clear (RwStreamConfig * stream);

/**
 * rw_config_new:
 *
 * Returns: (transfer full): a config holding the defaults: port 8080, all
 * addresses, plain HTTP, any origin, no viewer token, 32 viewers, bodies up
 * to 64 KiB, 20 requests/s per client (40 at once), 15 s to connect,
 * 10 s to send a request, 10 s of silence and 256 connections at most,
 * camera 0, VP8 1280x720@30 at 2 Mbit/s, a keyframe every 2 s, no STUN or
 * TURN server, video retransmissions on and no FEC, and no streams yet (see
 * rw_config_ensure_streams()).
 */
RwConfig *
rw_config_new (void)
{
  RwConfig *config = g_new0 (RwConfig, 1);

  config->port = 8080;
  config->max_viewers = 32;
  config->media.camera = 0;
  config->media.codec = RW_CODEC_VP8;
  config->media.width = 1280;
  config->media.height = 720;
  config->media.framerate = 30;
  config->media.bitrate = 2000000;
  config->media.keyframe_interval = 2;
  config->media.rate_control = TRUE;
  config->media.low_layer = TRUE;
  config->media.scale_down = TRUE;
  config->media.low_layer_bitrate = RW_CONFIG_DEFAULT_LOW_LAYER_BITRATE;
  config->media.audio = RW_AUDIO_NONE;
  config->media.audio_bitrate = RW_CONFIG_DEFAULT_AUDIO_BITRATE;
  config->max_body = RW_CONFIG_DEFAULT_MAX_BODY;
  config->rate_limit = RW_CONFIG_DEFAULT_RATE_LIMIT;
  config->rate_burst = RW_CONFIG_DEFAULT_RATE_BURST;
  config->handshake_timeout = RW_CONFIG_DEFAULT_HANDSHAKE_TIMEOUT;
  config->request_timeout = RW_CONFIG_DEFAULT_REQUEST_TIMEOUT;
  config->idle_timeout = RW_CONFIG_DEFAULT_IDLE_TIMEOUT;
  config->max_connections = RW_CONFIG_DEFAULT_MAX_CONNECTIONS;
  config->auth_clock_skew = RW_CONFIG_DEFAULT_CLOCK_SKEW;
  config->turn_credential_lifetime = RW_TURN_DEFAULT_LIFETIME;
  config->retransmissions = RW_CONFIG_DEFAULT_RETRANSMISSIONS;
  config->zero_playout_delay = RW_CONFIG_DEFAULT_ZERO_PLAYOUT_DELAY;
  config->fec_percentage = RW_CONFIG_DEFAULT_FEC_PERCENTAGE;
  config->gop_cache = RW_CONFIG_DEFAULT_GOP_CACHE;
  config->ice_tcp = RW_CONFIG_DEFAULT_ICE_TCP;
  config->streams =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rw_stream_config_free);
  config->publishes =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rw_publish_config_free);

  return config;
}

void
rw_config_free (RwConfig * config)
{
  if (config == NULL)
    return;

  g_free (config->bind_address);
  g_strfreev (config->allowed_origins);
  g_strfreev (config->metrics_allow);
  g_free (config->tls_certificate);
  g_free (config->tls_key);
  g_free (config->auth_secret_file);
  g_free (config->auth_audience);
  g_free (config->stun_server);
  g_free (config->turn_server);
  g_free (config->turn_user);
  if (config->turn_password)
    memset (config->turn_password, 0, strlen (config->turn_password));
  g_free (config->turn_password);
  g_free (config->turn_secret_file);
  g_free (config->public_address);
  g_strfreev (config->ice_addresses);
  stream_config_clear (&config->media);
  g_clear_pointer (&config->streams, g_ptr_array_unref);
  g_clear_pointer (&config->publishes, g_ptr_array_unref);
  g_free (config);
}

/* --- streams --- */

static void
stream_config_clear (RwStreamConfig * stream)
{
  g_clear_pointer (&stream->name, g_free);
  g_clear_pointer (&stream->pipeline, g_free);
  g_clear_pointer (&stream->pipeline_name, g_free);
  g_clear_pointer (&stream->audio_device, g_free);
  g_clear_pointer (&stream->audio_pipeline, g_free);
  g_clear_pointer (&stream->audio_pipeline_name, g_free);
}

/**
 * rw_stream_config_new_from_media:
 * @config: the settings
 * @name: the stream's name
 *
 * Returns: (transfer full): a stream named @name with @config's `[media]`
 * video and audio, and no viewer limit of its own.
 */
RwStreamConfig *
rw_stream_config_new_from_media (const RwConfig * config, const gchar * name)
{
  RwStreamConfig *stream;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  stream = rw_stream_config_copy (&config->media);
  g_free (stream->name);
  stream->name = g_strdup (name);
  stream->max_viewers = 0;
  return stream;
}

/**
 * rw_stream_config_copy:
 * @stream: a stream's settings
 *
 * Returns: (transfer full): a deep copy of @stream.
 */
RwStreamConfig *
rw_stream_config_copy (const RwStreamConfig * stream)
{
  RwStreamConfig *copy;

  g_return_val_if_fail (stream != NULL, NULL);

  copy = g_memdup2 (stream, sizeof (RwStreamConfig));
  copy->name = g_strdup (stream->name);
  copy->pipeline = g_strdup (stream->pipeline);
  copy->pipeline_name = g_strdup (stream->pipeline_name);
  copy->audio_device = g_strdup (stream->audio_device);
  copy->audio_pipeline = g_strdup (stream->audio_pipeline);
  copy->audio_pipeline_name = g_strdup (stream->audio_pipeline_name);
  return copy;
}

/**
 * rw_stream_config_free:
 * @stream: (nullable): a stream's settings
 */
void
rw_stream_config_free (RwStreamConfig * stream)
{
  if (stream == NULL)
    return;

  stream_config_clear (stream);
  g_free (stream);
}

/**
 * rw_stream_name_is_valid:
 * @name: (nullable): a stream name
 *
 * Stream names go into URLs and element names: 1 to 32 of a-z, 0-9 and '-'.
 *
 * Returns: %TRUE if @name is one.
 */
gboolean
rw_stream_name_is_valid (const gchar * name)
{
  gsize length;

  if (name == NULL)
    return FALSE;

  length = strlen (name);
  if (length < 1 || length > RW_STREAM_NAME_MAX)
    return FALSE;
  return strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789-") == length;
}

static gboolean
check_range (const gchar * name, guint value, guint min, guint max,
    GError ** error)
{
  if (value >= min && value <= max)
    return TRUE;

  g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
      "%s must be between %u and %u, got %u", name, min, max, value);
  return FALSE;
}

static gboolean
check_ice_server (const gchar * name, const gchar * uri, const gchar * scheme,
    GError ** error)
{
  if (uri == NULL || g_str_has_prefix (uri, scheme))
    return TRUE;

  g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
      "%s must look like %shost:port, got '%s'", name, scheme, uri);
  return FALSE;
}

#define NAME_RULE "a stream name is 1 to 32 of a-z, 0-9 and '-'"

/* The video settings of a stream, and of [media]. */
static gboolean
check_video (const RwStreamConfig * stream, GError ** error)
{
  if (!check_range ("width", stream->width, 16, 7680, error) ||
      !check_range ("height", stream->height, 16, 4320, error) ||
      !check_range ("framerate", stream->framerate, 1, 120, error) ||
      !check_range ("bitrate", stream->bitrate, 10000, 100000000, error) ||
      !check_range ("keyframe-interval", stream->keyframe_interval, 1, 60,
          error) ||
      (stream->min_bitrate && !check_range ("min-bitrate",
              stream->min_bitrate, 10000, 100000000, error)) ||
      (stream->max_bitrate && !check_range ("max-bitrate",
              stream->max_bitrate, 10000, 100000000, error)) ||
      !check_range ("low-layer-bitrate", stream->low_layer_bitrate, 20000,
          10000000, error))
    return FALSE;

  if (stream->min_bitrate > (stream->max_bitrate ? stream->max_bitrate :
          stream->bitrate)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "min-bitrate (%u) must not be above max-bitrate (or bitrate), %u",
        stream->min_bitrate, stream->max_bitrate ? stream->max_bitrate :
        stream->bitrate);
    return FALSE;
  }

  if (stream->width % 2 || stream->height % 2) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "width and height must be even, got %ux%u", stream->width,
        stream->height);
    return FALSE;
  }

  if (stream->camera < 0 || stream->camera > 255) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "camera must be between 0 and 255, got %d", stream->camera);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_audio (const RwStreamConfig * stream, GError ** error)
{
  if (!check_range ("audio-bitrate", stream->audio_bitrate, 6000, 510000,
          error))
    return FALSE;

  if (stream->audio == RW_AUDIO_PIPELINE && stream->audio_pipeline == NULL) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "audio=pipeline needs audio-pipeline");
    return FALSE;
  }
  return TRUE;
}

/**
 * rw_stream_config_validate:
 * @stream: one stream's settings
 * @error: where to say which value is wrong and why
 *
 * Checks the name, the video settings as rw_config_validate() checks
 * `[media]`'s, the audio and the stream's viewer limit.
 *
 * Returns: %TRUE when every value is usable.
 */
gboolean
rw_stream_config_validate (const RwStreamConfig * stream, GError ** error)
{
  g_return_val_if_fail (stream != NULL, FALSE);

  if (!rw_stream_name_is_valid (stream->name)) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, NAME_RULE);
    return FALSE;
  }

  return check_video (stream, error) && check_audio (stream, error) &&
      check_range ("max-viewers", stream->max_viewers, 0, 1000, error);
}

/* Everything but the streams. */
static gboolean
validate_settings (const RwConfig * config, GError ** error)
{
  if (!check_range ("port", config->port, 0, 65535, error) ||
      !check_range ("max-viewers", config->max_viewers, 1, 1000, error) ||
      !check_video (&config->media, error) ||
      !check_range ("max-body", config->max_body, 1024, 16 * 1024 * 1024,
          error) ||
      !check_range ("rate-limit", config->rate_limit, 0, 100000, error) ||
      !check_range ("rate-burst", config->rate_burst, 1, 100000, error) ||
      !check_range ("handshake-timeout", config->handshake_timeout, 1, 120,
          error) ||
      !check_range ("request-timeout", config->request_timeout, 1, 300,
          error) ||
      !check_range ("idle-timeout", config->idle_timeout, 1, 3600, error) ||
      !check_range ("max-connections", config->max_connections, 8, 65535,
          error) ||
      !check_range ("clock-skew", config->auth_clock_skew, 0, 600, error) ||
      !check_range ("session-grace", config->auth_session_grace, 0, 86400,
          error) ||
      !check_range ("fec-percentage", config->fec_percentage, 0, 100, error) ||
      !check_range ("gop-cache", config->gop_cache, 0, 65536, error))
    return FALSE;

  if (config->tls_key != NULL && config->tls_certificate == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "tls-key needs tls-certificate");
    return FALSE;
  }

  if (config->auth_audience != NULL && config->auth_secret_file == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "audience (the robot id) needs secret-file: without a secret no "
        "token is checked");
    return FALSE;
  }

  if (config->bind_address != NULL &&
      !g_hostname_is_ip_address (config->bind_address)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "bind must be an IP address, got '%s'", config->bind_address);
    return FALSE;
  }

  for (guint i = 0; config->ice_addresses && config->ice_addresses[i]; i++) {
    if (!g_hostname_is_ip_address (config->ice_addresses[i])) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "ice-address must be an IP address, got '%s'",
          config->ice_addresses[i]);
      return FALSE;
    }
  }

  for (guint i = 0; config->allowed_origins && config->allowed_origins[i]; i++) {
    const gchar *origin = config->allowed_origins[i];

    if (g_strcmp0 (origin, "*") != 0 && !g_str_has_prefix (origin, "http://")
        && !g_str_has_prefix (origin, "https://")) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "allow-origin must be '*' or like https://host[:port], got '%s'",
          origin);
      return FALSE;
    }
  }

  for (guint i = 0; config->metrics_allow && config->metrics_allow[i]; i++) {
    g_autoptr (GInetAddressMask) mask =
        g_inet_address_mask_new_from_string (config->metrics_allow[i], NULL);

    if (mask == NULL) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "metrics-allow must be IP addresses or networks like 10.0.0.0/8, "
          "got '%s'", config->metrics_allow[i]);
      return FALSE;
    }
  }

  if (config->min_rtp_port > config->max_rtp_port ||
      (config->min_rtp_port == 0) != (config->max_rtp_port == 0)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "port-range must be MIN-MAX with 1 <= MIN <= MAX <= 65535, got "
        "%u-%u", config->min_rtp_port, config->max_rtp_port);
    return FALSE;
  }

  if (config->public_address != NULL &&
      !g_hostname_is_ip_address (config->public_address)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "public-address must be an IPv4 or IPv6 address, got '%s'",
        config->public_address);
    return FALSE;
  }

  return check_ice_server ("stun-server", config->stun_server, "stun://",
      error) && rw_turn_check_settings (config->turn_server,
      config->turn_user, config->turn_password, config->turn_secret_file,
      config->turn_credential_lifetime, error);
}

static gboolean
validate_streams (GPtrArray * streams, GError ** error)
{
  for (guint i = 0; i < streams->len; i++) {
    const RwStreamConfig *stream = g_ptr_array_index (streams, i);

    if (!rw_stream_config_validate (stream, error)) {
      g_prefix_error (error, "[stream %s]: ", stream->name ? stream->name : "");
      return FALSE;
    }

    for (guint j = 0; j < i; j++) {
      const RwStreamConfig *other = g_ptr_array_index (streams, j);

      if (g_str_equal (stream->name, other->name)) {
        g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
            "[stream %s]: a second stream named '%s'; stream names must be "
            "unique", stream->name, stream->name);
        return FALSE;
      }
    }
  }
  return TRUE;
}

/* Each [publish NAME] is usable and names a stream there is (the first by
 * default). */
static gboolean
validate_publishes (const RwConfig * config, GError ** error)
{
  for (guint i = 0; config->publishes && i < config->publishes->len; i++) {
    const RwPublishConfig *publish = g_ptr_array_index (config->publishes, i);

    if (!rw_publish_config_validate (publish, error)) {
      g_prefix_error (error, "[publish %s] ", publish->name);
      return FALSE;
    }
    if (publish->stream && config->streams->len > 0 &&
        rw_config_find_stream (config, publish->stream) == NULL) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "[publish %s] stream: there is no stream '%s'", publish->name,
          publish->stream);
      return FALSE;
    }
  }
  return TRUE;
}

/**
 * rw_config_validate:
 * @config: the settings
 * @error: where to say which value is wrong and why
 *
 * Checks every setting, and every stream of @config's streams with
 * rw_stream_config_validate(); a stream's problem starts with
 * "[stream NAME]: ".
 *
 * Returns: %TRUE when every value is usable.
 */
gboolean
rw_config_validate (const RwConfig * config, GError ** error)
{
  g_return_val_if_fail (config != NULL, FALSE);

  return validate_settings (config, error) &&
      validate_streams (config->streams, error) &&
      validate_publishes (config, error);
}

/* --- the config file --- */

typedef enum
{
  KEY_UINT,
  KEY_INT,
  KEY_BOOLEAN,
  KEY_STRING,
  KEY_PATH,
  KEY_LIST,
  KEY_CODEC,
  KEY_PORT_RANGE,
  KEY_PIPELINE,
  KEY_AUDIO,
} KeyType;

typedef struct
{
  const gchar *group;           /* "stream": every [stream NAME] group */
  const gchar *key;
  KeyType type;
  gsize offset;
  gboolean in_stream;           /* @offset is in RwStreamConfig */
  guint64 min, max;
  gsize name_offset;            /* KEY_PIPELINE: where its file name goes */
} KeySpec;

/* A field's offset, and which struct it is in. */
#define FIELD(f) G_STRUCT_OFFSET (RwConfig, f), FALSE
#define STREAM_FIELD(f) G_STRUCT_OFFSET (RwStreamConfig, f), TRUE

static const KeySpec keys[] = {
  {"server", "port", KEY_UINT, FIELD (port), 0, 65535},
  {"server", "bind", KEY_STRING, FIELD (bind_address)},
  {"server", "allowed-origins", KEY_LIST, FIELD (allowed_origins)},
  {"server", "max-viewers", KEY_UINT, FIELD (max_viewers), 1, 1000},
  {"server", "tls-certificate", KEY_PATH, FIELD (tls_certificate)},
  {"server", "tls-key", KEY_PATH, FIELD (tls_key)},
  {"server", "max-body", KEY_UINT, FIELD (max_body), 1024, 16 * 1024 * 1024},
  {"server", "rate-limit", KEY_UINT, FIELD (rate_limit), 0, 100000},
  {"server", "rate-burst", KEY_UINT, FIELD (rate_burst), 1, 100000},
  {"server", "handshake-timeout", KEY_UINT, FIELD (handshake_timeout), 1, 120},
  {"server", "request-timeout", KEY_UINT, FIELD (request_timeout), 1, 300},
  {"server", "idle-timeout", KEY_UINT, FIELD (idle_timeout), 1, 3600},
  {"server", "max-connections", KEY_UINT, FIELD (max_connections), 8, 65535},
  {"server", "metrics-allow", KEY_LIST, FIELD (metrics_allow)},
  {"auth", "secret-file", KEY_PATH, FIELD (auth_secret_file)},
  {"auth", "audience", KEY_STRING, FIELD (auth_audience)},
  {"auth", "clock-skew", KEY_UINT, FIELD (auth_clock_skew), 0, 600},
  {"auth", "session-grace", KEY_UINT, FIELD (auth_session_grace), 0, 86400},
  {"webrtc", "stun-server", KEY_STRING, FIELD (stun_server)},
  {"webrtc", "turn-server", KEY_STRING, FIELD (turn_server)},
  {"webrtc", "turn-user", KEY_STRING, FIELD (turn_user)},
  {"webrtc", "turn-password", KEY_STRING, FIELD (turn_password)},
  {"webrtc", "turn-secret-file", KEY_PATH, FIELD (turn_secret_file)},
  {"webrtc", "turn-credential-lifetime", KEY_UINT,
        FIELD (turn_credential_lifetime), RW_TURN_MIN_LIFETIME,
      RW_TURN_MAX_LIFETIME},
  {"webrtc", "public-address", KEY_STRING, FIELD (public_address)},
  {"webrtc", "ice-addresses", KEY_LIST, FIELD (ice_addresses)},
  {"webrtc", "port-range", KEY_PORT_RANGE, FIELD (min_rtp_port)},
  {"webrtc", "retransmissions", KEY_BOOLEAN, FIELD (retransmissions)},
  {"webrtc", "zero-playout-delay", KEY_BOOLEAN, FIELD (zero_playout_delay)},
  {"webrtc", "fec-percentage", KEY_UINT, FIELD (fec_percentage), 0, 100},
  {"webrtc", "gop-cache", KEY_UINT, FIELD (gop_cache), 0, 65536},
  {"webrtc", "ice-tcp", KEY_BOOLEAN, FIELD (ice_tcp)},
  /* a stream's keys: [stream NAME] groups, and [media] but max-viewers
   * (into RwConfig.media) */
  {"stream", "camera", KEY_INT, STREAM_FIELD (camera), 0, 255},
  {"stream", "codec", KEY_CODEC, STREAM_FIELD (codec)},
  {"stream", "width", KEY_UINT, STREAM_FIELD (width), 16, 7680},
  {"stream", "height", KEY_UINT, STREAM_FIELD (height), 16, 4320},
  {"stream", "framerate", KEY_UINT, STREAM_FIELD (framerate), 1, 120},
  {"stream", "bitrate", KEY_UINT, STREAM_FIELD (bitrate), 10000, 100000000},
  {"stream", "keyframe-interval", KEY_UINT, STREAM_FIELD (keyframe_interval),
      1, 60},
  {"stream", "rate-control", KEY_BOOLEAN, STREAM_FIELD (rate_control)},
  {"stream", "min-bitrate", KEY_UINT, STREAM_FIELD (min_bitrate), 10000,
      100000000},
  {"stream", "max-bitrate", KEY_UINT, STREAM_FIELD (max_bitrate), 10000,
      100000000},
  {"stream", "low-layer", KEY_BOOLEAN, STREAM_FIELD (low_layer)},
  {"stream", "scale-down", KEY_BOOLEAN, STREAM_FIELD (scale_down)},
  {"stream", "low-layer-bitrate", KEY_UINT, STREAM_FIELD (low_layer_bitrate),
      20000, 10000000},
  {"stream", "pipeline", KEY_PIPELINE, STREAM_FIELD (pipeline), 0, 0,
      G_STRUCT_OFFSET (RwStreamConfig, pipeline_name)},
  {"stream", "audio", KEY_AUDIO, STREAM_FIELD (audio)},
  {"stream", "audio-device", KEY_STRING, STREAM_FIELD (audio_device)},
  {"stream", "audio-pipeline", KEY_PIPELINE, STREAM_FIELD (audio_pipeline), 0,
      0, G_STRUCT_OFFSET (RwStreamConfig, audio_pipeline_name)},
  {"stream", "audio-bitrate", KEY_UINT, STREAM_FIELD (audio_bitrate), 6000,
      510000},
  {"stream", "max-viewers", KEY_UINT, STREAM_FIELD (max_viewers), 1, 1000},
};

/* The audio keys that name a source; see load_group(). */
static const gchar *source_keys[] =
    { "audio", "audio-device", "audio-pipeline", NULL };

static const gchar *groups[] = { "server", "auth", "webrtc", "media", NULL };

static gboolean
is_stream_group (const gchar * group)
{
  return g_str_equal (group, "stream") || g_str_has_prefix (group, "stream ");
}

static const KeySpec *
find_key (const gchar * group, const gchar * key)
{
  if (g_str_equal (group, "media") && g_str_equal (key, "max-viewers"))
    return NULL;                /* the robot's is [server]'s */
  if (is_stream_group (group) || g_str_equal (group, "media"))
    group = "stream";

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    if (g_str_equal (keys[i].group, group) && g_str_equal (keys[i].key, key))
      return &keys[i];
  }
  return NULL;
}

static gboolean
parse_number (const gchar * text, const KeySpec * spec, guint64 * value,
    GError ** error)
{
  g_autoptr (GError) number_error = NULL;

  if (!g_ascii_string_to_unsigned (text, 10, spec->min, spec->max, value,
          &number_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "expected a whole number from %" G_GUINT64_FORMAT " to %"
        G_GUINT64_FORMAT ", got '%s'", spec->min, spec->max, text);
    return FALSE;
  }
  return TRUE;
}

/**
 * rw_config_set_port_range:
 * @config: the settings
 * @text: `MIN-MAX`, UDP ports for media
 * @error: why @text is not a port range
 *
 * Returns: %TRUE if @config's media ports are now @text's.
 */
gboolean
rw_config_set_port_range (RwConfig * config, const gchar * text,
    GError ** error)
{
  static const KeySpec port = {.type = KEY_UINT,.min = 1,.max = 65535 };
  g_auto (GStrv) parts = g_strsplit (text, "-", 2);
  guint64 min, max;

  if (g_strv_length (parts) != 2 ||
      !parse_number (g_strstrip (parts[0]), &port, &min, NULL) ||
      !parse_number (g_strstrip (parts[1]), &port, &max, NULL) || min > max) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "expected MIN-MAX UDP ports (e.g. 50000-50100), got '%s'", text);
    return FALSE;
  }
  config->min_rtp_port = min;
  config->max_rtp_port = max;
  return TRUE;
}

/**
 * rw_config_parse_boolean:
 * @text: true, false, yes, no, on, off, 1 or 0 (any case)
 * @value: (out): the value
 * @error: why @text is none of those
 *
 * Returns: %TRUE if @text is a boolean.
 */
gboolean
rw_config_parse_boolean (const gchar * text, gboolean * value, GError ** error)
{
  static const gchar *yes[] = { "true", "yes", "on", "1" };
  static const gchar *no[] = { "false", "no", "off", "0" };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++) {
    if (g_ascii_strcasecmp (text, yes[i]) == 0) {
      *value = TRUE;
      return TRUE;
    }
    if (g_ascii_strcasecmp (text, no[i]) == 0) {
      *value = FALSE;
      return TRUE;
    }
  }
  g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
      "expected true or false, got '%s'", text);
  return FALSE;
}

static gboolean
parse_audio (const gchar * text, RwAudioSource * audio, GError ** error)
{
  for (guint i = RW_AUDIO_NONE; i <= RW_AUDIO_PIPELINE; i++) {
    if (g_ascii_strcasecmp (text, rw_audio_source_to_string (i)) == 0) {
      *audio = i;
      return TRUE;
    }
  }
  g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
      "expected none, alsa, pulse, test or pipeline, got '%s'", text);
  return FALSE;
}

/* Parses at once: a typo must stop the daemon before it starts. */
static gboolean
load_pipeline (gpointer base, const KeySpec * spec, const gchar * text,
    const gchar * base_dir, GError ** error)
{
  gchar **description_field = G_STRUCT_MEMBER_P (base, spec->offset);
  gchar **name_field = G_STRUCT_MEMBER_P (base, spec->name_offset);
  g_autoptr (GstElement) bin = NULL;
  g_autofree gchar *name = NULL;
  g_autofree gchar *description = rw_pipeline_find (text, base_dir, &name,
      error);

  if (description == NULL)
    return FALSE;
  bin = rw_pipeline_parse (description, error);
  if (bin == NULL) {
    if (!g_str_equal (name, "inline"))
      g_prefix_error (error, "%s: ", name);
    return FALSE;
  }
  gst_object_ref_sink (bin);
  g_free (*description_field);
  g_free (*name_field);
  *description_field = g_steal_pointer (&description);
  *name_field = g_steal_pointer (&name);
  return TRUE;
}

/* Sets @spec's field of @base (an RwConfig or an RwStreamConfig) from
 * @group's key. */
static gboolean
load_key (gpointer base, GKeyFile * file, const gchar * group,
    const KeySpec * spec, const gchar * base_dir, GError ** error)
{
  gpointer field = G_STRUCT_MEMBER_P (base, spec->offset);
  g_autofree gchar *text = NULL;
  guint64 number;

  text = g_key_file_get_string (file, group, spec->key, error);
  if (text == NULL)
    return FALSE;
  g_strstrip (text);

  switch (spec->type) {
    case KEY_UINT:
      if (!parse_number (text, spec, &number, error))
        return FALSE;
      *(guint *) field = number;
      return TRUE;
    case KEY_INT:
      if (!parse_number (text, spec, &number, error))
        return FALSE;
      *(gint *) field = number;
      return TRUE;
    case KEY_BOOLEAN:
      return rw_config_parse_boolean (text, (gboolean *) field, error);
    case KEY_STRING:
      g_free (*(gchar **) field);
      *(gchar **) field = text[0] ? g_steal_pointer (&text) : NULL;
      return TRUE;
    case KEY_PATH:{
      /* relative to the config file */
      g_autofree gchar *dir = g_canonicalize_filename (base_dir, NULL);

      g_free (*(gchar **) field);
      *(gchar **) field = text[0] ? g_canonicalize_filename (text, dir) : NULL;
      return TRUE;
    }
    case KEY_LIST:
      g_strfreev (*(gchar ***) field);
      *(gchar ***) field = g_key_file_get_string_list (file, group,
          spec->key, NULL, error);
      for (gchar ** s = *(gchar ***) field; s && *s; s++)
        g_strstrip (*s);
      return *(gchar ***) field != NULL;
    case KEY_CODEC:
      return rw_codec_from_string (text, (RwCodec *) field, error);
    case KEY_PORT_RANGE:
      return rw_config_set_port_range (base, text, error);
    case KEY_PIPELINE:
      return load_pipeline (base, spec, text, base_dir, error);
    case KEY_AUDIO:
      return parse_audio (text, (RwAudioSource *) field, error);
  }
  g_return_val_if_reached (FALSE);
}

static gboolean
has_audio_source (GKeyFile * file, const gchar * group)
{
  for (guint i = 0; source_keys[i]; i++) {
    if (g_key_file_has_key (file, group, source_keys[i], NULL))
      return TRUE;
  }
  return FALSE;
}

static void
clear_audio_source (RwStreamConfig * stream)
{
  stream->audio = RW_AUDIO_NONE;
  g_clear_pointer (&stream->audio_device, g_free);
  g_clear_pointer (&stream->audio_pipeline, g_free);
  g_clear_pointer (&stream->audio_pipeline_name, g_free);
}

/* After the keys of a group that names an audio source: what audio-device
 * and audio-pipeline mean without audio, and what contradicts audio. */
static gboolean
resolve_audio_source (RwStreamConfig * stream, GKeyFile * file,
    const gchar * group, const gchar * path, GError ** error)
{
  gboolean device = g_key_file_has_key (file, group, "audio-device", NULL);
  gboolean pipeline = g_key_file_has_key (file, group, "audio-pipeline", NULL);
  g_autoptr (GError) local_error = NULL;

  if (!g_key_file_has_key (file, group, "audio", NULL))
    stream->audio = pipeline ? RW_AUDIO_PIPELINE : RW_AUDIO_ALSA;

  if (device && stream->audio != RW_AUDIO_ALSA &&
      stream->audio != RW_AUDIO_PULSE) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "%s: [%s] audio-device: needs audio=alsa or audio=pulse, got "
        "audio=%s", path, group, rw_audio_source_to_string (stream->audio));
    return FALSE;
  }
  if (pipeline && stream->audio != RW_AUDIO_PIPELINE) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "%s: [%s] audio-pipeline: needs audio=pipeline, got audio=%s", path,
        group, rw_audio_source_to_string (stream->audio));
    return FALSE;
  }
  if (!check_audio (stream, &local_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, "%s: [%s]: %s",
        path, group, local_error->message);
    return FALSE;
  }
  return TRUE;
}

/* Loads @group's keys into @config, or into @stream for the keys of a
 * [stream NAME] group and [media]'s audio keys. audio, audio-device and
 * audio-pipeline name a source together: a group with any of them names
 * its own, and does not inherit any of them from [media]. */
static gboolean
load_group (RwConfig * config, RwStreamConfig * stream, GKeyFile * file,
    const gchar * group, const gchar * path, const gchar * base_dir,
    GError ** error)
{
  g_auto (GStrv) file_keys = g_key_file_get_keys (file, group, NULL, NULL);
  g_autoptr (GError) local_error = NULL;
  gboolean own_source = has_audio_source (file, group);

  if (own_source)
    clear_audio_source (stream);

  for (guint k = 0; file_keys && file_keys[k]; k++) {
    const KeySpec *spec = find_key (group, file_keys[k]);

    if (spec == NULL) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "%s: [%s] %s: unknown key", path, group, file_keys[k]);
      return FALSE;
    }
    if (!load_key (spec->in_stream ? (gpointer) stream : (gpointer) config,
            file, group, spec, base_dir, &local_error)) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "%s: [%s] %s: %s", path, group, file_keys[k], local_error->message);
      return FALSE;
    }
  }

  return !own_source || resolve_audio_source (stream, file, group, path, error);
}

/* [server], [auth], [webrtc] and [media] (into config->media), in file
 * order. */
static gboolean
load_settings (RwConfig * config, GKeyFile * file,
    const gchar * path, const gchar * base_dir, GError ** error)
{
  g_auto (GStrv) file_groups = g_key_file_get_groups (file, NULL);
  g_autoptr (GError) local_error = NULL;

  for (guint g = 0; file_groups[g]; g++) {
    const gchar *group = file_groups[g];

    if (is_stream_group (group) || rw_publish_config_is_group (group))
      continue;
    if (!g_strv_contains (groups, group)) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "%s: unknown group [%s] (known: [server], [auth], [webrtc], "
          "[media], [stream NAME], [publish NAME])", path, group);
      return FALSE;
    }
    if (!load_group (config, &config->media, file, group, path, base_dir,
            error))
      return FALSE;
  }

  if (!validate_settings (config, &local_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, "%s: %s", path,
        local_error->message);
    return FALSE;
  }
  return TRUE;
}

/* GKeyFile merges groups of the same name, so a second [stream NAME] group
 * would silently add to the first: finds one in the text, like GKeyFile
 * finds group lines. */
static gchar *
find_duplicate_stream (const gchar * data, gsize length)
{
  g_autofree gchar *text = g_strndup (data, length);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; lines[i]; i++) {
    gchar *group = lines[i];
    gchar *end;

    while (g_ascii_isspace (*group))
      group++;
    end = strchr (group, ']');
    if (group[0] != '[' || end == NULL)
      continue;
    *end = '\0';
    group++;
    if ((is_stream_group (group) || rw_publish_config_is_group (group)) &&
        !g_hash_table_add (seen, group))
      return g_strdup (group);
  }
  return NULL;
}

/* One [stream NAME] group: a copy of @defaults, then its own keys. */
static gboolean
load_stream (GPtrArray * streams, const RwStreamConfig * defaults,
    GKeyFile * file, const gchar * group, const gchar * duplicate,
    const gchar * path, const gchar * base_dir, GError ** error)
{
  const gchar *name = g_str_equal (group, "stream") ? "" :
      group + strlen ("stream ");
  g_autoptr (RwStreamConfig) stream = NULL;
  g_autoptr (GError) local_error = NULL;

  if (!rw_stream_name_is_valid (name)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "%s: [%s]: " NAME_RULE, path, group);
    return FALSE;
  }
  if (g_strcmp0 (group, duplicate) == 0) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "%s: [%s]: a second [%s] group; stream names must be unique", path,
        group, group);
    return FALSE;
  }

  stream = rw_stream_config_copy (defaults);
  g_free (stream->name);
  stream->name = g_strdup (name);
  if (!load_group (NULL, stream, file, group, path, base_dir, error))
    return FALSE;
  if (!rw_stream_config_validate (stream, &local_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, "%s: [%s]: %s",
        path, group, local_error->message);
    return FALSE;
  }
  g_ptr_array_add (streams, g_steal_pointer (&stream));
  return TRUE;
}

static GPtrArray *
load_streams (const RwStreamConfig * defaults, GKeyFile * file,
    const gchar * data, gsize length, const gchar * path,
    const gchar * base_dir, GError ** error)
{
  g_autoptr (GPtrArray) streams =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rw_stream_config_free);
  g_auto (GStrv) file_groups = g_key_file_get_groups (file, NULL);
  g_autofree gchar *duplicate = find_duplicate_stream (data, length);

  for (guint g = 0; file_groups[g]; g++) {
    if (is_stream_group (file_groups[g]) &&
        !load_stream (streams, defaults, file, file_groups[g], duplicate,
            path, base_dir, error))
      return NULL;
  }
  return g_steal_pointer (&streams);
}

/**
 * rw_config_load_file:
 * @config: the settings to update
 * @path: a GKeyFile with [server], [auth], [webrtc], [media] and
 *   [stream NAME] groups
 * @error: what is wrong, as "FILE: [group] key: reason"
 *
 * Reads a config file over @config. Unknown groups and keys are errors, so
 * a typo never goes unnoticed; a pipeline is parsed at once. Relative file
 * names (TLS, secret) are relative to the config file's directory. See
 * rw_config_load_data() for the streams.
 *
 * Returns: %TRUE if every key was valid.
 */
gboolean
rw_config_load_file (RwConfig * config, const gchar * path, GError ** error)
{
  g_autofree gchar *data = NULL;
  g_autofree gchar *base_dir = g_path_get_dirname (path);
  g_autoptr (GError) local_error = NULL;
  gsize length;

  if (!g_file_get_contents (path, &data, &length, &local_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, "%s: %s", path,
        local_error->message);
    return FALSE;
  }
  return rw_config_load_data (config, data, length, path, base_dir, error);
}

/**
 * rw_config_load_data:
 * @config: the settings to update
 * @data: the text of a config file
 * @length: its length, or -1 if @data ends with a nul
 * @path: the file's name, for messages
 * @base_dir: where relative file names in it are looked for
 * @error: what is wrong, as "PATH: [group] key: reason"
 *
 * rw_config_load_file() on text already read.
 *
 * @config's streams become the file's: one per [stream NAME] group, in file
 * order, each a copy of the file's [media] values (wherever [media] is)
 * with the group's own keys over them. Without [stream NAME] groups they
 * are empty, and rw_config_ensure_streams() makes the one stream from
 * [media]'s values (its audio too) once the command line has changed them.
 *
 * Returns: %TRUE if every key was valid.
 */
gboolean
rw_config_load_data (RwConfig * config, const gchar * data, gsize length,
    const gchar * path, const gchar * base_dir, GError ** error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) streams = NULL;
  g_autoptr (GPtrArray) publishes = NULL;
  g_autofree gchar *duplicate = NULL;

  if (length == G_MAXSIZE)      /* (gsize) -1: nul-terminated */
    length = strlen (data);
  if (!g_key_file_load_from_data (file, data, length, G_KEY_FILE_NONE,
          &local_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, "%s: %s", path,
        local_error->message);
    return FALSE;
  }

  if (!load_settings (config, file, path, base_dir, error))
    return FALSE;

  streams = load_streams (&config->media, file, data, length, path, base_dir,
      error);
  if (streams == NULL)
    return FALSE;
  duplicate = find_duplicate_stream (data, length);
  if (duplicate && rw_publish_config_is_group (duplicate)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "%s: [%s]: a second [%s] group; publish names must be unique", path,
        duplicate, duplicate);
    return FALSE;
  }
  publishes = rw_publish_config_load_all (file, path, base_dir, error);
  if (publishes == NULL)
    return FALSE;
  g_ptr_array_unref (config->publishes);
  config->publishes = g_steal_pointer (&publishes);
  g_ptr_array_unref (config->streams);
  config->streams = g_steal_pointer (&streams);

  /* a publish of a stream the file does not have: said here, like the
   * file's other mistakes */
  if (!validate_publishes (config, &local_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, "%s: %s", path,
        local_error->message);
    return FALSE;
  }
  return TRUE;
}

/**
 * rw_config_camera_device:
 * @config: the settings
 *
 * Returns: (transfer full): the camera's device path, /dev/videoN.
 */
gchar *
rw_config_camera_device (const RwConfig * config)
{
  return rw_stream_config_camera_device (&config->media);
}

/**
 * rw_config_origin_allowed:
 * @config: the settings
 * @origin: (nullable): the request's Origin header
 *
 * Returns: %TRUE if a request from @origin may use the signaling API. A
 * request without Origin (curl, a backend) is always allowed.
 */
gboolean
rw_config_origin_allowed (const RwConfig * config, const gchar * origin)
{
  if (origin == NULL || config->allowed_origins == NULL)
    return TRUE;

  for (guint i = 0; config->allowed_origins[i]; i++) {
    if (g_strcmp0 (config->allowed_origins[i], "*") == 0 ||
        g_ascii_strcasecmp (config->allowed_origins[i], origin) == 0)
      return TRUE;
  }
  return FALSE;
}

/**
 * rw_codec_to_string:
 * @codec: a codec
 *
 * Returns: (transfer none): the codec's RTP encoding name, "VP8" or "H264".
 */
const gchar *
rw_codec_to_string (RwCodec codec)
{
  switch (codec) {
    case RW_CODEC_VP8:
      return "VP8";
    case RW_CODEC_H264:
      return "H264";
  }
  g_return_val_if_reached (NULL);
}

/**
 * rw_codec_from_string:
 * @name: "vp8" or "h264", in any case
 * @codec: (out): the codec
 * @error: where to say what is wrong
 *
 * Returns: %TRUE if @name names a codec we send.
 */
gboolean
rw_codec_from_string (const gchar * name, RwCodec * codec, GError ** error)
{
  if (g_ascii_strcasecmp (name, "vp8") == 0) {
    *codec = RW_CODEC_VP8;
    return TRUE;
  }
  if (g_ascii_strcasecmp (name, "h264") == 0) {
    *codec = RW_CODEC_H264;
    return TRUE;
  }
  g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
      "codec must be vp8 or h264, got '%s'", name);
  return FALSE;
}

/**
 * rw_config_listen_equal:
 * @a: settings
 * @b: other settings
 *
 * Returns: %TRUE if @a and @b listen alike: port, address and TLS files.
 */
gboolean
rw_config_listen_equal (const RwConfig * a, const RwConfig * b)
{
  return a->port == b->port &&
      g_strcmp0 (a->bind_address, b->bind_address) == 0 &&
      g_strcmp0 (a->tls_certificate, b->tls_certificate) == 0 &&
      g_strcmp0 (a->tls_key, b->tls_key) == 0;
}


/**
 * rw_stream_config_video_equal:
 * @a: a stream's settings
 * @b: another stream's settings
 *
 * Returns: %TRUE if @a and @b make the same video: camera, pipeline, codec,
 * size, rate, bitrate and keyframe interval.
 */
gboolean
rw_stream_config_video_equal (const RwStreamConfig * a,
    const RwStreamConfig * b)
{
  return a->camera == b->camera && a->codec == b->codec &&
      a->width == b->width && a->height == b->height &&
      a->framerate == b->framerate && a->bitrate == b->bitrate &&
      a->keyframe_interval == b->keyframe_interval &&
      g_strcmp0 (a->pipeline, b->pipeline) == 0;
}

/**
 * rw_stream_config_audio_equal:
 * @a: a stream's settings
 * @b: another stream's settings
 *
 * Returns: %TRUE if @a and @b make the same sound: source, device,
 * pipeline and bitrate. Two streams without audio are equal.
 */
gboolean
rw_stream_config_audio_equal (const RwStreamConfig * a,
    const RwStreamConfig * b)
{
  if (a->audio == RW_AUDIO_NONE && b->audio == RW_AUDIO_NONE)
    return TRUE;

  return a->audio == b->audio && a->audio_bitrate == b->audio_bitrate &&
      g_strcmp0 (a->audio_device, b->audio_device) == 0 &&
      g_strcmp0 (a->audio_pipeline, b->audio_pipeline) == 0;
}

/**
 * rw_stream_config_camera_device:
 * @stream: a stream's settings
 *
 * Returns: (transfer full): the stream's camera device path, /dev/videoN.
 */
gchar *
rw_stream_config_camera_device (const RwStreamConfig * stream)
{
  return g_strdup_printf ("/dev/video%d", stream->camera);
}

/**
 * rw_config_find_stream:
 * @config: the settings
 * @name: a stream name
 *
 * Returns: (transfer none) (nullable): the stream named @name, or %NULL.
 */
const RwStreamConfig *
rw_config_find_stream (const RwConfig * config, const gchar * name)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < config->streams->len; i++) {
    const RwStreamConfig *stream = g_ptr_array_index (config->streams, i);

    if (g_strcmp0 (stream->name, name) == 0)
      return stream;
  }
  return NULL;
}

/**
 * rw_config_ensure_streams:
 * @config: the settings, with the command line applied
 *
 * Gives a config without streams its one stream, named
 * %RW_STREAM_DEFAULT_NAME and made from the `[media]` values by
 * rw_stream_config_new_from_media(). A config with streams is left alone.
 */
void
rw_config_ensure_streams (RwConfig * config)
{
  g_return_if_fail (config != NULL);

  if (config->streams->len == 0)
    g_ptr_array_add (config->streams,
        rw_stream_config_new_from_media (config, RW_STREAM_DEFAULT_NAME));
}

/**
 * rw_audio_source_to_string:
 * @audio: an audio source
 *
 * Returns: (transfer none): its name in the config file: "none", "alsa",
 * "pulse", "test" or "pipeline".
 */
const gchar *
rw_audio_source_to_string (RwAudioSource audio)
{
  switch (audio) {
    case RW_AUDIO_NONE:
      return "none";
    case RW_AUDIO_ALSA:
      return "alsa";
    case RW_AUDIO_PULSE:
      return "pulse";
    case RW_AUDIO_TEST:
      return "test";
    case RW_AUDIO_PIPELINE:
      return "pipeline";
  }
  g_return_val_if_reached (NULL);
}

/**
 * rw_config_new_turn:
 * @config: checked settings (rw_config_validate())
 * @turn: (out) (transfer full) (nullable): the TURN server, or %NULL when
 *   none is configured
 * @error: why the secret file cannot be used
 *
 * Reads turn-secret-file (with the checks rw_auth_read_secret_file()
 * makes) when one is configured. Minted user names end in the robot's id,
 * or "robot-webrtc" without one.
 *
 * Returns: %FALSE with @error set if a TURN server is configured and
 * unusable.
 */
gboolean
rw_config_new_turn (const RwConfig * config, RwTurn ** turn, GError ** error)
{
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (turn != NULL && *turn == NULL, FALSE);

  if (config->turn_server == NULL)
    return TRUE;
  if (!rw_turn_check_settings (config->turn_server, config->turn_user,
          config->turn_password, config->turn_secret_file,
          config->turn_credential_lifetime, error))
    return FALSE;

  if (config->turn_secret_file) {
    gsize length;
    guint8 *secret = rw_auth_read_secret_file (config->turn_secret_file,
        &length, error);

    if (secret == NULL) {
      g_prefix_error (error, "turn-secret-file: ");
      return FALSE;
    }
    *turn = rw_turn_new_with_secret (config->turn_server, secret, length,
        config->auth_audience ? config->auth_audience : RW_TURN_DEFAULT_NAME,
        config->turn_credential_lifetime, error);
    memset (secret, 0, length);
    g_free (secret);
  } else {
    *turn = rw_turn_new (config->turn_server, config->turn_user,
        config->turn_password, error);
  }
  return *turn != NULL;
}

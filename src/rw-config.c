/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-config
 * @title: RwConfig
 * @short_description: validated daemon settings
 *
 * #RwConfig holds the daemon's settings with their defaults; the command
 * line fills it and rw_config_validate() checks every value before anything
 * starts.
 */

#include "rw-config.h"
#include "rw-error.h"

#include <gio/gio.h>

/**
 * rw_config_new:
 *
 * Returns: (transfer full): a config holding the defaults: port 8080, all
 * addresses, any origin, 32 viewers, camera 0, VP8 1280x720@30 at 2 Mbit/s,
 * a keyframe every 2 s, no STUN or TURN server.
 */
RwConfig *
rw_config_new (void)
{
  RwConfig *config = g_new0 (RwConfig, 1);

  config->port = 8080;
  config->max_viewers = 32;
  config->camera = 0;
  config->codec = RW_CODEC_VP8;
  config->width = 1280;
  config->height = 720;
  config->framerate = 30;
  config->bitrate = 2000000;
  config->keyframe_interval = 2;

  return config;
}

void
rw_config_free (RwConfig * config)
{
  if (config == NULL)
    return;

  g_free (config->bind_address);
  g_strfreev (config->allowed_origins);
  g_free (config->stun_server);
  g_free (config->turn_server);
  g_strfreev (config->ice_addresses);
  g_free (config);
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

/**
 * rw_config_validate:
 * @config: the settings
 * @error: where to say which value is wrong and why
 *
 * Returns: %TRUE when every value is usable.
 */
gboolean
rw_config_validate (const RwConfig * config, GError ** error)
{
  g_return_val_if_fail (config != NULL, FALSE);

  if (!check_range ("port", config->port, 0, 65535, error) ||
      !check_range ("max-viewers", config->max_viewers, 1, 1000, error) ||
      !check_range ("width", config->width, 16, 7680, error) ||
      !check_range ("height", config->height, 16, 4320, error) ||
      !check_range ("framerate", config->framerate, 1, 120, error) ||
      !check_range ("bitrate", config->bitrate, 10000, 100000000, error) ||
      !check_range ("keyframe-interval", config->keyframe_interval, 1, 60,
          error))
    return FALSE;

  if (config->width % 2 || config->height % 2) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "width and height must be even, got %ux%u", config->width,
        config->height);
    return FALSE;
  }

  if (config->camera < 0 || config->camera > 255) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "camera must be between 0 and 255, got %d", config->camera);
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

  return check_ice_server ("stun-server", config->stun_server, "stun://",
      error) && check_ice_server ("turn-server", config->turn_server,
      "turn", error);
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
  return g_strdup_printf ("/dev/video%d", config->camera);
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

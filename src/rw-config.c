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
#include "rw-pipeline.h"

#include <gio/gio.h>

/**
 * rw_config_new:
 *
 * Returns: (transfer full): a config holding the defaults: port 8080, all
 * addresses, plain HTTP, any origin, no viewer token, 32 viewers, bodies up
 * to 64 KiB, 20 requests/s per client (40 at once), 15 s to connect,
 * 10 s to send a request, 10 s of silence and 256 connections at most,
 * camera 0, VP8 1280x720@30 at 2 Mbit/s, a keyframe every 2 s, no STUN or
 * TURN server.
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
  config->max_body = RW_CONFIG_DEFAULT_MAX_BODY;
  config->rate_limit = RW_CONFIG_DEFAULT_RATE_LIMIT;
  config->rate_burst = RW_CONFIG_DEFAULT_RATE_BURST;
  config->handshake_timeout = RW_CONFIG_DEFAULT_HANDSHAKE_TIMEOUT;
  config->request_timeout = RW_CONFIG_DEFAULT_REQUEST_TIMEOUT;
  config->idle_timeout = RW_CONFIG_DEFAULT_IDLE_TIMEOUT;
  config->max_connections = RW_CONFIG_DEFAULT_MAX_CONNECTIONS;
  config->auth_clock_skew = RW_CONFIG_DEFAULT_CLOCK_SKEW;

  return config;
}

void
rw_config_free (RwConfig * config)
{
  if (config == NULL)
    return;

  g_free (config->bind_address);
  g_strfreev (config->allowed_origins);
  g_free (config->tls_certificate);
  g_free (config->tls_key);
  g_free (config->auth_secret_file);
  g_free (config->auth_audience);
  g_free (config->stun_server);
  g_free (config->turn_server);
  g_strfreev (config->ice_addresses);
  g_free (config->pipeline);
  g_free (config->pipeline_name);
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
          error) ||
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
      !check_range ("clock-skew", config->auth_clock_skew, 0, 600, error))
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

  if (config->min_rtp_port > config->max_rtp_port ||
      (config->min_rtp_port == 0) != (config->max_rtp_port == 0)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "port-range must be MIN-MAX with 1 <= MIN <= MAX <= 65535, got "
        "%u-%u", config->min_rtp_port, config->max_rtp_port);
    return FALSE;
  }

  return check_ice_server ("stun-server", config->stun_server, "stun://",
      error) && check_ice_server ("turn-server", config->turn_server,
      "turn", error);
}

/* --- the config file --- */

typedef enum
{
  KEY_UINT,
  KEY_INT,
  KEY_STRING,
  KEY_PATH,
  KEY_LIST,
  KEY_CODEC,
  KEY_PORT_RANGE,
  KEY_PIPELINE,
} KeyType;

typedef struct
{
  const gchar *group;
  const gchar *key;
  KeyType type;
  gsize offset;
  guint64 min, max;
} KeySpec;

#define FIELD(f) G_STRUCT_OFFSET (RwConfig, f)

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
  {"auth", "secret-file", KEY_PATH, FIELD (auth_secret_file)},
  {"auth", "audience", KEY_STRING, FIELD (auth_audience)},
  {"auth", "clock-skew", KEY_UINT, FIELD (auth_clock_skew), 0, 600},
  {"webrtc", "stun-server", KEY_STRING, FIELD (stun_server)},
  {"webrtc", "turn-server", KEY_STRING, FIELD (turn_server)},
  {"webrtc", "ice-addresses", KEY_LIST, FIELD (ice_addresses)},
  {"webrtc", "port-range", KEY_PORT_RANGE, 0},
  {"media", "camera", KEY_INT, FIELD (camera), 0, 255},
  {"media", "codec", KEY_CODEC, FIELD (codec)},
  {"media", "width", KEY_UINT, FIELD (width), 16, 7680},
  {"media", "height", KEY_UINT, FIELD (height), 16, 4320},
  {"media", "framerate", KEY_UINT, FIELD (framerate), 1, 120},
  {"media", "bitrate", KEY_UINT, FIELD (bitrate), 10000, 100000000},
  {"media", "keyframe-interval", KEY_UINT, FIELD (keyframe_interval), 1, 60},
  {"media", "pipeline", KEY_PIPELINE, 0},
};

static const gchar *groups[] = { "server", "auth", "webrtc", "media", NULL };

static const KeySpec *
find_key (const gchar * group, const gchar * key)
{
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

static gboolean
parse_port_range (const gchar * text, RwConfig * config, GError ** error)
{
  static const KeySpec port = { NULL, NULL, KEY_UINT, 0, 1, 65535 };
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

static gboolean
load_key (RwConfig * config, GKeyFile * file, const KeySpec * spec,
    const gchar * base_dir, GError ** error)
{
  gpointer field = G_STRUCT_MEMBER_P (config, spec->offset);
  g_autofree gchar *text = NULL;
  guint64 number;

  text = g_key_file_get_string (file, spec->group, spec->key, error);
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
      *(gchar ***) field = g_key_file_get_string_list (file, spec->group,
          spec->key, NULL, error);
      for (gchar ** s = *(gchar ***) field; s && *s; s++)
        g_strstrip (*s);
      return *(gchar ***) field != NULL;
    case KEY_CODEC:
      return rw_codec_from_string (text, (RwCodec *) field, error);
    case KEY_PORT_RANGE:
      return parse_port_range (text, config, error);
    case KEY_PIPELINE:{
      g_autoptr (GstElement) bin = NULL;
      g_autofree gchar *name = NULL;
      g_autofree gchar *description = rw_pipeline_find (text, base_dir,
          &name, error);

      if (description == NULL)
        return FALSE;
      /* parse now: a typo must stop the daemon before it starts */
      bin = rw_pipeline_parse (description, error);
      if (bin == NULL) {
        if (!g_str_equal (name, "inline"))
          g_prefix_error (error, "%s: ", name);
        return FALSE;
      }
      gst_object_ref_sink (bin);
      g_free (config->pipeline);
      g_free (config->pipeline_name);
      config->pipeline = g_steal_pointer (&description);
      config->pipeline_name = g_steal_pointer (&name);
      return TRUE;
    }
  }
  g_return_val_if_reached (FALSE);
}

/**
 * rw_config_load_file:
 * @config: the settings to update
 * @path: a GKeyFile with [server], [auth], [webrtc] and [media] groups
 * @error: what is wrong, as "FILE: [group] key: reason"
 *
 * Reads a config file over @config. Unknown groups and keys are errors, so
 * a typo never goes unnoticed; a pipeline is parsed at once. Relative file
 * names (TLS, secret) are relative to the config file's directory.
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
 * @length: its length
 * @path: the file's name, for messages
 * @base_dir: where relative file names in it are looked for
 * @error: what is wrong, as "PATH: [group] key: reason"
 *
 * rw_config_load_file() on text already read.
 *
 * Returns: %TRUE if every key was valid.
 */
gboolean
rw_config_load_data (RwConfig * config, const gchar * data, gsize length,
    const gchar * path, const gchar * base_dir, GError ** error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_auto (GStrv) file_groups = NULL;

  if (!g_key_file_load_from_data (file, data, length, G_KEY_FILE_NONE,
          &local_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, "%s: %s", path,
        local_error->message);
    return FALSE;
  }

  file_groups = g_key_file_get_groups (file, NULL);
  for (guint g = 0; file_groups[g]; g++) {
    const gchar *group = file_groups[g];
    g_auto (GStrv) file_keys = NULL;

    if (!g_strv_contains (groups, group)) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "%s: unknown group [%s] (known: [server], [auth], [webrtc], "
          "[media])", path, group);
      return FALSE;
    }

    file_keys = g_key_file_get_keys (file, group, NULL, NULL);
    for (guint k = 0; file_keys && file_keys[k]; k++) {
      const KeySpec *spec = find_key (group, file_keys[k]);

      if (spec == NULL) {
        g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
            "%s: [%s] %s: unknown key", path, group, file_keys[k]);
        return FALSE;
      }
      if (!load_key (config, file, spec, base_dir, &local_error)) {
        g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
            "%s: [%s] %s: %s", path, group, file_keys[k], local_error->message);
        return FALSE;
      }
    }
  }

  if (!rw_config_validate (config, &local_error)) {
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

/**
 * rw_config_media_equal:
 * @a: settings
 * @b: other settings
 *
 * Returns: %TRUE if @a and @b make the same video: camera, pipeline, codec,
 * size, rate, bitrate and keyframe interval.
 */
gboolean
rw_config_media_equal (const RwConfig * a, const RwConfig * b)
{
  return a->camera == b->camera && a->codec == b->codec &&
      a->width == b->width && a->height == b->height &&
      a->framerate == b->framerate && a->bitrate == b->bitrate &&
      a->keyframe_interval == b->keyframe_interval &&
      g_strcmp0 (a->pipeline, b->pipeline) == 0;
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

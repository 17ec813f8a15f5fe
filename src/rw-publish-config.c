/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-publish-config
 * @title: RwPublishConfig
 * @short_description: a `[publish NAME]` group: one stream to a WHIP endpoint
 *
 * A config file may name any number of `[publish NAME]` groups, each
 * sending one stream, once, to a WHIP endpoint (docs/scale-out.md):
 *
 * |[
 * [publish lab-sfu]
 * stream=front
 * url=https://sfu.lab.example.org/whip/endpoint/robot-alpha
 * token-file=/etc/robot-webrtc/whip-token
 * ]|
 *
 * Unknown keys are errors, like everywhere in the file. The token file is
 * read again at each connection attempt, so that a rotated token needs no
 * reload; it must be readable when the file is loaded.
 */

#include "rw-publish-config.h"
#include "rw-config.h"
#include "rw-error.h"
#include "rw-turn.h"

#include <gio/gio.h>
#include <string.h>

#define GROUP_PREFIX "publish "
/* A bearer token is a line of text, not a file's worth. */
#define MAX_TOKEN 4096

static const gchar *known_keys[] = {
  "stream", "url", "token-file", "audio", "stun-server", "turn-server",
  "turn-user", "turn-password", "ice-addresses", NULL
};

/**
 * rw_publish_config_new:
 * @name: the publish's name
 *
 * Returns: (transfer full): a publish of the first stream, with its audio,
 *   to no endpoint yet.
 */
RwPublishConfig *
rw_publish_config_new (const gchar * name)
{
  RwPublishConfig *config = g_new0 (RwPublishConfig, 1);

  config->name = g_strdup (name);
  config->audio = TRUE;
  return config;
}

/**
 * rw_publish_config_copy:
 * @config: a publish
 *
 * Returns: (transfer full): a deep copy.
 */
RwPublishConfig *
rw_publish_config_copy (const RwPublishConfig * config)
{
  RwPublishConfig *copy = g_new0 (RwPublishConfig, 1);

  copy->name = g_strdup (config->name);
  copy->stream = g_strdup (config->stream);
  copy->url = g_strdup (config->url);
  copy->token_file = g_strdup (config->token_file);
  copy->audio = config->audio;
  copy->stun_server = g_strdup (config->stun_server);
  copy->turn_server = g_strdup (config->turn_server);
  copy->turn_user = g_strdup (config->turn_user);
  copy->turn_password = g_strdup (config->turn_password);
  copy->ice_addresses = g_strdupv (config->ice_addresses);
  return copy;
}

void
rw_publish_config_free (RwPublishConfig * config)
{
  if (config == NULL)
    return;
  g_free (config->name);
  g_free (config->stream);
  g_free (config->url);
  g_free (config->token_file);
  g_free (config->stun_server);
  g_free (config->turn_server);
  g_free (config->turn_user);
  if (config->turn_password)
    memset (config->turn_password, 0, strlen (config->turn_password));
  g_free (config->turn_password);
  g_strfreev (config->ice_addresses);
  g_free (config);
}

static gboolean
strv_equal (gchar ** a, gchar ** b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strv_equal ((const gchar * const *) a, (const gchar * const *) b);
}

/**
 * rw_publish_config_equal:
 * @a: a publish
 * @b: another
 *
 * Returns: %TRUE if they send the same stream the same way: a reload that
 *   keeps it leaves the publish alone.
 */
gboolean
rw_publish_config_equal (const RwPublishConfig * a, const RwPublishConfig * b)
{
  return g_strcmp0 (a->name, b->name) == 0 &&
      g_strcmp0 (a->stream, b->stream) == 0 &&
      g_strcmp0 (a->url, b->url) == 0 &&
      g_strcmp0 (a->token_file, b->token_file) == 0 &&
      a->audio == b->audio &&
      g_strcmp0 (a->stun_server, b->stun_server) == 0 &&
      g_strcmp0 (a->turn_server, b->turn_server) == 0 &&
      g_strcmp0 (a->turn_user, b->turn_user) == 0 &&
      g_strcmp0 (a->turn_password, b->turn_password) == 0 &&
      strv_equal (a->ice_addresses, b->ice_addresses);
}

static gboolean
check_url (const gchar * url, GError ** error)
{
  g_autoptr (GUri) uri = NULL;
  const gchar *scheme;

  if (url == NULL) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "url is missing: the WHIP endpoint, http(s)://…");
    return FALSE;
  }
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || (g_strcmp0 (scheme, "http") != 0 &&
          g_strcmp0 (scheme, "https") != 0) || g_uri_get_host (uri) == NULL ||
      g_uri_get_host (uri)[0] == '\0') {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "url must be an http:// or https:// URL of a WHIP endpoint, got "
        "'%s'", url);
    return FALSE;
  }
  if (g_uri_get_userinfo (uri)) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "url must not carry credentials; put the bearer token in "
        "token-file");
    return FALSE;
  }
  return TRUE;
}

/**
 * rw_publish_config_validate:
 * @config: a publish
 * @error: which key is wrong, and why
 *
 * Checks the endpoint URL, the stream name, the ICE servers, and that the
 * token file can be read now.
 *
 * Returns: %TRUE if it can be used.
 */
gboolean
rw_publish_config_validate (const RwPublishConfig * config, GError ** error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree gchar *token = NULL;

  if (!check_url (config->url, error))
    return FALSE;
  if (config->stream && !rw_stream_name_is_valid (config->stream)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "stream: '%s' is not a stream name (1 to 32 of a-z, 0-9 and '-')",
        config->stream);
    return FALSE;
  }
  if (config->stun_server && !g_str_has_prefix (config->stun_server, "stun://")) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "stun-server must start with stun://, got '%s'", config->stun_server);
    return FALSE;
  }
  if (!rw_turn_check_settings (config->turn_server, config->turn_user,
          config->turn_password, NULL, RW_TURN_DEFAULT_LIFETIME, error))
    return FALSE;
  for (guint i = 0; config->ice_addresses && config->ice_addresses[i]; i++) {
    if (!g_hostname_is_ip_address (config->ice_addresses[i])) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "ice-addresses must be IP addresses, got '%s'",
          config->ice_addresses[i]);
      return FALSE;
    }
  }
  if (config->token_file) {
    token = rw_publish_config_read_token (config, &local_error);
    if (token == NULL) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "token-file: %s", local_error->message);
      return FALSE;
    }
    memset (token, 0, strlen (token));
  }
  return TRUE;
}

/**
 * rw_publish_config_read_token:
 * @config: a publish with a token file
 * @error: why there is no token
 *
 * Reads the bearer token: the file's text without surrounding white
 * space, printable ASCII, at most 4096 bytes.
 *
 * Returns: (transfer full) (nullable): the token; clear it after use.
 */
gchar *
rw_publish_config_read_token (const RwPublishConfig * config, GError ** error)
{
  g_autofree gchar *text = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize length;

  g_return_val_if_fail (config->token_file != NULL, NULL);

  if (!g_file_get_contents (config->token_file, &text, &length, &local_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, "%s",
        local_error->message);
    return NULL;
  }
  if (length > MAX_TOKEN || strlen (text) != length) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "%s: not a bearer token (a line of text up to %d bytes)",
        config->token_file, MAX_TOKEN);
    memset (text, 0, length);
    return NULL;
  }
  g_strstrip (text);
  for (const gchar * c = text; *c; c++) {
    if (*c < 0x21 || *c > 0x7e) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "%s: the token must be one word of printable ASCII",
          config->token_file);
      memset (text, 0, length);
      return NULL;
    }
  }
  if (text[0] == '\0') {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, "%s is empty",
        config->token_file);
    return NULL;
  }
  return g_steal_pointer (&text);
}

/**
 * rw_publish_config_is_group:
 * @group: a config file's group name
 *
 * Returns: %TRUE for `[publish NAME]` (and a bare `[publish]`, which
 *   rw_publish_config_load_all() refuses with a reason).
 */
gboolean
rw_publish_config_is_group (const gchar * group)
{
  return g_str_equal (group, "publish") ||
      g_str_has_prefix (group, GROUP_PREFIX);
}

static gchar *
get_string (GKeyFile * file, const gchar * group, const gchar * key)
{
  gchar *text = g_key_file_get_string (file, group, key, NULL);

  if (text == NULL)
    return NULL;
  g_strstrip (text);
  if (text[0] == '\0')
    g_clear_pointer (&text, g_free);
  return text;
}

static RwPublishConfig *
load_group (GKeyFile * file, const gchar * group, const gchar * base_dir,
    GError ** error)
{
  const gchar *name = g_str_equal (group, "publish") ? "" :
      group + strlen (GROUP_PREFIX);
  g_autoptr (RwPublishConfig) config = NULL;
  g_auto (GStrv) keys = g_key_file_get_keys (file, group, NULL, NULL);
  g_autofree gchar *token_file = NULL;
  g_autofree gchar *audio = NULL;

  if (!rw_stream_name_is_valid (name)) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, "[%s]: a publish "
        "name is 1 to 32 of a-z, 0-9 and '-'", group);
    return NULL;
  }
  for (guint k = 0; keys && keys[k]; k++) {
    if (!g_strv_contains (known_keys, keys[k])) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "[%s] %s: unknown key", group, keys[k]);
      return NULL;
    }
  }

  config = rw_publish_config_new (name);
  config->stream = get_string (file, group, "stream");
  config->url = get_string (file, group, "url");
  token_file = get_string (file, group, "token-file");
  if (token_file) {
    g_autofree gchar *dir = g_canonicalize_filename (base_dir, NULL);

    config->token_file = g_canonicalize_filename (token_file, dir);
  }
  audio = get_string (file, group, "audio");
  if (audio && !rw_config_parse_boolean (audio, &config->audio, error)) {
    g_prefix_error (error, "[%s] audio: ", group);
    return NULL;
  }
  config->stun_server = get_string (file, group, "stun-server");
  config->turn_server = get_string (file, group, "turn-server");
  config->turn_user = get_string (file, group, "turn-user");
  config->turn_password = get_string (file, group, "turn-password");
  if (g_key_file_has_key (file, group, "ice-addresses", NULL)) {
    config->ice_addresses = g_key_file_get_string_list (file, group,
        "ice-addresses", NULL, NULL);
    for (gchar ** s = config->ice_addresses; s && *s; s++)
      g_strstrip (*s);
  }
  if (!rw_publish_config_validate (config, error)) {
    g_prefix_error (error, "[%s] ", group);
    return NULL;
  }
  return g_steal_pointer (&config);
}

/**
 * rw_publish_config_load_all:
 * @file: a loaded config file
 * @path: its name, for messages
 * @base_dir: where a relative token-file is looked for
 * @error: what is wrong, as "PATH: [publish NAME] key: reason"
 *
 * Returns: (transfer full) (element-type RwPublishConfig) (nullable): the
 *   file's `[publish NAME]` groups, in file order, or %NULL with @error.
 */
GPtrArray *
rw_publish_config_load_all (GKeyFile * file, const gchar * path,
    const gchar * base_dir, GError ** error)
{
  g_autoptr (GPtrArray) publishes =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rw_publish_config_free);
  g_auto (GStrv) groups = g_key_file_get_groups (file, NULL);
  g_autoptr (GError) local_error = NULL;

  for (guint g = 0; groups[g]; g++) {
    RwPublishConfig *config;

    if (!rw_publish_config_is_group (groups[g]))
      continue;
    config = load_group (file, groups[g], base_dir, &local_error);
    if (config == NULL) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT, "%s: %s", path,
          local_error->message);
      return NULL;
    }
    g_ptr_array_add (publishes, config);
  }
  return g_steal_pointer (&publishes);
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Settings: defaults, and every out-of-range value refused with a message
 * naming the setting. */

#include <string.h>

#include "rw-config.h"
#include "rw-error.h"

static void
test_defaults (void)
{
  g_autoptr (RwConfig) config = rw_config_new ();
  g_autofree gchar *device = rw_config_camera_device (config);

  g_assert_true (rw_config_validate (config, NULL));
  g_assert_cmpuint (config->port, ==, 8080);
  g_assert_cmpuint (config->width, ==, 1280);
  g_assert_cmpuint (config->height, ==, 720);
  g_assert_cmpuint (config->framerate, ==, 30);
  g_assert_cmpuint (config->bitrate, ==, 2000000);
  g_assert_cmpuint (config->max_viewers, ==, 32);
  g_assert_cmpint (config->codec, ==, RW_CODEC_VP8);
  g_assert_null (config->stun_server);
  g_assert_null (config->turn_server);
  g_assert_cmpstr (device, ==, "/dev/video0");
}

typedef void (*Mutate) (RwConfig * config);

static void
bad_port (RwConfig * c)
{
  c->port = 70000;
}

static void
bad_width (RwConfig * c)
{
  c->width = 8;
}

static void
odd_height (RwConfig * c)
{
  c->height = 721;
}

static void
bad_framerate (RwConfig * c)
{
  c->framerate = 0;
}

static void
bad_bitrate (RwConfig * c)
{
  c->bitrate = 5;
}

static void
bad_viewers (RwConfig * c)
{
  c->max_viewers = 0;
}

static void
bad_camera (RwConfig * c)
{
  c->camera = -1;
}

static void
bad_bind (RwConfig * c)
{
  c->bind_address = g_strdup ("robot.local");
}

static void
bad_ice (RwConfig * c)
{
  c->ice_addresses = g_strsplit ("127.0.0.1,eth0", ",", -1);
}

static void
bad_origin (RwConfig * c)
{
  c->allowed_origins = g_strsplit ("https://lab.example,lab.example", ",", -1);
}

static void
bad_stun (RwConfig * c)
{
  c->stun_server = g_strdup ("stun.example:3478");
}

static const struct
{
  Mutate mutate;
  const gchar *name;
} bad_cases[] = {
  {bad_port, "port"},
  {bad_width, "width"},
  {odd_height, "even"},
  {bad_framerate, "framerate"},
  {bad_bitrate, "bitrate"},
  {bad_viewers, "max-viewers"},
  {bad_camera, "camera"},
  {bad_bind, "bind"},
  {bad_ice, "ice-address"},
  {bad_origin, "allow-origin"},
  {bad_stun, "stun-server"},
};

static void
test_bad_values (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autoptr (RwConfig) config = rw_config_new ();
    g_autoptr (GError) error = NULL;

    bad_cases[i].mutate (config);
    g_assert_false (rw_config_validate (config, &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
    if (strstr (error->message, bad_cases[i].name) == NULL)
      g_error ("'%s' does not name '%s'", error->message, bad_cases[i].name);
  }
}

static void
test_codecs (void)
{
  RwCodec codec;
  g_autoptr (GError) error = NULL;

  g_assert_true (rw_codec_from_string ("VP8", &codec, NULL));
  g_assert_cmpint (codec, ==, RW_CODEC_VP8);
  g_assert_true (rw_codec_from_string ("h264", &codec, NULL));
  g_assert_cmpint (codec, ==, RW_CODEC_H264);
  g_assert_false (rw_codec_from_string ("av1", &codec, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (rw_codec_to_string (RW_CODEC_H264), ==, "H264");
}

static void
test_origins (void)
{
  g_autoptr (RwConfig) config = rw_config_new ();

  g_assert_true (rw_config_origin_allowed (config, "https://any.example"));
  config->allowed_origins = g_strsplit ("https://lab.example", ",", -1);
  g_assert_true (rw_config_origin_allowed (config, "https://lab.example"));
  g_assert_true (rw_config_origin_allowed (config, "HTTPS://LAB.example"));
  g_assert_false (rw_config_origin_allowed (config, "https://evil.example"));
  g_assert_false (rw_config_origin_allowed (config,
          "https://lab.example.evil.example"));
  g_assert_true (rw_config_origin_allowed (config, NULL));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/bad-values", test_bad_values);
  g_test_add_func ("/config/codecs", test_codecs);
  g_test_add_func ("/config/origins", test_origins);

  return g_test_run ();
}

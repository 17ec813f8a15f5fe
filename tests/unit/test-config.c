/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Settings: defaults, and every out-of-range value refused with a message
 * naming the setting. */

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>
#include <unistd.h>

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
  /* open and plain HTTP, as the seed, with limits */
  g_assert_null (config->tls_certificate);
  g_assert_null (config->auth_secret_file);
  g_assert_null (config->auth_audience);
  g_assert_cmpuint (config->max_body, ==, 64 * 1024);
  g_assert_cmpuint (config->rate_limit, ==, 20);
  g_assert_cmpuint (config->rate_burst, ==, 40);
  g_assert_cmpuint (config->handshake_timeout, ==, 15);
  g_assert_cmpuint (config->auth_clock_skew, ==, 30);
  g_assert_cmpuint (config->request_timeout, ==, 10);
  g_assert_cmpuint (config->idle_timeout, ==, 10);
  g_assert_cmpuint (config->max_connections, ==, 256);
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

static void
bad_burst (RwConfig * c)
{
  c->rate_burst = 0;
}

static void
bad_request_timeout (RwConfig * c)
{
  c->request_timeout = 301;
}

static void
bad_idle_timeout (RwConfig * c)
{
  c->idle_timeout = 0;
}

static void
bad_max_connections (RwConfig * c)
{
  c->max_connections = 7;
}

static void
key_without_certificate (RwConfig * c)
{
  c->tls_key = g_strdup ("/etc/ssl/private/robot.key");
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
  {bad_burst, "rate-burst"},
  {bad_request_timeout, "request-timeout"},
  {bad_idle_timeout, "idle-timeout"},
  {bad_max_connections, "max-connections"},
  {key_without_certificate, "tls-key"},
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

static gchar *
write_config (const gchar * text)
{
  g_autoptr (GError) error = NULL;
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("rw-config-XXXXXX.conf", &path, &error);

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  close (fd);
  return path;
}

static void
test_file_good (void)
{
  g_autoptr (RwConfig) config = rw_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = write_config ("# a robot\n"
      "[server]\nport=9000\nbind=127.0.0.1\n"
      "allowed-origins=https://lab.example;http://localhost:3000\n"
      "max-viewers=4\n"
      "[webrtc]\nstun-server=stun://stun.lab.example:3478\n"
      "ice-addresses=127.0.0.1\nport-range=50000-50100\n"
      "[media]\ncamera=2\ncodec=h264\nwidth=640\nheight=480\n"
      "framerate=15\nbitrate=800000\nkeyframe-interval=4\n"
      "pipeline=test-vp8\n");

  g_assert_true (rw_config_load_file (config, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (config->port, ==, 9000);
  g_assert_cmpstr (config->bind_address, ==, "127.0.0.1");
  g_assert_cmpuint (g_strv_length (config->allowed_origins), ==, 2);
  g_assert_cmpstr (config->allowed_origins[1], ==, "http://localhost:3000");
  g_assert_cmpuint (config->max_viewers, ==, 4);
  g_assert_cmpstr (config->stun_server, ==, "stun://stun.lab.example:3478");
  g_assert_cmpstr (config->ice_addresses[0], ==, "127.0.0.1");
  g_assert_cmpuint (config->min_rtp_port, ==, 50000);
  g_assert_cmpuint (config->max_rtp_port, ==, 50100);
  g_assert_cmpint (config->camera, ==, 2);
  g_assert_cmpint (config->codec, ==, RW_CODEC_H264);
  g_assert_cmpuint (config->width, ==, 640);
  g_assert_cmpuint (config->framerate, ==, 15);
  g_assert_cmpuint (config->bitrate, ==, 800000);
  g_assert_cmpuint (config->keyframe_interval, ==, 4);
  g_assert_nonnull (strstr (config->pipeline, "vp8enc"));
  g_assert_true (g_str_has_suffix (config->pipeline_name, "test-vp8.pipeline"));
  g_unlink (path);
}

/* [auth] and the TLS files; relative names are next to the config file. */
static void
test_file_security (void)
{
  g_autoptr (RwConfig) config = rw_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = write_config ("[server]\n"
      "tls-certificate=robot.crt\ntls-key=/etc/ssl/private/robot.key\n"
      "max-body=4096\nrate-limit=5\nrate-burst=10\nhandshake-timeout=8\n"
      "request-timeout=300\nidle-timeout=3600\nmax-connections=8\n"
      "[auth]\nsecret-file=robot.secret\naudience=robot-alpha\n"
      "clock-skew=5\n");
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *certificate = g_build_filename (dir, "robot.crt", NULL);
  g_autofree gchar *secret = g_build_filename (dir, "robot.secret", NULL);

  g_assert_true (rw_config_load_file (config, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->tls_certificate, ==, certificate);
  g_assert_cmpstr (config->tls_key, ==, "/etc/ssl/private/robot.key");
  g_assert_cmpuint (config->max_body, ==, 4096);
  g_assert_cmpuint (config->rate_limit, ==, 5);
  g_assert_cmpuint (config->rate_burst, ==, 10);
  g_assert_cmpuint (config->handshake_timeout, ==, 8);
  g_assert_cmpuint (config->request_timeout, ==, 300);
  g_assert_cmpuint (config->idle_timeout, ==, 3600);
  g_assert_cmpuint (config->max_connections, ==, 8);
  g_assert_cmpstr (config->auth_secret_file, ==, secret);
  g_assert_cmpstr (config->auth_audience, ==, "robot-alpha");
  g_assert_cmpuint (config->auth_clock_skew, ==, 5);
  g_unlink (path);
}

static void
test_file_example (void)
{
  g_autoptr (RwConfig) config = rw_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = g_build_filename (g_getenv ("RW_DATA_DIR"),
      "robot-webrtc-server.conf", NULL);

  g_assert_true (rw_config_load_file (config, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (config->port, ==, 8080);
  g_assert_null (config->pipeline);
  g_assert_null (config->stun_server);
}

static void
test_file_bad (void)
{
  static const struct
  {
    const gchar *text;
    const gchar *message;       /* after "FILE: " */
  } cases[] = {
    {"[server]\nport=80a\n", "[server] port: expected a whole number from "
          "0 to 65535, got '80a'"},
    {"[server]\nport=70000\n", "[server] port: expected a whole number "
          "from 0 to 65535, got '70000'"},
    {"[server]\nprot=80\n", "[server] prot: unknown key"},
    {"[sever]\nport=80\n", "unknown group [sever] (known: [server], "
          "[auth], [webrtc], [media])"},
    {"[server]\nrate-limit=fast\n", "[server] rate-limit: expected a whole "
          "number from 0 to 100000, got 'fast'"},
    {"[server]\nmax-body=100\n", "[server] max-body: expected a whole "
          "number from 1024 to 16777216, got '100'"},
    {"[server]\nhandshake-timeout=0\n", "[server] handshake-timeout: "
          "expected a whole number from 1 to 120, got '0'"},
    {"[server]\nrequest-timeout=0\n", "[server] request-timeout: "
          "expected a whole number from 1 to 300, got '0'"},
    {"[server]\nrequest-timeout=301\n", "[server] request-timeout: "
          "expected a whole number from 1 to 300, got '301'"},
    {"[server]\nidle-timeout=0\n", "[server] idle-timeout: expected a "
          "whole number from 1 to 3600, got '0'"},
    {"[server]\nidle-timeout=3601\n", "[server] idle-timeout: expected a "
          "whole number from 1 to 3600, got '3601'"},
    {"[server]\nmax-connections=7\n", "[server] max-connections: "
          "expected a whole number from 8 to 65535, got '7'"},
    {"[server]\nmax-connections=65536\n", "[server] max-connections: "
          "expected a whole number from 8 to 65535, got '65536'"},
    {"[server]\nidle-timeout=10s\n", "[server] idle-timeout: expected a "
          "whole number from 1 to 3600, got '10s'"},
    {"[server]\ntls-key=key.pem\n", "tls-key needs tls-certificate"},
    {"[auth]\nsecret=hunter2\n", "[auth] secret: unknown key"},
    {"[auth]\naudience=robot-alpha\n", "audience (the robot id) needs "
          "secret-file"},
    {"[auth]\nclock-skew=3600\n", "[auth] clock-skew: expected a whole "
          "number from 0 to 600, got '3600'"},
    {"[media]\ncodec=av1\n", "[media] codec: codec must be vp8 or h264, got "
          "'av1'"},
    {"[media]\nwidth=-1\n", "[media] width: expected a whole number from 16 "
          "to 7680, got '-1'"},
    {"[media]\nheight=721\n", "width and height must be even, got " "1280x721"},
    {"[webrtc]\nport-range=50100-50000\n", "[webrtc] port-range: expected "
          "MIN-MAX UDP ports (e.g. 50000-50100), got '50100-50000'"},
    {"[webrtc]\nstun-server=stun.example:3478\n", "stun-server must look "
          "like stun://host:port, got 'stun.example:3478'"},
    {"[media]\npipeline=videotestsrc ! ! vp8enc\n", "[media] pipeline: the "
          "pipeline does not parse: syntax error"},
    {"[media]\npipeline=videotestsrc ! nosuchenc\n", "[media] pipeline: "
          "missing GStreamer elements: nosuchenc (not installed on this "
          "machine)"},
    {"[media]\npipeline=no-such-file\n", "[media] pipeline: no pipeline "
          "file 'no-such-file'"},
    {"[media]\npipeline=videotestsrc ! fakesink\n", "[media] pipeline: the "
          "pipeline must end in an unlinked src pad (the encoded video)"},
    {"port=80\n", "Key file does not start with a group"},
    {"[server\n", "not a key-value pair, group, or comment"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (RwConfig) config = rw_config_new ();
    g_autoptr (GError) error = NULL;
    g_autofree gchar *path = write_config (cases[i].text);

    g_test_message ("%s", cases[i].text);
    g_assert_false (rw_config_load_file (config, path, &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
    g_assert_true (g_str_has_prefix (error->message, path));
    if (strstr (error->message, cases[i].message) == NULL)
      g_error ("'%s' does not contain '%s'", error->message, cases[i].message);
    g_unlink (path);
  }

  {
    g_autoptr (RwConfig) config = rw_config_new ();
    g_autoptr (GError) error = NULL;

    g_assert_false (rw_config_load_file (config, "/nonexistent/rw.conf",
            &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
    g_assert_true (g_str_has_prefix (error->message, "/nonexistent/rw.conf"));
  }
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/file/good", test_file_good);
  g_test_add_func ("/config/file/example", test_file_example);
  g_test_add_func ("/config/file/security", test_file_security);
  g_test_add_func ("/config/file/bad", test_file_bad);

  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/bad-values", test_bad_values);
  g_test_add_func ("/config/codecs", test_codecs);
  g_test_add_func ("/config/origins", test_origins);

  return g_test_run ();
}

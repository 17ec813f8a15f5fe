/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Settings: defaults, and every out-of-range value refused with a message
 * naming the setting; [stream NAME] groups and what they inherit from
 * [media]. */

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>
#include <unistd.h>

#include "rw-config.h"
#include "rw-publish-config.h"
#include "rw-error.h"

static void
test_defaults (void)
{
  g_autoptr (RwConfig) config = rw_config_new ();
  g_autofree gchar *device = rw_config_camera_device (config);

  g_assert_true (rw_config_validate (config, NULL));
  g_assert_cmpuint (config->port, ==, 8080);
  g_assert_cmpuint (config->media.width, ==, 1280);
  g_assert_cmpuint (config->media.height, ==, 720);
  g_assert_cmpuint (config->media.framerate, ==, 30);
  g_assert_cmpuint (config->media.bitrate, ==, 2000000);
  g_assert_cmpuint (config->max_viewers, ==, 32);
  g_assert_cmpint (config->media.codec, ==, RW_CODEC_VP8);
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
  g_assert_cmpuint (config->auth_session_grace, ==, 0);
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
  c->media.width = 8;
}

static void
odd_height (RwConfig * c)
{
  c->media.height = 721;
}

static void
bad_framerate (RwConfig * c)
{
  c->media.framerate = 0;
}

static void
bad_bitrate (RwConfig * c)
{
  c->media.bitrate = 5;
}

static void
bad_viewers (RwConfig * c)
{
  c->max_viewers = 0;
}

static void
bad_camera (RwConfig * c)
{
  c->media.camera = -1;
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
  g_assert_cmpint (config->media.camera, ==, 2);
  g_assert_cmpint (config->media.codec, ==, RW_CODEC_H264);
  g_assert_cmpuint (config->media.width, ==, 640);
  g_assert_cmpuint (config->media.framerate, ==, 15);
  g_assert_cmpuint (config->media.bitrate, ==, 800000);
  g_assert_cmpuint (config->media.keyframe_interval, ==, 4);
  g_assert_nonnull (strstr (config->media.pipeline, "vp8enc"));
  g_assert_true (g_str_has_suffix (config->media.pipeline_name,
          "test-vp8.pipeline"));
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
      "clock-skew=5\nsession-grace=120\n");
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
  g_assert_cmpuint (config->auth_session_grace, ==, 120);
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
  g_assert_null (config->media.pipeline);
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
          "[auth], [webrtc], [media], [stream NAME], [publish NAME])"},
    {"[publish sfu]\n", "[publish sfu] url is missing"},
    {"[publish sfu]\nurl=ftp://sfu/whip\n", "[publish sfu] url must be an "
          "http:// or https:// URL"},
    {"[publish sfu]\nurl=https://u:hunter2@sfu/whip\n", "url must not carry "
          "credentials"},
    {"[publish sfu]\nurl=https://sfu/whip\ntoken=abc\n",
        "[publish sfu] token: unknown key"},
    {"[publish sfu]\nurl=https://sfu/whip\ntoken-file=/nonexistent/t\n",
        "[publish sfu] token-file: Failed to open file"},
    {"[publish SFU]\nurl=https://sfu/whip\n", "[publish SFU]: a publish "
          "name is 1 to 32 of a-z, 0-9 and '-'"},
    {"[publish sfu]\nurl=https://sfu/whip\n[publish sfu]\nurl=https://b/\n",
        "[publish sfu]: a second [publish sfu] group"},
    {"[stream front]\n[publish sfu]\nurl=https://sfu/whip\nstream=back\n",
        "[publish sfu] stream: there is no stream 'back'"},
    {"[publish sfu]\nurl=https://sfu/whip\nice-addresses=lan0\n",
        "ice-addresses must be IP addresses, got 'lan0'"},
    {"[publish sfu]\nurl=https://sfu/whip\nturn-server=turn:t\n"
          "turn-password=hunter2\n", "turn-password"},
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
    {"[auth]\nsession-grace=86401\n", "[auth] session-grace: expected a "
          "whole number from 0 to 86400, got '86401'"},
    {"[media]\ncodec=av1\n", "[media] codec: codec must be vp8 or h264, got "
          "'av1'"},
    {"[media]\nwidth=-1\n", "[media] width: expected a whole number from 16 "
          "to 7680, got '-1'"},
    {"[media]\nheight=721\n", "width and height must be even, got " "1280x721"},
    {"[webrtc]\nport-range=50100-50000\n", "[webrtc] port-range: expected "
          "MIN-MAX UDP ports (e.g. 50000-50100), got '50100-50000'"},
    {"[webrtc]\nstun-server=stun.example:3478\n", "stun-server must look "
          "like stun://host:port, got 'stun.example:3478'"},
    {"[webrtc]\nturn-server=stun:turn.example:3478\nturn-user=u\n"
          "turn-password=p\n", "turn-server must start with turn: or turns:"},
    {"[webrtc]\nturn-server=turn:\nturn-user=u\nturn-password=p\n",
        "turn-server has no host"},
    {"[webrtc]\nturn-server=turn:turn.example:99999\nturn-user=u\n"
          "turn-password=p\n", "turn-server is not a valid URI"},
    {"[webrtc]\nturn-server=turn:turn.example:0\nturn-user=u\n"
          "turn-password=p\n", "turn-server: the port must be between 1 and "
          "65535"},
    {"[webrtc]\nturn-server=turn:turn.example?transport=quic\nturn-user=u\n"
          "turn-password=p\n", "turn-server: the only parameter is"},
    {"[webrtc]\nturn-server=turn:turn.example\n", "turn-server needs "
          "credentials"},
    {"[webrtc]\nturn-server=turn:turn.example\nturn-user=u\n",
        "turn-user needs turn-password"},
    {"[webrtc]\nturn-server=turn:turn.example\nturn-password=p\n",
        "turn-password needs turn-user"},
    {"[webrtc]\nturn-user=u\nturn-password=p\n", "turn-user needs "
          "turn-server"},
    {"[webrtc]\nturn-secret-file=turn.secret\n", "turn-secret-file needs "
          "turn-server"},
    {"[webrtc]\nturn-server=turn:turn.example\nturn-user=u\n"
          "turn-password=p\nturn-secret-file=turn.secret\n",
        "turn-secret-file and turn-user/turn-password exclude each other"},
    {"[webrtc]\nturn-server=turn://robot:hunter2@turn.example\n"
          "turn-user=u\nturn-password=p\n", "turn-server has credentials in "
          "it and turn-user/turn-password gives them again"},
    {"[webrtc]\nturn-server=turn://robot:hunter2@turn.example\n"
          "turn-secret-file=turn.secret\n", "turn-server has credentials in "
          "it and turn-secret-file gives them again"},
    {"[webrtc]\nturn-credential-lifetime=5\n", "[webrtc] "
          "turn-credential-lifetime: expected a whole number from 10 to "
          "2592000, got '5'"},
    {"[webrtc]\npublic-address=router.example\n", "public-address must be "
          "an IPv4 or IPv6 address, got 'router.example'"},
    {"[webrtc]\nzero-playout-delay=2\n", "[webrtc] zero-playout-delay: "
          "expected true or false, got '2'"},
    {"[webrtc]\nretransmissions=maybe\n", "[webrtc] retransmissions: "
          "expected true or false, got 'maybe'"},
    {"[webrtc]\nice-tcp=passive\n", "[webrtc] ice-tcp: expected true or "
          "false, got 'passive'"},
    {"[server]\nmetrics-allow=10.0.0.0/8;lab-net\n", "metrics-allow must be "
          "IP addresses or networks like 10.0.0.0/8, got 'lab-net'"},
    {"[webrtc]\nfec-percentage=101\n", "[webrtc] fec-percentage: expected "
          "a whole number from 0 to 100, got '101'"},
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
    /* a password is never repeated */
    g_assert_null (strstr (error->message, "hunter2"));
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

static RwConfig *load_config (const gchar * text);

static void
test_file_publish (void)
{
  g_autofree gchar *token = write_config ("s3cret\n");
  g_autofree gchar *text = g_strdup_printf ("[stream front]\n[stream wrist]\n"
      "[publish lab-sfu]\nurl=https://sfu.lab.example/whip/robot-1?x=1\n"
      "token-file=%s\nstream=wrist\naudio=false\nice-addresses=10.0.0.2\n"
      "[publish backup]\nurl=http://10.0.0.9:7080/whip\n", token);
  g_autoptr (RwConfig) config = load_config (text);
  const RwPublishConfig *lab, *backup;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *read = NULL;

  g_assert_cmpuint (config->publishes->len, ==, 2);
  lab = g_ptr_array_index (config->publishes, 0);
  backup = g_ptr_array_index (config->publishes, 1);
  g_assert_cmpstr (lab->name, ==, "lab-sfu");
  g_assert_cmpstr (lab->stream, ==, "wrist");
  g_assert_cmpstr (lab->token_file, ==, token);
  g_assert_false (lab->audio);
  g_assert_cmpstr (lab->ice_addresses[0], ==, "10.0.0.2");
  g_assert_cmpstr (backup->name, ==, "backup");
  g_assert_null (backup->stream);
  g_assert_null (backup->token_file);
  g_assert_true (backup->audio);
  g_assert_true (rw_config_validate (config, &error));
  g_assert_no_error (error);

  read = rw_publish_config_read_token (lab, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (read, ==, "s3cret");
  g_assert_true (rw_publish_config_equal (lab, lab));
  g_assert_false (rw_publish_config_equal (lab, backup));

  /* a stream that is not there */
  g_free (((RwPublishConfig *) lab)->stream);
  ((RwPublishConfig *) lab)->stream = g_strdup ("tail");
  g_assert_false (rw_config_validate (config, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
      "[publish lab-sfu] stream: there is no stream 'tail'");
  g_unlink (token);
}

static void
test_file_turn (void)
{
  g_autoptr (RwConfig) config = load_config ("[webrtc]\n"
      "turn-server=turn:turn.lab.example:3478?transport=tcp\n"
      "turn-user=1700000000:robot/alpha\n"
      "turn-password=a+b/c=\n"
      "public-address=203.0.113.7\nport-range=40000-40099\n");
  g_autoptr (RwConfig) secret = load_config ("[webrtc]\n"
      "turn-server=turns:turn.lab.example\nturn-secret-file=turn.secret\n"
      "turn-credential-lifetime=30\npublic-address=2001:db8::7\n");
  g_autoptr (RwConfig) old = load_config ("[webrtc]\n"
      "turn-server=turn://robot:robotpass@turn.lab.example:3478\n");
  g_autoptr (RwConfig) defaults = rw_config_new ();

  g_assert_cmpstr (config->turn_server, ==,
      "turn:turn.lab.example:3478?transport=tcp");
  g_assert_cmpstr (config->turn_user, ==, "1700000000:robot/alpha");
  g_assert_cmpstr (config->turn_password, ==, "a+b/c=");
  g_assert_null (config->turn_secret_file);
  g_assert_cmpstr (config->public_address, ==, "203.0.113.7");
  g_assert_cmpuint (config->min_rtp_port, ==, 40000);
  g_assert_cmpuint (config->max_rtp_port, ==, 40099);

  g_assert_true (g_path_is_absolute (secret->turn_secret_file));
  g_assert_true (g_str_has_suffix (secret->turn_secret_file, "/turn.secret"));
  g_assert_cmpuint (secret->turn_credential_lifetime, ==, 30);
  g_assert_cmpstr (secret->public_address, ==, "2001:db8::7");

  g_assert_cmpstr (old->turn_server, ==,
      "turn://robot:robotpass@turn.lab.example:3478");

  g_assert_cmpuint (defaults->turn_credential_lifetime, ==, 86400);
  g_assert_null (defaults->public_address);
}

static void
test_file_repair (void)
{
  g_autoptr (RwConfig) on = load_config ("[webrtc]\nretransmissions=true\n"
      "fec-percentage=25\n");
  g_autoptr (RwConfig) off = load_config ("[webrtc]\nretransmissions=off\n");
  g_autoptr (RwConfig) defaults = rw_config_new ();
  gboolean value = FALSE;

  g_assert_true (on->retransmissions);
  g_assert_cmpuint (on->fec_percentage, ==, 25);
  g_assert_false (off->retransmissions);
  g_assert_cmpint (defaults->retransmissions, ==,
      RW_CONFIG_DEFAULT_RETRANSMISSIONS);
  g_assert_cmpuint (defaults->fec_percentage, ==, 0);
  g_assert_false (defaults->ice_tcp);
  {
    g_autoptr (RwConfig) tcp = load_config ("[webrtc]\nice-tcp=yes\n");

    g_assert_true (tcp->ice_tcp);
  }
  g_assert_true (defaults->zero_playout_delay);
  {
    g_autoptr (RwConfig) smooth = load_config ("[webrtc]\n"
        "zero-playout-delay=false\n");

    g_assert_false (smooth->zero_playout_delay);
  }

  g_assert_true (rw_config_parse_boolean ("YES", &value, NULL));
  g_assert_true (value);
  g_assert_true (rw_config_parse_boolean ("0", &value, NULL));
  g_assert_false (value);
  g_assert_false (rw_config_parse_boolean ("", &value, NULL));
}

static RwConfig *
load_config (const gchar * text)
{
  RwConfig *config = rw_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = write_config (text);

  g_assert_true (rw_config_load_file (config, path, &error));
  g_assert_no_error (error);
  g_unlink (path);
  return config;
}

static const RwStreamConfig *
stream_at (const RwConfig * config, guint i)
{
  g_assert_cmpuint (i, <, config->streams->len);
  return g_ptr_array_index (config->streams, i);
}

/* Rate control's keys (docs/rate-control.md): per stream, inherited from
 * [media], the minimum never above the maximum (or the bitrate). */
static void
test_rate_control (void)
{
  g_autoptr (RwConfig) defaults = rw_config_new ();
  g_autoptr (RwConfig) set = load_config ("[media]\nrate-control=off\n"
      "min-bitrate=300000\nmax-bitrate=1500000\nlow-layer=no\n"
      "low-layer-bitrate=150000\nscale-down=false\n[stream a]\n[stream b]\n"
      "rate-control=on\nscale-down=true\n");
  static const gchar *bad[] = {
    "[media]\nmin-bitrate=5000000\n",
    "[media]\nbitrate=1000000\n[stream a]\nmin-bitrate=1500000\n",
    "[media]\nmax-bitrate=900000\nmin-bitrate=950000\n",
    "[media]\nlow-layer-bitrate=1000\n",
    "[media]\nrate-control=maybe\n",
    "[media]\nscale-down=2\n",
  };

  g_assert_true (defaults->media.rate_control);
  g_assert_true (defaults->media.low_layer);
  g_assert_true (defaults->media.scale_down);
  g_assert_cmpuint (defaults->media.min_bitrate, ==, 0);
  g_assert_cmpuint (defaults->media.max_bitrate, ==, 0);
  g_assert_cmpuint (defaults->media.low_layer_bitrate, ==,
      RW_CONFIG_DEFAULT_LOW_LAYER_BITRATE);

  g_assert_false (stream_at (set, 0)->rate_control);
  g_assert_true (stream_at (set, 1)->rate_control);
  g_assert_false (stream_at (set, 1)->low_layer);
  g_assert_false (stream_at (set, 0)->scale_down);
  g_assert_true (stream_at (set, 1)->scale_down);
  g_assert_cmpuint (stream_at (set, 1)->min_bitrate, ==, 300000);
  g_assert_cmpuint (stream_at (set, 1)->max_bitrate, ==, 1500000);
  g_assert_cmpuint (stream_at (set, 1)->low_layer_bitrate, ==, 150000);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (RwConfig) config = rw_config_new ();
    g_autoptr (GError) error = NULL;
    g_autofree gchar *path = write_config (bad[i]);

    g_assert_false (rw_config_load_file (config, path, &error));
    g_assert_nonnull (error);
    g_unlink (path);
  }
}

/* Streams start from [media], wherever it is in the file, and keep the
 * file's order. */
static void
test_streams_good (void)
{
  g_autoptr (RwConfig) config = load_config ("[server]\nmax-viewers=8\n"
      "[stream wrist]\ncamera=2\nwidth=640\nheight=480\nmax-viewers=2\n"
      "[media]\ncodec=h264\nbitrate=1500000\nframerate=15\n"
      "[stream front]\ncamera=0\nwidth=1920\nheight=1080\nbitrate=4000000\n"
      "[stream 0-rear-2]\n");
  const RwStreamConfig *wrist = stream_at (config, 0);
  const RwStreamConfig *front = stream_at (config, 1);
  const RwStreamConfig *rear = stream_at (config, 2);

  g_assert_cmpuint (config->streams->len, ==, 3);
  g_assert_cmpstr (wrist->name, ==, "wrist");
  g_assert_cmpstr (front->name, ==, "front");
  g_assert_cmpstr (rear->name, ==, "0-rear-2");

  g_assert_cmpint (wrist->camera, ==, 2);
  g_assert_cmpint (wrist->codec, ==, RW_CODEC_H264);
  g_assert_cmpuint (wrist->width, ==, 640);
  g_assert_cmpuint (wrist->height, ==, 480);
  g_assert_cmpuint (wrist->framerate, ==, 15);
  g_assert_cmpuint (wrist->bitrate, ==, 1500000);
  g_assert_cmpuint (wrist->keyframe_interval, ==, 2);
  g_assert_cmpuint (wrist->max_viewers, ==, 2);
  g_assert_null (wrist->pipeline);

  g_assert_cmpint (front->codec, ==, RW_CODEC_H264);
  g_assert_cmpuint (front->width, ==, 1920);
  g_assert_cmpuint (front->bitrate, ==, 4000000);
  g_assert_cmpuint (front->max_viewers, ==, 0);

  /* [media] alone */
  g_assert_cmpint (rear->camera, ==, 0);
  g_assert_cmpuint (rear->width, ==, 1280);
  g_assert_cmpuint (rear->height, ==, 720);
  g_assert_cmpint (rear->audio, ==, RW_AUDIO_NONE);
  g_assert_cmpuint (rear->audio_bitrate, ==, RW_CONFIG_DEFAULT_AUDIO_BITRATE);

  /* [media] itself, and the robot's limit */
  g_assert_cmpint (config->media.codec, ==, RW_CODEC_H264);
  g_assert_cmpuint (config->media.width, ==, 1280);
  g_assert_cmpuint (config->max_viewers, ==, 8);

  g_assert_true (rw_config_find_stream (config, "front") == front);
  g_assert_null (rw_config_find_stream (config, "main"));
  g_assert_true (rw_config_validate (config, NULL));
}

/* A stream's pipeline replaces [media]'s, like [media]'s does. */
static void
test_streams_pipeline (void)
{
  g_autoptr (RwConfig) config = load_config ("[media]\n"
      "pipeline=videotestsrc is-live=true ! vp8enc deadline=1\n"
      "[stream test]\n" "[stream lab]\npipeline=test-h264\n");
  const RwStreamConfig *test = stream_at (config, 0);
  const RwStreamConfig *lab = stream_at (config, 1);

  g_assert_cmpstr (test->pipeline, ==, config->media.pipeline);
  g_assert_cmpstr (test->pipeline_name, ==, "inline");
  g_assert_nonnull (strstr (lab->pipeline, "x264enc"));
  g_assert_true (g_str_has_suffix (lab->pipeline_name, "test-h264.pipeline"));
  g_assert_cmpstr (config->media.pipeline_name, ==, "inline");
}

static void
test_streams_audio (void)
{
  g_autoptr (RwConfig) config = load_config ("[stream none]\naudio=none\n"
      "[stream alsa]\naudio=alsa\n"
      "[stream pulse]\naudio=pulse\naudio-device=alsa_input.usb-mic\n"
      "[stream test]\naudio=TEST\naudio-bitrate=6000\n"
      "[stream pipeline]\naudio=pipeline\n"
      "audio-pipeline=audiotestsrc is-live=true ! opusenc\n"
      "[stream device]\naudio-device=hw:1,0\naudio-bitrate=510000\n"
      "[stream implied]\n"
      "audio-pipeline=audiotestsrc is-live=true ! opusenc\n");
  const RwStreamConfig *none = stream_at (config, 0);
  const RwStreamConfig *alsa = stream_at (config, 1);
  const RwStreamConfig *pulse = stream_at (config, 2);
  const RwStreamConfig *test = stream_at (config, 3);
  const RwStreamConfig *pipeline = stream_at (config, 4);
  const RwStreamConfig *device = stream_at (config, 5);
  const RwStreamConfig *implied = stream_at (config, 6);

  g_assert_cmpint (none->audio, ==, RW_AUDIO_NONE);
  g_assert_cmpint (alsa->audio, ==, RW_AUDIO_ALSA);
  g_assert_null (alsa->audio_device);
  g_assert_cmpint (pulse->audio, ==, RW_AUDIO_PULSE);
  g_assert_cmpstr (pulse->audio_device, ==, "alsa_input.usb-mic");
  g_assert_cmpint (test->audio, ==, RW_AUDIO_TEST);
  g_assert_cmpuint (test->audio_bitrate, ==, 6000);
  g_assert_cmpint (pipeline->audio, ==, RW_AUDIO_PIPELINE);
  g_assert_cmpstr (pipeline->audio_pipeline, ==,
      "audiotestsrc is-live=true ! opusenc");
  g_assert_cmpstr (pipeline->audio_pipeline_name, ==, "inline");
  g_assert_cmpuint (pipeline->audio_bitrate, ==, 64000);
  /* audio-device alone means alsa, audio-pipeline alone pipeline */
  g_assert_cmpint (device->audio, ==, RW_AUDIO_ALSA);
  g_assert_cmpstr (device->audio_device, ==, "hw:1,0");
  g_assert_cmpuint (device->audio_bitrate, ==, 510000);
  g_assert_cmpint (implied->audio, ==, RW_AUDIO_PIPELINE);
  g_assert_nonnull (implied->audio_pipeline);
  g_assert_true (rw_config_validate (config, NULL));
}

/* [media]'s audio is every stream's default; a group that names a source
 * (audio, audio-device or audio-pipeline) names all of it. */
static void
test_streams_audio_defaults (void)
{
  g_autoptr (RwConfig) config = load_config ("[media]\n"
      "audio=pulse\naudio-device=robot-mic\naudio-bitrate=32000\n"
      "[stream front]\n"
      "[stream wrist]\naudio=none\n"
      "[stream arm]\naudio-device=hw:2,0\n"
      "[stream base]\naudio=test\naudio-bitrate=96000\n");
  const RwStreamConfig *front = stream_at (config, 0);
  const RwStreamConfig *wrist = stream_at (config, 1);
  const RwStreamConfig *arm = stream_at (config, 2);
  const RwStreamConfig *base = stream_at (config, 3);

  g_assert_cmpint (front->audio, ==, RW_AUDIO_PULSE);
  g_assert_cmpstr (front->audio_device, ==, "robot-mic");
  g_assert_cmpuint (front->audio_bitrate, ==, 32000);
  g_assert_cmpint (wrist->audio, ==, RW_AUDIO_NONE);
  g_assert_null (wrist->audio_device);
  g_assert_cmpint (arm->audio, ==, RW_AUDIO_ALSA);
  g_assert_cmpstr (arm->audio_device, ==, "hw:2,0");
  g_assert_cmpuint (arm->audio_bitrate, ==, 32000);
  g_assert_cmpint (base->audio, ==, RW_AUDIO_TEST);
  g_assert_null (base->audio_device);
  g_assert_cmpuint (base->audio_bitrate, ==, 96000);
}

/* Without [stream NAME] groups the one stream comes from [media] once the
 * command line is applied; with them, the file's streams stay. */
static void
test_ensure_streams (void)
{
  g_autoptr (RwConfig) plain = load_config ("[media]\ncamera=3\n"
      "pipeline=videotestsrc is-live=true ! vp8enc deadline=1\n");
  g_autoptr (RwConfig) named = load_config ("[stream front]\n");
  g_autoptr (RwConfig) empty = rw_config_new ();
  const RwStreamConfig *main_stream;

  g_assert_cmpuint (plain->streams->len, ==, 0);
  plain->media.width = 640;     /* as --width does */
  rw_config_ensure_streams (plain);
  g_assert_cmpuint (plain->streams->len, ==, 1);
  main_stream = stream_at (plain, 0);
  g_assert_cmpstr (main_stream->name, ==, RW_STREAM_DEFAULT_NAME);
  g_assert_cmpint (main_stream->camera, ==, 3);
  g_assert_cmpuint (main_stream->width, ==, 640);
  g_assert_cmpstr (main_stream->pipeline, ==, plain->media.pipeline);
  g_assert_cmpstr (main_stream->pipeline_name, ==, "inline");
  g_assert_cmpint (main_stream->audio, ==, RW_AUDIO_NONE);
  g_assert_cmpuint (main_stream->max_viewers, ==, 0);
  g_assert_true (rw_config_find_stream (plain, "main") == main_stream);
  rw_config_ensure_streams (plain);
  g_assert_cmpuint (plain->streams->len, ==, 1);

  rw_config_ensure_streams (named);
  g_assert_cmpuint (named->streams->len, ==, 1);
  g_assert_cmpstr (stream_at (named, 0)->name, ==, "front");

  g_assert_cmpuint (empty->streams->len, ==, 0);
  rw_config_ensure_streams (empty);
  g_assert_cmpstr (stream_at (empty, 0)->name, ==, "main");
  g_assert_true (rw_config_validate (empty, NULL));
}

/* [media] with audio and no [stream NAME] group: the one stream gets it,
 * with the command line's changes to [media] (made after the file). */
static void
test_media_audio (void)
{
  g_autoptr (RwConfig) config = load_config ("[media]\ncamera=1\n"
      "width=640\nheight=480\naudio-device=hw:1,0\n");
  const RwStreamConfig *main_stream;

  g_assert_cmpuint (config->streams->len, ==, 0);
  g_assert_cmpint (config->media.audio, ==, RW_AUDIO_ALSA);
  config->media.width = 320;    /* --width 320 */
  rw_config_ensure_streams (config);
  g_assert_cmpuint (config->streams->len, ==, 1);
  main_stream = stream_at (config, 0);
  g_assert_cmpstr (main_stream->name, ==, "main");
  g_assert_cmpint (main_stream->camera, ==, 1);
  g_assert_cmpuint (main_stream->width, ==, 320);
  g_assert_cmpint (main_stream->audio, ==, RW_AUDIO_ALSA);
  g_assert_cmpstr (main_stream->audio_device, ==, "hw:1,0");
  g_assert_cmpuint (main_stream->audio_bitrate, ==, 64000);

  /* no audio source: none, at the configured bitrate */
  {
    g_autoptr (RwConfig) silent = load_config ("[media]\naudio=none\n"
        "audio-bitrate=32000\n");

    rw_config_ensure_streams (silent);
    g_assert_cmpint (stream_at (silent, 0)->audio, ==, RW_AUDIO_NONE);
    g_assert_cmpuint (stream_at (silent, 0)->audio_bitrate, ==, 32000);
  }
}

/* The file's streams replace those of the config it is read over. */
static void
test_streams_reload (void)
{
  g_autoptr (RwConfig) config = load_config ("[stream a]\n[stream b]\n");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = write_config ("[stream c]\n");

  g_assert_true (rw_config_load_file (config, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (config->streams->len, ==, 1);
  g_assert_cmpstr (stream_at (config, 0)->name, ==, "c");
  g_unlink (path);
}

static void
test_streams_bad (void)
{
  static const struct
  {
    const gchar *text;
    const gchar *message;       /* after "FILE: " */
  } cases[] = {
    {"[stream Front]\n", "[stream Front]: a stream name is 1 to 32 of a-z, "
          "0-9 and '-'"},
    {"[stream a_b]\n", "[stream a_b]: a stream name is 1 to 32 of a-z, 0-9 "
          "and '-'"},
    {"[stream ]\n", "[stream ]: a stream name is 1 to 32 of a-z, 0-9 and "
          "'-'"},
    {"[stream]\n", "[stream]: a stream name is 1 to 32 of a-z, 0-9 and '-'"},
    {"[stream  front]\n", "[stream  front]: a stream name is 1 to 32 of "
          "a-z, 0-9 and '-'"},
    {"[stream 0123456789abcdef0123456789abcdefx]\n",
        "[stream 0123456789abcdef0123456789abcdefx]: a stream name is 1 to "
          "32 of a-z, 0-9 and '-'"},
    {"[stream front]\ncamera=0\n[stream wrist]\n[stream front]\ncamera=2\n",
        "[stream front]: a second [stream front] group; stream names must "
          "be unique"},
    {"[stream front]\n  [stream front]  \n", "[stream front]: a second "
          "[stream front] group; stream names must be unique"},
    {"[Stream front]\n", "unknown group [Stream front] (known: [server], "
          "[auth], [webrtc], [media], [stream NAME], " "[publish NAME])"},
    {"[stream front]\nwidht=640\n", "[stream front] widht: unknown key"},
    {"[stream front]\nport=80\n", "[stream front] port: unknown key"},
    {"[media]\nmax-viewers=2\n", "[media] max-viewers: unknown key"},
    {"[stream front]\naudio=mic\n", "[stream front] audio: expected none, "
          "alsa, pulse, test or pipeline, got 'mic'"},
    {"[media]\naudio=mic\n", "[media] audio: expected none, alsa, pulse, "
          "test or pipeline, got 'mic'"},
    {"[stream front]\naudio=pipeline\n", "[stream front]: audio=pipeline "
          "needs audio-pipeline"},
    {"[media]\naudio=pipeline\n", "[media]: audio=pipeline needs "
          "audio-pipeline"},
    {"[stream front]\naudio-bitrate=5999\n", "[stream front] audio-bitrate: "
          "expected a whole number from 6000 to 510000, got '5999'"},
    {"[media]\naudio-bitrate=510001\n", "[media] audio-bitrate: expected a "
          "whole number from 6000 to 510000, got '510001'"},
    {"[stream front]\nmax-viewers=0\n", "[stream front] max-viewers: "
          "expected a whole number from 1 to 1000, got '0'"},
    {"[stream front]\nmax-viewers=1001\n", "[stream front] max-viewers: "
          "expected a whole number from 1 to 1000, got '1001'"},
    {"[stream front]\naudio=test\naudio-device=hw:1,0\n", "[stream front] "
          "audio-device: needs audio=alsa or audio=pulse, got audio=test"},
    {"[stream front]\naudio=alsa\n"
          "audio-pipeline=audiotestsrc is-live=true ! opusenc\n",
        "[stream front] audio-pipeline: needs audio=pipeline, got "
          "audio=alsa"},
    {"[stream front]\naudio-device=hw:1,0\n"
          "audio-pipeline=audiotestsrc is-live=true ! opusenc\n",
        "[stream front] audio-device: needs audio=alsa or audio=pulse, got "
          "audio=pipeline"},
    {"[stream front]\naudio-pipeline=audiotestsrc ! ! opusenc\n",
        "[stream front] audio-pipeline: the pipeline does not parse: syntax "
          "error"},
    {"[stream front]\npipeline=videotestsrc ! nosuchenc\n", "[stream front] "
          "pipeline: missing GStreamer elements: nosuchenc (not installed on "
          "this machine)"},
    {"[stream front]\nheight=721\n", "[stream front]: width and height must "
          "be even, got 1280x721"},
    {"[stream front]\nwidth=-1\n", "[stream front] width: expected a whole "
          "number from 16 to 7680, got '-1'"},
    {"[stream front]\ncodec=av1\n", "[stream front] codec: codec must be vp8 "
          "or h264, got 'av1'"},
    {"[stream front]\ncamera=256\n", "[stream front] camera: expected a "
          "whole number from 0 to 255, got '256'"},
    /* a bad [media] is blamed on [media], not on the streams */
    {"[stream front]\n[media]\nheight=721\n", "width and height must be "
          "even, got 1280x721"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (RwConfig) config = rw_config_new ();
    g_autoptr (GError) error = NULL;
    g_autofree gchar *path = write_config (cases[i].text);
    g_autofree gchar *expected = g_strdup_printf ("%s: %s", path,
        cases[i].message);

    g_test_message ("%s", cases[i].text);
    g_assert_false (rw_config_load_file (config, path, &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
    g_assert_cmpstr (error->message, ==, expected);
    g_unlink (path);
  }

  /* the rest names the directories looked in */
  {
    g_autoptr (RwConfig) config = rw_config_new ();
    g_autoptr (GError) error = NULL;
    g_autofree gchar *path = write_config ("[stream front]\n"
        "audio-pipeline=no-such-file\n");
    g_autofree gchar *expected = g_strdup_printf ("%s: [stream front] "
        "audio-pipeline: no pipeline file 'no-such-file' (looked in ", path);

    g_assert_false (rw_config_load_file (config, path, &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
    g_assert_true (g_str_has_prefix (error->message, expected));
    g_unlink (path);
  }
}

/* Streams made in code are checked like the file's. */
static void
test_streams_validate (void)
{
  static const struct
  {
    const gchar *name;
    guint width;
    RwAudioSource audio;
    guint audio_bitrate;
    guint max_viewers;
    const gchar *message;
  } cases[] = {
    {"front", 641, RW_AUDIO_NONE, 64000, 0, "[stream front]: width and "
          "height must be even, got 641x720"},
    {"Front", 640, RW_AUDIO_NONE, 64000, 0, "[stream Front]: a stream name "
          "is 1 to 32 of a-z, 0-9 and '-'"},
    {"front", 640, RW_AUDIO_PIPELINE, 64000, 0, "[stream front]: "
          "audio=pipeline needs audio-pipeline"},
    {"front", 640, RW_AUDIO_ALSA, 5000, 0, "[stream front]: audio-bitrate "
          "must be between 6000 and 510000, got 5000"},
    {"front", 640, RW_AUDIO_NONE, 64000, 1001, "[stream front]: max-viewers "
          "must be between 0 and 1000, got 1001"},
    {"main", 640, RW_AUDIO_NONE, 64000, 0, "[stream main]: a second stream "
          "named 'main'; stream names must be unique"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (RwConfig) config = rw_config_new ();
    g_autoptr (GError) error = NULL;
    RwStreamConfig *stream;

    rw_config_ensure_streams (config);
    g_assert_true (rw_config_validate (config, NULL));
    stream = rw_stream_config_new_from_media (config, cases[i].name);
    stream->width = cases[i].width;
    stream->audio = cases[i].audio;
    stream->audio_bitrate = cases[i].audio_bitrate;
    stream->max_viewers = cases[i].max_viewers;
    g_ptr_array_add (config->streams, stream);

    g_assert_false (rw_config_validate (config, &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
    g_assert_cmpstr (error->message, ==, cases[i].message);
  }
}

static void
test_stream_names (void)
{
  static const gchar *good[] = { "a", "main", "front-2", "0", "-",
    "0123456789abcdef0123456789abcdef"
  };
  static const gchar *bad[] = { "", "Front", "a_b", "a b", "é", "a/b",
    "0123456789abcdef0123456789abcdefx"
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (rw_stream_name_is_valid (good[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (rw_stream_name_is_valid (bad[i]));
  g_assert_false (rw_stream_name_is_valid (NULL));
}

static void
test_stream_copy_equal (void)
{
  g_autoptr (RwConfig) config = rw_config_new ();
  g_autoptr (RwStreamConfig) stream = NULL;
  g_autoptr (RwStreamConfig) copy = NULL;
  g_autofree gchar *device = NULL;

  config->media.camera = 4;
  config->media.pipeline = g_strdup ("videotestsrc ! vp8enc");
  config->media.pipeline_name = g_strdup ("inline");
  stream = rw_stream_config_new_from_media (config, "arm");
  stream->audio = RW_AUDIO_PIPELINE;
  stream->audio_pipeline = g_strdup ("audiotestsrc ! opusenc");
  stream->audio_pipeline_name = g_strdup ("inline");
  stream->audio_device = g_strdup ("hw:1,0");
  stream->max_viewers = 3;

  copy = rw_stream_config_copy (stream);
  g_assert_true (copy != stream);
  g_assert_cmpstr (copy->name, ==, "arm");
  g_assert_true (copy->name != stream->name);
  g_assert_cmpstr (copy->pipeline, ==, stream->pipeline);
  g_assert_true (copy->pipeline != stream->pipeline);
  g_assert_cmpstr (copy->pipeline_name, ==, "inline");
  g_assert_cmpstr (copy->audio_pipeline, ==, stream->audio_pipeline);
  g_assert_true (copy->audio_pipeline != stream->audio_pipeline);
  g_assert_cmpstr (copy->audio_pipeline_name, ==, "inline");
  g_assert_cmpstr (copy->audio_device, ==, "hw:1,0");
  g_assert_cmpuint (copy->max_viewers, ==, 3);
  g_assert_true (rw_stream_config_video_equal (stream, copy));
  g_assert_true (rw_stream_config_audio_equal (stream, copy));

  copy->max_viewers = 4;        /* neither video nor audio */
  g_assert_true (rw_stream_config_video_equal (stream, copy));
  g_assert_true (rw_stream_config_audio_equal (stream, copy));
  copy->audio_bitrate = 32000;
  g_assert_true (rw_stream_config_video_equal (stream, copy));
  g_assert_false (rw_stream_config_audio_equal (stream, copy));
  copy->audio_bitrate = stream->audio_bitrate;
  g_clear_pointer (&copy->pipeline, g_free);
  g_assert_false (rw_stream_config_video_equal (stream, copy));
  g_assert_true (rw_stream_config_audio_equal (stream, copy));
  copy->pipeline = g_strdup (stream->pipeline);
  copy->keyframe_interval = 5;
  g_assert_false (rw_stream_config_video_equal (stream, copy));
  copy->keyframe_interval = stream->keyframe_interval;
  copy->audio = RW_AUDIO_TEST;
  g_assert_false (rw_stream_config_audio_equal (stream, copy));
  /* without audio, the other audio fields do not matter */
  stream->audio = RW_AUDIO_NONE;
  copy->audio = RW_AUDIO_NONE;
  copy->audio_bitrate = 32000;
  g_assert_true (rw_stream_config_audio_equal (stream, copy));

  device = rw_stream_config_camera_device (stream);
  g_assert_cmpstr (device, ==, "/dev/video4");
  rw_stream_config_free (NULL);
}

static void
test_audio_sources (void)
{
  g_assert_cmpstr (rw_audio_source_to_string (RW_AUDIO_NONE), ==, "none");
  g_assert_cmpstr (rw_audio_source_to_string (RW_AUDIO_ALSA), ==, "alsa");
  g_assert_cmpstr (rw_audio_source_to_string (RW_AUDIO_PULSE), ==, "pulse");
  g_assert_cmpstr (rw_audio_source_to_string (RW_AUDIO_TEST), ==, "test");
  g_assert_cmpstr (rw_audio_source_to_string (RW_AUDIO_PIPELINE), ==,
      "pipeline");
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
  g_test_add_func ("/config/file/turn", test_file_turn);
  g_test_add_func ("/config/file/repair", test_file_repair);
  g_test_add_func ("/config/rate-control", test_rate_control);

  g_test_add_func ("/config/streams/good", test_streams_good);
  g_test_add_func ("/config/streams/pipeline", test_streams_pipeline);
  g_test_add_func ("/config/streams/audio", test_streams_audio);
  g_test_add_func ("/config/streams/audio-defaults",
      test_streams_audio_defaults);
  g_test_add_func ("/config/streams/ensure", test_ensure_streams);
  g_test_add_func ("/config/streams/media-audio", test_media_audio);
  g_test_add_func ("/config/streams/reload", test_streams_reload);
  g_test_add_func ("/config/streams/bad", test_streams_bad);
  g_test_add_func ("/config/streams/validate", test_streams_validate);
  g_test_add_func ("/config/streams/names", test_stream_names);
  g_test_add_func ("/config/streams/copy-equal", test_stream_copy_equal);
  g_test_add_func ("/config/streams/audio-sources", test_audio_sources);

  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/bad-values", test_bad_values);
  g_test_add_func ("/config/file-publish", test_file_publish);
  g_test_add_func ("/config/codecs", test_codecs);
  g_test_add_func ("/config/origins", test_origins);

  return g_test_run ();
}

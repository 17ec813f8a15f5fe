/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* robot-webrtc-server: the robot's camera to every browser viewer, over
 * WebRTC with plain HTTP(S) signaling. Settings come from --config FILE,
 * then the command line. Exit codes: 0 on SIGINT/SIGTERM, 1 when serving
 * fails, 2 for a bad command line, config file, certificate or secret. */

#include <gst/gst.h>
#include <glib-unix.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "rw-config.h"
#include "rw-daemon.h"
#include "rw-error.h"

#define UNSET G_MININT

/* What the command line said; UNSET and NULL mean "not given". */
typedef struct
{
  gchar *config_file;
  gint port, camera, width, height, framerate, bitrate, keyframe_interval;
  gint max_viewers, max_body, rate_limit, rate_burst, handshake_timeout;
  gint request_timeout, idle_timeout, max_connections;
  gint turn_credential_lifetime, fec_percentage, gop_cache;
  gchar *bind, *codec, *stun, *turn, *turn_user, *turn_password;
  gchar *turn_secret_file, *public_address, *port_range;
  gchar *retransmissions;
  gchar *ice_tcp;
  gchar *zero_playout_delay;
  gchar *tls_certificate, *tls_key, *secret_file, *robot_id;
  gchar **ice_addresses, **origins, **metrics_allow;
  gboolean verbose, version;
} Options;

/* What the signal handlers act on; set up before anything else, so that
 * a signal at any time after start is taken. */
typedef struct
{
  GMainLoop *loop;
  const Options *options;
  RwDaemon *daemon;             /* once started */
  gboolean quitting;
} Signals;

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* SIGINT, SIGTERM: every viewer is closed, then the loop stops once what
 * that queued (the answers to requests in flight) has run. No signal is
 * lost: nothing iterates the main context before the loop runs, so this
 * runs inside g_main_loop_run(), even for a signal that came during
 * start-up. */
static gboolean
on_quit_signal (gpointer user_data)
{
  Signals *signals = user_data;

  if (signals->quitting)
    return G_SOURCE_CONTINUE;
  signals->quitting = TRUE;
  g_message ("shutting down");
  if (signals->daemon)
    rw_daemon_stop (signals->daemon);
  g_idle_add_full (G_PRIORITY_LOW, quit_loop, signals->loop, NULL);
  return G_SOURCE_CONTINUE;
}

static gboolean apply_options (RwConfig * config, const Options * o,
    GError ** error);

/* SIGHUP: the configuration file again, under the same command line. */
static gboolean
on_reload_signal (gpointer user_data)
{
  Signals *signals = user_data;
  g_autoptr (RwConfig) config = rw_config_new ();
  g_autoptr (GError) error = NULL;

  g_message ("SIGHUP: reloading %s", signals->options->config_file ?
      signals->options->config_file : "the command line (no --config)");
  if (signals->daemon == NULL) {
    g_message ("not started yet: nothing to reload");
    return G_SOURCE_CONTINUE;
  }
  if (!apply_options (config, signals->options, &error)) {
    g_warning ("reload failed, the running settings stay: %s", error->message);
    return G_SOURCE_CONTINUE;
  }
  rw_daemon_reload (signals->daemon, g_steal_pointer (&config));
  return G_SOURCE_CONTINUE;
}

static void
print_uris (RwDaemon * daemon)
{
  GSList *uris = rw_daemon_get_uris (daemon);

  for (GSList * l = uris; l; l = l->next) {
    const gchar *host = g_uri_get_host (l->data);
    gboolean v6 = strchr (host, ':') != NULL;

    g_print ("robot-webrtc-server: listening on %s://%s%s%s:%d\n",
        g_uri_get_scheme (l->data), v6 ? "[" : "", host, v6 ? "]" : "",
        g_uri_get_port (l->data));
  }
  fflush (stdout);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
set_uint (guint * field, gint value)
{
  if (value != UNSET)
    *field = value < 0 ? G_MAXUINT : (guint) value;
}

static void
set_string (gchar ** field, gchar * value)
{
  if (value) {
    g_free (*field);
    *field = g_strdup (value);
  }
}

static void
set_path (gchar ** field, gchar * value)
{
  if (value) {
    g_free (*field);
    *field = g_canonicalize_filename (value, NULL);
  }
}

static void
set_strv (gchar *** field, gchar ** value)
{
  if (value) {
    g_strfreev (*field);
    *field = g_strdupv (value);
  }
}

/* The media options set [media]: with [stream NAME] groups they would set
 * nothing. */
static gboolean
check_media_options (const RwConfig * config, const Options * o,
    GError ** error)
{
  const struct
  {
    const gchar *name;
    gboolean given;
  } options[] = {
    {"--camera", o->camera != UNSET},
    {"--codec", o->codec != NULL},
    {"--width", o->width != UNSET},
    {"--height", o->height != UNSET},
    {"--framerate", o->framerate != UNSET},
    {"--bitrate", o->bitrate != UNSET},
    {"--keyframe-interval", o->keyframe_interval != UNSET},
  };

  if (config->streams->len == 0)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (options); i++) {
    if (options[i].given) {
      g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
          "%s sets [media], but %s has [stream NAME] groups: set it in "
          "each group instead", options[i].name, o->config_file);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
apply_options (RwConfig * config, const Options * o, GError ** error)
{
  if (o->config_file && !rw_config_load_file (config, o->config_file, error))
    return FALSE;
  if (!check_media_options (config, o, error))
    return FALSE;

  set_uint (&config->port, o->port);
  set_uint (&config->media.width, o->width);
  set_uint (&config->media.height, o->height);
  set_uint (&config->media.framerate, o->framerate);
  set_uint (&config->media.bitrate, o->bitrate);
  set_uint (&config->media.keyframe_interval, o->keyframe_interval);
  set_uint (&config->max_viewers, o->max_viewers);
  set_uint (&config->max_body, o->max_body);
  set_uint (&config->rate_limit, o->rate_limit);
  set_uint (&config->rate_burst, o->rate_burst);
  set_uint (&config->handshake_timeout, o->handshake_timeout);
  set_uint (&config->request_timeout, o->request_timeout);
  set_uint (&config->idle_timeout, o->idle_timeout);
  set_uint (&config->max_connections, o->max_connections);
  set_path (&config->tls_certificate, o->tls_certificate);
  set_path (&config->tls_key, o->tls_key);
  set_path (&config->auth_secret_file, o->secret_file);
  set_string (&config->auth_audience, o->robot_id);
  if (o->camera != UNSET)
    config->media.camera = o->camera;
  set_string (&config->bind_address, o->bind);
  set_string (&config->stun_server, o->stun);
  set_string (&config->turn_server, o->turn);
  set_string (&config->turn_user, o->turn_user);
  set_string (&config->turn_password, o->turn_password);
  set_path (&config->turn_secret_file, o->turn_secret_file);
  set_uint (&config->turn_credential_lifetime, o->turn_credential_lifetime);
  set_string (&config->public_address, o->public_address);
  if (o->retransmissions && !rw_config_parse_boolean (o->retransmissions,
          &config->retransmissions, error)) {
    g_prefix_error (error, "--retransmissions: ");
    return FALSE;
  }
  set_uint (&config->fec_percentage, o->fec_percentage);
  set_uint (&config->gop_cache, o->gop_cache);
  if (o->ice_tcp && !rw_config_parse_boolean (o->ice_tcp, &config->ice_tcp,
          error)) {
    g_prefix_error (error, "--ice-tcp: ");
    return FALSE;
  }
  if (o->zero_playout_delay &&
      !rw_config_parse_boolean (o->zero_playout_delay,
          &config->zero_playout_delay, error)) {
    g_prefix_error (error, "--zero-playout-delay: ");
    return FALSE;
  }
  if (o->port_range && !rw_config_set_port_range (config, o->port_range, error)) {
    g_prefix_error (error, "--port-range: ");
    return FALSE;
  }
  set_strv (&config->ice_addresses, o->ice_addresses);
  set_strv (&config->allowed_origins, o->origins);
  set_strv (&config->metrics_allow, o->metrics_allow);
  if (o->codec && !rw_codec_from_string (o->codec, &config->media.codec, error))
    return FALSE;
  rw_config_ensure_streams (config);
  return rw_config_validate (config, error);
}

int
main (int argc, char *argv[])
{
  Options o = { NULL, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET,
    UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET
  };
  g_autoptr (RwConfig) config = rw_config_new ();
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RwDaemon) daemon = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Signals signals = { loop, &o, NULL, FALSE };
  guint ids[3];
  GOptionEntry entries[] = {
    {"config", 0, 0, G_OPTION_ARG_FILENAME, &o.config_file,
        "Read settings from FILE (the options below override it)", "FILE"},
    {"port", 'p', 0, G_OPTION_ARG_INT, &o.port,
        "HTTP port (default 8080; 0 picks a free one)", "PORT"},
    {"bind", 0, 0, G_OPTION_ARG_STRING, &o.bind,
        "Listen on this address only (default: all)", "ADDRESS"},
    {"camera", 'c', 0, G_OPTION_ARG_INT, &o.camera,
        "Camera number N, opened as /dev/videoN (default 0)", "N"},
    {"codec", 0, 0, G_OPTION_ARG_STRING, &o.codec,
        "vp8 (default) or h264", "CODEC"},
    {"width", 0, 0, G_OPTION_ARG_INT, &o.width, "Width (default 1280)", "W"},
    {"height", 0, 0, G_OPTION_ARG_INT, &o.height, "Height (default 720)", "H"},
    {"framerate", 0, 0, G_OPTION_ARG_INT, &o.framerate,
        "Frames per second (default 30)", "FPS"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &o.bitrate,
        "Bits per second (default 2000000)", "BPS"},
    {"keyframe-interval", 0, 0, G_OPTION_ARG_INT, &o.keyframe_interval,
        "Seconds between keyframes (default 2)", "S"},
    {"stun-server", 0, 0, G_OPTION_ARG_STRING, &o.stun,
        "STUN server, stun://host:port (default: none)", "URI"},
    {"turn-server", 0, 0, G_OPTION_ARG_STRING, &o.turn,
        "TURN server, turn:host:port[?transport=tcp] or turns:host:port "
          "(default: none)", "URI"},
    {"turn-user", 0, 0, G_OPTION_ARG_STRING, &o.turn_user,
        "TURN user name (static credentials)", "USER"},
    {"turn-password", 0, 0, G_OPTION_ARG_STRING, &o.turn_password,
          "TURN password (static credentials; better in the config file)",
        "PASSWORD"},
    {"turn-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &o.turn_secret_file,
          "Mint TURN credentials from coturn's static-auth-secret in FILE",
        "FILE"},
    {"turn-credential-lifetime", 0, 0, G_OPTION_ARG_INT,
          &o.turn_credential_lifetime,
        "Seconds minted TURN credentials are valid (default 86400)", "S"},
    {"public-address", 0, 0, G_OPTION_ARG_STRING, &o.public_address,
        "Also announce host candidates on this public address (a router "
          "forwards the port range to this robot)", "ADDRESS"},
    {"port-range", 0, 0, G_OPTION_ARG_STRING, &o.port_range,
        "UDP ports for media, e.g. 50000-50100 (default: any)", "MIN-MAX"},
    {"retransmissions", 0, 0, G_OPTION_ARG_STRING, &o.retransmissions,
        "Resend lost video packets when a viewer asks (NACK + RTX): true "
          "or false (default true)", "BOOL"},
    {"fec-percentage", 0, 0, G_OPTION_ARG_INT, &o.fec_percentage,
        "Video forward error correction (ULPFEC in RED): FEC packets per "
          "100 media packets, 0-100 (default 0: off)", "N"},
    {"gop-cache", 0, 0, G_OPTION_ARG_INT, &o.gop_cache,
        "KiB of video kept from the last keyframe on, sent to each viewer "
          "that joins instead of a keyframe forced for every viewer; 0: off "
          "(the default)", "KIB"},
    {"ice-tcp", 0, 0, G_OPTION_ARG_STRING, &o.ice_tcp,
        "Also offer passive TCP candidates (ICE-TCP, for viewers whose "
          "UDP is blocked): true or false (default false)", "BOOL"},
    {"zero-playout-delay", 0, 0, G_OPTION_ARG_STRING, &o.zero_playout_delay,
        "Ask browsers that offer the playout-delay header extension "
          "(Chromium, Firefox) to show each frame once decoded: true or "
          "false (default true)", "BOOL"},
    {"ice-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.ice_addresses,
          "Offer ICE candidates on this local address only (repeatable)",
        "ADDRESS"},
    {"max-viewers", 0, 0, G_OPTION_ARG_INT, &o.max_viewers,
        "Most viewers at once (default 32)", "N"},
    {"allow-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.origins,
          "Origin allowed to use the API, or * (repeatable; default *)",
        "ORIGIN"},
    {"metrics-allow", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.metrics_allow,
        "Address or network that may read GET /metrics besides loopback "
          "(repeatable), e.g. 10.0.0.0/8", "NETWORK"},
    {"tls-certificate", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_certificate,
        "Serve HTTPS with this PEM certificate (chain)", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_key,
        "The certificate's PEM private key (default: in its file)", "FILE"},
    {"auth-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &o.secret_file,
          "Require viewer tokens (HS256 JWT) signed with the secret in FILE",
        "FILE"},
    {"robot-id", 0, 0, G_OPTION_ARG_STRING, &o.robot_id,
        "This robot's id: tokens' 'aud' must name it", "ID"},
    {"rate-limit", 0, 0, G_OPTION_ARG_INT, &o.rate_limit,
        "Requests per second per client address (default 20; 0: off)", "N"},
    {"rate-burst", 0, 0, G_OPTION_ARG_INT, &o.rate_burst,
        "Requests at once per client address (default 40)", "N"},
    {"max-body", 0, 0, G_OPTION_ARG_INT, &o.max_body,
        "Largest request body in bytes (default 65536)", "BYTES"},
    {"handshake-timeout", 0, 0, G_OPTION_ARG_INT, &o.handshake_timeout,
        "Seconds a viewer may take to connect (default 15)", "S"},
    {"request-timeout", 0, 0, G_OPTION_ARG_INT, &o.request_timeout,
        "Seconds a client may take to send a request (default 10)", "S"},
    {"idle-timeout", 0, 0, G_OPTION_ARG_INT, &o.idle_timeout,
        "Seconds before a silent connection is closed (default 10)", "S"},
    {"max-connections", 0, 0, G_OPTION_ARG_INT, &o.max_connections,
        "Most HTTP connections open at once (default 256)", "N"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose,
        "Debug logs for robot-webrtc (GST_DEBUG=rw-*:5)", NULL},
    {"version", 0, 0, G_OPTION_ARG_NONE, &o.version, "Print the version",
        NULL},
    {NULL}
  };

  /* Before anything loads webrtcbin's DTLS: OpenSSL frees its global state
   * in an atexit() handler, and a streaming thread that retires after it
   * (they are pooled, and exit on their own time) crashes the daemon's exit
   * in OpenSSL's thread-local destructor. Exiting frees that memory anyway. */
  OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, NULL);
  /* first of all: a SIGTERM from now on stops the daemon cleanly */
  ids[0] = g_unix_signal_add (SIGINT, on_quit_signal, &signals);
  ids[1] = g_unix_signal_add (SIGTERM, on_quit_signal, &signals);
  ids[2] = g_unix_signal_add (SIGHUP, on_reload_signal, &signals);
  /* the main thread owns the default context, in and out of the loop */
  g_main_context_acquire (NULL);

  ctx = g_option_context_new ("- serve the robot's camera to browsers over "
      "WebRTC");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("robot-webrtc-server: %s (see --help)\n", error->message);
    return 2;
  }
  if (o.version) {
    g_print ("robot-webrtc-server %s (%s)\n", PACKAGE_VERSION,
        gst_version_string ());
    return 0;
  }
  if (argc > 1) {
    g_printerr ("robot-webrtc-server: unexpected argument '%s' (see --help)\n",
        argv[1]);
    return 2;
  }
  if (o.verbose)
    gst_debug_set_threshold_from_string ("rw-*:5", FALSE);

  if (!apply_options (config, &o, &error)) {
    g_printerr ("robot-webrtc-server: %s\n", error->message);
    return 2;
  }

  daemon = rw_daemon_new (g_steal_pointer (&config));
  if (!rw_daemon_start (daemon, &error)) {
    g_printerr ("robot-webrtc-server: %s\n", error->message);
    /* an unusable certificate or secret is a configuration error */
    return g_error_matches (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT) ? 2 : 1;
  }
  print_uris (daemon);
  signals.daemon = daemon;

  g_main_loop_run (loop);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_source_remove (ids[i]);
  rw_daemon_stop (daemon);
  /* the leaks tracer (GST_TRACERS=leaks) reports what is alive at
   * gst_deinit(): the daemon and its pipeline go first */
  g_clear_object (&daemon);
  gst_deinit ();
  return 0;
}

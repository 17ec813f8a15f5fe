/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* robot-webrtc-server: the robot's camera to every browser viewer, over
 * WebRTC with plain HTTP signaling. Exit codes: 0 on SIGINT/SIGTERM, 1 when
 * serving fails, 2 for a bad command line. */

#include <gst/gst.h>
#include <glib-unix.h>
#include <stdio.h>

#include "config.h"
#include "rw-config.h"
#include "rw-daemon.h"

static gboolean
on_quit_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("shutting down");
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
print_uris (RwDaemon * daemon)
{
  GSList *uris = rw_daemon_get_uris (daemon);

  for (GSList * l = uris; l; l = l->next) {
    GUri *uri = l->data;

    g_print ("robot-webrtc-server: listening on http://%s%s%s:%d\n",
        strchr (g_uri_get_host (uri), ':') ? "[" : "", g_uri_get_host (uri),
        strchr (g_uri_get_host (uri), ':') ? "]" : "", g_uri_get_port (uri));
  }
  fflush (stdout);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

int
main (int argc, char *argv[])
{
  g_autoptr (RwConfig) config = rw_config_new ();
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RwDaemon) daemon = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree gchar *codec = NULL;
  gint port = config->port, max_viewers = config->max_viewers;
  gint width = config->width, height = config->height;
  gint framerate = config->framerate, bitrate = config->bitrate;
  gint keyframe_interval = config->keyframe_interval;
  gboolean verbose = FALSE, version = FALSE;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "HTTP port (default 8080; 0 picks a free one)", "PORT"},
    {"bind", 0, 0, G_OPTION_ARG_STRING, &config->bind_address,
        "Listen on this address only (default: all)", "ADDRESS"},
    {"camera", 'c', 0, G_OPTION_ARG_INT, &config->camera,
        "Camera number N, opened as /dev/videoN (default 0)", "N"},
    {"codec", 0, 0, G_OPTION_ARG_STRING, &codec,
        "vp8 (default) or h264", "CODEC"},
    {"width", 0, 0, G_OPTION_ARG_INT, &width, "Width (default 1280)", "W"},
    {"height", 0, 0, G_OPTION_ARG_INT, &height, "Height (default 720)", "H"},
    {"framerate", 0, 0, G_OPTION_ARG_INT, &framerate,
        "Frames per second (default 30)", "FPS"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate,
        "Bits per second (default 2000000)", "BPS"},
    {"keyframe-interval", 0, 0, G_OPTION_ARG_INT, &keyframe_interval,
        "Seconds between keyframes (default 2)", "S"},
    {"stun-server", 0, 0, G_OPTION_ARG_STRING, &config->stun_server,
        "STUN server, stun://host:port (default: none)", "URI"},
    {"turn-server", 0, 0, G_OPTION_ARG_STRING, &config->turn_server,
        "TURN server, turn(s)://user:pass@host:port (default: none)", "URI"},
    {"ice-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &config->ice_addresses,
          "Offer ICE candidates on this local address only (repeatable)",
        "ADDRESS"},
    {"max-viewers", 0, 0, G_OPTION_ARG_INT, &max_viewers,
        "Most viewers at once (default 32)", "N"},
    {"allow-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY,
          &config->allowed_origins,
          "Origin allowed to use the API, or * (repeatable; default *)",
        "ORIGIN"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
        "Debug logs for robot-webrtc (GST_DEBUG=rw-*:5)", NULL},
    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL},
    {NULL}
  };

  ctx = g_option_context_new ("- serve the robot's camera to browsers over "
      "WebRTC");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("robot-webrtc-server: %s (see --help)\n", error->message);
    return 2;
  }
  if (version) {
    g_print ("robot-webrtc-server %s (%s)\n", PACKAGE_VERSION,
        gst_version_string ());
    return 0;
  }
  if (argc > 1) {
    g_printerr ("robot-webrtc-server: unexpected argument '%s' (see --help)\n",
        argv[1]);
    return 2;
  }

  if (port < 0 || max_viewers < 0 || width < 0 || height < 0 ||
      framerate < 0 || bitrate < 0 || keyframe_interval < 0) {
    g_printerr ("robot-webrtc-server: numbers must not be negative\n");
    return 2;
  }
  config->port = port;
  config->max_viewers = max_viewers;
  config->width = width;
  config->height = height;
  config->framerate = framerate;
  config->bitrate = bitrate;
  config->keyframe_interval = keyframe_interval;
  if ((codec && !rw_codec_from_string (codec, &config->codec, &error)) ||
      !rw_config_validate (config, &error)) {
    g_printerr ("robot-webrtc-server: %s\n", error->message);
    return 2;
  }

  if (verbose)
    gst_debug_set_threshold_from_string ("rw-*:5", FALSE);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  daemon = rw_daemon_new (g_steal_pointer (&config));
  if (!rw_daemon_start (daemon, &error)) {
    g_printerr ("robot-webrtc-server: %s\n", error->message);
    return 1;
  }
  print_uris (daemon);

  g_main_loop_run (loop);

  rw_daemon_stop (daemon);
  return 0;
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-daemon
 * @title: RwDaemon
 * @short_description: the robot daemon: settings, stream and HTTP server
 *
 * #RwDaemon ties the validated settings to the media stream and the HTTP
 * signaling server, and starts and stops them in order.
 */

#include "rw-daemon.h"
#include "rw-http-server.h"
#include "rw-stream.h"
#include "rw-viewer.h"

struct _RwDaemon
{
  GObject parent;

  RwConfig *config;
  RwStream *stream;
  RwHttpServer *http;
  GThread *prewarm;
};

G_DEFINE_FINAL_TYPE (RwDaemon, rw_daemon, G_TYPE_OBJECT);

static void
rw_daemon_dispose (GObject * object)
{
  RwDaemon *self = RW_DAEMON (object);

  rw_daemon_stop (self);
  if (self->prewarm)
    g_thread_join (g_steal_pointer (&self->prewarm));
  g_clear_object (&self->http);
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (rw_daemon_parent_class)->dispose (object);
}

static void
rw_daemon_finalize (GObject * object)
{
  RwDaemon *self = RW_DAEMON (object);

  rw_config_free (self->config);

  G_OBJECT_CLASS (rw_daemon_parent_class)->finalize (object);
}

static void
rw_daemon_class_init (RwDaemonClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_daemon_dispose;
  object_class->finalize = rw_daemon_finalize;
}

static void
rw_daemon_init (RwDaemon * self)
{
}

/**
 * rw_daemon_new:
 * @config: (transfer full): validated settings
 *
 * Returns: (transfer full): a daemon that is not started.
 */
RwDaemon *
rw_daemon_new (RwConfig * config)
{
  RwDaemon *self = g_object_new (RW_TYPE_DAEMON, NULL);

  self->config = config;
  self->stream = rw_stream_new (config);
  self->http = rw_http_server_new (config);
  rw_http_server_add_host (self->http, RW_STREAM_DEFAULT_NAME,
      RW_SESSION_HOST (self->stream));
  return self;
}

static gpointer
prewarm (gpointer user_data)
{
  rw_viewer_prewarm ();
  return NULL;
}

/**
 * rw_daemon_start:
 * @self: a daemon
 * @error: why it could not start
 *
 * Reads the TLS certificate and the token secret, starts the media
 * pipeline, then listens; an offer that comes before the video waits for
 * it. webrtcbin is prewarmed on a thread of its own meanwhile, so that the
 * main loop runs (and answers signals) at once. A file named in the
 * settings that cannot be used fails with %RW_ERROR_INVALID_ARGUMENT
 * before anything starts.
 *
 * Returns: %TRUE when serving.
 */
gboolean
rw_daemon_start (RwDaemon * self, GError ** error)
{
  if (!rw_http_server_load_credentials (self->http, error))
    return FALSE;
  if (self->config->stun_server == NULL && self->config->turn_server == NULL)
    g_message ("no STUN or TURN server configured: viewers must reach this "
        "robot directly (same network or routed)");

  if (self->prewarm == NULL)
    self->prewarm = g_thread_new ("rw-prewarm", prewarm, NULL);
  if (!rw_stream_start (self->stream, error))
    return FALSE;
  return rw_http_server_listen (self->http, error);
}

/**
 * rw_daemon_get_uris:
 * @self: a started daemon
 *
 * Returns: (transfer full) (element-type GUri): where it listens.
 */
GSList *
rw_daemon_get_uris (RwDaemon * self)
{
  return rw_http_server_get_uris (self->http);
}

static void
keep_string (gchar ** field, const gchar * value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/**
 * rw_daemon_reload:
 * @self: a started daemon
 * @config: (transfer full): new validated settings, as from the same
 *   command line and the configuration file read again
 *
 * Applies new settings without stopping. The viewers' limits, rate
 * limits, ICE settings, allowed origins and token settings apply to the
 * next requests. New media settings (camera, pipeline, size, rate, bitrate,
 * keyframes) replace the source and encoder while viewers keep watching;
 * a new codec restarts the pipeline, and viewers reconnect. The port, the
 * address and the TLS files stay until the next start. Settings whose
 * token secret cannot be read are refused whole.
 */
void
rw_daemon_reload (RwDaemon * self, RwConfig * config)
{
  gboolean media = !rw_config_media_equal (self->config, config);
  g_autoptr (GError) error = NULL;
  RwConfig old;

  if (!rw_config_listen_equal (self->config, config)) {
    g_warning ("reload: the port, address and TLS files apply at the next "
        "start; still listening as before");
    config->port = self->config->port;
    keep_string (&config->bind_address, self->config->bind_address);
    keep_string (&config->tls_certificate, self->config->tls_certificate);
    keep_string (&config->tls_key, self->config->tls_key);
  }

  if (!rw_http_server_reload (self->http, config, &error)) {
    g_warning ("reload failed, the running settings stay: %s", error->message);
    rw_config_free (config);
    return;
  }

  /* in place: the stream and the server hold this struct */
  old = *self->config;
  *self->config = *config;
  *config = old;
  rw_config_free (config);

  rw_stream_reload (self->stream, media);
  g_message ("settings reloaded; %s", media ? "new media settings: a new "
      "source takes over (a new codec restarts the pipeline)" :
      "the media is unchanged: viewers keep watching");
}

/**
 * rw_daemon_stop:
 * @self: a daemon
 *
 * Stops taking requests, closes every viewer and stops the pipeline.
 */
void
rw_daemon_stop (RwDaemon * self)
{
  if (self->http)
    rw_http_server_stop (self->http);
  if (self->stream)
    rw_stream_stop (self->stream);
}

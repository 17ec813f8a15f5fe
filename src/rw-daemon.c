/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-daemon
 * @title: RwDaemon
 * @short_description: the robot daemon: settings, streams and HTTP server
 *
 * #RwDaemon ties the validated settings to the named streams and the HTTP
 * signaling server, mounts each stream there under its name, and starts,
 * reloads and stops them in order. Under systemd it says when it is ready,
 * what it serves, and pings the watchdog while frames flow (#RwNotify).
 */

#include "rw-daemon.h"
#include "rw-http-server.h"
#include "rw-notify.h"
#include "rw-session-host.h"
#include "rw-publish-config.h"
#include "rw-stream.h"
#include "rw-viewer.h"

struct _RwDaemon
{
  GObject parent;

  RwConfig *config;
  GPtrArray *streams;           /* RwStream, in the order they came */
  RwHttpServer *http;
  GThread *prewarm;
  RwNotify *notify;             /* NULL until started */
  guint health_id;
};

/* How often the streams' frames are looked at for systemd. */
#define HEALTH_INTERVAL_MS 250

G_DEFINE_FINAL_TYPE (RwDaemon, rw_daemon, G_TYPE_OBJECT);

static void
rw_daemon_dispose (GObject * object)
{
  RwDaemon *self = RW_DAEMON (object);

  rw_daemon_stop (self);
  if (self->prewarm)
    g_thread_join (g_steal_pointer (&self->prewarm));
  g_clear_object (&self->http);
  g_clear_pointer (&self->streams, g_ptr_array_unref);

  G_OBJECT_CLASS (rw_daemon_parent_class)->dispose (object);
}

static void
rw_daemon_finalize (GObject * object)
{
  RwDaemon *self = RW_DAEMON (object);

  rw_config_free (self->config);
  rw_notify_free (self->notify);

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
  self->streams = g_ptr_array_new_with_free_func (g_object_unref);
}

/* The one TURN server, loaded by the HTTP server with the other
 * credentials: viewers' webrtcbins and WHEP Link headers get the same
 * credentials. */
static void
give_turn (RwDaemon * self, RwStream * stream)
{
  rw_sink_set_turn (rw_stream_get_sink (stream),
      rw_http_server_get_turn (self->http));
}

/* The [publish NAME] groups that send @stream (those without a stream
 * send the first). */
static void
give_publishes (RwDaemon * self, RwStream * stream)
{
  g_autoptr (GPtrArray) publishes =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rw_publish_config_free);
  const gchar *name = rw_stream_get_name (stream);
  const RwStreamConfig *first = self->config->streams->len > 0 ?
      g_ptr_array_index (self->config->streams, 0) : NULL;

  for (guint i = 0; i < self->config->publishes->len; i++) {
    const RwPublishConfig *publish =
        g_ptr_array_index (self->config->publishes, i);
    const gchar *wanted = publish->stream ? publish->stream :
        first ? first->name : NULL;
    RwPublishConfig *copy;

    if (g_strcmp0 (wanted, name) != 0)
      continue;
    /* named, for /status */
    copy = rw_publish_config_copy (publish);
    if (copy->stream == NULL)
      copy->stream = g_strdup (name);
    g_ptr_array_add (publishes, copy);
  }
  rw_sink_set_publishes (rw_stream_get_sink (stream), publishes);
}

static RwStream *
add_stream (RwDaemon * self, const RwStreamConfig * config)
{
  RwStream *stream = rw_stream_new (self->config, config);

  give_turn (self, stream);
  give_publishes (self, stream);
  g_ptr_array_add (self->streams, stream);
  rw_http_server_add_host (self->http, config->name, RW_SESSION_HOST (stream));
  return stream;
}

/**
 * rw_daemon_new:
 * @config: (transfer full): validated settings, with their streams
 *   (rw_config_ensure_streams())
 *
 * Returns: (transfer full): a daemon that is not started.
 */
RwDaemon *
rw_daemon_new (RwConfig * config)
{
  RwDaemon *self = g_object_new (RW_TYPE_DAEMON, NULL);

  self->config = config;
  self->http = rw_http_server_new (config);
  for (guint i = 0; i < config->streams->len; i++)
    add_stream (self, g_ptr_array_index (config->streams, i));
  return self;
}

/* "2 viewers; front: ok, 2 viewers; back: lost, 0 viewers" */
static gchar *
describe (RwDaemon * self)
{
  GString *line = g_string_new (NULL);
  g_autofree gchar *streams = NULL;
  guint viewers = 0;

  for (guint i = 0; i < self->streams->len; i++) {
    RwStream *stream = g_ptr_array_index (self->streams, i);
    guint n = rw_sink_get_n_viewers (rw_stream_get_sink (stream));

    viewers += n;
    g_string_append_printf (line, "; %s: %s, %u %s", rw_stream_get_name
        (stream), rw_stream_get_state (stream), n, n == 1 ? "viewer" :
        "viewers");
  }
  streams = g_string_free (line, FALSE);
  return g_strdup_printf ("%u %s%s", viewers, viewers == 1 ? "viewer" :
      "viewers", streams);
}

/* Tells systemd how the started streams do (stopped ones, which could not
 * start, wait for a reload that fixes them). */
static gboolean
check_health (gpointer user_data)
{
  RwDaemon *self = user_data;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GArray) frames = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autofree gchar *status = describe (self);

  for (guint i = 0; i < self->streams->len; i++) {
    RwStream *stream = g_ptr_array_index (self->streams, i);
    guint64 n = rw_stream_get_frames (stream);

    if (g_str_equal (rw_stream_get_state (stream), "stopped"))
      continue;
    g_ptr_array_add (names, (gpointer) rw_stream_get_name (stream));
    g_array_append_val (frames, n);
  }
  g_ptr_array_add (names, NULL);
  rw_notify_check (self->notify, g_get_monotonic_time (),
      (const gchar * const *) names->pdata, (guint64 *) frames->data, status);
  return G_SOURCE_CONTINUE;
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
 * Reads the TLS certificate and the token secret, starts every stream's
 * pipeline, then listens; an offer that comes before a stream's video
 * waits for it. webrtcbin is prewarmed on a thread of its own meanwhile,
 * so that the main loop runs (and answers signals) at once. A file named
 * in the settings that cannot be used fails with
 * %RW_ERROR_INVALID_ARGUMENT before anything starts.
 *
 * Returns: %TRUE when serving.
 */
gboolean
rw_daemon_start (RwDaemon * self, GError ** error)
{
  if (!rw_http_server_load_credentials (self->http, error))
    return FALSE;
  for (guint i = 0; i < self->streams->len; i++)
    give_turn (self, g_ptr_array_index (self->streams, i));
  if (self->config->stun_server == NULL && self->config->turn_server == NULL)
    g_message ("no STUN or TURN server configured: viewers must reach this "
        "robot directly (same network or routed)");
  if (self->config->public_address)
    g_message ("host candidates are also announced on %s%s",
        self->config->public_address, self->config->min_rtp_port ? "" :
        "; without port-range any UDP port may be used, so the router "
        "cannot forward them all: set port-range");

  if (self->prewarm == NULL)
    self->prewarm = g_thread_new ("rw-prewarm", prewarm, NULL);
  for (guint i = 0; i < self->streams->len; i++) {
    if (!rw_stream_start (g_ptr_array_index (self->streams, i), error))
      return FALSE;
  }
  if (!rw_http_server_listen (self->http, error))
    return FALSE;
  if (self->notify == NULL)
    self->notify = rw_notify_new ();
  self->health_id = g_timeout_add (HEALTH_INTERVAL_MS, check_health, self);
  return TRUE;
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

/* The running streams take their new settings; those the settings no
 * longer name close their viewers and go; new ones start. */
static void
reload_streams (RwDaemon * self)
{
  GPtrArray *configs = self->config->streams;
  guint i = 0;

  while (i < self->streams->len) {
    RwStream *stream = g_ptr_array_index (self->streams, i);
    const gchar *name = rw_stream_get_name (stream);
    const RwStreamConfig *config = rw_config_find_stream (self->config, name);

    if (config) {
      rw_stream_reload (stream, config);
      give_publishes (self, stream);
      i++;
      continue;
    }
    g_message ("reload: stream %s removed; its viewers are closed", name);
    rw_http_server_remove_host (self->http, name);
    rw_stream_stop (stream);
    g_ptr_array_remove_index (self->streams, i);
  }

  for (i = 0; i < configs->len; i++) {
    const RwStreamConfig *config = g_ptr_array_index (configs, i);
    g_autoptr (GError) error = NULL;
    gboolean known = FALSE;

    for (guint j = 0; j < self->streams->len && !known; j++)
      known = g_str_equal (config->name,
          rw_stream_get_name (g_ptr_array_index (self->streams, j)));
    if (known)
      continue;
    g_message ("reload: stream %s added", config->name);
    if (!rw_stream_start (add_stream (self, config), &error))
      g_warning ("reload: %s; it serves no viewer until it is fixed and the "
          "settings reloaded", error->message);
  }
}

/**
 * rw_daemon_reload:
 * @self: a started daemon
 * @config: (transfer full): new validated settings, as from the same
 *   command line and the configuration file read again
 *
 * Applies new settings without stopping. The viewers' limits, rate
 * limits, ICE settings, allowed origins and token settings apply to the
 * next requests. A stream the settings add starts, one they no longer name
 * closes its viewers and stops. A stream's new media settings (camera,
 * pipeline, size, rate, bitrate, keyframes, microphone) replace its source
 * and encoder while viewers keep watching; a new codec, or audio added or
 * removed, restarts that stream's pipeline, and its viewers reconnect.
 * Other streams are not disturbed. The port, the address and the TLS files
 * stay until the next start. Settings whose token secret cannot be read
 * are refused whole.
 */
void
rw_daemon_reload (RwDaemon * self, RwConfig * config)
{
  g_autoptr (GError) error = NULL;
  RwConfig old;

  if (self->notify)
    rw_notify_reloading (self->notify);
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

  /* in place: the streams and the server hold this struct */
  old = *self->config;
  *self->config = *config;
  *config = old;
  rw_config_free (config);

  for (guint i = 0; i < self->streams->len; i++)
    give_turn (self, g_ptr_array_index (self->streams, i));
  reload_streams (self);
  g_message ("settings reloaded (%u streams)", self->streams->len);
}

/**
 * rw_daemon_stop:
 * @self: a daemon
 *
 * Stops taking requests, closes every viewer and stops the pipelines.
 */
void
rw_daemon_stop (RwDaemon * self)
{
  if (self->notify && self->health_id)
    rw_notify_stopping (self->notify);
  g_clear_handle_id (&self->health_id, g_source_remove);
  if (self->http)
    rw_http_server_stop (self->http);
  for (guint i = 0; self->streams && i < self->streams->len; i++)
    rw_stream_stop (g_ptr_array_index (self->streams, i));
}

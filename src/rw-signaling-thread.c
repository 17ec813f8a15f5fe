/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-signaling-thread
 * @title: RwSignalingThread
 * @short_description: an HTTP signaling server on a thread of its own
 *
 * gst-launch-1.0 runs no GLib main loop, so robotwebrtcsink with a port
 * serves its sessions on a thread of its own: an #RwHttpServer and the
 * session host it mounts live on a main context that only this thread
 * runs. Stopping is bounded and iterates nothing from the outside: the
 * thread itself runs the caller's last words (ending the sessions), then
 * everything they queued (the answers to requests in flight), then quits.
 */

#include "rw-signaling-thread.h"
#include "rw-http-server.h"
#include "rw-private.h"

/* how long stopping may take */
#define STOP_TIMEOUT_US (2 * G_TIME_SPAN_SECOND)

struct _RwSignalingThread
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  RwHttpServer *http;           /* the thread's */
  GSourceFunc last_words;
  gpointer last_words_data;

  GMutex lock;                  /* protects stopped */
  GCond cond;
  gboolean stopped;
};

static gpointer
run (gpointer user_data)
{
  RwSignalingThread *self = user_data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/**
 * rw_signaling_thread_start:
 * @config: (transfer none): the server's settings; must outlive it
 * @context: the context the thread runs, where @host lives
 * @name: the stream @host serves
 * @host: the session host to mount
 * @error: why it cannot listen
 *
 * Listens (printing where, as gst-launch users look for it) and starts the
 * thread.
 *
 * Returns: (transfer full) (nullable): the running thread.
 */
RwSignalingThread *
rw_signaling_thread_start (const RwConfig * config, GMainContext * context,
    const gchar * name, RwSessionHost * host, GError ** error)
{
  g_autoptr (RwHttpServer) http = NULL;
  RwSignalingThread *self;
  GSList *uris;
  gboolean listening;

  g_main_context_push_thread_default (context);
  http = rw_http_server_new (config);
  rw_http_server_add_host (http, name, host);
  listening = rw_http_server_listen (http, error);
  g_main_context_pop_thread_default (context);
  if (!listening)
    return NULL;

  uris = rw_http_server_get_uris (http);
  for (GSList * l = uris; l; l = l->next) {
    g_autofree gchar *uri = g_uri_to_string (l->data);

    g_print ("robotwebrtcsink: listening on %s\n", uri);
  }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  self = g_new0 (RwSignalingThread, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->context = g_main_context_ref (context);
  self->loop = g_main_loop_new (context, FALSE);
  self->http = g_steal_pointer (&http);
  self->thread = g_thread_new ("rw-signaling", run, self);
  return self;
}

/**
 * rw_signaling_thread_set_turn:
 * @self: a running thread
 * @turn: (transfer none) (nullable): the TURN server its WHEP `Link`
 *   headers name from now on
 *
 * Called on the thread (its context), as the server's settings are.
 */
void
rw_signaling_thread_set_turn (RwSignalingThread * self, RwTurn * turn)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (g_main_context_is_owner (self->context));

  rw_http_server_set_turn (self->http, turn);
}

/* The thread, after everything queued before it. */
static gboolean
quit (gpointer user_data)
{
  RwSignalingThread *self = user_data;

  g_clear_object (&self->http);
  g_main_loop_quit (self->loop);
  g_mutex_lock (&self->lock);
  self->stopped = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

/* The thread: the server stops taking requests, the caller's last words
 * run, and the thread quits once what they queued has run. */
static gboolean
wind_down (gpointer user_data)
{
  RwSignalingThread *self = user_data;
  GSource *source = g_idle_source_new ();

  rw_http_server_stop (self->http);
  self->last_words (self->last_words_data);
  g_source_set_priority (source, G_PRIORITY_LOW);
  g_source_set_callback (source, quit, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
  return G_SOURCE_REMOVE;
}

/**
 * rw_signaling_thread_stop:
 * @self: (transfer full): a running thread
 * @last_words: what the thread runs before it quits (ending the sessions)
 * @user_data: for @last_words
 *
 * Stops the thread and frees it, within 2 s: on return nothing runs on
 * its context any more.
 */
void
rw_signaling_thread_stop (RwSignalingThread * self, GSourceFunc last_words,
    gpointer user_data)
{
  gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_US;

  self->last_words = last_words;
  self->last_words_data = user_data;
  rw_invoke_later (self->context, wind_down, self, NULL);
  g_mutex_lock (&self->lock);
  while (!self->stopped)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  g_mutex_unlock (&self->lock);
  if (!self->stopped) {
    g_warning ("robotwebrtcsink: the signaling thread did not stop within %d s",
        (gint) (STOP_TIMEOUT_US / G_USEC_PER_SEC));
    g_main_loop_quit (self->loop);
  }
  g_thread_join (self->thread);
  g_clear_object (&self->http);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

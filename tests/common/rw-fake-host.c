/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-fake-host
 * @title: RwFakeHost
 * @short_description: a session host without media, for the front door's
 *   tests
 *
 * Implements #RwSessionHost with no GStreamer: an open is answered on the
 * next main-loop iteration with %RW_FAKE_HOST_ANSWER_FORMAT, or fails with
 * the error the test set with rw_fake_host_fail_next(), or waits while the
 * host is held (rw_fake_host_hold()) until rw_fake_host_release().
 *
 * An open whose cancellable is cancelled counts as closed at once (a close
 * with the reason %RW_FAKE_HOST_CANCELLED) and returns
 * %G_IO_ERROR_CANCELLED when it completes: a held one stays held until it
 * is released, like a host whose work was under way.
 *
 * Candidates: an unknown session is %RW_ERROR_NOT_FOUND, the line "bad" is
 * %RW_ERROR_BAD_REQUEST, and "ignore-me" is ignored ("test ignore").
 * Closing an open session, or ending it from the media side with
 * rw_fake_host_end_session(), emits #RwSessionHost::session-closed. Like
 * the sink, only answered sessions are open: a close of one still being
 * answered returns %FALSE.
 *
 * Every call is recorded (rw_fake_host_get_opened(), _get_candidates(),
 * _get_closes()), in order. The status members are `"fake"` (the host's
 * name), `"viewers"` and `"codec"`, and with %RW_STATUS_FULL also
 * `"max_viewers"` (99, as the sink gives its own) and `"peers"` (the open
 * session ids).
 */

#include "rw-fake-host.h"

#define FAKE_MAX_VIEWERS 99

struct _RwFakeHost
{
  GObject parent;

  gchar *name;
  GHashTable *sessions;         /* open session ids */
  GError *fail_next;            /* the next open's error, or NULL */
  gboolean hold;
  GList *held;                  /* GTask, opens not answered yet */
  gboolean healthy;

  GPtrArray *opened;            /* RwFakeCall: id, offer */
  GPtrArray *candidates;        /* RwFakeCall: id, candidate, mline */
  GPtrArray *closes;            /* RwFakeCall: id, reason */
};

static void rw_fake_host_session_host_init (RwSessionHostInterface * iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RwFakeHost, rw_fake_host, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (RW_TYPE_SESSION_HOST,
        rw_fake_host_session_host_init));

/* An open until it is answered. */
typedef struct
{
  gchar *id;
  GError *error;                /* fail with it, or NULL */
  gulong cancelled_id;
} Opening;

static RwFakeCall *
call_new (const gchar * session_id, const gchar * text, guint mline)
{
  RwFakeCall *call = g_new0 (RwFakeCall, 1);

  call->session_id = g_strdup (session_id);
  call->text = g_strdup (text);
  call->mline = mline;
  return call;
}

static void
call_free (RwFakeCall * call)
{
  g_free (call->session_id);
  g_free (call->text);
  g_free (call);
}

static void
opening_free (Opening * opening)
{
  g_free (opening->id);
  g_clear_error (&opening->error);
  g_free (opening);
}

/* Forgets an open session and says so. */
static gboolean
remove_session (RwFakeHost * self, const gchar * session_id,
    const gchar * reason)
{
  if (!g_hash_table_remove (self->sessions, session_id))
    return FALSE;
  g_ptr_array_add (self->closes, call_new (session_id, reason, 0));
  rw_session_host_session_closed (RW_SESSION_HOST (self), session_id, reason);
  return TRUE;
}

/* --- RwSessionHost --- */

static void
on_cancelled (GCancellable * cancellable, gpointer user_data)
{
  GTask *task = user_data;
  RwFakeHost *self = g_task_get_source_object (task);
  Opening *opening = g_task_get_task_data (task);

  g_ptr_array_add (self->closes, call_new (opening->id,
          RW_FAKE_HOST_CANCELLED, 0));
}

/* Answers, fails or reports the cancellation; takes @task's reference. */
static void
complete (GTask * task)
{
  RwFakeHost *self = g_task_get_source_object (task);
  Opening *opening = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  /* never from inside on_cancelled: disconnecting there would deadlock */
  if (opening->cancelled_id)
    g_cancellable_disconnect (cancellable, opening->cancelled_id);
  opening->cancelled_id = 0;

  if (g_cancellable_is_cancelled (cancellable)) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "the viewer went away before the answer");
  } else if (opening->error) {
    g_task_return_error (task, g_steal_pointer (&opening->error));
  } else {
    g_hash_table_add (self->sessions, g_strdup (opening->id));
    g_task_return_pointer (task, rw_fake_host_dup_answer (self, opening->id),
        g_free);
  }
  g_object_unref (task);
}

static gboolean
answer_later (gpointer user_data)
{
  complete (user_data);
  return G_SOURCE_REMOVE;
}

static void
rw_fake_host_open_async (RwSessionHost * host, const gchar * session_id,
    const gchar * offer, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  RwFakeHost *self = RW_FAKE_HOST (host);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Opening *opening = g_new0 (Opening, 1);
  GSource *source;

  g_task_set_source_tag (task, rw_fake_host_open_async);
  /* the result is what complete () returned, cancelled or not */
  g_task_set_check_cancellable (task, FALSE);
  opening->id = g_strdup (session_id);
  opening->error = g_steal_pointer (&self->fail_next);
  g_task_set_task_data (task, opening, (GDestroyNotify) opening_free);
  g_ptr_array_add (self->opened, call_new (session_id, offer, 0));
  if (cancellable)
    opening->cancelled_id = g_cancellable_connect (cancellable,
        G_CALLBACK (on_cancelled), task, NULL);

  if (self->hold) {
    self->held = g_list_append (self->held, task);
    return;
  }
  source = g_idle_source_new ();
  g_source_set_callback (source, answer_later, task, NULL);
  g_source_set_static_name (source, "rw-fake-host-answer");
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);
}

static gchar *
rw_fake_host_open_finish (RwSessionHost * host, GAsyncResult * result,
    GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, host), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
rw_fake_host_add_candidate (RwSessionHost * host, const gchar * session_id,
    guint mline, const gchar * candidate, gchar ** ignored, GError ** error)
{
  RwFakeHost *self = RW_FAKE_HOST (host);

  if (!g_hash_table_contains (self->sessions, session_id)) {
    g_set_error (error, RW_ERROR, RW_ERROR_NOT_FOUND,
        "no session with peer_id '%s'", session_id);
    return FALSE;
  }
  g_ptr_array_add (self->candidates, call_new (session_id, candidate, mline));
  if (g_strcmp0 (candidate, "bad") == 0) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "the candidate line does not parse");
    return FALSE;
  }
  if (g_strcmp0 (candidate, "ignore-me") == 0 && ignored)
    *ignored = g_strdup ("test ignore");
  return TRUE;
}

static gboolean
rw_fake_host_close (RwSessionHost * host, const gchar * session_id,
    const gchar * reason)
{
  return remove_session (RW_FAKE_HOST (host), session_id, reason);
}

static gboolean
rw_fake_host_add_status (RwSessionHost * host, JsonBuilder * builder,
    RwStatusDetail detail)
{
  RwFakeHost *self = RW_FAKE_HOST (host);
  g_autofree gpointer *ids = NULL;
  guint n;

  json_builder_set_member_name (builder, "fake");
  json_builder_add_string_value (builder, self->name);
  json_builder_set_member_name (builder, "viewers");
  json_builder_add_int_value (builder, g_hash_table_size (self->sessions));
  json_builder_set_member_name (builder, "codec");
  json_builder_add_string_value (builder, "VP8");
  if (detail == RW_STATUS_SUMMARY)
    return self->healthy;

  json_builder_set_member_name (builder, "max_viewers");
  json_builder_add_int_value (builder, FAKE_MAX_VIEWERS);
  json_builder_set_member_name (builder, "peers");
  json_builder_begin_array (builder);
  ids = g_hash_table_get_keys_as_array (self->sessions, &n);
  for (guint i = 0; i < n; i++)
    json_builder_add_string_value (builder, ids[i]);
  json_builder_end_array (builder);
  return self->healthy;
}

static void
rw_fake_host_session_host_init (RwSessionHostInterface * iface)
{
  iface->open_async = rw_fake_host_open_async;
  iface->open_finish = rw_fake_host_open_finish;
  iface->add_candidate = rw_fake_host_add_candidate;
  iface->close = rw_fake_host_close;
  iface->add_status = rw_fake_host_add_status;
}

/* --- object --- */

static void
rw_fake_host_finalize (GObject * object)
{
  RwFakeHost *self = RW_FAKE_HOST (object);

  /* a held open keeps the host alive: none is left here */
  g_warn_if_fail (self->held == NULL);
  g_free (self->name);
  g_hash_table_unref (self->sessions);
  g_clear_error (&self->fail_next);
  g_ptr_array_unref (self->opened);
  g_ptr_array_unref (self->candidates);
  g_ptr_array_unref (self->closes);

  G_OBJECT_CLASS (rw_fake_host_parent_class)->finalize (object);
}

static void
rw_fake_host_class_init (RwFakeHostClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_fake_host_finalize;
}

static void
rw_fake_host_init (RwFakeHost * self)
{
  self->healthy = TRUE;
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  self->opened = g_ptr_array_new_with_free_func ((GDestroyNotify) call_free);
  self->candidates =
      g_ptr_array_new_with_free_func ((GDestroyNotify) call_free);
  self->closes = g_ptr_array_new_with_free_func ((GDestroyNotify) call_free);
}

/**
 * rw_fake_host_new:
 * @name: what `"fake"` says in the status, and the answers
 *
 * Returns: (transfer full): a host that answers every open.
 */
RwFakeHost *
rw_fake_host_new (const gchar * name)
{
  RwFakeHost *self = g_object_new (RW_TYPE_FAKE_HOST, NULL);

  self->name = g_strdup (name);
  return self;
}

/**
 * rw_fake_host_fail_next:
 * @self: a host
 * @code: the %RW_ERROR code
 * @message: (nullable): the error's message; %NULL: the next open is
 *   answered after all
 *
 * The next open fails with this error (when it would be answered).
 */
void
rw_fake_host_fail_next (RwFakeHost * self, RwError code, const gchar * message)
{
  g_clear_error (&self->fail_next);
  if (message)
    self->fail_next = g_error_new_literal (RW_ERROR, code, message);
}

/**
 * rw_fake_host_hold:
 * @self: a host
 * @hold: whether to keep the answers of the next opens
 *
 * While held, opens wait for rw_fake_host_release().
 */
void
rw_fake_host_hold (RwFakeHost * self, gboolean hold)
{
  self->hold = hold;
}

/**
 * rw_fake_host_release:
 * @self: a host
 *
 * Completes every held open now, in the order they came.
 *
 * Returns: how many were held.
 */
guint
rw_fake_host_release (RwFakeHost * self)
{
  GList *held = g_steal_pointer (&self->held);
  guint n = g_list_length (held);

  for (GList * l = held; l; l = l->next)
    complete (l->data);
  g_list_free (held);
  return n;
}

/**
 * rw_fake_host_end_session:
 * @self: a host
 * @session_id: an open session
 * @reason: why, as the media side would say
 *
 * Ends a session from the media side: emits
 * #RwSessionHost::session-closed.
 *
 * Returns: %FALSE if the session is not open.
 */
gboolean
rw_fake_host_end_session (RwFakeHost * self, const gchar * session_id,
    const gchar * reason)
{
  return remove_session (self, session_id, reason);
}

/**
 * rw_fake_host_set_healthy:
 * @self: a host
 * @healthy: what add_status returns (%TRUE at first)
 */
void
rw_fake_host_set_healthy (RwFakeHost * self, gboolean healthy)
{
  self->healthy = healthy;
}

/**
 * rw_fake_host_dup_answer:
 * @self: a host
 * @session_id: a session
 *
 * Returns: (transfer full): the answer the host gives @session_id.
 */
gchar *
rw_fake_host_dup_answer (RwFakeHost * self, const gchar * session_id)
{
  return g_strdup_printf (RW_FAKE_HOST_ANSWER_FORMAT, self->name, session_id);
}

/**
 * rw_fake_host_get_opened:
 * @self: a host
 *
 * Returns: (transfer none) (element-type RwFakeCall): every open: its id
 * and offer.
 */
GPtrArray *
rw_fake_host_get_opened (RwFakeHost * self)
{
  return self->opened;
}

/**
 * rw_fake_host_get_candidates:
 * @self: a host
 *
 * Returns: (transfer none) (element-type RwFakeCall): every candidate given
 * to an open session: its id, line (%NULL for the end) and m-line.
 */
GPtrArray *
rw_fake_host_get_candidates (RwFakeHost * self)
{
  return self->candidates;
}

/**
 * rw_fake_host_get_closes:
 * @self: a host
 *
 * Returns: (transfer none) (element-type RwFakeCall): every session that
 * ended, and why: closed, ended or cancelled.
 */
GPtrArray *
rw_fake_host_get_closes (RwFakeHost * self)
{
  return self->closes;
}

/**
 * rw_fake_host_find_close:
 * @self: a host
 * @session_id: a session
 *
 * Returns: (transfer none) (nullable): how @session_id ended, if it did.
 */
const RwFakeCall *
rw_fake_host_find_close (RwFakeHost * self, const gchar * session_id)
{
  for (guint i = 0; i < self->closes->len; i++) {
    const RwFakeCall *call = g_ptr_array_index (self->closes, i);

    if (g_str_equal (call->session_id, session_id))
      return call;
  }
  return NULL;
}

/**
 * rw_fake_host_has_session:
 * @self: a host
 * @session_id: a session
 *
 * Returns: whether @session_id is open.
 */
gboolean
rw_fake_host_has_session (RwFakeHost * self, const gchar * session_id)
{
  return g_hash_table_contains (self->sessions, session_id);
}

/**
 * rw_fake_host_dup_session_ids:
 * @self: a host
 *
 * Returns: (transfer full): the open sessions' ids, in no order.
 */
gchar **
rw_fake_host_dup_session_ids (RwFakeHost * self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  GHashTableIter iter;
  const gchar *id;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, (gpointer *) & id, NULL))
    g_strv_builder_add (builder, id);
  return g_strv_builder_end (builder);
}

/**
 * rw_fake_host_get_n_sessions:
 * @self: a host
 *
 * Returns: how many sessions are open.
 */
guint
rw_fake_host_get_n_sessions (RwFakeHost * self)
{
  return g_hash_table_size (self->sessions);
}

/**
 * rw_fake_host_get_n_held:
 * @self: a host
 *
 * Returns: how many opens wait for rw_fake_host_release().
 */
guint
rw_fake_host_get_n_held (RwFakeHost * self)
{
  return g_list_length (self->held);
}

/**
 * rw_fake_host_clear_calls:
 * @self: a host
 *
 * Forgets the opens, candidates and closes recorded so far (a fuzzer's
 * host lives for millions of inputs).
 */
void
rw_fake_host_clear_calls (RwFakeHost * self)
{
  g_ptr_array_set_size (self->opened, 0);
  g_ptr_array_set_size (self->candidates, 0);
  g_ptr_array_set_size (self->closes, 0);
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-replay-stream
 * @title: RwReplayStream
 * @short_description: a connection whose first bytes, already read, are
 *   read again
 *
 * #RwHttpListener reads the start of a request before it hands the
 * connection to libsoup, which must then read the request from its first
 * byte. An #RwReplayStream is that connection: its input stream returns
 * the bytes already read, then what comes from the connection; its output
 * stream is the connection's. Closing it closes the connection (and its
 * TLS session, for a #GTlsConnection).
 *
 * The input stream is a #GPollableInputStream whenever the connection's is
 * (libsoup reads with g_pollable_input_stream_read_nonblocking() and waits
 * with g_pollable_input_stream_create_source()): while bytes are left to
 * replay it is readable, and its source is ready at once.
 */

#include "rw-replay-stream.h"

#include <string.h>

/* --- the input stream --- */

#define RW_TYPE_REPLAY_INPUT_STREAM (rw_replay_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (RwReplayInputStream, rw_replay_input_stream, RW,
    REPLAY_INPUT_STREAM, GInputStream);

struct _RwReplayInputStream
{
  GInputStream parent;

  GInputStream *base;
  GBytes *replay;               /* NULL once read whole */
  gsize offset;                 /* how much of it was read */
};

static void rw_replay_input_stream_pollable_init (GPollableInputStreamInterface
    * iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RwReplayInputStream, rw_replay_input_stream,
    G_TYPE_INPUT_STREAM,
    G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
        rw_replay_input_stream_pollable_init));

/* Copies what is left to replay, up to @count bytes. */
static gsize
take_replay (RwReplayInputStream * self, void *buffer, gsize count)
{
  gsize size, n;
  const guint8 *data = g_bytes_get_data (self->replay, &size);

  n = MIN (count, size - self->offset);
  memcpy (buffer, data + self->offset, n);
  self->offset += n;
  if (self->offset == size)
    g_clear_pointer (&self->replay, g_bytes_unref);
  return n;
}

static gssize
rw_replay_input_stream_read (GInputStream * stream, void *buffer, gsize count,
    GCancellable * cancellable, GError ** error)
{
  RwReplayInputStream *self = RW_REPLAY_INPUT_STREAM (stream);

  if (self->replay && count > 0)
    return take_replay (self, buffer, count);
  return g_input_stream_read (self->base, buffer, count, cancellable, error);
}

static gboolean
rw_replay_input_stream_close (GInputStream * stream,
    GCancellable * cancellable, GError ** error)
{
  RwReplayInputStream *self = RW_REPLAY_INPUT_STREAM (stream);

  g_clear_pointer (&self->replay, g_bytes_unref);
  return g_input_stream_close (self->base, cancellable, error);
}

static gboolean
rw_replay_input_stream_can_poll (GPollableInputStream * stream)
{
  RwReplayInputStream *self = RW_REPLAY_INPUT_STREAM (stream);

  return G_IS_POLLABLE_INPUT_STREAM (self->base) &&
      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (self->base));
}

static gboolean
rw_replay_input_stream_is_readable (GPollableInputStream * stream)
{
  RwReplayInputStream *self = RW_REPLAY_INPUT_STREAM (stream);

  return self->replay != NULL ||
      g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM
      (self->base));
}

static GSource *
rw_replay_input_stream_create_source (GPollableInputStream * stream,
    GCancellable * cancellable)
{
  RwReplayInputStream *self = RW_REPLAY_INPUT_STREAM (stream);
  g_autoptr (GSource) child = NULL;

  /* ready at once while there is something to replay */
  if (self->replay)
    child = g_timeout_source_new (0);
  else
    child = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM
        (self->base), NULL);
  return g_pollable_source_new_full (stream, child, cancellable);
}

static gssize
rw_replay_input_stream_read_nonblocking (GPollableInputStream * stream,
    void *buffer, gsize count, GError ** error)
{
  RwReplayInputStream *self = RW_REPLAY_INPUT_STREAM (stream);

  if (self->replay && count > 0)
    return take_replay (self, buffer, count);
  return g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM
      (self->base), buffer, count, NULL, error);
}

static void
rw_replay_input_stream_pollable_init (GPollableInputStreamInterface * iface)
{
  iface->can_poll = rw_replay_input_stream_can_poll;
  iface->is_readable = rw_replay_input_stream_is_readable;
  iface->create_source = rw_replay_input_stream_create_source;
  iface->read_nonblocking = rw_replay_input_stream_read_nonblocking;
}

static void
rw_replay_input_stream_finalize (GObject * object)
{
  RwReplayInputStream *self = RW_REPLAY_INPUT_STREAM (object);

  g_clear_pointer (&self->replay, g_bytes_unref);
  g_object_unref (self->base);

  G_OBJECT_CLASS (rw_replay_input_stream_parent_class)->finalize (object);
}

static void
rw_replay_input_stream_class_init (RwReplayInputStreamClass * klass)
{
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = rw_replay_input_stream_finalize;
  input_class->read_fn = rw_replay_input_stream_read;
  input_class->close_fn = rw_replay_input_stream_close;
}

static void
rw_replay_input_stream_init (RwReplayInputStream * self)
{
}

/* --- the connection --- */

struct _RwReplayStream
{
  GIOStream parent;

  GIOStream *base;
  GInputStream *input;          /* RwReplayInputStream over base's */
};

G_DEFINE_FINAL_TYPE (RwReplayStream, rw_replay_stream, G_TYPE_IO_STREAM);

static GInputStream *
rw_replay_stream_get_input_stream (GIOStream * stream)
{
  return RW_REPLAY_STREAM (stream)->input;
}

static GOutputStream *
rw_replay_stream_get_output_stream (GIOStream * stream)
{
  return g_io_stream_get_output_stream (RW_REPLAY_STREAM (stream)->base);
}

/* The connection, with its TLS session if any, and not only its two
 * streams (GIOStream's default). */
static gboolean
rw_replay_stream_close (GIOStream * stream, GCancellable * cancellable,
    GError ** error)
{
  return g_io_stream_close (RW_REPLAY_STREAM (stream)->base, cancellable,
      error);
}

static void
on_base_closed (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (g_io_stream_close_finish (G_IO_STREAM (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
rw_replay_stream_close_async (GIOStream * stream, int io_priority,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, rw_replay_stream_close_async);
  g_io_stream_close_async (RW_REPLAY_STREAM (stream)->base, io_priority,
      cancellable, on_base_closed, task);
}

static gboolean
rw_replay_stream_close_finish (GIOStream * stream, GAsyncResult * result,
    GError ** error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
rw_replay_stream_finalize (GObject * object)
{
  RwReplayStream *self = RW_REPLAY_STREAM (object);

  g_object_unref (self->input);
  g_object_unref (self->base);

  G_OBJECT_CLASS (rw_replay_stream_parent_class)->finalize (object);
}

static void
rw_replay_stream_class_init (RwReplayStreamClass * klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = rw_replay_stream_finalize;
  stream_class->get_input_stream = rw_replay_stream_get_input_stream;
  stream_class->get_output_stream = rw_replay_stream_get_output_stream;
  stream_class->close_fn = rw_replay_stream_close;
  stream_class->close_async = rw_replay_stream_close_async;
  stream_class->close_finish = rw_replay_stream_close_finish;
}

static void
rw_replay_stream_init (RwReplayStream * self)
{
}

/**
 * rw_replay_stream_new:
 * @base: (transfer none): a connection
 * @replay: (transfer none) (nullable): the bytes read from @base already,
 *   to be read again first
 *
 * Returns: (transfer full): @base, reading @replay first.
 */
GIOStream *
rw_replay_stream_new (GIOStream * base, GBytes * replay)
{
  RwReplayStream *self;
  RwReplayInputStream *input;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);

  input = g_object_new (RW_TYPE_REPLAY_INPUT_STREAM, NULL);
  input->base = g_object_ref (g_io_stream_get_input_stream (base));
  if (replay && g_bytes_get_size (replay) > 0)
    input->replay = g_bytes_ref (replay);

  self = g_object_new (RW_TYPE_REPLAY_STREAM, NULL);
  self->base = g_object_ref (base);
  self->input = G_INPUT_STREAM (input);
  return G_IO_STREAM (self);
}

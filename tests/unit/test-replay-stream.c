/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* RwReplayStream: the bytes given are read first, then the connection's,
 * through the pollable API libsoup uses as well as the blocking one; its
 * source is ready while there is something to replay and otherwise
 * follows the connection's; closing it closes the connection. */

#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rw-replay-stream.h"

/* A socket pair: @ours the connection given to the stream, the other end
 * returned, for the test to write to. */
static GSocketConnection *
socket_pair (gint * peer)
{
  g_autoptr (GSocket) socket = NULL;
  gint fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  socket = g_socket_new_from_fd (fds[0], NULL);
  g_assert_nonnull (socket);
  *peer = fds[1];
  return g_socket_connection_factory_create_connection (socket);
}

static gboolean
on_ready (GObject * stream, gpointer user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_REMOVE;
}

/* Iterates the default context for at most @ms; the number of times the
 * source fired. */
static guint
wait_source (GPollableInputStream * in, guint ms)
{
  g_autoptr (GSource) source = g_pollable_input_stream_create_source (in, NULL);
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;
  guint fired = 0;

  g_source_set_callback (source, G_SOURCE_FUNC (on_ready), &fired, NULL);
  g_source_attach (source, NULL);
  while (fired == 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_source_destroy (source);
  return fired;
}

static void
test_pollable (void)
{
  gint peer;
  g_autoptr (GSocketConnection) base = socket_pair (&peer);
  g_autoptr (GBytes) head = g_bytes_new_static ("GET ", 4);
  g_autoptr (GIOStream) stream = rw_replay_stream_new (G_IO_STREAM (base),
      head);
  GPollableInputStream *in =
      G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  g_autoptr (GError) error = NULL;
  gchar buf[64];
  gssize n;

  g_assert_true (G_IS_POLLABLE_INPUT_STREAM (in));
  g_assert_true (g_pollable_input_stream_can_poll (in));

  /* the replay first, even though the connection has nothing */
  g_assert_true (g_pollable_input_stream_is_readable (in));
  g_assert_cmpuint (wait_source (in, 1000), ==, 1);
  n = g_pollable_input_stream_read_nonblocking (in, buf, 3, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 3);
  g_assert_cmpmem (buf, 3, "GET", 3);
  n = g_pollable_input_stream_read_nonblocking (in, buf, sizeof buf, NULL,
      &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 1);
  g_assert_cmpmem (buf, 1, " ", 1);

  /* then the connection's: nothing yet */
  g_assert_false (g_pollable_input_stream_is_readable (in));
  g_assert_cmpuint (wait_source (in, 100), ==, 0);
  n = g_pollable_input_stream_read_nonblocking (in, buf, sizeof buf, NULL,
      &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_assert_cmpint (n, ==, -1);
  g_clear_error (&error);

  g_assert_cmpint (write (peer, "/ HTTP/1.1", 10), ==, 10);
  g_assert_cmpuint (wait_source (in, 1000), ==, 1);
  g_assert_true (g_pollable_input_stream_is_readable (in));
  n = g_pollable_input_stream_read_nonblocking (in, buf, sizeof buf, NULL,
      &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 10);
  g_assert_cmpmem (buf, 10, "/ HTTP/1.1", 10);

  /* the output is the connection's */
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream
          (stream), "ok", 2, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (read (peer, buf, sizeof buf), ==, 2);

  /* closing it closes the connection: the peer reads the end */
  g_assert_true (g_io_stream_close (stream, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_io_stream_is_closed (G_IO_STREAM (base)));
  g_assert_cmpint (read (peer, buf, sizeof buf), ==, 0);
  close (peer);
}

static void
test_blocking (void)
{
  gint peer;
  g_autoptr (GSocketConnection) base = socket_pair (&peer);
  g_autoptr (GBytes) head = g_bytes_new_static ("POST", 4);
  g_autoptr (GIOStream) stream = rw_replay_stream_new (G_IO_STREAM (base),
      head);
  GInputStream *in = g_io_stream_get_input_stream (stream);
  g_autoptr (GError) error = NULL;
  gchar buf[64] = { 0 };
  gsize got;

  g_assert_cmpint (write (peer, " /offer", 7), ==, 7);
  shutdown (peer, SHUT_WR);
  g_assert_true (g_input_stream_read_all (in, buf, sizeof buf, &got, NULL,
          &error));
  g_assert_no_error (error);
  g_assert_cmpmem (buf, got, "POST /offer", 11);
  close (peer);
}

static void
on_closed (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_assert_true (g_io_stream_close_finish (G_IO_STREAM (source), result, NULL));
  *(gboolean *) user_data = TRUE;
}

/* without a replay, and closed asynchronously */
static void
test_close_async (void)
{
  gint peer;
  g_autoptr (GSocketConnection) base = socket_pair (&peer);
  g_autoptr (GIOStream) stream = rw_replay_stream_new (G_IO_STREAM (base),
      NULL);
  GPollableInputStream *in =
      G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  gboolean closed = FALSE;
  gchar buf[8];

  g_assert_false (g_pollable_input_stream_is_readable (in));
  g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, on_closed,
      &closed);
  while (!closed)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_io_stream_is_closed (stream));
  g_assert_true (g_io_stream_is_closed (G_IO_STREAM (base)));
  g_assert_cmpint (read (peer, buf, sizeof buf), ==, 0);
  close (peer);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/replay-stream/pollable", test_pollable);
  g_test_add_func ("/replay-stream/blocking", test_blocking);
  g_test_add_func ("/replay-stream/close-async", test_close_async);
  return g_test_run ();
}

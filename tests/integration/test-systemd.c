/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The daemon under a fake systemd: a NOTIFY_SOCKET of this process, and
 * WATCHDOG_USEC=2 s (pings due every second).
 *
 * lifecycle: READY=1 with a STATUS once the test pattern flows, watchdog
 * pings, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 at SIGTERM.
 *
 * wedge: the configured pipeline reads raw frames from a FIFO this test
 * writes, then stops writing without closing it: the read blocks, as a
 * camera driver hung in the kernel does. The daemon sees no frame, and
 * taking the source out blocks on the stuck thread, so no frame flows,
 * slate included: the pings must stop, and stay stopped, until the test
 * lets the read return. The timeline is printed. */

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-utils.h"

#define WATCHDOG_USEC 2000000
#define WIDTH 64
#define HEIGHT 48
#define FRAME_BYTES (WIDTH * HEIGHT * 3 / 2)

typedef struct
{
  gint64 at;                    /* monotonic, µs */
  gchar *text;
} Message;

typedef struct
{
  gchar *dir;
  gchar *fifo;
  GSocket *socket;
  GThread *listener;
  gint stop;                    /* atomic */
  GMutex lock;                  /* protects messages */
  GPtrArray *messages;          /* Message */
  gint64 start;

  /* the FIFO's writer */
  GThread *writer;
  gint fd;
  gint feeding;                 /* atomic */
  gint frames_written;          /* atomic */
} Fixture;

static void
message_free (gpointer data)
{
  Message *m = data;

  g_free (m->text);
  g_free (m);
}

static gpointer
listen_thread (gpointer data)
{
  Fixture *f = data;
  gchar buffer[4096];

  while (!g_atomic_int_get (&f->stop)) {
    g_autoptr (GError) error = NULL;
    gssize n = g_socket_receive (f->socket, buffer, sizeof buffer - 1, NULL,
        &error);
    Message *m;

    if (n <= 0)
      continue;                 /* the 1 s timeout */
    buffer[n] = '\0';
    m = g_new0 (Message, 1);
    m->at = g_get_monotonic_time ();
    m->text = g_strdup (buffer);
    g_mutex_lock (&f->lock);
    g_ptr_array_add (f->messages, m);
    g_mutex_unlock (&f->lock);
  }
  return NULL;
}

static void
fixture_set_up (Fixture * f)
{
  g_autoptr (GError) error = NULL;

  memset (f, 0, sizeof *f);
  f->fd = -1;
  g_mutex_init (&f->lock);
  f->messages = g_ptr_array_new_with_free_func (message_free);
  f->dir = g_dir_make_tmp ("rw-systemd-XXXXXX", &error);
  g_assert_no_error (error);
  /* the daemon inherits NOTIFY_SOCKET and WATCHDOG_USEC */
  f->socket = rw_test_notify_socket_new (f->dir, WATCHDOG_USEC);
  g_socket_set_timeout (f->socket, 1);
  f->listener = g_thread_new ("notify-listener", listen_thread, f);
  f->start = g_get_monotonic_time ();
}

static void
stop_writer (Fixture * f)
{
  g_atomic_int_set (&f->feeding, -1);
  if (f->writer)
    g_thread_join (g_steal_pointer (&f->writer));
  if (f->fd >= 0)
    close (f->fd);
  f->fd = -1;
}

static void
fixture_tear_down (Fixture * f)
{
  stop_writer (f);
  g_atomic_int_set (&f->stop, 1);
  g_thread_join (f->listener);
  rw_test_notify_socket_done (g_steal_pointer (&f->socket));
  if (f->fifo)
    g_unlink (f->fifo);
  g_free (f->fifo);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_ptr_array_unref (f->messages);
  g_mutex_clear (&f->lock);
}

/* ms since the fixture started */
static gdouble
ms (Fixture * f, gint64 at)
{
  return (at - f->start) / 1000.0;
}

/* The first message at or after @since that contains @needle, waiting up
 * to @timeout_ms; its time, or -1. */
static gint64
wait_message (Fixture * f, const gchar * needle, gint64 since, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  do {
    gint64 found = -1;

    g_mutex_lock (&f->lock);
    for (guint i = 0; i < f->messages->len && found < 0; i++) {
      Message *m = g_ptr_array_index (f->messages, i);

      if (m->at >= since && strstr (m->text, needle))
        found = m->at;
    }
    g_mutex_unlock (&f->lock);
    if (found >= 0)
      return found;
    rw_test_pump_for (20);
  } while (g_get_monotonic_time () < deadline);
  return -1;
}

/* The pings in [@from, @to). */
static guint
count_pings (Fixture * f, gint64 from, gint64 to, gint64 * last)
{
  guint n = 0;

  g_mutex_lock (&f->lock);
  for (guint i = 0; i < f->messages->len; i++) {
    Message *m = g_ptr_array_index (f->messages, i);

    if (m->at >= from && m->at < to && strstr (m->text, "WATCHDOG=1")) {
      n++;
      if (last)
        *last = m->at;
    }
  }
  g_mutex_unlock (&f->lock);
  return n;
}

static void
print_timeline (Fixture * f)
{
  g_mutex_lock (&f->lock);
  for (guint i = 0; i < f->messages->len; i++) {
    Message *m = g_ptr_array_index (f->messages, i);
    g_autofree gchar *line = g_strdelimit (g_strdup (m->text), "\n", ' ');

    g_test_message ("%8.0f ms  %s", ms (f, m->at), line);
  }
  g_mutex_unlock (&f->lock);
}

static void
signal_daemon (RwTestServer * server, gint signum)
{
  g_assert_cmpint (kill (atoi (rw_test_server_get_pid (server)), signum),
      ==, 0);
}

static void
test_lifecycle (void)
{
  Fixture f;
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupSession) session = NULL;
  JsonNode *status;
  gint64 ready, reloading, ready_again, stopping, last = 0, frames;
  gint exit_status = -1;
  guint pings;

  fixture_set_up (&f);
  server = rw_test_daemon_start ("--width", "320", "--height", "240", NULL);

  ready = wait_message (&f, "READY=1", 0, 10000);
  rw_test_check (ready > 0, "no READY=1 within 10 s of the start");
  /* no camera here: the slate stands in */
  rw_test_check (wait_message (&f, "STATUS=0 viewers; main: lost, 0 viewers",
          0, 100) > 0, "READY=1 came without the expected STATUS");
  g_test_message ("READY=1 %.0f ms after the start", ms (&f, ready));

  /* pings every second or so while the test pattern flows, whose frames
   * /status counts */
  session = rw_test_session_new ();
  status = rw_test_get_status (session, rw_test_server_get_url (server), 3000,
      NULL);
  frames = rw_test_json_get_int (status, "source.frames", -1);
  rw_test_pump_for (3500);
  pings = count_pings (&f, ready, g_get_monotonic_time (), &last);
  rw_test_check (pings >= 3 && pings <= 5, "%u pings in 3.5 s, not 3 to 5",
      pings);
  json_node_unref (status);
  status = rw_test_get_status (session, rw_test_server_get_url (server), 3000,
      NULL);
  rw_test_check (rw_test_json_get_int (status, "source.frames", -1) >=
      frames + 60, "source.frames went from %" G_GINT64_FORMAT " to %"
      G_GINT64_FORMAT " in 3.5 s of 30 fps", frames,
      rw_test_json_get_int (status, "source.frames", -1));
  json_node_unref (status);

  reloading = g_get_monotonic_time ();
  signal_daemon (server, SIGHUP);
  reloading = wait_message (&f, "RELOADING=1", reloading, 5000);
  rw_test_check (reloading > 0, "no RELOADING=1 after SIGHUP");
  ready_again = wait_message (&f, "READY=1", reloading, 5000);
  rw_test_check (ready_again > 0, "no READY=1 after the reload");

  stopping = g_get_monotonic_time ();
  g_assert_true (rw_test_server_stop_with (server, SIGTERM, 10000,
          &exit_status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (exit_status, ==, 0);
  stopping = wait_message (&f, "STOPPING=1", stopping, 2000);
  rw_test_check (stopping > 0, "no STOPPING=1 at SIGTERM");
  print_timeline (&f);
  fixture_tear_down (&f);
}

/* Writes a grey frame 30 times a second while feeding is 1, nothing while
 * it is 0, and returns when it is -1 (the FIFO stays open). */
static gpointer
write_thread (gpointer data)
{
  Fixture *f = data;
  g_autofree guint8 *frame = g_malloc (FRAME_BYTES);
  gint feeding;

  memset (frame, 0x80, FRAME_BYTES);
  while ((feeding = g_atomic_int_get (&f->feeding)) >= 0) {
    if (feeding && write (f->fd, frame, FRAME_BYTES) == FRAME_BYTES)
      g_atomic_int_inc (&f->frames_written);
    g_usleep (G_USEC_PER_SEC / 30);
  }
  return NULL;
}

static void
test_wedge (void)
{
  Fixture f;
  g_autoptr (RwTestServer) server = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *config = NULL, *conf = NULL;
  gint64 ready, stalled, released, resumed, last = 0, after = 0;
  const gchar *args[] = { "--config", NULL, NULL };
  gint status = -1;
  guint pings;

  fixture_set_up (&f);
  f.fifo = g_build_filename (f.dir, "camera", NULL);
  g_assert_cmpint (mkfifo (f.fifo, 0600), ==, 0);
  /* read and write: opening does not wait for the daemon, and the FIFO
   * has a writer until this test closes it */
  f.fd = open (f.fifo, O_RDWR);
  g_assert_cmpint (f.fd, >=, 0);
  g_atomic_int_set (&f.feeding, 1);
  f.writer = g_thread_new ("fifo-writer", write_thread, &f);

  /* filesrc cannot be interrupted in read(): like a hung driver */
  config = g_build_filename (f.dir, "robot.conf", NULL);
  conf = g_strdup_printf ("[media]\npipeline = filesrc location=%s "
      "blocksize=%u ! rawvideoparse width=%u height=%u format=i420 "
      "framerate=30/1 ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30\n",
      f.fifo, FRAME_BYTES, WIDTH, HEIGHT);
  g_assert_true (g_file_set_contents (config, conf, -1, NULL));
  args[1] = config;
  server = rw_test_daemon_startv (args);

  ready = wait_message (&f, "READY=1", 0, 10000);
  rw_test_check (ready > 0, "no READY=1 within 10 s of the start");
  rw_test_pump_for (3000);
  pings = count_pings (&f, ready, g_get_monotonic_time (), NULL);
  rw_test_check (pings >= 2, "only %u pings in 3 s of frames", pings);

  /* the camera hangs */
  g_atomic_int_set (&f.feeding, 0);
  stalled = g_get_monotonic_time ();
  g_test_message ("%8.0f ms  the FIFO gets no more frames (%d written)",
      ms (&f, stalled), g_atomic_int_get (&f.frames_written));
  rw_test_pump_for (8000);
  released = g_get_monotonic_time ();
  /* a ping may still go out while the daemon notices the stall */
  count_pings (&f, f.start, released, &last);
  after = last + WATCHDOG_USEC / 2 + 1500 * G_TIME_SPAN_MILLISECOND;
  rw_test_check (last < stalled + 2500 * G_TIME_SPAN_MILLISECOND,
      "pings went on %.0f ms after the frames stopped (a slate flows?)",
      (last - stalled) / 1000.0);
  rw_test_check (count_pings (&f, after, released, NULL) == 0,
      "pinged while wedged");
  g_test_message ("%8.0f ms  last ping; none for %.1f s (systemd restarts "
      "after %.1f s)", ms (&f, last), (released - last) / 1e6,
      WATCHDOG_USEC / 1e6);

  /* the read returns: the source ends, the slate takes over and its
   * frames bring the pings back (the source's retries find no FIFO) */
  g_unlink (f.fifo);
  stop_writer (&f);
  g_test_message ("%8.0f ms  the FIFO is closed: the read returns",
      ms (&f, g_get_monotonic_time ()));
  resumed = wait_message (&f, "WATCHDOG=1", released, 10000);
  rw_test_check (resumed > 0, "the pings did not resume once the read "
      "returned");
  g_test_message ("%8.0f ms  pings again (%.1f s after the release)",
      ms (&f, resumed), (resumed - released) / 1e6);

  g_assert_true (rw_test_server_stop_with (server, SIGTERM, 10000, &status,
          &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  print_timeline (&f);
  fixture_tear_down (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/systemd/lifecycle", test_lifecycle);
  g_test_add_func ("/systemd/wedge", test_wedge);
  return g_test_run ();
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What RwNotify tells systemd, read from a NOTIFY_SOCKET of our own:
 * READY once every stream has frames, STATUS when it changes, and
 * watchdog pings only while every stream's frames advance. */

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "rw-notify.h"
#include "test-utils.h"

#define SECOND G_USEC_PER_SEC

typedef struct
{
  gchar *dir;
  GSocket *socket;
} Fixture;

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("rw-notify-XXXXXX", &error);
  g_assert_no_error (error);
  /* a 2 s watchdog: pings due every second */
  f->socket = rw_test_notify_socket_new (f->dir, 2 * SECOND);
  g_socket_set_blocking (f->socket, FALSE);
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  rw_test_notify_socket_done (f->socket);
  g_rmdir (f->dir);
  g_free (f->dir);
}

/* Every message sent since the last call, joined with '|'. */
static gchar *
received (Fixture * f)
{
  GString *all = g_string_new (NULL);
  gchar buffer[4096];
  gssize n;

  while ((n = g_socket_receive (f->socket, buffer, sizeof buffer - 1, NULL,
              NULL)) > 0) {
    buffer[n] = '\0';
    if (all->len)
      g_string_append_c (all, '|');
    g_string_append (all, buffer);
  }
  return g_string_free (all, FALSE);
}

static void
check (RwNotify * notify, gint64 now, guint64 front, guint64 back,
    const gchar * status)
{
  const gchar *const streams[] = { "front", "back", NULL };
  const guint64 frames[] = { front, back };

  rw_notify_check (notify, now, streams, frames, status);
}

static void
expect (Fixture * f, const gchar * messages)
{
  g_autofree gchar *got = received (f);

  g_assert_cmpstr (got, ==, messages);
}

static void
test_ready_and_status (Fixture * f, gconstpointer data)
{
  g_autoptr (RwNotify) notify = rw_notify_new ();
  gint64 t = 1000 * SECOND;

  g_assert_cmpint (rw_notify_get_watchdog_interval (notify), ==, 2 * SECOND);

  /* one stream without frames yet: not ready, no ping */
  check (notify, t, 10, 0, "starting");
  expect (f, "STATUS=starting");
  check (notify, t + SECOND / 4, 20, 0, "starting");
  expect (f, "");
  /* both have frames: ready, and the first ping */
  check (notify, t + SECOND / 2, 30, 5, "0 viewers");
  expect (f, "READY=1\nSTATUS=0 viewers|WATCHDOG=1");
  /* the same status is not sent again; a changed one is */
  check (notify, t + SECOND, 40, 10, "0 viewers");
  expect (f, "");
  check (notify, t + SECOND + SECOND / 4, 50, 15, "1 viewer");
  expect (f, "STATUS=1 viewer");

  rw_notify_reloading (notify);
  expect (f, "RELOADING=1");
  check (notify, t + SECOND + SECOND / 2, 60, 20, "1 viewer");
  expect (f, "READY=1\nSTATUS=1 viewer|WATCHDOG=1");
  rw_notify_stopping (notify);
  expect (f, "STOPPING=1");
}

static void
test_watchdog_follows_frames (Fixture * f, gconstpointer data)
{
  g_autoptr (RwNotify) notify = rw_notify_new ();
  gint64 t = 1000 * SECOND;

  check (notify, t, 30, 30, "s");
  expect (f, "READY=1\nSTATUS=s|WATCHDOG=1");
  /* frames flow: a ping each half interval, not more often */
  check (notify, t + SECOND / 2, 45, 45, "s");
  expect (f, "");
  check (notify, t + SECOND, 60, 60, "s");
  expect (f, "WATCHDOG=1");

  /* "back" stops: no ping while it gives nothing, however long */
  check (notify, t + 2 * SECOND, 90, 60, "s");
  expect (f, "");
  g_test_expect_message ("robot-webrtc", G_LOG_LEVEL_WARNING,
      "systemd watchdog: no frame from back for 1.5 s*");
  check (notify, t + 2 * SECOND + SECOND / 2, 105, 60, "s");
  g_test_assert_expected_messages ();
  expect (f, "");
  check (notify, t + 10 * SECOND, 345, 60, "s");
  expect (f, "");

  /* it gives frames again: the ping goes at once */
  check (notify, t + 10 * SECOND + SECOND / 4, 352, 61, "s");
  expect (f, "WATCHDOG=1");

  /* a stream the settings add is judged from its first frame */
  {
    const gchar *const streams[] = { "front", "back", "side", NULL };
    const guint64 frames[] = { 400, 100, 0 };
    const guint64 later[] = { 430, 130, 3 };

    rw_notify_check (notify, t + 11 * SECOND, streams, frames, "s");
    expect (f, "");
    rw_notify_check (notify, t + 11 * SECOND + SECOND / 2, streams, frames,
        "s");
    expect (f, "");
    rw_notify_check (notify, t + 11 * SECOND + 3 * SECOND / 4, streams,
        later, "s");
    expect (f, "WATCHDOG=1");
  }
}

static void
test_without_service_manager (void)
{
  g_autoptr (RwNotify) notify = NULL;
  const gchar *const streams[] = { "front", NULL };
  const guint64 frames[] = { 1 };

  g_unsetenv ("NOTIFY_SOCKET");
  g_unsetenv ("WATCHDOG_USEC");
  notify = rw_notify_new ();
  g_assert_cmpint (rw_notify_get_watchdog_interval (notify), ==, 0);
  /* nothing to send to, and no harm done */
  rw_notify_check (notify, SECOND, streams, frames, "s");
  rw_notify_reloading (notify);
  rw_notify_stopping (notify);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/notify/ready-and-status", Fixture, NULL, fixture_set_up,
      test_ready_and_status, fixture_tear_down);
  g_test_add ("/notify/watchdog-follows-frames", Fixture, NULL,
      fixture_set_up, test_watchdog_follows_frames, fixture_tear_down);
  g_test_add_func ("/notify/without-service-manager",
      test_without_service_manager);
  return g_test_run ();
}

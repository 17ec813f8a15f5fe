/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-notify
 * @title: RwNotify
 * @short_description: what the daemon tells systemd, watchdog included
 *
 * Under a `Type=notify` systemd unit the daemon says `READY=1` once every
 * stream gives frames (its camera's, or the slate's while the camera is
 * lost), keeps a one-line `STATUS=`, and says `RELOADING=1` and
 * `STOPPING=1` around a reload and at the end. With `WatchdogSec=` it
 * sends `WATCHDOG=1` only while frames flow: a ping is due every half
 * interval and goes out once every stream has given a frame since the
 * last one. A wedged pipeline, or a main loop that no longer runs, stops
 * the pings, and systemd restarts the daemon. Without a service manager
 * (no `NOTIFY_SOCKET`), or built without libsystemd, it does nothing.
 */

#include "rw-notify.h"

#include "config.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (rw_notify_debug);
#define GST_CAT_DEFAULT rw_notify_debug

struct _RwNotify
{
  gint64 interval;              /* µs, 0: no watchdog */
  gboolean ready;
  gchar *status;                /* as last sent */

  /* the streams' frame counts at the last ping */
  GStrv names;
  guint64 *frames;
  gint64 pinged_at;             /* monotonic, µs */
  gboolean warned;              /* the pings stopped, and it was said */
};

static void
notify_send (const gchar * state)
{
#ifdef HAVE_SYSTEMD
  gint ret = sd_notify (0, state);

  if (ret < 0)
    GST_WARNING ("sd_notify: %s", g_strerror (-ret));
  else
    GST_LOG ("%s", state);
#endif
}

/**
 * rw_notify_new:
 *
 * Reads the watchdog interval systemd gave (`WATCHDOG_USEC`, for this
 * process).
 *
 * Returns: (transfer full): the notifier; free with rw_notify_free().
 */
RwNotify *
rw_notify_new (void)
{
  RwNotify *self = g_new0 (RwNotify, 1);

  GST_DEBUG_CATEGORY_INIT (rw_notify_debug, "rw-notify", 0,
      "robot-webrtc systemd notifications");
#ifdef HAVE_SYSTEMD
  {
    guint64 usec = 0;

    if (sd_watchdog_enabled (0, &usec) > 0)
      self->interval = MIN (usec, G_MAXINT64);
  }
#endif
  if (self->interval)
    g_message ("systemd watchdog: every %.1f s while every stream gives "
        "frames", self->interval / 2.0 / G_USEC_PER_SEC);
  return self;
}

void
rw_notify_free (RwNotify * self)
{
  if (self == NULL)
    return;
  g_strfreev (self->names);
  g_free (self->frames);
  g_free (self->status);
  g_free (self);
}

/**
 * rw_notify_get_watchdog_interval:
 * @self: the notifier
 *
 * Returns: systemd's watchdog interval in µs, 0 without one.
 */
gint64
rw_notify_get_watchdog_interval (RwNotify * self)
{
  return self->interval;
}

/* The frames @name had at the last ping (0: it was not there). */
static guint64
frames_at_ping (RwNotify * self, const gchar * name)
{
  for (guint i = 0; self->names && self->names[i]; i++) {
    if (g_str_equal (self->names[i], name))
      return self->frames[i];
  }
  return 0;
}

/* The streams that gave no frame since the last ping, or NULL. */
static gchar *
stalled_streams (RwNotify * self, const gchar * const *streams,
    const guint64 * frames)
{
  GString *stalled = NULL;

  for (guint i = 0; streams[i]; i++) {
    if (frames[i] > frames_at_ping (self, streams[i]))
      continue;
    if (stalled == NULL)
      stalled = g_string_new (streams[i]);
    else
      g_string_append_printf (stalled, ", %s", streams[i]);
  }
  return stalled ? g_string_free (stalled, FALSE) : NULL;
}

static void
ping (RwNotify * self, gint64 now, const gchar * const *streams,
    const guint64 * frames)
{
  guint n = g_strv_length ((gchar **) streams);

  notify_send ("WATCHDOG=1");
  g_strfreev (self->names);
  self->names = g_strdupv ((gchar **) streams);
  g_free (self->frames);
  self->frames = g_memdup2 (frames, n * sizeof (guint64));
  self->pinged_at = now;
  if (self->warned)
    g_message ("systemd watchdog: frames flow again, pings resume");
  self->warned = FALSE;
}

/**
 * rw_notify_check:
 * @self: the notifier
 * @now: g_get_monotonic_time()
 * @streams: the streams' names, %NULL-terminated
 * @frames: (array): each stream's video frames since it was made
 *   (rw_stream_get_frames()), in the order of @streams
 * @status: a one-line summary for `systemctl status`
 *
 * Called every few hundred milliseconds from the main loop: says
 * `READY=1` the first time every stream has frames, a changed @status,
 * and pings the watchdog when one is due and every stream gave frames
 * since the last ping.
 */
void
rw_notify_check (RwNotify * self, gint64 now, const gchar * const *streams,
    const guint64 * frames, const gchar * status)
{
  g_autofree gchar *stalled = NULL;
  g_autofree gchar *state = NULL;
  gboolean all_started = TRUE;

  for (guint i = 0; streams[i]; i++)
    all_started = all_started && frames[i] > 0;
  if (!self->ready && all_started) {
    self->ready = TRUE;
    state = g_strdup_printf ("READY=1\nSTATUS=%s", status);
  } else if (g_strcmp0 (status, self->status) != 0) {
    state = g_strdup_printf ("STATUS=%s", status);
  }
  if (state) {
    notify_send (state);
    g_free (self->status);
    self->status = g_strdup (status);
  }

  if (self->interval == 0 || now - self->pinged_at < self->interval / 2)
    return;
  stalled = stalled_streams (self, streams, frames);
  if (stalled == NULL) {
    ping (self, now, streams, frames);
    return;
  }
  /* said once the ping is half an interval late: a stream that just
   * started, or a short gap, is not worth a line */
  if (!self->warned && self->pinged_at &&
      now - self->pinged_at >= self->interval * 3 / 4) {
    g_warning ("systemd watchdog: no frame from %s for %.1f s; no ping until "
        "frames flow (systemd restarts the daemon after %.0f s)", stalled,
        (now - self->pinged_at) / (gdouble) G_USEC_PER_SEC,
        self->interval / (gdouble) G_USEC_PER_SEC);
    self->warned = TRUE;
  }
}

/**
 * rw_notify_reloading:
 * @self: the notifier
 *
 * Says `RELOADING=1`; the next rw_notify_check() says `READY=1` again.
 */
void
rw_notify_reloading (RwNotify * self)
{
  notify_send ("RELOADING=1");
  self->ready = FALSE;
}

/**
 * rw_notify_stopping:
 * @self: the notifier
 *
 * Says `STOPPING=1`.
 */
void
rw_notify_stopping (RwNotify * self)
{
  notify_send ("STOPPING=1");
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs @func on @context from any thread, always from the main loop and
 * never nested in the caller, even when the caller is @context's own
 * thread: webrtcbin may reply to a promise inside the call that made it. */
static inline void
rw_invoke_later (GMainContext * context, GSourceFunc func, gpointer data,
    GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "rw-invoke");
  g_source_attach (source, context);
  g_source_unref (source);
}

G_END_DECLS

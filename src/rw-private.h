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

/* The threading contract (docs/architecture.md, "Threads"): what a main
 * context owns is touched only by the thread that runs it. In builds with
 * assertions, a call from any other thread aborts, naming the function, so
 * that a change breaking the contract fails its tests. */
#ifndef G_DISABLE_ASSERT
#define rw_assert_context(context) G_STMT_START {                          \
    if (G_UNLIKELY (!g_main_context_is_owner (context)))                  \
      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,   \
          "called from a thread that does not run its main context "      \
          "(threading contract)");                                        \
  } G_STMT_END
#else
#define rw_assert_context(context) G_STMT_START { } G_STMT_END
#endif

G_END_DECLS

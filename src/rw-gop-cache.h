/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _RwGopCache RwGopCache;

/* the timestamps of a replay's frames are this far apart: about the time
 * a frame takes to be sent, or a receiver's jitter buffer takes the burst
 * for late packets (rw-gop-cache.c) */
#define RW_GOP_CACHE_REPLAY_STEP (2 * GST_MSECOND)

RwGopCache *rw_gop_cache_new (gsize max_bytes);
RwGopCache *rw_gop_cache_ref (RwGopCache * self);
void rw_gop_cache_unref (RwGopCache * self);
void rw_gop_cache_set_max_bytes (RwGopCache * self, gsize max_bytes);
void rw_gop_cache_add (RwGopCache * self, GstBuffer * buffer);
void rw_gop_cache_clear (RwGopCache * self);
gboolean rw_gop_cache_is_ready (RwGopCache * self);
GstBufferList *rw_gop_cache_replay (RwGopCache * self, GstBuffer * last);
void rw_gop_cache_get_size (RwGopCache * self, guint * frames, gsize * bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwGopCache, rw_gop_cache_unref)

G_END_DECLS

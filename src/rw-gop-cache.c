/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-gop-cache
 * @title: RwGopCache
 * @short_description: the encoded frames since the last keyframe
 *
 * A stream's shared encoder sends a keyframe only every few seconds, and
 * a viewer can decode nothing before one. Forcing one for each viewer that
 * joins costs every viewer already watching a keyframe's bytes. Instead
 * the cache keeps the last keyframe and every frame since, and a viewer
 * that connects gets them at once, then the live frames that follow: it
 * decodes its first frame without a keyframe being asked of the encoder.
 *
 * The cache is bounded in bytes: a group of pictures larger than the bound
 * is dropped from the cache until the next keyframe, and viewers joining
 * meanwhile are given a forced keyframe as before. A replay is the cached
 * frames with their timestamps moved to just before the newest one's,
 * #RW_GOP_CACHE_REPLAY_STEP apart, so that a receiver decodes them at once
 * and its jitter buffer does not take the burst for seconds of delay. The
 * step is not smaller: GStreamer's rtpjitterbuffer with retransmission,
 * seeing frames 100 µs apart arrive a few ms apart, declared them lost and
 * then dropped the live frames as late for many seconds.
 *
 * rw_gop_cache_add() is called on the encoded video's streaming thread,
 * before the buffer goes on to the viewers; the rest on any thread.
 */

#include "rw-gop-cache.h"

struct _RwGopCache
{
  GMutex lock;                  /* protects the fields below */
  gsize max_bytes;
  GPtrArray *frames;            /* GstBuffer: a keyframe and the frames since */
  gsize bytes;
  gboolean whole;               /* frames starts at a keyframe, nothing left out */
};

/**
 * rw_gop_cache_new:
 * @max_bytes: the most the cache keeps; larger groups are not kept
 *
 * Returns: (transfer full): an empty cache.
 */
RwGopCache *
rw_gop_cache_new (gsize max_bytes)
{
  RwGopCache *self = g_atomic_rc_box_new0 (RwGopCache);

  self->max_bytes = max_bytes;
  g_mutex_init (&self->lock);
  self->frames = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  return self;
}

RwGopCache *
rw_gop_cache_ref (RwGopCache * self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
gop_cache_free (RwGopCache * self)
{
  g_ptr_array_unref (self->frames);
  g_mutex_clear (&self->lock);
}

void
rw_gop_cache_unref (RwGopCache * self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) gop_cache_free);
}

/* Lock held. */
static void
forget (RwGopCache * self, gboolean whole)
{
  g_ptr_array_set_size (self->frames, 0);
  self->bytes = 0;
  self->whole = whole;
}

/**
 * rw_gop_cache_add:
 * @self: a cache
 * @buffer: the next encoded frame (not taken)
 *
 * Keeps @buffer: a keyframe starts the cache again. A buffer from a pool
 * (a camera's own encoding) is copied, so that the pool is not held.
 */
void
rw_gop_cache_add (RwGopCache * self, GstBuffer * buffer)
{
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_DELTA_UNIT);
  gsize size = gst_buffer_get_size (buffer);

  g_mutex_lock (&self->lock);
  if (keyframe)
    forget (self, TRUE);
  if (!self->whole) {
    g_mutex_unlock (&self->lock);
    return;
  }
  if (self->bytes + size > self->max_bytes) {
    if (self->max_bytes)
      GST_DEBUG ("the group of pictures outgrew the cache's %" G_GSIZE_FORMAT
          " bytes: none is cached until the next keyframe", self->max_bytes);
    forget (self, FALSE);
    g_mutex_unlock (&self->lock);
    return;
  }
  g_ptr_array_add (self->frames, buffer->pool ? gst_buffer_copy_deep (buffer) :
      gst_buffer_ref (buffer));
  self->bytes += size;
  g_mutex_unlock (&self->lock);
}

/**
 * rw_gop_cache_set_max_bytes:
 * @self: a cache
 * @max_bytes: the most the cache keeps from now on; 0: nothing
 */
void
rw_gop_cache_set_max_bytes (RwGopCache * self, gsize max_bytes)
{
  g_mutex_lock (&self->lock);
  self->max_bytes = max_bytes;
  if (self->bytes > max_bytes)
    forget (self, FALSE);
  g_mutex_unlock (&self->lock);
}

/**
 * rw_gop_cache_clear:
 * @self: a cache
 *
 * Forgets every frame: the stream starts again (new caps, a flush) and
 * the next keyframe starts the cache.
 */
void
rw_gop_cache_clear (RwGopCache * self)
{
  g_mutex_lock (&self->lock);
  forget (self, FALSE);
  g_mutex_unlock (&self->lock);
}

/**
 * rw_gop_cache_is_ready:
 * @self: a cache
 *
 * Returns: whether the cache holds a keyframe and every frame since.
 */
gboolean
rw_gop_cache_is_ready (RwGopCache * self)
{
  gboolean ready;

  g_mutex_lock (&self->lock);
  ready = self->whole && self->frames->len > 0;
  g_mutex_unlock (&self->lock);
  return ready;
}

/* Whether @a and @b are the same frame: the cache keeps copies of some. */
static gboolean
same_frame (GstBuffer * a, GstBuffer * b)
{
  return a == b || (GST_BUFFER_PTS_IS_VALID (a) &&
      GST_BUFFER_PTS (a) == GST_BUFFER_PTS (b) &&
      gst_buffer_get_size (a) == gst_buffer_get_size (b));
}

/**
 * rw_gop_cache_replay:
 * @self: a cache
 * @last: the frame the viewer would get next, the newest one cached
 *
 * Returns: (transfer full) (nullable): the cached frames up to @last
 *   included, retimed (see the section's text), or %NULL when @last is not
 *   the newest frame of a whole group in the cache.
 */
GstBufferList *
rw_gop_cache_replay (RwGopCache * self, GstBuffer * last)
{
  GstBufferList *list;
  GstClockTime pts = GST_BUFFER_PTS (last), step = RW_GOP_CACHE_REPLAY_STEP;
  guint n;

  g_mutex_lock (&self->lock);
  n = self->frames->len;
  if (!self->whole || n == 0 || !GST_CLOCK_TIME_IS_VALID (pts) ||
      !same_frame (self->frames->pdata[n - 1], last)) {
    g_mutex_unlock (&self->lock);
    return NULL;
  }
  /* timestamps stay positive */
  if (n > 1 && pts < (n - 1) * step)
    step = pts / (n - 1);
  list = gst_buffer_list_new_sized (n);
  for (guint i = 0; i < n - 1; i++) {
    GstBuffer *frame = gst_buffer_copy (self->frames->pdata[i]);

    GST_BUFFER_PTS (frame) = pts - (n - 1 - i) * step;
    GST_BUFFER_DTS (frame) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION (frame) = step;
    gst_buffer_list_add (list, frame);
  }
  gst_buffer_list_add (list, gst_buffer_ref (last));
  g_mutex_unlock (&self->lock);
  return list;
}

/**
 * rw_gop_cache_get_size:
 * @self: a cache
 * @frames: (out) (optional): frames held
 * @bytes: (out) (optional): their bytes
 */
void
rw_gop_cache_get_size (RwGopCache * self, guint * frames, gsize * bytes)
{
  g_mutex_lock (&self->lock);
  if (frames)
    *frames = self->frames->len;
  if (bytes)
    *bytes = self->bytes;
  g_mutex_unlock (&self->lock);
}

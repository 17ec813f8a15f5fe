/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* RwGopCache: what it keeps, what a replay holds and how it is timed, its
 * bound, and that a pool's buffers are not held. */

#include <gst/gst.h>

#include "rw-gop-cache.h"

#define FRAME (33 * GST_MSECOND)

/* A frame of @size bytes, all @fill, at @index frames. */
static GstBuffer *
frame (guint index, gsize size, gboolean keyframe, guint8 fill)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, size, NULL);

  gst_buffer_memset (buffer, 0, fill, size);
  GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) = index * FRAME;
  GST_BUFFER_DURATION (buffer) = FRAME;
  if (!keyframe)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  return buffer;
}

static guint8
first_byte (GstBuffer * buffer)
{
  guint8 byte = 0;

  gst_buffer_extract (buffer, 0, &byte, 1);
  return byte;
}

/* A keyframe and two deltas, replayed up to the newest: the same bytes in
 * order, the keyframe first, timed RW_GOP_CACHE_REPLAY_STEP apart and
 * ending at the newest frame's time, which is the buffer itself. */
static void
test_replay (void)
{
  g_autoptr (RwGopCache) cache = rw_gop_cache_new (100000);
  g_autoptr (GstBuffer) k = frame (30, 1000, TRUE, 1);
  g_autoptr (GstBuffer) d1 = frame (31, 200, FALSE, 2);
  g_autoptr (GstBuffer) d2 = frame (32, 300, FALSE, 3);
  g_autoptr (GstBufferList) list = NULL;
  guint frames;
  gsize bytes;

  g_assert_false (rw_gop_cache_is_ready (cache));
  rw_gop_cache_add (cache, k);
  rw_gop_cache_add (cache, d1);
  rw_gop_cache_add (cache, d2);
  g_assert_true (rw_gop_cache_is_ready (cache));
  rw_gop_cache_get_size (cache, &frames, &bytes);
  g_assert_cmpuint (frames, ==, 3);
  g_assert_cmpuint (bytes, ==, 1500);

  list = rw_gop_cache_replay (cache, d2);
  g_assert_nonnull (list);
  g_assert_cmpuint (gst_buffer_list_length (list), ==, 3);
  for (guint i = 0; i < 3; i++) {
    GstBuffer *b = gst_buffer_list_get (list, i);

    g_assert_cmpuint (first_byte (b), ==, i + 1);
    g_assert_cmpuint (GST_BUFFER_PTS (b), ==, 32 * FRAME - (2 - i) *
        RW_GOP_CACHE_REPLAY_STEP);
    g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT),
        ==, i > 0);
  }
  g_assert_true (gst_buffer_list_get (list, 2) == d2);
  /* the cached buffers themselves are not retimed */
  g_assert_cmpuint (GST_BUFFER_PTS (k), ==, 30 * FRAME);

  /* not the newest: no replay */
  g_assert_null (rw_gop_cache_replay (cache, d1));
}

/* The frame a viewer gets may be another buffer with the same time and
 * size (a copy); a different size at that time is another frame. */
static void
test_same_frame (void)
{
  g_autoptr (RwGopCache) cache = rw_gop_cache_new (100000);
  g_autoptr (GstBuffer) k = frame (0, 1000, TRUE, 1);
  g_autoptr (GstBuffer) d = frame (1, 200, FALSE, 2);
  g_autoptr (GstBuffer) copy = gst_buffer_copy_deep (d);
  g_autoptr (GstBuffer) other = frame (1, 201, FALSE, 2);
  g_autoptr (GstBufferList) list = NULL;

  rw_gop_cache_add (cache, k);
  rw_gop_cache_add (cache, d);
  list = rw_gop_cache_replay (cache, copy);
  g_assert_nonnull (list);
  g_assert_cmpuint (gst_buffer_list_length (list), ==, 2);
  g_assert_null (rw_gop_cache_replay (cache, other));
}

/* Deltas before the first keyframe are not kept; a group larger than the
 * bound is dropped until the next keyframe, which starts a new one. */
static void
test_bound (void)
{
  g_autoptr (RwGopCache) cache = rw_gop_cache_new (1000);
  g_autoptr (GstBuffer) d0 = frame (0, 100, FALSE, 0);
  g_autoptr (GstBuffer) k1 = frame (1, 400, TRUE, 1);
  g_autoptr (GstBuffer) d2 = frame (2, 400, FALSE, 2);
  g_autoptr (GstBuffer) d3 = frame (3, 400, FALSE, 3);
  g_autoptr (GstBuffer) d4 = frame (4, 10, FALSE, 4);
  g_autoptr (GstBuffer) k5 = frame (5, 600, TRUE, 5);
  g_autoptr (GstBufferList) list = NULL;
  guint frames;

  rw_gop_cache_add (cache, d0);
  g_assert_false (rw_gop_cache_is_ready (cache));
  g_assert_null (rw_gop_cache_replay (cache, d0));

  rw_gop_cache_add (cache, k1);
  rw_gop_cache_add (cache, d2);
  g_assert_true (rw_gop_cache_is_ready (cache));
  rw_gop_cache_add (cache, d3);
  g_assert_false (rw_gop_cache_is_ready (cache));
  rw_gop_cache_add (cache, d4);
  g_assert_false (rw_gop_cache_is_ready (cache));
  g_assert_null (rw_gop_cache_replay (cache, d4));
  rw_gop_cache_get_size (cache, &frames, NULL);
  g_assert_cmpuint (frames, ==, 0);

  rw_gop_cache_add (cache, k5);
  g_assert_true (rw_gop_cache_is_ready (cache));
  list = rw_gop_cache_replay (cache, k5);
  g_assert_cmpuint (gst_buffer_list_length (list), ==, 1);
}

/* Clearing, and a bound of 0, keep nothing; a smaller bound drops a
 * larger group at once. */
static void
test_clear_and_off (void)
{
  g_autoptr (RwGopCache) cache = rw_gop_cache_new (10000);
  g_autoptr (GstBuffer) k = frame (0, 1000, TRUE, 1);
  g_autoptr (GstBuffer) d = frame (1, 100, FALSE, 2);

  rw_gop_cache_add (cache, k);
  rw_gop_cache_clear (cache);
  g_assert_false (rw_gop_cache_is_ready (cache));
  rw_gop_cache_add (cache, d);
  g_assert_false (rw_gop_cache_is_ready (cache));

  rw_gop_cache_add (cache, k);
  g_assert_true (rw_gop_cache_is_ready (cache));
  rw_gop_cache_set_max_bytes (cache, 500);
  g_assert_false (rw_gop_cache_is_ready (cache));

  rw_gop_cache_set_max_bytes (cache, 0);
  rw_gop_cache_add (cache, k);
  rw_gop_cache_add (cache, d);
  g_assert_false (rw_gop_cache_is_ready (cache));
}

/* Replayed timestamps never go below 0: a stream's first frames. */
static void
test_early_times (void)
{
  g_autoptr (RwGopCache) cache = rw_gop_cache_new (100000);
  g_autoptr (GstBufferList) list = NULL;
  GstBuffer *last = NULL;
  GstClockTime previous = 0;

  for (guint i = 0; i < 5; i++) {
    g_autoptr (GstBuffer) b = frame (0, 10, i == 0, i);

    GST_BUFFER_PTS (b) = 150 * GST_USECOND + i;
    rw_gop_cache_add (cache, b);
    gst_clear_buffer (&last);
    last = gst_buffer_ref (b);
  }
  list = rw_gop_cache_replay (cache, last);
  g_assert_cmpuint (gst_buffer_list_length (list), ==, 5);
  for (guint i = 0; i < 5; i++) {
    GstClockTime pts = GST_BUFFER_PTS (gst_buffer_list_get (list, i));

    g_assert_true (GST_CLOCK_TIME_IS_VALID (pts));
    g_assert_cmpuint (pts, <=, GST_BUFFER_PTS (last));
    if (i > 0)
      g_assert_cmpuint (pts, >=, previous);
    previous = pts;
  }
  gst_buffer_unref (last);
}

/* A buffer from a pool of one (a camera's own encoding) is copied: the
 * pool can hand it out again while the cache holds its frame. */
static void
test_pool (void)
{
  g_autoptr (RwGopCache) cache = rw_gop_cache_new (100000);
  g_autoptr (GstBufferPool) pool = gst_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstBufferPoolAcquireParams params = { 0, };
  GstBuffer *buffer = NULL;
  g_autoptr (GstBufferList) list = NULL;

  gst_buffer_pool_config_set_params (config, NULL, 64, 1, 1);
  g_assert_true (gst_buffer_pool_set_config (pool, config));
  g_assert_true (gst_buffer_pool_set_active (pool, TRUE));
  params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT;

  g_assert_cmpint (gst_buffer_pool_acquire_buffer (pool, &buffer, &params),
      ==, GST_FLOW_OK);
  gst_buffer_memset (buffer, 0, 7, 64);
  GST_BUFFER_PTS (buffer) = 0;
  rw_gop_cache_add (cache, buffer);
  gst_buffer_unref (buffer);

  buffer = NULL;
  g_assert_cmpint (gst_buffer_pool_acquire_buffer (pool, &buffer, &params),
      ==, GST_FLOW_OK);
  gst_buffer_memset (buffer, 0, 8, 64);
  GST_BUFFER_PTS (buffer) = FRAME;
  GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  rw_gop_cache_add (cache, buffer);
  list = rw_gop_cache_replay (cache, buffer);
  g_assert_cmpuint (gst_buffer_list_length (list), ==, 2);
  g_assert_cmpuint (first_byte (gst_buffer_list_get (list, 0)), ==, 7);
  gst_buffer_unref (buffer);
  g_clear_pointer (&list, gst_buffer_list_unref);
  g_clear_pointer (&cache, rw_gop_cache_unref);
  g_assert_true (gst_buffer_pool_set_active (pool, FALSE));
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gop-cache/replay", test_replay);
  g_test_add_func ("/gop-cache/same-frame", test_same_frame);
  g_test_add_func ("/gop-cache/bound", test_bound);
  g_test_add_func ("/gop-cache/clear-and-off", test_clear_and_off);
  g_test_add_func ("/gop-cache/early-times", test_early_times);
  g_test_add_func ("/gop-cache/pool", test_pool);
  return g_test_run ();
}

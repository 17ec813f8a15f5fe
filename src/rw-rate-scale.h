/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RW_RATE_SCALE_STEPS 3

/**
 * RwRateScale:
 *
 * When the shared encoder's picture shrinks: see rw-rate-scale.c. A plain
 * struct, zeroed to start at full size.
 */
typedef struct
{
  /*< private > */
  guint step;                   /* index into the sizes; 0: full */
  gint64 changed_at;            /* monotonic µs; 0: never */
  gint64 dropping_since;        /* the encoder drops frames since; 0: not */
  gint64 roomy_since;           /* the target has room since; 0: not */
  guint down_target[RW_RATE_SCALE_STEPS];       /* the target that shrank it */
} RwRateScale;

guint rw_rate_scale_update (RwRateScale * self, gint64 now, guint target,
    guint max_bitrate, gdouble encoded_fps, gdouble fps);
void rw_rate_scale_get_factor (guint step, guint * num, guint * den);

G_END_DECLS

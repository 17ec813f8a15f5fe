/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-rate-scale
 * @title: RwRateScale
 * @short_description: when the shared encoder's picture shrinks
 *
 * Below some bitrate an encoder cannot keep its picture size at its frame
 * rate: libvpx at its coarsest quantizer still needs ~750 kbit/s for a
 * busy 640x480 at 30 fps, and meets a lower target by dropping frames.
 * Every viewer then sees a few frames a second. A smaller picture at the
 * full frame rate is better (libwebrtc's "balanced" degradation does the
 * same), so:
 *
 * - when the encoder has put out less than 85 % of the frames it was given
 *   for 3 s while the target is below the top, the picture shrinks one
 *   step: 3/4, then 1/2 of each side (a machine short of CPU gives the
 *   encoder fewer frames but does not make it drop any: that does not
 *   shrink it);
 * - when the target has been 1.6 times the one that shrank it (or at the
 *   top) for 5 s, it grows one step back;
 * - never two changes within 6 s: each costs a keyframe.
 *
 * Pure policy: rw-rate-layers.c measures and applies it.
 */

#include "rw-rate-scale.h"

#define DROPPING 0.85
#define DOWN_AFTER_US (3 * G_USEC_PER_SEC)
#define ROOM 1.6
#define UP_AFTER_US (5 * G_USEC_PER_SEC)
#define HOLD_US (6 * G_USEC_PER_SEC)

static const guint factors[RW_RATE_SCALE_STEPS][2] = { {1, 1}, {3, 4}, {1, 2} };

/**
 * rw_rate_scale_get_factor:
 * @step: a step from rw_rate_scale_update()
 * @num: (out): the picture's side is multiplied by @num / @den
 * @den: (out): see @num
 */
void
rw_rate_scale_get_factor (guint step, guint * num, guint * den)
{
  step = MIN (step, RW_RATE_SCALE_STEPS - 1);
  *num = factors[step][0];
  *den = factors[step][1];
}

/**
 * rw_rate_scale_update:
 * @self: the state
 * @now: monotonic time, µs
 * @target: the encoder's target now, bits/s
 * @max_bitrate: the top of the target
 * @encoded_fps: the frames the encoder put out a second, lately
 * @fps: the frames it was given a second, over the same time
 *
 * Returns: the step the picture should be at (rw_rate_scale_get_factor()).
 */
guint
rw_rate_scale_update (RwRateScale * self, gint64 now, guint target,
    guint max_bitrate, gdouble encoded_fps, gdouble fps)
{
  gboolean dropping = fps > 0 && encoded_fps < fps * DROPPING &&
      target < max_bitrate;
  gboolean roomy = self->step > 0 && (target >= max_bitrate ||
      target >= self->down_target[self->step] * ROOM);
  gboolean held = self->changed_at && now - self->changed_at < HOLD_US;

  if (!dropping)
    self->dropping_since = 0;
  else if (self->dropping_since == 0)
    self->dropping_since = now;
  if (!roomy)
    self->roomy_since = 0;
  else if (self->roomy_since == 0)
    self->roomy_since = now;
  if (held)
    return self->step;

  if (self->roomy_since && now - self->roomy_since >= UP_AFTER_US) {
    self->step--;
    self->changed_at = now;
    self->roomy_since = self->dropping_since = 0;
  } else if (self->dropping_since && now - self->dropping_since >=
      DOWN_AFTER_US && self->step + 1 < RW_RATE_SCALE_STEPS) {
    self->step++;
    self->down_target[self->step] = target;
    self->changed_at = now;
    self->roomy_since = self->dropping_since = 0;
  }
  return self->step;
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * RwLayer:
 * @RW_LAYER_FULL: the stream's own encoding
 * @RW_LAYER_LOW: the low layer: half size, half rate, a low bitrate
 */
typedef enum
{
  RW_LAYER_FULL,
  RW_LAYER_LOW,
} RwLayer;

const gchar *rw_layer_to_string (RwLayer layer);

/**
 * RwRatePolicy:
 * @min_bitrate: the shared encoder's lowest target, bits/s
 * @max_bitrate: its highest
 * @low_layer: whether viewers far below the others get the low layer
 * @low_bitrate: the low layer's target, bits/s
 */
typedef struct
{
  guint min_bitrate;
  guint max_bitrate;
  gboolean low_layer;
  guint low_bitrate;
} RwRatePolicy;

/**
 * RwRatePeer:
 * @estimate: (in): what the viewer carries, bits/s; 0: no limit known
 * @delivered: (in): what got through its last lossy interval, bits/s; 0:
 *     no loss lately
 * @fraction_lost: (in): of its last receiver report; < 0: none
 * @layer: (out): the layer it should get
 * @dropping: (out): it carries less than its layer: frames are dropped
 *
 * One viewer, as the policy sees it; the sink keeps one per viewer.
 */
typedef struct
{
  guint64 estimate;
  guint64 delivered;
  gdouble fraction_lost;
  RwLayer layer;
  gboolean dropping;

  /*< private > */
  gint64 layer_since;
  gint64 below_since;           /* far below the others since; 0: not */
  gint64 clean_since;           /* 0: its last report lost packets */
  gint64 trial_until;           /* promoted on trial until then */
  guint trial_wait_ms;
} RwRatePeer;

typedef struct _RwRateControl RwRateControl;

RwRateControl *rw_rate_control_new (const RwRatePolicy * policy);
void rw_rate_control_free (RwRateControl * self);
void rw_rate_control_set_policy (RwRateControl * self,
    const RwRatePolicy * policy);
void rw_rate_peer_init (RwRatePeer * peer, gint64 now);
gboolean rw_rate_peer_is_far_below (const RwRatePeer * peer);
guint rw_rate_control_update (RwRateControl * self, RwRatePeer ** peers,
    guint n_peers, gint64 now);
guint rw_rate_control_get_target (RwRateControl * self);
const RwRatePolicy *rw_rate_control_get_policy (RwRateControl * self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwRateControl, rw_rate_control_free);

G_END_DECLS

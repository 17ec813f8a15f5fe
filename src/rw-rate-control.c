/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-rate-control
 * @title: RwRateControl
 * @short_description: one encoder, many networks: the policy
 *
 * The policy of a stream's rate control (docs/rate-control.md), apart from
 * GStreamer so that it can be tested alone. Given each viewer's estimate it
 * decides, each time it is updated:
 *
 * - which viewers are far below the others: a viewer on the full layer
 *   to which less got through (or, without recent loss, whose estimate is
 *   lower) than half of what the other full-layer viewers carry (the 25th
 *   percentile of what got through to them, or of their estimates if
 *   lower), for 1.5 s in a row, moves to the low layer; meanwhile it does
 *   not count for the target. One weak viewer
 *   thus cannot pull the others down, while many equally weak ones (all
 *   behind the same slow uplink) bring the target down instead;
 * - the shared encoder's target: 90 % of the 25th percentile of the
 *   full-layer viewers' estimates (a viewer without a limit counts as the
 *   maximum: then the target is the maximum),
 *   clamped to [min, max]; it falls once two updates in a row ask for
 *   less, at most to 60 %, and rises at most by 10 % per second, which
 *   encoders follow without a keyframe;
 * - when a low-layer viewer goes back: at once if its estimate reaches
 *   80 % of the target; otherwise on trial, after its reports have been
 *   clean (under 2 % lost) for a while (20 s, doubling after each failed
 *   trial up to 120 s): its estimate from before says nothing of what it
 *   could carry, since nothing more was sent. A trial that fails (the
 *   viewer falls far below again) sends it back to the low layer;
 * - which viewers are dropping: those whose estimate is below 80 % of
 *   their layer's bitrate, 4 s or more after their last switch, get frames
 *   dropped at frame boundaries.
 */

#include "rw-rate-control.h"

#include <stdlib.h>

#define DEMOTE_RATIO 0.5
#define BELOW_US (1500 * 1000)
/* after a switch the first reports still count the other layer's packets,
 * and its retransmissions: no dropping before this long */
#define SETTLE_US (4 * G_USEC_PER_SEC)
#define PROMOTE_RATIO 0.8
#define DROP_RATIO 0.8
#define PERCENTILE 0.25
#define HEADROOM 0.9
#define DOWN_FACTOR 0.6
#define UP_FACTOR 1.1
#define TARGET_INTERVAL_US G_USEC_PER_SEC
#define LOW_LOSS 0.02
#define TRIAL_FIRST_MS 20000
#define TRIAL_MAX_MS 120000
#define TRIAL_US (4 * G_USEC_PER_SEC)

struct _RwRateControl
{
  RwRatePolicy policy;
  guint target;
  gint64 target_changed;
  gboolean lower_seen;          /* the last update wanted less too */
};

const gchar *
rw_layer_to_string (RwLayer layer)
{
  return layer == RW_LAYER_LOW ? "low" : "full";
}

RwRateControl *
rw_rate_control_new (const RwRatePolicy * policy)
{
  RwRateControl *self = g_new0 (RwRateControl, 1);

  rw_rate_control_set_policy (self, policy);
  self->target = self->policy.max_bitrate;
  return self;
}

void
rw_rate_control_free (RwRateControl * self)
{
  g_free (self);
}

void
rw_rate_control_set_policy (RwRateControl * self, const RwRatePolicy * policy)
{
  self->policy = *policy;
  self->policy.min_bitrate = MIN (policy->min_bitrate, policy->max_bitrate);
  self->target = CLAMP (self->target, self->policy.min_bitrate,
      self->policy.max_bitrate);
}

/**
 * rw_rate_peer_init:
 * @peer: a new viewer's entry
 * @now: monotonic time, µs
 *
 * A new viewer starts on the full layer, not dropping.
 */
void
rw_rate_peer_init (RwRatePeer * peer, gint64 now)
{
  *peer = (RwRatePeer) {
  .fraction_lost = -1,.layer = RW_LAYER_FULL,.layer_since =
        now,.trial_wait_ms = TRIAL_FIRST_MS};
}

/**
 * rw_rate_peer_is_far_below:
 * @peer: a viewer's entry
 *
 * Returns: whether the viewer is far below the others, about to be moved
 *     to the low layer.
 */
gboolean
rw_rate_peer_is_far_below (const RwRatePeer * peer)
{
  return peer->below_since != 0;
}

static int
compare_rates (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

/* The 25th percentile (nearest rank) of the full-layer viewers' estimates
 * (or what got through to them: @delivered), leaving out @skip (or none:
 * NULL); G_MAXUINT64 without any viewer. */
static guint64
percentile (RwRateControl * self, RwRatePeer ** peers, guint n,
    RwRatePeer * skip, gboolean delivered, guint64 * scratch)
{
  guint k = 0;

  for (guint i = 0; i < n; i++) {
    guint64 value = delivered ? peers[i]->delivered : peers[i]->estimate;

    if (peers[i] == skip || peers[i]->layer != RW_LAYER_FULL)
      continue;
    scratch[k++] = value ? value : self->policy.max_bitrate;
  }
  if (k == 0)
    return G_MAXUINT64;
  qsort (scratch, k, sizeof (guint64), compare_rates);
  return scratch[(guint) (PERCENTILE * (k - 1))];
}

static void
move (RwRatePeer * peer, RwLayer layer, gint64 now)
{
  peer->layer = layer;
  peer->layer_since = now;
  peer->clean_since = 0;
}

static void
demote_far_below (RwRateControl * self, RwRatePeer ** peers, guint n,
    gint64 now, guint64 * scratch)
{
  for (guint i = 0; i < n; i++) {
    RwRatePeer *peer = peers[i];
    guint64 others;

    guint64 own = peer->delivered ? peer->delivered : peer->estimate;

    if (peer->layer != RW_LAYER_FULL || own == 0)
      continue;
    others = MIN (percentile (self, peers, n, peer, TRUE, scratch),
        percentile (self, peers, n, peer, FALSE, scratch));
    if (others == G_MAXUINT64)
      continue;
    others = MIN (others, self->policy.max_bitrate);
    if (own >= others * DEMOTE_RATIO) {
      peer->below_since = 0;
      continue;
    }
    /* the others' reports of a link they share come within a second */
    if (peer->below_since == 0)
      peer->below_since = now;
    if (now - peer->below_since < BELOW_US)
      continue;
    peer->below_since = 0;
    /* a failed trial waits longer before the next */
    if (peer->trial_until && now < peer->trial_until)
      peer->trial_wait_ms = MIN (peer->trial_wait_ms * 2, TRIAL_MAX_MS);
    peer->trial_until = 0;
    move (peer, RW_LAYER_LOW, now);
  }
}

static void
promote_recovered (RwRateControl * self, RwRatePeer ** peers, guint n,
    gint64 now)
{
  for (guint i = 0; i < n; i++) {
    RwRatePeer *peer = peers[i];

    if (peer->layer != RW_LAYER_LOW)
      continue;
    /* the low layer switched off: nowhere else to go */
    if (!self->policy.low_layer) {
      move (peer, RW_LAYER_FULL, now);
      continue;
    }
    if (peer->fraction_lost < 0 || peer->fraction_lost >= LOW_LOSS)
      peer->clean_since = 0;
    else if (peer->clean_since == 0)
      peer->clean_since = now;

    if (peer->estimate && peer->estimate >= self->target * PROMOTE_RATIO) {
      move (peer, RW_LAYER_FULL, now);
    } else if (peer->clean_since &&
        now - peer->clean_since >= peer->trial_wait_ms * (gint64) 1000) {
      move (peer, RW_LAYER_FULL, now);
      peer->trial_until = now + TRIAL_US;
    }
  }
}

static void
update_target (RwRateControl * self, RwRatePeer ** peers, guint n,
    gint64 now, guint64 * scratch)
{
  g_autofree RwRatePeer **counted = g_new (RwRatePeer *, MAX (n, 1));
  guint k = 0;
  guint64 wanted;
  guint next;

  /* a viewer about to move to the low layer does not pull the target */
  for (guint i = 0; i < n; i++) {
    if (peers[i]->below_since == 0)
      counted[k++] = peers[i];
  }
  wanted = percentile (self, counted, k, NULL, FALSE, scratch);

  if (wanted == G_MAXUINT64)
    wanted = self->policy.max_bitrate;
  /* a measured limit is on the wire: RTP, SRTP, UDP and IP headers and
   * keyframes' bursts come on top of the encoder's rate */
  else if (wanted < self->policy.max_bitrate)
    wanted *= HEADROOM;
  wanted = CLAMP (wanted, self->policy.min_bitrate, self->policy.max_bitrate);
  /* a fall must be seen twice in a row: a viewer whose link just broke
   * shows a first, partial loss before it is moved to the low layer */
  if (wanted < self->target && !self->lower_seen) {
    self->lower_seen = TRUE;
    return;
  }
  self->lower_seen = wanted < self->target;
  if (wanted == self->target || now - self->target_changed < TARGET_INTERVAL_US)
    return;
  if (wanted < self->target)
    next = MAX (wanted, self->target * DOWN_FACTOR);
  else
    next = MIN (wanted, self->target * UP_FACTOR + 1);
  self->target = CLAMP (next, self->policy.min_bitrate,
      self->policy.max_bitrate);
  self->target_changed = now;
}

/**
 * rw_rate_control_update:
 * @self: a stream's policy
 * @peers: (array length=n_peers): the viewers: estimates in, layers out
 * @n_peers: how many
 * @now: monotonic time, µs
 *
 * Decides each viewer's layer and whether it is dropping, and the shared
 * encoder's target. Call it about twice a second.
 *
 * Returns: the target, bits/s.
 */
guint
rw_rate_control_update (RwRateControl * self, RwRatePeer ** peers,
    guint n_peers, gint64 now)
{
  g_autofree guint64 *scratch = g_new (guint64, MAX (n_peers, 1));

  for (guint i = 0; i < n_peers; i++) {
    RwRatePeer *peer = peers[i];

    if (peer->trial_until && now >= peer->trial_until) {
      /* a trial that held: the next failure waits the least again */
      peer->trial_until = 0;
      peer->trial_wait_ms = TRIAL_FIRST_MS;
    }
  }
  if (self->policy.low_layer)
    demote_far_below (self, peers, n_peers, now, scratch);
  promote_recovered (self, peers, n_peers, now);
  update_target (self, peers, n_peers, now, scratch);

  for (guint i = 0; i < n_peers; i++) {
    RwRatePeer *peer = peers[i];
    guint layer_rate = peer->layer == RW_LAYER_LOW ?
        self->policy.low_bitrate : self->target;

    /* on the full layer the target follows, unless the viewer is far
     * below and has nowhere to go */
    peer->dropping = peer->estimate != 0 &&
        now - peer->layer_since >= SETTLE_US &&
        peer->estimate < layer_rate * DROP_RATIO &&
        (peer->layer == RW_LAYER_LOW || !self->policy.low_layer);
  }
  return self->target;
}

/**
 * rw_rate_control_get_target:
 * @self: a stream's policy
 *
 * Returns: the shared encoder's target, bits/s.
 */
guint
rw_rate_control_get_target (RwRateControl * self)
{
  return self->target;
}

/**
 * rw_rate_control_get_policy:
 * @self: a stream's policy
 *
 * Returns: (transfer none): its settings, the minimum at most the maximum.
 */
const RwRatePolicy *
rw_rate_control_get_policy (RwRateControl * self)
{
  return &self->policy;
}

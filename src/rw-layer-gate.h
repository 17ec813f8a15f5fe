/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

#include "rw-rate-control.h"

G_BEGIN_DECLS

typedef struct _RwLayerGate RwLayerGate;

/* a field of the keyframe requests the gate makes itself (a switch, or a
 * dropping viewer's) */
#define RW_LAYER_GATE_REQUEST "rw-layer-gate"

RwLayerGate *rw_layer_gate_new (GstPad * full, GstPad * low);
void rw_layer_gate_free (RwLayerGate * self);
void rw_layer_gate_set (RwLayerGate * self, RwLayer layer, guint64 budget);
RwLayer rw_layer_gate_get_layer (RwLayerGate * self);
guint64 rw_layer_gate_get_dropped (RwLayerGate * self);

G_END_DECLS

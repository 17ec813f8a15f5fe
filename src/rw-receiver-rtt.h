/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _RwReceiverRtt RwReceiverRtt;

RwReceiverRtt *rw_receiver_rtt_new (void);
void rw_receiver_rtt_free (RwReceiverRtt * self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwReceiverRtt, rw_receiver_rtt_free);

guint rw_receiver_rtt_note_rtcp (RwReceiverRtt * self, GstBuffer * rtcp,
    gint64 now_us);
guint rw_receiver_rtt_add_dlrr (RwReceiverRtt * self, GstBuffer * rtcp,
    gint64 now_us);

void rw_receiver_rtt_attach (GObject * rtp_session);

G_END_DECLS

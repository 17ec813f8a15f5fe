/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "rw-error.h"
#include "rw-session-host.h"

G_BEGIN_DECLS

#define RW_TYPE_FAKE_HOST (rw_fake_host_get_type ())
G_DECLARE_FINAL_TYPE (RwFakeHost, rw_fake_host, RW, FAKE_HOST, GObject);

/**
 * RwFakeCall:
 * @session_id: the session the call named
 * @text: (nullable): the offer, the candidate line or the close reason
 * @mline: the candidate's m-line index (candidates only)
 *
 * One call the host received, as the test reads it back.
 */
typedef struct
{
  gchar *session_id;
  gchar *text;
  guint mline;
} RwFakeCall;

/* the answer's session name says which host answered which session */
#define RW_FAKE_HOST_ANSWER_FORMAT "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n" \
    "s=fake answer of %s for %s\r\nt=0 0\r\n"

/* the close reason of an open whose cancellable was cancelled */
#define RW_FAKE_HOST_CANCELLED "cancelled"

RwFakeHost *rw_fake_host_new (const gchar * name);

void rw_fake_host_fail_next (RwFakeHost * self, RwError code,
    const gchar * message);
void rw_fake_host_hold (RwFakeHost * self, gboolean hold);
guint rw_fake_host_release (RwFakeHost * self);
gboolean rw_fake_host_end_session (RwFakeHost * self,
    const gchar * session_id, const gchar * reason);
void rw_fake_host_set_healthy (RwFakeHost * self, gboolean healthy);

gchar *rw_fake_host_dup_answer (RwFakeHost * self, const gchar * session_id);
GPtrArray *rw_fake_host_get_opened (RwFakeHost * self);
GPtrArray *rw_fake_host_get_candidates (RwFakeHost * self);
GPtrArray *rw_fake_host_get_closes (RwFakeHost * self);
const RwFakeCall *rw_fake_host_find_close (RwFakeHost * self,
    const gchar * session_id);
gboolean rw_fake_host_has_session (RwFakeHost * self,
    const gchar * session_id);
gchar **rw_fake_host_dup_session_ids (RwFakeHost * self);
guint rw_fake_host_get_n_sessions (RwFakeHost * self);
guint rw_fake_host_get_n_held (RwFakeHost * self);
void rw_fake_host_clear_calls (RwFakeHost * self);

G_END_DECLS

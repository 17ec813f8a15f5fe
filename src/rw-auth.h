/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The shortest shared secret accepted: 256 bits, as RFC 7518 §3.2 asks of
 * an HS256 key. */
#define RW_AUTH_MIN_SECRET 32
#define RW_AUTH_MAX_SECRET 4096

/* Longer tokens are refused before they are decoded. */
#define RW_AUTH_MAX_TOKEN 4096

/* How much longer than the token a session may last: `session_exp` is at
 * most this many seconds after `exp`. */
#define RW_AUTH_MAX_SESSION_EXTENSION (24 * 3600)

/* The `scope` an administrative token (the backend's `POST /revoke`)
 * carries. */
#define RW_AUTH_SCOPE_ADMIN "robot-admin"

/* Stable markers in the messages of refused tokens, which clients may look
 * for: the token's session time is over (its `session_exp`, or its `exp`,
 * has passed), and the backend revoked the token's `sub`. */
#define RW_AUTH_BOOKING_OVER "booking over"
#define RW_AUTH_REVOKED "the token was revoked"

/* How many revoked subjects an #RwAuthRevocations remembers. */
#define RW_AUTH_MAX_REVOCATIONS 1024

/**
 * RwAuthVerifyFlags:
 * @RW_AUTH_VERIFY_DEFAULT: check everything
 * @RW_AUTH_VERIFY_ALLOW_EXPIRED: accept a token past its `exp`: a session
 *   outlives the token that opened it, and its owner may still hang it up
 *
 * How rw_auth_verify() checks a token.
 */
typedef enum
{
  RW_AUTH_VERIFY_DEFAULT = 0,
  RW_AUTH_VERIFY_ALLOW_EXPIRED = 1 << 0,
} RwAuthVerifyFlags;

/**
 * RwAuthClaims:
 * @subject: (nullable): the `sub` claim, the booked user
 * @owner: who the token speaks for: "sub:" and the subject, or, without a
 *   subject, "sig:" and a hash of the token's signature
 * @expires: the `exp` claim, seconds since the epoch
 * @not_before: the `nbf` claim, or 0
 * @max_viewers: the `max_viewers` claim, or -1 (logged, not enforced)
 * @issued_at: the `iat` claim, or 0
 * @session_expires: until when a session the token opens may last: the
 *   `session_exp` claim, or without it @expires
 * @max_sessions: the `max_sessions` claim (at least 1), or -1: how many
 *   sessions the token's owner may have open at once
 * @scope: (nullable): the `scope` claim, space-separated names
 *
 * What a verified token says.
 */
typedef struct
{
  gchar *subject;
  gchar *owner;
  gint64 expires;
  gint64 not_before;
  gint64 max_viewers;
  gint64 issued_at;
  gint64 session_expires;
  gint64 max_sessions;
  gchar *scope;
} RwAuthClaims;

typedef struct _RwAuth RwAuth;

RwAuth *rw_auth_new (const guint8 * secret, gsize secret_len,
    const gchar * audience, guint clock_skew);
guint8 *rw_auth_read_secret_file (const gchar * path, gsize * length,
    GError ** error);
RwAuth *rw_auth_new_from_file (const gchar * path, const gchar * audience,
    guint clock_skew, GError ** error);
void rw_auth_free (RwAuth * auth);
const gchar *rw_auth_get_audience (RwAuth * auth);

RwAuthClaims *rw_auth_verify (RwAuth * auth, const gchar * token, gint64 now,
    RwAuthVerifyFlags flags, GError ** error);
gchar *rw_auth_parse_bearer (const gchar * authorization, GError ** error);
void rw_auth_claims_free (RwAuthClaims * claims);
gboolean rw_auth_claims_has_scope (const RwAuthClaims * claims,
    const gchar * scope);

typedef struct _RwAuthRevocations RwAuthRevocations;

RwAuthRevocations *rw_auth_revocations_new (guint max_subjects);
void rw_auth_revocations_free (RwAuthRevocations * self);
void rw_auth_revocations_add (RwAuthRevocations * self,
    const gchar * subject, gint64 now_us);
gboolean rw_auth_revocations_check (RwAuthRevocations * self,
    const RwAuthClaims * claims, GError ** error);
guint rw_auth_revocations_get_size (RwAuthRevocations * self);
gchar *rw_auth_parse_revocation (GBytes * body, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwAuth, rw_auth_free);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwAuthClaims, rw_auth_claims_free);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwAuthRevocations, rw_auth_revocations_free);

const gchar *rw_auth_refusal_category (const GError * error);

G_END_DECLS

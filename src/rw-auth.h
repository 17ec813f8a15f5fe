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
 * @max_viewers: the `max_viewers` claim, or -1
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
} RwAuthClaims;

typedef struct _RwAuth RwAuth;

RwAuth *rw_auth_new (const guint8 * secret, gsize secret_len,
    const gchar * audience, guint clock_skew);
RwAuth *rw_auth_new_from_file (const gchar * path, const gchar * audience,
    guint clock_skew, GError ** error);
void rw_auth_free (RwAuth * auth);
const gchar *rw_auth_get_audience (RwAuth * auth);

RwAuthClaims *rw_auth_verify (RwAuth * auth, const gchar * token, gint64 now,
    RwAuthVerifyFlags flags, GError ** error);
gchar *rw_auth_parse_bearer (const gchar * authorization, GError ** error);
void rw_auth_claims_free (RwAuthClaims * claims);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwAuth, rw_auth_free);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwAuthClaims, rw_auth_claims_free);

G_END_DECLS

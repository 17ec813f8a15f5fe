/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer: an Authorization header and the JWT in it, and the same bytes
 * as the body of POST /revoke. */

#include "rw-auth.h"

int LLVMFuzzerTestOneInput (const guint8 * data, gsize size);

int
LLVMFuzzerTestOneInput (const guint8 * data, gsize size)
{
  static const guint8 secret[] = "0123456789abcdef0123456789abcdef";
  g_autoptr (RwAuth) auth = rw_auth_new (secret, sizeof (secret) - 1,
      "robot-1", 30);
  g_autofree gchar *header = g_strndup ((const gchar *) data, size);
  g_autofree gchar *token = rw_auth_parse_bearer (header, NULL);
  g_autoptr (RwAuthRevocations) revocations = rw_auth_revocations_new (2);
  g_autoptr (GBytes) body = g_bytes_new_static (data, size);
  g_autofree gchar *subject = rw_auth_parse_revocation (body, NULL);
  RwAuthClaims *claims;

  if (subject)
    rw_auth_revocations_add (revocations, subject,
        G_GINT64_CONSTANT (1800000000000000));
  claims = rw_auth_verify (auth, token ? token : header, 1800000000,
      RW_AUTH_VERIFY_DEFAULT, NULL);
  if (claims) {
    rw_auth_revocations_check (revocations, claims, NULL);
    rw_auth_claims_has_scope (claims, RW_AUTH_SCOPE_ADMIN);
    rw_auth_claims_free (claims);
  }
  return 0;
}

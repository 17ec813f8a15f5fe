/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer: an Authorization header and the JWT in it. */

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
  RwAuthClaims *claims;

  claims = rw_auth_verify (auth, token ? token : header, 1800000000,
      RW_AUTH_VERIFY_DEFAULT, NULL);
  if (claims)
    rw_auth_claims_free (claims);
  return 0;
}

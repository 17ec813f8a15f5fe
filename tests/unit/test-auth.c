/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Viewer tokens: known-answer vectors. The tokens below were made outside
 * this code base, with Python's hmac, hashlib, base64 and json modules
 * (see docs/security.md for the same minting with PyJWT), and are checked
 * at a fixed time, NOW. The secret file's checks are tested too. */

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>
#include <unistd.h>

#include "rw-auth.h"
#include "rw-error.h"

/* 2026-01-01T00:00:00Z; the tokens' times are relative to it. */
#define TOKEN_GOOD \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNTY2MCwiaWF0IjoxNzY3MjI1NjAwLCJtYXhfdmlld2VycyI" \
    "6MSwic3ViIjoiYWxpY2VAbGFiIn0.JH2KQRp3pQJSIwJSHu92rMEfiy6zsYhuqL0" \
    "E3vv5kzw"
#define TOKEN_NO_SUB \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNTY2MH0.zkMIW1A3Mpv3mhdxGnJ6P6ySe-EW8GsQH71mCJA" \
    "TELI"
#define NO_SUB_OWNER "sig:e3640d83baff6b9645c36f911dd322fb"
#define TOKEN_AUD_ARRAY \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOlsicm9ib3QtYmV0YSI" \
    "sInJvYm90LWFscGhhIl0sImV4cCI6MTc2NzIyNTY2MCwic3ViIjoiYm9iIn0.FIM" \
    "YImD5jGzM6IvrhMNpnGp43wVGuoFd3JPEaFAh4XE"
#define TOKEN_EXP_IN_SKEW \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNTU5MCwic3ViIjoiY2Fyb2wifQ.jzttU6pLXl-mamG3AI13" \
    "H07L9U_HQoQjJAG36rarE7Q"
#define TOKEN_EXPIRED \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNTU2OSwic3ViIjoiY2Fyb2wifQ.jj0FV2HCePq0AxAnAQbQ" \
    "a49AAdL_qlwObbJjRZx6pow"
#define TOKEN_EXP_FRACTION \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNTY2MC41fQ.ljIoufH-NeII1JcWKmrLtHclfypRu-cQa-Jt" \
    "s7iZd34"
#define TOKEN_NBF_IN_SKEW \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNTY2MCwibmJmIjoxNzY3MjI1NjEwfQ.nx_6PTsu3PsaeHVc" \
    "wcYPlv7iXjJ2j6zqEfQ9sNfLEw4"
#define TOKEN_NOT_YET \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNjIwMCwibmJmIjoxNzY3MjI1NjMxfQ.kTuxMiROSLt51XPR" \
    "UJw7EaBpHSipQycHcNARR0e76Hk"
#define TOKEN_WRONG_AUD \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1iZXRhIiw" \
    "iZXhwIjoxNzY3MjI1NjYwLCJzdWIiOiJhbGljZUBsYWIifQ.15vRx0ShV7X-jHLN" \
    "XH-KjLS8yXHRc5eN01ksmjUmFzc"
#define TOKEN_NO_AUD \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3NjcyMjU2NjAsInN" \
    "1YiI6ImFsaWNlQGxhYiJ9.9nawGWxRZ2ZO3YTYq6D4F_BJQrBG76g-wt7GtjYcfT" \
    "A"
#define TOKEN_WRONG_KEY \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNTY2MCwic3ViIjoiYWxpY2VAbGFiIn0.ye2GViiB7sguLVb" \
    "LPjN6EinTPpafw4pu5q_yx9IskZY"
#define TOKEN_ALG_NONE \
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNTY2MCwic3ViIjoibWFsbG9yeSJ9."
#define TOKEN_ALG_NONE_SIGNED \
    "eyJhbGciOiJub25lIn0.eyJhdWQiOiJyb2JvdC1hbHBoYSIsImV4cCI6MTc2NzIy" \
    "NTY2MH0._Dz7FRVGSJ46jDdOyWrBH-z_wkPKPRyQxktM-EQfZf0"
#define TOKEN_ALG_HS512 \
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNTY2MH0.TlHzSu4hkCWS508R5ONU4CfyCjH75yp5PQA5ph_" \
    "rFSQ"
#define TOKEN_ALG_LOWER \
    "eyJhbGciOiJoczI1NiJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIsImV4cCI6MTc2NzI" \
    "yNTY2MH0.NycGuvSddXvLBW9vhgzEhDD2x_zj79tID8QBre3LLC4"
#define TOKEN_NO_ALG \
    "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJyb2JvdC1hbHBoYSIsImV4cCI6MTc2NzIyN" \
    "TY2MH0.kYJsCRpkyOqfjjPFdTFczzNQpOsv2iu0c4PkMNa8FYk"
#define TOKEN_TYP_JWE \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpPU0UrSlNPTiJ9.eyJhdWQiOiJyb2JvdC1" \
    "hbHBoYSIsImV4cCI6MTc2NzIyNTY2MH0.4k8XWNDAIcfCdE56O51kFgMQvp_tRiG" \
    "9SABrQouAGXs"
#define TOKEN_CRIT \
    "eyJhbGciOiJIUzI1NiIsImNyaXQiOlsiZXhwIl19.eyJhdWQiOiJyb2JvdC1hbHB" \
    "oYSIsImV4cCI6MTc2NzIyNTY2MH0.l4EjCMkNjlYwfAY83NLj2T3Bv_spds-1jxu" \
    "3nS51u_I"
#define TOKEN_NO_EXP \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sInN1YiI6ImFsaWNlQGxhYiJ9.kXdD5j-Q-d5hwVHuTFvcPUP54HjPCNW66Wa8QV" \
    "27LW8"
#define TOKEN_EXP_STRING \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6IjE3NjcyMjU2NjAifQ.qZj6RHrr9-3dapU3yMX5Y6tBqo09_74OJH6J" \
    "tij3gXc"
#define TOKEN_SUB_NUMBER \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNTY2MCwic3ViIjo0Mn0.MDfY_d1EQ_GQ0atrvRnZY3wbop6" \
    "5-xbTwvxGqrnGNIE"
#define TOKEN_SUB_CONTROL \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNTY2MCwic3ViIjoiZXZlXG5yb290In0._amG0mrHUDQ94os" \
    "xBpBmgtc-uKDpkgSI9NulDAYxt_E"
#define TOKEN_MAX_VIEWERS_NEGATIVE \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIyNTY2MCwibWF4X3ZpZXdlcnMiOi0xfQ.bBVngIvqyNLjrM_y" \
    "5laVSib2kgwAI5DTd6Fh0qShCrg"
#define TOKEN_PAYLOAD_ARRAY \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.WzEsMl0.j5fFZ6-F_3UCxAVqmJY" \
    "f2-KBlyyPpjcxSGQ31xYYXGw"
#define TOKEN_PAYLOAD_NOT_JSON \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOg.8oNKJKBu_8u0jUNh" \
    "mmgu29_c9WfehUIHcIsucz-kvRc"
#define TOKEN_TAMPERED \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSI" \
    "sImV4cCI6MTc2NzIzMTYwMCwiaWF0IjoxNzY3MjI1NjAwLCJtYXhfdmlld2VycyI" \
    "6MSwic3ViIjoiYWxpY2VAbGFiIn0.JH2KQRp3pQJSIwJSHu92rMEfiy6zsYhuqL0" \
    "E3vv5kzw"
/* Booking claims: session_exp, iat, scope, max_sessions (same minting). */
/* {"aud":"robot-alpha","exp":NOW+60,"iat":NOW,"max_sessions":2,
 *  "session_exp":NOW+3600,"sub":"dave"} */
#define TOKEN_SESSION \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNTY2MCwiaWF0IjoxNzY3MjI1NjAwLCJtYXhfc2Vzc2lvbnMiO" \
    "jIsInNlc3Npb25fZXhwIjoxNzY3MjI5MjAwLCJzdWIiOiJkYXZlIn0.nt4w75Jb-T" \
    "oJ20k-ykTni7DousweyP9ipzMEhaUwCEM"
/* {"aud":"robot-alpha","exp":NOW+60,"session_exp":1767312060} */
#define TOKEN_SESSION_LONGEST \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNTY2MCwic2Vzc2lvbl9leHAiOjE3NjczMTIwNjB9.shhI87sN" \
    "IYaqmZUqfpmekKv2MADP-NOpAib9e4tXJb8"
/* {"aud":"robot-alpha","exp":NOW+60,"session_exp":NOW+30} */
#define TOKEN_SESSION_BEFORE_EXP \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNTY2MCwic2Vzc2lvbl9leHAiOjE3NjcyMjU2MzB9._4ByA7LX" \
    "PRQSoJ2vNQvsuck0IaWOXlR-562WAKQbLLE"
/* {"aud":"robot-alpha","exp":NOW+60,"session_exp":1767312061} */
#define TOKEN_SESSION_TOO_LONG \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNTY2MCwic2Vzc2lvbl9leHAiOjE3NjczMTIwNjF9.dFYrIes2" \
    "0FIly-4tUiSUAn02E9sEWWEboQwvoz8b8Xg"
/* {"aud":"robot-alpha","exp":NOW+60,"session_exp":"tomorrow"} */
#define TOKEN_SESSION_STRING \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNTY2MCwic2Vzc2lvbl9leHAiOiJ0b21vcnJvdyJ9.Akg5k_sp" \
    "-KY38Hx3Q2Yhb0oRmtJGnWWIAYyaKN0IgGs"
/* {"aud":"robot-alpha","exp":NOW-31,"session_exp":NOW+600,"sub":"erin"} */
#define TOKEN_EXPIRED_SESSION_ON \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNTU2OSwic2Vzc2lvbl9leHAiOjE3NjcyMjYyMDAsInN1YiI6I" \
    "mVyaW4ifQ.zh0Y71hUoWzgtwb5MfOz4y2q3w6f4yE-vInLiOcwYWI"
/* {"aud":"robot-alpha","exp":NOW+60,"iat":NOW,"scope":"openid robot-admin",
 *  "sub":"lab-backend"} */
#define TOKEN_ADMIN \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNTY2MCwiaWF0IjoxNzY3MjI1NjAwLCJzY29wZSI6Im9wZW5pZ" \
    "CByb2JvdC1hZG1pbiIsInN1YiI6ImxhYi1iYWNrZW5kIn0.QKZNIzG2SkmhkOPZby" \
    "km0lWMQ0Db6Af0nb0VkRvr6kE"
/* {"aud":"robot-alpha","exp":NOW+60,"scope":5} */
#define TOKEN_SCOPE_NUMBER \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNTY2MCwic2NvcGUiOjV9.WreERJ_QwR6vxq7xmg6HJFnNQAC2" \
    "TOf1kYHbLN4ZMuc"
/* {"aud":"robot-alpha","exp":NOW+600,"iat":NOW+31} */
#define TOKEN_IAT_FUTURE \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNjIwMCwiaWF0IjoxNzY3MjI1NjMxfQ.dokEprDhhtqHTaCbSI" \
    "vBUZMPYFsv6BZ8H0Iszx_rju4"
/* {"aud":"robot-alpha","exp":NOW+600,"iat":NOW+10} */
#define TOKEN_IAT_IN_SKEW \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNjIwMCwiaWF0IjoxNzY3MjI1NjEwfQ.0ZmudXG6Bruw89pwwJ" \
    "6HYKwLrdRc2EPoA5qDcQX3rnA"
/* {"aud":"robot-alpha","exp":NOW+60,"max_sessions":0} */
#define TOKEN_MAX_SESSIONS_ZERO \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJyb2JvdC1hbHBoYSIs" \
    "ImV4cCI6MTc2NzIyNTY2MCwibWF4X3Nlc3Npb25zIjowfQ.docWRQGjEYGo-HUNJ8" \
    "v0Q6zrxyroxWYcYQRJKCyhz4Q"
#define SECRET "0123456789abcdef0123456789abcdef-robot-alpha"
#define NOW G_GINT64_CONSTANT (1767225600)

#define AUDIENCE "robot-alpha"
#define SKEW 30

static RwAuth *
make_auth (const gchar * audience)
{
  return rw_auth_new ((const guint8 *) SECRET, strlen (SECRET), audience, SKEW);
}

static void
expect_refused (RwAuth * auth, const gchar * what, const gchar * token,
    RwAuthVerifyFlags flags, const gchar * needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RwAuthClaims) claims = NULL;

  claims = rw_auth_verify (auth, token, NOW, flags, &error);
  g_test_message ("%s: %s", what, error ? error->message : "accepted");
  if (claims != NULL)
    g_error ("%s: accepted, expected a refusal mentioning '%s'", what, needle);
  g_assert_error (error, RW_ERROR, RW_ERROR_UNAUTHORIZED);
  if (strstr (error->message, needle) == NULL)
    g_error ("%s: '%s' does not mention '%s'", what, error->message, needle);
  /* the client sees the message: it never quotes the token */
  if (strlen (token) > 20)
    g_assert_null (strstr (error->message, token + strlen (token) - 20));
}

static RwAuthClaims *
expect_accepted (RwAuth * auth, const gchar * what, const gchar * token,
    RwAuthVerifyFlags flags)
{
  g_autoptr (GError) error = NULL;
  RwAuthClaims *claims = rw_auth_verify (auth, token, NOW, flags, &error);

  if (claims == NULL)
    g_error ("%s: refused: %s", what, error->message);
  return claims;
}

static void
test_good (void)
{
  g_autoptr (RwAuth) auth = make_auth (AUDIENCE);
  g_autoptr (RwAuthClaims) claims = NULL;

  claims = expect_accepted (auth, "good", TOKEN_GOOD, 0);
  g_assert_cmpstr (claims->subject, ==, "alice@lab");
  g_assert_cmpstr (claims->owner, ==, "sub:alice@lab");
  g_assert_cmpint (claims->expires, ==, NOW + 60);
  g_assert_cmpint (claims->max_viewers, ==, 1);
  g_clear_pointer (&claims, rw_auth_claims_free);

  /* without sub, the owner is the token itself */
  claims = expect_accepted (auth, "no sub", TOKEN_NO_SUB, 0);
  g_assert_null (claims->subject);
  g_assert_cmpstr (claims->owner, ==, NO_SUB_OWNER);
  g_assert_cmpint (claims->max_viewers, ==, -1);
  g_clear_pointer (&claims, rw_auth_claims_free);

  claims = expect_accepted (auth, "aud array", TOKEN_AUD_ARRAY, 0);
  g_assert_cmpstr (claims->owner, ==, "sub:bob");
  g_clear_pointer (&claims, rw_auth_claims_free);

  claims = expect_accepted (auth, "fractional exp", TOKEN_EXP_FRACTION, 0);
  g_assert_cmpint (claims->expires, ==, NOW + 60);
}

/* RFC 7515, appendix A.1: the HS256 example, its key and its token
 * (whose JSON has CR LF and spaces in it). */
static void
test_rfc7515 (void)
{
  static const gchar key_b64[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ+EstJQ"
      "Lr/T+1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow==";
  static const gchar token[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl"
      "LmNvbS9pc19yb290Ijp0cnVlfQ."
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  g_autofree guchar *key = NULL;
  g_autoptr (RwAuth) auth = NULL;
  g_autoptr (RwAuthClaims) claims = NULL;
  g_autoptr (GError) error = NULL;
  gsize key_len;

  key = g_base64_decode (key_b64, &key_len);
  g_assert_cmpuint (key_len, ==, 64);
  auth = rw_auth_new (key, key_len, NULL, 0);

  claims = rw_auth_verify (auth, token, 1300819379, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (claims->expires, ==, 1300819380);
  g_assert_cmpstr (claims->owner, ==, "sig:dfcbf760e8bacd0824d7192a93a63976");
  g_clear_pointer (&claims, rw_auth_claims_free);

  claims = rw_auth_verify (auth, token, 1300819380, 0, &error);
  g_assert_null (claims);
  g_assert_error (error, RW_ERROR, RW_ERROR_UNAUTHORIZED);
}

static void
test_times (void)
{
  g_autoptr (RwAuth) auth = make_auth (AUDIENCE);
  g_autoptr (RwAuthClaims) claims = NULL;

  /* 10 s late or early is within the 30 s of skew */
  claims = expect_accepted (auth, "exp 10 s ago", TOKEN_EXP_IN_SKEW, 0);
  g_clear_pointer (&claims, rw_auth_claims_free);
  claims = expect_accepted (auth, "nbf in 10 s", TOKEN_NBF_IN_SKEW, 0);
  g_assert_cmpint (claims->not_before, ==, NOW + 10);
  g_clear_pointer (&claims, rw_auth_claims_free);

  expect_refused (auth, "expired", TOKEN_EXPIRED, 0, "expired");
  expect_refused (auth, "not yet valid", TOKEN_NOT_YET, 0, "not valid yet");
  expect_refused (auth, "no exp", TOKEN_NO_EXP, 0, "'exp'");
  expect_refused (auth, "exp a string", TOKEN_EXP_STRING, 0, "'exp'");

  /* an open session's owner may still use an expired token ... */
  claims = expect_accepted (auth, "expired, allowed", TOKEN_EXPIRED,
      RW_AUTH_VERIFY_ALLOW_EXPIRED);
  g_assert_cmpstr (claims->owner, ==, "sub:carol");
  /* ... but nothing else is relaxed */
  expect_refused (auth, "not yet valid, expiry allowed", TOKEN_NOT_YET,
      RW_AUTH_VERIFY_ALLOW_EXPIRED, "not valid yet");
  expect_refused (auth, "wrong key, expiry allowed", TOKEN_WRONG_KEY,
      RW_AUTH_VERIFY_ALLOW_EXPIRED, "signature");
}

static void
test_audience (void)
{
  g_autoptr (RwAuth) auth = make_auth (AUDIENCE);
  g_autoptr (RwAuth) any = make_auth (NULL);
  g_autoptr (RwAuthClaims) claims = NULL;

  expect_refused (auth, "wrong aud", TOKEN_WRONG_AUD, 0, "another robot");
  expect_refused (auth, "no aud", TOKEN_NO_AUD, 0, "'aud'");

  /* without an audience configured, aud is not looked at */
  claims = expect_accepted (any, "wrong aud, none configured",
      TOKEN_WRONG_AUD, 0);
  g_clear_pointer (&claims, rw_auth_claims_free);
  claims = expect_accepted (any, "no aud, none configured", TOKEN_NO_AUD, 0);
  g_assert_cmpstr (rw_auth_get_audience (auth), ==, AUDIENCE);
  g_assert_null (rw_auth_get_audience (any));
}

static void
test_signature (void)
{
  g_autoptr (RwAuth) auth = make_auth (AUDIENCE);
  g_autoptr (RwAuth) other = rw_auth_new ((const guint8 *) SECRET "!",
      strlen (SECRET) + 1, AUDIENCE, SKEW);

  expect_refused (auth, "wrong key", TOKEN_WRONG_KEY, 0, "signature");
  expect_refused (other, "good token, other secret", TOKEN_GOOD, 0,
      "signature");
  expect_refused (auth, "payload changed", TOKEN_TAMPERED, 0, "signature");
}

static void
test_algorithms (void)
{
  g_autoptr (RwAuth) auth = make_auth (AUDIENCE);

  expect_refused (auth, "alg none", TOKEN_ALG_NONE, 0, "HS256, not 'none'");
  expect_refused (auth, "alg none, signed", TOKEN_ALG_NONE_SIGNED, 0,
      "HS256, not 'none'");
  expect_refused (auth, "alg HS512", TOKEN_ALG_HS512, 0, "HS256");
  expect_refused (auth, "alg hs256", TOKEN_ALG_LOWER, 0, "HS256");
  expect_refused (auth, "no alg", TOKEN_NO_ALG, 0, "'alg'");
  expect_refused (auth, "typ not JWT", TOKEN_TYP_JWE, 0, "typ");
  expect_refused (auth, "crit", TOKEN_CRIT, 0, "crit");
}

static void
test_claims (void)
{
  g_autoptr (RwAuth) auth = make_auth (AUDIENCE);

  expect_refused (auth, "sub a number", TOKEN_SUB_NUMBER, 0, "'sub'");
  expect_refused (auth, "sub with a newline", TOKEN_SUB_CONTROL, 0, "'sub'");
  expect_refused (auth, "max_viewers -1", TOKEN_MAX_VIEWERS_NEGATIVE, 0,
      "max_viewers");
  expect_refused (auth, "payload an array", TOKEN_PAYLOAD_ARRAY, 0,
      "not a JSON object");
  expect_refused (auth, "payload not JSON", TOKEN_PAYLOAD_NOT_JSON, 0,
      "not JSON");
}

/* Replaces the character at @index (negative: from the end). */
static gchar *
edit (const gchar * token, gint index, gchar c)
{
  gchar *copy = g_strdup (token);

  copy[index < 0 ? (gint) strlen (copy) + index : index] = c;
  return copy;
}

static void
test_malformed (void)
{
  g_autoptr (RwAuth) auth = make_auth (AUDIENCE);
  gsize len = strlen (TOKEN_GOOD);
  const gchar *dot2 = strrchr (TOKEN_GOOD, '.');
  g_autofree gchar *cut1 = g_strndup (TOKEN_GOOD, len - 1);
  g_autofree gchar *cut2 = g_strndup (TOKEN_GOOD, len - 2);
  g_autofree gchar *no_signature = g_strndup (TOKEN_GOOD, dot2 - TOKEN_GOOD);
  g_autofree gchar *empty_signature = g_strndup (TOKEN_GOOD,
      dot2 + 1 - TOKEN_GOOD);
  g_autofree gchar *star = edit (TOKEN_GOOD, 5, '*');
  g_autofree gchar *plus = edit (TOKEN_GOOD, -5, '+');
  g_autofree gchar *space = edit (TOKEN_GOOD, 10, ' ');
  g_autofree gchar *space_in_payload = edit (TOKEN_GOOD, 40, ' ');
  g_autofree gchar *padded = g_strconcat (TOKEN_GOOD, "=", NULL);
  g_autofree gchar *non_canonical = edit (TOKEN_GOOD, -1, 'x');
  g_autofree gchar *four = g_strconcat (TOKEN_GOOD, ".e30", NULL);
  g_autofree gchar *jwe = g_strconcat (TOKEN_GOOD, ".e30.e30", NULL);
  g_autofree gchar *leading_dot = g_strconcat (".", TOKEN_GOOD, NULL);
  g_autoptr (GString) huge = g_string_new ("eyJhbGciOiJIUzI1NiJ9.");

  while (huge->len < 1024 * 1024)
    g_string_append (huge, "eyJleHAiOjF9");
  g_string_append (huge, ".JH2KQRp3pQJSIwJSHu92rMEfiy6zsYhuqL0E3vv5kzw");

  g_assert_cmpint (TOKEN_GOOD[len - 1], ==, 'w');
  /* 31 bytes: the last character's low bits are not zero */
  expect_refused (auth, "one character cut", cut1, 0, "canonical");
  expect_refused (auth, "two characters cut", cut2, 0, "truncated");
  expect_refused (auth, "no signature segment", no_signature, 0,
      "not a signed JWT");
  expect_refused (auth, "empty signature", empty_signature, 0, "empty");
  expect_refused (auth, "'*' in the header", star, 0, "not base64url");
  expect_refused (auth, "'+' in the signature", plus, 0, "not base64url");
  expect_refused (auth, "a space in the header", space, 0, "not base64url");
  /* the payload is not even decoded before the signature matches */
  expect_refused (auth, "a space in the payload", space_in_payload, 0,
      "signature");
  expect_refused (auth, "padding", padded, 0, "not base64url");
  expect_refused (auth, "non-canonical last character", non_canonical, 0,
      "canonical");
  expect_refused (auth, "four segments", four, 0, "not a signed JWT");
  expect_refused (auth, "five segments (JWE)", jwe, 0, "not a signed JWT");
  expect_refused (auth, "empty header", leading_dot, 0, "not a signed JWT");
  expect_refused (auth, "empty", "", 0, "not a signed JWT");
  expect_refused (auth, "two dots", "..", 0, "empty");
  expect_refused (auth, "not a token", "hello world", 0, "not a signed JWT");
  expect_refused (auth, "header not JSON", "aGVsbG8.e30.e30", 0, "not JSON");
  expect_refused (auth, "header an array", "WzFd.e30.e30", 0,
      "not a JSON object");
  expect_refused (auth, "1 MiB", huge->str, 0, "longer than");
  g_string_truncate (huge, RW_AUTH_MAX_TOKEN + 1);
  expect_refused (auth, "one byte too long", huge->str, 0, "longer than");
}

static void
test_bearer (void)
{
  static const struct
  {
    const gchar *header;
    const gchar *token;         /* NULL: refused */
  } cases[] = {
    {"Bearer abc.def.ghi", "abc.def.ghi"},
    {"bearer   abc.def.ghi  ", "abc.def.ghi"},
    {"BEARER x", "x"},
    {"Basic dXNlcjpwYXNz", NULL},
    {"Bearer", NULL},
    {"Bearer    ", NULL},
    {"Token abc", NULL},
    {"", NULL},
    {NULL, NULL},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *token = rw_auth_parse_bearer (cases[i].header, &error);

    g_assert_cmpstr (token, ==, cases[i].token);
    if (cases[i].token == NULL)
      g_assert_error (error, RW_ERROR, RW_ERROR_UNAUTHORIZED);
    else
      g_assert_no_error (error);
  }
}

/* --- bookings: session_exp, iat, scope, max_sessions, revocation --- */

static void
test_session_exp (void)
{
  g_autoptr (RwAuth) auth = make_auth (AUDIENCE);
  g_autoptr (RwAuthClaims) claims = NULL;
  g_autoptr (GError) error = NULL;

  claims = expect_accepted (auth, "session_exp", TOKEN_SESSION, 0);
  g_assert_cmpint (claims->expires, ==, NOW + 60);
  g_assert_cmpint (claims->session_expires, ==, NOW + 3600);
  g_assert_cmpint (claims->issued_at, ==, NOW);
  g_assert_cmpint (claims->max_sessions, ==, 2);
  g_assert_cmpstr (claims->owner, ==, "sub:dave");
  g_clear_pointer (&claims, rw_auth_claims_free);

  /* without session_exp, a session lasts as long as the token */
  claims = expect_accepted (auth, "no session_exp", TOKEN_GOOD, 0);
  g_assert_cmpint (claims->session_expires, ==, claims->expires);
  g_assert_cmpint (claims->issued_at, ==, NOW);
  g_assert_cmpint (claims->max_sessions, ==, -1);
  g_assert_null (claims->scope);
  g_clear_pointer (&claims, rw_auth_claims_free);
  claims = expect_accepted (auth, "no iat", TOKEN_NO_SUB, 0);
  g_assert_cmpint (claims->issued_at, ==, 0);
  g_clear_pointer (&claims, rw_auth_claims_free);

  /* at most 24 h after exp, and not before it */
  claims = expect_accepted (auth, "session_exp 24 h after exp",
      TOKEN_SESSION_LONGEST, 0);
  g_assert_cmpint (claims->session_expires - claims->expires, ==,
      RW_AUTH_MAX_SESSION_EXTENSION);
  g_clear_pointer (&claims, rw_auth_claims_free);
  expect_refused (auth, "session_exp before exp", TOKEN_SESSION_BEFORE_EXP, 0,
      "'session_exp' claim is before");
  expect_refused (auth, "session_exp a second too late",
      TOKEN_SESSION_TOO_LONG, 0, "more than 24 h");
  expect_refused (auth, "session_exp a string", TOKEN_SESSION_STRING, 0,
      "'session_exp'");
  /* the checks on session_exp hold for an expired token too */
  expect_refused (auth, "session_exp before exp, expiry allowed",
      TOKEN_SESSION_BEFORE_EXP, RW_AUTH_VERIFY_ALLOW_EXPIRED, "'session_exp'");

  /* the marker: an expired token whose session time is over says so ... */
  claims = rw_auth_verify (auth, TOKEN_EXPIRED, NOW, 0, &error);
  g_assert_null (claims);
  g_assert_error (error, RW_ERROR, RW_ERROR_UNAUTHORIZED);
  g_assert_true (g_str_has_prefix (error->message, "the token has expired"));
  g_assert_nonnull (strstr (error->message, RW_AUTH_BOOKING_OVER));
  g_clear_error (&error);
  /* ... one whose session_exp is still ahead does not: a new token would
   * do */
  claims = rw_auth_verify (auth, TOKEN_EXPIRED_SESSION_ON, NOW, 0, &error);
  g_assert_null (claims);
  g_assert_error (error, RW_ERROR, RW_ERROR_UNAUTHORIZED);
  g_assert_true (g_str_has_prefix (error->message, "the token has expired"));
  g_assert_null (strstr (error->message, RW_AUTH_BOOKING_OVER));
  g_clear_error (&error);
  claims = rw_auth_verify (auth, TOKEN_EXPIRED_SESSION_ON, NOW + 600, 0,
      &error);
  g_assert_null (claims);
  g_assert_nonnull (strstr (error->message, RW_AUTH_BOOKING_OVER));
  g_clear_error (&error);
  claims = expect_accepted (auth, "expired, session on, expiry allowed",
      TOKEN_EXPIRED_SESSION_ON, RW_AUTH_VERIFY_ALLOW_EXPIRED);
  g_assert_cmpint (claims->session_expires, ==, NOW + 600);
}

static void
test_iat_scope_max_sessions (void)
{
  g_autoptr (RwAuth) auth = make_auth (AUDIENCE);
  g_autoptr (RwAuthClaims) claims = NULL;

  claims = expect_accepted (auth, "admin", TOKEN_ADMIN, 0);
  g_assert_cmpstr (claims->scope, ==, "openid robot-admin");
  g_assert_true (rw_auth_claims_has_scope (claims, RW_AUTH_SCOPE_ADMIN));
  g_assert_true (rw_auth_claims_has_scope (claims, "openid"));
  g_assert_false (rw_auth_claims_has_scope (claims, "robot"));
  g_assert_false (rw_auth_claims_has_scope (claims, "openid robot-admin"));
  g_clear_pointer (&claims, rw_auth_claims_free);
  claims = expect_accepted (auth, "no scope", TOKEN_GOOD, 0);
  g_assert_false (rw_auth_claims_has_scope (claims, RW_AUTH_SCOPE_ADMIN));
  g_clear_pointer (&claims, rw_auth_claims_free);
  expect_refused (auth, "scope a number", TOKEN_SCOPE_NUMBER, 0, "'scope'");

  /* iat: within the clock skew, not beyond */
  claims = expect_accepted (auth, "iat in 10 s", TOKEN_IAT_IN_SKEW, 0);
  g_assert_cmpint (claims->issued_at, ==, NOW + 10);
  g_clear_pointer (&claims, rw_auth_claims_free);
  expect_refused (auth, "iat in 31 s", TOKEN_IAT_FUTURE, 0,
      "issued in the future");

  expect_refused (auth, "max_sessions 0", TOKEN_MAX_SESSIONS_ZERO, 0,
      "'max_sessions' claim is not a positive integer");
}

static RwAuthClaims *
claims_of (const gchar * subject, gint64 issued_at)
{
  RwAuthClaims *claims = g_new0 (RwAuthClaims, 1);

  claims->subject = g_strdup (subject);
  claims->owner = subject ? g_strconcat ("sub:", subject, NULL) :
      g_strdup ("sig:0");
  claims->issued_at = issued_at;
  return claims;
}

static gboolean
is_revoked (RwAuthRevocations * revocations, const gchar * subject,
    gint64 issued_at)
{
  g_autoptr (RwAuthClaims) claims = claims_of (subject, issued_at);
  g_autoptr (GError) error = NULL;

  if (rw_auth_revocations_check (revocations, claims, &error)) {
    g_assert_no_error (error);
    return FALSE;
  }
  g_assert_error (error, RW_ERROR, RW_ERROR_UNAUTHORIZED);
  g_assert_true (g_str_has_prefix (error->message, RW_AUTH_REVOKED));
  g_test_message ("%s: %s", subject, error->message);
  return TRUE;
}

static void
test_revocations (void)
{
  g_autoptr (RwAuthRevocations) revocations = rw_auth_revocations_new (3);
  g_autoptr (RwAuth) auth = make_auth (AUDIENCE);
  g_autoptr (RwAuthClaims) good = expect_accepted (auth, "good", TOKEN_GOOD, 0);
  g_autoptr (RwAuthClaims) no_iat = expect_accepted (auth, "no iat",
      TOKEN_AUD_ARRAY, 0);
  g_autoptr (RwAuthClaims) no_sub = expect_accepted (auth, "no sub",
      TOKEN_NO_SUB, 0);
  g_autoptr (GError) error = NULL;
  const gint64 at = NOW * G_USEC_PER_SEC;

  /* nothing revoked */
  g_assert_true (rw_auth_revocations_check (revocations, good, NULL));
  g_assert_cmpuint (rw_auth_revocations_get_size (revocations), ==, 0);

  /* revoked half a second after the token's iat: refused; a token issued
   * in the second after is fine (iat is whole seconds) */
  rw_auth_revocations_add (revocations, "alice@lab", at + G_USEC_PER_SEC / 2);
  g_assert_false (rw_auth_revocations_check (revocations, good, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (error->message, ==, RW_AUTH_REVOKED " (the backend "
      "revoked its 'sub' at 2026-01-01T00:00:00Z); a token issued after "
      "that is needed");
  g_assert_cmpstr (rw_auth_refusal_category (error), ==, "revoked");
  g_clear_error (&error);
  g_assert_true (is_revoked (revocations, "alice@lab", NOW));
  g_assert_false (is_revoked (revocations, "alice@lab", NOW + 1));
  g_assert_false (is_revoked (revocations, "bob", NOW - 600));

  /* issued at the very µs of the revocation: after it */
  rw_auth_revocations_add (revocations, "carol", at);
  g_assert_false (is_revoked (revocations, "carol", NOW));
  g_assert_true (is_revoked (revocations, "carol", NOW - 1));

  /* without iat a token cannot be told from an old one; without sub it
   * cannot be revoked */
  rw_auth_revocations_add (revocations, "bob",
      at - G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC);
  g_assert_false (rw_auth_revocations_check (revocations, no_iat, &error));
  g_assert_nonnull (strstr (error->message, "no 'iat'"));
  g_clear_error (&error);
  g_assert_true (rw_auth_revocations_check (revocations, no_sub, NULL));
  g_assert_cmpuint (rw_auth_revocations_get_size (revocations), ==, 3);

  /* revoking again keeps the later time, and makes it the newest: the
   * oldest other one is forgotten past 3 */
  rw_auth_revocations_add (revocations, "alice@lab", at);
  g_assert_true (is_revoked (revocations, "alice@lab", NOW));
  rw_auth_revocations_add (revocations, "alice@lab", at + 10 * G_USEC_PER_SEC);
  g_assert_true (is_revoked (revocations, "alice@lab", NOW + 9));
  rw_auth_revocations_add (revocations, "dave", at);
  g_assert_cmpuint (rw_auth_revocations_get_size (revocations), ==, 3);
  g_assert_false (is_revoked (revocations, "carol", NOW - 1));
  g_assert_true (is_revoked (revocations, "alice@lab", NOW + 9));
  g_assert_true (is_revoked (revocations, "bob", NOW - 3601));
  g_assert_true (is_revoked (revocations, "dave", NOW - 1));
  rw_auth_revocations_add (revocations, "erin", at);
  g_assert_false (is_revoked (revocations, "bob", NOW - 3601));
  g_assert_true (is_revoked (revocations, "alice@lab", NOW + 9));
}

static void
test_parse_revocation (void)
{
  static const struct
  {
    const gchar *body;
    const gchar *sub;           /* NULL: refused */
  } cases[] = {
    {"{\"sub\": \"student-42\"}", "student-42"},
    {"{\"sub\": \"alice@lab\", \"reason\": \"cancelled\"}", "alice@lab"},
    {"", NULL},
    {"{\"sub\": ", NULL},
    {"[\"student-42\"]", NULL},
    {"\"student-42\"", NULL},
    {"{}", NULL},
    {"{\"sub\": 42}", NULL},
    {"{\"sub\": null}", NULL},
    {"{\"sub\": \"\"}", NULL},
    {"{\"sub\": \"eve\\nroot\"}", NULL},
    {"{\"sub\": \"\xff\"}", NULL},
  };
  g_autofree gchar *long_sub = g_strnfill (257, 'x');
  g_autofree gchar *long_body = g_strdup_printf ("{\"sub\": \"%s\"}",
      long_sub);

  for (guint i = 0; i <= G_N_ELEMENTS (cases); i++) {
    const gchar *body = i < G_N_ELEMENTS (cases) ? cases[i].body : long_body;
    const gchar *sub = i < G_N_ELEMENTS (cases) ? cases[i].sub : NULL;
    g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
    g_autoptr (GError) error = NULL;
    g_autofree gchar *parsed = rw_auth_parse_revocation (bytes, &error);

    g_test_message ("%s: %s", body, error ? error->message : parsed);
    g_assert_cmpstr (parsed, ==, sub);
    if (sub == NULL)
      g_assert_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST);
  }
}

/* --- the secret file --- */

static gchar *
write_secret (const gchar * dir, const gchar * name, const gchar * text,
    gint mode)
{
  gchar *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

static void
expect_bad_file (const gchar * path, const gchar * needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RwAuth) auth = rw_auth_new_from_file (path, AUDIENCE, SKEW,
      &error);

  g_test_message ("%s", error ? error->message : "accepted");
  g_assert_null (auth);
  g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, path));
  if (strstr (error->message, needle) == NULL)
    g_error ("'%s' does not mention '%s'", error->message, needle);
  /* never the secret itself */
  g_assert_null (strstr (error->message, "0123456789abcdef"));
  g_assert_null (strstr (error->message, "short-secret"));
}

static void
test_secret_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("rw-auth-XXXXXX", &error);
  g_autofree gchar *lf = NULL;
  g_autofree gchar *crlf = NULL;
  g_autofree gchar *group = NULL;
  g_autofree gchar *world = NULL;
  g_autofree gchar *group_write = NULL;
  g_autofree gchar *shorter = NULL;
  g_autofree gchar *missing = NULL;
  const gchar *tokens[] = { TOKEN_GOOD, TOKEN_NO_SUB };

  g_assert_no_error (error);
  lf = write_secret (dir, "lf", SECRET "\n", 0600);
  crlf = write_secret (dir, "crlf", SECRET "\r\n", 0600);
  group = write_secret (dir, "group", SECRET, 0640);

  /* the trailing newline is not part of the secret */
  for (guint i = 0; i < 3; i++) {
    const gchar *good[] = { lf, crlf, group };
    const gchar *path = good[i];
    g_autoptr (RwAuth) auth = rw_auth_new_from_file (path, AUDIENCE, SKEW,
        &error);

    g_assert_no_error (error);
    for (guint t = 0; t < G_N_ELEMENTS (tokens); t++) {
      g_autoptr (RwAuthClaims) claims = expect_accepted (auth, path,
          tokens[t], 0);

      g_assert_nonnull (claims);
    }
  }

  world = write_secret (dir, "world", SECRET "\n", 0644);
  expect_bad_file (world, "chmod 600");
  group_write = write_secret (dir, "group-write", SECRET "\n", 0620);
  expect_bad_file (group_write, "chmod 600");
  shorter = write_secret (dir, "short", "short-secret-of-31-bytes-......\n",
      0600);
  expect_bad_file (shorter, "31 bytes");
  missing = g_build_filename (dir, "missing", NULL);
  expect_bad_file (missing, "No such file");
  expect_bad_file (dir, "not a regular file");

  g_unlink (lf);
  g_unlink (crlf);
  g_unlink (group);
  g_unlink (world);
  g_unlink (group_write);
  g_unlink (shorter);
  g_rmdir (dir);
}

/* The label each refusal is counted under (GET /metrics), from the
 * refusals themselves. */
static void
expect_category (RwAuth * auth, const gchar * token, gint64 now,
    const gchar * category)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RwAuthClaims) claims = rw_auth_verify (auth, token, now, 0,
      &error);

  g_assert_null (claims);
  g_test_message ("%s: %s", category, error->message);
  g_assert_cmpstr (rw_auth_refusal_category (error), ==, category);
}

static void
test_refusal_categories (void)
{
  g_autoptr (RwAuth) auth = make_auth (AUDIENCE);
  const struct
  {
    const gchar *header;
    const gchar *category;
  } headers[] = {
    {NULL, "missing"},
    {"Basic YWxpY2U6cHc=", "malformed"},
    {"Bearer", "malformed"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *token = rw_auth_parse_bearer (headers[i].header, &error);

    g_assert_null (token);
    g_assert_cmpstr (rw_auth_refusal_category (error), ==, headers[i].category);
  }
  expect_category (auth, TOKEN_EXPIRED_SESSION_ON, NOW, "expired");
  expect_category (auth, TOKEN_EXPIRED, NOW, "booking_over");
  expect_category (auth, TOKEN_NOT_YET, NOW, "not_yet_valid");
  expect_category (auth, TOKEN_WRONG_AUD, NOW, "wrong_robot");
  expect_category (auth, TOKEN_NO_AUD, NOW, "wrong_robot");
  expect_category (auth, TOKEN_WRONG_KEY, NOW, "bad_signature");
  expect_category (auth, TOKEN_ALG_NONE, NOW, "invalid");
  expect_category (auth, "not.a-token", NOW, "invalid");
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/auth/refusal-categories", test_refusal_categories);
  g_test_add_func ("/auth/good", test_good);
  g_test_add_func ("/auth/rfc7515", test_rfc7515);
  g_test_add_func ("/auth/times", test_times);
  g_test_add_func ("/auth/audience", test_audience);
  g_test_add_func ("/auth/signature", test_signature);
  g_test_add_func ("/auth/algorithms", test_algorithms);
  g_test_add_func ("/auth/claims", test_claims);
  g_test_add_func ("/auth/malformed", test_malformed);
  g_test_add_func ("/auth/bearer", test_bearer);
  g_test_add_func ("/auth/session-exp", test_session_exp);
  g_test_add_func ("/auth/iat-scope-max-sessions", test_iat_scope_max_sessions);
  g_test_add_func ("/auth/revocations", test_revocations);
  g_test_add_func ("/auth/parse-revocation", test_parse_revocation);
  g_test_add_func ("/auth/secret-file", test_secret_file);

  return g_test_run ();
}

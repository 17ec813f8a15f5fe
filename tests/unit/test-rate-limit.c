/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The per-client token bucket, on a clock the test moves. */

#include <gst/gst.h>

#include "rw-rate-limit.h"

#define S G_USEC_PER_SEC

static void
test_bucket (void)
{
  g_autoptr (RwRateLimiter) limiter = rw_rate_limiter_new (2, 3, 16);
  gint64 t = 1000 * S;
  guint retry = 99;

  /* a burst of 3, then refused for about half a second */
  for (guint i = 0; i < 3; i++)
    g_assert_true (rw_rate_limiter_take (limiter, "10.0.0.1", t, &retry));
  g_assert_cmpuint (retry, ==, 0);
  g_assert_false (rw_rate_limiter_take (limiter, "10.0.0.1", t, &retry));
  g_assert_cmpuint (retry, ==, 1);

  /* another client has its own bucket */
  g_assert_true (rw_rate_limiter_take (limiter, "10.0.0.2", t, &retry));

  /* 2 per second: one more after 0.5 s, not two */
  g_assert_true (rw_rate_limiter_take (limiter, "10.0.0.1", t + S / 2, &retry));
  g_assert_false (rw_rate_limiter_take (limiter, "10.0.0.1", t + S / 2,
          &retry));

  /* a long pause refills to the burst, no more */
  t += 100 * S;
  for (guint i = 0; i < 3; i++)
    g_assert_true (rw_rate_limiter_take (limiter, "10.0.0.1", t, &retry));
  g_assert_false (rw_rate_limiter_take (limiter, "10.0.0.1", t, &retry));
  g_assert_cmpuint (rw_rate_limiter_get_n_clients (limiter), ==, 2);
}

static void
test_slow_rate (void)
{
  g_autoptr (RwRateLimiter) limiter = rw_rate_limiter_new (1, 1, 16);
  guint retry;

  g_assert_true (rw_rate_limiter_take (limiter, "a", 0, &retry));
  g_assert_false (rw_rate_limiter_take (limiter, "a", S / 10, &retry));
  /* 0.9 s to go: rounded up to 1 */
  g_assert_cmpuint (retry, ==, 1);
  g_assert_true (rw_rate_limiter_take (limiter, "a", S + S / 10, &retry));
}

static void
test_off (void)
{
  g_autoptr (RwRateLimiter) limiter = rw_rate_limiter_new (0, 1, 16);
  guint retry;

  for (guint i = 0; i < 1000; i++)
    g_assert_true (rw_rate_limiter_take (limiter, "a", 0, &retry));
  g_assert_cmpuint (rw_rate_limiter_get_n_clients (limiter), ==, 0);
}

/* The table never grows past its bound, and a client that keeps asking
 * is not forgotten however many others come. */
static void
test_bounded (void)
{
  g_autoptr (RwRateLimiter) limiter = rw_rate_limiter_new (1, 2, 4);
  guint retry;

  /* "busy" spends its burst */
  g_assert_true (rw_rate_limiter_take (limiter, "busy", 0, &retry));
  g_assert_true (rw_rate_limiter_take (limiter, "busy", 0, &retry));
  g_assert_false (rw_rate_limiter_take (limiter, "busy", 0, &retry));

  /* a flood of new addresses at one instant, "busy" among them */
  for (guint i = 0; i < 100; i++) {
    g_autofree gchar *client = g_strdup_printf ("flood-%u", i);

    g_assert_true (rw_rate_limiter_take (limiter, client, 0, &retry));
    g_assert_true (rw_rate_limiter_take (limiter, client, 0, &retry));
    g_assert_false (rw_rate_limiter_take (limiter, "busy", 0, &retry));
    g_assert_cmpuint (rw_rate_limiter_get_n_clients (limiter), <=, 4);
  }

  /* one that went quiet was forgotten: it starts afresh */
  g_assert_true (rw_rate_limiter_take (limiter, "flood-0", 0, &retry));
  g_assert_true (rw_rate_limiter_take (limiter, "flood-0", 0, &retry));
  g_assert_cmpuint (rw_rate_limiter_get_n_clients (limiter), ==, 4);
}

static gchar *
key_for (const gchar * address)
{
  g_autoptr (GSocketAddress) socket_address =
      g_inet_socket_address_new_from_string (address, 443);

  return rw_rate_limit_client_key (socket_address);
}

static void
test_keys (void)
{
  g_autofree gchar *v4 = key_for ("192.168.1.20");
  g_autofree gchar *v6a = key_for ("2001:db8:1:2:aaaa::1");
  g_autofree gchar *v6b = key_for ("2001:db8:1:2:bbbb::2");
  g_autofree gchar *v6c = key_for ("2001:db8:1:3::1");
  g_autofree gchar *mapped = key_for ("::ffff:192.168.1.20");
  g_autofree gchar *none = rw_rate_limit_client_key (NULL);

  g_assert_cmpstr (v4, ==, "192.168.1.20");
  /* one /64, one client */
  g_assert_cmpstr (v6a, ==, "2001:db8:1:2::/64");
  g_assert_cmpstr (v6a, ==, v6b);
  g_assert_cmpstr (v6c, ==, "2001:db8:1:3::/64");
  /* an IPv4 client on a dual-stack socket */
  g_assert_cmpstr (mapped, ==, "192.168.1.20");
  g_assert_cmpstr (none, ==, "unknown");
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rate-limit/bucket", test_bucket);
  g_test_add_func ("/rate-limit/slow-rate", test_slow_rate);
  g_test_add_func ("/rate-limit/off", test_off);
  g_test_add_func ("/rate-limit/bounded", test_bounded);
  g_test_add_func ("/rate-limit/keys", test_keys);

  return g_test_run ();
}

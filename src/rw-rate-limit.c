/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-rate-limit
 * @title: RwRateLimiter
 * @short_description: requests per second per client address
 *
 * A token bucket per client: @burst requests at once, then @rate per
 * second. The table of clients is bounded: when it is full, the client
 * idle longest is forgotten, in constant time (a client that keeps asking
 * is never the one idle longest, so it stays limited). IPv6 clients are
 * counted per /64, the block one host usually gets. Only the HTTP layer
 * uses it, on the server's context; media never passes here.
 */

#include "rw-rate-limit.h"

#include <gst/gst.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rw_rate_limit_debug);
#define GST_CAT_DEFAULT rw_rate_limit_debug

typedef struct
{
  gchar *client;
  gdouble tokens;
  gint64 updated;               /* monotonic, µs */
  GList link;                   /* in the limiter's idle order */
} Bucket;

struct _RwRateLimiter
{
  guint rate;                   /* per second; 0: no limit */
  guint burst;
  guint max_clients;
  GHashTable *buckets;          /* client key -> Bucket, owned */
  GQueue idle;                  /* Bucket, the one idle longest first */
};

static void
bucket_free (Bucket * bucket)
{
  g_free (bucket->client);
  g_free (bucket);
}

/**
 * rw_rate_limiter_new:
 * @rate: requests per second each client may make; 0 allows any number
 * @burst: requests a client may make at once (at least 1)
 * @max_clients: most clients remembered
 *
 * Returns: (transfer full): a limiter.
 */
RwRateLimiter *
rw_rate_limiter_new (guint rate, guint burst, guint max_clients)
{
  static gsize debug_once = 0;
  RwRateLimiter *self = g_new0 (RwRateLimiter, 1);

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (rw_rate_limit_debug, "rw-rate-limit", 0,
        "robot-webrtc request rate limit");
    g_once_init_leave (&debug_once, 1);
  }
  self->rate = rate;
  self->burst = MAX (burst, 1);
  self->max_clients = MAX (max_clients, 1);
  self->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) bucket_free);
  g_queue_init (&self->idle);
  return self;
}

/**
 * rw_rate_limiter_free:
 * @self: (nullable): a limiter
 */
void
rw_rate_limiter_free (RwRateLimiter * self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->buckets);
  g_free (self);
}

static gdouble
refilled (RwRateLimiter * self, const Bucket * bucket, gint64 now)
{
  gdouble tokens = bucket->tokens +
      (gdouble) (now - bucket->updated) * self->rate / G_USEC_PER_SEC;

  return MIN (tokens, (gdouble) self->burst);
}

/* Makes room for one more client: forgets the one idle longest. */
static void
evict (RwRateLimiter * self)
{
  Bucket *oldest = g_queue_peek_head (&self->idle);

  GST_LOG ("%u clients remembered: forgetting %s", self->max_clients,
      oldest->client);
  g_queue_unlink (&self->idle, &oldest->link);
  g_hash_table_remove (self->buckets, oldest->client);
}

/**
 * rw_rate_limiter_take:
 * @self: a limiter
 * @client: the client's key (see rw_rate_limit_client_key())
 * @now: g_get_monotonic_time()
 * @retry_after: (out): when refused, in how many seconds (at least 1) the
 *   client may try again
 *
 * Counts one request of @client.
 *
 * Returns: %TRUE if the request may go on, %FALSE if it is over the limit.
 */
gboolean
rw_rate_limiter_take (RwRateLimiter * self, const gchar * client, gint64 now,
    guint * retry_after)
{
  Bucket *bucket;

  *retry_after = 0;
  if (self->rate == 0)
    return TRUE;

  bucket = g_hash_table_lookup (self->buckets, client);
  if (bucket == NULL) {
    if (g_hash_table_size (self->buckets) >= self->max_clients)
      evict (self);
    bucket = g_new0 (Bucket, 1);
    bucket->client = g_strdup (client);
    bucket->tokens = self->burst;
    bucket->updated = now;
    bucket->link.data = bucket;
    g_hash_table_insert (self->buckets, bucket->client, bucket);
  } else {
    g_queue_unlink (&self->idle, &bucket->link);
  }
  g_queue_push_tail_link (&self->idle, &bucket->link);

  bucket->tokens = refilled (self, bucket, now);
  bucket->updated = now;
  if (bucket->tokens >= 1.0) {
    bucket->tokens -= 1.0;
    return TRUE;
  }
  /* rounded up to whole seconds */
  *retry_after = MAX (1, (guint) ((1.0 - bucket->tokens) / self->rate + 0.999));
  return FALSE;
}

/**
 * rw_rate_limiter_get_n_clients:
 * @self: a limiter
 *
 * Returns: how many clients are remembered.
 */
guint
rw_rate_limiter_get_n_clients (RwRateLimiter * self)
{
  return g_hash_table_size (self->buckets);
}

/**
 * rw_rate_limit_client_key:
 * @address: (nullable): a client's address
 *
 * Returns: (transfer full): the key the client is counted under: its IPv4
 * address, or its IPv6 /64 prefix.
 */
gchar *
rw_rate_limit_client_key (GSocketAddress * address)
{
  GInetAddress *inet;
  guint8 bytes[16];
  g_autoptr (GInetAddress) prefix = NULL;
  g_autofree gchar *text = NULL;

  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("unknown");

  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  if (g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV6)
    return g_inet_address_to_string (inet);

  memcpy (bytes, g_inet_address_to_bytes (inet), 16);
  /* ::ffff:a.b.c.d is an IPv4 client */
  if (memcmp (bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
    return g_inet_address_to_string (inet);
  memset (bytes + 8, 0, 8);
  prefix = g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);
  text = g_inet_address_to_string (prefix);
  return g_strconcat (text, "/64", NULL);
}

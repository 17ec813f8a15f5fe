/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer: raw bytes as one HTTP connection to the daemon's server, as a
 * client would send them: the request line and query, Host, Origin,
 * Content-Length and chunked bodies, Authorization, and every route with
 * its early checks (origin, size, token) and JSON body. The connection is
 * served from memory, and the main context runs until it is done.
 *
 * Two fake session hosts (RwFakeHost, no webrtcbin) are mounted, "front"
 * then "wrist", so that offers with and without "stream" are answered,
 * or fail with a host's error on every third input length, and /streams
 * and /status describe them. Each host keeps one session open across
 * inputs; an input reaches it through a placeholder as long as a session
 * id, FRONT_ID or WRIST_ID, which is replaced with the session's id before
 * the bytes are served (so a Content-Length stays right). The sessions an
 * input opens are ended after it.
 *
 * WHEP too: "front" also keeps a WHEP session open (POST /whep/front),
 * which an input reaches as /whep/front/WHEP_ID, so that PATCH fragments
 * and DELETE get past the session lookup. */

#include <gst/gst.h>
#include <string.h>

#include "rw-fake-host.h"
#include "rw-http-server.h"

#define MAX_ITERATIONS 2000

/* as long as a UUID */
#define FRONT_ID "front000-0000-0000-0000-000000000000"
#define WRIST_ID "wrist000-0000-0000-0000-000000000000"
#define WHEP_ID "whep0000-0000-0000-0000-000000000000"

#define KNOWN_OFFER "{\"sdp\": \"v=0\\r\\n\", \"type\": \"offer\", " \
    "\"stream\": \"%s\"}"

/* WHEP checks the offer before the host sees it; its ICE credentials
 * and fingerprint are the session's */
#define KNOWN_WHEP_OFFER "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" \
    "a=group:BUNDLE 0 1\r\na=ice-ufrag:abcd\r\n" \
    "a=ice-pwd:0123456789abcdef012345\r\na=fingerprint:sha-256 7B:8B:F0:65:" \
    "5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:" \
    "A1:2C:19:08\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n" \
    "a=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n" \
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=recvonly\r\n" \
    "a=rtpmap:111 opus/48000/2\r\n"

int LLVMFuzzerTestOneInput (const guint8 * data, gsize size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static RwConfig *config;
static RwHttpServer *server;
static RwFakeHost *front, *wrist;
static gchar *front_id, *wrist_id, *whep_id;
static GSocketAddress *local, *remote;

/* Serves @data as one connection, until it is read to its end and
 * closed. */
static void
serve (gpointer data, gsize size)
{
  g_autoptr (GInputStream) in =
      g_memory_input_stream_new_from_data (data, size, g_free);
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (GIOStream) stream = g_simple_io_stream_new (in, out);

  g_assert (rw_http_server_accept_iostream (server, stream, local, remote,
          NULL));
  for (guint i = 0; i < MAX_ITERATIONS && !g_io_stream_is_closed (stream); i++)
    g_main_context_iteration (NULL, FALSE);
  if (!g_io_stream_is_closed (stream))
    g_io_stream_close (stream, NULL, NULL);
  while (g_main_context_iteration (NULL, FALSE));
}

/* The host's known session, opened again if an input ended it. */
static void
ensure_session (RwFakeHost * host, const gchar * stream, gchar ** id)
{
  g_autofree gchar *body = NULL;
  gchar *request;
  GPtrArray *opened;

  if (*id && rw_fake_host_has_session (host, *id))
    return;
  g_clear_pointer (id, g_free);
  body = g_strdup_printf (KNOWN_OFFER, stream);
  request = g_strdup_printf ("POST /offer HTTP/1.1\r\nHost: robot\r\n"
      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
      strlen (body), body);
  serve (request, strlen (request));
  opened = rw_fake_host_get_opened (host);
  g_assert (opened->len > 0);
  *id = g_strdup (((RwFakeCall *)
          g_ptr_array_index (opened, opened->len - 1))->session_id);
  g_assert (rw_fake_host_has_session (host, *id));
}

/* front's known WHEP session, opened again if an input ended it. */
static void
ensure_whep_session (void)
{
  gchar *request;
  GPtrArray *opened;

  if (whep_id && rw_fake_host_has_session (front, whep_id))
    return;
  g_clear_pointer (&whep_id, g_free);
  request = g_strdup_printf ("POST /whep/front HTTP/1.1\r\nHost: robot\r\n"
      "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
      strlen (KNOWN_WHEP_OFFER), KNOWN_WHEP_OFFER);
  serve (request, strlen (request));
  opened = rw_fake_host_get_opened (front);
  g_assert (opened->len > 0);
  whep_id = g_strdup (((RwFakeCall *)
          g_ptr_array_index (opened, opened->len - 1))->session_id);
  g_assert (rw_fake_host_has_session (front, whep_id));
}

static void
replace_all (gchar * text, gsize size, const gchar * placeholder,
    const gchar * id)
{
  gsize n = strlen (placeholder);

  g_assert (strlen (id) == n);
  for (gsize i = 0; i + n <= size; i++) {
    if (memcmp (text + i, placeholder, n) == 0) {
      memcpy (text + i, id, n);
      i += n - 1;
    }
  }
}

/* Ends the sessions the input opened, and forgets its calls. */
static void
reset_host (RwFakeHost * host, const gchar * keep, const gchar * keep_too)
{
  g_auto (GStrv) ids = rw_fake_host_dup_session_ids (host);

  for (guint i = 0; ids[i]; i++) {
    if (g_strcmp0 (ids[i], keep) != 0 && g_strcmp0 (ids[i], keep_too) != 0)
      rw_fake_host_end_session (host, ids[i], "the input is done");
  }
  rw_fake_host_fail_next (host, 0, NULL);
  rw_fake_host_clear_calls (host);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const gchar *origins[] = { "https://lab.example.org", NULL };

  gst_init (NULL, NULL);
  /* the server checks that its requests run on the context's owner */
  g_assert (g_main_context_acquire (NULL));
  config = rw_config_new ();
  config->rate_limit = 0;       /* every input reaches the routes */
  config->allowed_origins = g_strdupv ((gchar **) origins);
  server = rw_http_server_new (config);
  front = rw_fake_host_new ("front");
  wrist = rw_fake_host_new ("wrist");
  rw_http_server_add_host (server, "front", RW_SESSION_HOST (front));
  rw_http_server_add_host (server, "wrist", RW_SESSION_HOST (wrist));
  g_assert (rw_http_server_load_credentials (server, NULL));
  local = g_inet_socket_address_new_from_string ("127.0.0.1", 8080);
  remote = g_inet_socket_address_new_from_string ("127.0.0.1", 40000);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 * data, gsize size)
{
  gchar *bytes;

  ensure_session (front, "front", &front_id);
  ensure_session (wrist, "wrist", &wrist_id);
  ensure_whep_session ();
  reset_host (front, front_id, whep_id);
  reset_host (wrist, wrist_id, NULL);

  /* every third length, the next offer fails with one of the codes */
  if (size % 3 == 0) {
    RwError code = (size / 3) % (RW_ERROR_UNAVAILABLE + 1);

    rw_fake_host_fail_next (size % 2 ? wrist : front, code, "fuzz failure");
  }

  bytes = g_memdup2 (data, size);
  replace_all (bytes, size, FRONT_ID, front_id);
  replace_all (bytes, size, WRIST_ID, wrist_id);
  replace_all (bytes, size, WHEP_ID, whep_id);
  serve (bytes, size);

  reset_host (front, front_id, whep_id);
  reset_host (wrist, wrist_id, NULL);
  return 0;
}

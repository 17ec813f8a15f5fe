/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer: raw bytes as one HTTP connection to the daemon's server, as a
 * client would send them: the request line and query, Host, Origin,
 * Content-Length and chunked bodies, Authorization, and every route with
 * its early checks (origin, size, token) and JSON body. The connection is
 * served from memory, and the main context runs until it is done. */

#include <gst/gst.h>
#include <string.h>

#include "rw-http-server.h"
#include "rw-sink.h"

#define MAX_ITERATIONS 2000

int LLVMFuzzerTestOneInput (const guint8 * data, gsize size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static RwConfig *config;
static RwSink *sink;
static RwHttpServer *server;
static GSocketAddress *local, *remote;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const gchar *origins[] = { "https://lab.example.org", NULL };

  gst_init (NULL, NULL);
  config = rw_config_new ();
  config->rate_limit = 0;       /* every input reaches the routes */
  config->allowed_origins = g_strdupv ((gchar **) origins);
  /* not playing: /offer answers 503, the others run as they would */
  sink = g_object_new (RW_TYPE_SINK, "port", 0, NULL);
  server = rw_http_server_new (config, sink);
  g_assert (rw_http_server_load_credentials (server, NULL));
  local = g_inet_socket_address_new_from_string ("127.0.0.1", 8080);
  remote = g_inet_socket_address_new_from_string ("127.0.0.1", 40000);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 * data, gsize size)
{
  g_autoptr (GInputStream) in =
      g_memory_input_stream_new_from_data (g_memdup2 (data, size), size,
      g_free);
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (GIOStream) stream = g_simple_io_stream_new (in, out);

  g_assert (rw_http_server_accept_iostream (server, stream, local, remote,
          NULL));
  /* until the input is read to its end and the connection closed */
  for (guint i = 0; i < MAX_ITERATIONS && !g_io_stream_is_closed (stream); i++)
    g_main_context_iteration (NULL, FALSE);
  if (!g_io_stream_is_closed (stream))
    g_io_stream_close (stream, NULL, NULL);
  while (g_main_context_iteration (NULL, FALSE));
  return 0;
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:test-utils
 * @title: test utilities
 * @short_description: the daemon as a subprocess, bounded main-context
 *   pumping and synchronous-looking HTTP for tests
 *
 * Everything here runs on the thread-default main context and waits by
 * iterating it, never longer than the timeout it is given, so libsoup and
 * the #RwTestViewer objects keep working while a test waits.
 *
 * rw_test_server_start() runs `robot-webrtc-server --port 0 --bind 127.0.0.1
 * --ice-address 127.0.0.1 …` and reads the URL it prints (`http://` or
 * `https://`). The daemon's
 * stdout and stderr are collected (and echoed to our stderr, prefixed, when
 * `RW_TEST_SERVER_LOG` is set); on Linux it gets SIGTERM if the test process
 * dies, so a failed assertion does not leave a daemon behind.
 * rw_test_server_spawn() runs it the same way without waiting for the URL,
 * for tests of its start-up.
 */

#include "test-utils.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* --- pumping --- */

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/**
 * rw_test_pump_until:
 * @cond: (nullable): checked before each iteration; %NULL pumps until the
 *   timeout
 * @data: for @cond
 * @timeout_ms: the longest wait
 *
 * Iterates the thread-default main context until @cond returns %TRUE or
 * @timeout_ms pass. @cond is re-checked at least every 10 ms, so it may
 * depend on state that other threads change.
 *
 * Returns: %TRUE if @cond became %TRUE in time
 */
gboolean
rw_test_pump_until (RwTestCondFunc cond, gpointer data, guint timeout_ms)
{
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr (GSource) tick = g_timeout_source_new (10);
  gint64 deadline = g_get_monotonic_time () +
      (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean ok = FALSE;

  g_source_set_callback (tick, on_tick, NULL, NULL);
  g_source_set_name (tick, "rw-test-pump");
  g_source_attach (tick, context);

  while (!(ok = (cond != NULL && cond (data)))) {
    if (g_get_monotonic_time () >= deadline)
      break;
    g_main_context_iteration (context, TRUE);
  }
  g_source_destroy (tick);
  return ok;
}

/**
 * rw_test_pump_for:
 * @ms: how long
 *
 * Iterates the thread-default main context for @ms milliseconds.
 */
void
rw_test_pump_for (guint ms)
{
  rw_test_pump_until (NULL, NULL, ms);
}

/* --- the daemon --- */

struct _RwTestServer
{
  GSubprocess *process;
  GCancellable *cancellable;
  gchar *url;
  gchar *pid;
  gboolean echo;
  gboolean exited;
  gint64 exited_at;             /* monotonic, as the main context saw it */
  gboolean stdout_eof;
  gboolean stderr_eof;
  GString *out;
  GString *err;
};

/* The server is a GRcBox: the asynchronous reads and the wait hold a
 * reference, so freeing it while they are pending is safe. */
static void
server_clear (gpointer data)
{
  RwTestServer *server = data;

  g_clear_object (&server->process);
  g_clear_object (&server->cancellable);
  g_free (server->url);
  g_free (server->pid);
  g_string_free (server->out, TRUE);
  g_string_free (server->err, TRUE);
}

static void
server_release (RwTestServer * server)
{
  g_rc_box_release_full (server, server_clear);
}

typedef struct
{
  RwTestServer *server;
  GDataInputStream *stream;
  gboolean is_stderr;
} LineReader;

static void read_next_line (LineReader * reader);

static gchar *
parse_url (const gchar * line)
{
  const gchar *start = strstr (line, "listening on http://");
  const gchar *end;

  if (start == NULL)
    start = strstr (line, "listening on https://");
  if (start == NULL)
    return NULL;
  start += strlen ("listening on ");
  end = start;
  while (*end && !g_ascii_isspace (*end))
    end++;
  if (end > start && end[-1] == '/')
    end--;
  return g_strndup (start, end - start);
}

static void
on_line (GObject * source, GAsyncResult * result, gpointer user_data)
{
  LineReader *reader = user_data;
  RwTestServer *server = reader->server;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *line = NULL;
  gsize length;

  line = g_data_input_stream_read_line_finish_utf8 (reader->stream, result,
      &length, &error);
  if (line == NULL) {
    if (error && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_printerr ("[server] reading its %s: %s\n",
          reader->is_stderr ? "stderr" : "stdout", error->message);
    if (reader->is_stderr)
      server->stderr_eof = TRUE;
    else
      server->stdout_eof = TRUE;
    g_object_unref (reader->stream);
    server_release (server);
    g_free (reader);
    return;
  }

  g_string_append (reader->is_stderr ? server->err : server->out, line);
  g_string_append_c (reader->is_stderr ? server->err : server->out, '\n');
  if (server->echo)
    g_printerr ("[server%s] %s\n", reader->is_stderr ? "" : " stdout", line);
  if (!reader->is_stderr && server->url == NULL)
    server->url = parse_url (line);
  read_next_line (reader);
}

static void
read_next_line (LineReader * reader)
{
  g_data_input_stream_read_line_async (reader->stream, G_PRIORITY_DEFAULT,
      reader->server->cancellable, on_line, reader);
}

static void
start_reader (RwTestServer * server, GInputStream * pipe, gboolean is_stderr)
{
  LineReader *reader = g_new0 (LineReader, 1);

  reader->server = g_rc_box_acquire (server);
  reader->stream = g_data_input_stream_new (pipe);
  reader->is_stderr = is_stderr;
  read_next_line (reader);
}

static void
on_exited (GObject * source, GAsyncResult * result, gpointer user_data)
{
  RwTestServer *server = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  server->exited = TRUE;
  server->exited_at = g_get_monotonic_time ();
  server_release (server);
}

#ifdef __linux__
static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}
#endif

static gboolean
server_started_or_exited (gpointer data)
{
  RwTestServer *server = data;

  return server->url != NULL || server->exited;
}

static gboolean
server_exited (gpointer data)
{
  RwTestServer *server = data;

  return server->exited;
}

static gboolean
server_pipes_closed (gpointer data)
{
  RwTestServer *server = data;

  return server->stdout_eof && server->stderr_eof;
}

static const gchar *
tail (GString * string, gsize max)
{
  return string->len > max ? string->str + string->len - max : string->str;
}

/* Runs @argv with its output collected, and returns at once. */
static RwTestServer *
process_spawn (const gchar * const *argv, GError ** error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  RwTestServer *server;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE);
#ifdef __linux__
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
#endif

  server = g_rc_box_new0 (RwTestServer);
  server->cancellable = g_cancellable_new ();
  server->out = g_string_new (NULL);
  server->err = g_string_new (NULL);
  server->echo = g_strcmp0 (g_getenv ("RW_TEST_SERVER_LOG"), "") > 0 &&
      g_strcmp0 (g_getenv ("RW_TEST_SERVER_LOG"), "0") != 0;
  server->process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (server->process == NULL) {
    g_prefix_error (error, "cannot run %s: ", argv[0]);
    server_release (server);
    return NULL;
  }
  server->pid = g_strdup (g_subprocess_get_identifier (server->process));

  start_reader (server, g_subprocess_get_stdout_pipe (server->process), FALSE);
  start_reader (server, g_subprocess_get_stderr_pipe (server->process), TRUE);
  g_subprocess_wait_async (server->process, NULL, on_exited,
      g_rc_box_acquire (server));
  return server;
}

/* The daemon's command line: @binary or $RW_SERVER on 127.0.0.1, a free
 * port, ICE on 127.0.0.1 only, then @extra_args. */
static GPtrArray *
server_argv (const gchar * binary, const gchar * const *extra_args,
    GError ** error)
{
  GPtrArray *argv;

  if (binary == NULL)
    binary = g_getenv ("RW_SERVER");
  if (binary == NULL || *binary == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no server binary: set RW_SERVER");
    return NULL;
  }

  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) binary);
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  g_ptr_array_add (argv, (gpointer) "--bind");
  g_ptr_array_add (argv, (gpointer) "127.0.0.1");
  g_ptr_array_add (argv, (gpointer) "--ice-address");
  g_ptr_array_add (argv, (gpointer) "127.0.0.1");
  for (guint i = 0; extra_args && extra_args[i]; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/**
 * rw_test_server_start:
 * @binary: (nullable): the daemon; %NULL uses the `RW_SERVER` environment
 *   variable
 * @extra_args: (nullable) (array zero-terminated=1): more arguments
 * @timeout_ms: how long the daemon may take to print its URL (0: the
 *   default, %RW_TEST_SERVER_START_TIMEOUT_MS)
 * @error: why it did not start
 *
 * Runs the daemon on 127.0.0.1, a free port, ICE on 127.0.0.1 only, and
 * waits until it prints `listening on http://…` (or `https://…`).
 *
 * Returns: (transfer full) (nullable): the running server
 */
RwTestServer *
rw_test_server_start (const gchar * binary, const gchar * const *extra_args,
    guint timeout_ms, GError ** error)
{
  g_autoptr (GPtrArray) argv = server_argv (binary, extra_args, error);

  if (argv == NULL)
    return NULL;
  return rw_test_process_start ((const gchar * const *) argv->pdata,
      timeout_ms, error);
}

/**
 * rw_test_server_spawn:
 * @binary: (nullable): the daemon; %NULL uses the `RW_SERVER` environment
 *   variable
 * @extra_args: (nullable) (array zero-terminated=1): more arguments
 * @error: why it could not be run
 *
 * Runs the daemon as rw_test_server_start() does, but returns as soon as
 * the process runs (exec'd), without waiting for its URL: for tests of
 * what it does while it starts. rw_test_server_get_url() stays %NULL until
 * the URL is printed and the main context has seen it.
 *
 * Returns: (transfer full) (nullable): the process
 */
RwTestServer *
rw_test_server_spawn (const gchar * binary, const gchar * const *extra_args,
    GError ** error)
{
  g_autoptr (GPtrArray) argv = server_argv (binary, extra_args, error);

  if (argv == NULL)
    return NULL;
  return process_spawn ((const gchar * const *) argv->pdata, error);
}

/**
 * rw_test_process_start:
 * @argv: a command that serves signaling and prints `listening on http(s)://…`
 *   (the daemon, or gst-launch-1.0 with robotwebrtcsink)
 * @timeout_ms: how long it may take to print its URL (0: the default)
 * @error: why it did not start
 *
 * Returns: (transfer full) (nullable): the running process
 */
RwTestServer *
rw_test_process_start (const gchar * const *argv, guint timeout_ms,
    GError ** error)
{
  const gchar *binary = argv[0];
  RwTestServer *server;

  if (timeout_ms == 0)
    timeout_ms = RW_TEST_SERVER_START_TIMEOUT_MS;

  server = process_spawn (argv, error);
  if (server == NULL)
    return NULL;

  if (!rw_test_pump_until (server_started_or_exited, server, timeout_ms) ||
      server->url == NULL) {
    gboolean exited = server->exited;

    if (!exited) {
      g_subprocess_force_exit (server->process);
      rw_test_pump_until (server_exited, server, 2000);
    }
    rw_test_pump_until (server_pipes_closed, server, 500);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "%s %s within %u ms; its stderr ends with:\n%s", binary,
        exited ? "exited without printing its URL" :
        "printed no 'listening on http(s)://' line", timeout_ms,
        tail (server->err, 2000));
    rw_test_server_free (server);
    return NULL;
  }
  return server;
}

/**
 * rw_test_server_stop:
 * @server: a server
 * @timeout_ms: how long it may take to exit after SIGTERM
 * @exit_status: (out) (optional): its exit status, or -1 if it was killed by
 *   a signal
 * @error: why the stop was not clean
 *
 * Sends SIGTERM and waits; after @timeout_ms it sends SIGKILL (and waits up
 * to 2 s more).
 *
 * Returns: %TRUE if the server exited by itself with status 0 in time
 */
gboolean
rw_test_server_stop (RwTestServer * server, guint timeout_ms,
    gint * exit_status, GError ** error)
{
  return rw_test_server_stop_with (server, SIGTERM, timeout_ms, exit_status,
      error);
}

/**
 * rw_test_server_stop_with:
 * @server: a server
 * @signum: the signal to stop it with (0: none, wait for it to exit)
 * @timeout_ms: how long it may take to exit after @signum
 * @exit_status: (out) (optional): its exit status, or -1
 * @error: why the stop was not clean
 *
 * rw_test_server_stop() with another signal: SIGINT for gst-launch-1.0.
 *
 * Returns: %TRUE if the server exited by itself with status 0 in time
 */
gboolean
rw_test_server_stop_with (RwTestServer * server, gint signum,
    guint timeout_ms, gint * exit_status, GError ** error)
{
  gboolean killed = FALSE;

  g_return_val_if_fail (server != NULL, FALSE);

  if (exit_status)
    *exit_status = -1;
  if (!server->exited) {
    if (signum)
      g_subprocess_send_signal (server->process, signum);
    if (!rw_test_pump_until (server_exited, server, timeout_ms)) {
      killed = TRUE;
      g_subprocess_force_exit (server->process);
      rw_test_pump_until (server_exited, server, 2000);
    }
  }
  rw_test_pump_until (server_pipes_closed, server, 1000);

  if (!server->exited) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "the server (pid %s) did not exit, even after SIGKILL", server->pid);
    return FALSE;
  }
  if (killed) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "the server did not exit within %u ms of signal %d; killed it. Its "
        "stderr ends with:\n%s", timeout_ms, signum, tail (server->err, 2000));
    return FALSE;
  }
  if (g_subprocess_get_if_signaled (server->process)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "the server died of signal %d; its stderr ends with:\n%s",
        g_subprocess_get_term_sig (server->process), tail (server->err, 2000));
    return FALSE;
  }
  if (exit_status)
    *exit_status = g_subprocess_get_exit_status (server->process);
  if (g_subprocess_get_exit_status (server->process) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "the server exited with status %d; its stderr ends with:\n%s",
        g_subprocess_get_exit_status (server->process),
        tail (server->err, 2000));
    return FALSE;
  }
  return TRUE;
}

/**
 * rw_test_server_free:
 * @server: (transfer full) (nullable): a server
 *
 * Kills the server if it still runs (without waiting) and frees it.
 */
void
rw_test_server_free (RwTestServer * server)
{
  if (server == NULL)
    return;
  if (!server->exited)
    g_subprocess_force_exit (server->process);
  g_cancellable_cancel (server->cancellable);
  server_release (server);
}

/**
 * rw_test_server_get_url:
 * @server: a server
 *
 * Returns: (transfer none): its base URL, e.g. `http://127.0.0.1:43121`
 */
const gchar *
rw_test_server_get_url (RwTestServer * server)
{
  return server->url;
}

/**
 * rw_test_server_get_pid:
 * @server: a server
 *
 * Returns: (transfer none): its process id, as a string (for /proc)
 */
const gchar *
rw_test_server_get_pid (RwTestServer * server)
{
  return server->pid;
}

/**
 * rw_test_server_get_exit_time:
 * @server: a server
 *
 * Returns: when the main context saw the process exit (monotonic, µs), or
 * 0 while it runs
 */
gint64
rw_test_server_get_exit_time (RwTestServer * server)
{
  return server->exited ? server->exited_at : 0;
}

/**
 * rw_test_server_is_running:
 * @server: a server
 *
 * Returns: %TRUE until the process exited (as seen by the main context)
 */
gboolean
rw_test_server_is_running (RwTestServer * server)
{
  return !server->exited;
}

/**
 * rw_test_server_dup_stdout:
 * @server: a server
 *
 * Returns: (transfer full): what it printed on stdout so far
 */
gchar *
rw_test_server_dup_stdout (RwTestServer * server)
{
  return g_strdup (server->out->str);
}

/**
 * rw_test_server_dup_stderr:
 * @server: a server
 *
 * Returns: (transfer full): what it printed on stderr so far
 */
gchar *
rw_test_server_dup_stderr (RwTestServer * server)
{
  return g_strdup (server->err->str);
}

typedef struct
{
  RwTestServer *server;
  const gchar *const *needles;
} StderrSearch;

static gboolean
stderr_has_line (gpointer data)
{
  StderrSearch *search = data;
  g_auto (GStrv) lines = g_strsplit (search->server->err->str, "\n", -1);

  for (guint i = 0; lines[i]; i++) {
    gboolean all = TRUE;

    for (guint j = 0; search->needles[j] && all; j++)
      all = strstr (lines[i], search->needles[j]) != NULL;
    if (all)
      return TRUE;
  }
  return FALSE;
}

/**
 * rw_test_server_wait_for_stderr:
 * @server: a server
 * @needles: (array zero-terminated=1): strings that must all be on one line
 * @timeout_ms: the longest wait
 *
 * Returns: %TRUE when one line of the server's stderr contains every needle
 */
gboolean
rw_test_server_wait_for_stderr (RwTestServer * server,
    const gchar * const *needles, guint timeout_ms)
{
  StderrSearch search = { server, needles };

  return rw_test_pump_until (stderr_has_line, &search, timeout_ms);
}

/* --- HTTP --- */

/**
 * rw_test_session_new:
 *
 * Returns: (transfer full): a session with a 10 s I/O timeout and no proxy,
 * so requests to 127.0.0.1 go to 127.0.0.1 whatever the environment says
 */
SoupSession *
rw_test_session_new (void)
{
  return soup_session_new_with_options ("timeout",
      RW_TEST_HTTP_TIMEOUT_MS / 1000, "proxy-resolver", NULL, NULL);
}

/**
 * rw_test_url:
 * @base_url: e.g. `http://127.0.0.1:8080` (a trailing slash is fine)
 * @path: e.g. `/status`
 *
 * Returns: (transfer full): the URL
 */
gchar *
rw_test_url (const gchar * base_url, const gchar * path)
{
  gsize len = strlen (base_url);

  while (len > 0 && base_url[len - 1] == '/')
    len--;
  return g_strdup_printf ("%.*s%s", (gint) len, base_url, path);
}

/**
 * rw_test_response_free:
 * @response: (transfer full) (nullable): a response
 */
void
rw_test_response_free (RwTestResponse * response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->json, json_node_unref);
  g_free (response);
}

/* Heap-allocated so that a request abandoned after its timeout can still
 * complete safely. */
typedef struct
{
  gboolean done;
  gboolean abandoned;
  GBytes *body;
  GError *error;
} PendingRequest;

static void
pending_request_free (PendingRequest * pending)
{
  g_clear_pointer (&pending->body, g_bytes_unref);
  g_clear_error (&pending->error);
  g_free (pending);
}

static void
on_request_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  PendingRequest *pending = user_data;

  pending->body = soup_session_send_and_read_finish (SOUP_SESSION (source),
      result, &pending->error);
  pending->done = TRUE;
  if (pending->abandoned)
    pending_request_free (pending);
}

static gboolean
request_done (gpointer data)
{
  PendingRequest *pending = data;

  return pending->done;
}

static RwTestResponse *
run_request (SoupSession * session, SoupMessage * msg, guint timeout_ms,
    GError ** error)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  PendingRequest *pending = g_new0 (PendingRequest, 1);
  RwTestResponse *response;
  const gchar *content_type;

  if (timeout_ms == 0)
    timeout_ms = RW_TEST_HTTP_TIMEOUT_MS;

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT,
      cancellable, on_request_done, pending);
  if (!rw_test_pump_until (request_done, pending, timeout_ms)) {
    g_cancellable_cancel (cancellable);
    if (!rw_test_pump_until (request_done, pending, 2000)) {
      pending->abandoned = TRUE;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "%s %s: no answer within %u ms", soup_message_get_method (msg),
          g_uri_get_path (soup_message_get_uri (msg)), timeout_ms);
      return NULL;
    }
  }

  if (pending->body == NULL) {
    if (g_error_matches (pending->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "%s %s: no answer within %u ms", soup_message_get_method (msg),
          g_uri_get_path (soup_message_get_uri (msg)), timeout_ms);
    else
      g_set_error (error, pending->error->domain, pending->error->code,
          "%s %s: %s", soup_message_get_method (msg),
          g_uri_get_path (soup_message_get_uri (msg)), pending->error->message);
    pending_request_free (pending);
    return NULL;
  }

  response = g_new0 (RwTestResponse, 1);
  response->status = soup_message_get_status (msg);
  response->headers =
      soup_message_headers_ref (soup_message_get_response_headers (msg));
  response->body = g_steal_pointer (&pending->body);
  pending_request_free (pending);

  content_type = soup_message_headers_get_content_type (response->headers,
      NULL);
  if (g_bytes_get_size (response->body) > 0 &&
      g_strcmp0 (content_type, "application/json") == 0) {
    g_autoptr (JsonParser) parser = json_parser_new ();

    if (json_parser_load_from_data (parser,
            g_bytes_get_data (response->body, NULL),
            g_bytes_get_size (response->body), NULL) &&
        json_parser_get_root (parser))
      response->json = json_node_copy (json_parser_get_root (parser));
  }
  return response;
}

/**
 * rw_test_http_request:
 * @session: a session, e.g. from rw_test_session_new()
 * @method: the HTTP method
 * @url: the URL
 * @request_headers: (nullable) (array zero-terminated=1): name, value, name,
 *   value… for extra request headers
 * @content_type: (nullable): the body's type
 * @body: (nullable): the body, sent with a Content-Length
 * @timeout_ms: the longest wait (0: %RW_TEST_HTTP_TIMEOUT_MS)
 * @error: why there is no response
 *
 * Sends a request and iterates the thread-default main context until the
 * response has arrived or @timeout_ms passed. A JSON body is parsed into
 * @json of the result.
 *
 * Returns: (transfer full) (nullable): the response, whatever its status
 */
RwTestResponse *
rw_test_http_request (SoupSession * session, const gchar * method,
    const gchar * url, const gchar * const *request_headers,
    const gchar * content_type, GBytes * body, guint timeout_ms,
    GError ** error)
{
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);

  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "bad URL '%s'", url);
    return NULL;
  }
  for (guint i = 0; request_headers && request_headers[i] &&
      request_headers[i + 1]; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        request_headers[i], request_headers[i + 1]);
  if (body)
    soup_message_set_request_body_from_bytes (msg, content_type, body);
  return run_request (session, msg, timeout_ms, error);
}

/**
 * rw_test_http_request_chunked:
 * @session: a session
 * @method: the HTTP method
 * @url: the URL
 * @content_type: (nullable): the body's type
 * @body: the body, sent with chunked encoding (no Content-Length)
 * @timeout_ms: the longest wait (0: %RW_TEST_HTTP_TIMEOUT_MS)
 * @error: why there is no response
 *
 * Like rw_test_http_request(), but the body has no Content-Length.
 *
 * Returns: (transfer full) (nullable): the response, whatever its status
 */
RwTestResponse *
rw_test_http_request_chunked (SoupSession * session, const gchar * method,
    const gchar * url, const gchar * content_type, GBytes * body,
    guint timeout_ms, GError ** error)
{
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GInputStream) stream = NULL;

  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "bad URL '%s'", url);
    return NULL;
  }
  stream = g_memory_input_stream_new_from_bytes (body);
  soup_message_set_request_body (msg, content_type, stream, -1);
  return run_request (session, msg, timeout_ms, error);
}

/**
 * rw_test_response_get_content_type:
 * @response: a response
 *
 * Returns: (transfer none) (nullable): the media type, without parameters
 */
const gchar *
rw_test_response_get_content_type (RwTestResponse * response)
{
  return soup_message_headers_get_content_type (response->headers, NULL);
}

/**
 * rw_test_response_get_error:
 * @response: a response
 *
 * Returns: (transfer none) (nullable): the string `error` member of a JSON
 * object body, or %NULL
 */
const gchar *
rw_test_response_get_error (RwTestResponse * response)
{
  JsonObject *object;
  JsonNode *member;

  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    return NULL;
  object = json_node_get_object (response->json);
  member = json_object_get_member (object, "error");
  if (member == NULL || json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (member);
}

/**
 * rw_test_response_dup_text:
 * @response: a response
 *
 * Returns: (transfer full): the body as a string (for messages)
 */
gchar *
rw_test_response_dup_text (RwTestResponse * response)
{
  gsize size;
  const gchar *data = g_bytes_get_data (response->body, &size);

  return g_strndup (data ? data : "", size);
}

/**
 * rw_test_get_status:
 * @session: a session
 * @base_url: the server
 * @timeout_ms: the longest wait (0: %RW_TEST_HTTP_TIMEOUT_MS)
 * @error: why there is no status
 *
 * Returns: (transfer full) (nullable): the JSON of `GET /status` (a 200 with a
 * JSON object, or an error)
 */
JsonNode *
rw_test_get_status (SoupSession * session, const gchar * base_url,
    guint timeout_ms, GError ** error)
{
  g_autofree gchar *url = rw_test_url (base_url, "/status");
  g_autoptr (RwTestResponse) response = NULL;

  response = rw_test_http_request (session, "GET", url, NULL, NULL, NULL,
      timeout_ms, error);
  if (response == NULL)
    return NULL;
  if (response->status != SOUP_STATUS_OK || response->json == NULL ||
      !JSON_NODE_HOLDS_OBJECT (response->json)) {
    g_autofree gchar *text = rw_test_response_dup_text (response);

    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "GET /status: HTTP %u, not a JSON object: %s", response->status, text);
    return NULL;
  }
  return g_steal_pointer (&response->json);
}

static JsonNode *
lookup (JsonNode * node, const gchar * path)
{
  g_auto (GStrv) parts = g_strsplit (path, ".", -1);

  for (guint i = 0; parts[i] && node; i++) {
    if (!JSON_NODE_HOLDS_OBJECT (node))
      return NULL;
    node = json_object_get_member (json_node_get_object (node), parts[i]);
  }
  return node;
}

/**
 * rw_test_json_get_int:
 * @node: a JSON object
 * @path: member names separated by dots, e.g. `viewers` or `source.port`
 * @fallback: returned if there is no such integer
 *
 * Returns: the integer at @path, or @fallback
 */
gint64
rw_test_json_get_int (JsonNode * node, const gchar * path, gint64 fallback)
{
  JsonNode *member = lookup (node, path);

  if (member == NULL || json_node_get_value_type (member) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (member);
}

/**
 * rw_test_json_get_boolean:
 * @node: a JSON object
 * @path: member names separated by dots, e.g. `auth.tokens`
 *
 * Returns: %TRUE if there is a boolean at @path and it is true
 */
gboolean
rw_test_json_get_boolean (JsonNode * node, const gchar * path)
{
  JsonNode *member = lookup (node, path);

  return member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
      json_node_get_value_type (member) == G_TYPE_BOOLEAN &&
      json_node_get_boolean (member);
}

/**
 * rw_test_json_get_string:
 * @node: a JSON object
 * @path: member names separated by dots, e.g. `source.kind`
 *
 * Returns: (transfer none) (nullable): the string at @path, or %NULL
 */
const gchar *
rw_test_json_get_string (JsonNode * node, const gchar * path)
{
  JsonNode *member = lookup (node, path);

  if (member == NULL || json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (member);
}

/**
 * rw_test_wait_for_status_int:
 * @session: a session
 * @base_url: the server
 * @path: a path for rw_test_json_get_int(), e.g. `viewers`
 * @expected: the value to wait for
 * @timeout_ms: the longest wait
 * @last: (out) (optional): the last value seen (-1 if none)
 *
 * Polls `GET /status` every 100 ms until @path equals @expected.
 *
 * Returns: %TRUE if it did in time
 */
gboolean
rw_test_wait_for_status_int (SoupSession * session, const gchar * base_url,
    const gchar * path, gint64 expected, guint timeout_ms, gint64 * last)
{
  gint64 deadline = g_get_monotonic_time () +
      (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  gint64 value = -1;

  do {
    g_autoptr (JsonNode) status = NULL;
    gint64 left = (deadline - g_get_monotonic_time ()) / 1000;

    status = rw_test_get_status (session, base_url, MAX (left, 100), NULL);
    value = status ? rw_test_json_get_int (status, path, -1) : -1;
    if (value == expected)
      break;
    rw_test_pump_for (100);
  } while (g_get_monotonic_time () < deadline);

  if (last)
    *last = value;
  return value == expected;
}

/* --- security --- */

static gchar *
base64url (const guint8 * data, gsize length)
{
  gchar *text = g_base64_encode (data, length);
  gsize n = strlen (text);

  while (n > 0 && text[n - 1] == '=')
    text[--n] = '\0';
  for (gchar * p = text; *p; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
  }
  return text;
}

/**
 * rw_test_mint_token:
 * @secret: the shared secret
 * @claims_json: the claims, a JSON object
 *
 * Signs @claims_json as the backend does: a JWT with the header
 * `{"alg":"HS256","typ":"JWT"}`.
 *
 * Returns: (transfer full): the token
 */
gchar *
rw_test_mint_token (const gchar * secret, const gchar * claims_json)
{
  static const gchar header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  g_autofree gchar *h = base64url ((const guint8 *) header, strlen (header));
  g_autofree gchar *p = base64url ((const guint8 *) claims_json,
      strlen (claims_json));
  g_autofree gchar *input = g_strconcat (h, ".", p, NULL);
  g_autofree gchar *signature = NULL;
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256,
      (const guchar *) secret, strlen (secret));
  guint8 digest[32];
  gsize digest_len = sizeof (digest);

  g_hmac_update (hmac, (const guchar *) input, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);
  signature = base64url (digest, digest_len);
  return g_strconcat (input, ".", signature, NULL);
}

static gboolean
run_openssl (const gchar * dir, const gchar * const *args, GError ** error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autofree gchar *err = NULL;

  g_ptr_array_add (argv, (gpointer) "openssl");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_set_cwd (launcher, dir);
  process = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) argv->pdata, error);
  if (process == NULL)
    return FALSE;
  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, error))
    return FALSE;
  if (!g_subprocess_get_if_exited (process) ||
      g_subprocess_get_exit_status (process) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "openssl %s failed: %s",
        args[0], err);
    return FALSE;
  }
  return TRUE;
}

/**
 * rw_test_make_certificates:
 * @dir: an existing directory
 * @error: why not (no `openssl`, …)
 *
 * Makes, with `openssl`, a test CA (`ca.pem`) and a server certificate it
 * signed for 127.0.0.1 and localhost (`cert.pem`, key `key.pem`, both
 * P-256), valid for two days.
 *
 * Returns: %TRUE when the three files are there
 */
gboolean
rw_test_make_certificates (const gchar * dir, GError ** error)
{
  const gchar *ca[] = { "req", "-x509", "-newkey", "ec", "-pkeyopt",
    "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out",
    "ca.pem", "-days", "2", "-subj", "/CN=robot-webrtc test CA", NULL
  };
  const gchar *request[] = { "req", "-newkey", "ec", "-pkeyopt",
    "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem", "-out",
    "cert.csr", "-subj", "/CN=127.0.0.1", NULL
  };
  const gchar *sign[] = { "x509", "-req", "-in", "cert.csr", "-CA", "ca.pem",
    "-CAkey", "ca.key", "-CAcreateserial", "-out", "cert.pem", "-days", "2",
    "-extfile", "cert.ext", NULL
  };
  g_autofree gchar *ext = g_build_filename (dir, "cert.ext", NULL);

  if (!g_file_set_contents (ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
          "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n", -1,
          error))
    return FALSE;
  return run_openssl (dir, ca, error) && run_openssl (dir, request, error) &&
      run_openssl (dir, sign, error);
}

/**
 * rw_test_free_port:
 *
 * Returns: a TCP port on 127.0.0.1 that was free a moment ago (for servers
 * that cannot pick one themselves, such as robotwebrtcsink's)
 */
guint
rw_test_free_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback
      (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, addr, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* --- processes --- */

static gint
count_dir (const gchar * path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  gint n = 0;

  while (dir && g_dir_read_name (dir) && n < 1000000)
    n++;
  return n;
}

/**
 * rw_test_proc_counts:
 * @pid: a process id, or "self"
 * @out: (out): its memory, threads and fds, from /proc
 *
 * Returns: %TRUE if the process could be read
 */
gboolean
rw_test_proc_counts (const gchar * pid, RwTestProcCounts * out)
{
  g_autofree gchar *status_path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree gchar *task_path = g_strdup_printf ("/proc/%s/task", pid);
  g_autofree gchar *fd_path = g_strdup_printf ("/proc/%s/fd", pid);
  g_autofree gchar *status = NULL;
  const gchar *rss;

  if (!g_file_get_contents (status_path, &status, NULL, NULL))
    return FALSE;
  rss = strstr (status, "VmRSS:");
  out->rss_kb = rss ? g_ascii_strtoll (rss + 6, NULL, 10) : 0;
  out->threads = count_dir (task_path);
  out->fds = count_dir (fd_path);
  return out->rss_kb > 0 && out->threads > 0;
}

static void
drop_log (const gchar * domain, GLogLevelFlags level, const gchar * message,
    gpointer user_data)
{
}

/**
 * rw_test_quiet_gio_debug:
 *
 * In test mode every debug message is printed: this drops GIO's socket
 * chatter, unless G_MESSAGES_DEBUG asks for it.
 */
void
rw_test_quiet_gio_debug (void)
{
  if (g_getenv ("G_MESSAGES_DEBUG") == NULL)
    g_log_set_handler ("GLib-GIO", G_LOG_LEVEL_DEBUG, drop_log, NULL);
}

/* --- the daemon, asserted --- */

/**
 * rw_test_daemon_startv:
 * @args: (array zero-terminated=1): the daemon's arguments after those of
 *   rw_test_server_start()
 *
 * Starts $RW_SERVER on 127.0.0.1, failing the test if it does not print
 * its URL.
 *
 * Returns: (transfer full): the running daemon
 */
RwTestServer *
rw_test_daemon_startv (const gchar * const *args)
{
  g_autoptr (GError) error = NULL;
  RwTestServer *server = rw_test_server_start (NULL, args, 0, &error);

  g_assert_no_error (error);
  g_test_message ("server pid %s at %s", rw_test_server_get_pid (server),
      rw_test_server_get_url (server));
  return server;
}

/**
 * rw_test_daemon_start:
 * @first_arg: (nullable): the first argument, then more, then %NULL
 *
 * rw_test_daemon_startv() with its arguments listed.
 *
 * Returns: (transfer full): the running daemon
 */
RwTestServer *
rw_test_daemon_start (const gchar * first_arg, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const gchar *arg;
  va_list ap;

  va_start (ap, first_arg);
  for (arg = first_arg; arg; arg = va_arg (ap, const gchar *))
      g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return rw_test_daemon_startv ((const gchar * const *) args->pdata);
}

/* Whether a thread of @pid is named @name (as /proc shows it: 15 bytes). */
static gboolean
has_thread_named (const gchar * pid, const gchar * name)
{
  g_autofree gchar *task_path = g_strdup_printf ("/proc/%s/task", pid);
  g_autoptr (GDir) dir = g_dir_open (task_path, 0, NULL);
  const gchar *tid;

  while (dir && (tid = g_dir_read_name (dir))) {
    g_autofree gchar *path = g_build_filename (task_path, tid, "comm", NULL);
    g_autofree gchar *comm = NULL;

    if (g_file_get_contents (path, &comm, NULL, NULL) &&
        g_strcmp0 (g_strchomp (comm), name) == 0)
      return TRUE;
  }
  return FALSE;
}

/**
 * rw_test_daemon_wait_streaming:
 * @session: (nullable): a session, or %NULL for a new one
 * @server: a daemon
 * @timeout_ms: the longest wait
 *
 * The daemon prints its URL before its media pipeline runs, and answers
 * offers with 503 until it does: waits for `"status": "ok"`, and for its
 * rw-prewarm thread to end (it adds some MB, and on a loaded machine takes
 * seconds: a baseline of memory or a first negotiation wants it done),
 * failing the test after @timeout_ms.
 */
void
rw_test_daemon_wait_streaming (SoupSession * session, RwTestServer * server,
    guint timeout_ms)
{
  g_autoptr (SoupSession) own = session ? NULL : rw_test_session_new ();
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  g_autofree gchar *last = NULL;

  do {
    /* Every 50 ms, the daemon's default --rate-limit (20 per second), and
     * once it says ok only /proc is read: polling /status faster, or while
     * the prewarm runs, spent the per-address budget before the test's own
     * requests (they got 429). */
    if (g_strcmp0 (last, "ok") != 0) {
      g_autoptr (JsonNode) status =
          rw_test_get_status (session ? session : own,
          rw_test_server_get_url (server), 3000, NULL);

      g_free (last);
      last = g_strdup (status ? rw_test_json_get_string (status, "status") :
          NULL);
    }
    if (g_strcmp0 (last, "ok") == 0 &&
        !has_thread_named (rw_test_server_get_pid (server), "rw-prewarm")) {
      g_test_message ("/status says ok and webrtcbin is prewarmed %"
          G_GINT64_FORMAT " ms after the URL was printed",
          (g_get_monotonic_time () - start) / 1000);
      return;
    }
    rw_test_pump_for (50);
  } while (g_get_monotonic_time () < deadline);
  rw_test_check (FALSE, "/status is \"%s\"%s, %u ms after start", last,
      g_strcmp0 (last, "ok") == 0 ? " but webrtcbin is still being prewarmed "
      "(thread rw-prewarm)" : ", not \"ok\"", timeout_ms);
}

/**
 * rw_test_daemon_stop:
 * @server: a daemon
 * @timeout_ms: how long it may take to exit after SIGTERM
 *
 * Stops the daemon, failing the test unless it exits 0 in time without a
 * CRITICAL in its log.
 */
void
rw_test_daemon_stop (RwTestServer * server, guint timeout_ms)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *err = rw_test_server_dup_stderr (server);
  gint status = -1;
  gboolean ok;
  gint64 start = g_get_monotonic_time ();

  ok = rw_test_server_stop (server, timeout_ms, &status, &error);
  g_test_message ("server stopped in %" G_GINT64_FORMAT " ms, status %d",
      (g_get_monotonic_time () - start) / 1000, status);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (status, ==, 0);
  rw_test_check (strstr (err, "CRITICAL") == NULL,
      "the server logged a CRITICAL:\n%s", err);
}

/* promtool (Debian's prometheus package) checks the text when it is here;
 * in CI (.ci/dev puts it on PATH) it must be. */
/**
 * rw_test_promtool_check_metrics:
 * @text: a GET /metrics body
 */
void
rw_test_promtool_check_metrics (const gchar * text)
{
  g_autofree gchar *promtool = g_find_program_in_path ("promtool");
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GBytes) input = g_bytes_new (text, strlen (text));
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GError) error = NULL;

  if (promtool == NULL) {
    if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
      g_error ("promtool not found in CI (.ci/dev installs it)");
    g_test_message ("promtool not found: the text is not checked by it");
    return;
  }
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error,
      promtool, "check", "metrics", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate (process, input, NULL, &out, NULL,
          &error));
  g_assert_no_error (error);
  g_test_message ("promtool check metrics: %.*s", (gint) g_bytes_get_size (out),
      (const gchar *) g_bytes_get_data (out, NULL));
  if (g_subprocess_get_exit_status (process) != 0)
    g_error ("promtool check metrics failed: %.*s",
        (gint) g_bytes_get_size (out), (const gchar *) g_bytes_get_data (out,
            NULL));
}

/**
 * rw_test_notify_socket_new:
 * @dir: a directory of the test's own: the socket is @dir/notify
 * @watchdog_usec: the watchdog interval to announce, 0 for none
 *
 * A fake systemd: binds a datagram socket for sd_notify() and sets
 * `NOTIFY_SOCKET` (and `WATCHDOG_USEC`) to it, for this process and the
 * daemons it starts. Unset them with rw_test_notify_socket_done().
 *
 * Returns: (transfer full): the bound socket, blocking.
 */
GSocket *
rw_test_notify_socket_new (const gchar * dir, guint64 watchdog_usec)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autofree gchar *path = g_build_filename (dir, "notify", NULL);
  g_autofree gchar *usec = g_strdup_printf ("%" G_GUINT64_FORMAT,
      watchdog_usec);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_UNIX,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT, &error);

  g_assert_no_error (error);
  address = g_unix_socket_address_new (path);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  g_setenv ("NOTIFY_SOCKET", path, TRUE);
  if (watchdog_usec)
    g_setenv ("WATCHDOG_USEC", usec, TRUE);
  else
    g_unsetenv ("WATCHDOG_USEC");
  g_unsetenv ("WATCHDOG_PID");
  return socket;
}

/**
 * rw_test_notify_socket_done:
 * @socket: (transfer full): from rw_test_notify_socket_new()
 *
 * Closes it, removes its file and unsets the variables.
 */
void
rw_test_notify_socket_done (GSocket * socket)
{
  g_autoptr (GSocketAddress) address = g_socket_get_local_address (socket,
      NULL);

  g_unsetenv ("NOTIFY_SOCKET");
  g_unsetenv ("WATCHDOG_USEC");
  if (address)
    g_unlink (g_unix_socket_address_get_path (G_UNIX_SOCKET_ADDRESS (address)));
  g_object_unref (socket);
}

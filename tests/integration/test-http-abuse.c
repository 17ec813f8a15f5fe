/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* HTTP abuse against the real daemon ($RW_SERVER) on 127.0.0.1: idle
 * connections, slow requests, huge headers and bodies, and 10 000 requests
 * of garbage. Each must be answered or closed within a bound, the daemon
 * must keep serving a real WebRTC viewer (RwTestViewer), and its fds and
 * memory must come back to where they were. The clients are plain POSIX
 * sockets, so that they can send what no HTTP library would. */

#include <gst/gst.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

/* The daemon's connection limits, set short here (src/rw-http-limits.c;
 * the defaults are 10 s, 10 s and 256). Each is below its default, so a
 * limit that is not applied makes its test fail. */
/* /http-abuse/idle-connections: the silent connections are closed by the
 * idle or the request timeout, whichever comes first; they must outlast a
 * viewer joining meanwhile. (With the idle timeout alone, libsoup 3.2
 * closes about 1 in 100 only at its second expiry.) */
#define IDLE_TIMEOUT_S "5"
#define IDLE_TIMEOUT_MS 5000
#define MAX_CONNECTIONS_S "200"
#define MAX_CONNECTIONS 200
/* /http-abuse/slow-requests: a byte a second is never idle for long, so
 * only the request timeout cuts them. */
#define REQUEST_TIMEOUT_S "2"
#define REQUEST_TIMEOUT_MS 2000
#define SLOW_IDLE_TIMEOUT_S "10"
/* Timers are not CPU-bound: the same slack holds under ASan. */
#define TIMEOUT_SLACK_MS 4000

#define N_IDLE 300
#define N_GARBAGE 10000
#define N_WARMUP 300
#define N_WORKERS 4
/* A request that is complete, or whose client has half-closed, must be
 * answered or closed within this. */
#define ANSWER_BOUND_MS 5000
#define FD_SLACK 2

#if defined(__SANITIZE_ADDRESS__)
#define WITH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WITH_ASAN 1
#endif
#endif

/* How much the daemon's RSS may grow. 10 000 connections grow it by about
 * 0.4 MB; libsoup 3.2's leak of each accepted GSocket, were it not given
 * back, by 4.7 MB. Under ASan the daemon runs with a small quarantine of
 * freed memory (see main()), but ASan's allocator and shadow still grow. */
#ifdef WITH_ASAN
#define RSS_BOUND_KB (32 * 1024)
#define ASAN_QUARANTINE_MB 8
#else
#define RSS_BOUND_KB (2 * 1024)
#endif

/* --- the daemon --- */

/* a small picture: these tests are about HTTP */
#define start_server(...) rw_test_daemon_start ("--width", "320", "--height", \
    "240", __VA_ARGS__)

static guint16
server_port (RwTestServer * server)
{
  const gchar *url = rw_test_server_get_url (server);
  const gchar *colon = strrchr (url, ':');

  g_assert_nonnull (colon);
  return (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
}

static guint
count_fds (RwTestServer * server)
{
  RwTestProcCounts counts;

  g_assert_true (rw_test_proc_counts (rw_test_server_get_pid (server),
          &counts));
  return counts.fds;
}

static guint64
read_rss_kb (RwTestServer * server)
{
  RwTestProcCounts counts;

  g_assert_true (rw_test_proc_counts (rw_test_server_get_pid (server),
          &counts));
  return counts.rss_kb;
}

/* The daemon's RSS once it stops moving (at most 5 s): right after it
 * streams, its start-up work (webrtcbin's plugins and DTLS certificate,
 * made on a thread) may still add a few MB, which is no request's doing. */
static guint64
read_settled_rss_kb (RwTestServer * server)
{
  guint64 rss = read_rss_kb (server), previous;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  do {
    previous = rss;
    rw_test_pump_for (300);
    rss = read_rss_kb (server);
  } while ((rss > previous + 64 || previous > rss + 64) &&
      g_get_monotonic_time () < deadline);
  return rss;
}

static void
check_status_answers (RwTestServer * server)
{
  g_autoptr (SoupSession) session = rw_test_session_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status = NULL;
  gint64 start = g_get_monotonic_time ();

  status = rw_test_get_status (session, rw_test_server_get_url (server),
      5000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rw_test_json_get_string (status, "status"), ==, "ok");
  g_test_message ("GET /status answered in %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - start) / 1000);
}

static gboolean
viewer_decoding_or_failed (gpointer data)
{
  RwTestViewer *viewer = data;

  return rw_test_viewer_get_state (viewer) == RW_TEST_VIEWER_FAILED ||
      (rw_test_viewer_is_connected (viewer) &&
      rw_test_viewer_get_frames (viewer) > 0 &&
      rw_test_viewer_get_width (viewer) > 0);
}

static gboolean
viewer_hangup_done (gpointer data)
{
  return rw_test_viewer_is_hangup_done (data);
}

/* A real WebRTC viewer joins, decodes frames and hangs up. */
static void
check_viewer_plays (RwTestServer * server)
{
  g_autoptr (GError) error = NULL;
  RwTestViewer *viewer = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_VP8, TRUE);
  gint64 start = g_get_monotonic_time ();
  guint64 frames;

  rw_test_viewer_start (viewer, &error);
  g_assert_no_error (error);
  rw_test_pump_until (viewer_decoding_or_failed, viewer, 15000);
  rw_test_check (rw_test_viewer_is_connected (viewer) &&
      rw_test_viewer_get_frames (viewer) > 0, "the viewer does not play: "
      "state %s, HTTP %u, error: %s",
      rw_test_viewer_state_to_string (rw_test_viewer_get_state (viewer)),
      rw_test_viewer_get_offer_status (viewer),
      rw_test_viewer_get_error (viewer));
  frames = rw_test_viewer_get_frames (viewer);
  rw_test_pump_for (500);
  rw_test_check (rw_test_viewer_get_frames (viewer) > frames,
      "the viewer's frames stopped at %" G_GUINT64_FORMAT, frames);
  g_test_message ("a viewer decodes %dx%d after %" G_GINT64_FORMAT " ms",
      rw_test_viewer_get_width (viewer), rw_test_viewer_get_height (viewer),
      (g_get_monotonic_time () - start) / 1000);

  rw_test_viewer_hangup (viewer);
  rw_test_check (rw_test_pump_until (viewer_hangup_done, viewer, 5000),
      "DELETE /peers/%s not answered in 5 s", rw_test_viewer_get_peer_id
      (viewer));
  rw_test_viewer_free (viewer);
}

/* --- raw connections --- */

typedef struct
{
  gint fd;                      /* -1 once closed */
  gint64 opened;                /* monotonic, µs */
  gint64 closed;                /* when the daemon closed it; 0: open */
  GString *reply;               /* the first bytes of what came back */
} RawConn;

static gint
raw_connect (guint16 port)
{
  struct sockaddr_in address = { 0 };
  struct timeval timeout = { ANSWER_BOUND_MS / 1000, 0 };
  gint fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  address.sin_family = AF_INET;
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0) {
    gint saved = errno;

    close (fd);
    errno = saved;
    return -1;
  }
  return fd;
}

static void
raw_conn_open (RawConn * conn, guint16 port)
{
  conn->fd = raw_connect (port);
  rw_test_check (conn->fd >= 0, "connect: %s", g_strerror (errno));
  conn->opened = g_get_monotonic_time ();
  conn->closed = 0;
  conn->reply = g_string_new (NULL);
}

static void
raw_conn_clear (RawConn * conn)
{
  if (conn->fd >= 0)
    close (conn->fd);
  conn->fd = -1;
  if (conn->reply)
    g_string_free (conn->reply, TRUE);
  conn->reply = NULL;
}

/* Reads what is there without blocking; notes the close. */
static void
raw_conn_poll (RawConn * conn)
{
  gchar buf[4096];

  while (conn->fd >= 0) {
    gssize n = recv (conn->fd, buf, sizeof buf, MSG_DONTWAIT);

    if (n > 0) {
      if (conn->reply->len < 4096)
        g_string_append_len (conn->reply, buf, n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return;
    /* EOF, or ECONNRESET when the daemon closed with our data unread */
    conn->closed = g_get_monotonic_time ();
    close (conn->fd);
    conn->fd = -1;
  }
}

/* Sends all of @data unless the daemon closes first (its FIN, or an error;
 * once it closed, the kernel may still take data until its window is
 * full). */
static gboolean
raw_conn_send (RawConn * conn, const gchar * data, gsize len)
{
  while (len > 0 && conn->fd >= 0) {
    gssize n = send (conn->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    struct pollfd pfd = { conn->fd, POLLIN | POLLOUT, 0 };

    if (n > 0) {
      data += n;
      len -= n;
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return FALSE;
    if (poll (&pfd, 1, ANSWER_BOUND_MS) <= 0)
      return FALSE;
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
      raw_conn_poll (conn);
  }
  return conn->fd >= 0;
}

typedef struct
{
  RawConn *conns;
  guint n;
} ConnSet;

static guint
count_open (RawConn * conns, guint n)
{
  guint open = 0;

  for (guint i = 0; i < n; i++) {
    raw_conn_poll (&conns[i]);
    open += conns[i].fd >= 0;
  }
  return open;
}

static gboolean
all_closed (gpointer data)
{
  ConnSet *set = data;

  return count_open (set->conns, set->n) == 0;
}

/* Waits, pumping the main context, until the daemon closed each of
 * @conns; returns the longest time one was open, in ms. */
static gint64
wait_all_closed (RawConn * conns, guint n, guint timeout_ms,
    gint64 * shortest_ms)
{
  ConnSet set = { conns, n };
  gint64 longest = 0, shortest = G_MAXINT64;
  guint open;

  rw_test_pump_until (all_closed, &set, timeout_ms);
  open = count_open (conns, n);
  rw_test_check (open == 0, "%u of %u connections still open after %u ms", open,
      n, timeout_ms);
  for (guint i = 0; i < n; i++) {
    gint64 ms = (conns[i].closed - conns[i].opened) / 1000;

    longest = MAX (longest, ms);
    shortest = MIN (shortest, ms);
  }
  if (shortest_ms)
    *shortest_ms = shortest;
  return longest;
}

/* --- /http-abuse/idle-connections --- */

static void
test_idle_connections (void)
{
  g_autoptr (RwTestServer) server = start_server ("--idle-timeout",
      IDLE_TIMEOUT_S, "--request-timeout", IDLE_TIMEOUT_S,
      "--max-connections", MAX_CONNECTIONS_S, NULL);
  guint16 port = server_port (server);
  RawConn conns[N_IDLE];
  guint baseline, open, peak_fds;
  gint64 start, longest, shortest;

  rw_test_daemon_wait_streaming (NULL, server, 10000);
  baseline = count_fds (server);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < N_IDLE; i++)
    raw_conn_open (&conns[i], port);
  g_test_message ("%u idle connections opened in %" G_GINT64_FORMAT " ms",
      N_IDLE, (g_get_monotonic_time () - start) / 1000);

  /* Beyond the cap, the oldest idle ones are closed at once. */
  rw_test_pump_for (1000);
  open = count_open (conns, N_IDLE);
  peak_fds = count_fds (server);
  g_test_message ("1 s later: %u open, daemon fds %u (baseline %u)", open,
      peak_fds, baseline);
  rw_test_check (open <= MAX_CONNECTIONS, "%u connections open, more than the "
      "limit of %u", open, MAX_CONNECTIONS);
  rw_test_check (open >= MAX_CONNECTIONS - 8,
      "only %u connections open: the limit of %u closed too many", open,
      MAX_CONNECTIONS);
  rw_test_check (peak_fds <= baseline + MAX_CONNECTIONS + FD_SLACK,
      "the daemon has %u fds, baseline %u + %u connections", peak_fds,
      baseline, MAX_CONNECTIONS);
  for (guint i = 0; i < N_IDLE - MAX_CONNECTIONS; i++)
    rw_test_check (conns[i].fd < 0,
        "idle connection %u (of the oldest) is open", i);

  /* Meanwhile, the daemon serves. */
  check_status_answers (server);
  check_viewer_plays (server);
  open = count_open (conns, N_IDLE);
  g_test_message ("%u idle connections still open after the viewer played",
      open);
  rw_test_check (open >= MAX_CONNECTIONS - 16,
      "only %u idle connections were left open while the viewer played", open);

  longest = wait_all_closed (conns, N_IDLE, IDLE_TIMEOUT_MS +
      TIMEOUT_SLACK_MS, &shortest);
  g_test_message ("all closed; open %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT
      " ms", shortest, longest);
  rw_test_check (longest <= IDLE_TIMEOUT_MS + TIMEOUT_SLACK_MS, "an idle "
      "connection was open for %" G_GINT64_FORMAT " ms", longest);
  /* the newest ones, not evicted for the viewer's requests, lasted */
  for (guint i = N_IDLE - MAX_CONNECTIONS + 16; i < N_IDLE; i++) {
    gint64 ms = (conns[i].closed - conns[i].opened) / 1000;

    rw_test_check (ms >= IDLE_TIMEOUT_MS - 1000, "idle connection %u was "
        "closed after %" G_GINT64_FORMAT " ms, before the idle timeout", i, ms);
  }
  for (guint i = 0; i < N_IDLE; i++)
    raw_conn_clear (&conns[i]);

  check_status_answers (server);
  rw_test_daemon_stop (server, 5000);
}

/* --- /http-abuse/slow-requests --- */

static const gchar slow_headers[] =
    "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n"
    "Accept: */*\r\n\r\n";

static const gchar slow_body_headers[] =
    "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n";

/* One byte a second: never idle long enough for a read timeout, so only
 * the whole-request deadline cuts them. */
static void
test_slow_requests (void)
{
  g_autoptr (RwTestServer) server = start_server ("--request-timeout",
      REQUEST_TIMEOUT_S, "--idle-timeout", SLOW_IDLE_TIMEOUT_S, NULL);
  guint16 port = server_port (server);
  RawConn conns[2];
  gsize sent[2] = { 0, 0 };
  gint64 longest, shortest;
  guint open;

  rw_test_daemon_wait_streaming (NULL, server, 10000);
  raw_conn_open (&conns[0], port);
  raw_conn_open (&conns[1], port);
  g_assert_true (raw_conn_send (&conns[1], slow_body_headers,
          strlen (slow_body_headers)));

  do {
    for (guint i = 0; i < 2; i++) {
      raw_conn_poll (&conns[i]);
      if (conns[i].fd < 0)
        continue;
      if (i == 0 && sent[0] < strlen (slow_headers)) {
        raw_conn_send (&conns[0], slow_headers + sent[0], 1);
        sent[0]++;
      } else if (i == 1) {
        raw_conn_send (&conns[1], "x", 1);
        sent[1]++;
      }
    }
    rw_test_pump_for (1000);
    open = count_open (conns, 2);
  } while (open > 0 && g_get_monotonic_time () - conns[0].opened <
      (REQUEST_TIMEOUT_MS + TIMEOUT_SLACK_MS) * G_TIME_SPAN_MILLISECOND);

  longest = wait_all_closed (conns, 2, 0, &shortest);
  g_test_message ("slow headers closed after %" G_GINT64_FORMAT " ms and %"
      G_GSIZE_FORMAT " bytes, slow body after %" G_GINT64_FORMAT " ms and %"
      G_GSIZE_FORMAT " bytes", (conns[0].closed - conns[0].opened) / 1000,
      sent[0], (conns[1].closed - conns[1].opened) / 1000, sent[1]);
  rw_test_check (longest <= REQUEST_TIMEOUT_MS + TIMEOUT_SLACK_MS,
      "a slow request was open for %" G_GINT64_FORMAT " ms", longest);
  rw_test_check (shortest >= REQUEST_TIMEOUT_MS - 1000,
      "a slow request was cut after %" G_GINT64_FORMAT
      " ms, before its deadline", shortest);
  for (guint i = 0; i < 2; i++) {
    rw_test_check (!g_str_has_prefix (conns[i].reply->str, "HTTP/1.1 2"),
        "a slow request was answered: %s", conns[i].reply->str);
    raw_conn_clear (&conns[i]);
  }

  check_status_answers (server);
  rw_test_daemon_stop (server, 5000);
}

/* --- /http-abuse/huge-requests --- */

/* Sends @head then @body_len bytes (as chunks of @chunk_len when
 * @chunked); the daemon must refuse or close within the bound. Returns how
 * many bytes it took before it closed. */
static gsize
send_huge (guint16 port, const gchar * what, const gchar * head,
    gsize body_len, gboolean chunked, gboolean expect_cut)
{
  RawConn conn;
  g_autofree gchar *block = g_malloc (64 * 1024);
  gsize sent = 0;
  gint64 longest;

  memset (block, 'a', 64 * 1024);
  raw_conn_open (&conn, port);
  raw_conn_send (&conn, head, strlen (head));
  while (sent < body_len && conn.fd >= 0) {
    gsize len = MIN (64 * 1024, body_len - sent);

    if (chunked) {
      g_autofree gchar *size = g_strdup_printf ("%" G_GSIZE_MODIFIER "x\r\n",
          len);

      if (!raw_conn_send (&conn, size, strlen (size)))
        break;
    }
    if (!raw_conn_send (&conn, block, len) ||
        (chunked && !raw_conn_send (&conn, "\r\n", 2)))
      break;
    sent += len;
  }
  if (conn.fd >= 0)
    shutdown (conn.fd, SHUT_WR);

  longest = wait_all_closed (&conn, 1, ANSWER_BOUND_MS, NULL);
  g_test_message ("%s: closed after %" G_GINT64_FORMAT " ms, %" G_GSIZE_FORMAT
      " of %" G_GSIZE_FORMAT " body bytes sent, answer: %.*s", what, longest,
      sent, body_len, (gint) strcspn (conn.reply->str, "\r\n"),
      conn.reply->str);
  rw_test_check (conn.reply->len == 0
      || g_str_has_prefix (conn.reply->str, "HTTP/1.1 4"), "%s: answered %s",
      what, conn.reply->str);
  if (expect_cut)
    rw_test_check (sent < body_len, "%s: the daemon read all %" G_GSIZE_FORMAT
        " bytes", what, body_len);
  raw_conn_clear (&conn);
  return sent;
}

static void
test_huge_requests (void)
{
  g_autoptr (RwTestServer) server = start_server (NULL);
  guint16 port = server_port (server);
  g_autoptr (GString) lines = g_string_new ("GET /status HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\n");
  g_autoptr (GString) big = g_string_new ("GET /status HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\nX-Big: ");
  guint64 rss_before, rss_after;

  rw_test_daemon_wait_streaming (NULL, server, 10000);
  /* warm: the first refusals and answers allocate what they keep */
  check_status_answers (server);
  send_huge (port, "warm-up: 1 MiB body for a 413",
      "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n",
      1024 * 1024, FALSE, FALSE);
  rss_before = read_settled_rss_kb (server);

  /* 1 MiB of header lines, then one 100 KiB header */
  for (guint i = 0; lines->len < 1024 * 1024; i++)
    g_string_append_printf (lines, "X-Pad-%u: %058u\r\n", i, i);
  g_string_append (lines, "\r\n");
  send_huge (port, "1 MiB of header lines", lines->str, 0, FALSE, FALSE);
  for (guint i = 0; i < 100 * 1024; i++)
    g_string_append_c (big, 'b');
  g_string_append (big, "\r\n\r\n");
  send_huge (port, "one 100 KiB header", big->str, 0, FALSE, FALSE);

  /* Refused bodies (413, 411) are not kept, and cut beyond 1 MiB. */
  send_huge (port, "32 MiB body for a 413",
      "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n",
      32 * 1024 * 1024, FALSE, TRUE);
  send_huge (port, "32 MiB chunked body for a 411",
      "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      32 * 1024 * 1024, TRUE, TRUE);
  /* libsoup 3.2 reads "-1" as a length of -1 (fuzz-http) */
  send_huge (port, "32 MiB body after Content-Length: -1",
      "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: -1\r\n\r\n",
      32 * 1024 * 1024, FALSE, TRUE);
  send_huge (port, "32 MiB body of a GET", "GET /status HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\nContent-Length: 33554432\r\n\r\n",
      32 * 1024 * 1024, FALSE, TRUE);

  rss_after = read_rss_kb (server);
  g_test_message ("daemon RSS %" G_GUINT64_FORMAT " kB before, %"
      G_GUINT64_FORMAT " kB after", rss_before, rss_after);
  rw_test_check (rss_after < rss_before + RSS_BOUND_KB, "RSS grew from %"
      G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " kB", rss_before, rss_after);

  check_status_answers (server);
  rw_test_daemon_stop (server, 5000);
}

/* --- /http-abuse/garbage --- */

static const gchar *const bad_requests[] = {
  "\r\n\r\n",
  "GET\r\n\r\n",
  "GET /\r\n\r\n",
  "GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
  "GET / HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n",
  " / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "GET  HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "GET /status HTTP/1.1\r\n\r\n",
  "GET /%zz%00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "GET /..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "GET http://evil.example/ HTTP/1.1\r\n\r\n",
  "GET https://127.0.0.1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n: empty name\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n folded\r\n\r\n",
  "GET /status HTTP/1.0\r\n\r\n",
  "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
  "TRACE / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n\r\n",
  "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
  "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Length: 99999999999999999999999\r\n\r\n",
  "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
      "Content-Length: 6\r\n\r\nhello!",
  "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
  "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Transfer-Encoding: bogus\r\n\r\nxx",
  "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
  "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n",
  "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: 12\r\n\r\n"
      "{\"sdp\": 12}",
  "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: 33\r\n\r\n"
      "{\"sdp\": \"v=0\\r\\n\", \"type\": \"offer\"}",
  "POST /offer HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil\r\n"
      "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
  "POST /ice-candidate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: 55\r\n\r\n"
      "{\"peer_id\": \"nobody\", \"candidate\": \"x\", \"sdpMLineIndex\": 0}",
  "DELETE /peers/nobody HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "DELETE /peers/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "OPTIONS /offer HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://a\r\n"
      "Access-Control-Request-Method: POST\r\n\r\n",
  "HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
};

/* Random bytes; a bad request from the table; an absurd method; a good
 * request cut short. The client half-closes after it, so that the daemon
 * sees the end at once: it must answer or close without waiting for its
 * deadline. */
static GBytes *
make_garbage (GRand * rand)
{
  GString *s = g_string_new (NULL);
  const gchar *req;

  switch (g_rand_int_range (rand, 0, 4)) {
    case 0:
      for (gint i = g_rand_int_range (rand, 1, 2048); i > 0; i--)
        g_string_append_c (s, (gchar) g_rand_int_range (rand, 0, 256));
      break;
    case 1:
      g_string_append (s, bad_requests[g_rand_int_range (rand, 0,
                  G_N_ELEMENTS (bad_requests))]);
      break;
    case 2:
      for (gint i = g_rand_int_range (rand, 1, 200); i > 0; i--)
        g_string_append_c (s, (gchar) g_rand_int_range (rand, '!', '~' + 1));
      g_string_append (s, " /offer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          "Content-Length: 0\r\n\r\n");
      break;
    default:
      req = bad_requests[g_rand_int_range (rand, 0,
              G_N_ELEMENTS (bad_requests))];
      g_string_append_len (s, req, g_rand_int_range (rand, 1,
              strlen (req) + 1));
      break;
  }
  return g_string_free_to_bytes (s);
}

typedef struct
{
  guint index;
  guint n;
  guint16 port;
  guint32 seed;
  gint *done;
  /* results */
  guint answered;               /* got an HTTP status line */
  guint closed;                 /* closed without one */
  guint reset_by_us;
  guint failed;
  gint64 longest_us;
  gchar *first_failure;
} Worker;

static void
note_failure (Worker * w, const gchar * what, GBytes * request)
{
  gsize len;
  const gchar *data = g_bytes_get_data (request, &len);

  w->failed++;
  if (w->first_failure == NULL)
    w->first_failure = g_strdup_printf ("%s; request: %.*s", what,
        (gint) MIN (len, 200), data);
}

static gpointer
run_worker (gpointer data)
{
  Worker *w = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (w->seed);

  for (guint i = 0; i < w->n; i++) {
    g_autoptr (GBytes) request = make_garbage (rand);
    gsize len;
    const gchar *bytes = g_bytes_get_data (request, &len);
    gint64 start = g_get_monotonic_time ();
    gchar head[8], buf[1024];
    gsize got = 0;
    gint fd = raw_connect (w->port);

    if (fd < 0) {
      note_failure (w, g_strerror (errno), request);
      continue;
    }
    send (fd, bytes, len, MSG_NOSIGNAL);

    /* A few clients reset the connection instead of waiting. */
    if (g_rand_int_range (rand, 0, 50) == 0) {
      struct linger linger = { 1, 0 };

      setsockopt (fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
      close (fd);
      w->reset_by_us++;
      continue;
    }

    shutdown (fd, SHUT_WR);
    for (;;) {
      gssize n = recv (fd, buf, sizeof buf, 0);

      if (n > 0) {
        if (got < sizeof head)
          memcpy (head + got, buf, MIN ((gsize) n, sizeof head - got));
        got += n;
        continue;
      }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        note_failure (w, "neither answered nor closed in time", request);
      else if (got >= sizeof head && memcmp (head, "HTTP/1.", 7) == 0)
        w->answered++;
      else
        w->closed++;
      break;
    }
    close (fd);
    w->longest_us = MAX (w->longest_us, g_get_monotonic_time () - start);
  }
  g_atomic_int_inc (w->done);
  return NULL;
}

static gboolean
workers_done (gpointer data)
{
  return g_atomic_int_get ((gint *) data) == N_WORKERS;
}

/* @n requests over fresh connections from N_WORKERS threads; the main
 * thread pumps the main context meanwhile (it reads the daemon's log). */
static void
send_garbage (guint16 port, guint n, guint32 seed, gboolean report)
{
  Worker workers[N_WORKERS] = { 0 };
  GThread *threads[N_WORKERS];
  gint done = 0;
  guint answered = 0, closed = 0, reset = 0, failed = 0;
  gint64 longest = 0, start = g_get_monotonic_time ();
  const gchar *failure = NULL;

  for (guint i = 0; i < N_WORKERS; i++) {
    workers[i].index = i;
    workers[i].n = n / N_WORKERS + (i < n % N_WORKERS);
    workers[i].port = port;
    workers[i].seed = seed + i;
    workers[i].done = &done;
    threads[i] = g_thread_new ("garbage", run_worker, &workers[i]);
  }
  rw_test_pump_until (workers_done, &done, G_MAXUINT);
  for (guint i = 0; i < N_WORKERS; i++) {
    g_thread_join (threads[i]);
    answered += workers[i].answered;
    closed += workers[i].closed;
    reset += workers[i].reset_by_us;
    failed += workers[i].failed;
    longest = MAX (longest, workers[i].longest_us);
    if (failure == NULL)
      failure = workers[i].first_failure;
  }
  if (report)
    g_test_message ("%u requests of garbage in %" G_GINT64_FORMAT " ms: %u "
        "answered, %u closed without an answer, %u reset by the client, "
        "%u failed; the slowest took %" G_GINT64_FORMAT " ms", n,
        (g_get_monotonic_time () - start) / 1000, answered, closed, reset,
        failed, longest / 1000);
  rw_test_check (failed == 0,
      "%u of %u requests were neither answered nor closed "
      "within %u ms (seed %u), e.g. %s", failed, n, ANSWER_BOUND_MS, seed,
      failure);
  rw_test_check (longest / 1000 < ANSWER_BOUND_MS,
      "a request took %" G_GINT64_FORMAT " ms", longest / 1000);
  rw_test_check (answered > n / 4, "only %u of %u requests were answered",
      answered, n);
  for (guint i = 0; i < N_WORKERS; i++)
    g_free (workers[i].first_failure);
}

typedef struct
{
  RwTestServer *server;
  guint limit;
} FdWait;

static gboolean
fds_back (gpointer data)
{
  FdWait *wait = data;

  return count_fds (wait->server) <= wait->limit;
}

static void
test_garbage (void)
{
  /* No rate limit, so that each request reaches the routes. */
  g_autoptr (RwTestServer) server = start_server ("--rate-limit", "0",
      "--gst-debug", "rw-*:3", NULL);
  guint16 port = server_port (server);
  guint32 seed = g_test_rand_int ();
  FdWait wait = { server, 0 };
  guint fds_before, fds_after;
  guint64 rss_before, rss_after;

  rw_test_daemon_wait_streaming (NULL, server, 10000);
  g_test_message ("seed %u", seed);

  /* Warm up, so that what the daemon allocates once is in the baseline. */
  send_garbage (port, N_WARMUP, seed + 1000, FALSE);
  rw_test_pump_for (200);
  fds_before = count_fds (server);
  rss_before = read_settled_rss_kb (server);

  send_garbage (port, N_GARBAGE, seed, TRUE);

  wait.limit = fds_before + FD_SLACK;
  rw_test_pump_until (fds_back, &wait, 5000);
  fds_after = count_fds (server);
  rss_after = read_rss_kb (server);
  g_test_message ("daemon fds %u before, %u after; RSS %" G_GUINT64_FORMAT
      " kB before, %" G_GUINT64_FORMAT " kB after (+%" G_GINT64_FORMAT " kB)",
      fds_before, fds_after, rss_before, rss_after,
      (gint64) rss_after - (gint64) rss_before);
  rw_test_check (fds_after <= fds_before + FD_SLACK,
      "the daemon has %u fds, %u before the garbage", fds_after, fds_before);
  if (rss_after >= rss_before + RSS_BOUND_KB) {
    /* On a loaded machine the first round may be the one that makes the
     * daemon start another pool thread (its stack, its malloc arena); a leak
     * grows again with a second round, that does not. */
    guint64 rss_first = rss_after;

    send_garbage (port, N_GARBAGE, seed + 2000, TRUE);
    rw_test_pump_until (fds_back, &wait, 5000);
    rss_after = read_rss_kb (server);
    g_test_message ("RSS over the bound after the first round: %"
        G_GUINT64_FORMAT " kB after a second one (+%" G_GINT64_FORMAT " kB)",
        rss_after, (gint64) rss_after - (gint64) rss_first);
    rss_before = rss_first;
  }
  rw_test_check (rss_after < rss_before + RSS_BOUND_KB,
      "the daemon's RSS grew from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
      " kB (bound +%u kB)", rss_before, rss_after, RSS_BOUND_KB);

  check_status_answers (server);
  check_viewer_plays (server);
  rw_test_daemon_stop (server, 5000);
}

/* --- /http-abuse/unknown-methods --- */

#define N_METHODS 500
#define LONG_METHOD_LEN 30000
#define N_METHODS_WARMUP 20

/* A request whose method is @len random letters. */
static gchar *
random_method_request (GRand * rand, guint len)
{
  GString *s = g_string_sized_new (len + 64);

  for (guint i = 0; i < len; i++)
    g_string_append_c (s, (gchar) g_rand_int_range (rand, 'A', 'Z' + 1));
  g_string_append (s, " /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  return g_string_free (s, FALSE);
}

/* Sends @request on a new connection and waits until the daemon closed it;
 * the reply's first bytes are in @conn. */
static void
send_and_wait (RawConn * conn, guint16 port, const gchar * request)
{
  raw_conn_open (conn, port);
  raw_conn_send (conn, request, strlen (request));
  wait_all_closed (conn, 1, ANSWER_BOUND_MS, NULL);
}

/* A complete 501 with a JSON error that names no method of the request. */
static gboolean
is_json_501 (const gchar * reply)
{
  const gchar *body = strstr (reply, "\r\n\r\n");

  return g_str_has_prefix (reply, "HTTP/1.1 501 ") && body &&
      strstr (reply, "\r\nContent-Type: application/json\r\n") &&
      strstr (reply, "\r\nConnection: close\r\n") &&
      g_str_has_prefix (body + 4, "{\"error\":") &&
      g_str_has_suffix (body, "}");
}

/* libsoup 3.2 interns the method of every request it parses, for good: a
 * method the daemon does not serve must be refused before libsoup reads
 * it, or random methods grow the daemon without bound. */
static void
test_unknown_methods (void)
{
  g_autoptr (RwTestServer) server = start_server ("--request-timeout",
      REQUEST_TIMEOUT_S, "--idle-timeout", SLOW_IDLE_TIMEOUT_S, NULL);
  guint16 port = server_port (server);
  g_autoptr (GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  guint64 rss_before, rss_after;
  guint n_501 = 0;
  gchar *first_other = NULL;
  gint64 start;
  RawConn conn;

  rw_test_daemon_wait_streaming (NULL, server, 10000);
  for (guint i = 0; i < N_METHODS_WARMUP; i++) {
    g_autofree gchar *request = random_method_request (rand, LONG_METHOD_LEN);

    send_and_wait (&conn, port, request);
    raw_conn_clear (&conn);
  }
  rw_test_pump_for (200);
  rss_before = read_settled_rss_kb (server);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < N_METHODS; i++) {
    g_autofree gchar *request = random_method_request (rand, LONG_METHOD_LEN);

    send_and_wait (&conn, port, request);
    if (is_json_501 (conn.reply->str))
      n_501++;
    else if (first_other == NULL)
      first_other = g_strndup (conn.reply->str, 300);
    raw_conn_clear (&conn);
  }
  rw_test_pump_for (200);
  rss_after = read_rss_kb (server);
  g_test_message ("%u requests with a %u-letter random method in %"
      G_GINT64_FORMAT " ms: %u answered 501; daemon RSS %" G_GUINT64_FORMAT
      " kB before, %" G_GUINT64_FORMAT " kB after (+%" G_GINT64_FORMAT " kB)",
      N_METHODS, LONG_METHOD_LEN, (g_get_monotonic_time () - start) / 1000,
      n_501, rss_before, rss_after, (gint64) rss_after - (gint64) rss_before);
  rw_test_check (rss_after < rss_before + RSS_BOUND_KB, "the daemon's RSS "
      "grew from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " kB (bound +%u "
      "kB)", rss_before, rss_after, RSS_BOUND_KB);
  rw_test_check (n_501 == N_METHODS, "%u of %u random methods were not "
      "answered 501 with a JSON error, e.g.: %s", N_METHODS - n_501,
      N_METHODS, first_other);
  g_free (first_other);

  /* a short one too */
  send_and_wait (&conn, port, "FOO / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  g_test_message ("FOO: %s", conn.reply->str);
  rw_test_check (is_json_501 (conn.reply->str), "FOO / was answered: %s",
      conn.reply->str);
  rw_test_check (strstr (conn.reply->str, "FOO") == NULL, "the answer "
      "echoes the method: %s", conn.reply->str);
  raw_conn_clear (&conn);

  check_status_answers (server);
  rw_test_daemon_stop (server, 5000);
}

/* --- /http-abuse/split-method --- */

/* The method comes a byte at a time, and a request that stops in its
 * method or sends nothing is cut as any other slow one. */
static void
test_split_method (void)
{
  g_autoptr (RwTestServer) server = start_server ("--request-timeout",
      REQUEST_TIMEOUT_S, "--idle-timeout", SLOW_IDLE_TIMEOUT_S, NULL);
  guint16 port = server_port (server);
  const gchar request[] = "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const gchar *const partial[] = { "", "GE", "GET" };
  RawConn conn, slow[G_N_ELEMENTS (partial)];
  gint64 longest, shortest;
  gint one = 1;

  rw_test_daemon_wait_streaming (NULL, server, 10000);

  raw_conn_open (&conn, port);
  setsockopt (conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  for (gsize i = 0; i < strlen (request); i++) {
    rw_test_check (raw_conn_send (&conn, request + i, 1), "the daemon "
        "closed after %" G_GSIZE_FORMAT " bytes: %s", i, conn.reply->str);
    rw_test_pump_for (i < 8 ? 100 : 10);
  }
  wait_all_closed (&conn, 1, ANSWER_BOUND_MS, NULL);
  g_test_message ("GET /status a byte at a time: %.*s",
      (gint) strcspn (conn.reply->str, "\r\n"), conn.reply->str);
  rw_test_check (g_str_has_prefix (conn.reply->str, "HTTP/1.1 200 ") &&
      strstr (conn.reply->str, "\"status\":\"ok\""), "GET /status a byte at "
      "a time was answered: %s", conn.reply->str);
  raw_conn_clear (&conn);

  for (guint i = 0; i < G_N_ELEMENTS (partial); i++) {
    raw_conn_open (&slow[i], port);
    raw_conn_send (&slow[i], partial[i], strlen (partial[i]));
  }
  longest = wait_all_closed (slow, G_N_ELEMENTS (partial),
      REQUEST_TIMEOUT_MS + TIMEOUT_SLACK_MS, &shortest);
  g_test_message ("silent, 'GE' and 'GET' closed after %" G_GINT64_FORMAT
      "-%" G_GINT64_FORMAT " ms", shortest, longest);
  rw_test_check (shortest >= REQUEST_TIMEOUT_MS - 1000, "a slow request was "
      "cut after %" G_GINT64_FORMAT " ms, before its deadline", shortest);
  for (guint i = 0; i < G_N_ELEMENTS (partial); i++) {
    rw_test_check (slow[i].reply->len == 0, "'%s' was answered: %s",
        partial[i], slow[i].reply->str);
    raw_conn_clear (&slow[i]);
  }

  check_status_answers (server);
  rw_test_daemon_stop (server, 5000);
}

int
main (int argc, char *argv[])
{
#ifdef WITH_ASAN
  /* ASan keeps 256 MB of freed memory by default: the daemons started here
   * get a smaller quarantine, so that their RSS says something. (Set before
   * any thread runs.) */
  const gchar *asan = g_getenv ("ASAN_OPTIONS");
  g_autofree gchar *options = g_strdup_printf ("%s%squarantine_size_mb=%d",
      asan ? asan : "", asan && *asan ? ":" : "", ASAN_QUARANTINE_MB);

  g_setenv ("ASAN_OPTIONS", options, TRUE);
#endif
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/http-abuse/idle-connections", test_idle_connections);
  g_test_add_func ("/http-abuse/slow-requests", test_slow_requests);
  g_test_add_func ("/http-abuse/huge-requests", test_huge_requests);
  g_test_add_func ("/http-abuse/garbage", test_garbage);
  g_test_add_func ("/http-abuse/unknown-methods", test_unknown_methods);
  g_test_add_func ("/http-abuse/split-method", test_split_method);
  return g_test_run ();
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The daemon against a real coturn (Debian `coturn`, started here on
 * 127.0.0.1 with `use-auth-secret`; skipped without `turnserver`):
 * credentials minted from the shared secret give every viewer a relay
 * candidate, over UDP and TCP, and new ones after the credentials were
 * renewed while the first viewer keeps playing; a wrong secret gives none,
 * says so in the log and in /status, and shows no secret anywhere.
 * Traffic stays on loopback. */

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "rw-test-viewer.h"
#include "test-utils.h"

#define SECRET "robot-webrtc TURN test secret, 32 bytes or more"
#define WRONG_SECRET "not the TURN server's secret, 32 bytes or more"
#define LIFETIME "10"

typedef struct
{
  gchar *dir;
  gchar *secret;                /* the file */
  gchar *wrong_secret;
  guint port;
  GSubprocess *coturn;
  gboolean exited;
} Turn;

static gchar *
write_file (const gchar * dir, const gchar * name, const gchar * text,
    gint mode)
{
  g_autoptr (GError) error = NULL;
  gchar *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

/* coturn listens once its UDP port cannot be bound any more. */
static gboolean
coturn_listening (gpointer data)
{
  Turn *turn = data;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback
      (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, turn->port);

  return !g_socket_bind (socket, addr, FALSE, NULL);
}

static void
on_coturn_exit (GObject * source, GAsyncResult * result, gpointer data)
{
  Turn *turn = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  turn->exited = TRUE;
}

static gboolean
coturn_exited (gpointer data)
{
  Turn *turn = data;

  return turn->exited;
}

/* coturn goes when the test does, even when it fails half-way. */
static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
turn_start (Turn * turn)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *program = g_find_program_in_path ("turnserver");
  g_autofree gchar *conf = NULL;
  g_autofree gchar *conf_path = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;

  if (program == NULL)
    return FALSE;

  turn->dir = g_dir_make_tmp ("rw-turn-XXXXXX", &error);
  g_assert_no_error (error);
  turn->secret = write_file (turn->dir, "turn.secret", SECRET "\n", 0600);
  turn->wrong_secret = write_file (turn->dir, "wrong.secret",
      WRONG_SECRET "\n", 0600);
  turn->port = rw_test_free_port ();
  conf = g_strdup_printf ("listening-ip=127.0.0.1\nrelay-ip=127.0.0.1\n"
      "listening-port=%u\nmin-port=49152\nmax-port=65535\nrealm=rw.test\n"
      "fingerprint\nlt-cred-mech\nuse-auth-secret\nstatic-auth-secret=%s\n"
      "allow-loopback-peers\nno-tls\nno-dtls\nno-cli\n"
      "userdb=%s/turndb\npidfile=%s/turnserver.pid\nlog-file=stdout\n"
      "simple-log\n", turn->port, SECRET, turn->dir, turn->dir);
  conf_path = write_file (turn->dir, "turnserver.conf", conf, 0600);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  turn->coturn = g_subprocess_launcher_spawn (launcher, &error, program, "-c",
      conf_path, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (turn->coturn, NULL, on_coturn_exit, turn);
  rw_test_check (rw_test_pump_until (coturn_listening, turn, 5000),
      "coturn is not listening on 127.0.0.1:%u after 5 s", turn->port);
  return TRUE;
}

/* It takes a few seconds to exit on SIGTERM: then KILL. */
static void
turn_stop (Turn * turn)
{
  if (turn->coturn) {
    g_subprocess_send_signal (turn->coturn, SIGTERM);
    if (!rw_test_pump_until (coturn_exited, turn, 5000))
      g_subprocess_force_exit (turn->coturn);
    rw_test_check (rw_test_pump_until (coturn_exited, turn, 2000),
        "coturn did not exit");
    g_clear_object (&turn->coturn);
  }
  if (turn->dir) {
    g_autoptr (GDir) dir = g_dir_open (turn->dir, 0, NULL);
    const gchar *name;

    while (dir && (name = g_dir_read_name (dir))) {
      g_autofree gchar *path = g_build_filename (turn->dir, name, NULL);

      g_unlink (path);
    }
    g_rmdir (turn->dir);
  }
  g_free (turn->dir);
  g_free (turn->secret);
  g_free (turn->wrong_secret);
}

static RwTestServer *
start_daemon (Turn * turn, const gchar * transport, const gchar * secret)
{
  g_autofree gchar *uri = g_strdup_printf ("turn:127.0.0.1:%u%s", turn->port,
      transport ? transport : "");
  const gchar *args[] = { "--port", "0", "--bind", "127.0.0.1",
    "--ice-address", "127.0.0.1", "--width", "320", "--height", "240",
    "--turn-server", uri, "--turn-secret-file", secret,
    "--turn-credential-lifetime", LIFETIME, NULL
  };

  return rw_test_daemon_startv (args);
}

static gboolean
playing (gpointer viewer)
{
  return rw_test_viewer_is_done (viewer) ||
      rw_test_viewer_get_frames (viewer) > 10;
}

static RwTestViewer *
start_viewer (RwTestServer * server)
{
  g_autoptr (GError) error = NULL;
  RwTestViewer *viewer = rw_test_viewer_new (rw_test_server_get_url (server),
      RW_TEST_VIEWER_VP8, FALSE);

  g_assert_true (rw_test_viewer_start (viewer, &error));
  g_assert_no_error (error);
  rw_test_check (rw_test_pump_until (playing, viewer, 10000),
      "the viewer does not play: %s", rw_test_viewer_get_error (viewer));
  return viewer;
}

static void
stop_viewer (RwTestViewer * viewer)
{
  rw_test_viewer_hangup (viewer);
  rw_test_pump_until ((RwTestCondFunc) rw_test_viewer_is_hangup_done, viewer,
      5000);
  rw_test_viewer_free (viewer);
}

/* Neither the secret nor anything minted from it is shown. */
static void
check_no_secret (SoupSession * session, RwTestServer * server)
{
  g_autofree gchar *err = rw_test_server_dup_stderr (server);
  g_autofree gchar *out = rw_test_server_dup_stdout (server);
  g_autofree gchar *url = rw_test_url (rw_test_server_get_url (server),
      "/status");
  g_autoptr (GError) error = NULL;
  g_autoptr (RwTestResponse) response = rw_test_http_request (session, "GET",
      url, NULL, NULL, NULL, RW_TEST_HTTP_TIMEOUT_MS, &error);
  g_autofree gchar *status = NULL;

  g_assert_no_error (error);
  status = rw_test_response_dup_text (response);
  for (guint i = 0; i < 3; i++) {
    const gchar *text = i == 0 ? err : i == 1 ? out : status;

    rw_test_check (strstr (text, "TURN test secret") == NULL &&
        strstr (text, "not the TURN server") == NULL &&
        strstr (text, ":robot-webrtc") == NULL,
        "a secret or minted user name is shown:\n%s", text);
  }
}

static void
run_relay (const gchar * transport)
{
  Turn turn = { 0 };
  g_autoptr (SoupSession) session = rw_test_session_new ();
  RwTestServer *server;
  RwTestViewer *first, *second;
  g_autoptr (JsonNode) status = NULL;
  g_autoptr (GError) error = NULL;
  guint64 frames;
  gint64 last = -1;

  if (!turn_start (&turn)) {
    g_test_skip ("no turnserver (Debian package coturn)");
    return;
  }
  server = start_daemon (&turn, transport, turn.secret);
  rw_test_daemon_wait_streaming (session, server, 5000);

  first = start_viewer (server);
  rw_test_check (rw_test_wait_for_status_int (session,
          rw_test_server_get_url (server), "turn.viewers_with_relay", 1, 10000,
          &last), "viewers with a relay candidate: %" G_GINT64_FORMAT, last);
  status = rw_test_get_status (session, rw_test_server_get_url (server),
      RW_TEST_HTTP_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rw_test_json_get_string (status, "turn.state"), ==, "relay");
  g_assert_cmpstr (rw_test_json_get_string (status, "turn.credentials"), ==,
      "minted");

  /* the first credentials (valid 5 to 10 s) expire; the next viewer gets
   * new ones without a restart, and the first one goes on */
  rw_test_pump_for (11000);
  frames = rw_test_viewer_get_frames (first);
  second = start_viewer (server);
  rw_test_check (rw_test_wait_for_status_int (session,
          rw_test_server_get_url (server), "turn.viewers_with_relay", 2, 10000,
          &last), "after renewal, viewers with a relay candidate: %"
      G_GINT64_FORMAT, last);
  rw_test_pump_for (1000);
  rw_test_check (rw_test_viewer_get_frames (first) > frames + 10,
      "the first viewer stopped playing: %" G_GUINT64_FORMAT " frames, then %"
      G_GUINT64_FORMAT, frames, rw_test_viewer_get_frames (first));

  check_no_secret (session, server);
  stop_viewer (second);
  stop_viewer (first);
  rw_test_daemon_stop (server, 5000);
  rw_test_server_free (server);
  turn_stop (&turn);
}

static void
test_relay_udp (void)
{
  run_relay (NULL);
}

static void
test_relay_tcp (void)
{
  run_relay ("?transport=tcp");
}

/* A secret coturn does not know: no relay candidate, a warning naming the
 * server, /status "no-relay"; the viewer still plays directly. */
static void
test_wrong_secret (void)
{
  Turn turn = { 0 };
  g_autoptr (SoupSession) session = rw_test_session_new ();
  const gchar *needles[] = { "gave no relay candidate", NULL };
  RwTestServer *server;
  RwTestViewer *viewer;
  g_autoptr (JsonNode) status = NULL;
  g_autoptr (GError) error = NULL;
  gint64 last = -1;

  if (!turn_start (&turn)) {
    g_test_skip ("no turnserver (Debian package coturn)");
    return;
  }
  server = start_daemon (&turn, NULL, turn.wrong_secret);
  rw_test_daemon_wait_streaming (session, server, 5000);

  viewer = start_viewer (server);
  rw_test_check (rw_test_wait_for_status_int (session,
          rw_test_server_get_url (server), "turn.viewers_without_relay", 1,
          10000, &last), "viewers without a relay candidate: %"
      G_GINT64_FORMAT, last);
  status = rw_test_get_status (session, rw_test_server_get_url (server),
      RW_TEST_HTTP_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rw_test_json_get_string (status, "turn.state"), ==,
      "no-relay");
  g_assert_nonnull (rw_test_json_get_string (status, "turn.reason"));
  rw_test_check (rw_test_server_wait_for_stderr (server, needles, 5000),
      "no warning about the missing relay candidate");

  check_no_secret (session, server);
  stop_viewer (viewer);
  rw_test_daemon_stop (server, 5000);
  rw_test_server_free (server);
  turn_stop (&turn);
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/turn/relay-udp", test_relay_udp);
  g_test_add_func ("/turn/relay-tcp", test_relay_tcp);
  g_test_add_func ("/turn/wrong-secret", test_wrong_secret);

  return g_test_run ();
}

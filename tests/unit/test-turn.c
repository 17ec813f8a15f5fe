/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The TURN server and its credentials: TURN REST known answers (made with
 * `printf %s USER | openssl dgst -sha1 -hmac SECRET -binary | base64`),
 * renewal windows, the URI webrtcbin gets, secret files, and what /status
 * shows. */

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "rw-error.h"
#include "rw-config.h"
#include "rw-turn.h"

#define SECRET "0123456789abcdef0123456789abcdef"

static void
test_rest_known_answers (void)
{
  static const struct
  {
    const gchar *username, *password;
  } vectors[] = {
    {"1700000000:robot-webrtc", "g+0XNDwLNKpvg6kszjcf4XTP4Eo="},
    {"1700086400:robot-alpha", "tFYIJlah9g7IRZk3gjIoRsSwMJQ="},
    {"1700000015:lab/robot+1=x", "M3eanGjQEfGhf+PTJW6lmSOCpNQ="},
  };

  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++) {
    g_autofree gchar *password = rw_turn_rest_password ((const guint8 *)
        SECRET, strlen (SECRET), vectors[i].username);

    g_assert_cmpstr (password, ==, vectors[i].password);
  }
  {
    g_autofree gchar *username = rw_turn_rest_username (1700000000,
        "robot-webrtc");

    g_assert_cmpstr (username, ==, "1700000000:robot-webrtc");
  }
}

/* Windows of half the lifetime; valid at least half the lifetime. */
static void
test_rest_expiry (void)
{
  g_assert_cmpint (rw_turn_rest_expiry (1700000000, 30), ==, 1700000025);
  g_assert_cmpint (rw_turn_rest_expiry (1700000007, 30), ==, 1700000025);
  g_assert_cmpint (rw_turn_rest_expiry (1700000009, 30), ==, 1700000025);
  g_assert_cmpint (rw_turn_rest_expiry (1700000010, 30), ==, 1700000040);
  g_assert_cmpint (rw_turn_rest_expiry (1700000000, 86400), ==, 1700049600);

  for (gint64 now = 1700000000; now < 1700000100; now++) {
    gint64 expiry = rw_turn_rest_expiry (now, 31);

    g_assert_cmpint (expiry - now, >=, 15);
    g_assert_cmpint (expiry - now, <=, 31);
  }
}

static RwTurn *
secret_turn (const gchar * uri, const gchar * name, guint lifetime)
{
  g_autoptr (GError) error = NULL;
  RwTurn *turn = rw_turn_new_with_secret (uri, (const guint8 *) SECRET,
      strlen (SECRET), name, lifetime, &error);

  g_assert_no_error (error);
  g_assert_nonnull (turn);
  return turn;
}

static void
test_minted (void)
{
  g_autoptr (RwTurn) turn = secret_turn ("turn:turn.example.org?transport=tcp",
      "lab/robot+1=x", 30);
  g_autofree gchar *user = NULL;
  g_autofree gchar *password = NULL;
  g_autofree gchar *uri = NULL;
  g_autofree gchar *renewed = NULL;

  g_assert_true (rw_turn_has_secret (turn));
  g_assert_cmpstr (rw_turn_get_server (turn), ==,
      "turn:turn.example.org:3478?transport=tcp");
  g_assert_cmpint (rw_turn_get_credentials (turn, 1700000000, &user,
          &password), ==, 1700000025);
  g_assert_cmpstr (user, ==, "1700000025:lab/robot+1=x");
  g_assert_cmpstr (password, ==, "B+UXJqTA5TVk6w/5GncrJNgxb1A=");

  /* : / + = escaped for webrtcbin */
  uri = rw_turn_get_uri (turn, 1700000000);
  g_assert_cmpstr (uri, ==, "turn://1700000025%3Alab%2Frobot%2B1%3Dx:"
      "B%2BUXJqTA5TVk6w%2F5GncrJNgxb1A%3D@turn.example.org:3478"
      "?transport=tcp");

  /* renewed in the next window, without anything else happening */
  renewed = rw_turn_get_uri (turn, 1700000010);
  g_assert_cmpstr (renewed, ==, "turn://1700000040%3Alab%2Frobot%2B1%3Dx:"
      "eUcqBaviiTuswdbe22jhYfKYt0k%3D@turn.example.org:3478?transport=tcp");
}

static void
test_minted_default_lifetime (void)
{
  g_autoptr (RwTurn) turn = secret_turn ("turns:[2001:db8::1]",
      RW_TURN_DEFAULT_NAME, RW_TURN_DEFAULT_LIFETIME);
  g_autofree gchar *uri = rw_turn_get_uri (turn, 1700000000);

  g_assert_cmpstr (rw_turn_get_server (turn), ==, "turns:[2001:db8::1]:5349");
  g_assert_cmpstr (uri, ==, "turns://1700049600%3Arobot-webrtc:"
      "GJJ05OPElV8OqpQHuGLcCNNJUhE%3D@[2001:db8::1]:5349");
}

static void
test_static (void)
{
  static const struct
  {
    const gchar *uri, *user, *password, *server, *webrtcbin;
  } cases[] = {
    /* separate credentials, any characters */
    {"turn:turn.example.org:3478", "user:x", "p/+= w@rd",
          "turn:turn.example.org:3478",
        "turn://user%3Ax:p%2F%2B%3D%20w%40rd@turn.example.org:3478"},
    {"turn://10.0.0.1?transport=udp", "u", "p", "turn:10.0.0.1:3478"
          "?transport=udp", "turn://u:p@10.0.0.1:3478?transport=udp"},
    /* the old form: escaped credentials in the URI */
    {"turn://us%3Aer:pa%2Fss@turn.example.org:3479", NULL, NULL,
          "turn:turn.example.org:3479",
        "turn://us%3Aer:pa%2Fss@turn.example.org:3479"},
    {"turns://robot:robotpass@turn.example.org", NULL, NULL,
        "turns:turn.example.org:5349", "turns://robot:robotpass@"
          "turn.example.org:5349"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RwTurn) turn = rw_turn_new (cases[i].uri, cases[i].user,
        cases[i].password, &error);
    g_autofree gchar *uri = NULL;
    g_autofree gchar *user = NULL;
    g_autofree gchar *password = NULL;

    g_assert_no_error (error);
    g_assert_false (rw_turn_has_secret (turn));
    g_assert_cmpstr (rw_turn_get_server (turn), ==, cases[i].server);
    uri = rw_turn_get_uri (turn, 1700000000);
    g_assert_cmpstr (uri, ==, cases[i].webrtcbin);
    g_assert_cmpint (rw_turn_get_credentials (turn, 1700000000, &user,
            &password), ==, 0);
  }
}

static void
test_bad_uris (void)
{
  static const struct
  {
    const gchar *uri, *message;
  } cases[] = {
    {"stun:turn.example.org", "turn-server must start with turn: or turns:"},
    {"turn:", "turn-server has no host"},
    {"turn://:3478", "turn-server has no host"},
    {"turn:host:0", "port must be between 1 and 65535"},
    {"turn:host:70000", "turn-server is not a valid URI"},
    {"turn:host:port", "turn-server is not a valid URI"},
    {"turn:host:3478/path", "nothing after the port"},
    {"turn:host:3478?transport=sctp", "the only parameter is"},
    {"turns:host:3478?transport=udp", "turns: is TLS over TCP"},
    {"turn://us:er:pa/ss@host:3478", "not a valid URI"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RwTurn) turn = rw_turn_new (cases[i].uri, "u", "p", &error);

    g_test_message ("%s", cases[i].uri);
    g_assert_null (turn);
    g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
    if (strstr (error->message, cases[i].message) == NULL)
      g_error ("'%s' does not contain '%s'", error->message, cases[i].message);
  }
}

static gchar *
write_secret (const gchar * contents, gint mode)
{
  g_autoptr (GError) error = NULL;
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("rw-turn-XXXXXX.secret", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

static void
test_secret_file (void)
{
  g_autofree gchar *good = write_secret (SECRET "\n", 0600);
  g_autofree gchar *open_file = write_secret (SECRET "\n", 0644);
  g_autofree gchar *short_secret = write_secret ("S\n", 0600);
  g_autoptr (RwConfig) config = rw_config_new ();
  g_autoptr (RwTurn) turn = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *user = NULL;
  g_autofree gchar *password = NULL;

  /* no TURN server: none, and no error */
  g_assert_true (rw_config_new_turn (config, &turn, &error));
  g_assert_null (turn);

  config->turn_server = g_strdup ("turn:127.0.0.1:3478");
  config->turn_secret_file = g_strdup (good);
  config->turn_credential_lifetime = 30;
  g_assert_true (rw_config_new_turn (config, &turn, &error));
  g_assert_no_error (error);
  rw_turn_get_credentials (turn, 1700000000, &user, &password);
  g_assert_cmpstr (user, ==, "1700000025:robot-webrtc");
  g_assert_cmpstr (password, ==, "KVVjpf79rK8TzmHaJdFCLLeFav8=");
  g_clear_object (&turn);

  g_free (config->turn_secret_file);
  config->turn_secret_file = g_strdup (open_file);
  g_assert_false (rw_config_new_turn (config, &turn, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "turn-secret-file"));
  g_assert_nonnull (strstr (error->message, "chmod 600"));
  g_assert_null (strstr (error->message, SECRET));
  g_clear_error (&error);

  g_free (config->turn_secret_file);
  config->turn_secret_file = g_strdup (short_secret);
  g_assert_false (rw_config_new_turn (config, &turn, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "the secret has 1 bytes"));
  g_clear_error (&error);

  g_free (config->turn_secret_file);
  config->turn_secret_file = g_strdup ("/nonexistent/turn.secret");
  g_assert_false (rw_config_new_turn (config, &turn, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT);

  g_unlink (good);
  g_unlink (open_file);
  g_unlink (short_secret);
}

static gchar *
status_of (RwTurn * turn)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  rw_turn_add_status (turn, builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* The first viewer without a relay candidate is said at once, then at
 * most once a minute; /status shows the latest state and no credential. */
static void
test_gathering_reports (void)
{
  g_autoptr (RwTurn) turn = secret_turn ("turn:127.0.0.1:3478", "robot-x", 600);
  g_autofree gchar *before = status_of (turn);
  g_autofree gchar *after = NULL;
  g_autofree gchar *user = NULL;
  g_autofree gchar *password = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_nonnull (strstr (before, "\"state\":\"unknown\""));
  g_assert_nonnull (strstr (before, "\"credentials\":\"minted\""));

  g_assert_false (rw_turn_report_gathering (turn, TRUE, 1000));
  g_assert_true (rw_turn_report_gathering (turn, FALSE, 1001));
  g_assert_false (rw_turn_report_gathering (turn, FALSE, 1002));
  g_assert_false (rw_turn_report_gathering (turn, FALSE, 1060));
  g_assert_true (rw_turn_report_gathering (turn, FALSE, 1061));

  after = status_of (turn);
  g_assert_nonnull (strstr (after, "\"server\":\"turn:127.0.0.1:3478\""));
  g_assert_nonnull (strstr (after, "\"state\":\"no-relay\""));
  g_assert_nonnull (strstr (after, "\"reason\":"));
  g_assert_nonnull (strstr (after, "\"viewers_with_relay\":1"));
  g_assert_nonnull (strstr (after, "\"viewers_without_relay\":4"));

  /* nothing secret in it: neither the secret nor what is minted now */
  rw_turn_get_credentials (turn, now, &user, &password);
  g_assert_null (strstr (after, SECRET));
  g_assert_null (strstr (after, user));
  g_assert_null (strstr (after, password));
  g_assert_null (strstr (after, "robot-x"));

  g_assert_false (rw_turn_report_gathering (turn, TRUE, 1062));
  g_clear_pointer (&after, g_free);
  after = status_of (turn);
  g_assert_nonnull (strstr (after, "\"state\":\"relay\""));
  g_assert_null (strstr (after, "\"reason\":"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/turn/rest/known-answers", test_rest_known_answers);
  g_test_add_func ("/turn/rest/expiry", test_rest_expiry);
  g_test_add_func ("/turn/minted", test_minted);
  g_test_add_func ("/turn/minted/default-lifetime",
      test_minted_default_lifetime);
  g_test_add_func ("/turn/static", test_static);
  g_test_add_func ("/turn/bad-uris", test_bad_uris);
  g_test_add_func ("/turn/secret-file", test_secret_file);
  g_test_add_func ("/turn/gathering-reports", test_gathering_reports);

  return g_test_run ();
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Asserts @cond, failing with a message that says what went wrong (a
 * printf format and its arguments). */
#define rw_test_check(cond, ...) G_STMT_START {                             \
    if (G_LIKELY (cond)) ; else {                                         \
      g_autofree gchar *_msg = g_strdup_printf (__VA_ARGS__);             \
      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,   \
          _msg);                                                          \
    }                                                                     \
  } G_STMT_END

/* --- main-context pumping --- */

typedef gboolean (*RwTestCondFunc) (gpointer data);

gboolean rw_test_pump_until (RwTestCondFunc cond, gpointer data,
    guint timeout_ms);
void rw_test_pump_for (guint ms);

/* --- the daemon as a subprocess --- */

#define RW_TEST_SERVER_START_TIMEOUT_MS 10000

typedef struct _RwTestServer RwTestServer;

RwTestServer *rw_test_server_start (const gchar * binary,
    const gchar * const *extra_args, guint timeout_ms, GError ** error);
RwTestServer *rw_test_server_spawn (const gchar * binary,
    const gchar * const *extra_args, GError ** error);
RwTestServer *rw_test_process_start (const gchar * const *argv,
    guint timeout_ms, GError ** error);
gboolean rw_test_server_stop (RwTestServer * server, guint timeout_ms,
    gint * exit_status, GError ** error);
gboolean rw_test_server_stop_with (RwTestServer * server, gint signum,
    guint timeout_ms, gint * exit_status, GError ** error);
void rw_test_server_free (RwTestServer * server);

const gchar *rw_test_server_get_url (RwTestServer * server);
const gchar *rw_test_server_get_pid (RwTestServer * server);
gboolean rw_test_server_is_running (RwTestServer * server);
gint64 rw_test_server_get_exit_time (RwTestServer * server);
gchar *rw_test_server_dup_stdout (RwTestServer * server);
gchar *rw_test_server_dup_stderr (RwTestServer * server);
gboolean rw_test_server_wait_for_stderr (RwTestServer * server,
    const gchar * const *needles, guint timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwTestServer, rw_test_server_free);

RwTestServer *rw_test_daemon_startv (const gchar * const *args);
RwTestServer *rw_test_daemon_start (const gchar * first_arg,
    ...) G_GNUC_NULL_TERMINATED;
void rw_test_daemon_wait_streaming (SoupSession * session,
    RwTestServer * server, guint timeout_ms);
void rw_test_daemon_stop (RwTestServer * server, guint timeout_ms);

/* --- HTTP --- */

#define RW_TEST_HTTP_TIMEOUT_MS 10000

/**
 * RwTestResponse:
 * @status: the HTTP status
 * @headers: the response headers
 * @body: the response body
 * @json: (nullable): the body parsed as JSON, if it is JSON
 */
typedef struct
{
  guint status;
  SoupMessageHeaders *headers;
  GBytes *body;
  JsonNode *json;
} RwTestResponse;

void rw_test_response_free (RwTestResponse * response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwTestResponse, rw_test_response_free);

SoupSession *rw_test_session_new (void);

RwTestResponse *rw_test_http_request (SoupSession * session,
    const gchar * method, const gchar * url,
    const gchar * const *request_headers, const gchar * content_type,
    GBytes * body, guint timeout_ms, GError ** error);
RwTestResponse *rw_test_http_request_chunked (SoupSession * session,
    const gchar * method, const gchar * url, const gchar * content_type,
    GBytes * body, guint timeout_ms, GError ** error);

const gchar *rw_test_response_get_content_type (RwTestResponse * response);
const gchar *rw_test_response_get_error (RwTestResponse * response);
gchar *rw_test_response_dup_text (RwTestResponse * response);

JsonNode *rw_test_get_status (SoupSession * session, const gchar * base_url,
    guint timeout_ms, GError ** error);
gint64 rw_test_json_get_int (JsonNode * node, const gchar * path,
    gint64 fallback);
const gchar *rw_test_json_get_string (JsonNode * node, const gchar * path);
gboolean rw_test_json_get_boolean (JsonNode * node, const gchar * path);
gboolean rw_test_wait_for_status_int (SoupSession * session,
    const gchar * base_url, const gchar * path, gint64 expected,
    guint timeout_ms, gint64 * last);

gchar *rw_test_url (const gchar * base_url, const gchar * path);

/* --- security --- */

gchar *rw_test_mint_token (const gchar * secret, const gchar * claims_json);
gboolean rw_test_make_certificates (const gchar * dir, GError ** error);

guint rw_test_free_port (void);

/* --- processes --- */

/**
 * RwTestProcCounts:
 * @rss_kb: resident memory (VmRSS), KiB
 * @threads: threads
 * @fds: open file descriptors
 */
typedef struct
{
  gint64 rss_kb;
  gint threads;
  gint fds;
} RwTestProcCounts;

gboolean rw_test_proc_counts (const gchar * pid, RwTestProcCounts * out);
void rw_test_quiet_gio_debug (void);

void rw_test_promtool_check_metrics (const gchar * text);

GSocket *rw_test_notify_socket_new (const gchar * dir,
    guint64 watchdog_usec);
void rw_test_notify_socket_done (GSocket * socket);

G_END_DECLS

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-publish
 * @title: RwPublish
 * @short_description: one stream sent once to a WHIP endpoint (an SFU)
 *
 * A publish is the WHIP client of RFC 9725 for one stream: a branch of the
 * stream's tees like a viewer's (rw_viewer_new_offerer()), whose webrtcbin
 * makes the offer. The offer, complete with our ICE candidates, is POSTed
 * to the endpoint (`application/sdp`, `Authorization: Bearer` from the
 * token file); the `201 Created` carries the answer and, in `Location`, the
 * session's resource, which is DELETEd when the publish stops, when a
 * reload removes it, when the daemon exits, and before each retry. ICE
 * servers in the 201's `Link: <…>; rel="ice-server"` headers are used from
 * the next attempt on. No candidate is trickled (the offer has them all).
 *
 * Any failure (the endpoint unreachable, refusing, answering without
 * `Location` or with something that is not an answer to our offer, ICE or
 * DTLS failing, the SFU's RTCP stopping for RW_VIEWER_RTCP_TIMEOUT_S, as
 * when the SFU dies: webrtcbin 1.22 has no consent freshness) logs a warning
 * naming the publish and the reason, and the publish tries again after
 * 0.5 s, doubling to 30 s; a `Retry-After` longer than that is honoured (up
 * to 30 s). The wait starts from 0.5 s again once a connection has been
 * live for RESET_AFTER_LIVE_US. The stream's viewers are not touched: the
 * publish only adds and removes its own branch, like a viewer, and its
 * keyframe requests (the SFU's PLI and FIR) go through the stream's merged,
 * rate-limited path.
 *
 * Everything runs on the main context the publish was started on.
 */

#include "config.h"

#include "rw-publish.h"
#include "rw-error.h"
#include "rw-private.h"
#include "rw-turn.h"

#include <libsoup/soup.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rw_publish_debug);
#define GST_CAT_DEFAULT rw_publish_debug

/* The endpoint's answer, and each read of it, must come within this. */
#define HTTP_TIMEOUT_S 10
/* The DELETE when the process exits: it must not hold up the exit long. */
#define EXIT_DELETE_TIMEOUT_S 2
/* ICE and DTLS after the answer. */
#define CONNECT_TIMEOUT_US (15 * G_USEC_PER_SEC)
#define CHECK_INTERVAL_MS 500
#define RESET_AFTER_LIVE_US (10 * G_USEC_PER_SEC)
/* How much of a refusal's body goes into the log and /status. */
#define MAX_ERROR_BODY 200
#define MAX_ANSWER (256 * 1024)

struct _RwPublish
{
  GObject parent;

  RwPublishConfig *config;
  RwConfig *settings;           /* ICE: the robot's, with the publish's own */
  RwTurn *turn;                 /* the robot's or the publish's; NULL: none */
  RwTurn *link_turn;            /* from the last 201's Link headers */
  gchar *link_stun;             /* likewise */
  RwPublishJoinFunc join;
  gpointer host;

  GMainContext *context;
  SoupSession *session;
  GCancellable *cancellable;    /* the current attempt's */
  RwPublishState state;
  RwViewer *viewer;             /* the current attempt's branch */
  GPtrArray *leaving;           /* RwViewer: branches still leaving */
  gchar *resource;              /* the current session's URL, absolute */
  GSource *retry;
  GSource *check;
  guint backoff_ms;
  guint retry_after_ms;         /* the endpoint's Retry-After, once */
  gint64 next_try;              /* monotonic */
  gint64 attempt_started;       /* monotonic */
  gint64 live_since;            /* real time; 0: not live */
  gint64 live_monotonic;
  guint attempts;
  guint failures;
  gchar *last_error;
  guint serial;
  gboolean deleting;            /* a DELETE is in flight */
  gboolean retry_due;           /* the retry waits for that DELETE */
};

G_DEFINE_FINAL_TYPE (RwPublish, rw_publish, G_TYPE_OBJECT);

static void
rw_publish_dispose (GObject * object)
{
  RwPublish *self = RW_PUBLISH (object);

  rw_publish_stop (self, TRUE);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (rw_publish_parent_class)->dispose (object);
}

static void
rw_publish_finalize (GObject * object)
{
  RwPublish *self = RW_PUBLISH (object);

  rw_publish_config_free (self->config);
  rw_config_free (self->settings);
  g_clear_object (&self->turn);
  g_clear_object (&self->link_turn);
  g_free (self->link_stun);
  g_ptr_array_unref (self->leaving);
  g_free (self->last_error);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (rw_publish_parent_class)->finalize (object);
}

static void
rw_publish_class_init (RwPublishClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_publish_dispose;
  object_class->finalize = rw_publish_finalize;

  GST_DEBUG_CATEGORY_INIT (rw_publish_debug, "rw-publish", 0,
      "robot-webrtc WHIP publishing");
}

static void
rw_publish_init (RwPublish * self)
{
  self->context = g_main_context_ref_thread_default ();
  self->leaving = g_ptr_array_new_with_free_func (g_object_unref);
  self->backoff_ms = RW_PUBLISH_BACKOFF_FIRST_MS;
}

/* The ICE settings a publish's webrtcbin gets: the robot's, with the
 * publish's own STUN server and addresses over them. */
static RwConfig *
make_settings (const RwPublishConfig * config, const RwConfig * robot)
{
  RwConfig *settings = rw_config_new ();

  settings->stun_server = g_strdup (config->stun_server ?
      config->stun_server : robot->stun_server);
  settings->ice_addresses = g_strdupv (config->ice_addresses ?
      config->ice_addresses : robot->ice_addresses);
  settings->ice_tcp = robot->ice_tcp;
  settings->min_rtp_port = robot->min_rtp_port;
  settings->max_rtp_port = robot->max_rtp_port;
  settings->public_address = g_strdup (robot->public_address);
  settings->retransmissions = robot->retransmissions;
  /* SFUs take NACK; RED/ULPFEC from a publisher they may not */
  settings->fec_percentage = 0;
  return settings;
}

/**
 * rw_publish_new:
 * @config: the publish
 * @settings: the robot's ICE settings
 * @turn: (nullable): the robot's TURN server, used unless @config has one
 * @join: makes the branch for each attempt
 * @host: for @join
 *
 * Returns: (transfer full): a stopped publish; rw_publish_start() starts
 *   it on the thread-default main context it was made on.
 */
RwPublish *
rw_publish_new (const RwPublishConfig * config, const RwConfig * settings,
    RwTurn * turn, RwPublishJoinFunc join, gpointer host)
{
  RwPublish *self = g_object_new (RW_TYPE_PUBLISH, NULL);
  g_autoptr (GError) error = NULL;

  self->config = rw_publish_config_copy (config);
  self->settings = make_settings (config, settings);
  self->join = join;
  self->host = host;
  if (config->turn_server) {
    self->turn = rw_turn_new (config->turn_server, config->turn_user,
        config->turn_password, &error);
    if (self->turn == NULL)
      g_warning ("publish %s: turn-server: %s", config->name, error->message);
  } else if (turn) {
    self->turn = g_object_ref (turn);
  }
  return self;
}

/* --- the endpoint's answers --- */

static gchar *
body_excerpt (GBytes * body)
{
  gsize size = 0;
  const gchar *data = body ? g_bytes_get_data (body, &size) : NULL;
  g_autofree gchar *text = NULL;

  if (size == 0)
    return g_strdup ("");
  text = g_strndup (data, MIN (size, MAX_ERROR_BODY));
  g_strdelimit (text, "\r\n\t", ' ');
  if (!g_utf8_validate (text, -1, NULL))
    return g_strdup ("");
  return g_strdup_printf (": %s%s", g_strstrip (text), size > MAX_ERROR_BODY ?
      "…" : "");
}

static void
replace_str (gchar ** field, const gchar * value)
{
  gchar *copy = g_strdup (value);

  g_free (*field);
  *field = copy;
}

/* One `<uri>; param="value"; …` of a Link header. */
typedef struct
{
  gchar *uri;
  gboolean ice_server;
  gchar *username;
  gchar *credential;
} Link;

static void
link_clear (Link * link)
{
  g_free (link->uri);
  g_free (link->username);
  if (link->credential)
    memset (link->credential, 0, strlen (link->credential));
  g_free (link->credential);
  memset (link, 0, sizeof (*link));
}

/* Parses one link, from @p; returns where the next one starts (after a
 * comma outside quotes and brackets), or NULL at the end. */
static const gchar *
parse_link (const gchar * p, Link * link)
{
  const gchar *end;

  while (*p == ' ' || *p == ',')
    p++;
  if (*p != '<')
    goto skip;
  end = strchr (p, '>');
  if (end == NULL)
    return NULL;
  link->uri = g_strndup (p + 1, end - p - 1);
  p = end + 1;

  while (*p) {
    g_autofree gchar *key = NULL;
    g_autofree gchar *value = NULL;

    while (*p == ' ' || *p == ';')
      p++;
    if (*p == ',' || *p == '\0')
      break;
    end = p + strcspn (p, "=;,");
    key = g_strstrip (g_strndup (p, end - p));
    p = end;
    if (*p == '=') {
      p++;
      while (*p == ' ')
        p++;
      if (*p == '"') {
        end = strchr (p + 1, '"');
        if (end == NULL)
          return NULL;
        value = g_strndup (p + 1, end - p - 1);
        p = end + 1;
      } else {
        end = p + strcspn (p, ";,");
        value = g_strstrip (g_strndup (p, end - p));
        p = end;
      }
    }
    if (g_ascii_strcasecmp (key, "rel") == 0 && value &&
        g_ascii_strcasecmp (value, "ice-server") == 0)
      link->ice_server = TRUE;
    else if (g_ascii_strcasecmp (key, "username") == 0 && value)
      replace_str (&link->username, value);
    else if (g_ascii_strcasecmp (key, "credential") == 0 && value)
      replace_str (&link->credential, value);
  }
skip:
  end = strchr (p, ',');
  return end ? end + 1 : NULL;
}

/* The 201's ICE servers (RFC 9725 §4.6), for the next attempts: the first
 * STUN and the first TURN server that webrtcbin can use. */
static void
take_ice_servers (RwPublish * self, SoupMessageHeaders * headers)
{
  const gchar *value = soup_message_headers_get_list (headers, "Link");
  const gchar *p = value;
  g_autofree gchar *stun = NULL;
  g_autoptr (RwTurn) turn = NULL;

  while (p && *p) {
    Link link = { 0 };

    p = parse_link (p, &link);
    if (!link.ice_server || link.uri == NULL) {
      link_clear (&link);
      continue;
    }
    if (g_str_has_prefix (link.uri, "stun:") && stun == NULL) {
      const gchar *rest = link.uri + strlen ("stun:");

      stun = g_strconcat ("stun://", g_str_has_prefix (rest, "//") ?
          rest + 2 : rest, NULL);
    } else if ((g_str_has_prefix (link.uri, "turn:") ||
            g_str_has_prefix (link.uri, "turns:")) && turn == NULL) {
      g_autoptr (GError) error = NULL;

      turn = rw_turn_new (link.uri, link.username, link.credential, &error);
      if (turn == NULL)
        GST_INFO ("publish %s: ignoring the ice-server %s: %s",
            self->config->name, link.uri, error->message);
    }
    link_clear (&link);
  }

  if (stun || turn)
    GST_INFO ("publish %s: the endpoint named %s%s%s for the next attempts",
        self->config->name, stun ? stun : "", stun && turn ? " and " : "",
        turn ? rw_turn_get_server (turn) : "");
  g_free (self->link_stun);
  self->link_stun = g_steal_pointer (&stun);
  g_clear_object (&self->link_turn);
  self->link_turn = g_steal_pointer (&turn);
}

/* Is @answer an answer to our offer: as many m-lines, of the same kinds,
 * each with ICE credentials and a DTLS fingerprint? webrtcbin must never
 * see less. */
static gboolean
check_answer (const GstSDPMessage * answer, const GstSDPMessage * offer,
    GError ** error)
{
  guint n = gst_sdp_message_medias_len (offer);

  if (gst_sdp_message_medias_len (answer) != n) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the answer has %u "
        "m-lines, our offer %u", gst_sdp_message_medias_len (answer), n);
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    const GstSDPMedia *a = gst_sdp_message_get_media (answer, i);
    const GstSDPMedia *o = gst_sdp_message_get_media (offer, i);
    const gchar *ufrag = gst_sdp_media_get_attribute_val (a, "ice-ufrag");
    const gchar *fingerprint = gst_sdp_media_get_attribute_val (a,
        "fingerprint");

    if (ufrag == NULL)
      ufrag = gst_sdp_message_get_attribute_val (answer, "ice-ufrag");
    if (fingerprint == NULL)
      fingerprint = gst_sdp_message_get_attribute_val (answer, "fingerprint");
    if (g_strcmp0 (gst_sdp_media_get_media (a), gst_sdp_media_get_media (o))
        != 0) {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the answer's "
          "m-line %u is %s, our offer's %s", i, gst_sdp_media_get_media (a),
          gst_sdp_media_get_media (o));
      return FALSE;
    }
    if (gst_sdp_media_get_port (a) != 0 && (ufrag == NULL ||
            fingerprint == NULL)) {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the answer's "
          "m-line %u has no %s", i, ufrag ? "a=fingerprint" : "a=ice-ufrag");
      return FALSE;
    }
  }
  if (n == 0 || gst_sdp_media_get_port (gst_sdp_message_get_media (answer,
              0)) == 0) {
    g_set_error_literal (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "the answer rejects the video");
    return FALSE;
  }
  return TRUE;
}

/* --- attempts --- */

static void attempt (RwPublish * self);
static void send_delete (RwPublish * self, gboolean now);

static void
set_state (RwPublish * self, RwPublishState state)
{
  if (self->state == state)
    return;
  GST_DEBUG ("publish %s: %s -> %s", self->config->name,
      rw_publish_state_to_string (self->state),
      rw_publish_state_to_string (state));
  self->state = state;
}

static void
destroy_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

static GSource *
add_timeout (RwPublish * self, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

static void
on_branch_left (RwViewer * viewer, gpointer user_data)
{
  RwPublish *self = user_data;

  g_signal_handlers_disconnect_by_data (viewer, self);
  g_ptr_array_remove (self->leaving, viewer);
}

/* The current branch leaves the tees (at once when the media stopped). */
static void
drop_viewer (RwPublish * self, gboolean now)
{
  g_autoptr (RwViewer) viewer = g_steal_pointer (&self->viewer);

  if (viewer == NULL)
    return;
  g_signal_handlers_disconnect_by_data (viewer, self);
  if (now)
    rw_viewer_leave_now (viewer);
  else
    rw_viewer_leave (viewer);
  if (!rw_viewer_has_left (viewer)) {
    g_ptr_array_add (self->leaving, g_object_ref (viewer));
    g_signal_connect (viewer, "left", G_CALLBACK (on_branch_left), self);
  }
}

/* Ends the current attempt: no callback of it acts any more. */
static void
end_attempt (RwPublish * self, gboolean now)
{
  if (self->cancellable) {
    g_cancellable_cancel (self->cancellable);
    g_clear_object (&self->cancellable);
  }
  destroy_source (&self->check);
  drop_viewer (self, now);
  if (self->resource)
    send_delete (self, now);
  self->live_since = 0;
}

static gboolean
retry_due (gpointer user_data)
{
  RwPublish *self = user_data;

  g_clear_pointer (&self->retry, g_source_unref);
  if (self->deleting) {
    self->retry_due = TRUE;     /* once the old session is gone */
    return G_SOURCE_REMOVE;
  }
  attempt (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (RwPublish * self, guint ms)
{
  destroy_source (&self->retry);
  self->next_try = g_get_monotonic_time () + (gint64) ms *1000;
  self->retry = add_timeout (self, ms, retry_due);
}

/* The attempt failed: why, in the log and /status, and the next one. */
static void
fail (RwPublish * self, const gchar * reason)
{
  guint wait;

  if (self->state == RW_PUBLISH_STOPPED)
    return;
  if (self->live_since && g_get_monotonic_time () - self->live_monotonic >=
      RESET_AFTER_LIVE_US)
    self->backoff_ms = RW_PUBLISH_BACKOFF_FIRST_MS;
  wait = MAX (self->backoff_ms, self->retry_after_ms);
  self->retry_after_ms = 0;
  self->backoff_ms = MIN (self->backoff_ms * 2, RW_PUBLISH_BACKOFF_MAX_MS);
  self->failures++;
  replace_str (&self->last_error, reason);

  g_warning ("publish %s to %s: %s; trying again in %.1f s",
      self->config->name, self->config->url, reason, wait / 1000.0);
  end_attempt (self, FALSE);
  set_state (self, RW_PUBLISH_RETRYING);
  schedule_retry (self, wait);
}

static void
fail_with_error (RwPublish * self, const gchar * what, const GError * error)
{
  g_autofree gchar *reason = g_strdup_printf ("%s: %s", what, error->message);

  fail (self, reason);
}

static gboolean
check_connection (gpointer user_data)
{
  RwPublish *self = user_data;
  gint64 now = g_get_monotonic_time ();
  const gchar *reason;

  if (self->viewer == NULL)
    return G_SOURCE_CONTINUE;
  if (self->state == RW_PUBLISH_CONNECTING &&
      now - self->attempt_started > CONNECT_TIMEOUT_US) {
    fail (self, "ICE and DTLS did not connect within 15 s");
    return G_SOURCE_CONTINUE;
  }
  reason = rw_viewer_check_liveness (self->viewer, now);
  if (reason) {
    g_autofree gchar *why = g_strdup_printf ("the SFU went silent: %s",
        reason);

    fail (self, why);
  }
  return G_SOURCE_CONTINUE;
}

static void
on_connected (RwViewer * viewer, gpointer user_data)
{
  RwPublish *self = user_data;

  self->live_since = g_get_real_time ();
  self->live_monotonic = g_get_monotonic_time ();
  set_state (self, RW_PUBLISH_LIVE);
  g_clear_pointer (&self->last_error, g_free);
  g_message ("publish %s: live at %s (attempt %u, %" G_GINT64_FORMAT
      " ms)", self->config->name, self->config->url, self->attempts,
      (self->live_monotonic - self->attempt_started) / 1000);
}

static void
on_closed (RwViewer * viewer, const gchar * reason, gpointer user_data)
{
  fail (user_data, reason);
}

/* Each callback of an attempt holds the publish and the attempt's
 * cancellable: a cancelled attempt's callback does nothing. */
typedef struct
{
  RwPublish *publish;
  GCancellable *cancellable;
  GstSDPMessage *offer;
} Step;

static Step *
step_new (RwPublish * self)
{
  Step *step = g_new0 (Step, 1);

  step->publish = g_object_ref (self);
  step->cancellable = g_object_ref (self->cancellable);
  return step;
}

static void
step_free (Step * step)
{
  g_object_unref (step->publish);
  g_object_unref (step->cancellable);
  if (step->offer)
    gst_sdp_message_free (step->offer);
  g_free (step);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Step, step_free);

static void
on_answer_set (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_autoptr (Step) step = user_data;
  g_autoptr (GError) error = NULL;

  if (!rw_viewer_accept_answer_finish (RW_VIEWER (source), result, &error) &&
      !g_cancellable_is_cancelled (step->cancellable))
    fail_with_error (step->publish, "webrtcbin refused the answer", error);
}

/* Retry-After in seconds (RFC 9110 §10.2.3; a date is not worth it here). */
static guint
retry_after_ms (SoupMessageHeaders * headers)
{
  const gchar *value = soup_message_headers_get_one (headers, "Retry-After");
  guint64 seconds;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, 3600,
          &seconds, NULL))
    return 0;
  return MIN (seconds * 1000, RW_PUBLISH_BACKOFF_MAX_MS);
}

static void
on_posted (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_autoptr (Step) step = user_data;
  RwPublish *self = step->publish;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION
      (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GUri) location_uri = NULL;
  g_autofree gchar *text = NULL;
  GstSDPMessage *answer = NULL;
  SoupMessageHeaders *headers;
  const gchar *location, *type;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &error);
  if (g_cancellable_is_cancelled (step->cancellable))
    return;
  if (body == NULL) {
    fail_with_error (self, "the WHIP endpoint did not answer", error);
    return;
  }

  status = soup_message_get_status (msg);
  headers = soup_message_get_response_headers (msg);
  if (status != SOUP_STATUS_CREATED) {
    g_autofree gchar *excerpt = body_excerpt (body);
    g_autofree gchar *reason = g_strdup_printf ("the WHIP endpoint answered "
        "%u %s%s", status, soup_message_get_reason_phrase (msg), excerpt);

    self->retry_after_ms = retry_after_ms (headers);
    fail (self, reason);
    return;
  }

  /* the session exists from now on: it is deleted whatever follows */
  location = soup_message_headers_get_one (headers, "Location");
  if (location)
    location_uri = g_uri_parse_relative (soup_message_get_uri (msg), location,
        G_URI_FLAGS_NONE, NULL);
  if (location_uri == NULL) {
    fail (self, location ? "the WHIP endpoint's 201 has a Location that is "
        "not a URL" : "the WHIP endpoint's 201 has no Location header");
    return;
  }
  self->resource = g_uri_to_string (location_uri);
  take_ice_servers (self, headers);

  type = soup_message_headers_get_content_type (headers, NULL);
  if (g_strcmp0 (type, "application/sdp") != 0) {
    g_autofree gchar *reason = g_strdup_printf ("the WHIP endpoint's 201 "
        "is %s, not application/sdp", type ? type : "without a Content-Type");

    fail (self, reason);
    return;
  }
  if (g_bytes_get_size (body) > MAX_ANSWER) {
    fail (self, "the WHIP endpoint's answer is too large");
    return;
  }
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (gst_sdp_message_new_from_text (text, &answer) != GST_SDP_OK) {
    fail (self, "the WHIP endpoint's answer is not SDP");
    return;
  }
  if (!check_answer (answer, step->offer, &error)) {
    gst_sdp_message_free (answer);
    fail_with_error (self, "the WHIP endpoint's answer does not answer our "
        "offer", error);
    return;
  }
  GST_DEBUG ("publish %s: answer\n%s", self->config->name, text);
  rw_viewer_accept_answer_async (self->viewer, answer, step->cancellable,
      on_answer_set, step_new (self));
}

/* webrtcbin's max-bundle offer rejects every m-line but the first (port 0,
 * a=bundle-only: RFC 9143 §7.2.1), which SFUs (Janus) read as rejected.
 * The offer as browsers make it instead: port 9 in the BUNDLE group. The
 * answer then bundles them on the first m-line's transport, as webrtcbin
 * expects. */
static void
open_bundle_only (GstSDPMessage * offer)
{
  for (guint i = 1; i < gst_sdp_message_medias_len (offer); i++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (offer, i);

    for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++) {
      if (g_strcmp0 (gst_sdp_media_get_attribute (media, a)->key,
              "bundle-only") != 0)
        continue;
      gst_sdp_media_remove_attribute (media, a);
      if (gst_sdp_media_get_port (media) == 0)
        gst_sdp_media_set_port_info (media, 9, 0);
      break;
    }
  }
}

static void
on_offer (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_autoptr (Step) step = user_data;
  RwPublish *self = step->publish;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL;
  g_autofree gchar *token = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  gsize length;
  Step *next;

  offer = rw_viewer_offer_finish (RW_VIEWER (source), result, &error);
  if (g_cancellable_is_cancelled (step->cancellable))
    return;
  if (offer == NULL) {
    fail_with_error (self, "no offer", error);
    return;
  }
  if (self->config->token_file) {
    token = rw_publish_config_read_token (self->config, &error);
    if (token == NULL) {
      fail_with_error (self, "token-file", error);
      return;
    }
  }

  msg = soup_message_new ("POST", self->config->url);
  if (msg == NULL) {
    fail (self, "the url is not a valid HTTP URL");
    return;
  }
  if (token) {
    g_autofree gchar *value = g_strconcat ("Bearer ", token, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", value);
    memset (value, 0, strlen (value));
    memset (token, 0, strlen (token));
  }
  length = strlen (offer);
  next = step_new (self);
  if (gst_sdp_message_new_from_text (offer, &next->offer) != GST_SDP_OK) {
    step_free (next);
    fail (self, "webrtcbin made an offer that does not parse");
    return;
  }
  open_bundle_only (next->offer);
  g_free (offer);
  offer = gst_sdp_message_as_text (next->offer);
  length = strlen (offer);
  body = g_bytes_new_take (g_steal_pointer (&offer), length);
  soup_message_set_request_body_from_bytes (msg, "application/sdp", body);
  GST_DEBUG ("publish %s: POST %s", self->config->name, self->config->url);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
      step->cancellable, on_posted, next);
}

static void
attempt (RwPublish * self)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *id = NULL;
  RwTurn *turn = self->link_turn ? self->link_turn : self->turn;

  self->attempts++;
  self->attempt_started = g_get_monotonic_time ();
  set_state (self, RW_PUBLISH_CONNECTING);
  self->cancellable = g_cancellable_new ();
  g_free (self->settings->stun_server);
  self->settings->stun_server = g_strdup (self->config->stun_server ?
      self->config->stun_server : self->link_stun);

  id = g_strdup_printf ("publish-%s-%u", self->config->name, ++self->serial);
  self->viewer = self->join (self->host, id, self->settings, turn,
      self->config->audio, &error);
  if (self->viewer == NULL) {
    fail_with_error (self, "no branch of the stream", error);
    return;
  }
  g_signal_connect (self->viewer, "connected", G_CALLBACK (on_connected), self);
  g_signal_connect (self->viewer, "closed", G_CALLBACK (on_closed), self);
  self->check = add_timeout (self, CHECK_INTERVAL_MS, check_connection);
  GST_INFO ("publish %s: attempt %u", self->config->name, self->attempts);
  rw_viewer_offer_async (self->viewer, self->cancellable, on_offer,
      step_new (self));
}

/* --- DELETE --- */

static void
on_deleted (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_autoptr (RwPublish) self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION
      (source), result);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &error);
  if (body == NULL)
    GST_INFO ("publish %s: DELETE failed: %s", self->config->name,
        error->message);
  else
    GST_INFO ("publish %s: DELETE answered %u", self->config->name,
        soup_message_get_status (msg));
  self->deleting = FALSE;
  if (self->retry_due) {
    self->retry_due = FALSE;
    if (self->state == RW_PUBLISH_RETRYING)
      attempt (self);
  }
}

static SoupMessage *
new_delete (RwPublish * self, const gchar * resource)
{
  SoupMessage *msg = soup_message_new ("DELETE", resource);
  g_autofree gchar *token = NULL;

  if (msg && self->config->token_file)
    token = rw_publish_config_read_token (self->config, NULL);
  if (token) {
    g_autofree gchar *value = g_strconcat ("Bearer ", token, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", value);
    memset (value, 0, strlen (value));
    memset (token, 0, strlen (token));
  }
  return msg;
}

/* Ends the session at the endpoint: in the background, or, when @now (the
 * process is leaving), before returning, for at most
 * EXIT_DELETE_TIMEOUT_S. */
static void
send_delete (RwPublish * self, gboolean now)
{
  g_autofree gchar *resource = g_steal_pointer (&self->resource);
  g_autoptr (SoupMessage) msg = new_delete (self, resource);
  g_autoptr (GError) error = NULL;

  if (msg == NULL)
    return;
  GST_INFO ("publish %s: DELETE %s", self->config->name, resource);
  if (now) {
    g_autoptr (SoupSession) session = soup_session_new_with_options
        ("timeout", EXIT_DELETE_TIMEOUT_S, NULL);
    g_autoptr (GBytes) body = soup_session_send_and_read (session, msg, NULL,
        &error);

    if (body == NULL)
      g_message ("publish %s: could not end the session at %s: %s",
          self->config->name, resource, error->message);
    return;
  }
  self->deleting = TRUE;
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
      NULL, on_deleted, g_object_ref (self));
}

/* --- control --- */

/**
 * rw_publish_start:
 * @self: a stopped publish
 *
 * Starts publishing, now and after every failure, until rw_publish_stop().
 * Call it on the context it was made on.
 */
void
rw_publish_start (RwPublish * self)
{
  g_return_if_fail (RW_IS_PUBLISH (self));
  rw_assert_context (self->context);

  if (self->state != RW_PUBLISH_STOPPED)
    return;
  if (self->session == NULL)
    self->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S,
        "user-agent", "robot-webrtc/" PACKAGE_VERSION, NULL);
  self->backoff_ms = RW_PUBLISH_BACKOFF_FIRST_MS;
  g_message ("publish %s: sending stream %s to %s", self->config->name,
      self->config->stream ? self->config->stream : "(the first)",
      self->config->url);
  attempt (self);
}

/**
 * rw_publish_stop:
 * @self: a publish
 * @now: the media is stopping or the process leaving: the branch leaves at
 *   once and the endpoint's session is deleted before this returns
 *
 * Stops publishing and ends the session at the endpoint.
 */
void
rw_publish_stop (RwPublish * self, gboolean now)
{
  g_return_if_fail (RW_IS_PUBLISH (self));

  if (self->state == RW_PUBLISH_STOPPED && self->viewer == NULL &&
      self->resource == NULL)
    return;
  destroy_source (&self->retry);
  self->retry_due = FALSE;
  set_state (self, RW_PUBLISH_STOPPED);
  end_attempt (self, now);
  if (now) {
    while (self->leaving->len > 0) {
      RwViewer *viewer = g_ptr_array_index (self->leaving, 0);

      rw_viewer_leave_now (viewer);
      if (self->leaving->len > 0 && g_ptr_array_index (self->leaving, 0) ==
          viewer)
        on_branch_left (viewer, self);
    }
  }
  g_message ("publish %s: stopped", self->config->name);
}

/* --- accessors --- */

/**
 * rw_publish_get_config:
 * @self: a publish
 *
 * Returns: (transfer none): what it publishes, and where.
 */
const RwPublishConfig *
rw_publish_get_config (RwPublish * self)
{
  return self->config;
}

/**
 * rw_publish_get_state:
 * @self: a publish
 *
 * Returns: its state.
 */
RwPublishState
rw_publish_get_state (RwPublish * self)
{
  return self->state;
}

/**
 * rw_publish_state_to_string:
 * @state: a state
 *
 * Returns: (transfer none): its name in /status.
 */
const gchar *
rw_publish_state_to_string (RwPublishState state)
{
  switch (state) {
    case RW_PUBLISH_STOPPED:
      return "stopped";
    case RW_PUBLISH_CONNECTING:
      return "connecting";
    case RW_PUBLISH_LIVE:
      return "live";
    case RW_PUBLISH_RETRYING:
      return "retrying";
  }
  return "unknown";
}

/* The endpoint's URL without its query: a token may hide there. */
static gchar *
public_url (const gchar * url)
{
  g_autoptr (GUri) uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  if (uri == NULL)
    return NULL;
  return g_uri_join (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL,
      g_uri_get_host (uri), g_uri_get_port (uri), g_uri_get_path (uri), NULL,
      NULL);
}

static void
add_string (JsonBuilder * builder, const gchar * name, const gchar * value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/**
 * rw_publish_add_status:
 * @self: a publish
 * @builder: where to add its object
 *
 * Adds `{"name", "stream", "url", "state", "attempts", "failures",
 * "last_error", "retry_in_ms", "live_since", "resource", "connection"}`
 * (`connection`: the branch as `/status` shows a viewer, or `null`).
 */
void
rw_publish_add_status (RwPublish * self, JsonBuilder * builder)
{
  g_autofree gchar *url = public_url (self->config->url);
  g_autofree gchar *resource = public_url (self->resource);

  json_builder_begin_object (builder);
  add_string (builder, "name", self->config->name);
  add_string (builder, "stream", self->config->stream);
  add_string (builder, "url", url);
  add_string (builder, "state", rw_publish_state_to_string (self->state));
  json_builder_set_member_name (builder, "attempts");
  json_builder_add_int_value (builder, self->attempts);
  json_builder_set_member_name (builder, "failures");
  json_builder_add_int_value (builder, self->failures);
  add_string (builder, "last_error", self->last_error);
  json_builder_set_member_name (builder, "retry_in_ms");
  if (self->state == RW_PUBLISH_RETRYING)
    json_builder_add_int_value (builder, MAX (0, (self->next_try -
                g_get_monotonic_time ()) / 1000));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "live_since");
  if (self->live_since) {
    g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc
        (self->live_since / G_USEC_PER_SEC);
    g_autofree gchar *iso = g_date_time_format_iso8601 (dt);

    json_builder_add_string_value (builder, iso);
  } else {
    json_builder_add_null_value (builder);
  }
  add_string (builder, "resource", resource);
  json_builder_set_member_name (builder, "connection");
  if (self->viewer)
    rw_viewer_add_status (self->viewer, builder);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

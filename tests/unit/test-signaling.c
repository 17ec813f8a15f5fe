/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The JSON bodies of the signaling protocol: what is accepted, and that
 * every malformed body is refused with an error naming what is wrong. */

#include <json-glib/json-glib.h>
#include <string.h>

#include "rw-error.h"
#include "rw-signaling.h"

static GBytes *
bytes (const gchar * text)
{
  return g_bytes_new (text, strlen (text));
}

static void
test_offer_ok (void)
{
  g_autoptr (GBytes) body =
      bytes ("{\"sdp\": \"v=0\\r\\n\", \"type\": \"offer\", \"extra\": 1}");
  g_auto (RwOfferRequest) req = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (rw_signaling_parse_offer (body, &req, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (req.sdp, ==, "v=0\r\n");
}

static void
test_offer_bad (void)
{
  static const struct
  {
    const gchar *body;
    const gchar *message_part;
  } cases[] = {
    {"", "empty"},
    {"{", "not valid JSON"},
    {"{\"sdp\": \"x\", \"type\": \"offer\"", "not valid JSON"},
    {"[]", "JSON object"},
    {"\"offer\"", "JSON object"},
    {"null", "JSON object"},
    {"{\"type\": \"offer\"}", "missing member 'sdp'"},
    {"{\"sdp\": \"x\"}", "missing member 'type'"},
    {"{\"sdp\": 5, \"type\": \"offer\"}", "'sdp' must be a string"},
    {"{\"sdp\": null, \"type\": \"offer\"}", "'sdp' must be a string"},
    {"{\"sdp\": \"x\", \"type\": \"answer\"}", "must be \"offer\""},
    {"{\"sdp\": \"x\", \"type\": [\"offer\"]}", "'type' must be a string"},
    {"{\"sdp\": \"x\", \"type\": \"\xff\xfe\"}", "UTF-8"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GBytes) body = bytes (cases[i].body);
    g_auto (RwOfferRequest) req = { 0 };
    g_autoptr (GError) error = NULL;

    g_test_message ("offer case %u", i);
    g_assert_false (rw_signaling_parse_offer (body, &req, &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST);
    if (strstr (error->message, cases[i].message_part) == NULL)
      g_error ("'%s' does not contain '%s'", error->message,
          cases[i].message_part);
    g_assert_null (req.sdp);
  }

  g_assert_false (rw_signaling_parse_offer (NULL, &(RwOfferRequest) {
          0}
          , NULL));
}

static void
test_candidate_ok (void)
{
  static const struct
  {
    const gchar *body;
    const gchar *candidate;
    guint mline;
  } cases[] = {
    {"{\"peer_id\": \"p\", \"candidate\": \"candidate:1 1 udp 1 1.2.3.4 5 typ "
          "host\", \"sdpMid\": \"0\", \"sdpMLineIndex\": 0}",
        "candidate:1 1 udp 1 1.2.3.4 5 typ host", 0},
    {"{\"peer_id\": \"p\", \"candidate\": \"c\", \"sdpMLineIndex\": 2}", "c",
        2},
    {"{\"peer_id\": \"p\", \"candidate\": null}", NULL, 0},
    {"{\"peer_id\": \"p\", \"candidate\": \"\"}", "", 0},
    {"{\"peer_id\": \"p\"}", NULL, 0},
    {"{\"peer_id\": \"p\", \"candidate\": \"c\", \"sdpMid\": null, "
          "\"sdpMLineIndex\": null}", "c", 0},
    /* RTCIceCandidate.toJSON() as the candidate */
    {"{\"peer_id\": \"p\", \"candidate\": {\"candidate\": \"c\", \"sdpMid\": "
          "\"1\", \"sdpMLineIndex\": 1, \"usernameFragment\": \"u\"}}", "c", 1},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GBytes) body = bytes (cases[i].body);
    g_auto (RwCandidateRequest) req = { 0 };
    g_autoptr (GError) error = NULL;

    g_test_message ("body: %s", cases[i].body);
    g_assert_true (rw_signaling_parse_candidate (body, &req, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (req.peer_id, ==, "p");
    g_assert_cmpstr (req.candidate, ==, cases[i].candidate);
    g_assert_cmpuint (req.mline, ==, cases[i].mline);
  }
}

static void
test_candidate_bad (void)
{
  static const struct
  {
    const gchar *body;
    const gchar *message_part;
  } cases[] = {
    {"{\"candidate\": \"c\"}", "missing member 'peer_id'"},
    {"{\"peer_id\": 1, \"candidate\": \"c\"}", "'peer_id' must be a string"},
    {"{\"peer_id\": \"p\", \"candidate\": 5}", "'candidate' must be"},
    {"{\"peer_id\": \"p\", \"candidate\": [\"c\"]}", "'candidate' must be"},
    {"{\"peer_id\": \"p\", \"candidate\": \"c\", \"sdpMLineIndex\": \"0\"}",
        "'sdpMLineIndex' must be an integer"},
    {"{\"peer_id\": \"p\", \"candidate\": \"c\", \"sdpMLineIndex\": 0.5}",
        "'sdpMLineIndex' must be an integer"},
    {"{\"peer_id\": \"p\", \"candidate\": \"c\", \"sdpMLineIndex\": -1}",
        "between 0 and 255"},
    {"{\"peer_id\": \"p\", \"candidate\": \"c\", \"sdpMLineIndex\": "
          "99999999999}", "between 0 and 255"},
    {"{\"peer_id\": \"p\", \"candidate\": {\"candidate\": 3}}",
        "in 'candidate': member 'candidate'"},
    {"{\"peer_id\": \"p\", \"sdpMid\": 3}", "'sdpMid' must be"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GBytes) body = bytes (cases[i].body);
    g_auto (RwCandidateRequest) req = { 0 };
    g_autoptr (GError) error = NULL;

    g_test_message ("body: %s", cases[i].body);
    g_assert_false (rw_signaling_parse_candidate (body, &req, &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST);
    if (strstr (error->message, cases[i].message_part) == NULL)
      g_error ("'%s' does not contain '%s'", error->message,
          cases[i].message_part);
  }
}

static void
test_replies (void)
{
  g_autofree gchar *answer =
      rw_signaling_answer_to_json ("v=0\r\n\"quoted\"", "id-1");
  g_autofree gchar *error = rw_signaling_error_to_json ("bad \"thing\"\n");
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *object;

  g_assert_true (json_parser_load_from_data (parser, answer, -1, NULL));
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "sdp"), ==,
      "v=0\r\n\"quoted\"");
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==,
      "answer");
  g_assert_cmpstr (json_object_get_string_member (object, "peer_id"), ==,
      "id-1");

  g_assert_true (json_parser_load_from_data (parser, error, -1, NULL));
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpuint (json_object_get_size (object), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "error"), ==,
      "bad \"thing\"\n");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/signaling/offer/ok", test_offer_ok);
  g_test_add_func ("/signaling/offer/bad", test_offer_bad);
  g_test_add_func ("/signaling/candidate/ok", test_candidate_ok);
  g_test_add_func ("/signaling/candidate/bad", test_candidate_bad);
  g_test_add_func ("/signaling/replies", test_replies);

  return g_test_run ();
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-signaling
 * @title: Signaling messages
 * @short_description: the JSON bodies of the HTTP signaling protocol
 *
 * Each message type is a table of members with the JSON types they may
 * have and whether they are required; one function checks a body against a
 * table, so every malformed message gets an error that names the member.
 */

#include "rw-signaling.h"
#include "rw-error.h"

#include <json-glib/json-glib.h>

typedef enum
{
  T_STRING = 1 << 0,
  T_INT = 1 << 1,
  T_OBJECT = 1 << 2,
  T_NULL = 1 << 3,
} MemberType;

typedef struct
{
  const gchar *name;
  MemberType types;
  gboolean required;
} MemberSpec;

static const MemberSpec offer_spec[] = {
  {"sdp", T_STRING, TRUE},
  {"type", T_STRING, TRUE},
  {"stream", T_STRING | T_NULL, FALSE},
  {NULL}
};

static const MemberSpec candidate_spec[] = {
  {"peer_id", T_STRING, TRUE},
  {"candidate", T_STRING | T_OBJECT | T_NULL, FALSE},
  {"sdpMid", T_STRING | T_NULL, FALSE},
  {"sdpMLineIndex", T_INT | T_NULL, FALSE},
  {NULL}
};

static const MemberSpec candidate_init_spec[] = {
  {"candidate", T_STRING | T_NULL, FALSE},
  {"sdpMid", T_STRING | T_NULL, FALSE},
  {"sdpMLineIndex", T_INT | T_NULL, FALSE},
  {NULL}
};

static MemberType
node_type (JsonNode * node)
{
  if (JSON_NODE_HOLDS_NULL (node))
    return T_NULL;
  if (JSON_NODE_HOLDS_OBJECT (node))
    return T_OBJECT;
  if (JSON_NODE_HOLDS_VALUE (node)) {
    GType type = json_node_get_value_type (node);

    if (type == G_TYPE_STRING)
      return T_STRING;
    if (type == G_TYPE_INT64)
      return T_INT;
  }
  return 0;
}

static const gchar *
type_names (MemberType types)
{
  switch ((gint) types) {
    case T_STRING:
      return "a string";
    case T_STRING | T_NULL:
      return "a string or null";
    case T_INT | T_NULL:
      return "an integer or null";
    case T_STRING | T_OBJECT | T_NULL:
      return "a string, an object or null";
    default:
      return "of another type";
  }
}

static gboolean
check_object (JsonObject * object, const MemberSpec * spec, GError ** error)
{
  for (const MemberSpec * m = spec; m->name; m++) {
    JsonNode *node = json_object_get_member (object, m->name);

    if (node == NULL) {
      if (!m->required)
        continue;
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
          "missing member '%s'", m->name);
      return FALSE;
    }
    if (!(node_type (node) & m->types)) {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
          "member '%s' must be %s", m->name, type_names (m->types));
      return FALSE;
    }
  }
  return TRUE;
}

static JsonNode *
parse_object (GBytes * body, const MemberSpec * spec, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) parse_error = NULL;
  gsize size = 0;
  const gchar *data = body ? g_bytes_get_data (body, &size) : NULL;
  JsonNode *root;

  if (size == 0) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "the request body is empty; expected a JSON object");
    return NULL;
  }
  if (!g_utf8_validate (data, size, NULL)) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "the request body is not UTF-8 text");
    return NULL;
  }
  if (!json_parser_load_from_data (parser, data, size, &parse_error)) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "the request body is not valid JSON: %s", parse_error->message);
    return NULL;
  }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "the request body must be a JSON object");
    return NULL;
  }
  if (!check_object (json_node_get_object (root), spec, error))
    return NULL;

  return json_node_ref (root);
}

static const gchar *
nullable_string (JsonObject * object, const gchar * member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_string (node) :
      NULL;
}

void
rw_offer_request_clear (RwOfferRequest * req)
{
  g_clear_pointer (&req->sdp, g_free);
  g_clear_pointer (&req->stream, g_free);
}

void
rw_candidate_request_clear (RwCandidateRequest * req)
{
  g_clear_pointer (&req->peer_id, g_free);
  g_clear_pointer (&req->candidate, g_free);
}

/**
 * rw_signaling_parse_offer:
 * @body: the request body
 * @req: (out caller-allocates): the offer
 * @error: where to say what is wrong with the body
 *
 * Returns: %TRUE if @body is `{"sdp": string, "type": "offer"}`, with an
 * optional `"stream": string or null`.
 */
gboolean
rw_signaling_parse_offer (GBytes * body, RwOfferRequest * req, GError ** error)
{
  g_autoptr (JsonNode) root = parse_object (body, offer_spec, error);
  JsonObject *object;
  const gchar *type;

  if (root == NULL)
    return FALSE;

  object = json_node_get_object (root);
  type = json_object_get_string_member (object, "type");
  if (g_strcmp0 (type, "offer") != 0) {
    g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
        "member 'type' must be \"offer\", got \"%s\"", type);
    return FALSE;
  }

  req->sdp = g_strdup (json_object_get_string_member (object, "sdp"));
  req->stream = g_strdup (nullable_string (object, "stream"));
  return TRUE;
}

/**
 * rw_signaling_parse_candidate:
 * @body: the request body
 * @req: (out caller-allocates): the candidate
 * @error: where to say what is wrong with the body
 *
 * Accepts `{"peer_id", "candidate", "sdpMid", "sdpMLineIndex"}` where
 * candidate is a string, null, or an RTCIceCandidate's toJSON() object.
 *
 * Returns: %TRUE if @body is a candidate message.
 */
gboolean
rw_signaling_parse_candidate (GBytes * body, RwCandidateRequest * req,
    GError ** error)
{
  g_autoptr (JsonNode) root = parse_object (body, candidate_spec, error);
  JsonObject *object, *fields;
  JsonNode *candidate, *index;
  gint64 mline = 0;

  if (root == NULL)
    return FALSE;

  object = fields = json_node_get_object (root);
  candidate = json_object_get_member (object, "candidate");
  if (candidate && JSON_NODE_HOLDS_OBJECT (candidate)) {
    fields = json_node_get_object (candidate);
    if (!check_object (fields, candidate_init_spec, error)) {
      g_prefix_error (error, "in 'candidate': ");
      return FALSE;
    }
  }

  index = json_object_get_member (fields, "sdpMLineIndex");
  if (index == NULL && fields != object)
    index = json_object_get_member (object, "sdpMLineIndex");
  if (index && !JSON_NODE_HOLDS_NULL (index)) {
    mline = json_node_get_int (index);
    if (mline < 0 || mline > 255) {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
          "member 'sdpMLineIndex' must be between 0 and 255, got %"
          G_GINT64_FORMAT, mline);
      return FALSE;
    }
  }

  req->peer_id = g_strdup (json_object_get_string_member (object, "peer_id"));
  req->candidate = g_strdup (nullable_string (fields, "candidate"));
  req->mline = (guint) mline;
  return TRUE;
}

static gchar *
object_to_json (JsonBuilder * builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

/**
 * rw_signaling_answer_to_json:
 * @sdp: the answer's SDP text
 * @peer_id: the session's id
 *
 * Returns: (transfer full): `{"sdp", "type": "answer", "peer_id"}`.
 */
gchar *
rw_signaling_answer_to_json (const gchar * sdp, const gchar * peer_id)
{
  g_autoptr (JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, sdp);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "answer");
  json_builder_set_member_name (builder, "peer_id");
  json_builder_add_string_value (builder, peer_id);
  json_builder_end_object (builder);

  return object_to_json (builder);
}

/**
 * rw_signaling_error_to_json:
 * @message: what went wrong
 *
 * Returns: (transfer full): `{"error": message}`.
 */
gchar *
rw_signaling_error_to_json (const gchar * message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);

  return object_to_json (builder);
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-pipeline
 * @title: Pipeline descriptions
 * @short_description: launch descriptions that end in the encoded stream
 *
 * A source pipeline is a gst-launch description whose one unlinked src pad
 * gives what robotwebrtcsink takes: VP8, or H264 byte-stream in access
 * units. Descriptions are parsed strictly: a syntax error or a missing
 * element is an error that names it, before anything starts. Files in
 * pipelines/ hold one description each, after `#` comment lines.
 */

#include "rw-pipeline.h"
#include "rw-error.h"

#include "config.h"

#include <string.h>

#define PIPELINE_SUFFIX ".pipeline"

/**
 * rw_pipeline_parse:
 * @description: a launch description ending in the encoded stream
 * @error: the parser's reason, or the missing elements
 *
 * Returns: (transfer floating) (nullable): a bin with one "src" pad, or
 * %NULL with @error set.
 */
GstElement *
rw_pipeline_parse (const gchar * description, GError ** error)
{
  g_autoptr (GstParseContext) ctx = gst_parse_context_new ();
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GstPad) src = NULL;
  GstElement *bin;

  /* Only the src pad is ghosted: a ghosted text_sink of timeoverlay would
   * make it wait for text forever. */
  bin = gst_parse_bin_from_description_full (description, FALSE, ctx,
      GST_PARSE_FLAG_FATAL_ERRORS | GST_PARSE_FLAG_NO_SINGLE_ELEMENT_BINS,
      &parse_error);
  if (bin == NULL) {
    g_auto (GStrv) missing = gst_parse_context_get_missing_elements (ctx);

    if (missing && missing[0]) {
      g_autofree gchar *names = g_strjoinv (", ", missing);

      g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
          "missing GStreamer elements: %s (not installed on this machine)",
          names);
    } else {
      g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
          "the pipeline does not parse: %s", parse_error->message);
    }
    return NULL;
  }

  src = gst_bin_find_unlinked_pad (GST_BIN (bin), GST_PAD_SRC);
  if (src)
    gst_element_add_pad (bin, gst_ghost_pad_new ("src", src));
  if (src == NULL) {
    g_set_error (error, RW_ERROR, RW_ERROR_PIPELINE,
        "the pipeline must end in an unlinked src pad (the encoded video)");
    gst_object_unref (gst_object_ref_sink (bin));
    return NULL;
  }
  gst_object_set_name (GST_OBJECT (bin), "source");
  return bin;
}

/**
 * rw_pipeline_read_file:
 * @path: a pipeline file
 * @error: why it could not be read
 *
 * Returns: (transfer full) (nullable): the description in the file, without
 * its comment lines.
 */
gchar *
rw_pipeline_read_file (const gchar * path, GError ** error)
{
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  GString *description;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;

  description = g_string_new (NULL);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    gchar *line = g_strstrip (lines[i]);

    if (line[0] == '#' || line[0] == '\0')
      continue;
    if (description->len)
      g_string_append_c (description, ' ');
    g_string_append (description, line);
  }

  if (description->len == 0) {
    g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
        "%s holds no pipeline description", path);
    g_string_free (description, TRUE);
    return NULL;
  }
  return g_string_free (description, FALSE);
}

static gboolean
looks_like_description (const gchar * value)
{
  return strchr (value, '!') != NULL || strchr (value, ' ') != NULL ||
      strchr (value, '=') != NULL;
}

/**
 * rw_pipeline_find:
 * @value: a launch description, or a pipeline file: a path, or a name in
 *   the pipelines directory, with or without ".pipeline"
 * @base_dir: (nullable): where a relative path is looked for first (the
 *   config file's directory)
 * @name: (out) (optional) (transfer full): the file used, or "inline"
 * @error: why no description was found
 *
 * The pipelines directory is `$RW_PIPELINES_DIR` when set, else the
 * installed one.
 *
 * Returns: (transfer full) (nullable): the description.
 */
gchar *
rw_pipeline_find (const gchar * value, const gchar * base_dir, gchar ** name,
    GError ** error)
{
  const gchar *dir = g_getenv ("RW_PIPELINES_DIR");
  g_autofree gchar *with_suffix = NULL;
  g_autoptr (GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);

  if (looks_like_description (value)) {
    if (name)
      *name = g_strdup ("inline");
    return g_strdup (value);
  }

  if (dir == NULL)
    dir = RW_PIPELINESDIR;
  with_suffix = g_str_has_suffix (value, PIPELINE_SUFFIX) ? g_strdup (value) :
      g_strconcat (value, PIPELINE_SUFFIX, NULL);

  if (g_path_is_absolute (value)) {
    g_ptr_array_add (candidates, g_strdup (value));
  } else {
    if (base_dir)
      g_ptr_array_add (candidates, g_build_filename (base_dir, value, NULL));
    g_ptr_array_add (candidates, g_build_filename (dir, with_suffix, NULL));
  }

  for (guint i = 0; i < candidates->len; i++) {
    const gchar *path = candidates->pdata[i];

    if (g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
      if (name)
        *name = g_strdup (path);
      return rw_pipeline_read_file (path, error);
    }
  }

  g_set_error (error, RW_ERROR, RW_ERROR_INVALID_ARGUMENT,
      "no pipeline file '%s' (looked in %s%s%s)", value,
      base_dir ? base_dir : "", base_dir ? " and " : "", dir);
  return NULL;
}

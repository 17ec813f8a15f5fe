/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer: a config file (GKeyFile), and the origin check with the
 * allow-list it yields. Inputs naming files to read (the secret, TLS) are
 * skipped: reading any path is what those keys are for. */

#include <gst/gst.h>
#include <string.h>

#include "rw-config.h"

int LLVMFuzzerTestOneInput (const guint8 * data, gsize size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  /* pipeline=NAME must not find files outside the corpus run */
  g_setenv ("RW_PIPELINES_DIR", "/nonexistent", TRUE);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 * data, gsize size)
{
  g_autoptr (RwConfig) config = rw_config_new ();
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);

  if (strstr (text, "secret-file") || strstr (text, "tls-") ||
      strstr (text, "pipeline"))
    return 0;

  if (rw_config_load_data (config, text, strlen (text), "fuzz.conf",
          "/nonexistent", NULL))
    g_assert (rw_config_validate (config, NULL));
  rw_config_origin_allowed (config, text);
  return 0;
}

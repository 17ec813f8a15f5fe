/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* rw_remb_parse(): the FCI of a REMB message, as browsers send it. */

#include <glib.h>

#include "rw-remb.h"

static void
test_parse (void)
{
  /* 1 SSRC, exponent 3, mantissa 250000: 2 000 000 bit/s */
  static const guint8 two_mbits[] = { 'R', 'E', 'M', 'B', 1,
    (3 << 2) | (250000 >> 16), (250000 >> 8) & 0xff, 250000 & 0xff,
    0x12, 0x34, 0x56, 0x78
  };
  /* exponent 63 with a mantissa: more than 64 bits */
  static const guint8 huge[] = { 'R', 'E', 'M', 'B', 0, 0xff, 0xff, 0xff };
  static const guint8 zero[] = { 'R', 'E', 'M', 'B', 0, 0xfc, 0, 0 };
  guint64 bitrate = 0;
  guint n = 0;

  g_assert_true (rw_remb_parse (two_mbits, sizeof two_mbits, &bitrate, &n));
  g_assert_cmpuint (bitrate, ==, 2000000);
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (rw_remb_parse (huge, sizeof huge, &bitrate, NULL));
  g_assert_cmpuint (bitrate, ==, G_MAXUINT64);
  g_assert_true (rw_remb_parse (zero, sizeof zero, &bitrate, NULL));
  g_assert_cmpuint (bitrate, ==, 0);

  /* not REMB, or cut short: its SSRCs missing, its header cut */
  g_assert_false (rw_remb_parse ((const guint8 *) "REMX\0\0\0\0", 8, &bitrate,
          NULL));
  g_assert_false (rw_remb_parse (two_mbits, sizeof two_mbits - 1, &bitrate,
          NULL));
  g_assert_false (rw_remb_parse (two_mbits, 7, &bitrate, NULL));
  g_assert_false (rw_remb_parse (NULL, 0, &bitrate, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/remb/parse", test_parse);
  return g_test_run ();
}

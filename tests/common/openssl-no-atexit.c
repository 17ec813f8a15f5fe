/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Linked into every test program: OpenSSL must not clean itself up when the
 * process exits.
 *
 * webrtcbin's DTLS initialises OpenSSL, which then frees its global state
 * from an atexit() handler. A thread still running at that moment (a
 * GstTask's pooled thread retiring as the last pipeline stops, say) runs
 * OpenSSL's thread-local destructor on freed memory when it exits: a SIGSEGV
 * or "malloc_consolidate(): unaligned fastbin chunk" after the test has
 * passed (openssl/openssl#6214, #17469). The option only works in the first
 * call into OpenSSL, so it runs before main(); the process's exit frees the
 * memory anyway. The daemon's main() does the same. */

#include <openssl/crypto.h>

static void openssl_no_atexit (void) __attribute__((constructor));

static void
openssl_no_atexit (void)
{
  OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, NULL);
}

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RW_ERROR (rw_error_quark ())
GQuark rw_error_quark (void);

/**
 * RwError:
 * @RW_ERROR_FAILED: anything else
 * @RW_ERROR_INVALID_ARGUMENT: a bad command-line or configuration value
 * @RW_ERROR_BAD_REQUEST: a client message that is malformed or incomplete
 * @RW_ERROR_UNSUPPORTED: a client asked for something we do not serve (codec, media)
 * @RW_ERROR_NOT_FOUND: an unknown session
 * @RW_ERROR_FULL: no room for another viewer
 * @RW_ERROR_TIMEOUT: negotiation did not finish in time
 * @RW_ERROR_PIPELINE: the media pipeline failed
 * @RW_ERROR_FORBIDDEN: the request's origin is not allowed, or the session
 *   belongs to another viewer
 * @RW_ERROR_UNAUTHORIZED: the request has no valid viewer token
 * @RW_ERROR_UNAVAILABLE: the media cannot serve now (not started yet,
 *   restarting); try again shortly
 * @RW_ERROR_CONFLICT: the request conflicts with what is open now (the
 *   token's owner already has its `max_sessions`); close something first
 */
typedef enum
{
  RW_ERROR_FAILED,
  RW_ERROR_INVALID_ARGUMENT,
  RW_ERROR_BAD_REQUEST,
  RW_ERROR_UNSUPPORTED,
  RW_ERROR_NOT_FOUND,
  RW_ERROR_FULL,
  RW_ERROR_TIMEOUT,
  RW_ERROR_PIPELINE,
  RW_ERROR_FORBIDDEN,
  RW_ERROR_UNAUTHORIZED,
  RW_ERROR_UNAVAILABLE,
  RW_ERROR_CONFLICT,
} RwError;

G_END_DECLS

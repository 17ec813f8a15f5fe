/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:rw-error
 * @title: RwError
 * @short_description: the error domain of robot-webrtc
 */

#include "rw-error.h"

/* *INDENT-OFF* */
G_DEFINE_QUARK (rw-error-quark, rw_error);
/* *INDENT-ON* */

/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:plugin-robotwebrtc
 * @title: robotwebrtc
 * @short_description: the robot-webrtc media server as a GStreamer element
 *
 * The plugin holds robotwebrtcsink, the element the robot-webrtc-server
 * daemon serves its viewers with.
 */

#include "config.h"
#include "gstrobotwebrtcplugin.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (robotwebrtcsink, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, robotwebrtc,
    "Serves encoded video to many WebRTC viewers with HTTP signaling",
    plugin_init, PACKAGE_VERSION, "LGPL", PACKAGE_NAME, "robot-webrtc")

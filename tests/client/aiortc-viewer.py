#!/usr/bin/python3
# robot-webrtc
# Copyright (C) 2026 robot-webrtc contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One WebRTC viewer made with aiortc: a peer that is not GStreamer.

    aiortc-viewer.py --url http://127.0.0.1:PORT [--stream NAME] [--audio]
                     [--no-video] [--duration S] [--token T] [--verbose]

It offers to receive video (unless --no-video) and audio (with --audio),
POSTs the offer to URL/offer as the seed's frontend does, applies the
answer, decodes what arrives for --duration seconds, hangs up with
DELETE /peers/{peer_id} and prints one JSON line on stdout:

    {"status": <HTTP status of /offer>, "error": <null or why>,
     "peer_id": ..., "connection_state": ...,
     "video": {"frames", "fps", "width", "height", "first_frame_ms"},
     "audio": {"frames", "samples", "sample_rate", "rms", "peak",
               "first_frame_ms"},
     "answer_has_audio": <the answer sends audio>, "answer_sdp_lines": N,
      "hangup_status": <HTTP status of the DELETE>}

first_frame_ms counts from the POST of the offer to the first decoded
frame; fps is over the frames received (first to last); rms and peak are
of the decoded samples, 0..1 of full scale. The exit status is 0 when the
offer got 200 and every kind asked for decoded at least one frame, else 1.
The whole run is bounded: it gives up after --duration + 20 s, whatever
hangs.

Needs Debian 12's python3-aiortc (aiortc 1.4.0, aioice 0.8.0), hence
/usr/bin/python3 and not a python3 from PATH.

ICE stays on loopback. aiortc 1.4 has no setting for the local addresses
(RTCConfiguration holds only iceServers), and aioice 0.8's
Connection.gather_candidates() takes host candidates from every address
aioice.ice.get_host_addresses() returns: each interface's, but never
127.0.0.1 or ::1. That function is looked up when gathering, so this
script replaces it with one that returns 127.0.0.1: the offer then carries
a single host candidate, 127.0.0.1, and no packet leaves the machine.
iceServers is empty: no STUN, no TURN. aiortc gathers during
setLocalDescription(), so the offer is complete when POSTed (no trickle).

aiortc 1.4 keeps one RTP header extension map per transport, and its own
offer gives id 2 to abs-send-time in the video m-line and to
ssrc-audio-level in the audio one. Bundled, an audio packet that carries
the audio level is parsed as abs-send-time, and the struct.error kills the
transport's receive loop: the connection stays "connected" and no frame of
either kind arrives any more. --verbose shows it (RTCDtlsTransport
traceback). A server must not send that extension to aiortc 1.4.
"""

import argparse
import asyncio
import json
import logging
import math
import os
import signal
import sys
import time
import urllib.error
import urllib.request

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

LOOPBACK = "127.0.0.1"
HTTP_TIMEOUT = 10.0
GRACE = 20.0  # seconds beyond --duration before the run is abandoned


def loopback_host_addresses(use_ipv4, use_ipv6):
    return [LOOPBACK] if use_ipv4 else []


aioice.ice.get_host_addresses = loopback_host_addresses


class Result:
    """The JSON line, printed exactly once."""

    def __init__(self):
        self.data = {
            "status": None,
            "error": None,
            "peer_id": None,
            "connection_state": None,
            "video": None,
            "audio": None,
            "answer_has_audio": False,
            "answer_sdp_lines": 0,
            "hangup_status": None,
        }
        self.printed = False

    def fail(self, message):
        if self.data["error"] is None:
            self.data["error"] = message

    def emit(self):
        if not self.printed:
            self.printed = True
            sys.stdout.write(json.dumps(self.data) + "\n")
            sys.stdout.flush()


class VideoStats:
    def __init__(self):
        self.frames = 0
        self.first = None
        self.last = None
        self.width = 0
        self.height = 0

    def add(self, frame):
        now = time.monotonic()
        if self.first is None:
            self.first = now
        self.last = now
        self.frames += 1
        self.width = frame.width
        self.height = frame.height

    def report(self, started):
        fps = 0.0
        if self.frames > 1 and self.last > self.first:
            fps = (self.frames - 1) / (self.last - self.first)
        return {
            "frames": self.frames,
            "fps": round(fps, 2),
            "width": self.width,
            "height": self.height,
            "first_frame_ms": first_ms(self.first, started),
        }


class AudioStats:
    def __init__(self):
        self.frames = 0
        self.samples = 0
        self.sample_rate = 0
        self.first = None
        self.sum_squares = 0.0
        self.values = 0
        self.peak = 0

    def add(self, frame):
        if self.first is None:
            self.first = time.monotonic()
        self.frames += 1
        self.samples += frame.samples
        self.sample_rate = frame.sample_rate
        # aiortc's Opus decoder gives packed signed 16-bit samples
        pcm = frame.to_ndarray().astype("float64").ravel()
        if frame.format.name.startswith("s16") and pcm.size:
            self.sum_squares += float((pcm * pcm).sum())
            self.values += pcm.size
            self.peak = max(self.peak, int(abs(pcm).max()))

    def report(self, started):
        rms = math.sqrt(self.sum_squares / self.values) if self.values else 0.0
        return {
            "frames": self.frames,
            "samples": self.samples,
            "sample_rate": self.sample_rate,
            "rms": round(rms / 32768.0, 5),
            "peak": round(self.peak / 32768.0, 5),
            "first_frame_ms": first_ms(self.first, started),
        }


def first_ms(first, started):
    if first is None or started is None:
        return None
    return round((first - started) * 1000.0, 1)


def http(method, url, body=None, token=None):
    """(status, decoded JSON body or {}); never raises for an HTTP status."""
    data = None
    headers = {}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(url, data=data, headers=headers,
                                     method=method)
    # Loopback: never through an http_proxy from the environment.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        reply = json.loads(raw.decode()) if raw else {}
    except ValueError:
        reply = {"error": raw.decode(errors="replace")[:200]}
    return status, reply if isinstance(reply, dict) else {}


def answer_sends_audio(sdp):
    """Whether the answer has an audio m-line, not rejected, that sends."""
    sections = sdp.replace("\r\n", "\n").split("\nm=")[1:]
    for section in sections:
        lines = section.split("\n")
        fields = lines[0].split()
        if len(fields) < 2 or fields[0] != "audio" or fields[1] == "0":
            continue
        direction = "sendrecv"
        for line in lines[1:]:
            if line in ("a=sendonly", "a=recvonly", "a=sendrecv",
                        "a=inactive"):
                direction = line[2:]
        if direction in ("sendonly", "sendrecv"):
            return True
    return False


async def consume(track, stats):
    try:
        while True:
            stats.add(await track.recv())
    except MediaStreamError:
        pass


async def session(args, result, state):
    base = args.url.rstrip("/")
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    state["pc"] = pc
    video = VideoStats() if not args.no_video else None
    audio = AudioStats() if args.audio else None

    @pc.on("track")
    def on_track(track):
        stats = video if track.kind == "video" else audio
        if stats is not None:
            state["tasks"].append(asyncio.ensure_future(consume(track, stats)))

    if video:
        pc.addTransceiver("video", direction="recvonly")
    if audio:
        pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())

    body = {"sdp": pc.localDescription.sdp, "type": "offer"}
    if args.stream:
        body["stream"] = args.stream
    started = time.monotonic()
    try:
        try:
            status, reply = await asyncio.to_thread(http, "POST",
                                                    base + "/offer", body,
                                                    args.token)
        except OSError as e:  # refused, reset, timed out
            result.fail("POST /offer: %s" % getattr(e, "reason", e))
            return
        result.data["status"] = status
        if status != 200:
            result.fail(reply.get("error") or "HTTP %d" % status)
            return
        state["peer_id"] = result.data["peer_id"] = reply.get("peer_id")
        sdp = reply.get("sdp")
        if not isinstance(sdp, str) or reply.get("type") != "answer":
            result.fail("the reply to /offer has no answer")
            return
        result.data["answer_sdp_lines"] = len(sdp.strip().splitlines())
        result.data["answer_has_audio"] = answer_sends_audio(sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp,
                                                            type="answer"))
        await asyncio.sleep(args.duration)
        result.data["connection_state"] = pc.connectionState
    finally:
        if video:
            result.data["video"] = video.report(started)
        if audio:
            result.data["audio"] = audio.report(started)


async def close(args, result, state):
    for task in state["tasks"]:
        task.cancel()
    if state["peer_id"]:
        try:
            status, _ = await asyncio.to_thread(
                http, "DELETE",
                args.url.rstrip("/") + "/peers/" + state["peer_id"],
                None, args.token)
            result.data["hangup_status"] = status
        except OSError as e:
            result.fail("hang-up: %s" % e)
    if state["pc"]:
        await state["pc"].close()


async def main(args, result):
    state = {"pc": None, "peer_id": None, "tasks": []}
    try:
        await asyncio.wait_for(session(args, result, state),
                               args.duration + GRACE - 5)
    except asyncio.TimeoutError:
        result.fail("timed out")
    except Exception as e:  # report anything, as the JSON line
        result.fail("%s: %s" % (type(e).__name__, e))
    try:
        await asyncio.wait_for(close(args, result, state), 4)
    except asyncio.TimeoutError:
        result.fail("timed out closing")
    except Exception as e:
        result.fail("closing: %s: %s" % (type(e).__name__, e))


def succeeded(args, result):
    data = result.data
    if data["status"] != 200:
        return False
    if not args.no_video and not (data["video"] and data["video"]["frames"]):
        return False
    if args.audio and not (data["audio"] and data["audio"]["frames"]):
        return False
    return True


def parse_args():
    parser = argparse.ArgumentParser(
        description="One aiortc WebRTC viewer of a robot-webrtc server; "
        "prints one JSON line.")
    parser.add_argument("--url", required=True,
                        help="the server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--stream", help="the stream to watch")
    parser.add_argument("--audio", action="store_true",
                        help="receive audio too")
    parser.add_argument("--no-video", action="store_true",
                        help="do not receive video")
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds to receive (default 5)")
    parser.add_argument("--token", help="viewer token (Bearer)")
    parser.add_argument("--verbose", action="store_true",
                        help="aiortc's logs on stderr")
    args = parser.parse_args()
    if args.no_video and not args.audio:
        parser.error("--no-video needs --audio: there would be nothing to "
                     "receive")
    if not 0 < args.duration <= 3600:
        parser.error("--duration must be in (0, 3600]")
    return args


def run():
    args = parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else
                        logging.ERROR, stream=sys.stderr)
    result = Result()

    def give_up(signum, frame):
        result.fail("hard timeout after %g s" % (args.duration + GRACE))
        result.emit()
        os._exit(1)

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(math.ceil(args.duration + GRACE))
    asyncio.run(main(args, result))
    signal.alarm(0)
    result.emit()
    return 0 if succeeded(args, result) else 1


if __name__ == "__main__":
    sys.exit(run())

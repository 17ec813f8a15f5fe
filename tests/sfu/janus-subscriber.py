#!/usr/bin/python3
# robot-webrtc
# Copyright (C) 2026 robot-webrtc contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""N aiortc subscribers of one publisher in a Janus VideoRoom, in one process.

    janus-subscriber.py --janus http://127.0.0.1:8088/janus --room 4321
                        [--display NAME] [-n N] [--duration S] [--warmup S]
                        [--feed-wait S] [--stagger MS] [--ice-address A]
                        [--ready-file F] [--verbose]

Each subscriber speaks Janus's HTTP API on its own session: create, attach
janus.plugin.videoroom, "listparticipants" until a publisher (whose display
is --display, when given) shows, "join" as a subscriber with
streams:[{feed: ID}], the offer from the long poll (GET on the session),
the answer with "start". It decodes what arrives (video and audio) for
--duration seconds after its first video frame, then detaches and destroys
its session. All of them run in one asyncio loop. While Janus is not
there yet (connection refused, the room or the publisher missing), the
first steps are retried for --feed-wait seconds.

It prints one JSON line per subscriber on stdout:

    {"subscriber": 0, "feed": ..., "error": null, "connection_state": ...,
     "frames": 240, "fps": 29.9, "width": 640, "height": 480,
     "first_frame_ms": 160.2, "first_frame_unix": 1796500000.123,
     "audio_frames": 400, "join_ms": 20.1, "offer_ms": 35.0}

first_frame_ms runs from the join request to the first decoded video
frame, first_frame_unix is that frame's wall-clock time (for the caller to
compare with its own events); fps counts the video frames from --warmup
seconds after the first one to the last; join_ms is the time the join
request took, offer_ms from the join to Janus's offer. With --ready-file,
the file is created once every subscriber has decoded a video frame. Exit
0 when every subscriber decoded video, else 1. The whole run is bounded:
it gives up after --feed-wait + --duration + 30 s, whatever hangs.

ICE stays on one address, as in tests/client/aiortc-viewer.py: aioice
0.8's get_host_addresses() is replaced with one that returns
--ice-address (default 10.213.0.1, the SFU's address in
tests/sfu/sfu-test.sh's namespace), so the answer carries a single host
candidate; no STUN, no TURN. Janus (full_trickle off) puts its candidates
in the offer, and aiortc gathers before the answer is sent: no trickle.

Needs Debian 12's python3-aiortc (aiortc 1.4.0, aioice 0.8.0), hence
/usr/bin/python3.
"""

import argparse
import asyncio
import concurrent.futures
import json
import logging
import math
import os
import random
import signal
import string
import sys
import time
import urllib.error
import urllib.request

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

HTTP_TIMEOUT = 10.0
LONG_POLL_S = 5  # Janus's long poll holds a GET up to this long (maxev)
ICE_ADDRESS = ["10.213.0.1"]


def fixed_host_addresses(use_ipv4, use_ipv6):
    return list(ICE_ADDRESS) if use_ipv4 else []


aioice.ice.get_host_addresses = fixed_host_addresses


class JanusError(Exception):
    pass


class Retry(Exception):
    """Janus not there yet, or not the publisher: try again later."""


def transaction():
    return "".join(random.choice(string.ascii_letters) for _ in range(12))


def http(method, url, body=None, timeout=HTTP_TIMEOUT):
    """Decoded JSON reply; raises OSError, JanusError."""
    data = None
    headers = {}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers,
                                     method=method)
    # Inside the test's namespace: never through an http_proxy.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as e:
        raise JanusError("%s %s: HTTP %d" % (method, url, e.code))
    try:
        reply = json.loads(raw.decode())
    except ValueError:
        raise JanusError("%s %s: not JSON" % (method, url))
    if isinstance(reply, dict) and reply.get("janus") == "error":
        error = reply.get("error") or {}
        raise JanusError("%s: %s %s" % (url, error.get("code"),
                                        error.get("reason")))
    return reply


class Subscriber:
    def __init__(self, index, args, pool):
        self.index = index
        self.args = args
        self.pool = pool
        self.session = None
        self.handle = None
        self.feed = None
        self.pc = None
        self.events = asyncio.Queue()
        self.tasks = []
        self.error = None
        self.join_at = None
        self.join_ms = None
        self.offer_ms = None
        self.frames = []  # monotonic times of the decoded video frames
        self.first_frame_unix = None
        self.width = 0
        self.height = 0
        self.audio_frames = 0
        self.polling = True
        self.got_frame = None  # set when this one has its first frame

    async def call(self, method, url, body=None, timeout=HTTP_TIMEOUT):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.pool, lambda: http(method, url, body, timeout))

    async def request(self, path, body):
        body = dict(body, transaction=transaction())
        return await self.call("POST", self.args.janus.rstrip("/") + path,
                               body)

    async def message(self, body, jsep=None):
        msg = {"janus": "message", "body": body}
        if jsep:
            msg["jsep"] = jsep
        return await self.request("/%d/%d" % (self.session, self.handle),
                                  msg)

    async def long_poll(self):
        """Janus's events for this session, into self.events; the polls
        also keep the session alive."""
        url = "%s/%d?maxev=5" % (self.args.janus.rstrip("/"), self.session)
        while self.polling:
            try:
                reply = await self.call("GET", url, timeout=LONG_POLL_S + 25)
            except (OSError, JanusError) as e:
                await self.events.put({"janus": "poll-error",
                                       "error": str(e)})
                await asyncio.sleep(0.5)
                continue
            for event in reply if isinstance(reply, list) else [reply]:
                if event.get("janus") != "keepalive":
                    await self.events.put(event)

    async def find_feed(self):
        """Session, handle and the publisher's id; Retry while missing."""
        try:
            if self.session is None:
                reply = await self.request("", {"janus": "create"})
                self.session = reply["data"]["id"]
                self.tasks.append(asyncio.ensure_future(self.long_poll()))
            if self.handle is None:
                reply = await self.request(
                    "/%d" % self.session,
                    {"janus": "attach", "plugin": "janus.plugin.videoroom"})
                self.handle = reply["data"]["id"]
            reply = await self.message({"request": "listparticipants",
                                        "room": self.args.room})
        except OSError as e:  # Janus not (yet, or no longer) there
            self.reset()
            raise Retry(str(getattr(e, "reason", e)))
        except JanusError as e:  # e.g. a session lost with a Janus restart
            self.reset()
            raise Retry(str(e))
        data = reply.get("plugindata", {}).get("data", {})
        if data.get("videoroom") != "participants":
            raise Retry("listparticipants: %s" % (data.get("error") or data))
        for p in data.get("participants", []):
            if not p.get("publisher"):
                continue
            if self.args.display is None or p.get("display") == \
                    self.args.display:
                self.feed = p["id"]
                return
        raise Retry("no publisher %s in room %d yet" % (
            self.args.display or "", self.args.room))

    def reset(self):
        self.polling = False
        for task in self.tasks:
            task.cancel()
        self.tasks = []
        self.session = None
        self.handle = None
        self.polling = True

    async def next_event(self, what, bound):
        """The next plugin event of this handle that has a JSEP, or its
        error."""
        deadline = time.monotonic() + bound
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise JanusError("no %s within %g s" % (what, bound))
            try:
                event = await asyncio.wait_for(self.events.get(), left)
            except asyncio.TimeoutError:
                continue
            if event.get("janus") == "poll-error":
                continue
            if event.get("janus") != "event":
                continue
            data = event.get("plugindata", {}).get("data", {})
            if data.get("error"):
                raise JanusError("%s: %s" % (what, data["error"]))
            if event.get("jsep"):
                return event

    async def consume(self, track):
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    now = time.monotonic()
                    if not self.frames:
                        self.first_frame_unix = time.time()
                        self.got_frame.set()
                    self.frames.append(now)
                    self.width, self.height = frame.width, frame.height
                else:
                    self.audio_frames += 1
        except MediaStreamError:
            pass

    async def run(self, feed_deadline):
        args = self.args
        last = None
        while self.feed is None:
            try:
                await self.find_feed()
            except Retry as e:
                last = str(e)
                if time.monotonic() >= feed_deadline:
                    raise JanusError("no publisher within %g s (%s)" % (
                        args.feed_wait, last))
                await asyncio.sleep(0.2)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

        @self.pc.on("track")
        def on_track(track):
            self.tasks.append(asyncio.ensure_future(self.consume(track)))

        self.join_at = time.monotonic()
        await self.message({"request": "join", "ptype": "subscriber",
                            "room": args.room,
                            "streams": [{"feed": self.feed}]})
        self.join_ms = (time.monotonic() - self.join_at) * 1000.0
        event = await self.next_event("offer", 10)
        self.offer_ms = (time.monotonic() - self.join_at) * 1000.0
        jsep = event["jsep"]
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=jsep["sdp"], type=jsep["type"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.message({"request": "start"},
                           {"type": "answer",
                            "sdp": self.pc.localDescription.sdp})
        try:
            await asyncio.wait_for(self.got_frame.wait(), 15)
        except asyncio.TimeoutError:
            raise JanusError("no video frame within 15 s of the answer "
                             "(connection %s)" % self.pc.connectionState)
        await asyncio.sleep(args.duration)

    async def close(self):
        self.polling = False
        for task in self.tasks:
            task.cancel()
        if self.session is not None:
            try:
                if self.handle is not None:
                    await self.request("/%d/%d" % (self.session, self.handle),
                                       {"janus": "detach"})
                await self.request("/%d" % self.session,
                                   {"janus": "destroy"})
            except (OSError, JanusError):
                pass
        if self.pc:
            await self.pc.close()

    def report(self):
        frames = self.frames
        fps = 0.0
        if frames:
            start = frames[0] + self.args.warmup
            window = [t for t in frames if t >= start]
            if len(window) > 1 and window[-1] > window[0]:
                fps = (len(window) - 1) / (window[-1] - window[0])
        first_ms = None
        if frames and self.join_at is not None:
            first_ms = round((frames[0] - self.join_at) * 1000.0, 1)
        return {
            "subscriber": self.index,
            "feed": self.feed,
            "error": self.error,
            "connection_state": self.pc.connectionState if self.pc else None,
            "frames": len(frames),
            "fps": round(fps, 2),
            "width": self.width,
            "height": self.height,
            "first_frame_ms": first_ms,
            "first_frame_unix": self.first_frame_unix,
            "audio_frames": self.audio_frames,
            "join_ms": None if self.join_ms is None else round(self.join_ms, 1),
            "offer_ms": None if self.offer_ms is None else round(self.offer_ms,
                                                                 1),
        }


async def one(sub, delay, feed_deadline):
    await asyncio.sleep(delay)
    try:
        await asyncio.wait_for(
            sub.run(feed_deadline),
            max(feed_deadline - time.monotonic(), 0) + sub.args.duration + 25)
    except asyncio.TimeoutError:
        sub.error = sub.error or "timed out"
    except Exception as e:  # report anything, in the JSON line
        sub.error = sub.error or "%s: %s" % (type(e).__name__, e)
    try:
        await asyncio.wait_for(sub.close(), 5)
    except Exception as e:
        sub.error = sub.error or "closing: %s: %s" % (type(e).__name__, e)


async def main(args, subs):
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=4 * args.n + 4)
    feed_deadline = time.monotonic() + args.feed_wait
    for i in range(args.n):
        subs.append(Subscriber(i, args, pool))
        subs[-1].got_frame = asyncio.Event()
    if args.ready_file:
        async def ready():
            await asyncio.gather(*(s.got_frame.wait() for s in subs))
            with open(args.ready_file, "w") as f:
                f.write("%.3f\n" % time.time())
        waiter = asyncio.ensure_future(ready())
    await asyncio.gather(*(one(s, i * args.stagger / 1000.0, feed_deadline)
                           for i, s in enumerate(subs)))
    if args.ready_file:
        waiter.cancel()
    pool.shutdown(wait=False, cancel_futures=True)


def parse_args():
    parser = argparse.ArgumentParser(
        description="N aiortc subscribers of a Janus VideoRoom publisher; "
        "one JSON line each.")
    parser.add_argument("--janus", required=True,
                        help="Janus's HTTP API, e.g. "
                        "http://127.0.0.1:8088/janus")
    parser.add_argument("--room", type=int, required=True)
    parser.add_argument("--display", help="the publisher's display name "
                        "(default: the first publisher)")
    parser.add_argument("-n", type=int, default=1,
                        help="subscribers (default 1)")
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds to decode after the first frame "
                        "(default 5)")
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="seconds after the first frame left out of fps "
                        "(default 1)")
    parser.add_argument("--feed-wait", type=float, default=20.0,
                        help="seconds to wait for Janus and the publisher "
                        "(default 20)")
    parser.add_argument("--stagger", type=float, default=0.0,
                        help="milliseconds between subscribers' starts")
    parser.add_argument("--ice-address", default=ICE_ADDRESS[0],
                        help="the one local address for ICE (default %s)" %
                        ICE_ADDRESS[0])
    parser.add_argument("--ready-file",
                        help="created once every subscriber has a frame")
    parser.add_argument("--verbose", action="store_true",
                        help="aiortc's logs on stderr")
    args = parser.parse_args()
    if not 1 <= args.n <= 50:
        parser.error("-n must be in [1, 50]")
    if not 0 < args.duration <= 600 or not 0 <= args.feed_wait <= 600:
        parser.error("--duration and --feed-wait must be in (0, 600]")
    if not 0 <= args.warmup < args.duration:
        parser.error("--warmup must be in [0, --duration)")
    ICE_ADDRESS[0] = args.ice_address
    return args


def run():
    args = parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else
                        logging.ERROR, stream=sys.stderr)
    subs = []
    bound = args.feed_wait + args.duration + args.n * args.stagger / 1000.0 \
        + 30

    def emit():
        for sub in subs:
            sys.stdout.write(json.dumps(sub.report()) + "\n")
        sys.stdout.flush()

    def give_up(signum, frame):
        for sub in subs:
            sub.error = sub.error or "hard timeout after %g s" % bound
        emit()
        os._exit(1)

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(math.ceil(bound))
    asyncio.run(main(args, subs))
    signal.alarm(0)
    emit()
    return 0 if subs and all(s.frames and not s.error for s in subs) else 1


if __name__ == "__main__":
    sys.exit(run())

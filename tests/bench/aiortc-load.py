#!/usr/bin/python3
# robot-webrtc
# Copyright (C) 2026 robot-webrtc contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""N aiortc viewers in one asyncio loop, of our daemon or of Janus's
streaming plugin, and the servers' CPU while they watch.

    aiortc-load.py --target daemon --url http://127.0.0.1:8080 -n N ...
    aiortc-load.py --target janus --url http://127.0.0.1:8088/janus
                   --mountpoint 1 -n N ...
      [--warmup S] [--hold S] [--stagger MS] [--connect-timeout S]
      [--decode K] [--ice-address A] [--pid NAME=PID]... [--ready-file F]
      [--verbose]

The viewers are Debian's python3-aiortc (1.4): a WebRTC stack that is not
GStreamer, negotiating like a browser (REMB, abs-send-time, NACK and PLI in
its offer or answer), so what a server spends on them is what a browser
costs it, not what a webrtcbin peer costs.

- daemon: each viewer offers to receive video, POSTs the offer to
  URL/offer (the seed's protocol), applies the answer; at the end it hangs
  up with DELETE URL/peers/{peer_id}.
- janus: each viewer speaks Janus's HTTP API on its own session: create,
  attach janus.plugin.streaming, "watch" the mountpoint, Janus's offer from
  the long poll (GET on the session, which also keeps the session alive),
  the answer with "start"; at the end it detaches and destroys the
  session.

Frames are counted, not decoded, except for the first --decode viewers
(default 1, to show that the stream really decodes): aiortc's receiver
reassembles each frame from its RTP packets (depacketized, in its jitter
buffer) and hands it to a decoder thread; this script replaces that
thread's function (aiortc.rtcrtpreceiver.decoder_worker, looked up when a
receiver starts) with one that records the time and size of each
reassembled frame and decodes only for the chosen viewers. Decoding VP8 for
every viewer would cost the load client, which shares the machine with the
servers, far more than the servers' own work.

Timeline: the viewers start --stagger ms apart; once each has its first
frame (or --connect-timeout passed) the run is "ready" (--ready-file is
written); --warmup seconds later the window opens, and it lasts --hold
seconds. For each --pid NAME=PID (the servers' processes), the window's CPU
is read from /proc/PID/stat (utime + stime, over the window's wall time:
cores), with VmRSS, VmHWM and the thread count at its end, and the cores
of each kind of thread (its name without digits: "queue:src" sums every
viewer's queue thread; "videotestsrc:s" is the daemon's source and
encoder); the client's own CPU over the window is reported as "client".

Output, one JSON line per viewer:

    {"viewer": 0, "error": null, "connection_state": "connected",
     "decoded": true, "frames": 450, "fps": 30.0, "kbps": 980.1,
     "worst_gap_ms": 45.2, "first_frame_ms": 95.1, "ttff_ms": 160.2,
     "width": 640, "height": 480, "decoded_frames": 450, "decode_errors": 0}

(fps, kbps, worst_gap_ms: over the window; kbps counts the reassembled
frames' payload; first_frame_ms from the first request, the POST of the
offer or Janus's "watch", to the first reassembled frame, ttff_ms to the
first keyframe, the first frame a browser could show; width, height and
the decoder's counts only for decoding viewers), then one summary line:

    {"summary": true, "target": "janus", "viewers": 8, "window_s": 15.0,
     "ready_s": 2.3, "pids": {"janus": {"cores": 0.05, "rss_mb": 30.1,
     "hwm_mb": 31.0, "threads": 40, "thread_cores": {"janus": 0.01, ...}},
     ...}, "client": {"cores": 0.3}}

Exit status 0 when every viewer got frames in the window, 1 otherwise.
ICE uses one local address (--ice-address; aioice 0.8 gathers host
candidates from aioice.ice.get_host_addresses(), which this script
replaces), no STUN, no TURN. The whole run is bounded (SIGALRM).
"""

import argparse
import asyncio
import concurrent.futures
import json
import logging
import math
import os
import random
import re
import signal
import statistics
import string
import sys
import threading
import time
import urllib.error
import urllib.request

import aioice.ice
import aiortc.rtcrtpreceiver
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import get_decoder

HTTP_TIMEOUT = 10.0
LONG_POLL_S = 5
ICE_ADDRESS = ["127.0.0.1"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def fixed_host_addresses(use_ipv4, use_ipv6):
    return list(ICE_ADDRESS) if use_ipv4 else []


aioice.ice.get_host_addresses = fixed_host_addresses


# --- frames: counted (and decoded for some) in aiortc's decoder thread ---

# the track's queue (the decoder thread's output) -> the viewer's FrameLog
FRAME_LOGS = {}
FRAME_LOGS_LOCK = threading.Lock()


class FrameLog:
    """Arrival time and size of each reassembled frame; written by the
    receiver's decoder thread, read by the loop once the window closed."""

    def __init__(self, decode):
        self.decode = decode
        self.times = []
        self.sizes = []
        self.decoded = 0
        self.width = 0
        self.height = 0
        self.decode_errors = 0
        self.first_key = None  # time of the first keyframe


def is_keyframe(codec_name, data):
    """Whether a reassembled frame is a keyframe: VP8's frame tag has the
    P bit (bit 0 of the first byte) clear; H264 (Annex B, as aiortc
    reassembles it) has an IDR NAL unit (type 5)."""
    if not data:
        return False
    name = codec_name.lower()
    if name == "vp8":
        return not data[0] & 1
    if name == "h264":
        i = data.find(b"\x00\x00\x01")
        while i != -1 and i + 3 < len(data):
            if data[i + 3] & 0x1F == 5:
                return True
            i = data.find(b"\x00\x00\x01", i + 3)
    return False


def counting_decoder_worker(loop, input_q, output_q):
    """Replaces aiortc.rtcrtpreceiver.decoder_worker (same arguments)."""
    with FRAME_LOGS_LOCK:
        log = FRAME_LOGS.get(output_q)
    codec_name = None
    decoder = None
    while True:
        task = input_q.get()
        if task is None:
            # the track ends, as with aiortc's own worker
            asyncio.run_coroutine_threadsafe(output_q.put(None), loop)
            break
        codec, encoded_frame = task
        if log is None:
            continue
        now = time.monotonic()
        if log.first_key is None and is_keyframe(codec.name,
                                                 encoded_frame.data):
            log.first_key = now
        log.times.append(now)
        log.sizes.append(len(encoded_frame.data))
        if not log.decode:
            continue
        if codec.name != codec_name:
            decoder = get_decoder(codec)
            codec_name = codec.name
        try:
            for frame in decoder.decode(encoded_frame):
                log.decoded += 1
                log.width, log.height = frame.width, frame.height
        except Exception:  # a frame that does not decode is counted apart
            log.decode_errors += 1


aiortc.rtcrtpreceiver.decoder_worker = counting_decoder_worker


# --- HTTP ---

class HttpError(Exception):
    pass


def http(method, url, body=None, timeout=HTTP_TIMEOUT):
    """(status, decoded JSON or {}); raises OSError when there is no
    answer."""
    data = None
    headers = {}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers,
                                     method=method)
    # inside the benchmark's namespace: never through an http_proxy
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        reply = json.loads(raw.decode()) if raw else {}
    except ValueError:
        reply = {"error": raw.decode(errors="replace")[:200]}
    return status, reply


def transaction():
    return "".join(random.choice(string.ascii_letters) for _ in range(12))


# --- viewers ---

class Viewer:
    def __init__(self, index, args, pool):
        self.index = index
        self.args = args
        self.pool = pool
        self.pc = None
        self.log = FrameLog(decode=index < args.decode)
        self.error = None
        self.started = None
        self.first_frame = asyncio.Event()
        self.tasks = []

    async def call(self, method, url, body=None, timeout=HTTP_TIMEOUT):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.pool, lambda: http(method, url, body, timeout))

    def new_pc(self):
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

        @self.pc.on("track")
        def on_track(track):
            # before the receiver starts its decoder thread
            if track.kind == "video":
                with FRAME_LOGS_LOCK:
                    FRAME_LOGS[track._queue] = self.log

    async def watch_first_frame(self):
        """Sets first_frame once the decoder thread has logged a frame."""
        while not self.log.times:
            await asyncio.sleep(0.01)
        self.first_frame.set()

    async def run(self):
        raise NotImplementedError

    async def close(self):
        for task in self.tasks:
            task.cancel()
        if self.pc:
            await self.pc.close()

    def report(self, t0, t1):
        times = self.log.times
        window = [i for i, t in enumerate(times) if t0 <= t <= t1]
        span = t1 - t0
        fps = len(window) / span if span > 0 else 0.0
        kbps = sum(self.log.sizes[i] for i in window) * 8 / span / 1000.0 \
            if span > 0 else 0.0
        # the longest time without a frame in the window, edges included
        marks = [t0] + [times[i] for i in window] + [t1]
        worst = max(b - a for a, b in zip(marks, marks[1:]))
        first = ttff = None
        if times and self.started is not None:
            first = round((times[0] - self.started) * 1000.0, 1)
        if self.log.first_key is not None and self.started is not None:
            ttff = round((self.log.first_key - self.started) * 1000.0, 1)
        line = {
            "viewer": self.index,
            "error": self.error,
            "connection_state": self.pc.connectionState if self.pc else None,
            "decoded": self.log.decode,
            "frames": len(window),
            "fps": round(fps, 2),
            "kbps": round(kbps, 1),
            "worst_gap_ms": round(worst * 1000.0, 1),
            "first_frame_ms": first,
            "ttff_ms": ttff,
        }
        if self.log.decode:
            line.update(width=self.log.width, height=self.log.height,
                        decoded_frames=self.log.decoded,
                        decode_errors=self.log.decode_errors)
        return line


class DaemonViewer(Viewer):
    """Our daemon: POST /offer, DELETE /peers/{id}."""

    peer_id = None

    async def run(self):
        base = self.args.url.rstrip("/")
        self.new_pc()
        self.pc.addTransceiver("video", direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        self.started = time.monotonic()
        status, reply = await self.call(
            "POST", base + "/offer",
            {"sdp": self.pc.localDescription.sdp, "type": "offer"})
        if status != 200:
            raise HttpError("POST /offer: HTTP %d %s" % (
                status, reply.get("error", "") if isinstance(reply, dict)
                else ""))
        self.peer_id = reply.get("peer_id")
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=reply["sdp"], type="answer"))

    async def close(self):
        if self.peer_id:
            try:
                await self.call("DELETE", "%s/peers/%s" % (
                    self.args.url.rstrip("/"), self.peer_id))
            except OSError:
                pass
        await super().close()


class JanusViewer(Viewer):
    """Janus's streaming plugin over its HTTP API."""

    session = None
    handle = None
    polling = True

    def __init__(self, *a):
        super().__init__(*a)
        self.events = asyncio.Queue()

    async def request(self, path, body):
        body = dict(body, transaction=transaction())
        status, reply = await self.call(
            "POST", self.args.url.rstrip("/") + path, body)
        if status != 200 or not isinstance(reply, dict):
            raise HttpError("POST %s: HTTP %d" % (path or "/", status))
        if reply.get("janus") == "error":
            error = reply.get("error") or {}
            raise HttpError("%s: %s %s" % (body.get("janus"), error.get("code"),
                                           error.get("reason")))
        return reply

    async def long_poll(self):
        url = "%s/%d?maxev=5" % (self.args.url.rstrip("/"), self.session)
        while self.polling:
            try:
                status, reply = await self.call("GET", url,
                                                timeout=LONG_POLL_S + 30)
            except OSError:
                await asyncio.sleep(0.5)
                continue
            for event in reply if isinstance(reply, list) else [reply]:
                if isinstance(event, dict) and \
                        event.get("janus") not in ("keepalive", None):
                    await self.events.put(event)

    async def offer(self, bound):
        deadline = time.monotonic() + bound
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HttpError("no offer from Janus within %g s" % bound)
            try:
                event = await asyncio.wait_for(self.events.get(), left)
            except asyncio.TimeoutError:
                continue
            data = event.get("plugindata", {}).get("data", {})
            if data.get("error"):
                raise HttpError("watch: %s" % data["error"])
            if event.get("jsep"):
                return event["jsep"]

    async def run(self):
        self.new_pc()
        reply = await self.request("", {"janus": "create"})
        self.session = reply["data"]["id"]
        self.tasks.append(asyncio.ensure_future(self.long_poll()))
        reply = await self.request("/%d" % self.session,
                                   {"janus": "attach",
                                    "plugin": "janus.plugin.streaming"})
        self.handle = reply["data"]["id"]
        self.started = time.monotonic()
        await self.request("/%d/%d" % (self.session, self.handle),
                           {"janus": "message",
                            "body": {"request": "watch",
                                     "id": self.args.mountpoint}})
        jsep = await self.offer(10)
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=jsep["sdp"], type=jsep["type"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.request("/%d/%d" % (self.session, self.handle),
                           {"janus": "message", "body": {"request": "start"},
                            "jsep": {"type": "answer",
                                     "sdp": self.pc.localDescription.sdp}})

    async def close(self):
        self.polling = False
        for task in self.tasks:
            task.cancel()
        if self.session is not None:
            try:
                if self.handle is not None:
                    await self.request("/%d/%d" % (self.session, self.handle),
                                       {"janus": "detach"})
                await self.request("/%d" % self.session, {"janus": "destroy"})
            except (OSError, HttpError):
                pass
        await super().close()


# --- the servers' processes ---

def stat_cpu(stat):
    """utime + stime in seconds, from the text of a /proc/.../stat"""
    # the command name may hold spaces: fields after the last ')'
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def thread_cpu(pid):
    """{thread kind: utime + stime in seconds} of PID's live threads; the
    kind is the thread's name without digits ("queue13:src" ->
    "queue:src"), so that a kind sums the same thread of every viewer."""
    kinds = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return kinds
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        name = re.sub(r"[0-9]+", "", stat[stat.index("(") + 1:stat.rindex(")")])
        kinds[name] = kinds.get(name, 0.0) + stat_cpu(stat)
    return kinds


def proc_sample(pid):
    """(utime + stime in seconds, VmRSS MB, VmHWM MB, threads, per thread
    kind) or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        with open("/proc/%d/status" % pid) as f:
            status = f.read()
    except OSError:
        return None
    cpu = stat_cpu(stat)
    values = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        values[key] = value.split()
    def mb(key):
        return round(int(values[key][0]) / 1024.0, 1) if key in values else None
    threads = int(values["Threads"][0]) if "Threads" in values else None
    return cpu, mb("VmRSS"), mb("VmHWM"), threads, thread_cpu(pid)


# --- the run ---

async def start(viewer, delay):
    await asyncio.sleep(delay)
    viewer.tasks.append(asyncio.ensure_future(viewer.watch_first_frame()))
    try:
        await asyncio.wait_for(viewer.run(), viewer.args.connect_timeout)
    except asyncio.TimeoutError:
        viewer.error = "negotiation timed out"
    except Exception as e:  # reported in the JSON line
        viewer.error = "%s: %s" % (type(e).__name__, e)


async def main(args, viewers, result):
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2 * args.n + 4)
    kind = DaemonViewer if args.target == "daemon" else JanusViewer
    for i in range(args.n):
        viewers.append(kind(i, args, pool))
    t_begin = time.monotonic()
    starts = [asyncio.ensure_future(start(v, i * args.stagger / 1000.0))
              for i, v in enumerate(viewers)]
    # ready: every viewer has a frame, or failed, or --connect-timeout
    deadline = t_begin + args.connect_timeout + args.n * args.stagger / 1000.0
    while time.monotonic() < deadline:
        if all(v.first_frame.is_set() or (v.error and s.done())
               for v, s in zip(viewers, starts)):
            break
        await asyncio.sleep(0.05)
    for v, s in zip(viewers, starts):
        if not s.done():
            s.cancel()
            v.error = v.error or "negotiation not done at the deadline"
        elif not v.first_frame.is_set() and not v.error:
            v.error = "no frame within %g s (connection %s)" % (
                args.connect_timeout, v.pc.connectionState if v.pc else None)
    result["ready_s"] = round(time.monotonic() - t_begin, 2)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("%.3f\n" % time.time())
    await asyncio.sleep(args.warmup)

    def sample():
        return (time.monotonic(), time.process_time(),
                {name: proc_sample(pid) for name, pid in args.pid})

    t0, c0, p0 = sample()
    await asyncio.sleep(args.hold)
    t1, c1, p1 = sample()
    wall = t1 - t0
    result["window"] = (t0, t1)
    result["window_s"] = round(wall, 2)
    result["pids"] = {}
    for name, pid in args.pid:
        a, b = p0.get(name), p1.get(name)
        if a is None or b is None:
            result["pids"][name] = {"pid": pid, "error": "gone"}
            continue
        # per thread kind: the threads alive at both ends of the window (a
        # thread that ended took its time with it); only the busy kinds
        kinds = {}
        for kind, end in b[4].items():
            cores = (end - a[4].get(kind, 0.0)) / wall
            if cores >= 0.0005:
                kinds[kind] = round(cores, 4)
        result["pids"][name] = {"pid": pid,
                                "cores": round((b[0] - a[0]) / wall, 4),
                                "rss_mb": b[1], "hwm_mb": b[2],
                                "threads": b[3], "thread_cores": kinds}
    result["client"] = {"cores": round((c1 - c0) / wall, 4)}
    for s in starts:
        s.cancel()
    await asyncio.gather(*(asyncio.wait_for(v.close(), 5) for v in viewers),
                         return_exceptions=True)
    pool.shutdown(wait=False, cancel_futures=True)


def parse_pid(text):
    name, _, pid = text.partition("=")
    if not name or not pid.isdigit():
        raise argparse.ArgumentTypeError("expected NAME=PID, got %r" % text)
    return name, int(pid)


def parse_args():
    parser = argparse.ArgumentParser(
        description="N aiortc viewers of robot-webrtc or of Janus's "
        "streaming plugin; the servers' CPU while they watch.")
    parser.add_argument("--target", choices=("daemon", "janus"),
                        required=True)
    parser.add_argument("--url", required=True,
                        help="the daemon (http://127.0.0.1:8080) or Janus's "
                        "HTTP API (http://127.0.0.1:8088/janus)")
    parser.add_argument("--mountpoint", type=int, default=1,
                        help="Janus's streaming mountpoint id (default 1)")
    parser.add_argument("-n", type=int, default=1, help="viewers (0-64)")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--hold", type=float, default=15.0)
    parser.add_argument("--stagger", type=float, default=100.0,
                        help="milliseconds between the viewers' starts")
    parser.add_argument("--connect-timeout", type=float, default=30.0,
                        help="seconds for each viewer's first frame")
    parser.add_argument("--decode", type=int, default=1,
                        help="the first K viewers decode (default 1)")
    parser.add_argument("--ice-address", default=ICE_ADDRESS[0],
                        help="the one local address for ICE")
    parser.add_argument("--pid", type=parse_pid, action="append", default=[],
                        help="NAME=PID: a process to measure (repeatable)")
    parser.add_argument("--ready-file")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not 0 <= args.n <= 64:
        parser.error("-n must be in [0, 64]")
    if not 0 <= args.warmup <= 600 or not 0 < args.hold <= 600:
        parser.error("--warmup and --hold must be in [0, 600]")
    if not 0 < args.connect_timeout <= 120:
        parser.error("--connect-timeout must be in (0, 120]")
    if not 0 <= args.stagger <= 5000:
        parser.error("--stagger must be in [0, 5000]")
    ICE_ADDRESS[0] = args.ice_address
    return args


def run():
    args = parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else
                        logging.ERROR, stream=sys.stderr)
    viewers = []
    result = {}
    bound = args.connect_timeout + args.n * args.stagger / 1000.0 + \
        args.warmup + args.hold + 30

    def emit():
        t0, t1 = result.get("window", (0.0, 0.0))
        for v in viewers:
            sys.stdout.write(json.dumps(v.report(t0, t1)) + "\n")
        summary = {"summary": True, "target": args.target,
                   "viewers": args.n}
        summary.update((k, v) for k, v in result.items() if k != "window")
        fps = [v.report(t0, t1)["fps"] for v in viewers]
        if fps:
            summary["fps_mean"] = round(statistics.mean(fps), 2)
            summary["fps_min"] = min(fps)
        sys.stdout.write(json.dumps(summary) + "\n")
        sys.stdout.flush()

    def give_up(signum, frame):
        result["error"] = "hard timeout after %g s" % bound
        emit()
        os._exit(1)

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(math.ceil(bound))
    asyncio.run(main(args, viewers, result))
    signal.alarm(0)
    emit()
    t0, t1 = result.get("window", (0.0, 0.0))
    return 0 if all(v.report(t0, t1)["frames"] for v in viewers) else 1


if __name__ == "__main__":
    # os._exit: a long poll still blocked in a pool thread must not hold
    # up the exit (the interpreter would join it)
    os._exit(run())

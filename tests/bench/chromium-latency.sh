#!/usr/bin/env bash
# Issue 14's latency in a browser: headless Chromium watching the daemon on loopback, with
# the playout-delay header extension (min = max = 0, `zero-playout-delay=true`, the default)
# and without it (`false`), alternately, so that both see the same machine.
#
#   tests/bench/chromium-latency.sh [--rounds 3] [--seconds 20] [--size 640x480]
#       [--bitrate 1000000] [--pattern PROPERTIES]
#
# (not in CI: about rounds x 2 x (seconds + 5) s.) Each run starts the daemon (RW_SERVER) on
# 127.0.0.1 with `[media] pipeline=videotestsrc is-live=true PROPERTIES ! video/x-raw,width=W,
# height=H,framerate=30/1 ! vp8enc deadline=1 cpu-used=8 threads=1 lag-in-frames=0
# target-bitrate=B keyframe-max-dist=60`, ICE on 127.0.0.1, and one Chromium viewer
# (tests/netns/browser-rate-viewer.mjs: requestVideoFrameCallback and getStats once a
# second). After the first 3 s it takes, from each second: capture → paint (the frame's
# captureTime, which Chromium estimates from the daemon's RTCP sender reports, to its paint),
# getStats' jitterBufferDelay / jitterBufferEmittedCount, decode and the painted fps. It
# prints one line per run and then, per setting, the medians over all its seconds.
#
# Exit 0 when every run painted frames, 1 when one did not, 77 (skip) when Chromium,
# node or tests/browser/node_modules is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src_dir=$(cd "$here/../.." && pwd)
SERVER=${RW_SERVER:-$src_dir/build/src/robot-webrtc-server}
VIEWER="$src_dir/tests/netns/browser-rate-viewer.mjs"

ROUNDS=3
SECONDS_RUN=20
SIZE=640x480
BITRATE=1000000
PATTERN="pattern=zone-plate kx2=20 ky2=20 kt=1"

while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --seconds) SECONDS_RUN=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --bitrate) BITRATE=$2; shift 2 ;;
        --pattern) PATTERN=$2; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--seconds S] [--size WxH] [--bitrate B] [--pattern PROPERTIES]" >&2
           exit 2 ;;
    esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]?$ && "$SECONDS_RUN" =~ ^[1-9][0-9]{0,2}$ && "$SIZE" =~ ^[1-9][0-9]*x[1-9][0-9]*$ && "$BITRATE" =~ ^[1-9][0-9]*$ ]] || {
    echo "$0: --rounds 1-99, --seconds 1-999, --size WxH, --bitrate bit/s" >&2
    exit 2
}

skip() { echo "SKIP: $*"; exit 77; }
command -v node >/dev/null || skip "no node"
[ -x "${RW_CHROMIUM:-/usr/bin/chromium}" ] || skip "no ${RW_CHROMIUM:-/usr/bin/chromium}"
[ -d "$src_dir/tests/browser/node_modules/playwright-core" ] || skip "no tests/browser/node_modules ('npm ci' in tests/browser)"
[ -x "$SERVER" ] || skip "no daemon at $SERVER (meson compile -C build)"

WORK=$(mktemp -d /tmp/rw-chromium-latency.XXXXXX)
DAEMON_PID=""
cleanup() {
    if [ -n "$DAEMON_PID" ]; then
        kill "$DAEMON_PID" 2>/dev/null || true
        wait "$DAEMON_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# a free TCP port on 127.0.0.1
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

W=${SIZE%x*}
H=${SIZE#*x}
failed=0

# run ROUND SETTING: one daemon, one Chromium viewer; its lines in $WORK/SETTING-ROUND.json
run() {
    local round=$1 setting=$2 port out
    port=$(free_port)
    out="$WORK/$setting-$round"
    cat > "$out.conf" <<EOF
[server]
port=$port
bind=127.0.0.1
rate-limit=0
[webrtc]
ice-addresses=127.0.0.1
zero-playout-delay=$setting
[media]
pipeline=videotestsrc is-live=true $PATTERN ! video/x-raw,width=$W,height=$H,framerate=30/1 ! vp8enc deadline=1 cpu-used=8 threads=1 lag-in-frames=0 target-bitrate=$BITRATE keyframe-max-dist=60
EOF
    "$SERVER" --config "$out.conf" > "$out.log" 2>&1 &
    DAEMON_PID=$!
    for _ in $(seq 1 50); do
        curl -sf "http://127.0.0.1:$port/status" >/dev/null 2>&1 && break
        sleep 0.1
    done
    timeout $((SECONDS_RUN + 60)) node "$VIEWER" --url "http://127.0.0.1:$port" \
        --duration "$SECONDS_RUN" > "$out.json" 2> "$out.stderr" || true
    kill "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
    python3 - "$out.json" "$setting" "$round" <<'PY' || failed=1
import json, statistics, sys
path, setting, rnd = sys.argv[1:]
lines = [json.loads(l) for l in open(path) if l.strip().startswith("{")]
prog = [l for l in lines if l.get("progress") and l.get("t", 0) >= 3]
def med(key):
    v = [l[key] for l in prog if l.get(key) is not None]
    return f"{statistics.median(v):.1f}" if v else "none"
final = [l for l in lines if not l.get("progress")]
err = final[-1].get("error") if final else "no result"
print(f"zero-playout-delay={setting} round {rnd}: capture_to_paint_ms={med('delay_ms')} "
      f"jitter_buffer_ms={med('jitter_buffer_ms')} fps_painted={med('fps_painted')} "
      f"fps_decoded={med('fps')} seconds={len(prog)}{' error=' + err if err else ''}")
sys.exit(0 if prog and not err else 1)
PY
}

for round in $(seq 1 "$ROUNDS"); do
    for setting in true false; do
        run "$round" "$setting"
    done
done

echo "== medians over every second of every round (${SIZE}, VP8 at $BITRATE bit/s, $ROUNDS x ${SECONDS_RUN} s)"
python3 - "$WORK" <<'PY'
import glob, json, statistics, sys, os
work = sys.argv[1]
print("| zero-playout-delay | capture → paint ms (p50 / p95) | jitter buffer ms per frame (p50) | painted fps (p50) | seconds |")
print("| --- | --- | --- | --- | --- |")
for setting in ("true", "false"):
    prog = []
    for path in sorted(glob.glob(os.path.join(work, f"{setting}-*.json"))):
        prog += [l for l in (json.loads(x) for x in open(path) if x.strip().startswith("{"))
                 if l.get("progress") and l.get("t", 0) >= 3]
    def vals(key):
        return sorted(l[key] for l in prog if l.get(key) is not None)
    d, j, f = vals("delay_ms"), vals("jitter_buffer_ms"), vals("fps_painted")
    p = lambda v, q: f"{v[min(len(v) - 1, int(q * len(v)))]:.1f}" if v else "none"
    print(f"| {setting} | {p(d, 0.5)} / {p(d, 0.95)} | {p(j, 0.5)} | {p(f, 0.5)} | {len(prog)} |")
PY
exit $failed

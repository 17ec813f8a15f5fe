#!/usr/bin/env bash
# Issue 14's anchor: the same source into Debian's Janus 1.1.2 (its streaming plugin, an RTP
# mountpoint fed by gst-launch-1.0) and into our daemon, the same aiortc viewers of both, and
# what each server's process spends per viewer.
#
#   tests/bench/janus-compare.sh [--steps 1,2,4,8] [--hold 15] [--warmup 5]
#       [--bitrate 1000000] [--size 640x480] [--codec vp8|h264] [--pattern PROPERTIES]
#       [--json FILE] [--keep-logs]
#
# (root; not in CI: about (warmup + hold + 5 s) x (steps + 1) x 2.) Everything runs in one
# network namespace, rwjb<PID>, deleted at the end: lo, and a veth pair whose end rwjb0 has
# 10.214.0.1, so that Janus (which skips loopback interfaces when it gathers) has an address;
# ICE uses that address alone on every side (the viewers too). Nothing is sent outside it.
#
# The source description, for --size WxH, --bitrate B and --codec vp8 (the default):
#   videotestsrc is-live=true PROPERTIES ! video/x-raw,width=W,height=H,framerate=30/1
#     ! vp8enc deadline=1 target-bitrate=B keyframe-max-dist=60 cpu-used=4
# (h264: x264enc tune=zerolatency speed-preset=ultrafast bitrate=B/1000 key-int-max=60
#  bframes=0 ! capsfilter caps=video/x-h264,profile=constrained-baseline)
# PROPERTIES (--pattern) are videotestsrc's, "pattern=ball" by default. The ball on black
# costs VP8 only ~90 kbit/s at 640x480 whatever the target; "pattern=zone-plate kx2=20
# ky2=20 kt=1" (a moving zone plate) makes VP8 spend its ~1 Mbit/s.
#
# 1. Janus: `gst-launch-1.0 SOURCE ! rtpvp8pay pt=96 ! udpsink host=127.0.0.1 port=5004`
#    (rtph264pay for h264) feeds mountpoint 1 (type rtp, pt 96, video port 5004) of Janus,
#    run with -F on a configuration written here: the streaming plugin alone, the HTTP
#    transport alone on 127.0.0.1:8088, interface and ice_enforce_list 10.214.0.1.
# 2. Our daemon (RW_SERVER), with `[media] pipeline=SOURCE` and `bitrate=B` (the top of what
#    rate control may ask of the encoder: without it, the daemon's default 2 Mbit/s, and the
#    encoder would be sent more than Janus's), `[webrtc] ice-addresses=10.214.0.1`,
#    rate-limit=0, max-viewers=100, HTTP on 127.0.0.1:8080.
#
# For each server, one step with no viewer and then one per --steps count: N viewers of
# tests/bench/aiortc-load.py (Debian's python3-aiortc, one process, one asyncio loop; the
# first viewer decodes, the others count the frames aiortc reassembles) connect, and once
# every one has a frame, after --warmup seconds, for --hold seconds: each server process's
# CPU (Δ(utime + stime) / wall time from /proc/PID/stat), RSS and threads, and the viewers'
# fps. For Janus, the gst-launch-1.0 that encodes is a process of its own: its CPU is shown
# apart and added to Janus's (our daemon encodes inside its process). Marginal CPU per
# viewer: the least-squares slope of cores over N (the steps with viewers). A step where a
# viewer gets < 25 fps, or none, is flagged.
#
# Exit 0 when both servers were measured, 1 when a server did not come up or a step had a
# viewer with no frame, 77 (skip) when it cannot run here, saying why.
#
# Settings: RW_SERVER (the daemon; default build/src/robot-webrtc-server), RW_JANUS (janus).
set -euo pipefail

me=$(basename "$0")
here=$(cd "$(dirname "$0")" && pwd)
src_dir=$(cd "$here/../.." && pwd)
SERVER=${RW_SERVER:-$src_dir/build/src/robot-webrtc-server}
JANUS=${RW_JANUS:-janus}
PY=/usr/bin/python3
LOAD="$here/aiortc-load.py"

STEPS=1,2,4,8
HOLD=15
WARMUP=5
BITRATE=1000000
SIZE=640x480
CODEC=vp8
PATTERN=pattern=ball
JSON_OUT=""
KEEP_LOGS=0

usage() {
  sed -n '6,8p' "$0" | sed 's/^# \{0,3\}//'
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --steps) STEPS=${2:?}; shift 2 ;;
    --hold) HOLD=${2:?}; shift 2 ;;
    --warmup) WARMUP=${2:?}; shift 2 ;;
    --bitrate) BITRATE=${2:?}; shift 2 ;;
    --size) SIZE=${2:?}; shift 2 ;;
    --codec) CODEC=${2:?}; shift 2 ;;
    --pattern) PATTERN=${2:?}; shift 2 ;;
    --json) JSON_OUT=${2:?}; shift 2 ;;
    --keep-logs) KEEP_LOGS=1; shift ;;
    -h | --help) usage ;;
    *) echo "$me: unknown option '$1'" >&2; usage ;;
  esac
done

[[ $STEPS =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "$me: --steps: e.g. 1,2,4,8" >&2; exit 2; }
IFS=, read -r -a STEP_LIST <<<"$STEPS"
for n in "${STEP_LIST[@]}"; do
  [ "$n" -ge 1 ] && [ "$n" -le 64 ] || { echo "$me: --steps: each in 1..64" >&2; exit 2; }
done
[[ $HOLD =~ ^[0-9]+$ ]] && [ "$HOLD" -ge 1 ] && [ "$HOLD" -le 600 ] ||
  { echo "$me: --hold: 1..600 s" >&2; exit 2; }
[[ $WARMUP =~ ^[0-9]+$ ]] && [ "$WARMUP" -le 600 ] || { echo "$me: --warmup: 0..600 s" >&2; exit 2; }
[[ $BITRATE =~ ^[0-9]+$ ]] && [ "$BITRATE" -ge 50000 ] && [ "$BITRATE" -le 50000000 ] ||
  { echo "$me: --bitrate: bits per second, 50000..50000000" >&2; exit 2; }
[[ $SIZE =~ ^([0-9]+)x([0-9]+)$ ]] || { echo "$me: --size: WxH, e.g. 640x480" >&2; exit 2; }
WIDTH=${BASH_REMATCH[1]}
HEIGHT=${BASH_REMATCH[2]}
case "$CODEC" in
  vp8 | h264) ;;
  *) echo "$me: --codec: vp8 or h264" >&2; exit 2 ;;
esac
[[ $PATTERN =~ ^[a-z0-9-]+=[A-Za-z0-9.-]+( [a-z0-9-]+=[A-Za-z0-9.-]+)*$ ]] ||
  { echo "$me: --pattern: videotestsrc properties, e.g. 'pattern=ball'" >&2; exit 2; }

skip() {
  echo "$me: SKIP: $*"
  exit 77
}

# --- can it run here? ---

[ "$(id -u)" -eq 0 ] || skip "needs root to make a network namespace (uid $(id -u))"
for tool in ip "$JANUS" gst-launch-1.0 gst-inspect-1.0 curl timeout pgrep; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip "'$tool' not found (apt-get install janus gstreamer1.0-tools curl coreutils procps iproute2)"
done
[ -x "$PY" ] && "$PY" -c 'import aiortc' 2>/dev/null ||
  skip "no aiortc for $PY (apt-get install python3-aiortc)"
[ -x "$SERVER" ] || skip "no daemon at $SERVER (build it, or set RW_SERVER)"
JANUS_PLUGINS=/usr/lib/x86_64-linux-gnu/janus/plugins
[ -f "$JANUS_PLUGINS/libjanus_streaming.so" ] || skip "no Janus streaming plugin in $JANUS_PLUGINS"
if [ "$CODEC" = vp8 ]; then
  ELEMENTS="videotestsrc vp8enc rtpvp8pay udpsink"
else
  ELEMENTS="videotestsrc x264enc rtph264pay udpsink"
fi
for element in $ELEMENTS; do
  gst-inspect-1.0 --exists "$element" || skip "no GStreamer element $element"
done

probe="rwjb$$probe"
timeout 10 ip netns add "$probe" 2>/dev/null ||
  skip "'ip netns add' failed: this machine does not allow network namespaces"
if ! timeout 10 ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null; then
  timeout 10 ip netns del "$probe" || true
  skip "no veth inside a network namespace"
fi
timeout 10 ip netns del "$probe"

# Namespaces an earlier run left when it was killed before its teardown (its PID gone).
for stale in $(timeout 10 ip netns list | awk '{ print $1 }' | grep -E '^rwjb[0-9]+(probe)?$' || true); do
  stale_pid=$(sed -E 's/^rwjb([0-9]+).*/\1/' <<<"$stale")
  if ! kill -0 "$stale_pid" 2>/dev/null; then
    echo "$me: deleting namespace $stale, left by an earlier run" >&2
    timeout 10 ip netns del "$stale" || true
  fi
done

# --- the source ---

SOURCE="videotestsrc is-live=true $PATTERN ! video/x-raw,width=$WIDTH,height=$HEIGHT,framerate=30/1"
if [ "$CODEC" = vp8 ]; then
  SOURCE="$SOURCE ! vp8enc deadline=1 target-bitrate=$BITRATE keyframe-max-dist=60 cpu-used=4"
  PAYLOADER="rtpvp8pay pt=96"
  JANUS_CODEC='codec = "vp8"'
else
  SOURCE="$SOURCE ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=$((BITRATE / 1000))"
  SOURCE="$SOURCE key-int-max=60 bframes=0 ! capsfilter caps=video/x-h264,profile=constrained-baseline"
  PAYLOADER="rtph264pay pt=96 config-interval=-1"
  JANUS_CODEC='codec = "h264"
      fmtp = "profile-level-id=42e01f;packetization-mode=1"'
fi

NS="rwjb$$"
ADDR=10.214.0.1
JANUS_API="http://127.0.0.1:8088/janus"
DAEMON_URL="http://127.0.0.1:8080"
WORK=$(mktemp -d /tmp/rw-janus-compare.XXXXXX)
NAMESPACES=()
PIDS=()          # every process this run started and has not waited for, by PID
STEP_BOUND=$((WARMUP + HOLD + 90))

log() { printf '%s: %s\n' "$me" "$*" >&2; }

# stop_pid PID: TERM, 5 s, KILL (its children too: a server under `timeout`)
stop_pid() {
  local pid=$1 i child
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "PID $pid still running 5 s after SIGTERM: SIGKILL (and its children)"
    for child in $(pgrep -P "$pid" || true); do
      kill -KILL "$child" 2>/dev/null || true
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

# A PID that was waited for: never signal it again (it may be reused).
forget_pid() {
  local pid kept=()
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    [ "$pid" = "$1" ] || kept+=("$pid")
  done
  PIDS=("${kept[@]+"${kept[@]}"}")
}

teardown() {
  local pid ns
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    stop_pid "$pid"
  done
  PIDS=()
  for ns in "${NAMESPACES[@]+"${NAMESPACES[@]}"}"; do
    [ -e "/run/netns/$ns" ] || continue
    timeout 10 ip netns del "$ns" || log "could not delete namespace $ns"
  done
  NAMESPACES=()
}

on_exit() {
  local status=$?
  trap - EXIT INT TERM
  teardown
  if [ "$KEEP_LOGS" = 1 ]; then
    log "logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap on_exit EXIT
trap 'log "interrupted"; exit 130' INT TERM

in_ns() { timeout 10 ip netns exec "$NS" "$@"; }

make_network() {
  NAMESPACES=("$NS")
  timeout 10 ip netns add "$NS" || return 1
  # before any link exists: no IPv6 link-local addresses
  in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 &&
    timeout 10 ip -n "$NS" link set lo up &&
    timeout 10 ip -n "$NS" link add rwjb0 type veth peer name rwjb1 &&
    timeout 10 ip -n "$NS" addr add "$ADDR/24" dev rwjb0 &&
    timeout 10 ip -n "$NS" link set rwjb0 up &&
    timeout 10 ip -n "$NS" link set rwjb1 up
}

# The streaming plugin alone, the HTTP transport alone, ICE on $ADDR alone; one mountpoint.
write_janus_config() {
  local dir="$WORK/janus-conf" plugins transports
  mkdir -p "$dir"
  plugins=$(cd "$JANUS_PLUGINS" && ls libjanus_*.so | grep -v '^libjanus_streaming.so$' |
    paste -sd, || true)
  transports=$(cd "$JANUS_PLUGINS/../transports" 2>/dev/null && ls libjanus_*.so |
    grep -v '^libjanus_http.so$' | paste -sd, || true)
  cat >"$dir/janus.jcfg" <<EOF
general: {
  interface = "$ADDR"
  session_timeout = 60
  debug_level = 4
}
media: {
  ipv6 = false
  rtp_port_range = "20000-40000"
}
nat: {
  ice_enforce_list = "$ADDR"
  ignore_mdns = true
  full_trickle = false
}
plugins: {
  disable = "$plugins"
}
transports: {
  disable = "$transports"
}
events: {
  broadcast = false
}
EOF
  cat >"$dir/janus.transport.http.jcfg" <<EOF
general: {
  http = true
  port = 8088
  ip = "127.0.0.1"
  base_path = "/janus"
  https = false
}
admin: {
  admin_http = false
  admin_https = false
}
EOF
  cat >"$dir/janus.plugin.streaming.jcfg" <<EOF
general: {
}
robot: {
  type = "rtp"
  id = 1
  description = "robot-webrtc janus-compare"
  media = (
    {
      type = "video"
      mid = "v"
      label = "video"
      port = 5004
      pt = 96
      $JANUS_CODEC
    }
  )
}
EOF
}

# wait_http URL PID: up to 15 s for URL to answer inside the namespace, while PID lives
wait_http() {
  local url=$1 pid=$2 i
  for ((i = 0; i < 150; i++)); do
    in_ns curl -sf --max-time 1 "$url" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# child_of PID NAME: the process NAME started by PID (a server under its `timeout`)
child_of() {
  local i c
  for ((i = 0; i < 50; i++)); do
    c=$(pgrep -P "$1" -x "$2" || true)
    [ -n "$c" ] && { echo "$c"; return 0; }
    sleep 0.1
  done
  return 1
}

BOUND=$(((${#STEP_LIST[@]} + 1) * (STEP_BOUND + 10) + 120))

start_janus_bed() {
  # shellcheck disable=SC2086
  ip netns exec "$NS" timeout -k 5 "$BOUND" gst-launch-1.0 -q $SOURCE ! $PAYLOADER ! \
    udpsink host=127.0.0.1 port=5004 >"$WORK/gst-launch.log" 2>&1 &
  FEED_TIMEOUT_PID=$!
  PIDS+=("$FEED_TIMEOUT_PID")
  ip netns exec "$NS" timeout -k 5 "$BOUND" "$JANUS" -F "$WORK/janus-conf" -o \
    >"$WORK/janus.log" 2>&1 &
  JANUS_TIMEOUT_PID=$!
  PIDS+=("$JANUS_TIMEOUT_PID")
  if ! wait_http "$JANUS_API/info" "$JANUS_TIMEOUT_PID"; then
    log "Janus did not answer $JANUS_API/info within 15 s"
    return 1
  fi
  JANUS_PID=$(child_of "$JANUS_TIMEOUT_PID" janus) || { log "no janus process"; return 1; }
  FEED_PID=$(child_of "$FEED_TIMEOUT_PID" gst-launch-1.0) ||
    { log "gst-launch-1.0 is not running: $(tail -3 "$WORK/gst-launch.log")"; return 1; }
}

start_daemon() {
  cat >"$WORK/robot.conf" <<EOF
[server]
port=8080
bind=127.0.0.1
max-viewers=100
rate-limit=0

[webrtc]
ice-addresses=$ADDR

[media]
pipeline=$SOURCE
bitrate=$BITRATE
EOF
  ip netns exec "$NS" env GST_DEBUG_NO_COLOR=1 timeout -k 5 "$BOUND" "$SERVER" \
    --config "$WORK/robot.conf" >"$WORK/daemon.log" 2>&1 &
  DAEMON_TIMEOUT_PID=$!
  PIDS+=("$DAEMON_TIMEOUT_PID")
  if ! wait_http "$DAEMON_URL/status" "$DAEMON_TIMEOUT_PID"; then
    log "the daemon did not answer $DAEMON_URL/status within 15 s: $(tail -3 "$WORK/daemon.log")"
    return 1
  fi
  DAEMON_PID=$(child_of "$DAEMON_TIMEOUT_PID" "$(basename "$SERVER" | cut -c1-15)") ||
    { log "no daemon process"; return 1; }
}

# daemon_idle: up to 10 s for /status to show no viewer (the last step's hung up)
daemon_idle() {
  local i
  for ((i = 0; i < 100; i++)); do
    in_ns curl -sf --max-time 1 "$DAEMON_URL/status" 2>/dev/null |
      "$PY" -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("viewers") == 0 else 1)' \
        2>/dev/null && return 0
    sleep 0.1
  done
  log "the daemon still counts viewers 10 s after the last step"
  return 1
}

# step SERVER N PID-ARGS...: N viewers; their JSON lines in $WORK/SERVER-N.json
step() {
  local server=$1 n=$2 rc=0
  shift 2
  local target=daemon url=$DAEMON_URL
  if [ "$server" = janus ]; then
    target=janus url=$JANUS_API
  fi
  ip netns exec "$NS" timeout -k 5 "$STEP_BOUND" "$PY" "$LOAD" --target "$target" --url "$url" \
    -n "$n" --warmup "$WARMUP" --hold "$HOLD" --ice-address "$ADDR" "$@" \
    >"$WORK/$server-$n.json" 2>"$WORK/$server-$n.err" &
  local pid=$!
  PIDS+=("$pid")
  wait "$pid" || rc=$?
  forget_pid "$pid"
  "$PY" - "$WORK/$server-$n.json" "$server" "$n" "$rc" <<'EOF' || true
import json, sys
path, server, n, rc = sys.argv[1:]
lines = [json.loads(l) for l in open(path) if l.strip().startswith("{")]
summary = next((l for l in lines if l.get("summary")), {})
viewers = [l for l in lines if "viewer" in l]
procs = " ".join("%s=%s" % (k, v.get("cores")) for k, v in summary.get("pids", {}).items())
fps = ",".join("%g" % v["fps"] for v in viewers)
errors = [v["error"] for v in viewers if v.get("error")]
print("  %s N=%s: cores %s client=%s fps [%s] ready %ss%s%s" % (
    server, n, procs, summary.get("client", {}).get("cores"), fps, summary.get("ready_s"),
    " (exit %s)" % rc if rc != "0" else "", " error: %s" % errors[0] if errors else ""))
EOF
  sleep 2
}

# --- main ---

echo "== $(date -u +%FT%TZ) $(nproc) cores; namespace $NS ($ADDR); $CODEC ${WIDTH}x$HEIGHT $BITRATE bit/s; steps 0,$STEPS; warmup $WARMUP s, hold $HOLD s"
echo "== source: $SOURCE"
make_network || { log "could not make the namespace"; exit 1; }
STATUS=0
write_janus_config

echo "== Janus ($("$JANUS" --help 2>&1 | head -1 || true)): streaming plugin, mountpoint fed by gst-launch-1.0"
if start_janus_bed; then
  echo "  janus PID $JANUS_PID, gst-launch-1.0 PID $FEED_PID"
  sleep 2
  for n in 0 "${STEP_LIST[@]}"; do
    step janus "$n" --pid "janus=$JANUS_PID" --pid "encoder=$FEED_PID"
  done
else
  STATUS=1
  tail -20 "$WORK/janus.log" "$WORK/gst-launch.log" >&2 || true
fi
stop_pid "$JANUS_TIMEOUT_PID"
stop_pid "$FEED_TIMEOUT_PID"

echo "== our daemon ($SERVER)"
if start_daemon; then
  echo "  daemon PID $DAEMON_PID"
  sleep 2
  for n in 0 "${STEP_LIST[@]}"; do
    daemon_idle || STATUS=1
    step daemon "$n" --pid "daemon=$DAEMON_PID"
  done
else
  STATUS=1
  tail -20 "$WORK/daemon.log" >&2 || true
fi
stop_pid "$DAEMON_TIMEOUT_PID"

"$PY" - "$WORK" "$STEPS" "$JSON_OUT" "$CODEC" "$SIZE" "$BITRATE" <<'EOF' || STATUS=1
import json, os, sys

work, steps, json_out, codec, size, bitrate = sys.argv[1:]
steps = [0] + [int(s) for s in steps.split(",")]
MIN_FPS = 25.0


def load(server, n):
    path = os.path.join(work, "%s-%d.json" % (server, n))
    try:
        lines = [json.loads(l) for l in open(path) if l.strip().startswith("{")]
    except (OSError, ValueError):
        return None
    summary = next((l for l in lines if l.get("summary")), None)
    if summary is None:
        return None
    summary["viewer_lines"] = [l for l in lines if "viewer" in l]
    return summary


def cores(summary, names):
    total = 0.0
    for name in names:
        p = summary.get("pids", {}).get(name, {})
        if p.get("cores") is None:
            return None
        total += p["cores"]
    return total


def slope(points):
    points = [(x, y) for x, y in points if x > 0 and y is not None]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def fmt(v, spec="%.3f"):
    return "—" if v is None else spec % v


def median(values):
    values = sorted(values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


results = {"codec": codec, "size": size, "bitrate": bitrate, "servers": {}}
flags = []
bad = False
for server, procs in (("janus", ["janus", "encoder"]), ("daemon", ["daemon"])):
    title = "Janus 1.1.2 streaming plugin (janus + the gst-launch-1.0 that encodes)" \
        if server == "janus" else "our daemon (encodes inside its process)"
    print("\n%s\n" % title)
    head = ["viewers"]
    if server == "janus":
        head += ["janus cores", "encoder cores", "total cores", "janus RSS MB",
                 "janus threads", "encoder RSS MB"]
    else:
        head += ["daemon cores", "without the encoder thread", "daemon RSS MB",
                 "daemon threads"]
    head += ["fps mean", "fps min", "kbit/s mean", "worst gap ms", "TTFF median ms",
             "TTFF max ms", "client cores", "flag"]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    rows = []
    for n in steps:
        s = load(server, n)
        if s is None:
            print("| %d | (no result) |" % n)
            bad = True
            continue
        v = s["viewer_lines"]
        p = s.get("pids", {})
        total = cores(s, procs)
        # the relay alone: janus without its feeder, ours without the thread that runs
        # videotestsrc and the encoder
        if server == "janus":
            relay = p.get("janus", {}).get("cores")
        else:
            d = p.get("daemon", {})
            relay = None if d.get("cores") is None else d["cores"] - sum(
                c for k, c in d.get("thread_cores", {}).items() if k.startswith("videotestsrc"))
        fps = [x["fps"] for x in v]
        ttff = [x["ttff_ms"] for x in v if x.get("ttff_ms") is not None]
        flag = ""
        if n and (not fps or min(fps) < MIN_FPS or len(fps) < n):
            flag = "STARVED (< %g fps)" % MIN_FPS
            flags.append("%s at %d viewers: fps min %s" % (server, n, min(fps) if fps else None))
        if any(x["frames"] == 0 for x in v):
            bad = True
        errors = [x["error"] for x in v if x.get("error")]
        if errors:
            flag += (" " if flag else "") + "error: " + errors[0][:60]
        row = ["%d" % n]
        if server == "janus":
            row += [fmt(p.get("janus", {}).get("cores")), fmt(p.get("encoder", {}).get("cores")),
                    fmt(total), fmt(p.get("janus", {}).get("rss_mb"), "%.1f"),
                    fmt(p.get("janus", {}).get("threads"), "%d"),
                    fmt(p.get("encoder", {}).get("rss_mb"), "%.1f")]
        else:
            row += [fmt(total), fmt(relay), fmt(p.get("daemon", {}).get("rss_mb"), "%.1f"),
                    fmt(p.get("daemon", {}).get("threads"), "%d")]
        kbps = [x["kbps"] for x in v]
        row += [fmt(sum(fps) / len(fps) if fps else None, "%.1f"),
                fmt(min(fps) if fps else None, "%.1f"),
                fmt(sum(kbps) / len(kbps) if kbps else None, "%.0f"),
                fmt(max(x["worst_gap_ms"] for x in v) if v else None, "%.0f"),
                fmt(median(ttff), "%.0f"), fmt(max(ttff) if ttff else None, "%.0f"),
                fmt(s.get("client", {}).get("cores")), flag]
        print("| " + " | ".join(row) + " |")
        rows.append({"viewers": n, "cores": total, "relay_cores": relay, "pids": p, "fps": fps, "ttff_ms": ttff,
                     "kbps": kbps, "client_cores": s.get("client", {}).get("cores"),
                     "flag": flag})
    results["servers"][server] = {"steps": rows,
                                  "marginal": slope([(r["viewers"], r["cores"]) for r in rows])}
    results["servers"][server]["marginal_relay"] = slope(
        [(r["viewers"], r["relay_cores"]) for r in rows])
    if rows and rows[-1]["viewers"]:
        last = rows[-1]
        kinds = last["pids"].get(procs[0], {}).get("thread_cores", {})
        print("\n%s's threads at %d viewers, cores by kind (digits left out of the names): %s" % (
            procs[0], last["viewers"], ", ".join(
                "%s %.3f" % kv for kv in sorted(kinds.items(), key=lambda kv: -kv[1])[:8])))

print("\nSide by side (cores: Δ(utime + stime) / wall of the server's processes; Janus's "
      "include the encoder)\n")
print("| viewers | janus cores (incl. encoder) | ours cores | ratio ours/janus "
      "| janus alone | ours without the encoder thread | ratio | fps min janus / ours |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
by = {srv: {r["viewers"]: r for r in results["servers"].get(srv, {}).get("steps", [])}
      for srv in ("janus", "daemon")}
for n in steps:
    j, d = by["janus"].get(n), by["daemon"].get(n)
    jc, dc = (j or {}).get("cores"), (d or {}).get("cores")
    ratio = dc / jc if jc and dc is not None else None
    jr, dr = (j or {}).get("relay_cores"), (d or {}).get("relay_cores")
    relay_ratio = dr / jr if jr and dr is not None else None
    jf = min(j["fps"]) if j and j["fps"] else None
    df = min(d["fps"]) if d and d["fps"] else None
    print("| %d | %s | %s | %s | %s | %s | %s | %s / %s |" % (
        n, fmt(jc), fmt(dc), fmt(ratio, "%.2f"), fmt(jr), fmt(dr), fmt(relay_ratio, "%.2f"),
        fmt(jf, "%.1f"), fmt(df, "%.1f")))
mj = results["servers"].get("janus", {}).get("marginal")
mja = results["servers"].get("janus", {}).get("marginal_relay")
mda = results["servers"].get("daemon", {}).get("marginal_relay")
md = results["servers"].get("daemon", {}).get("marginal")


def ratio_of(a, b):
    """a / b, or why not: a slope at or below zero is noise, not a cost"""
    if a is None or b is None:
        return "—"
    if b <= 0 or a <= 0:
        return "— (a slope <= 0: noise)"
    return "%.2f" % (a / b)


print("\nmarginal per viewer (least-squares slope over %s viewers): janus %s, ours %s, "
      "ratio ours/janus %s" % (",".join(str(s) for s in steps[1:]), fmt(mj, "%.4f"),
                               fmt(md, "%.4f"), ratio_of(md, mj)))
print("without the encoders (their run-to-run noise is larger than a viewer's cost): janus "
      "alone %s, ours without the encoder thread %s, ratio ours/janus %s" % (
          fmt(mja, "%.4f"), fmt(mda, "%.4f"), ratio_of(mda, mja)))
if flags:
    print("viewers below %g fps: %s" % (MIN_FPS, "; ".join(flags)))
else:
    print("every viewer got >= %g fps at every step" % MIN_FPS)
results["flags"] = flags
if json_out:
    with open(json_out, "w") as f:
        json.dump(results, f, indent=1)
sys.exit(1 if bad else 0)
EOF
exit "$STATUS"

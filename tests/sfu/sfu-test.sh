#!/usr/bin/env bash
# Issue 13's test bed: the daemon publishes once, over WHIP, to a real SFU (Janus 1.1.2's
# VideoRoom behind Meetecho's simple-whip-server), and the viewers watch from the SFU.
#
#   tests/sfu/sfu-test.sh [CASE]...     (root; default: 1 2 3)
#
# Two network namespaces (../shared/TESTBEDS.md §2), rwsfu<PID>-{sfu,robot}, one veth between
# them, no default route, nothing in the root namespace:
#
#   robot 10.213.0.2 (robot0) ── sfu 10.213.0.1 (sfu0)
#
# sfu: Janus (-F with the four files TESTBEDS names, written here: ICE on 10.213.0.1 only,
# HTTP API on 127.0.0.1:8088, WebSockets on 127.0.0.1:8188, room 4321), simple-whip-server
# (Debian's package unpacked by .ci/dev into RW_SFU_WHIP_DIR, its npm dependencies in
# tests/sfu/node_modules; its config.js written here) on *:7080 with the endpoint robot1
# (token s3cret), and every SFU subscriber: janus-subscriber.py (aiortc, HTTP API) and
# janus-chromium.mjs (Debian's chromium with janus.js, WebSockets). Janus 1.1.2 skips
# loopback interfaces when it gathers, hence the namespaces.
# robot: the daemon (RW_SERVER) with a config file: test pattern 640x480 at 30 fps, VP8 at
# 1 Mbit/s, a 440 Hz test tone in Opus, ICE on 10.213.0.2 only, HTTP on :8080, and
# [publish sfu] to http://10.213.0.1:7080/whip/endpoint/robot1; the C test viewer
# (RW_VIEWER) watches it there on 127.0.0.1:8080 in case 3.
#
# Cases (all on one bed: the daemon, Janus and simple-whip-server start once):
#   1  the publish is live in GET /status; 1 Chromium (janus.js) and RW_SFU_SUBSCRIBERS (3)
#      aiortc subscribers watch from Janus: each decodes >= 25 fps (fps and TTFF printed:
#      from the join to the first frame), the aiortc ones audio too
#   2  the robot's egress (tx_bytes of robot0, read inside the robot namespace) over
#      RW_SFU_EGRESS_SECONDS (8) with 1 and with 10 subscribers: kbit/s and their ratio
#      printed, N=10 < 1.5 x N=1 asserted
#   3  Janus killed (SIGKILL, by its PID) while a local C viewer watches the daemon: within
#      10 s the publish is `retrying` with a last_error in /status and the daemon's log has a
#      warning naming the publish; the local viewer keeps >= 25 fps throughout; Janus
#      restarted (same config): the publish is `live` again by itself and a new subscriber
#      decodes; the times from the restart to `live` and to its first frame are printed
#
# Each case prints one line of measurements and PASS or FAIL, e.g.
#   case 3 janus-restart: retrying_after_ms=4982 last_error='…' janus_up_ms=145
#     restart_to_live_ms=1672 restart_to_first_frame_ms=2112 local_viewer_fps=30.0 … PASS
# then the daemon is stopped (SIGTERM) and a line says whether its DELETE of the WHIP
# resource reached simple-whip-server (printed, not asserted), and the run ends with
# "N passed, N failed, N skipped". Exit 0, 1 if a case failed, 77 (skip) if it cannot run
# here, saying why: not root, a tool missing, no simple-whip-server, or a daemon without
# WHIP publishing (it refuses [publish NAME], or no "publish" in GET /status). Without
# Chromium (or its driver, janus.js, adapter.js) case 1 runs with aiortc alone and says so.
# A failed case prints the logs (daemon, Janus, simple-whip-server, subscribers).
#
# Settings: RW_SERVER, RW_VIEWER (the binaries; meson sets them), RW_SFU_WHIP_DIR (where
# .ci/dev unpacked simple-whip-server), RW_CHROMIUM, RW_SFU_SUBSCRIBERS (case 1's aiortc
# subscribers, 3), RW_SFU_SECONDS (case 1's watch after the first frame, 6),
# RW_SFU_EGRESS_SECONDS (8), RW_SFU_VIEWER_SECONDS (case 3's local viewer, 35),
# RW_SFU_WARNING_PATTERN (an extended regexp the warning must match, default "sfu"),
# RW_SFU_KEEP_LOGS=1 keeps the logs directory.
set -euo pipefail

me=$(basename "$0")
here=$(cd "$(dirname "$0")" && pwd)
src_dir=$(cd "$here/../.." && pwd)
SERVER=${RW_SERVER:-$src_dir/build/src/robot-webrtc-server}
VIEWER=${RW_VIEWER:-$src_dir/build/tests/client/rw-test-viewer}
WHIP_DIR=${RW_SFU_WHIP_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/robot-webrtc/simple-whip-server}
WHIP_APP="$WHIP_DIR/usr/share/simple-whip-server"
NODE_MODULES="$here/node_modules"
PY=/usr/bin/python3
SUBSCRIBER="$here/janus-subscriber.py"
CHROMIUM_SUBSCRIBER="$here/janus-chromium.mjs"
SUBSCRIBERS=${RW_SFU_SUBSCRIBERS:-3}
EGRESS_SECONDS=${RW_SFU_EGRESS_SECONDS:-8}
WATCH_SECONDS=${RW_SFU_SECONDS:-6}

SFU_IP=10.213.0.1
ROBOT_IP=10.213.0.2
ROOM=4321
ENDPOINT=robot1
LABEL=robot-cam
TOKEN=s3cret
JANUS_API="http://127.0.0.1:8088/janus"
STATUS_URL="http://127.0.0.1:8080/status"

# In CI (CI=true) what .ci/dev installs is there: missing, it is a failure, not a skip.
skip() {
  if [ "${CI:-}" = true ]; then
    echo "$me: FAIL: cannot run in CI: $*"
    exit 1
  fi
  echo "$me: SKIP: $*"
  exit 77
}

# --- can it run here? ---

[ "$(id -u)" -eq 0 ] || skip "needs root to make network namespaces (uid $(id -u))"
for tool in ip janus node curl timeout ss pgrep; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip "'$tool' not found (.ci/dev setup installs it: janus, nodejs, curl, coreutils, procps, iproute2)"
done
[ -x "$PY" ] && "$PY" -c 'import aiortc' 2>/dev/null ||
  skip "no aiortc for $PY (apt-get install python3-aiortc)"
[ -x "$SERVER" ] || skip "no daemon at $SERVER (set RW_SERVER)"
[ -x "$VIEWER" ] || skip "no test viewer at $VIEWER (set RW_VIEWER)"
[ -f "$WHIP_APP/src/server.js" ] ||
  skip "no simple-whip-server in $WHIP_DIR (.ci/dev setup unpacks it; or set RW_SFU_WHIP_DIR)"
[ -d "$NODE_MODULES/express" ] && [ -d "$NODE_MODULES/websocket" ] ||
  skip "no $NODE_MODULES ('npm ci' in tests/sfu, or .ci/dev setup)"
[ -d /usr/lib/x86_64-linux-gnu/janus/plugins ] || [ -n "$(janus --help 2>&1 | grep -- --plugins-folder || true)" ] ||
  skip "janus has no plugins"
probe="rwsfu$$probe"
if ! timeout 10 ip netns add "$probe" 2>/dev/null; then
  skip "'ip netns add' failed: this machine does not allow network namespaces"
fi
if ! timeout 10 ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null; then
  timeout 10 ip netns del "$probe" || true
  skip "no veth inside a network namespace"
fi
timeout 10 ip netns del "$probe"

# Namespaces of an earlier run that was killed before its teardown (rwsfu<PID>-…, that PID
# gone); their processes, if any are left, end with their `timeout`.
for stale in $(timeout 10 ip netns list | awk '{ print $1 }' | grep -E '^rwsfu[0-9]+(-|probe)' || true); do
  stale_pid=$(sed -E 's/^rwsfu([0-9]+).*/\1/' <<<"$stale")
  if ! kill -0 "$stale_pid" 2>/dev/null; then
    echo "$me: deleting namespace $stale, left by an earlier run" >&2
    timeout 10 ip netns del "$stale" || true
  fi
done

WORK=$(mktemp -d /tmp/rw-sfu.XXXXXX)
PREFIX="rwsfu$$"
NS_SFU="$PREFIX-sfu"
NS_ROBOT="$PREFIX-robot"
NAMESPACES=()
PIDS=()          # every process the run started and has not waited for, by PID
JANUS_PID=""     # the `timeout` wrapping Janus
WHIP_PID=""
DAEMON_PID=""
DAEMON_LOG="$WORK/daemon.log"
PASSED=0
FAILED=0
SKIPPED=0
SUMMARY=()
T0=$(date +%s.%N)

log() { printf '%s: %s\n' "$me" "$*" >&2; }
now() { date +%s.%N; }
# milliseconds from $1 to $2 (date +%s.%N stamps)
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
ge() { [ -n "$1" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
lt() { [ -n "$1" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# stop_pid PID: TERM, 5 s, KILL (and its children: the server under a `timeout`)
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
  # the daemon first, so that it can end its publish while the SFU is still there
  if [ -n "$DAEMON_PID" ]; then
    stop_pid "$DAEMON_PID"
    DAEMON_PID=""
  fi
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
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
  if [ "${RW_SFU_KEEP_LOGS:-0}" = 1 ]; then
    log "logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap on_exit EXIT
trap 'log "interrupted"; exit 130' INT TERM

in_sfu() { timeout 10 ip netns exec "$NS_SFU" "$@"; }
in_robot() { timeout 10 ip netns exec "$NS_ROBOT" "$@"; }

# --- the bed ---

make_network() {
  local n
  NAMESPACES=("$NS_SFU" "$NS_ROBOT")
  for n in "$NS_SFU" "$NS_ROBOT"; do
    timeout 10 ip netns add "$n" || return 1
    # before any link exists: no IPv6 link-local addresses at all
    timeout 10 ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
      net.ipv6.conf.default.disable_ipv6=1 || return 1
    timeout 10 ip -n "$n" link set lo up || return 1
  done
  timeout 10 ip -n "$NS_SFU" link add sfu0 type veth peer name robot0 netns "$NS_ROBOT" &&
    timeout 10 ip -n "$NS_SFU" addr add "$SFU_IP/24" dev sfu0 &&
    timeout 10 ip -n "$NS_ROBOT" addr add "$ROBOT_IP/24" dev robot0 &&
    timeout 10 ip -n "$NS_SFU" link set sfu0 up &&
    timeout 10 ip -n "$NS_ROBOT" link set robot0 up
}

# Exactly the four files of TESTBEDS §2; every plugin but the VideoRoom disabled.
write_janus_config() {
  local dir="$WORK/janus-conf" plugins
  mkdir -p "$dir"
  plugins=$(cd /usr/lib/x86_64-linux-gnu/janus/plugins 2>/dev/null && ls libjanus_*.so |
    grep -v '^libjanus_videoroom.so$' | paste -sd, || true)
  cat >"$dir/janus.jcfg" <<EOF
general: {
  interface = "$SFU_IP"
  session_timeout = 60
  debug_level = 4
}
media: {
  ipv6 = false
  rtp_port_range = "20000-40000"
}
nat: {
  ice_enforce_list = "$SFU_IP"
  ignore_mdns = true
  full_trickle = false
}
plugins: {
  disable = "$plugins"
}
transports: {
  disable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so"
}
EOF
  cat >"$dir/janus.transport.websockets.jcfg" <<EOF
general: {
  ws = true
  ws_port = 8188
  ws_ip = "127.0.0.1"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
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
  cat >"$dir/janus.plugin.videoroom.jcfg" <<EOF
room-$ROOM: {
  description = "robot-webrtc SFU test"
  publishers = 4
  bitrate = 2500000
  bitrate_cap = false
  fir_freq = 5
  videocodec = "vp8,h264"
  h264_profile = "42e01f"
  audiocodec = "opus"
}
EOF
}

# Janus in the SFU namespace; ready when its HTTP API answers /janus/info and its
# WebSockets port listens (its log file lags: not waited for).
start_janus() {
  local i
  ip netns exec "$NS_SFU" timeout -k 5 600 janus -F "$WORK/janus-conf" -o \
    >>"$WORK/janus.log" 2>&1 &
  JANUS_PID=$!
  PIDS+=("$JANUS_PID")
  for ((i = 0; i < 150; i++)); do
    if in_sfu curl -sf --max-time 1 "$JANUS_API/info" >/dev/null 2>&1 &&
       in_sfu ss -ltnH 'sport = :8188' | grep -q 127.0.0.1; then
      return 0
    fi
    kill -0 "$JANUS_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "Janus did not answer $JANUS_API/info within 15 s"
  return 1
}

# The Janus process itself (the child of its `timeout`).
janus_process() { pgrep -P "$JANUS_PID" -x janus || true; }

# simple-whip-server, from a copy of the unpacked package whose config.js (a symlink into
# /etc in the package) is ours; run from its folder (it serves web/ from there).
start_whip_server() {
  local app="$WORK/whip-server" i
  mkdir -p "$app"
  cp -r "$WHIP_APP/src" "$WHIP_APP/web" "$app/" 2>/dev/null || cp -r "$WHIP_APP/src" "$app/"
  rm -f "$app/src/config.js"
  cat >"$app/src/config.js" <<EOF
module.exports = {
  janus: { address: 'ws://127.0.0.1:8188' },
  port: 7080,
  rest: '/whip',
  allowTrickle: true,
  strictETags: false,
  iceServers: []
};
EOF
  (cd "$app" && exec ip netns exec "$NS_SFU" env NODE_PATH="$NODE_MODULES" DEBUG='whip:*' \
    DEBUG_COLORS=0 timeout -k 5 600 node src/server.js) >"$WORK/whip-server.log" 2>&1 &
  WHIP_PID=$!
  PIDS+=("$WHIP_PID")
  for ((i = 0; i < 100; i++)); do
    if in_sfu curl -sf --max-time 1 "http://$SFU_IP:7080/whip/healthcheck" >/dev/null 2>&1; then
      # the endpoint the robot publishes to
      in_sfu curl -sf --max-time 5 -H 'Content-Type: application/json' \
        -d "{\"id\":\"$ENDPOINT\",\"room\":$ROOM,\"label\":\"$LABEL\",\"token\":\"$TOKEN\"}" \
        "http://$SFU_IP:7080/whip/create" >/dev/null && return 0
      log "POST /whip/create failed"
      return 1
    fi
    kill -0 "$WHIP_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "simple-whip-server did not answer /whip/healthcheck within 10 s"
  return 1
}

start_daemon() {
  local i
  printf '%s\n' "$TOKEN" >"$WORK/whip-token"
  chmod 600 "$WORK/whip-token"
  # camera=99: no such camera, so the test pattern (and a warning), whatever the machine
  cat >"$WORK/robot.conf" <<EOF
[server]
port=8080

[webrtc]
ice-addresses=$ROBOT_IP

[media]
camera=99
width=640
height=480
framerate=30
bitrate=1000000
audio=test

[publish sfu]
url=http://$SFU_IP:7080/whip/endpoint/$ENDPOINT
token-file=$WORK/whip-token
EOF
  ip netns exec "$NS_ROBOT" env GST_DEBUG_NO_COLOR=1 timeout -k 5 600 "$SERVER" \
    --config "$WORK/robot.conf" >"$DAEMON_LOG" 2>&1 &
  DAEMON_PID=$!
  PIDS+=("$DAEMON_PID")
  for ((i = 0; i < 150; i++)); do
    if in_robot curl -sf --max-time 1 "$STATUS_URL" >"$WORK/status.json" 2>/dev/null; then
      return 0
    fi
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    sleep 0.1
  done
  # an older daemon refuses the group (exit 2): it cannot publish
  if grep -q 'unknown group \[publish' "$DAEMON_LOG"; then
    NO_PUBLISH=1
    return 1
  fi
  log "the daemon did not answer $STATUS_URL within 15 s"
  return 1
}

# The daemon's publish "sfu" from GET /status, as shell variables P_STATE, P_ERROR,
# P_ATTEMPTS, P_RETRY, P_BYTES, P_SINCE (live_since), P_RTX (retransmissions requested/sent)
# ("" when absent); false when /status does not answer.
read_publish() {
  P_STATE="" P_ERROR="" P_ATTEMPTS="" P_RETRY="" P_BYTES="" P_SINCE="" P_RTX=""
  in_robot curl -sf --max-time 2 "$STATUS_URL" >"$WORK/status.json" 2>/dev/null || return 1
  eval "$("$PY" - "$WORK/status.json" <<'EOF'
import json, shlex, sys
try:
    with open(sys.argv[1]) as f:
        status = json.load(f)
except Exception:
    status = {}
pub = {}
for p in status.get("publish") or []:
    if isinstance(p, dict) and p.get("name") == "sfu":
        pub = p
# bytes_sent: the publish's own, or its connection's (the daemon has it there)
conn = pub.get("connection") if isinstance(pub.get("connection"), dict) else {}
if pub.get("bytes_sent") is None:
    pub["bytes_sent"] = conn.get("bytes_sent")
rtx = conn.get("retransmissions") if isinstance(conn.get("retransmissions"), dict) else {}
pub["rtx"] = "%s/%s" % (rtx.get("requested"), rtx.get("sent")) if rtx else None
def s(x):
    return "" if x is None else str(x)
for var, key in (("P_STATE", "state"), ("P_ERROR", "last_error"),
                 ("P_ATTEMPTS", "attempts"), ("P_RETRY", "retry_in_ms"),
                 ("P_BYTES", "bytes_sent"), ("P_SINCE", "live_since"), ("P_RTX", "rtx")):
    print("%s=%s" % (var, shlex.quote(s(pub.get(key)))))
EOF
)"
}

# wait_publish STATE SECONDS: polls /status every 100 ms until the publish is in STATE.
wait_publish() {
  local want=$1 bound=$2 i
  for ((i = 0; i < bound * 10; i++)); do
    read_publish || true
    [ "$P_STATE" = "$want" ] && return 0
    sleep 0.1
  done
  return 1
}

# need_live SECONDS: the publish live within SECONDS, else a failure of the case
need_live() {
  wait_publish live "$1" ||
    CASE_FAILS+=("the publish is not live within $1 s (state '${P_STATE}', last_error '${P_ERROR}')")
}

# --- the viewers ---

# subscribers NAME N SECONDS [options of janus-subscriber.py]: N aiortc subscribers in the
# SFU namespace, in the background ($SUB_PID); their JSON lines in $WORK/NAME.json.
subscribers() {
  local name=$1 n=$2 secs=$3
  shift 3
  ip netns exec "$NS_SFU" timeout -k 5 $((secs + 90)) "$PY" "$SUBSCRIBER" \
    --janus "$JANUS_API" --room "$ROOM" --display "$LABEL" -n "$n" --duration "$secs" \
    --ice-address "$SFU_IP" "$@" >"$WORK/$name.json" 2>"$WORK/$name.err" &
  SUB_PID=$!
  PIDS+=("$SUB_PID")
}

# chromium_subscriber NAME SECONDS: one headless Chromium page with janus.js, in the
# background ($CHROMIUM_PID); its JSON line in $WORK/NAME.json.
chromium_subscriber() {
  local name=$1 secs=$2
  ip netns exec "$NS_SFU" timeout -k 5 $((secs + 90)) node "$CHROMIUM_SUBSCRIBER" \
    --janus ws://127.0.0.1:8188 --room "$ROOM" --display "$LABEL" --duration "$secs" \
    >"$WORK/$name.json" 2>"$WORK/$name.err" &
  CHROMIUM_PID=$!
  PIDS+=("$CHROMIUM_PID")
}

# Why Chromium cannot run here, or nothing.
chromium_missing() {
  if [ ! -x "${RW_CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "no ${RW_CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)"
  elif [ ! -d "$src_dir/tests/browser/node_modules/playwright-core" ]; then
    echo "no tests/browser/node_modules/playwright-core ('npm ci' in tests/browser)"
  elif [ ! -f /usr/share/javascript/janus-gateway/janus.js ]; then
    echo "no janus.js (apt-get install libjs-janus-gateway)"
  elif [ ! -f /usr/share/javascript/webrtc-adapter/adapter.js ]; then
    echo "no adapter.js (apt-get install libjs-webrtc-adapter)"
  fi
}

# wait_pid PID: its exit status (the process was started by this script)
wait_pid() {
  local rc=0
  wait "$1" || rc=$?
  forget_pid "$1"
  return "$rc"
}

# fields FILE KEY...: one line per JSON line of FILE, the KEYs' values separated by spaces
# ("-" for null or absent)
fields() {
  local file=$1
  shift
  "$PY" - "$file" "$@" <<'EOF'
import json, sys
keys = sys.argv[2:]
try:
    lines = open(sys.argv[1]).read().splitlines()
except OSError:
    lines = []
for line in lines:
    try:
        v = json.loads(line)
    except ValueError:
        continue
    print(" ".join("-" if v.get(k) is None else str(v.get(k)).replace(" ", "_") for k in keys))
EOF
}

# first_error FILE: the first error of FILE's JSON lines, as it is
first_error() {
  "$PY" - "$1" <<'EOF'
import json, sys
try:
    lines = open(sys.argv[1]).read().splitlines()
except OSError:
    lines = []
for line in lines:
    try:
        error = json.loads(line).get("error")
    except (ValueError, AttributeError):
        continue
    if error:
        print(error)
        break
EOF
}

# tx_bytes: bytes the robot has sent on its veth (read inside its namespace)
tx_bytes() { in_robot cat /sys/class/net/robot0/statistics/tx_bytes; }

# --- results ---

CASE_FAILS=()
expect() {       # expect DESCRIPTION COMMAND...
  local what=$1
  shift
  if ! "$@"; then
    CASE_FAILS+=("$what")
  fi
}

show_logs() {
  local f
  for f in "$DAEMON_LOG" "$WORK/janus.log" "$WORK/whip-server.log" "$WORK"/*.err "$WORK"/*.json; do
    [ -s "$f" ] || continue
    echo "---- $(basename "$f") (last 40 lines) ----"
    { tail -40 "$f"; echo; } | sed -e '$ { /^$/d }' -e 's/^/  /'
  done
}

# report ID TITLE MEASUREMENTS
report() {
  local verdict=PASS line
  [ ${#CASE_FAILS[@]} -eq 0 ] || verdict=FAIL
  line="case $1 $2: $3 $verdict"
  if [ $verdict = FAIL ]; then
    FAILED=$((FAILED + 1))
    local IFS=';'
    line="$line (${CASE_FAILS[*]})"
    show_logs
  else
    PASSED=$((PASSED + 1))
  fi
  SUMMARY+=("$line")
  echo "$line"
}

skip_case() {
  local line="case $1 $2: SKIP ($3)"
  SKIPPED=$((SKIPPED + 1))
  SUMMARY+=("$line")
  echo "$line"
}

begin_case() {
  CASE_FAILS=()
  echo "== case $1: $2"
}

# --- the cases ---

# a list of JSON lines' values, comma-separated: csv FILE KEY
csv() { fields "$1" "$2" | paste -sd, -; }

case_1() {
  local why rc_sub=0 rc_chr=0 fps ttff audio err bytes chr="" c_fps="" c_ttff="" c_err="" i f a
  begin_case 1 "the publish live; 1 Chromium (janus.js) and $SUBSCRIBERS aiortc subscribers watch from Janus"
  need_live 20
  why=$(chromium_missing)
  [ -n "$why" ] || chromium_subscriber c1-chromium "$WATCH_SECONDS"
  subscribers c1 "$SUBSCRIBERS" "$WATCH_SECONDS" --stagger 100
  wait_pid "$SUB_PID" || rc_sub=$?
  if [ -z "$why" ]; then
    wait_pid "$CHROMIUM_PID" || rc_chr=$?
    read -r c_fps c_ttff <<<"$(fields "$WORK/c1-chromium.json" fps_decoded ttff_ms | head -1)"
    c_err=$(first_error "$WORK/c1-chromium.json")
    expect "Chromium: decoded fps ${c_fps:-none} < 25 (exit $rc_chr, ${c_err:-})" ge "${c_fps/-/}" 25
    chr="chromium_fps=${c_fps:-none} chromium_ttff_ms=${c_ttff:-none}"
  else
    chr="chromium=none ($why)"
  fi
  fps=$(csv "$WORK/c1.json" fps)
  ttff=$(csv "$WORK/c1.json" first_frame_ms)
  audio=$(csv "$WORK/c1.json" audio_frames)
  err=$(first_error "$WORK/c1.json")
  [ "$(fields "$WORK/c1.json" fps | wc -l)" -eq "$SUBSCRIBERS" ] ||
    CASE_FAILS+=("aiortc: $(fields "$WORK/c1.json" fps | wc -l) of $SUBSCRIBERS subscribers reported (exit $rc_sub)")
  i=0
  while read -r f a; do
    expect "aiortc subscriber $i: fps $f < 25${err:+ ($err)}" ge "${f/-/}" 25
    expect "aiortc subscriber $i: no audio frame" ge "${a/-/}" 1
    i=$((i + 1))
  done < <(fields "$WORK/c1.json" fps audio_frames)
  read_publish || true
  bytes=$P_BYTES
  expect "the publish is '${P_STATE}' in /status after the watch, not live" [ "$P_STATE" = live ]
  report 1 watch "aiortc_fps=${fps:-none} aiortc_ttff_ms=${ttff:-none} aiortc_audio_frames=${audio:-none} $chr publish=${P_STATE:-none} bytes_sent=${bytes:-none} rtx_requested/sent=${P_RTX:-none}"
}

# egress N: the robot's egress in kbit/s over EGRESS_SECONDS with N subscribers watching
# (from 1 s after every one of them has a frame), in EGRESS_KBPS; their fps in EGRESS_FPS
egress() {
  local n=$1 i b0 b1 t0 t1 rc=0
  EGRESS_KBPS="" EGRESS_FPS=""
  rm -f "$WORK/e$n.ready"
  subscribers "e$n" "$n" $((EGRESS_SECONDS + 3)) --stagger 50 --ready-file "$WORK/e$n.ready"
  for ((i = 0; i < 300; i++)); do
    [ -s "$WORK/e$n.ready" ] && break
    kill -0 "$SUB_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -s "$WORK/e$n.ready" ]; then
    sleep 1
    b0=$(tx_bytes)
    t0=$(now)
    sleep "$EGRESS_SECONDS"
    b1=$(tx_bytes)
    t1=$(now)
    EGRESS_KBPS=$(awk -v b="$((b1 - b0))" -v a="$t0" -v z="$t1" 'BEGIN { printf "%.0f", b * 8 / (z - a) / 1000 }')
  else
    CASE_FAILS+=("N=$n: not every subscriber had a frame within 30 s")
  fi
  wait_pid "$SUB_PID" || rc=$?
  EGRESS_FPS=$(csv "$WORK/e$n.json" fps)
  [ "$rc" -eq 0 ] || CASE_FAILS+=("N=$n: janus-subscriber.py exit $rc ($(first_error "$WORK/e$n.json"))")
}

case_2() {
  local k1 k10 ratio f1
  begin_case 2 "the robot's egress with 1 and with 10 subscribers, ${EGRESS_SECONDS} s each"
  need_live 20
  egress 1
  k1=$EGRESS_KBPS
  f1=$EGRESS_FPS
  egress 10
  k10=$EGRESS_KBPS
  ratio=$(awk -v a="$k1" -v b="$k10" 'BEGIN { if (a > 0) printf "%.2f", b / a }')
  expect "N=10 egress ${k10:-none} kbit/s >= 1.5 x N=1 egress ${k1:-none} kbit/s" lt "$ratio" 1.5
  report 2 egress "n1_kbps=${k1:-none} n10_kbps=${k10:-none} ratio=${ratio:-none} n1_fps=${f1:-none} n10_fps=${EGRESS_FPS:-none}"
}

case_3() {
  local vsecs=${RW_SFU_VIEWER_SECONDS:-35} vpid jpid t_kill t_retry="" t_restart t_up t_live="" i
  local retry_ms="" live_ms="" up_ms="" first_ms="" ffu v_fps v_gap v_frames warning rc=0 err=""
  local log_from=1 since=""
  begin_case 3 "Janus killed and restarted while a local C viewer watches the daemon"
  need_live 20
  ip netns exec "$NS_ROBOT" timeout -k 5 $((vsecs + 30)) "$VIEWER" --url http://127.0.0.1:8080 \
    --duration "$vsecs" --ice-address "$ROBOT_IP" >"$WORK/c3-viewer.json" 2>"$WORK/c3-viewer.err" &
  vpid=$!
  PIDS+=("$vpid")
  sleep 3
  jpid=$(janus_process)
  if [ -z "$jpid" ]; then
    CASE_FAILS+=("no Janus process under PID $JANUS_PID")
  else
    log_from=$(($(wc -l <"$DAEMON_LOG") + 1))
    since=$P_SINCE
    kill -KILL "$jpid"
    t_kill=$(now)
    # (bash would print "Killed" for its `timeout`, which dies of the same signal)
    { wait_pid "$JANUS_PID"; } 2>/dev/null || true
    # retrying, with a reason, within 10 s (15 s looked at, to print how long it took)
    for ((i = 0; i < 150; i++)); do
      read_publish || true
      if [ "$P_STATE" = retrying ]; then
        t_retry=$(now)
        break
      fi
      sleep 0.1
    done
    if [ -n "$t_retry" ]; then
      retry_ms=$(ms_between "$t_kill" "$t_retry")
      expect "retrying after $retry_ms ms, not within 10 s" lt "$retry_ms" 10000
      expect "retrying without a last_error in /status" [ -n "$P_ERROR" ]
      err=$P_ERROR
    else
      CASE_FAILS+=("not retrying 15 s after the kill (state '${P_STATE}', last_error '${P_ERROR}')")
    fi
    # the same Janus again; the daemon must come back by itself
    t_restart=$(now)
    if start_janus; then
      t_up=$(now)
      up_ms=$(ms_between "$t_restart" "$t_up")
      subscribers c3-after 1 3 --feed-wait 45
      # live again: a new live_since (the one before the kill may still show, if the
      # daemon never noticed)
      for ((i = 0; i < 600; i++)); do
        read_publish || true
        if [ "$P_STATE" = live ] && [ "$P_SINCE" != "$since" ]; then
          t_live=$(now)
          break
        fi
        sleep 0.1
      done
      if [ -n "$t_live" ]; then
        live_ms=$(ms_between "$t_restart" "$t_live")
      else
        CASE_FAILS+=("not live again (a new live_since) 60 s after Janus's restart (state '${P_STATE}', live_since '${P_SINCE}', last_error '${P_ERROR}')")
      fi
      wait_pid "$SUB_PID" || rc=$?
      ffu=$(fields "$WORK/c3-after.json" first_frame_unix | head -1)
      if [ -n "$ffu" ] && [ "$ffu" != - ]; then
        first_ms=$(ms_between "$t_restart" "$ffu")
      else
        CASE_FAILS+=("the new subscriber decoded nothing (exit $rc, $(first_error "$WORK/c3-after.json"))")
      fi
    else
      CASE_FAILS+=("Janus did not restart")
    fi
  fi
  wait_pid "$vpid" || true
  read -r v_frames v_fps v_gap <<<"$(fields "$WORK/c3-viewer.json" frames fps max_gap_ms | head -1)"
  expect "the local viewer: fps ${v_fps:-none} < 25 while Janus was down" ge "${v_fps/-/}" 25
  # the daemon's warning that names the publish, logged after the kill
  warning=$(tail -n +"$log_from" "$DAEMON_LOG" | grep -iE 'warn' |
    grep -E "${RW_SFU_WARNING_PATTERN:-sfu}" | head -1 || true)
  expect "no warning naming the publish 'sfu' in the daemon's log" [ -n "$warning" ]
  [ -z "$warning" ] || echo "case 3: the daemon's warning: ${warning:0:300}"
  report 3 janus-restart "retrying_after_ms=${retry_ms:-none} last_error='${err:0:80}' janus_up_ms=${up_ms:-none} restart_to_live_ms=${live_ms:-none} restart_to_first_frame_ms=${first_ms:-none} local_viewer_fps=${v_fps:-none} local_viewer_max_gap_ms=${v_gap:-none}"
}

# --- main ---

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(1 2 3)
for c in "${cases[@]}"; do
  case "$c" in
    1 | 2 | 3) ;;
    *) log "unknown case '$c' (1 2 3)"; exit 2 ;;
  esac
done

echo "== the bed: namespaces $NS_SFU, $NS_ROBOT; Janus, simple-whip-server, the daemon"
BED_OK=1
make_network || BED_OK=0
[ $BED_OK = 0 ] || write_janus_config
[ $BED_OK = 0 ] || start_janus || BED_OK=0
[ $BED_OK = 0 ] || start_whip_server || BED_OK=0
NO_PUBLISH=0
[ $BED_OK = 0 ] || start_daemon || BED_OK=0
if [ $NO_PUBLISH = 1 ]; then
  skip "this daemon cannot publish: $(grep -m1 'unknown group' "$DAEMON_LOG" | head -c 300) (issue 13)"
fi
if [ $BED_OK = 1 ] && ! grep -q '"publish"' "$WORK/status.json"; then
  skip "this daemon has no WHIP publishing (no \"publish\" in GET /status; issue 13)"
fi
[ $BED_OK = 0 ] || echo "== bed ready in $(ms_between "$T0" "$(now)") ms"

for c in "${cases[@]}"; do
  if [ $BED_OK = 0 ]; then
    CASE_FAILS=("the bed did not come up")
    report "$c" bed "-"
    continue
  fi
  "case_$c"
done

# Not a case: the daemon ends its publish when stopped (DELETE of the resource, which
# simple-whip-server logs as "/resource/:")
if [ $BED_OK = 1 ] && [ -n "$DAEMON_PID" ]; then
  t_stop=$(now)
  stop_pid "$DAEMON_PID"
  DAEMON_PID=""
  if grep -q '/resource/:' "$WORK/whip-server.log"; then
    echo "== shutdown: the daemon stopped in $(ms_between "$t_stop" "$(now)") ms and DELETEd its WHIP resource"
  else
    echo "== shutdown: the daemon stopped in $(ms_between "$t_stop" "$(now)") ms; simple-whip-server saw no DELETE of the resource"
  fi
fi

echo "== summary"
printf '%s\n' "${SUMMARY[@]}"
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
if [ "$FAILED" -gt 0 ]; then
  exit 1
fi
if [ "$PASSED" -eq 0 ]; then
  exit 77
fi
exit 0

#!/usr/bin/env bash
# Issue 12's test bed: the daemon and the C test viewer on real (simulated) networks.
#
#   tests/netns/netns-test.sh [CASE]...     (root; default: every case)
#
# Each case builds its own network namespaces (../shared/TESTBEDS.md §1), named
# rwnt<PID>c<N>-{robot,natr,inet,natv,viewer}, all links made inside them, nothing in
# the root namespace, no route to the host's interfaces:
#
#   robot 10.1.0.2 ── natr 10.1.0.1 | 100.64.0.1 ──┐
#                                                  br0 in inet 100.64.0.254 (coturn)
#   viewer 10.2.0.2 ── natv 10.2.0.1 | 100.64.0.2 ──┘
#
# The NATs masquerade with `fully-random` (symmetric NAT); natr forwards tcp 8080 to the
# robot (signaling). inet and both NATs route everything else into a sink that drops it,
# as the internet does (coturn closes a whole allocation when a send fails). coturn
# (Debian's `turnserver`) runs in inet with a fresh config per case. The daemon
# (RW_SERVER) runs in robot on 10.1.0.2:8080 with the test pattern (640x480, 30 fps,
# VP8, 1 Mbit/s), the C test viewer (RW_VIEWER) in viewer, offering to
# http://100.64.0.1:8080. Cases:
#
#   1          both behind symmetric NAT, static TURN users on both sides → ≥ 28 fps over
#              RW_NETNS_SECONDS (10), the robot's relay in the selected pair (the viewer's
#              side is its relay or its NAT mapping, prflx: coturn's permissions are per IP)
#   1-secret   the same with coturn's use-auth-secret: the robot mints its credentials
#              (--turn-secret-file, 30 s lifetime), the viewer's are minted here with
#              openssl; a viewer watches 40 s (past the lifetime), a second one joins at
#              35 s. Skipped until the daemon has --turn-secret-file.
#   2          robot behind a router forwarding udp 40000-40099, --public-address, no
#              TURN → a direct pair on the router's forwarded port. Skipped until the
#              daemon has --public-address and --port-range.
#   3          UDP dropped between the NATs → TURN over TCP on both sides, relay ↔ relay;
#              TTFF printed against the 1 s target, ≤ 1.5 s asserted
#   3-tls      case 3 with the robot's TURN server reached over TLS (turns:, coturn's
#              certificate made by openssl) → the robot's relay, over tls in /status
#   3-icetcp   UDP dropped between the NATs, no TURN, natr forwarding tcp 40000-40099 to the
#              robot (--ice-tcp true --public-address --port-range) → the viewer's TCP
#              candidate to the robot's passive TCP one on the router's port; TTFF as case 3
#   4          case 1 with 2 % loss each way (natr drops 2 % of what the robot sends,
#              natv 2 % of what the viewer sends; no delay: this kernel has no netem) over
#              RW_NETNS_LOSS_SECONDS (30, issue 12's watch), the daemon resending lost video
#              packets (NACK + RTX): ≥ 28 fps asserted (unless RW_NETNS_SERVER_ARGS changes the
#              daemon), freezes (≥ 300 ms) and TTFF printed against issue 12's target
#   4-delay-chromium
#              case 4 with headless Chromium and 20 ms more each way between the robot's
#              router and the internet (rw-cable: two TAP devices and a process that passes
#              each frame 20 ms later, as this kernel has no netem): the daemon's RTT ≥ 40 ms
#              and ≥ 28 fps decoded asserted, the target printed
#   5          the robot's TURN server unreachable (wrong port) → no video, and the
#              daemon's log says so (assert_turn_failure_logged: asserted once the daemon
#              has the new TURN settings, printed before); /status shows no pair
#   1-chromium, 2-chromium, 3-chromium, 3-icetcp-chromium, 4-chromium
#              cases 1, 2, 3, 3-icetcp and 4 with headless Chromium as the viewer (chromium-viewer.mjs:
#              Debian's chromium driven by tests/browser/node_modules' playwright-core, its
#              page served on the viewer namespace's loopback, TURN user viewer): 1 asserts
#              ≥ 28 decoded and ≥ 25 painted fps and the pair, 2 ≥ 28 decoded fps and the
#              pair, 3 the pair and TTFF as case 3, 3-icetcp as case 3-icetcp,
#              4 (RW_NETNS_CHROMIUM_LOSS_SECONDS, default RW_NETNS_LOSS_SECONDS) ≥ 28 fps
#              decoded, the target (painted fps, freezes) printed. Skipped, saying why, without node, chromium or node_modules.
#
# Each case prints one line:
#   case 3 turn-tcp: ttff_ms=951.4 answer_ms=47.1 fps=29.9 max_gap_ms=240.6 freezes=0 frozen_ms=0.0 pair=relay/udp<->relay/udp daemon_pair=relay/udp/tcp<->relay/udp rtt_ms=5.9 PASS
# (pair: the viewer's candidate <-> the robot's, type/protocol; daemon_pair and rtt_ms: the
# robot's candidate <-> the viewer's and the RTT as the daemon's GET /status shows them,
# asked from the viewer's namespace while the viewer watches; a Chromium line's fps counts
# frames handed to its compositor (presentedFrames, which a busy renderer advances by more than
# one between two frame callbacks), fps_callbacks the callbacks and fps_decoded the decoder's
# frames). Before it, a line compares the daemon's view of the pair with the viewer's own,
# addresses included; when the robot's end is its relay, both must name the same relayed
# address (daemon_sees_pair).
# and the run ends with "N passed, N failed, N skipped". Exit 0, 1 if a case failed, 77
# (skip) if it cannot run here: not root, a tool missing, or no case could run.
#
# A case's daemon settings are its start_daemon arguments. RW_NETNS_SERVER_ARGS adds
# options to every daemon (e.g. "--retransmissions false"), RW_NETNS_VIEWER_ARGS to every
# viewer; RW_NETNS_KEEP_LOGS=1 keeps the logs directory;
# RW_NETNS_VERBOSE=1 prints every case's logs (a failed case's are always printed);
# RW_NETNS_TURN_VERBOSE=1 makes coturn log every allocation and permission.
set -euo pipefail

me=$(basename "$0")
src_dir=$(cd "$(dirname "$0")/../.." && pwd)
SERVER=${RW_SERVER:-$src_dir/build/src/robot-webrtc-server}
VIEWER=${RW_VIEWER:-$src_dir/build/tests/client/rw-test-viewer}
SECONDS_WATCH=${RW_NETNS_SECONDS:-10}
LOSS_SECONDS=${RW_NETNS_LOSS_SECONDS:-30}
CHROMIUM_LOSS_SECONDS=${RW_NETNS_CHROMIUM_LOSS_SECONDS:-$LOSS_SECONDS}
CHROMIUM_VIEWER="$src_dir/tests/netns/chromium-viewer.mjs"
CABLE=${RW_CABLE:-$src_dir/build/tests/netns/rw-cable}

skip() {
    echo "$me: SKIP: $*"
    exit 77
}

# --- can it run here? ---

[ "$(id -u)" -eq 0 ] || skip "needs root to make network namespaces (uid $(id -u))"
for tool in ip nft turnserver openssl timeout ss pgrep python3 base64 curl; do
    command -v "$tool" >/dev/null 2>&1 ||
        skip "'$tool' not found (apt-get install iproute2 nftables coturn openssl coreutils procps python3 curl)"
done
[ -x "$SERVER" ] || skip "no daemon at $SERVER (set RW_SERVER)"
[ -x "$VIEWER" ] || skip "no test viewer at $VIEWER (set RW_VIEWER)"
probe="rwnt$$probe"
if ! timeout 10 ip netns add "$probe" 2>/dev/null; then
    skip "'ip netns add' failed: this machine does not allow network namespaces"
fi
if ! timeout 10 ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null ||
   ! timeout 10 ip netns exec "$probe" nft add table ip probe_t 2>/dev/null; then
    timeout 10 ip netns del "$probe" || true
    skip "veth or nftables unavailable inside a network namespace"
fi
timeout 10 ip netns del "$probe"

# Namespaces of an earlier run that was killed before its teardown (rwnt<PID>…, that PID
# gone); their processes, if any are left, end with their `timeout`.
for stale in $(timeout 10 ip netns list | awk '{ print $1 }' | grep -E '^rwnt[0-9]+(c|probe)' || true); do
    stale_pid=$(sed -E 's/^rwnt([0-9]+).*/\1/' <<<"$stale")
    if ! kill -0 "$stale_pid" 2>/dev/null; then
        echo "$me: deleting namespace $stale, left by an earlier run" >&2
        timeout 10 ip netns del "$stale" || true
    fi
done

server_help=$(timeout 20 "$SERVER" --help 2>&1 || true)
has_option() { grep -q -- "--$1[= ]" <<<"$server_help"; }

WORK=$(mktemp -d /tmp/rw-netns.XXXXXX)
PREFIX="rwnt$$"
NAMESPACES=()   # of the current case
PIDS=()         # processes the current case started, each by its PID
CASE_ID=""
CASE_N=0
PASSED=0
FAILED=0
SKIPPED=0
SUMMARY=()

log() { printf '%s: %s\n' "$me" "$*" >&2; }

# Stops what the current case started (by PID: TERM, 5 s, KILL) and deletes its
# namespaces.
teardown_case() {
    local pid i ns child
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            # the server itself is the child of that `timeout`: KILL it first, by its PID
            log "PID $pid still running 5 s after SIGTERM: SIGKILL (and its children)"
            for child in $(pgrep -P "$pid" || true); do
                kill -KILL "$child" 2>/dev/null || true
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    for ns in "${NAMESPACES[@]+"${NAMESPACES[@]}"}"; do
        [ -e "/run/netns/$ns" ] || continue
        timeout 10 ip netns del "$ns" || log "could not delete namespace $ns"
    done
    NAMESPACES=()
}

# A PID that was waited for: never signal it again (it may be reused).
forget_pid() {
    local pid kept=()
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        [ "$pid" = "$1" ] || kept+=("$pid")
    done
    PIDS=("${kept[@]+"${kept[@]}"}")
}

on_exit() {
    local status=$?
    trap - EXIT INT TERM
    teardown_case
    if [ "${RW_NETNS_KEEP_LOGS:-0}" = 1 ]; then
        log "logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap on_exit EXIT
trap 'log "interrupted"; exit 130' INT TERM

ns() { printf '%sc%s-%s' "$PREFIX" "$CASE_N" "$1"; }
# A quick command inside a namespace, bounded.
in_ns() {
    local name=$1
    shift
    timeout 10 ip netns exec "$(ns "$name")" "$@"
}

# --- the topology ---

# Bash ignores `set -e` inside a function called from a condition (the cases' `if`), so
# the setup checks each step itself: `step CMD…` runs CMD unless a step failed already
# and records a failure.
SETUP_OK=1
step() {
    [ "$SETUP_OK" = 1 ] || return 0
    if ! "$@"; then
        log "setup step failed: $*"
        SETUP_OK=0
    fi
    return 0
}

make_ns() {
    local name
    name=$(ns "$1")
    timeout 10 ip netns add "$name" &&
        # before any link exists: no IPv6 link-local addresses at all
        in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1 &&
        timeout 10 ip -n "$name" link set lo up
}

# veth NS1 IF1 NS2 IF2: a cable, made inside NS1, its other end moved into NS2.
veth() {
    timeout 10 ip -n "$(ns "$1")" link add "$2" type veth peer name "$4" netns "$(ns "$3")" &&
        timeout 10 ip -n "$(ns "$1")" link set "$2" up &&
        timeout 10 ip -n "$(ns "$3")" link set "$4" up
}

# A default route into a veth whose other end drops everything (TESTBEDS §1).
sink_route() {
    local n
    n=$(ns "$1")
    timeout 10 ip -n "$n" link add sink0 type veth peer name sink1 &&
        timeout 10 ip -n "$n" link set sink0 up &&
        timeout 10 ip -n "$n" link set sink1 up &&
        timeout 10 ip -n "$n" neigh add 192.0.0.1 lladdr 02:00:00:00:de:ad dev sink0 \
            nud permanent &&
        timeout 10 ip -n "$n" route add default via 192.0.0.1 dev sink0 onlink
}

# nat_rules NS ROBOT(0|1) MODE LOSS: MODE is symmetric, forward (natr forwards udp
# 40000-40099 to the robot, same port out), udp-blocked, or tcp-forward (udp-blocked, and
# natr forwards tcp 40000-40099 to the robot); LOSS drops that percentage of what the NAT's
# host sends out (0: none).
nat_rules() {
    local name=$1 robot=$2 mode=$3 loss=$4
    local dnat="" pf="" lossrule="" out='iifname "lan0" oifname "wan0" accept' udp=""
    if [ "$robot" = 1 ]; then
        dnat='iifname "wan0" tcp dport 8080 dnat to 10.1.0.2:8080'
    fi
    if [ "$mode" = forward ] && [ "$robot" = 1 ]; then
        pf='
  chain pf_pre { type nat hook prerouting priority dstnat - 1; policy accept;
    iifname "wan0" udp dport 40000-40099 dnat to 10.1.0.2
  }
  chain pf_post { type nat hook postrouting priority srcnat - 1; policy accept;
    ip saddr 10.1.0.2 udp sport 40000-40099 snat to 100.64.0.1
  }'
    fi
    if [ "$mode" = tcp-forward ] && [ "$robot" = 1 ]; then
        pf='
  chain pf_pre { type nat hook prerouting priority dstnat - 1; policy accept;
    iifname "wan0" tcp dport 40000-40099 dnat to 10.1.0.2
  }'
    fi
    if [ "$mode" = udp-blocked ] || [ "$mode" = tcp-forward ]; then
        udp='meta l4proto udp drop'
        out='iifname "lan0" oifname "wan0" ip daddr 100.64.0.254 tcp dport { 3478, 5349 } accept
    iifname "lan0" oifname "wan0" tcp dport 8080 accept'
    fi
    if [ "$mode" = tcp-forward ] && [ "$robot" = 0 ]; then
        out="$out
    iifname \"lan0\" oifname \"wan0\" ip daddr 100.64.0.1 tcp dport 40000-40099 accept"
    fi
    if [ "$loss" -gt 0 ]; then
        lossrule="iifname \"lan0\" oifname \"wan0\" numgen random mod 100 < $loss drop"
    fi
    in_ns "$name" nft -f - <<EOF
table ip nat_t {
  chain pre { type nat hook prerouting priority dstnat; policy accept;
    $dnat
  }
  chain post { type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" masquerade fully-random
  }$pf
}
table ip fw_t {
  chain forward { type filter hook forward priority filter; policy drop;
    $lossrule
    $udp
    ct state established,related accept
    $out
    iifname "wan0" ct status dnat accept
  }
}
EOF
}

# cable NS1 IF1 NS2 IF2 DELAY_MS: the robot's router to the internet through rw-cable, which
# passes each frame DELAY_MS later (this kernel has no netem); it ends with the case.
cable() {
    local pid i out="$WORK/$CASE_ID/cable.out"
    timeout -k 5 600 "$CABLE" "$(ns "$1")" "$2" "$(ns "$3")" "$4" "$5" \
        >"$out" 2>"$WORK/$CASE_ID/cable.err" &
    pid=$!
    PIDS+=("$pid")
    for ((i = 0; i < 50; i++)); do
        if grep -q '^ready' "$out" 2>/dev/null; then
            timeout 10 ip -n "$(ns "$1")" link set "$2" up &&
                timeout 10 ip -n "$(ns "$3")" link set "$4" up
            return
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    log "rw-cable did not start: $(cat "$WORK/$CASE_ID/cable.err" 2>/dev/null)"
    return 1
}

# build_topology MODE LOSS [DELAY_MS]; SETUP_OK says whether it worked. With DELAY_MS the
# robot's router reaches the internet through rw-cable, DELAY_MS each way.
build_topology() {
    local mode=$1 loss=$2 delay=${3:-0} n r=(timeout 10 ip -n)
    SETUP_OK=1
    for n in robot natr inet natv viewer; do
        step make_ns "$n"
    done
    step veth robot eth0 natr lan0
    step veth viewer eth0 natv lan0
    if [ "$delay" -gt 0 ]; then
        step cable natr wan0 inet r0 "$delay"
    else
        step veth natr wan0 inet r0
    fi
    step veth natv wan0 inet v0
    step "${r[@]}" "$(ns inet)" link add br0 type bridge
    step "${r[@]}" "$(ns inet)" link set r0 master br0
    step "${r[@]}" "$(ns inet)" link set v0 master br0
    step "${r[@]}" "$(ns inet)" link set br0 up
    step "${r[@]}" "$(ns inet)" addr add 100.64.0.254/24 dev br0

    step "${r[@]}" "$(ns robot)" addr add 10.1.0.2/24 dev eth0
    step "${r[@]}" "$(ns robot)" route add default via 10.1.0.1
    step "${r[@]}" "$(ns natr)" addr add 10.1.0.1/24 dev lan0
    step "${r[@]}" "$(ns natr)" addr add 100.64.0.1/24 dev wan0
    step "${r[@]}" "$(ns viewer)" addr add 10.2.0.2/24 dev eth0
    step "${r[@]}" "$(ns viewer)" route add default via 10.2.0.1
    step "${r[@]}" "$(ns natv)" addr add 10.2.0.1/24 dev lan0
    step "${r[@]}" "$(ns natv)" addr add 100.64.0.2/24 dev wan0
    for n in natr natv inet; do
        step sink_route "$n"
    done
    step in_ns natr sysctl -qw net.ipv4.ip_forward=1
    step in_ns natv sysctl -qw net.ipv4.ip_forward=1
    step nat_rules natr 1 "$mode" "$loss"
    step nat_rules natv 0 "$mode" "$loss"
}

# wait_listening NS PROTO(u|t) ADDR:PORT PID SECONDS: until a socket listens there.
wait_listening() {
    local name=$1 proto=$2 addr=$3 pid=$4 limit=$5 i
    for ((i = 0; i < limit * 10; i++)); do
        if in_ns "$name" ss -ln"$proto" 2>/dev/null | grep -qF " $addr "; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# --- coturn ---

# start_turn static|secret [SECRET]; with TURN_TLS=1 coturn also takes TLS on 5349, with a
# certificate made here by openssl (self-signed: libnice does not check a TURN server's).
TURN_TLS=0
start_turn() {
    local kind=$1 secret=${2:-} dir="$WORK/$CASE_ID" pid
    if [ "$TURN_TLS" = 1 ] &&
       ! openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=turn.nat.test \
           -keyout "$dir/turn.key" -out "$dir/turn.crt" >/dev/null 2>&1; then
        log "openssl could not make coturn's certificate"
        return 1
    fi
    {
        echo "listening-ip=100.64.0.254"
        echo "relay-ip=100.64.0.254"
        echo "listening-port=3478"
        echo "min-port=49152"
        echo "max-port=49999"
        echo "realm=nat.test"
        echo "fingerprint"
        echo "lt-cred-mech"
        if [ "$kind" = secret ]; then
            echo "use-auth-secret"
            echo "static-auth-secret=$secret"
        else
            echo "user=robot:robotpass"
            echo "user=viewer:viewerpass"
        fi
        if [ "$TURN_TLS" = 1 ]; then
            echo "tls-listening-port=5349"
            echo "cert=$dir/turn.crt"
            echo "pkey=$dir/turn.key"
        else
            echo "no-tls"
        fi
        echo "no-dtls"
        echo "no-cli"
        echo "userdb=$dir/turndb"             # fresh: a reused one refuses secrets
        echo "pidfile=$dir/turnserver.pid"
        echo "log-file=stdout"
        echo "simple-log"
        [ "${RW_NETNS_TURN_VERBOSE:-0}" = 1 ] && echo "verbose"
    } >"$dir/turnserver.conf"
    ip netns exec "$(ns inet)" timeout -k 5 600 turnserver -c "$dir/turnserver.conf" \
        >"$dir/turnserver.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    if ! wait_listening inet u 100.64.0.254:3478 "$pid" 10 ||
       ! wait_listening inet t 100.64.0.254:3478 "$pid" 10 ||
       { [ "$TURN_TLS" = 1 ] && ! wait_listening inet t 100.64.0.254:5349 "$pid" 10; }; then
        log "coturn did not listen on 100.64.0.254:3478 within 10 s:"
        tail -20 "$dir/turnserver.log" >&2 || true
        return 1
    fi
}

# Viewer credentials from coturn's secret (TURN REST: user EXPIRY:NAME, password
# base64(HMAC-SHA1(secret, user))), percent-escaped into a URI.
mint_turn_uri() {
    local secret=$1 name=$2 lifetime=$3 extra=${4:-} user pass
    user="$(($(date +%s) + lifetime)):$name"
    pass=$(printf %s "$user" | openssl dgst -sha1 -hmac "$secret" -binary | base64)
    python3 -c 'import sys, urllib.parse as u
print("turn://%s:%s@100.64.0.254:3478%s" % (u.quote(sys.argv[1], safe=""),
      u.quote(sys.argv[2], safe=""), sys.argv[3]))' "$user" "$pass" "$extra"
}

# --- the daemon and the viewer ---

DAEMON_LOG=""
start_daemon() {
    local pid
    DAEMON_LOG="$WORK/$CASE_ID/daemon.log"
    # --camera 99: no such camera, so the test pattern (and a warning), whatever the machine
    ip netns exec "$(ns robot)" timeout -k 5 600 "$SERVER" --bind 10.1.0.2 --port 8080 \
        --camera 99 --width 640 --height 480 --framerate 30 --bitrate 1000000 \
        --ice-address 10.1.0.2 "$@" ${RW_NETNS_SERVER_ARGS:-} >"$DAEMON_LOG" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    if ! wait_listening robot t 10.1.0.2:8080 "$pid" 15; then
        log "the daemon did not listen on 10.1.0.2:8080 within 15 s:"
        cat "$DAEMON_LOG" >&2 || true
        return 1
    fi
}

# run_viewer NAME SECONDS [VIEWER OPTION]...: one viewer in the viewer namespace; its
# JSON line goes to $WORK/CASE/NAME.json, stderr to NAME.err. Never fails (the case
# judges the line).
run_viewer() {
    local name=$1 secs=$2 rc=0 poller
    shift 2
    poll_status "$name" "$secs" &
    poller=$!
    PIDS+=("$poller")
    timeout -k 5 $((secs + 30)) ip netns exec "$(ns viewer)" "$VIEWER" \
        --url http://100.64.0.1:8080 --duration "$secs" --ice-address 10.2.0.2 \
        ${RW_NETNS_VIEWER_ARGS:-} "$@" \
        >"$WORK/$CASE_ID/$name.json" 2>"$WORK/$CASE_ID/$name.err" || rc=$?
    echo "$rc" >"$WORK/$CASE_ID/$name.rc"
    wait "$poller" || true
    forget_pid "$poller"
}

# run_chromium NAME SECONDS [chromium-viewer.mjs OPTION]...: headless Chromium as the viewer
# (chromium-viewer.mjs), like run_viewer.
run_chromium() {
    local name=$1 secs=$2 rc=0 poller
    shift 2
    poll_status "$name" "$secs" &
    poller=$!
    PIDS+=("$poller")
    timeout -k 5 $((secs + 60)) ip netns exec "$(ns viewer)" node "$CHROMIUM_VIEWER" \
        --url http://100.64.0.1:8080 --duration "$secs" "$@" \
        >"$WORK/$CASE_ID/$name.json" 2>"$WORK/$CASE_ID/$name.err" || rc=$?
    echo "$rc" >"$WORK/$CASE_ID/$name.rc"
    wait "$poller" || true
    forget_pid "$poller"
}

# poll_status NAME SECONDS: the daemon's GET /status, asked from the viewer's namespace (as a
# browser would) while viewer NAME watches, into $WORK/CASE/NAME.status.json. First 60 % into
# its SECONDS (at most 6 s: it is connected by then), then once a second until a peer has an
# RTT, which needs the viewer's receiver report on a sender report of ours; a viewer slow to
# connect on a busy machine may not have sent one by the first answer.
poll_status() {
    local name=$1 secs=$2 delay tries file="$WORK/$CASE_ID/$1.status.json"
    delay=$(awk -v s="$secs" 'BEGIN { d = s * 0.6; if (d > 6) d = 6; printf "%.1f", d }')
    tries=$(awk -v s="$secs" -v d="$delay" 'BEGIN { n = int(s - d - 2); print (n < 1 ? 1 : n) }')
    sleep "$delay"
    while [ "$tries" -gt 0 ]; do
        timeout 5 ip netns exec "$(ns viewer)" curl -s --max-time 3 http://100.64.0.1:8080/status \
            >"$file.part" 2>/dev/null || true
        [ -s "$file.part" ] && mv "$file.part" "$file"
        grep -q '"rtt_ms" *: *[0-9]' "$file" 2>/dev/null && break
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] && sleep 1
    done
    rm -f "$file.part"
}

# Reads a viewer's JSON line into V_* variables (empty when missing).
read_viewer() {
    local file="$WORK/$CASE_ID/$1.json"
    eval "$(python3 - "$file" <<'EOF'
import json, shlex, sys
try:
    with open(sys.argv[1]) as f:
        v = json.loads(f.readline())
except Exception:
    v = {}
pair = v.get("pair") or {}
def num(x):
    return "" if x is None else str(x)
out = {
    "V_FRAMES": num(v.get("frames")),
    "V_FPS": num(v.get("fps")),
    "V_TTFF": num(v.get("ttff_ms")),
    "V_GAP": num(v.get("max_gap_ms")),
    "V_ANSWER": num(v.get("answer_ms")),
    "V_FREEZES": num(v.get("freezes")),
    "V_FROZEN": num(v.get("frozen_ms")),
    "V_LOCAL": pair.get("local") or "",
    "V_REMOTE": pair.get("remote") or "",
    "V_LOCAL_ADDR": pair.get("local_address") or "",
    "V_REMOTE_ADDR": pair.get("remote_address") or "",
    "V_ERROR": v.get("error") or "",
    "V_FPS_DECODED": num(v.get("fps_decoded")),
    "V_FPS_CALLBACKS": num(v.get("fps_callbacks")),
    "V_RTT": num(pair.get("rtt_ms")),
}
# the daemon's view of the same viewer: its peer in /status (peers of every stream)
try:
    with open(sys.argv[1][:-len(".json")] + ".status.json") as f:
        status = json.load(f)
except Exception:
    status = {}
peers = list(status.get("peers") or [])
for stream in status.get("streams") or []:
    peers += stream.get("peers") or []
peer = next((p for p in peers if v.get("peer_id") and p.get("peer_id") == v.get("peer_id")), None)
ice = (peer or {}).get("ice")
def end(c):
    kind = "%s/%s" % (c.get("type"), c.get("protocol"))
    if c.get("relay_protocol"):
        kind += "/" + c["relay_protocol"]
    return kind, "%s:%s" % (c.get("address"), c.get("port"))
if ice:
    out["D_LOCAL"], out["D_LOCAL_ADDR"] = end(ice["local"])
    out["D_REMOTE"], out["D_REMOTE_ADDR"] = end(ice["remote"])
    out["D_RTT"] = num(ice.get("rtt_ms"))
else:
    out["D_LOCAL"] = out["D_LOCAL_ADDR"] = out["D_REMOTE"] = out["D_REMOTE_ADDR"] = ""
    out["D_RTT"] = ""
out["D_STATE"] = (peer or {}).get("state") or ("no such peer" if status else "no /status")
for k, x in out.items():
    print("%s=%s" % (k, shlex.quote(x)))
EOF
)"
}

# The daemon's view of the pair (/status), printed next to the viewer's own.
daemon_view() {
    local same="differs"
    [ -n "$D_LOCAL_ADDR" ] && [ "$D_LOCAL_ADDR" = "$V_REMOTE_ADDR" ] && same="same robot end"
    echo "case $CASE_ID: daemon /status (${D_STATE}): ${D_LOCAL:-none} ${D_LOCAL_ADDR} <-> ${D_REMOTE:-none} ${D_REMOTE_ADDR}, rtt_ms=${D_RTT:-none};" \
        "viewer: ${V_LOCAL:-none} ${V_LOCAL_ADDR} <-> ${V_REMOTE:-none} ${V_REMOTE_ADDR}${V_RTT:+, rtt_ms=$V_RTT}: $same"
}
# A connected viewer's pair is in /status; when the robot's end is its relay, the daemon names
# the relayed address the viewer sends to.
daemon_sees_pair() {
    [ -n "$D_LOCAL" ] || return 1
    if is_relay "$V_REMOTE"; then
        is_relay "$D_LOCAL" && [ "$D_LOCAL_ADDR" = "$V_REMOTE_ADDR" ]
    fi
}

# ge A B: A >= B for decimals (A empty: false).
ge() { [ -n "$1" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# --- results ---

CASE_FAILS=()
expect() {       # expect CONDITION-DESCRIPTION COMMAND...
    local what=$1
    shift
    if ! "$@"; then
        CASE_FAILS+=("$what")
    fi
}

report() {       # report TITLE (after read_viewer)
    local title=$1 verdict=PASS line
    [ ${#CASE_FAILS[@]} -eq 0 ] || verdict=FAIL
    line=$(printf 'case %s %s: ttff_ms=%s answer_ms=%s fps=%s%s%s max_gap_ms=%s freezes=%s frozen_ms=%s pair=%s<->%s daemon_pair=%s<->%s rtt_ms=%s %s' \
        "$CASE_ID" "$title" "${V_TTFF:-none}" "${V_ANSWER:-none}" "${V_FPS:-none}" \
        "${V_FPS_CALLBACKS:+ fps_callbacks=$V_FPS_CALLBACKS}" \
        "${V_FPS_DECODED:+ fps_decoded=$V_FPS_DECODED}" "${V_GAP:-none}" \
        "${V_FREEZES:-none}" "${V_FROZEN:-none}" "${V_LOCAL:-none}" "${V_REMOTE:-none}" \
        "${D_LOCAL:-none}" "${D_REMOTE:-none}" "${D_RTT:-none}" "$verdict")
    if [ $verdict = FAIL ]; then
        FAILED=$((FAILED + 1))
        local IFS=';'
        line="$line (${CASE_FAILS[*]})"
        show_logs
    else
        PASSED=$((PASSED + 1))
        [ "${RW_NETNS_VERBOSE:-0}" = 1 ] && show_logs
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

show_logs() {
    local f
    for f in "$WORK/$CASE_ID"/*.json "$WORK/$CASE_ID"/*.err "$WORK/$CASE_ID"/daemon.log \
             "$WORK/$CASE_ID"/turnserver.log; do
        [ -f "$f" ] || continue
        echo "--- $(basename "$f")"
        tail -40 "$f"
    done
}

# begin_case ID: a fresh directory and topology for it.
begin_case() {
    CASE_ID=$1
    CASE_N=$((CASE_N + 1))
    CASE_FAILS=()
    V_FRAMES="" V_FPS="" V_TTFF="" V_ANSWER="" V_GAP="" V_FREEZES="" V_FROZEN="" V_LOCAL="" V_REMOTE=""
    V_FPS_DECODED="" V_FPS_CALLBACKS="" V_RTT="" D_LOCAL="" D_REMOTE="" D_RTT="" D_STATE=""
    mkdir -p "$WORK/$CASE_ID"
    # all of them, before any exists: teardown_case deletes those that were made
    NAMESPACES=("$(ns robot)" "$(ns natr)" "$(ns inet)" "$(ns natv)" "$(ns viewer)")
    echo "== case $CASE_ID: $2"
}

is_relay() { [[ "$1" == relay/* ]]; }
is_not_host() { [ -n "$1" ] && [[ "$1" != host/* ]]; }
is_direct() { [ -n "$1" ] && [[ "$1" != relay/* ]]; }
viewer_ok() { [ "$(cat "$WORK/$CASE_ID/$1.rc")" = 0 ]; }
has_frames() { [ -n "$V_FRAMES" ] && [ "$V_FRAMES" -gt 0 ]; }
no_frames() { [ "${V_FRAMES:-0}" -eq 0 ]; }

# setup_case MODE LOSS TURN(static|secret|none) [SECRET]: topology (with CASE_DELAY_MS on
# the robot's uplink, when set) and coturn; on failure the case is reported failed and 1
# returned.
CASE_DELAY_MS=0
setup_case() {
    local mode=$1 loss=$2 turn=$3 secret=${4:-}
    build_topology "$mode" "$loss" "$CASE_DELAY_MS"
    if [ "$SETUP_OK" != 1 ]; then
        CASE_FAILS+=("the topology could not be built")
        return 1
    fi
    if [ "$turn" != none ] && ! start_turn "$turn" "$secret"; then
        CASE_FAILS+=("coturn did not start")
        return 1
    fi
}

# print_loss_target SECONDS (after read_viewer): the viewer's numbers against issue 12's
# target, at least 28 fps painted and no freeze of 300 ms or more.
print_loss_target() {
    local target="target met"
    if ! ge "$V_FPS" 28 || [ "${V_FREEZES:-1}" -gt 0 ]; then
        target="target (>= 28 fps, no freeze >= 300 ms) not met"
    fi
    echo "case $CASE_ID measurement over $1 s: fps=${V_FPS:-none}" \
        "${V_FPS_DECODED:+fps_decoded=$V_FPS_DECODED }freezes=${V_FREEZES:-none}" \
        "frozen_ms=${V_FROZEN:-none} max_gap_ms=${V_GAP:-none}: $target"
}

# --- the cases ---

case_1() {
    begin_case 1 "symmetric NAT both sides, static TURN users on both"
    if setup_case symmetric 0 static &&
       start_daemon --turn-server turn://robot:robotpass@100.64.0.254:3478; then
        run_viewer v "$SECONDS_WATCH" --turn-server turn://viewer:viewerpass@100.64.0.254:3478
        read_viewer v
        daemon_view
        expect "viewer exit status $(cat "$WORK/$CASE_ID/v.rc")" viewer_ok v
        expect "fps ${V_FPS:-none} < 28" ge "$V_FPS" 28
        expect "/status shows no pair or another robot end ('$D_LOCAL $D_LOCAL_ADDR')" daemon_sees_pair
        # The robot's relay carries the media. The viewer's side of the pair is its own
        # relay or, as here with libnice, its NAT mapping (prflx): coturn's permission for
        # the viewer's srflx address (from its Allocate's XOR-MAPPED-ADDRESS) is per IP, so
        # any new port natv picks gets through to the robot's relay. Both are valid ICE.
        expect "the robot's candidate '$V_REMOTE' is not its relay" is_relay "$V_REMOTE"
        expect "the viewer's candidate '$V_LOCAL' is host (no NAT crossed?)" is_not_host "$V_LOCAL"
    else
        CASE_FAILS+=("setup failed")
    fi
    report static-turn
    teardown_case
}

case_1_secret() {
    local secret secret_file lifetime=30
    if ! has_option turn-secret-file; then
        skip_case 1-secret turn-rest "robot-webrtc-server --help lists no --turn-secret-file"
        return 0
    fi
    begin_case 1-secret "symmetric NAT both sides, TURN REST credentials (30 s), renewed"
    secret=$(openssl rand -hex 24)
    secret_file="$WORK/$CASE_ID/turn-secret"
    (umask 077 && printf '%s\n' "$secret" >"$secret_file")
    if setup_case symmetric 0 secret "$secret" &&
       start_daemon --turn-server turn:100.64.0.254:3478 --turn-secret-file "$secret_file" \
           --turn-credential-lifetime "$lifetime"; then
        # A viewer past the robot's credential lifetime, and one that joins after it.
        local late_pid
        (sleep 35 && run_viewer late 5 --turn-server "$(mint_turn_uri "$secret" late 3600)") &
        late_pid=$!
        PIDS+=("$late_pid")
        run_viewer v 40 --turn-server "$(mint_turn_uri "$secret" viewer 3600)"
        wait "$late_pid" || true
        forget_pid "$late_pid"
        read_viewer late
        local late_frames=$V_FRAMES late_local=$V_LOCAL late_remote=$V_REMOTE
        read_viewer v
        daemon_view
        expect "viewer exit status $(cat "$WORK/$CASE_ID/v.rc")" viewer_ok v
        expect "fps ${V_FPS:-none} < 28 over 40 s" ge "$V_FPS" 28
        expect "/status shows no pair or another robot end ('$D_LOCAL $D_LOCAL_ADDR')" daemon_sees_pair
        expect "a freeze of ${V_GAP:-none} ms (≥ 1 s) across the renewal" \
            awk -v g="${V_GAP:-99999}" 'BEGIN { exit !(g < 1000) }'
        expect "the robot's candidate '$V_REMOTE' is not its relay" is_relay "$V_REMOTE"
        expect "the viewer joining at 35 s got no frames (pair $late_local<->$late_remote)" \
            [ "${late_frames:-0}" -gt 0 ]
    else
        CASE_FAILS+=("setup failed")
    fi
    report turn-rest
    teardown_case
}

case_2() {
    if ! has_option public-address || ! has_option port-range; then
        skip_case 2 port-forwarded "robot-webrtc-server --help lists no --public-address/--port-range"
        return 0
    fi
    begin_case 2 "robot behind a port-forwarding router, --public-address, no TURN"
    if setup_case forward 0 none &&
       start_daemon --public-address 100.64.0.1 --port-range 40000-40099; then
        run_viewer v "$SECONDS_WATCH"
        read_viewer v
        daemon_view
        expect "viewer exit status $(cat "$WORK/$CASE_ID/v.rc")" viewer_ok v
        expect "/status shows no pair" daemon_sees_pair
        expect "fps ${V_FPS:-none} < 28" ge "$V_FPS" 28
        expect "local candidate '$V_LOCAL' not direct" is_direct "$V_LOCAL"
        expect "remote candidate '$V_REMOTE' not direct" is_direct "$V_REMOTE"
        expect "remote address '$V_REMOTE_ADDR' is not the router's forwarded port" \
            eval '[[ "$V_REMOTE_ADDR" == 100.64.0.1:400[0-9][0-9] ]]'
    else
        CASE_FAILS+=("setup failed")
    fi
    report port-forwarded
    teardown_case
}

case_3() {
    begin_case 3 "UDP blocked between the NATs, TURN over TCP on both sides"
    # The viewer sends an unanswered check once more, not 7 times (libnice's default): its
    # regular nomination waits for every better pair to fail before it nominates the relay
    # pair that already works, 2.2 s here with the defaults (0.7 s with one retransmission),
    # which is the viewer's time, not the robot's.
    if setup_case udp-blocked 0 static &&
       start_daemon --turn-server 'turn://robot:robotpass@100.64.0.254:3478?transport=tcp'; then
        run_viewer v "$SECONDS_WATCH" --check-timeout 100 --check-retransmissions 1 \
            --turn-server 'turn://viewer:viewerpass@100.64.0.254:3478?transport=tcp'
        read_viewer v
        daemon_view
        expect "/status shows no pair or another robot end ('$D_LOCAL $D_LOCAL_ADDR')" daemon_sees_pair
        expect "viewer exit status $(cat "$WORK/$CASE_ID/v.rc")" viewer_ok v
        # Target 1 s (issue 12), printed; the bound asserted leaves room for a loaded machine.
        expect "TTFF ${V_TTFF:-none} ms > 1500 ms" awk -v t="${V_TTFF:-99999}" 'BEGIN { exit !(t <= 1500) }'
        if awk -v t="${V_TTFF:-99999}" 'BEGIN { exit !(t <= 1000) }'; then
            echo "case 3: TTFF ${V_TTFF} ms: target (<= 1000 ms) met"
        else
            echo "case 3: TTFF ${V_TTFF:-none} ms: target (<= 1000 ms) not met"
        fi
        expect "the viewer's candidate '$V_LOCAL' is not its relay" is_relay "$V_LOCAL"
        expect "the robot's candidate '$V_REMOTE' is not its relay" is_relay "$V_REMOTE"
    else
        CASE_FAILS+=("setup failed")
    fi
    report turn-tcp
    teardown_case
}

# ICE-TCP: no TURN, UDP blocked, the robot's router forwarding tcp 40000-40099; the viewer
# connects to the robot's passive TCP candidate on the router's address.
icetcp_expect() {
    expect "/status shows no pair" daemon_sees_pair
    expect "fps ${V_FPS:-none} < ${1}" ge "$V_FPS" "$1"
    expect "the robot's candidate '$V_REMOTE' is not TCP" eval '[[ "$V_REMOTE" == */tcp ]]'
    expect "the viewer's candidate '$V_LOCAL' is not TCP" eval '[[ "$V_LOCAL" == */tcp ]]'
    expect "remote address '$V_REMOTE_ADDR' is not the router's forwarded port" \
        eval '[[ "$V_REMOTE_ADDR" == 100.64.0.1:400[0-9][0-9] ]]'
    expect "TTFF ${V_TTFF:-none} ms > 1500 ms" awk -v t="${V_TTFF:-99999}" 'BEGIN { exit !(t <= 1500) }'
    if awk -v t="${V_TTFF:-99999}" 'BEGIN { exit !(t <= 1000) }'; then
        echo "case $CASE_ID: TTFF ${V_TTFF} ms: target (<= 1000 ms) met"
    else
        echo "case $CASE_ID: TTFF ${V_TTFF:-none} ms: target (<= 1000 ms) not met"
    fi
}

case_3_tls() {
    begin_case 3-tls "UDP blocked between the NATs, the robot's TURN over TLS (turns:), the viewer's over TCP"
    TURN_TLS=1
    if setup_case udp-blocked 0 static &&
       start_daemon --turn-server 'turns:100.64.0.254:5349' --turn-user robot \
           --turn-password robotpass; then
        run_viewer v "$SECONDS_WATCH" --check-timeout 100 --check-retransmissions 1 \
            --turn-server 'turn://viewer:viewerpass@100.64.0.254:3478?transport=tcp'
        read_viewer v
        daemon_view
        expect "viewer exit status $(cat "$WORK/$CASE_ID/v.rc")" viewer_ok v
        expect "fps ${V_FPS:-none} < 28" ge "$V_FPS" 28
        expect "/status shows no pair or another robot end ('$D_LOCAL $D_LOCAL_ADDR')" daemon_sees_pair
        expect "the robot's candidate '$V_REMOTE' is not its relay" is_relay "$V_REMOTE"
        expect "the robot does not reach its TURN server over TLS ('$D_LOCAL')" \
            eval '[[ "$D_LOCAL" == relay/*/tls ]]'
    else
        CASE_FAILS+=("setup failed")
    fi
    TURN_TLS=0
    report turn-tls
    teardown_case
}

case_3_icetcp() {
    if ! has_option ice-tcp; then
        skip_case 3-icetcp ice-tcp "robot-webrtc-server --help lists no --ice-tcp"
        return 0
    fi
    begin_case 3-icetcp "UDP blocked, robot's router forwarding tcp 40000-40099, --ice-tcp, no TURN"
    # the viewer's unanswered UDP checks fail sooner, as in case 3
    if setup_case tcp-forward 0 none &&
       start_daemon --ice-tcp true --public-address 100.64.0.1 --port-range 40000-40099; then
        run_viewer v "$SECONDS_WATCH" --ice-tcp --check-timeout 100 --check-retransmissions 1
        read_viewer v
        daemon_view
        expect "viewer exit status $(cat "$WORK/$CASE_ID/v.rc")" viewer_ok v
        icetcp_expect 28
    else
        CASE_FAILS+=("setup failed")
    fi
    report ice-tcp
    teardown_case
}

case_4() {
    begin_case 4 "case 1 with 2 % loss each way (>= 28 fps asserted, freezes printed)"
    if setup_case symmetric 2 static &&
       start_daemon --turn-server turn://robot:robotpass@100.64.0.254:3478; then
        run_viewer v "$LOSS_SECONDS" --nack --turn-server turn://viewer:viewerpass@100.64.0.254:3478
        read_viewer v
        daemon_view
        expect "no frames (viewer exit status $(cat "$WORK/$CASE_ID/v.rc"))" has_frames
        # The daemon resends lost video packets (retransmissions, on by default) and the
        # viewer asks for them (NACK). Its fps is asserted (28.6-30.0 in 6 runs); the other
        # half of issue 12's target, no freeze of 300 ms or more, is printed: 2 of those
        # runs had one of 308-342 ms (docs/networking.md, "Lossy links").
        # the viewer's NACKs, as the daemon counted them (/status totals, /metrics)
        local nacks
        nacks=$(timeout 5 ip netns exec "$(ns viewer)" curl -s --max-time 3 \
            http://100.64.0.1:8080/status | python3 -c \
            'import json, sys; print(json.load(sys.stdin)["streams"][0]["totals"]["nack_received"])' \
            2>/dev/null || true)
        echo "case $CASE_ID: the daemon counted ${nacks:-no} NACK packets from the viewer"
        if [ -z "${RW_NETNS_SERVER_ARGS:-}" ]; then
            expect "fps ${V_FPS:-none} < 28 with retransmissions" ge "$V_FPS" 28
            expect "no NACK counted by the daemon (totals.nack_received ${nacks:-none})" \
                ge "${nacks:-}" 1
        fi
        print_loss_target "$LOSS_SECONDS"
    else
        CASE_FAILS+=("setup failed")
    fi
    report loss-2pct
    teardown_case
}

# The hook for case 5: the daemon's clear word that its TURN server cannot be used.
# RW_NETNS_TURN_FAILURE_PATTERN (an extended regexp) is asserted on the daemon's log when
# set. Without it, a daemon that has the new TURN settings (--turn-secret-file) is expected
# to say "TURN server … gave no relay candidate" (the wording of the change that adds them;
# adjust here if it differs), and an older daemon's log is only printed. The /status
# reason is the next thing to assert here.
assert_turn_failure_logged() {
    local pattern=${RW_NETNS_TURN_FAILURE_PATTERN:-}
    if [ -z "$pattern" ] && has_option turn-secret-file; then
        pattern='TURN server .*gave no relay candidate'
    fi
    if [ -z "$pattern" ]; then
        echo "case 5: no log line asserted (this daemon has none to give); its log:"
        sed 's/^/  daemon: /' "$DAEMON_LOG" | tail -40
        return 0
    fi
    echo "case 5: asserting /$pattern/ in the daemon's log"
    grep -Eq -- "$pattern" "$DAEMON_LOG"
}

case_5() {
    begin_case 5 "the robot's TURN server unreachable (wrong port)"
    if setup_case symmetric 0 static &&
       start_daemon --turn-server turn://robot:robotpass@100.64.0.254:3479; then
        run_viewer v 8 --turn-server turn://viewer:viewerpass@100.64.0.254:3478
        read_viewer v
        daemon_view
        expect "/status shows a pair ('$D_LOCAL') for a viewer that never connected" [ -z "$D_LOCAL" ]
        expect "the viewer got ${V_FRAMES:-?} frames through an unreachable TURN server" no_frames
        expect "the daemon's log does not say its TURN server is unusable" assert_turn_failure_logged
    else
        CASE_FAILS+=("setup failed")
    fi
    report turn-unreachable
    teardown_case
}

# --- the same with headless Chromium as the viewer (chromium-viewer.mjs) ---

# Why Chromium cannot run here, or nothing.
chromium_missing() {
    if ! command -v node >/dev/null 2>&1; then
        echo "no node"
    elif [ ! -x "${RW_CHROMIUM:-/usr/bin/chromium}" ]; then
        echo "no ${RW_CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)"
    elif [ ! -d "$src_dir/tests/browser/node_modules/playwright-core" ]; then
        echo "no tests/browser/node_modules/playwright-core ('npm ci' in tests/browser)"
    fi
}

# chromium_skip ID TITLE: skips the case, saying why, when Chromium cannot run here (true).
chromium_skip() {
    local why
    why=$(chromium_missing)
    [ -n "$why" ] || return 1
    skip_case "$1" "$2" "$why"
}

case_1_chromium() {
    chromium_skip 1-chromium static-turn-chromium && return 0
    begin_case 1-chromium "case 1 with headless Chromium as the viewer"
    if setup_case symmetric 0 static &&
       start_daemon --turn-server turn://robot:robotpass@100.64.0.254:3478; then
        run_chromium v "$SECONDS_WATCH" --turn turn:100.64.0.254:3478 \
            --turn-user viewer --turn-password viewerpass
        read_viewer v
        daemon_view
        expect "chromium-viewer exit status $(cat "$WORK/$CASE_ID/v.rc") (${V_ERROR:-})" viewer_ok v
        # decoded as the C viewer's; painted with room for a compositor hiccup on a loaded machine
        expect "decoded fps ${V_FPS_DECODED:-none} < 28" ge "$V_FPS_DECODED" 28
        expect "painted fps ${V_FPS:-none} < 25" ge "$V_FPS" 25
        expect "the robot's candidate '$V_REMOTE' is not its relay" is_relay "$V_REMOTE"
        expect "the viewer's candidate '$V_LOCAL' is host (no NAT crossed?)" is_not_host "$V_LOCAL"
        expect "/status shows no pair or another robot end ('$D_LOCAL $D_LOCAL_ADDR')" daemon_sees_pair
    else
        CASE_FAILS+=("setup failed")
    fi
    report static-turn-chromium
    teardown_case
}

case_2_chromium() {
    chromium_skip 2-chromium port-forwarded-chromium && return 0
    begin_case 2-chromium "case 2 (port-forwarded robot, no TURN) with headless Chromium as the viewer"
    if setup_case forward 0 none &&
       start_daemon --public-address 100.64.0.1 --port-range 40000-40099; then
        run_chromium v "$SECONDS_WATCH"
        read_viewer v
        daemon_view
        expect "chromium-viewer exit status $(cat "$WORK/$CASE_ID/v.rc") (${V_ERROR:-})" viewer_ok v
        expect "/status shows no pair" daemon_sees_pair
        expect "decoded fps ${V_FPS_DECODED:-none} < 28" ge "$V_FPS_DECODED" 28
        expect "local candidate '$V_LOCAL' not direct" is_direct "$V_LOCAL"
        expect "remote candidate '$V_REMOTE' not direct" is_direct "$V_REMOTE"
        expect "remote address '$V_REMOTE_ADDR' is not the router's forwarded port" \
            eval '[[ "$V_REMOTE_ADDR" == 100.64.0.1:400[0-9][0-9] ]]'
    else
        CASE_FAILS+=("setup failed")
    fi
    report port-forwarded-chromium
    teardown_case
}

case_3_chromium() {
    chromium_skip 3-chromium turn-tcp-chromium && return 0
    begin_case 3-chromium "case 3 (UDP blocked, TURN over TCP) with headless Chromium as the viewer"
    if setup_case udp-blocked 0 static &&
       start_daemon --turn-server 'turn://robot:robotpass@100.64.0.254:3478?transport=tcp'; then
        run_chromium v "$SECONDS_WATCH" --turn 'turn:100.64.0.254:3478?transport=tcp' \
            --turn-user viewer --turn-password viewerpass
        read_viewer v
        daemon_view
        expect "chromium-viewer exit status $(cat "$WORK/$CASE_ID/v.rc") (${V_ERROR:-})" viewer_ok v
        expect "TTFF ${V_TTFF:-none} ms > 1500 ms" awk -v t="${V_TTFF:-99999}" 'BEGIN { exit !(t <= 1500) }'
        if awk -v t="${V_TTFF:-99999}" 'BEGIN { exit !(t <= 1000) }'; then
            echo "case 3-chromium: TTFF ${V_TTFF} ms: target (<= 1000 ms) met"
        else
            echo "case 3-chromium: TTFF ${V_TTFF:-none} ms: target (<= 1000 ms) not met"
        fi
        expect "the viewer's candidate '$V_LOCAL' is not its relay" is_relay "$V_LOCAL"
        expect "the robot's candidate '$V_REMOTE' is not its relay" is_relay "$V_REMOTE"
        expect "/status shows no pair or another robot end ('$D_LOCAL $D_LOCAL_ADDR')" daemon_sees_pair
    else
        CASE_FAILS+=("setup failed")
    fi
    report turn-tcp-chromium
    teardown_case
}

case_3_icetcp_chromium() {
    if ! has_option ice-tcp; then
        skip_case 3-icetcp-chromium ice-tcp-chromium "robot-webrtc-server --help lists no --ice-tcp"
        return 0
    fi
    chromium_skip 3-icetcp-chromium ice-tcp-chromium && return 0
    begin_case 3-icetcp-chromium "case 3-icetcp (UDP blocked, ICE-TCP) with headless Chromium as the viewer"
    if setup_case tcp-forward 0 none &&
       start_daemon --ice-tcp true --public-address 100.64.0.1 --port-range 40000-40099; then
        run_chromium v "$SECONDS_WATCH"
        read_viewer v
        daemon_view
        expect "chromium-viewer exit status $(cat "$WORK/$CASE_ID/v.rc") (${V_ERROR:-})" viewer_ok v
        expect "decoded fps ${V_FPS_DECODED:-none} < 28" ge "$V_FPS_DECODED" 28
        icetcp_expect 25
    else
        CASE_FAILS+=("setup failed")
    fi
    report ice-tcp-chromium
    teardown_case
}

case_4_chromium() {
    chromium_skip 4-chromium loss-2pct-chromium && return 0
    begin_case 4-chromium "case 4 (2 % loss each way) with headless Chromium (>= 28 fps decoded asserted, the target printed)"
    if setup_case symmetric 2 static &&
       start_daemon --turn-server turn://robot:robotpass@100.64.0.254:3478; then
        run_chromium v "$CHROMIUM_LOSS_SECONDS" --turn turn:100.64.0.254:3478 \
            --turn-user viewer --turn-password viewerpass
        read_viewer v
        daemon_view
        expect "no frames (chromium-viewer exit status $(cat "$WORK/$CASE_ID/v.rc"), ${V_ERROR:-})" has_frames
        # With the daemon's defaults lost packets are resent (NACK + RTX) and Chromium knows
        # the RTT (RTCP XR DLRR), so it asks again at once for a lost retransmission: every
        # frame decoded is asserted. Issue 12's target is on painted frames, which a busy
        # machine's compositor paints late (a 283 ms gap with 30 fps decoded was seen), so
        # it is printed, not asserted (docs/networking.md has the runs).
        if [ -z "${RW_NETNS_SERVER_ARGS:-}" ]; then
            expect "decoded fps ${V_FPS_DECODED:-none} < 28" ge "$V_FPS_DECODED" 28
        fi
        print_loss_target "$CHROMIUM_LOSS_SECONDS"
    else
        CASE_FAILS+=("setup failed")
    fi
    report loss-2pct-chromium
    teardown_case
}

case_4_delay_chromium() {
    chromium_skip 4-delay-chromium loss-delay-chromium && return 0
    if [ ! -x "$CABLE" ]; then
        skip_case 4-delay-chromium loss-delay-chromium "no rw-cable at $CABLE (set RW_CABLE)"
        return 0
    fi
    begin_case 4-delay-chromium "case 4-chromium with 20 ms more each way between the robot's router and the internet"
    CASE_DELAY_MS=20
    if setup_case symmetric 2 static &&
       start_daemon --turn-server turn://robot:robotpass@100.64.0.254:3478; then
        run_chromium v "$CHROMIUM_LOSS_SECONDS" --turn turn:100.64.0.254:3478 \
            --turn-user viewer --turn-password viewerpass
        read_viewer v
        daemon_view
        expect "no frames (chromium-viewer exit status $(cat "$WORK/$CASE_ID/v.rc"), ${V_ERROR:-})" has_frames
        # the cable's delay is on the path: the daemon's RTT to the viewer is about 40 ms
        expect "the daemon's RTT ${D_RTT:-none} ms is well under the cable's 40 ms" ge "$D_RTT" 35
        if [ -z "${RW_NETNS_SERVER_ARGS:-}" ]; then
            expect "decoded fps ${V_FPS_DECODED:-none} < 28" ge "$V_FPS_DECODED" 28
        fi
        print_loss_target "$CHROMIUM_LOSS_SECONDS"
    else
        CASE_FAILS+=("setup failed")
    fi
    CASE_DELAY_MS=0
    report loss-delay-chromium
    teardown_case
}

# --- main ---

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(1 1-secret 2 3 3-tls 3-icetcp 4 5 1-chromium 2-chromium 3-chromium 3-icetcp-chromium 4-chromium 4-delay-chromium)
for c in "${cases[@]}"; do
    case "$c" in
        1) case_1 ;;
        1-secret) case_1_secret ;;
        2) case_2 ;;
        3) case_3 ;;
        3-tls) case_3_tls ;;
        3-icetcp) case_3_icetcp ;;
        4) case_4 ;;
        5) case_5 ;;
        1-chromium) case_1_chromium ;;
        2-chromium) case_2_chromium ;;
        3-chromium) case_3_chromium ;;
        3-icetcp-chromium) case_3_icetcp_chromium ;;
        4-chromium) case_4_chromium ;;
        4-delay-chromium) case_4_delay_chromium ;;
        *) log "unknown case '$c' (1 1-secret 2 3 3-tls 3-icetcp 4 5 1-chromium 2-chromium 3-chromium 3-icetcp-chromium 4-chromium 4-delay-chromium)"; exit 2 ;;
    esac
done

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

#!/usr/bin/env bash
# The Debian packages, built, checked, installed, used and purged (issue 16, part 1).
#
#   tests/package/package-test.sh        (root; meson test -C build --suite package -v)
#
# 1. copies the source tree as it is in the working tree (tracked files and untracked ones
#    that are not ignored: uncommitted edits included) to a directory under /tmp and runs
#    `dpkg-buildpackage -us -uc -b` there (DEB_BUILD_OPTIONS="nocheck parallel=2");
# 2. lintian on the .changes: its whole output is printed, an error fails the test;
# 3. installs robot-webrtc-server and gstreamer1.0-robotwebrtc with apt-get, without
#    downloading anything (their Depends are in .ci/dev's package list), and prints the
#    packages' sizes;
# 4. runs the INSTALLED daemon with the installed /etc/robot-webrtc-server.conf on a free
#    port of 127.0.0.1 (no camera here: the test pattern), waits for GET /status, and the C
#    test viewer (RW_VIEWER) must decode frames; a second daemon runs
#    `pipeline=test-vp8` from the installed pipelines directory;
# 5. gst-inspect-1.0 robotwebrtcsink finds the installed plugin (under /usr/lib, with no
#    GST_PLUGIN_PATH);
# 6. systemd-analyze verify on the installed unit, which dh_installsystemd enabled;
# 7. purges both packages and checks that nothing is left.
#
# Every wait is bounded. On any exit a trap stops the daemons (by PID) and purges the
# packages if this script installed them. Exit 0, 1 on a failure, 77 (skip) when it cannot
# run here: not root, a tool missing, RW_VIEWER missing, or the packages already installed
# (this script would purge them). With CI=true those are failures, saying what to install.
# RW_PACKAGE_KEEP=1 keeps the build directory (its path is printed).
set -euo pipefail

me=$(basename "$0")
src_dir=$(cd "$(dirname "$0")/../.." && pwd)
VIEWER=${RW_VIEWER:-$src_dir/build/tests/client/rw-test-viewer}
PACKAGES=(robot-webrtc-server gstreamer1.0-robotwebrtc)
VIEWER_SECONDS=${RW_PACKAGE_VIEWER_SECONDS:-6}

log() { printf '== %s: %s\n' "$me" "$*"; }
fail() { printf '%s: FAIL: %s\n' "$me" "$*" >&2; exit 1; }
# Outside CI a machine that cannot run this skips; in CI that is a failure.
cannot_run() {
  if [ "${CI:-}" = true ]; then
    fail "$1 (CI=true: this must run)"
  fi
  printf '%s: SKIP: %s\n' "$me" "$1" >&2
  exit 77
}

[ "$(id -u)" -eq 0 ] || cannot_run "needs root (apt-get install/purge)"
missing=()
for tool in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian apt-get:apt \
    git:git curl:curl gst-inspect-1.0:gstreamer1.0-tools meson:meson; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
[ ${#missing[@]} -eq 0 ] ||
  cannot_run "missing tools; install them with: apt-get install ${missing[*]} (or run .ci/dev setup)"
[ -x "$VIEWER" ] || cannot_run "no test viewer at $VIEWER (set RW_VIEWER, or build first)"
git -C "$src_dir" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
  cannot_run "$src_dir is not a git checkout (the file list comes from git ls-files)"
for pkg in "${PACKAGES[@]}"; do
  if dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qv '^not-installed$'; then
    cannot_run "$pkg is already installed (this test installs and purges it): apt-get purge ${PACKAGES[*]}"
  fi
done

MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
PLUGIN=/usr/lib/$MULTIARCH/gstreamer-1.0/libgstrobotwebrtc.so
UNIT=/lib/systemd/system/robot-webrtc-server.service
WANTS=/etc/systemd/system/multi-user.target.wants/robot-webrtc-server.service
INSTALLED_FILES=(/usr/bin/robot-webrtc-server /etc/robot-webrtc-server.conf "$UNIT" "$PLUGIN"
  /usr/share/robot-webrtc/pipelines/test-vp8.pipeline
  /usr/share/doc/robot-webrtc-server/README.md
  /usr/share/man/man8/robot-webrtc-server.8.gz
  /usr/share/man/man5/robot-webrtc-server.conf.5.gz
  /usr/share/doc/gstreamer1.0-robotwebrtc/copyright)

work=$(mktemp -d /tmp/rw-package-test.XXXXXX)
installed=0
daemon_pids=()
t0=$(date +%s)

stop_daemons() {
  local pid
  for pid in "${daemon_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  daemon_pids=()
}

cleanup() {
  local status=$?
  trap - EXIT
  stop_daemons
  if [ "$installed" = 1 ]; then
    local pkg known=()
    for pkg in "${PACKAGES[@]}"; do
      dpkg-query -W "$pkg" >/dev/null 2>&1 && known+=("$pkg")
    done
    if [ ${#known[@]} -gt 0 ]; then
      log "cleanup: purging ${known[*]}"
      DEBIAN_FRONTEND=noninteractive timeout 120 apt-get purge -y -q "${known[@]}" \
        >"$work/purge-trap.log" 2>&1 || tail -20 "$work/purge-trap.log" >&2
    fi
  fi
  if [ "${RW_PACKAGE_KEEP:-0}" = 1 ] || [ $status -ne 0 ]; then
    log "build directory and logs kept in $work"
  else
    rm -rf "$work"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step_start=$(date +%s)
step() {
  local now
  now=$(date +%s)
  log "$1 (step took $((now - step_start)) s, $((now - t0)) s in all)"
  step_start=$now
}

# --- 1. build ---------------------------------------------------------------------
tree="$work/robot-webrtc"
mkdir -p "$tree"
# Tracked files (minus ones deleted in the working tree) and untracked, unignored ones.
(cd "$src_dir" && git ls-files -z -co --exclude-standard |
  while IFS= read -r -d '' f; do
    [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
  done | tar --null -T - -cf -) | tar -C "$tree" -xf -
[ -f "$tree/debian/control" ] || fail "no debian/control in the copied tree"
log "building in $tree ($(find "$tree" -type f | wc -l) files)"
if ! (cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=2" timeout 1200 \
    nice -n 10 dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
  tail -40 "$work/build.log" >&2
  fail "dpkg-buildpackage failed (whole log: $work/build.log)"
fi
changes=$(ls "$work"/robot-webrtc_*.changes)
server_deb=$(ls "$work"/robot-webrtc-server_*.deb)
plugin_deb=$(ls "$work"/gstreamer1.0-robotwebrtc_*.deb)
step "built $(basename "$server_deb") and $(basename "$plugin_deb")"

# --- 2. lintian ---------------------------------------------------------------------
lintian_status=0
timeout 300 lintian --fail-on error "$changes" >"$work/lintian.log" 2>&1 || lintian_status=$?
log "lintian output:"
sed 's/^/    /' "$work/lintian.log"
[ $lintian_status -eq 0 ] || fail "lintian reported errors (exit $lintian_status)"
step "lintian: $(grep -c '^E:' "$work/lintian.log" || true) errors, $(grep -c '^W:' "$work/lintian.log" || true) warnings"

# --- 3. install ---------------------------------------------------------------------
log "package sizes:"
for deb in "$server_deb" "$plugin_deb"; do
  printf '    %-50s %8s bytes  Installed-Size %s KiB\n' "$(basename "$deb")" \
    "$(stat -c %s "$deb")" "$(dpkg-deb -f "$deb" Installed-Size)"
done
export DEBIAN_FRONTEND=noninteractive
# Offline: apt may install our two packages and nothing else.
apt-get install -s --no-install-recommends "$server_deb" "$plugin_deb" >"$work/install-sim.log" 2>&1 ||
  { cat "$work/install-sim.log" >&2; fail "apt-get cannot install the packages"; }
others=$(grep '^Inst ' "$work/install-sim.log" | awk '{print $2}' |
  grep -vxE 'robot-webrtc-server|gstreamer1.0-robotwebrtc' || true)
[ -z "$others" ] ||
  cannot_run "the packages' Depends are not all installed (apt would download: ${others//$'\n'/ }); run .ci/dev setup"
installed=1
# (not --no-download: apt 2.6 refuses it with local .deb files, "Pathname to install is
# not absolute"; the simulation above has shown that apt installs nothing else)
timeout 300 apt-get install -y -q --no-install-recommends \
  "$server_deb" "$plugin_deb" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "apt-get install failed"; }
for f in "${INSTALLED_FILES[@]}"; do
  [ -e "$f" ] || fail "$f is not installed"
done
dpkg-query -W -f='${Conffiles}\n' robot-webrtc-server | grep -q '/etc/robot-webrtc-server.conf' ||
  fail "/etc/robot-webrtc-server.conf is not a conffile"
[ -L "$WANTS" ] || fail "dh_installsystemd did not enable the unit ($WANTS missing)"
log "installed sizes (du):"
du -sh /usr/bin/robot-webrtc-server "$PLUGIN" /usr/share/robot-webrtc \
  /usr/share/doc/robot-webrtc-server | sed 's/^/    /'
step "installed (offline), files, conffile and the unit's enablement checked"

# --- 4. the installed daemon and a viewer ------------------------------------------------
# Only the installed files: no build-tree plugin path, a fresh registry.
gst_env=(env -u GST_PLUGIN_PATH -u GST_PLUGIN_PATH_1_0 -u GST_PLUGIN_SYSTEM_PATH
  -u GST_PLUGIN_SYSTEM_PATH_1_0 GST_REGISTRY_1_0="$work/registry.bin")

# start_daemon NAME ARGS...: sets $port to the port it listens on (bounded wait).
start_daemon() {
  local name=$1 out="$work/$1.out"
  shift
  "${gst_env[@]}" /usr/bin/robot-webrtc-server --port 0 --bind 127.0.0.1 \
    --ice-address 127.0.0.1 "$@" >"$out" 2>"$work/$name.err" &
  daemon_pids+=($!)
  port=
  for _ in $(seq 100); do
    port=$(sed -nE 's|.*listening on http://127\.0\.0\.1:([0-9]+).*|\1|p' "$out" | head -1)
    [ -n "$port" ] && break
    kill -0 "${daemon_pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$out" "$work/$name.err" >&2; fail "$name: the daemon did not start"; }
  for _ in $(seq 100); do
    curl -fsS -m 2 "http://127.0.0.1:$port/status" >"$work/$name.status.json" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$work/$name.err" >&2
  fail "$name: GET /status did not answer in 10 s"
}

start_daemon daemon --config /etc/robot-webrtc-server.conf --width 640 --height 480
log "installed daemon (installed config) on 127.0.0.1:$port; GET /status: $(head -c 300 "$work/daemon.status.json")"
viewer_status=0
timeout $((VIEWER_SECONDS + 30)) "$VIEWER" --url "http://127.0.0.1:$port" \
  --duration "$VIEWER_SECONDS" >"$work/viewer.out" 2>"$work/viewer.err" || viewer_status=$?
cat "$work/viewer.out"
if [ $viewer_status -ne 0 ]; then
  cat "$work/viewer.err" "$work/daemon.err" >&2
  fail "the viewer got no frames from the installed daemon (exit $viewer_status)"
fi
frames=$(sed -nE 's/.*"frames":([0-9]+).*/\1/p' "$work/viewer.out" | head -1)
width=$(sed -nE 's/.*"width":([0-9]+).*/\1/p' "$work/viewer.out" | head -1)
[ "${frames:-0}" -ge 30 ] || fail "the viewer decoded only ${frames:-0} frames in $VIEWER_SECONDS s"
[ "${width:-0}" -eq 640 ] || fail "the viewer decoded width ${width:-none}, not 640"
stop_daemons
step "installed daemon: viewer decoded $frames frames (${width} px wide)"

# The installed pipelines directory, as the config names it.
printf '[media]\npipeline=test-vp8\n' >"$work/pipeline.conf"
start_daemon pipeline --config "$work/pipeline.conf"
grep -q 'test-vp8' "$work/pipeline.status.json" ||
  fail "GET /status does not name the pipeline test-vp8: $(cat "$work/pipeline.status.json")"
stop_daemons
step "installed daemon runs pipeline=test-vp8 from /usr/share/robot-webrtc/pipelines"

# --- 5. the installed element ----------------------------------------------------------
"${gst_env[@]}" timeout 60 gst-inspect-1.0 robotwebrtcsink >"$work/inspect.out" 2>&1 ||
  { cat "$work/inspect.out" >&2; fail "gst-inspect-1.0 robotwebrtcsink failed"; }
filename=$(sed -nE 's/^ +Filename +//p' "$work/inspect.out" | head -1)
case "$filename" in
  /usr/lib/*|/lib/*) [ "$(readlink -f "$filename")" = "$(readlink -f "$PLUGIN")" ] ||
      fail "robotwebrtcsink came from $filename, not $PLUGIN" ;;
  *) fail "robotwebrtcsink came from '${filename}', not the installed $PLUGIN" ;;
esac
step "gst-inspect-1.0 robotwebrtcsink: $filename, version $(sed -nE 's/^ +Version +//p' "$work/inspect.out" | head -1)"

# --- 6. the unit --------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
  timeout 60 systemd-analyze verify "$UNIT" >"$work/verify.out" 2>&1 ||
    { cat "$work/verify.out" >&2; fail "systemd-analyze verify $UNIT"; }
  [ -s "$work/verify.out" ] && sed 's/^/    /' "$work/verify.out"
  step "systemd-analyze verify $UNIT: OK"
else
  log "no systemd-analyze: the unit is not verified"
fi

# --- 7. purge -------------------------------------------------------------------------------
timeout 120 apt-get purge -y -q "${PACKAGES[@]}" >"$work/purge.log" 2>&1 ||
  { cat "$work/purge.log" >&2; fail "apt-get purge failed"; }
installed=0
for pkg in "${PACKAGES[@]}"; do
  state=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
  [ -z "$state" ] || [ "${state:0:2}" = "un" ] || [ "${state:0:2}" = "pn" ] ||
    fail "$pkg is still known to dpkg after the purge: '$state' ($(dpkg -l "$pkg" | tail -1))"
done
for f in "${INSTALLED_FILES[@]}" "$WANTS" /usr/share/robot-webrtc /usr/share/doc/robot-webrtc-server \
    /var/lib/systemd/deb-systemd-helper-enabled/robot-webrtc-server.service.dsh-also; do
  if [ -e "$f" ] || [ -L "$f" ]; then
    fail "$f is left after the purge"
  fi
done
step "purged: no package state, no file left"

log "PASS in $(($(date +%s) - t0)) s"

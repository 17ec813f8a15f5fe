#!/bin/sh
# Run a command inside a fresh, private network namespace (DESIGN.md §5).
#
#   run-in-netns.sh COMMAND [ARG]...
#
# The namespace has `lo` up plus a veth pair (10.213.0.1/24 on veth0) carrying
# the default route: with `lo` alone Chromium gathers no usable ICE candidate
# and stays "new". Nothing in the namespace can reach any other network, so
# whatever the browser or the server under test does, no packet leaves it.
# The command finds veth0's address in RW_NETNS_ADDRESS (Firefox's ICE uses it).
# Needs root (CI runs as root) and util-linux `unshare` plus iproute2 `ip`.
set -eu

me=$(basename "$0")

if [ "$#" -eq 0 ]; then
    echo "usage: $me COMMAND [ARG]..." >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "$me: must run as root to create a network namespace (uid is $(id -u))" >&2
    exit 1
fi
if ! command -v unshare >/dev/null 2>&1; then
    echo "$me: 'unshare' not found (apt-get install util-linux)" >&2
    exit 1
fi
if ! command -v ip >/dev/null 2>&1; then
    echo "$me: 'ip' not found (apt-get install iproute2)" >&2
    exit 1
fi
if ! unshare --net true 2>/dev/null; then
    echo "$me: 'unshare --net' failed: this machine does not allow creating network namespaces" >&2
    exit 1
fi

exec unshare --net sh -c '
    set -e
    ip link set lo up
    ip link add veth0 type veth peer name veth1
    # no IPv6 link-local addresses: they would appear a second or two
    # later, and Chromium aborts its requests on such a network change
    ip link set dev veth0 addrgenmode none
    ip link set dev veth1 addrgenmode none
    ip addr add 10.213.0.1/24 dev veth0
    ip link set veth0 up
    ip link set veth1 up
    ip route add default dev veth0
    export RW_NETNS_ADDRESS=10.213.0.1
    # and the link settled (up) before anything starts, at most 5 s
    i=0
    while ! ip -o link show veth0 | grep -q "state UP" && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    exec "$@"
' run-in-netns "$@"

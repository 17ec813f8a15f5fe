#!/bin/sh
# robot-webrtc-server(8)'s OPTIONS against the daemon's --help: every option --help shows
# (short name, long name, argument) is a term of the man page's source, written as
#   **-p**, **--port**=*PORT*
# and the page lists no option --help does not show.
#   check-man-options.sh BUILD/src/robot-webrtc-server docs/man/robot-webrtc-server.8.md
set -eu
server=$1
page=$2

# "  -p, --port=PORT    HTTP port ..." -> "**-p**, **--port**=*PORT*"
expected=$(LC_ALL=C "$server" --help |
    sed -n 's/^  \(-[^ ].*[^ ]\)  .*/\1/p' |
    sed -e 's/\(^\|, \)\(-[-a-zA-Z0-9]*\)/\1**\2**/g' -e 's/=\(.*\)$/=*\1*/')
if [ -z "$expected" ]; then
    echo "no options found in $server --help" >&2
    exit 1
fi
# the terms of the page's definition lists: a line followed by one starting with ":"
listed=$(awk 'prev ~ /^\*\*-/ && /^:/ { print prev } { prev = $0 }' "$page")
if [ -z "$listed" ]; then
    echo "no options found in $page" >&2
    exit 1
fi

status=0
missing=$(printf '%s\n' "$expected" | grep -vxF -e "$listed" || true)
if [ -n "$missing" ]; then
    printf 'missing from %s (as --help shows them):\n%s\n' "$page" "$missing" >&2
    status=1
fi
stale=$(printf '%s\n' "$listed" | grep -vxF -e "$expected" || true)
if [ -n "$stale" ]; then
    printf 'in %s but not in --help:\n%s\n' "$page" "$stale" >&2
    status=1
fi
[ $status -ne 0 ] || echo "$(printf '%s\n' "$expected" | wc -l) options, all in $page"
exit $status

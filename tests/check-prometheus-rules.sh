#!/bin/sh
# The alert rules of docs/operations.md, checked by promtool (Debian's prometheus package;
# .ci/dev unpacks it and puts it on PATH). Skips (77) without it, except in CI.
set -eu
rules="$(dirname "$0")/../docs/prometheus/robot-webrtc.rules.yml"
if ! command -v promtool >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then
        echo "promtool not found in CI (.ci/dev installs it)" >&2
        exit 1
    fi
    echo "SKIP: promtool not found (apt-get download prometheus; dpkg -x it)"
    exit 77
fi
exec promtool check rules "$rules"

#!/bin/sh
# The alert rules of docs/operations.md: their syntax (promtool check rules) and what they
# fire on (promtool test rules, docs/prometheus/robot-webrtc.rules.test.yml). promtool is
# Debian's prometheus package; .ci/dev unpacks it and puts it on PATH. Skips (77) without
# it, except in CI.
set -eu
dir="$(dirname "$0")/../docs/prometheus"
if ! command -v promtool >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then
        echo "promtool not found in CI (.ci/dev installs it)" >&2
        exit 1
    fi
    echo "SKIP: promtool not found (apt-get download prometheus; dpkg -x it)"
    exit 77
fi
promtool check rules "$dir/robot-webrtc.rules.yml"
cd "$dir"
exec promtool test rules robot-webrtc.rules.test.yml

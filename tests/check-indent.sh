#!/bin/sh
# Checks that every C file is formatted as gst-indent (GStreamer 1.22's
# scripts/gst-indent) formats it. Fix with: tests/check-indent.sh --fix
# Only some files: tests/check-indent.sh [--fix] FILE...
set -eu
cd "$(dirname "$0")/.."
command -v indent >/dev/null || { echo "indent is not installed (apt-get install indent)"; exit 1; }

fix=no
[ "${1:-}" = "--fix" ] && { fix=yes; shift; }
files=${*:-$(find src plugins tests -name '*.c' -not -path '*/node_modules/*' | sort)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
for f in $files; do
  out="$tmp/$(echo "$f" | tr / _)"
  cp "$f" "$out"
  for pass in 1 2; do
    indent --braces-on-if-line --case-brace-indentation0 --case-indentation2 \
      --braces-after-struct-decl-line --line-length80 --no-tabs --cuddle-else \
      --dont-line-up-parentheses --continuation-indentation4 --honour-newlines \
      --tab-size8 --indent-level2 --leave-preprocessor-space "$out" -o "$out.1"
    mv "$out.1" "$out"
  done
  if ! cmp -s "$f" "$out"; then
    if [ $fix = yes ]; then
      cp "$out" "$f"; echo "formatted $f"
    else
      echo "not gst-indent formatted: $f"; diff -u "$f" "$out" | head -20; bad=1
    fi
  fi
done
exit $bad

#!/usr/bin/env bash
# Makes a headless-capable Chromium available to the browser tests of
# admin/ui, then exports (when sourced) and prints where they find it:
#
#   MASTRA_ADMIN_TEST_CHROMIUM=/usr/bin/chromium
#
# In order:
#   1. MASTRA_ADMIN_TEST_CHROMIUM already set to an executable: kept.
#   2. chromium (or chromium-browser) already on PATH: used.
#   3. Otherwise Debian's chromium package is installed with apt (as root,
#      non-interactive, apt's temporary files under /var/tmp/apt). No browser
#      is ever downloaded from elsewhere.
#
# Run it (scripts/services/chromium.sh) or source it from bash, also with
# `set -euo pipefail` in effect: sourced, it sets no shell options and leaves
# only the exported variable behind; a failure returns non-zero instead of
# exiting the caller. Messages go to stderr, the variable to stdout.

. "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh" || { (return 0 2>/dev/null) && return 1; exit 1; }
_mastra_chromium_log() { printf '== chromium: %s\n' "$*" >&2; }

_mastra_chromium_find() {
  local c
  for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

_mastra_chromium_main() {
  local bin
  if [ -n "${MASTRA_ADMIN_TEST_CHROMIUM:-}" ]; then
    if [ ! -x "$MASTRA_ADMIN_TEST_CHROMIUM" ]; then
      _mastra_chromium_log "MASTRA_ADMIN_TEST_CHROMIUM=$MASTRA_ADMIN_TEST_CHROMIUM is not an executable file"
      return 1
    fi
    _mastra_chromium_log "MASTRA_ADMIN_TEST_CHROMIUM is set: using it as it is"
  else
    if ! bin=$(_mastra_chromium_find); then
      _mastra_apt_install chromium "set MASTRA_ADMIN_TEST_CHROMIUM" chromium || return 1
      bin=$(_mastra_chromium_find) || { _mastra_chromium_log "chromium was installed but is not on PATH"; return 1; }
    fi
    export MASTRA_ADMIN_TEST_CHROMIUM="$bin"
    _mastra_chromium_log "$("$bin" --version 2>/dev/null || echo "$bin (version unknown)")"
  fi
  printf 'MASTRA_ADMIN_TEST_CHROMIUM=%s\n' "$MASTRA_ADMIN_TEST_CHROMIUM"
}

_mastra_chromium_run() {
  local rc=0
  _mastra_chromium_main || rc=$?
  unset -f _mastra_chromium_log _mastra_chromium_find _mastra_chromium_main _mastra_chromium_run _mastra_apt_install
  return "$rc"
}

# Sourced: a failure returns 1 to the caller; run: exits 1.
_mastra_chromium_run || { (return 0 2>/dev/null) && return 1; exit 1; }

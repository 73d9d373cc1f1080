#!/usr/bin/env bash
# Makes git and its git-http-backend available to the tests of source/git,
# admin's webhook tests and httpapi's (an in-process git server through
# net/http/cgi), and git-lfs to source/git's LFS test, then exports (when
# sourced) and prints where they find them:
#
#   MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND=/usr/lib/git-core/git-http-backend
#   MASTRA_ADMIN_TEST_GIT_LFS=/usr/bin/git-lfs
#
# In order, for each:
#   1. The variable already set to an executable: kept.
#   2. git on PATH with git-http-backend in its exec path (git-lfs on
#      PATH): used.
#   3. Otherwise Debian's git (git-lfs) package is installed with apt (as
#      root, non-interactive, apt's temporary files under /var/tmp/apt).
#
# Run it or source it from bash, also with `set -euo pipefail` in effect:
# sourced, it sets no shell options and leaves only the exported variable
# behind; a failure returns non-zero instead of exiting the caller.

. "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh" || { (return 0 2>/dev/null) && return 1; exit 1; }
_mastra_git_log() { printf '== git: %s\n' "$*" >&2; }

_mastra_git_backend() {
  local dir
  command -v git >/dev/null 2>&1 || return 1
  dir=$(git --exec-path 2>/dev/null) || return 1
  [ -x "$dir/git-http-backend" ] || return 1
  printf '%s\n' "$dir/git-http-backend"
}

_mastra_git_main() {
  local bin
  if [ -n "${MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND:-}" ]; then
    if [ ! -x "$MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND" ]; then
      _mastra_git_log "MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND=$MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND is not an executable file"
      return 1
    fi
  else
    if ! bin=$(_mastra_git_backend); then
      _mastra_apt_install git "set MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND" git || return 1
      bin=$(_mastra_git_backend) || { _mastra_git_log "git was installed but git-http-backend is missing"; return 1; }
    fi
    export MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND="$bin"
  fi
  if [ -n "${MASTRA_ADMIN_TEST_GIT_LFS:-}" ]; then
    if [ ! -x "$MASTRA_ADMIN_TEST_GIT_LFS" ]; then
      _mastra_git_log "MASTRA_ADMIN_TEST_GIT_LFS=$MASTRA_ADMIN_TEST_GIT_LFS is not an executable file"
      return 1
    fi
  else
    if ! bin=$(command -v git-lfs); then
      _mastra_apt_install git "set MASTRA_ADMIN_TEST_GIT_LFS" git-lfs || return 1
      bin=$(command -v git-lfs) || { _mastra_git_log "git-lfs was installed but is not on PATH"; return 1; }
    fi
    export MASTRA_ADMIN_TEST_GIT_LFS="$bin"
  fi
  _mastra_git_log "$(git --version 2>/dev/null || echo 'git (version unknown)'), $(git-lfs version 2>/dev/null || "$MASTRA_ADMIN_TEST_GIT_LFS" version 2>/dev/null || echo 'git-lfs (version unknown)')"
  printf 'MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND=%s\n' "$MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND"
  printf 'MASTRA_ADMIN_TEST_GIT_LFS=%s\n' "$MASTRA_ADMIN_TEST_GIT_LFS"
}

_mastra_git_run() {
  local rc=0
  _mastra_git_main || rc=$?
  unset -f _mastra_git_log _mastra_git_backend _mastra_apt_install _mastra_git_main _mastra_git_run
  return "$rc"
}

# Sourced: a failure returns 1 to the caller; run: exits 1.
_mastra_git_run || { (return 0 2>/dev/null) && return 1; exit 1; }

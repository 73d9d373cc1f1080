# Sourced by the test script's service scripts (scripts/clickhouse.sh,
# scripts/services/*.sh): defines _mastra_apt_install, which those scripts
# unset again when they are done.
#
# _mastra_apt_install WHAT HINT PACKAGE...: installs Debian packages with
# apt-get, as root and non-interactively, waiting up to 10 minutes for
# another apt's lock (several test scripts may install at once) and keeping
# apt's temporary files under /var/tmp/apt (a /tmp cleaner once removed them
# mid-install). Messages go to stderr as "== WHAT: …"; when it cannot
# install (not root, no apt-get) it says so with HINT, what the user can do
# instead, and returns 1.
_mastra_apt_install() {
  local what=$1 hint=$2
  shift 2
  if [ "$(id -u)" != 0 ]; then
    printf '== %s: %s is not installed and installing it needs root: run '\''apt-get install %s'\'' as root, or %s\n' "$what" "$*" "$*" "$hint" >&2
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    printf '== %s: %s is not installed and there is no apt-get: install it, or %s\n' "$what" "$*" "$hint" >&2
    return 1
  fi
  mkdir -p /var/tmp/apt || return 1
  printf '== %s: installing %s with apt\n' "$what" "$*" >&2
  apt-get update -qq -o DPkg::Lock::Timeout=600 >&2 || { printf '== %s: apt-get update failed\n' "$what" >&2; return 1; }
  DEBIAN_FRONTEND=noninteractive TMPDIR=/var/tmp/apt \
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "$@" >&2 ||
    { printf '== %s: apt-get install %s failed\n' "$what" "$*" >&2; return 1; }
}

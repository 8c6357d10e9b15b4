#!/usr/bin/env bash
# libvirt's own test corpus (tests/qemuxml2argvdata: domain XMLs and the QEMU
# command line libvirt builds from each), from the source package of the
# libvirt this machine runs, for test/unit/host-paths-corpus.test.ts. Kept out
# of the repository, in PMC_LIBVIRT_CORPUS (default
# /var/cache/libvirt-pmc-corpus). Idempotent and quiet: a second run with the
# corpus in place does nothing. Needs root (a deb-src line, apt-get update) the
# first time, and dpkg-dev (dpkg-source).
set -euo pipefail

dest="${PMC_LIBVIRT_CORPUS:-/var/cache/libvirt-pmc-corpus}"
if compgen -G "${dest}/libvirt-*/tests/qemuxml2argvdata/*.xml" >/dev/null; then
  exit 0
fi

# The suite this machine runs (bookworm on Debian 12), from its own apt sources.
. /etc/os-release
suite="${VERSION_CODENAME:?/etc/os-release names no VERSION_CODENAME}"
list=/etc/apt/sources.list.d/libvirt-pmc-src.sources
if [ ! -f "${list}" ]; then
  cat >"${list}" <<SOURCES
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: ${suite} ${suite}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: ${suite}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
if ! command -v dpkg-source >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
fi
apt-get update -qq >/dev/null

# The source of the libvirt installed here when apt has it, else the suite's.
version="$(dpkg-query -W -f='${Version}' libvirt0 2>/dev/null || true)"
mkdir -p "${dest}"
cd "${dest}"
if [ -z "${version}" ] || ! apt-get source -qq "libvirt=${version}" >/dev/null 2>&1; then
  apt-get source -qq libvirt >/dev/null
fi
compgen -G "${dest}/libvirt-*/tests/qemuxml2argvdata/*.xml" >/dev/null || {
  echo "fetch-libvirt-corpus: no tests/qemuxml2argvdata under ${dest}" >&2
  exit 1
}

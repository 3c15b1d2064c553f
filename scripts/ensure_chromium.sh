#!/usr/bin/env bash
# Make sure Debian's chromium is present for the browser (e2e) tests.
# Root (CI, containers): install it, with CJK fonts so Chinese renders in screenshots.
# Otherwise: warn and carry on; the e2e tests skip locally and fail in CI without it.
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
  echo "ensure_chromium: installing Debian's chromium and fonts-noto-cjk" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk
  exit 0
fi

cat >&2 <<'MSG'
************************************************************************
* WARNING: /usr/bin/chromium not found.                                *
* Install Debian's chromium package (sudo apt-get install chromium)    *
* to run the browser tests; they are skipped until then.               *
************************************************************************
MSG
exit 0

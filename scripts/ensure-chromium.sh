#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the console's browser test (Playwright drives it; it never
# downloads a browser). Installs it with apt when absent; exits non-zero with a message when that is not possible.
set -uo pipefail
[[ -x /usr/bin/chromium ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "Chromium is missing and installing it needs root: apt-get install -y chromium" >&2
  exit 1
fi
echo "Installing Chromium (apt-get install -y chromium)"
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[[ -x /usr/bin/chromium ]] || { echo "apt-get did not install /usr/bin/chromium" >&2; exit 1; }

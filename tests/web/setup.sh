#!/bin/sh
# Install what the browser tests need: Debian's Chromium and playwright-core
# (pinned in package-lock.json). Safe to run again.
# SPDX-License-Identifier: ISC
set -eu
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
command -v npm >/dev/null 2>&1 || {
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
}
npm ci --no-audit --no-fund

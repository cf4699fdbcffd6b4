#!/bin/sh
# Debian's Chromium for the browser tests, installed once when missing. Playwright drives it;
# no browser is ever downloaded by a test tool.
set -eu
command -v chromium >/dev/null 2>&1 && exit 0
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
echo "Installing Debian's chromium for the browser tests (once)..."
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
chromium --version

#!/bin/sh
# Debian's Prometheus for `promtool`, which checks and tests the alert rules in ops/prometheus/
# (tests/test_alert_rules.py), installed once when missing. Nothing is downloaded by a test.
# Only promtool is wanted: on a machine run by systemd the package also starts a Prometheus
# server on port 9090, which is stopped and disabled again here.
set -eu
command -v promtool >/dev/null 2>&1 && exit 0
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
echo "Installing Debian's prometheus for promtool (once)..."
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
if [ -d /run/systemd/system ]; then
    $as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
promtool --version | head -n 1

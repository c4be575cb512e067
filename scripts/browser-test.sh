#!/usr/bin/env bash
# The dashboard and the playground in a real headless Chromium (Debian's chromium and
# chromium-driver, driven by Selenium from PyPI): a real `brigade serve` on a fresh SQLite file
# and a free loopback port, a second tenant, then scripts/browser-test.py. Screenshots of each
# page go to $BRIGADE_SCREENSHOTS (default .build/screenshots).
#
# Usage: bash scripts/browser-test.sh [INSTANCES]   (default 10000: the instance page is timed
# with that many instances in its workflow). Needs the built `brigade` (swift build) or
# BRIGADE_BIN; installs Chromium (as root) and Selenium into /tmp/brigade-selenium the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
instances="${1:-10000}"
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/install-deps.sh --browser
bin="${BRIGADE_BIN:-$(swift build --show-bin-path)/brigade}"
[ -x "$bin" ] || { echo "error: $bin is not built; run swift build first (or set BRIGADE_BIN)" >&2; exit 1; }
venv=/tmp/brigade-selenium
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import selenium" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check selenium
fi
screenshots="${BRIGADE_SCREENSHOTS:-$PWD/.build/screenshots}"

admin="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
source scripts/start-test-server.sh
start_test_server browser --admin-token "$admin"
other="$(BRIGADE_URL="http://127.0.0.1:$port" BRIGADE_ADMIN_TOKEN="$admin" "$bin" tenants create globex | tail -1)"

status=0
"$venv/bin/python" scripts/browser-test.py --url "http://127.0.0.1:$port" --token "$token" --other-token "$other" \
    --screenshots "$screenshots" --instances "$instances" || status=$?
kill -0 "$server" 2>/dev/null || { tail -40 "$work/serve.log" >&2; echo "error: brigade serve did not survive the browser tests" >&2; exit 1; }
echo "screenshots: $screenshots"
exit "$status"

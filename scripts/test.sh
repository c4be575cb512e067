#!/usr/bin/env bash
# The README's test command: installs what the build needs if it is missing, builds the package
# and its tests once, then runs them against that build.
#
# The run is bounded (BRIGADE_TEST_TIMEOUT seconds, 20 minutes by default; the suite takes well
# under a minute): a test that hangs fails the run with a message here instead of holding CI
# until its own limit, which says nothing about which test it was.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/install-deps.sh
swift build --build-tests
limit="${BRIGADE_TEST_TIMEOUT:-1200}"
status=0
# --kill-after: a test process that ignores the TERM is killed 30 seconds later.
timeout --kill-after=30 "$limit" swift test --skip-build "$@" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "error: the tests did not finish within ${limit} s (BRIGADE_TEST_TIMEOUT) and were stopped; a test is hung." >&2
    echo "       The output above ends near the hung test (it is buffered: the last lines can be missing);" >&2
    echo "       'swift test --skip-build --filter NAME' runs one suite or test alone." >&2
fi
exit "$status"

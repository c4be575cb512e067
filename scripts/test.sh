#!/usr/bin/env bash
# The README's test command: installs what the build needs if it is missing, builds the package
# and its tests once, then runs them against that build.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"

#!/usr/bin/env bash
# The README's run command: installs what the build needs if it is missing, then builds and
# starts `brigade serve` (HTTP API on 127.0.0.1:8787, SQLite file brigade.sqlite here).
# Extra arguments go to `brigade serve` (--db PATH, --host, --port).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/install-deps.sh
exec swift run brigade serve "$@"

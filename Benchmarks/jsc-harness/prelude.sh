# Sourced by jsc-harness/run.sh and qjs-harness/run.sh, with $work set to their scratch directory:
# sets $prelude to the prelude the harness runs — Brigade's own, extracted from Prelude.swift
# (default), or bare-prelude.js for PRELUDE=bare, the same with a host call per step for
# PRELUDE=bare-host (exports HOST_CALLS, which the harnesses hand to it).
harness_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prelude="$work/prelude.js"
case "${PRELUDE:-}" in
  bare) prelude="$harness_dir/bare-prelude.js" ;;
  bare-host) prelude="$harness_dir/bare-prelude.js"; export HOST_CALLS=1 ;;
  "")
    python3 - "$harness_dir/../../Sources/BrigadeJS/Prelude.swift" "$prelude" <<'PY'
import sys
source = open(sys.argv[1]).read()
start = source.index('#"""') + 4
open(sys.argv[2], "w").write(source[start:source.index('"""#')])
PY
    ;;
  *) echo "PRELUDE must be bare or bare-host (or unset for Brigade's prelude), not '$PRELUDE'" >&2; exit 2 ;;
esac

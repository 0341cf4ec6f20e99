#!/usr/bin/env bash
# The fuzz suite (tests/test_fuzz_*.py), long: minutes per target instead of tests/run's seconds.
#
#   bash bench/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 300 s; targets: analyze
#                                                             fleet image preflight; default all)
#
# Environment:
#   HOSTCHECK_FUZZ_SEED     the seed (default: a new one from the clock, printed: give it back
#                           to replay a run on the same code)
#   PYTHON_MINOR            the virtualenv to run in (default 3.11; tests/run makes .venv-3.11/3.9)
#
# Each target stops at its first failure (hypothesis then shrinks it to a minimal input and
# prints it: paste it into a regression test). What the run found — examples per second,
# outcomes, `error` statuses, the exit-3 reasons and slow examples — goes to
# .cache/fuzz/<date>-seed<SEED>/<target>.txt and is printed at the end; each slow example
# (over HOSTCHECK_FUZZ_SLOW, default 3 s) whole in <target>-slow.txt. Needs no root, no engine.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
PER_TARGET=${1:-300}
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(analyze fleet image preflight)
SEED=${HOSTCHECK_FUZZ_SEED:-$(date +%s)}
PYTHON="$REPO/.venv-${PYTHON_MINOR:-3.11}/bin/python"
[[ -x $PYTHON ]] || { echo "bench/fuzz.sh: no $PYTHON (run HOSTCHECK_INTEGRATION=0 bash tests/run once)" >&2; exit 1; }
OUT="$REPO/.cache/fuzz/$(date +%Y%m%d-%H%M%S)-seed$SEED"
mkdir -p "$OUT"

echo "bench/fuzz.sh: ${TARGETS[*]}, $PER_TARGET s each, seed $SEED; summaries in $OUT" >&2
failed=()
for target in "${TARGETS[@]}"; do
    rc=0
    HOSTCHECK_FUZZ_SECONDS=$PER_TARGET HOSTCHECK_FUZZ_SEED=$SEED HOSTCHECK_FUZZ_SUMMARY=$OUT \
        "$PYTHON" -m pytest -q -s -p no:cacheprovider "tests/test_fuzz_$target.py" >"$OUT/$target.log" 2>&1 || rc=$?
    if ((rc != 0)); then
        failed+=("$target")
        echo "== $target FAILED (pytest exit $rc); the minimal example, from $OUT/$target.log:" >&2
        grep -A 40 -m 1 "Falsifying example\|Failing test case" "$OUT/$target.log" >&2 || tail -n 40 "$OUT/$target.log" >&2
    fi
done
cat "$OUT"/*.txt 2>/dev/null || true
if ((${#failed[@]})); then
    echo "bench/fuzz.sh: failures in ${failed[*]} (seed $SEED)" >&2
    exit 1
fi
echo "bench/fuzz.sh: no failure in ${TARGETS[*]} (seed $SEED, $PER_TARGET s each)" >&2

#!/usr/bin/env bash
# Fuzzes the ProtoWire decoders with libFuzzer (+ AddressSanitizer) for DURATION seconds.
#
#   bash scripts/fuzz.sh [DURATION]          (from the repository root; default 60)
#
# 1. Builds Fuzz/ (package InferWireFuzz, product FuzzDecode) with coverage and ASan.
# 2. Replays every input in Fuzz/regressions/ once; each must pass.
# 3. Fuzzes with Fuzz/corpus/ (grows; gitignored) and Fuzz/seeds/ (committed, read only) as
#    corpora; crash, timeout and OOM inputs land in Fuzz/crashes/ (gitignored).
# Exits non-zero if the build fails, a regression input fails, or libFuzzer finds a crash,
# a timeout (-timeout=5) or an out-of-memory (-rss_limit_mb=2048).
#
# Environment: FUZZ_CONFIG=debug|release (default debug: assertions on),
#              FUZZ_ARGS="..." extra libFuzzer flags (e.g. -seed=1 -jobs=2).
#
# Why these flags: `swift build --sanitize=fuzzer --sanitize=address` hands swiftc two separate
# -sanitize options and the last one wins, so the Swift code gets ASan but no coverage
# (libFuzzer then sees only the C targets' few hundred counters). `--sanitize=fuzzer` is still
# needed so that SwiftPM links libFuzzer's main() instead of the target's (renamed) one; the
# combined `-Xswiftc -sanitize=fuzzer,address` comes after it and wins.
set -uo pipefail

DURATION="${1:-60}"
if ! [[ "$DURATION" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 [DURATION_SECONDS]" >&2
    exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/Fuzz"
CONFIG="${FUZZ_CONFIG:-debug}"
BUILD_FLAGS=(
    --package-path "$FUZZ" --scratch-path "$FUZZ/.build" -c "$CONFIG" --product FuzzDecode
    --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address
)

echo "== building FuzzDecode ($CONFIG, libFuzzer + ASan)"
mkdir -p "$FUZZ/.build"
BUILD_LOG="$FUZZ/.build/fuzz-build.log"
# ld.gold warns once per ASan helper ("Cannot export local symbol"): noise, kept in the log only.
swift build "${BUILD_FLAGS[@]}" >"$BUILD_LOG" 2>&1
BUILD_RC=$?
grep -v "Cannot export local symbol" "$BUILD_LOG" | tail -n 5
if [ "$BUILD_RC" -ne 0 ]; then
    echo "fuzz.sh: build failed (full log: $BUILD_LOG)" >&2
    grep -v "Cannot export local symbol" "$BUILD_LOG" | grep -E "error:" | head -n 20 >&2
    exit "$BUILD_RC"
fi
BIN="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)/FuzzDecode"
if [ ! -x "$BIN" ]; then
    echo "fuzz.sh: no binary at $BIN" >&2
    exit 1
fi

# Crashes are reported by libFuzzer/ASan (stack and input), not by Swift's backtracer.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"

STATUS=0

shopt -s nullglob
REGRESSIONS=("$FUZZ"/regressions/*)
REGRESSION_FILES=()
for file in "${REGRESSIONS[@]}"; do
    case "$(basename "$file")" in README* | *.md | *.txt) continue ;; esac
    [ -f "$file" ] && REGRESSION_FILES+=("$file")
done
if [ "${#REGRESSION_FILES[@]}" -gt 0 ]; then
    echo "== replaying ${#REGRESSION_FILES[@]} regression input(s) from Fuzz/regressions/"
    FAILED=0
    for file in "${REGRESSION_FILES[@]}"; do
        if "$BIN" -timeout=5 -rss_limit_mb=2048 "$file" >"$FUZZ/.build/regression.log" 2>&1; then
            echo "   ok    $(basename "$file")"
        else
            echo "   FAIL  $(basename "$file")"
            grep -E "Fatal error|ERROR:|SUMMARY" "$FUZZ/.build/regression.log" | head -n 5 | sed 's/^/         /'
            FAILED=$((FAILED + 1))
        fi
    done
    if [ "$FAILED" -gt 0 ]; then
        echo "fuzz.sh: $FAILED regression input(s) fail" >&2
        STATUS=1
    fi
fi

if [ "$DURATION" -eq 0 ]; then
    exit "$STATUS"
fi

mkdir -p "$FUZZ/corpus" "$FUZZ/crashes"
echo "== fuzzing for ${DURATION}s (corpus: Fuzz/corpus + Fuzz/seeds; findings: Fuzz/crashes/)"
# shellcheck disable=SC2086
"$BIN" \
    -max_total_time="$DURATION" -max_len=65536 -timeout=5 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$FUZZ/crashes/" ${FUZZ_ARGS:-} \
    "$FUZZ/corpus" "$FUZZ/seeds"
FUZZ_RC=$?
if [ "$FUZZ_RC" -ne 0 ]; then
    echo "fuzz.sh: libFuzzer exited with $FUZZ_RC (crash, timeout or OOM); input saved in Fuzz/crashes/" >&2
    echo "fuzz.sh: once reduced, copy the input to Fuzz/regressions/ so that every run replays it" >&2
    exit "$FUZZ_RC"
fi
exit "$STATUS"

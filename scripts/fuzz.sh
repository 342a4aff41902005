#!/usr/bin/env bash
# Fuzzes with libFuzzer (+ AddressSanitizer), DURATION seconds per target: FuzzDecode (the
# ProtoWire decoders) and FuzzJSON (the HTTP door's JSON reader and V2 request decoding).
#
#   bash scripts/fuzz.sh [DURATION] [TARGET...]   (from the repository root; default 60, both)
#
# For each target:
# 1. Builds it in Fuzz/ (package InferWireFuzz) with coverage and ASan.
# 2. Replays every input in its regressions folder once; each must pass
#    (FuzzDecode: Fuzz/regressions/, FuzzJSON: Fuzz/regressions-json/).
# 3. Fuzzes with its corpus (Fuzz/corpus/, Fuzz/corpus-json/: grow; gitignored) and its seeds
#    (Fuzz/seeds/, Fuzz/seeds-json/: committed, read only); crash, timeout and OOM inputs land in
#    Fuzz/crashes/ (gitignored).
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
shift || true
TARGETS=("$@")
[ "${#TARGETS[@]}" -gt 0 ] || TARGETS=(FuzzDecode FuzzJSON)

# Crashes are reported by libFuzzer/ASan (stack and input), not by Swift's backtracer.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"

fuzz_target() {
TARGET="$1"
case "$TARGET" in
    FuzzDecode) SUFFIX="" ;;
    FuzzJSON) SUFFIX="-json" ;;
    *) echo "fuzz.sh: unknown target $TARGET (FuzzDecode, FuzzJSON)" >&2; return 2 ;;
esac
BUILD_FLAGS=(
    --package-path "$FUZZ" --scratch-path "$FUZZ/.build" -c "$CONFIG" --product "$TARGET"
    --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address
)

echo "== building $TARGET ($CONFIG, libFuzzer + ASan)"
mkdir -p "$FUZZ/.build"
BUILD_LOG="$FUZZ/.build/fuzz-build.log"
# ld.gold warns once per ASan helper ("Cannot export local symbol"): noise, kept in the log only.
swift build "${BUILD_FLAGS[@]}" >"$BUILD_LOG" 2>&1
BUILD_RC=$?
grep -v "Cannot export local symbol" "$BUILD_LOG" | tail -n 5
if [ "$BUILD_RC" -ne 0 ]; then
    echo "fuzz.sh: build failed (full log: $BUILD_LOG)" >&2
    grep -v "Cannot export local symbol" "$BUILD_LOG" | grep -E "error:" | head -n 20 >&2
    return "$BUILD_RC"
fi
BIN="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)/$TARGET"
if [ ! -x "$BIN" ]; then
    echo "fuzz.sh: no binary at $BIN" >&2
    return 1
fi

STATUS=0

shopt -s nullglob
REGRESSIONS=("$FUZZ"/regressions$SUFFIX/*)
REGRESSION_FILES=()
for file in "${REGRESSIONS[@]}"; do
    case "$(basename "$file")" in README* | *.md | *.txt) continue ;; esac
    [ -f "$file" ] && REGRESSION_FILES+=("$file")
done
if [ "${#REGRESSION_FILES[@]}" -gt 0 ]; then
    echo "== replaying ${#REGRESSION_FILES[@]} regression input(s) from Fuzz/regressions$SUFFIX/"
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
    return "$STATUS"
fi

mkdir -p "$FUZZ/corpus$SUFFIX" "$FUZZ/crashes"
echo "== fuzzing $TARGET for ${DURATION}s (corpus: Fuzz/corpus$SUFFIX + Fuzz/seeds$SUFFIX; findings: Fuzz/crashes/)"
# shellcheck disable=SC2086
"$BIN" \
    -max_total_time="$DURATION" -max_len=65536 -timeout=5 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$FUZZ/crashes/$TARGET-" ${FUZZ_ARGS:-} \
    "$FUZZ/corpus$SUFFIX" "$FUZZ/seeds$SUFFIX"
FUZZ_RC=$?
if [ "$FUZZ_RC" -ne 0 ]; then
    echo "fuzz.sh: libFuzzer exited with $FUZZ_RC (crash, timeout or OOM); input saved in Fuzz/crashes/" >&2
    echo "fuzz.sh: once reduced, copy the input to Fuzz/regressions$SUFFIX/ so that every run replays it" >&2
    return "$FUZZ_RC"
fi
return "$STATUS"
}

OVERALL=0
for target in "${TARGETS[@]}"; do
    fuzz_target "$target" || OVERALL=$?
done
exit "$OVERALL"

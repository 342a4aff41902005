#!/usr/bin/env bash
# Fuzzes with libFuzzer (+ AddressSanitizer), one target after another (Fuzz/README.md).
#
#   bash scripts/fuzz.sh [DURATION] [TARGET...]       default: 60 s, every target
#   bash scripts/fuzz.sh 0                            build and replay only
#   FUZZ_KEEP=1 bash scripts/fuzz.sh 3600 FuzzJSON    a campaign whose corpus is kept
#
# For each target:
# 1. Builds every target once in Fuzz/ (package InferWireFuzz) with coverage and ASan.
# 2. Replays its committed inputs once each: Fuzz/regressions/TARGET/ (inputs that once broke it),
#    Fuzz/seeds/TARGET/ (hand-written valid inputs) and Fuzz/corpus/TARGET/ (the minimized
#    corpus earlier campaigns kept). Any failure fails the run.
# 3. Fuzzes DURATION seconds in Fuzz/.build/corpus/TARGET/ (a working copy of the committed
#    corpus, kept between runs on this machine). Crash, timeout and OOM inputs land in
#    Fuzz/crashes/ (gitignored).
# 4. With FUZZ_KEEP=1: merges the working corpus into a minimized Fuzz/corpus/TARGET/ (commit
#    it) and adds a line to Fuzz/campaigns.tsv: date, target, config, seconds, executions,
#    execs/s, corpus size, coverage, findings (docs/RELIABILITY.md sums it).
# Exits non-zero if the build fails, a committed input fails, or libFuzzer finds a crash,
# a timeout (-timeout=5) or an out-of-memory (-rss_limit_mb=2048).
#
# Environment: FUZZ_CONFIG=debug|release (default debug: assertions on; release runs several
#              times faster), FUZZ_ARGS="..." extra libFuzzer flags (e.g. -seed=1),
#              FUZZ_SKIP_BUILD=1 uses the binaries built before (so that two runs on disjoint
#              targets can share the machine's cores without building under each other).
#
# Why these flags: `swift build --sanitize=fuzzer --sanitize=address` hands swiftc two separate
# -sanitize options and the last one wins, so the Swift code gets ASan but no coverage.
# `--sanitize=fuzzer` is still needed so that SwiftPM links libFuzzer's main() instead of the
# target's (renamed) one; the combined `-Xswiftc -sanitize=fuzzer,address` comes after it and
# wins. `-enable-testing` lets targets `@testable import` internal parsers in release builds.
set -uo pipefail

ALL_TARGETS=(FuzzDecode FuzzJSON FuzzFrames FuzzGRPC FuzzTemplates FuzzSSE FuzzProviderAnswers FuzzMemoryRecord FuzzSettings)
DURATION="${1:-60}"
if ! [[ "$DURATION" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 [DURATION_SECONDS] [TARGET...]   targets: ${ALL_TARGETS[*]}" >&2
    exit 2
fi
shift || true
TARGETS=("$@")
[ "${#TARGETS[@]}" -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")
for target in "${TARGETS[@]}"; do
    [[ " ${ALL_TARGETS[*]} " == *" $target "* ]] || { echo "fuzz.sh: unknown target $target (${ALL_TARGETS[*]})" >&2; exit 2; }
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/Fuzz"
CONFIG="${FUZZ_CONFIG:-debug}"
# Crashes are reported by libFuzzer/ASan (stack and input), not by Swift's backtracer.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
FLAGS=(-timeout=5 -rss_limit_mb=2048)
# Longest input per target (-max_len), for every run of it. FuzzSSE parses each input three
# times, one byte at a time in one of them, at ~160 ns a byte under coverage and ASan: 2 KiB
# covers every line and event shape and keeps it near 1k execs/s instead of growing inputs
# toward 64 KiB.
max_len() { case "$1" in FuzzSSE) echo 2048 ;; *) echo 65536 ;; esac; }

bash "$ROOT/scripts/install-system-packages.sh" --build >/dev/null
BUILD_FLAGS=(
    --package-path "$FUZZ" --scratch-path "$FUZZ/.build" -c "$CONFIG"
    --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xcc -fsanitize=address
)
mkdir -p "$FUZZ/.build"
if [ "${FUZZ_SKIP_BUILD:-0}" = 1 ]; then
    BIN_DIR="$FUZZ/.build/$CONFIG"
    for target in "${TARGETS[@]}"; do
        [ -x "$BIN_DIR/$target" ] || { echo "fuzz.sh: FUZZ_SKIP_BUILD=1 but $BIN_DIR/$target is not built" >&2; exit 1; }
    done
else
    # SwiftPM keeps the root package's source lists (it is a path dependency here) in the build
    # description until a manifest changes: a source file added since the last fuzz build would be
    # missed ("cannot find X in scope"). Dropping the description makes it scan again (seconds).
    rm -f "$FUZZ/.build/$CONFIG.yaml" "$FUZZ/.build/$CONFIG/description.json"
    BUILD_LOG="$FUZZ/.build/fuzz-build.log"
    : >"$BUILD_LOG"
    started=$SECONDS
    for target in "${TARGETS[@]}"; do
        echo "== building $target ($CONFIG, libFuzzer + ASan)"
        # ld.gold warns once per ASan helper ("Cannot export local symbol"): noise, kept in the log only.
        if ! swift build "${BUILD_FLAGS[@]}" --product "$target" >>"$BUILD_LOG" 2>&1; then
            echo "fuzz.sh: building $target failed (full log: $BUILD_LOG)" >&2
            grep -v "Cannot export local symbol" "$BUILD_LOG" | grep -E "error:" | head -n 20 >&2
            exit 1
        fi
    done
    echo "== built in $((SECONDS - started)) s"
    BIN_DIR="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)"
fi

committed_inputs() {  # target: its committed input files (not READMEs)
    local dir file
    for dir in "$FUZZ/regressions/$1" "$FUZZ/seeds/$1" "$FUZZ/corpus/$1"; do
        [ -d "$dir" ] || continue
        for file in "$dir"/*; do
            case "$(basename "$file")" in README* | *.md | *.txt) continue ;; esac
            [ -f "$file" ] && echo "$file"
        done
    done
}

fuzz_target() {
    local target="$1" bin="$BIN_DIR/$1" status=0
    local flags=("${FLAGS[@]}" -max_len="$(max_len "$1")")
    # Replay: given files (not folders), libFuzzer runs each once and stops at the first
    # failure; on one, each input is rerun alone to name every one that fails.
    mapfile -t inputs < <(committed_inputs "$target")
    if [ "${#inputs[@]}" -gt 0 ]; then
        if "$bin" "${flags[@]}" "${inputs[@]}" >"$FUZZ/.build/replay-$target.log" 2>&1; then
            echo "== $target: ${#inputs[@]} committed inputs replayed, all pass"
        else
            for file in "${inputs[@]}"; do
                "$bin" "${flags[@]}" "$file" >"$FUZZ/.build/replay-one-$target.log" 2>&1 && continue
                echo "   FAIL  ${file#"$ROOT"/}"
                grep -E "Fatal error|ERROR:|SUMMARY" "$FUZZ/.build/replay-one-$target.log" | head -n 5 | sed 's/^/         /'
            done
            echo "fuzz.sh: $target fails on committed inputs" >&2
            return 1
        fi
    fi
    [ "$DURATION" -gt 0 ] || return 0

    local work="$FUZZ/.build/corpus/$target"
    mkdir -p "$work" "$FUZZ/crashes"
    [ -d "$FUZZ/corpus/$target" ] && cp -n "$FUZZ/corpus/$target"/* "$work"/ 2>/dev/null
    echo "== fuzzing $target for ${DURATION}s (findings: Fuzz/crashes/)"
    local log="$FUZZ/.build/$target.log"
    local seeds=()
    [ -d "$FUZZ/seeds/$target" ] && seeds=("$FUZZ/seeds/$target")
    # shellcheck disable=SC2086
    "$bin" "${flags[@]}" -max_total_time="$DURATION" -print_final_stats=1 \
        -artifact_prefix="$FUZZ/crashes/$target-" ${FUZZ_ARGS:-} "$work" "${seeds[@]}" >"$log" 2>&1
    local rc=$?
    grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" "$log" | sed 's/^/   /'
    local findings=0
    if [ "$rc" -ne 0 ]; then
        findings=1
        grep -E "Fatal error|ERROR:|SUMMARY|Test unit written" "$log" | head -n 8 | sed 's/^/   /'
        echo "fuzz.sh: $target: libFuzzer exited with $rc (crash, timeout or OOM; log $log); input saved in Fuzz/crashes/" >&2
        echo "fuzz.sh: once reduced (-minimize_crash=1), copy it to Fuzz/regressions/$target/ so that every run replays it" >&2
        status=$rc
    fi
    if [ "${FUZZ_KEEP:-0}" = 1 ]; then
        local merged="$FUZZ/.build/merged-$target"
        rm -rf "$merged"; mkdir -p "$merged"
        "$bin" "${flags[@]}" -merge=1 "$merged" "$work" >"$FUZZ/.build/merge-$target.log" 2>&1
        rm -rf "$FUZZ/corpus/$target"; mkdir -p "$FUZZ/corpus/$target"
        cp "$merged"/* "$FUZZ/corpus/$target"/ 2>/dev/null
        local executions speed coverage
        executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
        speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
        coverage="$(grep -oE "cov: [0-9]+" "$log" | tail -n 1 | cut -d' ' -f2)"
        [ -f "$FUZZ/campaigns.tsv" ] || printf 'date\ttarget\tconfig\tseconds\texecutions\texecs_per_s\tcorpus\tcoverage\tfindings\n' >"$FUZZ/campaigns.tsv"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$target" "$CONFIG" "$DURATION" \
            "${executions:-0}" "${speed:-0}" "$(ls "$FUZZ/corpus/$target" | wc -l)" "${coverage:-0}" "$findings" >>"$FUZZ/campaigns.tsv"
        echo "   kept: Fuzz/corpus/$target ($(ls "$FUZZ/corpus/$target" | wc -l) inputs), Fuzz/campaigns.tsv"
    fi
    return "$status"
}

OVERALL=0
for target in "${TARGETS[@]}"; do
    fuzz_target "$target" || OVERALL=1
done
exit "$OVERALL"

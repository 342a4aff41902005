#!/usr/bin/env bash
# MLServer helpers for the side-by-side harness.
#
#   mlserver_side.sh start    start MLServer (echo model repo) in the background, wait until
#                             GET /v2/health/ready and /v2/models/echo/ready answer 200,
#                             print its PID on stdout (the log path goes to stderr)
#   mlserver_side.sh stop PID stop the MLServer started as PID (its process group: workers too)
#   mlserver_side.sh pids PID print PID and all its descendants (MLServer spawns workers)
#
# Env (all optional):
#   MLSERVER_HTTP_PORT        REST port (default 18080)
#   MLSERVER_GRPC_PORT        gRPC port (default 18081)
#   MLSERVER_PARALLEL_WORKERS inference worker processes; 0 = run the model in the server
#                             process (default 0: fastest for echo, see NOTES.md)
#   RESULTS_DIR               where the log and MLServer's scratch dirs go (default ./results)
#   MLSERVER_READY_TIMEOUT    seconds to wait for readiness (default 90)
# Everything listens on 127.0.0.1 only (settings.json sets host).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="$HERE/.venv"
RESULTS_DIR="${RESULTS_DIR:-$HERE/results}"
export MLSERVER_HTTP_PORT="${MLSERVER_HTTP_PORT:-18080}"
export MLSERVER_GRPC_PORT="${MLSERVER_GRPC_PORT:-18081}"
export MLSERVER_PARALLEL_WORKERS="${MLSERVER_PARALLEL_WORKERS:-0}"
READY_TIMEOUT="${MLSERVER_READY_TIMEOUT:-90}"

descendants() {
    local pid=$1 child
    echo "$pid"
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
        descendants "$child"
    done
}

case "${1:-}" in
start)
    [[ -x "$VENV/bin/mlserver" ]] || { echo "no venv: run $HERE/setup-venv.sh first" >&2; exit 1; }
    mkdir -p "$RESULTS_DIR/mlserver-scratch"
    log="$RESULTS_DIR/mlserver-$(date +%Y%m%d-%H%M%S)-w${MLSERVER_PARALLEL_WORKERS}.log"
    # MLServer writes .metrics/ and .envs/ into its cwd: keep them out of the source tree.
    # setsid: own process group, so `stop` reaches the worker processes too.
    (
        cd "$RESULTS_DIR/mlserver-scratch"
        export MLSERVER_METRICS_DIR="$RESULTS_DIR/mlserver-scratch/.metrics"
        exec setsid "$VENV/bin/mlserver" start "$HERE/mlserver-models" >"$log" 2>&1 </dev/null
    ) &
    pid=$!
    base="http://127.0.0.1:$MLSERVER_HTTP_PORT"
    for ((i = 0; i < READY_TIMEOUT * 5; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "MLServer exited during startup; log: $log" >&2
            tail -20 "$log" >&2
            exit 1
        fi
        # health/ready is vacuously true once a failed model is dropped: check the model too.
        code=$(curl -s -o /dev/null -w '%{http_code}' "$base/v2/health/ready" || true)
        mcode=$(curl -s -o /dev/null -w '%{http_code}' "$base/v2/models/echo/ready" || true)
        if [[ "$code" == 200 && "$mcode" == 200 ]]; then
            echo "MLServer ready: pid $pid http :$MLSERVER_HTTP_PORT grpc :$MLSERVER_GRPC_PORT" \
                "workers $MLSERVER_PARALLEL_WORKERS log $log" >&2
            echo "$pid"
            exit 0
        fi
        sleep 0.2
    done
    echo "MLServer not ready after ${READY_TIMEOUT}s; log: $log" >&2
    kill -TERM -- "-$pid" 2>/dev/null || true
    exit 1
    ;;
stop)
    pid="${2:?usage: $0 stop PID}"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    # MLServer waits parallel_workers_timeout (5 s) for workers; then force.
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || exit 0
        sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    ;;
pids)
    descendants "${2:?usage: $0 pids PID}"
    ;;
*)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac

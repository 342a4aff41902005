# Shared by the measurement scripts (scale-out, chaos, soak): sourced, not run. From the
# repository root it installs what they need (PostgreSQL, and HAProxy when asked), builds the
# release `inferwire`, and sets
#   binary    the release executable;   python  the test virtualenv's interpreter;
#   work      a temporary folder;       pids    processes to kill -9 at the exit;
#   postgres_url, postgres_dir          a PostgreSQL test server on loopback (stopped at the exit);
# and the function port_of (a free loopback port). Everything is cleaned up when the script exits.
#
#   source scripts/lib/harness.sh [haproxy]
bash scripts/install-system-packages.sh --build postgresql "$@" >&2
swift build -c release --product inferwire >&2
binary="$(pwd)/.build/release/inferwire"
python="$(bash scripts/python-env.sh)"
work="$(mktemp -d)"
pids=()
harness_cleanup() {
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    [ -n "${postgres_dir:-}" ] && bash scripts/postgres-test-server.sh stop "$postgres_dir" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap harness_cleanup EXIT
port_of() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
postgres="$(bash scripts/postgres-test-server.sh start)"
postgres_url="${postgres% *}"
postgres_dir="${postgres#* }"

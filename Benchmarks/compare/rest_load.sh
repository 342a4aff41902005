#!/usr/bin/env bash
# The HTTP doors under h2load (HTTP/1.1), side by side with MLServer's REST door
# (docs/BENCHMARKS.md, "The HTTP door's infer fast path", "With a C load client").
#
#   Benchmarks/compare/rest_load.sh [seconds per measurement] [payloads]
#       seconds default 10; payloads default chat (also: image-1m, image-5m)
#
# h2load_run.sh installs what it needs and builds, then runs rest_load.py.
exec bash "$(dirname "$0")/h2load_run.sh" rest_load.py "$@"

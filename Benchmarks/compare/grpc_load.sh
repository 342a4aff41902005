#!/usr/bin/env bash
# The gRPC doors under h2load, side by side with MLServer's and against a do-nothing HTTP/2
# server (docs/BENCHMARKS.md, "The gRPC door").
#
#   Benchmarks/compare/grpc_load.sh [seconds per measurement] [payloads]
#       seconds default 10; payloads default chat (also: image-1m, image-5m)
#
# h2load_run.sh installs what it needs and builds, then runs grpc_load.py.
exec bash "$(dirname "$0")/h2load_run.sh" grpc_load.py "$@"

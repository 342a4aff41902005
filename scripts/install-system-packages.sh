#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, if any is missing.
#   libprotobuf-c-dev    the reference codec the differential tests link against
#   protobuf-c-compiler  protoc-c, to check that Tests/CV2Reference matches proto/
#   libcurl4-openssl-dev libcurl, the upstream HTTP engine of the providers (Sources/CCurl)
#   libsqlite3-dev       SQLite, the embedded conversational-memory store (Sources/CSQLite)
#   postgresql           a throwaway server for the PostgreSQL memory tests (scripts/postgres-test-server.sh)
#   --build              only what building and serving need (libcurl, SQLite)
set -euo pipefail
if [ "${1:-}" = "--build" ]; then
    shift
    packages=(libcurl4-openssl-dev libsqlite3-dev "$@")
else
    packages=(libprotobuf-c-dev protobuf-c-compiler libcurl4-openssl-dev libsqlite3-dev postgresql "$@")
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null

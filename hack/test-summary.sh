#!/usr/bin/env bash
# Prints the closing line for a `go test` log: how many packages passed and failed.
set -euo pipefail
log="$1"
ok=$(grep -cE '^ok[[:space:]]' "$log" || true)
failed=$(grep -cE '^FAIL[[:space:]]+[^[:space:]]+' "$log" || true)
echo "packages: ${ok} passed, ${failed} failed"

#!/usr/bin/env bash
# Build times of one revision, measured in a fresh worktree with a target folder of its own:
# clean release and test builds, then each again after touching one context's file.
# Usage: bench/build-times.sh [REV]   (default HEAD); prints one line per measurement.
set -euo pipefail
rev=${1:-HEAD}
top=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'git -C "$top" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$top" worktree add --detach "$work/tree" "$rev" >/dev/null 2>&1
cd "$work/tree"
export CARGO_TARGET_DIR="$work/target"
cargo fetch --locked >/dev/null 2>&1

# The CRM's leads use cases, wherever the revision keeps them.
for touched in domain/crm/src/leads.rs domain/src/crm/leads.rs; do
  [ -f "$touched" ] && break
done

timed() { # label, command...
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/log" 2>&1 || { tail -n 20 "$work/log" >&2; return 1; }
  end=$(date +%s.%N)
  awk -v rev="$(git rev-parse --short HEAD)" -v label="$label" -v s="$start" -v e="$end" \
    'BEGIN { printf "%s %s: %.1f s\n", rev, label, e - s }'
}

timed "release, clean" cargo build --release --locked
touch "$touched"
timed "release, after touching $touched" cargo build --release --locked
timed "tests, clean" cargo test --locked --no-run
touch "$touched"
timed "tests, after touching $touched" cargo test --locked --no-run

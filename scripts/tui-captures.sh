#!/usr/bin/env bash
# Captures every TUI screen of the real binary as text (tmux capture-pane), for docs/tui.md.
# Usage: scripts/tui-captures.sh [BINARY] OUTDIR   (80×24, the embedded default design)
set -euo pipefail
BIN=${1:-.build/debug/screenplan}; OUT=${2:-/tmp/tui-captures}
mkdir -p "$OUT"; HOME_DIR=$(mktemp -d); SOCK=tui-captures-$$
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
t() { tmux -L "$SOCK" "$@"; }
wait_for() { for _ in $(seq 1 200); do t capture-pane -p -t c | grep -qF -- "$1" && return 0; sleep 0.05; done; echo "timeout: $1" >&2; return 1; }
snap() { sleep 0.3; t capture-pane -p -t c > "$OUT/$1.txt"; }
t new-session -d -s c -x 80 -y 24 -c "$HOME_DIR" "env -i HOME=$HOME_DIR XDG_STATE_HOME=$HOME_DIR/state TERM=xterm-256color LANG=C.UTF-8 PATH=/usr/bin:/bin $BIN"
trap 't kill-server 2>/dev/null; rm -rf "$HOME_DIR"' EXIT
wait_for "Headline"; snap design
t send-keys -t c 2; wait_for "perturbations ×"; snap layout
t send-keys -t c 3; wait_for "Error budget"; snap analysis
t send-keys -t c 4; wait_for "Compare layouts"; wait_for "cells/batch"; snap compare
t send-keys -t c 5; wait_for "Simulate"; snap simulate
t send-keys -t c 6; wait_for "Export"; snap export
t send-keys -t c 1 '?'; wait_for "Keys (any key closes)"; snap help
t send-keys -t c Escape / batching.batches Enter Enter C-u 0 Enter; wait_for "refused"; snap edit-refused
t send-keys -t c Escape : 'set batching.batches 32' Enter; wait_for "32 lanes"; snap edited
sed -e 's/^  batches: 28/  batches: 32/' -e 's/cells_per_perturbation: 150/cells_per_perturbation: 160/' \
  "$(dirname "$0")/../sample-screens/k562-essential-crispri.yaml" > "$HOME_DIR/other.yaml"
t send-keys -t c u : "compare other.yaml" Enter; wait_for "differ"; snap compare-designs
t send-keys -t c 1 : 'set batching.batches 32' Enter; wait_for "32 lanes"
t send-keys -t c q; wait_for "quit anyway"; snap quit-confirm
t send-keys -t c n; t resize-window -t c -x 70 -y 20; wait_for "terminal too small"; snap too-small

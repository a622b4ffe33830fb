#!/usr/bin/env bash
# Captures the TUI screens of the real binary as text (tmux capture-pane), for docs/tui.md, and
# with --docs FILE puts each capture into FILE under its `<!-- capture: NAME -->` marker.
# Usage: scripts/tui-captures.sh [BINARY] [OUTDIR] [--docs docs/tui.md]
#        (80×24, the embedded default design; a release build makes the analysis arrive sooner)
set -euo pipefail
DOCS=""
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in --docs) DOCS=$2; shift 2 ;; *) ARGS+=("$1"); shift ;; esac
done
BIN=${ARGS[0]:-.build/debug/screenplan}; OUT=${ARGS[1]:-/tmp/tui-captures}
mkdir -p "$OUT"; HOME_DIR=$(mktemp -d); SOCK=tui-captures-$$
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
t() { tmux -L "$SOCK" "$@"; }
wait_for() { for _ in $(seq 1 1200); do t capture-pane -p -t c | grep -qF -- "$1" && return 0; sleep 0.05; done; echo "timeout: $1" >&2; t capture-pane -p -t c >&2; return 1; }
wait_gone() { for _ in $(seq 1 1200); do t capture-pane -p -t c | grep -qF -- "$1" || return 0; sleep 0.05; done; echo "timeout (still there): $1" >&2; return 1; }
snap() { sleep 0.5; t capture-pane -p -t c > "$OUT/$1.txt"; }
t new-session -d -s c -x 80 -y 24 -c "$HOME_DIR" "env -i HOME=$HOME_DIR XDG_STATE_HOME=$HOME_DIR/state TERM=xterm-256color LANG=C.UTF-8 PATH=/usr/bin:/bin $BIN"
trap 't kill-server 2>/dev/null; rm -rf "$HOME_DIR"' EXIT
wait_for "Headline"; wait_for "median power   0."; wait_gone "updating"; snap design
# The Plan: + nudges cells per perturbation and the headline re-analyses.
t send-keys -t c +; wait_for "cells_per_perturbation = 160"; wait_gone "updating"; snap design-nudged
t send-keys -t c u; wait_for "undone"
# A refused edit: the whole reason, and the fix on f.
t send-keys -t c : 'set sampling.cells_per_perturbation 400' Enter; wait_for "f: raise"; snap edit-refused
t send-keys -t c f; wait_for "Enter edit"; wait_gone "updating"; snap edit-fixed
t send-keys -t c u; wait_for "undone"; wait_gone "updating"
t send-keys -t c 2; wait_for "perturbations ×"; snap layout
t send-keys -t c 3; wait_for "Error budget"; wait_for "Recommendations"; wait_gone "updating"; snap analysis
t send-keys -t c t; wait_for "UMIs/ctrl"; snap analysis-table
t send-keys -t c d; wait_for "reached at"; snap analysis-downstream
t send-keys -t c d 4; wait_for "Compare layouts"; wait_for "cells/batch"; snap compare
# Pins: the design as written, then with 160 cells per perturbation, side by side.
t send-keys -t c 1 P; wait_for "pinned this design as pin 1"; t send-keys -t c +; wait_for "= 160"; wait_gone "updating"
t send-keys -t c P; wait_for "as pin 2"; t send-keys -t c 4 d; wait_for "Compare designs"; wait_for "pin 2"; snap compare-pins
t send-keys -t c 5; wait_for "Simulate"; snap simulate
t send-keys -t c 6; wait_for "Export"; snap export
t send-keys -t c 1 '?'; wait_for "Keys (any key closes)"; snap help
t send-keys -t c Escape q; wait_for "quit anyway"; snap quit-confirm
t send-keys -t c n; t resize-window -t c -x 70 -y 20; wait_for "terminal too small"; snap too-small
t resize-window -t c -x 80 -y 24; wait_gone "terminal too small"
t send-keys -t c : 'q!' Enter
if [ -n "$DOCS" ]; then
  # Replace the fenced block after each `<!-- capture: NAME -->` marker with $OUT/NAME.txt.
  awk -v out="$OUT" '
    /^<!-- capture: .* -->$/ { print; name = $3; getline; if ($0 ~ /^```text$/) { skip = 1 } else { print; next }
      print "```text"; while ((getline line < (out "/" name ".txt")) > 0) print line; close(out "/" name ".txt"); print "```"; next }
    skip && /^```$/ { skip = 0; next }
    skip { next }
    { print }' "$DOCS" > "$DOCS.new"
  mv "$DOCS.new" "$DOCS"
fi
echo "captures in $OUT"

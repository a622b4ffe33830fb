#!/usr/bin/env bash
# The results table of docs/learnability.md: `screenplan fit --json` on every sample screen,
# formatted as Markdown. Usage (from the repository root, after `swift build -c release`):
#
#   scripts/learnability-table.sh [SEED] [FOLDS]        # defaults: seed 1, 3 folds
#
# Needs jq. Wall time per screen is measured around the whole command (data + fits).
set -euo pipefail
seed="${1:-1}"
folds="${2:-3}"
bin="${SCREENPLAN_BIN:-.build/release/screenplan}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

f4() { jq -r "$1 | if type == \"number\" then (. * 10000 | round / 10000 | tostring) else \"n/a\" end" "$2"; }
f3() { jq -r "$1 | if type == \"number\" then (. * 1000 | round / 1000 | tostring) else \"n/a\" end" "$2"; }

echo "| screen | regime | fitted / genes | MSE standard | MSE steady-state | ratio ss/std (folds) | linear | mean effect | no change | r standard | r steady-state | wall s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for design in sample-screens/*.yaml; do
  name="$(basename "$design" .yaml)"
  json="$out/$name.json"
  start=$(date +%s.%N)
  "$bin" fit "$design" --json --seed "$seed" --folds "$folds" > "$json"
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  regime="$(jq -r '.regime + ", " + .dynamics' "$json")"
  sizes="$(jq -r '"\(.perturbations_fitted) / \(.genes)"' "$json")"
  ratio="$(f3 '.mse_ratio_steady_state_to_standard.mean' "$json") ± $(f3 '.mse_ratio_steady_state_to_standard.sd' "$json") ($(jq -r '[.mse_ratio_steady_state_to_standard.per_fold[] | (. * 1000 | round / 1000 | tostring)] | join(", ")' "$json"))"
  printf '| %s | %s | %s | %s ± %s | %s ± %s | %s | %s | %s | %s | %s | %s | %.0f |\n' \
    "$name" "$regime" "$sizes" \
    "$(f4 '.heldout_mse.standard' "$json")" "$(f4 '.heldout_mse_sd.standard' "$json")" \
    "$(f4 '.heldout_mse.steady_state' "$json")" "$(f4 '.heldout_mse_sd.steady_state' "$json")" \
    "$ratio" "$(f4 '.heldout_mse.linear' "$json")" "$(f4 '.heldout_mse.mean_effect' "$json")" \
    "$(f4 '.heldout_mse.no_change' "$json")" "$(f3 '.heldout_pearson.standard' "$json")" \
    "$(f3 '.heldout_pearson.steady_state' "$json")" "$wall"
done

#!/usr/bin/env bash
# The papers' own settings that need a GPU, run on one CUDA device, resumable, results stored.
#
#   bash scripts/paper_gpu.sh                 # every experiment below, in order of value
#   bash scripts/paper_gpu.sh egd.speedup-over-sgd li2.critical-ratio-law   # only these
#
# Each experiment runs with `grokcheck experiments --budget paper --device cuda` into its own
# folder runs/paper-gpu-<id> (finished cells are cached there: rerun the script to resume an
# interrupted experiment at its first unfinished cell), and --store-results writes its results
# file (verdict, statistics, intervals, command, commit, machine, wall and CPU time) into
# results/ of this checkout, or $GROKCHECK_RESULTS. An experiment whose results file already
# matches its setting is reused, not rerun (pass RECOMPUTE=1 to run it again).
# Projected costs on a 2-core CPU are in results/costs.json (benchmarks/paper_settings.py).
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICE="${DEVICE:-cuda}"
EXPERIMENTS=(
  egd.speedup-over-sgd              # EGD Table 1: C97, 15,000 epochs; parity n = 100, 2,000 epochs
  tanhuang.metrics-change-at-grok   # Nanda et al.'s transformer on C113 at 30% (plain arm), 40,000 steps
  li2.critical-ratio-law            # Li2 Fig. 5: K = 2048, 12 groups, 16 fractions, 20 seeds. One cell per group
                                    # holds all 320 members on the whole table: its (320, 2048, M²) float32
                                    # pre-activation is 39 GiB on C127 and 50 GiB on C13xC11, ~4x that with
                                    # autograd, beyond one 141 GB GPU: those cells need the seeds split (a change
                                    # to the experiment's cells), the smaller groups fit
  tanhuang.perturbed-groks-earlier
  tanhuang.commutative-law-at-grok
  tanhuang.abelian-degrok-earlier
  lyu.group-grok-time               # Lyu et al. §2: C97 at 40%, width 1024
  universality.onelayer-mlp-groks   # S5 at 40%, 250,000 full-batch AdamW steps
  chughtai.weak-universality
  li2.muon-small-width
)
if [ "$#" -gt 0 ]; then EXPERIMENTS=("$@"); fi

python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: run on a GPU machine')"
extra=()
if [ "${RECOMPUTE:-0}" = "1" ]; then extra+=(--recompute); fi
status=0
for id in "${EXPERIMENTS[@]}"; do
  echo "== $id ($(date -u +%H:%M:%S))" >&2
  # threads: 'auto' (one) leaves the GPU to do the work; a failed experiment does not stop the others
  grokcheck experiments --budget paper --device "$DEVICE" --only "$id" --out "runs/paper-gpu-$id" \
    --store-results ${extra[@]+"${extra[@]}"} || status=$?
done
exit "$status"

#!/usr/bin/env bash
# One prepared run for a machine with a GPU: K = 1, 2, 4, 8 gradings of the reference on `full`
# (60,000 images) at once, through the grader's trainer (bench/gpu_concurrency.py replays the
# reference's fit: the GPU machines have no TensorFlow for the student's side). Writes seconds per
# epoch, submissions per minute and the card's peak memory to bench/gpu.md (and $OUT/gpu.md where
# $OUT is set), naming the card and each row's Keras backend: TensorFlow where it imports, else JAX.
#
#   bench/gpu_grading.sh [K ...]          # the card's figures (default K: 1 2 4 8)
#   bench/gpu_grading.sh --quick [K ...]  # dry run, GPU or not: 600 images, 2 epochs, K 1 2; no gpu.md
#
# Environment: AUTOGRADER_MNIST (mnist.npz; default ../shared/data or data/mnist.npz), GPU_MEMORY_LIMIT
# (c.RunInIsolation.gpu_memory_limit of each grading, bytes; default 0), PYTHON (default python3).
# Packages the machine lacks (keras, namex, optree, traitlets) may travel as wheels in .whl/: they are
# installed into $PYTHON's environment (a throwaway machine's), where the trainer processes see them too.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
quick=""
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=($([ -n "$quick" ] && echo 1 2 || echo 1 2 4 8))

if [ -d .whl ]; then  # into $PYTHON's own environment: the trainers it starts must see them too
  "$PYTHON" -m pip install -q --no-index --no-deps --no-cache-dir .whl/*.whl
fi
data=${AUTOGRADER_MNIST:-}
for candidate in ../shared/data/mnist.npz data/mnist.npz; do
  [ -n "$data" ] || { [ -f "$candidate" ] && data=$candidate; } || true
done
[ -f "${data:-}" ] || { echo "no MNIST: set AUTOGRADER_MNIST to a mnist.npz (Keras layout)" >&2; exit 1; }
if [ -z "${KERAS_BACKEND:-}" ]; then
  if "$PYTHON" -c "import tensorflow" 2>/dev/null; then export KERAS_BACKEND=tensorflow; else export KERAS_BACKEND=jax; fi
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

if nvidia-smi -L >/dev/null 2>&1; then
  echo "GPU: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader)"
elif [ -z "$quick" ]; then
  echo "no GPU here (nvidia-smi finds none): no figures, bench/gpu.md left as it is; --quick runs the path on the CPU" >&2
  exit 1
else
  echo "no GPU: the dry run trains on the CPU"
fi

if [ -n "$quick" ]; then
  output=${OUT:-/tmp}/gpu_dry_run.md
  "$PYTHON" bench/gpu_concurrency.py --data "$data" --images 600 --epochs 2 --concurrency "${counts[@]}" \
    --gpu-memory-limit "${GPU_MEMORY_LIMIT:-0}" --output "$output"
else
  output=bench/gpu.md
  "$PYTHON" bench/gpu_concurrency.py --data "$data" --concurrency "${counts[@]}" \
    --gpu-memory-limit "${GPU_MEMORY_LIMIT:-0}" --output "$output"
  if [ -n "${OUT:-}" ]; then cp "$output" "$OUT/gpu.md"; fi
fi
echo "table written to $output"

#!/usr/bin/env bash
# Runs THERE (a GPU machine with PyTorch + CUDA, no .NET, no network), inside the bundle of
# prepare.sh. TorchSharp's libLibTorchSharp.so (in cli/) loads the CUDA libtorch of the PyTorch
# install through LD_LIBRARY_PATH. Steps (STEPS selects: "check bench sampling quality"):
#   1. pixelcnn info and gpu-check (causality on the GPU, CPU-vs-GPU agreement, cached = naive);
#   2. bench for presets S and M beside the PyTorch reference on the same GPU, batch 32 and 128;
#   3. cached against naive sampling (preset S) at batch 16 and 256;
#   4. one full Fashion-MNIST epoch of preset M on both sides from the same weights, test bits/dim.
# Results (JSON and logs) go to $RESULTS (default ./results). DEVICE defaults to cuda:0.
set -euo pipefail
cd "$(dirname "$0")"
DEVICE=${DEVICE:-cuda:0}
STEPS=${STEPS:-"check bench sampling quality"}
RESULTS=${RESULTS:-$PWD/results}
PYTHON=${PYTHON:-$(command -v python3)}
mkdir -p "$RESULTS"
torchlib=${TORCH_LIB_DIR:-$("$PYTHON" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}
export LD_LIBRARY_PATH="$torchlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PIXELCNN_FASHION_MNIST_DIR="$PWD/data"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
cli=./cli/pixelcnn

has() { [[ " $STEPS " == *" $1 "* ]]; }
"$cli" info | tee "$RESULTS/info.txt"
if has check; then "$cli" gpu-check --device "$DEVICE" --out "$RESULTS/gpu-check.json" 2>&1 | tee "$RESULTS/gpu-check.log"; fi
if has bench; then
  for b in 32 128; do
    "$cli" bench --device "$DEVICE" --presets S,M --batch "$b" --python "$PYTHON" --out "$RESULTS/bench-b$b.json" 2>&1 | tee "$RESULTS/bench-b$b.log"
  done
fi
if has sampling; then
  "$cli" bench --device "$DEVICE" --skip-throughput --sampling --sampling-batches 16,256 --no-pytorch \
    --out "$RESULTS/sampling.json" 2>&1 | tee "$RESULTS/sampling.log"
fi
if has quality; then
  "$cli" bench --device "$DEVICE" --skip-throughput --quality --quality-preset M --python "$PYTHON" \
    --out "$RESULTS/quality.json" 2>&1 | tee "$RESULTS/quality.log"
fi

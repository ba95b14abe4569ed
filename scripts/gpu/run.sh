#!/usr/bin/env bash
# Runs THERE (a GPU machine with PyTorch + CUDA, CMake and a C++ compiler, no .NET, no network),
# inside the unpacked bundle of prepare.sh:
#   1. builds the native shim against the libtorch inside the PyTorch install (CUDA linked for real);
#   2. pixelcnn info, gpu-check (causality on the GPU, CPU-vs-GPU agreement);
#   3. bench for presets S and M beside the PyTorch reference on the same GPU;
#   4. one full Fashion-MNIST epoch of preset M on both sides, with test bits/dim.
# Results (JSON and logs) go to $RESULTS (default ./results). DEVICE defaults to cuda:0; STEPS
# selects parts ("build check bench quality").
set -euo pipefail
cd "$(dirname "$0")"
DEVICE=${DEVICE:-cuda:0}
STEPS=${STEPS:-"build check bench quality"}
RESULTS=${RESULTS:-$PWD/results}
PYTHON=${PYTHON:-$(command -v python3)}
mkdir -p "$RESULTS"
prefix=${TORCH_CMAKE_PREFIX:-$("$PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)')}
torchlib=${TORCH_LIB_DIR:-$("$PYTHON" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}
export LD_LIBRARY_PATH="$torchlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PIXELCNN_NATIVE_LIBRARY="$PWD/build/libpixelcnn_native.so"
export PIXELCNN_FASHION_MNIST_DIR="$PWD/data"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
cli=./cli/pixelcnn

has() { [[ " $STEPS " == *" $1 "* ]]; }
if has build; then
  cmake -S src/PixelCnn.Native -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" 2>&1 | tee "$RESULTS/cmake.log" | grep -E "pixelcnn_native|Error" || true
  cmake --build build -j "$(nproc)" 2>&1 | tail -3
  ldd build/libpixelcnn_native.so | grep -E "torch|c10" | tee "$RESULTS/ldd.txt"
fi
"$cli" info | tee "$RESULTS/info.txt"
if has check; then "$cli" gpu-check --device "$DEVICE" --out "$RESULTS/gpu-check.json" 2>&1 | tee "$RESULTS/gpu-check.log"; fi
if has bench; then
  "$cli" bench --device "$DEVICE" --presets S,M --python "$PYTHON" --out "$RESULTS/bench.json" 2>&1 | tee "$RESULTS/bench.log"
fi
if has quality; then
  "$cli" bench --device "$DEVICE" --skip-throughput --quality --quality-preset M --python "$PYTHON" \
    --out "$RESULTS/quality.json" 2>&1 | tee "$RESULTS/quality.log"
fi

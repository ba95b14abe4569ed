#!/usr/bin/env bash
# Prepares the GPU check bundle HERE (a machine with the .NET SDK): a self-contained publish of the
# pixelcnn CLI (no .NET needed there), the native shim's sources (built there against the CUDA
# libtorch inside PyTorch), the PyTorch reference script, Fashion-MNIST, and run.sh.
# Output: artifacts/gpu/pixelcnn-gpu-bundle.tar.xz (carry it to the GPU machine; see docs/cuda.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=artifacts/gpu
stage=$out/stage
rm -rf "$stage" && mkdir -p "$stage/data"
dotnet publish src/PixelCnn.ML.Samples -c Release -r linux-x64 --self-contained true \
  -p:SkipNativeBuild=true -p:DebugType=none -p:InvariantGlobalization=true -o "$stage/cli" >/dev/null
rm -f "$stage/cli/libpixelcnn_native.so"   # built there, against the CUDA libtorch
mkdir -p "$stage/src" "$stage/tools"
cp -r src/PixelCnn.Native "$stage/src/"
cp -r tools/pytorch "$stage/tools/"
cp scripts/gpu/run.sh "$stage/"
data=${PIXELCNN_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
cp "$data"/*.gz "$stage/data/"
tar -C "$stage" -cJf "$out/pixelcnn-gpu-bundle.tar.xz" .
rm -rf "$stage"
ls -l "$out/pixelcnn-gpu-bundle.tar.xz"

#!/usr/bin/env bash
# Prepares the GPU check HERE (a machine with the .NET SDK), as a folder the `device` tool can carry
# (64 MiB limit): a self-contained publish of the pixelcnn CLI with TorchSharp's managed assembly and
# its native libLibTorchSharp.so but no libtorch (the GPU machine's PyTorch install provides
# libtorch with CUDA; run.sh puts its torch/lib on LD_LIBRARY_PATH), SkiaSharp's native library, the
# PyTorch reference script, Fashion-MNIST and run.sh.
# Output: artifacts/gpu/pixelcnn-gpu-bundle.tar.xz (about 62 MB; the carry limit is 64 MiB). There:
#   mkdir -p /tmp/pixelcnn && tar -xJf artifacts/gpu/pixelcnn-gpu-bundle.tar.xz -C /tmp/pixelcnn && bash /tmp/pixelcnn/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=artifacts/gpu/stage
bundle=artifacts/gpu/pixelcnn-gpu-bundle.tar.xz
rm -rf "$out" "$bundle" && mkdir -p "$out/data" "$out/tools"
dotnet publish src/PixelCnn.ML.Samples -c Release -r linux-x64 --self-contained true \
  -p:DebugType=none -p:InvariantGlobalization=true -o "$out/cli" >/dev/null
# libtorch (CPU build) comes from TorchSharp-cpu; there it is replaced by PyTorch's CUDA libtorch.
find "$out/cli" -maxdepth 1 -name '*.so*' ! -name libLibTorchSharp.so ! -name libSkiaSharp.so \
  ! -name 'libSystem.*' ! -name 'libclrjit.so' ! -name 'libcoreclr*.so' ! -name 'libhostfxr.so' ! -name 'libhostpolicy.so' \
  -delete
# Debugger and tracing support is not needed to run the checks.
rm -rf "$out/cli/runtimes" "$out/cli/createdump" "$out/cli/libmscordaccore.so" "$out/cli/libmscordbi.so" "$out/cli/libcoreclrtraceptprovider.so"
cp -r tools/pytorch "$out/tools/"
cp scripts/gpu/run.sh "$out/"
data=${PIXELCNN_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
cp "$data"/*.gz "$out/data/"
tar -C "$out" -cJf "$bundle" .
rm -rf "$out"
ls -l "$bundle"

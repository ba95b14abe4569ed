#!/usr/bin/env bash
# The main job of the README: set up, build, then run the Fashion-MNIST demo (train a small
# Gated PixelCNN, score the test set, flag held-out classes as anomalies, write pictures).
# Extra arguments go to `pixelcnn demo` (see --help); outputs land in ./demo-output.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec dotnet src/PixelCnn.ML.Samples/bin/Release/net10.0/pixelcnn.dll demo --out demo-output "$@"

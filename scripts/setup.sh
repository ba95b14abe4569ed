#!/usr/bin/env bash
# Installs what PixelCnn.ML needs on Debian 12 (as root) and builds the solution. Idempotent: apt
# runs only when a package is missing. Nothing is downloaded except Debian packages and the NuGet packages of the solution (TorchSharp brings libtorch 2.10 through
# NuGet). TorchSharp's native library is made loadable on Debian 12's libstdc++ by the library's own build
# step, as in every app that references the package (src/PixelCnn.ML/build/PixelCnn.ML.targets; docs/engine.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# mate-backgrounds: real photographs (/usr/share/backgrounds/mate/nature), the colour data of the colorization model.
PACKAGES=(dataset-fashion-mnist fonts-dejavu-core mate-backgrounds python3 python3-torch)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}; run this script as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore PixelCnn.ML.sln
dotnet build PixelCnn.ML.sln -c Release --no-restore

#!/usr/bin/env bash
# Packs PixelCnn.ML (Release) into artifacts/nuget, or into $PACK_OUTPUT, then checks the .nupkg: the
# assembly, its XML docs and the README must be there, and no native library may be (libtorch comes
# with the application's TorchSharp-cpu or TorchSharp-cuda-* package, image codecs with SkiaSharp).
# The package must carry its build step (buildTransitive/: the TorchSharp GLIBCXX fix of an app's output) and
# depend on TorchSharp and on Microsoft.ML and ImageAnalytics in the supported range (docs/mlnet-saving.md).
# Prints the package listing and its dependencies.
#
#   bash nuget/pack.sh                                  # artifacts/nuget/PixelCnn.ML.<version>.nupkg (+ .snupkg)
#   bash nuget/pack.sh -p:PackageVersion=0.2.0-rc.1     # further arguments go to dotnet pack
#   PACK_OUTPUT=/some/feed bash nuget/pack.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

out="${PACK_OUTPUT:-artifacts/nuget}"
mkdir -p "$out"
log=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$log" "$tmp"' EXIT

if ! dotnet pack src/PixelCnn.ML -c Release -o "$out" "$@" >"$log" 2>&1; then
  cat "$log" >&2
  echo "pack: dotnet pack failed" >&2
  exit 1
fi
nupkg=$(grep -o "Successfully created package '[^']*\.nupkg'" "$log" | sed "s/^Successfully created package '//; s/'\$//" | tail -n 1)
if [ -z "$nupkg" ] || [ ! -f "$nupkg" ]; then
  cat "$log" >&2
  echo "pack: dotnet pack reported no .nupkg" >&2
  exit 1
fi

unzip -l "$nupkg"
entries=$(unzip -Z1 "$nupkg")
status=0
for required in lib/net10.0/PixelCnn.ML.dll lib/net10.0/PixelCnn.ML.xml README.md \
                buildTransitive/PixelCnn.ML.targets buildTransitive/TorchSharpGlibcxxFix.cs; do
  if ! grep -qx "$required" <<<"$entries"; then
    echo "pack: $nupkg lacks $required" >&2
    status=1
  fi
done
if grep -E '\.so(\.|$)' <<<"$entries" >&2; then
  echo "pack: $nupkg carries native libraries (above); the package has none of its own" >&2
  status=1
fi
[ "$status" -eq 0 ] || exit "$status"

deps=$(unzip -p "$nupkg" '*.nuspec' | grep -o '<dependency id="[^"]*" version="[^"]*"' | sed 's/<dependency id="\([^"]*\)" version="\([^"]*\)"/\1 \2/' | paste -sd ';' - || true)
echo "pack: depends on ${deps:-nothing?}"
for dep in 'TorchSharp ' 'Microsoft.ML \[6.0.0, 7.0.0)' 'Microsoft.ML.ImageAnalytics \[6.0.0, 7.0.0)' 'SkiaSharp 3\.'; do
  if ! grep -q "^$dep" <<<"${deps//;/$'\n'}"; then
    echo "pack: $nupkg does not depend on $dep" >&2
    exit 1
  fi
done
echo "pack: $nupkg"
ls "${nupkg%.nupkg}.snupkg" 2>/dev/null | sed 's/^/pack: /' || true

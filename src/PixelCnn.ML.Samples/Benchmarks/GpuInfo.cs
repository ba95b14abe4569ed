// The name of a CUDA device for benchmark reports. TorchSharp 0.107 exposes no device-name query,
// so it is asked of nvidia-smi, which every NVIDIA driver installs; null when that is unavailable.
using System.Diagnostics;
using PixelCnn.ML.Engine;
using TorchSharp;

namespace PixelCnn.ML.Samples.Benchmarks;

internal static class GpuInfo
{
    public static string? DeviceName(int index)
    {
        try
        {
            var start = new ProcessStartInfo("nvidia-smi", $"--query-gpu=name --format=csv,noheader -i {Math.Max(index, 0)}")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            using var p = Process.Start(start);
            if (p is null) return null;
            var name = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit(5000);
            return p.ExitCode == 0 && name.Length > 0 ? name : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no nvidia-smi on this machine
        }
    }
}

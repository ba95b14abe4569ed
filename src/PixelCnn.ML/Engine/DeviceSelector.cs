// Turns the user's device request (MLContext.GpuDeviceId / FallbackToCpu, or an option) into a
// concrete TorchSharp device, with an error naming the device when it is missing and fallback is
// not allowed.
using TorchSharp;

namespace PixelCnn.ML.Engine;

public static class DeviceSelector
{
    /// <summary>
    /// CPU when <paramref name="gpuDeviceId"/> is null; otherwise cuda:N if present, else CPU when
    /// <paramref name="fallbackToCpu"/> (reported through <paramref name="warn"/>), else an error.
    /// </summary>
    public static torch.Device Resolve(int? gpuDeviceId, bool fallbackToCpu, Action<string>? warn = null)
    {
        TorchEngine.EnsureStarted();
        if (gpuDeviceId is null) return torch.CPU;
        int id = gpuDeviceId.Value;
        if (id < 0) throw new ArgumentOutOfRangeException(nameof(gpuDeviceId), id, "GpuDeviceId must be >= 0");
        string? problem = null;
        if (!torch.cuda.is_available())
            problem = $"CUDA device {id} was requested (GpuDeviceId = {id}) but CUDA is not available to TorchSharp " +
                      $"(libtorch {TorchEngine.LibTorchVersion}: a CPU-only build such as TorchSharp-cpu, no driver, or no GPU)";
        else if (id >= torch.cuda.device_count())
            problem = $"CUDA device {id} was requested (GpuDeviceId = {id}) but only {torch.cuda.device_count()} CUDA device(s) exist";
        if (problem is null) return torch.device(DeviceType.CUDA, id);
        if (!fallbackToCpu) throw new InvalidOperationException(problem + "; set FallbackToCpu = true to run on the CPU instead.");
        warn?.Invoke(problem + "; falling back to the CPU (FallbackToCpu = true).");
        return torch.CPU;
    }

    /// <summary>Parses "cpu", "cuda", "cuda:N" or "auto" (cuda:0 when available, else CPU).</summary>
    public static torch.Device Parse(string spec, Action<string>? warn = null)
    {
        TorchEngine.EnsureStarted();
        var s = spec.Trim().ToLowerInvariant();
        if (s == "auto") return torch.cuda.is_available() ? torch.device(DeviceType.CUDA, 0) : torch.CPU;
        if (s == "cpu") return torch.CPU;
        if (s == "cuda") return Resolve(0, fallbackToCpu: false, warn);
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out var id) && id >= 0)
            return Resolve(id, fallbackToCpu: false, warn);
        throw new ArgumentException($"unknown device '{spec}': expected cpu, cuda, cuda:N or auto", nameof(spec));
    }
}

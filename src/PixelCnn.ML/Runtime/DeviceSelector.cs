// Turns the user's device request (MLContext.GpuDeviceId / FallbackToCpu, or an option) into a
// concrete device, with an error naming the device when it is missing and fallback not allowed.
using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Runtime;

public static class DeviceSelector
{
    /// <summary>
    /// CPU when <paramref name="gpuDeviceId"/> is null; otherwise cuda:N if present, else CPU when
    /// <paramref name="fallbackToCpu"/> (reported through <paramref name="warn"/>), else an error.
    /// </summary>
    public static Device Resolve(int? gpuDeviceId, bool fallbackToCpu, Action<string>? warn = null)
    {
        if (gpuDeviceId is null) return Device.CPU;
        int id = gpuDeviceId.Value;
        if (id < 0) throw new ArgumentOutOfRangeException(nameof(gpuDeviceId), id, "GpuDeviceId must be >= 0");
        string? problem = null;
        if (!torch.cuda.is_compiled())
            problem = $"CUDA device {id} was requested (GpuDeviceId = {id}) but the loaded libtorch {torch.version} has no CUDA support";
        else if (!torch.cuda.is_available())
            problem = $"CUDA device {id} was requested (GpuDeviceId = {id}) but no CUDA device is available (driver missing or no GPU)";
        else if (id >= torch.cuda.device_count())
            problem = $"CUDA device {id} was requested (GpuDeviceId = {id}) but only {torch.cuda.device_count()} CUDA device(s) exist";
        if (problem is null) return Device.CUDA(id);
        if (!fallbackToCpu) throw new InvalidOperationException(problem + "; set FallbackToCpu = true to run on the CPU instead.");
        warn?.Invoke(problem + "; falling back to the CPU (FallbackToCpu = true).");
        return Device.CPU;
    }

    /// <summary>Parses "cpu", "cuda", "cuda:N" or "auto" (cuda:0 when available, else CPU).</summary>
    public static Device Parse(string spec, Action<string>? warn = null)
    {
        if (spec.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
            return torch.cuda.is_available() ? Device.CUDA(0) : Device.CPU;
        var d = Device.Parse(spec);
        return d.IsCuda ? Resolve(d.index, fallbackToCpu: false, warn) : d;
    }
}

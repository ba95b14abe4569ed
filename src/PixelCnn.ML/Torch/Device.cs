namespace PixelCnn.ML.Torch;

public enum DeviceType { CPU = 0, CUDA = 1 }

/// <summary>A compute device: <c>cpu</c> or <c>cuda:N</c>.</summary>
public sealed record Device(DeviceType type, int index = -1)
{
    public static readonly Device CPU = new(DeviceType.CPU);

    public static Device CUDA(int index = 0) => new(DeviceType.CUDA, index);

    /// <summary>Parses "cpu", "cuda" or "cuda:N".</summary>
    public static Device Parse(string spec)
    {
        var s = spec.Trim().ToLowerInvariant();
        if (s == "cpu") return CPU;
        if (s == "cuda") return CUDA(0);
        if (s.StartsWith("cuda:") && int.TryParse(s.AsSpan(5), out var i) && i >= 0) return CUDA(i);
        throw new ArgumentException($"Unknown device '{spec}': expected cpu, cuda or cuda:N.", nameof(spec));
    }

    public bool IsCuda => type == DeviceType.CUDA;

    public override string ToString() => type == DeviceType.CPU ? "cpu" : $"cuda:{Math.Max(index, 0)}";
}

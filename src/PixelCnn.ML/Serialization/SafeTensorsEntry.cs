namespace PixelCnn.ML.Serialization;

/// <summary>
/// One tensor of a safetensors file, without any tensor library: its name, dtype string, shape and
/// raw little-endian row-major bytes. The constructor checks that the bytes match the shape and dtype.
/// </summary>
public sealed class SafeTensorsEntry
{
    private readonly long[] _shape;

    /// <summary>Creates an entry; <paramref name="shape"/> is copied, <paramref name="data"/> is not.</summary>
    /// <param name="name">Non-empty tensor name; <c>__metadata__</c> is reserved by the format.</param>
    /// <param name="dtype">One of <see cref="SafeTensorsDType.Supported"/>.</param>
    /// <param name="shape">Dimensions, each ≥ 0; empty for a scalar.</param>
    /// <param name="data">Exactly (product of <paramref name="shape"/>) × element size bytes.</param>
    public SafeTensorsEntry(string name, string dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dtype);
        ValidateName(name);
        if (!SafeTensorsDType.TryGetElementSize(dtype, out var elementSize))
            throw new ArgumentException($"tensor '{name}': unsupported dtype '{dtype}' (supported: {SafeTensorsDType.SupportedList})", nameof(dtype));
        _shape = shape.ToArray();
        foreach (var d in _shape)
            if (d < 0) throw new ArgumentException($"tensor '{name}': negative dimension {d} in shape {FormatShape(_shape)}", nameof(shape));
        if (!SafeTensorsDType.TryGetByteLength(_shape, elementSize, out var count, out var bytes))
            throw new ArgumentException($"tensor '{name}': shape {FormatShape(_shape)} overflows a 64-bit byte count", nameof(shape));
        if (bytes != data.Length)
            throw new ArgumentException($"tensor '{name}': shape {FormatShape(_shape)} of {dtype} needs {bytes} bytes, {data.Length} given", nameof(data));
        Name = name;
        DType = dtype;
        ElementCount = count;
        Data = data;
    }

    /// <summary>The tensor's key in the file.</summary>
    public string Name { get; }

    /// <summary>The safetensors dtype string, e.g. "F32".</summary>
    public string DType { get; }

    /// <summary>The dimensions; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>Product of the dimensions (1 for a scalar, 0 when any dimension is 0).</summary>
    public long ElementCount { get; }

    /// <summary>
    /// The raw bytes, little-endian and row-major. For entries from <see cref="SafeTensorsFile.Parse"/>
    /// this is a view into the caller's buffer, valid as long as that buffer is.
    /// </summary>
    public ReadOnlyMemory<byte> Data { get; }

    internal long[] ShapeArray => _shape;

    internal static void ValidateName(string name)
    {
        if (name.Length == 0) throw new ArgumentException("a tensor name must not be empty", nameof(name));
        if (name == SafeTensorsHeader.MetadataKey)
            throw new ArgumentException($"'{SafeTensorsHeader.MetadataKey}' is reserved by the safetensors format and cannot name a tensor", nameof(name));
    }

    internal static string FormatShape(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape) + "]";

    public override string ToString() => $"{Name}: {DType} {FormatShape(_shape)}";
}

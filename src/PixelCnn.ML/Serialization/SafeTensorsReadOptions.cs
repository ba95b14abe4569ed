namespace PixelCnn.ML.Serialization;

/// <summary>Limits applied when reading safetensors data.</summary>
public sealed class SafeTensorsReadOptions
{
    /// <summary>The header cap used when none is given: 100,000,000 bytes, as in the reference implementation.</summary>
    public const long DefaultMaxHeaderBytes = 100_000_000;

    internal static readonly SafeTensorsReadOptions Default = new();

    /// <summary>
    /// Largest JSON header accepted, in bytes. The header is read into memory before anything else is
    /// checked, so this bounds what a hostile file can make the reader allocate up front.
    /// </summary>
    public long MaxHeaderBytes
    {
        get => _maxHeaderBytes;
        init => _maxHeaderBytes = value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxHeaderBytes), value, "the header cap must be positive");
    }

    private readonly long _maxHeaderBytes = DefaultMaxHeaderBytes;
}

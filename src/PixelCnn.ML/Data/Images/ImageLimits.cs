namespace PixelCnn.ML.Data.Images;

/// <summary>Limits checked before an untrusted image file is decoded.</summary>
public sealed record ImageLimits
{
    /// <summary>The largest file read, in bytes (default 32 MiB).</summary>
    public long MaxFileBytes { get; init; } = 32L * 1024 * 1024;
    /// <summary>The largest width and height a file may declare (default 4096).</summary>
    public int MaxSide { get; init; } = 4096;
    /// <summary>The most bytes a decoded image may take as RGBA (default 64 MiB: 4096 x 4096 x 4).</summary>
    public long MaxDecodedBytes { get; init; } = 64L * 1024 * 1024;
    /// <summary>
    /// The most bytes the decoded images of one batch of the loader may take together (default 256 MiB): a batch holds at
    /// most this divided by <see cref="MaxDecodedBytes"/> images (at least one), so files that are each inside the limits
    /// cannot exhaust memory together.
    /// </summary>
    public long MaxBatchDecodedBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>The rows a batch of <paramref name="batchSize"/> may hold under <see cref="MaxBatchDecodedBytes"/>.</summary>
    internal int RowsPerBatch(int batchSize) => (int)Math.Clamp(MaxBatchDecodedBytes / MaxDecodedBytes, 1, batchSize);

    /// <summary>The defaults.</summary>
    public static ImageLimits Default { get; } = new();

    internal void Validate()
    {
        if (MaxFileBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxFileBytes), MaxFileBytes, "MaxFileBytes must be >= 1");
        if (MaxSide < 1) throw new ArgumentOutOfRangeException(nameof(MaxSide), MaxSide, "MaxSide must be >= 1");
        if (MaxDecodedBytes < 4) throw new ArgumentOutOfRangeException(nameof(MaxDecodedBytes), MaxDecodedBytes, "MaxDecodedBytes must be >= 4");
        if (MaxBatchDecodedBytes < 4) throw new ArgumentOutOfRangeException(nameof(MaxBatchDecodedBytes), MaxBatchDecodedBytes, "MaxBatchDecodedBytes must be >= 4");
    }
}

/// <summary>An image file that was rejected: it names the file and says why.</summary>
public sealed class InvalidImageException(string path, string reason, Exception? inner = null)
    : Exception($"Image file '{path}': {reason}", inner)
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;
    /// <summary>Why it was rejected.</summary>
    public string Reason { get; } = reason;
}

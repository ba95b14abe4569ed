namespace PixelCnn.ML.Serialization;

/// <summary>
/// A safetensors file (or byte buffer) was rejected: it breaks the format, exceeds a limit, or does not
/// match the model it is loaded into. The message names the problem, the tensor where there is one,
/// and the file path when the data came from a file. (An <see cref="IOException"/>, because
/// <see cref="InvalidDataException"/> is sealed.)
/// </summary>
public sealed class SafeTensorsFormatException : IOException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public SafeTensorsFormatException(string message, string? filePath = null, string? tensorName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The file that was being read, or null when the data came from a stream or a buffer.</summary>
    public string? FilePath { get; }

    /// <summary>The tensor the problem concerns (the first one when there are several), or null.</summary>
    public string? TensorName { get; }

    // One place formats "where: what" so every rejection reads the same way.
    internal static SafeTensorsFormatException Create(string? filePath, string problem, string? tensorName = null, Exception? inner = null)
    {
        var where = filePath is null ? "safetensors data" : $"safetensors file '{filePath}'";
        return new SafeTensorsFormatException($"{where}: {problem}", filePath, tensorName, inner);
    }
}

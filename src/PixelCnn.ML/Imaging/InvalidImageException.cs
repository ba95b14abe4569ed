namespace PixelCnn.ML.Imaging;

/// <summary>
/// An image file or buffer that cannot be used: corrupt, truncated, over a size limit, or not a
/// supported format. The message names the source (usually the file path) and the reason.
/// </summary>
/// <remarks>An <see cref="IOException"/> (System.IO.InvalidDataException is sealed), so one
/// <c>catch (IOException)</c> covers both a file that cannot be read and one that is not a usable image.</remarks>
public class InvalidImageException : IOException
{
    /// <summary>Creates the exception; the message is "<c>sourceName: reason</c>".</summary>
    public InvalidImageException(string sourceName, string reason)
        : base($"{sourceName}: {reason}")
    {
        SourceName = sourceName;
        Reason = reason;
    }

    /// <summary>The file path or name the caller gave for the data.</summary>
    public string SourceName { get; }

    /// <summary>Why the image was rejected, without the source name.</summary>
    public string Reason { get; }
}

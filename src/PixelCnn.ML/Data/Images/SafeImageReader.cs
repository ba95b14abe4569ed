// Reads an untrusted PNG or JPEG file into an ML.NET image, or rejects it with the reason: the file size is checked
// before reading, the structure and declared size (ImageHeaders) before decoding, the decoded size with checked 64-bit
// arithmetic, and SkiaSharp's decoder must report the whole image decoded (an incomplete decode is an error, never a
// partly zero image).
using Microsoft.ML.Data;
using SkiaSharp;

namespace PixelCnn.ML.Data.Images;

/// <summary>Hardened reading of image files nobody vetted.</summary>
public static class SafeImageReader
{
    /// <summary>Reads and checks <paramref name="path"/>; throws <see cref="InvalidImageException"/> naming it otherwise.</summary>
    public static MLImage Read(string path, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        limits.Validate();
        if (string.IsNullOrEmpty(path)) throw new InvalidImageException("(empty path)", "no file name was given");
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new InvalidImageException(path, "the file does not exist");
            if (info.Length > limits.MaxFileBytes)
                throw new InvalidImageException(path, $"the file has {info.Length} bytes, more than the limit of {limits.MaxFileBytes} (MaxFileBytes)");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not InvalidImageException)
        {
            throw new InvalidImageException(path, $"the file cannot be read: {e.Message}", e);
        }
        return Decode(bytes, path, limits);
    }

    /// <summary>Checks and decodes the bytes of an image file; <paramref name="sourceName"/> names it in errors.</summary>
    public static MLImage Decode(ReadOnlySpan<byte> data, string sourceName, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        if (data.Length > limits.MaxFileBytes)
            throw new InvalidImageException(sourceName, $"the file has {data.Length} bytes, more than the limit of {limits.MaxFileBytes} (MaxFileBytes)");
        ImageHeader header;
        try
        {
            header = ImageHeaders.Read(data);
        }
        catch (FormatException e)
        {
            throw new InvalidImageException(sourceName, e.Message, e);
        }
        CheckSize(header.Width, header.Height, sourceName, limits, $"{header.Format} header");
        using var skData = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(skData) ?? throw new InvalidImageException(sourceName, $"the {header.Format} decoder cannot read the file");
        var declared = codec.Info;
        if (declared.Width != header.Width || declared.Height != header.Height)
            throw new InvalidImageException(sourceName, $"the decoder sees {declared.Width}x{declared.Height} but the header declares {header.Width}x{header.Height}");
        var info = new SKImageInfo(declared.Width, declared.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap();
        if (!bitmap.TryAllocPixels(info)) throw new InvalidImageException(sourceName, $"cannot allocate {info.BytesSize64} bytes for a {info.Width}x{info.Height} image");
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new InvalidImageException(sourceName, result == SKCodecResult.IncompleteInput
                ? $"the {header.Format} data is incomplete (truncated or corrupt): the decoder stopped before the end of the image"
                : $"the {header.Format} decoder failed: {result}");
        return MLImage.CreateFromPixels(info.Width, info.Height, MLPixelFormat.Rgba32, bitmap.GetPixelSpan());
    }

    private static void CheckSize(int width, int height, string sourceName, ImageLimits limits, string where)
    {
        if (width > limits.MaxSide || height > limits.MaxSide)
            throw new InvalidImageException(sourceName, $"the {where} declares {width}x{height}, larger than the limit of {limits.MaxSide} per side (MaxSide)");
        long bytes = checked((long)width * height * 4);
        if (bytes > limits.MaxDecodedBytes)
            throw new InvalidImageException(sourceName, $"decoding {width}x{height} takes {bytes} bytes, more than the limit of {limits.MaxDecodedBytes} (MaxDecodedBytes)");
    }
}

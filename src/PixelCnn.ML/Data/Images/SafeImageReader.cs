// Reads an untrusted PNG or JPEG file into an ML.NET image, or rejects it with the reason: only a regular file with
// data is opened (a device, pipe or socket reports no size: a symlink to /dev/zero would never end, a named pipe would
// block), its size is checked before reading and the read itself stops past the limit, the structure and declared size
// (ImageHeaders) are checked before decoding, the decoded size with checked 64-bit arithmetic, and SkiaSharp's decoder
// must report the whole image decoded (an incomplete decode is an error, never a partly zero image); a JPEG's scans
// must also decode without libjpeg reporting damage (JpegScanCheck), which SkiaSharp's decoder passes over. Pixels come out as
// ML.NET's LoadImages gives them: colour premultiplied by alpha (a pixel (200, 100, 50) at alpha 128 reads (100, 50, 25)).
using Microsoft.ML.Data;
using PixelCnn.ML.IO;
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
            // What a symbolic link finally points to is what would be read.
            var target = RegularFile.Resolve(path, out var problem) ?? throw new InvalidImageException(path, problem!);
            if (target.Length > limits.MaxFileBytes)
                throw new InvalidImageException(path, $"the file has {target.Length} bytes, more than the limit of {limits.MaxFileBytes} (MaxFileBytes)");
            bytes = ReadAtMost(target.FullName, target.Length, limits.MaxFileBytes, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not InvalidImageException)
        {
            throw new InvalidImageException(path, $"the file cannot be read: {e.Message}", e);
        }
        return Decode(bytes, path, limits);
    }

    /// <summary>
    /// The bytes of a regular file of <paramref name="length"/> bytes, read with a hard cap: a file that grows past
    /// <paramref name="cap"/> while it is read is rejected, whatever its size said.
    /// </summary>
    private static byte[] ReadAtMost(string path, long length, long cap, string name)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var buffer = new byte[(int)Math.Min(length, cap)];
        int read = 0;
        while (read < buffer.Length)
        {
            int n = stream.Read(buffer, read, buffer.Length - read);
            if (n == 0) break;
            read += n;
        }
        if (read == buffer.Length && stream.ReadByte() >= 0 && read >= cap)
            throw new InvalidImageException(name, $"the file holds more than the limit of {cap} bytes (MaxFileBytes)");
        return read == buffer.Length ? buffer : buffer[..read];
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
        if (header.Format == "JPEG" && JpegScanCheck.Problem(data) is { } damage)
            throw new InvalidImageException(sourceName, $"the JPEG data is damaged (truncated, overwritten, or its frame header edited): libjpeg reports \"{damage}\"");
        using var skData = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(skData) ?? throw new InvalidImageException(sourceName, $"the {header.Format} decoder cannot read the file");
        var declared = codec.Info;
        if (declared.Width != header.Width || declared.Height != header.Height)
            throw new InvalidImageException(sourceName, $"the decoder sees {declared.Width}x{declared.Height} but the header declares {header.Width}x{header.Height}");
        // Premultiplied, as ML.NET's LoadImages decodes: the same file gives the same pixels through either loader.
        var info = new SKImageInfo(declared.Width, declared.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap();
        if (!bitmap.TryAllocPixels(info)) throw new InvalidImageException(sourceName, $"cannot allocate {info.BytesSize64} bytes for a {info.Width}x{info.Height} image");
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new InvalidImageException(sourceName, result == SKCodecResult.IncompleteInput
                ? $"the {header.Format} data is incomplete (truncated or corrupt): the decoder stopped before the end of the image"
                : $"the {header.Format} decoder failed: {result}");
        return MLImage.CreateFromPixels(info.Width, info.Height, MLPixelFormat.Rgba32, SkiaPixels.Of(bitmap));
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

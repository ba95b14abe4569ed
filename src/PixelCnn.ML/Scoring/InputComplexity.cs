// The input-complexity correction of Serrà et al. (2020), "Input Complexity and Out-of-Distribution Detection with
// Likelihood-based Generative Models": a generative model's bits/dim mixes how well it knows an image with how
// complex the image is, and simple images (constant, smooth, digits on black) win on the second. A general-purpose
// lossless compressor estimates the complexity L(x); the score S(x) = bits/dim(x) − L(x) keeps the first part.
// L(x) is the compressed size in bits per sub-pixel of the image's pixels: PNG (SkiaSharp's encoder, zlib level 9,
// every row filter tried) counting only the compressed image data (its IDAT chunks, not PNG's fixed headers), or
// Brotli (.NET's encoder, quality 11) on the raw CHW bytes.
using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace PixelCnn.ML.Scoring;

/// <summary>The lossless compressor that estimates an image's complexity.</summary>
public enum ComplexityCompressor
{
    /// <summary>PNG at maximum compression, with every row filter (the image data only).</summary>
    Png,
    /// <summary>Brotli at quality 11 on the raw CHW bytes.</summary>
    Brotli,
}

public static class InputComplexity
{
    /// <summary>The compressed size of one image (CHW bytes) in bits per sub-pixel.</summary>
    public static double BitsPerDim(ReadOnlySpan<byte> chw, int channels, int height, int width, ComplexityCompressor compressor = ComplexityCompressor.Png)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 or 3");
        int dims = checked(channels * height * width);
        if (chw.Length != dims) throw new ArgumentException($"{channels}x{height}x{width} needs {dims} bytes, got {chw.Length}", nameof(chw));
        long bytes = compressor switch
        {
            ComplexityCompressor.Png => PngDataBytes(chw, channels, height, width),
            ComplexityCompressor.Brotli => BrotliBytes(chw),
            _ => throw new ArgumentOutOfRangeException(nameof(compressor), compressor, "unknown compressor"),
        };
        return 8.0 * bytes / dims;
    }

    /// <summary><see cref="BitsPerDim(ReadOnlySpan{byte}, int, int, int, ComplexityCompressor)"/> for each of <paramref name="count"/> images of NCHW bytes.</summary>
    public static double[] BitsPerDim(ReadOnlySpan<byte> nchw, int count, int channels, int height, int width, ComplexityCompressor compressor)
    {
        int size = channels * height * width;
        var result = new double[count];
        for (int i = 0; i < count; i++) result[i] = BitsPerDim(nchw.Slice(i * size, size), channels, height, width, compressor);
        return result;
    }

    private static long PngDataBytes(ReadOnlySpan<byte> chw, int channels, int height, int width)
    {
        int plane = height * width;
        var info = new SKImageInfo(width, height, channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque);
        var pixels = new byte[info.BytesSize];
        for (int p = 0; p < plane; p++)
        {
            if (channels == 1) pixels[p] = chw[p];
            else
            {
                for (int c = 0; c < 3; c++) pixels[p * 4 + c] = chw[c * plane + p];
                pixels[p * 4 + 3] = 255;
            }
        }
        using var pixmap = new SKPixmap();
        unsafe
        {
            fixed (byte* data = pixels)
            {
                pixmap.Reset(info, (IntPtr)data, info.RowBytes);
                using var encoded = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 9))
                                    ?? throw new InvalidOperationException("SkiaSharp could not encode the image as PNG");
                return IdatBytes(encoded.AsSpan());
            }
        }
    }

    /// <summary>The total length of a PNG's IDAT chunks (the compressed image data).</summary>
    private static long IdatBytes(ReadOnlySpan<byte> png)
    {
        long total = 0;
        for (int pos = 8; pos + 12 <= png.Length;)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            if (png.Slice(pos + 4, 4).SequenceEqual("IDAT"u8)) total += length;
            pos += 12 + (int)length;
        }
        return total;
    }

    private static long BrotliBytes(ReadOnlySpan<byte> chw)
    {
        var buffer = new byte[BrotliEncoder.GetMaxCompressedLength(chw.Length)];
        if (!BrotliEncoder.TryCompress(chw, buffer, out int written, quality: 11, window: 22))
            throw new InvalidOperationException("Brotli could not compress the image");
        return written;
    }
}

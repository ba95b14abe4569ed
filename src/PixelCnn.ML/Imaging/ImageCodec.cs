// PNG and JPEG decoding of untrusted files, and PNG/JPEG encoding, over the native image codecs (libpng
// classic API, errors contained in the native library; and TurboJPEG 2.1). Decoded images are 8-bit
// gray or RGB; see ImageCodec's doc comment for exactly what is dropped and the limits applied.
using PixelCnn.ML.Data;
using PixelCnn.ML.IO;


namespace PixelCnn.ML.Imaging;

/// <summary>
/// Reads and writes PNG and JPEG images safely, including files from untrusted sources.
/// </summary>
/// <remarks>
/// <para>Decoding (format chosen by the magic bytes, not the file name):</para>
/// <list type="bullet">
/// <item>PNG gray and gray+alpha give 1 channel; RGB, RGBA and palette images give 3. Alpha and
/// tRNS transparency are dropped, not composited. 16-bit samples keep their high byte; 1/2/4-bit
/// gray is scaled to 0..255. No gamma or colour-profile conversion is applied: gAMA, cHRM, sRGB
/// and iCCP are ignored, so the stored sample values come out unchanged.</item>
/// <item>JPEG grayscale gives 1 channel, YCbCr/RGB give 3 (accurate integer DCT). CMYK and YCCK
/// JPEGs are rejected. A JPEG that libjpeg only warns about (e.g. truncated) is rejected, so a
/// partly decoded image never comes back; progressive JPEGs with more than 500 scans are rejected.</item>
/// <item>Limits: at most <see cref="MaxFileBytes"/> of input, width and height 1..<see cref="MaxSide"/>
/// (or a smaller caller-given limit).</item>
/// </list>
/// <para>Every rejection is an <see cref="InvalidImageException"/> naming the source and the reason.
/// Thread-safe: each call uses its own decoder state.</para>
/// </remarks>
public static class ImageCodec
{
    /// <summary>Largest accepted encoded image: 32 MiB.</summary>
    public const long MaxFileBytes = 32L * 1024 * 1024;

    /// <summary>Largest accepted width or height, in pixels.</summary>
    public const int MaxSide = 4096;

    /// <summary>Decodes a PNG or JPEG image held in memory.</summary>
    /// <param name="data">The encoded bytes.</param>
    /// <param name="sourceName">Where the bytes came from (a path or a name); used in error messages.</param>
    /// <param name="maxSide">Largest accepted width or height, 1..<see cref="MaxSide"/>.</param>
    /// <exception cref="InvalidImageException">The data is not a valid, supported image within the limits.</exception>
    public static unsafe MLImage Decode(ReadOnlySpan<byte> data, string sourceName, int maxSide = MaxSide)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        CheckMaxSide(maxSide);
        if (data.Length > MaxFileBytes)
            throw new InvalidImageException(sourceName, $"image data is {data.Length} bytes; the limit is {MaxFileBytes} (32 MiB)");
        IntPtr status, pixels;
        int width, height, channels;
        fixed (byte* p = data)
        {
            status = NativeCodecs.pcn_image_decode(p, data.Length, maxSide, out pixels, out width, out height, out channels);
        }
        var error = NativeCodecs.TakeStatusMessage(status);
        if (error != null) throw new InvalidImageException(sourceName, error);
        var bytes = NativeCodecs.TakeImageBuffer(pixels, (long)width * height * channels);
        return MLImage.Adopt(width, height, channels, bytes);
    }

    /// <summary>Reads and decodes a PNG or JPEG file. The size limit is checked before the file is read.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="maxSide">Largest accepted width or height, 1..<see cref="MaxSide"/>.</param>
    /// <exception cref="InvalidImageException">The file is too large, or not a valid, supported image.</exception>
    /// <exception cref="IOException">The file cannot be opened or read (missing, no permission).</exception>
    public static MLImage Load(string path, int maxSide = MaxSide)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckMaxSide(maxSide);
        byte[] data;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan))
        {
            long length = fs.Length;
            if (length > MaxFileBytes)
                throw new InvalidImageException(path, $"file is {length} bytes; the limit is {MaxFileBytes} (32 MiB)");
            // Never more than the checked length is read, even if the file grows meanwhile; a file
            // that shrinks meanwhile is decoded as read (and rejected as truncated).
            data = new byte[(int)length];
            int read = fs.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (read < data.Length) Array.Resize(ref data, read);
        }
        return Decode(data, path, maxSide);
    }

    /// <summary>Encodes an image as a PNG (8-bit gray or RGB, non-interlaced, no ancillary chunks).</summary>
    /// <exception cref="ArgumentException">A side is over <see cref="MaxSide"/>.</exception>
    public static unsafe byte[] EncodePng(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckEncodable(image, MaxSide);
        IntPtr data;
        long length;
        IntPtr status;
        fixed (byte* p = image.Span)
        {
            status = NativeCodecs.pcn_png_encode(p, image.Width, image.Height, image.Channels, out data, out length);
        }
        NativeCodecs.Check(status);
        return NativeCodecs.TakeImageBuffer(data, length);
    }

    /// <summary>Writes an image as a PNG file atomically: a temporary file in the same folder is
    /// written, flushed to disk, then renamed over <paramref name="path"/>.</summary>
    public static void SavePng(MLImage image, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.WriteAllBytes(path, EncodePng(image));
    }

    /// <summary>Encodes an image as a JPEG (gray, or RGB with 4:4:4 chroma), accurate DCT.</summary>
    /// <param name="image">The image.</param>
    /// <param name="quality">1 (worst) .. 100 (best).</param>
    /// <param name="progressive">Write a progressive rather than a baseline JPEG.</param>
    public static byte[] EncodeJpeg(MLImage image, int quality = 90, bool progressive = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckEncodable(image, 65535);
        return EncodeJpegRaw(image.Span, image.Width, image.Height, image.Channels, quality, progressive);
    }

    // Also takes 4 channels (CMYK pixels, written as an Adobe YCCK JPEG), which the public API
    // does not offer: it exists so the decoder's rejection of such files can be tested.
    internal static unsafe byte[] EncodeJpegRaw(ReadOnlySpan<byte> pixels, int width, int height, int channels, int quality, bool progressive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        if (pixels.Length != (long)width * height * channels)
            throw new ArgumentException($"Expected {(long)width * height * channels} bytes of pixels, got {pixels.Length}.", nameof(pixels));
        IntPtr data;
        long length;
        IntPtr status;
        fixed (byte* p = pixels)
        {
            status = NativeCodecs.pcn_jpeg_encode(p, width, height, channels, quality, progressive ? 1 : 0, out data, out length);
        }
        NativeCodecs.Check(status);
        return NativeCodecs.TakeImageBuffer(data, length);
    }

    private static void CheckMaxSide(int maxSide)
    {
        if (maxSide < 1 || maxSide > MaxSide)
            throw new ArgumentOutOfRangeException(nameof(maxSide), maxSide, $"maxSide must be 1..{MaxSide}.");
    }

    private static void CheckEncodable(MLImage image, int maxSide)
    {
        if (image.Width > maxSide || image.Height > maxSide)
            throw new ArgumentException($"image is {image.Width}x{image.Height} pixels; the limit is {maxSide} per side", nameof(image));
    }
}

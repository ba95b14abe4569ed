// The one image type of the library: what the codecs decode to, what grids and heat maps are made of, what IDX data
// sets hand out, and the value type of image columns. Immutable, so one instance can be shared by every row, view,
// cursor and caller that holds it without copying.
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Data;

/// <summary>
/// An immutable 8-bit image: <see cref="Height"/> rows of <see cref="Width"/> pixels with <see cref="Channels"/>
/// samples each (1 = gray, 3 = RGB), stored row-major in HWC order with no padding, so the sample of pixel (x, y),
/// channel c is at <c>(y * Width + x) * Channels + c</c>. The value type of image columns.
/// </summary>
/// <remarks>
/// Deviation from ML.NET: ML.NET's <c>MLImage</c> wraps a SkiaSharp bitmap, is disposable and carries a pixel format
/// (BGRA32 or RGBA32). This one is a plain managed buffer: nothing native to release, gray images keep one channel,
/// and there is no alpha. Decoding and encoding live in <see cref="ImageCodec"/>.
/// </remarks>
public sealed class MLImage
{
    private readonly byte[] _pixels;

    /// <summary>Creates an image from a copy of <paramref name="pixels"/> (HWC order).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or channels is not 1 or 3.</exception>
    /// <exception cref="ArgumentException">The pixel count is not width * height * channels.</exception>
    public MLImage(int width, int height, int channels, ReadOnlySpan<byte> pixels)
        : this(width, height, channels, pixels.ToArray(), adopt: true) { }

    // Adopts the array without copying; only for arrays nobody else holds (decoders, transforms).
    private MLImage(int width, int height, int channels, byte[] pixels, bool adopt)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "Image width must be at least 1.");
        if (height < 1) throw new ArgumentOutOfRangeException(nameof(height), height, "Image height must be at least 1.");
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "An image has 1 (gray) or 3 (RGB) channels.");
        long expected = (long)width * height * channels;
        if (pixels.LongLength != expected)
            throw new ArgumentException(
                $"A {width}x{height} image with {channels} channel(s) needs {expected} bytes of pixels, got {pixels.LongLength}.",
                nameof(pixels));
        Width = width;
        Height = height;
        Channels = channels;
        _pixels = adopt ? pixels : (byte[])pixels.Clone();
    }

    /// <summary>An image over <paramref name="pixels"/> without copying them: the caller hands the array over and
    /// must not keep or change it.</summary>
    internal static MLImage Adopt(int width, int height, int channels, byte[] pixels) => new(width, height, channels, pixels, adopt: true);

    /// <summary>Decodes a PNG or JPEG file (as ML.NET's <c>MLImage.CreateFromFile</c>); see <see cref="ImageCodec.Load"/>
    /// for the formats, limits and errors.</summary>
    /// <exception cref="InvalidImageException">The file is not a valid, supported image within the limits.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static MLImage CreateFromFile(string imagePath) => ImageCodec.Load(imagePath);

    /// <summary>Width in pixels (at least 1).</summary>
    public int Width { get; }

    /// <summary>Height in pixels (at least 1).</summary>
    public int Height { get; }

    /// <summary>Samples per pixel: 1 (gray) or 3 (RGB).</summary>
    public int Channels { get; }

    /// <summary>The samples in HWC order, <c>Width * Height * Channels</c> bytes (read-only: images are immutable).</summary>
    public ReadOnlyMemory<byte> Pixels => _pixels;

    /// <summary>The sample of channel <paramref name="channel"/> of the pixel at column <paramref name="x"/>, row
    /// <paramref name="y"/>.</summary>
    public byte this[int y, int x, int channel]
    {
        get
        {
            if ((uint)y >= (uint)Height) throw new ArgumentOutOfRangeException(nameof(y), y, $"Row must be 0..{Height - 1}.");
            if ((uint)x >= (uint)Width) throw new ArgumentOutOfRangeException(nameof(x), x, $"Column must be 0..{Width - 1}.");
            if ((uint)channel >= (uint)Channels) throw new ArgumentOutOfRangeException(nameof(channel), channel, $"Channel must be 0..{Channels - 1}.");
            return _pixels[(y * Width + x) * Channels + channel];
        }
    }

    /// <summary>A new array holding a copy of the samples (HWC).</summary>
    public byte[] ToArray() => (byte[])_pixels.Clone();

    /// <summary>True when both images have the same size, channel count and samples.</summary>
    public bool PixelsEqual(MLImage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Width == other.Width && Height == other.Height && Channels == other.Channels &&
               _pixels.AsSpan().SequenceEqual(other._pixels);
    }

    internal ReadOnlySpan<byte> Span => _pixels;

    /// <summary>"28x28, gray" or "640x480, RGB" (width x height).</summary>
    public override string ToString() => $"{Width}x{Height}, {(Channels == 1 ? "gray" : "RGB")}";
}

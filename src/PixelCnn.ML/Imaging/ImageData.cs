namespace PixelCnn.ML.Imaging;

/// <summary>
/// An immutable 8-bit image: <see cref="Height"/> rows of <see cref="Width"/> pixels with
/// <see cref="Channels"/> samples each (1 = gray, 3 = RGB), stored row-major in HWC order with no
/// padding, so the sample of pixel (x, y), channel c is at <c>(y * Width + x) * Channels + c</c>.
/// </summary>
public sealed class ImageData
{
    private readonly byte[] _pixels;

    /// <summary>Creates an image from a copy of <paramref name="pixels"/> (HWC order).</summary>
    /// <exception cref="ArgumentException">Sizes are not positive, channels is not 1 or 3, or the
    /// pixel count does not equal width * height * channels.</exception>
    public ImageData(int width, int height, int channels, ReadOnlySpan<byte> pixels)
        : this(width, height, channels, pixels.ToArray(), takeOwnership: true) { }

    // Adopts the array without copying; only for arrays nobody else holds (decoders, transforms).
    internal ImageData(int width, int height, int channels, byte[] pixels, bool takeOwnership)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "Image width must be at least 1.");
        if (height < 1) throw new ArgumentOutOfRangeException(nameof(height), height, "Image height must be at least 1.");
        if (channels != 1 && channels != 3)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Images have 1 (gray) or 3 (RGB) channels.");
        long expected = (long)width * height * channels;
        if (pixels.LongLength != expected)
            throw new ArgumentException(
                $"A {width}x{height} image with {channels} channel(s) needs {expected} bytes of pixels, got {pixels.LongLength}.",
                nameof(pixels));
        Width = width;
        Height = height;
        Channels = channels;
        _pixels = takeOwnership ? pixels : (byte[])pixels.Clone();
    }

    /// <summary>Width in pixels (at least 1).</summary>
    public int Width { get; }

    /// <summary>Height in pixels (at least 1).</summary>
    public int Height { get; }

    /// <summary>Samples per pixel: 1 (gray) or 3 (RGB).</summary>
    public int Channels { get; }

    /// <summary>The samples in HWC order; <c>Width * Height * Channels</c> bytes.</summary>
    public ReadOnlyMemory<byte> Pixels => _pixels;

    /// <summary>The sample of channel <paramref name="channel"/> of the pixel at column
    /// <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public byte this[int y, int x, int channel]
    {
        get
        {
            if ((uint)y >= (uint)Height) throw new ArgumentOutOfRangeException(nameof(y));
            if ((uint)x >= (uint)Width) throw new ArgumentOutOfRangeException(nameof(x));
            if ((uint)channel >= (uint)Channels) throw new ArgumentOutOfRangeException(nameof(channel));
            return _pixels[(y * Width + x) * Channels + channel];
        }
    }

    /// <summary>A new array holding a copy of the samples (HWC).</summary>
    public byte[] ToArray() => (byte[])_pixels.Clone();

    /// <summary>True when both images have the same size, channel count and samples.</summary>
    public bool PixelsEqual(ImageData other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Width == other.Width && Height == other.Height && Channels == other.Channels &&
               _pixels.AsSpan().SequenceEqual(other._pixels);
    }

    internal ReadOnlySpan<byte> Span => _pixels;

    /// <inheritdoc/>
    public override string ToString() => $"{Width}x{Height}, {(Channels == 1 ? "gray" : "RGB")}";
}

namespace PixelCnn.ML.Data;

/// <summary>
/// An 8-bit image held in memory: <see cref="Height"/> x <see cref="Width"/> x <see cref="Channels"/> bytes,
/// interleaved row-major (HWC), 1 channel (grayscale) or 3 (RGB). The value type of image columns.
/// </summary>
/// <remarks>
/// Deviation from ML.NET: ML.NET's <c>MLImage</c> wraps SkiaSharp, is disposable and carries a pixel format. This
/// one is a plain managed buffer: nothing native to release, and codecs live elsewhere. Images flowing through a
/// pipeline are treated as immutable: a component that changes pixels creates a new image.
/// </remarks>
public sealed class MLImage
{
    private MLImage(int width, int height, int channels, byte[] pixels)
    {
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>1 (grayscale) or 3 (RGB).</summary>
    public int Channels { get; }

    /// <summary>The pixels, HWC, <c>Height * Width * Channels</c> bytes. Not copied: do not change it once the image is in a pipeline.</summary>
    public byte[] Pixels { get; }

    /// <summary>Wraps <paramref name="pixels"/> (HWC, 8-bit) as an image, checking that its length matches the size.</summary>
    public static MLImage Create(int width, int height, int channels, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size must be positive, got {width} x {height}.");
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), $"An image has 1 (grayscale) or 3 (RGB) channels, got {channels}.");
        long expected = (long)width * height * channels;
        if (pixels.LongLength != expected)
            throw new ArgumentException($"A {width} x {height} image with {channels} channel(s) needs {expected} bytes, got {pixels.LongLength}.", nameof(pixels));
        return new MLImage(width, height, channels, pixels);
    }

    public override string ToString() => $"MLImage {Width}x{Height}x{Channels}";
}

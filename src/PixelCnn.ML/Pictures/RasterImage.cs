// A small in-memory picture cell: grey or RGB bytes, row-major HWC. What the samplers, data sets and scorers hand to
// the picture writers (grids, bits maps); ML.NET's MLImage converts both ways.
using Microsoft.ML.Data;
using PixelCnn.ML.Data;

namespace PixelCnn.ML.Pictures;

/// <summary>A grey (1 channel) or RGB (3 channels) image held as row-major HWC bytes.</summary>
public sealed class RasterImage
{
    private readonly byte[] _pixels;

    /// <summary>An image of <paramref name="pixels"/> (copied): width x height x channels bytes, HWC.</summary>
    public RasterImage(int width, int height, int channels, ReadOnlySpan<byte> pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 (grey) or 3 (RGB)");
        if (pixels.Length != checked(width * height * channels))
            throw new ArgumentException($"{width}x{height}x{channels} needs {width * height * channels} bytes, got {pixels.Length}", nameof(pixels));
        (Width, Height, Channels) = (width, height, channels);
        _pixels = pixels.ToArray();
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }

    /// <summary>The pixels, HWC.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>A copy of the pixels.</summary>
    public byte[] ToArray() => (byte[])_pixels.Clone();

    /// <summary>Image <paramref name="index"/> of NCHW bytes (as the samplers return them).</summary>
    public static RasterImage FromChw(ReadOnlySpan<byte> nchw, int index, ImageShape shape)
    {
        int plane = shape.Height * shape.Width;
        var chw = nchw.Slice(index * shape.Size, shape.Size);
        var hwc = new byte[shape.Size];
        for (int c = 0; c < shape.Channels; c++)
            for (int p = 0; p < plane; p++) hwc[p * shape.Channels + c] = chw[c * plane + p];
        return new RasterImage(shape.Width, shape.Height, shape.Channels, hwc);
    }

    /// <summary>Every image of NCHW bytes.</summary>
    public static List<RasterImage> ListFromChw(ReadOnlySpan<byte> nchw, ImageShape shape)
    {
        var list = new List<RasterImage>(nchw.Length / shape.Size);
        for (int i = 0; i < nchw.Length / shape.Size; i++) list.Add(FromChw(nchw, i, shape));
        return list;
    }

    /// <summary>The RGB pixels of an ML.NET image (alpha dropped).</summary>
    public static RasterImage FromMLImage(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var src = image.Pixels;
        var rgb = new byte[image.Width * image.Height * 3];
        bool bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        for (int p = 0; p < image.Width * image.Height; p++)
        {
            rgb[p * 3] = src[p * 4 + (bgra ? 2 : 0)];
            rgb[p * 3 + 1] = src[p * 4 + 1];
            rgb[p * 3 + 2] = src[p * 4 + (bgra ? 0 : 2)];
        }
        return new RasterImage(image.Width, image.Height, 3, rgb);
    }

    /// <summary>This image as an ML.NET image (RGBA).</summary>
    public MLImage ToMLImage()
    {
        var rgba = new byte[Width * Height * 4];
        for (int p = 0; p < Width * Height; p++)
        {
            for (int c = 0; c < 3; c++) rgba[p * 4 + c] = _pixels[p * Channels + (Channels == 1 ? 0 : c)];
            rgba[p * 4 + 3] = 255;
        }
        return MLImage.CreateFromPixels(Width, Height, MLPixelFormat.Rgba32, rgba);
    }
}

// Random square crops of photographs as a training or held-out set of colour images, for the models
// that need colour data where no colour image set is packaged (colorization): Debian's wallpaper
// packages hold real photographs, and 32x32 crops of them downscaled make a data set. Every file
// is read through SafeImageReader (limits before decoding, no silently zero-filled image).
using Microsoft.ML.Data;
using PixelCnn.ML.Data.Images;
using SkiaSharp;

namespace PixelCnn.ML.Data;

public static class ImageCrops
{
    /// <summary>
    /// <paramref name="cropsPerImage"/> crops of <paramref name="size"/> x <paramref name="size"/> pixels from each of
    /// <paramref name="files"/>, in that order, as RGB images (CHW bytes). Each photograph is first resized (bilinear) so
    /// its shorter side is <paramref name="shorterSide"/> pixels, so that a crop holds a scene's structure rather than a
    /// patch of texture; the crop positions are uniform, drawn from <paramref name="seed"/>.
    /// </summary>
    public static ImageDataset Random(IReadOnlyList<string> files, int size, int cropsPerImage, int shorterSide, int seed, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0) throw new ArgumentException("no image files were given", nameof(files));
        if (size is < 2 or > 1024) throw new ArgumentOutOfRangeException(nameof(size), size, "the crop size must be 2..1024");
        if (cropsPerImage < 1) throw new ArgumentOutOfRangeException(nameof(cropsPerImage), cropsPerImage, "cropsPerImage must be >= 1");
        if (shorterSide < size) throw new ArgumentOutOfRangeException(nameof(shorterSide), shorterSide, $"shorterSide must be at least the crop size {size}");
        var rng = new Random(seed);
        int plane = size * size;
        var pixels = new byte[checked((long)files.Count * cropsPerImage * 3 * plane)];
        long at = 0;
        foreach (var file in files)
        {
            using var image = SafeImageReader.Read(file, limits);
            double scale = (double)shorterSide / Math.Min(image.Width, image.Height);
            int width = Math.Max(size, (int)Math.Round(image.Width * scale)), height = Math.Max(size, (int)Math.Round(image.Height * scale));
            using var resized = Resize(image, width, height);
            var (r, g, b) = Offsets(resized.ColorType);
            var src = Images.SkiaPixels.Of(resized);
            int stride = resized.RowBytes;
            for (int k = 0; k < cropsPerImage; k++)
            {
                int x0 = rng.Next(width - size + 1), y0 = rng.Next(height - size + 1);
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++)
                    {
                        int s = (y0 + y) * stride + (x0 + x) * 4, d = y * size + x;
                        pixels[at + d] = src[s + r];
                        pixels[at + plane + d] = src[s + g];
                        pixels[at + 2 * plane + d] = src[s + b];
                    }
                at += 3 * plane;
            }
        }
        return new ImageDataset(3, size, size, pixels);
    }

    /// <summary>The image resized (SkiaSharp, Mitchell bicubic: what the high-quality filter was) to <paramref name="width"/> x <paramref name="height"/>.</summary>
    private static SKBitmap Resize(MLImage image, int width, int height)
    {
        var colorType = image.PixelFormat switch
        {
            MLPixelFormat.Bgra32 => SKColorType.Bgra8888,
            MLPixelFormat.Rgba32 => SKColorType.Rgba8888,
            var f => throw new NotSupportedException($"pixel format {f} is not a 32-bit RGB format"),
        };
        using var source = new SKBitmap(new SKImageInfo(image.Width, image.Height, colorType, SKAlphaType.Premul));
        var pixels = image.Pixels.ToArray();
        if (source.RowBytes != image.Width * 4 || pixels.Length != source.ByteCount)
            throw new InvalidOperationException($"unexpected pixel layout of a {image.Width}x{image.Height} image");
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, source.GetPixels(), pixels.Length);
        return source.Resize(new SKImageInfo(width, height, colorType, SKAlphaType.Premul), new SKSamplingOptions(SKCubicResampler.Mitchell))
               ?? throw new InvalidOperationException($"SkiaSharp could not resize a {image.Width}x{image.Height} image to {width}x{height}");
    }

    /// <summary>Byte offsets of R, G and B within a 32-bit pixel.</summary>
    private static (int R, int G, int B) Offsets(SKColorType type) => type == SKColorType.Bgra8888 ? (2, 1, 0) : (0, 1, 2);
}

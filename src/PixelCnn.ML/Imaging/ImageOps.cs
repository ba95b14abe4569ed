// Pure C# pixel operations on ImageData, shared by the image transforms (ResizeImages,
// ConvertToGrayscale) and the viewing helpers. Deterministic integer or float arithmetic with the
// rounding rule stated on each method, so results are the same on every machine.
namespace PixelCnn.ML.Imaging;

/// <summary>Resizing and colour conversion of 8-bit images.</summary>
public static class ImageOps
{
    /// <summary>
    /// Resizes with bilinear interpolation. Pixel centres are aligned (a destination pixel x maps to
    /// source position <c>(x + 0.5) * srcWidth / width - 0.5</c>, clamped to the image), as in
    /// OpenCV's INTER_LINEAR and PyTorch's <c>interpolate(align_corners=False)</c>; each output
    /// sample is rounded to the nearest integer, halves away from zero. There is no anti-aliasing
    /// filter, so large reductions alias. The same size returns <paramref name="image"/> itself.
    /// </summary>
    public static ImageData Resize(ImageData image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (width == image.Width && height == image.Height) return image;
        int c = image.Channels;
        var (x0, x1, wx) = Taps(image.Width, width);
        var (y0, y1, wy) = Taps(image.Height, height);
        var src = image.Span;
        var dst = new byte[checked(width * height * c)];
        int srcStride = image.Width * c;
        for (int y = 0; y < height; y++)
        {
            int rowA = y0[y] * srcStride, rowB = y1[y] * srcStride;
            double fy = wy[y];
            for (int x = 0; x < width; x++)
            {
                int a = x0[x] * c, b = x1[x] * c;
                double fx = wx[x];
                int o = (y * width + x) * c;
                for (int k = 0; k < c; k++)
                {
                    double top = src[rowA + a + k] + (src[rowA + b + k] - src[rowA + a + k]) * fx;
                    double bottom = src[rowB + a + k] + (src[rowB + b + k] - src[rowB + a + k]) * fx;
                    double v = top + (bottom - top) * fy;
                    dst[o + k] = (byte)Math.Clamp(Math.Round(v, MidpointRounding.AwayFromZero), 0, 255);
                }
            }
        }
        return new ImageData(width, height, c, dst, takeOwnership: true);
    }

    // For each destination index: the two source indices and the weight of the second.
    private static (int[] Lo, int[] Hi, double[] Weight) Taps(int srcSize, int dstSize)
    {
        var lo = new int[dstSize];
        var hi = new int[dstSize];
        var w = new double[dstSize];
        double scale = (double)srcSize / dstSize;
        for (int i = 0; i < dstSize; i++)
        {
            double s = Math.Clamp((i + 0.5) * scale - 0.5, 0, srcSize - 1);
            int f = (int)Math.Floor(s);
            lo[i] = f;
            hi[i] = Math.Min(f + 1, srcSize - 1);
            w[i] = s - f;
        }
        return (lo, hi, w);
    }

    /// <summary>
    /// Converts RGB to gray with the ITU-R BT.601 luma weights:
    /// <c>Y = (299 R + 587 G + 114 B + 500) / 1000</c> in integers, i.e. the exact weighted sum
    /// rounded to the nearest integer, halves up. A gray image is returned as is.
    /// </summary>
    public static ImageData ToGrayscale(ImageData image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels == 1) return image;
        var src = image.Span;
        var dst = new byte[image.Width * image.Height];
        for (int i = 0; i < dst.Length; i++)
        {
            int r = src[3 * i], g = src[3 * i + 1], b = src[3 * i + 2];
            dst[i] = (byte)((299 * r + 587 * g + 114 * b + 500) / 1000);
        }
        return new ImageData(image.Width, image.Height, 1, dst, takeOwnership: true);
    }

    /// <summary>Converts gray to RGB by repeating the gray sample; an RGB image is returned as is.</summary>
    public static ImageData ToRgb(ImageData image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels == 3) return image;
        var src = image.Span;
        var dst = new byte[src.Length * 3];
        for (int i = 0; i < src.Length; i++) dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = src[i];
        return new ImageData(image.Width, image.Height, 3, dst, takeOwnership: true);
    }
}

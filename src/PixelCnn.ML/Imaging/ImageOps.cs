// Pure C# pixel operations on MLImage, shared by the image transforms (ResizeImages,
// ConvertToGrayscale, ExtractPixels) and the viewing helpers. Deterministic integer or float arithmetic with the
// rounding rule stated on each method, so results are the same on every machine.
using PixelCnn.ML.Data;

namespace PixelCnn.ML.Imaging;

/// <summary>Resizing and colour conversion of 8-bit images.</summary>
public static class ImageOps
{
    /// <summary>
    /// Resizes with bilinear interpolation, stretching to the new size (the aspect ratio may change). Pixel
    /// centres are aligned (a destination pixel x maps to source position <c>(x + 0.5) * srcWidth / width - 0.5</c>,
    /// clamped to the image), as in OpenCV's INTER_LINEAR and PyTorch's <c>interpolate(align_corners=False)</c>;
    /// each output sample is rounded to the nearest integer, halves away from zero. There is no anti-aliasing
    /// filter, so large reductions alias. The same size returns <paramref name="image"/> itself.
    /// </summary>
    public static MLImage Resize(MLImage image, int width, int height)
    {
        CheckResize(image, width, height);
        if (width == image.Width && height == image.Height) return image;
        return Sample(image, width, height, 0, (double)image.Width / width, 0, (double)image.Height / height);
    }

    /// <summary>
    /// Resizes keeping the aspect ratio, scaling until the image covers the new size and cutting off what sticks
    /// out (ML.NET's IsoCrop). <paramref name="alignX"/> and <paramref name="alignY"/> say which part is kept along
    /// the axis that is cut: 0 keeps the left (top) edge, 1 the right (bottom) edge, 0.5 the centre. Sampling and
    /// rounding are those of <see cref="Resize"/>: destination pixel x maps to source position
    /// <c>left + (x + 0.5) / scale - 0.5</c>, where scale = max(width / srcWidth, height / srcHeight) and left is the
    /// first source column kept (fractional when the cut is). The same size returns <paramref name="image"/> itself.
    /// </summary>
    public static MLImage ResizeIsoCrop(MLImage image, int width, int height, double alignX = 0.5, double alignY = 0.5)
    {
        CheckResize(image, width, height);
        if (!(alignX >= 0 && alignX <= 1)) throw new ArgumentOutOfRangeException(nameof(alignX), alignX, "Alignment must be between 0 and 1.");
        if (!(alignY >= 0 && alignY <= 1)) throw new ArgumentOutOfRangeException(nameof(alignY), alignY, "Alignment must be between 0 and 1.");
        if (width == image.Width && height == image.Height) return image;
        // Source pixels per destination pixel, from the axis that must be covered exactly (compared in integers, so
        // a tie never depends on rounding).
        double step = (long)width * image.Height >= (long)height * image.Width
            ? (double)image.Width / width
            : (double)image.Height / height;
        double left = alignX * (image.Width - width * step);
        double top = alignY * (image.Height - height * step);
        return Sample(image, width, height, Math.Max(0, left), step, Math.Max(0, top), step);
    }

    /// <summary>
    /// Resizes keeping the aspect ratio, scaling until the image fits inside the new size and filling the rest with
    /// <paramref name="background"/> (ML.NET's IsoPad). The scaled image has the size round(srcWidth * scale) x
    /// round(srcHeight * scale) (at least 1), with scale = min(width / srcWidth, height / srcHeight), is made with
    /// <see cref="Resize"/> and placed in the middle, the odd pixel of padding going to the right (bottom).
    /// </summary>
    public static MLImage ResizeIsoPad(MLImage image, int width, int height, byte background = 0)
    {
        CheckResize(image, width, height);
        int innerW, innerH;
        if ((long)width * image.Height <= (long)height * image.Width)
        {
            innerW = width;
            innerH = (int)Math.Clamp(Math.Round((double)image.Height * width / image.Width, MidpointRounding.AwayFromZero), 1, height);
        }
        else
        {
            innerH = height;
            innerW = (int)Math.Clamp(Math.Round((double)image.Width * height / image.Height, MidpointRounding.AwayFromZero), 1, width);
        }
        var inner = Resize(image, innerW, innerH);
        if (innerW == width && innerH == height) return inner;
        int c = image.Channels, left = (width - innerW) / 2, top = (height - innerH) / 2;
        var dst = new byte[checked(width * height * c)];
        if (background != 0) dst.AsSpan().Fill(background);
        var src = inner.Span;
        int rowBytes = innerW * c;
        for (int y = 0; y < innerH; y++)
            src.Slice(y * rowBytes, rowBytes).CopyTo(dst.AsSpan(((top + y) * width + left) * c, rowBytes));
        return MLImage.Adopt(width, height, c, dst);
    }

    private static void CheckResize(MLImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
    }

    // Bilinear sampling: destination pixel x reads source position originX + (x + 0.5) * stepX - 0.5 (likewise y),
    // clamped to the image, rounded half away from zero.
    private static MLImage Sample(MLImage image, int width, int height, double originX, double stepX, double originY, double stepY)
    {
        int c = image.Channels;
        var (x0, x1, wx) = Taps(image.Width, width, originX, stepX);
        var (y0, y1, wy) = Taps(image.Height, height, originY, stepY);
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
        return MLImage.Adopt(width, height, c, dst);
    }

    // For each destination index: the two source indices and the weight of the second.
    private static (int[] Lo, int[] Hi, double[] Weight) Taps(int srcSize, int dstSize, double origin, double step)
    {
        var lo = new int[dstSize];
        var hi = new int[dstSize];
        var w = new double[dstSize];
        for (int i = 0; i < dstSize; i++)
        {
            double s = Math.Clamp(origin + (i + 0.5) * step - 0.5, 0, srcSize - 1);
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
    public static MLImage ToGrayscale(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels == 1) return image;
        var src = image.Span;
        var dst = new byte[image.Width * image.Height];
        for (int i = 0; i < dst.Length; i++) dst[i] = Luma(src[3 * i], src[3 * i + 1], src[3 * i + 2]);
        return MLImage.Adopt(image.Width, image.Height, 1, dst);
    }

    /// <summary>The BT.601 gray value of one RGB pixel, as <see cref="ToGrayscale"/> computes it.</summary>
    internal static byte Luma(byte r, byte g, byte b) => (byte)((299 * r + 587 * g + 114 * b + 500) / 1000);

    /// <summary>Converts gray to RGB by repeating the gray sample; an RGB image is returned as is.</summary>
    public static MLImage ToRgb(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels == 3) return image;
        var src = image.Span;
        var dst = new byte[src.Length * 3];
        for (int i = 0; i < src.Length; i++) dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = src[i];
        return MLImage.Adopt(image.Width, image.Height, 3, dst);
    }
}

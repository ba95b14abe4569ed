using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Tests.Imaging;

/// <summary>Small synthetic images shared by the codec tests.</summary>
internal static class TestImages
{
    /// <summary>A smooth image (gradients plus a soft disc): JPEG keeps it within a few levels.</summary>
    public static MLImage Smooth(int width, int height, int channels)
    {
        var px = new byte[width * height * channels];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double dx = x - width / 2.0, dy = y - height / 2.0;
                double disc = 60 * Math.Exp(-(dx * dx + dy * dy) / (width * height / 4.0));
                for (int c = 0; c < channels; c++)
                {
                    double v = 40 + 120.0 * (c == 1 ? y : x) / Math.Max(1, width - 1) + disc + 20 * c;
                    px[(y * width + x) * channels + c] = (byte)Math.Clamp(v, 0, 255);
                }
            }
        return new MLImage(width, height, channels, px);
    }

    /// <summary>Noisy pixels from a fixed seed (worst case for compression; good fuzz seeds).</summary>
    public static MLImage Noise(int width, int height, int channels, int seed)
    {
        var px = new byte[width * height * channels];
        new Random(seed).NextBytes(px);
        return new MLImage(width, height, channels, px);
    }

    public static int MaxAbsDifference(MLImage a, MLImage b)
    {
        var x = a.Pixels.Span;
        var y = b.Pixels.Span;
        int max = 0;
        for (int i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs(x[i] - y[i]));
        return max;
    }
}

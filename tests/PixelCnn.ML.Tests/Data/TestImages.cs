using PixelCnn.ML.Pictures;

namespace PixelCnn.ML.Tests.Data;

/// <summary>Small image files the component tests train and score on.</summary>
internal static class TestImages
{
    /// <summary>
    /// <paramref name="count"/> grey <paramref name="side"/> x <paramref name="side"/> PNGs of horizontal stripes (even rows
    /// 180, odd rows 20) plus uniform noise below <paramref name="noise"/>, image i brighter by (i mod 3) x
    /// <paramref name="shift"/>, written as 00.png, 01.png, ... in <paramref name="folder"/>.
    /// </summary>
    public static void WriteStripes(string folder, int count, int side, int seed, int noise = 5, int shift = 0)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            var px = new byte[side * side];
            for (int p = 0; p < px.Length; p++) px[p] = (byte)((p / side % 2 == 0 ? 180 : 20) + random.Next(noise) + i % 3 * shift);
            PictureWriter.SavePng(new RasterImage(side, side, 1, px), Path.Combine(folder, $"{i:D2}.png"));
        }
    }
}

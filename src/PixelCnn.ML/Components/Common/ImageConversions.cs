// Between the samplers' NCHW bytes and ML.NET's images (MLImage, RGBA) and pixel vectors.
using Microsoft.ML.Data;
using PixelCnn.ML.Data;
using PixelCnn.ML.Pictures;

namespace PixelCnn.ML.Components;

internal static class ImageConversions
{
    /// <summary>Image <paramref name="index"/> of NCHW <paramref name="bytes"/> as an ML.NET image (grey images as R = G = B).</summary>
    public static MLImage ToImage(ReadOnlySpan<byte> bytes, int index, ImageShape s) => RasterImage.FromChw(bytes, index, s).ToMLImage();

    /// <summary>
    /// Writes every row of a batch into an image column and, when active, a CHW pixel-vector column; with
    /// <paramref name="perRow"/> images per row, a row's image holds them side by side and its vector all of them in order.
    /// </summary>
    public static void WriteImages(BatchMapperOutput output, ReadOnlySpan<byte> nchw, int count, ImageShape s, string imageColumn, string? pixelsColumn,
                                   int perRow = 1)
    {
        if (output.IsActive(imageColumn))
        {
            var images = output.GetValues<MLImage>(imageColumn);
            for (int i = 0; i < count; i++) images[i] = perRow == 1 ? ToImage(nchw, i, s) : SideBySide(nchw, i * perRow, perRow, s).ToMLImage();
        }
        if (pixelsColumn is not null && output.IsActive(pixelsColumn))
        {
            var block = output.GetVectorBlock(pixelsColumn);
            for (long i = 0; i < (long)count * perRow * s.Size; i++) block[(int)i] = nchw[(int)i];
        }
    }

    /// <summary>Images <paramref name="first"/> .. first + count − 1 of NCHW bytes as one image, left to right.</summary>
    private static RasterImage SideBySide(ReadOnlySpan<byte> nchw, int first, int count, ImageShape s)
    {
        int width = s.Width * count, plane = s.Height * s.Width;
        var chw = new byte[s.Channels * s.Height * width];
        for (int k = 0; k < count; k++)
            for (int c = 0; c < s.Channels; c++)
                for (int y = 0; y < s.Height; y++)
                    nchw.Slice(((first + k) * s.Channels + c) * plane + y * s.Width, s.Width)
                        .CopyTo(chw.AsSpan((c * s.Height + y) * width + k * s.Width, s.Width));
        return RasterImage.FromChw(chw, 0, new ImageShape(s.Channels, s.Height, width));
    }
}

// Between the samplers' NCHW bytes and ML.NET's images (MLImage, RGBA) and pixel vectors.
using Microsoft.ML.Data;
using PixelCnn.ML.Data;
using PixelCnn.ML.Pictures;

namespace PixelCnn.ML.Components;

internal static class ImageConversions
{
    /// <summary>Image <paramref name="index"/> of NCHW <paramref name="bytes"/> as an ML.NET image (grey images as R = G = B).</summary>
    public static MLImage ToImage(ReadOnlySpan<byte> bytes, int index, ImageShape s) => RasterImage.FromChw(bytes, index, s).ToMLImage();

    /// <summary>Writes every image of a batch into an image column and, when active, a CHW pixel-vector column.</summary>
    public static void WriteImages(BatchMapperOutput output, ReadOnlySpan<byte> nchw, int count, ImageShape s, string imageColumn, string? pixelsColumn)
    {
        if (output.IsActive(imageColumn))
        {
            var images = output.GetValues<MLImage>(imageColumn);
            for (int i = 0; i < count; i++) images[i] = ToImage(nchw, i, s);
        }
        if (pixelsColumn is not null && output.IsActive(pixelsColumn))
        {
            var block = output.GetVectorBlock(pixelsColumn);
            for (int i = 0; i < count * s.Size; i++) block[i] = nchw[i];
        }
    }
}

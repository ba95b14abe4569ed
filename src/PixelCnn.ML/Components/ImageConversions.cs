// Between the samplers' NCHW bytes and the data plane's images (HWC MLImage) and pixel vectors.
using PixelCnn.ML.Data;

namespace PixelCnn.ML.Components;

internal static class ImageConversions
{
    /// <summary>Image <paramref name="index"/> of NCHW <paramref name="bytes"/> as an HWC MLImage.</summary>
    public static MLImage ToImage(ReadOnlySpan<byte> bytes, int index, ImageShape s)
    {
        int plane = s.Height * s.Width;
        var chw = bytes.Slice(index * s.Size, s.Size);
        var hwc = new byte[s.Size];
        for (int c = 0; c < s.Channels; c++)
            for (int p = 0; p < plane; p++)
                hwc[p * s.Channels + c] = chw[c * plane + p];
        return new MLImage(s.Width, s.Height, s.Channels, hwc);
    }

    /// <summary>Writes every image of a batch into an Image column and, when active, a CHW pixel-vector column.</summary>
    public static void WriteImages(BatchMapperOutput output, ReadOnlySpan<byte> nchw, int count, ImageShape s, string imageColumn, string? pixelsColumn)
    {
        if (output.IsActive(imageColumn))
        {
            var images = output.GetValues<MLImage>(imageColumn);
            for (int i = 0; i < count; i++) images[i] = ToImage(nchw, i, s);
        }
        if (pixelsColumn is not null && output.IsActive(pixelsColumn))
        {
            var block = output.GetVectorBlock<float>(pixelsColumn);
            for (int i = 0; i < count * s.Size; i++) block[i] = nchw[i];
        }
    }
}

using PixelCnn.ML.Data;

namespace PixelCnn.ML.Imaging;

/// <summary>Lays out images for viewing: sample grids and integer upscaling.</summary>
public static class ImageGrid
{
    /// <summary>
    /// Tiles images of one size into a grid, filled row by row, with <paramref name="padding"/>
    /// pixels of <paramref name="background"/> between cells and around the border. Gray images are
    /// shown as RGB when the grid also holds RGB images. Cells after the last image stay background.
    /// </summary>
    /// <param name="images">At least one image; all of the same width and height.</param>
    /// <param name="columns">Cells per row; 0 picks ceil(sqrt(count)), a near-square grid.</param>
    /// <param name="padding">Gap in pixels between cells and around the grid (0 for none).</param>
    /// <param name="background">Sample value of the gaps and empty cells, for every channel.</param>
    public static MLImage Tile(IReadOnlyList<MLImage> images, int columns = 0, int padding = 2, byte background = 0)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("At least one image is needed to make a grid.", nameof(images));
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        var first = images[0] ?? throw new ArgumentException("images[0] is null.", nameof(images));
        int channels = 1;
        for (int i = 0; i < images.Count; i++)
        {
            var im = images[i] ?? throw new ArgumentException($"images[{i}] is null.", nameof(images));
            if (im.Width != first.Width || im.Height != first.Height)
                throw new ArgumentException(
                    $"images[{i}] is {im.Width}x{im.Height} but images[0] is {first.Width}x{first.Height}; a grid needs one size.",
                    nameof(images));
            channels = Math.Max(channels, im.Channels);
        }
        int cols = columns > 0 ? Math.Min(columns, images.Count) : (int)Math.Ceiling(Math.Sqrt(images.Count));
        int rows = (images.Count + cols - 1) / cols;
        int cellW = first.Width, cellH = first.Height;
        int width = checked(cols * (cellW + padding) + padding);
        int height = checked(rows * (cellH + padding) + padding);
        var dst = new byte[checked(width * height * channels)];
        if (background != 0) dst.AsSpan().Fill(background);
        for (int i = 0; i < images.Count; i++)
        {
            var src = (channels == 3 ? ImageOps.ToRgb(images[i]) : images[i]).Span;
            int left = padding + (i % cols) * (cellW + padding);
            int top = padding + (i / cols) * (cellH + padding);
            int rowBytes = cellW * channels;
            for (int y = 0; y < cellH; y++)
                src.Slice(y * rowBytes, rowBytes).CopyTo(dst.AsSpan(((top + y) * width + left) * channels, rowBytes));
        }
        return MLImage.Adopt(width, height, channels, dst);
    }

    /// <summary>Enlarges an image by an integer factor with nearest-neighbour sampling (each pixel
    /// becomes a factor x factor block), for viewing small images; factor 1 returns the image itself.</summary>
    public static MLImage Upscale(MLImage image, int factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1);
        if (factor == 1) return image;
        int c = image.Channels;
        int width = checked(image.Width * factor), height = checked(image.Height * factor);
        var src = image.Span;
        var dst = new byte[checked(width * height * c)];
        int dstStride = width * c;
        for (int y = 0; y < image.Height; y++)
        {
            var row = dst.AsSpan(y * factor * dstStride, dstStride);
            for (int x = 0; x < image.Width; x++)
            {
                var pixel = src.Slice((y * image.Width + x) * c, c);
                for (int r = 0; r < factor; r++) pixel.CopyTo(row.Slice((x * factor + r) * c, c));
            }
            for (int r = 1; r < factor; r++) row.CopyTo(dst.AsSpan((y * factor + r) * dstStride, dstStride));
        }
        return MLImage.Adopt(width, height, c, dst);
    }
}

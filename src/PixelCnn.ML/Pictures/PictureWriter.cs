// Pictures people look at instead of reading numbers: grids of images (samples, completions, most and least likely),
// with labelled rows and a title, and a colour scale for heat maps (bits maps). Drawn with SkiaSharp (the version
// ML.NET's image code uses) and written as PNG atomically.
using PixelCnn.ML.IO;
using SkiaSharp;

namespace PixelCnn.ML.Pictures;

/// <summary>A colour scale drawn under a grid: the ramp of <see cref="Colormap"/> from Min to Max, with a caption.</summary>
public sealed record ColorScale(float Min, float Max, string Caption);

/// <summary>Draws image grids and writes PNG files.</summary>
public static class PictureWriter
{
    private const float FontSize = 13;

    /// <summary>
    /// Tiles <paramref name="cells"/> (one size) into rows of <paramref name="columns"/>, each enlarged
    /// <paramref name="upscale"/> times (nearest neighbour), with <paramref name="padding"/> pixels between cells. When
    /// given, <paramref name="rowLabels"/> are written left of their rows, <paramref name="title"/> above the grid and
    /// <paramref name="scale"/> below it.
    /// </summary>
    public static SKBitmap Grid(IReadOnlyList<RasterImage> cells, int columns, int upscale = 1, int padding = 2,
                                IReadOnlyList<string>? rowLabels = null, string? title = null, ColorScale? scale = null)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Count == 0) throw new ArgumentException("At least one image is needed to make a grid.", nameof(cells));
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(upscale, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        var first = cells[0];
        for (int i = 1; i < cells.Count; i++)
            if (cells[i].Width != first.Width || cells[i].Height != first.Height)
                throw new ArgumentException($"cells[{i}] is {cells[i].Width}x{cells[i].Height} but cells[0] is {first.Width}x{first.Height}; a grid needs one size.", nameof(cells));
        int cols = Math.Min(columns, cells.Count), rows = (cells.Count + cols - 1) / cols;
        if (rowLabels is not null && rowLabels.Count < rows) throw new ArgumentException($"{rows} rows but {rowLabels.Count} row labels", nameof(rowLabels));
        int cellW = first.Width * upscale, cellH = first.Height * upscale;

        using var typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
        using var font = new SKFont(typeface, FontSize);
        using var text = new SKPaint { Color = SKColors.White, IsAntialias = true };
        int labelW = rowLabels is null ? 0 : (int)Math.Ceiling(rowLabels.Max(l => font.MeasureText(l)) + 2 * padding + 4);
        int titleH = title is null ? 0 : (int)FontSize + 8;
        int scaleH = scale is null ? 0 : 40;
        int width = checked(labelW + cols * (cellW + padding) + padding);
        int height = checked(titleH + rows * (cellH + padding) + padding + scaleH);
        width = Math.Max(width, title is null ? 0 : (int)font.MeasureText(title) + 8);
        if (scale is not null) width = Math.Max(width, 220);

        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.Black);
        var nearest = new SKSamplingOptions(SKFilterMode.Nearest);
        for (int i = 0; i < cells.Count; i++)
        {
            using var cell = SKImage.FromBitmap(ToBitmap(cells[i]));
            int left = labelW + padding + (i % cols) * (cellW + padding);
            int top = titleH + padding + (i / cols) * (cellH + padding);
            canvas.DrawImage(cell, new SKRect(left, top, left + cellW, top + cellH), nearest);
        }
        if (title is not null) canvas.DrawText(title, 4, FontSize + 2, SKTextAlign.Left, font, text);
        if (rowLabels is not null)
            for (int r = 0; r < rows; r++)
                canvas.DrawText(rowLabels[r], padding + 2, titleH + padding + r * (cellH + padding) + cellH / 2f + FontSize / 3, SKTextAlign.Left, font, text);
        if (scale is not null)
            DrawScale(canvas, scale, new SKRect(padding + 4, height - scaleH + 4, Math.Min(width - padding - 4, padding + 4 + 256), height - scaleH + 16), font, text);
        return bitmap;
    }

    private static void DrawScale(SKCanvas canvas, ColorScale scale, SKRect bar, SKFont font, SKPaint text)
    {
        using var ramp = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(bar.Left, 0), new SKPoint(bar.Right, 0), Colormap.Stops.ToArray(), null, SKShaderTileMode.Clamp),
        };
        canvas.DrawRect(bar, ramp);
        float y = bar.Bottom + FontSize;
        string lo = scale.Min.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);
        string hi = scale.Max.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);
        canvas.DrawText(lo, bar.Left, y, SKTextAlign.Left, font, text);
        canvas.DrawText(hi, bar.Right, y, SKTextAlign.Right, font, text);
        canvas.DrawText(scale.Caption, bar.MidX, y, SKTextAlign.Center, font, text);
    }

    /// <summary>A picture cell as a Skia bitmap (grey shown as R = G = B).</summary>
    public static SKBitmap ToBitmap(RasterImage image)
    {
        var rgba = new byte[image.Width * image.Height * 4];
        var src = image.Pixels;
        for (int p = 0; p < image.Width * image.Height; p++)
        {
            for (int c = 0; c < 3; c++) rgba[p * 4 + c] = src[p * image.Channels + (image.Channels == 1 ? 0 : c)];
            rgba[p * 4 + 3] = 255;
        }
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    /// <summary>Encodes <paramref name="bitmap"/> as PNG.</summary>
    public static byte[] EncodePng(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100) ?? throw new InvalidOperationException("SkiaSharp could not encode the picture as PNG");
        return data.ToArray();
    }

    /// <summary>Writes <paramref name="bitmap"/> to <paramref name="path"/> as PNG, atomically (never a half-written file).</summary>
    public static void SavePng(SKBitmap bitmap, string path)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } dir) Directory.CreateDirectory(dir);
        AtomicFile.WriteAllBytes(full, EncodePng(bitmap));
    }

    /// <summary>Writes one image as PNG (e.g. an image file for a folder of photos).</summary>
    public static void SavePng(RasterImage image, string path)
    {
        using var bitmap = ToBitmap(image);
        SavePng(bitmap, path);
    }

    /// <summary>Draws a grid (see <see cref="Grid"/>) and writes it as PNG.</summary>
    public static void SaveGrid(string path, IReadOnlyList<RasterImage> cells, int columns, int upscale = 1, int padding = 2,
                                IReadOnlyList<string>? rowLabels = null, string? title = null, ColorScale? scale = null)
    {
        using var grid = Grid(cells, columns, upscale, padding, rowLabels, title, scale);
        SavePng(grid, path);
    }
}

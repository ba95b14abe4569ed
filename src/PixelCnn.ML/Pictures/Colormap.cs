// The colour scale of bits maps: a perceptual black-red-yellow-white ramp built by Skia's gradient shader (a 256-entry
// lookup table drawn once), so values map to colours by Skia's interpolation, not ours.
using SkiaSharp;

namespace PixelCnn.ML.Pictures;

/// <summary>Values to colours for heat maps (bits maps).</summary>
public static class Colormap
{
    /// <summary>The colour of NaN values (pixels of images that could not be read): blue, outside the ramp.</summary>
    public static readonly SKColor NaNColor = new(0, 0, 255);

    /// <summary>The ramp's stops, from low to high values.</summary>
    public static IReadOnlyList<SKColor> Stops { get; } = [new(0, 0, 0), new(180, 0, 0), new(255, 120, 0), new(255, 230, 0), new(255, 255, 255)];

    private static readonly Lazy<SKColor[]> Table = new(() =>
    {
        using var bitmap = new SKBitmap(new SKImageInfo(256, 1, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint())
        {
            paint.Shader = SKShader.CreateLinearGradient(new SKPoint(0.5f, 0), new SKPoint(255.5f, 0), Stops.ToArray(), null, SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, 256, 1, paint);
        }
        return Enumerable.Range(0, 256).Select(x => bitmap.GetPixel(x, 0)).ToArray();
    });

    /// <summary>The colour of <paramref name="value"/> on a scale from <paramref name="min"/> to <paramref name="max"/> (clamped).</summary>
    public static SKColor ColorOf(float value, float min, float max)
    {
        if (float.IsNaN(value)) return NaNColor;
        float t = max > min ? (value - min) / (max - min) : 0;
        return Table.Value[(int)MathF.Round(Math.Clamp(t, 0, 1) * 255)];
    }

    /// <summary>A heat map of <paramref name="values"/> (row-major, width x height) as an RGB image.</summary>
    public static RasterImage Heat(ReadOnlySpan<float> values, int width, int height, float min, float max)
    {
        if (values.Length != width * height) throw new ArgumentException($"{width}x{height} needs {width * height} values, got {values.Length}", nameof(values));
        var rgb = new byte[width * height * 3];
        for (int i = 0; i < values.Length; i++)
        {
            var c = ColorOf(values[i], min, max);
            (rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]) = (c.Red, c.Green, c.Blue);
        }
        return new RasterImage(width, height, 3, rgb);
    }
}

using PixelCnn.ML.Data;

namespace PixelCnn.ML.Imaging;

/// <summary>
/// Turns a map of floats (e.g. the per-pixel bits of a likelihood model) into an RGB heat map.
/// </summary>
/// <remarks>
/// The scale is the classic "hot" ramp, linear in the value: with t = (value - min) / (max - min)
/// clamped to [0, 1], red = 3t, green = 3t - 1, blue = 3t - 2, each clamped to [0, 1] and scaled
/// to 0..255 (rounded to nearest). So min is black, one third of the way is pure red, two thirds
/// pure yellow, and max white; brighter means larger. Values below min or above max clamp to the
/// ends (infinities too). NaN is drawn pure blue (0, 0, 255), a colour the ramp never produces.
/// When max equals min every finite value is black.
/// </remarks>
public static class Colormap
{
    /// <summary>Colour for NaN values.</summary>
    public static readonly (byte R, byte G, byte B) NaNColor = (0, 0, 255);

    /// <summary>Heat map of <paramref name="values"/> (row-major, <paramref name="width"/> x
    /// <paramref name="height"/>) on the fixed scale [<paramref name="min"/>, <paramref name="max"/>].
    /// A fixed scale makes maps comparable, e.g. 0..8 bits per sample.</summary>
    public static MLImage Heat(ReadOnlySpan<float> values, int width, int height, float min, float max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (values.Length != (long)width * height)
            throw new ArgumentException($"A {width}x{height} map needs {(long)width * height} values, got {values.Length}.", nameof(values));
        if (!float.IsFinite(min) || !float.IsFinite(max) || max < min)
            throw new ArgumentException($"The scale must be finite with min <= max, got [{min}, {max}].", nameof(max));
        var dst = new byte[values.Length * 3];
        for (int i = 0; i < values.Length; i++)
        {
            var (r, g, b) = ColorOf(values[i], min, max);
            dst[3 * i] = r;
            dst[3 * i + 1] = g;
            dst[3 * i + 2] = b;
        }
        return MLImage.Adopt(width, height, 3, dst);
    }

    /// <summary>Heat map on the map's own range: min and max of its finite values (all black when
    /// there are none, or all are equal). Maps made this way are not comparable with each other.</summary>
    public static MLImage Heat(ReadOnlySpan<float> values, int width, int height)
    {
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (!float.IsFinite(v)) continue;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (lo > hi) lo = hi = 0;
        return Heat(values, width, height, lo, hi);
    }

    /// <summary>The colour of one value on the scale [min, max] (see the class remarks).</summary>
    public static (byte R, byte G, byte B) ColorOf(float value, float min, float max)
    {
        if (float.IsNaN(value)) return NaNColor;
        double t = max > min ? Math.Clamp(((double)value - min) / ((double)max - min), 0.0, 1.0) : 0.0;
        return (Channel(3 * t), Channel(3 * t - 1), Channel(3 * t - 2));
    }

    private static byte Channel(double s) => (byte)Math.Round(Math.Clamp(s, 0.0, 1.0) * 255.0, MidpointRounding.AwayFromZero);
}

// The auxiliary views x̂ = f(x) of Kolesnikov & Lampert (2017): small, exact, deterministic
// functions of an image computed in integer arithmetic, so the same image always gives the same
// view on every device, and a model of (x̂, x | x̂) is a model of x with an exact likelihood.
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public static class AuxiliaryViews
{
    /// <summary>
    /// The <paramref name="bits"/>-bit grayscale view [N, 1, H, W] (whole numbers 0..2^bits − 1, float32) of images
    /// [N, C, H, W] holding whole numbers 0..255: for RGB the ITU-R BT.601 luma (299 R + 587 G + 114 B + 500) / 1000 rounded
    /// down, a grey image as it is; then the top <paramref name="bits"/> bits (the value shifted right by 8 − bits).
    /// </summary>
    public static Tensor Grayscale(Tensor images, int bits = 8)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (bits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "bits must be 1..8");
        var s = images.shape;
        if (s.Length != 4 || s[1] is not (1 or 3))
            throw new ArgumentException($"images must have shape [N, 1 or 3, H, W], got [{string.Join(", ", s)}]", nameof(images));
        using var scope = NewDisposeScope();
        var x = images.to(ScalarType.Int64);
        var grey = s[1] == 1
            ? x
            : (x.narrow(1, 0, 1) * 299 + x.narrow(1, 1, 1) * 587 + x.narrow(1, 2, 1) * 114 + 500).div(1000, RoundingMode.floor);
        if (bits < 8) grey = grey.div(1 << (8 - bits), RoundingMode.floor);
        return grey.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The 2x downsampled view [N, C, H/2, W/2] of images [N, C, H, W] (whole numbers 0..255, H and W even): the mean of each
    /// 2x2 block rounded half up, (a + b + c + d + 2) / 4 rounded down.
    /// </summary>
    public static Tensor Downsample(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var s = images.shape;
        if (s.Length != 4 || s[2] % 2 != 0 || s[3] % 2 != 0)
            throw new ArgumentException($"images must have shape [N, C, H, W] with H and W even, got [{string.Join(", ", s)}]", nameof(images));
        using var scope = NewDisposeScope();
        var sums = images.to(ScalarType.Int64).view(s[0], s[1], s[2] / 2, 2, s[3] / 2, 2).sum([3, 5]);
        return (sums + 2).div(4, RoundingMode.floor).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>The 2x nearest-neighbour upsampling [N, C, 2H, 2W] of [N, C, H, W]: how a level reads the one below it.</summary>
    public static Tensor Upsample(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scope = NewDisposeScope();
        return images.repeat_interleave(2, 2).repeat_interleave(2, 3).MoveToOuterDisposeScope();
    }

    /// <summary>The pyramid [x, Downsample(x), Downsample²(x), ...] of <paramref name="levels"/> halvings (levels + 1 images).</summary>
    public static Tensor[] Pyramid(Tensor images, int levels)
    {
        if (levels < 0) throw new ArgumentOutOfRangeException(nameof(levels), levels, "levels must be >= 0");
        var result = new Tensor[levels + 1];
        result[0] = images.alias();
        for (int k = 1; k <= levels; k++) result[k] = Downsample(result[k - 1]);
        return result;
    }

    /// <summary>A view of 2^bits levels expanded to 0..255 (value · 255 / (2^bits − 1), exact), the scale an image condition reads.</summary>
    public static Tensor Expand(Tensor view, int bits) => bits == 8 ? view.alias() : view * (255.0 / ((1 << bits) - 1));
}

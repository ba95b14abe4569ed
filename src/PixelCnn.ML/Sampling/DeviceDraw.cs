// The draw of SubPixelDraw done on the device for a whole batch, so that sampling on a GPU needs no
// host round trip per sub-pixel: the log-probabilities stay where they were computed, the drawn
// values go straight into the decoder's buffers, and the host sees the images once at the end.
// Same rule as SubPixelDraw (inverse CDF of softmax(logProbs / T) in float64 on a given uniform;
// T = 0 takes the first most likely value; NaN weighs nothing), with the cumulative sums taken by
// cumsum, so a draw can differ from the host's only where u lands within rounding of a CDF step.
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Sampling;

internal static class DeviceDraw
{
    /// <summary>
    /// Values [B] (float32, whole numbers 0..L−1) drawn from <paramref name="logProbs"/> [B, L] with uniforms
    /// <paramref name="u"/> [B] (float64). Rows without a finite probability set <paramref name="invalid"/> (a bool
    /// scalar, or-ed in place) instead of throwing, so the check costs no synchronisation.
    /// </summary>
    public static Tensor Draw(Tensor logProbs, Tensor u, double temperature, Tensor invalid)
    {
        using var scope = NewDisposeScope();
        var z = logProbs.to(ScalarType.Float64).nan_to_num(double.NegativeInfinity, double.PositiveInfinity, double.NegativeInfinity);
        var (max, argmax) = z.max(1, keepdim: true);
        invalid.logical_or_(max.isfinite().logical_not().any());
        if (temperature == 0) return argmax.squeeze(1).to(ScalarType.Float32).MoveToOuterDisposeScope();
        var w = ((z - max) / temperature).exp();                            // the most likely value weighs 1
        var cdf = w.cumsum(1);
        long levels = z.shape[1];
        var target = u.unsqueeze(1) * cdf.narrow(1, levels - 1, 1);
        var first = cdf.le(target).sum(1);                                   // the first k whose CDF exceeds u·total
        var positive = w.gt(0).to(ScalarType.Int64);
        var last = (levels - 1) - positive.flip(1).argmax(1);   // u·total rounded up: the last value with any weight
        return first.minimum(last).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}

// The draw of one sub-pixel value from its log-probabilities (256, or the model's Levels), by inverse CDF in float64 on a
// uniform number given by the caller. Both decoders call this with the same uniforms, so their
// images can only differ where the float32 log-probabilities of the two paths straddle a CDF
// boundary within their rounding error (about 1e-6 of probability), which double arithmetic here
// does not widen.
namespace PixelCnn.ML.Sampling;

internal static class SubPixelDraw
{
    /// <summary>Values of an 8-bit sub-pixel, the most a model has.</summary>
    public const int MaxValues = 256;

    /// <summary>
    /// The value k whose cumulative interval under softmax(logProbs / temperature) contains
    /// <paramref name="u"/> in [0, 1); with temperature 0, the first most likely value.
    /// </summary>
    /// <param name="logProbs">One log-probability per value (its length is the number of values).</param>
    /// <param name="scratch">At least as many doubles of working space.</param>
    public static int Draw(ReadOnlySpan<float> logProbs, double u, double temperature, Span<double> scratch)
    {
        int values = logProbs.Length;
        double max = double.NegativeInfinity;
        int argmax = -1;
        for (int k = 0; k < values; k++)
        {
            double z = logProbs[k];
            if (z > max) { max = z; argmax = k; }
        }
        if (argmax < 0 || double.IsPositiveInfinity(max))
            throw new InvalidOperationException("the model produced no finite probability for a sub-pixel (NaN or infinite parameters)");
        if (temperature == 0) return argmax;

        // exp((z - max) / T): the most likely value gets weight 1, so the sum is in [1, values].
        double total = 0;
        for (int k = 0; k < values; k++)
        {
            double z = logProbs[k];
            double w = double.IsNaN(z) ? 0 : Math.Exp((z - max) / temperature);
            scratch[k] = w;
            total += w;
        }
        double target = u * total, acc = 0;
        int last = argmax;
        for (int k = 0; k < values; k++)
        {
            double w = scratch[k];
            if (w == 0) continue;
            acc += w;
            last = k;
            if (acc > target) return k;
        }
        return last; // u * total rounded up to the full sum: the last value with any probability
    }
}

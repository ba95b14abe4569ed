// The density scores the scorer offers, computed for a batch of images:
//   BitsPerDim        raw negative log-likelihood, bits per sub-pixel;
//   LikelihoodRatio   log p_background(x) − log p_model(x), in bits per sub-pixel, with a background model trained on
//                     perturbed inputs (InputPerturbation; Ren et al. 2019) or a local model of small receptive field
//                     trained on the same images (LikelihoodRatioBackground.Local);
//   InputComplexity   Serrà et al. (2020): bits/dim(x) − L(x), L the lossless-compressed size (InputComplexity);
//   DensityOfStates   Morningstar et al. (2021): −ln p̂ of the image's statistics (each pyramid level's bits, L(x)) under a
//                     kernel density estimate of held-out images' statistics (DensityOfStates).
// Whatever the kind, a higher score means more anomalous. The per-sub-pixel map is the model's bits (raw and input
// complexity and density of states, which have no per-pixel part) or the model's bits minus the background's
// (likelihood ratio).
namespace PixelCnn.ML.Scoring;

/// <summary>Which score the density scorer puts in its Score column.</summary>
public enum DensityScoreKind
{
    /// <summary>Raw bits/dim of the model.</summary>
    BitsPerDim,
    /// <summary>Bits/dim of the model minus bits/dim of a background model (<see cref="LikelihoodRatioBackground"/>; Ren et al. 2019).</summary>
    LikelihoodRatio,
    /// <summary>Bits/dim of the model minus the image's lossless-compressed size in bits/dim (Serrà et al. 2020).</summary>
    InputComplexity,
    /// <summary>
    /// How unusual the model's statistics of the image are among held-out images (<see cref="Scoring.DensityOfStates"/>;
    /// Morningstar et al. 2021): each level's bits of a pyramid model (or the bits/dim of another architecture) and the
    /// compressed size, scored by the negative log-density of a kernel estimate fitted at Fit time. Two-sided.
    /// </summary>
    DensityOfStates,
}

/// <summary>The background model of the likelihood-ratio score.</summary>
public enum LikelihoodRatioBackground
{
    /// <summary>
    /// Ren et al. (2019): the model's architecture trained on copies of the training images whose sub-pixels are replaced
    /// by uniform noise with probability μ, so it learns the population-level background statistics.
    /// </summary>
    Perturbed,
    /// <summary>
    /// A Gated PixelCNN with a small receptive field (a few rows above, a few columns to the left) trained on the same
    /// images. It models the local pixel statistics (smoothness, edges, texture) that dominate raw likelihood and make
    /// simple images look likely (Schirrmeister et al. 2020; Kirichenko et al. 2020); the ratio keeps what the full
    /// model knows beyond them: shapes and layout.
    /// </summary>
    Local,
}

/// <summary>Scores of a batch: the raw bits/dim, the chosen score, and the per-sub-pixel map when asked for.</summary>
public sealed record DensityScoreResult(double[] BitsPerDim, double[] Score, float[]? Map);

public static class DensityScores
{
    /// <summary>Scores every image of <paramref name="data"/> with <paramref name="kind"/>.</summary>
    /// <param name="background">The background model, required for <see cref="DensityScoreKind.LikelihoodRatio"/>.</param>
    /// <param name="states">The fitted estimate, required for <see cref="DensityScoreKind.DensityOfStates"/>.</param>
    public static DensityScoreResult Compute(PixelCnnModel model, PixelCnnModel? background, DensityScoreKind kind, ComplexityCompressor compressor,
                                             Data.ImageDataset data, int batchSize = 256, bool map = false, CancellationToken cancellationToken = default,
                                             DensityOfStates? states = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (kind == DensityScoreKind.DensityOfStates)
        {
            if (states is null) throw new ArgumentException("the density-of-states score needs a fitted estimate", nameof(states));
            var (statistics, bits) = DensityOfStates.Statistics(model, data, compressor, batchSize, cancellationToken);
            var bitsMap = map ? model.Score(data, batchSize, true, cancellationToken: cancellationToken).BitsMap : null;
            return new(bits, statistics.Select(states.NegativeLogDensity).ToArray(), bitsMap);
        }
        var r = model.Score(data, batchSize, map, cancellationToken: cancellationToken);
        switch (kind)
        {
            case DensityScoreKind.BitsPerDim:
                return new(r.BitsPerDim, r.BitsPerDim, r.BitsMap);
            case DensityScoreKind.LikelihoodRatio:
            {
                if (background is null) throw new ArgumentException("the likelihood-ratio score needs a background model", nameof(background));
                var b = background.Score(data, batchSize, map, cancellationToken: cancellationToken);
                var score = r.BitsPerDim.Zip(b.BitsPerDim, (m, bg) => m - bg).ToArray();
                float[]? diff = null;
                if (map)
                {
                    diff = new float[r.BitsMap!.Length];
                    for (int i = 0; i < diff.Length; i++) diff[i] = r.BitsMap[i] - b.BitsMap![i];
                }
                return new(r.BitsPerDim, score, diff);
            }
            case DensityScoreKind.InputComplexity:
                return new(r.BitsPerDim, InputComplexityScores(r.BitsPerDim, data, compressor), r.BitsMap);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown score kind");
        }
    }

    /// <summary>The input-complexity scores bits/dim(x) − L(x) of <paramref name="data"/>, given the model's bits/dim of it.</summary>
    public static double[] InputComplexityScores(IReadOnlyList<double> bitsPerDim, Data.ImageDataset data, ComplexityCompressor compressor)
    {
        ArgumentNullException.ThrowIfNull(bitsPerDim);
        ArgumentNullException.ThrowIfNull(data);
        if (bitsPerDim.Count != data.Count) throw new ArgumentException($"{bitsPerDim.Count} scores for {data.Count} images", nameof(bitsPerDim));
        var complexity = InputComplexity.BitsPerDim(data.Pixels, data.Count, data.Channels, data.Height, data.Width, compressor);
        return complexity.Select((l, i) => bitsPerDim[i] - l).ToArray();
    }

    /// <summary>
    /// PixelDefend's p-value of a score against reference scores of normal data (sorted ascending): the share of the
    /// reference at least as anomalous, (1 + #{r ≥ s}) / (N + 1). Small p-values mark unusual inputs; NaN stays NaN.
    /// </summary>
    public static double PValue(double score, IReadOnlyList<double> sortedReference)
    {
        ArgumentNullException.ThrowIfNull(sortedReference);
        if (double.IsNaN(score)) return double.NaN;
        int lo = 0, hi = sortedReference.Count;   // first index with reference >= score
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (sortedReference[mid] < score) lo = mid + 1; else hi = mid;
        }
        return (1.0 + sortedReference.Count - lo) / (sortedReference.Count + 1.0);
    }
}

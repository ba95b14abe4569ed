// The typicality test of Nalisnick et al. (2019), "Detecting Out-of-Distribution Inputs to Deep Generative Models
// Using Typicality". In high dimensions, samples of a distribution have a negative log-likelihood close to its
// entropy, not the lowest one: a batch is typical when its mean bits/dim is within ε of the training entropy
// estimate Ĥ (the mean bits/dim of held-out training data). ε is the (1 − α) quantile of |mean − Ĥ| over bootstrap
// batches of the same size drawn from held-out data. The test is two-sided: a batch that is *more* likely than the
// data also fails, which is what catches the simple images raw likelihood prefers. It is a test of batches: with a
// batch of one it reduces to |bits/dim − Ĥ| > ε, a two-sided threshold on single scores, and loses most of its power.
namespace PixelCnn.ML.Evaluation;

/// <summary>A fitted typicality test for batches of <see cref="BatchSize"/> images.</summary>
public sealed class TypicalityTest
{
    private TypicalityTest(double entropy, double epsilon, int batchSize, double alpha) =>
        (Entropy, Epsilon, BatchSize, Alpha) = (entropy, epsilon, batchSize, alpha);

    /// <summary>Ĥ: the mean bits/dim of the held-out data.</summary>
    public double Entropy { get; }
    /// <summary>ε: batches whose mean bits/dim is further than this from Ĥ are out of distribution.</summary>
    public double Epsilon { get; }
    public int BatchSize { get; }
    /// <summary>The false-alarm rate ε was set for, on in-distribution batches.</summary>
    public double Alpha { get; }

    /// <summary>
    /// Fits Ĥ and ε from held-out bits/dim (ideally data the model was not trained on), with <paramref name="bootstraps"/>
    /// batches of <paramref name="batchSize"/> drawn with replacement.
    /// </summary>
    public static TypicalityTest Fit(IReadOnlyList<double> heldOutBitsPerDim, int batchSize, double alpha = 0.01, int bootstraps = 2000, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(heldOutBitsPerDim);
        if (heldOutBitsPerDim.Count < 2) throw new ArgumentException("at least two held-out scores are needed", nameof(heldOutBitsPerDim));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be >= 1");
        if (alpha is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in (0, 1)");
        if (bootstraps < 10) throw new ArgumentOutOfRangeException(nameof(bootstraps), bootstraps, "bootstraps must be >= 10");
        if (heldOutBitsPerDim.Any(v => !double.IsFinite(v))) throw new ArgumentException("held-out scores must be finite", nameof(heldOutBitsPerDim));
        double entropy = heldOutBitsPerDim.Average();
        var rng = new Random(seed);
        var distances = new double[bootstraps];
        for (int b = 0; b < bootstraps; b++)
        {
            double sum = 0;
            for (int k = 0; k < batchSize; k++) sum += heldOutBitsPerDim[rng.Next(heldOutBitsPerDim.Count)];
            distances[b] = Math.Abs(sum / batchSize - entropy);
        }
        Array.Sort(distances);
        double epsilon = distances[Math.Min(bootstraps - 1, (int)Math.Ceiling((1 - alpha) * bootstraps) - 1)];
        return new TypicalityTest(entropy, epsilon, batchSize, alpha);
    }

    /// <summary>|mean bits/dim of the batch − Ĥ|.</summary>
    public double Statistic(IReadOnlyList<double> batchBitsPerDim)
    {
        ArgumentNullException.ThrowIfNull(batchBitsPerDim);
        if (batchBitsPerDim.Count == 0) throw new ArgumentException("the batch is empty", nameof(batchBitsPerDim));
        return Math.Abs(batchBitsPerDim.Average() - Entropy);
    }

    /// <summary>True when the batch's statistic exceeds ε. The batch should have <see cref="BatchSize"/> images.</summary>
    public bool IsOutOfDistribution(IReadOnlyList<double> batchBitsPerDim) => Statistic(batchBitsPerDim) > Epsilon;

    /// <summary>The statistic of consecutive batches of <see cref="BatchSize"/> scores (a last, shorter batch is dropped).</summary>
    public double[] BatchStatistics(IReadOnlyList<double> bitsPerDim)
    {
        ArgumentNullException.ThrowIfNull(bitsPerDim);
        return Enumerable.Range(0, bitsPerDim.Count / BatchSize)
            .Select(b => Statistic(bitsPerDim.Skip(b * BatchSize).Take(BatchSize).ToList())).ToArray();
    }
}

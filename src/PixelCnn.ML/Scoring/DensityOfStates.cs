// Density of states (Morningstar et al. 2021, "Density of States Estimation for Out-of-Distribution Detection"): a
// likelihood alone is one number that mixes content with complexity, and OOD images can be *more* likely than the data.
// The model gives several statistics of an image instead, and the score is how unusual that combination of statistics
// is among normal images: the negative log-density of a kernel density estimate fitted on the statistics of held-out
// images. Unusually likely images (simple inputs) and unusually unlikely ones are both flagged.
//
// The statistics: for the auxiliary-variable architectures each part's bits per sub-pixel of its own view (a pyramid's
// 7x7 level, 14x14 given 7x7 and 28x28 given 14x14: the coarse level carries the layout, the fine ones the texture),
// for the others the model's bits/dim; and in both cases the image's lossless-compressed size in bits/dim (its
// complexity, Serrà et al. 2020).
//
// The estimate: the statistics are whitened with the reference's mean and covariance (Cholesky factor L), and a
// Gaussian kernel of bandwidth h = (4 / (d + 2))^(1 / (d + 4)) · n^(−1 / (d + 4)) (Silverman's rule) sits on every
// whitened reference point; in the statistics' own space that is a Gaussian kernel with covariance h²Σ.
using PixelCnn.ML.Models;

namespace PixelCnn.ML.Scoring;

public sealed class DensityOfStates
{
    private readonly double[] _mean;
    private readonly double[] _cholesky;   // lower-triangular L, row-major [d, d], Σ = L Lᵀ
    private readonly double[][] _whitened; // the reference points, L⁻¹(s − μ)
    private readonly double _logNormalizer;

    private DensityOfStates(double[][] reference)
    {
        Reference = reference;
        int n = reference.Length, d = reference[0].Length;
        Dimensions = d;
        _mean = new double[d];
        foreach (var s in reference) for (int k = 0; k < d; k++) _mean[k] += s[k] / n;
        var cov = new double[d * d];
        foreach (var s in reference)
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++) cov[a * d + b] += (s[a] - _mean[a]) * (s[b] - _mean[b]) / (n - 1);
        // A statistic that does not vary (or two that move together) leaves Σ singular: a ridge of 1e-6 of the largest variance.
        double ridge = 1e-6 * Math.Max(Enumerable.Range(0, d).Max(k => cov[k * d + k]), 1e-12);
        for (int k = 0; k < d; k++) cov[k * d + k] += ridge;
        _cholesky = Cholesky(cov, d);
        _whitened = reference.Select(Whiten).ToArray();
        Bandwidth = Math.Pow(4.0 / (d + 2), 1.0 / (d + 4)) * Math.Pow(n, -1.0 / (d + 4));
        double logDet = 0;
        for (int k = 0; k < d; k++) logDet += Math.Log(_cholesky[k * d + k]);
        _logNormalizer = 0.5 * d * Math.Log(2 * Math.PI) + d * Math.Log(Bandwidth) + logDet;
    }

    /// <summary>Fits the estimate on the statistics of normal images (rows of equal length; rows with NaN are left out).</summary>
    public static DensityOfStates Fit(IEnumerable<double[]> statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        var rows = statistics.Where(s => s.All(double.IsFinite)).Select(s => (double[])s.Clone()).ToArray();
        if (rows.Length < 3) throw new ArgumentException($"the density of states needs at least 3 reference images with finite statistics, got {rows.Length}", nameof(statistics));
        int d = rows[0].Length;
        if (d == 0 || rows.Any(r => r.Length != d)) throw new ArgumentException("every row of statistics must have the same, non-zero length", nameof(statistics));
        return new DensityOfStates(rows);
    }

    /// <summary>The reference statistics the estimate was fitted on (one row per image).</summary>
    public IReadOnlyList<double[]> Reference { get; }
    /// <summary>Statistics per image.</summary>
    public int Dimensions { get; }
    /// <summary>The kernel bandwidth in whitened units.</summary>
    public double Bandwidth { get; }

    /// <summary>−ln p̂(s): the negative log-density of <paramref name="statistics"/> under the estimate (NaN in, NaN out).</summary>
    public double NegativeLogDensity(double[] statistics) => NegativeLogDensity(statistics, -1);

    /// <summary>The reference images' own scores, each with its own kernel left out (what a new normal image would get).</summary>
    public double[] LeaveOneOutScores() => Enumerable.Range(0, Reference.Count).Select(i => NegativeLogDensity(Reference[i], i)).ToArray();

    private double NegativeLogDensity(double[] statistics, int leaveOut)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (statistics.Length != Dimensions) throw new ArgumentException($"{statistics.Length} statistics, the estimate has {Dimensions}", nameof(statistics));
        if (!statistics.All(double.IsFinite)) return double.NaN;
        var z = Whiten(statistics);
        double inv = 1 / (Bandwidth * Bandwidth), max = double.NegativeInfinity;
        var e = new double[_whitened.Length];
        for (int i = 0; i < e.Length; i++)
        {
            if (i == leaveOut) { e[i] = double.NegativeInfinity; continue; }
            double q = 0;
            for (int k = 0; k < z.Length; k++) { double t = z[k] - _whitened[i][k]; q += t * t; }
            e[i] = -0.5 * q * inv;
            max = Math.Max(max, e[i]);
        }
        double sum = 0;
        foreach (var v in e) sum += Math.Exp(v - max);
        int n = leaveOut >= 0 ? e.Length - 1 : e.Length;
        return -(max + Math.Log(sum) - Math.Log(n) - _logNormalizer);
    }

    private double[] Whiten(double[] s)
    {
        int d = Dimensions;
        var z = new double[d];
        for (int i = 0; i < d; i++)
        {
            double v = s[i] - _mean[i];
            for (int k = 0; k < i; k++) v -= _cholesky[i * d + k] * z[k];
            z[i] = v / _cholesky[i * d + i];
        }
        return z;
    }

    private static double[] Cholesky(double[] a, int d)
    {
        var l = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = a[i * d + j];
                for (int k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
                l[i * d + j] = i == j ? Math.Sqrt(Math.Max(s, 1e-300)) : s / l[j * d + j];
            }
        return l;
    }

    /// <summary>
    /// The statistics of every image of <paramref name="data"/> under <paramref name="model"/>: each part's bits per
    /// sub-pixel of its own view for the auxiliary-variable architectures (<see cref="AuxiliaryPixelCnn.PartNames"/> order),
    /// else the bits/dim; then the compressed size L(x) in bits/dim. Also returns every image's bits/dim.
    /// </summary>
    public static (double[][] Statistics, double[] BitsPerDim) Statistics(PixelCnnModel model, Data.ImageDataset data, ComplexityCompressor compressor,
                                                                           int batchSize = 256, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var complexity = InputComplexity.BitsPerDim(data.Pixels, data.Count, data.Channels, data.Height, data.Width, compressor);
        double ln2 = Math.Log(2), dims = model.Config.Dimensions;
        if (model.Network is AuxiliaryPixelCnn staged)
        {
            var partDims = staged.Parts.Select(p => (double)p.Config.Dimensions).ToArray();
            int parts = partDims.Length;
            var nats = model.PartNats(data, batchSize, cancellationToken);
            var stats = new double[data.Count][];
            var bits = new double[data.Count];
            for (int i = 0; i < data.Count; i++)
            {
                stats[i] = new double[parts + 1];
                double total = 0;
                for (int k = 0; k < parts; k++)
                {
                    double v = nats[(long)i * parts + k];
                    stats[i][k] = v / (partDims[k] * ln2);
                    total += v;
                }
                stats[i][parts] = complexity[i];
                bits[i] = total / (dims * ln2);
            }
            return (stats, bits);
        }
        var r = model.Score(data, batchSize, cancellationToken: cancellationToken);
        return (r.BitsPerDim.Select((b, i) => new[] { b, complexity[i] }).ToArray(), r.BitsPerDim);
    }
}

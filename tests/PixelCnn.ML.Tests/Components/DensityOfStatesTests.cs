// The density-of-states score: the estimate is the Gaussian kernel density it claims to be (checked against the
// formula in the statistics' own space, kernel covariance h²Σ), it is two-sided, and the density scorer fitted with
// it on a pyramid model scores rows with the statistics of that model and round-trips through ML.NET save and load.
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;

namespace PixelCnn.ML.Tests.Components;

[TestClass]
public class DensityOfStatesTests
{
    private static double[][] Sample(int n, int seed)
    {
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        // Two correlated statistics with different scales.
        return Enumerable.Range(0, n).Select(_ => { double a = Normal(), b = Normal(); return new[] { 3 + 0.5 * a, 10 + 2 * (0.8 * a + 0.6 * b) }; }).ToArray();
    }

    [TestMethod]
    public void The_estimate_is_a_gaussian_kernel_density_with_covariance_h_squared_sigma_in_the_statistics_own_space()
    {
        var reference = Sample(40, 1);
        var states = DensityOfStates.Fit(reference);
        int n = reference.Length;
        Assert.AreEqual(Math.Pow(4.0 / 4, 1.0 / 6) * Math.Pow(n, -1.0 / 6), states.Bandwidth, 1e-12, "Silverman's rule for d = 2");
        // Σ: the sample covariance; the kernel N(s; s_i, h²Σ) written out with the 2x2 inverse and determinant.
        double m0 = reference.Average(r => r[0]), m1 = reference.Average(r => r[1]);
        double c00 = reference.Sum(r => (r[0] - m0) * (r[0] - m0)) / (n - 1), c11 = reference.Sum(r => (r[1] - m1) * (r[1] - m1)) / (n - 1),
               c01 = reference.Sum(r => (r[0] - m0) * (r[1] - m1)) / (n - 1);
        double ridge = 1e-6 * Math.Max(c00, c11);
        (c00, c11) = (c00 + ridge, c11 + ridge);
        double h2 = states.Bandwidth * states.Bandwidth, det = h2 * h2 * (c00 * c11 - c01 * c01);
        foreach (var s in new[] { new[] { 3.0, 10.0 }, new[] { 2.2, 12.5 }, new[] { 4.5, 6.0 } })
        {
            double density = 0;
            foreach (var r in reference)
            {
                double x = s[0] - r[0], y = s[1] - r[1];
                double q = (c11 * x * x - 2 * c01 * x * y + c00 * y * y) / (c00 * c11 - c01 * c01) / h2;
                density += Math.Exp(-0.5 * q) / (2 * Math.PI * Math.Sqrt(det)) / n;
            }
            Assert.AreEqual(-Math.Log(density), states.NegativeLogDensity(s), 1e-6, $"at ({s[0]}, {s[1]})");
        }
        Assert.IsTrue(double.IsNaN(states.NegativeLogDensity([double.NaN, 1])));
    }

    [TestMethod]
    public void The_score_is_two_sided_and_leave_one_out_drops_only_the_rows_own_kernel()
    {
        var reference = Sample(200, 2);
        var states = DensityOfStates.Fit(reference);
        double centre = states.NegativeLogDensity([3, 10]);
        // Too likely and too unlikely alike: a row far below the reference and one far above both score higher.
        Assert.IsTrue(states.NegativeLogDensity([1, 4]) > centre + 2);
        Assert.IsTrue(states.NegativeLogDensity([5, 16]) > centre + 2);
        // Off the correlation: each statistic typical on its own, the pair not.
        Assert.IsTrue(states.NegativeLogDensity([3.8, 7]) > centre + 2);
        var loo = states.LeaveOneOutScores();
        for (int i = 0; i < 5; i++)
        {
            // Leaving kernel i out of the mean: p̂₋ᵢ = (n p̂ − K(0)) / (n − 1), K(0) the kernel's peak density.
            double n = reference.Length, peak = Math.Exp(-states.NegativeLogDensity(reference[i])) * n - Math.Exp(-loo[i]) * (n - 1);
            Assert.IsTrue(loo[i] > states.NegativeLogDensity(reference[i]), "without its own kernel a row is less likely");
            if (i > 0)
            {
                double first = Math.Exp(-states.NegativeLogDensity(reference[0])) * n - Math.Exp(-loo[0]) * (n - 1);
                Assert.AreEqual(first, peak, 1e-9 * first, "every row's own kernel has the same peak");
            }
        }
        Assert.ThrowsExactly<ArgumentException>(() => DensityOfStates.Fit([[1.0], [2.0]]));
    }

    private static PixelCnnDensityTrainer Trainer(MLContext ml, PixelCnnConfig model) =>
        ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = "Pixels", Model = model, ScoreKind = DensityScoreKind.DensityOfStates,
            Training = { BatchSize = 8, LearningRate = 5e-3, Epochs = 1 }, ValidationFraction = 0.25,
        });

    [TestMethod]
    public void A_pyramid_scorer_scores_each_levels_bits_and_the_png_size_and_round_trips_through_save_and_load()
    {
        var ml = new MLContext(seed: 6);
        var rows = DensityScorerTests.Rows(24, false);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pyramid = DensityScorerTests.Tiny with { Architecture = PixelCnnArchitecture.Pyramid, SuperResolutionBlocks = 1 };
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-dos-{Guid.NewGuid():N}.zip");
        try
        {
            float[] before, pBefore;
            using (var scorer = Trainer(ml, pyramid).Fit(data))
            {
                var states = scorer.States!;
                Assert.AreEqual(4, states.Dimensions, "2x2, 4x4 | 2x2, 8x8 | 4x4 and the PNG size");
                Assert.AreEqual(6, states.Reference.Count, "the held-out quarter of 24 rows");
                CollectionAssert.AreEqual(states.LeaveOneOutScores().Order().ToArray(), scorer.ReferenceScores.ToArray());
                var scored = scorer.Transform(data);
                (before, pBefore) = (scored.GetColumn<float>("Score").ToArray(), scored.GetColumn<float>("PValue").ToArray());
                var bpd = scored.GetColumn<float>("BitsPerDim").ToArray();
                var images = new ImageDataset(1, 8, 8, rows.SelectMany(r => r.Pixels.Select(v => (byte)v)).ToArray());
                var (statistics, bits) = DensityOfStates.Statistics(scorer.Model, images, ComplexityCompressor.Png);
                var model = scorer.Model.Score(images);
                for (int i = 0; i < rows.Count; i++)
                {
                    var s = statistics[i];
                    // Each level's bits per sub-pixel of its own view, weighted by its sub-pixels, add up to the image's bits.
                    Assert.AreEqual(model.BitsPerDim[i] * 64, s[0] * 4 + s[1] * 16 + s[2] * 64, 1e-3);
                    Assert.AreEqual(InputComplexity.BitsPerDim(images.Pixels.AsSpan(i * 64, 64), 1, 8, 8), s[3], 1e-12);
                    Assert.AreEqual(model.BitsPerDim[i], bpd[i], 1e-4);
                    Assert.AreEqual(bits[i], bpd[i], 1e-4);
                    Assert.AreEqual(states.NegativeLogDensity(s), before[i], 1e-4 * Math.Max(1, Math.Abs(before[i])));
                }
                ml.Model.Save(scorer, data.Schema, path);
            }
            using var loaded = (PixelCnnDensityTransformer)new MLContext().Model.Load(path, out _);
            Assert.AreEqual(DensityScoreKind.DensityOfStates, loaded.ScoreKind);
            Assert.IsNull(loaded.Background);
            var after = loaded.Transform(data);
            CollectionAssert.AreEqual(before, after.GetColumn<float>("Score").ToArray());
            CollectionAssert.AreEqual(pBefore, after.GetColumn<float>("PValue").ToArray());
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void A_flat_model_gives_its_bits_per_dim_and_the_png_size()
    {
        var ml = new MLContext(seed: 7);
        var rows = DensityScorerTests.Rows(16, false);
        using var scorer = Trainer(ml, DensityScorerTests.Tiny).Fit(ml.Data.LoadFromEnumerable(rows));
        Assert.AreEqual(2, scorer.States!.Dimensions);
        var images = new ImageDataset(1, 8, 8, rows.SelectMany(r => r.Pixels.Select(v => (byte)v)).ToArray());
        var (statistics, _) = DensityOfStates.Statistics(scorer.Model, images, ComplexityCompressor.Png);
        var model = scorer.Model.Score(images);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.AreEqual(model.BitsPerDim[i], statistics[i][0], 1e-12);
            Assert.AreEqual(InputComplexity.BitsPerDim(images.Pixels.AsSpan(i * 64, 64), 1, 8, 8), statistics[i][1], 1e-12);
        }
    }
}

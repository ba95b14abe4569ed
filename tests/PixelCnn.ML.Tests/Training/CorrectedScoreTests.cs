// The corrected scores and PixelDefend's p-value on cases that can be checked by hand, and the typicality test.
using PixelCnn.ML.Evaluation;
using PixelCnn.ML.Scoring;

namespace PixelCnn.ML.Tests.Training;

[TestClass]
public class CorrectedScoreTests
{
    [TestMethod]
    [DataRow(ComplexityCompressor.Png)]
    [DataRow(ComplexityCompressor.Brotli)]
    public void A_constant_image_has_near_zero_complexity_and_noise_about_eight_bits(ComplexityCompressor compressor)
    {
        var constant = Enumerable.Repeat((byte)137, 28 * 28).ToArray();
        var noise = new byte[28 * 28];
        new Random(1).NextBytes(noise);
        double c = InputComplexity.BitsPerDim(constant, 1, 28, 28, compressor);
        double n = InputComplexity.BitsPerDim(noise, 1, 28, 28, compressor);
        Assert.IsTrue(c < 0.3, $"constant image: {c} bits/dim");
        Assert.IsTrue(n is > 7.5 and < 9, $"uniform noise: {n} bits/dim (incompressible: about 8)");
        var rgb = new byte[3 * 16 * 16];
        Assert.IsTrue(InputComplexity.BitsPerDim(rgb, 3, 16, 16, compressor) < 0.3, "a black RGB image");
    }

    [TestMethod]
    public void The_p_value_is_the_share_of_reference_scores_at_least_as_high()
    {
        double[] reference = [1, 2, 2, 3];
        Assert.AreEqual(5 / 5.0, DensityScores.PValue(0.5, reference));
        Assert.AreEqual(4 / 5.0, DensityScores.PValue(2, reference), "ties count as at least as anomalous");
        Assert.AreEqual(2 / 5.0, DensityScores.PValue(2.5, reference));
        Assert.AreEqual(1 / 5.0, DensityScores.PValue(9, reference), "never 0: (1 + 0) / (N + 1)");
        Assert.IsTrue(double.IsNaN(DensityScores.PValue(double.NaN, reference)));
    }

    [TestMethod]
    public void The_typicality_test_passes_batches_of_the_data_and_flags_batches_too_likely_or_too_unlikely()
    {
        var rng = new Random(4);
        double Normal(double mean) => mean + 0.3 * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var heldOut = Enumerable.Range(0, 2000).Select(_ => Normal(3.0)).ToList();
        var test = TypicalityTest.Fit(heldOut, batchSize: 25, alpha: 0.01);
        Assert.AreEqual(3.0, test.Entropy, 0.03);
        int falseAlarms = Enumerable.Range(0, 400).Count(_ => test.IsOutOfDistribution(Enumerable.Range(0, 25).Select(_ => Normal(3.0)).ToList()));
        Assert.IsTrue(falseAlarms <= 16, $"{falseAlarms} of 400 in-distribution batches flagged at alpha 0.01");
        Assert.IsTrue(test.IsOutOfDistribution(Enumerable.Range(0, 25).Select(_ => Normal(2.7)).ToList()), "more likely than the data is atypical too");
        Assert.IsTrue(test.IsOutOfDistribution(Enumerable.Range(0, 25).Select(_ => Normal(3.3)).ToList()));
        Assert.AreEqual(2, test.BatchStatistics(Enumerable.Repeat(3.0, 60).ToList()).Length, "a last, shorter batch is dropped");
    }
}

// PixelDefend purification (PixelCnnSampler.Purify): the ε-ball is honoured, the model's own mode is a fixed point,
// the result is deterministic, and the cached walk equals the naive recomputation exactly.
using PixelCnn.ML.Models;
using PixelCnn.ML.Sampling;
using PixelCnn.ML.Tests.Engine;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Sampling;

[TestClass]
public class PurificationTests
{
    private static float[] Values(Tensor t) => t.to(ScalarType.Float32).data<float>().ToArray();

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, 1, OutputDistribution.Softmax256, 8)]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, 3, OutputDistribution.LogisticMixture, 16)]
    [DataRow(PixelCnnArchitecture.PixelCnn, 3, OutputDistribution.Softmax256, 3)]
    [DataRow(PixelCnnArchitecture.RowLstm, 3, OutputDistribution.Softmax256, 8)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm, 1, OutputDistribution.LogisticMixture, 8)]
    public void No_sub_pixel_moves_by_more_than_epsilon_and_the_cached_walk_equals_the_naive_one(PixelCnnArchitecture arch, int colours,
                                                                                               OutputDistribution output, int epsilon)
    {
        var config = SamplingModels.Config(arch, colours, ConditioningKind.None, output);
        using var model = SamplingModels.Model(config);
        using var scope = NewDisposeScope();
        var images = SamplingModels.Images(config);
        var input = Values(images);
        var cached = Values(model.Purify(images, epsilon, kind: SamplerKind.Cached));
        var naive = Values(model.Purify(images, epsilon, kind: SamplerKind.Naive));
        CollectionAssert.AreEqual(naive, cached, "the incremental walk equals a full recomputation at every step");
        Assert.IsTrue(input.Zip(cached).All(p => Math.Abs(p.First - p.Second) <= epsilon && p.Second == MathF.Round(p.Second)));
        Assert.IsTrue(input.Zip(cached).Any(p => p.First != p.Second), "an untrained model's mode differs from random pixels somewhere");
        CollectionAssert.AreEqual(cached, Values(model.Purify(images, epsilon)), "deterministic");
    }

    [TestMethod]
    public void Epsilon_zero_returns_the_input_and_the_models_own_mode_is_a_fixed_point()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 3, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var scope = NewDisposeScope();
        var images = SamplingModels.Images(config);
        CollectionAssert.AreEqual(Values(images), Values(model.Purify(images, 0)));
        // Argmax decoding gives the image whose every sub-pixel is the most likely one given the earlier ones: already
        // as likely as it can be, so purification keeps it, whatever the ball.
        var mode = model.Sample(2, options: new SamplingOptions { Temperature = 0 });
        CollectionAssert.AreEqual(Values(mode), Values(model.Purify(mode, 64)));
    }

    [TestMethod]
    public void Purifying_moves_a_perturbed_mode_back_towards_it_and_releases_its_tensors()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        long baseline = LiveTensors.Now;
        using (var scope = NewDisposeScope())
        {
            var mode = model.Sample(2, options: new SamplingOptions { Temperature = 0 });
            using var g = new Generator(5);
            var noise = (rand(mode.shape, generator: g) * 9).floor() - 4;            // -4..4 per sub-pixel
            var attacked = (mode + noise).clamp(0, 255);
            var purified = model.Purify(attacked, 4);
            double before = (attacked - mode).abs().sum().item<float>(), after = (purified - mode).abs().sum().item<float>();
            Assert.IsTrue(after < before, $"distance to the mode {before} → {after}");
        }
        Assert.AreEqual(baseline, LiveTensors.Now);
    }

    [TestMethod]
    public void An_epsilon_outside_the_pixel_range_is_refused()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var images = SamplingModels.Images(config);
        StringAssert.Contains(Assert.ThrowsException<ArgumentOutOfRangeException>(() => model.Purify(images, 256)).Message, "0..255");
    }
}

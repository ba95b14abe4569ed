// Interpolation between two conditions: a linear path, every image drawn with the same uniforms (SharedDraws).
using PixelCnn.ML.Models;
using PixelCnn.ML.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Sampling;

[TestClass]
public class InterpolationTests
{
    [TestMethod]
    public void The_path_runs_linearly_from_the_first_condition_to_the_second()
    {
        using var scope = NewDisposeScope();
        var path = PixelCnnSampler.InterpolationPath(tensor(new[] { 0f, 10f }), tensor(new[] { 4f, -10f }), 5, 2);
        CollectionAssert.AreEqual(new[] { 0f, 10f, 1f, 5f, 2f, 0f, 3f, -5f, 4f, -10f }, path.data<float>().ToArray());
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, ConditioningKind.Global)]
    [DataRow(PixelCnnArchitecture.PixelCnn, ConditioningKind.Spatial)]
    [DataRow(PixelCnnArchitecture.RowLstm, ConditioningKind.Global)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm, ConditioningKind.Spatial)]
    public void Every_image_of_the_path_uses_the_same_draws(PixelCnnArchitecture arch, ConditioningKind cond)
    {
        // With equal ends the condition is the same along the path, so the images must be too.
        var config = SamplingModels.Config(arch, 1, cond, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config, count: 1);
        using var end = h!.view(-1);
        using var images = PixelCnnSampler.Interpolate(model, end, end, 3, new SamplingOptions { Seed = 2 });
        var v = images.data<float>().ToArray();
        int d = config.Dimensions;
        Assert.IsTrue(v.AsSpan(0, d).SequenceEqual(v.AsSpan(d, d)) && v.AsSpan(0, d).SequenceEqual(v.AsSpan(2 * d, d)));
    }

    [TestMethod]
    public void The_ends_of_the_path_are_the_samples_of_the_end_conditions_with_the_same_seed()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.Global, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config, count: 2);
        using var scope = NewDisposeScope();
        var options = new SamplingOptions { Seed = 12 };
        var path = PixelCnnSampler.Interpolate(model, h!.select(0, 0), h.select(0, 1), 4, options).data<float>().ToArray();
        var first = PixelCnnSampler.Sample(model, 1, h.narrow(0, 0, 1), options).data<float>().ToArray();
        var last = PixelCnnSampler.Sample(model, 1, h.narrow(0, 1, 1), options).data<float>().ToArray();
        int d = config.Dimensions;
        CollectionAssert.AreEqual(first, path.AsSpan(0, d).ToArray());
        CollectionAssert.AreEqual(last, path.AsSpan(3 * d, d).ToArray());
        Assert.IsFalse(first.AsSpan().SequenceEqual(last), "different conditions should give different images");
    }

    [TestMethod]
    public void Shared_draws_make_sampling_a_batch_of_path_conditions_the_interpolation()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.Global, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config, count: 2);
        using var scope = NewDisposeScope();
        var path = PixelCnnSampler.InterpolationPath(h!.select(0, 0), h.select(0, 1), 4, config.ConditionSize);
        var interpolated = PixelCnnSampler.Interpolate(model, h.select(0, 0), h.select(0, 1), 4, new SamplingOptions { Seed = 5 }).data<float>().ToArray();
        var shared = PixelCnnSampler.Sample(model, 4, path, new SamplingOptions { Seed = 5, SharedDraws = true }).data<float>().ToArray();
        var own = PixelCnnSampler.Sample(model, 4, path, new SamplingOptions { Seed = 5 }).data<float>().ToArray();
        CollectionAssert.AreEqual(interpolated, shared);
        int d = config.Dimensions;
        CollectionAssert.AreEqual(own.AsSpan(0, d).ToArray(), shared.AsSpan(0, d).ToArray(), "shared draws are the first image's");
        Assert.IsFalse(own.AsSpan(d).SequenceEqual(shared.AsSpan(d)), "without shared draws the other images draw their own numbers");
    }

    [TestMethod]
    public void With_shared_draws_equal_conditions_give_equal_images_and_another_seed_others()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.Spatial, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config, count: 1);
        using var scope = NewDisposeScope();
        var same = h!.expand(3, -1).contiguous();
        var a = PixelCnnSampler.Sample(model, 3, same, new SamplingOptions { Seed = 8, SharedDraws = true }).data<float>().ToArray();
        var b = PixelCnnSampler.Sample(model, 3, same, new SamplingOptions { Seed = 9, SharedDraws = true }).data<float>().ToArray();
        int d = config.Dimensions;
        Assert.IsTrue(a.AsSpan(0, d).SequenceEqual(a.AsSpan(d, d)) && a.AsSpan(0, d).SequenceEqual(a.AsSpan(2 * d, d)));
        Assert.IsFalse(a.AsSpan(0, d).SequenceEqual(b.AsSpan(0, d)));
    }

    [TestMethod]
    public void Interpolating_an_unconditional_model_is_rejected()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var a = zeros([4]);
        Assert.ThrowsException<ArgumentException>(() => PixelCnnSampler.Interpolate(model, a, a, 3));
    }
}

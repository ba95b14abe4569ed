// Completion: the known leading sub-pixels are kept exactly, the rest is sampled, several
// completions per input draw different uniforms, and the two decoders agree.
using PixelCnn.ML.Models;
using PixelCnn.ML.Sampling;
using PixelCnn.ML.Tests.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Sampling;

[TestClass]
public class CompletionTests
{
    private const int PerImage = 3;

    /// <summary>Sub-pixel t (raster order, channel last) of image n in NCHW floats.</summary>
    private static float At(float[] nchw, PixelCnnConfig c, int n, long t)
    {
        long pixel = t / c.Channels;
        int ch = (int)(t % c.Channels), i = (int)(pixel / c.Width), j = (int)(pixel % c.Width);
        return nchw[(((long)n * c.Channels + ch) * c.Height + i) * c.Width + j];
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, 1, SamplerKind.Cached)]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, 3, SamplerKind.Cached)]
    [DataRow(PixelCnnArchitecture.PixelCnn, 3, SamplerKind.Cached)]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, 3, SamplerKind.Naive)]
    [DataRow(PixelCnnArchitecture.RowLstm, 3, SamplerKind.Cached)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm, 1, SamplerKind.Cached)]
    public void Known_rows_are_kept_exactly_in_every_completion(PixelCnnArchitecture arch, int colours, SamplerKind kind)
    {
        var config = SamplingModels.Config(arch, colours, ConditioningKind.Global, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var images = SamplingModels.Images(config, count: 2);
        using var h = SamplingModels.Conditions(config, count: 2);
        const int knownRows = 2;
        using var completed = PixelCnnSampler.Complete(model, images, knownRows, PerImage, h, new SamplingOptions { Kind = kind, Seed = 4 });
        CollectionAssert.AreEqual(new long[] { 2 * PerImage, colours, config.Height, config.Width }, completed.shape);
        var input = images.data<float>().ToArray();
        var output = completed.data<float>().ToArray();
        long known = (long)knownRows * config.Width * colours;
        for (int r = 0; r < 2 * PerImage; r++)
            for (long t = 0; t < known; t++)
                Assert.AreEqual(At(input, config, r / PerImage, t), At(output, config, r, t), $"completion {r}, sub-pixel {t}");
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn)]
    [DataRow(PixelCnnArchitecture.PixelCnn)]
    [DataRow(PixelCnnArchitecture.RowLstm)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm)]
    public void A_known_prefix_ending_inside_a_pixel_is_kept_exactly(PixelCnnArchitecture arch)
    {
        var config = SamplingModels.Config(arch, 3, ConditioningKind.None, OutputDistribution.LogisticMixture);
        using var model = SamplingModels.Model(config);
        using var images = SamplingModels.Images(config, count: 1);
        long prefix = (2L * config.Width + 3) * 3 + 2; // up to G of pixel (2, 3)
        using var completed = PixelCnnSampler.CompletePrefix(model, images, prefix, PerImage, null, new SamplingOptions { Seed = 8 });
        var input = images.data<float>().ToArray();
        var output = completed.data<float>().ToArray();
        for (int r = 0; r < PerImage; r++)
            for (long t = 0; t < prefix; t++)
                Assert.AreEqual(At(input, config, 0, t), At(output, config, r, t), $"completion {r}, sub-pixel {t}");
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn)]
    [DataRow(PixelCnnArchitecture.PixelCnn)]
    [DataRow(PixelCnnArchitecture.RowLstm)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm)]
    public void Cached_and_naive_completions_are_identical(PixelCnnArchitecture arch)
    {
        var config = SamplingModels.Config(arch, 3, ConditioningKind.Spatial, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var images = SamplingModels.Images(config, count: 2);
        using var h = SamplingModels.Conditions(config, count: 2);
        long prefix = (3L * config.Width + 1) * 3 + 1;
        using var cached = PixelCnnSampler.CompletePrefix(model, images, prefix, PerImage, h, new SamplingOptions { Seed = 6 });
        using var naive = PixelCnnSampler.CompletePrefix(model, images, prefix, PerImage, h, new SamplingOptions { Seed = 6, Kind = SamplerKind.Naive });
        CollectionAssert.AreEqual(naive.data<float>().ToArray(), cached.data<float>().ToArray());
    }

    [TestMethod]
    public void Completions_of_one_image_are_drawn_independently()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var images = SamplingModels.Images(config, count: 1);
        using var completed = PixelCnnSampler.Complete(model, images, 3, 2, null, new SamplingOptions { Seed = 1 });
        var output = completed.data<float>().ToArray();
        int d = config.Dimensions;
        Assert.IsFalse(output.AsSpan(0, d).SequenceEqual(output.AsSpan(d, d)), "both completions are identical");
    }

    [TestMethod]
    public void Completing_with_every_row_known_returns_the_inputs()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 3, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var images = SamplingModels.Images(config, count: 2);
        using var completed = PixelCnnSampler.Complete(model, images, config.Height, 1);
        CollectionAssert.AreEqual(images.data<float>().ToArray(), completed.data<float>().ToArray());
    }

    [TestMethod]
    public void Completion_releases_every_native_tensor()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.Global, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var images = SamplingModels.Images(config, count: 2);
        using var h = SamplingModels.Conditions(config, count: 2);
        long before = LiveTensors.Now;
        PixelCnnSampler.Complete(model, images, 2, PerImage, h).Dispose();
        Assert.AreEqual(before, LiveTensors.Now);
    }

    [TestMethod]
    [DataRow(-1)]
    [DataRow(7)]
    public void Known_rows_outside_the_image_height_are_rejected(int knownRows)
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var images = SamplingModels.Images(config, count: 1);
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => PixelCnnSampler.Complete(model, images, knownRows));
        Assert.AreEqual("knownRows", e.ParamName);
    }

    [TestMethod]
    public void Images_that_are_not_whole_numbers_0_to_255_are_rejected()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var images = SamplingModels.Images(config, count: 1);
        using var fractional = images + 0.5;
        using var large = images + 300;
        StringAssert.Contains(Assert.ThrowsException<ArgumentException>(() => PixelCnnSampler.Complete(model, fractional, 1)).Message, "whole numbers 0..255");
        StringAssert.Contains(Assert.ThrowsException<ArgumentException>(() => PixelCnnSampler.Complete(model, large, 1)).Message, "whole numbers 0..255");
    }
}

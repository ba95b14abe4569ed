// Sampling from scratch: the cached decoder gives the naive decoder's images for every variant,
// seeds behave, temperature 0 is argmax decoding, and every native tensor is released.
using PixelCnn.ML.Models;
using PixelCnn.ML.Sampling;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Tests.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Sampling;

[TestClass]
public class SamplerTests
{
    public static IEnumerable<object[]> Variants() => SamplingModels.Variants();

    private static byte[] SampleBytes(PixelCnnModel model, Tensor? h, SamplerKind kind, ulong seed = 5, double temperature = 1.0, int count = SamplingModels.Batch) =>
        PixelCnnSampler.SampleBytes(model, count, h, new SamplingOptions { Kind = kind, Seed = seed, Temperature = temperature });

    [TestMethod]
    [DynamicData(nameof(Variants), DynamicDataSourceType.Method)]
    public void Cached_and_naive_sampling_give_identical_images_for_the_same_seed(
        PixelCnnArchitecture arch, int colours, ConditioningKind cond, OutputDistribution output)
    {
        var config = SamplingModels.Config(arch, colours, cond, output);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config);
        var cached = SampleBytes(model, h, SamplerKind.Cached);
        var naive = SampleBytes(model, h, SamplerKind.Naive);
        CollectionAssert.AreEqual(naive, cached);
        Assert.IsTrue(cached.Distinct().Count() > 20, "the samples should spread over many values");
    }

    [TestMethod]
    public void The_same_seed_gives_identical_images_and_another_seed_different_ones()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 3, ConditioningKind.Global, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config);
        var a = SampleBytes(model, h, SamplerKind.Cached, seed: 21);
        var b = SampleBytes(model, h, SamplerKind.Cached, seed: 21);
        var c = SampleBytes(model, h, SamplerKind.Cached, seed: 22);
        CollectionAssert.AreEqual(a, b);
        int differing = a.Zip(c).Count(p => p.First != p.Second);
        Assert.IsTrue(differing > a.Length / 2, $"only {differing} of {a.Length} sub-pixels differ between seeds 21 and 22");
    }

    [TestMethod]
    public void Images_of_one_call_are_drawn_independently()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        var bytes = SampleBytes(model, null, SamplerKind.Cached);
        int d = config.Dimensions;
        Assert.IsFalse(bytes.AsSpan(0, d).SequenceEqual(bytes.AsSpan(d, d)), "images 0 and 1 are identical");
    }

    [TestMethod]
    public void Sample_returns_float_images_of_the_model_shape_on_its_device_matching_the_bytes()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.PixelCnn, 3, ConditioningKind.None, OutputDistribution.LogisticMixture);
        using var model = SamplingModels.Model(config);
        var options = new SamplingOptions { Seed = 3 };
        using var images = PixelCnnSampler.Sample(model, 2, null, options);
        CollectionAssert.AreEqual(new long[] { 2, 3, 6, 6 }, images.shape);
        Assert.AreEqual(ScalarType.Float32, images.dtype);
        Assert.AreEqual(model.Device.ToString(), images.device.ToString());
        var expected = PixelCnnSampler.SampleBytes(model, 2, null, options).Select(v => (float)v).ToArray();
        CollectionAssert.AreEqual(expected, images.data<float>().ToArray());
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, OutputDistribution.Softmax256)]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, OutputDistribution.LogisticMixture)]
    [DataRow(PixelCnnArchitecture.PixelCnn, OutputDistribution.Softmax256)]
    public void Temperature_zero_takes_the_most_likely_value_of_every_subpixel(PixelCnnArchitecture arch, OutputDistribution output)
    {
        var config = SamplingModels.Config(arch, 3, ConditioningKind.Spatial, output);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config);
        var bytes = SampleBytes(model, h, SamplerKind.Cached, temperature: 0);
        // The full forward pass over the result gives every sub-pixel's distribution given its prefix.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int n = SamplingModels.Batch, C = config.Channels, H = config.Height, W = config.Width, P = model.Network.Head.ParametersPerChannel;
        var x = tensor(bytes, n, C, H, W).to(ScalarType.Float32);
        var parameters = model.Network.forward(x, h).view(n, C, P, H, W).permute(0, 1, 3, 4, 2).reshape(-1, P);
        var argmax = model.Network.Head.LogProbs(parameters).argmax(1).data<long>().ToArray(); // N, C, H, W order
        for (int k = 0; k < bytes.Length; k++) Assert.AreEqual(argmax[k], (long)bytes[k], $"sub-pixel {k}");
    }

    [TestMethod]
    public void A_tiny_temperature_gives_the_argmax_decoding()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        CollectionAssert.AreEqual(SampleBytes(model, null, SamplerKind.Cached, temperature: 0), SampleBytes(model, null, SamplerKind.Cached, temperature: 1e-3));
    }

    [TestMethod]
    public void Progress_reports_every_completed_row()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        var rows = new List<int>();
        PixelCnnSampler.SampleBytes(model, 1, null, null, new SynchronousProgress(rows.Add));
        CollectionAssert.AreEqual(Enumerable.Range(1, config.Height).ToList(), rows);
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, SamplerKind.Cached)]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, SamplerKind.Naive)]
    [DataRow(PixelCnnArchitecture.PixelCnn, SamplerKind.Cached)]
    public void Sampling_releases_every_native_tensor(PixelCnnArchitecture arch, SamplerKind kind)
    {
        var config = SamplingModels.Config(arch, 3, ConditioningKind.Spatial, OutputDistribution.LogisticMixture);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config);
        long before = LiveTensors.Now;
        SampleBytes(model, h, kind);
        Assert.AreEqual(before, LiveTensors.Now);
    }

    [TestMethod]
    public void Cancelled_sampling_throws_and_releases_every_native_tensor()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.Global, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config);
        using var cts = new CancellationTokenSource();
        long before = LiveTensors.Now;
        var progress = new SynchronousProgress(row => { if (row == 2) cts.Cancel(); });
        Assert.ThrowsException<OperationCanceledException>(() =>
            PixelCnnSampler.SampleBytes(model, SamplingModels.Batch, h, null, progress, cts.Token));
        Assert.AreEqual(before, LiveTensors.Now);
        Assert.IsTrue(model.Network.training, "the network's training mode should be restored");
    }

    [TestMethod]
    public void Conditions_of_the_wrong_shape_are_rejected_naming_the_expected_shape()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.Global, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config, count: 2);
        var e = Assert.ThrowsException<ArgumentException>(() => PixelCnnSampler.SampleBytes(model, 3, h));
        StringAssert.Contains(e.Message, "[3, 4]");
        var missing = Assert.ThrowsException<ArgumentException>(() => PixelCnnSampler.SampleBytes(model, 3, null));
        StringAssert.Contains(missing.Message, "[3, 4]");
    }

    [TestMethod]
    public void Conditions_for_an_unconditional_model_are_rejected()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var h = ones([3, 4]);
        Assert.ThrowsException<ArgumentException>(() => PixelCnnSampler.SampleBytes(model, 3, h));
    }

    [TestMethod]
    [DataRow(-0.5)]
    [DataRow(double.NaN)]
    [DataRow(double.PositiveInfinity)]
    public void A_temperature_that_is_negative_or_not_finite_is_rejected(double temperature)
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() =>
            PixelCnnSampler.SampleBytes(model, 1, null, new SamplingOptions { Temperature = temperature }));
        Assert.AreEqual(nameof(SamplingOptions.Temperature), e.ParamName);
    }

    [TestMethod]
    public void Autoencoder_reconstructions_decode_each_image_embedding()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None, OutputDistribution.Softmax256)
            .AsAutoencoder(5) with { EncoderChannels = 4 };
        using var model = SamplingModels.Model(config);
        using var images = SamplingModels.Images(config, count: 2);
        var options = new SamplingOptions { Seed = 9 };
        using var scope = NewDisposeScope();
        var reconstructions = PixelCnnSampler.Reconstruct(model, images, 2, options);
        Tensor embeddings;
        using (no_grad()) embeddings = ((PixelCnnAutoencoder)model.Network).Encoder.forward(images);
        var repeated = embeddings.index_select(0, tensor(new long[] { 0, 0, 1, 1 }));
        var direct = PixelCnnSampler.Sample(model, 4, repeated, options);
        CollectionAssert.AreEqual(direct.data<float>().ToArray(), reconstructions.data<float>().ToArray());
    }

    /// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    internal sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}

// The sampling loop that keeps draws on the device (the default for CUDA models), run here on the CPU
// by forcing it: the batch draw agrees with the host's SubPixelDraw, cached = naive on that path too,
// completions keep their known sub-pixels, and it gives the same images as the host loop.
using PixelCnn.ML.Models;
using PixelCnn.ML.Sampling;
using PixelCnn.ML.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Sampling;

[TestClass]
public class DeviceDrawTests
{
    public static IEnumerable<object[]> Variants() => SamplingModels.Variants();

    private static byte[] SampleBytes(PixelCnnModel model, Tensor? h, SamplerKind kind, bool onDevice, double temperature = 1.0) =>
        PixelCnnSampler.SampleBytes(model, SamplingModels.Batch, h,
            new SamplingOptions { Kind = kind, Seed = 5, Temperature = temperature, DrawOnDevice = onDevice });

    private static int[] DrawBatch(float[][] logProbs, double[] u, double temperature, out bool invalid)
    {
        using var scope = NewDisposeScope();
        var flag = zeros([], ScalarType.Bool);
        var lp = stack(logProbs.Select(r => tensor(r)).ToArray());
        var drawn = DeviceDraw.Draw(lp, tensor(u), temperature, flag);
        invalid = flag.item<bool>();
        return drawn.data<float>().ToArray().Select(v => (int)v).ToArray();
    }

    [TestMethod]
    public void The_batch_draw_agrees_with_the_host_draw_on_random_distributions_and_uniforms()
    {
        var rng = new Random(11);
        var scratch = new double[256];
        foreach (var temperature in new[] { 1.0, 0.5, 2.0, 0.0 })
        {
            var rows = Enumerable.Range(0, 200).Select(_ => Enumerable.Range(0, 256).Select(_ => (float)(rng.NextDouble() * 12 - 6)).ToArray()).ToArray();
            var u = rows.Select(_ => rng.NextDouble()).ToArray();
            var device = DrawBatch(rows, u, temperature, out bool invalid);
            Assert.IsFalse(invalid);
            for (int r = 0; r < rows.Length; r++)
                Assert.AreEqual(SubPixelDraw.Draw(rows[r], u[r], temperature, scratch), device[r], $"row {r}, temperature {temperature}");
        }
    }

    [TestMethod]
    public void Zero_probability_values_are_never_drawn_and_a_rounded_up_uniform_takes_the_last_possible_value()
    {
        var lp = Enumerable.Repeat(float.NegativeInfinity, 256).ToArray();
        lp[4] = 0; lp[200] = 0; lp[7] = float.NaN;
        var drawn = DrawBatch([lp, lp, lp], [0.0, 0.6, Math.BitDecrement(1.0)], 1.0, out bool invalid);
        Assert.IsFalse(invalid);
        CollectionAssert.AreEqual(new[] { 4, 200, 200 }, drawn);
    }

    [TestMethod]
    public void A_distribution_without_a_finite_probability_is_flagged()
    {
        var nan = Enumerable.Repeat(float.NaN, 256).ToArray();
        var ok = new float[256];
        DrawBatch([ok, nan], [0.5, 0.5], 1.0, out bool invalid);
        Assert.IsTrue(invalid);
    }

    [TestMethod]
    [DynamicData(nameof(Variants), DynamicDataSourceType.Method)]
    public void Cached_and_naive_sampling_give_identical_images_when_drawing_on_the_device(
        PixelCnnArchitecture arch, int colours, ConditioningKind cond, OutputDistribution output)
    {
        var config = SamplingModels.Config(arch, colours, cond, output);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config);
        CollectionAssert.AreEqual(SampleBytes(model, h, SamplerKind.Naive, onDevice: true), SampleBytes(model, h, SamplerKind.Cached, onDevice: true));
    }

    [TestMethod]
    public void Drawing_on_the_device_gives_the_images_of_the_host_loop()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 3, ConditioningKind.Global, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var h = SamplingModels.Conditions(config);
        var host = SampleBytes(model, h, SamplerKind.Cached, onDevice: false);
        var device = SampleBytes(model, h, SamplerKind.Cached, onDevice: true);
        CollectionAssert.AreEqual(host, device);
        Assert.IsTrue(device.Distinct().Count() > 20, "the samples should spread over many values");
    }

    [TestMethod]
    public void Completions_drawn_on_the_device_keep_every_known_sub_pixel()
    {
        var config = SamplingModels.Config(PixelCnnArchitecture.GatedPixelCnn, 3, ConditioningKind.None, OutputDistribution.LogisticMixture);
        using var model = SamplingModels.Model(config);
        using var images = SamplingModels.Images(config, count: 1);
        long prefix = (2L * config.Width + 3) * 3 + 2; // up to G of pixel (2, 3)
        using var completed = PixelCnnSampler.CompletePrefix(model, images, prefix, 2, null, new SamplingOptions { Seed = 8, DrawOnDevice = true });
        var input = images.data<float>().ToArray();
        var output = completed.data<float>().ToArray();
        int plane = config.Height * config.Width;
        for (int r = 0; r < 2; r++)
            for (long t = 0; t < prefix; t++)
            {
                long pixel = t / 3, ch = t % 3;
                Assert.AreEqual(input[ch * plane + pixel], output[(r * 3 + ch) * plane + pixel], $"completion {r}, sub-pixel {t}");
            }
    }
}

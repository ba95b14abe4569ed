// Sampling given an image condition (colorization): every image follows its own condition, on every path.
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Components;
using PixelCnn.ML.Models;
using PixelCnn.ML.Sampling;
using PixelCnn.ML.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Models;

[TestClass]
public class ImageConditionSamplingTests
{
    [TestMethod]
    [DataRow(SamplerKind.Cached)]
    [DataRow(SamplerKind.Naive)]
    public void Each_image_of_a_batch_follows_its_own_image_condition(SamplerKind kind)
    {
        var config = new PixelCnnConfig
        {
            Channels = 3, Height = 6, Width = 6, Layers = 2, HiddenChannels = 12, OutputHiddenChannels = 24,
            Conditioning = ConditioningKind.Image, ConditionSize = 36,
        };
        using var model = PixelCnnModel.Create(config, seed: 3);
        using (no_grad())
            foreach (var (name, p) in model.Network.named_parameters())
                if (name.Contains("cond_logits")) p.normal_(0, 3); // the direct logits start at zero: make them matter
        using var g = new Generator(5);
        using var a = (rand([1, 36], generator: g) * 255).floor();
        using var b = 255 - a;
        var options = new SamplingOptions { Seed = 7, Kind = kind, SharedDraws = true };
        using var both = cat([a, b], 0);
        var pair = model.SampleBytes(2, both, options);
        var alone = model.SampleBytes(1, b, options);
        var first = model.SampleBytes(1, a, options);
        CollectionAssert.AreEqual(first, pair[..108], "the first image is the one drawn for its condition alone");
        CollectionAssert.AreEqual(alone, pair[108..], "the second image is the one drawn for its condition alone");
        CollectionAssert.AreNotEqual(pair[..108], pair[108..], "other conditions, other images (with the same draws)");
    }

    private sealed class Row
    {
        [VectorType(3, 6, 6)] public float[] Pixels { get; set; } = [];
        [VectorType(1, 6, 6)] public float[] Grey { get; set; } = [];
    }

    [TestMethod]
    public void The_colorizer_draws_each_rows_colourings_for_that_rows_grey_image()
    {
        var rng = new Random(8);
        var rows = Enumerable.Range(0, 5).Select(_ => new Row
        {
            Pixels = Enumerable.Range(0, 108).Select(_ => (float)rng.Next(256)).ToArray(),
            Grey = Enumerable.Range(0, 36).Select(_ => (float)rng.Next(256)).ToArray(),
        }).ToList();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        using var colorizer = ml.Transforms.PixelCnnConditionalSampler(new PixelCnnConditionalSamplerEstimator.Options
        {
            FeatureColumnName = "Pixels", ConditionColumnName = "Grey", SamplesPerRow = 2, SamplingBatchSize = 4, SharedDraws = true, SamplingSeed = 5,
            Model = new PixelCnnConfig { Layers = 2, HiddenChannels = 8, OutputHiddenChannels = 16, Conditioning = ConditioningKind.Image },
            Training = { BatchSize = 4, MaxSteps = 3, LearningRate = 0.05 },
        }).Fit(data);
        var generated = colorizer.Transform(data).GetColumn<VBuffer<float>>("GeneratedPixels").Select(v => v.DenseValues().Select(x => (byte)x).ToArray()).ToList();
        var options = new SamplingOptions { Seed = 5, SharedDraws = true };
        for (int r = 0; r < rows.Count; r++)
        {
            using var grey = tensor(rows[r].Grey, [1, 36]);
            using var twice = grey.expand(2, 36).contiguous();
            var expected = colorizer.Model.SampleBytes(2, twice, options);
            CollectionAssert.AreEqual(expected, generated[r], $"row {r}: the colourings of its own grey image");
        }
        CollectionAssert.AreNotEqual(generated[0], generated[1], "other grey images, other colourings");
    }
}

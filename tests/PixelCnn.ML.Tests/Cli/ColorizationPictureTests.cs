// The colorization picture (experiment colorization, colorize): every row shows the colourings drawn for its own grey
// image, read through ML.NET's Transform.
using Microsoft.ML;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Pictures;
using PixelCnn.ML.Samples.Experiments;
using PixelCnn.ML.Sampling;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Cli;

[TestClass]
public class ColorizationPictureTests
{
    [TestMethod]
    public void Each_row_of_the_picture_shows_the_colourings_of_its_own_grey_image()
    {
        var rng = new Random(8);
        var pixels = new byte[5 * 108];
        rng.NextBytes(pixels);
        var crops = Colorization.WithGreyConditions(new ImageDataset(3, 6, 6, pixels));
        var ml = new MLContext(seed: 1);
        using var colorizer = ml.Transforms.PixelCnnConditionalSampler(new PixelCnnConditionalSamplerEstimator.Options
        {
            FeatureColumnName = Colorization.PixelsColumn, ConditionColumnName = Colorization.GreyColumn, SamplesPerRow = 2, SamplingBatchSize = 4,
            SharedDraws = true, SamplingSeed = 5,
            Model = new PixelCnnConfig { Layers = 2, HiddenChannels = 8, OutputHiddenChannels = 16, Conditioning = ConditioningKind.Image },
            Training = { BatchSize = 4, MaxSteps = 3, LearningRate = 0.05 },
        }).Fit(Colorization.View(ml, crops));
        var cells = Colorization.Picture(ml, colorizer, crops);
        Assert.AreEqual(5 * 4, cells.Count, "grey, two colourings, original per row");
        var options = new SamplingOptions { Seed = 5, SharedDraws = true };
        for (int r = 0; r < 5; r++)
        {
            using var grey = tensor(crops.Conditions!.AsSpan(r * 36, 36).ToArray(), [1, 36]);
            using var twice = grey.expand(2, 36).contiguous();
            var expected = colorizer.Model.SampleBytes(2, twice, options);
            for (int k = 0; k < 2; k++)
                CollectionAssert.AreEqual(RasterImage.FromChw(expected, k, new ImageShape(3, 6, 6)).ToArray(), cells[r * 4 + 1 + k].ToArray(),
                                          $"row {r}, colouring {k}: drawn for the row's own grey image");
        }
        CollectionAssert.AreNotEqual(cells[1].ToArray(), cells[5].ToArray(), "other grey images, other colourings");
    }
}

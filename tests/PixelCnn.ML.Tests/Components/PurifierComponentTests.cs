// ml.Transforms.PixelCnnPurify: purified pixels replace the input column within ε, in front of an ML.NET classifier,
// the same through scorer.AsPurifier, and through mlContext.Model.Save/Load.
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Components;
using PixelCnn.ML.Sampling;

namespace PixelCnn.ML.Tests.Components;

[TestClass]
public class PurifierComponentTests
{
    private static float[][] Pixels(IDataView data, string column = "Pixels") =>
        data.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    [TestMethod]
    public void Purified_pixels_replace_the_input_within_epsilon_in_front_of_an_mlnet_classifier()
    {
        var ml = new MLContext(seed: 1);
        var rows = DensityScorerTests.Rows(16, false);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.PixelCnnPurify(new PixelCnnPurifierEstimator.Options
            { FeatureColumnName = "Pixels", Epsilon = 8, Model = DensityScorerTests.Tiny, Training = { BatchSize = 8, Epochs = 2 }, PurifyBatchSize = 5 })
            .Append(ml.Transforms.Conversion.MapValueToKey("Key", "ClassIndex"))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Key", "Pixels", maximumNumberOfIterations: 5));
        using var model = pipeline.Fit(data);
        var output = model.Transform(data);
        var purified = Pixels(output);
        Assert.AreEqual(16, purified.Length);
        for (int i = 0; i < rows.Count; i++)
            Assert.IsTrue(rows[i].Pixels.Zip(purified[i]).All(p => Math.Abs(p.First - p.Second) <= 8), $"row {i} moved by more than ε");
        Assert.IsTrue(rows.Zip(purified).Any(p => !p.First.Pixels.SequenceEqual(p.Second)), "purification changed something");
        Assert.AreEqual(16, output.GetColumn<uint>("PredictedLabel").Count(), "the classifier read the purified column");
        CollectionAssert.AreEqual(purified[3], Pixels(model.Transform(data))[3], "deterministic");
    }

    [TestMethod]
    public void A_scorer_purifies_as_a_view_and_the_purifier_round_trips_through_save_and_load()
    {
        var ml = new MLContext(seed: 2);
        var data = ml.Data.LoadFromEnumerable(DensityScorerTests.Rows(10, false));
        using var scorer = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny, Training = { BatchSize = 8, MaxSteps = 2 } }).Fit(data);
        using var view = scorer.AsPurifier(6, outputColumnName: "Purified");
        var viaView = Pixels(view.Transform(data), "Purified");
        var direct = scorer.Model.Purify(TorchSharp.torch.tensor(DensityScorerTests.Rows(10, false).SelectMany(r => r.Pixels).ToArray(), 10, 1, 8, 8), 6)
            .data<float>().ToArray();
        CollectionAssert.AreEqual(direct, viaView.SelectMany(v => v).ToArray());
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-purifier-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(view, data.Schema, path);
            using var loaded = (PixelCnnPurifierTransformer)new MLContext().Model.Load(path, out _);
            Assert.AreEqual(6, loaded.Epsilon);
            CollectionAssert.AreEqual(direct, Pixels(loaded.Transform(data), "Purified").SelectMany(v => v).ToArray());
        }
        finally { File.Delete(path); }
    }
}

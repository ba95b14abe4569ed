using System.IO.Compression;
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Tests.Engine;
using PixelCnn.ML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Training;

[TestClass]
public class ScoringTests
{
    [TestMethod]
    public void Scores_do_not_depend_on_the_batch_size_and_the_bits_map_adds_up()
    {
        using var model = PixelCnnModel.Create(TrainerTests.Tiny(), seed: 4);
        var data = TrainerTests.Bars(13);
        var a = model.Score(data, batchSize: 13, bitsMap: true);
        var b = model.Score(data, batchSize: 4);
        for (int i = 0; i < 13; i++)
        {
            Assert.AreEqual(a.BitsPerDim[i], b.BitsPerDim[i], 1e-5, $"image {i}");
            Assert.AreEqual(a.Nats[i] / (64 * Math.Log(2)), a.BitsPerDim[i], 1e-9);
            double mapSum = a.BitsMap!.AsSpan(i * 64, 64).ToArray().Sum(v => (double)v);
            Assert.AreEqual(a.BitsPerDim[i] * 64, mapSum, 1e-3, $"bits map of image {i}");
        }
        Assert.IsNull(b.BitsMap);
    }

    [TestMethod]
    public void Untrained_softmax_model_scores_near_eight_bits_per_dim()
    {
        using var model = PixelCnnModel.Create(TrainerTests.Tiny(), seed: 4);
        var bpd = model.Score(TrainerTests.Bars(8)).BitsPerDim;
        foreach (var v in bpd) Assert.IsTrue(v is > 7.5 and < 9.0, $"{v}");
    }

    [TestMethod]
    [DataRow(OutputDistribution.Softmax256, ConditioningKind.None)]
    [DataRow(OutputDistribution.LogisticMixture, ConditioningKind.Spatial)]
    [DataRow(OutputDistribution.Softmax256, ConditioningKind.Global, PixelCnnArchitecture.RowLstm)]
    [DataRow(OutputDistribution.LogisticMixture, ConditioningKind.Spatial, PixelCnnArchitecture.DiagonalBiLstm)]
    public void A_saved_model_loads_with_identical_scores(OutputDistribution output, ConditioningKind cond,
                                                         PixelCnnArchitecture architecture = PixelCnnArchitecture.GatedPixelCnn)
    {
        var config = TrainerTests.Tiny(cond) with { Output = output, Architecture = architecture };
        using var model = PixelCnnModel.Create(config, seed: 8);
        var data = TrainerTests.Bars(6, labels: cond != ConditioningKind.None);
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-{Guid.NewGuid():N}.zip");
        try
        {
            model.Save(path);
            using var loaded = PixelCnnModel.Load(path);
            Assert.AreEqual(config, loaded.Config);
            CollectionAssert.AreEqual(model.Score(data).Nats, loaded.Score(data).Nats);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void A_model_file_of_the_first_engine_with_training_settings_in_its_configuration_loads_with_identical_scores()
    {
        // The first engine's config.json also held batchSize, optimizer, learningRate, ...; they now live in
        // TrainingOptions, and a file that still has them loads unchanged.
        using var model = PixelCnnModel.Create(TrainerTests.Tiny(), seed: 8);
        var data = TrainerTests.Bars(6);
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-{Guid.NewGuid():N}.zip");
        try
        {
            model.Save(path);
            EditConfig(path, json =>
            {
                StringAssert.Contains(json, "\"layers\": 2,", "the configuration entry should have the layout this test edits");
                return json.Replace("\"layers\": 2,", "\"layers\": 2, \"batchSize\": 32, \"optimizer\": \"Adam\", \"learningRate\": 0.001, " +
                                    "\"learningRateDecay\": 1, \"gradientClipNorm\": 0, \"weightDecay\": 0,");
            });
            using var loaded = PixelCnnModel.Load(path);
            Assert.AreEqual(model.Config, loaded.Config);
            CollectionAssert.AreEqual(model.Score(data).Nats, loaded.Score(data).Nats);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void An_autoencoder_file_of_format_1_loads_without_the_equalized_encoder_output_and_scores_as_written()
    {
        // Format 1 predates EqualizedEncoderOutput: its encoder weights are the plain layer's, so it must load as plain.
        var plain = TrainerTests.Tiny().AsAutoencoder(3) with { EncoderChannels = 4, EqualizedEncoderOutput = false };
        using var model = PixelCnnModel.Create(plain, seed: 8);
        var data = TrainerTests.Bars(6);
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-{Guid.NewGuid():N}.zip");
        try
        {
            model.Save(path);
            EditConfig(path, json =>
            {
                StringAssert.Contains(json, "\"version\": 2,", "the configuration entry should have the layout this test edits");
                StringAssert.Contains(json, ",\n    \"equalizedEncoderOutput\": false");
                return json.Replace("\"version\": 2,", "\"version\": 1,").Replace(",\n    \"equalizedEncoderOutput\": false", "");
            });
            using var loaded = PixelCnnModel.Load(path);
            Assert.IsFalse(loaded.Config.EqualizedEncoderOutput);
            CollectionAssert.AreEqual(model.Score(data).Nats, loaded.Score(data).Nats);
            CollectionAssert.AreEqual(model.Encode(data), loaded.Encode(data));
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void A_model_file_with_tampered_weights_is_rejected()
    {
        using var model = PixelCnnModel.Create(TrainerTests.Tiny(), seed: 8);
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-{Guid.NewGuid():N}.zip");
        try
        {
            model.Save(path);
            EditConfig(path, json => json.Replace("\"hiddenChannels\": 8", "\"hiddenChannels\": 16"));
            var e = Assert.ThrowsException<InvalidDataException>(() => PixelCnnModel.Load(path));
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "weights.safetensors");
        }
        finally { File.Delete(path); }
    }

    /// <summary>Rewrites the config.json entry of the model file at <paramref name="path"/>.</summary>
    private static void EditConfig(string path, Func<string, string> edit)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.GetEntry("config.json")!;
        string json;
        using (var r = new StreamReader(entry.Open())) json = r.ReadToEnd();
        entry.Delete();
        using var w = new StreamWriter(zip.CreateEntry("config.json").Open());
        w.Write(edit(json));
    }

    [TestMethod]
    public void Scoring_releases_every_native_tensor()
    {
        using var model = PixelCnnModel.Create(TrainerTests.Tiny(), seed: 4);
        var data = TrainerTests.Bars(20);
        model.Score(data, batchSize: 6, bitsMap: true);
        long baseline = LiveTensors.Now;
        model.Score(data, batchSize: 6, bitsMap: true);
        Assert.AreEqual(baseline, LiveTensors.Now);
    }

    [TestMethod]
    public void Training_releases_every_native_tensor_it_does_not_return()
    {
        long baseline = LiveTensors.Now;
        var result = new PixelCnnTrainer(TrainerTests.Tiny(), new TrainingOptions { BatchSize = 8, Epochs = 2 }).Fit(TrainerTests.Bars(20), TrainerTests.Bars(8));
        long paramCount = result.Model.Network.state_dict().Count;
        result.Model.Dispose();
        Assert.AreEqual(baseline, LiveTensors.Now);
        Assert.IsTrue(paramCount > 0);
    }
}

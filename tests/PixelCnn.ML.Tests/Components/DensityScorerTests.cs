using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Tests.Engine;
using TorchSharp;

namespace PixelCnn.ML.Tests.Components;

[TestClass]
public class DensityScorerTests
{
    public sealed class Row
    {
        [VectorType(1, 8, 8)] public float[] Pixels = [];
        public float Label;
        [KeyType(3)] public uint Class;   // ML.NET reads a POCO key field as 0-based: the key value is Class + 1
        public int ClassIndex;
        [VectorType(2)] public float[] Embedding = [];
    }

    public sealed class Scored
    {
        public float BitsPerDim;
        public float Score;
        public bool PredictedLabel;
    }

    internal static readonly PixelCnnConfig Tiny = new() { Layers = 2, HiddenChannels = 8, OutputHiddenChannels = 16 };

    /// <summary>Normal rows: horizontal bars; anomalies: vertical bars (never seen in training).</summary>
    internal static List<Row> Rows(int n, bool anomalies, int seed = 1)
    {
        var rng = new Random(seed);
        var rows = new List<Row>();
        for (int i = 0; i < n; i++)
        {
            var px = new float[64];
            int level = 100 + rng.Next(3) * 60;
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 8; x++)
                    px[y * 8 + x] = ((anomalies ? x : y) % 2 == 0 ? level : 0) + rng.Next(3);
            int cls = rng.Next(3);
            rows.Add(new Row { Pixels = px, Label = anomalies ? 1 : 0, Class = (uint)cls, ClassIndex = cls, Embedding = [cls, 1 - cls] });
        }
        return rows;
    }

    [TestMethod]
    public void Pixels_scaled_to_0_1_are_refused_at_fit_and_at_transform_naming_the_extract_pixels_option()
    {
        // ExtractPixels(scaleImage: 1 / 255f) is common in ML.NET pipelines; rounding such values to levels 0 and 1 would
        // score the wrong images without a word.
        var ml = new MLContext(seed: 1);
        var rows = Rows(8, false);
        var scaled = ml.Data.LoadFromEnumerable(rows.Select(r => new Row { Pixels = r.Pixels.Select(v => v / 255f).ToArray(), Class = r.Class, Embedding = r.Embedding }).ToList());
        var trainer = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = Tiny, Training = { BatchSize = 8, MaxSteps = 1 } });
        static string Message(Action action)
        {
            try { action(); }
            catch (Exception e) { return string.Join(" | ", Chain(e).Select(x => x.Message)); }
            Assert.Fail("no error");
            return "";
        }
        static IEnumerable<Exception> Chain(Exception? e) { for (; e is not null; e = e.InnerException) yield return e; }
        var atFit = Message(() => trainer.Fit(scaled).Dispose());
        StringAssert.Contains(atFit, "Column 'Pixels' row 0: pixel value");
        StringAssert.Contains(atFit, "not a whole level 0..255");
        StringAssert.Contains(atFit, "scaleImage");
        using var model = trainer.Fit(ml.Data.LoadFromEnumerable(rows));
        var atTransform = Message(() => model.Transform(scaled).GetColumn<float>("Score").ToArray());
        StringAssert.Contains(atTransform, "Column 'Pixels' row 0: pixel value");
        StringAssert.Contains(atTransform, "scaleImage");
    }

    [TestMethod]
    public void Fit_reports_its_progress_through_the_mlnet_log_from_the_first_step()
    {
        var ml = new MLContext(seed: 1);
        var lines = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind >= Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.StartsWith("PixelCnn", StringComparison.Ordinal))
                lock (lines) lines.Add(e.Message);
        };
        using var model = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = Tiny, Training = { BatchSize = 4, Epochs = 1 } }).Fit(ml.Data.LoadFromEnumerable(Rows(8, false)));
        var all = string.Join("\n", lines);
        // The default interval (15 s) still logs the first step, so a long Fit speaks at once and then at that cadence.
        Assert.IsTrue(lines.Any(l => l.Contains("Epoch 1/1, step 1/2 (50%): ") && l.Contains(" bits/dim, ") && l.Contains(" images/s, ") && l.EndsWith(" left")), all);
        Assert.IsTrue(lines.Any(l => l.Contains("Epoch 1/1: train ")), all);

        lines.Clear();
        using var everyStep = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = Tiny, Training = { BatchSize = 2, Epochs = 1, LogInterval = TimeSpan.FromTicks(1) } }).Fit(ml.Data.LoadFromEnumerable(Rows(8, false)));
        Assert.AreEqual(4, lines.Count(l => l.Contains("Epoch 1/1, step ")), string.Join("\n", lines));
    }

    [TestMethod]
    public void Schema_propagation_adds_the_score_columns_before_any_training()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(4, false));
        var est = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options { FeatureColumnName = "Pixels", OutputBitsMap = true });
        var shape = est.GetOutputSchema(MLImageTesting.ShapeOf(data.Schema));
        Assert.AreEqual(NumberDataViewType.Single, shape.Find("BitsPerDim").ItemType);
        Assert.AreEqual(NumberDataViewType.Single, shape.Find("Score").ItemType);
        Assert.AreEqual(BooleanDataViewType.Instance, shape.Find("PredictedLabel").ItemType);
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, shape.Find("BitsMap").Kind);
    }

    [TestMethod]
    public void A_wrong_feature_column_fails_before_training_naming_the_column_and_types()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(4, false));
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() =>
            ml.AnomalyDetection.Trainers.PixelCnn("ClassIndex").Fit(data));
        StringAssert.Contains(e.Message, "'ClassIndex'");
        StringAssert.Contains(e.Message, "Vector<Single>");
        StringAssert.Contains(e.Message, "Int32");
        var missing = Assert.ThrowsException<ArgumentOutOfRangeException>(() => ml.AnomalyDetection.Trainers.PixelCnn("Nope").Fit(data));
        StringAssert.Contains(missing.Message, "'Nope'");
    }

    [TestMethod]
    public void Trained_scorer_ranks_unseen_patterns_as_anomalies_and_evaluates()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Rows(64, false));
        var test = ml.Data.LoadFromEnumerable(Rows(12, false, seed: 7).Concat(Rows(12, true, seed: 8)).ToList());
        using var model = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = "Pixels", Model = Tiny, Training = { BatchSize = 8, LearningRate = 5e-3, Epochs = 8 }, ThresholdPercentile = 95,
        }).Fit(train);
        Assert.AreEqual(95.0, model.ThresholdPercentile);
        var scored = model.Transform(test);
        var metrics = ml.AnomalyDetection.Evaluate(scored);          // ML.NET's own evaluator
        Assert.IsTrue(metrics.AreaUnderRocCurve > 0.95, $"AUC {metrics.AreaUnderRocCurve}");
        var detailed = ml.AnomalyDetection.EvaluateDetection(scored);
        Assert.AreEqual(metrics.AreaUnderRocCurve, detailed.AreaUnderRocCurve, 1e-6, "ours and ML.NET's AUC agree");
        Assert.AreEqual((12, 12), (detailed.Anomalies, detailed.Normals));
        var rows = ml.Data.CreateEnumerable<Scored>(scored, reuseRowObject: false).ToList();
        Assert.AreEqual(24, rows.Count);
        Assert.IsTrue(rows.All(r => r.Score == r.BitsPerDim && r.PredictedLabel == r.Score > model.Threshold));
        Assert.IsTrue(rows.Skip(12).Count(r => r.PredictedLabel) >= 10, "most anomalies should be flagged");
    }

    [TestMethod]
    public void Scores_match_the_model_scored_directly_and_the_bits_map_adds_up()
    {
        var ml = new MLContext(seed: 2);
        var rows = Rows(10, false);
        using var model = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = "Pixels", Model = Tiny, Training = { BatchSize = 8, LearningRate = 5e-3, MaxSteps = 2 }, OutputBitsMap = true, ScoreBatchSize = 3,
        }).Fit(ml.Data.LoadFromEnumerable(rows));
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        var bpd = scored.GetColumn<float>("BitsPerDim").ToArray();
        var maps = scored.GetColumn<VBuffer<float>>("BitsMap").Select(v => v.DenseValues().ToArray()).ToArray();
        var direct = model.Model.Score(new PixelCnn.ML.Data.ImageDataset(1, 8, 8, rows.SelectMany(r => r.Pixels.Select(v => (byte)v)).ToArray()));
        for (int i = 0; i < 10; i++)
        {
            Assert.AreEqual(direct.BitsPerDim[i], bpd[i], 1e-4);
            Assert.AreEqual(64, maps[i].Length);
            Assert.AreEqual(bpd[i] * 64, maps[i].Sum(), 1e-2);
        }
        var col = scored.Schema["BitsMap"].Type as VectorDataViewType;
        CollectionAssert.AreEqual(new[] { 1, 8, 8 }, col!.Dimensions.ToArray());
    }

    [TestMethod]
    [DataRow("Class")]
    [DataRow("ClassIndex")]
    [DataRow("Embedding")]
    public void Conditioned_scorer_trains_on_keys_class_indices_or_embeddings(string conditionColumn)
    {
        var ml = new MLContext(seed: 3);
        var data = ml.Data.LoadFromEnumerable(Rows(16, false));
        using var model = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = "Pixels", ConditionColumnName = conditionColumn, Model = Tiny, Training = { BatchSize = 8, LearningRate = 5e-3, MaxSteps = 2 },
        }).Fit(data);
        Assert.AreEqual(conditionColumn == "Embedding" ? 2 : 3, model.Model.Config.ConditionSize);
        var bpd = model.Transform(data).GetColumn<float>("BitsPerDim").ToArray();
        Assert.AreEqual(16, bpd.Length);
        Assert.IsTrue(bpd.All(float.IsFinite));
    }

    [TestMethod]
    public void Pixel_values_outside_0_to_255_are_rejected_naming_column_and_row()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(6, false);
        rows[4].Pixels[10] = 300;
        var e = Assert.ThrowsException<InvalidDataException>(() =>
            ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options { FeatureColumnName = "Pixels", Model = Tiny, Training = { BatchSize = 8, LearningRate = 5e-3, MaxSteps = 1 } })
                .Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(e.Message, "'Pixels' row 4");
        StringAssert.Contains(e.Message, "300");
    }

    [TestMethod]
    public void The_scorer_round_trips_through_a_model_file()
    {
        var ml = new MLContext(seed: 4);
        var data = ml.Data.LoadFromEnumerable(Rows(12, false));
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-scorer-{Guid.NewGuid():N}.zip");
        try
        {
            float[] before;
            double threshold;
            using (var model = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
                   { FeatureColumnName = "Pixels", ConditionColumnName = "Class", Model = Tiny, Training = { BatchSize = 8, LearningRate = 5e-3, MaxSteps = 2 } }).Fit(data))
            {
                before = model.Transform(data).GetColumn<float>("Score").ToArray();
                threshold = model.Threshold;
                ml.Model.Save(model, data.Schema, path);
            }
            var loaded = ml.Model.Load(path, out var schema);
            try
            {
                Assert.IsNotNull(schema.GetColumnOrNull("Pixels"));
                var after = loaded.Transform(data).GetColumn<float>("Score").ToArray();
                CollectionAssert.AreEqual(before, after);
                var chain = loaded as IEnumerable<ITransformer>;
                var scorer = loaded as PixelCnnDensityTransformer ?? chain!.OfType<PixelCnnDensityTransformer>().Single();
                Assert.AreEqual(threshold, scorer.Threshold);
            }
            finally { (loaded as IDisposable)?.Dispose(); }
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void Weights_export_to_plain_safetensors_and_import_into_another_scorer()
    {
        var ml = new MLContext(seed: 7);
        var data = ml.Data.LoadFromEnumerable(Rows(8, false));
        PixelCnnDensityTrainer Trainer(int seed) => ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = Tiny, Seed = seed, Training = { BatchSize = 8, MaxSteps = 2 } });
        using var a = Trainer(1).Fit(data);
        using var b = Trainer(2).Fit(data);
        var scoresA = a.Transform(data).GetColumn<float>("Score").ToArray();
        CollectionAssert.AreNotEqual(scoresA, b.Transform(data).GetColumn<float>("Score").ToArray(), "different seeds, different weights");
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-weights-{Guid.NewGuid():N}.safetensors");
        try
        {
            a.ExportWeights(path);
            Assert.IsTrue(File.Exists(Path.ChangeExtension(path, ".config.json")));
            using (var tensors = new PixelCnn.ML.Tests.Engine.TensorSet(PixelCnn.ML.Serialization.SafeTensors.Load(path)))
                CollectionAssert.AreEquivalent(a.Model.Network.state_dict().Keys.ToList(), tensors.Names.ToList(), "state-dict names, as PyTorch reads them");
            b.ImportWeights(path);
            CollectionAssert.AreEqual(scoresA, b.Transform(data).GetColumn<float>("Score").ToArray());
        }
        finally
        {
            File.Delete(path);
            File.Delete(Path.ChangeExtension(path, ".config.json"));
        }
    }

    [TestMethod]
    public void A_prediction_engine_scores_single_images()
    {
        var ml = new MLContext(seed: 5);
        var rows = Rows(8, false);
        using var model = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options { FeatureColumnName = "Pixels", Model = Tiny, Training = { BatchSize = 8, LearningRate = 5e-3, MaxSteps = 1 } })
            .Fit(ml.Data.LoadFromEnumerable(rows));
        var engine = ml.Model.CreatePredictionEngine<Row, Scored>(model);
        var batch = model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();
        Assert.IsTrue(batch.Distinct().Count() > 1, "the rows must score differently for this test to mean anything");
        for (int i = 0; i < 8; i++)
        {
            var p = engine.Predict(rows[i]);
            Assert.AreEqual(batch[i], p.Score, 1e-5, $"row {i}");
            Assert.AreEqual(p.Score, p.BitsPerDim);
        }
    }

    [TestMethod]
    public void Disposing_the_scorer_frees_its_native_memory()
    {
        long baseline = LiveTensors.Now;
        var ml = new MLContext(seed: 6);
        var data = ml.Data.LoadFromEnumerable(Rows(8, false));
        var model = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options { FeatureColumnName = "Pixels", Model = Tiny, Training = { BatchSize = 8, LearningRate = 5e-3, MaxSteps = 2 } }).Fit(data);
        model.Transform(data).GetColumn<float>("Score").ToArray();
        Assert.IsTrue(LiveTensors.Now > baseline);
        model.Dispose();
        Assert.AreEqual(baseline, LiveTensors.Now);
        Assert.ThrowsException<ObjectDisposedException>(() => model.Transform(data));
    }
}

using Microsoft.ML;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Training;

[TestClass]
public class TrainerTests
{
    internal static PixelCnnConfig Tiny(ConditioningKind cond = ConditioningKind.None) => new()
    {
        Height = 8, Width = 8, Layers = 2, HiddenChannels = 8, OutputHiddenChannels = 16,
        Conditioning = cond, ConditionSize = cond == ConditioningKind.None ? 0 : 3,
    };

    /// <summary>Structured 8x8 images: horizontal bars of a per-image grey level, plus a little noise.</summary>
    internal static ImageDataset Bars(int n, int seed = 3, bool labels = false)
    {
        var rng = new Random(seed);
        var px = new byte[n * 64];
        var lab = new int[n];
        for (int i = 0; i < n; i++)
        {
            lab[i] = rng.Next(3);
            int level = 60 + 80 * lab[i];
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 8; x++)
                    px[i * 64 + y * 8 + x] = (byte)(y % 2 == 0 ? Math.Min(255, level + rng.Next(4)) : rng.Next(4));
        }
        return labels ? ImageDataset.WithClassLabels(1, 8, 8, px, lab, 3) : new ImageDataset(1, 8, 8, px);
    }

    private static string TempPath(string name) => Path.Combine(Path.GetTempPath(), $"pixelcnn-test-{Guid.NewGuid():N}-{name}");

    [TestMethod]
    public void Training_loss_falls_and_beats_the_uniform_baseline()
    {
        var data = Bars(96);
        var trainer = new PixelCnnTrainer(Tiny(), new TrainingOptions { BatchSize = 8, LearningRate = 5e-3, Epochs = 4, Seed = 5 });
        var reports = new List<TrainingProgress>();
        var result = trainer.Fit(data, data.Slice(0, 32), new Progress(reports));
        using var model = result.Model;
        Assert.AreEqual(4, result.History.Count);
        Assert.IsTrue(result.History[^1].TrainBitsPerDim < result.History[0].TrainBitsPerDim, "training loss did not fall");
        Assert.IsTrue(result.History[^1].ValidationBitsPerDim < 5.0, $"validation {result.History[^1].ValidationBitsPerDim} bits/dim");
        Assert.AreEqual(4 * 12, result.Steps);
        Assert.AreEqual(48, reports.Count(r => r.Phase == TrainingPhase.Step));
        Assert.AreEqual(4, reports.Count(r => r.Phase == TrainingPhase.EpochEnd && r.ValidationBitsPerDim is not null));
        Assert.IsTrue(reports.Where(r => r.Phase == TrainingPhase.Step).All(r => r.ImagesPerSecond > 0 && r.Eta is not null));
    }

    /// <summary>Synchronous progress sink (Progress&lt;T&gt; posts to the thread pool).</summary>
    internal sealed class Progress(List<TrainingProgress> sink) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => sink.Add(value);
    }

    private sealed class CancelAt(long step, CancellationTokenSource cts) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Phase == TrainingPhase.Step && value.Step == step) cts.Cancel();
        }
    }

    private static Dictionary<string, float[]> Weights(PixelCnnModel m) =>
        m.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn)]
    [DataRow(PixelCnnArchitecture.RowLstm)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm)]
    public void A_run_interrupted_and_resumed_reaches_the_same_weights_bit_for_bit(PixelCnnArchitecture architecture)
    {
        var config = Tiny(ConditioningKind.Global) with { Architecture = architecture };
        var labelled = Bars(40, labels: true);
        var options = new TrainingOptions { BatchSize = 8, LearningRateDecay = 0.9, GradientClipNorm = 1.0, Epochs = 3, Seed = 9 };
        Dictionary<string, float[]> uninterrupted;
        using (var r = new PixelCnnTrainer(config, options).Fit(labelled).Model) uninterrupted = Weights(r);

        var ckpt = TempPath("resume.ckpt");
        try
        {
            using var cts = new CancellationTokenSource();
            var first = new TrainingOptions { BatchSize = 8, LearningRateDecay = 0.9, GradientClipNorm = 1.0, Epochs = 3, Seed = 9, CheckpointPath = ckpt };
            Assert.ThrowsException<OperationCanceledException>(() =>
                new PixelCnnTrainer(config, first).Fit(labelled, null, new CancelAt(7, cts), cts.Token)); // mid-epoch 2
            Assert.IsTrue(File.Exists(ckpt), "cancellation must leave a checkpoint");
            // Scramble the default generator to prove its state is restored too.
            manual_seed(12345);
            var resumed = new TrainingOptions { BatchSize = 8, LearningRateDecay = 0.9, GradientClipNorm = 1.0, Epochs = 3, Seed = 9, CheckpointPath = ckpt, ResumeFrom = ckpt };
            var result = new PixelCnnTrainer(config, resumed).Fit(labelled);
            using var model = result.Model;
            Assert.AreEqual(15, result.Steps);
            Assert.AreEqual(3, result.History.Count);
            var w = Weights(model);
            foreach (var (name, values) in uninterrupted)
                CollectionAssert.AreEqual(values, w[name], $"parameter {name} differs after resume");
        }
        finally { File.Delete(ckpt); }
    }

    [TestMethod]
    public void A_time_budget_stops_training_after_the_step_that_spends_it()
    {
        var data = Bars(64);
        var result = new PixelCnnTrainer(Tiny(), new TrainingOptions { BatchSize = 8, Epochs = 50, MaxTime = TimeSpan.FromTicks(1) }).Fit(data);
        using (result.Model) Assert.AreEqual(1, result.Steps, "the first step already spends a budget of one tick");
        var unlimited = new PixelCnnTrainer(Tiny(), new TrainingOptions { BatchSize = 8, Epochs = 2, MaxTime = TimeSpan.FromHours(1) }).Fit(data);
        using (unlimited.Model) Assert.AreEqual(16, unlimited.Steps, "a budget never reached leaves the epochs to decide");
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => new TrainingOptions { MaxTime = TimeSpan.Zero }.Validate());
    }

    /// <summary>Writes a one-step checkpoint of Tiny(), then resumes it with <paramref name="config"/> and <paramref name="options"/>; returns the refusal.</summary>
    private static InvalidDataException ResumeRefusal(string name, PixelCnnConfig config, TrainingOptions options)
    {
        var data = Bars(16);
        var ckpt = TempPath(name);
        try
        {
            new PixelCnnTrainer(Tiny(), new TrainingOptions { BatchSize = 8, CheckpointPath = ckpt, MaxSteps = 1 }).Fit(data).Model.Dispose();
            options.ResumeFrom = ckpt;
            var e = Assert.ThrowsException<InvalidDataException>(() => new PixelCnnTrainer(config, options).Fit(data));
            StringAssert.Contains(e.Message, ckpt);
            return e;
        }
        finally { File.Delete(ckpt); }
    }

    [TestMethod]
    public void Resume_rejects_a_checkpoint_of_another_configuration()
    {
        var e = ResumeRefusal("other.ckpt", Tiny() with { HiddenChannels = 12 }, new TrainingOptions { BatchSize = 8 });
        StringAssert.Contains(e.Message, "different model configuration");
    }

    [TestMethod]
    public void An_autoencoder_checkpoint_of_format_2_resumes_only_as_the_plain_encoder_output_it_was_written_with()
    {
        var data = Bars(16, labels: false);
        var equalized = Tiny().AsAutoencoder(3) with { EncoderChannels = 4 };
        var ckpt = TempPath("format2.ckpt");
        try
        {
            new PixelCnnTrainer(equalized, new TrainingOptions { BatchSize = 8, CheckpointPath = ckpt, MaxSteps = 1 }).Fit(data).Model.Dispose();
            using (var zip = System.IO.Compression.ZipFile.Open(ckpt, System.IO.Compression.ZipArchiveMode.Update))
            {
                var entry = zip.GetEntry("trainer.json")!;
                string json;
                using (var r = new StreamReader(entry.Open())) json = r.ReadToEnd();
                StringAssert.Contains(json, "\"version\": 3,", "the trainer entry should have the layout this test edits");
                entry.Delete();
                using var w = new StreamWriter(zip.CreateEntry("trainer.json").Open());
                w.Write(json.Replace("\"version\": 3,", "\"version\": 2,"));
            }
            var e = Assert.ThrowsException<InvalidDataException>(() =>
                new PixelCnnTrainer(equalized, new TrainingOptions { BatchSize = 8, ResumeFrom = ckpt, MaxSteps = 2 }).Fit(data));
            StringAssert.Contains(e.Message, "different model configuration");
            var plain = equalized with { EqualizedEncoderOutput = false };
            using var resumed = new PixelCnnTrainer(plain, new TrainingOptions { BatchSize = 8, ResumeFrom = ckpt, MaxSteps = 2 }).Fit(data).Model;
            Assert.IsFalse(resumed.Config.EqualizedEncoderOutput);
        }
        finally { File.Delete(ckpt); }
    }

    [TestMethod]
    public void Resume_rejects_a_checkpoint_written_with_other_training_settings_naming_each()
    {
        var e = ResumeRefusal("settings.ckpt", Tiny(), new TrainingOptions { BatchSize = 4, LearningRate = 0.01 });
        StringAssert.Contains(e.Message, "BatchSize 8 in the checkpoint, 4 now");
        StringAssert.Contains(e.Message, "LearningRate 0.001 in the checkpoint, 0.01 now");
    }

    [TestMethod]
    public void Non_finite_steps_are_skipped_and_reported_and_K_in_a_row_stop_training_keeping_the_last_checkpoint()
    {
        var good = Bars(16, labels: true);
        var bad = new float[good.Conditions!.Length];
        Array.Fill(bad, float.NaN);
        var poisoned = new ImageDataset(1, 8, 8, good.Pixels, bad, 3);
        var config = Tiny(ConditioningKind.Global);
        var ckpt = TempPath("diverge.ckpt");
        try
        {
            new PixelCnnTrainer(config, new TrainingOptions { BatchSize = 8, CheckpointPath = ckpt }).Fit(good).Model.Dispose();
            var before = File.ReadAllBytes(ckpt);
            var e = Assert.ThrowsException<TrainingDivergedException>(() =>
                new PixelCnnTrainer(config, new TrainingOptions { BatchSize = 8, CheckpointPath = ckpt, MaxConsecutiveNonFiniteSteps = 2 }).Fit(poisoned));
            StringAssert.Contains(e.Message, "2 consecutive steps");
            StringAssert.Contains(e.Message, ckpt);
            CollectionAssert.AreEqual(before, File.ReadAllBytes(ckpt), "the last good checkpoint must be kept");
        }
        finally { File.Delete(ckpt); }
    }

    [TestMethod]
    public void Isolated_non_finite_steps_are_skipped_and_training_continues()
    {
        var good = Bars(32, labels: true);
        var cond = (float[])good.Conditions!.Clone();
        cond[0] = float.NaN; // row 0 poisons exactly one batch per epoch
        var data = new ImageDataset(1, 8, 8, good.Pixels, cond, 3);
        var mixed = new PixelCnnTrainer(Tiny(ConditioningKind.Global), new TrainingOptions { BatchSize = 8, Epochs = 2, MaxConsecutiveNonFiniteSteps = 2 }).Fit(data);
        using var model = mixed.Model;
        Assert.AreEqual(8, mixed.Steps);
        Assert.AreEqual(2, mixed.SkippedSteps);
        foreach (var p in model.Network.parameters())
            Assert.IsTrue(p.isfinite().logical_not().sum().item<long>() == 0, "a skipped step must not touch the weights");
    }

    [TestMethod]
    public void Early_stopping_stops_on_a_validation_plateau_and_keeps_the_best_weights()
    {
        var train = Bars(24);
        var validation = Bars(16, seed: 99);
        // A large learning rate makes validation bits/dim bounce, so patience 1 triggers.
        var config = Tiny();
        var result = new PixelCnnTrainer(config, new TrainingOptions { BatchSize = 8, LearningRate = 0.05, Epochs = 30, EarlyStoppingPatience = 1 }).Fit(train, validation);
        using var model = result.Model;
        Assert.IsTrue(result.StoppedEarly, "expected an early stop");
        Assert.IsTrue(result.History.Count < 30);
        double best = result.History.Min(h => h.ValidationBitsPerDim!.Value);
        Assert.AreEqual(best, model.MeanBitsPerDim(validation), 1e-4, "the returned model must be the best-validation one");
    }

    [TestMethod]
    public void Cancellation_between_steps_throws_and_stops_promptly()
    {
        using var cts = new CancellationTokenSource();
        var reports = new List<TrainingProgress>();
        Assert.ThrowsException<OperationCanceledException>(() =>
            new PixelCnnTrainer(Tiny(), new TrainingOptions { BatchSize = 8, Epochs = 5 }).Fit(Bars(64), null, new CancelAt(3, cts), cts.Token));
    }

    [TestMethod]
    public void Data_of_the_wrong_shape_is_rejected_naming_both_shapes()
    {
        var e = Assert.ThrowsException<ArgumentException>(() => new PixelCnnTrainer(Tiny() with { Height = 9 }, new TrainingOptions { BatchSize = 8 }).Fit(Bars(8)));
        StringAssert.Contains(e.Message, "1x8x8");
        StringAssert.Contains(e.Message, "1x9x8");
    }

    [TestMethod]
    public void Shuffling_is_a_seeded_permutation()
    {
        var a = PixelCnnTrainer.Permutation(1, 0, 100);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 100).ToArray(), a);
        CollectionAssert.AreEqual(a, PixelCnnTrainer.Permutation(1, 0, 100));
        CollectionAssert.AreNotEqual(a, PixelCnnTrainer.Permutation(1, 1, 100));
        CollectionAssert.AreNotEqual(a, PixelCnnTrainer.Permutation(2, 0, 100));
    }
}

[TestClass]
public class DevicePlumbingTests
{
    [TestMethod]
    public void Requesting_a_missing_gpu_names_the_device_and_the_fallback_option()
    {
        if (torch.cuda.is_available()) Assert.Inconclusive("a CUDA device is present");
        var e = Assert.ThrowsException<InvalidOperationException>(() => PixelCnn.ML.Engine.DeviceSelector.Resolve(0, fallbackToCpu: false));
        StringAssert.Contains(e.Message, "CUDA device 0");
        StringAssert.Contains(e.Message, "FallbackToCpu");
        var warnings = new List<string>();
        Assert.AreEqual(DeviceType.CPU, PixelCnn.ML.Engine.DeviceSelector.Resolve(0, fallbackToCpu: true, warnings.Add).type);
        Assert.AreEqual(1, warnings.Count);
    }

    [TestMethod]
    public void Out_of_memory_errors_are_recognised()
    {
        Assert.IsTrue(PixelCnn.ML.Engine.OutOfMemory.Is(new System.Runtime.InteropServices.ExternalException("CUDA out of memory. Tried to allocate 2.00 GiB")));
        Assert.IsTrue(PixelCnn.ML.Engine.OutOfMemory.Is(new System.Runtime.InteropServices.ExternalException("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1")));
        Assert.IsFalse(PixelCnn.ML.Engine.OutOfMemory.Is(new System.Runtime.InteropServices.ExternalException("shape mismatch")));
    }

    [TestMethod]
    public void An_mlcontext_gpu_request_without_a_gpu_fails_fit_clearly_unless_fallback_is_allowed()
    {
        if (torch.cuda.is_available()) Assert.Inconclusive("a CUDA device is present");
        var rows = PixelCnn.ML.Tests.Components.DensityScorerTests.Rows(4, false);
        var ml = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };
        var est = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnn.ML.Components.PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = PixelCnn.ML.Tests.Components.DensityScorerTests.Tiny, Training = { BatchSize = 8, LearningRate = 5e-3, MaxSteps = 1 } });
        var e = Assert.ThrowsException<InvalidOperationException>(() => est.Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(e.Message, "GpuDeviceId");
        var messages = new List<string>();
        var ok = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = true };
        ok.Log += (_, a) => messages.Add(a.Message);
        using var model = ok.AnomalyDetection.Trainers.PixelCnn(new PixelCnn.ML.Components.PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = PixelCnn.ML.Tests.Components.DensityScorerTests.Tiny, Training = { BatchSize = 8, LearningRate = 5e-3, MaxSteps = 1 } }).Fit(ok.Data.LoadFromEnumerable(rows));
        Assert.AreEqual(torch.CPU, model.Model.Device);
        Assert.IsTrue(messages.Any(m => m.Contains("falling back to the CPU")), string.Join("\n", messages));
    }
}

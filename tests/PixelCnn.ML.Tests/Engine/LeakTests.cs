// Native memory is accounted for: every training step and scoring batch runs in a dispose scope, so
// TorchSharp's live tensor count comes back to its baseline once the model is disposed.
using PixelCnn.ML.Models;
using PixelCnn.ML.Tests.Training;
using PixelCnn.ML.Training;
using TorchSharp;

namespace PixelCnn.ML.Tests.Engine;

[TestClass]
public class LeakTests
{
    [TestMethod]
    public void A_thousand_training_steps_leave_no_tensor_behind_once_the_model_is_disposed()
    {
        var data = TrainerTests.Bars(16);
        var config = TrainerTests.Tiny() with { Layers = 1, HiddenChannels = 4, OutputHiddenChannels = 8 };
        long baseline = LiveTensors.Settled();

        var result = new PixelCnnTrainer(config, new TrainingOptions { BatchSize = 16, Epochs = 1000, Seed = 3 }).Fit(data);

        Assert.AreEqual(1000, result.Steps);
        result.Model.Dispose();
        Assert.AreEqual(baseline, LiveTensors.Now, "live tensors after 1,000 steps and disposing the model");
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.RowLstm)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm)]
    public void Training_a_pixelrnn_leaves_no_tensor_behind_once_the_model_is_disposed(PixelCnnArchitecture architecture)
    {
        var config = TrainerTests.Tiny(ConditioningKind.Global) with { Architecture = architecture, Layers = 1, HiddenChannels = 4, OutputHiddenChannels = 8, SkipConnections = true };
        long baseline = LiveTensors.Settled();

        var result = new PixelCnnTrainer(config, new TrainingOptions { BatchSize = 16, Epochs = 100, Seed = 3 }).Fit(TrainerTests.Bars(16, labels: true));

        Assert.AreEqual(100, result.Steps);
        result.Model.Dispose();
        Assert.AreEqual(baseline, LiveTensors.Now, $"live tensors after 100 {architecture} steps and disposing the model");
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn)]
    [DataRow(PixelCnnArchitecture.RowLstm)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm)]
    public void Scoring_and_cached_sampling_return_the_live_tensor_count_to_its_baseline(PixelCnnArchitecture architecture)
    {
        var data = TrainerTests.Bars(40);
        using var model = Scoring.PixelCnnModel.Create(TrainerTests.Tiny() with { Architecture = architecture }, seed: 4);
        long baseline = LiveTensors.Settled();

        for (int i = 0; i < 20; i++) model.Score(data, batchSize: 16, bitsMap: true);
        for (int i = 0; i < 2; i++) PixelCnn.ML.Sampling.PixelCnnSampler.SampleBytes(model, 3);

        Assert.AreEqual(baseline, LiveTensors.Now);
    }
}

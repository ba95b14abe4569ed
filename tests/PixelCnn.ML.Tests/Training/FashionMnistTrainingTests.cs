using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Training;

namespace PixelCnn.ML.Tests.Training;

[TestClass]
public class FashionMnistTrainingTests
{
    [TestMethod]
    public void On_a_few_hundred_real_images_the_loss_falls_and_validation_beats_the_uniform_baseline_by_far()
    {
        var train = FashionMnist.Load(FashionMnistSplit.Train, take: 320);
        var test = FashionMnist.Load(FashionMnistSplit.Test, take: 100);
        var config = new PixelCnnConfig { Layers = 3, HiddenChannels = 16, OutputHiddenChannels = 32 };
        var reports = new List<TrainingProgress>();
        var result = new PixelCnnTrainer(config, new TrainingOptions { BatchSize = 16, LearningRate = 3e-3, Epochs = 2, Seed = 3 })
            .Fit(new ImageDataset(1, 28, 28, train.Images), new ImageDataset(1, 28, 28, test.Images), new TrainerTests.Progress(reports));
        using var model = result.Model;
        var steps = reports.Where(r => r.Phase == TrainingPhase.Step).Select(r => r.TrainBitsPerDim).ToList();
        double first = steps.Take(5).Average(), last = steps.TakeLast(5).Average();
        Assert.IsTrue(last < first - 1.0, $"training loss should fall: first steps {first:F3}, last steps {last:F3} bits/dim");
        double validation = result.History[^1].ValidationBitsPerDim!.Value;
        // A uniform model over 256 values needs exactly 8 bits per sub-pixel.
        Assert.IsTrue(validation < 5.0, $"validation {validation:F3} bits/dim should beat the uniform 8 by a wide margin");
    }
}

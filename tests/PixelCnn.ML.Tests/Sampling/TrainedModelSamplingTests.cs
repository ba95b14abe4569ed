// Samples of a (briefly) trained model show the structure of its training data: a sanity check
// that the sampler draws from the model rather than from noise.
using PixelCnn.ML.Models;
using PixelCnn.ML.Sampling;
using PixelCnn.ML.Tests.Training;
using PixelCnn.ML.Training;

namespace PixelCnn.ML.Tests.Sampling;

[TestClass]
public class TrainedModelSamplingTests
{
    [TestMethod]
    public void Samples_of_a_model_trained_on_bars_have_grey_level_even_rows_and_dark_odd_rows()
    {
        // Training images: even rows at a per-image grey level 60, 140 or 220 (+0..3), odd rows 0..3.
        var data = TrainerTests.Bars(128);
        var trainer = new PixelCnnTrainer(TrainerTests.Tiny(), new TrainingOptions { BatchSize = 8, LearningRate = 5e-3, Epochs = 15, Seed = 5 });
        using var model = trainer.Fit(data).Model;
        const int n = 8;
        var bytes = PixelCnnSampler.SampleBytes(model, n, options: new SamplingOptions { Seed = 3 });
        // Uniform noise would put about 6% of values below 16 and 24% within 10 of a level.
        static bool NearLevel(int v) => Math.Abs(v - 61) <= 10 || Math.Abs(v - 141) <= 10 || Math.Abs(v - 221) <= 10;
        int darkOdd = 0, levelEven = 0, perKind = n * 32;
        for (int k = 0; k < bytes.Length; k++)
        {
            int row = k % 64 / 8;
            if (row % 2 == 1 && bytes[k] < 16) darkOdd++;
            if (row % 2 == 0 && NearLevel(bytes[k])) levelEven++;
        }
        Assert.IsTrue(darkOdd > 0.8 * perKind, $"{darkOdd} of {perKind} odd-row sub-pixels are dark");
        Assert.IsTrue(levelEven > 0.8 * perKind, $"{levelEven} of {perKind} even-row sub-pixels are near a training grey level");
    }
}

using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Tests.Training;
using PixelCnn.ML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Models;

[TestClass]
public class AutoencoderTests
{
    private static PixelCnnConfig Config(ConditioningKind kind = ConditioningKind.Global) =>
        TrainerTests.Tiny().AsAutoencoder(4, kind) with { EncoderChannels = 4 };

    [TestMethod]
    public void Autoencoder_configuration_requires_the_decoder_to_be_conditioned_on_the_embedding()
    {
        var bad = TrainerTests.Tiny() with { EmbeddingSize = 4 };
        var e = Assert.ThrowsException<ArgumentException>(() => bad.Validate());
        StringAssert.Contains(e.Message, "EmbeddingSize");
    }

    [TestMethod]
    [DataRow(ConditioningKind.Global)]
    [DataRow(ConditioningKind.Spatial)]
    public void Gradients_reach_the_encoder_through_the_decoder_likelihood(ConditioningKind kind)
    {
        using var model = PixelCnnModel.Create(Config(kind), seed: 3);
        var ae = (PixelCnnAutoencoder)model.Network;
        using var scope = NewDisposeScope();
        var (x, _) = TrainerTests.Bars(4).GetBatch([0, 1, 2, 3], torch.CPU);
        ae.NllNats(x).mean().backward();
        foreach (var (name, p) in ae.Encoder.named_parameters())
            Assert.IsTrue(p.grad!.abs().sum().item<float>() > 0, $"encoder parameter {name} got no gradient");
        StringAssert.StartsWith(ae.named_parameters().First().name, "encoder.");
        Assert.IsTrue(ae.named_parameters().Any(p => p.name.StartsWith("decoder.blocks.0.")));
    }

    [TestMethod]
    public void The_autoencoder_refuses_an_external_condition()
    {
        using var model = PixelCnnModel.Create(Config(), seed: 3);
        using var scope = NewDisposeScope();
        var x = zeros([1, 1, 8, 8]);
        var e = Assert.ThrowsException<ArgumentException>(() => model.Network.forward(x, zeros([1, 4])));
        StringAssert.Contains(e.Message, "Decoder");
    }

    [TestMethod]
    public void Training_end_to_end_lowers_the_loss_and_encodes_images_to_embeddings()
    {
        var data = TrainerTests.Bars(48, labels: false);
        var result = new PixelCnnTrainer(Config(), new TrainingOptions { BatchSize = 8, LearningRate = 5e-3, Epochs = 3 }).Fit(data);
        using var model = result.Model;
        Assert.IsTrue(result.History[^1].TrainBitsPerDim < result.History[0].TrainBitsPerDim);
        var h = model.Encode(data.Slice(0, 5), batchSize: 2);
        Assert.AreEqual(5 * 4, h.Length);
        Assert.IsTrue(h.All(float.IsFinite));
        // Different images (different grey levels) map to different codes.
        Assert.IsFalse(h.AsSpan(0, 4).SequenceEqual(h.AsSpan(4, 4)) && h.AsSpan(4, 4).SequenceEqual(h.AsSpan(8, 4)));
    }

    [TestMethod]
    public void A_saved_autoencoder_loads_with_identical_scores_and_embeddings()
    {
        using var model = PixelCnnModel.Create(Config(ConditioningKind.Spatial), seed: 6);
        var data = TrainerTests.Bars(5);
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-ae-{Guid.NewGuid():N}.zip");
        try
        {
            model.Save(path);
            using var loaded = PixelCnnModel.Load(path);
            Assert.IsTrue(loaded.Config.IsAutoencoder);
            CollectionAssert.AreEqual(model.Score(data).Nats, loaded.Score(data).Nats);
            CollectionAssert.AreEqual(model.Encode(data), loaded.Encode(data));
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void Encoding_with_a_model_that_has_no_encoder_says_how_to_get_one()
    {
        using var model = PixelCnnModel.Create(TrainerTests.Tiny(), seed: 1);
        var e = Assert.ThrowsException<InvalidOperationException>(() => model.Encode(TrainerTests.Bars(2)));
        StringAssert.Contains(e.Message, "EmbeddingSize");
    }
}

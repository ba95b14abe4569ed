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

    /// <summary>The first <paramref name="n"/> bar images as a batch [n, 1, 8, 8] (in the caller's dispose scope).</summary>
    private static Tensor Images(int n) => TrainerTests.Bars(n).GetBatch(Enumerable.Range(0, n).ToArray(), torch.CPU).x;

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
    public void Gradients_reach_h_every_decoder_layer_and_the_encoder(ConditioningKind kind)
    {
        using var model = PixelCnnModel.Create(Config(kind), seed: 3);
        var ae = (PixelCnnAutoencoder)model.Network;
        using var scope = NewDisposeScope();
        var x = Images(4);
        var h = ae.Encoder.forward(x);
        h.retain_grad();
        ae.Decoder.NllNats(x, h).mean().backward();
        Assert.IsTrue(h.grad!.abs().sum().item<float>() > 0, "no gradient reaches h");
        foreach (var (name, p) in ae.Encoder.named_parameters())
            Assert.IsTrue(p.grad!.abs().sum().item<float>() > 0, $"encoder parameter {name} got no gradient");
        StringAssert.StartsWith(ae.named_parameters().First().name, "encoder.");
        // Each gated block's conditioning weights get gradient from the likelihood.
        var blocks = ae.Decoder.named_parameters().Where(p => p.name.Contains(".cond_")).GroupBy(p => p.name[..p.name.IndexOf(".cond_", StringComparison.Ordinal)]).ToList();
        Assert.AreEqual(Config(kind).Layers, blocks.Count, "every block has conditioning weights");
        foreach (var block in blocks)
            Assert.IsTrue(block.Sum(p => p.parameter.grad is { } g ? g.abs().sum().item<float>() : 0) > 0, $"{block.Key}: no gradient on its conditioning");
    }

    [TestMethod]
    [DataRow(ConditioningKind.Global)]
    [DataRow(ConditioningKind.Spatial)]
    public void Conditioning_on_another_h_changes_the_output_distribution(ConditioningKind kind)
    {
        using var model = PixelCnnModel.Create(Config(kind), seed: 5);
        var ae = (PixelCnnAutoencoder)model.Network;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = Images(2);
        var h = ae.Encoder.forward(x);
        var own = ae.Decoder.forward(x, h);
        var swapped = ae.Decoder.forward(x, h.flip(0));
        Assert.IsFalse(h[0].allclose(h[1]), "two different images should have different h");
        // At initialisation two images' h differ little (the spatial map s = m(h) shrinks it further), so any change
        // shows the dependence; a clearly different h must move the distribution clearly.
        Assert.IsTrue((own - swapped).abs().max().item<float>() > 0, "the decoder ignores h");
        float change = (own - ae.Decoder.forward(x, h + 1.0)).abs().max().item<float>();
        Assert.IsTrue(change > 1e-3f, $"the decoder barely reacts to h + 1 (largest change {change})");
        // The autoencoder's own forward is the decoder given the encoder's h.
        Assert.IsTrue(ae.forward(x, null).allclose(own));
    }

    [TestMethod]
    [DataRow(ConditioningKind.Global)]
    [DataRow(ConditioningKind.Spatial)]
    public void The_decoder_is_causal_for_a_fixed_h(ConditioningKind kind)
    {
        using var model = PixelCnnModel.Create(Config(kind), seed: 6);
        var ae = (PixelCnnAutoencoder)model.Network;
        using var scope = NewDisposeScope();
        var x = Images(2);
        var h = ae.Encoder.forward(x).detach();
        var cfg = model.Config;
        foreach (var (i, j) in new[] { (0, 0), (3, 4), (7, 7) })
        {
            var grad = CausalityTests.InputGradient(ae.Decoder, x, h, i, j, 0);
            for (int k = i * cfg.Width + j; k < cfg.Height * cfg.Width; k++)
                Assert.AreEqual(0f, grad[k], $"output ({i}, {j}) depends on pixel {k / cfg.Width}, {k % cfg.Width} given a fixed h");
        }
        // Not so for the whole autoencoder: h is computed from the whole image (why sampling takes h as given).
        var whole = CausalityTests.InputGradient(ae, x, null, 0, 0, 0);
        Assert.IsTrue(whole.Skip(1).Any(v => v != 0), "the encoder should make the first pixel depend on later ones");
    }

    [TestMethod]
    public void The_equalized_output_layer_starts_as_the_plain_one_and_an_Adam_step_moves_h_sqrt_fan_in_times_less()
    {
        var data = TrainerTests.Bars(8);
        float[] Step(bool equalized, out float[] before)
        {
            using var model = PixelCnnModel.Create(Config() with { EqualizedEncoderOutput = equalized }, seed: 9);
            var ae = (PixelCnnAutoencoder)model.Network;
            using var scope = NewDisposeScope();
            var (x, _) = data.GetBatch([0, 1, 2, 3, 4, 5, 6, 7], torch.CPU);
            before = ae.Encoder.forward(x).detach().data<float>().ToArray();
            // Adam's first step moves every weight by the learning rate whatever its gradient's size; step the output layer only.
            using var optimizer = optim.Adam(ae.Encoder.named_parameters().Where(p => p.name.StartsWith("fc.")).Select(p => p.parameter), 1e-3);
            ae.NllNats(x).mean().backward();
            optimizer.step();
            return ae.Encoder.forward(x).detach().data<float>().ToArray();
        }
        var plainAfter = Step(false, out var plainBefore);
        var equalizedAfter = Step(true, out var equalizedBefore);
        for (int i = 0; i < plainBefore.Length; i++) Assert.AreEqual(plainBefore[i], equalizedBefore[i], 1e-5f, "the same h at initialisation");
        double Moved(float[] a, float[] b) => a.Zip(b).Sum(p => Math.Abs(p.First - p.Second));
        double ratio = Moved(plainBefore, plainAfter) / Moved(equalizedBefore, equalizedAfter);
        // The tiny encoder's output layer has 4·2·2·2 = 32 inputs.
        Assert.AreEqual(Math.Sqrt(32), ratio, 0.05 * Math.Sqrt(32), "plain step / equalized step");
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

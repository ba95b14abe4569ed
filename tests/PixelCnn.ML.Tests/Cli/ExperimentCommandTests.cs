// The experiments (OOD, PixelDefend, PixelRNN, autoencoder, embedding) and the demo's linear probes run end to end on
// tiny settings and write what docs/benchmarks.md reads: the JSON with every figure, and the pictures.
using System.Text.Json.Nodes;
using ToolCli = PixelCnn.ML.Samples.Commands.Cli;

namespace PixelCnn.ML.Tests.CommandLine;

[TestClass]
[DoNotParallelize]
public sealed class ExperimentCommandTests
{
    [TestMethod]
    public void Ood_reports_every_score_on_every_set_against_randomized_pca_and_draws_the_curves()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-ood-").FullName;
        try
        {
            var r = CliCommandTests.Run("ood", "--train-images", "150", "--set-size", "20", "--typicality-batch", "5", "--out-dir", dir);
            Assert.AreEqual(ToolCli.Ok, r.Code, r.Err + r.Out);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "ood.json")))!;
            var results = json["results"]!.AsArray();
            CollectionAssert.AreEqual(new[] { "held-out Bag", "vertical flip", "inverted", "uniform noise", "constant", "DejaVu digits" },
                                      results.Select(x => x!["set"]!.GetValue<string>()).ToArray());
            foreach (var set in results)
                foreach (var method in new[] { "RandomizedPca (ML.NET)", "raw bits/dim", "likelihood ratio", "likelihood ratio (local background)", "input complexity (PNG)", "input complexity (Brotli)",
                                                 "density of states (flat: bits/dim, PNG size)", "pyramid 7x7 level bits", "density of states (pyramid levels, PNG size)", "typicality" })
                {
                    double auroc = set![method]!["auroc"]!.GetValue<double>();
                    Assert.IsTrue(auroc is >= 0 and <= 1, $"{set["set"]} / {method}: {auroc}");
                }
            foreach (var file in new[] { "ood-sets.png", "roc-held-out-bag.png", "hist-dejavu-digits.png", "hist-dos-dejavu-digits.png" })
                Assert.IsTrue(new FileInfo(Path.Combine(dir, file)).Length > 1000, file);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void Auxiliary_trains_flat_grayscale_and_pyramid_and_reports_the_split_of_bits_and_sampling_speed()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-auxiliary-").FullName;
        try
        {
            var r = CliCommandTests.Run("experiment", "auxiliary", "--train-images", "64", "--test-images", "8", "--steps", "2", "--samples", "2",
                                        "--sampling-batches", "2", "--rounds", "1", "--out-dir", dir);
            Assert.AreEqual(ToolCli.Ok, r.Code, r.Err + r.Out);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "auxiliary.json")))!;
            var results = json["results"]!.AsArray();
            CollectionAssert.AreEqual(new[] { "GatedPixelCnn", "Grayscale", "Pyramid" }, results.Select(x => x!["architecture"]!.GetValue<string>()).ToArray());
            foreach (var a in results)
            {
                double bpd = a!["test_bits_per_dim"]!.GetValue<double>();
                Assert.AreEqual(2, a["steps"]!.GetValue<long>());
                var parts = a["parts"]!.AsArray().Select(q => q!["bits_per_dim"]!.GetValue<double>()).ToArray();
                Assert.AreEqual(a["architecture"]!.GetValue<string>() switch { "Grayscale" => 2, "Pyramid" => 3, _ => 0 }, parts.Length);
                if (parts.Length > 0) Assert.AreEqual(bpd, parts.Sum(), 1e-3, $"{a["architecture"]}: the parts add up to the whole");
            }
            var speed = json["sampling"]!.AsArray();
            Assert.AreEqual(3, speed.Count);
            Assert.AreEqual(1.0, speed[0]!["speedup_vs_reference"]!.GetValue<double>(), 1e-9);
            Assert.IsTrue(speed.All(x => x!["images_per_s"]!.GetValue<double>() > 0));
            Assert.IsTrue(new FileInfo(Path.Combine(dir, "auxiliary-samples.png")).Length > 1000);
            foreach (var model in new[] { "gatedpixelcnn.zip", "grayscale.zip", "pyramid.zip" }) Assert.IsTrue(File.Exists(Path.Combine(dir, model)), model);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void Colorization_trains_on_photo_crops_through_mlnet_and_colorize_draws_the_picture_from_the_saved_model()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-colorization-").FullName;
        try
        {
            // Three small "photographs": colour gradients, one of them held out.
            var photos = Directory.CreateDirectory(Path.Combine(dir, "photos")).FullName;
            for (int k = 0; k < 3; k++)
            {
                var px = new byte[48 * 40 * 3];
                for (int y = 0; y < 40; y++)
                    for (int x = 0; x < 48; x++)
                    {
                        int at = (y * 48 + x) * 3;
                        (px[at], px[at + 1], px[at + 2]) = ((byte)(x * 5 + 40 * k), (byte)(y * 6), (byte)(200 - 60 * k));
                    }
                PixelCnn.ML.Pictures.PictureWriter.SavePng(new PixelCnn.ML.Pictures.RasterImage(48, 40, 3, px), Path.Combine(photos, $"p{k}.png"));
            }
            var outDir = Path.Combine(dir, "out");
            var r = CliCommandTests.Run("experiment", "colorization", "--photos", photos, "--hold-out-every", "3", "--size", "8", "--shorter-side", "16",
                                        "--train-crops", "12", "--test-crops", "4", "--steps", "2", "--shown", "2", "--samples", "3", "--out-dir", outDir);
            Assert.AreEqual(ToolCli.Ok, r.Code, r.Err + r.Out);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "colorization.json")))!;
            Assert.AreEqual(24, json["train_crops"]!.GetValue<int>());
            Assert.AreEqual(4, json["test_crops"]!.GetValue<int>());
            Assert.AreEqual("p2.png", json["held_out_photos"]![0]!.GetValue<string>());
            double bits = json["held_out_bits_per_dim"]!.GetValue<double>();
            Assert.IsTrue(bits is > 0 and < 8.5, $"{bits}");
            Assert.IsTrue(new FileInfo(Path.Combine(outDir, "colorization.png")).Length > 500);

            var png = Path.Combine(dir, "colorized.png");
            var c = CliCommandTests.Run("colorize", "--model", Path.Combine(outDir, "colorizer.zip"), "--images", photos, "--take", "2", "--samples", "2",
                                        "--shorter-side", "16", "--upscale", "1", "--out", png);
            Assert.AreEqual(ToolCli.Ok, c.Code, c.Err + c.Out);
            using var picture = SkiaSharp.SKBitmap.Decode(png);
            Assert.IsNotNull(picture);
            Assert.IsTrue(picture.Width >= 4 * 8 && picture.Height >= 2 * 8, $"{picture.Width}x{picture.Height}: a row of grey, 2 colourings, original per image");

            var refused = CliCommandTests.Run("colorize", "--model", Path.Combine(outDir, "colorizer.zip"), "--images", Path.Combine(dir, "nothing-here"),
                                              "--out", png);
            Assert.AreEqual(ToolCli.Failed, refused.Code);
            StringAssert.Contains(refused.Err, "--images");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void Pixelrnn_trains_each_architecture_and_reports_bits_per_dim_speeds_and_a_picture()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-pixelrnn-").FullName;
        try
        {
            var r = CliCommandTests.Run("experiment", "pixelrnn", "--train-images", "64", "--test-images", "8", "--samples", "2", "--out-dir", dir);
            Assert.AreEqual(ToolCli.Ok, r.Code, r.Err + r.Out);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "pixelrnn.json")))!;
            var results = json["results"]!.AsArray();
            CollectionAssert.AreEqual(new[] { "GatedPixelCnn", "RowLstm", "DiagonalBiLstm" }, results.Select(x => x!["architecture"]!.GetValue<string>()).ToArray());
            foreach (var a in results)
            {
                double bpd = a!["test_bits_per_dim"]!.GetValue<double>();
                Assert.IsTrue(bpd is > 0 and < 8.5, $"{a["architecture"]}: {bpd} bits/dim");
                foreach (var key in new[] { "train_images_per_s", "score_images_per_s", "sample_images_per_s" })
                    Assert.IsTrue(a[key]!.GetValue<double>() > 0, $"{a["architecture"]}: {key}");
                Assert.IsTrue(a["parameters"]!.GetValue<long>() is > 150_000 and < 250_000, $"{a["architecture"]}: presets S are sized alike");
            }
            Assert.IsTrue(new FileInfo(Path.Combine(dir, "pixelrnn-samples.png")).Length > 1000);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void Autoencoder_experiment_reports_the_diagnosis_the_learning_curves_and_the_linear_probes()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-ae-").FullName;
        try
        {
            var r = CliCommandTests.Run("experiment", "autoencoder", "--train-images", "96", "--test-images", "24", "--sizes", "3",
                                        "--picture-images", "2", "--frozen-encoder", "--extra-seeds", "2", "--out-dir", dir);
            Assert.AreEqual(ToolCli.Ok, r.Code, r.Err + r.Out);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "results.json")))!;
            Assert.IsTrue(json["equalizedEncoderOutput"]!.GetValue<bool>());
            Assert.AreEqual(2, json["unconditionalOtherSeeds"]!.AsArray().Single()!["seed"]!.GetValue<int>());
            Assert.IsTrue(json["unconditional"]!["learningCurve"]!["batchWindows"]!.AsArray().Count >= 2);
            double pixels = json["linearProbePixelsAccuracy"]!.GetValue<double>();
            Assert.IsTrue(pixels is >= 0 and <= 1);
            var ae = json["autoencoders"]!.AsArray().Single()!;
            Assert.AreEqual(3, ae["embeddingSize"]!.GetValue<int>());
            foreach (var key in new[] { "own", "mean", "anotherImage", "zero" })
                Assert.IsTrue(ae["diagnosis"]!["bitsPerDimGiven"]![key]!.GetValue<double>() is > 0 and < 9, key);
            Assert.IsTrue(ae["diagnosis"]!["gradients"]!["encoder"]!.GetValue<double>() > 0, "gradient reaches the encoder");
            Assert.AreEqual(8, ae["diagnosis"]!["gradients"]!["layers"]!.AsArray().Count, "one entry per gated block of preset S");
            foreach (var key in new[] { "pixelCnnAutoencoder", "mseAutoencoder", "pca" })
                Assert.IsTrue(ae["linearProbeAccuracy"]![key]!.GetValue<double>() is >= 0 and <= 1, key);
            Assert.IsTrue(ae["frozenEncoder"]!["bitsPerDim"]!.GetValue<double>() is > 0 and < 9);
            foreach (var file in new[] { "reconstructions-m3.png", "learning-curves.png", "learning-curve-gap.png" })
                Assert.IsTrue(new FileInfo(Path.Combine(dir, file)).Length > 1000, file);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void Embedding_experiment_generates_from_unseen_embeddings_and_interpolates_through_the_mlnet_sampler()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-embedding-").FullName;
        try
        {
            var r = CliCommandTests.Run("experiment", "embedding", "--train-images", "96", "--test-images", "60", "--classifier-epochs", "1",
                                        "--embedding-size", "8", "--source-images", "3", "--samples", "2", "--steps", "3", "--rows", "2", "--out-dir", dir);
            Assert.AreEqual(ToolCli.Ok, r.Code, r.Err + r.Out);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "results.json")))!;
            Assert.AreEqual(8, json["embeddingSize"]!.GetValue<int>());
            Assert.IsTrue(json["classifierTestAccuracy"]!.GetValue<double>() is >= 0 and <= 1);
            Assert.IsTrue(json["bitsPerDimGivenEmbedding"]!.GetValue<double>() is > 0 and < 9);
            Assert.IsTrue(json["generatedInSourceClass"]!.GetValue<double>() is >= 0 and <= 1);
            Assert.AreEqual(3, json["sourceTestRows"]!.AsArray().Count);
            foreach (var file in new[] { "embedding-samples.png", "embedding-interpolation.png", "sampler.zip" })
                Assert.IsTrue(new FileInfo(Path.Combine(dir, file)).Length > 1000, file);
            // The saved pipeline is an ordinary ML.NET model: a sampler conditioned on an embedding column.
            var ml = new Microsoft.ML.MLContext(seed: 1);
            var loaded = ml.Model.Load(Path.Combine(dir, "sampler.zip"), out _);
            try
            {
                // The normaliser of the embedding column, then the sampler.
                var sampler = ((Microsoft.ML.Data.TransformerChain<Microsoft.ML.ITransformer>)loaded).OfType<PixelCnn.ML.Components.PixelCnnConditionalSamplerTransformer>().Single();
                Assert.AreEqual(PixelCnn.ML.Components.ConditionKind.Vector, sampler.Condition.Kind);
                Assert.AreEqual(8, sampler.Condition.Size);
            }
            finally { (loaded as IDisposable)?.Dispose(); }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void The_demo_shows_the_linear_probe_table_on_request()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-demo-").FullName;
        try
        {
            var r = CliCommandTests.Run("demo", "--out", dir, "--train-images", "48", "--test-images", "40", "--samples-per-class", "1",
                                        "--linear-probes", "--probe-size", "3");
            Assert.AreEqual(ToolCli.Ok, r.Code, r.Err + r.Out);
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;
            var probes = summary["linear_probes"]!;
            Assert.AreEqual(3, probes["embedding_size"]!.GetValue<int>());
            foreach (var key in new[] { "pixelCnnAutoencoder", "mseAutoencoder", "pca" })
                Assert.IsTrue(probes[key]!.GetValue<double>() is >= 0 and <= 1, key);
            Assert.IsTrue(new FileInfo(Path.Combine(dir, "samples-by-class.png")).Length > 1000);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void Defend_refuses_an_unknown_output_distribution_naming_the_option_before_any_training()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-defend-").FullName;
        try
        {
            var r = CliCommandTests.Run("defend", "--output", "gaussian", "--out-dir", dir);
            Assert.AreNotEqual(ToolCli.Ok, r.Code);
            StringAssert.Contains(r.Err, "--output must be softmax or logistic, not 'gaussian'");
            Assert.IsFalse(File.Exists(Path.Combine(dir, "defend.json")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void Defend_attacks_detects_and_purifies_and_measures_the_cost_against_sampling()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-defend-").FullName;
        try
        {
            var r = CliCommandTests.Run("defend", "--train-images", "100", "--classifier-images", "600", "--classifier-epochs", "1", "--test-images", "12",
                                        "--attack-eps", "8", "--defend-eps", "8", "--pgd-steps", "2", "--out-dir", dir);
            Assert.AreEqual(ToolCli.Ok, r.Code, r.Err + r.Out);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "defend.json")))!;
            Assert.AreEqual(2, json["attacks"]!.AsArray().Count, "FGSM and PGD at one ε");
            Assert.AreEqual(2, json["detection"]!.AsArray().Count);
            var purification = json["purification"]!.AsArray().Single()!;
            Assert.AreEqual(8, purification["epsilon_defend"]!.GetValue<int>());
            Assert.AreEqual(2, purification["attacks"]!.AsArray().Count);
            Assert.IsTrue(json["cost"]!["ratio"]!.GetValue<double>() > 0);
            Assert.IsTrue(new FileInfo(Path.Combine(dir, "defend.png")).Length > 1000);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

// The OOD and PixelDefend experiments run end to end on tiny settings and write what docs/benchmarks.md reads: the
// JSON with every set, score and attack, and the pictures.
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
                foreach (var method in new[] { "RandomizedPca (ML.NET)", "raw bits/dim", "likelihood ratio", "input complexity (PNG)", "input complexity (Brotli)", "typicality" })
                {
                    double auroc = set![method]!["auroc"]!.GetValue<double>();
                    Assert.IsTrue(auroc is >= 0 and <= 1, $"{set["set"]} / {method}: {auroc}");
                }
            foreach (var file in new[] { "ood-sets.png", "roc-held-out-bag.png", "hist-dejavu-digits.png" })
                Assert.IsTrue(new FileInfo(Path.Combine(dir, file)).Length > 1000, file);
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

// pixelcnn defend: PixelDefend (Song et al. 2018) on Fashion-MNIST. A small CNN classifier (TorchSharp) is trained
// and attacked with FGSM and PGD (L∞, in pixel levels, images kept whole 0..255 as a PixelCNN reads them); a PixelCNN
// density scorer trained on clean images (ml.AnomalyDetection.Trainers.PixelCnn) detects the attacked images by their
// bits/dim and p-value, and, as a purifier (scorer.AsPurifier(ε_defend)), moves every sub-pixel to its most likely
// value within ε_defend before the classifier sees it. Reports clean, attacked and purified accuracy, detection AUROC,
// and the cost of purifying against a cached sampling pass of the same model. Writes defend.json and a picture.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PixelCnn.ML.Components;
using PixelCnn.ML.Evaluation;
using PixelCnn.ML.Models;
using PixelCnn.ML.Samples.Commands;
using PixelCnn.ML.Sampling;
using Spectre.Console;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PixelCnn.ML.Samples.Experiments;

internal static class DefendExperiment
{
    private static readonly Option<int> TrainImages = new("--train-images") { Description = "Training images of the PixelCNN.", DefaultValueFactory = _ => 12000 };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Epochs of the PixelCNN.", DefaultValueFactory = _ => 1 };
    private static readonly Option<string> Preset = new("--preset") { Description = "PixelCNN preset (S or M).", DefaultValueFactory = _ => "S" };
    private static readonly Option<string> Output = new("--output")
    {
        Description = "Output distribution of the PixelCNN: softmax (256-way) or logistic (PixelCNN++ discretized logistic mixture, as PixelDefend used).",
        DefaultValueFactory = _ => "softmax",
    };
    private static readonly Option<int> ClassifierImages = new("--classifier-images") { Description = "Training images of the classifier.", DefaultValueFactory = _ => 20000 };
    private static readonly Option<int> ClassifierEpochs = new("--classifier-epochs") { Description = "Epochs of the classifier.", DefaultValueFactory = _ => 2 };
    private static readonly Option<int> TestImages = new("--test-images") { Description = "Test images attacked and purified.", DefaultValueFactory = _ => 300 };
    private static readonly Option<string> AttackEps = new("--attack-eps") { Description = "L∞ attack sizes in pixel levels.", DefaultValueFactory = _ => "8,16,25" };
    private static readonly Option<string> DefendEps = new("--defend-eps") { Description = "Purification ε_defend values in pixel levels.", DefaultValueFactory = _ => "16,32" };
    private static readonly Option<int> PgdSteps = new("--pgd-steps") { Description = "Iterations of PGD.", DefaultValueFactory = _ => 10 };
    private static readonly Option<DirectoryInfo> OutDir = new("--out-dir") { Description = "Folder for defend.json and the picture.", DefaultValueFactory = _ => new DirectoryInfo("defend-output") };

    public static Command Create()
    {
        var cmd = new Command("defend", "PixelDefend on Fashion-MNIST: FGSM/PGD attacks on a small CNN, detection by bits/dim, and purification.")
        {
            TrainImages, Epochs, Preset, Output, ClassifierImages, ClassifierEpochs, TestImages, AttackEps, DefendEps, PgdSteps, OutDir, TrainCommand.DeviceOption,
        };
        cmd.SetAction(Run);
        return cmd;
    }

    /// <summary>The attacked classifier: two 3x3 conv + max-pool stages, two linear layers.</summary>
    private sealed class SmallCnn : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1 = Conv2d(1, 32, 3, padding: 1), conv2 = Conv2d(32, 64, 3, padding: 1);
        private readonly Linear fc1 = Linear(64 * 7 * 7, 128), fc2 = Linear(128, 10);

        public SmallCnn() : base(nameof(SmallCnn)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var h = functional.max_pool2d(functional.relu(conv1.forward(x / 127.5 - 1)), 2);
            h = functional.max_pool2d(functional.relu(conv2.forward(h)), 2);
            return fc2.forward(functional.relu(fc1.forward(h.flatten(1)))).MoveToOuterDisposeScope();
        }
    }

    private static int Run(ParseResult p)
    {
        var total = Stopwatch.StartNew();
        var outDir = p.GetValue(OutDir)!;
        outDir.Create();
        var attackEps = Generation.ParseList(p.GetValue(AttackEps)!, "--attack-eps");
        var defendEps = Generation.ParseList(p.GetValue(DefendEps)!, "--defend-eps");
        var output = ParseOutput(p.GetValue(Output)!);
        int n = p.GetValue(TestImages);
        var ml = Generation.Context(p);
        Cli.ShowLog(ml);
        var device = Engine.DeviceSelector.Parse(p.GetValue(TrainCommand.DeviceOption)!);
        var train = FashionMnist.Load(FashionMnistSplit.Train);
        var test = FashionMnist.Load(FashionMnistSplit.Test, n);

        // ---- 1. The classifier.
        Cli.Section($"Classifier: small CNN, {p.GetValue(ClassifierImages)} images, {p.GetValue(ClassifierEpochs)} epoch(s)");
        torch.manual_seed(1);
        using var classifier = new SmallCnn();
        classifier.to(device);
        TrainClassifier(classifier, train, Math.Min(p.GetValue(ClassifierImages), train.Count), p.GetValue(ClassifierEpochs), device);
        using var scope = NewDisposeScope();
        var x = tensor(test.Images.Select(v => (float)v).ToArray(), [test.Count, 1, 28, 28]).to(device);
        var y = tensor(test.Labels.Select(v => (long)v).ToArray()).to(device);
        double cleanAccuracy = Accuracy(classifier, x, y);
        AnsiConsole.MarkupLine($"Clean accuracy on {n} test images: [bold]{cleanAccuracy:P1}[/]");

        // ---- 2. Attacks.
        var attacks = new List<(string Name, int Epsilon, Tensor Images)>();
        foreach (var eps in attackEps)
        {
            attacks.Add(("FGSM", eps, Fgsm(classifier, x, y, eps)));
            attacks.Add(("PGD", eps, Pgd(classifier, x, y, eps, p.GetValue(PgdSteps), seed: eps)));
        }
        foreach (var (name, eps, adv) in attacks) AnsiConsole.MarkupLine($"{name} ε = {eps}: accuracy {Accuracy(classifier, adv, y):P1}");

        // ---- 3. The PixelCNN (unconditional: the defence does not know the class).
        Cli.Section($"PixelCNN scorer: preset {p.GetValue(Preset)!.ToUpperInvariant()}, {p.GetValue(TrainImages)} clean images, {p.GetValue(Epochs)} epoch(s), {output}");
        var trainRows = Enumerable.Range(0, Math.Min(p.GetValue(TrainImages), train.Count))
            .Select(i => FashionPixels.From(train.GetPixels(i).Span)).ToList();
        using var scorer = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = "Pixels", Model = PixelCnnConfig.Preset(p.GetValue(Preset)!) with { Output = output }, Training = { Epochs = p.GetValue(Epochs) },
            ValidationFraction = 0.05, Progress = new ConsoleTrainingProgress(), CancellationToken = Cli.Cancellation,
        }).Fit(ml.Data.LoadFromEnumerable(trainRows));

        // ---- 4. Detection: bits/dim (and its p-value) of attacked against clean images.
        var cleanScores = ScoreColumn(ml, scorer, x, "Score");
        var detection = new JsonArray();
        foreach (var (name, eps, adv) in attacks)
        {
            var advScores = ScoreColumn(ml, scorer, adv, "Score");
            var m = DetectionMetrics.Compute(cleanScores.Concat(advScores).ToList(), cleanScores.Select(_ => false).Concat(advScores.Select(_ => true)).ToList());
            var pClean = ScoreColumn(ml, scorer, x, "PValue");
            var pAdv = ScoreColumn(ml, scorer, adv, "PValue");
            var byP = DetectionMetrics.Compute(pClean.Select(v => -v).Concat(pAdv.Select(v => -v)).ToList(),
                                               pClean.Select(_ => false).Concat(pAdv.Select(_ => true)).ToList());
            detection.Add(new JsonObject
            {
                ["attack"] = name, ["epsilon"] = eps, ["auroc_bits_per_dim"] = m.AreaUnderRocCurve, ["auroc_p_value"] = byP.AreaUnderRocCurve,
                ["mean_bits_per_dim_clean"] = cleanScores.Average(), ["mean_bits_per_dim_attacked"] = advScores.Average(),
            });
            AnsiConsole.MarkupLine($"Detection of {name} ε = {eps}: AUROC {m.AreaUnderRocCurve:F3} by bits/dim ({cleanScores.Average():F3} clean, {advScores.Average():F3} attacked)");
        }

        // ---- 5. Purification in front of the classifier.
        Cli.Section("Purification");
        var purification = new JsonArray();
        var picture = new List<RasterImage>();
        foreach (var epsD in defendEps)
        {
            using var purifier = scorer.AsPurifier(epsD);
            var sw = Stopwatch.StartNew();
            var purifiedClean = Purify(ml, purifier, x);
            double seconds = sw.Elapsed.TotalSeconds;
            var row = new JsonObject { ["epsilon_defend"] = epsD, ["clean_accuracy_after_purification"] = Accuracy(classifier, purifiedClean, y),
                                       ["seconds_per_image"] = seconds / n };
            AnsiConsole.MarkupLine($"ε_defend = {epsD}: clean {row["clean_accuracy_after_purification"]!.GetValue<double>():P1} after purification ({seconds / n * 1000:F0} ms per image)");
            var results = new JsonArray();
            foreach (var (name, eps, adv) in attacks)
            {
                var purified = Purify(ml, purifier, adv);
                double acc = Accuracy(classifier, purified, y);
                results.Add(new JsonObject { ["attack"] = name, ["epsilon"] = eps, ["accuracy_attacked"] = Accuracy(classifier, adv, y), ["accuracy_purified"] = acc });
                AnsiConsole.MarkupLine($"  {name} ε = {eps}: {Accuracy(classifier, adv, y):P1} attacked → {acc:P1} purified");
                if (epsD == defendEps.Max() && name == "PGD" && eps == attackEps.Max()) picture = PictureRows(x, adv, purified);
            }
            row["attacks"] = results;
            purification.Add(row);
        }
        PictureWriter.SaveGrid(Path.Combine(outDir.FullName, "defend.png"), picture, 10, 3, rowLabels: ["clean", $"PGD ε={attackEps.Max()}", $"purified ε={defendEps.Max()}"],
                               title: "PixelDefend on Fashion-MNIST");

        // ---- 6. Cost: purifying against a cached sampling pass of the same model, same batch.
        int batch = Math.Min(64, n);
        var images = x[..batch];
        scorer.Model.Purify(images, defendEps.Max());                      // warm-up
        var timer = Stopwatch.StartNew();
        scorer.Model.Purify(images, defendEps.Max());
        double purifySeconds = timer.Elapsed.TotalSeconds;
        timer.Restart();
        scorer.Model.Sample(batch, options: new SamplingOptions { Seed = 1 });
        double sampleSeconds = timer.Elapsed.TotalSeconds;
        AnsiConsole.MarkupLine($"Purifying {batch} images: {purifySeconds:F2} s; a cached sampling pass of {batch}: {sampleSeconds:F2} s (ratio {purifySeconds / sampleSeconds:F2})");

        var summary = new JsonObject
        {
            ["test_images"] = n, ["classifier_images"] = p.GetValue(ClassifierImages), ["classifier_epochs"] = p.GetValue(ClassifierEpochs),
            ["pixelcnn"] = new JsonObject { ["preset"] = p.GetValue(Preset)!.ToUpperInvariant(), ["output"] = output.ToString(), ["train_images"] = trainRows.Count, ["epochs"] = p.GetValue(Epochs) },
            ["pgd_steps"] = p.GetValue(PgdSteps), ["clean_accuracy"] = cleanAccuracy,
            ["attacks"] = new JsonArray(attacks.Select(a => (JsonNode)new JsonObject
                { ["attack"] = a.Name, ["epsilon"] = a.Epsilon, ["accuracy"] = Accuracy(classifier, a.Images, y) }).ToArray()),
            ["detection"] = detection, ["purification"] = purification,
            ["cost"] = new JsonObject { ["batch"] = batch, ["purify_seconds"] = purifySeconds, ["cached_sampling_seconds"] = sampleSeconds,
                                        ["ratio"] = purifySeconds / sampleSeconds },
            ["threads"] = torch.get_num_threads(), ["seconds"] = total.Elapsed.TotalSeconds,
        };
        File.WriteAllText(Path.Combine(outDir.FullName, "defend.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        AnsiConsole.MarkupLine($"Done in {total.Elapsed:m\\:ss}: defend.json and defend.png in [green]{Markup.Escape(outDir.FullName)}[/]");
        return Cli.Ok;
    }

    private static OutputDistribution ParseOutput(string value) => value.Trim().ToLowerInvariant() switch
    {
        "softmax" => OutputDistribution.Softmax256,
        "logistic" => OutputDistribution.LogisticMixture,
        _ => throw new ArgumentException($"--output must be softmax or logistic, not '{value}'"),
    };

    private static void TrainClassifier(SmallCnn model, IdxDataset train, int count, int epochs, Device device)
    {
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        var rng = new Random(1);
        model.train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var order = Enumerable.Range(0, count).OrderBy(_ => rng.Next()).ToArray();
            double lossSum = 0;
            int batches = 0;
            for (int start = 0; start < count; start += 128)
            {
                Cli.Cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var rows = order.Skip(start).Take(128).ToArray();
                var xb = tensor(rows.SelectMany(i => train.GetPixels(i).ToArray()).Select(v => (float)v).ToArray(), [rows.Length, 1, 28, 28]).to(device);
                var yb = tensor(rows.Select(i => (long)train.Labels[i]).ToArray()).to(device);
                optimizer.zero_grad();
                var loss = functional.cross_entropy(model.forward(xb), yb);
                loss.backward();
                optimizer.step();
                lossSum += loss.item<float>();
                batches++;
            }
            AnsiConsole.MarkupLine($"[grey]classifier epoch {epoch + 1}/{epochs}: loss {lossSum / batches:F3}[/]");
        }
        model.eval();
    }

    private static double Accuracy(SmallCnn model, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.forward(x).argmax(1).eq(y).to(ScalarType.Float32).mean().item<float>();
    }

    /// <summary>The gradient sign of the classifier's loss at <paramref name="x"/>.</summary>
    private static Tensor GradientSign(SmallCnn model, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        var input = x.detach().requires_grad_(true);
        functional.cross_entropy(model.forward(input), y).backward();
        return input.grad!.sign().detach().MoveToOuterDisposeScope();
    }

    /// <summary>FGSM: one step of ε along the gradient sign, kept in 0..255 and whole.</summary>
    private static Tensor Fgsm(SmallCnn model, Tensor x, Tensor y, int eps) => (x + eps * GradientSign(model, x, y)).clamp(0, 255).round();

    /// <summary>PGD (BIM with a random start): steps of ε/4 (at least 1) along the gradient sign, projected on the ε-ball.</summary>
    private static Tensor Pgd(SmallCnn model, Tensor x, Tensor y, int eps, int steps, int seed)
    {
        using var g = new Generator((ulong)seed);
        var adv = (x + (rand(x.shape, generator: g).to(x.device) * 2 - 1) * eps).round().clamp(0, 255);
        double alpha = Math.Max(1, eps / 4.0);
        for (int s = 0; s < steps; s++)
        {
            var next = adv + alpha * GradientSign(model, adv, y);
            adv = minimum(maximum(next, x - eps), x + eps).clamp(0, 255).round();
        }
        return adv;
    }

    private static Tensor Purify(MLContext ml, PixelCnnPurifierTransformer purifier, Tensor images)
    {
        var view = ml.Data.LoadFromEnumerable(Rows(images));
        var purified = purifier.Transform(view).GetColumn<VBuffer<float>>("Pixels").SelectMany(v => v.DenseValues()).ToArray();
        return tensor(purified, images.shape).to(images.device);
    }

    private static double[] ScoreColumn(MLContext ml, PixelCnnDensityTransformer scorer, Tensor images, string column) =>
        scorer.Transform(ml.Data.LoadFromEnumerable(Rows(images))).GetColumn<float>(column).Select(v => (double)v).ToArray();

    private static List<FashionPixels> Rows(Tensor images)
    {
        var values = images.to(ScalarType.Float32, CPU).data<float>().ToArray();
        return Enumerable.Range(0, (int)images.shape[0]).Select(i => new FashionPixels { Pixels = values.AsSpan(i * 784, 784).ToArray() }).ToList();
    }

    private static List<RasterImage> PictureRows(Tensor clean, Tensor adv, Tensor purified)
    {
        var cells = new List<RasterImage>();
        foreach (var t in new[] { clean, adv, purified })
        {
            var bytes = t[..10].to(ScalarType.Byte, CPU).data<byte>().ToArray();
            cells.AddRange(RasterImage.ListFromChw(bytes, new ImageShape(1, 28, 28)));
        }
        return cells;
    }
}

// pixelcnn demo: the end-to-end Fashion-MNIST demo (the README's main job).
//   1. Train a Gated PixelCNN density scorer on nine classes (one class held out).
//   2. Score the whole test set; report AUROC etc. of "held-out class = anomaly".
//   3. Pictures: the most and least likely test images, bits maps of the least likely.
//   4. Train a class-conditional sampler on all ten classes; a sample grid per class.
//   5. A completion grid: test images with their bottom half sampled by the scorer's model.
//   6. With --linear-probes: a PixelCNN autoencoder (m = --probe-size) trained through ML.NET, and the
//      linear-probe table of its h against an MSE autoencoder's code and PCA (test accuracy).
// Everything goes to --out, with summary.json.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PixelCnn.ML.IO;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using PixelCnn.ML.Samples.Experiments;
using PixelCnn.ML.Sampling;
using Spectre.Console;
using TorchSharp;

namespace PixelCnn.ML.Samples.Commands;

internal static class DemoCommand
{
    private static readonly Option<DirectoryInfo> Out = new("--out") { Description = "Folder for the pictures and summary.json.", DefaultValueFactory = _ => new DirectoryInfo("demo-output") };
    private static readonly Option<int> TrainImages = new("--train-images") { Description = "Training images per model.", DefaultValueFactory = _ => 12000 };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Epochs per model.", DefaultValueFactory = _ => 1 };
    private static readonly Option<string> Holdout = new("--holdout") { Description = "Class held out of the scorer's training (the anomalies).", DefaultValueFactory = _ => "Bag" };
    private static readonly Option<string> Preset = new("--preset") { Description = "Model preset (S or M).", DefaultValueFactory = _ => "S" };
    private static readonly Option<int> PerClass = new("--samples-per-class") { Description = "Samples drawn per class.", DefaultValueFactory = _ => 8 };
    private static readonly Option<int> TestImages = new("--test-images") { Description = "Test images scored (max 10000).", DefaultValueFactory = _ => 10000 };
    private static readonly Option<bool> LinearProbes = new("--linear-probes")
    {
        Description = "Also train a PixelCNN autoencoder and show the linear-probe table: test accuracy of a linear classifier on its h, an MSE autoencoder's code and PCA.",
    };
    private static readonly Option<int> ProbeSize = new("--probe-size") { Description = "Bottleneck size m of --linear-probes.", DefaultValueFactory = _ => 10 };

    public sealed class Row
    {
        [VectorType(1, 28, 28)] public float[] Pixels = [];
        [KeyType(10)] public uint Label;   // the class index 0..9 (ML.NET reads a POCO key field as 0-based)
        public bool IsAnomaly;
    }

    public static Command Create()
    {
        var cmd = new Command("demo", "Fashion-MNIST demo: train, score, flag a held-out class as anomalies, sample every class, complete images.")
        {
            Out, TrainImages, Epochs, Holdout, Cli.Architecture, Preset, PerClass, TestImages, LinearProbes, ProbeSize, TrainCommand.DeviceOption,
        };
        cmd.SetAction(Run);
        return cmd;
    }

    private static int Run(ParseResult p)
    {
        var total = Stopwatch.StartNew();
        var outDir = p.GetValue(Out)!;
        outDir.Create();
        var names = FashionMnist.ClassNames;
        int holdout = names.ToList().FindIndex(n => n.Equals(p.GetValue(Holdout), StringComparison.OrdinalIgnoreCase));
        if (holdout < 0) throw new ArgumentException($"--holdout {p.GetValue(Holdout)}: not a Fashion-MNIST class ({string.Join(", ", names)})");
        var device = Engine.DeviceSelector.Parse(p.GetValue(TrainCommand.DeviceOption)!);
        var ml = new MLContext(seed: 1) { GpuDeviceId = (device.type == DeviceType.CUDA) ? device.index : null };
        Cli.ShowLog(ml);
        var config = Cli.ModelPreset(p, Preset);
        int nTrain = p.GetValue(TrainImages), epochs = p.GetValue(Epochs);
        var summary = new JsonObject { ["preset"] = p.GetValue(Preset)!.ToUpperInvariant(), ["architecture"] = config.Architecture.ToString(), ["train_images"] = nTrain, ["epochs"] = epochs,
                                       ["holdout_class"] = names[holdout], ["device"] = device.ToString(), ["threads"] = torch.get_num_threads() };

        var train = FashionMnist.Load(FashionMnistSplit.Train);
        var test = FashionMnist.Load(FashionMnistSplit.Test, Math.Clamp(p.GetValue(TestImages), 1, 10000));
        List<Row> Rows(IdxDataset d, Func<int, bool> keep, int max) =>
            Enumerable.Range(0, d.Count).Where(i => keep(d.Labels[i])).Take(max).Select(i => new Row
            {
                Pixels = d.Images.AsSpan(i * 784, 784).ToArray().Select(b => (float)b).ToArray(),
                Label = d.Labels[i], IsAnomaly = d.Labels[i] == holdout,
            }).ToList();

        // 1-2. Density scorer on the nine other classes; the held-out class are the anomalies.
        Cli.Section($"1. Density scorer: {config.Architecture}, preset {summary["preset"]}, {nTrain} training images without \"{names[holdout]}\"");
        var scorerData = ml.Data.LoadFromEnumerable(Rows(train, l => l != holdout, nTrain));
        using var scorer = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = "Pixels", Model = config, Training = { Epochs = epochs }, ValidationFraction = 0.05, ThresholdPercentile = 95,
            Progress = new ConsoleTrainingProgress(), CancellationToken = Cli.Cancellation,
        }).Fit(scorerData);
        AtomicFile.Write(Path.Combine(outDir.FullName, "scorer.zip"), s => ml.Model.Save(scorer, scorerData.Schema, s));

        Cli.Section($"2. Scoring {test.Count} test images");
        var testRows = Rows(test, _ => true, test.Count);
        var scored = scorer.WithBitsMap().Transform(ml.Data.LoadFromEnumerable(testRows));
        var bpd = scored.GetColumn<float>("BitsPerDim").ToArray();
        var metrics = ml.AnomalyDetection.EvaluateDetection(scored, labelColumnName: "IsAnomaly");
        double normalBpd = bpd.Where((_, i) => !testRows[i].IsAnomaly).Average(), anomalyBpd = bpd.Where((_, i) => testRows[i].IsAnomaly).Average();
        AnsiConsole.MarkupLine($"Test bits/dim: [bold]{bpd.Average():F4}[/] overall, {normalBpd:F4} on the nine training classes, {anomalyBpd:F4} on \"{names[holdout]}\"");
        AnsiConsole.MarkupLine($"Held-out \"{Markup.Escape(names[holdout])}\" as anomalies: [bold]AUROC {metrics.AreaUnderRocCurve:F4}[/], AUPR {metrics.AreaUnderPrecisionRecallCurve:F4}, " +
                               $"FPR at 95% TPR {metrics.FalsePositiveRateAt95TruePositiveRate:P1}; threshold {scorer.Threshold:F3} bits/dim flags " +
                               $"{metrics.Recall:P1} of them at precision {metrics.Precision:P1}");
        summary["test_bits_per_dim"] = bpd.Average();
        summary["test_bits_per_dim_normal"] = normalBpd;
        summary["test_bits_per_dim_holdout"] = anomalyBpd;
        summary["auroc"] = metrics.AreaUnderRocCurve;
        summary["aupr"] = metrics.AreaUnderPrecisionRecallCurve;
        summary["fpr_at_95_tpr"] = metrics.FalsePositiveRateAt95TruePositiveRate;
        summary["threshold"] = scorer.Threshold;
        // The baseline an ML.NET user already has: RandomizedPca on the same pixels of the same training images.
        var pca = ml.AnomalyDetection.Trainers.RandomizedPca("Pixels", rank: 20).Fit(scorerData);
        var pcaMetrics = ml.AnomalyDetection.EvaluateDetection(pca.Transform(ml.Data.LoadFromEnumerable(testRows)), labelColumnName: "IsAnomaly");
        AnsiConsole.MarkupLine($"ML.NET's RandomizedPca (rank 20) on the same pixels: AUROC {pcaMetrics.AreaUnderRocCurve:F4} " +
                               "(`pixelcnn ood` compares the corrected PixelCNN scores with it on six OOD sets)");
        summary["randomized_pca_auroc"] = pcaMetrics.AreaUnderRocCurve;

        // 3. Pictures of the most and least likely images, and bits maps.
        Cli.Section("3. Pictures");
        var order = Enumerable.Range(0, bpd.Length).OrderBy(i => bpd[i]).ToArray();
        RasterImage Img(int i) => new(28, 28, 1, testRows[i].Pixels.Select(v => (byte)v).ToArray());
        PictureWriter.SaveGrid(Path.Combine(outDir.FullName, "most-likely.png"), order.Take(20).Select(Img).ToList(), 10, 3,
                               title: "Most likely test images (lowest bits/dim)");
        PictureWriter.SaveGrid(Path.Combine(outDir.FullName, "least-likely.png"), order.Reverse().Take(20).Select(Img).ToList(), 10, 3,
                               title: "Least likely test images (highest bits/dim)");
        var maps = scored.GetColumn<VBuffer<float>>("BitsMap").Select(v => v.DenseValues().ToArray()).ToArray();
        var worst = order.Reverse().Take(10).ToList();
        var mapTiles = worst.Select(Img).Concat(worst.Select(i => Colormap.Heat(maps[i], 28, 28, 0, 16))).ToList();
        PictureWriter.SaveGrid(Path.Combine(outDir.FullName, "bits-maps.png"), mapTiles, 10, 3, rowLabels: ["image", "bits"],
                               title: "Least likely test images and where their bits go", scale: new ColorScale(0, 16, "bits per pixel"));
        summary["least_likely_classes"] = new JsonArray(worst.Select(i => (JsonNode)names[(int)testRows[i].Label]).ToArray());

        // 4. Class-conditional sampler on all ten classes.
        int perClass = p.GetValue(PerClass);
        Cli.Section($"4. Class-conditional sampler on all ten classes ({nTrain} images), {perClass} samples per class");
        var samplerData = ml.Data.LoadFromEnumerable(Rows(train, _ => true, nTrain));
        using var sampler = ml.Transforms.PixelCnnConditionalSampler(new PixelCnnConditionalSamplerEstimator.Options
        {
            FeatureColumnName = "Pixels", ConditionColumnName = "Label", Model = config, Training = { Epochs = epochs }, SamplingSeed = 7,
            Progress = new ConsoleTrainingProgress(), CancellationToken = Cli.Cancellation,
        }).Fit(samplerData);
        AtomicFile.Write(Path.Combine(outDir.FullName, "sampler.zip"), s => ml.Model.Save(sampler, samplerData.Schema, s));
        var sw = Stopwatch.StartNew();
        var grid = new List<RasterImage>();
        for (int c = 0; c < 10; c++)
        {
            Cli.Err.MarkupLine($"[grey]sampling {Markup.Escape(names[c])}[/]");
            foreach (var image in sampler.Generate(perClass, classIndex: c, cancellationToken: Cli.Cancellation))
                using (image) grid.Add(RasterImage.FromMLImage(image));
        }
        summary["sampling_seconds"] = sw.Elapsed.TotalSeconds;
        PictureWriter.SaveGrid(Path.Combine(outDir.FullName, "samples-by-class.png"), grid, perClass, 3, rowLabels: names.ToList(),
                               title: "Class-conditional samples, one row per class");
        AnsiConsole.MarkupLine($"{10 * perClass} samples in {sw.Elapsed.TotalSeconds:F1} s (rows in class order: {Markup.Escape(string.Join(", ", names))})");

        // 5. Completions of test images whose bottom half is hidden, by the scorer's model.
        Cli.Section("5. Completions: top 14 rows given, bottom sampled (3 per image)");
        var picks = Enumerable.Range(0, testRows.Count).Where(i => !testRows[i].IsAnomaly).Take(8).ToArray();
        var completed = new List<RasterImage>();
        using (var scope = torch.NewDisposeScope())
        {
            var images = torch.tensor(picks.SelectMany(i => testRows[i].Pixels).ToArray(), picks.Length, 1, 28, 28);
            var done = PixelCnnSampler.Complete(scorer.Model, images, knownRows: 14, samplesPerImage: 3, options: new SamplingOptions { Seed = 3 },
                                                cancellationToken: Cli.Cancellation).to(torch.ScalarType.Byte, torch.CPU).data<byte>().ToArray();
            for (int k = 0; k < picks.Length; k++)
            {
                var original = Img(picks[k]);
                var masked = original.ToArray();
                Array.Fill(masked, (byte)128, 14 * 28, 14 * 28);
                completed.Add(original);
                completed.Add(new RasterImage(28, 28, 1, masked));
                for (int s = 0; s < 3; s++) completed.Add(new RasterImage(28, 28, 1, done.AsSpan((k * 3 + s) * 784, 784)));
            }
        }
        PictureWriter.SaveGrid(Path.Combine(outDir.FullName, "completions.png"), completed, 5, 3,
                               title: "Original, bottom hidden, 3 completions");

        if (p.GetValue(LinearProbes)) summary["linear_probes"] = Probes(ml, p.GetValue(ProbeSize), config, Rows(train, _ => true, nTrain), testRows, epochs, device);

        summary["seconds"] = total.Elapsed.TotalSeconds;
        AtomicFile.WriteAllText(Path.Combine(outDir.FullName, "summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        AnsiConsole.MarkupLine($"Done in {total.Elapsed:m\\:ss}. Pictures and summary.json in [green]{Markup.Escape(outDir.FullName)}[/]:");
        foreach (var f in new[] { "most-likely.png", "least-likely.png", "bits-maps.png", "samples-by-class.png", "completions.png", "scorer.zip", "sampler.zip" })
            AnsiConsole.MarkupLine($"  {f}");
        return Cli.Ok;
    }

    /// <summary>Step 6: a PixelCNN autoencoder through ML.NET, then the linear probes of its h, an MSE autoencoder's code and PCA.</summary>
    private static JsonObject Probes(MLContext ml, int m, PixelCnnConfig config, List<Row> trainRows, List<Row> testRows, int epochs, torch.Device device)
    {
        if (m < 1) throw new ArgumentException($"--probe-size {m}: must be >= 1");
        Cli.Section($"6. Linear probes: a PixelCNN autoencoder's h (m = {m}) against an MSE autoencoder and PCA, {trainRows.Count} training images");
        var data = ml.Data.LoadFromEnumerable(trainRows);
        using var ae = ml.Transforms.PixelCnnAutoencoder(new PixelCnnAutoencoderEstimator.Options
        {
            FeatureColumnName = "Pixels", EmbeddingSize = m, Model = config, Training = { Epochs = epochs, Device = device },
            Progress = new ConsoleTrainingProgress(), CancellationToken = Cli.Cancellation,
        }).Fit(data);
        LinearProbe.Labelled Labelled(List<Row> rows) => new(
            new ImageDataset(1, 28, 28, rows.SelectMany(r => r.Pixels.Select(v => (byte)v)).ToArray()), rows.Select(r => (int)r.Label).ToList());
        var train = Labelled(trainRows);
        var test = Labelled(testRows);
        var shape = new ImageShape(1, 28, 28);
        using var mse = Experiments.MseAutoencoder.Train(shape, config.EncoderChannels, m, train.Images, epochs, 1, device);
        var probe = LinearProbe.Compare(ml, m, train, test, d => ae.Model.Encode(d), mse, device, seed: 1);
        var table = new Table { Title = new TableTitle("Linear probes (ML.NET L-BFGS maximum entropy): Fashion-MNIST test accuracy") };
        table.AddColumns("m", "PixelCNN autoencoder h", "MSE autoencoder h", "PCA");
        table.AddRow($"{m}", $"{probe.PixelCnnAutoencoder:P2}", $"{probe.MseAutoencoder:P2}", $"{probe.Pca:P2}");
        AnsiConsole.Write(table);
        var json = probe.ToJson();
        json["embedding_size"] = m;
        return json;
    }
}

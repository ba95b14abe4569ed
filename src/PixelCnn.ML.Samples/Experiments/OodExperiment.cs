// pixelcnn ood: how well each score separates Fashion-MNIST test images from out-of-distribution sets, beside ML.NET's
// RandomizedPca on the same pixels. One density scorer with a likelihood-ratio background model is trained on
// Fashion-MNIST without a held-out class (ml.AnomalyDetection.Trainers.PixelCnn); its model gives the raw and the
// input-complexity scores, its background model (perturbed inputs, Ren et al.) the likelihood ratio. A local background
// model (the configuration of LikelihoodRatioBackground.Local) gives the second likelihood ratio. A second scorer, a
// pyramid model, gives the density-of-states score (its levels' bits and the PNG size; Morningstar et al. 2021), beside
// the same estimate on the flat model's bits/dim and PNG size and the pyramid's 7x7 level alone. The OOD sets are
// made from what this machine has: the held-out class, vertical flips, inverted images, uniform noise, constant
// images, and digits rendered from the DejaVu fonts (a real non-Fashion image source: fonts-dejavu-core is installed
// by the set-up). For every set and score: AUROC, AUPR, FPR at 95% TPR (positives = the OOD set, negatives = the normal test images); the typicality
// test is scored per batch. Writes ood.json, ROC curves and score histograms.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PixelCnn.ML.Components;
using PixelCnn.ML.Evaluation;
using PixelCnn.ML.Models;
using PixelCnn.ML.Samples.Commands;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Training;
using SkiaSharp;
using Spectre.Console;

namespace PixelCnn.ML.Samples.Experiments;

internal static class OodExperiment
{
    private static readonly Option<int> TrainImages = new("--train-images") { Description = "Training images (of the classes kept).", DefaultValueFactory = _ => 12000 };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Epochs of the model and of the background model.", DefaultValueFactory = _ => 1 };
    private static readonly Option<string> Holdout = new("--holdout") { Description = "Class left out of training (one of the OOD sets).", DefaultValueFactory = _ => "Bag" };
    private static readonly Option<string> Preset = new("--preset") { Description = "Model preset (S or M).", DefaultValueFactory = _ => "S" };
    private static readonly Option<double> WeightDecay = new("--background-weight-decay") { Description = "L2 weight decay of the perturbed background model.", DefaultValueFactory = _ => 1e-4 };
    private static readonly Option<int> LocalLayers = new("--local-layers") { Description = "Gated blocks of the local background model.", DefaultValueFactory = _ => 2 };
    private static readonly Option<int> SetSize = new("--set-size") { Description = "Images per OOD set (and at most this many normal test images x 2).", DefaultValueFactory = _ => 1000 };
    private static readonly Option<int> BatchSize = new("--typicality-batch") { Description = "Batch size of the typicality test.", DefaultValueFactory = _ => 10 };
    private static readonly Option<DirectoryInfo> OutDir = new("--out-dir") { Description = "Folder for ood.json and the plots.", DefaultValueFactory = _ => new DirectoryInfo("ood-output") };

    public static Command Create()
    {
        var cmd = new Command("ood", "Out-of-distribution detection on Fashion-MNIST: raw bits/dim, likelihood ratio, input complexity and typicality against ML.NET's RandomizedPca.")
        {
            TrainImages, Epochs, Holdout, Preset, WeightDecay, LocalLayers, SetSize, BatchSize, OutDir, TrainCommand.DeviceOption,
        };
        cmd.SetAction(Run);
        return cmd;
    }

    private static int Run(ParseResult p)
    {
        var total = Stopwatch.StartNew();
        var outDir = p.GetValue(OutDir)!;
        outDir.Create();
        var names = FashionMnist.ClassNames;
        int holdout = names.ToList().FindIndex(n => n.Equals(p.GetValue(Holdout), StringComparison.OrdinalIgnoreCase));
        if (holdout < 0) throw new ArgumentException($"--holdout {p.GetValue(Holdout)}: not a Fashion-MNIST class ({string.Join(", ", names)})");
        int setSize = p.GetValue(SetSize);
        if (setSize < 20) throw new ArgumentException($"--set-size {setSize}: must be >= 20");
        var ml = Generation.Context(p);
        Cli.ShowLog(ml);
        var config = PixelCnnConfig.Preset(p.GetValue(Preset)!);

        var train = FashionMnist.Load(FashionMnistSplit.Train);
        var test = FashionMnist.Load(FashionMnistSplit.Test);
        var trainRows = Images(train, i => train.Labels[i] != holdout).Take(p.GetValue(TrainImages)).ToList();
        var normal = Images(test, i => test.Labels[i] != holdout).Take(2 * setSize).ToList();
        var rng = new Random(20261201);
        var sets = new List<(string Name, List<byte[]> Images)>
        {
            ($"held-out {names[holdout]}", Images(test, i => test.Labels[i] == holdout).Take(setSize).ToList()),
            ("vertical flip", normal.Take(setSize).Select(FlipVertically).ToList()),
            ("inverted", normal.Take(setSize).Select(x => x.Select(v => (byte)(255 - v)).ToArray()).ToList()),
            ("uniform noise", Enumerable.Range(0, setSize).Select(_ => { var x = new byte[784]; rng.NextBytes(x); return x; }).ToList()),
            ("constant", Enumerable.Range(0, setSize).Select(_ => Enumerable.Repeat((byte)rng.Next(256), 784).ToArray()).ToList()),
            ("DejaVu digits", RenderedDigits(setSize, rng)),
        };
        var picture = sets.SelectMany(s => s.Images.Take(8)).Select(x => new RasterImage(28, 28, 1, x)).ToList();
        PictureWriter.SaveGrid(Path.Combine(outDir.FullName, "ood-sets.png"), picture, 8, 2, rowLabels: sets.Select(s => s.Name).ToList(),
                               title: "The out-of-distribution sets");

        // ---- ML.NET's RandomizedPca on the same pixels: the baseline every table starts with.
        Cli.Section($"RandomizedPca (rank 20) on {trainRows.Count} images");
        var sw = Stopwatch.StartNew();
        var trainView = ml.Data.LoadFromEnumerable(trainRows.Select(ToRow));
        var pca = ml.AnomalyDetection.Trainers.RandomizedPca("Pixels", rank: 20).Fit(trainView);
        double pcaSeconds = sw.Elapsed.TotalSeconds;
        double[] Pca(List<byte[]> images) => pca.Transform(ml.Data.LoadFromEnumerable(images.Select(ToRow))).GetColumn<float>("Score").Select(v => (double)v).ToArray();

        // ---- The PixelCNN scorer with a background model (the likelihood ratio's); the other scores reuse its model.
        Cli.Section($"PixelCNN scorer (preset {p.GetValue(Preset)!.ToUpperInvariant()}, {p.GetValue(Epochs)} epoch(s)) with a background model");
        sw.Restart();
        using var scorer = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = "Pixels", Model = config, Training = { Epochs = p.GetValue(Epochs) }, ValidationFraction = 0.05,
            ScoreKind = DensityScoreKind.LikelihoodRatio, BackgroundWeightDecay = p.GetValue(WeightDecay),
            Progress = new ConsoleTrainingProgress(), CancellationToken = Cli.Cancellation,
        }).Fit(trainView);
        double trainSeconds = sw.Elapsed.TotalSeconds;
        // The local background model (LikelihoodRatioBackground.Local's configuration), trained here beside the scorer on
        // all its training images, so both likelihood ratios share the scorer's model as numerator.
        int localLayers = p.GetValue(LocalLayers);
        var localConfig = PixelCnnDensityTrainer.LocalBackground(scorer.Model.Config, localLayers);
        Cli.Section($"Local background model ({localLayers} gated block(s), kernel 3, {p.GetValue(Epochs)} epoch(s))");
        sw.Restart();
        using var localBackground = new PixelCnnTrainer(localConfig, new TrainingOptions
        {
            Epochs = p.GetValue(Epochs), Seed = 2, Device = scorer.Model.Device,
        }).Fit(new ImageDataset(1, 28, 28, trainRows.SelectMany(x => x).ToArray()), null, new ConsoleTrainingProgress(), Cli.Cancellation).Model;
        double localSeconds = sw.Elapsed.TotalSeconds;
        // A pyramid scorer (7x7, 14x14 given 7x7, 28x28 given 14x14) with the density-of-states score: the estimate of its
        // statistics (each level's bits, the PNG size) is fitted at Fit time on its held-out images.
        Cli.Section($"Pyramid scorer (preset {p.GetValue(Preset)!.ToUpperInvariant()}, {p.GetValue(Epochs)} epoch(s)), density of states");
        sw.Restart();
        using var pyramid = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = "Pixels", Model = PixelCnnConfig.Preset(p.GetValue(Preset)!, PixelCnnArchitecture.Pyramid),
            Training = { Epochs = p.GetValue(Epochs) }, ValidationFraction = 0.05, ScoreKind = DensityScoreKind.DensityOfStates,
            Progress = new ConsoleTrainingProgress(), CancellationToken = Cli.Cancellation,
        }).Fit(trainView);
        double pyramidSeconds = sw.Elapsed.TotalSeconds;
        // The same estimate on the flat model's two statistics (bits/dim, PNG size), fitted on other normal test images
        // (the flat scorer's own held-out split is not kept): is the gain the levels' or the two-sided estimate's?
        var flatFit = Images(test, i => test.Labels[i] != holdout).Skip(2 * setSize).Take(600).ToList();
        var flatStates = DensityOfStates.Fit(DensityOfStates.Statistics(scorer.Model, Dataset(flatFit), ComplexityCompressor.Png).Statistics);
        var typicality = scorer.TypicalityTest(p.GetValue(BatchSize));

        string[] methods = ["RandomizedPca (ML.NET)", "raw bits/dim", "likelihood ratio", "likelihood ratio (local background)",
                            "input complexity (PNG)", "input complexity (Brotli)", "density of states (flat: bits/dim, PNG size)",
                            "pyramid 7x7 level bits", "density of states (pyramid levels, PNG size)"];
        const int pyramidDos = 8;
        // Every score of a set from one forward pass of each model: the likelihood ratio's pass also gives raw bits/dim.
        double[][] Scores(List<byte[]> images)
        {
            var data = Dataset(images);
            var lr = DensityScores.Compute(scorer.Model, scorer.Background, DensityScoreKind.LikelihoodRatio, ComplexityCompressor.Png, data,
                                           cancellationToken: Cli.Cancellation);
            var local = localBackground.Score(data, cancellationToken: Cli.Cancellation).BitsPerDim;
            var png = DensityScores.InputComplexityScores(lr.BitsPerDim, data, ComplexityCompressor.Png);
            // The flat model's statistics are its bits/dim and the PNG size (what DensityOfStates.Statistics computes for it).
            var flat = lr.BitsPerDim.Select((b, i) => flatStates.NegativeLogDensity([b, b - png[i]])).ToArray();
            var levels = DensityOfStates.Statistics(pyramid.Model, data, ComplexityCompressor.Png, cancellationToken: Cli.Cancellation).Statistics;
            return [Pca(images), lr.BitsPerDim, lr.Score, lr.BitsPerDim.Zip(local, (m, b) => m - b).ToArray(), png,
                    DensityScores.InputComplexityScores(lr.BitsPerDim, data, ComplexityCompressor.Brotli), flat,
                    levels.Select(s => s[0]).ToArray(), levels.Select(pyramid.States!.NegativeLogDensity).ToArray()];
        }
        Cli.Section($"Scoring {normal.Count} normal test images and {sets.Count} OOD sets of {setSize}");
        var normalScores = Scores(normal);
        var normalRaw = normalScores[1];
        var results = new JsonArray();
        var table = new Table().AddColumn("set").AddColumns(methods.Select(m => new TableColumn(m)).ToArray())
            .AddColumn(new TableColumn($"typicality (batches of {typicality.BatchSize})"));
        foreach (var (name, images) in sets)
        {
            var row = new JsonObject { ["set"] = name, ["images"] = images.Count };
            var cells = new List<string> { name };
            var curves = new List<(string, double[], double[])>();
            var setScores = Scores(images);
            var raw = setScores[1];
            for (int m = 0; m < methods.Length; m++)
            {
                var scores = setScores[m];
                var metrics = DetectionMetrics.Compute(normalScores[m].Concat(scores).ToList(),
                                                       normalScores[m].Select(_ => false).Concat(scores.Select(_ => true)).ToList());
                row[methods[m]] = Metrics(metrics);
                cells.Add($"{metrics.AreaUnderRocCurve:F3}");
                curves.Add((methods[m], normalScores[m], scores));
            }
            var typ = Typicality(typicality, normalRaw, raw);
            row["typicality"] = Metrics(typ);
            row["typicality"]!["batch_size"] = typicality.BatchSize;
            cells.Add($"{typ.AreaUnderRocCurve:F3}");
            results.Add(row);
            table.AddRow(cells.Select(Markup.Escape).ToArray());
            var slug = Slug(name);
            Plots.Roc(Path.Combine(outDir.FullName, $"roc-{slug}.png"), $"ROC: {name} vs Fashion-MNIST test", curves);
            Plots.Histograms(Path.Combine(outDir.FullName, $"hist-{slug}.png"), $"Scores: {name} vs Fashion-MNIST test", "raw bits/dim",
                             [("Fashion-MNIST test", normalRaw), (name, raw)]);
            Plots.Histograms(Path.Combine(outDir.FullName, $"hist-dos-{slug}.png"), $"Density of states (pyramid): {name} vs Fashion-MNIST test",
                             "−ln p̂(statistics)", [("Fashion-MNIST test", normalScores[pyramidDos]), (name, setScores[pyramidDos])]);
        }
        AnsiConsole.WriteLine("AUROC (positives: the OOD set; negatives: Fashion-MNIST test images of the trained classes)");
        AnsiConsole.Write(table);

        var summary = new JsonObject
        {
            ["preset"] = p.GetValue(Preset)!.ToUpperInvariant(), ["epochs"] = p.GetValue(Epochs), ["train_images"] = trainRows.Count,
            ["holdout_class"] = names[holdout], ["normal_test_images"] = normal.Count, ["set_size"] = setSize,
            ["background_perturbation"] = 0.2, ["background_weight_decay"] = p.GetValue(WeightDecay), ["local_background_layers"] = localLayers,
            ["local_background_train_seconds"] = localSeconds, ["pyramid_train_seconds"] = pyramidSeconds,
            ["density_of_states"] = new JsonObject
            {
                ["pyramid_statistics"] = pyramid.States!.Dimensions, ["pyramid_reference_images"] = pyramid.States.Reference.Count,
                ["pyramid_bandwidth"] = pyramid.States.Bandwidth, ["flat_reference_images"] = flatStates.Reference.Count,
            },
            ["typicality"] = new JsonObject { ["batch_size"] = typicality.BatchSize, ["entropy_bits_per_dim"] = typicality.Entropy, ["epsilon"] = typicality.Epsilon },
            ["pca_train_seconds"] = pcaSeconds, ["pixelcnn_train_seconds"] = trainSeconds, ["seconds"] = total.Elapsed.TotalSeconds,
            ["threads"] = TorchSharp.torch.get_num_threads(), ["results"] = results,
        };
        File.WriteAllText(Path.Combine(outDir.FullName, "ood.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        AnsiConsole.MarkupLine($"Done in {total.Elapsed:m\\:ss}: ood.json, roc-*.png, hist-*.png and ood-sets.png in [green]{Markup.Escape(outDir.FullName)}[/]");
        return Cli.Ok;
    }

    private static JsonObject Metrics(DetectionMetrics m) => new()
    {
        ["auroc"] = m.AreaUnderRocCurve, ["aupr"] = m.AreaUnderPrecisionRecallCurve, ["fpr_at_95_tpr"] = m.FalsePositiveRateAt95TruePositiveRate,
    };

    /// <summary>The typicality test per batch: the statistic of consecutive batches of normal and of OOD images.</summary>
    private static DetectionMetrics Typicality(TypicalityTest test, double[] normalRaw, double[] oodRaw)
    {
        var n = test.BatchStatistics(normalRaw);
        var o = test.BatchStatistics(oodRaw);
        return DetectionMetrics.Compute(n.Concat(o).ToList(), n.Select(_ => false).Concat(o.Select(_ => true)).ToList(), falsePositiveCount: 1);
    }

    private static IEnumerable<byte[]> Images(IdxDataset d, Func<int, bool> keep) =>
        Enumerable.Range(0, d.Count).Where(keep).Select(i => d.GetPixels(i).ToArray());

    private static FashionPixels ToRow(byte[] x) => FashionPixels.From(x);
    private static ImageDataset Dataset(List<byte[]> images) => new(1, 28, 28, images.SelectMany(x => x).ToArray());

    private static byte[] FlipVertically(byte[] x)
    {
        var y = new byte[784];
        for (int r = 0; r < 28; r++) Array.Copy(x, r * 28, y, (27 - r) * 28, 28);
        return y;
    }

    /// <summary>Digits 0-9 drawn white on black from the installed DejaVu fonts, at random size, position, slant and weight.</summary>
    private static List<byte[]> RenderedDigits(int count, Random rng)
    {
        string[] families = ["DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"];
        var list = new List<byte[]>();
        using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int k = 0; k < count; k++)
        {
            using var typeface = SKTypeface.FromFamilyName(families[rng.Next(families.Length)], rng.Next(2) == 0 ? SKFontStyle.Normal : SKFontStyle.Bold)
                                 ?? SKTypeface.Default;
            using var canvas = new SKCanvas(bitmap);
            canvas.Clear(SKColors.Black);
            using var font = new SKFont(typeface, 18 + rng.Next(7));
            using var paint = new SKPaint { Color = SKColors.White, IsAntialias = true };
            canvas.Translate(14 + rng.Next(-2, 3), 14);
            canvas.RotateDegrees(rng.Next(-15, 16));
            var digit = rng.Next(10).ToString(System.Globalization.CultureInfo.InvariantCulture);
            font.MeasureText(digit, out var bounds);
            canvas.DrawText(digit, 0, -bounds.MidY, SKTextAlign.Center, font, paint);
            canvas.Flush();
            list.Add(bitmap.Bytes);
        }
        return list;
    }

    private static string Slug(string name) => new(name.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());
}

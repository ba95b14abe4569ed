// pixelcnn experiment autoencoder: the autoencoder comparison of the Gated PixelCNN paper (section
// 3.4) on Fashion-MNIST, with the measurements that say whether h is used. On the same training
// images, epochs and seed (so the same batches in the same order) it trains (a) an unconditional
// PixelCNN, (b) a PixelCNN autoencoder per bottleneck size m (the same decoder preset), (c) an
// MSE-trained convolutional autoencoder per m with the same encoder and (d) PCA with m components.
// It reports the test and training-image bits/dim of x given h against the unconditional model,
// learning curves on the same batches, the diagnosis of every autoencoder (AutoencoderDiagnosis:
// h's spread, bits/dim given the mean h or another image's h, gradient norms into h, the encoder
// and each layer's conditioning) and the linear-probe accuracy of each representation (ML.NET).
// Pictures: per m, originals, MSE reconstructions and PixelCNN-autoencoder samples given h (the
// paper's figure 6); the learning curves. --frozen-encoder and --extra-seeds add diagnosis runs.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using PixelCnn.ML.Samples.Commands;
using PixelCnn.ML.Sampling;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Experiments;

internal static class AutoencoderExperiment
{
    private static readonly Option<int> TrainImages = new("--train-images") { Description = "Fashion-MNIST training images (the first N).", DefaultValueFactory = _ => 10000 };
    private static readonly Option<int> TestImages = new("--test-images") { Description = "Fashion-MNIST test images scored (the first N).", DefaultValueFactory = _ => 2000 };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Epochs of every model.", DefaultValueFactory = _ => 1 };
    private static readonly Option<string> Sizes = new("--sizes") { Description = "Bottleneck sizes m, comma-separated.", DefaultValueFactory = _ => "10,100" };
    private static readonly Option<string> Preset = new("--preset") { Description = "PixelCNN preset of the unconditional model and the decoders: S or M.", DefaultValueFactory = _ => "S" };
    private static readonly Option<int> PictureImages = new("--picture-images") { Description = "Test images shown in each picture (columns).", DefaultValueFactory = _ => 10 };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of initialisation, shuffling and sampling.", DefaultValueFactory = _ => 1 };
    private static readonly Option<bool> FrozenEncoderOption = new("--frozen-encoder")
    {
        Description = "Diagnosis: also train each decoder given the h of the encoder as initialised (never trained).",
    };
    private static readonly Option<string> Conditioning = new("--conditioning")
    {
        Description = "How the decoders take h: spatial (a map s = m(h) added through 1x1 convolutions) or global (per-layer biases).",
        DefaultValueFactory = _ => "spatial",
    };
    private static readonly Option<FileInfo?> UnconditionalFrom = new("--unconditional-from")
    {
        Description = "Take the unconditional model's figures and learning curve from an earlier results.json of the same images, epochs, preset and seed instead of training it again.",
    };
    private static readonly Option<bool> PlainEncoderOutput = new("--plain-encoder-output")
    {
        Description = "Diagnosis: build the encoders (PixelCNN and MSE autoencoders) without the equalized learning rate of their output layer, as before the fix.",
    };
    private static readonly Option<string> ExtraSeeds = new("--extra-seeds")
    {
        Description = "Diagnosis: also train the unconditional model with these seeds (comma-separated) to measure the seed-to-seed spread of bits/dim.",
        DefaultValueFactory = _ => "",
    };
    private static readonly Option<DirectoryInfo> OutDir = new("--out-dir") { Description = "Folder for results.json and the pictures.", DefaultValueFactory = _ => new DirectoryInfo("experiment-ae") };

    /// <summary>Sampled PixelCNN-autoencoder reconstructions per image in the pictures.</summary>
    private const int SamplesPerImage = 2;

    public static Command Create()
    {
        var experiment = new Command("experiment", "Experiments: the Gated PixelCNN paper's autoencoder comparison on Fashion-MNIST; PixelRNN beside the Gated PixelCNN; grayscale and pyramid PixelCNNs; colorization; image-loading and model-file fuzz figures.");
        var cmd = new Command("autoencoder",
            "Compare PixelCNN autoencoders (m = each --sizes) with an unconditional PixelCNN (test bits/dim of x given h) and an MSE autoencoder " +
            "(pictures of reconstructions). Writes results.json and reconstructions-m<M>.png into --out-dir.")
        {
            TrainImages, TestImages, Epochs, Sizes, Preset, PictureImages, Seed, Conditioning, UnconditionalFrom, FrozenEncoderOption, PlainEncoderOutput, ExtraSeeds, OutDir, TrainCommand.DeviceOption,
        };
        cmd.SetAction(Run);
        experiment.Subcommands.Add(cmd);
        experiment.Subcommands.Add(ImageFuzz.CreateCommand());
        experiment.Subcommands.Add(ModelFuzz.CreateCommand());
        experiment.Subcommands.Add(PixelRnnExperiment.CreateCommand());
        experiment.Subcommands.Add(AuxiliaryExperiment.CreateCommand());
        experiment.Subcommands.Add(ColorizationExperiment.CreateCommand());
        experiment.Subcommands.Add(EmbeddingExperiment.CreateCommand());
        return experiment;
    }

    private static int Run(ParseResult p)
    {
        int nTrain = p.GetValue(TrainImages), nTest = p.GetValue(TestImages), epochs = p.GetValue(Epochs), pictures = p.GetValue(PictureImages);
        if (nTrain < 1) throw new ArgumentException($"--train-images {nTrain}: must be >= 1");
        if (nTest < 1) throw new ArgumentException($"--test-images {nTest}: must be >= 1");
        if (epochs < 1) throw new ArgumentException($"--epochs {epochs}: must be >= 1");
        if (pictures < 1) throw new ArgumentException($"--picture-images {pictures}: must be >= 1");
        var sizes = Generation.ParseList(p.GetValue(Sizes)!, "--sizes");
        if (sizes.Any(m => m < 1)) throw new ArgumentException($"--sizes {p.GetValue(Sizes)}: every size must be >= 1");
        var preset = PixelCnnConfig.Preset(p.GetValue(Preset)!);
        var device = Engine.DeviceSelector.Parse(p.GetValue(TrainCommand.DeviceOption)!);
        ulong seed = (ulong)p.GetValue(Seed);
        bool frozen = p.GetValue(FrozenEncoderOption);
        var outDir = p.GetValue(OutDir)!;
        outDir.Create();

        var trainIdx = FashionMnist.Load(FashionMnistSplit.Train, nTrain);
        var testIdx = FashionMnist.Load(FashionMnistSplit.Test, nTest);
        var train = Dataset(trainIdx);
        var test = Dataset(testIdx);
        var trainLabels = trainIdx.Labels.Select(l => (int)l).ToArray();
        var testLabels = testIdx.Labels.Select(l => (int)l).ToArray();
        // The training images scored after training (as many as the test images): does h help where it was fitted?
        var trainScored = train.Slice(0, Math.Min(nTest, train.Count));
        var shape = new ImageShape(1, FashionMnist.ImageSide, FashionMnist.ImageSide);
        bool equalized = !p.GetValue(PlainEncoderOutput);
        var conditioning = p.GetValue(Conditioning)!.Trim().ToLowerInvariant() switch
        {
            "global" => ConditioningKind.Global,
            "spatial" => ConditioningKind.Spatial,
            var other => throw new ArgumentException($"--conditioning {other}: expected global or spatial"),
        };
        var baseConfig = preset with { Channels = 1, Height = shape.Height, Width = shape.Width, EqualizedEncoderOutput = equalized };
        var ml = new MLContext(seed: (int)seed);
        Cli.Err.MarkupLine($"Autoencoder experiment: {train.Count} training and {test.Count} test images of Fashion-MNIST, {epochs} epoch(s), " +
                           $"sizes {string.Join(", ", sizes)}, preset {Markup.Escape(p.GetValue(Preset)!)}, {device}, {get_num_threads()} thread(s)");
        var total = Stopwatch.StartNew();

        Cli.Err.MarkupLine("[bold](a) unconditional PixelCNN[/]");
        Curve unconditionalCurve;
        Scored unconditional;
        if (p.GetValue(UnconditionalFrom) is { } earlier)
        {
            (unconditional, unconditionalCurve) = Earlier(earlier, train.Count, test.Count, epochs, p.GetValue(Preset)!, seed);
            Cli.Err.MarkupLine($"  from {Markup.Escape(earlier.FullName)}");
        }
        else unconditional = TrainAndScore(baseConfig, train, test, trainScored, epochs, seed, device, out unconditionalCurve);
        Cli.Err.MarkupLine($"  test {unconditional.Test:F4}, training images {unconditional.Train:F4} bits/dim ({unconditional.Seconds:F0} s)");

        var seedSpread = new JsonArray();
        if (p.GetValue(ExtraSeeds) is { Length: > 0 } extra)
            foreach (var other in Generation.ParseList(extra, "--extra-seeds"))
            {
                Cli.Err.MarkupLine($"[bold](a') unconditional PixelCNN, seed {other}[/]");
                var r = TrainAndScore(baseConfig, train, test, trainScored, epochs, (ulong)other, device, out _);
                Cli.Err.MarkupLine($"  test {r.Test:F4}, training images {r.Train:F4} bits/dim");
                seedSpread.Add(new JsonObject { ["seed"] = other, ["bitsPerDim"] = r.Test, ["trainSetBitsPerDim"] = r.Train });
            }

        Cli.Err.MarkupLine("[bold]linear probe of the raw pixels (reference)[/]");
        double pixelProbe = LinearProbe.Accuracy(ml, LinearProbe.Features.FromPixels(new(train, trainLabels)), LinearProbe.Features.FromPixels(new(test, testLabels)));
        Cli.Err.MarkupLine($"  test accuracy {pixelProbe:P2}");

        var rows = new List<JsonObject>();
        var curves = new List<(string Name, Curve Curve)> { ("unconditional", unconditionalCurve) };
        int shown = Math.Min(pictures, test.Count);
        var showRows = Enumerable.Range(0, shown).ToArray();
        var shownSet = test.Take(showRows);
        foreach (var m in sizes)
        {
            Cli.Err.MarkupLine($"[bold](b) PixelCNN autoencoder, m = {m}[/]");
            var aeConfig = baseConfig.AsAutoencoder(m, conditioning);
            var given = TrainAndScore(aeConfig, train, test, trainScored, epochs, seed, device, out var aeCurve, keep: true);
            using var ae = given.Model!;
            curves.Add(($"PixelCNN AE, m = {m}", aeCurve));
            var diagnosis = AutoencoderDiagnosis.Measure(ae, test, AutoencoderDiagnosis.MeanH(ae, train));
            Cli.Err.MarkupLine($"  test {given.Test:F4}, training images {given.Train:F4} bits/dim of x given h ({given.Seconds:F0} s)");
            Cli.Err.MarkupLine($"  given the mean h {(double)diagnosis["bitsPerDimGiven"]!["mean"]!:F4}, another image's h {(double)diagnosis["bitsPerDimGiven"]!["anotherImage"]!:F4}");
            using var scope = NewDisposeScope();
            var x = shownSet.GetBatch(showRows, torch.CPU).x;
            var sampled = PixelCnnSampler.Reconstruct(ae, x, SamplesPerImage, new SamplingOptions { Seed = seed },
                                                      Generation.RowProgress("  sampling reconstructions", shape.Height), Cli.Cancellation);
            var aeImages = Generation.ToImages(sampled, shape);

            JsonObject? frozenRow = null;
            if (frozen)
            {
                Cli.Err.MarkupLine($"[bold](b') the same decoder given the untrained encoder's h (frozen at initialisation), m = {m}[/]");
                frozenRow = FrozenEncoder(aeConfig, train, test, trainScored, epochs, seed, device);
            }

            Cli.Err.MarkupLine($"[bold](c) MSE autoencoder, m = {m}[/]");
            var sw = Stopwatch.StartNew();
            using var mse = MseAutoencoder.Train(shape, baseConfig.EncoderChannels, m, train, epochs, seed, device, equalized);
            var mseTime = sw.Elapsed;
            var (msePixels, testMse) = mse.Reconstruct(test, device);
            Cli.Err.MarkupLine($"  test MSE {testMse:F1} (0..255 scale, {mseTime.TotalSeconds:F0} s)");

            Cli.Err.MarkupLine($"[bold](d) linear probes of h (PixelCNN AE, MSE AE) and of PCA with {m} components[/]");
            var probe = LinearProbe.Compare(ml, m, new(train, trainLabels), new(test, testLabels), d => ae.Encode(d), mse, device, (int)seed);
            Cli.Err.MarkupLine($"  test accuracy: PixelCNN AE {probe.PixelCnnAutoencoder:P2}, MSE AE {probe.MseAutoencoder:P2}, PCA {probe.Pca:P2}");

            // Rows: originals, MSE reconstructions, then one row per sampled PixelCNN reconstruction (the paper's figure 6).
            var cells = new List<RasterImage>();
            for (int i = 0; i < shown; i++) cells.Add(RasterImage.FromChw(test.Pixels, i, shape));
            for (int i = 0; i < shown; i++) cells.Add(RasterImage.FromChw(msePixels, i, shape));
            for (int s = 0; s < SamplesPerImage; s++)
                for (int i = 0; i < shown; i++) cells.Add(aeImages[i * SamplesPerImage + s]);
            var picture = new FileInfo(Path.Combine(outDir.FullName, $"reconstructions-m{m}.png"));
            var labels = new List<string> { "original", "MSE" };
            for (int s = 0; s < SamplesPerImage; s++) labels.Add($"PixelCNN {s + 1}");
            Generation.SaveGrid(cells, shown, 3, picture, labels, $"Reconstructions from h of {m} values");

            var row = new JsonObject
            {
                ["embeddingSize"] = m,
                ["pixelCnnAutoencoderBitsPerDim"] = given.Test,
                ["pixelCnnAutoencoderTrainSetBitsPerDim"] = given.Train,
                ["savedBitsPerDim"] = unconditional.Test - given.Test,
                ["learningCurve"] = aeCurve.ToJson(),
                ["diagnosis"] = diagnosis,
                ["mseAutoencoderTestMse"] = testMse,
                ["linearProbeAccuracy"] = probe.ToJson(),
                ["pixelCnnAutoencoderTrainSeconds"] = given.Seconds,
                ["mseAutoencoderTrainSeconds"] = mseTime.TotalSeconds,
                ["picture"] = picture.Name,
            };
            if (frozenRow is not null) row["frozenEncoder"] = frozenRow;
            rows.Add(row);
        }

        var curvePicture = Path.Combine(outDir.FullName, "learning-curves.png");
        Plots.Lines(curvePicture, "Bits/dim of each training batch before its step (first epoch: images not seen yet)", "optimizer step", "bits/dim",
                    curves.Select(c => (c.Name, (IReadOnlyList<(double, double)>)c.Curve.Windows.Skip(1).ToList())));
        var gapPicture = Path.Combine(outDir.FullName, "learning-curve-gap.png");
        Plots.Lines(gapPicture, "Autoencoder minus unconditional, same batches (below 0: h helps)", "optimizer step", "bits/dim difference",
                    curves.Skip(1).Select(c => (c.Name, (IReadOnlyList<(double, double)>)c.Curve.Minus(unconditionalCurve))));

        var results = new JsonObject
        {
            ["experiment"] = "autoencoder",
            ["dataset"] = "Fashion-MNIST",
            ["trainImages"] = train.Count,
            ["testImages"] = test.Count,
            ["epochs"] = epochs,
            ["preset"] = p.GetValue(Preset)!.Trim().ToUpperInvariant(),
            ["seed"] = seed,
            ["device"] = device.ToString(),
            ["threads"] = get_num_threads(),
            ["equalizedEncoderOutput"] = equalized,
            ["conditioning"] = conditioning.ToString(),
            ["unconditional"] = new JsonObject
            {
                ["bitsPerDim"] = unconditional.Test, ["trainSetBitsPerDim"] = unconditional.Train, ["learningCurve"] = unconditionalCurve.ToJson(),
                ["trainSeconds"] = unconditional.Seconds,
            },
            ["unconditionalOtherSeeds"] = seedSpread,
            ["linearProbePixelsAccuracy"] = pixelProbe,
            ["autoencoders"] = new JsonArray([.. rows]),
            ["pictures"] = new JsonArray("learning-curves.png", "learning-curve-gap.png"),
            ["totalSeconds"] = total.Elapsed.TotalSeconds,
        };
        var json = Path.Combine(outDir.FullName, "results.json");
        File.WriteAllText(json, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var table = new Table().AddColumns("model", "test bits/dim", "vs unconditional", "training-image bits/dim", "MSE AE test MSE");
        table.AddRow("unconditional PixelCNN", $"{unconditional.Test:F4}", "", $"{unconditional.Train:F4}", "");
        foreach (var r in rows)
            table.AddRow($"PixelCNN AE, m = {r["embeddingSize"]}", $"{(double)r["pixelCnnAutoencoderBitsPerDim"]!:F4}",
                         $"{-(double)r["savedBitsPerDim"]!:+0.0000;-0.0000}", $"{(double)r["pixelCnnAutoencoderTrainSetBitsPerDim"]!:F4}",
                         $"{(double)r["mseAutoencoderTestMse"]!:F1}");
        AnsiConsole.Write(table);
        AnsiConsole.Write(ProbeTable(pixelProbe, rows));
        Console.WriteLine($"Wrote {json}, learning curves and {rows.Count} reconstruction picture(s) in {outDir.FullName} ({total.Elapsed.TotalMinutes:F1} min)");
        return Cli.Ok;
    }

    /// <summary>The linear-probe table: test accuracy of a linear classifier on each representation.</summary>
    private static Table ProbeTable(double pixels, IEnumerable<JsonObject> rows)
    {
        var table = new Table { Title = new TableTitle("Linear probes (ML.NET L-BFGS maximum entropy), Fashion-MNIST test accuracy") };
        table.AddColumns("m", "PixelCNN AE h", "MSE AE h", "PCA", "raw pixels (784)");
        foreach (var r in rows)
        {
            var probe = r["linearProbeAccuracy"]!;
            table.AddRow($"{r["embeddingSize"]}", $"{(double)probe["pixelCnnAutoencoder"]!:P2}", $"{(double)probe["mseAutoencoder"]!:P2}",
                         $"{(double)probe["pca"]!:P2}", $"{pixels:P2}");
        }
        return table;
    }

    private sealed record Scored(double Test, double Train, double Seconds, PixelCnnModel? Model);

    /// <summary>Trains a PixelCNN and scores it on the test images and on <paramref name="trainScored"/>; disposes the model unless <paramref name="keep"/>.</summary>
    private static Scored TrainAndScore(PixelCnnConfig config, ImageDataset train, ImageDataset test, ImageDataset trainScored, int epochs, ulong seed,
                                        TorchSharp.torch.Device device, out Curve curve, bool keep = false)
    {
        curve = new Curve();
        var sw = Stopwatch.StartNew();
        var trainer = new PixelCnnTrainer(config, new TrainingOptions { Epochs = epochs, Seed = seed, Device = device });
        var model = trainer.Fit(train, epochs > 1 ? test : null, curve, Cli.Cancellation).Model;
        double seconds = sw.Elapsed.TotalSeconds;
        try
        {
            double onTest = model.MeanBitsPerDim(test, cancellationToken: Cli.Cancellation);
            curve.Tests.Add((curve.Steps, onTest));
            return new Scored(onTest, model.MeanBitsPerDim(trainScored, cancellationToken: Cli.Cancellation), seconds, keep ? model : null);
        }
        finally
        {
            if (!keep) model.Dispose();
        }
    }

    /// <summary>The unconditional model's figures from an earlier results.json, refused unless it was run with the same settings.</summary>
    private static (Scored, Curve) Earlier(FileInfo file, int trainImages, int testImages, int epochs, string preset, ulong seed)
    {
        if (!file.Exists) throw new ArgumentException($"--unconditional-from {file.FullName}: no such file");
        var json = JsonNode.Parse(File.ReadAllText(file.FullName)) ?? throw new ArgumentException($"--unconditional-from {file.FullName}: empty");
        void Same(string key, object value)
        {
            if (json[key]?.ToString() != value.ToString())
                throw new ArgumentException($"--unconditional-from {file.FullName}: it was run with {key} {json[key]}, this run has {value}");
        }
        Same("trainImages", trainImages);
        Same("testImages", testImages);
        Same("epochs", epochs);
        Same("preset", preset.Trim().ToUpperInvariant());
        Same("seed", seed);
        var u = json["unconditional"]!;
        var curve = new Curve();
        foreach (var w in u["learningCurve"]!["batchWindows"]!.AsArray()) curve.Windows.Add((w![0]!.GetValue<double>(), w[1]!.GetValue<double>()));
        foreach (var w in u["learningCurve"]!["test"]!.AsArray()) curve.Tests.Add((w![0]!.GetValue<double>(), w[1]!.GetValue<double>()));
        return (new Scored(u["bitsPerDim"]!.GetValue<double>(), u["trainSetBitsPerDim"]!.GetValue<double>(), u["trainSeconds"]!.GetValue<double>(), null), curve);
    }

    /// <summary>
    /// The diagnosis run: h from the autoencoder's encoder as initialised (never trained), given to a conditional PixelCNN
    /// of the decoder's configuration trained on the same images. Below the unconditional model, random features of
    /// the image help; the gap to the end-to-end autoencoder is what training the encoder adds.
    /// </summary>
    private static JsonObject FrozenEncoder(PixelCnnConfig aeConfig, ImageDataset train, ImageDataset test, ImageDataset trainScored, int epochs,
                                            ulong seed, TorchSharp.torch.Device device)
    {
        int m = aeConfig.EmbeddingSize;
        using var initial = PixelCnnModel.Create(aeConfig, seed, device);
        ImageDataset WithH(ImageDataset d) => new(d.Channels, d.Height, d.Width, d.Pixels, initial.Encode(d), m);
        var result = TrainAndScore(aeConfig with { EmbeddingSize = 0 }, WithH(train), WithH(test), WithH(trainScored), epochs, seed, device, out var curve);
        Cli.Err.MarkupLine($"  test {result.Test:F4}, training images {result.Train:F4} bits/dim given the frozen encoder's h ({result.Seconds:F0} s)");
        return new JsonObject
        {
            ["bitsPerDim"] = result.Test, ["trainSetBitsPerDim"] = result.Train, ["learningCurve"] = curve.ToJson(), ["trainSeconds"] = result.Seconds,
        };
    }

    /// <summary>
    /// A learning curve recorded from the trainer's progress reports (which it also prints): the mean bits/dim of the
    /// training batches in 25 windows of steps (in the first epoch every batch is new to the model, so this is a
    /// held-out estimate) and the test bits/dim after every epoch.
    /// </summary>
    private sealed class Curve : IProgress<TrainingProgress>
    {
        private const int WindowCount = 25;
        private readonly ConsoleTrainingProgress _console = new();
        private double _sum;
        private int _count;

        public List<(double Step, double BitsPerDim)> Windows { get; } = [];
        public List<(double Step, double BitsPerDim)> Tests { get; } = [];
        public long Steps { get; private set; }

        public void Report(TrainingProgress p)
        {
            _console.Report(p);
            if (p.Phase == TrainingPhase.Step)
            {
                Steps = p.Step;
                if (double.IsFinite(p.TrainBitsPerDim))
                {
                    _sum += p.TrainBitsPerDim;
                    _count++;
                }
                long window = Math.Max(1, p.TotalSteps / WindowCount);
                if ((p.Step % window == 0 || p.Step == p.TotalSteps) && _count > 0)
                {
                    Windows.Add((p.Step, _sum / _count));
                    (_sum, _count) = (0, 0);
                }
            }
            else if (p.Phase == TrainingPhase.EpochEnd && p.ValidationBitsPerDim is { } v && p.Epoch < p.Epochs)
                Tests.Add((p.Step, v));
        }

        /// <summary>This curve's window means minus <paramref name="other"/>'s at the same steps (the same batches for the same seed).</summary>
        public List<(double, double)> Minus(Curve other)
        {
            var at = other.Windows.ToDictionary(w => w.Step, w => w.BitsPerDim);
            return Windows.Where(w => at.ContainsKey(w.Step)).Select(w => (w.Step, w.BitsPerDim - at[w.Step])).ToList();
        }

        public JsonObject ToJson() => new()
        {
            ["batchWindows"] = new JsonArray([.. Windows.Select(w => (JsonNode)new JsonArray(w.Step, w.BitsPerDim))]),
            ["test"] = new JsonArray([.. Tests.Select(w => (JsonNode)new JsonArray(w.Step, w.BitsPerDim))]),
        };
    }

    /// <summary>An IDX image file as the trainer's dataset (grey images).</summary>
    internal static ImageDataset Dataset(IdxDataset d) => new(1, d.Rows, d.Columns, d.Images);

    /// <summary>Step lines of the small networks' training (a live line when interactive, every 10 s otherwise).</summary>
    internal sealed class StepReporter(string what)
    {
        private DateTime _last = DateTime.MinValue;

        public void Report(long step, long steps, double loss)
        {
            if (step != steps && (DateTime.UtcNow - _last).TotalSeconds < (Cli.Interactive ? 0.5 : 10)) return;
            _last = DateTime.UtcNow;
            var line = $"{what}: step {step}/{steps}  loss {loss:F4}";
            if (Cli.Interactive) Console.Error.Write("\r" + line.PadRight(60) + (step == steps ? "\n" : ""));
            else Console.Error.WriteLine(line);
        }
    }
}

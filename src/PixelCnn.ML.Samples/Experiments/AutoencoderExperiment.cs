// pixelcnn experiment autoencoder: the autoencoder comparison of the Gated PixelCNN paper (section
// 3.4) on Fashion-MNIST. On the same training images and epochs it trains (a) an unconditional
// PixelCNN, (b) a PixelCNN autoencoder per bottleneck size m (the same decoder preset) and (c) an
// MSE-trained convolutional autoencoder per m with the same encoder; it reports the test bits/dim
// of x given h against the unconditional model (what h saves the decoder) and writes, per m, a
// picture: originals, MSE reconstructions, and PixelCNN-autoencoder sampled reconstructions.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
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
    private static readonly Option<DirectoryInfo> OutDir = new("--out-dir") { Description = "Folder for results.json and the pictures.", DefaultValueFactory = _ => new DirectoryInfo("experiment-ae") };

    /// <summary>Sampled PixelCNN-autoencoder reconstructions per image in the pictures.</summary>
    private const int SamplesPerImage = 2;

    public static Command Create()
    {
        var experiment = new Command("experiment", "Experiments: the Gated PixelCNN paper's autoencoder comparison on Fashion-MNIST; PixelRNN beside the Gated PixelCNN; image-loading fuzz figures.");
        var cmd = new Command("autoencoder",
            "Compare PixelCNN autoencoders (m = each --sizes) with an unconditional PixelCNN (test bits/dim of x given h) and an MSE autoencoder " +
            "(pictures of reconstructions). Writes results.json and reconstructions-m<M>.png into --out-dir.")
        {
            TrainImages, TestImages, Epochs, Sizes, Preset, PictureImages, Seed, OutDir, TrainCommand.DeviceOption,
        };
        cmd.SetAction(Run);
        experiment.Subcommands.Add(cmd);
        experiment.Subcommands.Add(ImageFuzz.CreateCommand());
        experiment.Subcommands.Add(PixelRnnExperiment.CreateCommand());
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
        var outDir = p.GetValue(OutDir)!;
        outDir.Create();

        var train = Dataset(FashionMnist.Load(FashionMnistSplit.Train, nTrain));
        var test = Dataset(FashionMnist.Load(FashionMnistSplit.Test, nTest));
        var shape = new ImageShape(1, FashionMnist.ImageSide, FashionMnist.ImageSide);
        var baseConfig = preset with { Channels = 1, Height = shape.Height, Width = shape.Width };
        Cli.Err.MarkupLine($"Autoencoder experiment: {train.Count} training and {test.Count} test images of Fashion-MNIST, {epochs} epoch(s), " +
                           $"sizes {string.Join(", ", sizes)}, preset {Markup.Escape(p.GetValue(Preset)!)}, {device}, {get_num_threads()} thread(s)");
        var total = Stopwatch.StartNew();

        Cli.Err.MarkupLine("[bold](a) unconditional PixelCNN[/]");
        double unconditional;
        TimeSpan unconditionalTime;
        {
            var sw = Stopwatch.StartNew();
            using var model = TrainPixelCnn(baseConfig, train, epochs, seed, device);
            unconditionalTime = sw.Elapsed;
            unconditional = model.Score(test, cancellationToken: Cli.Cancellation).BitsPerDim.Average();
            Cli.Err.MarkupLine($"  test {unconditional:F4} bits/dim ({unconditionalTime.TotalSeconds:F0} s)");
        }

        var rows = new List<JsonObject>();
        int shown = Math.Min(pictures, test.Count);
        var showRows = Enumerable.Range(0, shown).ToArray();
        var shownSet = test.Take(showRows);
        foreach (var m in sizes)
        {
            Cli.Err.MarkupLine($"[bold](b) PixelCNN autoencoder, m = {m}[/]");
            var sw = Stopwatch.StartNew();
            using var ae = TrainPixelCnn(baseConfig.AsAutoencoder(m), train, epochs, seed, device);
            var aeTime = sw.Elapsed;
            double given = ae.Score(test, cancellationToken: Cli.Cancellation).BitsPerDim.Average();
            Cli.Err.MarkupLine($"  test {given:F4} bits/dim of x given h ({aeTime.TotalSeconds:F0} s)");
            using var scope = NewDisposeScope();
            var x = shownSet.GetBatch(showRows, torch.CPU).x;
            var sampled = PixelCnnSampler.Reconstruct(ae, x, SamplesPerImage, new SamplingOptions { Seed = seed },
                                                      Generation.RowProgress("  sampling reconstructions", shape.Height), Cli.Cancellation);
            var aeImages = Generation.ToImages(sampled, shape);

            Cli.Err.MarkupLine($"[bold](c) MSE autoencoder, m = {m}[/]");
            sw.Restart();
            manual_seed((long)seed);
            using var mse = new MseAutoencoder(1, shape.Height, shape.Width, baseConfig.EncoderChannels, m, new torch.Generator(seed));
            mse.to(device);
            var reporter = new StepReporter("  MSE training");
            var training = new TrainingOptions();
            mse.Fit(train, epochs, training.BatchSize, training.LearningRate, seed, device, reporter.Report, Cli.Cancellation);
            var mseTime = sw.Elapsed;
            var (msePixels, testMse) = mse.Reconstruct(test, device);
            Cli.Err.MarkupLine($"  test MSE {testMse:F1} (0..255 scale, {mseTime.TotalSeconds:F0} s)");

            // Rows: originals, MSE reconstructions, then one row per sampled PixelCNN reconstruction.
            var cells = new List<RasterImage>();
            for (int i = 0; i < shown; i++) cells.Add(RasterImage.FromChw(test.Pixels, i, shape));
            for (int i = 0; i < shown; i++) cells.Add(RasterImage.FromChw(msePixels, i, shape));
            for (int s = 0; s < SamplesPerImage; s++)
                for (int i = 0; i < shown; i++) cells.Add(aeImages[i * SamplesPerImage + s]);
            var picture = new FileInfo(Path.Combine(outDir.FullName, $"reconstructions-m{m}.png"));
            var labels = new List<string> { "original", "MSE" };
            for (int s = 0; s < SamplesPerImage; s++) labels.Add($"PixelCNN {s + 1}");
            Generation.SaveGrid(cells, shown, 3, picture, labels, $"Reconstructions from h of {m} values");

            rows.Add(new JsonObject
            {
                ["embeddingSize"] = m,
                ["pixelCnnAutoencoderBitsPerDim"] = given,
                ["savedBitsPerDim"] = unconditional - given,
                ["mseAutoencoderTestMse"] = testMse,
                ["pixelCnnAutoencoderTrainSeconds"] = aeTime.TotalSeconds,
                ["mseAutoencoderTrainSeconds"] = mseTime.TotalSeconds,
                ["picture"] = picture.Name,
            });
        }

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
            ["unconditional"] = new JsonObject { ["bitsPerDim"] = unconditional, ["trainSeconds"] = unconditionalTime.TotalSeconds },
            ["autoencoders"] = new JsonArray([.. rows]),
            ["totalSeconds"] = total.Elapsed.TotalSeconds,
        };
        var json = Path.Combine(outDir.FullName, "results.json");
        File.WriteAllText(json, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var table = new Table().AddColumns("model", "test bits/dim", "vs unconditional", "MSE AE test MSE");
        table.AddRow("unconditional PixelCNN", $"{unconditional:F4}", "", "");
        foreach (var r in rows)
            table.AddRow($"PixelCNN AE, m = {r["embeddingSize"]}", $"{(double)r["pixelCnnAutoencoderBitsPerDim"]!:F4}",
                         $"{-(double)r["savedBitsPerDim"]!:+0.0000;-0.0000}", $"{(double)r["mseAutoencoderTestMse"]!:F1}");
        AnsiConsole.Write(table);
        Console.WriteLine($"Wrote {json} and {rows.Count} picture(s) (rows: originals, MSE reconstructions, {SamplesPerImage} PixelCNN-AE samples) in {outDir.FullName} ({total.Elapsed.TotalMinutes:F1} min)");
        return Cli.Ok;
    }

    /// <summary>An IDX image file as the trainer's dataset (grey images).</summary>
    internal static ImageDataset Dataset(IdxDataset d) => new(1, d.Rows, d.Columns, d.Images);

    private static PixelCnnModel TrainPixelCnn(PixelCnnConfig config, ImageDataset train, int epochs, ulong seed, TorchSharp.torch.Device device)
    {
        var trainer = new PixelCnnTrainer(config, new TrainingOptions { Epochs = epochs, Seed = seed, Device = device });
        return trainer.Fit(train, null, new ConsoleTrainingProgress(), Cli.Cancellation).Model;
    }

    private sealed class StepReporter(string what)
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

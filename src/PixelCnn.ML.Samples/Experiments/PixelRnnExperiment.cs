// pixelcnn experiment pixelrnn: the PixelRNN architectures beside the Gated PixelCNN on
// Fashion-MNIST. Each architecture's preset is trained for the same epochs on the same images in the
// same batch order; then test bits/dim, training, scoring and sampling throughput, and a picture of
// samples and completions per architecture. Writes pixelrnn.json and pixelrnn-samples.png.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Pictures;
using PixelCnn.ML.Sampling;
using PixelCnn.ML.Samples.Commands;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Experiments;

internal static class PixelRnnExperiment
{
    private static readonly Option<int> TrainImages = new("--train-images") { Description = "Fashion-MNIST training images (the first N).", DefaultValueFactory = _ => 60000 };
    private static readonly Option<int> TestImages = new("--test-images") { Description = "Fashion-MNIST test images scored for bits/dim.", DefaultValueFactory = _ => 10000 };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Passes over the training images (the same for every architecture).", DefaultValueFactory = _ => 1 };
    private static readonly Option<string> Architectures = new("--archs")
    {
        Description = "Comma-separated architectures: gated, pixelcnn, row-lstm, diagonal-bilstm.", DefaultValueFactory = _ => "gated,row-lstm,diagonal-bilstm",
    };
    private static readonly Option<string> Preset = new("--preset") { Description = "Preset of every architecture (S or M; sized to comparable parameter counts).", DefaultValueFactory = _ => "S" };
    private static readonly Option<int> Samples = new("--samples") { Description = "Images sampled per architecture (timed, and shown).", DefaultValueFactory = _ => 10 };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of initialisation, batch order and sampling.", DefaultValueFactory = _ => 1 };
    private static readonly Option<DirectoryInfo> OutDir = new("--out-dir") { Description = "Folder for pixelrnn.json and pixelrnn-samples.png.", DefaultValueFactory = _ => new DirectoryInfo("pixelrnn-experiment") };

    /// <summary>Rows of each completion: the top half is given.</summary>
    private const int KnownRows = 14;

    public static Command CreateCommand()
    {
        var cmd = new Command("pixelrnn",
            "Row LSTM and Diagonal BiLSTM beside the Gated PixelCNN on Fashion-MNIST: test bits/dim after the same epochs, training, scoring and " +
            "sampling images/s, and a picture of samples and completions. Writes pixelrnn.json and pixelrnn-samples.png into --out-dir.")
        {
            TrainImages, TestImages, Epochs, Architectures, Preset, Samples, Seed, OutDir, TrainCommand.DeviceOption,
        };
        cmd.SetAction(Run);
        return cmd;
    }

    private static int Run(ParseResult p)
    {
        int nTrain = p.GetValue(TrainImages), nTest = p.GetValue(TestImages), epochs = p.GetValue(Epochs), samples = p.GetValue(Samples);
        if (nTrain < 1) throw new ArgumentException($"--train-images {nTrain}: must be >= 1");
        if (nTest < 1) throw new ArgumentException($"--test-images {nTest}: must be >= 1");
        if (epochs < 1) throw new ArgumentException($"--epochs {epochs}: must be >= 1");
        if (samples < 1) throw new ArgumentException($"--samples {samples}: must be >= 1");
        var archs = p.GetValue(Architectures)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(PixelCnnConfig.ParseArchitecture).Distinct().ToList();
        if (archs.Count == 0) throw new ArgumentException("--archs: name at least one architecture");
        string preset = p.GetValue(Preset)!.Trim().ToUpperInvariant();
        foreach (var a in archs) PixelCnnConfig.Preset(preset, a); // validates the preset name
        var device = Engine.DeviceSelector.Parse(p.GetValue(TrainCommand.DeviceOption)!);
        ulong seed = (ulong)p.GetValue(Seed);
        var outDir = p.GetValue(OutDir)!;
        outDir.Create();

        var train = AutoencoderExperiment.Dataset(FashionMnist.Load(FashionMnistSplit.Train, nTrain));
        var test = AutoencoderExperiment.Dataset(FashionMnist.Load(FashionMnistSplit.Test, nTest));
        var shape = new ImageShape(1, FashionMnist.ImageSide, FashionMnist.ImageSide);
        int completions = Math.Min(samples, test.Count);
        var shownRows = Enumerable.Range(0, completions).ToArray();
        Cli.Err.MarkupLine($"PixelRNN experiment: {train.Count} training and {test.Count} test images of Fashion-MNIST, {epochs} epoch(s), preset {preset}, " +
                           $"{string.Join(", ", archs)}, {device}, {get_num_threads()} thread(s)");
        var total = Stopwatch.StartNew();

        var results = new JsonArray();
        var cells = new List<RasterImage>();
        var labels = new List<string>();
        for (int i = 0; i < completions; i++) cells.Add(RasterImage.FromChw(test.Pixels, i, shape));
        labels.Add("test images");
        foreach (var arch in archs)
        {
            var config = PixelCnnConfig.Preset(preset, arch);
            Cli.Section($"{arch}, preset {preset}: {config.Layers} layers, {config.HiddenChannels} channels");
            var sw = Stopwatch.StartNew();
            var trainer = new PixelCnnTrainer(config, new TrainingOptions { Epochs = epochs, Seed = seed, Device = device });
            using var model = trainer.Fit(train, null, new ConsoleTrainingProgress(), Cli.Cancellation).Model;
            double trainSeconds = sw.Elapsed.TotalSeconds;

            sw.Restart();
            var scores = model.Score(test, cancellationToken: Cli.Cancellation).BitsPerDim;
            double scoreSeconds = sw.Elapsed.TotalSeconds, bpd = scores.Average();
            Cli.Err.MarkupLine($"  test {bpd:F4} bits/dim; training {train.Count * epochs / trainSeconds:F1} img/s, scoring {test.Count / scoreSeconds:F1} img/s");

            var options = new SamplingOptions { Seed = seed };
            sw.Restart();
            using var sampled = model.Sample(samples, null, options, Generation.RowProgress("  sampling", shape.Height), Cli.Cancellation);
            double sampleSeconds = sw.Elapsed.TotalSeconds;
            using var scope = NewDisposeScope();
            var known = test.Take(shownRows).GetBatch(shownRows, CPU).x;
            var completed = model.Complete(known, KnownRows, 1, null, options, Generation.RowProgress("  completing", shape.Height), Cli.Cancellation);
            var sampledImages = Generation.ToImages(sampled, shape);
            cells.AddRange(sampledImages.Take(completions));
            labels.Add($"{Short(arch)} samples");
            cells.AddRange(Generation.ToImages(completed, shape));
            labels.Add($"{Short(arch)} completions");
            Cli.Err.MarkupLine($"  sampling {samples / sampleSeconds:F2} img/s (cached decoder, batch {samples})");

            results.Add(new JsonObject
            {
                ["architecture"] = arch.ToString(), ["layers"] = config.Layers, ["hidden_channels"] = config.HiddenChannels, ["kernel_size"] = config.KernelSize,
                ["parameters"] = model.Network.ParameterCount,
                ["test_bits_per_dim"] = bpd,
                ["train_seconds"] = trainSeconds, ["train_images_per_s"] = train.Count * epochs / trainSeconds,
                ["score_seconds"] = scoreSeconds, ["score_images_per_s"] = test.Count / scoreSeconds,
                ["sample_batch"] = samples, ["sample_seconds"] = sampleSeconds, ["sample_images_per_s"] = samples / sampleSeconds,
            });
        }

        var picture = new FileInfo(Path.Combine(outDir.FullName, "pixelrnn-samples.png"));
        // Samples fill a row of `completions` cells; with more samples than test images shown, the grid keeps the first ones.
        Generation.SaveGrid(cells, completions, 3, picture, labels,
            $"Fashion-MNIST, preset {preset}, {epochs} epoch(s) of {train.Count} images: samples, and completions of the bottom half");
        var report = new JsonObject
        {
            ["experiment"] = "pixelrnn", ["dataset"] = "Fashion-MNIST", ["train_images"] = train.Count, ["test_images"] = test.Count, ["epochs"] = epochs,
            ["preset"] = preset, ["seed"] = seed, ["device"] = device.ToString(), ["threads"] = get_num_threads(), ["batch_size"] = new TrainingOptions().BatchSize,
            ["known_rows_in_completions"] = KnownRows, ["results"] = results, ["picture"] = picture.Name, ["total_seconds"] = total.Elapsed.TotalSeconds,
        };
        var json = Path.Combine(outDir.FullName, "pixelrnn.json");
        File.WriteAllText(json, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var table = new Table().AddColumns("architecture", "parameters", "test bits/dim", "train img/s", "score img/s", "sample img/s");
        foreach (var r in results)
            table.AddRow((string)r!["architecture"]!, $"{(long)r["parameters"]!:N0}", $"{(double)r["test_bits_per_dim"]!:F4}", $"{(double)r["train_images_per_s"]!:F1}",
                         $"{(double)r["score_images_per_s"]!:F1}", $"{(double)r["sample_images_per_s"]!:F2}");
        AnsiConsole.Write(table);
        Console.WriteLine($"Wrote {json} and {picture.FullName} ({total.Elapsed.TotalMinutes:F1} min)");
        return Cli.Ok;
    }

    private static string Short(PixelCnnArchitecture a) => a switch
    {
        PixelCnnArchitecture.GatedPixelCnn => "Gated",
        PixelCnnArchitecture.PixelCnn => "PixelCNN",
        PixelCnnArchitecture.RowLstm => "Row LSTM",
        _ => "Diag. BiLSTM",
    };
}

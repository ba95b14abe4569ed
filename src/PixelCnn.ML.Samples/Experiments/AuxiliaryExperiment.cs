// pixelcnn experiment auxiliary: the auxiliary-variable models of Kolesnikov & Lampert (2017) beside
// the flat Gated PixelCNN on Fashion-MNIST, at equal training time: each architecture trains on the
// same batch order until the same wall-clock budget is spent (TrainingOptions.MaxTime). Reported: test bits/dim, its split over the parts (x̂ and x | x̂; the pyramid's levels),
// sampling speed of each against the flat cached sampler at the batch sizes asked for, and a
// picture of samples. Writes auxiliary.json and auxiliary-samples.png.
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

internal static class AuxiliaryExperiment
{
    private static readonly Option<int> TrainImages = new("--train-images") { Description = "Fashion-MNIST training images (the first N).", DefaultValueFactory = _ => 60000 };
    private static readonly Option<int> TestImages = new("--test-images") { Description = "Fashion-MNIST test images scored for bits/dim.", DefaultValueFactory = _ => 10000 };
    private static readonly Option<double> Minutes = new("--minutes") { Description = "Training time of every architecture, in minutes.", DefaultValueFactory = _ => 10.0 };
    private static readonly Option<long?> Steps = new("--steps") { Description = "Train every architecture exactly this many steps instead of for a time." };
    private static readonly Option<string> Architectures = new("--archs") { Description = "Comma-separated architectures; the first is the flat reference.", DefaultValueFactory = _ => "gated,grayscale,pyramid" };
    private static readonly Option<string> Preset = new("--preset") { Description = "Preset of every architecture (S or M).", DefaultValueFactory = _ => "S" };
    private static readonly Option<string> Batches = new("--sampling-batches") { Description = "Comma-separated batch sizes of the sampling-speed comparison.", DefaultValueFactory = _ => "16,64" };
    private static readonly Option<int> Rounds = new("--rounds") { Description = "Timed sampling rounds per batch size (the median is reported).", DefaultValueFactory = _ => 3 };
    private static readonly Option<int> Samples = new("--samples") { Description = "Images sampled per architecture for the picture.", DefaultValueFactory = _ => 12 };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of initialisation, batch order and sampling.", DefaultValueFactory = _ => 1 };
    private static readonly Option<bool> SamplingOnly = new("--sampling-only")
    {
        Description = "Measure only the sampling speed of the models an earlier run saved in --out-dir, and update its auxiliary.json.",
    };
    private static readonly Option<DirectoryInfo> OutDir = new("--out-dir") { Description = "Folder for auxiliary.json, auxiliary-samples.png and the models.", DefaultValueFactory = _ => new DirectoryInfo("auxiliary-experiment") };

    public static Command CreateCommand()
    {
        var cmd = new Command("auxiliary",
            "Grayscale and pyramid PixelCNNs beside the flat Gated PixelCNN on Fashion-MNIST at equal training time: test bits/dim and its split over " +
            "the parts, sampling speed against the flat cached sampler, and a picture of samples. Writes auxiliary.json and auxiliary-samples.png into --out-dir.")
        {
            TrainImages, TestImages, Minutes, Steps, Architectures, Cli.PyramidOrder, Cli.PyramidBaseLayers, Cli.SuperResolutionBlocks, Preset, Batches, Rounds, Samples, Seed, SamplingOnly, OutDir, TrainCommand.DeviceOption,
        };
        cmd.SetAction(Run);
        return cmd;
    }

    private static int Run(ParseResult p)
    {
        int nTrain = p.GetValue(TrainImages), nTest = p.GetValue(TestImages), samples = p.GetValue(Samples), rounds = p.GetValue(Rounds);
        double minutes = p.GetValue(Minutes);
        if (nTrain < 32) throw new ArgumentException($"--train-images {nTrain}: must be >= 32 (one batch)");
        if (nTest < 1) throw new ArgumentException($"--test-images {nTest}: must be >= 1");
        long? fixedSteps = p.GetValue(Steps);
        if (fixedSteps is < 1) throw new ArgumentException($"--steps {fixedSteps}: must be >= 1");
        if (fixedSteps is null && !(minutes > 0)) throw new ArgumentException($"--minutes {minutes}: must be > 0");
        if (samples < 1) throw new ArgumentException($"--samples {samples}: must be >= 1");
        if (rounds < 1) throw new ArgumentException($"--rounds {rounds}: must be >= 1");
        var batches = Generation.ParseList(p.GetValue(Batches)!, "--sampling-batches");
        var archs = p.GetValue(Architectures)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(PixelCnnConfig.ParseArchitecture).Distinct().ToList();
        if (archs.Count == 0) throw new ArgumentException("--archs: name at least one architecture");
        string preset = p.GetValue(Preset)!.Trim().ToUpperInvariant();
        Cli.ModelWithPyramidOptions(p, PixelCnnConfig.Preset(preset, PixelCnnArchitecture.Pyramid)); // a wrong value fails before any training
        var device = Engine.DeviceSelector.Parse(p.GetValue(TrainCommand.DeviceOption)!);
        ulong seed = (ulong)p.GetValue(Seed);
        var outDir = p.GetValue(OutDir)!;
        if (p.GetValue(SamplingOnly)) return RemeasureSampling(outDir, archs, batches, rounds, seed, device);
        outDir.Create();

        var train = AutoencoderExperiment.Dataset(FashionMnist.Load(FashionMnistSplit.Train, nTrain));
        var test = AutoencoderExperiment.Dataset(FashionMnist.Load(FashionMnistSplit.Test, nTest));
        var shape = new ImageShape(1, FashionMnist.ImageSide, FashionMnist.ImageSide);
        Cli.Err.MarkupLine($"Auxiliary-variable experiment: {train.Count} training and {test.Count} test images of Fashion-MNIST, {minutes:F1} min of training each, " +
                           $"preset {preset}, {string.Join(", ", archs)}, {device}, {get_num_threads()} thread(s)");
        var total = Stopwatch.StartNew();
        var results = new JsonArray();
        var cells = new List<RasterImage>();
        var labels = new List<string>();
        var models = new List<(PixelCnnArchitecture Arch, PixelCnnModel Model)>();
        try
        {
            foreach (var arch in archs)
            {
                var config = PixelCnnConfig.Preset(preset, arch);
                if (arch == PixelCnnArchitecture.Pyramid) config = Cli.ModelWithPyramidOptions(p, config);
                Cli.Section($"{arch}, preset {preset}");
                var sw = Stopwatch.StartNew();
                var trainer = new PixelCnnTrainer(config, new TrainingOptions
                {
                    Epochs = fixedSteps is null ? 1000 : (int)((fixedSteps.Value * 32 + train.Count - 1) / train.Count), MaxSteps = fixedSteps,
                    MaxTime = fixedSteps is null ? TimeSpan.FromMinutes(minutes) : null, Seed = seed, Device = device,
                });
                var result = trainer.Fit(train, null, new ConsoleTrainingProgress(), Cli.Cancellation);
                var model = result.Model;
                models.Add((arch, model));
                double trainSeconds = sw.Elapsed.TotalSeconds;
                long steps = result.Steps;
                Cli.Err.MarkupLine($"  {steps} steps ({steps * 32.0 / train.Count:F2} epochs) in {trainSeconds / 60:F1} min");
                model.Save(Path.Combine(outDir.FullName, $"{arch.ToString().ToLowerInvariant()}.zip"));

                var (bpd, parts) = Evaluate(model, test);
                Cli.Err.MarkupLine($"  test {bpd:F4} bits/dim" + (parts.Count > 1 ? $" = {string.Join(" + ", parts.Select(q => $"{q.Bits:F4} ({Markup.Escape(q.Name)})"))}" : ""));
                var partsJson = new JsonArray();
                foreach (var (name, bits) in parts) partsJson.Add(new JsonObject { ["part"] = name, ["bits_per_dim"] = bits });

                var options = new SamplingOptions { Seed = seed };
                using var sampled = model.Sample(samples, null, options, Generation.RowProgress("  sampling", shape.Height), Cli.Cancellation);
                cells.AddRange(Generation.ToImages(sampled, shape));
                labels.Add($"{arch} samples");
                if (arch == PixelCnnArchitecture.Pyramid)
                {
                    using var lowest = AuxiliaryViews.Upsample(AuxiliaryViews.Upsample(AuxiliaryViews.Downsample(AuxiliaryViews.Downsample(sampled))));
                    cells.AddRange(Generation.ToImages(lowest, shape));
                    labels.Add("their 7x7 level");
                }
                else if (arch == PixelCnnArchitecture.Grayscale)
                {
                    using var view = AuxiliaryViews.Expand(AuxiliaryViews.Grayscale(sampled, config.AuxiliaryBits), config.AuxiliaryBits);
                    cells.AddRange(Generation.ToImages(view, shape));
                    labels.Add($"their {config.AuxiliaryBits}-bit view");
                }
                results.Add(new JsonObject
                {
                    ["architecture"] = arch.ToString(),
                    ["super_resolution_order"] = arch == PixelCnnArchitecture.Pyramid ? config.SuperResolutionOrder.ToString() : null,
                    ["pyramid_base_layers"] = arch == PixelCnnArchitecture.Pyramid ? PyramidPixelCnn.BaseConfig(config).Layers : null,
                    ["super_resolution_blocks"] = arch == PixelCnnArchitecture.Pyramid ? config.SuperResolutionBlocks : null,
                    ["parameters"] = model.Network.ParameterCount, ["seconds_per_step"] = trainSeconds / steps,
                    ["steps"] = steps, ["images_seen"] = steps * 32, ["train_seconds"] = trainSeconds, ["test_bits_per_dim"] = bpd, ["parts"] = partsJson,
                });
            }

            var speed = MeasureSampling(models, batches, rounds, seed);

            var picture = new FileInfo(Path.Combine(outDir.FullName, "auxiliary-samples.png"));
            Generation.SaveGrid(cells, samples, 3, picture, labels, $"Fashion-MNIST, preset {preset}, {minutes:F1} min of training each: samples");
            var report = new JsonObject
            {
                ["experiment"] = "auxiliary", ["dataset"] = "Fashion-MNIST", ["train_images"] = train.Count, ["test_images"] = test.Count,
                ["minutes_per_architecture"] = fixedSteps is null ? minutes : null, ["fixed_steps"] = fixedSteps, ["preset"] = preset, ["seed"] = seed, ["device"] = device.ToString(), ["threads"] = get_num_threads(),
                ["batch_size"] = 32, ["results"] = results, ["sampling"] = speed, ["picture"] = picture.Name, ["total_seconds"] = total.Elapsed.TotalSeconds,
            };
            var json = Path.Combine(outDir.FullName, "auxiliary.json");
            File.WriteAllText(json, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            var table = new Table().AddColumns("architecture", "parameters", "steps", "test bits/dim", "parts");
            foreach (var r in results)
                table.AddRow((string)r!["architecture"]!, $"{(long)r["parameters"]!:N0}", $"{(long)r["steps"]!}", $"{(double)r["test_bits_per_dim"]!:F4}",
                    Markup.Escape(string.Join(" + ", r["parts"]!.AsArray().Select(q => $"{(double)q!["bits_per_dim"]!:F4}"))));
            AnsiConsole.Write(table);
            Console.WriteLine($"Wrote {json} and {picture.FullName} ({total.Elapsed.TotalMinutes:F1} min)");
            return Cli.Ok;
        }
        finally
        {
            foreach (var (_, m) in models) m.Dispose();
        }
    }

    /// <summary>
    /// Sampling speed of every model against the first (the flat reference) at each batch size: one untimed warm-up call
    /// each, then <paramref name="rounds"/> alternating timed calls; medians.
    /// </summary>
    private static JsonArray MeasureSampling(List<(PixelCnnArchitecture Arch, PixelCnnModel Model)> models, int[] batches, int rounds, ulong seed)
    {
        var speed = new JsonArray();
        foreach (int batch in batches)
        {
            var times = models.ToDictionary(m => m.Arch, _ => new List<double>());
            foreach (var (_, m) in models) m.SampleBytes(Math.Min(batch, 4), options: new SamplingOptions { Seed = seed });
            for (int r = 0; r < rounds; r++)
                foreach (var (arch, m) in models)
                {
                    var sw = Stopwatch.StartNew();
                    m.SampleBytes(batch, options: new SamplingOptions { Seed = seed + (ulong)r }, cancellationToken: Cli.Cancellation);
                    times[arch].Add(sw.Elapsed.TotalSeconds);
                }
            double reference = Median(times[models[0].Arch]);
            foreach (var (arch, _) in models)
            {
                double s = Median(times[arch]);
                Cli.Err.MarkupLine($"  batch {batch}: {arch} {batch / s:F1} img/s ({reference / s:F2}x the {models[0].Arch})");
                speed.Add(new JsonObject
                {
                    ["batch"] = batch, ["architecture"] = arch.ToString(), ["seconds"] = s, ["images_per_s"] = batch / s,
                    ["speedup_vs_reference"] = reference / s, ["rounds"] = new JsonArray(times[arch].Select(t => (JsonNode)t).ToArray()),
                });
            }
        }
        return speed;
    }

    /// <summary>--sampling-only: the models of an earlier run, timed again; its auxiliary.json gets the new "sampling".</summary>
    private static int RemeasureSampling(DirectoryInfo outDir, List<PixelCnnArchitecture> archs, int[] batches, int rounds, ulong seed, Device device)
    {
        var json = Path.Combine(outDir.FullName, "auxiliary.json");
        if (!File.Exists(json)) throw new ArgumentException($"--sampling-only: {json} does not exist; run the experiment into --out-dir first");
        var report = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
        var models = new List<(PixelCnnArchitecture Arch, PixelCnnModel Model)>();
        try
        {
            foreach (var arch in archs)
            {
                var file = Path.Combine(outDir.FullName, $"{arch.ToString().ToLowerInvariant()}.zip");
                if (!File.Exists(file)) throw new ArgumentException($"--sampling-only: {file} does not exist");
                models.Add((arch, PixelCnnModel.Load(file, device)));
            }
            Cli.Err.MarkupLine($"Sampling speed of {string.Join(", ", archs)} from {Markup.Escape(outDir.FullName)}, {device}, {get_num_threads()} thread(s)");
            report["sampling"] = MeasureSampling(models, batches, rounds, seed);
            File.WriteAllText(json, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"Updated {json}");
            return Cli.Ok;
        }
        finally
        {
            foreach (var (_, m) in models) m.Dispose();
        }
    }

    /// <summary>Mean test bits/dim and, for a staged model, each part's share (its bits over the image's C·H·W sub-pixels).</summary>
    internal static (double BitsPerDim, List<(string Name, double Bits)> Parts) Evaluate(PixelCnnModel model, ImageDataset test)
    {
        double bpd = model.Score(test, cancellationToken: Cli.Cancellation).BitsPerDim.Average();
        var parts = new List<(string, double)>();
        if (model.Network is AuxiliaryPixelCnn staged)
        {
            int count = staged.PartNames.Count;
            var nats = model.PartNats(test, cancellationToken: Cli.Cancellation);
            double perDim = test.Count * (double)model.Config.Dimensions * Math.Log(2);
            for (int k = 0; k < count; k++)
            {
                double sum = 0;
                for (long i = k; i < nats.Length; i += count) sum += nats[i];
                parts.Add((staged.PartNames[k], sum / perDim));
            }
        }
        return (bpd, parts);
    }

    private static double Median(List<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}

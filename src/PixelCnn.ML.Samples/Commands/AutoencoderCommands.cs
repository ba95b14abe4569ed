// The PixelCNN autoencoder on the command line: train-autoencoder fits one and saves it as a model
// zip; encode writes each image's bottleneck vector h as CSV; reconstruct samples decodings of
// images' h; interpolate decodes the straight path between two images' h (figure 5 of the Gated
// PixelCNN paper), one grid row per seed.
using System.CommandLine;
using System.Globalization;
using PixelCnn.ML.IO;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using PixelCnn.ML.Sampling;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Commands;

internal static class AutoencoderCommands
{
    private static readonly Option<string> Data = new("--data") { Description = "Images: " + DataSources.Help, DefaultValueFactory = _ => "fashion-mnist:test" };
    private static readonly Option<int> EmbeddingSize = new("--embedding-size") { Description = "Size m of the bottleneck vector h.", DefaultValueFactory = _ => 10 };
    private static readonly Option<string> Preset = new("--preset") { Description = "Decoder preset: S or M.", DefaultValueFactory = _ => "S" };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Passes over the data.", DefaultValueFactory = _ => 1 };
    private static readonly Option<long?> MaxSteps = new("--max-steps") { Description = "Stop after this many optimizer steps." };
    private static readonly Option<bool> Global = new("--global") { Description = "Condition the decoder on per-layer biases of h instead of a spatial map of h (the default)." };
    private static readonly Option<int> TrainSeed = new("--seed") { Description = "Seed of initialisation and shuffling.", DefaultValueFactory = _ => 1 };

    public static Command CreateTrain()
    {
        var data = new Option<string>("--data") { Description = "Training images: " + DataSources.Help, DefaultValueFactory = _ => "fashion-mnist" };
        var outFile = new Option<FileInfo>("--out") { Description = "Model zip to write.", DefaultValueFactory = _ => new FileInfo("pixelcnn-autoencoder.zip") };
        var cmd = new Command("train-autoencoder", "Train a PixelCNN autoencoder (convolutional encoder to h, PixelCNN decoder p(x | h)) and save it as a model zip.")
        {
            data, TrainCommand.Take, TrainCommand.ImageSize, TrainCommand.Rgb, EmbeddingSize, Cli.Architecture, Preset, Epochs, MaxSteps, Global, TrainSeed, outFile, TrainCommand.DeviceOption,
        };
        cmd.SetAction(p =>
        {
            var ml = Generation.Context(p, p.GetValue(TrainSeed));
            Cli.ShowLog(ml);
            int m = p.GetValue(EmbeddingSize);
            if (m < 1) throw new ArgumentException($"--embedding-size {m}: must be >= 1");
            var source = DataSources.Open(ml, p.GetValue(data)!, p.GetValue(TrainCommand.Take), p.GetValue(TrainCommand.ImageSize), grayscale: !p.GetValue(TrainCommand.Rgb));
            var options = new PixelCnnAutoencoderEstimator.Options
            {
                FeatureColumnName = "Pixels", EmbeddingSize = m, Conditioning = p.GetValue(Global) ? ConditioningKind.Global : ConditioningKind.Spatial,
                Model = Cli.ModelPreset(p, Preset),
                Training = { Epochs = p.GetValue(Epochs), MaxSteps = p.GetValue(MaxSteps), Seed = (ulong)p.GetValue(TrainSeed) }, Progress = new ConsoleTrainingProgress(), CancellationToken = Cli.Cancellation,
            };
            Cli.Err.MarkupLine($"Training a PixelCNN autoencoder (m = {m}) on {Markup.Escape(source.Description)}");
            using var model = ml.Transforms.PixelCnnAutoencoder(options).Fit(source.Rows);
            var file = p.GetValue(outFile)!;
            AtomicFile.Write(file.FullName, s => ml.Model.Save(model, source.Rows.Schema, s));
            Console.WriteLine($"Saved {file.FullName}: PixelCNN autoencoder, m = {m}, images {model.ImageShape}");
            return Cli.Ok;
        });
        return cmd;
    }

    public static Command CreateEncode()
    {
        var outFile = new Option<FileInfo>("--out") { Description = "CSV to write: row,label,h0..h{m-1} (label empty when the data has none).", DefaultValueFactory = _ => new FileInfo("embeddings.csv") };
        var cmd = new Command("encode", "Write the bottleneck vector h of every image, from a saved PixelCNN autoencoder, as CSV.")
        {
            Generation.Model, Data, TrainCommand.Take, outFile, TrainCommand.DeviceOption,
        };
        cmd.SetAction(p =>
        {
            var ml = Generation.Context(p);
            using var loaded = LoadAutoencoder(ml, p);
            var rows = Generation.Read(ml, p.GetValue(Data)!, p.GetValue(TrainCommand.Take), loaded.Shape);
            int n = rows.Count, m = loaded.Model.Config.EmbeddingSize;
            var h = loaded.Model.Encode(rows.ToDataset(), cancellationToken: Cli.Cancellation);
            var file = p.GetValue(outFile)!;
            AtomicFile.Write(file.FullName, stream =>
            {
                using var w = new StreamWriter(stream, leaveOpen: true);
                w.WriteLine("row,label," + string.Join(',', Enumerable.Range(0, m).Select(d => $"h{d}")));
                for (int i = 0; i < n; i++)
                {
                    var label = rows.Labels is { } l ? l[i].ToString(CultureInfo.InvariantCulture) : "";
                    w.WriteLine($"{i},{label}," + string.Join(',', Enumerable.Range(0, m).Select(d => h[i * m + d].ToString("R", CultureInfo.InvariantCulture))));
                }
            });
            Console.WriteLine($"Wrote {n} embeddings of {m} values ({rows.Description}) to {file.FullName}");
            return Cli.Ok;
        });
        return cmd;
    }

    public static Command CreateReconstruct()
    {
        var take = new Option<int>("--take") { Description = "Reconstruct the first N images (grid rows).", DefaultValueFactory = _ => 8 };
        var samples = new Option<int>("--samples") { Description = "Sampled reconstructions per image.", DefaultValueFactory = _ => 3 };
        var outFile = new Option<FileInfo>("--out") { Description = "PNG grid to write.", DefaultValueFactory = _ => new FileInfo("reconstructions.png") };
        var cmd = new Command("reconstruct",
            "Reconstruct images with a saved PixelCNN autoencoder: PNG grid, one row per image: the original, then decodings sampled given its h.")
        {
            Generation.Model, Data, take, samples, Generation.Seed, Generation.Temperature, Generation.Naive, Generation.Upscale, outFile, TrainCommand.DeviceOption,
        };
        cmd.SetAction(p =>
        {
            var ml = Generation.Context(p);
            int s = p.GetValue(samples);
            if (s < 1) throw new ArgumentException($"--samples {s}: must be >= 1");
            using var loaded = LoadAutoencoder(ml, p);
            var shape = loaded.Shape;
            var rows = Generation.Read(ml, p.GetValue(Data)!, p.GetValue(take), shape);
            int n = rows.Count;
            Console.Error.WriteLine($"Reconstructing {n} images from {rows.Description} ({s} samples each)");
            using var scope = NewDisposeScope();
            var recon = PixelCnnSampler.Reconstruct(loaded.Model, rows.Tensor(0, n), s, Generation.SamplingOptions(p),
                                                    Generation.RowProgress("decoding", shape.Height), Cli.Cancellation);
            var images = Generation.ToImages(recon, shape);
            var cells = new List<RasterImage>();
            for (int i = 0; i < n; i++)
            {
                cells.Add(rows.Image(i));
                cells.AddRange(images.Skip(i * s).Take(s));
            }
            var file = p.GetValue(outFile)!;
            Generation.SaveGrid(cells, s + 1, p.GetValue(Generation.Upscale), file);
            Console.WriteLine($"Wrote {n} rows (original, {s} reconstructions) to {file.FullName}");
            return Cli.Ok;
        });
        return cmd;
    }

    public static Command CreateInterpolate()
    {
        var fromRow = new Option<int>("--from-row") { Description = "Row of --data where the path starts.", DefaultValueFactory = _ => 0 };
        var toRow = new Option<int>("--to-row") { Description = "Row of --data where the path ends.", DefaultValueFactory = _ => 1 };
        var steps = new Option<int>("--steps") { Description = "Images along the path, both ends included.", DefaultValueFactory = _ => 8 };
        var gridRows = new Option<int>("--rows") { Description = "Grid rows; row r is decoded with seed --seed + r.", DefaultValueFactory = _ => 3 };
        var outFile = new Option<FileInfo>("--out") { Description = "PNG grid to write.", DefaultValueFactory = _ => new FileInfo("interpolation.png") };
        var cmd = new Command("interpolate",
            "Decode the straight path between two images' embeddings with a saved PixelCNN autoencoder. Each grid row: the start image, " +
            "--steps decodings drawn with one seed (only h changes along the row), the end image.")
        {
            Generation.Model, Data, fromRow, toRow, steps, gridRows, Generation.Seed, Generation.Temperature, Generation.Naive, Generation.Upscale, outFile, TrainCommand.DeviceOption,
        };
        cmd.SetAction(p =>
        {
            var ml = Generation.Context(p);
            int a = p.GetValue(fromRow), b = p.GetValue(toRow), k = p.GetValue(steps), r = p.GetValue(gridRows);
            if (a < 0) throw new ArgumentException($"--from-row {a}: must be >= 0");
            if (b < 0) throw new ArgumentException($"--to-row {b}: must be >= 0");
            if (k < 2) throw new ArgumentException($"--steps {k}: must be >= 2 (both ends are included)");
            if (r < 1) throw new ArgumentException($"--rows {r}: must be >= 1");
            using var loaded = LoadAutoencoder(ml, p);
            var shape = loaded.Shape;
            var spec = p.GetValue(Data)!;
            var rows = Generation.Read(ml, spec, Math.Max(a, b) + 1, shape);
            if (rows.Count <= Math.Max(a, b)) throw new ArgumentException($"--data {spec} has only {rows.Count} images; --from-row and --to-row must be below that");
            int m = loaded.Model.Config.EmbeddingSize;
            var h = loaded.Model.Encode(rows.ToDataset(), cancellationToken: Cli.Cancellation);
            using var scope = NewDisposeScope();
            var from = tensor(h.AsSpan(a * m, m).ToArray());
            var to = tensor(h.AsSpan(b * m, m).ToArray());
            var cells = new List<RasterImage>();
            ulong seed = p.GetValue(Generation.Seed);
            for (int row = 0; row < r; row++)
            {
                var options = Generation.SamplingOptions(p, seed + (ulong)row);
                var path = PixelCnnSampler.Interpolate(loaded.Model, from, to, k, options, Generation.RowProgress($"row {row + 1}/{r}", shape.Height), Cli.Cancellation);
                cells.Add(rows.Image(a));
                cells.AddRange(Generation.ToImages(path, shape));
                cells.Add(rows.Image(b));
            }
            var file = p.GetValue(outFile)!;
            Generation.SaveGrid(cells, k + 2, p.GetValue(Generation.Upscale), file);
            Console.WriteLine($"Wrote {r} rows (image {a}, {k} decodings, image {b}; seeds {seed}..{seed + (ulong)r - 1}) to {file.FullName}");
            return Cli.Ok;
        });
        return cmd;
    }

    private static LoadedModel LoadAutoencoder(MLContext ml, ParseResult p)
    {
        var loaded = Generation.Load(ml, p.GetValue(Generation.Model)!);
        if (loaded.Model.Network is not PixelCnnAutoencoder)
        {
            loaded.Dispose();
            throw new ArgumentException($"--model {loaded.File.FullName} is not a PixelCNN autoencoder (write one with `pixelcnn train-autoencoder`)");
        }
        return loaded;
    }
}

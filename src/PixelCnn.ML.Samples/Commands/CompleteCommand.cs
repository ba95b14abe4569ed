// pixelcnn complete: shows how a PixelCNN finishes images whose top rows are given. Each grid row is
// one input image: the original, the masked input (rows the model does not see drawn mid-gray 128),
// then --samples completions that keep the known rows exactly.
using System.CommandLine;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Commands;

internal static class CompleteCommand
{
    /// <summary>Value of the hidden rows in the masked-input column.</summary>
    public const byte MaskValue = 128;

    private static readonly Option<string> Data = new("--data") { Description = "Images to complete: " + DataSources.Help, DefaultValueFactory = _ => "fashion-mnist:test" };
    private static readonly Option<int> Take = new("--take") { Description = "Complete the first N images (grid rows).", DefaultValueFactory = _ => 8 };
    private static readonly Option<int?> KnownRows = new("--known-rows") { Description = "Image rows given to the model (default: the top half)." };
    private static readonly Option<int> Samples = new("--samples") { Description = "Completions per image.", DefaultValueFactory = _ => 4 };
    private static readonly Option<FileInfo> Out = new("--out") { Description = "PNG grid to write.", DefaultValueFactory = _ => new FileInfo("completions.png") };

    public static Command Create()
    {
        var cmd = new Command("complete",
            "Complete images from their top rows with a saved PixelCNN. PNG grid, one row per image: original, masked input " +
            $"(hidden rows mid-gray {MaskValue}), then the completions.")
        {
            Generation.Model, Data, Take, KnownRows, Samples, Generation.Seed, Generation.Temperature, Generation.Naive, Generation.Upscale, Out, TrainCommand.DeviceOption,
        };
        cmd.SetAction(p =>
        {
            var ml = Generation.Context(p);
            var options = Generation.SamplingOptions(p);
            var outFile = p.GetValue(Out)!;
            int samples = p.GetValue(Samples);
            if (samples < 1) throw new ArgumentException($"--samples {samples}: must be >= 1");
            using var loaded = Generation.Load(ml, p.GetValue(Generation.Model)!);
            var shape = loaded.Shape;
            int known = p.GetValue(KnownRows) ?? shape.Height / 2;
            if (known < 0 || known > shape.Height) throw new ArgumentException($"--known-rows {known}: must be 0..{shape.Height} (the image height)");
            var rows = Generation.Read(ml, p.GetValue(Data)!, p.GetValue(Take), shape);
            int n = rows.Count;

            using var scope = NewDisposeScope();
            var model = loaded.Model;
            TorchSharp.torch.Tensor? conditions = null;
            var cfg = model.Config;
            if (model.Network is Models.PixelCnnAutoencoder)
                conditions = tensor(model.Encode(rows.ToDataset()), n, cfg.EmbeddingSize);
            else if (cfg.Conditioning != Models.ConditioningKind.None)
            {
                var condition = loaded.Component switch
                {
                    PixelCnnDensityTransformer d => d.Condition,
                    PixelCnnConditionalSamplerTransformer s => s.Condition,
                    _ => null,
                };
                if (condition is null or { Kind: ConditionKind.Vector })
                    throw new ArgumentException($"--model {loaded.File.FullName} is conditioned on {cfg.ConditionSize}-value vectors; `pixelcnn complete` supports unconditional, class-conditioned and autoencoder models");
                if (rows.Labels is null)
                    throw new ArgumentException($"--model {loaded.File.FullName} is conditioned on class labels but --data {p.GetValue(Data)} has no Label column");
                var h = OneHot.Encode(rows.Labels, condition.Size,
                    (i, label) => $"--data {p.GetValue(Data)}: image {i} has label {label}, outside the model's classes 0..{condition.Size - 1}");
                conditions = tensor(h, n, condition.Size);
            }
            Console.Error.WriteLine($"Completing {n} images from {rows.Description} ({known} of {shape.Height} rows known, {samples} samples each, seed {options.Seed})");
            var completed = PixelCnnSampler.Complete(model, rows.Tensor(0, n), known, samples, conditions, options,
                                                     Generation.RowProgress("completing", shape.Height), Cli.Cancellation);
            var completions = Generation.ToImages(completed, shape);
            var cells = new List<RasterImage>();
            for (int i = 0; i < n; i++)
            {
                cells.Add(rows.Image(i));
                cells.Add(Masked(rows.Image(i), known));
                cells.AddRange(completions.Skip(i * samples).Take(samples));
            }
            Generation.SaveGrid(cells, samples + 2, p.GetValue(Generation.Upscale), outFile);
            Console.WriteLine($"Wrote {n} rows (original, masked input, {samples} completions) to {outFile.FullName}");
            return Cli.Ok;
        });
        return cmd;
    }

    /// <summary>The image with every row from <paramref name="knownRows"/> down set to <see cref="MaskValue"/>.</summary>
    private static RasterImage Masked(RasterImage image, int knownRows)
    {
        var px = image.ToArray();
        int rowBytes = image.Width * image.Channels;
        px.AsSpan(knownRows * rowBytes).Fill(MaskValue);
        return new RasterImage(image.Width, image.Height, image.Channels, px);
    }
}

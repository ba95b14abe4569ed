// pixelcnn sample: draws new images from a saved PixelCNN and writes them as one PNG grid. A model
// conditioned on class labels gives one grid row per requested class (in the order given, printed
// to stdout); an unconditional model gives --count images in a near-square grid.
using System.CommandLine;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Commands;

internal static class SampleCommand
{
    private static readonly Option<string> Classes = new("--classes") { Description = "Class-conditioned models: `all` or class indices such as 0,3,7 (one grid row each).", DefaultValueFactory = _ => "all" };
    private static readonly Option<int> PerClass = new("--per-class") { Description = "Class-conditioned models: images per class (grid columns).", DefaultValueFactory = _ => 10 };
    private static readonly Option<int> Count = new("--count") { Description = "Unconditional models: number of images.", DefaultValueFactory = _ => 64 };
    private static readonly Option<FileInfo> Out = new("--out") { Description = "PNG grid to write.", DefaultValueFactory = _ => new FileInfo("samples.png") };

    public static Command Create()
    {
        var cmd = new Command("sample", "Sample new images from a saved PixelCNN (density scorer or conditional sampler) into a PNG grid.")
        {
            Generation.Model, Classes, PerClass, Count, Generation.Seed, Generation.Temperature, Generation.Naive, Generation.Upscale, Out, TrainCommand.DeviceOption,
        };
        cmd.SetAction(p =>
        {
            var ml = Generation.Context(p);
            var options = Generation.SamplingOptions(p);
            var outFile = p.GetValue(Out)!;
            using var loaded = Generation.Load(ml, p.GetValue(Generation.Model)!);
            var model = loaded.Model;
            var shape = loaded.Shape;
            if (loaded.Component is PixelCnnAutoencoderTransformer)
                throw new ArgumentException($"--model {loaded.File.FullName} is a PixelCNN autoencoder: its images come from embeddings; use `pixelcnn reconstruct` or `pixelcnn interpolate`");
            var condition = loaded.Component switch
            {
                PixelCnnDensityTransformer d => d.Condition,
                PixelCnnConditionalSamplerTransformer s => s.Condition,
                _ => null,
            };
            if (model.Config.Conditioning != Models.ConditioningKind.None && condition is null or { Kind: ConditionKind.Vector })
                throw new ArgumentException($"--model {loaded.File.FullName} is conditioned on {model.Config.ConditionSize}-value vectors, not class labels; `pixelcnn sample` draws from class-conditioned or unconditional models");

            List<RasterImage> images;
            List<string>? rowLabels = null;
            int columns;
            if (condition is null)
            {
                int count = p.GetValue(Count);
                if (count < 1) throw new ArgumentException($"--count {count}: must be >= 1");
                Console.Error.WriteLine($"Sampling {count} images from {loaded.File.Name} ({shape}, seed {options.Seed}, temperature {options.Temperature})");
                var bytes = PixelCnnSampler.SampleBytes(model, count, null, options, Generation.RowProgress("sampling", shape.Height), Cli.Cancellation);
                images = RasterImage.ListFromChw(bytes, shape);
                columns = (int)Math.Ceiling(Math.Sqrt(count));
            }
            else
            {
                int k = condition.Size, perClass = p.GetValue(PerClass);
                if (perClass < 1) throw new ArgumentException($"--per-class {perClass}: must be >= 1");
                var spec = p.GetValue(Classes)!;
                var classes = spec.Trim().Equals("all", StringComparison.OrdinalIgnoreCase) ? Enumerable.Range(0, k).ToArray() : Generation.ParseList(spec, "--classes");
                foreach (var c in classes)
                    if (c < 0 || c >= k) throw new ArgumentException($"--classes {spec}: class {c} is out of range; the model has classes 0..{k - 1}");
                int count = classes.Length * perClass;
                var h = OneHot.Encode(Enumerable.Range(0, count).Select(i => classes[i / perClass]).ToList(), k);
                Console.Error.WriteLine($"Sampling {perClass} images for each of {classes.Length} classes from {loaded.File.Name} ({shape}, seed {options.Seed}, temperature {options.Temperature})");
                using var scope = NewDisposeScope();
                var cond = tensor(h, count, k);
                var bytes = PixelCnnSampler.SampleBytes(model, count, cond, options, Generation.RowProgress("sampling", shape.Height), Cli.Cancellation);
                images = RasterImage.ListFromChw(bytes, shape);
                columns = perClass;
                Console.WriteLine("Rows (top to bottom):");
                for (int r = 0; r < classes.Length; r++) Console.WriteLine($"  {r}: class {classes[r]} ({Generation.ClassName(classes[r], k, shape)})");
                rowLabels = classes.Select(c => Generation.ClassName(c, k, shape)).ToList();
            }
            Generation.SaveGrid(images, columns, p.GetValue(Generation.Upscale), outFile, rowLabels);
            Console.WriteLine($"Wrote {images.Count} samples to {outFile.FullName}");
            return Cli.Ok;
        });
        return cmd;
    }
}

// pixelcnn colorize: colours grey images with a colorizer written by `pixelcnn experiment
// colorization` (an ML.NET conditional sampler given the grey image). Each photograph (or image) is
// downscaled and cropped like the training crops, turned grey, and coloured N times through the
// transformer; the picture has a row per image: grey input, the N colourings, the original.
using System.CommandLine;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Samples.Experiments;

namespace PixelCnn.ML.Samples.Commands;

internal static class ColorizeCommand
{
    private static readonly Option<string> Images = new("--images") { Description = "A folder of colour images (JPEG/PNG), or one image file.", Required = true };
    private static readonly Option<int> Take = new("--take") { Description = "Colour at most this many images (in name order).", DefaultValueFactory = _ => 8 };
    private static readonly Option<int> Samples = new("--samples") { Description = "Colourings per image.", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> ShorterSide = new("--shorter-side") { Description = "Images are downscaled to this shorter side before a random crop of the model's size (as in training).", DefaultValueFactory = _ => 160 };
    private static readonly Option<FileInfo> Out = new("--out") { Description = "PNG picture to write.", DefaultValueFactory = _ => new FileInfo("colorized.png") };

    public static Command Create()
    {
        var cmd = new Command("colorize",
            "Colour grey versions of images with a colorizer (`pixelcnn experiment colorization` writes one): a PNG with a row per image of the grey " +
            "input, N sampled colourings and the original.")
        {
            Generation.Model, Images, Take, Samples, ShorterSide, Generation.Seed, Generation.Temperature, Generation.Upscale, Out, TrainCommand.DeviceOption,
        };
        cmd.SetAction(p =>
        {
            var ml = Generation.Context(p);
            using var loaded = Generation.Load(ml, p.GetValue(Generation.Model)!);
            if (loaded.Component is not PixelCnnConditionalSamplerTransformer sampler || loaded.Model.Config.Conditioning != ConditioningKind.Image
                || loaded.Model.Config.Channels != 3 || loaded.Model.Config.ConditionPlanes != 1)
                throw new ArgumentException($"--model {loaded.File.FullName} is not a colorizer (a colour sampler conditioned on a grey image); write one with `pixelcnn experiment colorization`");
            int take = p.GetValue(Take), samples = p.GetValue(Samples), size = loaded.Model.Config.Height;
            if (take < 1) throw new ArgumentException($"--take {take}: must be >= 1");
            if (samples is < 1 or > 64) throw new ArgumentException($"--samples {samples}: must be 1..64");
            var spec = p.GetValue(Images)!;
            var files = File.Exists(spec) ? [spec]
                : Directory.Exists(spec) ? ImageDataCatalog.ListImageFiles(spec).Select(f => f.ImagePath).Order(StringComparer.Ordinal).Take(take).ToList()
                : throw new ArgumentException($"--images {spec}: no such file or folder");
            if (files.Count == 0) throw new ArgumentException($"--images {spec}: no PNG or JPEG images");
            var options = Generation.SamplingOptions(p);
            var crops = Colorization.WithGreyConditions(ImageCrops.Random(files, size, 1, p.GetValue(ShorterSide), (int)options.Seed));
            var colorizer = sampler.WithSampling(options.Temperature, options.Seed).WithSamplesPerRow(samples);
            Console.Error.WriteLine($"Colouring {files.Count} image(s) {samples} times with {loaded.File.Name} ({size}x{size}, seed {options.Seed}, temperature {options.Temperature})");
            var cells = Colorization.Picture(ml, colorizer, crops);
            var outFile = p.GetValue(Out)!;
            Generation.SaveGrid(cells, samples + 2, p.GetValue(Generation.Upscale), outFile, null, $"Grey input, {samples} colourings, original");
            Console.WriteLine($"Wrote {outFile.FullName}");
            return Cli.Ok;
        });
        return cmd;
    }
}

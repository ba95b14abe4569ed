// pixelcnn experiment colorization: probabilistic colorization, p(x_colour | x_grey), trained through
// ML.NET. Colour photographs come from Debian's wallpaper packages (mate-backgrounds' nature
// photographs by default): random 32x32 crops of the photographs downscaled, some photographs held
// out whole. The model is the conditional sampler with an image condition (the 8-bit grey view,
// AuxiliaryViews.Grayscale), trained for a time budget; reported: held-out bits/dim of the colours
// given the grey image, and a picture per held-out crop: grey input, N colourings, the original.
// Writes colorization.json, colorization.png and the ML.NET model colorizer.zip.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Pictures;
using PixelCnn.ML.Samples.Commands;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Experiments;

internal static class ColorizationExperiment
{
    /// <summary>Where mate-backgrounds installs its photographs.</summary>
    internal const string DefaultPhotos = "/usr/share/backgrounds/mate/nature";

    private static readonly Option<DirectoryInfo> Photos = new("--photos") { Description = "Folder of colour photographs (JPEG/PNG).", DefaultValueFactory = _ => new DirectoryInfo(DefaultPhotos) };
    private static readonly Option<int> HoldOutEvery = new("--hold-out-every") { Description = "Hold out every N-th photograph (sorted by name) whole, for the held-out crops.", DefaultValueFactory = _ => 6 };
    private static readonly Option<int> Size = new("--size") { Description = "Crop size in pixels.", DefaultValueFactory = _ => 32 };
    private static readonly Option<int> ShorterSide = new("--shorter-side") { Description = "Photographs are downscaled to this shorter side before cropping.", DefaultValueFactory = _ => 160 };
    private static readonly Option<int> TrainCrops = new("--train-crops") { Description = "Crops per training photograph.", DefaultValueFactory = _ => 2000 };
    private static readonly Option<int> TestCrops = new("--test-crops") { Description = "Crops per held-out photograph.", DefaultValueFactory = _ => 500 };
    private static readonly Option<double> Minutes = new("--minutes") { Description = "Training time in minutes.", DefaultValueFactory = _ => 15.0 };
    private static readonly Option<long?> Steps = new("--steps") { Description = "Train exactly this many steps instead of a time budget." };
    private static readonly Option<string> Preset = new("--preset") { Description = "Gated PixelCNN preset of the conditional model (S or M).", DefaultValueFactory = _ => "S" };
    private static readonly Option<int> Shown = new("--shown") { Description = "Held-out crops in the picture.", DefaultValueFactory = _ => 8 };
    private static readonly Option<int> Samples = new("--samples") { Description = "Colourings drawn per grey crop.", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of the crops, initialisation, batch order and sampling.", DefaultValueFactory = _ => 1 };
    private static readonly Option<DirectoryInfo> OutDir = new("--out-dir") { Description = "Folder for colorization.json, colorization.png and colorizer.zip.", DefaultValueFactory = _ => new DirectoryInfo("colorization-experiment") };

    public static Command CreateCommand()
    {
        var cmd = new Command("colorization",
            "Probabilistic colorization p(colour | grey) on crops of Debian's wallpaper photographs, trained through ML.NET: held-out bits/dim and a " +
            "picture of grey inputs, sampled colourings and originals. Writes colorization.json, colorization.png and colorizer.zip into --out-dir.")
        {
            Photos, HoldOutEvery, Size, ShorterSide, TrainCrops, TestCrops, Minutes, Steps, Preset, Shown, Samples, Seed, OutDir, TrainCommand.DeviceOption,
        };
        cmd.SetAction(Run);
        return cmd;
    }

    private static int Run(ParseResult p)
    {
        var photosDir = p.GetValue(Photos)!;
        int every = p.GetValue(HoldOutEvery), size = p.GetValue(Size), shorter = p.GetValue(ShorterSide), shown = p.GetValue(Shown), samples = p.GetValue(Samples);
        int seed = p.GetValue(Seed);
        if (!photosDir.Exists)
            throw new ArgumentException($"--photos {photosDir.FullName}: no such folder" + (photosDir.FullName == DefaultPhotos ? " (install mate-backgrounds: scripts/setup.sh does)" : ""));
        var files = ImageDataCatalog.ListImageFiles(photosDir.FullName).Select(f => f.ImagePath).Order(StringComparer.Ordinal).ToList();
        if (every < 2) throw new ArgumentException($"--hold-out-every {every}: must be >= 2");
        var heldOut = files.Where((_, i) => i % every == every - 1).ToList();
        var training = files.Except(heldOut).ToList();
        if (heldOut.Count == 0 || training.Count == 0)
            throw new ArgumentException($"--photos {photosDir.FullName}: {files.Count} photograph(s); holding out every {every}-th needs at least {every}");
        if (samples < 1 || shown < 1) throw new ArgumentException("--samples and --shown must be >= 1");
        double minutes = p.GetValue(Minutes);
        long? steps = p.GetValue(Steps);
        if (steps is < 1) throw new ArgumentException($"--steps {steps}: must be >= 1");
        if (steps is null && !(minutes > 0)) throw new ArgumentException($"--minutes {minutes}: must be > 0");
        var device = Engine.DeviceSelector.Parse(p.GetValue(TrainCommand.DeviceOption)!);
        var outDir = p.GetValue(OutDir)!;
        outDir.Create();
        var total = Stopwatch.StartNew();

        var train = Colorization.WithGreyConditions(ImageCrops.Random(training, size, p.GetValue(TrainCrops), shorter, seed));
        var test = Colorization.WithGreyConditions(ImageCrops.Random(heldOut, size, p.GetValue(TestCrops), shorter, seed + 1));
        Cli.Err.MarkupLine($"Colorization: {train.Count} crops of {training.Count} photographs for training, {test.Count} of {heldOut.Count} held-out photographs, " +
                           $"{size}x{size}, {device}, {get_num_threads()} thread(s)");
        var config = Colorization.Config(PixelCnnConfig.Preset(p.GetValue(Preset)!), size);
        int stepsPerEpoch = (train.Count + 31) / 32;
        var ml = new MLContext(seed) { GpuDeviceId = device.type == DeviceType.CUDA ? device.index : null };
        var trainView = Colorization.View(ml, train);
        var sw = Stopwatch.StartNew();
        using var colorizer = ml.Transforms.PixelCnnConditionalSampler(new PixelCnnConditionalSamplerEstimator.Options
        {
            FeatureColumnName = Colorization.PixelsColumn, ConditionColumnName = Colorization.GreyColumn, Model = config,
            Training =
            {
                Epochs = steps is null ? 1000 : (int)((steps.Value + stepsPerEpoch - 1) / stepsPerEpoch), MaxSteps = steps,
                MaxTime = steps is null ? TimeSpan.FromMinutes(minutes) : null,
            },
            SamplesPerRow = samples, SamplingSeed = (ulong)seed, Progress = new ConsoleTrainingProgress(), CancellationToken = Cli.Cancellation,
        }).Fit(trainView);
        double trainSeconds = sw.Elapsed.TotalSeconds;
        var modelPath = Path.Combine(outDir.FullName, "colorizer.zip");
        ml.Model.Save(colorizer, trainView.Schema, modelPath);

        var bits = colorizer.Model.Score(test, cancellationToken: Cli.Cancellation).BitsPerDim;
        double heldOutBits = bits.Average();
        var trainBits = colorizer.Model.Score(train.Take(Enumerable.Range(0, Math.Min(train.Count, test.Count)).ToArray()), cancellationToken: Cli.Cancellation).BitsPerDim.Average();
        Cli.Err.MarkupLine($"  held-out {heldOutBits:F4} bits/dim of the colours given the grey image (training crops {trainBits:F4})");

        // The picture: held-out crops spread over the held-out photographs.
        var rows = Enumerable.Range(0, Math.Min(shown, test.Count)).Select(k => (int)((long)k * test.Count / Math.Min(shown, test.Count))).ToArray();
        var picked = test.Take(rows);
        sw.Restart();
        var cells = Colorization.Picture(ml, colorizer, picked);
        double sampleSeconds = sw.Elapsed.TotalSeconds;
        var picture = new FileInfo(Path.Combine(outDir.FullName, "colorization.png"));
        Generation.SaveGrid(cells, samples + 2, 3, picture, null,
            $"Held-out crops: grey input, {samples} sampled colourings, original ({trainSeconds / 60:F1} min of training)");

        var report = new JsonObject
        {
            ["experiment"] = "colorization", ["photos"] = photosDir.FullName, ["training_photos"] = new JsonArray(training.Select(f => (JsonNode)Path.GetFileName(f)!).ToArray()),
            ["held_out_photos"] = new JsonArray(heldOut.Select(f => (JsonNode)Path.GetFileName(f)!).ToArray()),
            ["crop_size"] = size, ["shorter_side"] = shorter, ["train_crops"] = train.Count, ["test_crops"] = test.Count, ["preset"] = p.GetValue(Preset),
            ["parameters"] = colorizer.Model.Network.ParameterCount, ["train_seconds"] = trainSeconds,
            ["held_out_bits_per_dim"] = heldOutBits, ["training_crops_bits_per_dim"] = trainBits, ["samples_per_crop"] = samples,
            ["picture_sampling_seconds"] = sampleSeconds, ["device"] = device.ToString(), ["threads"] = get_num_threads(), ["seed"] = seed,
            ["picture"] = picture.Name, ["model"] = Path.GetFileName(modelPath), ["total_seconds"] = total.Elapsed.TotalSeconds,
        };
        var json = Path.Combine(outDir.FullName, "colorization.json");
        File.WriteAllText(json, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Held-out {heldOutBits:F4} bits/dim. Wrote {json}, {picture.FullName} and {modelPath} ({total.Elapsed.TotalMinutes:F1} min)");
        return Cli.Ok;
    }
}

/// <summary>What the colorization experiment and the colorize command share: the columns, the model and the picture.</summary>
internal static class Colorization
{
    public const string PixelsColumn = "Pixels", GreyColumn = "Grey";

    /// <summary>The conditional Gated PixelCNN of colour images of <paramref name="size"/>² given their grey view (one image plane).</summary>
    public static PixelCnnConfig Config(PixelCnnConfig preset, int size) => preset with
    {
        Channels = 3, Height = size, Width = size, Conditioning = ConditioningKind.Image, ConditionSize = size * size,
    };

    /// <summary>The colour images with their 8-bit grey views as conditions.</summary>
    public static ImageDataset WithGreyConditions(ImageDataset colour)
    {
        using var scope = NewDisposeScope();
        var x = tensor(colour.Pixels, [colour.Count, 3, colour.Height, colour.Width]).to(ScalarType.Float32);
        var grey = AuxiliaryViews.Grayscale(x, 8).contiguous().data<float>().ToArray();
        return new ImageDataset(3, colour.Height, colour.Width, colour.Pixels, grey, colour.Height * colour.Width);
    }

    /// <summary>An ML.NET view of colour crops: Pixels (Vector&lt;Single, 3, H, W&gt;) and Grey (Vector&lt;Single, 1, H, W&gt;).</summary>
    public static IDataView View(MLContext ml, ImageDataset data)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, data.Height, data.Width);
        schema[nameof(Row.Grey)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, data.Height, data.Width);
        int size = data.ImageSize, plane = data.Height * data.Width;
        var rows = Enumerable.Range(0, data.Count).Select(i => new Row
        {
            Pixels = Array.ConvertAll(data.Pixels[(i * size)..((i + 1) * size)], v => (float)v),
            Grey = data.Conditions!.AsSpan(i * plane, plane).ToArray(),
        });
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    /// <summary>Per crop, one row of the picture: grey input, the colorizer's N colourings (ML.NET Transform), the original.</summary>
    public static List<RasterImage> Picture(MLContext ml, PixelCnnConditionalSamplerTransformer colorizer, ImageDataset crops)
    {
        int n = colorizer.SamplesPerRow, plane = crops.Height * crops.Width, size = crops.ImageSize;
        var colour = new ImageShape(3, crops.Height, crops.Width);
        // Copied row by row: the column's VBuffers share one buffer that every next row overwrites.
        var generated = colorizer.Transform(View(ml, crops)).GetColumn<VBuffer<float>>(colorizer.PixelsColumnName)
            .Select(v => v.DenseValues().Select(x => (byte)Math.Clamp(MathF.Round(x), 0, 255)).ToArray()).ToList();
        var cells = new List<RasterImage>();
        for (int i = 0; i < crops.Count; i++)
        {
            var grey = crops.Conditions!.AsSpan(i * plane, plane).ToArray().Select(v => (byte)v).ToArray();
            cells.Add(RasterImage.FromChw([.. grey, .. grey, .. grey], 0, colour));
            for (int k = 0; k < n; k++) cells.Add(RasterImage.FromChw(generated[i], k, colour));
            cells.Add(RasterImage.FromChw(crops.Pixels, i, colour));
        }
        return cells;
    }

    private sealed class Row
    {
        public float[] Pixels { get; set; } = [];
        public float[] Grey { get; set; } = [];
    }
}

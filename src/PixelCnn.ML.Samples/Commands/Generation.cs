// What the generating commands (sample, complete, encode, reconstruct, interpolate, experiment)
// share: finding the PixelCNN component in a model zip, reading a data source's pixels (and class
// labels) into memory, turning NCHW bytes into images, writing PNG grids, and showing sampling
// progress row by row.
using System.CommandLine;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Training;
using TorchSharp;

namespace PixelCnn.ML.Samples.Commands;

/// <summary>Images read from a data source: NCHW bytes and, where the data has them, 0-based class indices.</summary>
internal sealed record ImageRows(ImageShape Shape, byte[] Pixels, int[]? Labels, string Description)
{
    public int Count => Pixels.Length / Shape.Size;

    public ImageDataset ToDataset() => new(Shape.Channels, Shape.Height, Shape.Width, Pixels);

    public RasterImage Image(int index) => RasterImage.FromChw(Pixels, index, Shape);

    /// <summary>Images [first, first + count) as a float tensor [count, C, H, W] of whole values 0..255.</summary>
    public TorchSharp.torch.Tensor Tensor(int first, int count)
    {
        var f = new float[count * Shape.Size];
        for (int i = 0; i < f.Length; i++) f[i] = Pixels[first * Shape.Size + i];
        return torch.tensor(f, count, Shape.Channels, Shape.Height, Shape.Width);
    }
}

/// <summary>A PixelCNN component found in a model zip, with the pipeline that owns it (dispose that).</summary>
internal sealed class LoadedModel(ITransformer pipeline, PixelCnnTransformerBase component, FileInfo file) : IDisposable
{
    public PixelCnnTransformerBase Component { get; } = component;
    public PixelCnnModel Model => Component.Model;
    public FileInfo File { get; } = file;

    public ImageShape Shape => new(Model.Config.Channels, Model.Config.Height, Model.Config.Width);

    public void Dispose() => (pipeline as IDisposable)?.Dispose();
}

internal static class Generation
{
    internal static readonly Option<FileInfo> Model = new("--model") { Description = "Model zip written by a pixelcnn train command.", Required = true };
    internal static readonly Option<ulong> Seed = new("--seed") { Description = "Seed of the random draws (same seed, model and options → same images).", DefaultValueFactory = _ => 1 };
    internal static readonly Option<double> Temperature = new("--temperature") { Description = "Sampling temperature: 1 samples the model, smaller sharpens, 0 takes the most likely values.", DefaultValueFactory = _ => 1.0 };
    internal static readonly Option<bool> Naive = new("--naive") { Description = "Use the slow reference decoder (one full forward pass per sub-pixel) instead of the cached one." };
    internal static readonly Option<int> Upscale = new("--upscale") { Description = "Enlarge every image this many times in the PNG (nearest neighbour).", DefaultValueFactory = _ => 3 };

    /// <summary>Gap in pixels between cells and around a grid (black).</summary>
    public const int Padding = 2;

    public static MLContext Context(ParseResult p, int seed = 1)
    {
        var device = Engine.DeviceSelector.Parse(p.GetValue(TrainCommand.DeviceOption)!);
        return new MLContext(seed: seed) { GpuDeviceId = (device.type == DeviceType.CUDA) ? device.index : null };
    }

    /// <summary>Loads the model zip named by --model and finds its PixelCNN component.</summary>
    public static LoadedModel Load(MLContext ml, FileInfo file)
    {
        if (!file.Exists) throw new FileNotFoundException($"--model {file.FullName} does not exist");
        var pipeline = ml.Model.LoadChecked(file.FullName, out _);
        var component = Find<PixelCnnTransformerBase>(pipeline);
        if (component is null)
        {
            (pipeline as IDisposable)?.Dispose();
            throw new InvalidDataException($"--model {file.FullName} holds no PixelCNN component (write one with `pixelcnn train` or `pixelcnn train-autoencoder`)");
        }
        return new LoadedModel(pipeline, component, file);
    }

    /// <summary>The last component of type <typeparamref name="T"/> in a loaded model (searching nested chains), or null.</summary>
    public static T? Find<T>(ITransformer t) where T : class, ITransformer =>
        t as T ?? (t as IEnumerable<ITransformer>)?.Select(Find<T>).LastOrDefault(x => x is not null);

    /// <summary>Reads the first <paramref name="take"/> images of --data at the model's image size.</summary>
    public static ImageRows Read(MLContext ml, string spec, int? take, ImageShape shape, FashionMnistSplit defaultSplit = FashionMnistSplit.Test)
    {
        if (take is <= 0) throw new ArgumentException($"--take {take}: must be > 0");
        var source = DataSources.Open(ml, spec, take, shape.Height, grayscale: shape.Channels == 1, defaultSplit);
        return Read(source.Rows, shape, source.Description, spec);
    }

    public static ImageRows Read(IDataView view, ImageShape shape, string description, string spec)
    {
        var schema = view.Schema;
        var pixelsCol = schema.GetColumnOrNull("Pixels") ?? throw new InvalidDataException($"--data {spec}: no Pixels column");
        if (pixelsCol.Type is not VectorDataViewType { Size: var size } || size != shape.Size)
            throw new InvalidDataException($"--data {spec}: images have {(pixelsCol.Type as VectorDataViewType)?.Size} values, the model needs {shape} = {shape.Size}");
        var labelCol = schema.GetColumnOrNull("Label") is { Type: KeyDataViewType or NumberDataViewType } l ? l : (DataViewSchema.Column?)null;
        var cols = new List<DataViewSchema.Column> { pixelsCol };
        if (labelCol is { } lc) cols.Add(lc);
        using var cursor = view.GetRowCursor(cols);
        var getPixels = cursor.GetGetter<VBuffer<float>>(pixelsCol);
        Func<int>? label = labelCol switch
        {
            { Type: KeyDataViewType } k => KeyIndex(cursor.GetGetter<uint>(k)),
            { Type: var t } n when t == NumberDataViewType.Int32 => Int(cursor.GetGetter<int>(n)),
            { Type: var t } n when t == NumberDataViewType.UInt32 => UInt(cursor.GetGetter<uint>(n)),
            _ => null,
        };
        var bytes = new List<byte>();
        var labels = new List<int>();
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            Cli.Cancellation.ThrowIfCancellationRequested();
            getPixels(ref buffer);
            foreach (var v in buffer.DenseValues()) bytes.Add((byte)Math.Clamp(MathF.Round(v), 0, 255));
            if (label is not null) labels.Add(label());
        }
        if (bytes.Count == 0) throw new InvalidDataException($"--data {spec}: no images");
        return new ImageRows(shape, bytes.ToArray(), label is null ? null : labels.ToArray(), description);
    }

    private static Func<int> KeyIndex(ValueGetter<uint> g) { uint v = 0; return () => { g(ref v); return (int)v - 1; }; }
    private static Func<int> Int(ValueGetter<int> g) { int v = 0; return () => { g(ref v); return v; }; }
    private static Func<int> UInt(ValueGetter<uint> g) { uint v = 0; return () => { g(ref v); return (int)v; }; }

    /// <summary>The images of a float tensor [N, C, H, W] holding whole values 0..255.</summary>
    public static List<RasterImage> ToImages(TorchSharp.torch.Tensor images, ImageShape s)
    {
        using var cpu = images.to(torch.ScalarType.Float32, torch.CPU);
        var f = cpu.data<float>().ToArray();
        var bytes = new byte[f.Length];
        for (int i = 0; i < f.Length; i++) bytes[i] = (byte)Math.Clamp(MathF.Round(f[i]), 0, 255);
        return RasterImage.ListFromChw(bytes, s);
    }

    /// <summary>
    /// Writes images as a PNG grid of <paramref name="columns"/> cells per row, each enlarged
    /// <paramref name="upscale"/> times, with <see cref="Padding"/> black pixels between cells, and the row labels,
    /// title and colour scale when given.
    /// </summary>
    public static void SaveGrid(IReadOnlyList<RasterImage> images, int columns, int upscale, FileInfo path, IReadOnlyList<string>? rowLabels = null,
                                string? title = null, ColorScale? scale = null)
    {
        if (upscale < 1) throw new ArgumentException($"--upscale {upscale}: must be >= 1");
        PictureWriter.SaveGrid(path.FullName, images, columns, upscale, Padding, rowLabels, title, scale);
    }

    /// <summary>Progress of a sampling call (rows 1..H done) on stderr.</summary>
    public static IProgress<int> RowProgress(string what, int height) => new RowReporter(what, height);

    private sealed class RowReporter(string what, int height) : IProgress<int>
    {
        private readonly DateTime _start = DateTime.UtcNow;
        private DateTime _last = DateTime.MinValue;

        public void Report(int rows)
        {
            var elapsed = DateTime.UtcNow - _start;
            var line = $"{what}: row {rows}/{height} ({elapsed.TotalSeconds:F0} s)";
            if (Cli.Interactive)
            {
                Console.Error.Write("\r" + line.PadRight(60));
                if (rows == height) Console.Error.WriteLine();
            }
            else if (rows == height || (DateTime.UtcNow - _last).TotalSeconds >= 10)
            {
                Console.Error.WriteLine(line);
                _last = DateTime.UtcNow;
            }
        }
    }

    public static Sampling.SamplingOptions SamplingOptions(ParseResult p, ulong? seed = null) => new()
    {
        Seed = seed ?? p.GetValue(Seed),
        Temperature = p.GetValue(Temperature),
        Kind = p.GetValue(Naive) ? Sampling.SamplerKind.Naive : Sampling.SamplerKind.Cached,
    };

    /// <summary>Class names for a class-conditioned model: Fashion-MNIST's for 10 classes of 1x28x28 images, else indices.</summary>
    public static string ClassName(int k, int classCount, ImageShape shape) =>
        classCount == FashionMnist.ClassNames.Count && shape == new ImageShape(1, FashionMnist.ImageSide, FashionMnist.ImageSide)
            ? FashionMnist.ClassNames[k] : $"class {k}";

    /// <summary>Parses an int list "0,3,7".</summary>
    public static int[] ParseList(string text, string option)
    {
        try
        {
            var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
            if (values.Length == 0) throw new FormatException();
            return values;
        }
        catch (FormatException)
        {
            throw new ArgumentException($"{option} {text}: expected comma-separated whole numbers, e.g. 0,3,7");
        }
    }
}

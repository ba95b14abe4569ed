// pixelcnn score: scores images with a saved PixelCNN scorer; writes a CSV of bits/dim and anomaly
// flags, and on request the per-pixel bits maps as PNG heat maps.
using System.CommandLine;
using System.Globalization;
using PixelCnn.ML.IO;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using Spectre.Console;
using TorchSharp;

namespace PixelCnn.ML.Samples.Commands;

internal static class ScoreCommand
{
    private static readonly Option<FileInfo> Model = new("--model") { Description = "Model zip written by `pixelcnn train`.", Required = true };
    private static readonly Option<string> Data = new("--data") { Description = "Images to score: " + DataSources.Help, DefaultValueFactory = _ => "fashion-mnist:test" };
    private static readonly Option<FileInfo> Out = new("--out") { Description = "CSV file to write.", DefaultValueFactory = _ => new FileInfo("scores.csv") };
    private static readonly Option<DirectoryInfo?> BitsMaps = new("--bits-maps") { Description = "Also write per-pixel bits heat maps (PNG) into this folder." };
    private static readonly Option<int> Upscale = new("--upscale") { Description = "Upscale factor of the bits-map PNGs.", DefaultValueFactory = _ => 4 };

    public static Command Create()
    {
        var cmd = new Command("score", "Score images with a saved PixelCNN scorer: CSV of bits/dim and anomaly flags, optional bits-map PNGs.")
        {
            Model, Data, TrainCommand.Take, Out, BitsMaps, Upscale, TrainCommand.DeviceOption,
        };
        cmd.SetAction(p =>
        {
            var device = Engine.DeviceSelector.Parse(p.GetValue(TrainCommand.DeviceOption)!);
            var ml = new MLContext(seed: 1) { GpuDeviceId = (device.type == DeviceType.CUDA) ? device.index : null };
            var modelFile = p.GetValue(Model)!;
            if (!modelFile.Exists) throw new FileNotFoundException($"--model {modelFile.FullName} does not exist");
            var loaded = ml.Model.LoadChecked(modelFile.FullName, out _);
            try
            {
                var scorer = Generation.Find<PixelCnnDensityTransformer>(loaded) ?? throw new InvalidDataException($"{modelFile.FullName} holds no PixelCNN scorer");
                var shape = scorer.ImageShape;
                var source = DataSources.Open(ml, p.GetValue(Data)!, p.GetValue(TrainCommand.Take), shape.Height, grayscale: shape.Channels == 1, FashionMnistSplit.Test);
                var maps = p.GetValue(BitsMaps);
                var view = maps is null ? scorer : scorer.WithBitsMap();
                var scored = view.Transform(source.Rows);
                Write(scored, source, p.GetValue(Out)!, maps, shape, p.GetValue(Upscale), scorer.Threshold);
                return Cli.Ok;
            }
            finally { (loaded as IDisposable)?.Dispose(); }
        });
        return cmd;
    }

    private static void Write(IDataView scored, DataSource source, FileInfo csv, DirectoryInfo? maps, ImageShape shape, int upscale, double threshold)
    {
        var schema = scored.Schema;
        var cols = new List<DataViewSchema.Column> { schema["BitsPerDim"], schema["PredictedLabel"] };
        var errorCol = schema.GetColumnOrNull("ImageError");
        if (errorCol is { } ec) cols.Add(ec);
        var pathCol = schema.GetColumnOrNull("ImagePath");
        var labelCol = schema.GetColumnOrNull("LabelIndex") ?? (schema.GetColumnOrNull("Label") is { Type: TextDataViewType } t ? t : null);
        if (pathCol is { } pc) cols.Add(pc);
        if (labelCol is { } lc) cols.Add(lc);
        var mapCol = maps is null ? (DataViewSchema.Column?)null : schema["BitsMap"];
        if (mapCol is { } mc) cols.Add(mc);
        if (maps is not null) Directory.CreateDirectory(maps.FullName);

        using var cursor = scored.GetRowCursor(cols);
        var bpd = cursor.GetGetter<float>(schema["BitsPerDim"]);
        var flag = cursor.GetGetter<bool>(schema["PredictedLabel"]);
        var path = pathCol is { } p ? cursor.GetGetter<ReadOnlyMemory<char>>(p) : null;
        Func<string>? label = labelCol switch
        {
            { Type: TextDataViewType } l => Text(cursor.GetGetter<ReadOnlyMemory<char>>(l)),
            { } l => Int(cursor.GetGetter<int>(l)),
            null => null,
        };
        var map = mapCol is { } m ? cursor.GetGetter<VBuffer<float>>(m) : null;
        var error = errorCol is { } e ? cursor.GetGetter<ReadOnlyMemory<char>>(e) : null;
        ReadOnlyMemory<char> ev = default;
        int unreadable = 0;
        float b = 0; bool f = false; ReadOnlyMemory<char> pv = default; VBuffer<float> mv = default;
        int rows = 0, flagged = 0;
        AtomicFile.Write(csv.FullName, stream =>
        {
            using var w = new StreamWriter(stream, leaveOpen: true);
            w.WriteLine("row,source,label,bits_per_dim,anomaly,error");
            while (cursor.MoveNext())
            {
                bpd(ref b); flag(ref f);
                string src = rows.ToString(CultureInfo.InvariantCulture);
                if (path is not null)
                {
                    path(ref pv);
                    src = pv.ToString();
                }
                string err = "";
                if (error is not null)
                {
                    error(ref ev);
                    err = ev.ToString();
                    if (err.Length > 0) unreadable++;
                }
                w.WriteLine(string.Join(',', rows, Csv(src), Csv(label?.Invoke() ?? ""), b.ToString("R", CultureInfo.InvariantCulture), f ? "1" : "0", Csv(err)));
                if (map is not null)
                {
                    map(ref mv);
                    var plane = Plane(mv.DenseValues().ToArray(), shape);
                    PictureWriter.SaveGrid(Path.Combine(maps!.FullName, $"{rows:D6}.png"), [Colormap.Heat(plane, shape.Width, shape.Height, 0, 16)], 1, upscale,
                                           scale: new ColorScale(0, 16, "bits per pixel"));
                }
                rows++;
                if (f) flagged++;
                if ((rows & 1023) == 0) Cli.Err.Markup($"\r[grey]{rows} images scored[/]");
            }
        });
        Cli.Err.WriteLine();
        Console.WriteLine($"Scored {rows} images from {source.Description}: {flagged} flagged above {threshold:F4} bits/dim" +
                          (unreadable > 0 ? $" or unreadable ({unreadable} files could not be read: see the error column)" : "") + $". Wrote {csv.FullName}" +
                          (maps is null ? "" : $" and bits maps (0..16 bits per pixel, black→red→yellow→white, unreadable images blue) in {maps.FullName}"));
    }

    /// <summary>Per-pixel bits summed over the colour channels, as one plane [H, W].</summary>
    private static float[] Plane(float[] chw, ImageShape s)
    {
        var plane = new float[s.Height * s.Width];
        for (int c = 0; c < s.Channels; c++)
            for (int i = 0; i < plane.Length; i++) plane[i] += chw[c * plane.Length + i];
        return plane;
    }

    private static Func<string> Text(ValueGetter<ReadOnlyMemory<char>> g) { ReadOnlyMemory<char> v = default; return () => { g(ref v); return v.ToString(); }; }
    private static Func<string> Int(ValueGetter<int> g) { int v = 0; return () => { g(ref v); return v.ToString(CultureInfo.InvariantCulture); }; }
    private static string Csv(string s) => s.Contains(',') || s.Contains('"') || s.Contains('\n') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}

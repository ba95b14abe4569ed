// Malformed model files against the model readers: a small density scorer saved by mlContext.Model.Save and a
// standalone PixelCnnModel zip, damaged in every way a file from outside can be (broken archives, special files,
// inflation bombs, sizes past every bound, bit flips with and without a matching zip CRC, JSON damage), then loaded
// the way the CLI loads them (mlContext.Model.LoadChecked, PixelCnnModel.Load) and, when they load, scored. Each case
// is one of: rejected with an InvalidDataException naming the file; loaded with the original's scores; loaded with
// other scores (an undetected change); or crashed (any other exception). Peak resident memory is measured per case
// (Linux: the resident set sampled every millisecond). Deterministic for a seed. `pixelcnn experiment
// model-fuzz` writes the figures as JSON (docs/benchmarks.md); the test suite runs a smaller set.
using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Components;
using PixelCnn.ML.Models;
using PixelCnn.ML.Samples.Commands;
using PixelCnn.ML.Scoring;

namespace PixelCnn.ML.Samples.Experiments;

/// <summary>One malformed file: its kind of damage, a name for the variant, and where it was written.</summary>
public sealed record ModelFuzzCase(string Kind, string Name, string Path, bool Standalone);

/// <summary>What loading one malformed file did.</summary>
public sealed record ModelFuzzVerdict(ModelFuzzCase Case, string Outcome, string Message, long PeakResidentBytes, double Seconds)
{
    public const string Rejected = "rejected", LoadedSame = "loaded, same scores", LoadedDifferent = "loaded, other scores", Crashed = "crashed";
}

public static class ModelFuzz
{
    public sealed class Row
    {
        [VectorType(1, 8, 8)] public float[] Pixels = [];
    }

    private sealed class Scored
    {
        public float BitsPerDim;
        public bool PredictedLabel;
    }

    /// <summary>The originals: a scorer zip (mlContext.Model.Save) and a standalone model zip (PixelCnnModel.Save), with the rows they score.</summary>
    public sealed record Originals(string ScorerZip, string ModelZip, List<Row> Rows);

    private static List<Row> Images(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => new Row { Pixels = Enumerable.Range(0, 64).Select(i => (float)((i / 8 % 2 == 0 ? 160 : 20) + rng.Next(8))).ToArray() }).ToList();
    }

    public static Originals WriteOriginals(string folder)
    {
        Directory.CreateDirectory(folder);
        var ml = new MLContext(seed: 1);
        var rows = Images(16, 7);
        var data = ml.Data.LoadFromEnumerable(rows);
        var config = new PixelCnnConfig { Height = 8, Width = 8, Layers = 2, HiddenChannels = 8, OutputHiddenChannels = 16 };
        var scorer = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = config, Training = { BatchSize = 8, MaxSteps = 2 } }).Fit(data);
        var scorerZip = Path.Combine(folder, "scorer.zip");
        ml.Model.Save(scorer, data.Schema, scorerZip);
        var modelZip = Path.Combine(folder, "model.zip");
        scorer.Model.Save(modelZip);
        scorer.Dispose();
        return new Originals(scorerZip, modelZip, rows);
    }

    /// <summary>
    /// Writes the malformed variants of <paramref name="originals"/> into <paramref name="folder"/>: <paramref name="flips"/>
    /// bit flips per corruption kind, and every fixed variant. <paramref name="bombBytes"/> is what the inflation bombs inflate to.
    /// </summary>
    public static List<ModelFuzzCase> WriteCases(string folder, Originals originals, int seed, int flips, long bombBytes)
    {
        Directory.CreateDirectory(folder);
        var rng = new Random(seed);
        var cases = new List<ModelFuzzCase>();
        var scorer = File.ReadAllBytes(originals.ScorerZip);
        var model = File.ReadAllBytes(originals.ModelZip);
        void Add(string kind, string name, byte[] bytes, bool standalone = false)
        {
            var path = System.IO.Path.Combine(folder, $"{kind}-{name}{(standalone ? "-standalone" : "")}.zip");
            File.WriteAllBytes(path, bytes);
            cases.Add(new ModelFuzzCase(kind, name, path, standalone));
        }
        // Everything but the bit flips is crafted: checksums that can be recomputed are.
        void AddEdit(string kind, string name, Func<string, byte[], byte[]?> edit, bool standalone = false, IEnumerable<(string, byte[])>? extra = null,
                     Padding? pad = null) =>
            Add(kind, name, Rewrite(standalone ? model : scorer, edit, extra, pad, crafted: kind != "flip-content"), standalone);

        // Archives that are not sound.
        Add("archive", "empty", []);
        Add("archive", "text", Encoding.UTF8.GetBytes("this is not a model\n"));
        Add("archive", "random-bytes", RandomBytes(rng, 4096));
        Add("archive", "gzip", Gzip(scorer));
        foreach (var fraction in new[] { 0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98, 0.999 })
        {
            Add("archive", $"truncated-{fraction:0.###}", scorer[..(int)(scorer.Length * fraction)]);
            Add("archive", $"truncated-{fraction:0.###}", model[..(int)(model.Length * fraction)], standalone: true);
        }
        AddEdit("archive", "no-chain-key", (n, b) => n == "TransformerChain/Model.key" ? null : b);
        AddEdit("archive", "no-options", (n, b) => n.EndsWith("options.json") ? null : b);
        AddEdit("archive", "no-weights", (n, b) => n.EndsWith("weights.safetensors") ? null : b);
        AddEdit("archive", "no-config", (n, b) => n.EndsWith("config.json") ? null : b);
        AddEdit("archive", "no-weights", (n, b) => n.EndsWith("weights.safetensors") ? null : b, standalone: true);
        AddEdit("archive", "unknown-loader", (n, b) => n.EndsWith("Model.key") ? Replace(b, "PixelCnnDensityScorer", "PixelCnnDensityScorex") : b);
        AddEdit("archive", "unknown-signature", (n, b) => n.EndsWith("Model.key") ? Replace(b, "PXCNNDEN", "PXCNNDEX") : b);
        AddEdit("archive", "no-schema", (n, b) => n == "Schema" ? null : b);
        AddEdit("archive", "dot-dot-entry", (n, b) => b, extra: [("../../escaped.json", Encoding.UTF8.GetBytes("{}"))]);
        Add("archive", "declared-smaller", DeclareSize(scorer, "options.json", 16));
        Add("archive", "declared-larger", DeclareSize(scorer, "options.json", 1 << 20));

        // Inflation bombs: entries within a few megabytes that inflate past every bound.
        AddEdit("bomb", "options-json", (n, b) => b, pad: new("options.json", bombBytes, (byte)' '));
        AddEdit("bomb", "config-json", (n, b) => b, pad: new("config.json", bombBytes, (byte)' '));
        AddEdit("bomb", "weights-zeros", (n, b) => b, pad: new("weights.safetensors", bombBytes, 0));
        AddEdit("bomb", "weights-declared-huge", (n, b) => n.EndsWith("weights.safetensors") ? DeclareLargeTensor() : b);
        AddEdit("bomb", "extra-entry", (n, b) => b, extra: [("TransformerChain/padding.bin", [])], pad: new("padding.bin", bombBytes, 0));
        AddEdit("bomb", "config-json", (n, b) => b, standalone: true, pad: new("config.json", bombBytes, (byte)' '));
        AddEdit("bomb", "weights-zeros", (n, b) => b, standalone: true, pad: new("weights.safetensors", bombBytes, 0));

        // Sizes past every bound, in otherwise valid files.
        foreach (var (name, value) in new (string, JsonNode)[] { ("max-int", int.MaxValue), ("zero", 0), ("negative", -5), ("above-max", 4097), ("text", "256"), ("fraction", 2.5) })
            AddEdit("size", $"score-batch-size-{name}", (n, b) => n.EndsWith("options.json") ? EditJson(b, o => o["scoreBatchSize"] = value.DeepClone()) : b);
        foreach (var (name, edit) in new (string, Action<JsonObject>)[]
                 {
                     ("hidden-4096", c => c["hiddenChannels"] = 4096),
                     ("validation-maximum", c => { c["hiddenChannels"] = 4096; c["layers"] = 128; c["kernelSize"] = 15; c["outputHiddenChannels"] = 8192; }),
                     ("condition-size-huge", c => { c["conditioning"] = "Global"; c["conditionSize"] = int.MaxValue; }),
                     ("layers-128", c => c["layers"] = 128),
                     ("height-1024", c => { c["height"] = 1024; c["width"] = 1024; }),
                     ("hidden-negative", c => c["hiddenChannels"] = -8),
                     ("channels-7", c => c["channels"] = 7),
                     ("levels-0", c => c["levels"] = 0),
                 })
        {
            AddEdit("size", $"config-{name}", (n, b) => n.EndsWith("config.json") ? EditJson(b, o => edit((JsonObject)o["config"]!)) : b);
            // A standalone model of another image size is a valid file of another model, not a malformed one: only the
            // scorer, whose options fix the size, is asked to refuse it.
            if (name != "height-1024")
                AddEdit("size", $"config-{name}", (n, b) => n.EndsWith("config.json") ? EditJson(b, o => edit((JsonObject)o["config"]!)) : b, standalone: true);
        }
        AddEdit("size", "shape-huge", (n, b) => n.EndsWith("options.json") ? EditJson(b, o => o["shape"] = new JsonArray(1, 1 << 20, 1 << 20)) : b);
        AddEdit("size", "reference-scores-empty", (n, b) => n.EndsWith("options.json") ? EditJson(b, o => o["referenceScores"] = new JsonArray()) : b);

        // Bit flips: in the compressed bytes (the zip CRC no longer matches), and in the content with the CRC recomputed.
        foreach (var (target, standalone) in new[] { ("weights.safetensors", false), ("options.json", false), ("config.json", false), ("weights.safetensors", true) })
        {
            var source = standalone ? model : scorer;
            var (offset, length) = DataRange(source, target);
            for (int i = 0; i < flips; i++)
            {
                int at = offset + rng.Next(length), bit = rng.Next(8);
                var bytes = (byte[])source.Clone();
                bytes[at] ^= (byte)(1 << bit);
                Add("flip-compressed", $"{target}-{at}-{bit}", bytes, standalone);
                int salt = rng.Next();
                AddEdit("flip-content", $"{target}-{i}", (n, b) =>
                {
                    if (!n.EndsWith(target)) return b;
                    var copy = (byte[])b.Clone();
                    copy[new Random(salt).Next(copy.Length)] ^= (byte)(1 << bit);
                    return copy;
                }, standalone);
            }
        }

        // JSON damage.
        foreach (var (name, damage) in new (string, Func<byte[], byte[]>)[]
                 {
                     ("cut", b => b[..(b.Length / 2)]),
                     ("not-json", _ => Encoding.UTF8.GetBytes("<xml/>")),
                     ("array", _ => Encoding.UTF8.GetBytes("[1, 2, 3]")),
                     ("null", _ => Encoding.UTF8.GetBytes("null")),
                     ("deep", _ => Encoding.UTF8.GetBytes(new string('[', 100_000) + new string(']', 100_000))),
                     ("not-utf8", _ => [0xFF, 0xFE, 0x7B, 0x00, 0xC3, 0x28]),
                     ("duplicate-key", b => Encoding.UTF8.GetBytes("{\"shape\": [1, 8, 8], " + Encoding.UTF8.GetString(b).TrimStart().TrimStart('{'))),
                     ("wrong-types", b => EditJson(b, o => { foreach (var k in o.Select(kv => kv.Key).ToList()) o[k] = "x"; })),
                     ("empty-object", _ => Encoding.UTF8.GetBytes("{}")),
                 })
        {
            AddEdit("json", $"options-{name}", (n, b) => n.EndsWith("options.json") ? damage(b) : b);
            AddEdit("json", $"config-{name}", (n, b) => n.EndsWith("config.json") ? damage(b) : b);
            AddEdit("json", $"config-{name}", (n, b) => n.EndsWith("config.json") ? damage(b) : b, standalone: true);
        }
        return cases;
    }

    /// <summary>Special files in place of a model: a link to /dev/zero, a named pipe, a folder, a missing file (Linux).</summary>
    public static List<ModelFuzzCase> WriteSpecialFiles(string folder)
    {
        var cases = new List<ModelFuzzCase>();
        var zero = System.IO.Path.Combine(folder, "special-dev-zero.zip");
        File.CreateSymbolicLink(zero, "/dev/zero");
        cases.Add(new("special", "dev-zero-link", zero, false));
        var fifo = System.IO.Path.Combine(folder, "special-fifo.zip");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!) mkfifo.WaitForExit();
        cases.Add(new("special", "fifo", fifo, false));
        cases.Add(new("special", "fifo", fifo, true));
        var dir = System.IO.Path.Combine(folder, "special-folder.zip");
        Directory.CreateDirectory(dir);
        cases.Add(new("special", "folder", dir, false));
        cases.Add(new("special", "missing", System.IO.Path.Combine(folder, "special-missing.zip"), false));
        var dangling = System.IO.Path.Combine(folder, "special-dangling.zip");
        File.CreateSymbolicLink(dangling, System.IO.Path.Combine(folder, "nowhere"));
        cases.Add(new("special", "dangling-link", dangling, false));
        return cases;
    }

    /// <summary>Loads every case as the CLI does and scores what loads; compares with the original's scores.</summary>
    public static List<ModelFuzzVerdict> Run(Originals originals, IEnumerable<ModelFuzzCase> cases, Action<ModelFuzzVerdict>? progress = null)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(originals.Rows);
        var expected = Score(ml, ml.Model.LoadChecked(originals.ScorerZip, out _), data);
        double[] expectedStandalone;
        PixelCnnConfig originalConfig;
        using (var m = PixelCnnModel.Load(originals.ModelZip)) (expectedStandalone, originalConfig) = (ScoreStandalone(m, originals.Rows), m.Config);
        var verdicts = new List<ModelFuzzVerdict>();
        foreach (var c in cases)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using var sampler = new PeakSampler();
            var watch = Stopwatch.StartNew();
            string outcome, message;
            try
            {
                bool same;
                if (c.Standalone)
                {
                    using var m = PixelCnnModel.Load(c.Path);
                    // A configuration that reads differently is another model, even where its weights fit.
                    same = m.Config == originalConfig && ScoreStandalone(m, originals.Rows).SequenceEqual(expectedStandalone);
                }
                else
                {
                    var loaded = ml.Model.LoadChecked(c.Path, out _);
                    same = Score(ml, loaded, data).SequenceEqual(expected);
                }
                (outcome, message) = (same ? ModelFuzzVerdict.LoadedSame : ModelFuzzVerdict.LoadedDifferent, "");
            }
            catch (InvalidDataException e)
            {
                (outcome, message) = (ModelFuzzVerdict.Rejected, e.Message);
            }
            catch (Exception e)
            {
                (outcome, message) = (ModelFuzzVerdict.Crashed, $"{e.GetType().Name}: {e.Message}");
            }
            var verdict = new ModelFuzzVerdict(c, outcome, message, sampler.Peak, watch.Elapsed.TotalSeconds);
            verdicts.Add(verdict);
            progress?.Invoke(verdict);
        }
        return verdicts;
    }

    private static (float, bool)[] Score(MLContext ml, ITransformer model, IDataView data)
    {
        try
        {
            return ml.Data.CreateEnumerable<Scored>(model.Transform(data), reuseRowObject: false).Select(s => (s.BitsPerDim, s.PredictedLabel)).ToArray();
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private static double[] ScoreStandalone(PixelCnnModel model, List<Row> rows) =>
        model.Score(new Data.ImageDataset(1, 8, 8, rows.SelectMany(r => r.Pixels.Select(v => (byte)v)).ToArray())).BitsPerDim;

    // ---- peak resident memory (Linux): sampled from /proc/self/statm every millisecond while a case runs

    private sealed class PeakSampler : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _peak;

        public PeakSampler()
        {
            _peak = Resident();
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    long now = Resident();
                    if (now > Interlocked.Read(ref _peak)) Interlocked.Exchange(ref _peak, now);
                    Thread.Sleep(1);
                }
            }) { IsBackground = true, Name = "model-fuzz memory sampler" };
            _thread.Start();
        }

        public long Peak => Math.Max(Interlocked.Read(ref _peak), Resident());

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }

    /// <summary>The resident set of this process now, in bytes (0 where /proc is not there).</summary>
    public static long Resident()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1]) * Environment.SystemPageSize;
        }
        catch (IOException) { return 0; }
    }

    // ---- archive surgery

    /// <summary>A copy of a zip with each entry's content passed through <paramref name="edit"/> (null drops it); CRCs are recomputed.</summary>
    /// <remarks>
    /// A crafted file's options.sha256 is recomputed for its edited options.json, as someone building a file to get past
    /// the checks would; a damaged file's is left as it was.
    /// </remarks>
    private static byte[] Rewrite(byte[] zip, Func<string, byte[], byte[]?> edit, IEnumerable<(string Name, byte[] Bytes)>? extra, Padding? pad, bool crafted)
    {
        if (crafted) edit = Crafted(zip, edit);
        using var input = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        string? optionsDigest = null;
        if (crafted && input.Entries.FirstOrDefault(e => e.FullName.EndsWith("options.json")) is { } optionsEntry)
        {
            using var content = new MemoryStream();
            using (var s = optionsEntry.Open()) s.CopyTo(content);
            if (edit(optionsEntry.FullName, content.ToArray()) is { } edited)
            {
                var text = Encoding.UTF8.GetString(edited);
                optionsDigest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text.TrimStart('\uFEFF'))));
            }
        }
        var output = new MemoryStream();
        using (var z = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in input.Entries)
            {
                using var content = new MemoryStream();
                using (var s = entry.Open()) s.CopyTo(content);
                if (edit(entry.FullName, content.ToArray()) is not { } bytes) continue;
                if (optionsDigest is not null && entry.FullName.EndsWith("options.sha256")) bytes = Encoding.UTF8.GetBytes(optionsDigest);
                using var w = z.CreateEntry(entry.FullName, CompressionLevel.Optimal).Open();
                w.Write(bytes);
                if (pad is { } p && entry.FullName.EndsWith(p.Suffix, StringComparison.Ordinal)) p.WriteTo(w, bytes.Length);
            }
            foreach (var (name, bytes) in extra ?? [])
            {
                using var w = z.CreateEntry(name, CompressionLevel.Optimal).Open();
                w.Write(bytes);
                if (pad is { } p && name.EndsWith(p.Suffix, StringComparison.Ordinal)) p.WriteTo(w, bytes.Length);
            }
        }
        return output.ToArray();
    }

    /// <summary>
    /// <paramref name="edit"/> followed by what someone crafting a file would do to get past the checks that can be
    /// redone without a secret: the weights record the edited configuration, config.json the edited weights' SHA-256.
    /// </summary>
    private static Func<string, byte[], byte[]?> Crafted(byte[] zip, Func<string, byte[], byte[]?> edit)
    {
        using var input = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        byte[]? Read(string suffix)
        {
            if (input.Entries.FirstOrDefault(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal)) is not { } entry) return null;
            using var content = new MemoryStream();
            using (var s = entry.Open()) s.CopyTo(content);
            return edit(entry.FullName, content.ToArray());
        }
        var config = Read("config.json");
        var weights = Read("weights.safetensors");
        JsonObject? configJson = null;
        try { configJson = config is null ? null : JsonNode.Parse(config) as JsonObject; }
        catch (JsonException) { }
        if (weights is not null && configJson?["config"] is JsonObject c) weights = WithConfigMetadata(weights, c.ToJsonString());
        if (weights is not null && configJson is not null)
        {
            configJson["weightsSha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(weights));
            config = Encoding.UTF8.GetBytes(configJson.ToJsonString());
        }
        return (name, bytes) =>
            name.EndsWith("config.json", StringComparison.Ordinal) && config is not null ? config
            : name.EndsWith("weights.safetensors", StringComparison.Ordinal) && weights is not null ? weights
            : edit(name, bytes);
    }

    /// <summary>A safetensors file with its pixelcnn_config metadata replaced (unchanged when the header does not parse).</summary>
    private static byte[] WithConfigMetadata(byte[] file, string config)
    {
        if (file.Length < 8) return file;
        long n = BinaryPrimitives.ReadInt64LittleEndian(file);
        if (n <= 0 || 8 + n > file.Length) return file;
        JsonObject header;
        try { header = (JsonObject)JsonNode.Parse(file.AsSpan(8, (int)n))!; }
        catch (Exception e) when (e is JsonException or InvalidCastException) { return file; }
        if (header["__metadata__"] is not JsonObject meta || meta["pixelcnn_config"] is null) return file;
        meta["pixelcnn_config"] = config;
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        var result = new byte[8 + padded + file.Length - 8 - (int)n];
        BinaryPrimitives.WriteInt64LittleEndian(result, padded);
        json.CopyTo(result, 8);
        result.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        file.AsSpan(8 + (int)n).CopyTo(result.AsSpan(8 + padded));
        return result;
    }

    /// <summary>The compressed data of the first entry whose name ends with <paramref name="suffix"/>: (offset, length), from its local header.</summary>
    private static (int Offset, int Length) DataRange(byte[] zip, string suffix)
    {
        for (int at = 0; at + 30 <= zip.Length && BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(at)) == 0x04034b50;)
        {
            int compressed = BinaryPrimitives.ReadInt32LittleEndian(zip.AsSpan(at + 18));
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 26)), extraLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 28));
            var name = Encoding.UTF8.GetString(zip, at + 30, nameLength);
            int data = at + 30 + nameLength + extraLength;
            if (name.EndsWith(suffix, StringComparison.Ordinal)) return (data, compressed);
            at = data + compressed;
        }
        throw new InvalidOperationException($"no entry ending with {suffix}");
    }

    /// <summary>Sets the uncompressed size the archive declares for the entry ending with <paramref name="suffix"/>, in its local and central headers.</summary>
    private static byte[] DeclareSize(byte[] zip, string suffix, uint size)
    {
        var bytes = (byte[])zip.Clone();
        for (int at = 0; at + 46 <= bytes.Length; at++)
        {
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
            if (signature == 0x04034b50 && Encoding.UTF8.GetString(bytes, at + 30, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at + 26))).EndsWith(suffix))
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 22), size);
            if (signature == 0x02014b50 && Encoding.UTF8.GetString(bytes, at + 46, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at + 28))).EndsWith(suffix))
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 24), size);
        }
        return bytes;
    }

    /// <summary>Fill bytes appended to the entry ending with <paramref name="Suffix"/> until it holds <paramref name="Total"/> bytes: an inflation bomb, streamed.</summary>
    private sealed record Padding(string Suffix, long Total, byte Fill)
    {
        public void WriteTo(Stream entry, long written)
        {
            var chunk = new byte[1 << 20];
            if (Fill != 0) chunk.AsSpan().Fill(Fill);
            for (long left = Total - written; left > 0; left -= chunk.Length) entry.Write(chunk, 0, (int)Math.Min(left, chunk.Length));
        }
    }

    /// <summary>A safetensors file whose header declares one tensor of 2^40 float32 values, with no data behind it.</summary>
    private static byte[] DeclareLargeTensor()
    {
        var header = Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[1099511627776],\"data_offsets\":[0,4398046511104]}}");
        var bytes = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static byte[] EditJson(byte[] json, Action<JsonObject> edit)
    {
        var node = (JsonObject)JsonNode.Parse(json)!;
        edit(node);
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private static byte[] Replace(byte[] bytes, string from, string to)
    {
        var copy = (byte[])bytes.Clone();
        int at = copy.AsSpan().IndexOf(Encoding.UTF8.GetBytes(from));
        if (at >= 0) Encoding.UTF8.GetBytes(to).CopyTo(copy, at);
        return copy;
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var bytes = new byte[n];
        rng.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(bytes);
        return output.ToArray();
    }

    // ---- the command

    public static Command CreateCommand()
    {
        var flips = new Option<int>("--flips") { Description = "Bit flips per corruption kind (compressed and content, in four entries).", DefaultValueFactory = _ => 40 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 20261208 };
        var bomb = new Option<long>("--bomb-bytes") { Description = "What the inflation bombs inflate to.", DefaultValueFactory = _ => 4L << 30 };
        var outFile = new Option<FileInfo>("--out") { Description = "JSON report.", DefaultValueFactory = _ => new FileInfo("model-fuzz.json") };
        var cmd = new Command("model-fuzz", "Malformed model files (broken archives, special files, inflation bombs, sizes, bit flips, JSON damage) through the model readers; figures to JSON.")
        {
            flips, seed, bomb, outFile,
        };
        cmd.SetAction(p =>
        {
            var folder = Directory.CreateTempSubdirectory("pixelcnn-model-fuzz-").FullName;
            try
            {
                var watch = Stopwatch.StartNew();
                var originals = WriteOriginals(System.IO.Path.Combine(folder, "originals"));
                var cases = WriteCases(folder, originals, p.GetValue(seed), p.GetValue(flips), p.GetValue(bomb));
                cases.AddRange(WriteSpecialFiles(folder));
                Console.Error.WriteLine($"{cases.Count} malformed files written in {watch.Elapsed.TotalSeconds:F0} s");
                GC.Collect();
                long baseline = Resident();
                var verdicts = Run(originals, cases, v =>
                {
                    if (v.Outcome != ModelFuzzVerdict.Rejected || v.PeakResidentBytes > 500L << 20)
                        Console.Error.WriteLine($"{v.Case.Kind}/{v.Case.Name}: {v.Outcome}, {v.PeakResidentBytes >> 20} MiB, {v.Message}");
                });
                var kinds = new JsonObject();
                foreach (var g in verdicts.GroupBy(v => v.Case.Kind))
                    kinds[g.Key] = new JsonObject
                    {
                        ["files"] = g.Count(),
                        ["outcomes"] = new JsonObject(g.GroupBy(v => v.Outcome).Select(o => KeyValuePair.Create(o.Key, (JsonNode?)o.Count()))),
                        ["rejections_naming_the_file"] = g.Count(v => v.Outcome == ModelFuzzVerdict.Rejected && v.Message.Contains(v.Case.Path)),
                        ["peak_resident_mib_max"] = g.Max(v => v.PeakResidentBytes) / 1048576.0,
                        ["seconds_max"] = g.Max(v => v.Seconds),
                        ["examples"] = new JsonArray(g.GroupBy(v => v.Outcome + v.Message.Replace(v.Case.Path, "FILE").Split(':').Skip(1).FirstOrDefault())
                            .Take(8).Select(e => (JsonNode?)$"{e.First().Case.Name}: {e.First().Outcome}: {e.First().Message.Replace(e.First().Case.Path, "FILE")}").ToArray()),
                    };
                var json = new JsonObject
                {
                    ["files"] = verdicts.Count, ["seed"] = p.GetValue(seed), ["bomb_bytes"] = p.GetValue(bomb),
                    ["resident_before_mib"] = baseline / 1048576.0,
                    ["outcomes"] = new JsonObject(verdicts.GroupBy(v => v.Outcome).Select(o => KeyValuePair.Create(o.Key, (JsonNode?)o.Count()))),
                    ["peak_resident_mib_max"] = verdicts.Max(v => v.PeakResidentBytes) / 1048576.0,
                    ["kinds"] = kinds,
                };
                File.WriteAllText(p.GetValue(outFile)!.FullName, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
                Console.WriteLine($"{verdicts.Count} files: " + string.Join(", ", verdicts.GroupBy(v => v.Outcome).Select(g => $"{g.Count()} {g.Key}")) +
                                  $"; peak resident at most {verdicts.Max(v => v.PeakResidentBytes) >> 20} MiB. Wrote {p.GetValue(outFile)!.FullName}");
                return Cli.Ok;
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        });
        return cmd;
    }
}

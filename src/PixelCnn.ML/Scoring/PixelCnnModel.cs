// A trained (or freshly initialised) PixelCNN on a device: the network, its configuration, and
// the likelihood computations users want from it (bits/dim, nats, per-sub-pixel bits), batched
// under no_grad. Saved as one zip: config.json + weights.safetensors (see docs/model-format.md).
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.IO;
using PixelCnn.ML.Models;
using PixelCnn.ML.Serialization;
using PixelCnn.ML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Scoring;

/// <summary>Per-image likelihood results.</summary>
public sealed class ScoreResult
{
    /// <summary>Negative log-likelihood of each image in nats.</summary>
    public required double[] Nats { get; init; }
    /// <summary>Negative log-likelihood per sub-pixel in bits: Nats / (C·H·W·ln 2).</summary>
    public required double[] BitsPerDim { get; init; }
    /// <summary>Per-sub-pixel bits, N·C·H·W (row-major), when requested.</summary>
    public float[]? BitsMap { get; init; }
}

public sealed class PixelCnnModel : IDisposable
{
    public const string FormatName = "pixelcnn-model";
    /// <summary>
    /// 2: <see cref="PixelCnnConfig.EqualizedEncoderOutput"/> (a format-1 file's autoencoder reads with false). 3: the
    /// auxiliary-variable architectures, image conditions and sub-pixel levels other than 256. 4: the pyramid's
    /// <see cref="SuperResolutionOrder.Blocks"/> order (a file without an order reads as <see cref="SuperResolutionOrder.Raster"/>).
    /// 5: the pyramid's <see cref="PixelCnnConfig.PyramidBaseLayers"/> (a file without it reads with <see cref="PixelCnnConfig.Layers"/>).
    /// A file records the lowest version that can read it, so models that use nothing newer stay readable by older libraries.
    /// </summary>
    public const int FormatVersion = 5;

    /// <summary>The lowest format version that can read a model of <paramref name="config"/>.</summary>
    public static int RequiredVersion(PixelCnnConfig config) =>
        config.PyramidBaseLayers is { } baseLayers && baseLayers != config.Layers ? 5
        : config.Architecture == PixelCnnArchitecture.Pyramid && config.SuperResolutionOrder == SuperResolutionOrder.Blocks ? 4
        : config.IsAuxiliary || config.Conditioning == ConditioningKind.Image || config.Levels != 256 ? 3 : 2;

    public PixelCnnModel(PixelCnnNetwork network, Device device)
    {
        Network = network;
        Device = device;
        if (device.type != DeviceType.CPU) network.to(device);
    }

    /// <summary>A new model with weights drawn from <paramref name="seed"/>.</summary>
    public static PixelCnnModel Create(PixelCnnConfig config, ulong seed = 1, Device? device = null)
    {
        using var g = new Generator(seed);
        return new PixelCnnModel(PixelCnnNetwork.Create(config, g), device ?? torch.CPU);
    }

    public PixelCnnNetwork Network { get; }
    public PixelCnnConfig Config => Network.Config;

    /// <summary>Raised for recoverable problems, e.g. a scoring batch retried smaller after running out of device memory.</summary>
    public event Action<string>? Warning;
    public Device Device { get; private set; }

    public PixelCnnModel To(Device device)
    {
        Network.to(device);
        Device = device;
        return this;
    }

    /// <summary>Scores every image of <paramref name="data"/> in batches.</summary>
    public ScoreResult Score(ImageDataset data, int batchSize = 256, bool bitsMap = false, IProgress<int>? progress = null,
                             CancellationToken cancellationToken = default)
    {
        int n = data.Count, dims = Config.Dimensions;
        var nats = new double[n];
        var map = bitsMap ? new float[(long)n * dims] : null;
        ForEachBatch(data, batchSize, progress, cancellationToken, (start, b, x, h) =>
        {
            var perSubPixel = Network.NllNats(x, h).to(ScalarType.Float32, torch.CPU).contiguous();
            perSubPixel.to(ScalarType.Float64).view(b, dims).sum(1).data<double>().CopyTo(nats, start);
            if (map is not null) (perSubPixel / Math.Log(2)).data<float>().CopyTo(map, checked(start * dims));
        });
        var bpd = nats.Select(v => v / (dims * Math.Log(2))).ToArray();
        return new ScoreResult { Nats = nats, BitsPerDim = bpd, BitsMap = map };
    }

    /// <summary>
    /// For the auxiliary-variable architectures (Grayscale, Pyramid): the negative log-likelihood in nats of each part of
    /// every image, N·parts values (row-major, parts in <see cref="AuxiliaryPixelCnn.PartNames"/> order); rows sum to the
    /// image's nats.
    /// </summary>
    public double[] PartNats(ImageDataset data, int batchSize = 256, CancellationToken cancellationToken = default)
    {
        if (Network is not AuxiliaryPixelCnn staged)
            throw new InvalidOperationException($"a {Config.Architecture} model has no parts: only the Grayscale and Pyramid architectures do");
        int parts = staged.PartNames.Count;
        var result = new double[(long)data.Count * parts];
        ForEachBatch(data, batchSize, null, cancellationToken, (start, _, x, h) =>
            staged.PartNats(x, h).to(ScalarType.Float64, torch.CPU).contiguous().data<double>().CopyTo(result, checked(start * parts)));
        return result;
    }

    /// <summary>
    /// The bottleneck vectors h of an autoencoder for every image, N·m floats (row-major).
    /// </summary>
    public float[] Encode(ImageDataset data, int batchSize = 256, CancellationToken cancellationToken = default)
    {
        if (Network is not PixelCnnAutoencoder ae)
            throw new InvalidOperationException("this model has no encoder: train it with EmbeddingSize > 0 to get embeddings");
        int m = Config.EmbeddingSize;
        var result = new float[(long)data.Count * m];
        ForEachBatch(data, batchSize, null, cancellationToken, (start, _, x, _) =>
            ae.Encoder.forward(x).to(torch.CPU).data<float>().CopyTo(result, checked(start * m)));
        return result;
    }

    /// <summary>
    /// Runs <paramref name="body"/>(start, count, x, h) on consecutive batches of <paramref name="data"/> in eval mode under
    /// no_grad, each inside a dispose scope. A batch that runs out of device memory is retried at half the size (the
    /// cache emptied first), down to one image, and reported through <see cref="Warning"/>.
    /// </summary>
    private void ForEachBatch(ImageDataset data, int batchSize, IProgress<int>? progress, CancellationToken cancellationToken,
                              Action<int, int, Tensor, Tensor?> body)
    {
        data.EnsureMatches(Config);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be > 0");
        int n = data.Count;
        var rows = new int[Math.Min(batchSize, Math.Max(n, 1))];
        bool wasTraining = Network.training;
        Network.eval();
        try
        {
            using var _ = no_grad();
            for (int start = 0; start < n;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int b = Math.Min(batchSize, n - start);
                for (int i = 0; i < b; i++) rows[i] = start + i;
                try
                {
                    using var scope = NewDisposeScope();
                    var (x, h) = data.GetBatch(rows.AsSpan(0, b), Device);
                    body(start, b, x, h);
                }
                catch (ExternalException e) when (OutOfMemory.Is(e) && b > 1)
                {
                    OutOfMemory.Recover();
                    batchSize = Math.Max(1, b / 2);
                    Warning?.Invoke($"out of memory on {Device} at batch size {b}; retrying with {batchSize}");
                    continue; // the same rows again, in smaller batches
                }
                start += b;
                progress?.Report(start);
            }
        }
        finally
        {
            Network.train(wasTraining);
        }
    }

    /// <summary>Mean bits/dim over a dataset.</summary>
    public double MeanBitsPerDim(ImageDataset data, int batchSize = 256, CancellationToken cancellationToken = default) =>
        Score(data, batchSize, cancellationToken: cancellationToken).BitsPerDim.Average();

    // ---- persistence
    public void Save(string path) => AtomicFile.Write(path, Save);

    public void Save(Stream stream)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        WriteEntries(name => zip.CreateEntry(name, name.EndsWith(".safetensors") ? CompressionLevel.NoCompression : CompressionLevel.Optimal).Open());
    }

    /// <summary>Entry names of a saved model: the configuration and the weights.</summary>
    public const string ConfigEntry = "config.json", WeightsEntry = "weights.safetensors";

    /// <summary>
    /// Writes <see cref="ConfigEntry"/> and <see cref="WeightsEntry"/> through <paramref name="createEntry"/>; the
    /// configuration records the weights' SHA-256, which readers verify.
    /// </summary>
    public void WriteEntries(Func<string, Stream> createEntry)
    {
        using var weights = new MemoryStream();
        // The weights carry the configuration they were written for, and config.json carries the weights' SHA-256: a
        // change to either entry alone, whatever the zip's CRC says, is found at load.
        var meta = new Dictionary<string, string>
        {
            ["format"] = FormatName, ["architecture"] = Config.Architecture.ToString(),
            [ConfigMetadataKey] = JsonSerializer.Serialize(Config, ModelJson.Default.PixelCnnConfig),
        };
        SafeTensors.Save(Network.state_dict(), weights, meta);
        var digest = Convert.ToHexStringLower(SHA256.HashData(weights.GetBuffer().AsSpan(0, (int)weights.Length)));
        using (var s = createEntry(ConfigEntry))
            JsonSerializer.Serialize(s, new ModelDocument(FormatName, RequiredVersion(Config), Config, digest), ModelJson.Default.ModelDocument);
        using (var s = createEntry(WeightsEntry)) weights.WriteTo(s);
    }

    /// <summary>
    /// The largest network any model reader builds, in bytes of float32 weights: 1 GiB (268 million parameters) unless
    /// changed. A configuration is checked against it before anything is allocated, and the weights entry may hold no
    /// more than the configuration needs, so a small crafted file cannot make a reader allocate gigabytes. Applies to
    /// <see cref="Load(string, Device?)"/>, <c>mlContext.Model.Load</c> of PixelCNN components, and checkpoints.
    /// </summary>
    public static long MaxParameterBytes
    {
        get => Interlocked.Read(ref _maxParameterBytes);
        set => Interlocked.Exchange(ref _maxParameterBytes, value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxParameterBytes), value, "the limit must be positive"));
    }

    private static long _maxParameterBytes = 1L << 30;

    /// <summary>The most bytes a model's config.json (or a component's options.json) may hold.</summary>
    internal const long MaxConfigBytes = 1 << 20;

    /// <summary>The safetensors header cap of a weights entry: far above the few kilobytes a network's names and shapes take.</summary>
    internal const long MaxWeightsHeaderBytes = 1 << 24;

    /// <summary>
    /// Throws an <see cref="InvalidDataException"/> naming <see cref="ConfigEntry"/> when <paramref name="config"/> builds
    /// a network larger than <see cref="MaxParameterBytes"/>; returns its parameter count otherwise.
    /// </summary>
    internal static long CheckSize(PixelCnnConfig config)
    {
        long parameters = ModelSize.Parameters(config), max = MaxParameterBytes;
        if (parameters > max / 4)
            throw new InvalidDataException($"{ConfigEntry}: the configuration builds {parameters:N0} parameters ({4.0 * parameters / (1 << 20):N0} MiB), " +
                                           $"more than PixelCnnModel.{nameof(MaxParameterBytes)} allows ({max / (1 << 20):N0} MiB); raise it only for files you trust");
        return parameters;
    }

    public static PixelCnnModel Load(string path, Device? device = null)
    {
        try
        {
            var file = RegularFile.Resolve(path, out var problem) ?? throw new InvalidDataException($"{path}: {problem}");
            using var f = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return Load(f, device);
        }
        catch (Exception e) when (e is InvalidDataException or SafeTensorsFormatException && !e.Message.Contains(path))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static PixelCnnModel Load(Stream stream, Device? device = null)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"not a model file: it is not a readable zip archive ({e.Message})", e);
        }
        using (zip) return ReadEntries(name => zip.GetEntry(name) is { } entry ? BoundedRead.OpenChecked(entry, long.MaxValue) : null, device);
    }

    /// <summary>
    /// Reads a model written by <see cref="WriteEntries"/>; <paramref name="openEntry"/> returns null for a missing
    /// entry. Everything is validated: format, version, configuration, and the exact weight names, shapes and dtypes.
    /// </summary>
    public static PixelCnnModel ReadEntries(Func<string, Stream?> openEntry, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(openEntry);
        return ReadEntries((name, max) =>
        {
            using var s = openEntry(name);
            return s is null ? null : BoundedRead.Bytes(s, max, name);
        }, device);
    }

    /// <summary>
    /// <see cref="ReadEntries(Func{string, Stream?}, Device?)"/> over <paramref name="readEntry"/>, which returns the
    /// content of an entry (null when missing), refusing more than the given number of bytes.
    /// </summary>
    internal static PixelCnnModel ReadEntries(Func<string, long, MemoryStream?> readEntry, Device? device = null)
    {
        ModelDocument doc;
        using (var bytes = readEntry(ConfigEntry, MaxConfigBytes) ?? throw new InvalidDataException($"model has no {ConfigEntry}"))
        {
            try
            {
                doc = JsonSerializer.Deserialize(bytes, ModelJson.Default.ModelDocument) ?? throw new InvalidDataException($"{ConfigEntry} is empty");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{ConfigEntry} is not a valid model configuration: {e.Message}", e);
            }
        }
        if (doc.Format != FormatName) throw new InvalidDataException($"{ConfigEntry} has format '{doc.Format}', expected '{FormatName}'");
        if (doc.Version > FormatVersion)
            throw new InvalidDataException($"model format version {doc.Version} is newer than this library reads ({FormatVersion}); upgrade PixelCnn.ML");
        if (doc.Config is null) throw new InvalidDataException($"{ConfigEntry} has no config");
        var config = doc.Version < 2 && doc.Config.IsAutoencoder ? doc.Config with { EqualizedEncoderOutput = false } : doc.Config;
        try { config.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{ConfigEntry}: {e.Message}", e); }
        long parameters = CheckSize(config);
        MemoryStream weights;
        try
        {
            // The weights hold exactly the configuration's float32 parameters after their header: nothing more is read.
            weights = readEntry(WeightsEntry, 8 + MaxWeightsHeaderBytes + 4 * parameters) ?? throw new InvalidDataException($"model has no {WeightsEntry}");
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith("model has no") && !e.Message.StartsWith(WeightsEntry))
        {
            throw new InvalidDataException($"{WeightsEntry}: {e.Message}", e);
        }
        using (weights)
        {
            if (doc.WeightsSha256 is { } expected &&
                !Convert.ToHexStringLower(SHA256.HashData(weights.GetBuffer().AsSpan(0, (int)weights.Length))).Equals(expected, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{WeightsEntry} is damaged: its SHA-256 differs from the one {ConfigEntry} records");
            var readOptions = new SafeTensorsReadOptions { MaxHeaderBytes = MaxWeightsHeaderBytes };
            CheckWrittenFor(config, weights, readOptions);
            var network = PixelCnnNetwork.Create(config);
            try
            {
                SafeTensors.LoadInto(network, weights, options: readOptions);
                return new PixelCnnModel(network, device ?? torch.CPU);
            }
            catch (SafeTensorsFormatException e)
            {
                network.Dispose();
                throw new InvalidDataException($"{WeightsEntry}: {e.Message}", e);
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
    }

    /// <summary>The safetensors metadata key of the configuration the weights were written for (JSON).</summary>
    internal const string ConfigMetadataKey = "pixelcnn_config";

    /// <summary>Throws when the weights record a configuration other than <paramref name="config"/> (files before 0.2 record none).</summary>
    private static void CheckWrittenFor(PixelCnnConfig config, MemoryStream weights, SafeTensorsReadOptions options)
    {
        SafeTensorsHeader header;
        try
        {
            header = SafeTensorsHeader.Read(weights, options, null);
        }
        catch (SafeTensorsFormatException e)
        {
            throw new InvalidDataException($"{WeightsEntry}: {e.Message}", e);
        }
        finally
        {
            weights.Position = 0;
        }
        if (!header.Metadata.TryGetValue(ConfigMetadataKey, out var json)) return;
        PixelCnnConfig? written;
        try
        {
            written = JsonSerializer.Deserialize(json, ModelJson.Default.PixelCnnConfig);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{WeightsEntry}: its {ConfigMetadataKey} metadata is not a configuration: {e.Message}", e);
        }
        if (written != config)
            throw new InvalidDataException($"{ConfigEntry} differs from the configuration {WeightsEntry} was written for: one of them was changed");
    }

    public void Dispose() => Network.Dispose();
}

/// <summary>config.json: the format, the lowest version that reads it, the configuration and the SHA-256 of the weights
/// entry (hex; absent in files written before 0.2, which load unchecked).</summary>
internal sealed record ModelDocument(string Format, int Version, PixelCnnConfig Config, string? WeightsSha256 = null);

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ModelDocument))]
[JsonSerializable(typeof(PixelCnnConfig))]
internal partial class ModelJson : JsonSerializerContext;

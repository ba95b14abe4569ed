// How a PixelCNN component is written into ML.NET's model zip by mlContext.Model.Save and read back by
// mlContext.Model.Load. Inside the component's folder of the zip:
//   Model.key           ML.NET's header: model signature, version, loader signature, our assembly's name
//   options.json        the component's settings (columns, image shape, threshold, sampling settings)
//   config.json         the PixelCNN's configuration (the same file as in a standalone model file)
//   weights.safetensors the network's state dict, loadable in PyTorch
// ML.NET finds the loader through [assembly: LoadableClass] and the assembly named in the header.
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using PixelCnn.ML.Data;
using PixelCnn.ML.IO;
using PixelCnn.ML.Scoring;

namespace PixelCnn.ML.Components;

internal static class ComponentSaving
{
    public const string OptionsEntry = "options.json";

    /// <summary>The SHA-256 of options.json (hex text), written since 0.2; files without it load unchecked.</summary>
    public const string OptionsDigestEntry = "options.sha256";

    /// <summary>
    /// The most bytes an options.json may hold: its reference scores and statistics grow with the reference set (about
    /// 150 bytes per image), so this admits some 200,000 reference images and still bounds what a crafted entry costs.
    /// </summary>
    internal const long MaxOptionsBytes = 32L << 20;

    /// <summary>What identifies a saved component: an 8-character model signature, its loader name and format version.</summary>
    public sealed record Info(string ModelSignature, string LoaderSignature, uint Version = 0x00010001)
    {
        public VersionInfo ToVersionInfo() => new(modelSignature: ModelSignature, verWrittenCur: Version, verReadableCur: Version, verWeCanReadBack: Version,
                                                     loaderSignature: LoaderSignature, loaderAssemblyName: typeof(Info).Assembly.FullName);
    }

    // Each entry point checks the loaded ML.NET first (MlNetAccess.EnsureSupported); the members it lacks are referenced
    // only from the never-inlined methods behind it, so a mismatch is one clear error, not a MissingMethodException.

    public static void Save(ModelSaveContext ctx, Info info, JsonObject options, PixelCnnModel? model,
                            IEnumerable<(string Prefix, PixelCnnModel Model)>? extraModels = null)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        MlNetAccess.EnsureSupported();
        SaveEntries(ctx, info, options, model, extraModels);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SaveEntries(ModelSaveContext ctx, Info info, JsonObject options, PixelCnnModel? model,
                                    IEnumerable<(string Prefix, PixelCnnModel Model)>? extraModels)
    {
        if (!ctx.InRepository) throw new NotSupportedException("PixelCNN components are saved into a model zip (mlContext.Model.Save), not into a bare stream.");
        ctx.CheckAtModel();
        ctx.SetVersionInfo(info.ToVersionInfo());
        ctx.Writer.Write(1); // layout of this folder: options.json + model entries
        var json = options.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        ctx.SaveTextStream(OptionsEntry, w => w.Write(json));
        // The options' digest beside them: a changed byte is found at load even where the zip's CRC was recomputed.
        ctx.SaveTextStream(OptionsDigestEntry, w => w.Write(Digest(json)));
        model?.WriteEntries(name => new EntryStream(ctx, name));
        foreach (var (prefix, extra) in extraModels ?? []) extra.WriteEntries(name => new EntryStream(ctx, prefix + name));
    }

    /// <summary>Reads a component's options and model, on the device the loading MLContext asks for.</summary>
    public static (SavedOptions Options, PixelCnnModel Model) Load(IHostEnvironment env, ModelLoadContext ctx, Info info)
    {
        ArgumentNullException.ThrowIfNull(env);
        var options = LoadOptions(ctx, info);
        return (options, LoadModel(env, ctx, info, ""));
    }

    /// <summary>
    /// Reads a component's options and model and builds the transformer with <paramref name="build"/>; the model is
    /// disposed when building fails (a bad option, a model that does not fit the component).
    /// </summary>
    public static T Load<T>(IHostEnvironment env, ModelLoadContext ctx, Info info, Func<SavedOptions, PixelCnnModel, T> build)
    {
        var (options, model) = Load(env, ctx, info);
        try
        {
            return build(options, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Reads the model whose entry names start with <paramref name="prefix"/>, on the loading MLContext's device.</summary>
    public static PixelCnnModel LoadModel(IHostEnvironment env, ModelLoadContext ctx, Info info, string prefix)
    {
        MlNetAccess.EnsureSupported();
        return ReadModel(env, ctx, info, prefix);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static PixelCnnModel ReadModel(IHostEnvironment env, ModelLoadContext ctx, Info info, string prefix)
    {
        var device = MlNetAccess.Device(env, null, null);
        try
        {
            return PixelCnnModel.ReadEntries((name, max) =>
            {
                MemoryStream? bytes = null;
                ctx.TryLoadBinaryStream(prefix + name, r => bytes = BoundedRead.Bytes(r.BaseStream, max, name));
                return bytes;
            }, device);
        }
        catch (InvalidDataException e)
        {
            throw Error(info, (prefix.Length > 0 ? $"{prefix.TrimEnd('.')} model: " : "") + e.Message, e);
        }
    }

    /// <summary>Reads a component's options.json.</summary>
    public static SavedOptions LoadOptions(ModelLoadContext ctx, Info info)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        MlNetAccess.EnsureSupported();
        return ReadOptions(ctx, info);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static SavedOptions ReadOptions(ModelLoadContext ctx, Info info)
    {
        ctx.CheckAtModel(info.ToVersionInfo());
        int layout = ctx.Reader.ReadInt32();
        if (layout != 1) throw Error(info, $"unknown layout {layout}");
        string? json = null;
        try
        {
            if (!ctx.TryLoadBinaryStream(OptionsEntry, r => json = BoundedRead.Text(r.BaseStream, MaxOptionsBytes, OptionsEntry)) || json is null)
                throw Error(info, $"the entry {OptionsEntry} is missing");
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith("The saved"))
        {
            throw Error(info, e.Message, e);
        }
        string? digest = null;
        ctx.TryLoadBinaryStream(OptionsDigestEntry, r => digest = BoundedRead.Text(r.BaseStream, 1024, OptionsDigestEntry).Trim());
        if (digest is not null && !digest.Equals(Digest(json), StringComparison.OrdinalIgnoreCase))
            throw Error(info, $"{OptionsEntry} is damaged: its SHA-256 differs from the one {OptionsDigestEntry} records");
        JsonObject options;
        try
        {
            options = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                      ?? throw Error(info, $"{OptionsEntry} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Error(info, $"{OptionsEntry} is not valid JSON: {e.Message}", e);
        }
        return new SavedOptions(options, info);
    }

    /// <summary>SHA-256 of the options text (UTF-8), hex.</summary>
    private static string Digest(string json) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));

    /// <summary>An error naming the component; also kept as <see cref="LastLoadError"/> for <see cref="PixelCnnCatalog.LoadChecked"/>.</summary>
    public static InvalidDataException Error(Info info, string message, Exception? inner = null) =>
        LastLoadError = new($"The saved {info.LoaderSignature} component is not valid: {message}", inner);

    /// <summary>
    /// The last error a component loader of this thread raised. ML.NET 6's Model.Load catches a loader's exception and
    /// reports only its own fallback's failure ("Could not load legacy format model"); LoadChecked reports this instead.
    /// </summary>
    [ThreadStatic] internal static InvalidDataException? LastLoadError;

    /// <summary>A write-only stream that becomes a binary entry of the component's folder when disposed.</summary>
    private sealed class EntryStream(ModelSaveContext ctx, string name) : MemoryStream
    {
        private bool _saved;

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_saved)
            {
                _saved = true;
                var bytes = ToArray();
                ctx.SaveBinaryStream(name, w => w.Write(bytes));
            }
            base.Dispose(disposing);
        }
    }
}

/// <summary>A saved component's options.json, with errors that name the option.</summary>
internal sealed class SavedOptions(JsonObject json, ComponentSaving.Info info)
{
    public JsonObject Json { get; } = json;

    public InvalidDataException Error(string message, Exception? inner = null) => ComponentSaving.Error(info, message, inner);

    private T Get<T>(string key)
    {
        try
        {
            return Json[key] is { } node ? node.GetValue<T>() : throw Error($"option '{key}' is missing");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw Error($"option '{key}' is not a {typeof(T).Name}", e);
        }
    }

    public string GetString(string key) => Get<string>(key) is { Length: > 0 } s ? s : throw Error($"option '{key}' is empty");
    public int GetInt32(string key) => Get<int>(key);
    /// <summary>A batch-size option, within <see cref="BatchedDataView.CheckRows"/>.</summary>
    public int GetBatchSize(string key) => BatchedDataView.CheckRows(GetInt32(key)) is { } problem ? throw Error($"option '{key}' {problem}") : GetInt32(key);
    /// <summary>The integer <paramref name="key"/>, or <paramref name="absent"/> for files written before the option existed.</summary>
    public int GetInt32(string key, int absent) => Json[key] is null ? absent : GetInt32(key);
    public double GetDouble(string key) => Get<double>(key);
    public bool GetBoolean(string key) => Get<bool>(key);
    /// <summary>The boolean <paramref name="key"/>, or <paramref name="absent"/> for files written before the option existed.</summary>
    public bool GetBoolean(string key, bool absent) => Json[key] is null ? absent : GetBoolean(key);
    public double? GetNullableDouble(string key) => Json[key] is null ? null : GetDouble(key);
    public string? GetNullableString(string key) => Json[key] is null ? null : GetString(key);

    public T GetEnum<T>(string key) where T : struct, Enum =>
        Enum.TryParse<T>(GetString(key), out var v) && Enum.IsDefined(v) ? v : throw Error($"option '{key}' is not one of {string.Join(", ", Enum.GetNames<T>())}");

    public double[] GetDoubles(string key)
    {
        var a = Json[key] as JsonArray ?? throw Error($"option '{key}' is missing");
        try
        {
            return a.Select(v => v!.GetValue<double>()).ToArray();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw Error($"option '{key}' must be an array of numbers", e);
        }
    }

    public ulong GetUInt64(string key) =>
        ulong.TryParse(GetString(key), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v : throw Error($"option '{key}' is not a whole number");

    /// <summary>Reads the <c>shape</c> option [C, H, W].</summary>
    public ImageShape GetShape()
    {
        var a = Json["shape"] as JsonArray ?? throw Error("option 'shape' is missing");
        if (a.Count != 3) throw Error("option 'shape' must be [C, H, W]");
        try
        {
            return new ImageShape(a[0]!.GetValue<int>(), a[1]!.GetValue<int>(), a[2]!.GetValue<int>());
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw Error("option 'shape' must be three whole numbers", e);
        }
    }

    /// <summary>An output column name from the <c>outputColumns</c> object.</summary>
    public string GetOutputColumn(string key) =>
        (Json["outputColumns"] as JsonObject)?[key]?.GetValue<string>() is { Length: > 0 } v ? v : throw Error($"outputColumns.{key} is missing");

    /// <summary>Checks a loaded model against the component's image shape; disposes it and throws when they differ.</summary>
    public void CheckModelShape(PixelCnnModel model, ImageShape shape)
    {
        var c = model.Config;
        if (c.Channels == shape.Channels && c.Height == shape.Height && c.Width == shape.Width) return;
        model.Dispose();
        throw Error($"the model is for {c.Channels}x{c.Height}x{c.Width} images but the component says {shape}");
    }
}

internal static class JsonOptionsExtensions
{
    public static JsonArray ToJson(this ImageShape s) => new(s.Channels, s.Height, s.Width);
}

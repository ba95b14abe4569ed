// What a component sees while it is saved or loaded: its folder inside the model zip, its options as JSON, and its
// binary entries. Entry names are relative to the component's folder.
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace PixelCnn.ML;

/// <summary>Where an <see cref="ISavableTransformer"/> writes itself.</summary>
public sealed class ModelSaveContext
{
    private readonly ZipArchive _zip;
    private readonly List<string> _entries = [];

    internal ModelSaveContext(ZipArchive zip, string componentPath)
    {
        _zip = zip;
        ComponentPath = componentPath;
    }

    /// <summary>The component's folder in the zip, e.g. "components/001-PixelCnnDensityTransformer/".</summary>
    public string ComponentPath { get; }

    /// <summary>The component's options, written to its component.json (e.g. <c>ctx.Options["outputColumnName"] = name</c>).</summary>
    public JsonObject Options { get; } = new();

    internal IReadOnlyList<string> EntryNames => _entries;

    /// <summary>
    /// A stream writing the entry <paramref name="name"/> (e.g. "weights.safetensors") in the component's folder.
    /// Dispose it before creating the next entry. Names use letters, digits, '.', '-', '_' and '/' for subfolders.
    /// </summary>
    public Stream CreateEntry(string name, CompressionLevel compression = CompressionLevel.Optimal)
    {
        ModelFile.CheckEntryName(name);
        if (name == ModelFile.ComponentJson) throw new ArgumentException($"'{name}' is reserved for the component's options.", nameof(name));
        if (_entries.Contains(name)) throw new ArgumentException($"Entry '{name}' was already written.", nameof(name));
        _entries.Add(name);
        return _zip.CreateEntry(ComponentPath + name, compression).Open();
    }
}

/// <summary>What a component loader reads: options, format version and binary entries of one saved component.</summary>
/// <remarks>Entry streams are valid only during the load call: a loader copies what it needs.</remarks>
public sealed class ModelLoadContext
{
    private readonly ZipArchive _zip;

    internal ModelLoadContext(MLContext context, ZipArchive zip, string modelName, string componentPath, string typeId,
        int formatVersion, JsonObject options, IReadOnlyList<string> entryNames)
    {
        MLContext = context;
        _zip = zip;
        ModelName = modelName;
        ComponentPath = componentPath;
        TypeId = typeId;
        FormatVersion = formatVersion;
        Options = options;
        EntryNames = entryNames;
    }

    /// <summary>The context the model is loaded into (device, log, seed).</summary>
    public MLContext MLContext { get; }

    /// <summary>The model file's path, or "the model stream".</summary>
    public string ModelName { get; }

    /// <summary>The component's folder in the zip.</summary>
    public string ComponentPath { get; }

    /// <summary>The component's type id.</summary>
    public string TypeId { get; }

    /// <summary>The component's saved format version.</summary>
    public int FormatVersion { get; }

    /// <summary>The saved options.</summary>
    public JsonObject Options { get; }

    /// <summary>The names of the binary entries the component wrote.</summary>
    public IReadOnlyList<string> EntryNames { get; }

    /// <summary>An error naming the model file and this component: "Model 'm.zip', component components/000-X/ (id): problem".</summary>
    public InvalidDataException Error(string problem, Exception? inner = null) =>
        new($"Model '{ModelName}', component {ComponentPath} ({TypeId}): {problem}", inner);

    /// <summary>Fails unless the saved format version is between <paramref name="minSupported"/> and <paramref name="maxSupported"/>.</summary>
    public void CheckFormatVersion(int maxSupported, int minSupported = 1)
    {
        if (FormatVersion < minSupported || FormatVersion > maxSupported)
            throw Error($"format version {FormatVersion} is not supported; this version of PixelCnn.ML reads versions {minSupported} to {maxSupported}.");
    }

    /// <summary>Whether the component wrote entry <paramref name="name"/>.</summary>
    public bool HasEntry(string name) => _zip.GetEntry(ComponentPath + name) != null;

    /// <summary>A stream reading entry <paramref name="name"/>; a missing entry is an <see cref="InvalidDataException"/>.</summary>
    public Stream OpenEntry(string name) =>
        (_zip.GetEntry(ComponentPath + name) ?? throw Error($"entry '{ComponentPath + name}' is missing.")).Open();

    /// <summary>Whether option <paramref name="key"/> is present.</summary>
    public bool HasOption(string key) => Options.ContainsKey(key);

    public string GetString(string key) => Get<string>(key, "a string");
    public int GetInt32(string key) => Get<int>(key, "an integer");
    public long GetInt64(string key) => Get<long>(key, "an integer");
    public double GetDouble(string key) => Get<double>(key, "a number");
    public bool GetBoolean(string key) => Get<bool>(key, "true or false");

    /// <summary>Option <paramref name="key"/> as an array of strings.</summary>
    public string[] GetStringArray(string key) => GetArray<string>(key, "strings");

    /// <summary>Option <paramref name="key"/> as an array of integers.</summary>
    public int[] GetInt32Array(string key) => GetArray<int>(key, "integers");

    private JsonNode Node(string key) =>
        Options.TryGetPropertyValue(key, out var n) && n != null ? n : throw Error($"option '{key}' is missing.");

    private T Get<T>(string key, string what) =>
        Node(key) is JsonValue v && v.TryGetValue<T>(out var r) ? r : throw Error($"option '{key}' must be {what}, got {Node(key).ToJsonString()}.");

    private T[] GetArray<T>(string key, string what)
    {
        if (Node(key) is not JsonArray a) throw Error($"option '{key}' must be an array of {what}.");
        var result = new T[a.Count];
        for (int i = 0; i < a.Count; i++)
            result[i] = a[i] is JsonValue v && v.TryGetValue<T>(out var r) ? r : throw Error($"option '{key}' must be an array of {what}; item {i} is {a[i]?.ToJsonString() ?? "null"}.");
        return result;
    }
}

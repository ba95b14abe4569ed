// The model file: one zip written by ml.Model.Save and read by ml.Model.Load.
//
// Layout (format version 1):
//   manifest.json
//     { "format": "PixelCnn.ML.Model", "formatVersion": 1, "libraryVersion": "0.1.0",
//       "inputSchema": [ { "name": "Pixels", "type": "Vector<Single, 1, 28, 28>" }, ... ],
//       "model": { "kind": "chain" | "transformer",
//                  "components": [ { "path": "components/000-ColumnCopyingTransformer/",
//                                    "typeId": "PixelCnn.ML.CopyColumns", "scope": "Everything" }, ... ] } }
//   components/NNN-<TypeName>/component.json
//     { "typeId": "...", "formatVersion": 1, "options": { ... }, "entries": [ "weights.safetensors", ... ] }
//   components/NNN-<TypeName>/<entries written by the component>
//
// A chain is saved member by member, in order, with its scopes; nested chains are flattened (their members keep
// the intersection of the scopes). Column types are written as their display names (see DataViewTypeNames);
// annotations of the input schema are not saved. Loading checks everything it relies on before calling a component
// loader (manifest shape, format, versions, known type ids, listed entries present) and reports every defect as an
// InvalidDataException naming the file and the problem.
using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.IO;

namespace PixelCnn.ML;

internal static class ModelFile
{
    internal const string FormatName = "PixelCnn.ML.Model";
    internal const int FormatVersion = 1;
    internal const string Manifest = "manifest.json";
    internal const string ComponentJson = "component.json";
    private const long MaxJsonBytes = 64L << 20;

    internal static string LibraryVersion { get; } =
        (typeof(ModelFile).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
         ?? typeof(ModelFile).Assembly.GetName().Version?.ToString() ?? "unknown").Split('+')[0];

    // ---------------------------------------------------------------- saving

    internal static void SaveToFile(ITransformer model, DataViewSchema? inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        AtomicFile.Write(path, stream => Save(model, inputSchema, stream));
    }

    internal static void Save(ITransformer model, DataViewSchema? inputSchema, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        var members = new List<(ITransformer Transformer, TransformerScope Scope)>();
        Flatten(model, TransformerScope.Everything, members);
        var savables = members.Select((m, i) => m.Transformer as ISavableTransformer
            ?? throw new InvalidOperationException($"Cannot save the model: component {i} ({m.Transformer.GetType().Name}) does not implement ISavableTransformer.")).ToArray();
        foreach (var s in savables)
            if (!ModelLoaderRegistry.IsRegistered(s.TypeId))
                throw new InvalidOperationException($"Cannot save the model: component {s.GetType().Name} has type id '{s.TypeId}', for which no loader is registered, so it could not be loaded back (see ModelLoaderRegistry.Register).");

        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        var components = new JsonArray();
        for (int i = 0; i < savables.Length; i++)
        {
            var s = savables[i];
            var path = $"components/{i:D3}-{FolderName(s.GetType())}/";
            var ctx = new ModelSaveContext(zip, path);
            s.Save(ctx);
            WriteJson(zip, path + ComponentJson, new JsonObject
            {
                ["typeId"] = s.TypeId,
                ["formatVersion"] = s.FormatVersion,
                ["options"] = ctx.Options,
                ["entries"] = new JsonArray(ctx.EntryNames.Select(e => (JsonNode?)e).ToArray()),
            });
            components.Add((JsonNode)new JsonObject { ["path"] = path, ["typeId"] = s.TypeId, ["scope"] = members[i].Scope.ToString() });
        }
        var schema = new JsonArray();
        foreach (var c in inputSchema ?? new DataViewSchema.Builder().ToSchema())
            schema.Add((JsonNode)new JsonObject { ["name"] = c.Name, ["type"] = DataViewTypeNames.Format(c.Type) });
        WriteJson(zip, Manifest, new JsonObject
        {
            ["format"] = FormatName,
            ["formatVersion"] = FormatVersion,
            ["libraryVersion"] = LibraryVersion,
            ["inputSchema"] = schema,
            ["model"] = new JsonObject
            {
                ["kind"] = model is ITransformerChainAccessor ? "chain" : "transformer",
                ["components"] = components,
            },
        });
    }

    private static void Flatten(ITransformer t, TransformerScope scope, List<(ITransformer, TransformerScope)> into)
    {
        if (t is ITransformerChainAccessor chain)
            for (int i = 0; i < chain.Transformers.Length; i++) Flatten(chain.Transformers[i], scope & chain.Scopes[i], into);
        else into.Add((t, scope));
    }

    private static string FolderName(Type t)
    {
        var name = t.Name;
        int tick = name.IndexOf('`');
        return new string((tick >= 0 ? name[..tick] : name).Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-').ToArray());
    }

    private static void WriteJson(ZipArchive zip, string entryName, JsonNode node)
    {
        using var s = zip.CreateEntry(entryName, CompressionLevel.Optimal).Open();
        using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
        node.WriteTo(w);
    }

    internal static void CheckEntryName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        bool ok = name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '/')
            && name.Split('/').All(part => part.Length > 0 && part != "." && part != "..");
        if (!ok) throw new ArgumentException($"Entry name '{name}' is not allowed: use letters, digits, '.', '-', '_', and '/' between non-empty folder names.", nameof(name));
    }

    // ---------------------------------------------------------------- loading

    internal static ITransformer LoadFromFile(MLContext context, string path, out DataViewSchema inputSchema)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Load(context, fs, path, out inputSchema);
    }

    internal static ITransformer Load(MLContext context, Stream stream, string modelName, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(stream);
        InvalidDataException Bad(string problem, Exception? inner = null) => new($"Model '{modelName}': {problem}", inner);

        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e) { throw Bad($"not a zip archive ({e.Message})", e); }
        using (zip)
        {
            var manifest = ReadJsonObject(zip, Manifest, Bad)
                ?? throw Bad($"{Manifest} is missing: this is not a model written by ml.Model.Save.");
            if (Str(manifest, "format") != FormatName)
                throw Bad($"{Manifest} names format '{Str(manifest, "format") ?? "(none)"}', expected '{FormatName}'.");
            int version = Int(manifest, "formatVersion") ?? throw Bad($"{Manifest} has no integer formatVersion.");
            if (version < 1 || version > FormatVersion)
                throw Bad($"format version {version} is not supported: PixelCnn.ML {LibraryVersion} reads format versions 1 to {FormatVersion} (the file was written by PixelCnn.ML {Str(manifest, "libraryVersion") ?? "unknown"}).");
            inputSchema = ReadSchema(manifest, Bad);
            if (manifest["model"] is not JsonObject model || model["components"] is not JsonArray components)
                throw Bad($"{Manifest} has no model.components array.");
            var kind = Str(model, "kind");
            if (kind is not ("chain" or "transformer")) throw Bad($"{Manifest}: model.kind must be 'chain' or 'transformer', got '{kind}'.");
            if (kind == "transformer" && components.Count != 1) throw Bad($"{Manifest}: a single-transformer model must have exactly one component, it lists {components.Count}.");

            var loaded = new List<ITransformer>();
            var scopes = new List<TransformerScope>();
            try
            {
                for (int i = 0; i < components.Count; i++)
                {
                    var (transformer, scope) = LoadComponent(context, zip, modelName, components[i] as JsonObject, i, Bad);
                    loaded.Add(transformer);
                    scopes.Add(scope);
                }
            }
            catch
            {
                foreach (var t in loaded) (t as IDisposable)?.Dispose();
                throw;
            }
            return kind == "chain" ? new TransformerChain<ITransformer>(loaded, scopes) : loaded[0];
        }
    }

    private static (ITransformer, TransformerScope) LoadComponent(MLContext context, ZipArchive zip, string modelName, JsonObject? entry, int index,
        Func<string, Exception?, InvalidDataException> bad)
    {
        InvalidDataException Bad(string problem) => bad(problem, null);
        if (entry == null || Str(entry, "path") is not { } path || Str(entry, "typeId") is not { } typeId)
            throw Bad($"{Manifest}: component {index} needs a path and a typeId.");
        if (!path.StartsWith("components/", StringComparison.Ordinal) || !path.EndsWith('/') || path.Contains(".."))
            throw Bad($"{Manifest}: component {index} has an invalid path '{path}'.");
        if (!Enum.TryParse<TransformerScope>(Str(entry, "scope") ?? nameof(TransformerScope.Everything), out var scope))
            throw Bad($"{Manifest}: component {path} has an unknown scope '{Str(entry, "scope")}'.");

        var json = ReadJsonObject(zip, path + ComponentJson, bad)
            ?? throw Bad($"component {path}: entry '{path + ComponentJson}' is missing.");
        if (Str(json, "typeId") != typeId)
            throw Bad($"component {path}: {ComponentJson} names type '{Str(json, "typeId")}' but the manifest names '{typeId}'.");
        if (!ModelLoaderRegistry.TryGet(typeId, out var loader))
            throw Bad($"component {path} has unknown component type '{typeId}'. Known types: {string.Join(", ", ModelLoaderRegistry.KnownTypeIds)}.");
        int componentVersion = Int(json, "formatVersion") ?? throw Bad($"component {path}: {ComponentJson} has no integer formatVersion.");
        var options = json["options"] as JsonObject ?? throw Bad($"component {path}: {ComponentJson} has no options object.");
        var entries = new List<string>();
        if (json["entries"] is JsonArray listed)
            foreach (var e in listed)
            {
                var name = e is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Bad($"component {path}: {ComponentJson} has a non-string entry name.");
                if (zip.GetEntry(path + name) == null) throw Bad($"component {path}: entry '{path + name}' is missing.");
                entries.Add(name);
            }

        var ctx = new ModelLoadContext(context, zip, modelName, path, typeId, componentVersion, options, entries);
        try
        {
            return (loader(ctx), scope);
        }
        catch (InvalidDataException) { throw; }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw ctx.Error(e.Message, e);
        }
    }

    private static DataViewSchema ReadSchema(JsonObject manifest, Func<string, Exception?, InvalidDataException> bad)
    {
        var b = new DataViewSchema.Builder();
        if (manifest["inputSchema"] is null) return b.ToSchema();
        if (manifest["inputSchema"] is not JsonArray cols) throw bad($"{Manifest}: inputSchema must be an array.", null);
        foreach (var c in cols)
        {
            if (c is not JsonObject o || Str(o, "name") is not { Length: > 0 } name || Str(o, "type") is not { } typeName)
                throw bad($"{Manifest}: every inputSchema column needs a name and a type.", null);
            var type = DataViewTypeNames.Parse(typeName) ?? throw bad($"{Manifest}: input column '{name}' has unknown type '{typeName}'.", null);
            b.AddColumn(name, type);
        }
        return b.ToSchema();
    }

    /// <summary>The JSON object in entry <paramref name="name"/>, or null when the entry does not exist.</summary>
    private static JsonObject? ReadJsonObject(ZipArchive zip, string name, Func<string, Exception?, InvalidDataException> bad)
    {
        var entry = zip.GetEntry(name);
        if (entry == null) return null;
        if (entry.Length > MaxJsonBytes) throw bad($"entry '{name}' is {entry.Length} bytes; JSON entries are limited to {MaxJsonBytes} bytes.", null);
        try
        {
            using var s = entry.Open();
            return JsonNode.Parse(s) as JsonObject ?? throw bad($"entry '{name}' is not a JSON object.", null);
        }
        catch (JsonException e) { throw bad($"entry '{name}' is not valid JSON ({e.Message})", e); }
        catch (InvalidDataException e) when (!e.Message.StartsWith("Model '", StringComparison.Ordinal)) { throw bad($"entry '{name}' cannot be read ({e.Message})", e); }
    }

    private static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    private static int? Int(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;
}

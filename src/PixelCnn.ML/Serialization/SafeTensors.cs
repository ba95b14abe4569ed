// SafeTensors: state dicts (model parameters and buffers, optimizer state) to and from safetensors
// files. Reading never uses pickle or torch::load: the header is parsed and validated in C#
// (SafeTensorsHeader), then each tensor's bytes are read straight into a new tensor's memory.
// LoadInto checks a file against a module (or any set of named destination tensors, such as an
// optimizer's state) completely before it changes anything.
using System.Runtime.InteropServices;
using PixelCnn.ML.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Serialization;

/// <summary>
/// Saves and loads named tensors in the safetensors format (dtypes float32, float64, float16,
/// bfloat16, int64, uint8, bool). Files are written atomically; loaded files are validated as
/// described in docs/model-format.md, and every rejection is a <see cref="SafeTensorsFormatException"/>.
/// </summary>
public static unsafe class SafeTensors
{
    // Whole-tensor copies go through chunks so a tensor above 2 GiB never needs one managed span.
    private const int ChunkBytes = 1 << 26;

    // ---- saving

    /// <summary>
    /// Saves <paramref name="tensors"/> to <paramref name="path"/>: to a temporary file in the same
    /// folder, flushed to disk, then renamed over <paramref name="path"/>, so a failure leaves any
    /// previous file intact. Tensors may live on any device and need not be contiguous.
    /// </summary>
    public static void Save(IReadOnlyDictionary<string, Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        AtomicFile.Write(path, stream => Save(tensors, stream, metadata));
    }

    /// <summary>Writes <paramref name="tensors"/> in the safetensors format to <paramref name="stream"/>.</summary>
    public static void Save(IReadOnlyDictionary<string, Tensor> tensors, Stream stream, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(stream);
        EnsureLittleEndian();
        var plan = SafeTensorsWriter.Plan(tensors.Select(kv => Describe(kv.Key, kv.Value)));
        SafeTensorsWriter.Write(stream, plan, metadata, (i, s) => WriteData(tensors[plan[i].Name], plan[i], s));
    }

    private static (string, string, long[]) Describe(string name, Tensor? tensor)
    {
        if (tensor is null) throw new ArgumentException($"tensor '{name}' is null");
        try
        {
            return (name, ToDType(tensor.dtype), tensor.shape);
        }
        catch (Exception e) when (e is ObjectDisposedException or ExternalException or InvalidOperationException)
        {
            throw new ArgumentException($"tensor '{name}' cannot be saved: {e.Message}", e);
        }
    }

    private static void WriteData(Tensor tensor, in HeaderEntry entry, Stream stream)
    {
        if (entry.ByteLength == 0) return;
        // detach: no autograd bookkeeping; cpu + contiguous: row-major bytes in host memory.
        using var detached = tensor.detach();
        using var host = detached.cpu();
        using var dense = host.contiguous();
        using var flat = dense.view(-1);
        ForEachChunk(flat, chunk => stream.Write(chunk));
    }

    /// <summary>
    /// Runs <paramref name="body"/> over the bytes of a contiguous 1-D CPU tensor in chunks of at most
    /// <see cref="ChunkBytes"/>, so no span ever has to cover a tensor above 2 GiB.
    /// </summary>
    private static void ForEachChunk(Tensor flat, SpanAction body)
    {
        long count = flat.numel(), perChunk = Math.Max(1, ChunkBytes / flat.ElementSize);
        for (long first = 0; first < count; first += perChunk)
        {
            using var part = flat.narrow(0, first, Math.Min(perChunk, count - first));
            body(part.bytes);
        }
    }

    private delegate void SpanAction(Span<byte> chunk);

    // ---- loading

    /// <summary>Loads every tensor of the file at <paramref name="path"/>, on <paramref name="device"/> (CPU by default).</summary>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null, SafeTensorsReadOptions? options = null)
    {
        using var stream = SafeTensorsFile.OpenRead(path);
        return LoadCore(stream, device, options, path);
    }

    /// <summary>Loads every tensor from <paramref name="stream"/> (from its position to its end).</summary>
    public static Dictionary<string, Tensor> Load(Stream stream, Device? device = null, SafeTensorsReadOptions? options = null) =>
        LoadCore(stream, device, options, path: null);

    private static Dictionary<string, Tensor> LoadCore(Stream stream, Device? device, SafeTensorsReadOptions? options, string? path)
    {
        var source = SafeTensorsFile.Seekable(stream);
        var header = SafeTensorsHeader.Read(source, options ?? SafeTensorsReadOptions.Default, path);
        return ReadTensors(source, header, device, path, keep: null, rejectNonFinite: null);
    }

    /// <summary>
    /// Loads the file at <paramref name="path"/> into <paramref name="module"/>'s parameters and
    /// buffers. Before anything is copied it checks that the names match exactly (with
    /// <paramref name="strict"/>; otherwise tensors on one side only are skipped), that shapes and
    /// dtypes match, and that no floating-point value is NaN or infinite; a file that fails any check
    /// leaves the module unchanged.
    /// </summary>
    public static void LoadInto(nn.Module module, string path, bool strict = true, SafeTensorsReadOptions? options = null)
    {
        using var stream = SafeTensorsFile.OpenRead(path);
        LoadIntoCore(StateOf(module), stream, strict, module.GetType().Name, options, path);
    }

    /// <inheritdoc cref="LoadInto(nn.Module, string, bool, SafeTensorsReadOptions?)"/>
    public static void LoadInto(nn.Module module, Stream stream, bool strict = true, SafeTensorsReadOptions? options = null) =>
        LoadIntoCore(StateOf(module), stream, strict, module.GetType().Name, options, path: null);

    /// <summary>
    /// Loads <paramref name="stream"/> into the existing tensors of <paramref name="destination"/> (for example
    /// an optimizer's state), with the checks of the module overload, always strict. <paramref name="target"/>
    /// names the destination in errors.
    /// </summary>
    public static void LoadInto(IReadOnlyDictionary<string, Tensor> destination, Stream stream, string target, SafeTensorsReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        LoadIntoCore(destination, stream, strict: true, target, options, path: null);
    }

    private static Dictionary<string, Tensor> StateOf(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.state_dict();
    }

    private static void LoadIntoCore(IReadOnlyDictionary<string, Tensor> destination, Stream stream, bool strict, string target,
                                     SafeTensorsReadOptions? options, string? path)
    {
        var expected = destination.ToDictionary(kv => kv.Key, kv => Spec(kv.Value), StringComparer.Ordinal);
        var loaded = ReadChecked(stream, expected, strict, target, options, path);
        try
        {
            using var _ = no_grad();
            foreach (var (name, source) in loaded) destination[name].copy_(source);
        }
        finally { DisposeAll(loaded); }
    }

    private static (string DType, long[] Shape) Spec(Tensor t) => (ToDType(t.dtype), t.shape);

    private static Dictionary<string, Tensor> ReadChecked(Stream stream, Dictionary<string, (string DType, long[] Shape)> expected,
                                                          bool strict, string target, SafeTensorsReadOptions? options, string? path)
    {
        var source = SafeTensorsFile.Seekable(stream);
        var header = SafeTensorsHeader.Read(source, options ?? SafeTensorsReadOptions.Default, path);
        var inFile = header.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);

        var problems = new List<string>();
        string? first = null;
        void Problem(string text, string name)
        {
            problems.Add(text);
            first ??= name;
        }
        var missing = expected.Keys.Where(k => !inFile.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = inFile.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (strict && missing.Count > 0) Problem($"missing [{string.Join(", ", missing)}]", missing[0]);
        if (strict && unexpected.Count > 0) Problem($"unexpected [{string.Join(", ", unexpected)}]", unexpected[0]);
        foreach (var (name, (dtype, shape)) in expected.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!inFile.TryGetValue(name, out var e)) continue;
            if (!e.Shape.SequenceEqual(shape))
                Problem($"'{name}' has shape {SafeTensorsEntry.FormatShape(e.Shape)} in the file, {SafeTensorsEntry.FormatShape(shape)} expected", name);
            if (e.DType != dtype)
                Problem($"'{name}' has dtype {e.DType} in the file, {dtype} expected", name);
        }
        if (problems.Count > 0)
            throw SafeTensorsFormatException.Create(path, $"does not match {target}: {string.Join("; ", problems)}", first);

        return ReadTensors(source, header, torch.CPU, path, keep: name => expected.ContainsKey(name), rejectNonFinite: target);
    }

    /// <summary>
    /// Reads the data buffer entry by entry (in file order) into new CPU tensors, then moves them to
    /// <paramref name="device"/>. Entries <paramref name="keep"/> rejects are skipped; with
    /// <paramref name="rejectNonFinite"/> set, a NaN or infinity is an error naming that target.
    /// </summary>
    private static Dictionary<string, Tensor> ReadTensors(Stream source, SafeTensorsHeader header, Device? device, string? path,
                                                          Func<string, bool>? keep, string? rejectNonFinite)
    {
        EnsureLittleEndian();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var e in header.Entries)
            {
                if (keep is not null && !keep(e.Name))
                {
                    source.Seek(e.ByteLength, SeekOrigin.Current);
                    continue;
                }
                var t = ReadTensor(source, e, path, rejectNonFinite);
                if (device is not null && device.type != DeviceType.CPU)
                {
                    var moved = t.to(device);
                    t.Dispose();
                    t = moved;
                }
                result.Add(e.Name, t);
            }
        }
        catch
        {
            DisposeAll(result);
            throw;
        }
        return result;
    }

    private static Tensor ReadTensor(Stream source, in HeaderEntry e, string? path, string? rejectNonFinite)
    {
        var t = empty(e.Shape, ToScalarType(e.DType, e.Name, path));
        try
        {
            if (e.ByteLength == 0) return t;
            int elementSize = SafeTensorsDType.ElementSize(e.DType);
            bool checkFinite = rejectNonFinite is not null && SafeTensorsDType.IsFloatingPoint(e.DType);
            var entry = e;
            long done = 0;
            using var flat = t.view(-1);
            ForEachChunk(flat, chunk =>
            {
                SafeTensorsFile.ReadData(source, chunk, entry, path);
                long firstElement = done / elementSize;
                if (entry.DType == SafeTensorsDType.Bool) SafeTensorsFile.CheckBooleans(entry.Name, chunk, path, firstElement);
                if (checkFinite && SafeTensorsDType.IndexOfNonFinite(entry.DType, chunk, out var kind) is var at and >= 0)
                    throw SafeTensorsFormatException.Create(path,
                        $"tensor '{entry.Name}' holds {kind} at element {firstElement + at}; non-finite values are not loaded into {rejectNonFinite}", entry.Name);
                done += chunk.Length;
            });
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    // ---- dtypes

    /// <summary>The safetensors dtype string for a tensor dtype.</summary>
    public static string ToDType(ScalarType type) => type switch
    {
        ScalarType.Float64 => SafeTensorsDType.F64,
        ScalarType.Float32 => SafeTensorsDType.F32,
        ScalarType.Float16 => SafeTensorsDType.F16,
        ScalarType.BFloat16 => SafeTensorsDType.BF16,
        ScalarType.Int64 => SafeTensorsDType.I64,
        ScalarType.Byte => SafeTensorsDType.U8,
        ScalarType.Bool => SafeTensorsDType.Bool,
        _ => throw new NotSupportedException($"tensor dtype {type} has no safetensors equivalent here"),
    };

    /// <summary>The tensor dtype for a safetensors dtype string.</summary>
    public static ScalarType ToScalarType(string dtype) => ToScalarType(dtype, null, null);

    private static ScalarType ToScalarType(string dtype, string? tensor, string? path) => dtype switch
    {
        SafeTensorsDType.F64 => ScalarType.Float64,
        SafeTensorsDType.F32 => ScalarType.Float32,
        SafeTensorsDType.F16 => ScalarType.Float16,
        SafeTensorsDType.BF16 => ScalarType.BFloat16,
        SafeTensorsDType.I64 => ScalarType.Int64,
        SafeTensorsDType.U8 => ScalarType.Byte,
        SafeTensorsDType.Bool => ScalarType.Bool,
        _ => throw SafeTensorsFormatException.Create(path,
            $"{(tensor is null ? "" : $"tensor '{tensor}': ")}unsupported dtype '{dtype}' (supported: {SafeTensorsDType.SupportedList})", tensor),
    };

    private static void EnsureLittleEndian()
    {
        // The format is little-endian and tensor memory is copied byte for byte.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors I/O needs a little-endian machine");
    }

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
    }
}

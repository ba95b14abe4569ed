// SafeTensors: state dicts (model parameters and buffers, optimizer state) to and from safetensors
// files. Reading never uses pickle or torch::load: the header is parsed and validated in C#
// (SafeTensorsHeader), then each tensor's bytes are read straight into a new tensor's memory.
// LoadInto checks a file against a module or optimizer completely before it changes anything.
using PixelCnn.ML.IO;
using PixelCnn.ML.Torch;
using static PixelCnn.ML.Native.NativeMethods;

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
        catch (Exception e) when (e is ObjectDisposedException or TorchException)
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
        Check(pcn_tensor_data_ptr(dense.Handle, out var ptr));
        var p = (byte*)ptr;
        for (long done = 0; done < entry.ByteLength;)
        {
            int n = (int)Math.Min(ChunkBytes, entry.ByteLength - done);
            stream.Write(new ReadOnlySpan<byte>(p + done, n));
            done += n;
        }
    }

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
    public static void LoadInto(torch.nn.Module module, string path, bool strict = true, SafeTensorsReadOptions? options = null)
    {
        using var stream = SafeTensorsFile.OpenRead(path);
        LoadIntoModule(module, stream, strict, options, path);
    }

    /// <inheritdoc cref="LoadInto(torch.nn.Module, string, bool, SafeTensorsReadOptions?)"/>
    public static void LoadInto(torch.nn.Module module, Stream stream, bool strict = true, SafeTensorsReadOptions? options = null) =>
        LoadIntoModule(module, stream, strict, options, path: null);

    /// <summary>
    /// Loads optimizer state (as written from <see cref="torch.optim.Optimizer.state_dict"/>) into
    /// <paramref name="optimizer"/>, with the same checks as the module overload, always strict.
    /// </summary>
    public static void LoadInto(torch.optim.Optimizer optimizer, string path, SafeTensorsReadOptions? options = null)
    {
        using var stream = SafeTensorsFile.OpenRead(path);
        LoadIntoOptimizer(optimizer, stream, options, path);
    }

    /// <inheritdoc cref="LoadInto(torch.optim.Optimizer, string, SafeTensorsReadOptions?)"/>
    public static void LoadInto(torch.optim.Optimizer optimizer, Stream stream, SafeTensorsReadOptions? options = null) =>
        LoadIntoOptimizer(optimizer, stream, options, path: null);

    private static void LoadIntoModule(torch.nn.Module module, Stream stream, bool strict, SafeTensorsReadOptions? options, string? path)
    {
        ArgumentNullException.ThrowIfNull(module);
        var expected = module.state_dict().ToDictionary(kv => kv.Key, kv => Spec(kv.Value), StringComparer.Ordinal);
        var loaded = ReadChecked(stream, expected, strict, module.GetType().Name, options, path);
        try { module.load_state_dict(loaded, strict); }
        finally { DisposeAll(loaded); }
    }

    private static void LoadIntoOptimizer(torch.optim.Optimizer optimizer, Stream stream, SafeTensorsReadOptions? options, string? path)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        // The optimizer hands out copies of its state; only their names, shapes and dtypes are needed.
        var current = optimizer.state_dict();
        Dictionary<string, (string, long[])> expected;
        try { expected = current.ToDictionary(kv => kv.Key, kv => Spec(kv.Value), StringComparer.Ordinal); }
        finally { DisposeAll(current); }
        var loaded = ReadChecked(stream, expected, strict: true, optimizer.GetType().Name, options, path);
        try { optimizer.load_state_dict(loaded); }
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

        return ReadTensors(source, header, Device.CPU, path, keep: name => expected.ContainsKey(name), rejectNonFinite: target);
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
                if (device is { IsCuda: true })
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
        var t = torch.empty(e.Shape, ToScalarType(e.DType, e.Name, path));
        try
        {
            if (e.ByteLength == 0) return t;
            Check(pcn_tensor_data_ptr(t.Handle, out var ptr));
            var p = (byte*)ptr;
            int elementSize = SafeTensorsDType.ElementSize(e.DType);
            bool checkFinite = rejectNonFinite is not null && SafeTensorsDType.IsFloatingPoint(e.DType);
            for (long done = 0; done < e.ByteLength;)
            {
                int n = (int)Math.Min(ChunkBytes, e.ByteLength - done);
                var chunk = new Span<byte>(p + done, n);
                SafeTensorsFile.ReadData(source, chunk, e, path);
                long firstElement = done / elementSize;
                if (e.DType == SafeTensorsDType.Bool) SafeTensorsFile.CheckBooleans(e.Name, chunk, path, firstElement);
                if (checkFinite && SafeTensorsDType.IndexOfNonFinite(e.DType, chunk, out var kind) is var at and >= 0)
                    throw SafeTensorsFormatException.Create(path,
                        $"tensor '{e.Name}' holds {kind} at element {firstElement + at}; non-finite values are not loaded into {rejectNonFinite}", e.Name);
                done += n;
            }
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

using PixelCnn.ML.IO;
// SafeTensorsFile: the safetensors format as plain bytes, with no tensor library involved. Reading
// validates everything (see SafeTensorsHeader) before any tensor data is touched; writing is
// deterministic (see SafeTensorsWriter). docs/model-format.md describes the exact rules.
namespace PixelCnn.ML.Serialization;

/// <summary>
/// The contents of a safetensors file: named tensors as raw bytes plus string metadata. Use
/// <see cref="Parse"/>, <see cref="Read"/> or <see cref="ReadFile"/> to load and validate one, and
/// <see cref="WriteTo"/> or <see cref="WriteFile"/> to write one. Every rejection is a
/// <see cref="SafeTensorsFormatException"/>.
/// </summary>
public sealed class SafeTensorsFile
{
    private readonly SafeTensorsEntry[] _entries;
    private readonly Dictionary<string, SafeTensorsEntry> _byName;

    /// <summary>Builds a file from entries (any order; names must be unique) and optional metadata.</summary>
    public SafeTensorsFile(IEnumerable<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _entries = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToArray();
        _byName = new Dictionary<string, SafeTensorsEntry>(StringComparer.Ordinal);
        foreach (var e in _entries)
            if (!_byName.TryAdd(e.Name, e)) throw new ArgumentException($"tensor name '{e.Name}' appears twice", nameof(entries));
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
            foreach (var (key, value) in metadata)
                meta.Add(key, value ?? throw new ArgumentException($"metadata value for key '{key}' is null; safetensors metadata values are strings", nameof(metadata)));
        Metadata = meta;
    }

    /// <summary>The entries, sorted by name (ordinal).</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries => _entries;

    /// <summary>The <c>__metadata__</c> strings (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The entry named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No entry has that name.</exception>
    public SafeTensorsEntry this[string name] =>
        _byName.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"no tensor named '{name}' in the safetensors data");

    public bool TryGetEntry(string name, out SafeTensorsEntry entry) => _byName.TryGetValue(name, out entry!);

    // ---- reading

    /// <summary>
    /// Parses and validates a whole file held in memory. The entries' data are views into
    /// <paramref name="bytes"/> (no copy), valid as long as it is.
    /// </summary>
    public static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes, SafeTensorsReadOptions? options = null)
    {
        var header = SafeTensorsHeader.Parse(bytes, options ?? SafeTensorsReadOptions.Default, path: null);
        var buffer = bytes[(int)header.DataStart..];
        var entries = header.Entries.Select(e => Materialize(e, buffer.Slice((int)e.Begin, (int)e.ByteLength), null));
        return new SafeTensorsFile(entries, header.Metadata);
    }

    /// <summary>
    /// Reads and validates safetensors data from the stream's current position to its end. A
    /// non-seekable stream is first copied to memory, because the file length must be known to check
    /// the layout.
    /// </summary>
    public static SafeTensorsFile Read(Stream stream, SafeTensorsReadOptions? options = null) => ReadCore(stream, options, path: null);

    /// <summary>Reads and validates a safetensors file; errors name <paramref name="path"/>.</summary>
    public static SafeTensorsFile ReadFile(string path, SafeTensorsReadOptions? options = null)
    {
        using var stream = OpenRead(path);
        return ReadCore(stream, options, path);
    }

    internal static FileStream OpenRead(string path)
    {
        // Only a regular file: a named pipe would block the reader, a link to a device would never end.
        if (File.Exists(path) && RegularFile.Resolve(path, out var problem) is null) throw SafeTensorsFormatException.Create(path, problem!);
        return new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
    }

    /// <summary>Gives a seekable stream for <paramref name="stream"/> (itself, or a copy in memory).</summary>
    internal static Stream Seekable(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek) return stream;
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }

    private static SafeTensorsFile ReadCore(Stream stream, SafeTensorsReadOptions? options, string? path)
    {
        var source = Seekable(stream);
        var header = SafeTensorsHeader.Read(source, options ?? SafeTensorsReadOptions.Default, path);
        var entries = new List<SafeTensorsEntry>(header.Entries.Count);
        foreach (var e in header.Entries)
        {
            if (e.ByteLength > Array.MaxLength)
                throw SafeTensorsFormatException.Create(path, $"tensor '{e.Name}' holds {e.ByteLength} bytes, more than one array can hold; load it with SafeTensors.Load instead", e.Name);
            var data = new byte[e.ByteLength];
            ReadData(source, data, e, path);
            entries.Add(Materialize(e, data, path));
        }
        return new SafeTensorsFile(entries, header.Metadata);
    }

    /// <summary>Fills <paramref name="destination"/> with the next entry's bytes from the stream.</summary>
    internal static void ReadData(Stream stream, Span<byte> destination, in HeaderEntry entry, string? path)
    {
        try
        {
            stream.ReadExactly(destination);
        }
        catch (EndOfStreamException e)
        {
            // The length was checked up front, so this only happens when the file shrinks while being read.
            throw SafeTensorsFormatException.Create(path, $"the data ended inside tensor '{entry.Name}'", entry.Name, e);
        }
    }

    private static SafeTensorsEntry Materialize(in HeaderEntry e, ReadOnlyMemory<byte> data, string? path)
    {
        if (e.DType == SafeTensorsDType.Bool) CheckBooleans(e.Name, data.Span, path);
        return new SafeTensorsEntry(e.Name, e.DType, e.Shape, data);
    }

    /// <summary>
    /// A bool tensor must hold only 0 and 1: libtorch assumes it, and other bytes give
    /// results that depend on the kernel.
    /// </summary>
    internal static void CheckBooleans(string name, ReadOnlySpan<byte> data, string? path, long firstElement = 0)
    {
        int bad = data.IndexOfAnyExcept((byte)0, (byte)1);
        if (bad >= 0)
            throw SafeTensorsFormatException.Create(path, $"tensor '{name}' (BOOL) holds the byte 0x{data[bad]:X2} at element {firstElement + bad}; booleans must be 0 or 1", name);
    }

    // ---- writing

    /// <summary>
    /// Writes the file: the header (padded to 8 bytes), then the data, widest dtype first and by
    /// name within a dtype, so each tensor is aligned to its element size.
    /// </summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var plan = SafeTensorsWriter.Plan(_entries.Select(e => (e.Name, e.DType, e.ShapeArray)));
        SafeTensorsWriter.Write(stream, plan, Metadata, (i, s) => s.Write(_byName[plan[i].Name].Data.Span));
    }

    /// <summary>The file as a byte array.</summary>
    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>
    /// Writes the file to <paramref name="path"/> atomically: to a temporary file in the same folder,
    /// flushed to disk, then renamed over <paramref name="path"/>. On failure the old file is untouched.
    /// </summary>
    public void WriteFile(string path) => AtomicFile.Write(path, WriteTo);
}

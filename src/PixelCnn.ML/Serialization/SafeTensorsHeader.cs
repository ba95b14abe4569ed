// The safetensors header: the 8-byte little-endian length N, then N bytes of UTF-8 JSON mapping each
// tensor name to {dtype, shape, data_offsets} plus an optional "__metadata__" object of strings, then
// the data buffer. Everything a reader must check before it touches the data buffer lives here, so
// the byte-level API (SafeTensorsFile) and the tensor-level API (SafeTensors) reject exactly the same
// files with the same messages.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace PixelCnn.ML.Serialization;

/// <summary>One tensor as the header describes it; offsets are relative to the data buffer.</summary>
internal readonly record struct HeaderEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>A parsed header that passed every check: the entries cover the data buffer exactly.</summary>
internal sealed class SafeTensorsHeader
{
    internal const string MetadataKey = "__metadata__";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Duplicate keys are the classic way to make two readers see two different files; System.Text.Json
    // accepts them unless told otherwise. The walk below checks again so the rule never hangs on one flag.
    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowDuplicateProperties = false,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 8,
    };

    private SafeTensorsHeader(long headerLength, long bufferLength, List<HeaderEntry> entries, Dictionary<string, string> metadata)
    {
        HeaderLength = headerLength;
        BufferLength = bufferLength;
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>N, the JSON header's length in bytes (padding included).</summary>
    public long HeaderLength { get; }

    /// <summary>Offset of the data buffer from the start of the file.</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>Length of the data buffer; equals the last entry's end.</summary>
    public long BufferLength { get; }

    /// <summary>The entries in data-buffer order (contiguous from offset 0).</summary>
    public IReadOnlyList<HeaderEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Parses the header of a whole file held in memory.</summary>
    public static SafeTensorsHeader Parse(ReadOnlyMemory<byte> file, SafeTensorsReadOptions options, string? path)
    {
        long n = ReadLength(file.Span, file.Length, options, path);
        return FromJson(file.Slice(8, (int)n), file.Length, path);
    }

    /// <summary>
    /// Reads the length and the header from a seekable stream positioned at the start of the data,
    /// leaving it positioned at the start of the data buffer.
    /// </summary>
    public static SafeTensorsHeader Read(Stream stream, SafeTensorsReadOptions options, string? path)
    {
        long total = stream.Length - stream.Position;
        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        long n = ReadLength(prefix[..got], total, options, path);
        var json = new byte[n];
        stream.ReadExactly(json);
        return FromJson(json, total, path);
    }

    private static long ReadLength(ReadOnlySpan<byte> prefix, long total, SafeTensorsReadOptions options, string? path)
    {
        if (prefix.Length < 8 || total < 8)
            throw Fail(path, $"the data is {total} bytes long, too short for the 8-byte header length (truncated, or not a safetensors file)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        long cap = Math.Min(options.MaxHeaderBytes, Array.MaxLength);
        if (n > (ulong)cap)
            throw Fail(path, $"header length {n} bytes exceeds the limit of {cap} bytes (SafeTensorsReadOptions.MaxHeaderBytes)");
        if ((long)n > total - 8)
            throw Fail(path, $"header length {n} bytes runs past the end of the data ({total} bytes in all, the header would end at byte {8 + (long)n}): truncated, or not a safetensors file");
        return (long)n;
    }

    private static SafeTensorsHeader FromJson(ReadOnlyMemory<byte> json, long total, string? path)
    {
        long n = json.Length;
        long bufferLength = total - 8 - n;
        if (n == 0) throw Fail(path, "header is empty; it must be a JSON object starting with '{'");
        try
        {
            StrictUtf8.GetCharCount(json.Span);
        }
        catch (DecoderFallbackException e)
        {
            var bad = e.BytesUnknown is { Length: > 0 } b ? $" 0x{b[0]:X2}" : "";
            throw Fail(path, $"header is not valid UTF-8 (invalid byte{bad} at header offset {e.Index})", inner: e);
        }
        if (json.Span[0] != (byte)'{')
            throw Fail(path, $"header does not start with '{{' (first byte is 0x{json.Span[0]:X2}): not a safetensors file");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw Fail(path, $"header is not valid JSON: {e.Message}", inner: e);
        }

        using (doc)
        {
            var entries = new List<HeaderEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!keys.Add(property.Name)) throw Fail(path, $"header has a duplicate key '{property.Name}'", property.Name);
                if (property.Name == MetadataKey) ReadMetadata(property.Value, metadata, path);
                else entries.Add(ReadEntry(property.Name, property.Value, bufferLength, total, n, path));
            }
            CheckCoverage(entries, bufferLength, path);
            return new SafeTensorsHeader(n, bufferLength, entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string? path)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(path, $"'{MetadataKey}' must be a JSON object of string values, found {Kind(value)}");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Fail(path, $"'{MetadataKey}' value for key '{item.Name}' is {Kind(item.Value)}, expected a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Fail(path, $"'{MetadataKey}' has a duplicate key '{item.Name}'");
        }
    }

    private static HeaderEntry ReadEntry(string name, JsonElement value, long bufferLength, long total, long n, string? path)
    {
        if (name.Length == 0) throw Fail(path, "a tensor has an empty name", name);
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(path, $"tensor '{name}': expected a JSON object with dtype, shape and data_offsets, found {Kind(value)}", name);

        string? dtype = null;
        long[]? shape = null;
        long[]? offsets = null;
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in value.EnumerateObject())
        {
            if (!fields.Add(field.Name)) throw Fail(path, $"tensor '{name}': duplicate field '{field.Name}'", name);
            switch (field.Name)
            {
                case "dtype":
                    if (field.Value.ValueKind != JsonValueKind.String)
                        throw Fail(path, $"tensor '{name}': dtype must be a string, found {Kind(field.Value)}", name);
                    dtype = field.Value.GetString()!;
                    break;
                case "shape":
                    shape = ReadIntegers(name, "shape", field.Value, path);
                    break;
                case "data_offsets":
                    offsets = ReadIntegers(name, "data_offsets", field.Value, path);
                    if (offsets.Length != 2)
                        throw Fail(path, $"tensor '{name}': data_offsets must hold exactly 2 integers [begin, end], found {offsets.Length}", name);
                    break;
                default:
                    throw Fail(path, $"tensor '{name}': unknown field '{field.Name}' (expected dtype, shape and data_offsets)", name);
            }
        }
        if (dtype is null) throw Fail(path, $"tensor '{name}': missing field 'dtype'", name);
        if (shape is null) throw Fail(path, $"tensor '{name}': missing field 'shape'", name);
        if (offsets is null) throw Fail(path, $"tensor '{name}': missing field 'data_offsets'", name);

        if (!SafeTensorsDType.TryGetElementSize(dtype, out var elementSize))
            throw Fail(path, $"tensor '{name}': unsupported dtype '{dtype}' (supported: {SafeTensorsDType.SupportedList})", name);
        var shapeText = SafeTensorsEntry.FormatShape(shape);
        foreach (var d in shape)
            if (d < 0) throw Fail(path, $"tensor '{name}': negative dimension {d} in shape {shapeText}", name);
        if (!SafeTensorsDType.TryGetByteLength(shape, elementSize, out _, out var byteLength))
            throw Fail(path, $"tensor '{name}': shape {shapeText} of {dtype} overflows a 64-bit byte count", name);

        long begin = offsets[0], end = offsets[1];
        var offsetsText = $"[{begin}, {end}]";
        if (begin < 0 || end < 0)
            throw Fail(path, $"tensor '{name}': data_offsets {offsetsText} must not be negative", name);
        if (end < begin)
            throw Fail(path, $"tensor '{name}': data_offsets {offsetsText} are out of order (end before begin)", name);
        if (end - begin != byteLength)
            throw Fail(path, $"tensor '{name}': data_offsets {offsetsText} span {end - begin} bytes, but shape {shapeText} of {dtype} needs {byteLength}", name);
        if (end > bufferLength)
            throw Fail(path, $"tensor '{name}': data_offsets {offsetsText} reach beyond the data buffer, which holds {bufferLength} bytes ({total} bytes in all, minus 8, minus the {n}-byte header): truncated file?", name);
        return new HeaderEntry(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(string name, string field, JsonElement value, string? path)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw Fail(path, $"tensor '{name}': {field} must be an array of integers, found {Kind(value)}", name);
        var result = new long[value.GetArrayLength()];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out result[i]))
                throw Fail(path, $"tensor '{name}': {field}[{i}] is {item.GetRawText()}, expected a 64-bit integer", name);
            i++;
        }
        return result;
    }

    // The entries must tile the buffer: sorted by offset, each starts where the previous ended, the
    // first at 0 and the last at the buffer's end. This is what rules out aliasing between tensors and
    // bytes that no tensor accounts for (where a second, hidden payload could sit).
    private static void CheckCoverage(List<HeaderEntry> entries, long bufferLength, string? path)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        string? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin > covered)
                throw Fail(path, previous is null
                    ? $"hole in the data buffer: bytes [0, {e.Begin}) before tensor '{e.Name}' belong to no tensor"
                    : $"hole in the data buffer: bytes [{covered}, {e.Begin}) between tensors '{previous}' and '{e.Name}' belong to no tensor", e.Name);
            if (e.Begin < covered)
                throw Fail(path, $"tensors '{previous}' and '{e.Name}' overlap: '{e.Name}' starts at byte {e.Begin} of the data buffer, before '{previous}' ends at byte {covered}", e.Name);
            covered = e.End;
            previous = e.Name;
        }
        if (covered != bufferLength)
            throw Fail(path, $"{bufferLength - covered} trailing bytes after the last tensor: the data buffer holds {bufferLength} bytes but the tensors cover {covered}");
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };

    private static SafeTensorsFormatException Fail(string? path, string problem, string? tensor = null, Exception? inner = null) =>
        SafeTensorsFormatException.Create(path, problem, tensor, inner);
}

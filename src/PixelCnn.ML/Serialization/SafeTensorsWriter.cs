// Writing side of the format, shared by SafeTensorsFile (bytes) and SafeTensors (tensors). Entries are
// ordered as the reference serializer orders them: by dtype, widest first (I64, F64, F32, BF16, F16,
// U8, BOOL), then by name (ordinal), with contiguous offsets from 0. "__metadata__" comes first with
// its keys sorted, and the JSON is padded with spaces so the data buffer starts at a multiple of 8.
// Widest-first on an 8-aligned buffer puts every tensor at an offset that is a multiple of its element
// size, which readers that map the file and view it in place (PyTorch's safetensors) rely on; and the
// same input always gives the same bytes.
using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PixelCnn.ML.Serialization;

internal static class SafeTensorsWriter
{
    // Relaxed escaping keeps non-ASCII names readable in the header; the header is never embedded in HTML.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    // The reference implementation's dtype order, descending; ties between equal sizes follow it too,
    // so a file written here is byte-identical to its output for the same tensors (metadata with
    // several keys aside: it writes those in hash-map order, we sort them).
    private static readonly string[] DataOrder =
        [SafeTensorsDType.I64, SafeTensorsDType.F64, SafeTensorsDType.F32, SafeTensorsDType.BF16,
         SafeTensorsDType.F16, SafeTensorsDType.U8, SafeTensorsDType.Bool];

    /// <summary>Orders the tensors (widest dtype first, then by name) and assigns contiguous data offsets.</summary>
    public static List<HeaderEntry> Plan(IEnumerable<(string Name, string DType, long[] Shape)> tensors)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, dtype, _) in list)
        {
            SafeTensorsEntry.ValidateName(name);
            if (!names.Add(name)) throw new ArgumentException($"tensor name '{name}' appears twice");
            _ = SafeTensorsDType.ElementSize(dtype); // throws for a dtype off the allow-list
        }
        var sorted = list.OrderBy(t => Array.IndexOf(DataOrder, t.DType)).ThenBy(t => t.Name, StringComparer.Ordinal);
        var plan = new List<HeaderEntry>(list.Count);
        long offset = 0;
        foreach (var (name, dtype, shape) in sorted)
        {
            int size = SafeTensorsDType.ElementSize(dtype);
            if (shape.Any(d => d < 0) || !SafeTensorsDType.TryGetByteLength(shape, size, out _, out var bytes))
                throw new ArgumentException($"tensor '{name}': invalid shape {SafeTensorsEntry.FormatShape(shape)}");
            long end = checked(offset + bytes);
            plan.Add(new HeaderEntry(name, dtype, shape, offset, end));
            offset = end;
        }
        return plan;
    }

    /// <summary>The 8-byte length followed by the padded JSON header.</summary>
    public static byte[] EncodeHeader(IReadOnlyList<HeaderEntry> plan, IReadOnlyDictionary<string, string>? metadata)
    {
        var json = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(json, JsonOptions))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (value is null) throw new ArgumentException($"metadata value for key '{key}' is null; safetensors metadata values are strings");
                    w.WriteString(key, value);
                }
                w.WriteEndObject();
            }
            foreach (var e in plan)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.DType);
                w.WriteStartArray("shape");
                foreach (var d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(e.Begin);
                w.WriteNumberValue(e.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int padded = (json.WrittenCount + 7) / 8 * 8;
        var result = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        json.WrittenSpan.CopyTo(result.AsSpan(8));
        result.AsSpan(8 + json.WrittenCount).Fill((byte)' ');
        return result;
    }

    /// <summary>
    /// Writes the header, then asks <paramref name="writeData"/> for each entry's bytes in plan order,
    /// checking (on seekable streams) that each wrote exactly its byte length.
    /// </summary>
    public static void Write(Stream stream, IReadOnlyList<HeaderEntry> plan, IReadOnlyDictionary<string, string>? metadata,
                             Action<int, Stream> writeData)
    {
        stream.Write(EncodeHeader(plan, metadata));
        for (int i = 0; i < plan.Count; i++)
        {
            long before = stream.CanSeek ? stream.Position : 0;
            writeData(i, stream);
            if (stream.CanSeek && stream.Position - before != plan[i].ByteLength)
                throw new InvalidOperationException(
                    $"tensor '{plan[i].Name}': wrote {stream.Position - before} bytes, expected {plan[i].ByteLength}");
        }
    }
}

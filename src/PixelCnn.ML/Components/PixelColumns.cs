// What the PixelCNN components share about their input columns: the image column (CHW floats
// 0..255, as ExtractPixels writes them), the optional conditioning column (an embedding vector, or
// a class label that becomes a one-hot h), reading a data view into an ImageDataset for training,
// and converting one batch of rows for scoring or sampling.
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Training;

namespace PixelCnn.ML.Components;

/// <summary>The image geometry of a pixel column: channels x height x width.</summary>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    public int Size => Channels * Height * Width;
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}

/// <summary>How a conditioning column becomes the vector h.</summary>
public enum ConditionKind
{
    /// <summary>A known-size Vector&lt;Single&gt; used as h directly (any embedding).</summary>
    Vector,
    /// <summary>A key column (values 1..K, ML.NET's key convention) turned into a one-hot of K.</summary>
    Key,
    /// <summary>An integer class index 0..K-1 (UInt32, Int32, Int64 or whole Single) turned into a one-hot of K.</summary>
    ClassIndex,
}

/// <summary>A resolved conditioning column: its name, how it is read, and the length of h.</summary>
public sealed record ConditionColumn(string Name, ConditionKind Kind, int Size)
{
    internal JsonObject ToJson() => new() { ["name"] = Name, ["kind"] = Kind.ToString(), ["size"] = Size };

    internal static ConditionColumn? FromJson(JsonNode? node, ModelLoadContext ctx)
    {
        if (node is null) return null;
        try
        {
            var o = node.AsObject();
            var kind = Enum.Parse<ConditionKind>(o["kind"]!.GetValue<string>());
            int size = o["size"]!.GetValue<int>();
            if (size <= 0) throw ctx.Error($"condition size must be > 0, got {size}");
            return new ConditionColumn(o["name"]!.GetValue<string>(), kind, size);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw ctx.Error($"option 'condition' is not valid: {e.Message}", e);
        }
    }
}

internal static class PixelColumns
{
    /// <summary>Schema-time check of the pixel column: a known-size vector of Single.</summary>
    public static void CheckShape(SchemaShape input, string column)
    {
        var c = input.Find("feature", column);
        if (c.Kind != SchemaShape.VectorKind.Vector || c.ItemType != NumberDataViewType.Single)
            throw SchemaErrors.Mismatch("feature", column, "Vector<Single> of known size (CHW pixels 0..255, e.g. from ExtractPixels)", c.GetTypeString());
    }

    /// <summary>Schema-time check of a conditioning column.</summary>
    public static void CheckConditionShape(SchemaShape input, string column)
    {
        var c = input.Find("condition", column);
        bool ok = c.IsKey
            || (c.Kind == SchemaShape.VectorKind.Vector && c.ItemType == NumberDataViewType.Single)
            || (c.Kind == SchemaShape.VectorKind.Scalar && (c.ItemType == NumberDataViewType.UInt32 || c.ItemType == NumberDataViewType.Int32
                                                              || c.ItemType == NumberDataViewType.Int64 || c.ItemType == NumberDataViewType.Single));
        if (!ok)
            throw SchemaErrors.Mismatch("condition", column, "Vector<Single> (an embedding), a key, or an integer class index", c.GetTypeString());
    }

    /// <summary>The image shape of <paramref name="column"/>: from its vector dimensions [C, H, W], else from the given options.</summary>
    public static ImageShape ResolveShape(DataViewSchema schema, string column, int? channels, int? height, int? width)
    {
        var col = SchemaErrors.Find(schema, "feature", column);
        if (col.Type is not VectorDataViewType { IsKnownSize: true } v || v.ItemType != NumberDataViewType.Single)
            throw SchemaErrors.Mismatch("feature", column, "Vector<Single> of known size (CHW pixels 0..255, e.g. from ExtractPixels)", col.Type.ToString());
        ImageShape shape;
        if (channels is not null || height is not null || width is not null)
        {
            if (channels is null || height is null || width is null)
                throw new ArgumentException($"set all of Channels, Height and Width for column '{column}', or none to read them from its dimensions");
            shape = new ImageShape(channels.Value, height.Value, width.Value);
        }
        else if (v.Dimensions.Length == 3)
            shape = new ImageShape(v.Dimensions[0], v.Dimensions[1], v.Dimensions[2]);
        else
            throw new ArgumentException(
                $"Column '{column}' is {v} without image dimensions [C, H, W]: produce it with ExtractPixels or set the Channels, Height and Width options.");
        if (shape.Channels is not (1 or 3))
            throw new ArgumentException($"Column '{column}' holds {shape.Channels}-channel images; PixelCNN models take 1 (grey) or 3 (RGB).");
        if (shape.Size != v.Size)
            throw new ArgumentException($"Column '{column}' holds {v.Size} values per row but {shape} images need {shape.Size}.");
        return shape;
    }

    /// <summary>The conditioning column resolved against real data (class counts of plain integer labels come from the data).</summary>
    public static ConditionColumn ResolveCondition(IDataView data, string column, int? classCount)
    {
        var col = SchemaErrors.Find(data.Schema, "condition", column);
        switch (col.Type)
        {
            case VectorDataViewType { IsKnownSize: true } v when v.ItemType == NumberDataViewType.Single:
                return new ConditionColumn(column, ConditionKind.Vector, v.Size);
            case KeyDataViewType k:
                if (k.Count is 0 or > 100_000) throw new ArgumentException($"Key column '{column}' has {k.Count} values; PixelCNN conditioning needs 1..100000 classes.");
                return new ConditionColumn(column, ConditionKind.Key, checked((int)k.Count));
            case NumberDataViewType n when n == NumberDataViewType.UInt32 || n == NumberDataViewType.Int32 || n == NumberDataViewType.Int64 || n == NumberDataViewType.Single:
                if (classCount is { } given)
                {
                    if (given <= 0) throw new ArgumentOutOfRangeException(nameof(classCount), given, "ClassCount must be > 0");
                    return new ConditionColumn(column, ConditionKind.ClassIndex, given);
                }
                long max = -1;
                foreach (var value in ReadClassIndices(data, column)) max = Math.Max(max, value);
                if (max < 0) throw new ArgumentException($"Column '{column}' has no rows to count classes from; set ClassCount.");
                return new ConditionColumn(column, ConditionKind.ClassIndex, checked((int)max + 1));
            default:
                throw SchemaErrors.Mismatch("condition", column, "Vector<Single> (an embedding), a key, or an integer class index", col.Type.ToString());
        }
    }

    private static IEnumerable<long> ReadClassIndices(IDataView data, string column)
    {
        var col = data.Schema[column];
        using var cursor = data.GetRowCursor([col]);
        var get = ClassIndexGetter(cursor, col, column);
        while (cursor.MoveNext()) yield return get(cursor.Position);
    }

    private static Func<long, long> ClassIndexGetter(DataViewRow row, DataViewSchema.Column col, string name)
    {
        long Check(long v, long position) => v >= 0 ? v : throw new ArgumentException($"Column '{name}' row {position}: class index {v} is negative.");
        if (col.Type == NumberDataViewType.UInt32) { var g = row.GetGetter<uint>(col); uint v = 0; return p => { g(ref v); return v; }; }
        if (col.Type == NumberDataViewType.Int32) { var g = row.GetGetter<int>(col); int v = 0; return p => { g(ref v); return Check(v, p); }; }
        if (col.Type == NumberDataViewType.Int64) { var g = row.GetGetter<long>(col); long v = 0; return p => { g(ref v); return Check(v, p); }; }
        if (col.Type == NumberDataViewType.Single)
        {
            var g = row.GetGetter<float>(col);
            float v = 0;
            return p =>
            {
                g(ref v);
                if (v != MathF.Floor(v)) throw new ArgumentException($"Column '{name}' row {p}: class index {v} is not a whole number.");
                return Check((long)v, p);
            };
        }
        throw new InvalidOperationException($"column '{name}' is not a class index column");
    }

    /// <summary>Pixel values 0..255 (floats, rounded) → bytes; anything else is an error naming the column and row.</summary>
    public static void ToBytes(ReadOnlySpan<float> values, Span<byte> bytes, string column, long firstRow, int rowSize)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= -0.5f && v < 255.5f))
                throw new InvalidDataException(
                    $"Column '{column}' row {firstRow + i / rowSize}: pixel value {v} is outside 0..255 (PixelCNN models read CHW pixels 0..255, as ExtractPixels writes them with scale 1 and offset 0).");
            bytes[i] = (byte)MathF.Round(v);
        }
    }

    /// <summary>Writes one row's h (one-hot or vector) into <paramref name="h"/> from a batch of input values.</summary>
    public static void ConditionBatch(BatchMapperInput input, ConditionColumn c, Span<float> h, long firstRow)
    {
        h.Clear();
        int n = input.Count;
        switch (c.Kind)
        {
            case ConditionKind.Vector:
                var block = input.GetVectorBlock<float>(c.Name);
                if (block.Length != n * c.Size) throw new InvalidDataException($"Column '{c.Name}' holds vectors of {block.Length / Math.Max(n, 1)} values; the model expects {c.Size}.");
                block.CopyTo(h);
                break;
            case ConditionKind.Key:
                var keys = input.GetValues<uint>(c.Name);
                for (int i = 0; i < n; i++) WriteOneHot(h.Slice(i * c.Size, c.Size), keys[i] == 0 ? -1 : keys[i] - 1L, c, firstRow + i);
                break;
            default:
                for (int i = 0; i < n; i++) WriteOneHot(h.Slice(i * c.Size, c.Size), ClassIndexAt(input, c.Name, i), c, firstRow + i);
                break;
        }
    }

    private static long ClassIndexAt(BatchMapperInput input, string name, int i)
    {
        var t = input.Schema[name].Type;
        if (t == NumberDataViewType.UInt32) return input.GetValues<uint>(name)[i];
        if (t == NumberDataViewType.Int32) return input.GetValues<int>(name)[i];
        if (t == NumberDataViewType.Int64) return input.GetValues<long>(name)[i];
        float f = input.GetValues<float>(name)[i];
        return f == MathF.Floor(f) ? (long)f : -1;
    }

    private static void WriteOneHot(Span<float> vector, long index, ConditionColumn c, long row)
    {
        if (!OneHot.TryWrite(vector, index))
            throw new InvalidDataException($"Column '{c.Name}' row {row}: class {(c.Kind == ConditionKind.Key ? "key" : "index")} " +
                                             $"{(c.Kind == ConditionKind.Key ? index + 1 : index)} is outside the model's {c.Size} classes" +
                                             (c.Kind == ConditionKind.Key && index < 0 ? " (missing key)" : "") + ".");
    }

    /// <summary>Checks a fitted component's condition column against the input schema (type and size).</summary>
    public static void CheckCondition(DataViewSchema schema, ConditionColumn c)
    {
        var col = SchemaErrors.Find(schema, "condition", c.Name);
        bool ok = c.Kind switch
        {
            ConditionKind.Vector => col.Type is VectorDataViewType { ItemType: var it, Size: var sz } && it == NumberDataViewType.Single && sz == c.Size,
            ConditionKind.Key => col.Type is KeyDataViewType k && (long)k.Count == c.Size,
            _ => col.Type == NumberDataViewType.UInt32 || col.Type == NumberDataViewType.Int32 || col.Type == NumberDataViewType.Int64 || col.Type == NumberDataViewType.Single,
        };
        if (!ok)
            throw SchemaErrors.Mismatch("condition", c.Name, c.Kind switch
            {
                ConditionKind.Vector => $"Vector<Single, {c.Size}>",
                ConditionKind.Key => $"Key<UInt32, 0-{c.Size - 1}>",
                _ => "an integer class index",
            }, col.Type.ToString());
    }

    /// <summary>One batch of input rows as an ImageDataset (pixels checked, conditions one-hot or copied).</summary>
    public static ImageDataset Batch(BatchMapperInput input, string pixelColumn, ImageShape shape, ConditionColumn? condition)
    {
        int n = input.Count;
        var bytes = new byte[n * shape.Size];
        ToBytes(input.GetVectorBlock<float>(pixelColumn), bytes, pixelColumn, input.FirstPosition, shape.Size);
        float[]? h = null;
        if (condition is not null)
        {
            h = new float[n * condition.Size];
            ConditionBatch(input, condition, h, input.FirstPosition);
        }
        return new ImageDataset(shape.Channels, shape.Height, shape.Width, bytes, h, condition?.Size ?? 0);
    }

    /// <summary>Reads the pixel (and condition) columns of a whole data view into memory for training.</summary>
    public static ImageDataset Materialize(IDataView data, string pixelColumn, ImageShape shape, ConditionColumn? condition,
                                           CancellationToken cancellationToken = default)
    {
        // Read through the batch mapper so training and scoring convert rows with the same code.
        var collector = new Collector(pixelColumn, shape, condition);
        var view = new BatchMappedDataView(data, collector, 1024);
        using (var cursor = view.GetRowCursor([view.Schema[Collector.Marker]]))
        {
            var g = cursor.GetGetter<bool>(view.Schema[Collector.Marker]);
            bool b = false;
            while (cursor.MoveNext())
            {
                if ((cursor.Position & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
                g(ref b);
            }
        }
        var pixels = collector.Pixels.ToArray();
        return condition is null
            ? new ImageDataset(shape.Channels, shape.Height, shape.Width, pixels)
            : new ImageDataset(shape.Channels, shape.Height, shape.Width, pixels, collector.Conditions.ToArray(), condition.Size);
    }

    /// <summary>A batch mapper that only collects rows (its one output column is a placeholder).</summary>
    private sealed class Collector(string pixelColumn, ImageShape shape, ConditionColumn? condition) : IBatchMapper
    {
        public const string Marker = "__pixelcnn_collected";
        public readonly List<byte> Pixels = new();
        public readonly List<float> Conditions = new();

        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; } =
            [new DataViewSchema.DetachedColumn(Marker, BooleanDataViewType.Instance)];

        public IReadOnlyList<string> InputColumnNames { get; } = condition is null ? [pixelColumn] : [pixelColumn, condition.Name];

        public void MapBatch(BatchMapperInput input, BatchMapperOutput output)
        {
            var batch = Batch(input, pixelColumn, shape, condition);
            Pixels.AddRange(batch.Pixels);
            if (batch.Conditions is not null) Conditions.AddRange(batch.Conditions);
        }
    }
}

// What the PixelCNN components share about their input columns: the image column (CHW floats
// 0..255, as ExtractPixels writes them), the optional conditioning column (an embedding vector, or
// a class label that becomes a one-hot h), reading a data view into an ImageDataset for training,
// and converting one batch of rows for scoring or sampling.
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Training;

namespace PixelCnn.ML.Components;

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

    internal static ConditionColumn? FromJson(JsonNode? node, SavedOptions options)
    {
        if (node is null) return null;
        try
        {
            var o = node.AsObject();
            var kind = Enum.Parse<ConditionKind>(o["kind"]!.GetValue<string>());
            int size = o["size"]!.GetValue<int>();
            if (size <= 0) throw options.Error($"condition size must be > 0, got {size}");
            return new ConditionColumn(o["name"]!.GetValue<string>(), kind, size);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw options.Error($"option 'condition' is not valid: {e.Message}", e);
        }
    }
}

internal static class PixelColumns
{
    /// <summary>Schema-time check of the pixel column: a known-size vector of Single.</summary>
    public static void CheckShape(SchemaShape input, string column)
    {
        var c = SchemaErrors.Find(input, "feature", column);
        if (c.Kind is not (SchemaShape.Column.VectorKind.Vector or SchemaShape.Column.VectorKind.VariableVector) || c.ItemType != NumberDataViewType.Single)
            throw SchemaErrors.Mismatch("feature", column, "Vector<Single> (CHW pixels 0..255, e.g. from ExtractPixels)", MlNetAccess.TypeString(c));
    }

    /// <summary>Schema-time check of a conditioning column.</summary>
    public static void CheckConditionShape(SchemaShape input, string column)
    {
        var c = SchemaErrors.Find(input, "condition", column);
        bool ok = (c.IsKey && c.Kind == SchemaShape.Column.VectorKind.Scalar && c.ItemType.RawType == typeof(uint))
            || (c.Kind == SchemaShape.Column.VectorKind.Vector && c.ItemType == NumberDataViewType.Single)
            || (c.Kind == SchemaShape.Column.VectorKind.Scalar && !c.IsKey && (c.ItemType == NumberDataViewType.UInt32 || c.ItemType == NumberDataViewType.Int32
                                                              || c.ItemType == NumberDataViewType.Int64 || c.ItemType == NumberDataViewType.Single));
        if (!ok)
            throw SchemaErrors.Mismatch("condition", column, "Vector<Single> (an embedding), a key, or an integer class index", MlNetAccess.TypeString(c));
    }

    /// <summary>
    /// The image shape of <paramref name="column"/>: from the given options when set (then a vector of unknown size, as a
    /// DataFrame column is, is accepted and every row is checked), else from its vector dimensions [C, H, W].
    /// </summary>
    public static ImageShape ResolveShape(DataViewSchema schema, string column, int? channels, int? height, int? width)
    {
        var col = SchemaErrors.Find(schema, "feature", column);
        if (col.Type is not VectorDataViewType v || v.ItemType != NumberDataViewType.Single)
            throw SchemaErrors.Mismatch("feature", column, "Vector<Single> (CHW pixels 0..255, e.g. from ExtractPixels)", col.Type.ToString());
        ImageShape shape;
        if (channels is not null || height is not null || width is not null)
        {
            if (channels is null || height is null || width is null)
                throw new ArgumentException($"set all of Channels, Height and Width for column '{column}', or none to read them from its dimensions");
            shape = new ImageShape(channels.Value, height.Value, width.Value);
        }
        else if (v.Dimensions.Length == 3 && v.IsKnownSize)
            shape = new ImageShape(v.Dimensions[0], v.Dimensions[1], v.Dimensions[2]);
        else
            throw new ArgumentException(
                $"Column '{column}' is {v} without image dimensions [C, H, W]: produce it with ExtractPixels, give it [VectorType(C, H, W)], or set the Channels, Height and Width options.");
        if (shape.Channels is not (1 or 3))
            throw new ArgumentException($"Column '{column}' holds {shape.Channels}-channel images; PixelCNN models take 1 (grey) or 3 (RGB).");
        if (v.IsKnownSize && shape.Size != v.Size)
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
            case KeyDataViewType k when k.RawType == typeof(uint):
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

    /// <summary>
    /// Pixel values → bytes. They must be the whole levels 0..255 that ExtractPixels writes with its default scale and
    /// offset: a value outside that range, or between two levels (pixels scaled to 0..1 with scaleImage: 1/255f, or
    /// shifted with offsetImage), is an error naming the column, the row and the ExtractPixels options, never a silent
    /// rounding to the wrong levels.
    /// </summary>
    public static void ToBytes(ReadOnlySpan<float> values, Span<byte> bytes, string column, long firstRow, int rowSize)
    {
        const string Levels = "PixelCNN models read the 256 levels of 8-bit pixels, 0..255 in CHW order, as ExtractPixels writes them with its " +
                              "default scaleImage (1) and offsetImage (0)";
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= -0.5f && v < 255.5f))
                throw new InvalidDataException($"Column '{column}' row {firstRow + i / rowSize}: pixel value {v} is outside 0..255. {Levels}.");
            float level = MathF.Round(v);
            if (MathF.Abs(v - level) > 1e-3f)
                throw new InvalidDataException($"Column '{column}' row {firstRow + i / rowSize}: pixel value {v} is not a whole level 0..255; were the " +
                                               $"pixels scaled (ExtractPixels scaleImage, e.g. 1/255f) or shifted (offsetImage)? {Levels}.");
            bytes[i] = (byte)level;
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
                input.GetVectorBlock(c.Name, c.Size).CopyTo(h);
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
            ConditionKind.Key => col.Type is KeyDataViewType k && k.RawType == typeof(uint) && (long)k.Count == c.Size,
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

    /// <summary>One batch of input rows as an ImageDataset (pixels checked, conditions one-hot or copied); rows marked in
    /// <paramref name="skip"/> (unreadable images) are left black and not checked.</summary>
    public static ImageDataset Batch(BatchMapperInput input, string pixelColumn, ImageShape shape, ConditionColumn? condition, bool[]? skip = null)
    {
        int n = input.Count;
        var bytes = new byte[n * shape.Size];
        var values = input.GetVectorBlock(pixelColumn, shape.Size);
        for (int i = 0; i < n; i++)
        {
            if (skip is not null && skip[i]) continue;
            ToBytes(values.Slice(i * shape.Size, shape.Size), bytes.AsSpan(i * shape.Size, shape.Size), pixelColumn, input.FirstPosition + i, shape.Size);
        }
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
        // Read through the batch mapper's input so training and scoring convert rows with the same code.
        const int chunk = 1024;
        var cols = condition is null ? new[] { data.Schema[pixelColumn] } : [data.Schema[pixelColumn], data.Schema[condition.Name]];
        var pixels = new List<byte>();
        var conditions = new List<float>();
        using var cursor = data.GetRowCursor(cols);
        var input = new BatchMapperInput(data.Schema, cursor, cols, chunk);
        long position = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            input.Clear(position);
            while (input.Count < chunk && cursor.MoveNext()) input.Append();
            if (input.Count == 0) break;
            var batch = Batch(input, pixelColumn, shape, condition);
            pixels.AddRange(batch.Pixels);
            if (batch.Conditions is not null) conditions.AddRange(batch.Conditions);
            position += input.Count;
        }
        return condition is null
            ? new ImageDataset(shape.Channels, shape.Height, shape.Width, pixels.ToArray())
            : new ImageDataset(shape.Channels, shape.Height, shape.Width, pixels.ToArray(), conditions.ToArray(), condition.Size);
    }
}

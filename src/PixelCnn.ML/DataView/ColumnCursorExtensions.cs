namespace PixelCnn.ML.Data;

/// <summary>Reading one column of a data view as a sequence (as ML.NET's ColumnCursorExtensions).</summary>
public static class ColumnCursorExtensions
{
    /// <summary>
    /// The values of column <paramref name="columnName"/>, read lazily. <typeparamref name="T"/> is the column's
    /// raw type (float, VBuffer&lt;float&gt;, ReadOnlyMemory&lt;char&gt;, MLImage, ...), or for convenience an array
    /// (float[] for a vector of Single) or string (for Text). Each value is an independent copy.
    /// A missing column or any other <typeparamref name="T"/> fails at once, naming the column and the types that work.
    /// </summary>
    public static IEnumerable<T> GetColumn<T>(this IDataView data, string columnName)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.GetColumn<T>(SchemaErrors.Find(data.Schema, "", columnName));
    }

    /// <inheritdoc cref="GetColumn{T}(IDataView, string)"/>
    public static IEnumerable<T> GetColumn<T>(this IDataView data, DataViewSchema.Column column)
    {
        ArgumentNullException.ThrowIfNull(data);
        var type = column.Type;
        if (typeof(T) == type.RawType) return Read<T, T>(data, column, static (in T v) => { T copy = default!; DataValue<T>.Copy(in v, ref copy); return copy; });
        if (typeof(T) == typeof(string) && type is TextDataViewType)
            return (IEnumerable<T>)Read<ReadOnlyMemory<char>, string>(data, column, static (in ReadOnlyMemory<char> v) => v.ToString());
        if (typeof(T).IsArray && type is VectorDataViewType v && v.ItemType.RawType == typeof(T).GetElementType()
            && RawTypes.TryVisitPrimitive(v.ItemType.RawType, new ArrayReader<T>(data, column), out var arrays))
            return arrays;
        var hint = type is VectorDataViewType vt ? $"{RawTypes.Name(type.RawType)} or {RawTypes.Name(vt.ItemType.RawType)}[]"
            : type is TextDataViewType ? "ReadOnlyMemory<Char> or String" : RawTypes.Name(type.RawType);
        throw new InvalidOperationException($"Cannot read column '{column.Name}' of type {type} as {RawTypes.Name(typeof(T))}; use {hint}.");
    }

    private delegate TOut Convert<TIn, TOut>(in TIn value);

    private static IEnumerable<TOut> Read<TIn, TOut>(IDataView data, DataViewSchema.Column column, Convert<TIn, TOut> convert)
    {
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<TIn>(column);
        TIn value = default!;
        while (cursor.MoveNext())
        {
            getter(ref value);
            yield return convert(in value);
        }
    }

    private sealed class ArrayReader<T>(IDataView data, DataViewSchema.Column column) : IRawTypeVisitor<IEnumerable<T>>
    {
        public IEnumerable<T> Visit<TItem>() =>
            (IEnumerable<T>)Read<VBuffer<TItem>, TItem[]>(data, column, static (in VBuffer<TItem> v) => v.GetValues().ToArray());
    }
}

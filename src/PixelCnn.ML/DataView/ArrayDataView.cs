// An in-memory, column-major data view: what components use to hand back results they computed eagerly
// (metrics tables, generated samples), and what tests use as input. Values are copied in when the view is built
// and copied out by every getter, so neither side can change the other's data.
namespace PixelCnn.ML.Data;

/// <summary>Builds an in-memory <see cref="IDataView"/> column by column (as ML.NET's ArrayDataViewBuilder).</summary>
/// <example><code>
/// var data = new ArrayDataViewBuilder()
///     .AddColumn("Label", new KeyDataViewType(typeof(uint), 10), labels)
///     .AddVectorColumn("Pixels", pixelBlock, 1, 28, 28)   // rows = pixelBlock.Length / 784
///     .Build();
/// </code></example>
public sealed class ArrayDataViewBuilder
{
    private readonly List<(string Name, ColumnStore Store)> _columns = [];

    /// <summary>Adds a column of <paramref name="type"/> whose raw type is <typeparamref name="T"/>, one value per row (copied).</summary>
    public ArrayDataViewBuilder AddColumn<T>(string name, DataViewType type, IReadOnlyList<T> values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(values);
        if (type.RawType != typeof(T))
            throw new ArgumentException($"Column '{name}' of type {type} holds {RawTypes.Name(type.RawType)} values, not {RawTypes.Name(typeof(T))}.", nameof(values));
        var copy = new T[values.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            var v = values[i];
            if (v is MLImage img && type is ImageDataViewType { IsKnownSize: true } it && (img.Height != it.Height || img.Width != it.Width))
                throw new ArgumentException($"Column '{name}' row {i}: image is {img.Height} x {img.Width}, the column type is {type}.", nameof(values));
            if (type is VectorDataViewType { IsKnownSize: true } vt && v is not null && v is IVBufferLength { Length: var len } && len != vt.Size)
                throw new ArgumentException($"Column '{name}' row {i}: vector has {len} items, the column type is {type}.", nameof(values));
            DataValue<T>.Copy(in v, ref copy[i]);
        }
        _columns.Add((name, new ValuesStore<T>(type, copy)));
        return this;
    }

    /// <summary>Adds a Single column.</summary>
    public ArrayDataViewBuilder AddColumn(string name, params float[] values) => AddColumn(name, NumberDataViewType.Single, values);
    /// <summary>Adds a Double column.</summary>
    public ArrayDataViewBuilder AddColumn(string name, params double[] values) => AddColumn(name, NumberDataViewType.Double, values);
    /// <summary>Adds an Int32 column.</summary>
    public ArrayDataViewBuilder AddColumn(string name, params int[] values) => AddColumn(name, NumberDataViewType.Int32, values);
    /// <summary>Adds an Int64 column.</summary>
    public ArrayDataViewBuilder AddColumn(string name, params long[] values) => AddColumn(name, NumberDataViewType.Int64, values);
    /// <summary>Adds a UInt32 column.</summary>
    public ArrayDataViewBuilder AddColumn(string name, params uint[] values) => AddColumn(name, NumberDataViewType.UInt32, values);
    /// <summary>Adds a Boolean column.</summary>
    public ArrayDataViewBuilder AddColumn(string name, params bool[] values) => AddColumn(name, BooleanDataViewType.Instance, values);

    /// <summary>Adds a Text column.</summary>
    public ArrayDataViewBuilder AddColumn(string name, params string[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return AddColumn(name, TextDataViewType.Instance, values.Select(v => (v ?? "").AsMemory()).ToArray());
    }

    /// <summary>Adds an image column (of unknown size unless <paramref name="height"/> and <paramref name="width"/> are given).</summary>
    public ArrayDataViewBuilder AddImageColumn(string name, IReadOnlyList<MLImage> images, int height = 0, int width = 0) =>
        AddColumn(name, new ImageDataViewType(height, width), images);

    /// <summary>Adds a vector column with one array per row (copied). <paramref name="dimensions"/> give a known
    /// size (every row must match); none (or 0) makes a variable-size column.</summary>
    public ArrayDataViewBuilder AddVectorColumn<T>(string name, IReadOnlyList<T[]> rows, params int[] dimensions)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var type = new VectorDataViewType(ItemType<T>(name), dimensions);
        return AddColumn(name, type, rows.Select((r, i) => new VBuffer<T>(r?.Length ?? throw new ArgumentException($"Column '{name}' row {i} is null.", nameof(rows)), r)).ToArray());
    }

    /// <summary>Adds a known-size vector column from one contiguous row-major block: row <c>i</c> is
    /// <c>block[i*size .. (i+1)*size)</c>, size being the product of <paramref name="dimensions"/>. The block is copied.</summary>
    public ArrayDataViewBuilder AddVectorColumn<T>(string name, ReadOnlySpan<T> block, params int[] dimensions)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var type = new VectorDataViewType(ItemType<T>(name), dimensions);
        if (!type.IsKnownSize) throw new ArgumentException($"Column '{name}': a block column needs known, positive dimensions.", nameof(dimensions));
        if (block.Length % type.Size != 0)
            throw new ArgumentException($"Column '{name}': the block has {block.Length} items, not a multiple of the vector size {type.Size}.", nameof(block));
        _columns.Add((name, new BlockStore<T>(type, block.ToArray())));
        return this;
    }

    /// <summary>The data view. Every column must have the same number of rows.</summary>
    public IDataView Build()
    {
        if (_columns.Count > 0)
        {
            var n = _columns[0].Store.RowCount;
            foreach (var (name, store) in _columns)
                if (store.RowCount != n)
                    throw new InvalidOperationException($"Column '{name}' has {store.RowCount} rows but column '{_columns[0].Name}' has {n}.");
        }
        return new ArrayDataView(_columns.Select(c => c.Name).ToArray(), _columns.Select(c => c.Store).ToArray());
    }

    private static PrimitiveDataViewType ItemType<T>(string name) =>
        (PrimitiveDataViewType?)NumberDataViewType.FromRawType(typeof(T))
        ?? (typeof(T) == typeof(bool) ? BooleanDataViewType.Instance
        : typeof(T) == typeof(ReadOnlyMemory<char>) ? TextDataViewType.Instance
        : throw new ArgumentException($"Column '{name}': vectors of {typeof(T).Name} are not supported."));

    internal abstract class ColumnStore(DataViewType type)
    {
        internal DataViewType Type { get; } = type;
        internal abstract int RowCount { get; }
        internal abstract ValueGetter<TValue> GetGetter<TValue>(Func<int> row);
    }

    private sealed class ValuesStore<T>(DataViewType type, T[] values) : ColumnStore(type)
    {
        internal override int RowCount => values.Length;
        internal override ValueGetter<TValue> GetGetter<TValue>(Func<int> row)
        {
            ValueGetter<T> g = (ref T dst) => DataValue<T>.Copy(in values[row()], ref dst);
            return (ValueGetter<TValue>)(object)g;
        }
    }

    private sealed class BlockStore<T>(VectorDataViewType type, T[] block) : ColumnStore(type)
    {
        private readonly int _size = type.Size;
        internal override int RowCount => block.Length / _size;
        internal override ValueGetter<TValue> GetGetter<TValue>(Func<int> row)
        {
            ValueGetter<VBuffer<T>> g = (ref VBuffer<T> dst) => VBuffer<T>.Copy(block, row() * _size, ref dst, _size);
            return (ValueGetter<TValue>)(object)g;
        }
    }
}

/// <summary>The view <see cref="ArrayDataViewBuilder"/> builds. Shuffles when given a <see cref="Random"/>.</summary>
internal sealed class ArrayDataView : IDataView
{
    private readonly ArrayDataViewBuilder.ColumnStore[] _stores;
    private readonly int _rowCount;

    internal ArrayDataView(string[] names, ArrayDataViewBuilder.ColumnStore[] stores)
    {
        _stores = stores;
        _rowCount = stores.Length == 0 ? 0 : stores[0].RowCount;
        var b = new DataViewSchema.Builder();
        for (int i = 0; i < names.Length; i++) b.AddColumn(names[i], stores[i].Type);
        Schema = b.ToSchema();
    }

    public bool CanShuffle => true;
    public DataViewSchema Schema { get; }
    public long? GetRowCount() => _rowCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        int[]? order = null;
        if (rand != null)
        {
            order = Enumerable.Range(0, _rowCount).ToArray();
            rand.Shuffle(order);
        }
        return new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet(), order);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(ArrayDataView view, HashSet<int> active, int[]? order) : CursorBase(view.Schema)
    {
        private int _row = -1;

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        protected override bool MoveNextCore()
        {
            long next = Position + 1;
            if (next >= view._rowCount) return false;
            _row = order == null ? (int)next : order[next];
            return true;
        }

        private int CurrentRow() => Position >= 0 ? _row : throw NotOnRow();

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)CurrentRow(), 0);

        protected override ValueGetter<TValue> GetGetterCore<TValue>(DataViewSchema.Column column) =>
            view._stores[column.Index].GetGetter<TValue>(CurrentRow);
    }
}

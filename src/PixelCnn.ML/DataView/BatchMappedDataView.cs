// The lazy view behind transformers that compute new columns for many rows at once (PixelCNN scoring and
// sampling: one forward pass per batch, not per row).
//
// How a cursor works: on the first MoveNext of a batch it reads up to BatchSize rows from the input cursor,
// copying into per-slot buffers (RowSlots) every input column it will need: the mapper's inputs and the input
// columns the caller asked for. It then calls IBatchMapper.MapBatch once with those rows, and the mapper writes the
// active output columns into output buffers. The next BatchSize-1 MoveNext calls only advance an index into those
// buffers. Input columns must be buffered because the input cursor is already BatchSize rows ahead. When the caller
// asks for no output column, the view is a plain pass-through and the mapper is never called.
namespace PixelCnn.ML.Data;

/// <summary>
/// Computes output columns for a batch of rows at a time; see <see cref="BatchMappedDataView"/>.
/// </summary>
/// <remarks>
/// <see cref="MapBatch"/> may be called from several cursors at once (each with its own input/output objects);
/// implementations that are not thread-safe (a native model, for instance) must serialize. For randomness that is
/// reproducible whatever the batching, derive it from <see cref="BatchMapperInput.FirstPosition"/> or the row ids.
/// </remarks>
public interface IBatchMapper
{
    /// <summary>The columns added after the input's, in order (a name equal to an input column's hides it).</summary>
    IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

    /// <summary>The input columns <see cref="MapBatch"/> reads (via <see cref="BatchMapperInput"/>).</summary>
    IReadOnlyList<string> InputColumnNames { get; }

    /// <summary>Fills every active output column (<see cref="BatchMapperOutput.IsActive"/>) for the
    /// <see cref="BatchMapperInput.Count"/> rows of <paramref name="input"/>.</summary>
    void MapBatch(BatchMapperInput input, BatchMapperOutput output);
}

/// <summary>
/// The input view's columns followed by an <see cref="IBatchMapper"/>'s output columns, computed lazily
/// <see cref="BatchSize"/> rows at a time. The last batch holds the remaining rows (it may be shorter).
/// </summary>
public sealed class BatchMappedDataView : IDataView
{
    /// <summary>The batch size when none is given.</summary>
    public const int DefaultBatchSize = 256;

    private readonly DataViewSchema.Column[] _mapperInputs;
    private readonly Dictionary<string, int> _outputIndex = new(StringComparer.Ordinal);

    /// <summary>The view of <paramref name="input"/> with <paramref name="mapper"/>'s columns, computed in batches of
    /// <paramref name="batchSize"/> rows. Throws naming the column when a mapper input is missing.</summary>
    public BatchMappedDataView(IDataView input, IBatchMapper mapper, int batchSize = DefaultBatchSize)
    {
        Input = input ?? throw new ArgumentNullException(nameof(input));
        Mapper = mapper ?? throw new ArgumentNullException(nameof(mapper));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"The batch size must be at least 1, got {batchSize}.");
        BatchSize = batchSize;
        _mapperInputs = mapper.InputColumnNames.Distinct().Select(n => SchemaErrors.Find(input.Schema, "input", n)).ToArray();
        for (int i = 0; i < mapper.OutputColumns.Count; i++)
        {
            var c = mapper.OutputColumns[i];
            if (!_outputIndex.TryAdd(c.Name, i)) throw new ArgumentException($"Output column '{c.Name}' is declared twice by the mapper.", nameof(mapper));
            OutputStore.Create(c, 0); // fails now, naming the column, when its type cannot be held
        }
        Schema = RowMappedDataView.AppendColumns(input.Schema, mapper.OutputColumns);
    }

    /// <summary>The view whose rows are mapped.</summary>
    public IDataView Input { get; }

    /// <summary>The mapper.</summary>
    public IBatchMapper Mapper { get; }

    /// <summary>The number of rows given to each <see cref="IBatchMapper.MapBatch"/> call (the last may have fewer).</summary>
    public int BatchSize { get; }

    public bool CanShuffle => Input.CanShuffle;
    public DataViewSchema Schema { get; }
    public long? GetRowCount() => Input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        int nIn = Input.Schema.Count;
        var needed = columnsNeeded.ToArray();
        var passThrough = needed.Where(c => c.Index < nIn).Select(c => Input.Schema[c.Index]).DistinctBy(c => c.Index).ToArray();
        var activeOut = needed.Where(c => c.Index >= nIn).Select(c => c.Index - nIn).ToHashSet();
        if (activeOut.Count == 0) return new SameRowsCursor(Input.GetRowCursor(passThrough, rand), Schema);
        var buffered = passThrough.Concat(_mapperInputs).DistinctBy(c => c.Index).ToArray();
        return new Cursor(this, Input.GetRowCursor(buffered, rand), buffered, passThrough, activeOut);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : CursorBase
    {
        private readonly BatchMappedDataView _view;
        private readonly DataViewRowCursor _input;
        private readonly RowSlots _slots;
        private readonly HashSet<int> _passThrough;
        private readonly OutputStore?[] _outputs;
        private readonly BatchMapperInput _batchIn;
        private readonly BatchMapperOutput _batchOut;
        private readonly Func<int> _slot;
        private int _index = -1;
        private int _count;

        public Cursor(BatchMappedDataView view, DataViewRowCursor input, DataViewSchema.Column[] buffered,
            DataViewSchema.Column[] passThrough, HashSet<int> activeOut) : base(view.Schema)
        {
            _view = view;
            _input = input;
            _slots = new RowSlots(input, buffered, view.BatchSize);
            _passThrough = passThrough.Select(c => c.Index).ToHashSet();
            var outputs = view.Mapper.OutputColumns;
            _outputs = new OutputStore?[outputs.Count];
            foreach (var i in activeOut) _outputs[i] = OutputStore.Create(outputs[i], view.BatchSize);
            _batchIn = new BatchMapperInput(input.Schema, _slots, view._mapperInputs);
            _batchOut = new BatchMapperOutput(_outputs, view._outputIndex);
            _slot = () => Position >= 0 ? _index : throw NotOnRow();
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => _slots.GetIdGetter(_slot);

        public override bool IsColumnActive(DataViewSchema.Column column)
        {
            int nIn = _input.Schema.Count;
            return column.Index < nIn ? _passThrough.Contains(column.Index) : column.Index - nIn < _outputs.Length && _outputs[column.Index - nIn] != null;
        }

        protected override ValueGetter<TValue> GetGetterCore<TValue>(DataViewSchema.Column column)
        {
            int nIn = _input.Schema.Count;
            return column.Index < nIn ? _slots.GetGetter<TValue>(column.Index, _slot) : _outputs[column.Index - nIn]!.GetGetter<TValue>(_slot);
        }

        protected override bool MoveNextCore()
        {
            if (_index + 1 < _count)
            {
                _index++;
                return true;
            }
            _count = 0;
            while (_count < _slots.Capacity && _input.MoveNext()) _slots.Fill(_count++);
            if (_count == 0) return false;
            _batchIn.Begin(_count, Position + 1);
            _batchOut.Begin(_count, Position + 1);
            _view.Mapper.MapBatch(_batchIn, _batchOut);
            _index = 0;
            return true;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _input.Dispose();
        }
    }
}

/// <summary>The input rows of one batch, as <see cref="IBatchMapper.MapBatch"/> sees them. Spans are valid until the
/// call returns; do not keep them.</summary>
public sealed class BatchMapperInput
{
    private readonly RowSlots _slots;
    private readonly Dictionary<string, DataViewSchema.Column> _readable;
    private readonly Dictionary<int, (Array Block, int Batch)> _blocks = [];
    private int _batch;

    internal BatchMapperInput(DataViewSchema schema, RowSlots slots, IEnumerable<DataViewSchema.Column> readable)
    {
        Schema = schema;
        _slots = slots;
        _readable = readable.ToDictionary(c => c.Name, StringComparer.Ordinal);
    }

    internal void Begin(int count, long firstPosition)
    {
        Count = count;
        FirstPosition = firstPosition;
        _batch++;
    }

    /// <summary>The input view's schema.</summary>
    public DataViewSchema Schema { get; }

    /// <summary>The number of rows in this batch (the batch size, or fewer for the last batch).</summary>
    public int Count { get; private set; }

    /// <summary>The cursor position of the batch's first row; row <c>i</c> of the batch is at <c>FirstPosition + i</c>.</summary>
    public long FirstPosition { get; private set; }

    /// <summary>The input's row ids, one per row.</summary>
    public ReadOnlySpan<DataViewRowId> RowIds => _slots.Ids[..Count];

    /// <summary>One value per row of column <paramref name="columnName"/> (one of the mapper's
    /// <see cref="IBatchMapper.InputColumnNames"/>); <typeparamref name="T"/> is the column's raw type.</summary>
    public ReadOnlySpan<T> GetValues<T>(string columnName)
    {
        var c = Column<T>(columnName, typeof(T) == Find(columnName).Type.RawType, "its raw type");
        return _slots.Values<T>(c.Index).AsSpan(0, Count);
    }

    /// <summary>
    /// The vectors of known-size vector column <paramref name="columnName"/> as one row-major block of
    /// <c>Count × Size</c> items of <typeparamref name="T"/> (the item raw type): ready to become a
    /// [Count, dims...] tensor. Throws naming the column and row if a row's vector has the wrong length.
    /// </summary>
    public ReadOnlySpan<T> GetVectorBlock<T>(string columnName)
    {
        var col = Find(columnName);
        var c = Column<T>(columnName, col.Type is VectorDataViewType { IsKnownSize: true } v0 && v0.ItemType.RawType == typeof(T),
            "the item raw type of a known-size vector column");
        int size = ((VectorDataViewType)c.Type).Size;
        if (!_blocks.TryGetValue(c.Index, out var entry) || entry.Batch != _batch)
        {
            var block = entry.Block as T[] ?? new T[_slots.Capacity * size];
            var rows = _slots.Values<VBuffer<T>>(c.Index);
            for (int i = 0; i < Count; i++)
            {
                if (rows[i].Length != size)
                    throw new InvalidOperationException($"Input column '{columnName}' ({c.Type}), row {FirstPosition + i}: the vector has {rows[i].Length} items, not {size}.");
                rows[i].CopyTo(block.AsSpan(i * size, size));
            }
            _blocks[c.Index] = entry = (block, _batch);
        }
        return ((T[])entry.Block).AsSpan(0, Count * size);
    }

    private DataViewSchema.Column Find(string name) =>
        _readable.TryGetValue(name, out var c) ? c
        : throw new ArgumentException($"Column '{name}' is not one of the mapper's input columns ({string.Join(", ", _readable.Keys)}).", nameof(name));

    private DataViewSchema.Column Column<T>(string name, bool ok, string what)
    {
        var c = Find(name);
        if (!ok) throw new InvalidOperationException($"Input column '{name}' is {c.Type}; {RawTypes.Name(typeof(T))} is not {what}.");
        return c;
    }
}

/// <summary>The output buffers of one batch, which <see cref="IBatchMapper.MapBatch"/> fills. They are cleared
/// before every batch; spans are valid until the call returns.</summary>
public sealed class BatchMapperOutput
{
    private readonly OutputStore?[] _stores;
    private readonly Dictionary<string, int> _index;

    internal BatchMapperOutput(OutputStore?[] stores, Dictionary<string, int> index)
    {
        _stores = stores;
        _index = index;
    }

    internal void Begin(int count, long firstPosition)
    {
        Count = count;
        FirstPosition = firstPosition;
        foreach (var s in _stores) s?.Clear(count);
    }

    /// <summary>The number of rows to fill.</summary>
    public int Count { get; private set; }

    /// <summary>The cursor position of the batch's first row.</summary>
    public long FirstPosition { get; private set; }

    /// <summary>Whether output <paramref name="columnName"/> was asked for; inactive outputs need not (and cannot) be written.</summary>
    public bool IsActive(string columnName) => _stores[Index(columnName)] != null;

    /// <summary>One writable value per row of output <paramref name="columnName"/>: for scalar, text, key, image and
    /// variable-size vector columns; <typeparamref name="T"/> is the column's raw type.</summary>
    public Span<T> GetValues<T>(string columnName) =>
        Store(columnName) is OutputStore.Values<T> s ? s.Items.AsSpan(0, Count) : throw Mismatch<T>(columnName, "GetValues");

    /// <summary>The writable row-major block of <c>Count × Size</c> items of known-size vector output
    /// <paramref name="columnName"/>; <typeparamref name="T"/> is its item raw type.</summary>
    public Span<T> GetVectorBlock<T>(string columnName) =>
        Store(columnName) is OutputStore.Block<T> s ? s.Items.AsSpan(0, Count * s.Size) : throw Mismatch<T>(columnName, "GetVectorBlock");

    private int Index(string name) =>
        _index.TryGetValue(name, out var i) ? i
        : throw new ArgumentException($"'{name}' is not an output column of the mapper ({string.Join(", ", _index.Keys)}).", nameof(name));

    private OutputStore Store(string name) =>
        _stores[Index(name)] ?? throw new InvalidOperationException($"Output column '{name}' is not active in this cursor: check IsActive before writing it.");

    private InvalidOperationException Mismatch<T>(string name, string method)
    {
        var type = Store(name).Column.Type;
        var use = type is VectorDataViewType { IsKnownSize: true } v ? $"GetVectorBlock<{RawTypes.Name(v.ItemType.RawType)}>" : $"GetValues<{RawTypes.Name(type.RawType)}>";
        return new InvalidOperationException($"Output column '{name}' is {type}: write it with {use}, not {method}<{RawTypes.Name(typeof(T))}>.");
    }
}

/// <summary>Per-batch storage of one output column: one value per row, or a row-major block for known-size vectors.</summary>
internal abstract class OutputStore(DataViewSchema.DetachedColumn column)
{
    internal DataViewSchema.DetachedColumn Column { get; } = column;
    internal abstract void Clear(int count);
    internal abstract ValueGetter<TValue> GetGetter<TValue>(Func<int> slot);

    internal static OutputStore Create(DataViewSchema.DetachedColumn column, int capacity)
    {
        try
        {
            return column.Type is VectorDataViewType { IsKnownSize: true } v
                ? (RawTypes.TryVisitPrimitive(v.ItemType.RawType, new BlockFactory(column, capacity, v.Size), out var b) ? b : throw new NotSupportedException())
                : RawTypes.Visit(column.Type, new ValuesFactory(column, capacity));
        }
        catch (NotSupportedException)
        {
            throw new NotSupportedException($"Output column '{column.Name}' has type {column.Type}, which a batch-mapped view cannot hold.");
        }
    }

    internal sealed class Values<T>(DataViewSchema.DetachedColumn column, int capacity) : OutputStore(column)
    {
        internal readonly T[] Items = new T[capacity];
        internal override void Clear(int count) => Array.Clear(Items, 0, count);
        internal override ValueGetter<TValue> GetGetter<TValue>(Func<int> slot)
        {
            ValueGetter<T> g = (ref T dst) => DataValue<T>.Copy(in Items[slot()], ref dst);
            return (ValueGetter<TValue>)(object)g;
        }
    }

    internal sealed class Block<T>(DataViewSchema.DetachedColumn column, int capacity, int size) : OutputStore(column)
    {
        internal readonly T[] Items = new T[capacity * size];
        internal int Size { get; } = size;
        internal override void Clear(int count) => Array.Clear(Items, 0, count * Size);
        internal override ValueGetter<TValue> GetGetter<TValue>(Func<int> slot)
        {
            ValueGetter<VBuffer<T>> g = (ref VBuffer<T> dst) => VBuffer<T>.Copy(Items, slot() * Size, ref dst, Size);
            return (ValueGetter<TValue>)(object)g;
        }
    }

    private sealed class ValuesFactory(DataViewSchema.DetachedColumn column, int capacity) : IRawTypeVisitor<OutputStore>
    {
        public OutputStore Visit<T>() => new Values<T>(column, capacity);
    }

    private sealed class BlockFactory(DataViewSchema.DetachedColumn column, int capacity, int size) : IRawTypeVisitor<OutputStore>
    {
        public OutputStore Visit<T>() => new Block<T>(column, capacity, size);
    }
}

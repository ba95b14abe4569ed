// Batching inside a transformer (PixelCNN scoring and sampling: one forward pass per batch, never one per row), on
// ML.NET's public data-view API. As ML.NET's internal BatchDataViewMapperBase does, a cursor of the mapped view runs
// two cursors over the input in step: a look-ahead cursor that reads only the mapper's input columns, a batch at a
// time, and a main cursor that serves every other column the caller asked for, row by row. The mapper computes its
// output columns once per batch; the main cursor then hands them out row by row. The same mapper serves
// PredictionEngine through BatchedRowMapper (a batch of one row).
using Microsoft.ML;
using Microsoft.ML.Data;

namespace PixelCnn.ML.Components;

/// <summary>Computes output columns for a batch of rows at a time.</summary>
/// <remarks>MapBatch may be called from several cursors at once, each with its own input and output objects;
/// implementations holding a native model serialise on it.</remarks>
internal interface IBatchMapper
{
    /// <summary>The columns added after the input's, in order (a name equal to an input column's hides it).</summary>
    IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

    /// <summary>The input columns MapBatch reads.</summary>
    IReadOnlyList<string> InputColumnNames { get; }

    /// <summary>Fills every active output column for the rows of <paramref name="input"/>.</summary>
    void MapBatch(BatchMapperInput input, BatchMapperOutput output);

    /// <summary>
    /// Output columns whose values the cursor owns, as ML.NET's own image getters do: each value is disposed when the next
    /// batch replaces it or the cursor is disposed (the decoded images of a loader, which would otherwise hold native
    /// memory until a garbage collection that native memory does not trigger).
    /// </summary>
    IReadOnlyCollection<string> CursorOwnedColumns => [];
}

/// <summary>The input rows of one batch. Spans are valid until MapBatch returns.</summary>
internal sealed class BatchMapperInput
{
    private readonly Dictionary<string, InputBuffer> _columns;

    internal BatchMapperInput(DataViewSchema schema, DataViewRow row, IEnumerable<DataViewSchema.Column> columns, int capacity)
    {
        Schema = schema;
        _columns = columns.ToDictionary(c => c.Name, c => InputBuffer.Create(row, c, capacity), StringComparer.Ordinal);
    }

    public DataViewSchema Schema { get; }
    public int Count { get; private set; }

    /// <summary>The cursor position of the batch's first row; row i is at FirstPosition + i.</summary>
    public long FirstPosition { get; private set; }

    internal void Clear(long firstPosition)
    {
        Count = 0;
        FirstPosition = firstPosition;
    }

    /// <summary>Reads the current row of the input into slot <see cref="Count"/>.</summary>
    internal void Append()
    {
        foreach (var c in _columns.Values) c.Read(Count);
        Count++;
    }

    /// <summary>One value per row of scalar column <paramref name="columnName"/>; T is the column's raw type.</summary>
    public ReadOnlySpan<T> GetValues<T>(string columnName) =>
        Find(columnName) is InputBuffer.Scalar<T> s ? s.Items.AsSpan(0, Count)
        : throw new InvalidOperationException($"Input column '{columnName}' is {Schema[columnName].Type}, not a column of {typeof(T).Name}.");

    /// <summary>
    /// The vectors of column <paramref name="columnName"/> (Vector&lt;Single&gt;) as one row-major block of Count x
    /// <paramref name="size"/> values. Throws naming the column and row when a row's vector has another length.
    /// </summary>
    public ReadOnlySpan<float> GetVectorBlock(string columnName, int size)
    {
        if (Find(columnName) is not InputBuffer.Vectors v)
            throw new InvalidOperationException($"Input column '{columnName}' is {Schema[columnName].Type}, not a vector of Single.");
        return v.Block(size, Count, FirstPosition);
    }

    private InputBuffer Find(string name) =>
        _columns.TryGetValue(name, out var c) ? c : throw new ArgumentException($"Column '{name}' is not one of the mapper's input columns.", nameof(name));
}

/// <summary>One input column's values for a batch, read row by row from a cursor (or a single row).</summary>
internal abstract class InputBuffer
{
    public abstract void Read(int slot);

    public static InputBuffer Create(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        if (column.Type is VectorDataViewType { ItemType: var item } && item == NumberDataViewType.Single)
            return new Vectors(row.GetGetter<VBuffer<float>>(column), column.Name, capacity);
        var raw = column.Type.RawType;
        return (InputBuffer)Activator.CreateInstance(typeof(Scalar<>).MakeGenericType(raw), row, column, capacity)!;
    }

    public sealed class Scalar<T>(DataViewRow row, DataViewSchema.Column column, int capacity) : InputBuffer
    {
        private readonly ValueGetter<T> _get = row.GetGetter<T>(column);
        public readonly T[] Items = new T[capacity];
        public override void Read(int slot) => _get(ref Items[slot]);
    }

    public sealed class Vectors(ValueGetter<VBuffer<float>> get, string name, int capacity) : InputBuffer
    {
        private readonly VBuffer<float>[] _rows = new VBuffer<float>[capacity];
        private float[] _block = [];

        public override void Read(int slot) => get(ref _rows[slot]);

        public ReadOnlySpan<float> Block(int size, int count, long firstPosition)
        {
            if (_block.Length < count * size) _block = new float[_rows.Length * size];
            for (int i = 0; i < count; i++)
            {
                if (_rows[i].Length != size)
                    throw new InvalidDataException($"Column '{name}' row {firstPosition + i}: the vector has {_rows[i].Length} values, the model needs {size}.");
                _rows[i].CopyTo(_block.AsSpan(i * size, size));
            }
            return _block.AsSpan(0, count * size);
        }
    }
}

/// <summary>The output buffers of one batch, which MapBatch fills.</summary>
internal sealed class BatchMapperOutput
{
    private readonly OutputBuffer?[] _buffers;
    private readonly Dictionary<string, int> _index;

    internal BatchMapperOutput(IReadOnlyList<DataViewSchema.DetachedColumn> columns, IEnumerable<int> active, int capacity,
                               IReadOnlyCollection<string>? owned = null)
    {
        _buffers = new OutputBuffer?[columns.Count];
        foreach (var i in active) _buffers[i] = OutputBuffer.Create(columns[i], capacity, owned?.Contains(columns[i].Name) == true);
        _index = columns.Select((c, i) => (c.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
    }

    public int Count { get; private set; }

    internal void Begin(int count)
    {
        Count = count;
        foreach (var b in _buffers) b?.Clear();
    }

    internal OutputBuffer? Buffer(int index) => _buffers[index];

    public bool IsActive(string columnName) => _buffers[_index[columnName]] is not null;

    /// <summary>One writable value per row of scalar output <paramref name="columnName"/>.</summary>
    public Span<T> GetValues<T>(string columnName) =>
        _buffers[_index[columnName]] is OutputBuffer.Values<T> v ? v.Items.AsSpan(0, Count)
        : throw new InvalidOperationException($"Output column '{columnName}' is not an active column of {typeof(T).Name}.");

    /// <summary>The writable row-major block of Count x Size values of vector output <paramref name="columnName"/>.</summary>
    public Span<float> GetVectorBlock(string columnName) =>
        _buffers[_index[columnName]] is OutputBuffer.Block b ? b.Items.AsSpan(0, Count * b.Size)
        : throw new InvalidOperationException($"Output column '{columnName}' is not an active vector column.");
}

internal abstract class OutputBuffer
{
    public abstract void Clear();
    public abstract Delegate Getter(Func<int> slot);

    public static OutputBuffer Create(DataViewSchema.DetachedColumn column, int capacity, bool owned = false) =>
        column.Type is VectorDataViewType { IsKnownSize: true, ItemType: var item, Size: var size } && item == NumberDataViewType.Single
            ? new Block(capacity, size)
            : (OutputBuffer)Activator.CreateInstance(typeof(Values<>).MakeGenericType(column.Type.RawType), capacity, owned)!;

    /// <summary>One value per row; with <paramref name="owned"/>, disposable values are disposed when cleared.</summary>
    public sealed class Values<T>(int capacity, bool owned) : OutputBuffer
    {
        public readonly T[] Items = new T[capacity];

        public override void Clear()
        {
            if (owned)
                foreach (var item in Items)
                    (item as IDisposable)?.Dispose();
            Array.Clear(Items);
        }

        public override Delegate Getter(Func<int> slot) => (ValueGetter<T>)((ref T dst) => dst = Items[slot()]);
    }

    public sealed class Block(int capacity, int size) : OutputBuffer
    {
        public readonly float[] Items = new float[capacity * size];
        public int Size { get; } = size;
        public override void Clear() => Array.Clear(Items);

        public override Delegate Getter(Func<int> slot) => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
        {
            var editor = VBufferEditor.Create(ref dst, Size);
            Items.AsSpan(slot() * Size, Size).CopyTo(editor.Values);
            dst = editor.Commit();
        });
    }
}

/// <summary>The input's columns followed by a mapper's output columns, computed lazily a batch of rows at a time.</summary>
internal sealed class BatchedDataView : IDataView
{
    /// <summary>The most rows an option may ask to map at once (ScoreBatchSize, SamplingBatchSize, ...).</summary>
    public const int MaxRowsPerBatch = 4096;

    /// <summary>Bytes of float values a batch's input and output blocks may take together; larger rows make smaller batches.</summary>
    public const long MaxBatchBytes = 256L << 20;

    /// <summary>The one rule for a batch-size option: 1..<see cref="MaxRowsPerBatch"/>; null when valid, else what is wrong.</summary>
    public static string? CheckRows(int rows) =>
        rows is >= 1 and <= MaxRowsPerBatch ? null : $"must be 1..{MaxRowsPerBatch:N0} rows, got {rows:N0}";

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="option"/> when <paramref name="rows"/> breaks <see cref="CheckRows"/>.</summary>
    public static int RequireRows(int rows, string option) =>
        CheckRows(rows) is { } problem ? throw new ArgumentOutOfRangeException(option, rows, $"{option} {problem}") : rows;

    /// <summary>
    /// <paramref name="rows"/> lowered so that a batch of images of <paramref name="values"/> floats each, in and out,
    /// stays within <see cref="MaxBatchBytes"/> (at least one row).
    /// </summary>
    public static int RowsWithinBudget(int rows, long values) =>
        (int)Math.Clamp(MaxBatchBytes / Math.Max(1, 2 * 4 * values), 1, Math.Max(1, rows));

    private readonly IDataView _input;
    private readonly IBatchMapper _mapper;
    private readonly int _batchSize;
    private readonly DataViewSchema.Column[] _mapperInputs;

    public BatchedDataView(IDataView input, IBatchMapper mapper, int batchSize)
    {
        _input = input;
        _mapper = mapper;
        _batchSize = batchSize;
        _mapperInputs = mapper.InputColumnNames.Distinct().Select(n => input.Schema[n]).ToArray();
        Schema = AppendColumns(input.Schema, mapper.OutputColumns);
    }

    internal static DataViewSchema AppendColumns(DataViewSchema input, IEnumerable<DataViewSchema.DetachedColumn> outputs)
    {
        var b = new DataViewSchema.Builder();
        b.AddColumns(input);
        foreach (var c in outputs) b.AddColumn(c.Name, c.Type, c.Annotations);
        return b.ToSchema();
    }

    // The two input cursors must see the rows in the same order, so the view does not shuffle.
    public bool CanShuffle => false;
    public DataViewSchema Schema { get; }
    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        int nIn = _input.Schema.Count;
        var needed = columnsNeeded.ToArray();
        var passThrough = needed.Where(c => c.Index < nIn).Select(c => _input.Schema[c.Index]).ToArray();
        var activeOut = needed.Where(c => c.Index >= nIn).Select(c => c.Index - nIn).Distinct().ToArray();
        var main = _input.GetRowCursor(passThrough);
        if (activeOut.Length == 0) return new Cursor(this, main, null, null, null);
        var lookAhead = _input.GetRowCursor(_mapperInputs);
        var batchIn = new BatchMapperInput(_input.Schema, lookAhead, _mapperInputs, _batchSize);
        var batchOut = new BatchMapperOutput(_mapper.OutputColumns, activeOut, _batchSize, _mapper.CursorOwnedColumns);
        return new Cursor(this, main, lookAhead, batchIn, batchOut);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchedDataView _view;
        private readonly DataViewRowCursor _main;
        private readonly DataViewRowCursor? _lookAhead;
        private readonly BatchMapperInput? _in;
        private readonly BatchMapperOutput? _out;
        private long _position = -1;
        private int _slot = -1;
        private bool _disposed;

        public Cursor(BatchedDataView view, DataViewRowCursor main, DataViewRowCursor? lookAhead, BatchMapperInput? batchIn, BatchMapperOutput? batchOut)
        {
            (_view, _main, _lookAhead, _in, _out) = (view, main, lookAhead, batchIn, batchOut);
        }

        public override DataViewSchema Schema => _view.Schema;
        public override long Position => _position;
        public override long Batch => 0;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column)
        {
            int nIn = _view._input.Schema.Count;
            return column.Index < nIn ? _main.IsColumnActive(_view._input.Schema[column.Index]) : _out?.Buffer(column.Index - nIn) is not null;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int nIn = _view._input.Schema.Count;
            if (column.Index < nIn) return _main.GetGetter<TValue>(_view._input.Schema[column.Index]);
            var buffer = _out?.Buffer(column.Index - nIn) ?? throw new InvalidOperationException($"Column '{column.Name}' was not asked for when the cursor was made.");
            return buffer.Getter(() => _position >= 0 ? _slot : throw new InvalidOperationException("The cursor is not on a row.")) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}.");
        }

        public override bool MoveNext()
        {
            if (_disposed || !_main.MoveNext()) return false;
            _position++;
            if (_in is null) return true;
            if (++_slot >= _in.Count)
            {
                _in.Clear(_position);
                while (_in.Count < _view._batchSize && _lookAhead!.MoveNext()) _in.Append();
                if (_in.Count == 0) throw new InvalidOperationException("The input ended early for the batch cursor: it returned fewer rows on a second pass.");
                _out!.Begin(_in.Count);
                _view._mapper.MapBatch(_in, _out);
                _slot = 0;
            }
            return true;
        }

        protected override void Dispose(bool disposing)
        {
            if (_disposed) return;
            _disposed = true;
            if (disposing)
            {
                _main.Dispose();
                _lookAhead?.Dispose();
                _out?.Begin(0); // the last batch's cursor-owned values
            }
            base.Dispose(disposing);
        }
    }
}

/// <summary>The mapper on one row at a time, for PredictionEngine and chains of row-to-row mappers.</summary>
internal sealed class BatchedRowMapper : IRowToRowMapper
{
    private readonly IBatchMapper _mapper;
    private readonly DataViewSchema.Column[] _mapperInputs;

    public BatchedRowMapper(DataViewSchema inputSchema, IBatchMapper mapper)
    {
        InputSchema = inputSchema;
        _mapper = mapper;
        _mapperInputs = mapper.InputColumnNames.Distinct().Select(n => inputSchema[n]).ToArray();
        OutputSchema = BatchedDataView.AppendColumns(inputSchema, mapper.OutputColumns);
    }

    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        int nIn = InputSchema.Count;
        var cols = dependingColumns.ToArray();
        var result = cols.Where(c => c.Index < nIn).Select(c => InputSchema[c.Index]).ToList();
        if (cols.Any(c => c.Index >= nIn)) result.AddRange(_mapperInputs);
        return result.DistinctBy(c => c.Index).ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        int nIn = InputSchema.Count;
        var active = activeColumns.Where(c => c.Index >= nIn).Select(c => c.Index - nIn).Distinct().ToArray();
        return new Row(this, input, active);
    }

    private sealed class Row : DataViewRow
    {
        private readonly BatchedRowMapper _owner;
        private readonly DataViewRow _input;
        private readonly BatchMapperInput? _in;
        private readonly BatchMapperOutput? _out;
        private long _computedAt = -1;

        public Row(BatchedRowMapper owner, DataViewRow input, int[] activeOutputs)
        {
            (_owner, _input) = (owner, input);
            if (activeOutputs.Length == 0) return;
            _in = new BatchMapperInput(owner.InputSchema, input, owner._mapperInputs, 1);
            _out = new BatchMapperOutput(owner._mapper.OutputColumns, activeOutputs, 1, owner._mapper.CursorOwnedColumns);
        }

        public override DataViewSchema Schema => _owner.OutputSchema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column)
        {
            int nIn = _owner.InputSchema.Count;
            return column.Index < nIn ? _input.IsColumnActive(_owner.InputSchema[column.Index]) : _out?.Buffer(column.Index - nIn) is not null;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int nIn = _owner.InputSchema.Count;
            if (column.Index < nIn) return _input.GetGetter<TValue>(_owner.InputSchema[column.Index]);
            var buffer = _out?.Buffer(column.Index - nIn) ?? throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            var inner = buffer.Getter(() => 0) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}.");
            return (ref TValue dst) =>
            {
                Compute();
                inner(ref dst);
            };
        }

        private void Compute()
        {
            if (_computedAt == _input.Position && _input.Position >= 0) return;
            _in!.Clear(Math.Max(_input.Position, 0));
            _in.Append();
            _out!.Begin(1);
            _owner._mapper.MapBatch(_in, _out);
            _computedAt = _input.Position;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _out?.Begin(0); // the row's cursor-owned values
            base.Dispose(disposing);
        }
    }
}

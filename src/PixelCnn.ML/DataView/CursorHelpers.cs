// Building blocks shared by the data views of this folder: the position bookkeeping of every cursor, a cursor
// that passes an input cursor's columns through (under the same or an extended schema) while a subclass decides
// how it moves, and RowSlots, which copies rows of a cursor into reusable typed buffers so they can be served
// later (batches, shuffle pools).
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

/// <summary>
/// Bookkeeping shared by every cursor of this library: <see cref="Position"/> is -1 before the first row and after the
/// last, and 0, 1, 2, ... in between; getters are checked (column of this schema, active, right type) before
/// <see cref="GetGetterCore{TValue}"/> is asked for them.
/// </summary>
internal abstract class CursorBase(DataViewSchema schema) : DataViewRowCursor
{
    private long _position = -1;
    private bool _done;

    public sealed override DataViewSchema Schema => schema;
    public sealed override long Position => _position;
    public override long Batch => 0;

    public sealed override bool MoveNext()
    {
        if (_done) return false;
        if (MoveNextCore())
        {
            _position++;
            return true;
        }
        _done = true;
        _position = -1;
        return false;
    }

    /// <summary>Moves to the next row; false when there is none. <see cref="Position"/> still holds the previous row's.</summary>
    protected abstract bool MoveNextCore();

    public sealed override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        SchemaErrors.CheckGetter<TValue>(schema, column, IsColumnActive(column));
        return GetGetterCore<TValue>(column);
    }

    /// <summary>The getter of a checked, active column.</summary>
    protected abstract ValueGetter<TValue> GetGetterCore<TValue>(DataViewSchema.Column column);

    /// <summary>The error of a getter called while the cursor is not on a row.</summary>
    protected static InvalidOperationException NotOnRow() => new("The cursor is not on a row: call MoveNext first.");
}

/// <summary>
/// Serves an input cursor's columns as the first columns of its schema (which may add more after them);
/// subclasses decide which input rows become rows of this cursor.
/// </summary>
internal abstract class PassThroughCursor(DataViewRowCursor input, DataViewSchema schema) : CursorBase(schema)
{
    protected readonly DataViewRowCursor Input = input;

    public override ValueGetter<DataViewRowId> GetIdGetter() => Input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        column.Index < Input.Schema.Count && Input.IsColumnActive(Input.Schema[column.Index]);

    protected override ValueGetter<TValue> GetGetterCore<TValue>(DataViewSchema.Column column) =>
        Input.GetGetter<TValue>(Input.Schema[column.Index]);

    protected override void Dispose(bool disposing)
    {
        if (disposing) Input.Dispose();
    }
}

/// <summary>A pass-through cursor that returns every input row.</summary>
internal sealed class SameRowsCursor(DataViewRowCursor input, DataViewSchema schema) : PassThroughCursor(input, schema)
{
    protected override bool MoveNextCore() => Input.MoveNext();
}

/// <summary>Copies rows of a cursor into numbered slots of typed buffers and serves them back through getters.</summary>
internal sealed class RowSlots
{
    private readonly SlotColumn?[] _columns;
    private readonly DataViewRowId[] _ids;
    private readonly ValueGetter<DataViewRowId> _idGetter;

    /// <summary>Buffers for <paramref name="capacity"/> rows of the active <paramref name="columns"/> of <paramref name="input"/>.</summary>
    internal RowSlots(DataViewRowCursor input, IEnumerable<DataViewSchema.Column> columns, int capacity)
    {
        _columns = new SlotColumn?[input.Schema.Count];
        foreach (var c in columns)
            _columns[c.Index] ??= RawTypes.Visit(c.Type, new SlotColumnFactory(input, c, capacity));
        _ids = new DataViewRowId[capacity];
        _idGetter = input.GetIdGetter();
    }

    internal int Capacity => _ids.Length;

    /// <summary>Copies the input's current row into <paramref name="slot"/>.</summary>
    internal void Fill(int slot)
    {
        foreach (var c in _columns) c?.Fill(slot);
        _idGetter(ref _ids[slot]);
    }

    internal bool Holds(int columnIndex) => columnIndex < _columns.Length && _columns[columnIndex] != null;

    /// <summary>A getter of column <paramref name="columnIndex"/> at the slot <paramref name="currentSlot"/> returns.</summary>
    internal ValueGetter<TValue> GetGetter<TValue>(int columnIndex, Func<int> currentSlot)
    {
        var values = Values<TValue>(columnIndex);
        return (ref TValue dst) => DataValue<TValue>.Copy(in values[currentSlot()], ref dst);
    }

    internal ValueGetter<DataViewRowId> GetIdGetter(Func<int> currentSlot) => (ref DataViewRowId dst) => dst = _ids[currentSlot()];

    /// <summary>The buffer of column <paramref name="columnIndex"/>: one value per slot.</summary>
    internal TValue[] Values<TValue>(int columnIndex) =>
        (_columns[columnIndex] as SlotColumn<TValue>
         ?? throw new InvalidOperationException($"Column {columnIndex} is not buffered as {RawTypes.Name(typeof(TValue))}.")).Values;

    internal ReadOnlySpan<DataViewRowId> Ids => _ids;

    private abstract class SlotColumn
    {
        internal abstract void Fill(int slot);
    }

    private sealed class SlotColumn<T>(ValueGetter<T> getter, int capacity) : SlotColumn
    {
        internal readonly T[] Values = new T[capacity];
        internal override void Fill(int slot) => getter(ref Values[slot]);
    }

    private sealed class SlotColumnFactory(DataViewRowCursor input, DataViewSchema.Column column, int capacity) : IRawTypeVisitor<SlotColumn>
    {
        public SlotColumn Visit<T>() => new SlotColumn<T>(input.GetGetter<T>(column), capacity);
    }
}

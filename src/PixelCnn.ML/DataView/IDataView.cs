// The cursor-based data abstraction, mirroring Microsoft.ML.IDataView / DataViewRow / DataViewRowCursor.
// A data view is a lazy, re-iterable table: nothing is computed until a cursor is opened and moved, and only the
// columns asked for ("active" columns) are computed.
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

/// <summary>A lazy, re-iterable table with a schema; the input and output of every transform.</summary>
public interface IDataView
{
    /// <summary>Whether <see cref="GetRowCursor"/> honours a <see cref="Random"/> by shuffling rows.</summary>
    bool CanShuffle { get; }

    /// <summary>The number of rows when known cheaply (O(1)), else null.</summary>
    long? GetRowCount();

    /// <summary>The columns.</summary>
    DataViewSchema Schema { get; }

    /// <summary>
    /// A cursor over the rows, computing only <paramref name="columnsNeeded"/>; getters of other columns throw.
    /// A view that can shuffle returns its rows in an order drawn from <paramref name="rand"/> when given.
    /// </summary>
    DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null);

    /// <summary>
    /// Cursors that together return every row exactly once, for parallel consumers; <paramref name="n"/> is only a
    /// suggestion and views in this library return a single cursor.
    /// </summary>
    DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null);
}

/// <summary>Reads a value into <paramref name="value"/>, reusing its buffers when it holds any.</summary>
public delegate void ValueGetter<TValue>(ref TValue value);

/// <summary>A row of data: the current row of a cursor, or a stand-alone row.</summary>
public abstract class DataViewRow : IDisposable
{
    /// <summary>The 0-based position of the row in this cursor's sequence; -1 before the first and after the last row.</summary>
    public abstract long Position { get; }

    /// <summary>Batch number, for reconciling cursor sets; 0 for the single cursors of this library.</summary>
    public abstract long Batch { get; }

    /// <summary>The row's columns (the same as the data view's).</summary>
    public abstract DataViewSchema Schema { get; }

    /// <summary>A getter for an identifier of the current row, stable across cursorings of one view.</summary>
    public abstract ValueGetter<DataViewRowId> GetIdGetter();

    /// <summary>Whether <paramref name="column"/> was asked for when the cursor was opened.</summary>
    public abstract bool IsColumnActive(DataViewSchema.Column column);

    /// <summary>
    /// A getter for <paramref name="column"/>. Throws when the column is not active or when
    /// <typeparamref name="TValue"/> is not the column type's raw type; the message names the column.
    /// </summary>
    public abstract ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the row holds (e.g. the input cursor of a derived view).</summary>
    protected virtual void Dispose(bool disposing) { }
}

/// <summary>A row that moves through the rows of a data view.</summary>
public abstract class DataViewRowCursor : DataViewRow
{
    /// <summary>Moves to the next row; false when there is none.</summary>
    public abstract bool MoveNext();
}

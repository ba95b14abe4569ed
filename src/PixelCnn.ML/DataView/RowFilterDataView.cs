// Views that keep a subset of their input's rows, lazily and in order: TakeRows, SkipRows, FilterRowsByColumn and
// the two halves of TrainTestSplit. One cursor class serves them all; each view supplies a per-cursor decision
// function that looks at the input row and says keep, skip or stop.
namespace PixelCnn.ML.Data;

internal enum RowDecision
{
    Keep,
    Skip,
    Stop,
}

internal sealed class RowFilterDataView : IDataView
{
    private readonly IDataView _input;
    private readonly DataViewSchema.Column[] _extraColumns;
    private readonly Func<DataViewRowCursor, Func<RowDecision>> _createDecider;
    private readonly Func<long?, long?> _rowCount;
    private readonly bool _canShuffle;

    /// <param name="input">The view whose rows are filtered.</param>
    /// <param name="extraColumns">Input columns the decision reads (activated on the input cursor).</param>
    /// <param name="createDecider">Makes, for one input cursor, the function deciding the current row's fate.</param>
    /// <param name="rowCount">The row count from the input's, when it can be known without cursoring.</param>
    /// <param name="canShuffle">Whether the decision tolerates shuffled input (a position-based one does not).</param>
    internal RowFilterDataView(IDataView input, IEnumerable<DataViewSchema.Column> extraColumns,
        Func<DataViewRowCursor, Func<RowDecision>> createDecider, Func<long?, long?> rowCount, bool canShuffle)
    {
        _input = input;
        _extraColumns = extraColumns.ToArray();
        _createDecider = createDecider;
        _rowCount = rowCount;
        _canShuffle = canShuffle && input.CanShuffle;
    }

    /// <summary>Rows at positions <c>from ≤ p &lt; to</c> of the input.</summary>
    internal static RowFilterDataView Range(IDataView input, long from, long to) =>
        new(input, [], cursor => () => cursor.Position < from ? RowDecision.Skip : cursor.Position < to ? RowDecision.Keep : RowDecision.Stop,
            n => n is { } c ? Math.Max(0, Math.Min(c, to) - Math.Min(c, from)) : null, canShuffle: false);

    /// <summary>Rows whose input position <paramref name="keep"/> accepts.</summary>
    internal static RowFilterDataView ByPosition(IDataView input, Func<long, bool> keep, long? count) =>
        new(input, [], cursor => () => keep(cursor.Position) ? RowDecision.Keep : RowDecision.Skip, _ => count, canShuffle: false);

    public bool CanShuffle => _canShuffle;
    public DataViewSchema Schema => _input.Schema;
    public long? GetRowCount() => _rowCount(_input.GetRowCount());

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var input = _input.GetRowCursor(columnsNeeded.Concat(_extraColumns).DistinctBy(c => c.Index), _canShuffle ? rand : null);
        return new Cursor(input, _input.Schema, _createDecider(input));
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewRowCursor input, DataViewSchema schema, Func<RowDecision> decide) : PassThroughCursor(input, schema)
    {
        protected override bool MoveNextCore()
        {
            while (Input.MoveNext())
            {
                switch (decide())
                {
                    case RowDecision.Keep: return true;
                    case RowDecision.Stop: return false;
                }
            }
            return false;
        }
    }
}

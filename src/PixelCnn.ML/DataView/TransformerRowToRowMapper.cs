// A row-to-row mapper that works for any transformer whose output rows depend on one input row: it presents the
// input row as a one-row data view, transforms that view once, and re-opens a cursor on the transformed view
// each time the input row moves to a new position. Transformers implement GetRowToRowMapper with it.
namespace PixelCnn.ML.Data;

/// <summary>The <see cref="IRowToRowMapper"/> of a transformer, built from its <see cref="ITransformer.Transform"/>.</summary>
public sealed class TransformerRowToRowMapper : IRowToRowMapper
{
    private readonly ITransformer _transformer;

    /// <summary>A mapper of rows of <paramref name="inputSchema"/> through <paramref name="transformer"/>.</summary>
    public TransformerRowToRowMapper(ITransformer transformer, DataViewSchema inputSchema)
    {
        _transformer = transformer ?? throw new ArgumentNullException(nameof(transformer));
        InputSchema = inputSchema ?? throw new ArgumentNullException(nameof(inputSchema));
        OutputSchema = transformer.GetOutputSchema(inputSchema);
    }

    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }

    /// <summary>All input columns: a generic mapper cannot tell which ones a transformer reads.</summary>
    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) => InputSchema;

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(activeColumns);
        if (input.Schema.Count != InputSchema.Count)
            throw new ArgumentException($"The input row has {input.Schema.Count} columns; this mapper was made for {InputSchema.Count}.", nameof(input));
        var output = _transformer.Transform(new CurrentRowDataView(input));
        return new MappedRow(input, output, activeColumns.ToArray());
    }

    private sealed class MappedRow(DataViewRow input, IDataView output, DataViewSchema.Column[] active) : DataViewRow
    {
        private readonly HashSet<int> _active = active.Select(c => c.Index).ToHashSet();
        private DataViewRowCursor? _cursor;
        private long _cursorPosition = -2;

        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override DataViewSchema Schema => output.Schema;
        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        private DataViewRowCursor Current()
        {
            if (_cursor == null || _cursorPosition != input.Position)
            {
                _cursor?.Dispose();
                _cursor = output.GetRowCursor(active);
                if (!_cursor.MoveNext()) throw new InvalidOperationException("The transformer returned no row for the input row.");
                _cursorPosition = input.Position;
            }
            return _cursor;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            SchemaErrors.CheckGetter<TValue>(Schema, column, IsColumnActive(column));
            DataViewRowCursor? from = null;
            ValueGetter<TValue>? getter = null;
            return (ref TValue value) =>
            {
                var c = Current();
                if (!ReferenceEquals(c, from))
                {
                    getter = c.GetGetter<TValue>(c.Schema[column.Index]);
                    from = c;
                }
                getter!(ref value);
            };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _cursor?.Dispose();
        }
    }
}

/// <summary>A one-row data view over whatever row <paramref name="row"/> currently holds.</summary>
internal sealed class CurrentRowDataView(DataViewRow row) : IDataView
{
    public bool CanShuffle => false;
    public DataViewSchema Schema => row.Schema;
    public long? GetRowCount() => 1;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(row);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewRow row) : CursorBase(row.Schema)
    {
        private bool _moved;

        public override bool IsColumnActive(DataViewSchema.Column column) => row.IsColumnActive(column);
        public override ValueGetter<DataViewRowId> GetIdGetter() => row.GetIdGetter();
        protected override ValueGetter<TValue> GetGetterCore<TValue>(DataViewSchema.Column column) => row.GetGetter<TValue>(column);

        protected override bool MoveNextCore()
        {
            if (_moved) return false;
            _moved = true;
            return true;
        }
    }
}

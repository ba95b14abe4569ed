// A data view with a schema and no rows: lets a batch-mapped transformer compute its output schema
// (GetOutputSchema) by building its view over nothing.
namespace PixelCnn.ML.Data;

internal sealed class EmptyDataView(DataViewSchema schema) : IDataView
{
    public bool CanShuffle => true;
    public DataViewSchema Schema => schema;
    public long? GetRowCount() => 0;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(schema, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewSchema schema, HashSet<int> active) : CursorBase(schema)
    {
        protected override bool MoveNextCore() => false;
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId _) => throw NotOnRow();
        protected override ValueGetter<TValue> GetGetterCore<TValue>(DataViewSchema.Column column) => (ref TValue _) => throw NotOnRow();
    }
}

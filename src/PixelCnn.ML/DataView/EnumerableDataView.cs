// The data view over a sequence of user objects (LoadFromEnumerable, prediction input). Streaming: each cursor
// enumerates the source afresh, and only when first moved, so a lazy source is never read before it is needed and
// a changed source is seen by the next cursor.
using System.Diagnostics.CodeAnalysis;

namespace PixelCnn.ML.Data;

internal sealed class EnumerableDataView<[DynamicallyAccessedMembers(SchemaDefinition.MemberTypes)] TRow> : IDataView
    where TRow : class
{
    private readonly IEnumerable<TRow> _source;
    private readonly PocoMapping<TRow> _mapping;

    internal EnumerableDataView(IEnumerable<TRow> source, SchemaDefinition? definition)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _mapping = PocoMapping<TRow>.Create(definition, SchemaDefinition.Direction.Read);
        Schema = _mapping.ToSchema();
    }

    public bool CanShuffle => false;
    public DataViewSchema Schema { get; }

    /// <summary>The count of a collection source; null for other sequences (counting them would enumerate them).</summary>
    public long? GetRowCount() => _source switch
    {
        ICollection<TRow> c => c.Count,
        IReadOnlyCollection<TRow> r => r.Count,
        _ => null,
    };

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        return new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(EnumerableDataView<TRow> view, HashSet<int> active) : CursorBase(view.Schema)
    {
        private IEnumerator<TRow>? _enumerator;
        private TRow? _current;

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        protected override bool MoveNextCore()
        {
            _enumerator ??= view._source.GetEnumerator();
            if (!_enumerator.MoveNext())
            {
                _current = null;
                return false;
            }
            _current = _enumerator.Current ?? throw new InvalidOperationException($"Row {Position + 1} of the {typeof(TRow).Name} sequence is null.");
            return true;
        }

        private TRow Current() => Position >= 0 ? _current! : throw NotOnRow();

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)(Position >= 0 ? Position : throw NotOnRow()), 0);

        protected override ValueGetter<TValue> GetGetterCore<TValue>(DataViewSchema.Column column) =>
            (ValueGetter<TValue>)view._mapping.Members[column.Index].MakeGetter(Current, () => Position);

        protected override void Dispose(bool disposing)
        {
            if (disposing) _enumerator?.Dispose();
        }
    }
}

// ShuffleRows: a streaming shuffle through a pool of rows, as ML.NET's RowShufflingTransformer. The pool holds up to
// poolSize rows; each step emits a row drawn at random from the pool and refills its slot from the input. With a
// pool at least as large as the data this is a uniform shuffle; smaller pools trade randomness for memory. The
// order is a pure function of the seed (and of the input order), so a view shuffled with a seed is reproducible.
namespace PixelCnn.ML.Data;

internal sealed class ShuffledDataView(IDataView input, int seed, int poolSize, bool shuffleSource) : IDataView
{
    public bool CanShuffle => true;
    public DataViewSchema Schema => input.Schema;
    public long? GetRowCount() => input.GetRowCount();

    /// <summary>A cursor in this view's seeded order; a <paramref name="rand"/>, when given, replaces the seed.</summary>
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var columns = columnsNeeded.DistinctBy(c => c.Index).ToArray();
        var r = rand ?? new Random(seed);
        var source = input.GetRowCursor(columns, shuffleSource && input.CanShuffle ? new Random(r.Next()) : null);
        return new Cursor(source, columns, poolSize, r);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : CursorBase
    {
        private readonly DataViewRowCursor _input;
        private readonly RowSlots _slots;
        private readonly Random _rand;
        private readonly List<int> _pool = [];
        private readonly Func<int> _currentSlot;
        private int _current = -1;
        private bool _inputDone;

        public Cursor(DataViewRowCursor input, DataViewSchema.Column[] columns, int poolSize, Random rand) : base(input.Schema)
        {
            _input = input;
            _rand = rand;
            _slots = new RowSlots(input, columns, poolSize);
            _currentSlot = () => Position >= 0 ? _current : throw NotOnRow();
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => _slots.Holds(column.Index);
        public override ValueGetter<DataViewRowId> GetIdGetter() => _slots.GetIdGetter(_currentSlot);

        protected override ValueGetter<TValue> GetGetterCore<TValue>(DataViewSchema.Column column) =>
            _slots.GetGetter<TValue>(column.Index, _currentSlot);

        protected override bool MoveNextCore()
        {
            // The slot emitted last is free again: refill it, or fill the pool on the first call.
            if (_current >= 0) Refill(_current);
            else
                for (int s = 0; s < _slots.Capacity && !_inputDone; s++) Refill(s);
            if (_pool.Count == 0) return false;
            int pick = _rand.Next(_pool.Count);
            _current = _pool[pick];
            _pool[pick] = _pool[^1];
            _pool.RemoveAt(_pool.Count - 1);
            return true;
        }

        private void Refill(int slot)
        {
            if (_inputDone || !_input.MoveNext())
            {
                _inputDone = true;
                return;
            }
            _slots.Fill(slot);
            _pool.Add(slot);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _input.Dispose();
        }
    }
}

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

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly DataViewRowCursor _input;
        private readonly RowSlots _slots;
        private readonly Random _rand;
        private readonly List<int> _pool = [];
        private readonly Func<int> _currentSlot;
        private int _current = -1;
        private long _position = -1;
        private bool _inputDone;
        private bool _done;

        public Cursor(DataViewRowCursor input, DataViewSchema.Column[] columns, int poolSize, Random rand)
        {
            _input = input;
            _rand = rand;
            _slots = new RowSlots(input, columns, poolSize);
            _currentSlot = () => _current >= 0 ? _current : throw new InvalidOperationException("The cursor is not on a row: call MoveNext first.");
        }

        public override long Position => _position;
        public override long Batch => 0;
        public override DataViewSchema Schema => _input.Schema;
        public override bool IsColumnActive(DataViewSchema.Column column) => _slots.Holds(column.Index);
        public override ValueGetter<DataViewRowId> GetIdGetter() => _slots.GetIdGetter(_currentSlot);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            SchemaErrors.CheckGetter<TValue>(Schema, column, IsColumnActive(column));
            return _slots.GetGetter<TValue>(column.Index, _currentSlot);
        }

        public override bool MoveNext()
        {
            if (_done) return false;
            // The slot emitted last is free again: refill it, or fill the pool on the first call.
            if (_current >= 0)
            {
                if (!_inputDone && _input.MoveNext())
                {
                    _slots.Fill(_current);
                    _pool.Add(_current);
                }
                else _inputDone = true;
            }
            else
            {
                for (int s = 0; s < _slots.Capacity; s++)
                {
                    if (!_input.MoveNext())
                    {
                        _inputDone = true;
                        break;
                    }
                    _slots.Fill(s);
                    _pool.Add(s);
                }
            }
            if (_pool.Count == 0)
            {
                _done = true;
                _current = -1;
                _position = -1;
                return false;
            }
            int pick = _rand.Next(_pool.Count);
            _current = _pool[pick];
            _pool[pick] = _pool[^1];
            _pool.RemoveAt(_pool.Count - 1);
            _position++;
            return true;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _input.Dispose();
        }
    }
}

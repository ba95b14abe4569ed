// The lazy view of a transformer that adds columns computed from one input row at a time (CopyColumns,
// Concatenate, per-image operations). For work that should see many rows at once — model scoring — use
// BatchMappedDataView instead.
namespace PixelCnn.ML.Data;

/// <summary>Computes added columns from the current input row; used by <see cref="RowMappedDataView"/>.</summary>
public interface IRowMapper
{
    /// <summary>The columns added after the input's (a name equal to an input column's hides it).</summary>
    IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

    /// <summary>The input columns read to compute the outputs for which <paramref name="isOutputActive"/> (by index into
    /// <see cref="OutputColumns"/>) is true.</summary>
    IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive);

    /// <summary>A getter of output <paramref name="outputIndex"/> computed from <paramref name="input"/>'s current row;
    /// <typeparamref name="TValue"/> is that output's raw type (checked before the call).</summary>
    ValueGetter<TValue> GetGetter<TValue>(DataViewRow input, int outputIndex);
}

/// <summary>The input view's columns followed by a <see cref="IRowMapper"/>'s, computed lazily row by row.</summary>
public sealed class RowMappedDataView : IDataView
{
    private readonly IDataView _input;
    private readonly IRowMapper _mapper;

    /// <summary>The view of <paramref name="input"/> with <paramref name="mapper"/>'s columns added.</summary>
    public RowMappedDataView(IDataView input, IRowMapper mapper)
    {
        _input = input ?? throw new ArgumentNullException(nameof(input));
        _mapper = mapper ?? throw new ArgumentNullException(nameof(mapper));
        Schema = AppendColumns(input.Schema, mapper.OutputColumns);
    }

    /// <summary><paramref name="input"/>'s columns followed by <paramref name="added"/>.</summary>
    internal static DataViewSchema AppendColumns(DataViewSchema input, IEnumerable<DataViewSchema.DetachedColumn> added)
    {
        var b = new DataViewSchema.Builder();
        b.AddColumns(input);
        b.AddColumns(added);
        return b.ToSchema();
    }

    public bool CanShuffle => _input.CanShuffle;
    public DataViewSchema Schema { get; }
    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        int nIn = _input.Schema.Count;
        var needed = columnsNeeded.ToArray();
        var activeOut = needed.Where(c => c.Index >= nIn).Select(c => c.Index - nIn).ToHashSet();
        var inputColumns = needed.Where(c => c.Index < nIn).Select(c => _input.Schema[c.Index])
            .Concat(activeOut.Count == 0 ? [] : _mapper.GetDependencies(activeOut.Contains))
            .DistinctBy(c => c.Index);
        return new Cursor(_input.GetRowCursor(inputColumns, rand), this, activeOut);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewRowCursor input, RowMappedDataView view, HashSet<int> activeOut) : PassThroughCursor(input, view.Schema)
    {
        private readonly int _nIn = input.Schema.Count;

        protected override bool MoveNextCore() => Input.MoveNext();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index >= _nIn ? activeOut.Contains(column.Index - _nIn) : base.IsColumnActive(column);

        protected override ValueGetter<TValue> GetGetterCore<TValue>(DataViewSchema.Column column) =>
            column.Index < _nIn ? base.GetGetterCore<TValue>(column) : view._mapper.GetGetter<TValue>(Input, column.Index - _nIn);
    }
}

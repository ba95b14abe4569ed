namespace PixelCnn.ML.Data;

/// <summary>
/// Base of transformers that add columns computed from one input row at a time: a subclass supplies an
/// <see cref="IRowMapper"/> for a given input schema (whose constructor validates the input columns), and gets
/// <see cref="GetOutputSchema"/>, a lazy <see cref="Transform"/> and a row-to-row mapper from it.
/// </summary>
public abstract class RowToRowTransformerBase : ITransformer
{
    /// <summary>The mapper for input of <paramref name="inputSchema"/>; throws naming the column when the input does not fit.</summary>
    protected abstract IRowMapper MakeRowMapper(DataViewSchema inputSchema);

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return RowMappedDataView.AppendColumns(inputSchema, MakeRowMapper(inputSchema).OutputColumns);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new TransformerRowToRowMapper(this, inputSchema);

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new RowMappedDataView(input, MakeRowMapper(input.Schema));
    }
}

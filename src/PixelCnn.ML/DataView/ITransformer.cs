// The learning-pipeline contracts, mirroring Microsoft.ML's IEstimator / ITransformer / IRowToRowMapper.
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

/// <summary>
/// A fitted pipeline component: maps a data view to a data view, lazily. Transformers that hold native memory
/// (model weights) also implement <see cref="IDisposable"/>; a <see cref="TransformerChain{TLastTransformer}"/>
/// disposes its members.
/// </summary>
public interface ITransformer
{
    /// <summary>Whether <see cref="GetRowToRowMapper"/> is supported (each output row depends on one input row only).</summary>
    bool IsRowToRowMapper { get; }

    /// <summary>The schema <see cref="Transform"/> would produce for input of <paramref name="inputSchema"/>; throws
    /// naming the column and the expected and actual types when the input does not fit.</summary>
    DataViewSchema GetOutputSchema(DataViewSchema inputSchema);

    /// <summary>A mapper from single input rows to output rows (see <see cref="IRowToRowMapper"/>).</summary>
    IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema);

    /// <summary>The transformed data, computed lazily when cursored.</summary>
    IDataView Transform(IDataView input);
}

/// <summary>An untrained pipeline component: <see cref="Fit"/> learns from data and returns a transformer.</summary>
public interface IEstimator<out TTransformer>
    where TTransformer : ITransformer
{
    /// <summary>Trains on <paramref name="input"/>. Implementations check <see cref="GetOutputSchema"/> first, so a
    /// wrong column fails before any work.</summary>
    TTransformer Fit(IDataView input);

    /// <summary>The promised output shape for input of shape <paramref name="inputSchema"/>, without touching data;
    /// throws naming the column and the expected and actual types when the input does not fit.</summary>
    SchemaShape GetOutputSchema(SchemaShape inputSchema);
}

/// <summary>Maps one input row to one output row (as ML.NET's IRowToRowMapper).</summary>
public interface IRowToRowMapper
{
    /// <summary>The schema of the rows <see cref="GetRow"/> accepts.</summary>
    DataViewSchema InputSchema { get; }

    /// <summary>The schema of the rows <see cref="GetRow"/> returns.</summary>
    DataViewSchema OutputSchema { get; }

    /// <summary>The input columns needed to compute <paramref name="dependingColumns"/> of the output.</summary>
    IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns);

    /// <summary>An output row whose values follow <paramref name="input"/>'s current values (recomputed when its
    /// <see cref="DataViewRow.Position"/> changes).</summary>
    DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns);
}

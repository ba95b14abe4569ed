namespace PixelCnn.ML.Data;

/// <summary>
/// An estimator that needs no training: it wraps a transformer made up front, and <see cref="Fit"/> checks the input
/// schema and returns that transformer (as ML.NET's TrivialEstimator).
/// </summary>
public abstract class TrivialEstimator<TTransformer> : IEstimator<TTransformer>
    where TTransformer : class, ITransformer
{
    /// <summary>An estimator whose <see cref="Fit"/> returns <paramref name="transformer"/>.</summary>
    protected TrivialEstimator(TTransformer transformer) =>
        Transformer = transformer ?? throw new ArgumentNullException(nameof(transformer));

    /// <summary>The transformer <see cref="Fit"/> returns.</summary>
    protected TTransformer Transformer { get; }

    /// <summary>Checks <paramref name="input"/>'s schema (shape first, then the exact column types) and returns the
    /// transformer; no data is read.</summary>
    public TTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema));
        Transformer.GetOutputSchema(input.Schema);
        return Transformer;
    }

    public abstract SchemaShape GetOutputSchema(SchemaShape inputSchema);
}

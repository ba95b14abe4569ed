namespace PixelCnn.ML.Data;

/// <summary>
/// A sequence of estimators fitted in order into a <see cref="TransformerChain{TLastTransformer}"/> (as ML.NET's
/// EstimatorChain). <see cref="Fit"/> first propagates the schema shape through every estimator's
/// <see cref="IEstimator{TTransformer}.GetOutputSchema"/>, so a missing or mistyped column fails before any training.
/// </summary>
public sealed class EstimatorChain<TLastTransformer> : IEstimator<TransformerChain<TLastTransformer>>
    where TLastTransformer : class, ITransformer
{
    private readonly IEstimator<ITransformer>[] _estimators;
    private readonly TransformerScope[] _scopes;

    /// <summary>The last estimator (null for an empty chain).</summary>
    public readonly IEstimator<TLastTransformer>? LastEstimator;

    /// <summary>An empty chain; start it with <see cref="Append{TNewTrans}"/>.</summary>
    public EstimatorChain() : this([], []) { }

    private EstimatorChain(IEstimator<ITransformer>[] estimators, TransformerScope[] scopes)
    {
        _estimators = estimators;
        _scopes = scopes;
        LastEstimator = estimators.Length == 0 ? null : estimators[^1] as IEstimator<TLastTransformer>;
    }

    /// <summary>The estimators, in order.</summary>
    public IReadOnlyList<IEstimator<ITransformer>> Estimators => _estimators;

    /// <summary>A new chain with <paramref name="estimator"/> at the end.</summary>
    public EstimatorChain<TNewTrans> Append<TNewTrans>(IEstimator<TNewTrans> estimator, TransformerScope scope = TransformerScope.Everything)
        where TNewTrans : class, ITransformer
    {
        ArgumentNullException.ThrowIfNull(estimator);
        return new EstimatorChain<TNewTrans>([.. _estimators, estimator], [.. _scopes, scope]);
    }

    /// <summary>The shape after every estimator, checking each one's input on the way.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var s = inputSchema;
        foreach (var e in _estimators) s = e.GetOutputSchema(s);
        return s;
    }

    /// <summary>
    /// Checks the whole chain's schema, then fits each estimator on the output of the transformers fitted before it.
    /// If a fit fails, the transformers fitted so far are disposed before the exception propagates.
    /// </summary>
    public TransformerChain<TLastTransformer> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema));
        var fitted = new List<ITransformer>(_estimators.Length);
        try
        {
            var current = input;
            for (int i = 0; i < _estimators.Length; i++)
            {
                var t = _estimators[i].Fit(current);
                fitted.Add(t);
                if (i < _estimators.Length - 1) current = t.Transform(current);
            }
            return new TransformerChain<TLastTransformer>(fitted, _scopes);
        }
        catch
        {
            foreach (var t in fitted) (t as IDisposable)?.Dispose();
            throw;
        }
    }
}

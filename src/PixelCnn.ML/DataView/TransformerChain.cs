using System.Collections;

namespace PixelCnn.ML.Data;

/// <summary>Access to a chain's members, for saving.</summary>
internal interface ITransformerChainAccessor
{
    ITransformer[] Transformers { get; }
    TransformerScope[] Scopes { get; }
}

/// <summary>
/// A sequence of transformers applied in order, ending with a <typeparamref name="TLastTransformer"/> (as ML.NET's
/// TransformerChain). Disposing the chain disposes every member that is <see cref="IDisposable"/>.
/// </summary>
/// <remarks>
/// <see cref="Append{TNewLast}"/> and <see cref="GetModelFor"/> return chains that share members with this one; dispose
/// only the chain you keep (member transformers tolerate a second Dispose, but their use after it fails).
/// </remarks>
public sealed class TransformerChain<TLastTransformer> : ITransformer, IEnumerable<ITransformer>, IDisposable, ITransformerChainAccessor
    where TLastTransformer : class, ITransformer
{
    private readonly ITransformer[] _transformers;
    private readonly TransformerScope[] _scopes;
    private bool _disposed;

    /// <summary>The last member (null for an empty chain).</summary>
    public readonly TLastTransformer LastTransformer;

    /// <summary>A chain of <paramref name="transformers"/>, each applying in the matching scope.</summary>
    public TransformerChain(IEnumerable<ITransformer> transformers, IEnumerable<TransformerScope> scopes)
    {
        ArgumentNullException.ThrowIfNull(transformers);
        ArgumentNullException.ThrowIfNull(scopes);
        _transformers = transformers.ToArray();
        _scopes = scopes.ToArray();
        if (_transformers.Length != _scopes.Length)
            throw new ArgumentException($"{_transformers.Length} transformers but {_scopes.Length} scopes.", nameof(scopes));
        if (_transformers.Any(t => t == null)) throw new ArgumentException("A chain member is null.", nameof(transformers));
        LastTransformer = LastOf(_transformers);
    }

    /// <summary>A chain of <paramref name="transformers"/> applying in every scope.</summary>
    public TransformerChain(params ITransformer[] transformers)
        : this(transformers, transformers.Select(_ => TransformerScope.Everything)) { }

    private static TLastTransformer LastOf(ITransformer[] transformers)
    {
        if (transformers.Length == 0)
            return typeof(TLastTransformer) == typeof(ITransformer) ? null!
                : throw new ArgumentException($"An empty chain cannot end with a {typeof(TLastTransformer).Name}.");
        return transformers[^1] as TLastTransformer
            ?? throw new ArgumentException($"The last member is a {transformers[^1].GetType().Name}, not a {typeof(TLastTransformer).Name}.");
    }

    ITransformer[] ITransformerChainAccessor.Transformers => _transformers;
    TransformerScope[] ITransformerChainAccessor.Scopes => _scopes;

    /// <summary>True when every member is a row-to-row mapper.</summary>
    public bool IsRowToRowMapper => _transformers.All(t => t.IsRowToRowMapper);

    /// <summary>The schema after every member, checking each member's input on the way.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var s = inputSchema;
        foreach (var t in _transformers) s = t.GetOutputSchema(s);
        return s;
    }

    /// <summary>Applies every member in order (lazily).</summary>
    public IDataView Transform(IDataView input)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(input.Schema);
        var d = input;
        foreach (var t in _transformers) d = t.Transform(d);
        return d;
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new TransformerRowToRowMapper(this, inputSchema);

    /// <summary>The members whose scope includes <paramref name="scopeFilter"/> (shares the members with this chain).</summary>
    public TransformerChain<ITransformer> GetModelFor(TransformerScope scopeFilter)
    {
        var keep = Enumerable.Range(0, _transformers.Length).Where(i => (_scopes[i] & scopeFilter) != 0).ToArray();
        return new TransformerChain<ITransformer>(keep.Select(i => _transformers[i]), keep.Select(i => _scopes[i]));
    }

    /// <summary>A new chain with <paramref name="transformer"/> added at the end (sharing this chain's members).</summary>
    public TransformerChain<TNewLast> Append<TNewLast>(TNewLast transformer, TransformerScope scope = TransformerScope.Everything)
        where TNewLast : class, ITransformer
    {
        ArgumentNullException.ThrowIfNull(transformer);
        return new TransformerChain<TNewLast>(_transformers.Append(transformer), _scopes.Append(scope));
    }

    public IEnumerator<ITransformer> GetEnumerator() => ((IEnumerable<ITransformer>)_transformers).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every member that is <see cref="IDisposable"/>, last first; all are attempted even if one throws.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        List<Exception>? errors = null;
        for (int i = _transformers.Length - 1; i >= 0; i--)
        {
            try { (_transformers[i] as IDisposable)?.Dispose(); }
            catch (Exception e) { (errors ??= []).Add(e); }
        }
        if (errors != null) throw new AggregateException("Disposing a member of the transformer chain failed.", errors);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}

// PredictionEngine mirrors Microsoft.ML.PredictionEngine<TSrc, TDst>, with one deliberate difference: it is
// thread-safe. The transformer is applied once, at creation, to a one-row streaming view whose single row is the
// example being predicted; each Predict sets that example, opens a cursor on the transformed view, and copies the
// row into TDst. A lock serializes Predict calls, so sharing one engine between threads is correct (but not
// parallel).
using System.Diagnostics.CodeAnalysis;
using System.Collections;
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

/// <summary>
/// Runs a fitted model on one example at a time: <c>engine.Predict(input)</c>. Create it with
/// <see cref="ModelOperationsCatalog.CreatePredictionEngine{TSrc, TDst}"/>.
/// </summary>
/// <remarks>
/// <para><b>Thread safety:</b> unlike ML.NET's PredictionEngine (which must not be shared between threads), this one is
/// thread-safe: concurrent <see cref="Predict(TSrc)"/> calls are serialized by a lock, so they give correct results but
/// run one at a time. For throughput, score many rows at once with <see cref="ITransformer.Transform"/> (models score
/// in batches), or give each thread its own engine.</para>
/// <para>The engine does not own the transformer: disposing the engine leaves the model usable.</para>
/// </remarks>
public sealed class PredictionEngine<[DynamicallyAccessedMembers(SchemaDefinition.MemberTypes)] TSrc,
    [DynamicallyAccessedMembers(SchemaDefinition.MemberTypes | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TDst> : IDisposable
    where TSrc : class
    where TDst : class, new()
{
    private readonly Lock _gate = new();
    private readonly CurrentExample _example = new();
    private readonly IDataView _output;
    private readonly List<(MemberBinding<TDst> Member, DataViewSchema.Column Column)> _columns;
    private bool _disposed;

    internal PredictionEngine(ITransformer transformer, bool ignoreMissingColumns, SchemaDefinition? inputDefinition, SchemaDefinition? outputDefinition)
    {
        var input = new EnumerableDataView<TSrc>(_example, inputDefinition);
        _output = transformer.Transform(input);
        OutputSchema = _output.Schema;
        _columns = PocoMapping<TDst>.Create(outputDefinition, SchemaDefinition.Direction.Write).ResolveColumns(OutputSchema, ignoreMissingColumns);
    }

    /// <summary>The schema of the transformer's output.</summary>
    public DataViewSchema OutputSchema { get; }

    /// <summary>The prediction for <paramref name="example"/>, in a new <typeparamref name="TDst"/>.</summary>
    public TDst Predict(TSrc example)
    {
        var result = new TDst();
        Predict(example, ref result);
        return result;
    }

    /// <summary>The prediction for <paramref name="example"/>, written into <paramref name="prediction"/> (created when
    /// null; its arrays are reused when their sizes match).</summary>
    public void Predict(TSrc example, ref TDst prediction)
    {
        ArgumentNullException.ThrowIfNull(example);
        prediction ??= new TDst();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _example.Value = example;
            try
            {
                using var cursor = _output.GetRowCursor(_columns.Select(c => c.Column));
                if (!cursor.MoveNext()) throw new InvalidOperationException("The model returned no row for the example.");
                foreach (var (member, column) in _columns) member.MakeSetter(cursor, column, reuse: true)(prediction);
            }
            finally
            {
                _example.Value = null;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate) _disposed = true;
    }

    /// <summary>A one-item sequence of the example being predicted.</summary>
    private sealed class CurrentExample : IEnumerable<TSrc>
    {
        internal TSrc? Value;

        public IEnumerator<TSrc> GetEnumerator()
        {
            if (Value != null) yield return Value;
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

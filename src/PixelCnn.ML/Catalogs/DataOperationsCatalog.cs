// ml.Data: the data operations of Microsoft.ML's DataOperationsCatalog that this library needs. All of them are
// lazy: they return views that do their work when cursored (TrainTestSplit counts the rows once when the input
// cannot say how many it has).
using System.Diagnostics.CodeAnalysis;
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

/// <summary>Loading, converting, splitting, shuffling and filtering data.</summary>
public sealed class DataOperationsCatalog
{
    internal DataOperationsCatalog(MLContext context) => Context = context;

    internal MLContext Context { get; }

    /// <summary>
    /// A streaming data view over <paramref name="data"/>: one column per public field or property of
    /// <typeparamref name="TRow"/> (see <see cref="SchemaDefinition.Create"/> for the attributes and member types).
    /// The sequence is enumerated afresh by every cursor, and not at all before the first one moves.
    /// </summary>
    public IDataView LoadFromEnumerable<[DynamicallyAccessedMembers(SchemaDefinition.MemberTypes)] TRow>(
        IEnumerable<TRow> data, SchemaDefinition? schemaDefinition = null)
        where TRow : class
    {
        ArgumentNullException.ThrowIfNull(data);
        return new EnumerableDataView<TRow>(data, schemaDefinition);
    }

    /// <summary>
    /// The rows of <paramref name="data"/> as objects, read lazily: each public settable field or property of
    /// <typeparamref name="TRow"/> is filled from the column of the same name (or [ColumnName]). A missing column or a
    /// column of the wrong type fails at once, naming the column and both types — unless
    /// <paramref name="ignoreMissingColumns"/>, which leaves members without a column at their defaults.
    /// </summary>
    /// <param name="data">The data.</param>
    /// <param name="reuseRowObject">Return the same object for every row (and reuse its arrays when the sizes match).</param>
    /// <param name="ignoreMissingColumns">Skip members whose column does not exist.</param>
    /// <param name="schemaDefinition">Member-to-column mapping, if not the one derived from the attributes.</param>
    public IEnumerable<TRow> CreateEnumerable<[DynamicallyAccessedMembers(SchemaDefinition.MemberTypes | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TRow>(
        IDataView data, bool reuseRowObject, bool ignoreMissingColumns = false, SchemaDefinition? schemaDefinition = null)
        where TRow : class, new()
    {
        ArgumentNullException.ThrowIfNull(data);
        var columns = PocoMapping<TRow>.Create(schemaDefinition, SchemaDefinition.Direction.Write).ResolveColumns(data.Schema, ignoreMissingColumns);
        return Enumerate(data, columns, reuseRowObject);
    }

    private static IEnumerable<TRow> Enumerate<TRow>(IDataView data, List<(MemberBinding<TRow> Member, DataViewSchema.Column Column)> columns, bool reuse)
        where TRow : class, new()
    {
        using var cursor = data.GetRowCursor(columns.Select(c => c.Column));
        var setters = columns.Select(c => c.Member.MakeSetter(cursor, c.Column, reuse)).ToArray();
        TRow? row = null;
        while (cursor.MoveNext())
        {
            if (!reuse || row == null) row = new TRow();
            foreach (var set in setters) set(row);
            yield return row;
        }
    }

    /// <summary>The result of <see cref="TrainTestSplit"/>.</summary>
    public sealed class TrainTestData
    {
        internal TrainTestData(IDataView trainSet, IDataView testSet)
        {
            TrainSet = trainSet;
            TestSet = testSet;
        }

        /// <summary>The rows not chosen for testing, in their input order.</summary>
        public IDataView TrainSet { get; }

        /// <summary>The rows chosen for testing, in their input order.</summary>
        public IDataView TestSet { get; }
    }

    /// <summary>
    /// Splits <paramref name="data"/> into a train and a test set. Exactly round(<paramref name="testFraction"/> × rows)
    /// rows, chosen uniformly at random from <paramref name="seed"/> (or from the context's seed when null), go to the
    /// test set. The same seed gives the same split. The input must return its rows in the same order each time it is
    /// cursored.
    /// </summary>
    /// <remarks>Deviation from ML.NET: there is no samplingKeyColumnName (grouping rows that must stay together), and
    /// the split is exact rather than approximately <paramref name="testFraction"/>.</remarks>
    public TrainTestData TrainTestSplit(IDataView data, double testFraction = 0.1, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(testFraction >= 0 && testFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), $"testFraction must be between 0 and 1, got {testFraction}.");
        long n = data.GetRowCount() ?? CountRows(data);
        if (n > Array.MaxLength) throw new NotSupportedException($"TrainTestSplit supports up to {Array.MaxLength} rows; the data has {n}.");
        int nTest = (int)Math.Round(testFraction * n, MidpointRounding.AwayFromZero);
        var order = Enumerable.Range(0, (int)n).ToArray();
        new Random(seed ?? Context.Rand.Next()).Shuffle(order);
        var isTest = new bool[n];
        for (int i = 0; i < nTest; i++) isTest[order[i]] = true;
        return new TrainTestData(
            RowFilterDataView.ByPosition(data, p => p < n && !isTest[p], n - nTest),
            RowFilterDataView.ByPosition(data, p => p < n && isTest[p], nTest));
    }

    private static long CountRows(IDataView data)
    {
        using var cursor = data.GetRowCursor([]);
        long n = 0;
        while (cursor.MoveNext()) n++;
        return n;
    }

    /// <summary>The first <paramref name="count"/> rows of <paramref name="input"/> (lazily; the rest is not read).</summary>
    public IDataView TakeRows(IDataView input, long count)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return RowFilterDataView.Range(input, 0, count);
    }

    /// <summary>The rows of <paramref name="input"/> after the first <paramref name="count"/>.</summary>
    public IDataView SkipRows(IDataView input, long count)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return RowFilterDataView.Range(input, count, long.MaxValue);
    }

    /// <summary>
    /// The rows of <paramref name="input"/> in a random order drawn from <paramref name="seed"/> (or from the context's
    /// seed when null): a streaming shuffle through a pool of <paramref name="shufflePoolSize"/> rows, fully uniform when
    /// the pool holds all rows. The same seed gives the same order.
    /// </summary>
    /// <param name="input">The data.</param>
    /// <param name="seed">The seed of the order.</param>
    /// <param name="shufflePoolSize">Rows held in memory at once.</param>
    /// <param name="shuffleSource">Also ask the input for a shuffled cursor when it can shuffle.</param>
    public IDataView ShuffleRows(IDataView input, int? seed = null, int shufflePoolSize = 1000, bool shuffleSource = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(shufflePoolSize, 1);
        return new ShuffledDataView(input, seed ?? Context.Rand.Next(), shufflePoolSize, shuffleSource);
    }

    /// <summary>
    /// The rows whose numeric scalar column <paramref name="columnName"/> lies in
    /// [<paramref name="lowerBound"/>, <paramref name="upperBound"/>) — lower inclusive, upper exclusive, as in
    /// ML.NET. NaN values are dropped.
    /// </summary>
    public IDataView FilterRowsByColumn(IDataView input, string columnName, double lowerBound = double.NegativeInfinity, double upperBound = double.PositiveInfinity)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(lowerBound < upperBound))
            throw new ArgumentOutOfRangeException(nameof(upperBound), $"upperBound ({upperBound}) must be greater than lowerBound ({lowerBound}).");
        var column = SchemaErrors.Find(input.Schema, "input", columnName);
        if (column.Type is not NumberDataViewType)
            throw SchemaErrors.Mismatch("input", columnName, "a numeric scalar (Single, Double, Int32, ...)", column.Type.ToString()!);
        return new RowFilterDataView(input, [column], cursor =>
        {
            var read = NumberReader(cursor, column);
            return () => read() is var v && v >= lowerBound && v < upperBound ? RowDecision.Keep : RowDecision.Skip;
        }, _ => null, canShuffle: true);
    }

    private static Func<double> NumberReader(DataViewRow row, DataViewSchema.Column column)
    {
        Func<double> Of<T>(Func<T, double> toDouble)
        {
            var getter = row.GetGetter<T>(column);
            T value = default!;
            return () =>
            {
                getter(ref value);
                return toDouble(value);
            };
        }
        var t = column.Type.RawType;
        return t == typeof(float) ? Of<float>(v => v) : t == typeof(double) ? Of<double>(v => v)
            : t == typeof(byte) ? Of<byte>(v => v) : t == typeof(sbyte) ? Of<sbyte>(v => v)
            : t == typeof(short) ? Of<short>(v => v) : t == typeof(ushort) ? Of<ushort>(v => v)
            : t == typeof(int) ? Of<int>(v => v) : t == typeof(uint) ? Of<uint>(v => v)
            : t == typeof(long) ? Of<long>(v => v) : Of<ulong>(v => v);
    }
}

// Shared fixtures of the data-plane tests: row classes, a counting source, and a small savable batch-scoring
// transformer (the shape the PixelCNN scorer will have) registered with the model loader.
using System.Collections;
using System.Runtime.CompilerServices;
using PixelCnn.ML.Data;

namespace PixelCnn.ML.Tests.DataView;

public sealed class FeatureRow
{
    [VectorType(3)]
    public float[] Features = [];
    public float Weight;
}

/// <summary>An enumerable that counts how often it is enumerated.</summary>
public sealed class CountingSource<T>(IEnumerable<T> items) : IEnumerable<T>
{
    public int Enumerations { get; private set; }

    public IEnumerator<T> GetEnumerator()
    {
        Enumerations++;
        return items.GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Adds "Score" = Factor × sum(Features) for a known-size Single vector column, computed by a batch mapper. Saves its
/// factor as a binary entry "factor.bin" so model tests exercise entries.
/// </summary>
public sealed class SumScoreTransformer(string inputColumn, float factor, int batchSize = 4) : ITransformer, ISavableTransformer, IDisposable
{
    public const string Id = "Tests.SumScore";

    public string InputColumn { get; } = inputColumn;
    public float Factor { get; } = factor;
    public bool Disposed { get; private set; }
    public int MapBatchCalls { get; private set; }

    public bool IsRowToRowMapper => true;
    public string TypeId => Id;
    public int FormatVersion => 1;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        var b = new DataViewSchema.Builder();
        b.AddColumns(inputSchema);
        b.AddColumn("Score", NumberDataViewType.Single);
        return b.ToSchema();
    }

    private void CheckInput(DataViewSchema schema)
    {
        var c = schema.GetColumnOrNull(InputColumn) ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find input column '{InputColumn}'.");
        if (c.Type is not VectorDataViewType { ItemType: NumberDataViewType n, IsKnownSize: true } || n != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{InputColumn}': expected a known-size vector of Single, got {c.Type}.");
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new TransformerRowToRowMapper(this, inputSchema);

    public IDataView Transform(IDataView input)
    {
        CheckInput(input.Schema);
        return new BatchMappedDataView(input, new Mapper(this), batchSize);
    }

    public void Save(ModelSaveContext ctx)
    {
        ctx.Options["inputColumn"] = InputColumn;
        ctx.Options["batchSize"] = batchSize;
        using var s = ctx.CreateEntry("factor.bin");
        s.Write(BitConverter.GetBytes(Factor));
    }

    public static SumScoreTransformer Load(ModelLoadContext ctx)
    {
        ctx.CheckFormatVersion(1);
        using var s = ctx.OpenEntry("factor.bin");
        var bytes = new byte[4];
        s.ReadExactly(bytes);
        return new SumScoreTransformer(ctx.GetString("inputColumn"), BitConverter.ToSingle(bytes), ctx.GetInt32("batchSize"));
    }

    [ModuleInitializer]
    internal static void Register() => ModelLoaderRegistry.Register(Id, Load);

    public void Dispose() => Disposed = true;

    private sealed class Mapper(SumScoreTransformer owner) : IBatchMapper
    {
        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; } = [new("Score", NumberDataViewType.Single)];
        public IReadOnlyList<string> InputColumnNames { get; } = [owner.InputColumn];

        public void MapBatch(BatchMapperInput input, BatchMapperOutput output)
        {
            owner.MapBatchCalls++;
            var block = input.GetVectorBlock<float>(owner.InputColumn);
            int size = block.Length / input.Count;
            var scores = output.GetValues<float>("Score");
            for (int i = 0; i < input.Count; i++)
            {
                float sum = 0;
                foreach (var x in block.Slice(i * size, size)) sum += x;
                scores[i] = owner.Factor * sum;
            }
        }
    }
}

internal static class TestData
{
    /// <summary>n rows: Id = i (Int32), Features = [i, 2i, 3i].</summary>
    internal static IDataView Features(int n) => new ArrayDataViewBuilder()
        .AddColumn("Id", Enumerable.Range(0, n).ToArray())
        .AddVectorColumn<float>("Features", Enumerable.Range(0, n).SelectMany(i => new float[] { i, 2 * i, 3 * i }).ToArray(), 3)
        .Build();

    internal static int[] Ids(IDataView data) => data.GetColumn<int>("Id").ToArray();
}

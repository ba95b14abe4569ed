using PixelCnn.ML.Data;

namespace PixelCnn.ML.Tests.DataView;

[TestClass]
public class BatchMappedDataViewTests
{
    /// <summary>Adds Doubled = 2 × Id (Int32) and Triple = [Id, Id, Id] (Vector&lt;Single, 3&gt;); records its calls.</summary>
    private sealed class CountingMapper : IBatchMapper
    {
        public List<(long First, int Count)> Calls { get; } = [];
        public List<bool> TripleActive { get; } = [];

        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; } =
        [
            new("Doubled", NumberDataViewType.Int32),
            new("Triple", new VectorDataViewType(NumberDataViewType.Single, 3)),
        ];

        public IReadOnlyList<string> InputColumnNames { get; } = ["Id"];

        public void MapBatch(BatchMapperInput input, BatchMapperOutput output)
        {
            Calls.Add((input.FirstPosition, input.Count));
            TripleActive.Add(output.IsActive("Triple"));
            var ids = input.GetValues<int>("Id");
            if (output.IsActive("Doubled"))
            {
                var doubled = output.GetValues<int>("Doubled");
                for (int i = 0; i < input.Count; i++) doubled[i] = 2 * ids[i];
            }
            if (output.IsActive("Triple"))
            {
                var block = output.GetVectorBlock<float>("Triple");
                for (int i = 0; i < input.Count; i++) block.Slice(3 * i, 3).Fill(ids[i]);
            }
        }
    }

    [TestMethod]
    public void Mapper_is_called_once_per_batch_with_a_short_last_batch()
    {
        var mapper = new CountingMapper();
        var view = new BatchMappedDataView(TestData.Features(10), mapper, batchSize: 4);
        var doubled = view.GetColumn<int>("Doubled").ToArray();
        CollectionAssert.AreEqual(new[] { (0L, 4), (4L, 4), (8L, 2) }, mapper.Calls);
        CollectionAssert.AreEqual(Enumerable.Range(0, 10).Select(i => 2 * i).ToArray(), doubled);
    }

    [TestMethod]
    public void Output_and_pass_through_columns_stay_aligned_row_by_row()
    {
        var view = new BatchMappedDataView(TestData.Features(7), new CountingMapper(), batchSize: 3);
        using var cursor = view.GetRowCursor(view.Schema);
        var id = cursor.GetGetter<int>(view.Schema["Id"]);
        var features = cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]);
        var triple = cursor.GetGetter<VBuffer<float>>(view.Schema["Triple"]);
        int v = 0, rows = 0;
        VBuffer<float> f = default, t = default;
        while (cursor.MoveNext())
        {
            id(ref v);
            features(ref f);
            triple(ref t);
            Assert.AreEqual(rows, (int)cursor.Position);
            Assert.AreEqual(rows, v);
            CollectionAssert.AreEqual(new float[] { v, 2 * v, 3 * v }, f.GetValues().ToArray());
            CollectionAssert.AreEqual(new float[] { v, v, v }, t.GetValues().ToArray());
            rows++;
        }
        Assert.AreEqual(7, rows);
    }

    [TestMethod]
    public void Mapper_is_not_called_when_no_output_column_is_read()
    {
        var mapper = new CountingMapper();
        var view = new BatchMappedDataView(TestData.Features(5), mapper);
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4 }, TestData.Ids(view));
        Assert.AreEqual(0, mapper.Calls.Count);
    }

    [TestMethod]
    public void Inactive_outputs_are_reported_to_the_mapper()
    {
        var mapper = new CountingMapper();
        _ = new BatchMappedDataView(TestData.Features(5), mapper).GetColumn<int>("Doubled").ToArray();
        CollectionAssert.AreEqual(new[] { false }, mapper.TripleActive);
    }

    [TestMethod]
    public void Input_vectors_arrive_as_one_row_major_block()
    {
        var t = new SumScoreTransformer("Features", factor: 1, batchSize: 3);
        var scores = t.Transform(TestData.Features(5)).GetColumn<float>("Score").ToArray();
        CollectionAssert.AreEqual(new float[] { 0, 6, 12, 18, 24 }, scores);
        Assert.AreEqual(2, t.MapBatchCalls);
    }

    [TestMethod]
    public void Every_cursor_recomputes_lazily()
    {
        var mapper = new CountingMapper();
        var view = new BatchMappedDataView(TestData.Features(3), mapper, batchSize: 8);
        Assert.AreEqual(0, mapper.Calls.Count);
        _ = view.GetColumn<int>("Doubled").ToArray();
        _ = view.GetColumn<int>("Doubled").ToArray();
        Assert.AreEqual(2, mapper.Calls.Count);
    }

    [TestMethod]
    public void A_missing_mapper_input_column_is_named()
    {
        var data = new ArrayDataViewBuilder().AddColumn("Other", 1f).Build();
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => new BatchMappedDataView(data, new CountingMapper()));
        StringAssert.Contains(e.Message, "Could not find input column 'Id'");
    }

    private sealed class WrongWriter : IBatchMapper
    {
        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; } = [new("V", new VectorDataViewType(NumberDataViewType.Single, 2))];
        public IReadOnlyList<string> InputColumnNames { get; } = [];
        public void MapBatch(BatchMapperInput input, BatchMapperOutput output) => output.GetValues<float>("V");
    }

    [TestMethod]
    public void Writing_an_output_the_wrong_way_says_how_to_write_it()
    {
        var view = new BatchMappedDataView(TestData.Features(2), new WrongWriter());
        var e = Assert.ThrowsException<InvalidOperationException>(() => view.GetColumn<float[]>("V").ToArray());
        StringAssert.Contains(e.Message, "Output column 'V' is Vector<Single, 2>: write it with GetVectorBlock<Single>");
    }
}

using PixelCnn.ML.Data;
using PixelCnn.ML.Transforms;

namespace PixelCnn.ML.Tests.DataView;

[TestClass]
public class PipelineTests
{
    /// <summary>An estimator standing for an expensive trainer: it records whether Fit ran and wants a vector of Single.</summary>
    private sealed class RecordingEstimator(string inputColumn, Func<ITransformer>? fit = null) : IEstimator<ITransformer>
    {
        public bool FitCalled { get; private set; }

        public ITransformer Fit(IDataView input)
        {
            FitCalled = true;
            return fit?.Invoke() ?? new SumScoreTransformer(inputColumn, 1);
        }

        public SchemaShape GetOutputSchema(SchemaShape inputSchema)
        {
            var c = inputSchema.Find("input", inputColumn);
            if (c.Kind != SchemaShape.VectorKind.Vector || !c.ItemType.Equals(NumberDataViewType.Single))
                throw SchemaErrors.Mismatch("input", inputColumn, "Vector<Single>", c.GetTypeString());
            return inputSchema.With(new SchemaShape.Column("Score", SchemaShape.VectorKind.Scalar, NumberDataViewType.Single, false));
        }
    }

    /// <summary>A data view whose cursors fail: proves that an operation does not read data.</summary>
    private sealed class UnreadableDataView(DataViewSchema schema) : IDataView
    {
        public bool CanShuffle => false;
        public DataViewSchema Schema => schema;
        public long? GetRowCount() => null;
        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => throw new AssertFailedException("data was read");
        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => throw new AssertFailedException("data was read");
    }

    private static IDataView AB() => new ArrayDataViewBuilder()
        .AddColumn("A", 1f, 2f)
        .AddVectorColumn<float>("B", new float[] { 10, 11, 20, 21 }, 2)
        .AddColumn("Name", "x", "y")
        .Build();

    [TestMethod]
    public void Chain_fits_and_transforms_in_order()
    {
        var ml = new MLContext(1);
        var pipeline = ml.Transforms.Concatenate("AB", "A", "B").Append(ml.Transforms.CopyColumns("C", "AB"));
        using var model = pipeline.Fit(AB());
        var output = model.Transform(AB());
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 3), output.Schema["C"].Type);
        var c = output.GetColumn<float[]>("C").ToArray();
        CollectionAssert.AreEqual(new float[] { 1, 10, 11 }, c[0]);
        CollectionAssert.AreEqual(new float[] { 2, 20, 21 }, c[1]);
        Assert.IsInstanceOfType<ColumnCopyingTransformer>(model.LastTransformer);
    }

    [TestMethod]
    public void Schema_propagates_through_a_chain_without_data()
    {
        var ml = new MLContext(1);
        var pipeline = ml.Transforms.Concatenate("Features", "A", "B").Append(new RecordingEstimator("Features"));
        var shape = pipeline.GetOutputSchema(SchemaShape.Create(AB().Schema));
        Assert.IsTrue(shape.TryFindColumn("Features", out var features));
        Assert.AreEqual("Vector<Single>", features.GetTypeString());
        Assert.IsTrue(shape.TryFindColumn("Score", out var score));
        Assert.AreEqual("Single", score.GetTypeString());
    }

    [TestMethod]
    public void Transformer_output_schema_and_Transform_do_not_read_data()
    {
        var ml = new MLContext(1);
        using var model = ml.Transforms.Concatenate("Features", "A", "B").Append(ml.Transforms.CopyColumns("F2", "Features")).Fit(AB());
        var unreadable = new UnreadableDataView(AB().Schema);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 3), model.GetOutputSchema(unreadable.Schema)["F2"].Type);
        Assert.IsNotNull(model.Transform(unreadable));
    }

    [TestMethod]
    public void Fit_checks_every_estimators_schema_before_training_any()
    {
        var ml = new MLContext(1);
        var first = new RecordingEstimator("B");
        var expensive = new RecordingEstimator("Name");
        var pipeline = first.Append(ml.Transforms.CopyColumns("X", "A")).Append(expensive);
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => pipeline.Fit(AB()));
        StringAssert.Contains(e.Message, "Input column 'Name': expected Vector<Single>, got Text");
        Assert.IsFalse(first.FitCalled);
        Assert.IsFalse(expensive.FitCalled);
    }

    [TestMethod]
    public void Fit_reports_a_missing_column_with_the_available_ones()
    {
        var ml = new MLContext(1);
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => ml.Transforms.CopyColumns("X", "Pixels").Fit(AB()));
        StringAssert.Contains(e.Message, "Could not find input column 'Pixels'");
        StringAssert.Contains(e.Message, "A (Single)");
    }

    [TestMethod]
    public void Transformer_schema_check_names_expected_and_actual_types()
    {
        var ml = new MLContext(1);
        var model = ml.Transforms.Concatenate("AB", "A", "B").Fit(AB());
        var wrong = new ArrayDataViewBuilder().AddColumn("A", 1f).AddColumn("B", "text").Build();
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => model.Transform(wrong));
        StringAssert.Contains(e.Message, "Input column 'B': expected a scalar or vector of Single");
        StringAssert.Contains(e.Message, "got Text");
    }

    [TestMethod]
    public void Disposing_a_chain_disposes_its_members()
    {
        var a = new SumScoreTransformer("B", 1);
        var b = new SumScoreTransformer("B", 2);
        var chain = new TransformerChain<SumScoreTransformer>(a, b);
        chain.Dispose();
        Assert.IsTrue(a.Disposed);
        Assert.IsTrue(b.Disposed);
    }

    [TestMethod]
    public void A_failing_Fit_disposes_the_transformers_fitted_before_it()
    {
        var fitted = new SumScoreTransformer("B", 1);
        var pipeline = new RecordingEstimator("B", () => fitted)
            .Append(new RecordingEstimator("B", () => throw new InvalidOperationException("training diverged")));
        Assert.ThrowsException<InvalidOperationException>(() => pipeline.Fit(AB()));
        Assert.IsTrue(fitted.Disposed);
    }

    [TestMethod]
    public void GetModelFor_keeps_only_members_of_the_requested_scope()
    {
        var ml = new MLContext(1);
        using var model = ml.Transforms.CopyColumns("X", "A").Append(ml.Transforms.CopyColumns("Y", "A"), TransformerScope.Training).Fit(AB());
        var scoring = model.GetModelFor(TransformerScope.Scoring);
        Assert.AreEqual(1, scoring.Count());
        Assert.IsNull(scoring.GetOutputSchema(AB().Schema).GetColumnOrNull("Y"));
    }

    [TestMethod]
    public void Row_to_row_mapper_follows_the_input_row()
    {
        var ml = new MLContext(1);
        var model = ml.Transforms.Concatenate("AB", "A", "B").Fit(AB());
        var data = AB();
        var mapper = model.GetRowToRowMapper(data.Schema);
        using var cursor = data.GetRowCursor(data.Schema);
        using var row = mapper.GetRow(cursor, [mapper.OutputSchema["AB"]]);
        var getter = row.GetGetter<VBuffer<float>>(mapper.OutputSchema["AB"]);
        VBuffer<float> v = default;
        var firsts = new List<float>();
        while (cursor.MoveNext())
        {
            getter(ref v);
            firsts.Add(v.GetValues()[0]);
        }
        CollectionAssert.AreEqual(new float[] { 1, 2 }, firsts);
    }
}

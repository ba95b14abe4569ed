using PixelCnn.ML.Data;

namespace PixelCnn.ML.Tests.DataView;

[TestClass]
public class EnumerableConversionTests
{
    public sealed class AllTypes
    {
        public float F;
        public double D { get; set; }
        public int I;
        public long L;
        public uint U;
        public byte B;
        public bool Flag;
        public string Text = "";
        [ColumnName("Renamed")] public float Original;
        [NoColumn] public float Ignored;
        public float[] VarFloats = [];
        [VectorType(2, 2)] public double[] Doubles = [];
        [VectorType(3)] public byte[] Bytes = [];
        [VectorType(2)] public VBuffer<float> Buffer;
        [ImageType(2, 3)] public MLImage? Image;
        [KeyType(10)] public uint Label;
    }

    private static AllTypes Sample(int i) => new()
    {
        F = i + 0.5f, D = i * 1.25, I = -i, L = 1L << 40 | (uint)i, U = (uint)i * 3, B = (byte)(200 + i), Flag = i % 2 == 0,
        Text = $"row {i}", Original = 10 + i, Ignored = 99, VarFloats = Enumerable.Range(0, i + 1).Select(x => (float)x).ToArray(),
        Doubles = [i, i + 1, i + 2, i + 3], Bytes = [(byte)i, 1, 2], Buffer = new VBuffer<float>(2, [i, -i]),
        Image = new MLImage(3, 2, 1, Enumerable.Range(0, 6).Select(x => (byte)(x + i)).ToArray()), Label = (uint)(i % 10) + 1,
    };

    [TestMethod]
    public void Schema_follows_members_and_attributes()
    {
        var ml = new MLContext(1);
        var s = ml.Data.LoadFromEnumerable(new[] { Sample(0) }).Schema;
        Assert.AreEqual(NumberDataViewType.Single, s["F"].Type);
        Assert.AreEqual(NumberDataViewType.Double, s["D"].Type);
        Assert.AreEqual(TextDataViewType.Instance, s["Text"].Type);
        Assert.AreEqual(BooleanDataViewType.Instance, s["Flag"].Type);
        Assert.AreEqual(NumberDataViewType.Single, s["Renamed"].Type);
        Assert.IsNull(s.GetColumnOrNull("Original"));
        Assert.IsNull(s.GetColumnOrNull("Ignored"));
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single), s["VarFloats"].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Double, 2, 2), s["Doubles"].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 2), s["Buffer"].Type);
        Assert.AreEqual(new ImageDataViewType(2, 3), s["Image"].Type);
        Assert.AreEqual(new KeyDataViewType(typeof(uint), 10), s["Label"].Type);
    }

    [TestMethod]
    public void Every_supported_member_type_round_trips()
    {
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 5).Select(Sample).ToArray();
        var back = ml.Data.CreateEnumerable<AllTypes>(ml.Data.LoadFromEnumerable(rows), reuseRowObject: false).ToArray();

        Assert.AreEqual(rows.Length, back.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            var (a, b) = (rows[i], back[i]);
            Assert.AreEqual(a.F, b.F);
            Assert.AreEqual(a.D, b.D);
            Assert.AreEqual(a.I, b.I);
            Assert.AreEqual(a.L, b.L);
            Assert.AreEqual(a.U, b.U);
            Assert.AreEqual(a.B, b.B);
            Assert.AreEqual(a.Flag, b.Flag);
            Assert.AreEqual(a.Text, b.Text);
            Assert.AreEqual(a.Original, b.Original);
            Assert.AreEqual(0f, b.Ignored);
            CollectionAssert.AreEqual(a.VarFloats, b.VarFloats);
            CollectionAssert.AreEqual(a.Doubles, b.Doubles);
            CollectionAssert.AreEqual(a.Bytes, b.Bytes);
            CollectionAssert.AreEqual(a.Buffer.GetValues().ToArray(), b.Buffer.GetValues().ToArray());
            Assert.IsTrue(a.Image!.PixelsEqual(b.Image!));
            Assert.AreEqual(a.Label, b.Label);
        }
    }

    [TestMethod]
    public void Returned_arrays_do_not_alias_the_source_objects()
    {
        var ml = new MLContext(1);
        var rows = new[] { new FeatureRow { Features = [1, 2, 3] } };
        var back = ml.Data.CreateEnumerable<FeatureRow>(ml.Data.LoadFromEnumerable(rows), reuseRowObject: false).Single();
        back.Features[0] = 100;
        Assert.AreEqual(1f, rows[0].Features[0]);
    }

    [TestMethod]
    public void Source_is_enumerated_only_when_a_cursor_moves()
    {
        var ml = new MLContext(1);
        var source = new CountingSource<FeatureRow>([new FeatureRow { Features = [1, 2, 3] }]);
        var data = ml.Data.LoadFromEnumerable(source);
        using (var cursor = data.GetRowCursor(data.Schema))
        {
            Assert.AreEqual(0, source.Enumerations);
            cursor.MoveNext();
            Assert.AreEqual(1, source.Enumerations);
        }
        _ = data.GetColumn<float[]>("Features").ToArray();
        Assert.AreEqual(2, source.Enumerations);
    }

    [TestMethod]
    public void Vector_of_the_wrong_length_fails_naming_column_and_row()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new FeatureRow { Features = [1, 2, 3] }, new FeatureRow { Features = [1, 2] } });
        var e = Assert.ThrowsException<InvalidOperationException>(() => data.GetColumn<float[]>("Features").ToArray());
        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "row 1");
        StringAssert.Contains(e.Message, "expected 3 items");
        StringAssert.Contains(e.Message, "got 2");
    }

    public sealed class ImageRow
    {
        [ImageType(2, 2)] public MLImage? Image;
    }

    [TestMethod]
    public void Image_of_the_wrong_size_fails_naming_column_and_row()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ImageRow { Image = new MLImage(3, 2, 1, new byte[6]) } });
        var e = Assert.ThrowsException<InvalidOperationException>(() => data.GetColumn<MLImage>("Image").ToArray());
        StringAssert.Contains(e.Message, "'Image'");
        StringAssert.Contains(e.Message, "row 0: expected a 2 x 2 image");
        StringAssert.Contains(e.Message, "got 2 x 3");
    }

    public sealed class WantsText
    {
        [ColumnName("Features")] public string Value = "";
    }

    [TestMethod]
    public void CreateEnumerable_type_mismatch_names_column_expected_and_actual_type()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new FeatureRow { Features = [1, 2, 3] } });
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => ml.Data.CreateEnumerable<WantsText>(data, false));
        StringAssert.Contains(e.Message, "Column 'Features': expected Text");
        StringAssert.Contains(e.Message, "got Vector<Single, 3>");
    }

    public sealed class WantsMissing
    {
        public float Missing;
    }

    [TestMethod]
    public void CreateEnumerable_missing_column_fails_unless_ignored()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new FeatureRow { Features = [1, 2, 3] } });
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => ml.Data.CreateEnumerable<WantsMissing>(data, false));
        StringAssert.Contains(e.Message, "'Missing'");
        Assert.AreEqual(0f, ml.Data.CreateEnumerable<WantsMissing>(data, false, ignoreMissingColumns: true).Single().Missing);
    }

    [TestMethod]
    public void Reusing_the_row_object_yields_one_instance()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 3).Select(i => new FeatureRow { Features = [i, i, i], Weight = i }).ToArray());
        var seen = new HashSet<FeatureRow>(ReferenceEqualityComparer.Instance);
        var weights = new List<float>();
        foreach (var r in ml.Data.CreateEnumerable<FeatureRow>(data, reuseRowObject: true))
        {
            seen.Add(r);
            weights.Add(r.Weight);
        }
        Assert.AreEqual(1, seen.Count);
        CollectionAssert.AreEqual(new float[] { 0, 1, 2 }, weights);
    }

    [TestMethod]
    public void Schema_definition_can_set_a_vector_size_at_run_time()
    {
        var ml = new MLContext(1);
        var def = SchemaDefinition.Create(typeof(EnumerableConversionTests.VarRow));
        def["Values"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 4);
        var data = ml.Data.LoadFromEnumerable(new[] { new VarRow { Values = [1, 2, 3, 4] } }, def);
        Assert.AreEqual(4, ((VectorDataViewType)data.Schema["Values"].Type).Size);
    }

    public sealed class VarRow
    {
        public float[] Values = [];
    }

    public sealed class Unsupported
    {
        public DateTime When;
    }

    [TestMethod]
    public void Unsupported_member_type_is_named_in_the_error()
    {
        var ml = new MLContext(1);
        var e = Assert.ThrowsException<NotSupportedException>(() => ml.Data.LoadFromEnumerable(new[] { new Unsupported() }));
        StringAssert.Contains(e.Message, "Unsupported.When (DateTime)");
    }

    [TestMethod]
    public void GetColumn_reads_raw_values_arrays_and_strings()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { Sample(1), Sample(2) });
        CollectionAssert.AreEqual(new[] { 1.5f, 2.5f }, data.GetColumn<float>("F").ToArray());
        CollectionAssert.AreEqual(new[] { "row 1", "row 2" }, data.GetColumn<string>("Text").ToArray());
        CollectionAssert.AreEqual(new byte[] { 2, 1, 2 }, data.GetColumn<byte[]>("Bytes").Last());
        Assert.AreEqual(2, data.GetColumn<VBuffer<float>>("Buffer").First().Length);
    }

    [TestMethod]
    public void GetColumn_with_the_wrong_type_names_column_and_the_types_that_work()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new FeatureRow { Features = [1, 2, 3] } });
        var e = Assert.ThrowsException<InvalidOperationException>(() => data.GetColumn<int>("Features"));
        StringAssert.Contains(e.Message, "'Features' of type Vector<Single, 3> as Int32");
        StringAssert.Contains(e.Message, "VBuffer<Single> or Single[]");
    }

    [TestMethod]
    public void Getter_of_the_wrong_type_names_the_column()
    {
        var data = TestData.Features(2);
        using var cursor = data.GetRowCursor(data.Schema);
        var e = Assert.ThrowsException<InvalidOperationException>(() => cursor.GetGetter<float>(data.Schema["Id"]));
        StringAssert.Contains(e.Message, "Column 'Id' is Int32");
    }

    [TestMethod]
    public void Getter_of_an_inactive_column_fails()
    {
        var data = TestData.Features(2);
        using var cursor = data.GetRowCursor([data.Schema["Id"]]);
        var e = Assert.ThrowsException<InvalidOperationException>(() => cursor.GetGetter<VBuffer<float>>(data.Schema["Features"]));
        StringAssert.Contains(e.Message, "'Features' is not active");
    }
}

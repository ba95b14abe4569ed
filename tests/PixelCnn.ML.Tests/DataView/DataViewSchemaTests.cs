using PixelCnn.ML.Data;

namespace PixelCnn.ML.Tests.DataView;

[TestClass]
public class DataViewSchemaTests
{
    private static DataViewSchema Schema(params (string Name, DataViewType Type)[] columns)
    {
        var b = new DataViewSchema.Builder();
        foreach (var (n, t) in columns) b.AddColumn(n, t);
        return b.ToSchema();
    }

    [TestMethod]
    public void Columns_are_found_by_name_and_index()
    {
        var s = Schema(("A", NumberDataViewType.Single), ("B", TextDataViewType.Instance));
        Assert.AreEqual(2, s.Count);
        Assert.AreEqual(1, s["B"].Index);
        Assert.AreEqual(TextDataViewType.Instance, s[1].Type);
        Assert.IsNull(s.GetColumnOrNull("C"));
    }

    [TestMethod]
    public void Unknown_column_name_error_lists_the_available_columns()
    {
        var s = Schema(("A", NumberDataViewType.Single), ("B", TextDataViewType.Instance));
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => s["Pixels"]);
        StringAssert.Contains(e.Message, "'Pixels'");
        StringAssert.Contains(e.Message, "A (Single), B (Text)");
    }

    [TestMethod]
    public void A_repeated_name_hides_the_earlier_column()
    {
        var s = Schema(("X", NumberDataViewType.Single), ("X", NumberDataViewType.Double));
        Assert.IsTrue(s[0].IsHidden);
        Assert.IsFalse(s[1].IsHidden);
        Assert.AreEqual(NumberDataViewType.Double, s["X"].Type);
    }

    [TestMethod]
    public void Key_values_annotation_is_read_back()
    {
        var ab = new DataViewSchema.Annotations.Builder();
        var names = new VBuffer<ReadOnlyMemory<char>>(2, ["cat".AsMemory(), "dog".AsMemory()]);
        ab.AddKeyValues(2, TextDataViewType.Instance, (ref VBuffer<ReadOnlyMemory<char>> v) => names.CopyTo(ref v));
        var b = new DataViewSchema.Builder();
        b.AddColumn("Label", new KeyDataViewType(typeof(uint), 2), ab.ToAnnotations());
        var label = b.ToSchema()["Label"];

        Assert.IsTrue(label.HasKeyValues());
        VBuffer<ReadOnlyMemory<char>> read = default;
        label.GetKeyValues(ref read);
        CollectionAssert.AreEqual(new[] { "cat", "dog" }, read.DenseValues().Select(m => m.ToString()).ToArray());
    }

    [TestMethod]
    public void Schema_shape_keeps_kind_item_type_and_keyness_of_visible_columns()
    {
        var s = Schema(("Pixels", new VectorDataViewType(NumberDataViewType.Single, 784)), ("Label", new KeyDataViewType(typeof(uint), 10)),
            ("Tokens", new VectorDataViewType(TextDataViewType.Instance)), ("Pixels", NumberDataViewType.Double));
        var shape = SchemaShape.Create(s);
        Assert.AreEqual(3, shape.Count);
        Assert.IsTrue(shape.TryFindColumn("Label", out var label));
        Assert.AreEqual("Key<UInt32>", label.GetTypeString());
        Assert.IsTrue(shape.TryFindColumn("Tokens", out var tokens));
        Assert.AreEqual("VarVector<Text>", tokens.GetTypeString());
        Assert.IsTrue(shape.TryFindColumn("Pixels", out var pixels));
        Assert.AreEqual("Double", pixels.GetTypeString());
    }
}

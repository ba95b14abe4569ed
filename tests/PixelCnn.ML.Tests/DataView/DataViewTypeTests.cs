using PixelCnn.ML.Data;

namespace PixelCnn.ML.Tests.DataView;

[TestClass]
public class DataViewTypeTests
{
    [TestMethod]
    public void Type_names_are_the_ones_used_in_error_messages()
    {
        Assert.AreEqual("Single", NumberDataViewType.Single.ToString());
        Assert.AreEqual("Text", TextDataViewType.Instance.ToString());
        Assert.AreEqual("Boolean", BooleanDataViewType.Instance.ToString());
        Assert.AreEqual("Key<UInt32, 10>", new KeyDataViewType(typeof(uint), 10).ToString());
        Assert.AreEqual("Vector<Single, 784>", new VectorDataViewType(NumberDataViewType.Single, 784).ToString());
        Assert.AreEqual("Vector<Single, 1, 28, 28>", new VectorDataViewType(NumberDataViewType.Single, 1, 28, 28).ToString());
        Assert.AreEqual("Vector<Double>", new VectorDataViewType(NumberDataViewType.Double).ToString());
        Assert.AreEqual("Image<32, 24>", new ImageDataViewType(32, 24).ToString());
    }

    [TestMethod]
    public void Vector_size_is_the_product_of_the_dimensions_and_zero_means_variable()
    {
        var known = new VectorDataViewType(NumberDataViewType.Single, 3, 32, 32);
        var variable = new VectorDataViewType(NumberDataViewType.Single);
        Assert.AreEqual(3 * 32 * 32, known.Size);
        Assert.IsTrue(known.IsKnownSize);
        Assert.AreEqual(0, variable.Size);
        Assert.IsFalse(variable.IsKnownSize);
        Assert.AreEqual(typeof(VBuffer<float>), known.RawType);
    }

    [TestMethod]
    public void Types_are_equal_when_they_describe_the_same_values()
    {
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 4), new VectorDataViewType(NumberDataViewType.Single, 4));
        Assert.AreNotEqual(new VectorDataViewType(NumberDataViewType.Single, 4), new VectorDataViewType(NumberDataViewType.Single, 2, 2));
        Assert.AreEqual(new KeyDataViewType(typeof(uint), 3), new KeyDataViewType(typeof(uint), 3));
        Assert.AreNotEqual<DataViewType>(new KeyDataViewType(typeof(uint), 3), NumberDataViewType.UInt32);
    }

    [TestMethod]
    public void Key_type_rejects_a_zero_count_and_a_signed_raw_type()
    {
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => new KeyDataViewType(typeof(uint), 0UL));
        Assert.ThrowsException<ArgumentException>(() => new KeyDataViewType(typeof(int), 5UL));
    }

    [TestMethod]
    public void Type_names_parse_back_to_equal_types()
    {
        DataViewType[] types =
        [
            NumberDataViewType.Double, TextDataViewType.Instance, BooleanDataViewType.Instance,
            new KeyDataViewType(typeof(uint), 10), new VectorDataViewType(NumberDataViewType.Single, 1, 28, 28),
            new VectorDataViewType(NumberDataViewType.Byte), new VectorDataViewType(new KeyDataViewType(typeof(uint), 4), 2),
            new ImageDataViewType(28, 28), new ImageDataViewType(),
        ];
        foreach (var t in types) Assert.AreEqual(t, DataViewTypeNames.Parse(DataViewTypeNames.Format(t)), t.ToString());
    }

    [TestMethod]
    public void MLImage_checks_that_the_pixel_count_matches_the_size()
    {
        var img = new MLImage(4, 2, 3, new byte[24]);
        Assert.AreEqual(4, img.Width);
        Assert.AreEqual(2, img.Height);
        var e = Assert.ThrowsException<ArgumentException>(() => new MLImage(4, 2, 3, new byte[23]));
        StringAssert.Contains(e.Message, "needs 24 bytes of pixels, got 23");
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => new MLImage(4, 2, 2, new byte[16]));
    }
}

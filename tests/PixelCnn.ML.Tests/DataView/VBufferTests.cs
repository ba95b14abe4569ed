using PixelCnn.ML.Data;

namespace PixelCnn.ML.Tests.DataView;

[TestClass]
public class VBufferTests
{
    [TestMethod]
    public void Dense_vector_exposes_its_first_length_items()
    {
        var v = new VBuffer<float>(3, [1, 2, 3, 99]);
        Assert.AreEqual(3, v.Length);
        CollectionAssert.AreEqual(new float[] { 1, 2, 3 }, v.GetValues().ToArray());
        CollectionAssert.AreEqual(new float[] { 1, 2, 3 }, v.DenseValues().ToArray());
        Assert.AreEqual(0, v.GetIndices().Length);
        Assert.IsTrue(v.IsDense);
    }

    [TestMethod]
    public void Sparse_vectors_are_rejected_with_a_clear_error()
    {
        var e = Assert.ThrowsException<NotSupportedException>(() => new VBuffer<float>(10, 2, [1, 2], [3, 7]));
        StringAssert.Contains(e.Message, "Sparse");
    }

    [TestMethod]
    public void Editor_reuses_the_destination_buffer_when_it_is_large_enough()
    {
        var storage = new float[8];
        var dst = new VBuffer<float>(8, storage);
        var editor = VBufferEditor.Create(ref dst, 5);
        Assert.IsFalse(editor.CreatedNewValues);
        editor.Values.Fill(7);
        dst = editor.Commit();
        Assert.AreEqual(5, dst.Length);
        Assert.AreEqual(7, storage[4]);
    }

    [TestMethod]
    public void CopyTo_makes_an_independent_copy()
    {
        var src = new VBuffer<int>(2, [4, 5]);
        VBuffer<int> dst = default;
        src.CopyTo(ref dst);
        var editor = VBufferEditor.Create(ref dst, 2);
        editor.Values[0] = 100;
        dst = editor.Commit();
        Assert.AreEqual(4, src.GetValues()[0]);
        Assert.AreEqual(100, dst.GetValues()[0]);
    }
}

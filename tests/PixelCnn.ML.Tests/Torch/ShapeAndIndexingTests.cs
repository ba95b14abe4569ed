using PixelCnn.ML.Torch;
using F = PixelCnn.ML.Torch.torch.nn.functional;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class ShapeAndIndexingTests
{
    // [[0, 1, 2],
    //  [3, 4, 5]]
    private static Tensor M() => torch.arange(0, 6).reshape(2, 3);

    [TestMethod]
    public void Reshape_and_view_keep_row_major_order()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Exact(new long[] { 0, 1, 2, 3, 4, 5 }, M().reshape(3, 2), [3, 2]);
        TensorAssert.Exact(new long[] { 0, 1, 2, 3, 4, 5 }, M().view(-1), [6]);
        TensorAssert.Exact(new long[] { 0, 1, 2, 3, 4, 5 }, M().view(1, -1, 2), [1, 3, 2]);
    }

    [TestMethod]
    public void View_shares_storage_with_its_base()
    {
        using var scope = torch.NewDisposeScope();
        var m = M();
        m.view(-1).narrow(0, 4, 1).fill_(40);
        TensorAssert.Exact(new long[] { 0, 1, 2, 3, 40, 5 }, m, [2, 3]);
    }

    [TestMethod]
    public void Permute_and_transpose_reorder_dims()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Exact(new long[] { 0, 3, 1, 4, 2, 5 }, M().permute(1, 0), [3, 2]);
        TensorAssert.Exact(new long[] { 0, 3, 1, 4, 2, 5 }, M().transpose(0, 1), [3, 2]);
        var t = torch.arange(0, 24).reshape(2, 3, 4);
        var p = t.permute(2, 0, 1);
        CollectionAssert.AreEqual(new long[] { 4, 2, 3 }, p.shape);
        Assert.AreEqual(t.select(0, 1).select(0, 2).select(0, 3).item<long>(), p.select(0, 3).select(0, 1).select(0, 2).item<long>());
    }

    [TestMethod]
    public void Transpose_is_a_non_contiguous_view_until_made_contiguous()
    {
        using var scope = torch.NewDisposeScope();
        var t = M().transpose(0, 1);
        Assert.IsFalse(t.is_contiguous());
        var c = t.contiguous();
        Assert.IsTrue(c.is_contiguous());
        Assert.IsTrue(c.equal(t));
        Assert.ThrowsException<TorchException>(() => t.view(-1));
        TensorAssert.Exact(new long[] { 0, 3, 1, 4, 2, 5 }, t.reshape(-1), [6]);
    }

    [TestMethod]
    public void Narrow_and_slice_take_a_range_of_a_dim()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Exact(new long[] { 1, 2, 4, 5 }, M().narrow(1, 1, 2), [2, 2]);
        TensorAssert.Exact(new long[] { 3, 4, 5 }, M().narrow(0, 1, 1), [1, 3]);
        TensorAssert.Exact(new long[] { 0, 3 }, M().slice(1, 0, 1), [2, 1]);
    }

    [TestMethod]
    public void Select_removes_the_indexed_dim()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Exact(new long[] { 3, 4, 5 }, M().select(0, 1), [3]);
        TensorAssert.Exact(new long[] { 2, 5 }, M().select(1, -1), [2]);
    }

    [TestMethod]
    public void Unsqueeze_and_squeeze_add_and_remove_a_unit_dim()
    {
        using var scope = torch.NewDisposeScope();
        var u = M().unsqueeze(0);
        CollectionAssert.AreEqual(new long[] { 1, 2, 3 }, u.shape);
        CollectionAssert.AreEqual(new long[] { 2, 3, 1 }, M().unsqueeze(-1).shape);
        TensorAssert.Exact(new long[] { 0, 1, 2, 3, 4, 5 }, u.squeeze(0), [2, 3]);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, M().squeeze(0).shape, "squeeze of a non-unit dim is a no-op");
    }

    [TestMethod]
    public void Flatten_merges_a_range_of_dims()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.arange(0, 8).reshape(2, 2, 2);
        TensorAssert.Exact(new long[] { 0, 1, 2, 3, 4, 5, 6, 7 }, t.flatten(), [8]);
        CollectionAssert.AreEqual(new long[] { 2, 4 }, t.flatten(1).shape);
        CollectionAssert.AreEqual(new long[] { 4, 2 }, t.flatten(0, 1).shape);
    }

    [TestMethod]
    public void Expand_broadcasts_unit_dims_without_copying()
    {
        using var scope = torch.NewDisposeScope();
        var col = torch.tensor(new long[] { 1, 2 }, 2, 1);
        var e = col.expand(2, 3);
        TensorAssert.Exact(new long[] { 1, 1, 1, 2, 2, 2 }, e, [2, 3]);
        TensorAssert.Exact(new long[] { 1, 1, 2, 2 }, col.expand(-1, 2), [2, 2]);
        col.fill_(7);
        TensorAssert.Exact(new long[] { 7, 7, 7, 7, 7, 7 }, e, [2, 3]);
    }

    [TestMethod]
    public void Repeat_tiles_the_tensor()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new long[] { 1, 2 });
        TensorAssert.Exact(new long[] { 1, 2, 1, 2, 1, 2, 1, 2 }, t.repeat(2, 2), [2, 4]);
        TensorAssert.Exact(new long[] { 1, 2, 1, 2, 1, 2 }, t.repeat(3), [6]);
    }

    [TestMethod]
    public void Cat_joins_along_an_existing_dim()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new long[] { 1, 2 }, 1, 2);
        var b = torch.tensor(new long[] { 3, 4, 5, 6 }, 2, 2);
        TensorAssert.Exact(new long[] { 1, 2, 3, 4, 5, 6 }, torch.cat([a, b], 0), [3, 2]);
        TensorAssert.Exact(new long[] { 3, 4, 3, 4, 5, 6, 5, 6 }, torch.cat([b, b], 1), [2, 4]);
    }

    [TestMethod]
    public void Stack_joins_along_a_new_dim()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new long[] { 1, 2 });
        var b = torch.tensor(new long[] { 3, 4 });
        TensorAssert.Exact(new long[] { 1, 2, 3, 4 }, torch.stack([a, b]), [2, 2]);
        TensorAssert.Exact(new long[] { 1, 3, 2, 4 }, torch.stack([a, b], 1), [2, 2]);
    }

    [TestMethod]
    public void Pad_adds_constant_borders_starting_from_the_last_dim()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        // (left 1, right 0) on the last dim, (top 0, bottom 1) on the one before
        TensorAssert.Close([9f, 1f, 2f, 9f, 3f, 4f, 9f, 9f, 9f], F.pad(t, [1, 0, 0, 1], 9), [3, 3], 0);
        TensorAssert.Close([0f, 1f, 2f, 0f, 0f, 3f, 4f, 0f], F.pad(t, [1, 1]), [2, 4], 0);
    }

    [TestMethod]
    public void Pad_with_negative_amounts_crops()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        TensorAssert.Close([2f, 4f], F.pad(t, [-1, 0]), [2, 1], 0);
    }

    [TestMethod]
    public void Index_select_picks_whole_slices_by_index()
    {
        using var scope = torch.NewDisposeScope();
        var idx = torch.tensor(new long[] { 1, 1, 0 });
        TensorAssert.Exact(new long[] { 3, 4, 5, 3, 4, 5, 0, 1, 2 }, M().index_select(0, idx), [3, 3]);
        TensorAssert.Exact(new long[] { 1, 1, 0, 4, 4, 3 }, M().index_select(1, idx), [2, 3]);
    }

    [TestMethod]
    public void Gather_picks_one_element_per_index_position()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { 1.0, 2.0, 3.0, 4.0 }, 2, 2);
        var idx = torch.tensor(new long[] { 0, 0, 1, 0 }, 2, 2);
        TensorAssert.Close([1.0, 1.0, 4.0, 3.0], t.gather(1, idx), [2, 2]);
        TensorAssert.Close([1.0, 2.0, 3.0, 2.0], t.gather(0, torch.tensor(new long[] { 0, 0, 1, 0 }, 2, 2)), [2, 2]);
    }

    [TestMethod]
    public void One_hot_encodes_class_indices_as_int64()
    {
        using var scope = torch.NewDisposeScope();
        var labels = torch.tensor(new long[] { 0, 2, 1 });
        TensorAssert.Exact(new long[] { 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0 }, F.one_hot(labels, 4), [3, 4]);
        CollectionAssert.AreEqual(new long[] { 3, 3 }, F.one_hot(labels).shape, "num_classes -1 infers max + 1");
    }
}

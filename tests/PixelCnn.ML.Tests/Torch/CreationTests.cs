using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class CreationTests
{
    [TestMethod]
    public void Zeros_is_all_zero_in_the_requested_shape_and_dtype()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close(new float[6], torch.zeros([2, 3]), [2, 3], 0);
        TensorAssert.Exact(new long[4], torch.zeros([4], torch.int64), [4]);
    }

    [TestMethod]
    public void Ones_is_all_one_in_the_requested_shape_and_dtype()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([1.0, 1.0, 1.0, 1.0], torch.ones([2, 1, 2], torch.float64), [2, 1, 2], 0);
        TensorAssert.Exact(new[] { true, true }, torch.ones([2], torch.@bool), [2]);
    }

    [TestMethod]
    public void Full_repeats_its_value_for_every_dtype()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([-2.5f, -2.5f], torch.full([2], -2.5), [2], 0);
        TensorAssert.Close([0.1, 0.1, 0.1], torch.full([3], 0.1, torch.float64), [3], 0);
        TensorAssert.Exact(new long[] { 7, 7, 7, 7 }, torch.full([2, 2], 7, torch.int64), [2, 2]);
        TensorAssert.Exact(new byte[] { 255, 255 }, torch.full([2], 255, torch.uint8), [2]);
        TensorAssert.Exact(new[] { true }, torch.full([1], 1, torch.@bool), [1]);
    }

    [TestMethod]
    public void Full_with_an_empty_shape_is_a_scalar()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(3.5, torch.float64);
        Assert.AreEqual(0L, t.dim());
        Assert.AreEqual(1L, t.numel());
        Assert.AreEqual(3.5, t.item());
    }

    [TestMethod]
    public void Arange_counts_from_start_by_step_and_excludes_the_end()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Exact(new long[] { 0, 1, 2, 3, 4 }, torch.arange(0, 5), [5]);
        TensorAssert.Exact(new long[] { 10, 7, 4 }, torch.arange(10, 2, -3), [3]);
        TensorAssert.Close([1.0, 1.5], torch.arange(1, 2, 0.5, torch.float64), [2], 0);
    }

    [TestMethod]
    public void Arange_with_fractional_bounds_defaults_to_float32()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([1f, 1.25f, 1.5f, 1.75f], torch.arange(1, 2, 0.25), [4], 0);
        Assert.AreEqual(ScalarType.Int64, torch.arange(0, 3).dtype);
    }

    [TestMethod]
    public void Float32_data_round_trips_through_a_tensor()
    {
        using var scope = torch.NewDisposeScope();
        float[] data = [1.5f, -2f, float.MaxValue, float.Epsilon, 0f, 3.25f];
        var t = torch.tensor(data, 2, 3);
        Assert.AreEqual(ScalarType.Float32, t.dtype);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, t.shape);
        CollectionAssert.AreEqual(data, t.data<float>());
    }

    [TestMethod]
    public void Float64_data_round_trips_through_a_tensor()
    {
        using var scope = torch.NewDisposeScope();
        double[] data = [Math.PI, -1e300, double.Epsilon, 0.1];
        var t = torch.tensor(data, 4, 1);
        Assert.AreEqual(ScalarType.Float64, t.dtype);
        CollectionAssert.AreEqual(new long[] { 4, 1 }, t.shape);
        CollectionAssert.AreEqual(data, t.data<double>());
    }

    [TestMethod]
    public void Int64_data_round_trips_through_a_tensor()
    {
        using var scope = torch.NewDisposeScope();
        long[] data = [long.MinValue, -1, 0, long.MaxValue];
        var t = torch.tensor(data);
        Assert.AreEqual(ScalarType.Int64, t.dtype);
        TensorAssert.Exact(data, t, [4]);
    }

    [TestMethod]
    public void Uint8_data_round_trips_through_a_tensor()
    {
        using var scope = torch.NewDisposeScope();
        byte[] data = [0, 1, 128, 255];
        var t = torch.tensor(data, 2, 2);
        Assert.AreEqual(ScalarType.Byte, t.dtype);
        TensorAssert.Exact(data, t, [2, 2]);
    }

    [TestMethod]
    public void Bool_data_round_trips_through_a_tensor()
    {
        using var scope = torch.NewDisposeScope();
        bool[] data = [true, false, false, true, true];
        var t = torch.tensor(data);
        Assert.AreEqual(ScalarType.Bool, t.dtype);
        TensorAssert.Exact(data, t, [5]);
    }

    [TestMethod]
    public void Tensor_rejects_a_shape_that_does_not_hold_the_data()
    {
        var e = Assert.ThrowsException<ArgumentException>(() => torch.tensor(new float[5], 2, 3));
        StringAssert.Contains(e.Message, "[2, 3] holds 6 elements but 5 were given");
    }

    [TestMethod]
    public void CopyTo_rejects_a_destination_of_another_length()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.zeros([3]);
        var e = Assert.ThrowsException<TorchException>(() => t.CopyTo<float>(new float[4]));
        StringAssert.Contains(e.Message, "destination holds 16 bytes, tensor has 12");
    }

    [TestMethod]
    public void CopyTo_rejects_an_element_type_other_than_the_dtype()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.zeros([3]);
        Assert.ThrowsException<ArgumentException>(() => t.CopyTo<double>(new double[3]));
    }

    [TestMethod]
    public void Copy_out_of_a_non_contiguous_view_is_row_major()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new long[] { 1, 2, 3, 4, 5, 6 }, 2, 3).transpose(0, 1);
        Assert.IsFalse(t.is_contiguous());
        TensorAssert.Exact(new long[] { 1, 4, 2, 5, 3, 6 }, t, [3, 2]);
    }

    [TestMethod]
    public void AsSpan_writes_go_into_the_tensor()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.zeros([2, 2], torch.float64);
        var span = t.AsSpan<double>();
        span[3] = 4.5;
        Assert.AreEqual(4.5, t.select(0, 1).select(0, 1).item());
    }

    [TestMethod]
    public void Item_reads_a_one_element_tensor_in_any_requested_type()
    {
        using var scope = torch.NewDisposeScope();
        Assert.AreEqual(2.75, torch.tensor(new[] { 2.75 }).item());
        Assert.AreEqual(2.75f, torch.tensor(new[] { 2.75f }).item<float>());
        Assert.AreEqual(long.MaxValue, torch.tensor(new[] { long.MaxValue }).item<long>());
        Assert.IsTrue(torch.tensor(new[] { true }).item<bool>());
    }

    [TestMethod]
    public void To_dtype_truncates_floats_toward_zero_for_integers()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { 1.7f, -1.7f, 2.0f });
        TensorAssert.Exact(new long[] { 1, -1, 2 }, t.to(torch.int64), [3]);
    }

    [TestMethod]
    public void To_dtype_converts_between_all_supported_types()
    {
        using var scope = torch.NewDisposeScope();
        var bytes = torch.tensor(new byte[] { 0, 3, 255 });
        TensorAssert.Close([0f, 3f, 255f], bytes.to(torch.float32), [3], 0);
        TensorAssert.Close([0.0, 3.0, 255.0], bytes.to(torch.float64), [3], 0);
        TensorAssert.Exact(new[] { false, true, true }, bytes.to(torch.@bool), [3]);
        TensorAssert.Exact(new byte[] { 0, 1, 1 }, bytes.to(torch.@bool).to(torch.uint8), [3]);
        TensorAssert.Close([0.5f], torch.tensor(new[] { 0.5 }).to(torch.float32), [1], 0);
    }

    [TestMethod]
    public void To_the_same_dtype_keeps_the_values()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { 1.25, 2.5 });
        var same = t.to(torch.float64);
        Assert.IsTrue(same.equal(t));
    }
}

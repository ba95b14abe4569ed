using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class NativeErrorTests
{
    private static void AssertNextOpWorks()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.ones([2, 3]);
        Assert.AreEqual(12.0, a.matmul(torch.ones([3, 2])).sum().item());
    }

    [TestMethod]
    public void Matmul_of_mismatched_shapes_raises_libtorchs_message_and_the_next_op_works()
    {
        using (var scope = torch.NewDisposeScope())
        {
            var e = Assert.ThrowsException<TorchException>(() => torch.zeros([2, 3]).matmul(torch.zeros([4, 5])));
            StringAssert.Contains(e.Message, "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
        }
        AssertNextOpWorks();
    }

    [TestMethod]
    public void Select_past_the_end_raises_libtorchs_message_and_the_next_op_works()
    {
        using (var scope = torch.NewDisposeScope())
        {
            var e = Assert.ThrowsException<TorchException>(() => torch.zeros([3]).select(0, 10));
            StringAssert.Contains(e.Message, "index 10 out of range for tensor of size [3]");
        }
        AssertNextOpWorks();
    }

    [TestMethod]
    public void Index_select_with_a_bad_index_raises_libtorchs_message_and_the_next_op_works()
    {
        using (var scope = torch.NewDisposeScope())
        {
            var idx = torch.tensor(new long[] { 0, 7 });
            var e = Assert.ThrowsException<TorchException>(() => torch.zeros([3, 2]).index_select(0, idx));
            StringAssert.Contains(e.Message, "out of range");
        }
        AssertNextOpWorks();
    }

    [TestMethod]
    public void Errors_carry_only_the_message_without_a_cpp_backtrace()
    {
        using var scope = torch.NewDisposeScope();
        var e = Assert.ThrowsException<TorchException>(() => torch.zeros([2]).view(3));
        StringAssert.Contains(e.Message, "shape '[3]' is invalid for input of size 2");
        Assert.IsFalse(e.Message.Contains("frame #"), e.Message);
    }

    [TestMethod]
    public void Backward_from_a_tensor_without_a_graph_raises_TorchException()
    {
        using var scope = torch.NewDisposeScope();
        var e = Assert.ThrowsException<TorchException>(() => torch.zeros([2]).sum().backward());
        StringAssert.Contains(e.Message, "does not require grad");
    }

    [TestMethod]
    public void Shim_argument_errors_surface_as_TorchException()
    {
        var e = Assert.ThrowsException<TorchException>(() => torch.zeros([2], (ScalarType)3));
        StringAssert.Contains(e.Message, "unsupported dtype code 3");
    }

    [TestMethod]
    public void A_failing_op_leaves_no_native_tensor_behind()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.zeros([2, 3]);
        var b = torch.zeros([4, 5]);
        long before = torch.live_tensor_count();
        for (int i = 0; i < 10; i++)
            Assert.ThrowsException<TorchException>(() => a.matmul(b));
        Assert.AreEqual(before, torch.live_tensor_count());
    }

    [TestMethod]
    public void Many_errors_in_a_row_do_not_disturb_later_results()
    {
        for (int i = 0; i < 20; i++)
        {
            using var scope = torch.NewDisposeScope();
            Assert.ThrowsException<TorchException>(() => torch.zeros([3]).select(0, 3 + i));
        }
        AssertNextOpWorks();
    }
}

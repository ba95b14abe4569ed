using System.Runtime.CompilerServices;
using PixelCnn.ML.Native;
using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class TensorLifetimeTests
{
    [TestMethod]
    public void Tensors_created_in_a_dispose_scope_are_freed_when_it_ends()
    {
        long before = torch.live_tensor_count();
        Tensor a, b;
        using (var scope = torch.NewDisposeScope())
        {
            a = torch.ones([4]);
            b = a.add(1).mul(a);
            Assert.AreEqual(3, scope.Count);
            Assert.AreEqual(before + 3, torch.live_tensor_count());
        }
        Assert.AreEqual(before, torch.live_tensor_count());
        Assert.IsTrue(a.IsInvalid && b.IsInvalid);
    }

    [TestMethod]
    public void A_tensor_moved_to_the_outer_scope_survives_the_inner_one()
    {
        long before = torch.live_tensor_count();
        using (torch.NewDisposeScope())
        {
            Tensor kept;
            using (torch.NewDisposeScope())
            {
                var temp = torch.ones([3], torch.float64);
                kept = temp.mul(2).MoveToOuterDisposeScope();
            }
            Assert.AreEqual(before + 1, torch.live_tensor_count());
            TensorAssert.Close([2.0, 2.0, 2.0], kept, [3]);
        }
        Assert.AreEqual(before, torch.live_tensor_count(), "the outer scope frees the moved tensor");
    }

    [TestMethod]
    public void A_tensor_moved_out_of_the_outermost_scope_belongs_to_the_caller()
    {
        long before = torch.live_tensor_count();
        Tensor kept;
        using (torch.NewDisposeScope()) kept = torch.ones([2]).MoveToOuterDisposeScope();
        Assert.IsFalse(kept.IsInvalid);
        Assert.AreEqual(before + 1, torch.live_tensor_count());
        kept.Dispose();
        Assert.AreEqual(before, torch.live_tensor_count());
    }

    [TestMethod]
    public void Detach_from_dispose_scope_hands_ownership_to_the_caller()
    {
        Tensor kept;
        using (torch.NewDisposeScope()) kept = torch.ones([2]).DetachFromDisposeScope();
        using (kept) Assert.IsFalse(kept.IsInvalid);
    }

    [TestMethod]
    public void Disposing_a_tensor_early_removes_it_from_its_scope()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.ones([2]);
        Assert.AreEqual(1, scope.Count);
        t.Dispose();
        Assert.AreEqual(0, scope.Count);
    }

    [TestMethod]
    public void Disposing_twice_frees_once()
    {
        long before = torch.live_tensor_count();
        var t = torch.ones([2]);
        t.Dispose();
        t.Dispose();
        Assert.AreEqual(before, torch.live_tensor_count());
    }

    [TestMethod]
    public void Freeing_a_null_handle_is_a_no_op()
    {
        long before = torch.live_tensor_count();
        NativeMethods.pcn_tensor_free(IntPtr.Zero);
        NativeMethods.pcn_generator_free(IntPtr.Zero);
        NativeMethods.pcn_free_status(IntPtr.Zero);
        Assert.AreEqual(before, torch.live_tensor_count());
    }

    [TestMethod]
    public void Using_a_disposed_tensor_throws_ObjectDisposedException()
    {
        var t = torch.ones([2]);
        t.Dispose();
        Assert.ThrowsException<ObjectDisposedException>(() => t.sum());
    }

    [TestMethod]
    public void An_alias_keeps_the_tensor_alive_after_the_original_handle_is_freed()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { 1.0, 2.0 });
        var alias = t.alias();
        t.Dispose();
        TensorAssert.Close([1.0, 2.0], alias, [2]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CreateAndDrop(int count)
    {
        for (int i = 0; i < count; i++) torch.ones([8]);
    }

    [TestMethod]
    public void A_tensor_dropped_without_dispose_is_queued_by_the_finalizer_and_freed_on_the_next_drain()
    {
        long before = LeakTests.SettledLiveCount();
        CreateAndDrop(5);
        Assert.AreEqual(before + 5, NativeMethods.pcn_live_tensors());
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // The finalizer only queued the handles; native memory is freed by the drain below, on this thread.
        Assert.AreEqual(before + 5, NativeMethods.pcn_live_tensors());
        Assert.AreEqual(before, torch.live_tensor_count());
    }

    [TestMethod]
    public void Opening_a_dispose_scope_also_drains_finalized_tensors()
    {
        long before = LeakTests.SettledLiveCount();
        CreateAndDrop(3);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using (torch.NewDisposeScope())
            Assert.AreEqual(before, NativeMethods.pcn_live_tensors());
    }
}

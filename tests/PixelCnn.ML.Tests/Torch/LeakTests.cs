using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class LeakTests
{
    /// <summary>Frees what earlier tests left to the finalizer so it cannot move the count mid-test.</summary>
    internal static long SettledLiveCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return torch.live_tensor_count();
    }

    [TestMethod]
    public void Training_and_scoring_in_dispose_scopes_return_the_live_tensor_count_to_its_baseline()
    {
        long baseline = SettledLiveCount();

        using var init = new Generator(31);
        var net = new TinyConvNet(init, hidden: 2);
        var optimizer = new torch.optim.Adam(net.parameters(), lr: 1e-3);
        var (x, y) = TinyConvNet.Batch(31, n: 1, size: 4);
        long afterSetup = torch.live_tensor_count();
        Assert.IsTrue(afterSetup > baseline);

        for (int step = 0; step < 1000; step++) net.TrainStep(optimizer, x, y);
        Assert.AreEqual(afterSetup, torch.live_tensor_count(), "after 1000 training steps");

        using (torch.no_grad())
            for (int i = 0; i < 100; i++)
            {
                using var scope = torch.NewDisposeScope();
                net.forward(x).sub(y).square().mean().item();
            }
        Assert.AreEqual(afterSetup, torch.live_tensor_count(), "after scoring under no_grad");

        net.Dispose();
        optimizer.Dispose();
        x.Dispose();
        y.Dispose();
        Assert.AreEqual(baseline, torch.live_tensor_count(), "after disposing the module, optimizer and data");
    }

    [TestMethod]
    public void Optimizer_state_dict_copies_are_freed_with_their_scope()
    {
        using var init = new Generator(32);
        using var net = new TinyConvNet(init, hidden: 2);
        using var optimizer = new torch.optim.RMSprop(net.parameters(), momentum: 0.9);
        long before = torch.live_tensor_count();
        using (torch.NewDisposeScope())
        {
            var state = optimizer.state_dict();
            Assert.IsTrue(torch.live_tensor_count() >= before + state.Count);
        }
        Assert.AreEqual(before, torch.live_tensor_count());
    }
}

using PixelCnn.ML.Torch;
using static PixelCnn.ML.Torch.torch.optim;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class OptimizerTests
{
    private static Optimizer NewAdam(IEnumerable<Tensor> ps) => new Adam(ps, lr: 3e-3, weight_decay: 1e-4);
    private static Optimizer NewRmsprop(IEnumerable<Tensor> ps) => new RMSprop(ps, lr: 1e-3, momentum: 0.9, weight_decay: 1e-4);

    /// <summary>
    /// Trains model A for a few steps, copies its weights and optimizer state into a fresh model B,
    /// takes one more step on both, and reports whether every parameter ended bit-identical.
    /// </summary>
    private static bool ResumedStepMatches(Func<IEnumerable<Tensor>, Optimizer> make, bool copyOptimizerState)
    {
        using var scope = torch.NewDisposeScope();
        var (x, y) = TinyConvNet.Batch(41);
        using var initA = new Generator(41);
        using var initB = new Generator(42);
        using var a = new TinyConvNet(initA);
        using var b = new TinyConvNet(initB);
        using var optA = make(a.parameters());
        using var optB = make(b.parameters());
        for (int i = 0; i < 5; i++) a.TrainStep(optA, x, y);

        b.load_state_dict(a.state_dict());
        if (copyOptimizerState) optB.load_state_dict(optA.state_dict());
        Assert.IsTrue(a.parameters().Zip(b.parameters()).All(p => p.First.equal(p.Second)), "weights copied");

        a.TrainStep(optA, x, y);
        b.TrainStep(optB, x, y);
        return a.parameters().Zip(b.parameters()).All(p => p.First.equal(p.Second));
    }

    [TestMethod]
    public void Adam_state_round_trip_gives_the_same_next_step()
    {
        Assert.IsTrue(ResumedStepMatches(NewAdam, copyOptimizerState: true));
    }

    [TestMethod]
    public void Adam_without_its_state_takes_a_different_next_step()
    {
        Assert.IsFalse(ResumedStepMatches(NewAdam, copyOptimizerState: false));
    }

    [TestMethod]
    public void Rmsprop_with_momentum_state_round_trip_gives_the_same_next_step()
    {
        Assert.IsTrue(ResumedStepMatches(NewRmsprop, copyOptimizerState: true));
    }

    [TestMethod]
    public void Rmsprop_without_its_state_takes_a_different_next_step()
    {
        Assert.IsFalse(ResumedStepMatches(NewRmsprop, copyOptimizerState: false));
    }

    [TestMethod]
    public void State_dict_holds_step_count_learning_rate_and_per_parameter_buffers()
    {
        using var scope = torch.NewDisposeScope();
        using var init = new Generator(43);
        using var net = new TinyConvNet(init);
        using var opt = new RMSprop(net.parameters(), lr: 0.02, momentum: 0.5);
        var (x, y) = TinyConvNet.Batch(43);
        net.TrainStep(opt, x, y);
        net.TrainStep(opt, x, y);
        var state = opt.state_dict();
        Assert.AreEqual(2L, state["step"].item<long>());
        Assert.AreEqual(0.02, state["lr"].item<double>());
        var expected = Enumerable.Range(0, 4).SelectMany(i => new[] { $"state.{i}.square_avg", $"state.{i}.momentum_buffer" })
            .Concat(["step", "lr"]).Order().ToArray();
        CollectionAssert.AreEqual(expected, state.Keys.Order().ToArray());
        CollectionAssert.AreEqual(net.conv1.weight.shape, state["state.0.square_avg"].shape);
    }

    [TestMethod]
    public void Load_state_dict_rejects_state_of_another_optimizer_naming_the_entries()
    {
        using var scope = torch.NewDisposeScope();
        using var init = new Generator(44);
        using var net = new TinyConvNet(init);
        using var adam = new Adam(net.parameters());
        using var rmsprop = new RMSprop(net.parameters());
        var e = Assert.ThrowsException<InvalidDataException>(() => rmsprop.load_state_dict(adam.state_dict()));
        StringAssert.Contains(e.Message, "state.0.exp_avg");
    }

    [TestMethod]
    public void Load_state_dict_rejects_a_buffer_of_the_wrong_shape_naming_it()
    {
        using var scope = torch.NewDisposeScope();
        using var init = new Generator(45);
        using var small = new TinyConvNet(init, hidden: 2);
        using var large = new TinyConvNet(init, hidden: 3);
        using var a = new Adam(small.parameters());
        using var b = new Adam(large.parameters());
        var e = Assert.ThrowsException<InvalidDataException>(() => b.load_state_dict(a.state_dict()));
        StringAssert.Contains(e.Message, "'state.0.exp_avg' has shape [2, 1, 3, 3], expected [3, 1, 3, 3]");
    }

    [TestMethod]
    public void Adam_first_step_moves_each_weight_by_the_learning_rate_against_its_gradient_sign()
    {
        using var scope = torch.NewDisposeScope();
        var w = torch.tensor(new[] { 1.0, -2.0, 0.5 }).requires_grad_();
        using var opt = new Adam([w], lr: 0.1);
        w.mul(torch.tensor(new[] { 3.0, -0.5, 0.0 })).sum().backward();
        opt.step();
        // step 1: m̂ = g, v̂ = g², so the update is lr · g / (|g| + eps); a zero gradient leaves the weight
        TensorAssert.Close([0.9, -1.9, 0.5], w.detach(), [3], 1e-7);
    }

    [TestMethod]
    public void Zero_grad_clears_every_gradient()
    {
        using var scope = torch.NewDisposeScope();
        var w = torch.ones([2], torch.float64).requires_grad_();
        using var opt = new Adam([w]);
        w.sum().backward();
        Assert.IsNotNull(w.grad);
        opt.zero_grad();
        Assert.IsNull(w.grad);
    }
}

using PixelCnn.ML.Torch;
using static PixelCnn.ML.Torch.torch.nn;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class ModuleTests
{
    private sealed class Block : Module
    {
        public readonly Conv2d conv;
        public Block(Generator g)
        {
            conv = register_module("conv", new Conv2d(2, 2, 1, generator: g));
            register_buffer("scale", torch.ones([1]));
        }
    }

    private sealed class Net : Module
    {
        public readonly ModuleList<Block> blocks;
        public readonly Linear head;
        public Net(ulong seed, long headInputs = 4)
        {
            using var g = new Generator(seed);
            blocks = register_module("blocks", new ModuleList<Block>(new[] { new Block(g), new Block(g) }));
            head = register_module("head", new Linear(headInputs, 1, generator: g));
        }

        public void Register(string name, Tensor t) => register_parameter(name, t);
    }

    [TestMethod]
    public void Named_parameters_are_dotted_paths_through_module_lists_in_registration_order()
    {
        using var net = new Net(1);
        CollectionAssert.AreEqual(
            new[] { "blocks.0.conv.weight", "blocks.0.conv.bias", "blocks.1.conv.weight", "blocks.1.conv.bias", "head.weight", "head.bias" },
            net.named_parameters().Select(p => p.name).ToArray());
        Assert.AreEqual(2 * (4 + 2) + 4 + 1, net.parameter_count());
    }

    [TestMethod]
    public void Parameters_require_grad_and_buffers_do_not()
    {
        using var net = new Net(1);
        Assert.IsTrue(net.parameters().All(p => p.requires_grad));
        Assert.IsTrue(net.named_buffers().All(b => !b.buffer.requires_grad));
    }

    [TestMethod]
    public void State_dict_holds_parameters_and_buffers_by_name()
    {
        using var net = new Net(1);
        var sd = net.state_dict();
        CollectionAssert.AreEquivalent(
            new[] { "blocks.0.conv.weight", "blocks.0.conv.bias", "blocks.0.scale", "blocks.1.conv.weight", "blocks.1.conv.bias", "blocks.1.scale", "head.weight", "head.bias" },
            sd.Keys.ToArray());
        Assert.AreSame(net.head.weight, sd["head.weight"]);
    }

    [TestMethod]
    public void Registering_a_name_twice_is_rejected()
    {
        using var net = new Net(1);
        using var t = torch.zeros([1]);
        var e = Assert.ThrowsException<ArgumentException>(() => net.Register("head", t));
        StringAssert.Contains(e.Message, "'head' is already registered");
    }

    [TestMethod]
    public void Load_state_dict_copies_values_rather_than_sharing_them()
    {
        using var a = new Net(1);
        using var b = new Net(2);
        Assert.IsFalse(a.head.weight.equal(b.head.weight));
        b.load_state_dict(a.state_dict());
        foreach (var ((name, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
            Assert.IsTrue(pa.equal(pb), name);
        using (torch.no_grad()) a.head.weight.add_(1);
        Assert.IsFalse(a.head.weight.equal(b.head.weight));
    }

    [TestMethod]
    public void Load_state_dict_rejects_a_missing_name_naming_it()
    {
        using var a = new Net(1);
        using var b = new Net(2);
        var sd = a.state_dict();
        sd.Remove("blocks.1.conv.bias");
        var e = Assert.ThrowsException<InvalidDataException>(() => b.load_state_dict(sd));
        StringAssert.Contains(e.Message, "missing [blocks.1.conv.bias]");
    }

    [TestMethod]
    public void Load_state_dict_rejects_an_unexpected_name_naming_it()
    {
        using var a = new Net(1);
        using var b = new Net(2);
        using var extra = torch.zeros([3]);
        var sd = a.state_dict();
        sd["blocks.2.conv.weight"] = extra;
        var e = Assert.ThrowsException<InvalidDataException>(() => b.load_state_dict(sd));
        StringAssert.Contains(e.Message, "unexpected [blocks.2.conv.weight]");
    }

    [TestMethod]
    public void Load_state_dict_rejects_a_shape_mismatch_naming_the_key()
    {
        using var a = new Net(1, headInputs: 4);
        using var b = new Net(2, headInputs: 5);
        var e = Assert.ThrowsException<InvalidDataException>(() => b.load_state_dict(a.state_dict()));
        StringAssert.Contains(e.Message, "'head.weight': expected shape [1, 5], got [1, 4]");
    }

    [TestMethod]
    public void Load_state_dict_rejects_a_dtype_mismatch_naming_the_key()
    {
        using var scope = torch.NewDisposeScope();
        using var a = new Net(1);
        var sd = a.state_dict();
        sd["head.bias"] = sd["head.bias"].to(torch.float64);
        var e = Assert.ThrowsException<InvalidDataException>(() => a.load_state_dict(sd));
        StringAssert.Contains(e.Message, "'head.bias': expected dtype Float32, got Float64");
    }

    [TestMethod]
    public void Non_strict_load_state_dict_skips_missing_and_unexpected_names()
    {
        using var scope = torch.NewDisposeScope();
        using var a = new Net(1);
        using var b = new Net(2);
        var before = b.head.bias!.clone();
        var sd = a.state_dict();
        sd.Remove("head.bias");
        sd["other"] = torch.zeros([1]);
        b.load_state_dict(sd, strict: false);
        Assert.IsTrue(b.head.weight.equal(a.head.weight));
        Assert.IsTrue(b.head.bias.equal(before));
    }

    [TestMethod]
    public void Eval_and_train_reach_every_submodule()
    {
        using var net = new Net(1);
        net.eval();
        Assert.IsFalse(net.training || net.blocks.training || net.blocks[1].conv.training);
        net.train();
        Assert.IsTrue(net.training && net.blocks.training && net.blocks[1].conv.training);
    }

    [TestMethod]
    public void Parameters_outlive_the_dispose_scope_the_module_was_built_in()
    {
        Net net;
        using (torch.NewDisposeScope()) net = new Net(1);
        using (net)
            Assert.IsTrue(net.parameters().All(p => !p.IsInvalid));
    }

    [TestMethod]
    public void Disposing_a_module_frees_its_parameters_and_buffers()
    {
        long before = LeakTests.SettledLiveCount();
        var net = new Net(1);
        Assert.AreEqual(before + 8, torch.live_tensor_count());
        net.Dispose();
        Assert.AreEqual(before, torch.live_tensor_count());
        Assert.IsTrue(net.head.weight.IsInvalid);
    }

    [TestMethod]
    public void Module_zero_grad_clears_parameter_gradients()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new Net(1);
        net.head.forward(torch.ones([2, 4])).sum().backward();
        Assert.IsNotNull(net.head.weight.grad);
        net.zero_grad();
        Assert.IsTrue(net.parameters().All(p => p.grad is null));
    }
}

using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class RandomTests
{
    private static Tensor Draw(Generator g) => torch.rand([64], g);

    [TestMethod]
    public void Rand_from_generators_with_the_same_seed_is_identical()
    {
        using var scope = torch.NewDisposeScope();
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        Assert.IsTrue(Draw(g1).equal(Draw(g2)));
        Assert.IsTrue(torch.randn([64], g1).equal(torch.randn([64], g2)));
    }

    [TestMethod]
    public void Rand_from_generators_with_different_seeds_differs()
    {
        using var scope = torch.NewDisposeScope();
        using var g1 = new Generator(42);
        using var g2 = new Generator(43);
        Assert.IsFalse(Draw(g1).equal(Draw(g2)));
        Assert.IsFalse(torch.randn([64], g1).equal(torch.randn([64], g2)));
    }

    [TestMethod]
    public void Successive_draws_from_one_generator_differ()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(42);
        Assert.IsFalse(Draw(g).equal(Draw(g)));
    }

    [TestMethod]
    public void Rand_is_uniform_on_zero_to_one()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(1);
        var t = torch.rand([20000], g);
        Assert.AreEqual(ScalarType.Float32, t.dtype);
        Assert.IsTrue(t.min().item() >= 0 && t.max().item() < 1);
        Assert.AreEqual(0.5, t.mean().item(), 0.01);
        Assert.AreEqual(Math.Sqrt(1 / 12.0), t.std().item(), 0.01);
    }

    [TestMethod]
    public void Randn_is_standard_normal()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(2);
        var t = torch.randn([20000], g, torch.float64);
        Assert.AreEqual(ScalarType.Float64, t.dtype);
        Assert.AreEqual(0.0, t.mean().item(), 0.03);
        Assert.AreEqual(1.0, t.std().item(), 0.03);
        Assert.IsTrue(t.lt(0).sum().item() > 9000 && t.gt(0).sum().item() > 9000);
    }

    [TestMethod]
    public void Randint_draws_every_integer_in_low_to_high_exclusive()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(3);
        var t = torch.randint(-2, 3, [2000], g);
        Assert.AreEqual(ScalarType.Int64, t.dtype);
        var seen = t.data<long>().Distinct().Order().ToArray();
        CollectionAssert.AreEqual(new long[] { -2, -1, 0, 1, 2 }, seen);
        using var g2 = new Generator(3);
        Assert.IsTrue(t.equal(torch.randint(-2, 3, [2000], g2)));
    }

    [TestMethod]
    public void Randperm_is_a_permutation_reproducible_by_seed()
    {
        using var scope = torch.NewDisposeScope();
        using var g1 = new Generator(4);
        using var g2 = new Generator(4);
        var p = torch.randperm(50, g1);
        CollectionAssert.AreEqual(Enumerable.Range(0, 50).Select(i => (long)i).ToArray(), p.data<long>().Order().ToArray());
        Assert.IsFalse(p.equal(torch.arange(0, 50)), "a shuffle of 50 left in order");
        Assert.IsTrue(p.equal(torch.randperm(50, g2)));
    }

    [TestMethod]
    public void Multinomial_never_draws_a_zero_probability_class()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(5);
        var probs = torch.tensor(new[] { 0f, 3f, 0f, 1f, 0f, 0f }, 2, 3);
        var draws = torch.multinomial(probs, 500, replacement: true, generator: g);
        CollectionAssert.AreEqual(new long[] { 2, 500 }, draws.shape);
        CollectionAssert.AreEqual(new long[] { 1 }, draws.select(0, 0).data<long>().Distinct().ToArray());
        CollectionAssert.AreEqual(new long[] { 0 }, draws.select(0, 1).data<long>().Distinct().ToArray());
    }

    [TestMethod]
    public void Multinomial_follows_the_unnormalised_weights()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(6);
        var draws = torch.multinomial(torch.tensor(new[] { 1.0, 3.0 }), 4000, replacement: true, generator: g);
        Assert.AreEqual(0.75, draws.to(torch.float64).mean().item(), 0.03);
    }

    [TestMethod]
    public void Multinomial_without_replacement_draws_distinct_classes()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(7);
        var draws = torch.multinomial(torch.ones([5]), 5, replacement: false, generator: g);
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 3, 4 }, draws.data<long>().Order().ToArray());
    }

    [TestMethod]
    public void Multinomial_with_the_same_seed_draws_the_same_samples()
    {
        using var scope = torch.NewDisposeScope();
        using var g1 = new Generator(8);
        using var g2 = new Generator(8);
        var probs = torch.tensor(new[] { 0.1f, 0.2f, 0.3f, 0.4f });
        Assert.IsTrue(torch.multinomial(probs, 100, true, g1).equal(torch.multinomial(probs, 100, true, g2)));
    }

    [TestMethod]
    public void Bernoulli_follows_per_element_probabilities()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(9);
        var probs = torch.cat([torch.zeros([100]), torch.ones([100])]);
        var draws = torch.bernoulli(probs, g);
        Assert.AreEqual(0.0, draws.narrow(0, 0, 100).sum().item());
        Assert.AreEqual(100.0, draws.narrow(0, 100, 100).sum().item());
    }

    [TestMethod]
    public void Uniform_and_normal_fill_in_place_within_their_parameters()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(10);
        var u = torch.empty([5000], torch.float64).uniform_(-3, -1, g);
        Assert.IsTrue(u.min().item() >= -3 && u.max().item() < -1);
        Assert.AreEqual(-2.0, u.mean().item(), 0.05);
        var n = torch.empty([5000], torch.float64).normal_(10, 0.5, g);
        Assert.AreEqual(10.0, n.mean().item(), 0.05);
        Assert.AreEqual(0.5, n.std().item(), 0.05);
    }

    [TestMethod]
    public void Generator_set_state_replays_the_same_draws()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(12);
        torch.randn([7], g); // move away from the seed's initial state
        var state = g.get_state();
        Assert.AreEqual(ScalarType.Byte, state.dtype);
        var first = torch.cat([torch.rand([5], g), torch.randn([33], g), torch.randint(0, 9, [4], g).to(torch.float32)]);
        g.set_state(state);
        var replay = torch.cat([torch.rand([5], g), torch.randn([33], g), torch.randint(0, 9, [4], g).to(torch.float32)]);
        Assert.IsTrue(first.equal(replay));
    }

    [TestMethod]
    public void Generator_state_carries_over_to_another_generator()
    {
        using var scope = torch.NewDisposeScope();
        using var g1 = new Generator(13);
        using var g2 = new Generator(99);
        torch.rand([3], g1);
        g2.set_state(g1.get_state());
        Assert.IsTrue(torch.randn([20], g1).equal(torch.randn([20], g2)));
    }

    [TestMethod]
    public void Generator_manual_seed_restarts_the_sequence()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(14);
        var first = Draw(g);
        Draw(g);
        g.manual_seed(14);
        Assert.IsTrue(first.equal(Draw(g)));
    }

    [TestMethod]
    public void Default_generator_state_round_trips()
    {
        using var scope = torch.NewDisposeScope();
        var state = Generator.get_default_state();
        var first = torch.cat([torch.rand([10]), torch.randn([40])]);
        Generator.set_default_state(state);
        var replay = torch.cat([torch.rand([10]), torch.randn([40])]);
        Assert.IsTrue(first.equal(replay));
    }

    [TestMethod]
    public void Manual_seed_makes_the_default_generator_reproducible()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2024);
        var first = torch.randn([16]);
        torch.manual_seed(2024);
        Assert.IsTrue(first.equal(torch.randn([16])));
        torch.manual_seed(2025);
        Assert.IsFalse(first.equal(torch.randn([16])));
    }
}

using PixelCnn.ML.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Models;

[TestClass]
public class OutputHeadTests
{
    [TestMethod]
    public void All_zero_logits_give_exactly_eight_bits_per_dim()
    {
        using var scope = NewDisposeScope();
        var output = zeros([2, 3 * 256, 4, 5]);
        var target = randint(0, 256, [2, 3, 4, 5], generator: new Generator(3));
        var nats = new SoftmaxHead().NllNats(output, target, 3);
        double bitsPerDim = nats.to(ScalarType.Float64).mean().item<double>() / Math.Log(2);
        Assert.AreEqual(8.0, bitsPerDim, 1e-6);
    }

    [TestMethod]
    public void Logistic_mixture_probabilities_over_the_256_values_sum_to_one()
    {
        using var scope = NewDisposeScope();
        var head = new LogisticMixtureHead(5);
        var g = new Generator(11);
        // Means across and beyond [-1, 1], log-scales from very sharp (clamped at -7) to broad.
        var p = randn([64, 15], generator: g) * 2.0;
        var logp = head.LogProbs(p);
        CollectionAssert.AreEqual(new long[] { 64, 256 }, logp.shape);
        var sums = logp.to(ScalarType.Float64).exp().sum(1).data<double>().ToArray();
        foreach (var s in sums) Assert.AreEqual(1.0, s, 1e-5);
    }

    [TestMethod]
    public void Logistic_mixture_nll_matches_its_log_probs_at_the_target_value()
    {
        using var scope = NewDisposeScope();
        var head = new LogisticMixtureHead(3);
        var g = new Generator(5);
        var output = randn([1, 9, 2, 2], generator: g); // one channel, 2x2 image
        var target = randint(0, 256, [1, 1, 2, 2], generator: g);
        var nll = head.NllNats(output, target, 1).data<float>().ToArray();
        var tv = target.data<long>().ToArray();
        for (int pos = 0; pos < 4; pos++)
        {
            var prm = output.view(9, 4).narrow(1, pos, 1).transpose(0, 1); // [1, 9]
            var lp = head.LogProbs(prm).data<float>().ToArray();
            Assert.AreEqual(-lp[tv[pos]], nll[pos], 1e-4, $"position {pos}");
        }
    }

    [TestMethod]
    public void Softmax_head_nll_is_the_cross_entropy_of_the_target_value()
    {
        using var scope = NewDisposeScope();
        var output = randn([1, 256, 1, 1], generator: new Generator(2));
        var target = tensor(new long[] { 77 }, [1, 1, 1, 1]);
        var nll = new SoftmaxHead().NllNats(output, target, 1).item<float>();
        var logits = output.data<float>().ToArray();
        double max = logits.Max(), lse = max + Math.Log(logits.Sum(v => Math.Exp(v - max)));
        Assert.AreEqual(lse - logits[77], nll, 1e-5);
    }
}

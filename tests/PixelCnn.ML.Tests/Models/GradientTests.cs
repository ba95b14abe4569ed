// Gradients of the pieces written here (not TorchSharp's own ops) against central finite
// differences in float64: the masked convolution with asymmetric padding, the gated activation,
// the log-space discretized logistic mixture and the softmax head's per-sub-pixel NLL.
using PixelCnn.ML.Models;
using PixelCnn.ML.Tests.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Models;

[TestClass]
public class GradientTests
{
    private static Tensor Randn(Generator g, params long[] shape) => randn(shape, dtype: ScalarType.Float64, generator: g);

    [TestMethod]
    public void Masked_horizontal_convolution_gradients_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        // The first gated block's horizontal conv for RGB: 1 x 2 taps, mask A at the centre, left padding.
        var groups = ColourMasks.Groups(3, 3);
        var gated = ColourMasks.GatedGroups(6, 3);
        var mask = ColourMasks.Build(gated, groups, 1, 2, 0, 1, MaskType.A);
        using var conv = new MaskedConv2d(3, 12, 1, 2, mask, [1, 0, 0, 0], g);
        conv.to(ScalarType.Float64);
        GradientCheck.AssertMatchesFiniteDifferences(xs => conv.forward(xs[0]), [Randn(g, 2, 3, 3, 4)]);
    }

    [TestMethod]
    public void Masked_weight_gets_exactly_zero_gradient_on_masked_taps_and_matches_finite_differences_elsewhere()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(2);
        var groups = ColourMasks.Groups(3, 3);
        var mask = ColourMasks.Build(groups, groups, 3, 3, 1, 1, MaskType.B);
        using var m = tensor(mask, [3, 3, 3, 3], dtype: ScalarType.Float64);
        var x = Randn(g, 1, 3, 4, 4);
        // The masked weight as MaskedConv2d forms it: weight ⊙ mask, then the convolution.
        GradientCheck.AssertMatchesFiniteDifferences(ws => nn.functional.conv2d(x, ws[0] * m, padding: [1, 1]), [Randn(g, 3, 3, 3, 3)]);

        var w = Randn(g, 3, 3, 3, 3).requires_grad_();
        nn.functional.conv2d(x, w * m, padding: [1, 1]).sum().backward();
        var grad = w.grad!.data<double>().ToArray();
        for (int i = 0; i < mask.Length; i++)
            if (mask[i] == 0) Assert.AreEqual(0.0, grad[i], $"masked tap {i} got a gradient");
    }

    [TestMethod]
    public void Gate_gradients_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        GradientCheck.AssertMatchesFiniteDifferences(xs => GatedBlock.Gate(xs[0], 4), [Randn(g, 2, 8, 3, 3)]);
    }

    [TestMethod]
    public void Logistic_mixture_log_probability_gradients_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(4);
        // Values at both edges (0 and 255 use the open-ended bins) and in between.
        var x = tensor(new double[] { 0, 1, 17, 128, 254, 255 }, [6, 1]);
        GradientCheck.AssertMatchesFiniteDifferences(
            xs => LogisticMixtureHead.MixtureLogProb(xs[0], xs[1], xs[2], x, dim: 1),
            [Randn(g, 6, 3), Randn(g, 6, 3) * 0.5, Randn(g, 6, 3) * 0.5 - 2.0], floor: 1e-4);
    }

    [TestMethod]
    public void Softmax_head_nll_gradients_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var target = randint(0, 256, [1, 1, 1, 2], generator: g);
        GradientCheck.AssertMatchesFiniteDifferences(xs => new SoftmaxHead().NllNats(xs[0], target, 1), [Randn(g, 1, 256, 1, 2)], eps: 1e-5, floor: 1e-4);
    }
}

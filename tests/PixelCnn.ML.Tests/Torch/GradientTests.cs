using PixelCnn.ML.Torch;
using F = PixelCnn.ML.Torch.torch.nn.functional;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class GradientTests
{
    private static Tensor Randn(Generator g, params long[] shape) => torch.randn(shape, g, torch.float64);

    [TestMethod]
    public void Conv2d_gradients_for_input_weight_and_bias_match_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(1);
        GradientCheck.AssertMatchesFiniteDifferences(
            xs => F.conv2d(xs[0], xs[1], xs[2], padding: [1]),
            [Randn(g, 2, 2, 4, 4), Randn(g, 3, 2, 3, 3), Randn(g, 3)]);
    }

    [TestMethod]
    public void Strided_conv2d_gradients_match_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(2);
        GradientCheck.AssertMatchesFiniteDifferences(
            xs => F.conv2d(xs[0], xs[1], xs[2], stride: [2], padding: [1, 0]),
            [Randn(g, 1, 2, 5, 5), Randn(g, 2, 2, 2, 3), Randn(g, 2)]);
    }

    [TestMethod]
    public void Conv_transpose2d_gradients_match_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(3);
        GradientCheck.AssertMatchesFiniteDifferences(
            xs => F.conv_transpose2d(xs[0], xs[1], xs[2], stride: [2], padding: [1], output_padding: [1]),
            [Randn(g, 2, 2, 3, 3), Randn(g, 2, 3, 3, 3), Randn(g, 3)]);
    }

    [TestMethod]
    public void Linear_gradients_match_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(4);
        GradientCheck.AssertMatchesFiniteDifferences(
            xs => F.linear(xs[0], xs[1], xs[2]),
            [Randn(g, 3, 4), Randn(g, 5, 4), Randn(g, 5)]);
    }

    [TestMethod]
    public void Tanh_sigmoid_gating_gradients_match_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(5);
        GradientCheck.AssertMatchesFiniteDifferences(
            xs => xs[0].tanh() * xs[1].sigmoid(),
            [Randn(g, 2, 3, 3), Randn(g, 2, 3, 3)]);
    }

    [TestMethod]
    public void Log_softmax_gradients_match_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(6);
        GradientCheck.AssertMatchesFiniteDifferences(xs => F.log_softmax(xs[0], 1), [Randn(g, 3, 5)]);
    }

    [TestMethod]
    public void Cross_entropy_gradients_over_image_logits_match_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(7);
        var target = torch.randint(0, 4, [2, 2, 2], g);
        GradientCheck.AssertMatchesFiniteDifferences(xs => F.cross_entropy(xs[0], target), [Randn(g, 2, 4, 2, 2)]);
    }

    [TestMethod]
    public void Nll_loss_of_log_softmax_gradients_match_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(8);
        var target = torch.tensor(new long[] { 0, 3, 1 });
        GradientCheck.AssertMatchesFiniteDifferences(
            xs => F.nll_loss(F.log_softmax(xs[0], 1), target, torch.nn.Reduction.Sum), [Randn(g, 3, 4)]);
    }

    [TestMethod]
    public void Gradient_check_catches_a_gradient_that_autograd_does_not_see()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(9);
        // detach hides one factor of x * x from autograd, so autograd reports half the true slope
        Assert.ThrowsException<AssertFailedException>(() =>
            GradientCheck.AssertMatchesFiniteDifferences(xs => xs[0].detach() * xs[0], [Randn(g, 4)]));
    }
}

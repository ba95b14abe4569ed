using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class GradientClippingTests
{
    // Gradients [3, 4] and [12]: joint 2-norm sqrt(9 + 16 + 144) = 13.
    private static (Tensor A, Tensor B) ParametersWithGradients()
    {
        var a = torch.zeros([2], torch.float64).requires_grad_();
        var b = torch.zeros([1], torch.float64).requires_grad_();
        a.grad = torch.tensor(new[] { 3.0, 4.0 });
        b.grad = torch.tensor(new[] { 12.0 });
        return (a, b);
    }

    [TestMethod]
    public void Clip_grad_norm_returns_the_norm_and_scales_gradients_down_to_max_norm()
    {
        using var scope = torch.NewDisposeScope();
        var (a, b) = ParametersWithGradients();
        double norm = torch.nn.utils.clip_grad_norm_([a, b], max_norm: 1.3);
        Assert.AreEqual(13.0, norm, 1e-12);
        double scale = 1.3 / (13.0 + 1e-6);
        TensorAssert.Close([3 * scale, 4 * scale], a.grad!, [2]);
        TensorAssert.Close([12 * scale], b.grad!, [1]);
    }

    [TestMethod]
    public void Clip_grad_norm_leaves_gradients_under_max_norm_alone()
    {
        using var scope = torch.NewDisposeScope();
        var (a, b) = ParametersWithGradients();
        Assert.AreEqual(13.0, torch.nn.utils.clip_grad_norm_([a, b], max_norm: 20), 1e-12);
        TensorAssert.Close([3.0, 4.0], a.grad!, [2]);
        TensorAssert.Close([12.0], b.grad!, [1]);
    }

    [TestMethod]
    public void Clip_grad_norm_skips_parameters_without_gradients()
    {
        using var scope = torch.NewDisposeScope();
        var (a, _) = ParametersWithGradients();
        var none = torch.zeros([3], torch.float64).requires_grad_();
        Assert.AreEqual(5.0, torch.nn.utils.clip_grad_norm_([a, none], max_norm: 10), 1e-12);
        Assert.IsNull(none.grad);
        Assert.AreEqual(0.0, torch.nn.utils.clip_grad_norm_([none], max_norm: 10));
    }
}

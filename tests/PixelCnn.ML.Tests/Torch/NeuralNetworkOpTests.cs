using PixelCnn.ML.Torch;
using static PixelCnn.ML.Torch.torch.nn;
using F = PixelCnn.ML.Torch.torch.nn.functional;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class NeuralNetworkOpTests
{
    // input 1x1x3x3 = [[1,2,3],[4,5,6],[7,8,9]], kernel 1x1x2x2 = [[1,2],[3,4]]
    private static Tensor Image3x3() => torch.arange(1, 10, dtype: torch.float32).reshape(1, 1, 3, 3);
    private static Tensor Kernel2x2() => torch.tensor(new[] { 1f, 2f, 3f, 4f }, 1, 1, 2, 2);

    [TestMethod]
    public void Conv2d_slides_the_kernel_over_the_input_and_adds_the_bias()
    {
        using var scope = torch.NewDisposeScope();
        // out[0,0] = 1*1 + 2*2 + 4*3 + 5*4 = 37, then + bias 1
        TensorAssert.Close([37f, 47f, 67f, 77f], F.conv2d(Image3x3(), Kernel2x2()), [1, 1, 2, 2], 0);
        TensorAssert.Close([38f, 48f, 68f, 78f], F.conv2d(Image3x3(), Kernel2x2(), torch.tensor(new[] { 1f })), [1, 1, 2, 2], 0);
    }

    [TestMethod]
    public void Conv2d_with_padding_sees_zeros_outside_the_input()
    {
        using var scope = torch.NewDisposeScope();
        float[] expected =
        [
            4, 11, 18, 9,
            18, 37, 47, 21,
            36, 67, 77, 33,
            14, 23, 26, 9,
        ];
        TensorAssert.Close(expected, F.conv2d(Image3x3(), Kernel2x2(), padding: [1]), [1, 1, 4, 4], 0);
    }

    [TestMethod]
    public void Conv2d_with_stride_skips_positions()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([4f, 18f, 36f, 77f], F.conv2d(Image3x3(), Kernel2x2(), padding: [1, 1], stride: [2, 2]), [1, 1, 2, 2], 0);
    }

    [TestMethod]
    public void Conv2d_sums_over_input_channels_per_output_channel()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 1f, 2f, 3f, 4f, 10f, 20f, 30f, 40f }, 1, 2, 2, 2);
        // out channel 0 takes channel 0 only, out channel 1 adds both channels' top-left pixels
        var w = torch.tensor(new[] { 1f, 1f, 1f, 1f, 0f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f }, 2, 2, 2, 2);
        TensorAssert.Close([10f, 11f], F.conv2d(x, w), [1, 2, 1, 1], 0);
    }

    [TestMethod]
    public void Conv_transpose2d_scatters_each_input_pixel_times_the_kernel()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 1f, 2f, 3f, 4f }, 1, 1, 2, 2);
        // out[1,1] = x00*w11 + x01*w10 + x10*w01 + x11*w00 = 4 + 6 + 6 + 4
        float[] expected =
        [
            1, 4, 4,
            6, 20, 16,
            9, 24, 16,
        ];
        TensorAssert.Close(expected, F.conv_transpose2d(x, Kernel2x2()), [1, 1, 3, 3], 0);
        TensorAssert.Close(expected.Select(v => v - 1).ToArray(), F.conv_transpose2d(x, Kernel2x2(), torch.tensor(new[] { -1f })), [1, 1, 3, 3], 0);
    }

    [TestMethod]
    public void Conv_transpose2d_with_stride_places_kernel_copies_apart()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 1f, 2f, 3f, 4f }, 1, 1, 2, 2);
        float[] expected =
        [
            1, 2, 2, 4,
            3, 4, 6, 8,
            3, 6, 4, 8,
            9, 12, 12, 16,
        ];
        TensorAssert.Close(expected, F.conv_transpose2d(x, Kernel2x2(), stride: [2]), [1, 1, 4, 4], 0);
        TensorAssert.Close([4f, 6f, 6f, 4f], F.conv_transpose2d(x, Kernel2x2(), stride: [2], padding: [1]), [1, 1, 2, 2], 0);
        CollectionAssert.AreEqual(new long[] { 1, 1, 5, 5 }, F.conv_transpose2d(x, Kernel2x2(), stride: [2], output_padding: [1]).shape);
    }

    [TestMethod]
    public void Linear_is_x_times_w_transposed_plus_b()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 1.0, 2.0, -1.0, 0.5 }, 2, 2);
        var w = torch.tensor(new[] { 1.0, 0.0, 0.0, 1.0, 1.0, 1.0 }, 3, 2);
        var b = torch.tensor(new[] { 0.5, 0.0, -1.0 });
        TensorAssert.Close([1.5, 2.0, 2.0, -0.5, 0.5, -1.5], F.linear(x, w, b), [2, 3]);
        TensorAssert.Close([1.0, 2.0, 3.0, -1.0, 0.5, -0.5], F.linear(x, w), [2, 3]);
    }

    [TestMethod]
    public void Matmul_multiplies_matrices_vectors_and_batches()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 }, 2, 3);
        var b = torch.tensor(new[] { 1.0, 0.0, 0.0, 1.0, 1.0, 1.0 }, 3, 2);
        TensorAssert.Close([4.0, 5.0, 10.0, 11.0], a.matmul(b), [2, 2]);
        TensorAssert.Close([6.0, 15.0], torch.matmul(a, torch.ones([3], torch.float64)), [2]);
        var batch = torch.stack([a, a.mul(2)]);
        TensorAssert.Close([4.0, 5.0, 10.0, 11.0, 8.0, 10.0, 20.0, 22.0], batch.matmul(b), [2, 2, 2]);
    }

    [TestMethod]
    public void Embedding_looks_up_rows_of_the_weight()
    {
        using var scope = torch.NewDisposeScope();
        var weight = torch.tensor(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, 3, 2);
        var idx = torch.tensor(new long[] { 2, 0, 2, 1 }, 2, 2);
        TensorAssert.Close([4f, 5f, 0f, 1f, 4f, 5f, 2f, 3f], F.embedding(idx, weight), [2, 2, 2], 0);
    }

    [TestMethod]
    public void Softmax_normalises_exponentials_along_a_dim()
    {
        using var scope = torch.NewDisposeScope();
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        var t = torch.tensor(new[] { 1.0, 2.0, 3.0, 0.0, 0.0, 0.0 }, 2, 3);
        TensorAssert.Close([Math.Exp(1) / z, Math.Exp(2) / z, Math.Exp(3) / z, 1 / 3.0, 1 / 3.0, 1 / 3.0], F.softmax(t, 1), [2, 3]);
        TensorAssert.Close([0.5, 0.5, 0.5, 0.5], F.softmax(torch.tensor(new[] { 7.0, -1.0, 7.0, -1.0 }, 2, 2), 0), [2, 2]);
    }

    [TestMethod]
    public void Log_softmax_subtracts_the_logsumexp()
    {
        using var scope = torch.NewDisposeScope();
        double lse = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        TensorAssert.Close([1 - lse, 2 - lse, 3 - lse], F.log_softmax(torch.tensor(new[] { 1.0, 2.0, 3.0 }), 0), [3]);
        TensorAssert.Close([-Math.Log(2), -Math.Log(2)], F.log_softmax(torch.tensor(new[] { 1000.0, 1000.0 }), -1), [2]);
    }

    // logits [[1,2,3],[1,1,1]] with targets [2,0]: losses lse(1,2,3) - 3 and log 3
    private static readonly double CeFirst = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3;
    private static readonly double CeSecond = Math.Log(3);

    [TestMethod]
    public void Cross_entropy_without_reduction_gives_one_loss_per_sample()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(new[] { 1.0, 2.0, 3.0, 1.0, 1.0, 1.0 }, 2, 3);
        var target = torch.tensor(new long[] { 2, 0 });
        TensorAssert.Close([CeFirst, CeSecond], F.cross_entropy(logits, target, Reduction.None), [2]);
    }

    [TestMethod]
    public void Cross_entropy_reduces_by_mean_by_default_or_by_sum()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(new[] { 1.0, 2.0, 3.0, 1.0, 1.0, 1.0 }, 2, 3);
        var target = torch.tensor(new long[] { 2, 0 });
        TensorAssert.Close([(CeFirst + CeSecond) / 2], F.cross_entropy(logits, target), []);
        TensorAssert.Close([CeFirst + CeSecond], F.cross_entropy(logits, target, Reduction.Sum), []);
    }

    [TestMethod]
    public void Cross_entropy_takes_classes_on_dim_1_for_images()
    {
        using var scope = torch.NewDisposeScope();
        // [N=1, C=3, H=1, W=2]: pixel 0 has logits (1,2,3), pixel 1 has (1,1,1)
        var logits = torch.tensor(new[] { 1.0, 1.0, 2.0, 1.0, 3.0, 1.0 }, 1, 3, 1, 2);
        var target = torch.tensor(new long[] { 2, 0 }, 1, 1, 2);
        TensorAssert.Close([CeFirst, CeSecond], F.cross_entropy(logits, target, Reduction.None), [1, 1, 2]);
    }

    [TestMethod]
    public void Nll_loss_picks_the_negated_target_log_probability()
    {
        using var scope = torch.NewDisposeScope();
        var logp = torch.tensor(new[] { -1.0, -2.0, -3.0, -0.5, -1.5, -2.5 }, 2, 3);
        var target = torch.tensor(new long[] { 1, 2 });
        TensorAssert.Close([2.0, 2.5], F.nll_loss(logp, target, Reduction.None), [2]);
        TensorAssert.Close([2.25], F.nll_loss(logp, target), []);
        TensorAssert.Close([4.5], F.nll_loss(logp, target, Reduction.Sum), []);
    }

    [TestMethod]
    public void Nll_loss_of_log_softmax_equals_cross_entropy()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(new[] { 0.3, -1.2, 2.0, 0.1, 0.0, 0.7 }, 2, 3);
        var target = torch.tensor(new long[] { 0, 2 });
        Assert.IsTrue(F.nll_loss(F.log_softmax(logits, 1), target).allclose(F.cross_entropy(logits, target), 1e-12, 1e-14));
    }

    [TestMethod]
    public void Mse_loss_averages_or_sums_squared_differences()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new[] { 1.0, 2.0, 3.0 });
        var b = torch.tensor(new[] { 1.0, 1.0, 5.0 });
        TensorAssert.Close([0.0, 1.0, 4.0], F.mse_loss(a, b, Reduction.None), [3]);
        TensorAssert.Close([5.0 / 3], F.mse_loss(a, b), []);
        TensorAssert.Close([5.0], F.mse_loss(a, b, Reduction.Sum), []);
    }

    [TestMethod]
    public void Dropout_with_p_zero_is_the_identity()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(1, 101, dtype: torch.float32);
        Assert.IsTrue(F.dropout(x, 0.0, training: true).equal(x));
    }

    [TestMethod]
    public void Dropout_in_eval_mode_is_the_identity()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(1, 101, dtype: torch.float32);
        Assert.IsTrue(F.dropout(x, 0.5, training: false).equal(x));
    }

    [TestMethod]
    public void Dropout_in_training_zeroes_some_elements_and_scales_the_rest()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        var x = torch.arange(1, 1001, dtype: torch.float64);
        var y = F.dropout(x, 0.25, training: true).data<double>();
        var xs = x.data<double>();
        int zeros = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            if (y[i] == 0) zeros++;
            else Assert.AreEqual(xs[i] / 0.75, y[i], 1e-12, $"element {i} kept but not scaled by 1/(1-p)");
        }
        Assert.IsTrue(zeros is > 200 and < 300, $"{zeros} of 1000 zeroed with p = 0.25");
    }
}

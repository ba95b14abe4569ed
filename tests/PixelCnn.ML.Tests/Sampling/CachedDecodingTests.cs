// The cached decoders must compute the same distribution parameters as one full forward pass:
// teacher forcing on a fixed image, every sub-pixel's parameters from the cached path compared
// with the full pass over the whole image (causality makes the later sub-pixels irrelevant).
using PixelCnn.ML.Models;
using PixelCnn.ML.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Sampling;

[TestClass]
public class CachedDecodingTests
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Variants() => SamplingModels.Variants();

    /// <summary>
    /// Runs a stepper (the cached one unless told) over <paramref name="x"/>, asking for parameters from sub-pixel
    /// <paramref name="firstAsked"/> on (the earlier ones are only set), and checks each against
    /// <paramref name="full"/> [B, C·P, H, W]. Returns how many sub-pixels were compared.
    /// </summary>
    private static int CompareTeacherForced(PixelCnnNetwork net, Tensor x, Tensor? h, long firstAsked, bool directWrites = true,
                                            SamplerKind kind = SamplerKind.Cached)
    {
        var c = net.Config;
        int C = c.Channels, H = c.Height, W = c.Width, P = net.Head.ParametersPerChannel, B = (int)x.size(0);
        using var noGrad = no_grad();
        float[] full;
        using (var output = net.forward(x, h)) full = output.data<float>().ToArray();
        var xs = x.data<float>().ToArray();
        var values = new float[B];
        int compared = 0;
        using var stepper = SubPixelStepper.Create(kind, net, torch.CPU, B, h, directWrites);
        for (int i = 0; i < H; i++)
        {
            stepper.BeginRow(i);
            for (int j = 0; j < W; j++)
            {
                for (int ch = 0; ch < C; ch++)
                {
                    long t = ((long)i * W + j) * C + ch;
                    if (t >= firstAsked)
                    {
                        var got = stepper.Parameters(i, j, ch).data<float>().ToArray();
                        for (int b = 0; b < B; b++)
                            for (int q = 0; q < P; q++)
                            {
                                float expected = full[(((long)b * C * P + ch * P + q) * H + i) * W + j];
                                float actual = got[b * P + q];
                                if (Math.Abs(expected - actual) > Tolerance * (1 + Math.Abs(expected)))
                                    Assert.Fail($"image {b}, sub-pixel ({i},{j},c{ch}), parameter {q}: cached {actual}, full pass {expected}");
                            }
                        compared++;
                    }
                    for (int b = 0; b < B; b++) values[b] = xs[(((long)b * C + ch) * H + i) * W + j];
                    stepper.Set(i, j, ch, values);
                }
                stepper.EndPixel(i, j);
            }
            stepper.EndRow(i);
        }
        return compared;
    }

    [TestMethod]
    [DynamicData(nameof(Variants), DynamicDataSourceType.Method)]
    public void Cached_parameters_equal_the_full_forward_pass_at_every_subpixel(
        PixelCnnArchitecture arch, int colours, ConditioningKind cond, OutputDistribution output)
    {
        var config = SamplingModels.Config(arch, colours, cond, output);
        using var model = SamplingModels.Model(config);
        using var x = SamplingModels.Images(config);
        using var h = SamplingModels.Conditions(config);
        Assert.AreEqual(config.Dimensions, CompareTeacherForced(model.Network, x, h, 0));
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, 1)]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, 3)]
    [DataRow(PixelCnnArchitecture.PixelCnn, 1)]
    [DataRow(PixelCnnArchitecture.PixelCnn, 3)]
    [DataRow(PixelCnnArchitecture.RowLstm, 1)]
    [DataRow(PixelCnnArchitecture.RowLstm, 3)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm, 1)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm, 3)]
    public void Cached_parameters_stay_exact_after_a_prefix_that_is_only_set(PixelCnnArchitecture arch, int colours)
    {
        // Two rows, one pixel and one sub-pixel known: exercises the known-pixel path and a prefix ending mid-pixel.
        var config = SamplingModels.Config(arch, colours, ConditioningKind.Global, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var x = SamplingModels.Images(config);
        using var h = SamplingModels.Conditions(config);
        long prefix = (2L * config.Width + 1) * colours + 1;
        Assert.AreEqual(config.Dimensions - prefix, CompareTeacherForced(model.Network, x, h, prefix));
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, false)]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, true)]
    [DataRow(PixelCnnArchitecture.PixelCnn, false)]
    [DataRow(PixelCnnArchitecture.RowLstm, false)]
    [DataRow(PixelCnnArchitecture.RowLstm, true)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm, false)]
    public void Cached_parameters_are_exact_for_wider_kernels_and_either_skip_setting(PixelCnnArchitecture arch, bool skip)
    {
        var config = SamplingModels.Config(arch, 3, ConditioningKind.Spatial, OutputDistribution.LogisticMixture) with
        {
            KernelSize = 5, Layers = 2, Height = 7, Width = 5, SkipConnections = skip,
        };
        using var model = SamplingModels.Model(config);
        using var x = SamplingModels.Images(config);
        using var h = SamplingModels.Conditions(config);
        Assert.AreEqual(config.Dimensions, CompareTeacherForced(model.Network, x, h, 0));
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, SamplerKind.Cached)]
    [DataRow(PixelCnnArchitecture.PixelCnn, SamplerKind.Cached)]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, SamplerKind.Naive)]
    [DataRow(PixelCnnArchitecture.RowLstm, SamplerKind.Cached)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm, SamplerKind.Cached)]
    public void Parameters_are_exact_when_values_are_set_by_tensor_copies_as_on_other_devices(PixelCnnArchitecture arch, SamplerKind kind)
    {
        var config = SamplingModels.Config(arch, 3, ConditioningKind.Global, OutputDistribution.Softmax256);
        using var model = SamplingModels.Model(config);
        using var x = SamplingModels.Images(config);
        using var h = SamplingModels.Conditions(config);
        Assert.AreEqual(config.Dimensions, CompareTeacherForced(model.Network, x, h, 0, directWrites: false, kind));
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, 1)]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn, 3)]
    [DataRow(PixelCnnArchitecture.PixelCnn, 3)]
    public void Cached_parameters_are_exact_when_the_products_run_as_convolutions(PixelCnnArchitecture arch, int colours)
    {
        // Large enough products take the 1x1-convolution path of Projection: the gated h_conv maps
        // 3·48 inputs to 96 outputs (the baseline's kxk taps 3·48 to 48), the head 128 to 256.
        const int batch = 40;
        var config = SamplingModels.Config(arch, colours, ConditioningKind.Global, OutputDistribution.Softmax256) with
        {
            HiddenChannels = 48, KernelSize = 5, OutputHiddenChannels = 128, Layers = 2, Height = 4, Width = 5,
        };
        Assert.IsTrue((long)batch * 3 * 48 * 48 >= Projection.ConvolutionFrom && (long)batch * 128 * 256 >= Projection.ConvolutionFrom);
        using var model = SamplingModels.Model(config);
        using var x = SamplingModels.Images(config, count: batch);
        using var h = SamplingModels.Conditions(config, count: batch);
        Assert.AreEqual(config.Dimensions, CompareTeacherForced(model.Network, x, h, 0));
    }
}

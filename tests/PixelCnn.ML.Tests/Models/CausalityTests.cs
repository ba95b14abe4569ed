// Causality of every architecture (Gated PixelCNN, PixelCNN, Row LSTM, Diagonal BiLSTM) x {1, 3 colours} x {unconditional, global, spatial conditioning}:
// the parameters predicting sub-pixel t (raster order, R<G<B) must not depend on sub-pixel t or any
// later one, nor on other images of the batch; and the gated model must see every earlier sub-pixel
// of its receptive field (no blind spot), which the plain masked stack does not.
using PixelCnn.ML.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Models;

[TestClass]
public class CausalityTests
{
    public static IEnumerable<object[]> Variants()
    {
        foreach (var arch in new[] { PixelCnnArchitecture.GatedPixelCnn, PixelCnnArchitecture.PixelCnn, PixelCnnArchitecture.RowLstm, PixelCnnArchitecture.DiagonalBiLstm })
            foreach (var colours in new[] { 1, 3 })
                foreach (var cond in new[] { ConditioningKind.None, ConditioningKind.Global, ConditioningKind.Spatial })
                    foreach (var output in new[] { OutputDistribution.Softmax256, OutputDistribution.LogisticMixture })
                        yield return [arch, colours, cond, output];
    }

    internal static PixelCnnConfig SmallConfig(PixelCnnArchitecture arch, int colours, ConditioningKind cond,
                                               OutputDistribution output = OutputDistribution.Softmax256, int size = 6, int layers = 3) => new()
    {
        Architecture = arch, Channels = colours, Height = size, Width = size, Layers = layers, HiddenChannels = 24,
        KernelSize = 3, OutputHiddenChannels = 48, Conditioning = cond, ConditionSize = cond == ConditioningKind.None ? 0 : 4,
        SpatialConditionChannels = 3, Output = output, MixtureComponents = 2, SkipConnections = arch != PixelCnnArchitecture.PixelCnn,
    };

    internal static (PixelCnnNetwork net, Tensor x, Tensor? h) Build(PixelCnnConfig c, int batch = 2, ulong seed = 7)
    {
        using var g = new Generator(seed);
        var net = PixelCnnNetwork.Create(c, g);
        var x = (rand([batch, c.Channels, c.Height, c.Width], generator: g) * 150).floor().DetachFromDisposeScope();
        var h = c.Conditioning == ConditioningKind.None ? null : randn([batch, c.ConditionSize], generator: g).DetachFromDisposeScope();
        return (net, x, h);
    }

    /// <summary>Output parameters of sub-pixel (i, j, c) of image n: narrow of [N, C·P, H, W].</summary>
    private static Tensor SubPixelOutput(Tensor output, int n, int c, int i, int j, int p) =>
        output.narrow(0, n, 1).narrow(1, c * p, p).narrow(2, i, 1).narrow(3, j, 1);

    [TestMethod]
    [DynamicData(nameof(Variants), DynamicDataSourceType.Method)]
    public void Gradient_is_exactly_zero_at_the_predicted_and_every_later_subpixel_and_across_the_batch(
        PixelCnnArchitecture arch, int colours, ConditioningKind cond, OutputDistribution distribution)
    {
        var c = SmallConfig(arch, colours, cond, distribution);
        var (net, x, h) = Build(c);
        using (net) using (x) using (h)
        {
            var violations = PixelCnn.ML.Diagnostics.CausalityCheck.Run(net, x, h);
            Assert.AreEqual(0, violations.Count, string.Join("\n", violations.Take(5)));
        }
    }

    [TestMethod]
    public void The_causality_check_reports_a_network_that_sees_its_own_subpixel()
    {
        // A mask-B first layer lets every output see its own input sub-pixel: the check must say so.
        var c = SmallConfig(PixelCnnArchitecture.GatedPixelCnn, 1, ConditioningKind.None);
        var (net, x, _) = Build(c);
        using (net) using (x)
        {
            var cheat = new LeakyNetwork(c);
            var violations = PixelCnn.ML.Diagnostics.CausalityCheck.Run(cheat, x, null, [(2, 3, 0)]);
            Assert.IsTrue(violations.Any(v => v.InputImage == 0 && v.InputRow == 2 && v.InputColumn == 3), "the check missed a network that sees the predicted sub-pixel");
            cheat.Dispose();
        }
    }

    /// <summary>A deliberately broken network: a 1x1 unmasked conv of the input (sees the current sub-pixel).</summary>
    private sealed class LeakyNetwork : PixelCnnNetwork
    {
        private readonly TorchSharp.Modules.Conv2d conv;
        public LeakyNetwork(PixelCnnConfig c) : base(nameof(LeakyNetwork), c)
        {
            conv = nn.Conv2d(c.Channels, c.Channels * 256, 1);
            RegisterComponents();
        }
        public override Tensor forward(Tensor x, Tensor? h) => conv.forward(x);
    }

    [TestMethod]
    [DynamicData(nameof(Variants), DynamicDataSourceType.Method)]
    public void Perturbing_a_subpixel_leaves_every_earlier_output_bit_identical_and_changes_the_next(
        PixelCnnArchitecture arch, int colours, ConditioningKind cond, OutputDistribution distribution)
    {
        var c = SmallConfig(arch, colours, cond, distribution);
        var (net, x, h) = Build(c);
        using (net) using (x) using (h)
        using (no_grad())
        {
            int p = net.Head.ParametersPerChannel, C = c.Channels, H = c.Height, W = c.Width;
            using var baseOut = net.forward(x, h);
            var a = baseOut.data<float>().ToArray();
            // Every sub-pixel of a middle row and the first/last ones of the image.
            var positions = new List<(int i, int j, int ch)>();
            for (int j = 0; j < W; j++) for (int ch = 0; ch < C; ch++) positions.Add((H / 2, j, ch));
            positions.Add((0, 0, 0));
            positions.Add((H - 1, W - 1, C - 1));
            foreach (var (i, j, ch) in positions)
            {
                using var scope = NewDisposeScope();
                var x2 = x.clone();
                x2.narrow(0, 0, 1).narrow(1, ch, 1).narrow(2, i, 1).narrow(3, j, 1).add_(100.0);
                var b = net.forward(x2, h).data<float>().ToArray();
                int t = (i * W + j) * C + ch;
                bool anyLaterChanged = false, nextChanged = false;
                for (int ii = 0; ii < H; ii++)
                    for (int jj = 0; jj < W; jj++)
                        for (int cc = 0; cc < C; cc++)
                        {
                            int u = (ii * W + jj) * C + cc;
                            bool changed = false;
                            for (int q = 0; q < p; q++)
                            {
                                int idx = ((0 * C * p + cc * p + q) * H + ii) * W + jj;
                                if (BitConverter.SingleToInt32Bits(a[idx]) != BitConverter.SingleToInt32Bits(b[idx])) { changed = true; break; }
                            }
                            if (u <= t) Assert.IsFalse(changed, $"perturbing ({i},{j},c{ch}) changed the output of ({ii},{jj},c{cc})");
                            else anyLaterChanged |= changed;
                            if (u == t + 1) nextChanged = changed;
                        }
                // Image 1 of the batch must be untouched.
                for (int idx = C * p * H * W; idx < a.Length; idx++)
                    Assert.AreEqual(BitConverter.SingleToInt32Bits(a[idx]), BitConverter.SingleToInt32Bits(b[idx]), "another batch item changed");
                bool last = t == C * H * W - 1;
                if (!last) Assert.IsTrue(anyLaterChanged, $"perturbing ({i},{j},c{ch}) changed no later output");
                if (j < W - 1 || ch < C - 1) Assert.IsTrue(nextChanged, $"perturbing ({i},{j},c{ch}) did not change the next sub-pixel's output");
            }
        }
    }

    /// <summary>Gradient of the output of (i, j, c) w.r.t. image 0, as [C, H, W] floats.</summary>
    internal static float[] InputGradient(PixelCnnNetwork net, Tensor x, Tensor? h, int i, int j, int ch)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var input = x.detach().clone().requires_grad_();
        var output = net.forward(input, h);
        SubPixelOutput(output, 0, ch, i, j, net.Head.ParametersPerChannel).sum().backward();
        return input.grad!.narrow(0, 0, 1).contiguous().data<float>().ToArray();
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public void Gated_model_sees_every_earlier_subpixel_of_its_receptive_field(int colours)
    {
        const int L = 4, size = 14;
        var c = SmallConfig(PixelCnnArchitecture.GatedPixelCnn, colours, ConditioningKind.None, size: size, layers: L);
        var (net, x, h) = Build(c);
        using (net) using (x)
        {
            int i = 9, j = 6, ch = colours - 1, half = c.KernelSize / 2, C = colours;
            var g = InputGradient(net, x, h, i, j, ch);
            int checkedCount = 0;
            for (int ii = Math.Max(0, i - 1 - L * half); ii <= i; ii++)
                for (int jj = Math.Max(0, j - L * half); jj <= Math.Min(size - 1, j + L * half); jj++)
                    for (int cc = 0; cc < C; cc++)
                    {
                        bool earlier = ii < i || jj < j || (jj == j && cc < ch);
                        if (ii == i && jj > j) earlier = false;
                        if (!earlier) continue;
                        Assert.AreNotEqual(0f, g[(cc * size + ii) * size + jj], $"blind spot at ({ii},{jj},c{cc}) for output ({i},{j},c{ch})");
                        checkedCount++;
                    }
            Assert.IsTrue(checkedCount >= 49 * C, $"only {checkedCount} sub-pixels checked");
        }
    }

    [TestMethod]
    public void Plain_masked_stack_has_the_blind_spot_that_the_gated_model_removes()
    {
        const int L = 4, size = 14, i = 9, j = 4;
        var plain = SmallConfig(PixelCnnArchitecture.PixelCnn, 1, ConditioningKind.None, size: size, layers: L);
        var gated = plain with { Architecture = PixelCnnArchitecture.GatedPixelCnn };
        float At(float[] g, int r, int col) => g[r * size + col];
        var (pn, px, _) = Build(plain);
        using (pn) using (px)
        {
            var g = InputGradient(pn, px, null, i, j, 0);
            // (i-1, j+4) lies inside the stack's field (the row above reaches j+4) but no path reaches it.
            Assert.AreNotEqual(0f, At(g, i - 2, j + 4), "the plain stack should see two rows up, four columns right");
            Assert.AreEqual(0f, At(g, i - 1, j + 4), "the plain masked stack should have its blind spot at (i-1, j+4)");
        }
        var (gn, gx, _) = Build(gated);
        using (gn) using (gx)
        {
            var g = InputGradient(gn, gx, null, i, j, 0);
            Assert.AreNotEqual(0f, At(g, i - 1, j + 4), "the gated model must see (i-1, j+4)");
        }
    }
}

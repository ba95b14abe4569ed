// The PixelRNN architectures beyond the shared causality tests: the receptive field each one has
// (Row LSTM: a triangle above the pixel; Diagonal BiLSTM: everything above and to the left), the
// skew, the one-row shift of the mirrored direction, and the recurrent scans' gradients against
// central finite differences in float64.
using PixelCnn.ML.Diagnostics;
using PixelCnn.ML.Models;
using PixelCnn.ML.Tests.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Models;

[TestClass]
public class PixelRnnTests
{
    private static PixelCnnConfig Config(PixelCnnArchitecture arch, int colours, ConditioningKind cond, int size = 10, int layers = 2) =>
        CausalityTests.SmallConfig(arch, colours, cond, size: size, layers: layers) with { HiddenChannels = 12, OutputHiddenChannels = 24 };

    public static IEnumerable<object[]> Fields()
    {
        foreach (var arch in new[] { PixelCnnArchitecture.RowLstm, PixelCnnArchitecture.DiagonalBiLstm })
            foreach (var colours in new[] { 1, 3 })
                foreach (var cond in new[] { ConditioningKind.None, ConditioningKind.Global, ConditioningKind.Spatial })
                    yield return [arch, colours, cond];
    }

    /// <summary>
    /// The input pixels the output at (<paramref name="i"/>, <paramref name="j"/>) can depend on, from the layer
    /// rules alone (the current pixel excluded): f0 = 7x7 mask A; Row LSTM hid(a, b) ← f(a, b − k/2 .. b),
    /// hid(a − 1, b − k/2 .. b + k/2); Diagonal left L(a, b) ← f(a, b), L(a − 1, b), L(a, b − 1), mirrored
    /// R(a, b) ← f(a, b), R(a − 1, b), R(a, b + 1) (and, in the first layer, the image at (a, b)),
    /// hid(a, b) = L(a, b) + R(a − 1, b); f' = f + residual(hid).
    /// </summary>
    internal static bool[,] ExpectedField(PixelCnnConfig c, int i, int j)
    {
        int H = c.Height, W = c.Width, half = c.KernelSize / 2, ih = PixelRnn.InputKernelSize / 2;
        // dep[a, b] = set of input pixels (as a bool[H·W]) feeding the features at (a, b), computed layer by layer.
        var f = new bool[H, W][];
        for (int a = 0; a < H; a++)
            for (int b = 0; b < W; b++)
            {
                var s = new bool[H * W];
                for (int y = a - ih; y <= a; y++)
                    for (int x = b - ih; x <= b + ih; x++)
                        if (y >= 0 && x >= 0 && x < W && (y < a || x < b)) s[y * W + x] = true;
                f[a, b] = s;
            }
        static bool[] Union(params bool[]?[] sets)
        {
            var u = new bool[sets.First(s => s is not null)!.Length];
            foreach (var s in sets) if (s is not null) for (int k = 0; k < u.Length; k++) u[k] |= s[k];
            return u;
        }
        for (int l = 0; l < c.Layers; l++)
        {
            var hid = new bool[H, W][];
            if (c.Architecture == PixelCnnArchitecture.RowLstm)
            {
                for (int a = 0; a < H; a++)
                    for (int b = 0; b < W; b++)
                    {
                        var parts = new List<bool[]?>();
                        for (int x = b - half; x <= b; x++) if (x >= 0) parts.Add(f[a, x]);
                        for (int x = b - half; x <= b + half; x++) if (a > 0 && x >= 0 && x < W) parts.Add(hid[a - 1, x]);
                        hid[a, b] = Union([.. parts]);
                    }
            }
            else
            {
                var left = new bool[H, W][];
                var right = new bool[H, W][];
                for (int a = 0; a < H; a++)
                {
                    for (int b = 0; b < W; b++) left[a, b] = Union(f[a, b], a > 0 ? left[a - 1, b] : null, b > 0 ? left[a, b - 1] : null);
                    for (int b = W - 1; b >= 0; b--)
                    {
                        var own = new bool[H * W];
                        if (l == 0) own[a * W + b] = true; // the first layer's mirrored direction reads the image
                        right[a, b] = Union(f[a, b], own, a > 0 ? right[a - 1, b] : null, b < W - 1 ? right[a, b + 1] : null);
                    }
                }
                for (int a = 0; a < H; a++)
                    for (int b = 0; b < W; b++) hid[a, b] = Union(left[a, b], a > 0 ? right[a - 1, b] : null);
            }
            var next = new bool[H, W][];
            for (int a = 0; a < H; a++)
                for (int b = 0; b < W; b++) next[a, b] = Union(f[a, b], hid[a, b]);
            f = next;
        }
        var field = new bool[H, W];
        for (int a = 0; a < H; a++) for (int b = 0; b < W; b++) field[a, b] = f[i, j][a * W + b];
        return field;
    }

    [TestMethod]
    [DynamicData(nameof(Fields), DynamicDataSourceType.Method)]
    public void The_gradient_is_non_zero_exactly_over_the_receptive_field_of_the_paper(PixelCnnArchitecture arch, int colours, ConditioningKind cond)
    {
        var c = Config(arch, colours, cond);
        var (net, x, h) = CausalityTests.Build(c);
        using (net) using (x) using (h)
        {
            int H = c.Height, W = c.Width, C = colours;
            foreach (var (i, j) in new[] { (8, 1), (6, 5), (9, 9), (0, 4) })
            {
                var field = ExpectedField(c, i, j);
                for (int ch = 0; ch < C; ch++)
                {
                    var g = CausalityTests.InputGradient(net, x, h, i, j, ch);
                    for (int a = 0; a < H; a++)
                        for (int b = 0; b < W; b++)
                            for (int cc = 0; cc < C; cc++)
                            {
                                float v = g[(cc * H + a) * W + b];
                                bool expected = (a, b) == (i, j) ? cc < ch : field[a, b];
                                if (expected) Assert.AreNotEqual(0f, v, $"{arch}: output ({i},{j},c{ch}) does not see ({a},{b},c{cc}) of its receptive field");
                                else Assert.AreEqual(0f, v, $"{arch}: output ({i},{j},c{ch}) depends on ({a},{b},c{cc}) outside its receptive field");
                            }
                }
            }
        }
    }

    [TestMethod]
    public void The_fields_are_the_papers_a_triangle_for_the_row_lstm_and_the_whole_context_for_the_diagonal_bilstm()
    {
        var row = Config(PixelCnnArchitecture.RowLstm, 1, ConditioningKind.None);
        var diagonal = row with { Architecture = PixelCnnArchitecture.DiagonalBiLstm };
        int i = 8, j = 1, W = row.Width;
        var rowField = ExpectedField(row, i, j);
        var diagonalField = ExpectedField(diagonal, i, j);
        for (int a = 0; a < row.Height; a++)
            for (int b = 0; b < W; b++)
            {
                bool before = a < i || (a == i && b < j);
                Assert.AreEqual(before, diagonalField[a, b], $"the Diagonal BiLSTM must see exactly the pixels before ({i},{j}); ({a},{b})");
            }
        // Row LSTM: each row further up, the 1 x 3 state-to-state kernel reaches one more column to the right,
        // so the field widens upward like a triangle (the left edge is the image border here).
        var reach = Enumerable.Range(1, i).Select(d => Enumerable.Range(0, W).Where(b => rowField[i - d, b]).Max()).ToArray();
        for (int d = 1; d < reach.Length; d++)
            Assert.IsTrue(reach[d] >= reach[d - 1] && (reach[d] > reach[d - 1] || reach[d] == W - 1),
                $"the Row LSTM's field must widen upward: rightmost columns by rows up {string.Join(", ", reach)}");
        Assert.IsTrue(reach[0] < W - 1, "the Row LSTM must not see the far right of the row above (outside its triangle)");
        Assert.IsFalse(rowField[i - 1, W - 1]);
        Assert.IsTrue(diagonalField[i - 1, W - 1]);
    }

    [TestMethod]
    public void Skew_and_unskew_are_exact_inverses_and_shift_row_i_right_by_i()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var x = randn([2, 3, 5, 7], generator: g);
        var s = LstmCell.Skew(x);
        CollectionAssert.AreEqual(new long[] { 2, 3, 5, 11 }, s.shape);
        var back = LstmCell.Unskew(s, 7);
        Assert.IsTrue(back.eq(x).all().item<bool>(), "unskew(skew(x)) must be x bit for bit");
        var xs = x.data<float>().ToArray();
        var ss = s.data<float>().ToArray();
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 5; i++)
                    for (int k = 0; k < 11; k++)
                    {
                        int j = k - i;
                        float expected = j >= 0 && j < 7 ? xs[((n * 3 + c) * 5 + i) * 7 + j] : 0f;
                        Assert.AreEqual(expected, ss[((n * 3 + c) * 5 + i) * 11 + k], $"skewed ({i},{k})");
                    }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public void Without_the_one_row_shift_the_mirrored_direction_leaks_the_rest_of_the_row(int colours)
    {
        var c = Config(PixelCnnArchitecture.DiagonalBiLstm, colours, ConditioningKind.None, size: 6);
        var (net, x, _) = CausalityTests.Build(c);
        using (net) using (x)
        {
            Assert.AreEqual(0, CausalityCheck.Run(net, x).Count, "the model as built must be causal");
            foreach (var layer in ((PixelRnn)net).Layers.Cast<DiagonalBiLstmLayer>()) layer.ShiftMirroredDown = false;
            var violations = CausalityCheck.Run(net, x);
            Assert.IsTrue(violations.Count > 0, "without the shift the causality check must fail");
            Assert.IsTrue(violations.Any(v => v.InputRow == v.OutputRow && v.InputColumn > v.OutputColumn),
                "the leak is the current row to the right of the pixel: " + string.Join("; ", violations.Take(3)));
        }
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.RowLstm, ConditioningKind.None)]
    [DataRow(PixelCnnArchitecture.RowLstm, ConditioningKind.Global)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm, ConditioningKind.None)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm, ConditioningKind.Spatial)]
    public void The_recurrent_scans_gradients_match_central_finite_differences_in_float64(PixelCnnArchitecture arch, ConditioningKind cond)
    {
        var c = Config(arch, 3, cond, size: 4, layers: 1) with { HiddenChannels = 4, SpatialConditionChannels = 2 };
        using var scope = NewDisposeScope();
        using var g = new Generator(17);
        var net = (PixelRnn)PixelCnnNetwork.Create(c, g);
        net.to(ScalarType.Float64);
        var layer = net.Layers[0];
        var f = randn([1, 2 * c.HiddenChannels, c.Height, c.Width], dtype: ScalarType.Float64, generator: g);
        var image = randn([1, c.Channels, c.Height, c.Width], dtype: ScalarType.Float64, generator: g);
        // Only the Diagonal BiLSTM's first layer reads the image (its mirrored direction).
        bool readsImage = arch == PixelCnnArchitecture.DiagonalBiLstm;
        var inputs = new List<Tensor> { f, image };
        if (cond == ConditioningKind.Global) inputs.Add(randn([1, c.ConditionSize], dtype: ScalarType.Float64, generator: g));
        if (cond == ConditioningKind.Spatial) inputs.Add(randn([1, c.SpatialConditionChannels, c.Height, c.Width], dtype: ScalarType.Float64, generator: g));
        if (!readsImage) inputs.RemoveAt(1);
        // The whole scan (input-to-state, state-to-state over rows or skewed columns, gates, unskew, shift).
        GradientCheck.AssertMatchesFiniteDifferences(
            xs => layer.Hidden(xs[0], xs.Count > (readsImage ? 2 : 1) ? xs[^1] : null, readsImage ? xs[1] : image), inputs);
    }
}

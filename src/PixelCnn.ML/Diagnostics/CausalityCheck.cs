// The gradient form of the autoregressive property, as a check anyone can run on any network and
// device: for each chosen output sub-pixel of image 0, the gradient of its distribution parameters
// w.r.t. the input must be exactly zero at that sub-pixel, at every later one (raster order, then
// R<G<B), and everywhere in the other images of the batch.
using PixelCnn.ML.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Diagnostics;

/// <summary>An input sub-pixel that influences an output it must not.</summary>
public readonly record struct CausalityViolation(int OutputRow, int OutputColumn, int OutputChannel, int InputImage, int InputRow, int InputColumn, int InputChannel, float Gradient)
{
    public override string ToString() =>
        $"output ({OutputRow},{OutputColumn},c{OutputChannel}) depends on input image {InputImage} ({InputRow},{InputColumn},c{InputChannel}) (gradient {Gradient})";
}

public static class CausalityCheck
{
    /// <summary>
    /// Checks every sub-pixel of image 0 (or those in <paramref name="positions"/>) of <paramref name="x"/> [N≥2, C, H, W]
    /// and returns the violations (empty when the network is causal).
    /// </summary>
    public static IReadOnlyList<CausalityViolation> Run(PixelCnnNetwork network, Tensor x, Tensor? h = null,
                                                        IEnumerable<(int row, int col, int channel)>? positions = null)
    {
        var c = network.Config;
        int p = network.Head.ParametersPerChannel, C = c.Channels, H = c.Height, W = c.Width;
        int n = (int)x.shape[0];
        var violations = new List<CausalityViolation>();
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var input = x.detach().clone().requires_grad_();
        var output = network.forward(input, h);
        positions ??= from i in Enumerable.Range(0, H) from j in Enumerable.Range(0, W) from ch in Enumerable.Range(0, C) select (i, j, ch);
        foreach (var (i, j, ch) in positions)
        {
            using var inner = NewDisposeScope();
            input.grad = null;
            output.narrow(0, 0, 1).narrow(1, ch * p, p).narrow(2, i, 1).narrow(3, j, 1).sum().backward(retain_graph: true);
            var g = input.grad!.to(ScalarType.Float32, torch.CPU).data<float>().ToArray();
            int t = (i * W + j) * C + ch;
            for (int b = 0; b < n; b++)
                for (int ii = 0; ii < H; ii++)
                    for (int jj = 0; jj < W; jj++)
                        for (int cc = 0; cc < C; cc++)
                        {
                            int u = (ii * W + jj) * C + cc;
                            float v = g[((b * C + cc) * H + ii) * W + jj];
                            if ((b > 0 || u >= t) && v != 0f) violations.Add(new(i, j, ch, b, ii, jj, cc, v));
                        }
        }
        return violations;
    }
}

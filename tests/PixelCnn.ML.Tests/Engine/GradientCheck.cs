// Gradient check: autograd's gradients against central finite differences in float64.
//
// The checked objective is sum(f(inputs) * probe) with a fixed random probe, so every output
// element contributes with a distinct weight and errors in one cannot cancel against another.
// Error per element: |analytic - numeric| / max(floor, |analytic| + |numeric|). The floor keeps
// elements whose gradient is tiny next to the objective (where the central difference itself only
// has a few significant digits) from dominating; 1e-8 unless a check says otherwise. The central
// difference cannot resolve less than the objective's own rounding, about 2ε·S/eps with S = Σ|f·probe|:
// twice that is taken off the difference first (it depends on the machine's summation order, so a
// gradient of 1e-4 could otherwise pass on one CPU and fail on another).
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Engine;

internal static class GradientCheck
{
    public static void AssertMatchesFiniteDifferences(Func<IReadOnlyList<Tensor>, Tensor> f, IReadOnlyList<Tensor> inputs,
                                                      double eps = 1e-6, double tolerance = 1e-6, double floor = 1e-8)
    {
        foreach (var x in inputs) Assert.AreEqual(ScalarType.Float64, x.dtype, "gradient checks run in float64");
        using var scope = torch.NewDisposeScope();

        Tensor probe;
        double roundoff;
        using (torch.no_grad())
        using (var g = new Generator(20240601))
        {
            var output = f(inputs);
            probe = torch.randn(output.shape, dtype: torch.float64, generator: g);
            roundoff = 4 * (Math.BitIncrement(1.0) - 1.0) * output.mul(probe).abs().sum().item<double>() / eps; // 4ε·S/eps
        }

        var leaves = inputs.Select(x => x.detach().requires_grad_()).ToList();
        f(leaves).mul(probe).sum().backward();
        var analytic = leaves.Select((l, i) => (l.grad ?? throw new AssertFailedException($"input {i} got no gradient")).data<double>().ToArray()).ToList();

        double Objective(int which, double[] values, long[] shape)
        {
            using var s = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var xs = inputs.ToArray();
            xs[which] = torch.tensor(values, shape);
            return f(xs).mul(probe).sum().item<double>();
        }

        double worst = 0;
        string where = "";
        for (int i = 0; i < inputs.Count; i++)
        {
            var values = inputs[i].data<double>().ToArray();
            var shape = inputs[i].shape;
            for (int k = 0; k < values.Length; k++)
            {
                double saved = values[k];
                double up = saved + eps, down = saved - eps;
                values[k] = up;
                double plus = Objective(i, values, shape);
                values[k] = down;
                double minus = Objective(i, values, shape);
                values[k] = saved;
                double numeric = (plus - minus) / (up - down);
                double a = analytic[i][k];
                double error = Math.Max(0, Math.Abs(a - numeric) - roundoff) / Math.Max(floor, Math.Abs(a) + Math.Abs(numeric));
                if (error > worst)
                {
                    worst = error;
                    where = $"input {i} element {k}: autograd {a:R}, finite difference {numeric:R}";
                }
            }
        }
        Assert.IsTrue(worst < tolerance, $"max relative error {worst:E2} at {where}");
    }
}

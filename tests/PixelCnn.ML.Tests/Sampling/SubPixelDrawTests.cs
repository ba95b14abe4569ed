// The inverse-CDF draw of one sub-pixel from 256 log-probabilities, on chosen uniforms.
using PixelCnn.ML.Sampling;

namespace PixelCnn.ML.Tests.Sampling;

[TestClass]
public class SubPixelDrawTests
{
    private static readonly double[] Scratch = new double[256];

    /// <summary>Log-probabilities with the given probabilities at the given values and nothing elsewhere.</summary>
    private static float[] LogProbs(params (int value, double p)[] mass)
    {
        var lp = Enumerable.Repeat(float.NegativeInfinity, 256).ToArray();
        foreach (var (v, p) in mass) lp[v] = (float)Math.Log(p);
        return lp;
    }

    [TestMethod]
    public void Draw_returns_the_value_whose_cumulative_interval_holds_the_uniform()
    {
        var lp = LogProbs((10, 0.25), (20, 0.5), (30, 0.25));
        Assert.AreEqual(10, SubPixelDraw.Draw(lp, 0.0, 1, Scratch));
        Assert.AreEqual(10, SubPixelDraw.Draw(lp, 0.2499, 1, Scratch));
        Assert.AreEqual(20, SubPixelDraw.Draw(lp, 0.2501, 1, Scratch));
        Assert.AreEqual(20, SubPixelDraw.Draw(lp, 0.7499, 1, Scratch));
        Assert.AreEqual(30, SubPixelDraw.Draw(lp, 0.7501, 1, Scratch));
        Assert.AreEqual(30, SubPixelDraw.Draw(lp, Math.BitDecrement(1.0), 1, Scratch));
    }

    [TestMethod]
    public void Draw_never_returns_a_value_of_zero_probability()
    {
        var lp = LogProbs((0, 1e-30), (255, 1.0));
        for (int k = 0; k <= 1000; k++)
        {
            int v = SubPixelDraw.Draw(lp, Math.Min(k / 1000.0, Math.BitDecrement(1.0)), 1, Scratch);
            Assert.IsTrue(v is 0 or 255, $"drew {v}");
        }
    }

    [TestMethod]
    public void Temperature_zero_returns_the_first_most_likely_value_whatever_the_uniform()
    {
        var lp = LogProbs((3, 0.2), (7, 0.4), (9, 0.4));
        foreach (var u in new[] { 0.0, 0.5, 0.999999 }) Assert.AreEqual(7, SubPixelDraw.Draw(lp, u, 0, Scratch));
    }

    [TestMethod]
    public void A_small_temperature_concentrates_the_draw_on_the_mode()
    {
        // At T = 0.01 the odds of 0.45 against 0.55 become (0.45/0.55)^100, about 2e-9.
        var lp = LogProbs((100, 0.45), (200, 0.55));
        Assert.AreEqual(200, SubPixelDraw.Draw(lp, 1e-6, 0.01, Scratch));
        Assert.AreEqual(100, SubPixelDraw.Draw(lp, 1e-6, 1, Scratch));
    }

    [TestMethod]
    public void A_large_temperature_flattens_the_distribution_towards_uniform()
    {
        // T = 1000 turns 0.9 / 0.1 into about 0.5005 / 0.4995.
        var lp = LogProbs((1, 0.9), (2, 0.1));
        Assert.AreEqual(1, SubPixelDraw.Draw(lp, 0.5, 1000, Scratch));
        Assert.AreEqual(2, SubPixelDraw.Draw(lp, 0.501, 1000, Scratch));
        Assert.AreEqual(1, SubPixelDraw.Draw(lp, 0.501, 1, Scratch));
    }

    [TestMethod]
    public void Non_finite_parameters_are_reported_instead_of_drawing_a_value()
    {
        var nan = Enumerable.Repeat(float.NaN, 256).ToArray();
        Assert.ThrowsException<InvalidOperationException>(() => SubPixelDraw.Draw(nan, 0.5, 1, Scratch));
    }
}

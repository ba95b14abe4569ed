using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Tests.Imaging;

[TestClass]
public class ColormapTests
{
    [TestMethod]
    public void Heat_scale_runs_black_red_yellow_white()
    {
        var map = Colormap.Heat(new float[] { 0, 1, 2, 3, 1.5f }, 5, 1, min: 0, max: 3);
        CollectionAssert.AreEqual(new byte[] { 0, 0, 0, 255, 0, 0, 255, 255, 0, 255, 255, 255, 255, 128, 0 }, map.ToArray());
    }

    [TestMethod]
    public void Heat_clamps_values_outside_the_scale_and_draws_nan_blue()
    {
        var map = Colormap.Heat(new[] { -5f, 100f, float.NaN, float.PositiveInfinity }, 2, 2, min: 0, max: 8);
        CollectionAssert.AreEqual(new byte[] { 0, 0, 0, 255, 255, 255, 0, 0, 255, 255, 255, 255 }, map.ToArray());
    }

    [TestMethod]
    public void Heat_without_a_scale_spans_the_finite_values_of_the_map()
    {
        var map = Colormap.Heat(new[] { 2f, 4f, float.NegativeInfinity }, 3, 1);
        CollectionAssert.AreEqual(new byte[] { 0, 0, 0, 255, 255, 255, 0, 0, 0 }, map.ToArray());
    }

    [TestMethod]
    public void Heat_rejects_a_value_count_that_does_not_match_the_size()
    {
        var e = Assert.ThrowsException<ArgumentException>(() => Colormap.Heat(new float[5], 2, 2, 0, 1));
        StringAssert.Contains(e.Message, "needs 4 values, got 5");
    }
}

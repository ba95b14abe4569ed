using PixelCnn.ML.Pictures;

namespace PixelCnn.ML.Tests.Pictures;

[TestClass]
public class ColormapTests
{
    private static int Brightness(RasterImage map, int i) => map.Pixels[i * 3] + map.Pixels[i * 3 + 1] + map.Pixels[i * 3 + 2];

    [TestMethod]
    public void Heat_scale_runs_from_black_through_red_and_yellow_to_white()
    {
        var values = Enumerable.Range(0, 17).Select(i => (float)i).ToArray();
        var map = Colormap.Heat(values, 17, 1, min: 0, max: 16);
        CollectionAssert.AreEqual(new byte[] { 0, 0, 0 }, map.Pixels[..3].ToArray());
        CollectionAssert.AreEqual(new byte[] { 255, 255, 255 }, map.Pixels[^3..].ToArray());
        for (int i = 1; i < 17; i++) Assert.IsTrue(Brightness(map, i) >= Brightness(map, i - 1), $"the ramp gets brighter at {i}");
        var quarter = map.Pixels.Slice(4 * 3, 3).ToArray();
        Assert.IsTrue(quarter[0] > 100 && quarter[0] > quarter[1] && quarter[2] == 0, $"a quarter up the ramp is red: {string.Join(",", quarter)}");
    }

    [TestMethod]
    public void Heat_clamps_values_outside_the_scale_and_draws_nan_blue()
    {
        var map = Colormap.Heat(new[] { -5f, 100f, float.NaN, float.PositiveInfinity }, 2, 2, min: 0, max: 8);
        CollectionAssert.AreEqual(new byte[] { 0, 0, 0, 255, 255, 255, 0, 0, 255, 255, 255, 255 }, map.ToArray());
    }

    [TestMethod]
    public void Heat_rejects_a_value_count_that_does_not_match_the_size()
    {
        var e = Assert.ThrowsException<ArgumentException>(() => Colormap.Heat(new float[5], 2, 2, 0, 1));
        StringAssert.Contains(e.Message, "needs 4 values, got 5");
    }
}

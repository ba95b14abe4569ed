using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Tests.Imaging;

[TestClass]
public class ImageOpsTests
{
    [TestMethod]
    public void Resize_to_the_same_size_returns_the_image_unchanged()
    {
        var image = TestImages.Noise(5, 4, 3, seed: 1);
        Assert.AreSame(image, ImageOps.Resize(image, 5, 4));
    }

    [TestMethod]
    public void Bilinear_upscale_uses_half_pixel_centres()
    {
        // 2x2 -> 4x4: destination centres fall at source -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
        var image = new MLImage(2, 2, 1, new byte[] { 0, 100, 200, 255 });
        var resized = ImageOps.Resize(image, 4, 4).ToArray();
        CollectionAssert.AreEqual(new byte[] { 0, 25, 75, 100 }, resized[..4]);
        CollectionAssert.AreEqual(new byte[] { 0, 50, 150, 200 }, new[] { resized[0], resized[4], resized[8], resized[12] });
        // Interior: 0.75 of the way between rows 0 and 1 at column 0.25: (25 * 0.25 + 213.75 * 0.75) = 166.5625 -> 167.
        Assert.AreEqual(167, resized[2 * 4 + 1]);
    }

    [TestMethod]
    public void Bilinear_halving_averages_pixel_pairs_rounding_halves_away_from_zero()
    {
        var image = new MLImage(4, 1, 1, new byte[] { 10, 21, 100, 200 });
        CollectionAssert.AreEqual(new byte[] { 16, 150 }, ImageOps.Resize(image, 2, 1).ToArray());
    }

    [TestMethod]
    public void Resize_keeps_a_constant_colour_image_constant()
    {
        var px = Enumerable.Range(0, 17 * 9).SelectMany(_ => new byte[] { 12, 200, 77 }).ToArray();
        var resized = ImageOps.Resize(new MLImage(17, 9, 3, px), 5, 23);
        Assert.AreEqual((5, 23, 3), (resized.Width, resized.Height, resized.Channels));
        for (int i = 0; i < resized.Pixels.Length; i += 3)
            CollectionAssert.AreEqual(new byte[] { 12, 200, 77 }, resized.Pixels.Slice(i, 3).ToArray());
    }

    [TestMethod]
    public void Grayscale_uses_bt601_luma_rounded_to_nearest_with_halves_up()
    {
        var rgb = new MLImage(6, 1, 3, new byte[] { 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 128, 0, 2, 0, 0, 0 });
        // 76.245, 149.685, 29.07, 255, 38.5, 0
        CollectionAssert.AreEqual(new byte[] { 76, 150, 29, 255, 39, 0 }, ImageOps.ToGrayscale(rgb).ToArray());
    }

    [TestMethod]
    public void Grayscale_of_a_gray_image_is_the_image_itself()
    {
        var gray = TestImages.Noise(3, 3, 1, seed: 2);
        Assert.AreSame(gray, ImageOps.ToGrayscale(gray));
    }

    [TestMethod]
    public void To_rgb_repeats_the_gray_sample_in_every_channel()
    {
        var rgb = ImageOps.ToRgb(new MLImage(2, 1, 1, new byte[] { 9, 250 }));
        CollectionAssert.AreEqual(new byte[] { 9, 9, 9, 250, 250, 250 }, rgb.ToArray());
    }
}

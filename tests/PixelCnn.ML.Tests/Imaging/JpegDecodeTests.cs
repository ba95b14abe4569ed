using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Tests.Imaging;

[TestClass]
public class JpegDecodeTests
{
    private static MLImage Decode(byte[] jpeg) => ImageCodec.Decode(jpeg, "test.jpg");

    [TestMethod]
    public void Rgb_jpeg_decodes_close_to_the_encoded_image()
    {
        var image = TestImages.Smooth(33, 17, 3);
        var decoded = Decode(ImageCodec.EncodeJpeg(image, quality: 95));
        Assert.AreEqual((33, 17, 3), (decoded.Width, decoded.Height, decoded.Channels));
        Assert.IsTrue(TestImages.MaxAbsDifference(image, decoded) <= 6, $"max difference {TestImages.MaxAbsDifference(image, decoded)}");
    }

    [TestMethod]
    public void Grayscale_jpeg_decodes_to_one_channel()
    {
        var image = TestImages.Smooth(20, 12, 1);
        var decoded = Decode(ImageCodec.EncodeJpeg(image, quality: 95));
        Assert.AreEqual((20, 12, 1), (decoded.Width, decoded.Height, decoded.Channels));
        Assert.IsTrue(TestImages.MaxAbsDifference(image, decoded) <= 6, $"max difference {TestImages.MaxAbsDifference(image, decoded)}");
    }

    [TestMethod]
    public void Progressive_jpeg_decodes_like_the_baseline_one()
    {
        var image = TestImages.Smooth(24, 24, 3);
        var baseline = Decode(ImageCodec.EncodeJpeg(image, quality: 90));
        var progressive = Decode(ImageCodec.EncodeJpeg(image, quality: 90, progressive: true));
        Assert.IsTrue(TestImages.MaxAbsDifference(baseline, progressive) <= 1);
    }

    [TestMethod]
    public void Cmyk_jpeg_is_rejected()
    {
        // TurboJPEG writes CMYK pixels as an Adobe YCCK JPEG, the usual form of CMYK JPEGs.
        var cmyk = Enumerable.Range(0, 8 * 8 * 4).Select(i => (byte)(i * 7)).ToArray();
        var jpeg = ImageCodec.EncodeJpegRaw(cmyk, 8, 8, 4, 90, progressive: false);
        var e = Assert.ThrowsException<InvalidImageException>(() => Decode(jpeg));
        Assert.AreEqual("JPEG: YCCK JPEG images are not supported (only grayscale and RGB/YCbCr)", e.Reason);
    }

    [TestMethod]
    public void Truncated_jpeg_is_rejected_rather_than_half_decoded()
    {
        var jpeg = ImageCodec.EncodeJpeg(TestImages.Noise(32, 32, 3, 1), quality: 90);
        var e = Assert.ThrowsException<InvalidImageException>(() => Decode(jpeg[..(jpeg.Length * 2 / 3)]));
        StringAssert.StartsWith(e.Reason, "JPEG: ");
    }

    [TestMethod]
    public void Jpeg_missing_only_its_end_marker_is_rejected()
    {
        // Every pixel is present; libjpeg merely warns about the missing EOI. A warning is a failure.
        var jpeg = ImageCodec.EncodeJpeg(TestImages.Smooth(16, 16, 3), quality: 90);
        var e = Assert.ThrowsException<InvalidImageException>(() => Decode(jpeg[..^2]));
        StringAssert.StartsWith(e.Reason, "JPEG: ");
    }

    [TestMethod]
    public void Jpeg_wider_than_4096_pixels_is_rejected_with_its_size_and_the_limit()
    {
        var jpeg = ImageCodec.EncodeJpeg(new MLImage(5000, 8, 1, new byte[40000]), quality: 50);
        var e = Assert.ThrowsException<InvalidImageException>(() => Decode(jpeg));
        Assert.AreEqual("image is 5000x8 pixels; the limit is 4096 per side", e.Reason);
    }
}

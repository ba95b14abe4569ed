using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Tests.Imaging;

[TestClass]
public class PngDecodeTests
{
    private static MLImage Decode(byte[] png) => ImageCodec.Decode(png, "test.png");

    private static byte[] Ramp(int count, int seed) => Enumerable.Range(0, count).Select(i => (byte)((i * 37 + seed) % 256)).ToArray();

    [TestMethod]
    public void Gray_image_of_odd_size_round_trips_through_png()
    {
        var image = new MLImage(7, 5, 1, Ramp(35, 3));
        var decoded = Decode(ImageCodec.EncodePng(image));
        Assert.IsTrue(decoded.PixelsEqual(image), $"decoded {decoded}");
    }

    [TestMethod]
    public void Rgb_image_of_odd_size_round_trips_through_png()
    {
        var image = new MLImage(13, 3, 3, Ramp(13 * 3 * 3, 11));
        var decoded = Decode(ImageCodec.EncodePng(image));
        Assert.IsTrue(decoded.PixelsEqual(image), $"decoded {decoded}");
    }

    [TestMethod]
    public void Gamma_chunk_does_not_change_sample_values()
    {
        // gAMA 1.0 (100000): a gamma-correcting decoder would turn 128 into about 186.
        var png = new PngBuilder(2, 1, 8, PngBuilder.Gray).Chunk("gAMA", PngBuilder.Be32(100000)).Samples(128, 64).ToArray();
        CollectionAssert.AreEqual(new byte[] { 128, 64 }, Decode(png).ToArray());
    }

    [TestMethod]
    public void Colour_management_chunks_do_not_change_rgb_values()
    {
        var chrm = Enumerable.Range(0, 8).SelectMany(i => PngBuilder.Be32((uint)(30000 + 1000 * i))).ToArray();
        var png = new PngBuilder(1, 1, 8, PngBuilder.Rgb)
            .Chunk("gAMA", PngBuilder.Be32(100000)).Chunk("cHRM", chrm).Chunk("sRGB", 0)
            .Samples(128, 10, 250).ToArray();
        CollectionAssert.AreEqual(new byte[] { 128, 10, 250 }, Decode(png).ToArray());
    }

    [TestMethod]
    public void Sixteen_bit_gray_keeps_the_high_byte()
    {
        var png = new PngBuilder(3, 1, 16, PngBuilder.Gray).Samples(0x1234, 0xFF01, 0x00FF).ToArray();
        var decoded = Decode(png);
        Assert.AreEqual(1, decoded.Channels);
        CollectionAssert.AreEqual(new byte[] { 0x12, 0xFF, 0x00 }, decoded.ToArray());
    }

    [TestMethod]
    public void Sixteen_bit_rgb_keeps_the_high_byte()
    {
        var png = new PngBuilder(1, 2, 16, PngBuilder.Rgb).Samples(0xABCD, 0x0180, 0x7FFF, 0x0000, 0xFFFF, 0x8000).ToArray();
        CollectionAssert.AreEqual(new byte[] { 0xAB, 0x01, 0x7F, 0x00, 0xFF, 0x80 }, Decode(png).ToArray());
    }

    [TestMethod]
    public void Palette_image_decodes_to_the_rgb_of_its_entries()
    {
        var plte = new byte[] { 10, 20, 30, 200, 100, 0, 1, 2, 3 };
        var png = new PngBuilder(4, 1, 8, PngBuilder.Palette).Chunk("PLTE", plte).Samples(2, 0, 1, 0).ToArray();
        var decoded = Decode(png);
        Assert.AreEqual(3, decoded.Channels);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 10, 20, 30, 200, 100, 0, 10, 20, 30 }, decoded.ToArray());
    }

    [TestMethod]
    public void Two_bit_palette_image_decodes_to_the_rgb_of_its_entries()
    {
        var plte = new byte[] { 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255 };
        var png = new PngBuilder(5, 1, 2, PngBuilder.Palette).Chunk("PLTE", plte).Samples(3, 2, 1, 0, 3).ToArray();
        CollectionAssert.AreEqual(new byte[] { 0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0, 0, 0, 255 }, Decode(png).ToArray());
    }

    [TestMethod]
    public void Palette_transparency_is_dropped_without_compositing()
    {
        var plte = new byte[] { 10, 20, 30, 200, 100, 0 };
        var png = new PngBuilder(2, 1, 8, PngBuilder.Palette).Chunk("PLTE", plte).Chunk("tRNS", 0, 128).Samples(0, 1).ToArray();
        var decoded = Decode(png);
        Assert.AreEqual(3, decoded.Channels);
        CollectionAssert.AreEqual(new byte[] { 10, 20, 30, 200, 100, 0 }, decoded.ToArray());
    }

    [TestMethod]
    public void Low_bit_gray_is_scaled_to_the_full_byte_range()
    {
        var one = Decode(new PngBuilder(2, 1, 1, PngBuilder.Gray).Samples(0, 1).ToArray());
        var two = Decode(new PngBuilder(4, 1, 2, PngBuilder.Gray).Samples(0, 1, 2, 3).ToArray());
        var four = Decode(new PngBuilder(3, 1, 4, PngBuilder.Gray).Samples(0, 7, 15).ToArray());
        CollectionAssert.AreEqual(new byte[] { 0, 255 }, one.ToArray());
        CollectionAssert.AreEqual(new byte[] { 0, 85, 170, 255 }, two.ToArray());
        CollectionAssert.AreEqual(new byte[] { 0, 119, 255 }, four.ToArray());
    }

    [TestMethod]
    public void Gray_alpha_decodes_to_one_gray_channel()
    {
        var png = new PngBuilder(3, 1, 8, PngBuilder.GrayAlpha).Samples(10, 255, 20, 0, 30, 128).ToArray();
        var decoded = Decode(png);
        Assert.AreEqual(1, decoded.Channels);
        CollectionAssert.AreEqual(new byte[] { 10, 20, 30 }, decoded.ToArray());
    }

    [TestMethod]
    public void Rgba_decodes_to_rgb_keeping_the_colour_of_transparent_pixels()
    {
        var png = new PngBuilder(2, 1, 8, PngBuilder.Rgba).Samples(1, 2, 3, 255, 200, 150, 100, 0).ToArray();
        var decoded = Decode(png);
        Assert.AreEqual(3, decoded.Channels);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 200, 150, 100 }, decoded.ToArray());
    }

    [TestMethod]
    public void Interlaced_png_decodes_to_the_same_pixels_as_a_plain_one()
    {
        var samples = Ramp(9 * 7 * 3, 5).Select(b => (int)b).ToArray();
        var plain = Decode(new PngBuilder(9, 7, 8, PngBuilder.Rgb).Samples(samples).ToArray());
        var interlaced = Decode(new PngBuilder(9, 7, 8, PngBuilder.Rgb) { Interlaced = true }.Samples(samples).ToArray());
        CollectionAssert.AreEqual(samples.Select(s => (byte)s).ToArray(), plain.ToArray());
        Assert.IsTrue(interlaced.PixelsEqual(plain));
    }

    [TestMethod]
    public void Bad_crc_of_the_image_data_chunk_is_rejected()
    {
        var png = new PngBuilder(4, 4, 8, PngBuilder.Gray).Samples(new int[16]).ToArray();
        var idat = PngBuilder.Chunks(png).Single(c => c.Type == "IDAT");
        png[idat.Offset + 8 + idat.Length] ^= 0x01; // the CRC field; the data itself is intact
        var e = Assert.ThrowsException<InvalidImageException>(() => Decode(png));
        StringAssert.Contains(e.Message, "PNG: ");
        StringAssert.Contains(e.Message, "CRC error");
        StringAssert.Contains(e.Message, "IDAT");
    }

    [TestMethod]
    public void Png_wider_than_4096_pixels_is_rejected_with_its_size_and_the_limit()
    {
        // Header only: the limit must apply before any pixel is read.
        var png = new PngBuilder(5000, 20, 8, PngBuilder.Gray).Samples(new int[100000]).ToArray();
        var e = Assert.ThrowsException<InvalidImageException>(() => Decode(png));
        Assert.AreEqual("image is 5000x20 pixels; the limit is 4096 per side", e.Reason);
    }

    [TestMethod]
    public void Png_larger_than_the_callers_limit_is_rejected()
    {
        var png = ImageCodec.EncodePng(new MLImage(40, 30, 1, new byte[1200]));
        var e = Assert.ThrowsException<InvalidImageException>(() => ImageCodec.Decode(png, "big.png", maxSide: 32));
        Assert.AreEqual("image is 40x30 pixels; the limit is 32 per side", e.Reason);
    }

    [TestMethod]
    public void Png_with_zero_height_is_rejected()
    {
        var png = ImageCodec.EncodePng(new MLImage(3, 3, 1, new byte[9]));
        png[23] = 0; // IHDR height, low byte (3 -> 0)
        PngBuilder.FixCrc(png, 8, 13);
        var e = Assert.ThrowsException<InvalidImageException>(() => Decode(png));
        Assert.AreEqual("image is 3x0 pixels; width and height must be at least 1", e.Reason);
    }

    [TestMethod]
    public void Png_cut_inside_the_image_data_is_rejected()
    {
        var png = ImageCodec.EncodePng(new MLImage(16, 16, 3, Ramp(768, 1)));
        var idat = PngBuilder.Chunks(png).Single(c => c.Type == "IDAT");
        var e = Assert.ThrowsException<InvalidImageException>(() => Decode(png[..(idat.Offset + 8 + idat.Length / 2)]));
        StringAssert.StartsWith(e.Reason, "PNG: ");
    }

    [TestMethod]
    public void Png_missing_its_end_chunk_is_rejected()
    {
        var png = ImageCodec.EncodePng(new MLImage(4, 4, 1, new byte[16]));
        var e = Assert.ThrowsException<InvalidImageException>(() => Decode(png[..^12]));
        Assert.AreEqual("PNG: file is truncated (read past the end of the data)", e.Reason);
    }
}

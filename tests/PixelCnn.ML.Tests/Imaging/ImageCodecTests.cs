using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Tests.Imaging;

[TestClass]
public class ImageCodecTests
{
    private string _dir = "";

    [TestInitialize]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("pixelcnn-imaging-").FullName;

    [TestCleanup]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void Non_image_file_is_rejected_naming_the_file_and_the_reason()
    {
        var path = Path.Combine(_dir, "notes.png");
        File.WriteAllText(path, "this is not an image, whatever its name says");
        var e = Assert.ThrowsException<InvalidImageException>(() => ImageCodec.Load(path));
        Assert.AreEqual($"{path}: unsupported image format (not PNG or JPEG)", e.Message);
        Assert.AreEqual(path, e.SourceName);
    }

    [TestMethod]
    public void Gif_file_is_rejected_naming_its_format()
    {
        var e = Assert.ThrowsException<InvalidImageException>(() => ImageCodec.Decode("GIF89a\x01\x00\x01\x00"u8, "a.gif"));
        Assert.AreEqual("unsupported image format (GIF; only PNG and JPEG are supported)", e.Reason);
    }

    [TestMethod]
    public void Empty_file_is_rejected()
    {
        var path = Path.Combine(_dir, "empty.jpg");
        File.WriteAllBytes(path, Array.Empty<byte>());
        var e = Assert.ThrowsException<InvalidImageException>(() => ImageCodec.Load(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Reason, "empty");
    }

    [TestMethod]
    public void File_over_32_MiB_is_rejected_from_its_size_alone()
    {
        var path = Path.Combine(_dir, "huge.png");
        using (var fs = File.Create(path)) fs.SetLength(ImageCodec.MaxFileBytes + 1); // sparse: nothing to read
        var e = Assert.ThrowsException<InvalidImageException>(() => ImageCodec.Load(path));
        Assert.AreEqual($"{path}: file is 33554433 bytes; the limit is 33554432 (32 MiB)", e.Message);
    }

    [TestMethod]
    public void Missing_file_is_a_file_not_found_error()
    {
        Assert.ThrowsException<FileNotFoundException>(() => ImageCodec.Load(Path.Combine(_dir, "nope.png")));
    }

    [TestMethod]
    public void Saved_png_loads_back_with_the_same_pixels()
    {
        var image = TestImages.Noise(11, 6, 3, seed: 4);
        var path = Path.Combine(_dir, "grid.png");
        ImageCodec.SavePng(image, path);
        Assert.IsTrue(ImageCodec.Load(path).PixelsEqual(image));
    }

    [TestMethod]
    public void Saving_png_replaces_the_file_and_leaves_no_temporary_files()
    {
        var path = Path.Combine(_dir, "out.png");
        File.WriteAllText(path, "old contents");
        ImageCodec.SavePng(TestImages.Noise(3, 3, 1, seed: 2), path);
        Assert.AreEqual(1, ImageCodec.Load(path).Channels);
        CollectionAssert.AreEqual(new[] { "out.png" }, Directory.GetFiles(_dir).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void Png_encoding_refuses_sides_over_the_decoder_limit()
    {
        var e = Assert.ThrowsException<ArgumentException>(() => ImageCodec.EncodePng(new MLImage(4097, 1, 1, new byte[4097])));
        StringAssert.Contains(e.Message, "4097x1");
    }

    [TestMethod]
    public void Decode_limit_outside_1_to_4096_is_an_argument_error()
    {
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => ImageCodec.Decode(new byte[8], "x", maxSide: 4097));
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => ImageCodec.Decode(new byte[8], "x", maxSide: 0));
    }

    [TestMethod]
    public void Image_data_rejects_a_pixel_buffer_of_the_wrong_length()
    {
        var e = Assert.ThrowsException<ArgumentException>(() => new MLImage(4, 3, 3, new byte[35]));
        StringAssert.Contains(e.Message, "needs 36 bytes");
    }
}

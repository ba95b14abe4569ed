// The hardened reader on files it must accept exactly and files it must refuse before decoding or instead of
// zero-filling: truncated, corrupt, oversized (file and declared size), empty, not an image, missing.
using Microsoft.ML.Data;
using PixelCnn.ML.Data.Images;
using PixelCnn.ML.Samples.Experiments;

namespace PixelCnn.ML.Tests.Data;

[TestClass]
public class SafeImageReaderTests
{
    private static readonly List<(string Name, byte[] Bytes, bool IsPng)> Seeds = ImageFuzz.SeedFiles();
    private string _dir = "";

    [TestInitialize]
    public void MakeFolder() => _dir = Directory.CreateTempSubdirectory("pixelcnn-reader-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Seed(string name) => Seeds.Single(s => s.Name == name).Bytes;

    private InvalidImageException Rejected(string name, byte[] bytes, ImageLimits? limits = null)
    {
        var path = Write(name, bytes);
        var e = Assert.ThrowsException<InvalidImageException>(() => SafeImageReader.Read(path, limits));
        Assert.AreEqual(path, e.Path);
        StringAssert.StartsWith(e.Message, $"Image file '{path}': ");
        return e;
    }

    [TestMethod]
    public void Png_and_jpeg_files_decode_and_png_pixels_match_what_mlnet_decodes()
    {
        foreach (var (name, bytes, isPng) in Seeds)
        {
            var path = Write(name, bytes);
            using var ours = SafeImageReader.Read(path);
            using var mlnet = MLImage.CreateFromFile(path);
            Assert.AreEqual((mlnet.Width, mlnet.Height), (ours.Width, ours.Height), name);
            if (!isPng) continue;
            // Both RGBA or BGRA: compare as RGB.
            var a = Rgb(ours);
            var b = Rgb(mlnet);
            CollectionAssert.AreEqual(b, a, name);
        }
    }

    [TestMethod]
    public void Pngs_with_alpha_give_the_same_pixels_as_mlnet_decodes_premultiplied()
    {
        // A colour at partial alpha: ML.NET's LoadImages premultiplies, and so does the hardened reader, so a model
        // trained through one loader and scored through the other sees the same pixels.
        foreach (byte alpha in new byte[] { 0, 1, 64, 128, 200, 255 })
        {
            using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(4, 3, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul));
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 4; x++)
                    bitmap.SetPixel(x, y, new SkiaSharp.SKColor((byte)(200 - 10 * x), (byte)(100 + 20 * y), 50, alpha));
            using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            var path = Write($"alpha-{alpha}.png", png.ToArray());
            using var ours = SafeImageReader.Read(path);
            using var mlnet = MLImage.CreateFromFile(path);
            CollectionAssert.AreEqual(Rgb(mlnet), Rgb(ours), $"alpha {alpha}");
            if (alpha == 128) Assert.AreEqual(100, Rgb(ours)[0], "(200, 100, 50) at alpha 128 reads (100, 50, 25)");
        }
    }

    [TestMethod]
    public void Devices_pipes_and_links_to_them_are_refused_before_opening_naming_the_file()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("named pipes and /dev/zero are Linux files here");
        var zero = Path.Combine(_dir, "z.png");
        File.CreateSymbolicLink(zero, "/dev/zero");
        var pipe = Path.Combine(_dir, "p.png");
        var mkfifo = Packaging.DotnetCli.Run("mkfifo", [pipe], _dir);
        Assert.AreEqual(0, mkfifo.ExitCode, mkfifo.ToString());
        var dangling = Path.Combine(_dir, "gone.png");
        File.CreateSymbolicLink(dangling, Path.Combine(_dir, "nothing-here.png"));
        foreach (var path in new[] { zero, pipe, "/dev/null" })
        {
            // /dev/zero would read forever and a pipe with no writer would block forever: both must return at once.
            var read = Task.Run(() => Assert.ThrowsException<InvalidImageException>(() => SafeImageReader.Read(path)));
            Assert.IsTrue(read.Wait(TimeSpan.FromSeconds(10)), $"{path} was not refused in time");
            Assert.AreEqual(path, read.Result.Path);
            StringAssert.Contains(read.Result.Reason, "not a regular file");
        }
        StringAssert.Contains(Assert.ThrowsException<InvalidImageException>(() => SafeImageReader.Read(dangling)).Reason, "a link to nothing");
        // A link to a good file is read like the file.
        var good = Write("good.png", Seed("grey.png"));
        var link = Path.Combine(_dir, "link.png");
        File.CreateSymbolicLink(link, good);
        using var image = SafeImageReader.Read(link);
        Assert.AreEqual(28, image.Width);
    }

    private static byte[] Rgb(MLImage image)
    {
        bool bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        var px = image.Pixels;
        var rgb = new byte[image.Width * image.Height * 3];
        for (int p = 0; p < image.Width * image.Height; p++)
            (rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2]) = (px[p * 4 + (bgra ? 2 : 0)], px[p * 4 + 1], px[p * 4 + (bgra ? 0 : 2)]);
        return rgb;
    }

    [TestMethod]
    public void A_truncated_png_is_rejected_where_mlnet_decodes_it_silently()
    {
        var truncated = Seed("grey.png")[..^30];
        var e = Rejected("cut.png", truncated);
        StringAssert.Contains(e.Reason, "truncated PNG");
        // What this guards against: ML.NET's own decoding returns an image for the same bytes.
        using var plain = MLImage.CreateFromFile(Path.Combine(_dir, "cut.png"));
        Assert.AreEqual(28, plain.Width);
    }

    [TestMethod]
    public void A_jpeg_without_its_end_marker_is_rejected()
    {
        var jpeg = Seed("rgb.jpg");
        StringAssert.Contains(Rejected("cut.jpg", jpeg[..(jpeg.Length * 2 / 3)]).Reason, "truncated JPEG");
    }

    [TestMethod]
    public void A_png_declaring_20000_by_20000_is_rejected_before_anything_is_allocated()
    {
        var giant = ImageFuzz.DeclareSize(Seed("grey.png"), 20000, 20000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Rejected("giant.png", giant);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        StringAssert.Contains(e.Reason, "declares 20000x20000");
        StringAssert.Contains(e.Reason, "MaxSide");
        Assert.IsTrue(allocated < 1 << 20, $"{allocated} bytes allocated to reject it");
    }

    [TestMethod]
    public void The_decoded_byte_limit_and_the_file_size_limit_are_checked()
    {
        var limits = new ImageLimits { MaxDecodedBytes = 28 * 28 * 4 - 1 };
        StringAssert.Contains(Rejected("grey.png", Seed("grey.png"), limits).Reason, "MaxDecodedBytes");
        var small = new ImageLimits { MaxFileBytes = 100 };
        StringAssert.Contains(Rejected("big.png", Seed("rgb.png"), small).Reason, "MaxFileBytes");
    }

    [TestMethod]
    public void A_bad_crc_an_empty_file_text_and_a_missing_file_are_rejected_with_their_reason()
    {
        var png = Seed("rgb.png");
        png[40] ^= 0x55;
        StringAssert.Contains(Rejected("crc.png", png).Reason, "CRC mismatch");
        StringAssert.Contains(Rejected("empty.png", []).Reason, "empty");
        StringAssert.Contains(Rejected("text.png", "hello, not an image"u8.ToArray()).Reason, "not a PNG or JPEG");
        var missing = Path.Combine(_dir, "nope.png");
        StringAssert.Contains(Assert.ThrowsException<InvalidImageException>(() => SafeImageReader.Read(missing)).Reason, "does not exist");
        StringAssert.Contains(Assert.ThrowsException<InvalidImageException>(() => SafeImageReader.Read("")).Reason, "no file name");
    }
}

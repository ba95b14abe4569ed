// Fixtures of the image-transform tests: a temporary folder to write image files into, small images with known
// pixels, and in-memory data views holding them.
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Tests.ImageTransforms;

/// <summary>A fresh temporary folder for image files, deleted with its contents on dispose.</summary>
internal sealed class ImageFolder : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("pcn-images-").FullName;

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public string WritePng(string relative, MLImage image)
    {
        var path = Prepare(relative);
        ImageCodec.SavePng(image, path);
        return path;
    }

    public string WriteJpeg(string relative, MLImage image)
    {
        var path = Prepare(relative);
        File.WriteAllBytes(path, ImageCodec.EncodeJpeg(image, quality: 95));
        return path;
    }

    public string WriteBytes(string relative, byte[] bytes)
    {
        var path = Prepare(relative);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Prepare(string relative)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

internal static class Images
{
    /// <summary>A gray image whose pixel (x, y) is <paramref name="value"/>(x, y).</summary>
    public static MLImage Gray(int width, int height, Func<int, int, int> value)
    {
        var px = new byte[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) px[y * width + x] = (byte)value(x, y);
        return new MLImage(width, height, 1, px);
    }

    /// <summary>An RGB image whose pixel (x, y) is <paramref name="value"/>(x, y).</summary>
    public static MLImage Rgb(int width, int height, Func<int, int, (int R, int G, int B)> value)
    {
        var px = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = value(x, y);
                int o = (y * width + x) * 3;
                (px[o], px[o + 1], px[o + 2]) = ((byte)r, (byte)g, (byte)b);
            }
        return new MLImage(width, height, 3, px);
    }

    /// <summary>A view with one Image column "Image" (of known size when all images share one and <paramref name="sized"/>).</summary>
    public static IDataView View(bool sized, params MLImage[] images) =>
        new ArrayDataViewBuilder().AddImageColumn("Image", images, sized ? images[0].Height : 0, sized ? images[0].Width : 0).Build();

    /// <summary>A view with one Text column "Path".</summary>
    public static IDataView Paths(params string[] paths) => new ArrayDataViewBuilder().AddColumn("Path", paths).Build();

    public static MLImage[] Column(IDataView data, string name) => data.GetColumn<MLImage>(name).ToArray();

    public static float[] Vector(IDataView data, string name, int row = 0) => data.GetColumn<float[]>(name).ElementAt(row);
}

/// <summary>Base of the test classes that write image files: a fresh <see cref="ImageFolder"/> for each test.</summary>
public abstract class ImageFolderTests
{
    internal ImageFolder Folder { get; private set; } = null!;

    [TestInitialize]
    public void CreateFolder() => Folder = new ImageFolder();

    [TestCleanup]
    public void DeleteFolder() => Folder.Dispose();
}

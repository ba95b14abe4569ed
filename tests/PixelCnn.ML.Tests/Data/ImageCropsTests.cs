// Random crops of photographs for colour models: RGB order, crop count and size, deterministic given the seed,
// and files read through the hardened reader.
using PixelCnn.ML.Data;
using PixelCnn.ML.Data.Images;
using PixelCnn.ML.Pictures;

namespace PixelCnn.ML.Tests.Data;

[TestClass]
public class ImageCropsTests
{
    private static string Photo(string dir, string name, int width, int height, Func<int, int, (byte R, byte G, byte B)> colour)
    {
        var px = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                (px[(y * width + x) * 3], px[(y * width + x) * 3 + 1], px[(y * width + x) * 3 + 2]) = colour(x, y);
        var path = Path.Combine(dir, name);
        PictureWriter.SavePng(new RasterImage(width, height, 3, px), path);
        return path;
    }

    [TestMethod]
    public void Crops_come_out_as_rgb_planes_of_the_asked_size_and_count_the_same_for_the_same_seed()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-crops-").FullName;
        try
        {
            var plain = Photo(dir, "plain.png", 40, 24, (_, _) => (200, 10, 30));
            var ramp = Photo(dir, "ramp.png", 30, 30, (x, y) => ((byte)(x * 8), (byte)(y * 8), 77));
            var crops = ImageCrops.Random([plain, ramp], 6, 5, 24, seed: 2);
            Assert.AreEqual((10, 3, 6, 6), (crops.Count, crops.Channels, crops.Height, crops.Width));
            for (int k = 0; k < 5; k++) // the plain photograph: every crop is its colour, R then G then B
            {
                var planes = crops.Pixels.AsSpan(k * 108, 108).ToArray();
                CollectionAssert.AreEqual(Enumerable.Repeat((byte)200, 36).Concat(Enumerable.Repeat((byte)10, 36)).Concat(Enumerable.Repeat((byte)30, 36)).ToArray(), planes);
            }
            CollectionAssert.AreEqual(crops.Pixels, ImageCrops.Random([plain, ramp], 6, 5, 24, seed: 2).Pixels);
            CollectionAssert.AreNotEqual(crops.Pixels, ImageCrops.Random([plain, ramp], 6, 5, 24, seed: 3).Pixels);

            var e = Assert.ThrowsException<InvalidImageException>(() => ImageCrops.Random([Path.Combine(dir, "missing.jpg")], 6, 1, 24, 1));
            StringAssert.Contains(e.Message, "missing.jpg");
            Assert.ThrowsException<ArgumentOutOfRangeException>(() => ImageCrops.Random([plain], 32, 1, 24, 1));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

// End to end over files: a folder of images in class sub-folders through LoadImagesFromFolder, LoadImages,
// ResizeImages, ConvertToGrayscale and ExtractPixels; and what a corrupt file in that folder does.
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;
using PixelCnn.ML.Tests.Imaging;
using static PixelCnn.ML.Transforms.Image.ImagePixelExtractingEstimator;

namespace PixelCnn.ML.Tests.ImageTransforms;

[TestClass]
public class ImagePipelineTests : ImageFolderTests
{
    [TestInitialize]
    public void WriteImages()
    {
        // Solid colours of different sizes and formats: the pipeline's output for each is known exactly.
        Folder.WritePng("cat/a.png", Images.Rgb(12, 9, (_, _) => (200, 100, 50)));   // gray 124
        Folder.WritePng("cat/b.png", Images.Gray(5, 5, (_, _) => 33));
        Folder.WriteJpeg("dog/c.jpg", Images.Gray(16, 16, (_, _) => 90));            // JPEG keeps a flat field exactly
        Folder.WritePng("dog/d.png", Images.Rgb(7, 20, (_, _) => (0, 255, 0)));      // gray 150
    }

    private static EstimatorChain<Transforms.Image.ImagePixelExtractingTransformer> Pipeline(MLContext ml, string folder) =>
        ml.Transforms.LoadImages("Image", folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 8, 8))
            .Append(ml.Transforms.ConvertToGrayscale("Image"))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ColorBits.Grayscale));

    [TestMethod]
    public void Folder_of_class_subfolders_becomes_gray_pixel_vectors_with_labels()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadImagesFromFolder(Folder.Root);
        var scored = Pipeline(ml, Folder.Root).Fit(data).Transform(data);

        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 1, 8, 8), scored.Schema["Pixels"].Type);
        CollectionAssert.AreEqual(new[] { "cat", "cat", "dog", "dog" }, scored.GetColumn<string>("Label").ToArray());
        var pixels = scored.GetColumn<float[]>("Pixels").ToArray();
        var expected = new float[] { 124, 33, 90, 150 };
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual(64, pixels[i].Length);
            Assert.IsTrue(pixels[i].All(v => v == expected[i]), $"row {i}: expected all {expected[i]}, got {string.Join(",", pixels[i].Distinct())}");
        }
    }

    [TestMethod]
    public void Corrupt_image_fails_naming_that_file_when_its_column_is_read()
    {
        var good = TestImages.Smooth(8, 8, 3);
        var bytes = ImageCodec.EncodePng(good);
        var corrupt = Folder.WriteBytes("dog/broken.png", bytes[..(bytes.Length / 2)]);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadImagesFromFolder(Folder.Root);
        var scored = Pipeline(ml, Folder.Root).Fit(data).Transform(data);   // no image is decoded yet

        Assert.AreEqual(5, scored.GetColumn<string>("Label").Count(), "columns that do not need the images still read");
        var e = Assert.ThrowsException<InvalidImageException>(() => scored.GetColumn<float[]>("Pixels").ToArray());
        Assert.AreEqual(corrupt, e.SourceName);
        StringAssert.StartsWith(e.Message, corrupt + ": ");
    }
}

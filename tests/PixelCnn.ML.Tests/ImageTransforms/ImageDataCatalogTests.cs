// ml.Data's image sources (folders, IDX files, Fashion-MNIST) and writers (grids, one PNG per row).
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;
using PixelCnn.ML.Tests.Data;
using PixelCnn.ML.Tests.Imaging;
using PixelCnn.ML.Transforms.Image;

namespace PixelCnn.ML.Tests.ImageTransforms;

[TestClass]
public class ImageDataCatalogTests : ImageFolderTests
{
    private static readonly MLContext Ml = new(seed: 1);

    private void WriteClassFolders()
    {
        var tiny = Images.Gray(2, 2, (x, y) => x + y);
        Folder.WritePng("zebra/2.png", tiny);
        Folder.WritePng("zebra/10.PNG", tiny);
        Folder.WritePng("ant/b.jpeg", tiny);
        Folder.WritePng("ant/deep/a.jpg", tiny);
        Folder.WritePng("top.png", tiny);
        Folder.WriteBytes("ant/notes.txt", [1, 2, 3]);
    }

    [TestMethod]
    public void LoadImagesFromFolder_lists_full_paths_in_ordinal_order_with_folder_labels()
    {
        WriteClassFolders();
        var data = Ml.Data.LoadImagesFromFolder(Folder.Root);
        Assert.AreEqual(TextDataViewType.Instance, data.Schema["ImagePath"].Type);
        Assert.AreEqual(TextDataViewType.Instance, data.Schema["Label"].Type);
        CollectionAssert.AreEqual(new[] { "ant/b.jpeg", "ant/deep/a.jpg", "top.png", "zebra/10.PNG", "zebra/2.png" }.Select(Folder.PathOf).ToArray(),
            data.GetColumn<string>("ImagePath").ToArray());
        CollectionAssert.AreEqual(new[] { "ant", "deep", Path.GetFileName(Folder.Root), "zebra", "zebra" }, data.GetColumn<string>("Label").ToArray());
    }

    [TestMethod]
    public void LoadImagesFromFolder_honours_recursion_extensions_and_the_label_switch()
    {
        WriteClassFolders();
        var top = Ml.Data.LoadImagesFromFolder(Folder.Root, useFolderNameAsLabel: false, recursive: false);
        Assert.IsNull(top.Schema.GetColumnOrNull("Label"));
        CollectionAssert.AreEqual(new[] { Folder.PathOf("top.png") }, top.GetColumn<string>("ImagePath").ToArray());
        var jpegs = Ml.Data.LoadImagesFromFolder(Folder.Root, extensions: ["JPG", ".jpeg"]);
        Assert.AreEqual(2, jpegs.GetColumn<string>("ImagePath").Count());
    }

    [TestMethod]
    public void LoadImagesFromFolder_names_a_missing_folder()
    {
        var missing = Folder.PathOf("nope");
        var e = Assert.ThrowsException<DirectoryNotFoundException>(() => Ml.Data.LoadImagesFromFolder(missing));
        StringAssert.StartsWith(e.Message, $"Image folder '{missing}' does not exist");
    }

    [TestMethod]
    public void LoadImagesFromFolder_without_images_says_which_extensions_it_looked_for()
    {
        Folder.WriteBytes("a/readme.txt", [1]);
        var e = Assert.ThrowsException<InvalidOperationException>(() => Ml.Data.LoadImagesFromFolder(Folder.Root));
        StringAssert.Contains(e.Message, "No image files (.jpeg, .jpg, .png)");
    }

    [TestMethod]
    public void LoadFromIdx_gives_image_pixels_key_label_and_label_index_columns()
    {
        var pixels = Enumerable.Range(0, 3 * 2 * 3).Select(i => (byte)(i * 10)).ToArray();
        var images = Folder.WriteBytes("i.idx", IdxTestFiles.Images(3, 2, 3, pixels));
        var labels = Folder.WriteBytes("l.idx", IdxTestFiles.Labels([0, 9, 4]));
        var data = Ml.Data.LoadFromIdx(images, labels);

        Assert.AreEqual(new ImageDataViewType(2, 3), data.Schema["Image"].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 1, 2, 3), data.Schema["Pixels"].Type);
        Assert.AreEqual(new KeyDataViewType(typeof(uint), 10), data.Schema["Label"].Type);
        Assert.AreEqual(NumberDataViewType.Int32, data.Schema["LabelIndex"].Type);
        Assert.AreEqual(3L, data.GetRowCount());
        CollectionAssert.AreEqual(new uint[] { 1, 10, 5 }, data.GetColumn<uint>("Label").ToArray());
        CollectionAssert.AreEqual(new[] { 0, 9, 4 }, data.GetColumn<int>("LabelIndex").ToArray());
        CollectionAssert.AreEqual(new float[] { 60, 70, 80, 90, 100, 110 }, Images.Vector(data, "Pixels", row: 1));
        var second = Images.Column(data, "Image")[1];
        Assert.AreEqual((3, 2, 1), (second.Width, second.Height, second.Channels));
        CollectionAssert.AreEqual(pixels[6..12], second.ToArray());
    }

    [TestMethod]
    public void LoadFromIdx_widens_the_key_for_labels_of_ten_or_more()
    {
        var images = Folder.WriteBytes("i.idx", IdxTestFiles.Images(2, 1, 1));
        var labels = Folder.WriteBytes("l.idx", IdxTestFiles.Labels([3, 200]));
        var data = Ml.Data.LoadFromIdx(images, labels);
        Assert.AreEqual(new KeyDataViewType(typeof(uint), 256), data.Schema["Label"].Type);
        CollectionAssert.AreEqual(new uint[] { 4, 201 }, data.GetColumn<uint>("Label").ToArray());
    }

    [TestMethod]
    public void LoadFashionMnist_test_split_has_the_documented_columns_and_first_label()
    {
        var data = Ml.Data.LoadFashionMnist(FashionMnistSplit.Test, take: 50);
        Assert.AreEqual(50L, data.GetRowCount());
        Assert.AreEqual(new ImageDataViewType(28, 28), data.Schema["Image"].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 1, 28, 28), data.Schema["Pixels"].Type);
        Assert.AreEqual(new KeyDataViewType(typeof(uint), 10), data.Schema["Label"].Type);
        Assert.AreEqual(10u, data.GetColumn<uint>("Label").First(), "the first test image is an ankle boot, class 9, key 10");
        Assert.AreEqual(9, data.GetColumn<int>("LabelIndex").First());
        VBuffer<ReadOnlyMemory<char>> names = default;
        data.Schema["Label"].GetKeyValues(ref names);
        Assert.AreEqual("Ankle boot", names.GetValues()[9].ToString());
        var first = Images.Column(data, "Image")[0];
        Assert.AreEqual((28, 28, 1), (first.Width, first.Height, first.Channels));
        CollectionAssert.AreEqual(first.ToArray().Select(b => (float)b).ToArray(), Images.Vector(data, "Pixels"));
    }

    [TestMethod]
    public void Fashion_mnist_images_need_no_resizing_before_ExtractPixels()
    {
        var data = Ml.Data.LoadFashionMnist(FashionMnistSplit.Test, take: 3);
        var extracted = Ml.Transforms.ExtractPixels("Extracted", "Image", ImagePixelExtractingEstimator.ColorBits.Grayscale).Fit(data).Transform(data);
        Assert.AreEqual(extracted.Schema["Pixels"].Type, extracted.Schema["Extracted"].Type);
        CollectionAssert.AreEqual(extracted.GetColumn<float[]>("Pixels").SelectMany(v => v).ToArray(), extracted.GetColumn<float[]>("Extracted").SelectMany(v => v).ToArray());
    }

    [TestMethod]
    public void SaveImageGrid_writes_a_decodable_png_of_the_documented_size()
    {
        var images = Enumerable.Range(0, 13).Select(i => Images.Gray(5, 4, (x, y) => 10 * i + x + y)).ToArray();
        var path = Folder.PathOf("grid.png");
        Ml.Data.SaveImageGrid(Images.View(true, images), "Image", path, columns: 5, upscale: 2);

        var grid = ImageCodec.Load(path);
        // 5 columns x 3 rows of 10 x 8 cells, 2 pixels of padding between and around.
        Assert.AreEqual((5 * 12 + 2, 3 * 10 + 2, 1), (grid.Width, grid.Height, grid.Channels));
        Assert.AreEqual(images[0][0, 0, 0], grid[2, 2, 0]);
        Assert.AreEqual(images[6][3, 4, 0], grid[2 + 10 + 2 * 3 + 1, 2 + 12 + 2 * 4, 0]);
        Assert.AreEqual(0, grid[0, 0, 0]);
        CollectionAssert.AreEqual(new[] { "grid.png" }, Directory.GetFiles(Folder.Root).Select(Path.GetFileName).ToArray(), "no temporary file is left");
    }

    [TestMethod]
    public void SaveImageGrid_stops_at_maxImages()
    {
        var images = Enumerable.Range(0, 30).Select(i => Images.Gray(3, 3, (_, _) => i)).ToArray();
        var path = Folder.PathOf("grid.png");
        Ml.Data.SaveImageGrid(Images.View(true, images), "Image", path, columns: 4, maxImages: 6);
        var grid = ImageCodec.Load(path);
        Assert.AreEqual((4 * 5 + 2, 2 * 5 + 2), (grid.Width, grid.Height));
    }

    [TestMethod]
    public void SaveImageGrid_names_the_row_whose_image_has_another_size()
    {
        var data = Images.View(false, Images.Gray(3, 3, (_, _) => 1), Images.Gray(4, 3, (_, _) => 1));
        var e = Assert.ThrowsException<InvalidOperationException>(() => Ml.Data.SaveImageGrid(data, "Image", Folder.PathOf("g.png")));
        StringAssert.StartsWith(e.Message, "Column 'Image', row 1: the image is 4x3 but the first is 3x3");
        Assert.IsFalse(File.Exists(Folder.PathOf("g.png")));
    }

    [TestMethod]
    public void SaveImages_writes_one_png_per_row_named_after_the_file_name_column()
    {
        var a = TestImages.Noise(4, 4, 3, seed: 1);
        var b = TestImages.Noise(4, 4, 1, seed: 2);
        var data = new ArrayDataViewBuilder().AddImageColumn("Image", [a, b]).AddColumn("ImagePath", "/photos/cat/one.jpg", "two.png").Build();
        var written = Ml.Data.SaveImages(data, "Image", Folder.PathOf("out"), "ImagePath");
        CollectionAssert.AreEqual(new[] { Folder.PathOf("out/one.png"), Folder.PathOf("out/two.png") }, written.ToArray());
        Assert.IsTrue(ImageCodec.Load(written[0]).PixelsEqual(a));
        Assert.IsTrue(ImageCodec.Load(written[1]).PixelsEqual(b));
    }

    [TestMethod]
    public void SaveImages_numbers_the_files_without_a_name_column()
    {
        var data = Images.View(false, Images.Gray(1, 1, (_, _) => 1), Images.Gray(1, 1, (_, _) => 2));
        var written = Ml.Data.SaveImages(data, "Image", Folder.Root);
        CollectionAssert.AreEqual(new[] { "000000.png", "000001.png" }, written.Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void SaveImages_refuses_two_rows_naming_the_same_file()
    {
        var image = Images.Gray(1, 1, (_, _) => 1);
        var data = new ArrayDataViewBuilder().AddImageColumn("Image", [image, image]).AddColumn("Name", "cat/1.png", "dog/1.jpg").Build();
        var e = Assert.ThrowsException<InvalidOperationException>(() => Ml.Data.SaveImages(data, "Image", Folder.Root, "Name"));
        Assert.AreEqual("Column 'Name': rows 0 and 1 both name the file '1.png'.", e.Message);
    }

    [TestMethod]
    public void Image_writers_reject_a_column_that_is_not_an_image()
    {
        var data = new ArrayDataViewBuilder().AddColumn("X", 1f).Build();
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => Ml.Data.SaveImageGrid(data, "X", Folder.PathOf("g.png")));
        StringAssert.Contains(e.Message, "Image column 'X': expected Image, got Single.");
    }
}

using PixelCnn.ML.Data;

namespace PixelCnn.ML.Tests.Data;

[TestClass]
public class FashionMnistTests
{
    private string _dir = "";

    [TestInitialize]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("pixelcnn-fmnist-").FullName;

    [TestCleanup]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void First_100_test_images_load_with_the_known_first_label()
    {
        var data = FashionMnist.Load(FashionMnistSplit.Test, take: 100);
        Assert.AreEqual((100, 28, 28), (data.Count, data.Rows, data.Columns));
        Assert.AreEqual(100 * 28 * 28, data.Images.Length);
        Assert.AreEqual(9, data.Labels[0]);
        Assert.AreEqual("Ankle boot", FashionMnist.ClassNames[data.Labels[0]]);
        Assert.IsTrue(data.Images.Any(p => p != 0) && data.Labels.Distinct().Count() > 5);
    }

    [TestMethod]
    public void Class_names_follow_the_label_order()
    {
        CollectionAssert.AreEqual(
            new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
            FashionMnist.ClassNames.ToArray());
    }

    [TestMethod]
    public void Missing_files_error_says_how_to_get_them()
    {
        var e = Assert.ThrowsException<FileNotFoundException>(() => FashionMnist.Load(FashionMnistSplit.Train, directory: _dir));
        StringAssert.StartsWith(e.Message,
            $"Fashion-MNIST not found at {_dir}: install the Debian package dataset-fashion-mnist or set PIXELCNN_FASHION_MNIST_DIR");
    }

    [TestMethod]
    public void Environment_variable_overrides_the_default_directory()
    {
        var old = Environment.GetEnvironmentVariable(FashionMnist.DirectoryVariable);
        try
        {
            Environment.SetEnvironmentVariable(FashionMnist.DirectoryVariable, "/data/fmnist");
            Assert.AreEqual("/data/fmnist", FashionMnist.DefaultDirectory);
            Environment.SetEnvironmentVariable(FashionMnist.DirectoryVariable, null);
            Assert.AreEqual(FashionMnist.DebianDirectory, FashionMnist.DefaultDirectory);
        }
        finally { Environment.SetEnvironmentVariable(FashionMnist.DirectoryVariable, old); }
    }

    [TestMethod]
    public void Uncompressed_files_in_a_given_directory_are_loaded()
    {
        File.WriteAllBytes(Path.Combine(_dir, "t10k-images-idx3-ubyte"), IdxTestFiles.Images(2, 28, 28));
        File.WriteAllBytes(Path.Combine(_dir, "t10k-labels-idx1-ubyte"), IdxTestFiles.Labels(new byte[] { 3, 7 }));
        var data = FashionMnist.Load(FashionMnistSplit.Test, directory: _dir);
        CollectionAssert.AreEqual(new byte[] { 3, 7 }, data.Labels);
    }

    [TestMethod]
    public void Label_outside_the_ten_classes_is_rejected()
    {
        File.WriteAllBytes(Path.Combine(_dir, "train-images-idx3-ubyte"), IdxTestFiles.Images(2, 28, 28));
        File.WriteAllBytes(Path.Combine(_dir, "train-labels-idx1-ubyte"), IdxTestFiles.Labels(new byte[] { 3, 12 }));
        var e = Assert.ThrowsException<InvalidDataException>(() => FashionMnist.Load(FashionMnistSplit.Train, directory: _dir));
        StringAssert.Contains(e.Message, "label 12 at index 1 is not a Fashion-MNIST class (0..9)");
    }
}

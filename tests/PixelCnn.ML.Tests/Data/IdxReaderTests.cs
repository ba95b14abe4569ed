using PixelCnn.ML.Data;

namespace PixelCnn.ML.Tests.Data;

[TestClass]
public class IdxReaderTests
{
    private string _dir = "";

    [TestInitialize]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("pixelcnn-idx-").FullName;

    [TestCleanup]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestMethod]
    public void Reads_images_from_a_plain_idx_file()
    {
        var path = Write("images.idx", IdxTestFiles.Images(3, 4, 5));
        var images = IdxReader.ReadImages(path);
        Assert.AreEqual((3, 4, 5), (images.Count, images.Rows, images.Columns));
        CollectionAssert.AreEqual(IdxTestFiles.Pattern(60), images.Pixels);
    }

    [TestMethod]
    public void Reads_images_from_a_gzip_idx_file_whatever_its_name()
    {
        var path = Write("images.idx", IdxTestFiles.Gzip(IdxTestFiles.Images(3, 4, 5)));
        CollectionAssert.AreEqual(IdxTestFiles.Pattern(60), IdxReader.ReadImages(path).Pixels);
    }

    [TestMethod]
    public void Reads_labels_from_plain_and_gzip_files()
    {
        var labels = new byte[] { 9, 0, 3, 3, 7 };
        CollectionAssert.AreEqual(labels, IdxReader.ReadLabels(Write("l", IdxTestFiles.Labels(labels))));
        CollectionAssert.AreEqual(labels, IdxReader.ReadLabels(Write("l.gz", IdxTestFiles.Gzip(IdxTestFiles.Labels(labels)))));
    }

    [TestMethod]
    public void Take_reads_only_the_first_items()
    {
        var path = Write("images.gz", IdxTestFiles.Gzip(IdxTestFiles.Images(10, 2, 2)));
        var images = IdxReader.ReadImages(path, take: 3);
        Assert.AreEqual(3, images.Count);
        CollectionAssert.AreEqual(IdxTestFiles.Pattern(12), images.Pixels);
    }

    [TestMethod]
    public void Labels_file_read_as_images_reports_the_wrong_magic_number()
    {
        var path = Write("labels.idx", IdxTestFiles.Labels(new byte[] { 1, 2 }));
        var e = Assert.ThrowsException<InvalidDataException>(() => IdxReader.ReadImages(path));
        StringAssert.StartsWith(e.Message, $"wrong magic number 0x00000801 in {path}: expected images (0x00000803)");
    }

    [TestMethod]
    public void Truncated_pixels_are_reported_with_the_expected_and_found_byte_counts()
    {
        var full = IdxTestFiles.Images(60000, 28, 28, pixels: new byte[1000]);
        var path = Write("train-images.gz", IdxTestFiles.Gzip(full));
        var e = Assert.ThrowsException<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.AreEqual($"{path}: truncated: expected 47040000 bytes of pixels, found 1000", e.Message);
    }

    [TestMethod]
    public void Tiny_file_announcing_gigabytes_is_found_truncated_without_allocating_them()
    {
        var path = Write("images", IdxTestFiles.Images(2_000_000, 28, 28, pixels: new byte[10]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.ThrowsException<InvalidDataException>(() => IdxReader.ReadImages(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual($"{path}: truncated: expected 1568000000 bytes of pixels, found 10", e.Message);
        Assert.IsTrue(allocated < 64L << 20, $"allocated {allocated} bytes");
    }

    [TestMethod]
    public void Truncated_labels_are_reported()
    {
        var path = Write("labels", IdxTestFiles.Build(0x801, new[] { 10 }, new byte[4]));
        var e = Assert.ThrowsException<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.AreEqual($"{path}: truncated: expected 10 bytes of labels, found 4", e.Message);
    }

    [TestMethod]
    public void Truncated_header_is_reported()
    {
        var path = Write("images", IdxTestFiles.Images(1, 1, 1)[..9]);
        var e = Assert.ThrowsException<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.AreEqual($"{path}: truncated: expected 12 bytes of dimensions after the magic number, found 5", e.Message);
    }

    [TestMethod]
    public void Zero_dimension_is_rejected()
    {
        var path = Write("images", IdxTestFiles.Build(0x803, new[] { 5, 0, 28 }, Array.Empty<byte>()));
        var e = Assert.ThrowsException<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.AreEqual($"{path}: dimension 1 is 0; IDX dimensions must be positive", e.Message);
    }

    [TestMethod]
    public void Oversized_image_side_is_rejected_before_allocating()
    {
        var path = Write("images", IdxTestFiles.Build(0x803, new[] { 1, 100000, 28 }, Array.Empty<byte>()));
        var e = Assert.ThrowsException<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.AreEqual($"{path}: images are 28x100000 pixels; the limit is 4096 per side", e.Message);
    }

    [TestMethod]
    public void Data_that_needs_more_than_one_array_is_rejected_before_allocating()
    {
        var path = Write("images", IdxTestFiles.Build(0x803, new[] { int.MaxValue, 4096, 4096 }, Array.Empty<byte>()));
        var e = Assert.ThrowsException<InvalidDataException>(() => IdxReader.ReadImages(path));
        StringAssert.Contains(e.Message, "more than one array can hold");
    }

    [TestMethod]
    public void Data_after_the_announced_items_is_rejected()
    {
        var bytes = IdxTestFiles.Labels(new byte[] { 1, 2, 3 }).Append((byte)0).ToArray();
        var path = Write("labels", bytes);
        var e = Assert.ThrowsException<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.AreEqual($"{path}: unexpected data after the 3 labels the header announces", e.Message);
    }

    [TestMethod]
    public void Corrupt_gzip_stream_is_reported_with_the_file_name()
    {
        var gz = IdxTestFiles.Gzip(IdxTestFiles.Images(4, 8, 8, IdxTestFiles.Pattern(256)));
        for (int i = 12; i < gz.Length - 8; i++) gz[i] ^= 0x5A;
        var path = Write("images.gz", gz);
        var e = Assert.ThrowsException<InvalidDataException>(() => IdxReader.ReadImages(path));
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void Dataset_load_pairs_images_with_labels()
    {
        var images = Write("i", IdxTestFiles.Images(3, 2, 2));
        var labels = Write("l.gz", IdxTestFiles.Gzip(IdxTestFiles.Labels(new byte[] { 4, 5, 6 })));
        var data = IdxDataset.Load(images, labels);
        Assert.AreEqual((3, 2, 2), (data.Count, data.Rows, data.Columns));
        CollectionAssert.AreEqual(new byte[] { 4, 5, 6 }, data.Labels);
        CollectionAssert.AreEqual(IdxTestFiles.Pattern(12)[8..], data.GetPixels(2).ToArray());
    }

    [TestMethod]
    public void Dataset_load_rejects_label_and_image_counts_that_differ()
    {
        var images = Write("i", IdxTestFiles.Images(10000, 1, 1));
        var labels = Write("l", IdxTestFiles.Labels(new byte[60000]));
        var e = Assert.ThrowsException<InvalidDataException>(() => IdxDataset.Load(images, labels));
        StringAssert.StartsWith(e.Message, "label count 60000 does not match image count 10000");
    }
}

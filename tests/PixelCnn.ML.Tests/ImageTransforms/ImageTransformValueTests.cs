// The numbers the image transforms compute, against values worked out by hand.
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;
using PixelCnn.ML.Tests.Imaging;
using PixelCnn.ML.Transforms.Image;
using static PixelCnn.ML.Transforms.Image.ImagePixelExtractingEstimator;

namespace PixelCnn.ML.Tests.ImageTransforms;

[TestClass]
public class ImageTransformValueTests
{
    private static readonly MLContext Ml = new(seed: 1);

    private static MLImage Transform<T>(IEstimator<T> estimator, IDataView input, string column) where T : ITransformer =>
        Images.Column(estimator.Fit(input).Transform(input), column).Single();

    /// <summary>4 x 2 gray: row 0 is 10 20 30 40, row 1 is 110 120 130 140.</summary>
    private static IDataView Wide() => Images.View(false, Images.Gray(4, 2, (x, y) => 10 * (x + 1) + 100 * y));

    private static byte[] Resized(ImageResizingEstimator.ResizingKind kind, ImageResizingEstimator.Anchor anchor = ImageResizingEstimator.Anchor.Center) =>
        Transform(Ml.Transforms.ResizeImages("Small", 2, 2, "Image", kind, anchor), Wide(), "Small").ToArray();

    [TestMethod]
    public void LoadImages_decodes_png_and_jpeg_files_named_relative_to_the_image_folder()
    {
        using var folder = new ImageFolder();
        var png = TestImages.Noise(7, 5, 1, seed: 3);
        var jpeg = TestImages.Smooth(16, 12, 3);
        folder.WritePng("a/one.png", png);
        folder.WriteJpeg("b/two.jpg", jpeg);
        var data = Images.Paths("a/one.png", "b/two.jpg");
        var images = Images.Column(Ml.Transforms.LoadImages("Image", folder.Root, "Path").Fit(data).Transform(data), "Image");
        Assert.IsTrue(images[0].PixelsEqual(png));
        Assert.AreEqual((16, 12, 3), (images[1].Width, images[1].Height, images[1].Channels));
        Assert.IsTrue(TestImages.MaxAbsDifference(images[1], jpeg) <= 6, "JPEG at quality 95 stays within a few levels");
    }

    [TestMethod]
    public void LoadImages_without_a_folder_reads_the_paths_as_given()
    {
        using var folder = new ImageFolder();
        var image = Images.Gray(3, 3, (x, y) => x * y);
        var data = Images.Paths(folder.WritePng("x.png", image));
        Assert.IsTrue(Transform(Ml.Transforms.LoadImages("Image", null, "Path"), data, "Image").PixelsEqual(image));
    }

    [TestMethod]
    public void LoadImages_reads_no_file_until_the_column_is_read()
    {
        using var folder = new ImageFolder();
        var data = Images.Paths("missing.png");
        var view = Ml.Transforms.LoadImages("Image", folder.Root, "Path").Fit(data).Transform(data);
        Assert.AreEqual("missing.png", view.GetColumn<string>("Path").Single());
        var e = Assert.ThrowsException<FileNotFoundException>(() => Images.Column(view, "Image"));
        StringAssert.Contains(e.Message, folder.PathOf("missing.png"));
    }

    [TestMethod]
    public void LoadImages_names_the_row_of_an_empty_path()
    {
        var data = Images.Paths("");
        var e = Assert.ThrowsException<InvalidOperationException>(() => Images.Column(Ml.Transforms.LoadImages("Image", null, "Path").Fit(data).Transform(data), "Image"));
        Assert.AreEqual("Input column 'Path', row 0: the image path is empty.", e.Message);
    }

    [TestMethod]
    public void ResizeImages_fill_stretches_with_bilinear_sampling()
    {
        // Columns sampled at source x = 0.5 and 2.5: halfway between 10/20 and 30/40; rows map to rows.
        CollectionAssert.AreEqual(new byte[] { 15, 35, 115, 135 }, Resized(ImageResizingEstimator.ResizingKind.Fill));
    }

    [TestMethod]
    public void ResizeImages_isocrop_keeps_the_aspect_ratio_and_cuts_the_sides()
    {
        // Scale max(2/4, 2/2) = 1: nothing is scaled, the middle two columns are kept.
        CollectionAssert.AreEqual(new byte[] { 20, 30, 120, 130 }, Resized(ImageResizingEstimator.ResizingKind.IsoCrop));
    }

    [TestMethod]
    public void ResizeImages_isocrop_anchor_chooses_the_columns_kept()
    {
        CollectionAssert.AreEqual(new byte[] { 10, 20, 110, 120 }, Resized(ImageResizingEstimator.ResizingKind.IsoCrop, ImageResizingEstimator.Anchor.Left));
        CollectionAssert.AreEqual(new byte[] { 30, 40, 130, 140 }, Resized(ImageResizingEstimator.ResizingKind.IsoCrop, ImageResizingEstimator.Anchor.Right));
    }

    [TestMethod]
    public void ResizeImages_isocrop_top_and_bottom_anchors_choose_the_rows_kept()
    {
        var tall = Images.View(false, Images.Gray(2, 4, (x, y) => 10 * y + x));
        byte[] Crop(ImageResizingEstimator.Anchor anchor) =>
            Transform(Ml.Transforms.ResizeImages("Small", 2, 2, "Image", ImageResizingEstimator.ResizingKind.IsoCrop, anchor), tall, "Small").ToArray();
        CollectionAssert.AreEqual(new byte[] { 0, 1, 10, 11 }, Crop(ImageResizingEstimator.Anchor.Top));
        CollectionAssert.AreEqual(new byte[] { 10, 11, 20, 21 }, Crop(ImageResizingEstimator.Anchor.Center));
        CollectionAssert.AreEqual(new byte[] { 20, 21, 30, 31 }, Crop(ImageResizingEstimator.Anchor.Bottom));
    }

    [TestMethod]
    public void ResizeImages_isopad_fits_the_image_and_pads_with_black()
    {
        // Scale min(2/4, 2/2) = 1/2: a 2 x 1 image (each sample the mean of a 2 x 2 block) on top, one black row below.
        CollectionAssert.AreEqual(new byte[] { 65, 85, 0, 0 }, Resized(ImageResizingEstimator.ResizingKind.IsoPad));
    }

    [TestMethod]
    public void ResizeImages_leaves_the_channel_count_of_each_image()
    {
        var rgb = Images.Rgb(3, 3, (x, y) => (x, y, 9));
        var resized = Transform(Ml.Transforms.ResizeImages("Small", 6, 2, "Image"), Images.View(false, rgb), "Small");
        Assert.AreEqual((6, 2, 3), (resized.Width, resized.Height, resized.Channels));
    }

    [TestMethod]
    public void ConvertToGrayscale_uses_bt601_weights_and_gives_one_channel()
    {
        var rgb = Images.Rgb(4, 1, (x, _) => x switch { 0 => (255, 0, 0), 1 => (0, 255, 0), 2 => (0, 0, 255), _ => (200, 100, 50) });
        var gray = Transform(Ml.Transforms.ConvertToGrayscale("Gray", "Image"), Images.View(false, rgb), "Gray");
        Assert.AreEqual(1, gray.Channels);
        // (299 R + 587 G + 114 B + 500) / 1000
        CollectionAssert.AreEqual(new byte[] { 76, 150, 29, 124 }, gray.ToArray());
    }

    [TestMethod]
    public void ConvertToGrayscale_passes_gray_images_through()
    {
        var gray = Images.Gray(3, 2, (x, y) => 40 * x + y);
        Assert.IsTrue(Transform(Ml.Transforms.ConvertToGrayscale("Gray", "Image"), Images.View(false, gray), "Gray").PixelsEqual(gray));
    }

    /// <summary>2 x 2 RGB: pixel i (row-major) is (10 + i, 20 + i, 30 + i).</summary>
    private static IDataView Rgb2x2() => Images.View(true, Images.Rgb(2, 2, (x, y) => (10 + 2 * y + x, 20 + 2 * y + x, 30 + 2 * y + x)));

    private static float[] Extract(IDataView input, ColorBits colors = ColorBits.Rgb, ColorsOrder order = ColorsOrder.ARGB,
        bool interleave = false, float offset = 0, float scale = 1) =>
        Images.Vector(Ml.Transforms.ExtractPixels("Pixels", "Image", colors, order, interleave, offset, scale).Fit(input).Transform(input), "Pixels");

    [TestMethod]
    public void ExtractPixels_lays_out_the_red_green_and_blue_planes_one_after_the_other()
    {
        CollectionAssert.AreEqual(new float[] { 10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33 }, Extract(Rgb2x2()));
    }

    [TestMethod]
    public void ExtractPixels_subtracts_the_offset_then_scales()
    {
        CollectionAssert.AreEqual(new float[] { -1, -0.5f, 0, 0.5f }, Extract(Rgb2x2(), ColorBits.Red, offset: 12, scale: 0.5f));
    }

    [TestMethod]
    public void ExtractPixels_interleaved_keeps_each_pixels_colours_together()
    {
        CollectionAssert.AreEqual(new float[] { 10, 20, 30, 11, 21, 31, 12, 22, 32, 13, 23, 33 }, Extract(Rgb2x2(), interleave: true));
    }

    [TestMethod]
    public void ExtractPixels_follows_the_colour_order_with_an_opaque_alpha_plane()
    {
        CollectionAssert.AreEqual(new float[] { 255, 255, 255, 255, 30, 31, 32, 33, 20, 21, 22, 23, 10, 11, 12, 13 },
            Extract(Rgb2x2(), ColorBits.All, ColorsOrder.ABGR));
    }

    [TestMethod]
    public void ExtractPixels_repeats_a_gray_image_in_each_colour_plane()
    {
        var gray = Images.View(true, Images.Gray(2, 1, (x, _) => 7 + x));
        CollectionAssert.AreEqual(new float[] { 7, 8, 7, 8, 7, 8 }, Extract(gray));
    }

    [TestMethod]
    public void ExtractPixels_grayscale_gives_one_plane_of_bt601_gray()
    {
        var rgb = Images.View(true, Images.Rgb(2, 1, (x, _) => x == 0 ? (255, 0, 0) : (200, 100, 50)));
        CollectionAssert.AreEqual(new float[] { 76, 124 }, Extract(rgb, ColorBits.Grayscale));
    }

    [TestMethod]
    public void ExtractPixels_as_bytes_gives_the_samples_unchanged()
    {
        var data = Rgb2x2();
        var bytes = Ml.Transforms.ExtractPixels("Pixels", "Image", outputAsFloatArray: false).Fit(data).Transform(data).GetColumn<byte[]>("Pixels").Single();
        CollectionAssert.AreEqual(new byte[] { 10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33 }, bytes);
    }

    [TestMethod]
    public void ExtractPixels_then_ConvertToImage_with_the_inverse_scale_gives_the_image_back()
    {
        var image = TestImages.Noise(5, 4, 3, seed: 11);
        var data = Images.View(true, image);
        var pipeline = Ml.Transforms.ExtractPixels("Pixels", "Image", offsetImage: 127.5f, scaleImage: 1 / 127.5f)
            .Append(Ml.Transforms.ConvertToImage("Back", 4, 5, "Pixels", offsetImage: -127.5f, scaleImage: 127.5f));
        Assert.IsTrue(Transform(pipeline, data, "Back").PixelsEqual(image));
    }

    [TestMethod]
    public void Grayscale_ExtractPixels_then_ConvertToImage_gives_the_gray_image_back()
    {
        var image = TestImages.Noise(6, 3, 1, seed: 5);
        var pipeline = Ml.Transforms.ExtractPixels("Pixels", "Image", ColorBits.Grayscale, interleavePixelColors: true)
            .Append(Ml.Transforms.ConvertToImage("Back", 3, 6, "Pixels", ColorBits.Grayscale, interleavedColors: true));
        Assert.IsTrue(Transform(pipeline, Images.View(true, image), "Back").PixelsEqual(image));
    }

    [TestMethod]
    public void ConvertToImage_rounds_halves_away_from_zero_and_clamps_to_0_255()
    {
        var data = new ArrayDataViewBuilder().AddVectorColumn<float>("V", new float[] { -5, 0.5f, 254.5f, 300, float.NaN, 1.49f }, 1, 1, 6).Build();
        var image = Transform(Ml.Transforms.ConvertToImage("Img", 1, 6, "V", ColorBits.Grayscale), data, "Img");
        CollectionAssert.AreEqual(new byte[] { 0, 1, 255, 255, 0, 1 }, image.ToArray());
    }

    [TestMethod]
    public void ConvertToImage_scales_then_subtracts_the_offset()
    {
        var data = new ArrayDataViewBuilder().AddVectorColumn<double>("V", new double[] { -1, 0, 1 }, 3).Build();
        var image = Transform(Ml.Transforms.ConvertToImage("Img", 1, 3, "V", ColorBits.Grayscale, offsetImage: -100, scaleImage: 50), data, "Img");
        CollectionAssert.AreEqual(new byte[] { 50, 100, 150 }, image.ToArray());
    }

    [TestMethod]
    public void ConvertToImage_fills_missing_colours_with_zero()
    {
        var data = new ArrayDataViewBuilder().AddVectorColumn<byte>("V", new byte[] { 1, 2, 3, 4 }, 2, 1, 2).Build();
        var image = Transform(Ml.Transforms.ConvertToImage("Img", 1, 2, "V", ColorBits.Red | ColorBits.Blue), data, "Img");
        CollectionAssert.AreEqual(new byte[] { 1, 0, 3, 2, 0, 4 }, image.ToArray());
    }

    [TestMethod]
    public void A_value_computed_once_per_row_is_shared_by_every_read()
    {
        var data = Images.View(true, TestImages.Noise(4, 4, 3, seed: 2));
        var view = Ml.Transforms.ConvertToGrayscale("Gray", "Image").Fit(data).Transform(data);
        using var cursor = view.GetRowCursor(view.Schema);
        var getter = cursor.GetGetter<MLImage>(view.Schema["Gray"]);
        Assert.IsTrue(cursor.MoveNext());
        MLImage a = null!, b = null!;
        getter(ref a);
        getter(ref b);
        Assert.AreSame(a, b);
    }

    [TestMethod]
    public void An_image_of_the_wrong_size_for_its_column_type_is_named_by_row()
    {
        // A source that declares 2 x 2 images but delivers a 3 x 2 one.
        var data = new MislabelledImages(Images.Gray(3, 2, (x, y) => x));
        var e = Assert.ThrowsException<InvalidOperationException>(() => Images.Vector(Ml.Transforms.ExtractPixels("P", "Image").Fit(data).Transform(data), "P"));
        Assert.AreEqual("Input column 'Image', row 0: the image is 2 x 3 (height x width) but the column type is Image<2, 2>.", e.Message);
    }

    /// <summary>One row whose Image column claims Image&lt;2, 2&gt; whatever the image is.</summary>
    private sealed class MislabelledImages(MLImage image) : IDataView
    {
        private readonly IDataView _inner = Images.View(false, image);

        public bool CanShuffle => false;
        public DataViewSchema Schema { get; } = Declared();
        public long? GetRowCount() => 1;

        private static DataViewSchema Declared()
        {
            var b = new DataViewSchema.Builder();
            b.AddColumn("Image", new ImageDataViewType(2, 2));
            return b.ToSchema();
        }

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            new Cursor(_inner.GetRowCursor(_inner.Schema), Schema);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor(DataViewRowCursor inner, DataViewSchema schema) : DataViewRowCursor
        {
            public override long Position => inner.Position;
            public override long Batch => 0;
            public override DataViewSchema Schema => schema;
            public override bool MoveNext() => inner.MoveNext();
            public override bool IsColumnActive(DataViewSchema.Column column) => true;
            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();
            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(inner.Schema[column.Index]);
        }
    }
}

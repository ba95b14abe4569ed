// Schema propagation of the image transforms, separately from their numbers: output column types from the estimator
// (before any data) and from the transformer, and the errors for wrong inputs, which name the column, the expected
// and the actual type.
using PixelCnn.ML.Data;
using PixelCnn.ML.Transforms.Image;
using static PixelCnn.ML.Transforms.Image.ImagePixelExtractingEstimator;

namespace PixelCnn.ML.Tests.ImageTransforms;

[TestClass]
public class ImageTransformSchemaTests
{
    private static readonly MLContext Ml = new(seed: 1);

    /// <summary>Image (unknown size), Sized (Image&lt;20, 30&gt;), Path (Text), Vector (Vector&lt;Single, 4&gt;), Gray12 (Vector&lt;Single, 12&gt;).</summary>
    private static DataViewSchema Input()
    {
        var b = new DataViewSchema.Builder();
        b.AddColumn("Image", new ImageDataViewType());
        b.AddColumn("Sized", new ImageDataViewType(20, 30));
        b.AddColumn("Path", TextDataViewType.Instance);
        b.AddColumn("Vector", new VectorDataViewType(NumberDataViewType.Single, 4));
        b.AddColumn("Gray12", new VectorDataViewType(NumberDataViewType.Double, 12));
        return b.ToSchema();
    }

    private static DataViewType OutputType<T>(IEstimator<T> estimator, string column) where T : ITransformer
    {
        var shape = estimator.GetOutputSchema(SchemaShape.Create(Input()));
        Assert.IsTrue(shape.TryFindColumn(column, out _), $"estimator shape lacks {column}");
        var fromShape = shape.First(c => c.Name == column);
        var type = estimator.Fit(EmptyOf(Input())).GetOutputSchema(Input())[column].Type;
        Assert.AreEqual(SchemaShape.Column.Create(column, type).GetTypeString(), fromShape.GetTypeString(), "estimator and transformer disagree");
        return type;
    }

    /// <summary>A zero-row view with the given schema, for Fit.</summary>
    private static IDataView EmptyOf(DataViewSchema schema) => new SchemaOnlyView(schema);

    private sealed class SchemaOnlyView(DataViewSchema schema) : IDataView
    {
        public bool CanShuffle => false;
        public DataViewSchema Schema => schema;
        public long? GetRowCount() => 0;
        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => throw new AssertFailedException("Fit must not read data.");
        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => throw new AssertFailedException("Fit must not read data.");
    }

    private static string FitFails<T>(IEstimator<T> estimator) where T : ITransformer =>
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => estimator.Fit(EmptyOf(Input()))).Message;

    [TestMethod]
    public void LoadImages_turns_a_text_column_into_an_image_column_of_unknown_size()
    {
        Assert.AreEqual(new ImageDataViewType(), OutputType(Ml.Transforms.LoadImages("Loaded", null, "Path"), "Loaded"));
    }

    [TestMethod]
    public void LoadImages_rejects_a_column_that_is_not_text()
    {
        StringAssert.Contains(FitFails(Ml.Transforms.LoadImages("Loaded", null, "Vector")), "Input column 'Vector': expected Text (image file paths), got Vector<Single>.");
    }

    [TestMethod]
    public void ResizeImages_output_type_carries_the_new_height_and_width()
    {
        Assert.AreEqual(new ImageDataViewType(20, 30), OutputType(Ml.Transforms.ResizeImages("Small", imageWidth: 30, imageHeight: 20, "Image"), "Small"));
    }

    [TestMethod]
    public void ResizeImages_rejects_a_vector_column()
    {
        StringAssert.Contains(FitFails(Ml.Transforms.ResizeImages("Small", 8, 8, "Vector")), "Input column 'Vector': expected Image, got Vector<Single>.");
    }

    [TestMethod]
    public void ConvertToGrayscale_keeps_the_input_image_type()
    {
        Assert.AreEqual(new ImageDataViewType(20, 30), OutputType(Ml.Transforms.ConvertToGrayscale("Gray", "Sized"), "Gray"));
        Assert.AreEqual(new ImageDataViewType(), OutputType(Ml.Transforms.ConvertToGrayscale("Gray", "Image"), "Gray"));
    }

    [TestMethod]
    public void ConvertToGrayscale_rejects_a_text_column()
    {
        StringAssert.Contains(FitFails(Ml.Transforms.ConvertToGrayscale("Gray", "Path")), "Input column 'Path': expected Image, got Text.");
    }

    [TestMethod]
    public void ExtractPixels_gives_three_CHW_planes_of_Single_by_default()
    {
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 3, 20, 30), OutputType(Ml.Transforms.ExtractPixels("Pixels", "Sized"), "Pixels"));
    }

    [TestMethod]
    public void ExtractPixels_output_type_follows_colours_layout_and_item_type()
    {
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 1, 20, 30),
            OutputType(Ml.Transforms.ExtractPixels("P", "Sized", ColorBits.Grayscale), "P"));
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 4, 20, 30),
            OutputType(Ml.Transforms.ExtractPixels("P", "Sized", ColorBits.All), "P"));
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 20, 30, 3),
            OutputType(Ml.Transforms.ExtractPixels("P", "Sized", interleavePixelColors: true), "P"));
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Byte, 2, 20, 30),
            OutputType(Ml.Transforms.ExtractPixels("P", "Sized", ColorBits.Red | ColorBits.Blue, outputAsFloatArray: false), "P"));
    }

    [TestMethod]
    public void ExtractPixels_on_images_of_unknown_size_says_to_resize_first()
    {
        var estimator = Ml.Transforms.ExtractPixels("Pixels", "Image");
        const string Expected = "Input column 'Image': expected an Image of known size (use ResizeImages first), got Image.";
        StringAssert.Contains(FitFails(estimator), Expected);
        var transformer = new ImagePixelExtractingTransformer([new ColumnOptions("Pixels", "Image")]);
        StringAssert.Contains(Assert.ThrowsException<ArgumentOutOfRangeException>(() => transformer.GetOutputSchema(Input())).Message, Expected);
    }

    [TestMethod]
    public void ConvertToImage_output_type_has_the_given_size()
    {
        Assert.AreEqual(new ImageDataViewType(3, 4), OutputType(Ml.Transforms.ConvertToImage("Img", 3, 4, "Gray12", ColorBits.Grayscale), "Img"));
    }

    [TestMethod]
    public void ConvertToImage_rejects_a_vector_of_the_wrong_size_naming_both_types()
    {
        StringAssert.Contains(FitFails(Ml.Transforms.ConvertToImage("Img", 2, 2, "Vector")),
            "Input column 'Vector': expected a vector of Single with 3 x 2 x 2 = 12 items, got Vector<Single, 4>.");
    }

    [TestMethod]
    public void ConvertToImage_rejects_an_image_column()
    {
        StringAssert.Contains(FitFails(Ml.Transforms.ConvertToImage("Img", 2, 2, "Sized")),
            "Input column 'Sized': expected a vector of Single, Double or Byte with 3 x 2 x 2 = 12 items, got Image<20, 30>.");
    }

    [TestMethod]
    public void A_missing_input_column_is_named_with_the_available_ones()
    {
        var message = FitFails(Ml.Transforms.ResizeImages("Small", 8, 8, "Photo"));
        StringAssert.Contains(message, "Could not find input column 'Photo'");
        StringAssert.Contains(message, "Sized");
    }

    [TestMethod]
    public void A_chain_checks_every_column_before_decoding_any_image()
    {
        // The path does not exist: had Fit decoded anything, it would fail with FileNotFoundException instead.
        var data = Images.Paths("no-such-file.png");
        var pipeline = Ml.Transforms.LoadImages("Image", null, "Path").Append(Ml.Transforms.ExtractPixels("Pixels", "Image"));
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => pipeline.Fit(data));
        StringAssert.Contains(e.Message, "use ResizeImages first");
    }

    [TestMethod]
    public void Invalid_options_are_rejected_naming_the_option()
    {
        Assert.AreEqual("colorsToExtract", Assert.ThrowsException<ArgumentOutOfRangeException>(
            () => Ml.Transforms.ExtractPixels("P", "Sized", ColorBits.Grayscale | ColorBits.Red)).ParamName);
        Assert.AreEqual("scaleImage", Assert.ThrowsException<ArgumentOutOfRangeException>(
            () => Ml.Transforms.ExtractPixels("P", "Sized", scaleImage: 0)).ParamName);
        Assert.AreEqual("outputAsFloatArray", Assert.ThrowsException<ArgumentException>(
            () => Ml.Transforms.ExtractPixels("P", "Sized", scaleImage: 2, outputAsFloatArray: false)).ParamName);
        Assert.AreEqual("imageWidth", Assert.ThrowsException<ArgumentOutOfRangeException>(
            () => Ml.Transforms.ResizeImages("S", 0, 8, "Sized")).ParamName);
        Assert.AreEqual("imageHeight", Assert.ThrowsException<ArgumentOutOfRangeException>(
            () => Ml.Transforms.ConvertToImage("I", 0, 8, "Vector")).ParamName);
    }

    [TestMethod]
    public void Input_column_defaults_to_the_output_name()
    {
        var resize = Ml.Transforms.ResizeImages("Image", 5, 6).Fit(EmptyOf(Input()));
        Assert.AreEqual(("Image", "Image"), resize.ColumnPairs[0]);
        Assert.AreEqual(new ImageDataViewType(6, 5), resize.GetOutputSchema(Input())["Image"].Type);
    }
}

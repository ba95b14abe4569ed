// Every image transformer survives ml.Model.Save / Load: the loaded model has the same options and gives the same
// outputs; a tampered option fails naming the model and the option.
using System.IO.Compression;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Tests.Imaging;
using PixelCnn.ML.Transforms.Image;
using static PixelCnn.ML.Transforms.Image.ImagePixelExtractingEstimator;

namespace PixelCnn.ML.Tests.ImageTransforms;

[TestClass]
public class ImageTransformSaveLoadTests : ImageFolderTests
{
    private static readonly MLContext Ml = new(seed: 1);

    /// <summary>Saves <paramref name="model"/>, loads it back, and checks the loaded one gives the same
    /// <paramref name="column"/> on <paramref name="input"/>; returns the loaded model.</summary>
    private ITransformer RoundTrip(ITransformer model, IDataView input, string column)
    {
        var path = Folder.PathOf("model.zip");
        Ml.Model.Save(model, input.Schema, path);
        var loaded = Ml.Model.Load(path, out var schema);
        Assert.AreEqual(input.Schema.Count, schema.Count);
        var before = model.Transform(input);
        var after = loaded.Transform(input);
        Assert.AreEqual(before.Schema[column].Type, after.Schema[column].Type);
        if (before.Schema[column].Type is ImageDataViewType)
        {
            var (a, b) = (Images.Column(before, column), Images.Column(after, column));
            Assert.AreEqual(a.Length, b.Length);
            for (int i = 0; i < a.Length; i++) Assert.IsTrue(a[i].PixelsEqual(b[i]), $"row {i}");
        }
        else
            CollectionAssert.AreEqual(before.GetColumn<float[]>(column).SelectMany(v => v).ToArray(), after.GetColumn<float[]>(column).SelectMany(v => v).ToArray());
        return loaded;
    }

    private static IDataView Noise(bool sized) => Images.View(sized, TestImages.Noise(9, 6, 3, seed: 1), TestImages.Noise(9, 6, 3, seed: 2));

    [TestMethod]
    public void LoadImages_round_trips_with_its_folder()
    {
        Folder.WritePng("p/a.png", TestImages.Noise(4, 3, 1, seed: 4));
        var data = Images.Paths("p/a.png");
        var loaded = (ImageLoadingTransformer)RoundTrip(Ml.Transforms.LoadImages("Image", Folder.Root, "Path").Fit(data), data, "Image");
        Assert.AreEqual(Folder.Root, loaded.ImageFolder);
    }

    [TestMethod]
    public void ResizeImages_round_trips_with_its_options()
    {
        var data = Noise(false);
        var model = Ml.Transforms.ResizeImages(
            new ImageResizingEstimator.ColumnOptions("A", 5, 4, "Image", ImageResizingEstimator.ResizingKind.IsoCrop, ImageResizingEstimator.Anchor.Right),
            new ImageResizingEstimator.ColumnOptions("B", 4, 5, "Image", ImageResizingEstimator.ResizingKind.IsoPad)).Fit(data);
        var loaded = (ImageResizingTransformer)RoundTrip(model, data, "A");
        RoundTrip(model, data, "B");
        var a = loaded.Columns[0];
        Assert.AreEqual((5, 4, ImageResizingEstimator.ResizingKind.IsoCrop, ImageResizingEstimator.Anchor.Right), (a.ImageWidth, a.ImageHeight, a.Resizing, a.Anchor));
    }

    [TestMethod]
    public void ConvertToGrayscale_round_trips()
    {
        var data = Noise(false);
        RoundTrip(Ml.Transforms.ConvertToGrayscale("Gray", "Image").Fit(data), data, "Gray");
    }

    [TestMethod]
    public void ExtractPixels_round_trips_with_its_options()
    {
        var data = Noise(true);
        var model = Ml.Transforms.ExtractPixels("Pixels", "Image", ColorBits.Red | ColorBits.Blue, ColorsOrder.ABGR, interleavePixelColors: true,
            offsetImage: 0.1f, scaleImage: 1 / 255f).Fit(data);
        var o = ((ImagePixelExtractingTransformer)RoundTrip(model, data, "Pixels")).Columns[0];
        Assert.AreEqual((ColorBits.Red | ColorBits.Blue, ColorsOrder.ABGR, true, 0.1f, 1 / 255f, true),
            (o.ColorsToExtract, o.OrderOfExtraction, o.InterleavePixelColors, o.OffsetImage, o.ScaleImage, o.OutputAsFloatArray));
    }

    [TestMethod]
    public void ConvertToImage_round_trips_with_its_options()
    {
        var data = new ArrayDataViewBuilder().AddVectorColumn<float>("V", Enumerable.Range(0, 24).Select(i => i * 0.1f).ToArray(), 2, 3, 2).Build();
        var model = Ml.Transforms.ConvertToImage("Img", 3, 2, "V", ColorBits.Green | ColorBits.Alpha, ColorsOrder.AGRB, offsetImage: -3, scaleImage: 90).Fit(data);
        var o = ((VectorToImageConvertingTransformer)RoundTrip(model, data, "Img")).Columns[0];
        Assert.AreEqual((3, 2, ColorBits.Green | ColorBits.Alpha, ColorsOrder.AGRB, -3f, 90f),
            (o.ImageHeight, o.ImageWidth, o.ColorsPresent, o.OrderOfColors, o.OffsetImage, o.ScaleImage));
    }

    [TestMethod]
    public void A_whole_image_pipeline_round_trips()
    {
        Folder.WritePng("x/a.png", TestImages.Noise(10, 7, 3, seed: 8));
        Folder.WritePng("x/b.png", TestImages.Noise(6, 9, 1, seed: 9));
        var data = Images.Paths("x/a.png", "x/b.png");
        var model = Ml.Transforms.LoadImages("Image", Folder.Root, "Path")
            .Append(Ml.Transforms.ResizeImages("Image", 4, 4, resizing: ImageResizingEstimator.ResizingKind.IsoCrop))
            .Append(Ml.Transforms.ConvertToGrayscale("Image"))
            .Append(Ml.Transforms.ExtractPixels("Pixels", "Image", ColorBits.Grayscale, scaleImage: 1 / 255f))
            .Fit(data);
        RoundTrip(model, data, "Pixels");
    }

    [TestMethod]
    public void A_tampered_option_fails_naming_the_model_and_the_option()
    {
        var data = Noise(false);
        var path = Folder.PathOf("tampered.zip");
        Ml.Model.Save(Ml.Transforms.ResizeImages("Small", 3, 3, "Image").Fit(data), data.Schema, path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("component.json"));
            JsonObject json;
            using (var s = entry.Open()) json = (JsonObject)JsonNode.Parse(s)!;
            json["options"]!["columns"]![0]!["resizing"] = "Stretch";
            entry.Delete();
            using var w = new StreamWriter(zip.CreateEntry(entry.FullName).Open());
            w.Write(json.ToJsonString());
        }
        var e = Assert.ThrowsException<InvalidDataException>(() => Ml.Model.Load(path, out _));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "option 'resizing' must be one of IsoPad, IsoCrop, Fill, got \"Stretch\"");
    }
}

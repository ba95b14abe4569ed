// The inputs the components take besides ML.NET's image chain: the data catalog's Fashion-MNIST and IDX views, a
// DataFrame (pixel vectors with an explicit image shape, or image paths), POCOs with [VectorType(C, H, W)]; and
// ToDataFrame on the score columns. Schema errors name the column and the expected and actual types.
using Microsoft.Data.Analysis;
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Pictures;
using PixelCnn.ML.Tests.Components;

namespace PixelCnn.ML.Tests.Data;

[TestClass]
public class DataInputTests
{
    [TestMethod]
    public void Fashion_mnist_is_a_data_view_with_known_size_pixels_and_a_named_key_label()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFashionMnist(FashionMnistSplit.Test, take: 5);
        var pixels = (VectorDataViewType)data.Schema["Pixels"].Type;
        CollectionAssert.AreEqual(new[] { 1, 28, 28 }, pixels.Dimensions.ToArray());
        var label = (KeyDataViewType)data.Schema["Label"].Type;
        Assert.AreEqual(10UL, label.Count);
        VBuffer<ReadOnlyMemory<char>> names = default;
        data.Schema["Label"].GetKeyValues(ref names);
        Assert.AreEqual("Ankle boot", names.GetValues()[9].ToString());
        using var cursor = data.GetRowCursor(data.Schema);
        var key = cursor.GetGetter<uint>(data.Schema["Label"]);
        var index = cursor.GetGetter<int>(data.Schema["LabelIndex"]);
        Assert.IsTrue(cursor.MoveNext());
        uint k = 0;
        int i = 0;
        key(ref k);
        index(ref i);
        Assert.AreEqual((10u, 9), (k, i), "the first test image is an ankle boot: key 10, index 9");
        Assert.AreEqual(5, data.GetColumn<int>("LabelIndex").Count());
    }

    [TestMethod]
    public void Idx_images_without_a_labels_file_are_a_pixels_only_view_that_trains_and_scores()
    {
        var folder = Directory.CreateTempSubdirectory("pixelcnn-idx-").FullName;
        try
        {
            var images = Path.Combine(folder, "images.idx");
            File.WriteAllBytes(images, IdxTestFiles.Images(6, 8, 8));
            var ml = new MLContext(seed: 1);
            var data = ml.Data.LoadFromIdx(images);
            CollectionAssert.AreEqual(new[] { "Pixels" }, data.Schema.Select(c => c.Name).ToArray());
            CollectionAssert.AreEqual(new[] { 1, 8, 8 }, ((VectorDataViewType)data.Schema["Pixels"].Type).Dimensions.ToArray());
            Assert.AreEqual(6, data.GetColumn<float[]>("Pixels").Count());
            Assert.AreEqual(4, ml.Data.LoadFromIdx(images, take: 4).GetColumn<float[]>("Pixels").Count());
            using var scorer = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
                { FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny, Training = { BatchSize = 3, MaxSteps = 1 } }).Fit(data);
            Assert.AreEqual(6, scorer.Transform(data).GetColumn<float>("Score").Count(float.IsFinite));
            var dataset = IdxDataset.Load(images, null);
            Assert.IsFalse(dataset.HasLabels);
            Assert.AreEqual((6, 0), (dataset.Count, dataset.Labels.Length));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    private static DataFrame PixelFrame(List<DensityScorerTests.Row> rows) =>
        new(new VBufferDataFrameColumn<float>("Pixels", rows.Select(r => new VBuffer<float>(64, r.Pixels))));

    [TestMethod]
    public void A_dataframe_of_pixel_vectors_trains_and_scores_with_an_explicit_shape_like_the_poco_route()
    {
        var rows = DensityScorerTests.Rows(10, false);
        var ml = new MLContext(seed: 3);
        var options = new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny, Training = { BatchSize = 8, MaxSteps = 2 }, Channels = 1, Height = 8, Width = 8,
        };
        IDataView frame = PixelFrame(rows);
        Assert.IsFalse(((VectorDataViewType)frame.Schema["Pixels"].Type).IsKnownSize, "DataFrame vector columns lose their size");
        using var fromFrame = ml.AnomalyDetection.Trainers.PixelCnn(options).Fit(frame);
        using var fromPoco = new MLContext(seed: 3).AnomalyDetection.Trainers.PixelCnn(options).Fit(new MLContext().Data.LoadFromEnumerable(rows));
        var a = fromFrame.Transform(frame).GetColumn<float>("Score").ToArray();
        var b = fromPoco.Transform(new MLContext().Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();
        CollectionAssert.AreEqual(b, a, "same data, seed and options: same scores through a DataFrame and through POCOs");

        var scored = fromFrame.Transform(frame).ToDataFrame(["BitsPerDim", "Score", "PredictedLabel"]);
        Assert.AreEqual(10L, scored.Rows.Count);
        Assert.AreEqual(a[3], (float)scored["Score"][3]);
        Assert.IsInstanceOfType<BooleanDataFrameColumn>(scored["PredictedLabel"]);
    }

    [TestMethod]
    public void A_dataframe_vector_without_a_shape_or_of_the_wrong_length_is_refused_clearly()
    {
        var ml = new MLContext(seed: 3);
        IDataView frame = PixelFrame(DensityScorerTests.Rows(4, false));
        var e = Assert.ThrowsException<ArgumentException>(() => ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny, Training = { MaxSteps = 1 } }).Fit(frame));
        StringAssert.Contains(e.Message, "'Pixels'");
        StringAssert.Contains(e.Message, "Channels, Height and Width");
        var wrong = Assert.ThrowsException<InvalidDataException>(() => ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny, Training = { MaxSteps = 1 }, Channels = 1, Height = 4, Width = 4 }).Fit(frame));
        StringAssert.Contains(wrong.Message, "Column 'Pixels' row 0: the vector has 64 values, the model needs 16");
    }

    [TestMethod]
    public void A_dataframe_of_image_paths_feeds_mlnet_image_chain_into_the_scorer()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-frame-").FullName;
        try
        {
            var rows = DensityScorerTests.Rows(6, false);
            var paths = rows.Select((r, i) =>
            {
                var path = Path.Combine(dir, $"{i}.png");
                PictureWriter.SavePng(new RasterImage(8, 8, 1, r.Pixels.Select(v => (byte)v).ToArray()), path);
                return path;
            }).ToArray();
            IDataView frame = new DataFrame(new StringDataFrameColumn("ImagePath", paths));
            var ml = new MLContext(seed: 1);
            using var model = ml.Transforms.LoadImages("Image", null, "ImagePath")
                .Append(ml.Transforms.ResizeImages("Image", 8, 8))                 // ExtractPixels needs a known image size
                .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
                .Append(ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
                { FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny, Training = { BatchSize = 4, MaxSteps = 1 } }))
                .Fit(frame);
            var scores = model.Transform(frame).GetColumn<float>("Score").ToArray();
            Assert.AreEqual(6, scores.Length);
            Assert.IsTrue(scores.All(float.IsFinite));
            Assert.AreEqual(3, model.LastTransformer.ImageShape.Channels, "ExtractPixels gives planar RGB");

            // One image at a time through the whole chain: ML.NET's image transforms, then the scorer as a row mapper.
            var engine = ml.Model.CreatePredictionEngine<Photo, Verdict>(model);
            for (int i = 0; i < paths.Length; i++)
                Assert.AreEqual(scores[i], engine.Predict(new Photo { ImagePath = paths[i] }).Score, 1e-5, paths[i]);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    public sealed class Photo
    {
        public string ImagePath = "";
    }

    public sealed class Verdict
    {
        public float Score;
        public bool PredictedLabel;
    }

    private sealed class Wrong
    {
        [VectorType(2)] public float[] Embedding = [];
        public string Name = "";
    }

    [TestMethod]
    public void Schema_errors_name_the_column_and_the_expected_and_actual_types()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new List<Wrong> { new() { Embedding = [1, 2], Name = "x" } });
        var text = Assert.ThrowsException<ArgumentOutOfRangeException>(() => ml.AnomalyDetection.Trainers.PixelCnn("Name").Fit(data));
        StringAssert.Contains(text.Message, "Schema mismatch for feature column 'Name': expected Vector<Single>");
        StringAssert.Contains(text.Message, "got String");
        var condition = Assert.ThrowsException<ArgumentOutOfRangeException>(() =>
            ml.Transforms.PixelCnnConditionalSampler("Embedding", conditionColumnName: "Name").Fit(data));
        StringAssert.Contains(condition.Message, "condition column 'Name'");
        StringAssert.Contains(condition.Message, "got String");
    }
}

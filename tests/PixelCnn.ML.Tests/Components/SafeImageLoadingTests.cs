// ml.Transforms.LoadImagesSafely in ML.NET pipelines: a bad file fails the pipeline naming it, or (FlagRow) flags its
// row while the others go on, and the scorer gives that row a NaN score instead of scoring zero-filled pixels.
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data.Images;
using PixelCnn.ML.Pictures;

namespace PixelCnn.ML.Tests.Components;

[TestClass]
public class SafeImageLoadingTests
{
    private string _dir = "";

    [TestInitialize]
    public void WriteImages()
    {
        _dir = Directory.CreateTempSubdirectory("pixelcnn-safe-loading-").FullName;
        var random = new Random(2);
        for (int i = 0; i < 6; i++)
        {
            var px = new byte[64];
            for (int p = 0; p < 64; p++) px[p] = (byte)((p / 8 % 2 == 0 ? 160 : 10) + random.Next(4));
            PictureWriter.SavePng(new RasterImage(8, 8, 1, px), Path.Combine(_dir, "good", $"{i}.png"));
        }
    }

    [TestCleanup]
    public void DeleteImages() => Directory.Delete(_dir, recursive: true);

    private string Bad(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, "bad", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static IEstimator<ITransformer> Chain(MLContext ml, ImageErrorPolicy policy) =>
        ml.Transforms.LoadImagesSafely("Image", null, "ImagePath", new SafeImageLoadingOptions { OnError = policy })
            .Append(ml.Transforms.ResizeImages("Image", 8, 8))
            .Append(ml.Transforms.ConvertToGrayscale("Image"))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", colorsToExtract: Microsoft.ML.Transforms.Image.ImagePixelExtractingEstimator.ColorBits.Red));

    private IDataView Files(MLContext ml, params string[] extra) =>
        ml.Data.LoadFromEnumerable(Directory.GetFiles(Path.Combine(_dir, "good")).Order().Concat(extra)
            .Select(p => new ImageDataCatalog.ImageFile { ImagePath = p }).ToList());

    [TestMethod]
    public void With_fail_a_truncated_file_stops_the_pipeline_naming_the_file_and_row()
    {
        var good = File.ReadAllBytes(Directory.GetFiles(Path.Combine(_dir, "good"))[0]);
        var bad = Bad("cut.png", good[..^20]);
        var ml = new MLContext(seed: 1);
        var files = Files(ml, bad);
        var pixels = Chain(ml, ImageErrorPolicy.Fail).Fit(files).Transform(files);
        var e = Assert.ThrowsException<InvalidImageException>(() => pixels.GetColumn<VBuffer<float>>("Pixels").ToList());
        Assert.AreEqual(bad, e.Path);
        StringAssert.Contains(e.Message, "truncated PNG");
        StringAssert.Contains(e.Message, "row 6 of column 'ImagePath'");
        StringAssert.Contains(e.Message, "FlagRow");
    }

    [TestMethod]
    public void With_flag_row_bad_files_get_a_reason_and_a_nan_score_while_the_other_rows_score_as_before()
    {
        var good = File.ReadAllBytes(Directory.GetFiles(Path.Combine(_dir, "good"))[0]);
        var cut = Bad("cut.png", good[..^20]);
        var text = Bad("text.png", "not an image"u8.ToArray());
        var ml = new MLContext(seed: 1);
        var clean = Files(ml);
        using var model = Chain(ml, ImageErrorPolicy.FlagRow)
            .Append(ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny, Training = { BatchSize = 4, MaxSteps = 2 } }))
            .Fit(clean);
        var cleanScores = model.Transform(clean).GetColumn<float>("Score").ToArray();
        var mixed = model.Transform(Files(ml, cut, text));
        var scores = mixed.GetColumn<float>("Score").ToArray();
        var flags = mixed.GetColumn<bool>("PredictedLabel").ToArray();
        var errors = mixed.GetColumn<string>("ImageError").ToArray();
        Assert.AreEqual(8, scores.Length);
        for (int i = 0; i < 6; i++) Assert.AreEqual(cleanScores[i], scores[i], 1e-5, $"good row {i} scores the same with bad rows beside it");
        Assert.IsTrue(errors[..6].All(string.IsNullOrEmpty));
        StringAssert.Contains(errors[6], cut);
        StringAssert.Contains(errors[6], "truncated PNG");
        StringAssert.Contains(errors[7], "not a PNG or JPEG");
        Assert.IsTrue(float.IsNaN(scores[6]) && float.IsNaN(scores[7]), "unreadable images get no score");
        Assert.IsTrue(flags[6] && flags[7], "unreadable images are flagged");
        var metrics = ml.AnomalyDetection.EvaluateDetection(
            ml.Data.LoadFromEnumerable(scores.Select((s, i) => new LabelledScore { Score = s, Label = i % 2 == 0 }).ToList()));
        Assert.AreEqual(2, metrics.SkippedRows);
    }

    [TestMethod]
    public void With_flag_row_a_link_to_dev_zero_and_a_named_pipe_are_flagged_at_once_and_every_row_comes_out()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("named pipes and /dev/zero are Linux files here");
        var zero = Path.Combine(_dir, "bad", "z.png");
        Directory.CreateDirectory(Path.GetDirectoryName(zero)!);
        File.CreateSymbolicLink(zero, "/dev/zero");
        var pipe = Path.Combine(_dir, "bad", "p.png");
        var mkfifo = Packaging.DotnetCli.Run("mkfifo", [pipe], _dir);
        Assert.AreEqual(0, mkfifo.ExitCode, mkfifo.ToString());
        var ml = new MLContext(seed: 1);
        var files = Files(ml, zero, pipe);
        var run = Task.Run(() =>
        {
            var output = Chain(ml, ImageErrorPolicy.FlagRow).Fit(files).Transform(files);
            return (Errors: output.GetColumn<string>("ImageError").ToArray(), Pixels: output.GetColumn<VBuffer<float>>("Pixels").Count());
        });
        Assert.IsTrue(run.Wait(TimeSpan.FromSeconds(30)), "the special files were not refused in time");
        Assert.AreEqual(8, run.Result.Pixels, "every row comes out");
        Assert.IsTrue(run.Result.Errors[..6].All(string.IsNullOrEmpty));
        StringAssert.Contains(run.Result.Errors[6], zero);
        StringAssert.Contains(run.Result.Errors[7], pipe);
        Assert.IsTrue(run.Result.Errors[6..].All(e => e.Contains("not a regular file")), string.Join("\n", run.Result.Errors));
    }

    [TestMethod]
    public void A_batch_holds_no_more_decoded_images_than_its_budget_and_each_is_disposed_when_the_next_batch_replaces_it()
    {
        // 24 files of 1024x1024, each within the limits (4 MiB decoded), through a loader whose batches may hold 8 MiB:
        // two images a batch. Memory stays near two images, not 24 (or the 32 a batch of the default size would hold).
        var big = Path.Combine(_dir, "big");
        Directory.CreateDirectory(big);
        var px = new byte[1024 * 1024];
        new Random(5).NextBytes(px.AsSpan(0, 4096));
        PictureWriter.SavePng(new RasterImage(1024, 1024, 1, px), Path.Combine(big, "00.png"));
        for (int i = 1; i < 24; i++) File.Copy(Path.Combine(big, "00.png"), Path.Combine(big, $"{i:D2}.png"));
        var limits = new ImageLimits { MaxDecodedBytes = 4L << 20, MaxBatchDecodedBytes = 8L << 20 };
        Assert.AreEqual(2, limits.RowsPerBatch(32));
        Assert.AreEqual(1, new ImageLimits { MaxBatchDecodedBytes = 1 << 20 }.RowsPerBatch(32), "at least one image a batch");
        Assert.AreEqual(4, ImageLimits.Default.RowsPerBatch(32), "256 MiB of 64 MiB images");

        var ml = new MLContext();
        var files = ml.Data.LoadImagesFromFolder(big);
        var loaded = ml.Transforms.LoadImagesSafely("Image", null, "ImagePath", new SafeImageLoadingOptions { Limits = limits }).Fit(files).Transform(files);
        var seen = new List<MLImage>();
        using (var cursor = loaded.GetRowCursor(loaded.Schema))
        {
            var image = cursor.GetGetter<MLImage>(loaded.Schema["Image"]);
            MLImage current = null!;
            while (cursor.MoveNext())
            {
                image(ref current);
                Assert.AreEqual(1024, current.Width);
                seen.Add(current);
                // Images of earlier batches are disposed by now: at most this batch's two are alive.
                Assert.IsTrue(seen.Count(Alive) <= 2, $"{seen.Count(Alive)} decoded images alive after row {seen.Count}");
            }
        }
        Assert.AreEqual(24, seen.Count);
        Assert.AreEqual(0, seen.Count(Alive), "disposing the cursor disposes the last batch's images");
    }

    private static bool Alive(MLImage image)
    {
        try
        {
            return image.Width > 0;
        }
        catch (InvalidOperationException)
        {
            return false; // "Object is disposed."
        }
    }

    private sealed class LabelledScore
    {
        public float Score;
        public bool Label;
    }

    [TestMethod]
    public void A_chain_with_the_safe_loader_round_trips_through_mlnet_save_and_load()
    {
        var ml = new MLContext(seed: 1);
        var files = Files(ml);
        var path = Path.Combine(_dir, "chain.zip");
        var limits = new ImageLimits { MaxSide = 64 };
        float[] before;
        using (var model = ml.Transforms.LoadImagesSafely("Image", null, "ImagePath", new SafeImageLoadingOptions { Limits = limits, OnError = ImageErrorPolicy.FlagRow })
                   .Append(ml.Transforms.ResizeImages("Image", 8, 8))
                   .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
                   .Append(ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
                   { FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny, Training = { BatchSize = 4, MaxSteps = 1 } }))
                   .Fit(files))
        {
            before = model.Transform(files).GetColumn<float>("Score").ToArray();
            ml.Model.Save(model, files.Schema, path);
        }
        using var loaded = (IDisposable)new MLContext().Model.Load(path, out _);
        var chain = (TransformerChain<ITransformer>)loaded;
        var loader = chain.OfType<SafeImageLoadingTransformer>().Single();
        Assert.AreEqual((64, ImageErrorPolicy.FlagRow), (loader.Limits.MaxSide, loader.OnError));
        CollectionAssert.AreEqual(before, chain.Transform(files).GetColumn<float>("Score").ToArray());
    }

    [TestMethod]
    public void A_path_column_that_is_not_text_is_rejected_naming_it()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new { ImagePath = 3f } }.Select(x => new NumberPath { ImagePath = x.ImagePath }).ToList());
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => ml.Transforms.LoadImagesSafely("Image", null, "ImagePath").Fit(data));
        StringAssert.Contains(e.Message, "'ImagePath'");
        StringAssert.Contains(e.Message, "expected String, got Single");
    }

    private sealed class NumberPath
    {
        public float ImagePath;
    }
}

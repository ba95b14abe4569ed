// The README snippet, run as is by `pixelcnn example`: a PixelCNN anomaly scorer in an ML.NET pipeline over a folder
// of photos. To have photos to run on, it first writes Fashion-MNIST images as PNG files: sneakers are "ok", and the
// test folder mixes unseen sneakers with bags (the anomalies).
using PixelCnn.ML.Components;

namespace PixelCnn.ML.Samples.Examples;

public static class FolderAnomalyExample
{
    /// <summary>A test row: the image file and whether it is an anomaly (1) or not (0), as ML.NET's evaluator reads it.</summary>
    public sealed class TestImage
    {
        public string ImagePath = "";
        public float Label;
    }

    /// <summary>What the example measured.</summary>
    public sealed record Result(double AreaUnderRocCurve, double DetectionRate, float[] Scores, float[] ReloadedScores);

    public static Result Run(string workFolder, int epochs = 10, int trainImages = 300)
    {
        var root = Path.GetFullPath(workFolder);
        var test = WritePhotos(root, trainImages);
        Directory.SetCurrentDirectory(root);

        // ---- README snippet (test: ImagePath + Label rows of the files written above).
        var ml = new MLContext(seed: 1);
        ml.Log += (_, e) => { if (e.Source.StartsWith("PixelCnn")) Console.WriteLine(e.Message); };   // Fit's progress
        var train = ml.Data.LoadFromEnumerable(ImageDataCatalog.ListImageFiles("photos/ok"));   // ImagePath (+ Label)
        var pipeline = ml.Transforms.LoadImages("Image", "photos/ok", "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 32, 32))           // ExtractPixels needs one known size
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))         // planar RGB 0..255, not scaled; for grey:
                                                                            // colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red
            .Append(ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options {
                FeatureColumnName = "Pixels", Training = { Epochs = epochs } }));
        using var model = pipeline.Fit(train);
        var scored = ml.Data.Cache(model.Transform(test));                 // Score, PredictedLabel, BitsPerDim, scored once
        var metrics = ml.AnomalyDetection.Evaluate(scored);                 // ML.NET's own evaluator
        ml.Model.Save(model, train.Schema, "scorer.zip");                   // loads back with ml.Model.Load
        // ---- end of the snippet

        Console.WriteLine($"Trained on {Path.Combine(root, "photos", "ok")}; test set of sneakers (normal) and bags (anomalies):");
        Console.WriteLine($"ML.NET's Evaluate: AUC {metrics.AreaUnderRocCurve:F4}, detection rate at {metrics.DetectionRateAtFalsePositiveCount:P1} " +
                          "(at the false-positive count ML.NET picks)");
        Console.WriteLine($"More metrics: {ml.AnomalyDetection.EvaluateDetection(scored)}");
        var scores = scored.GetColumn<float>("Score").ToArray();
        using var loaded = (IDisposable)ml.Model.Load("scorer.zip", out _);
        var reloaded = ((ITransformer)loaded).Transform(test).GetColumn<float>("Score").ToArray();
        Console.WriteLine($"Saved {Path.Combine(root, "scorer.zip")}; loaded back with ml.Model.Load it gives " +
                          (scores.SequenceEqual(reloaded) ? "the same scores." : "DIFFERENT scores."));
        return new Result(metrics.AreaUnderRocCurve, metrics.DetectionRateAtFalsePositiveCount, scores, reloaded);
    }

    /// <summary>photos/ok: sneakers; photos/test/{ok,anomaly}: unseen sneakers and bags. Returns the test rows.</summary>
    private static IDataView WritePhotos(string root, int trainImages)
    {
        var ok = Path.Combine(root, "photos", "ok");
        var testOk = Path.Combine(root, "photos", "test", "ok");
        var testBad = Path.Combine(root, "photos", "test", "anomaly");
        const int sneaker = 7, bag = 8, testPerClass = 50;
        if (!Directory.Exists(ok))
        {
            var trainSet = FashionMnist.Load(FashionMnistSplit.Train);
            var testSet = FashionMnist.Load(FashionMnistSplit.Test);
            Save(trainSet, sneaker, trainImages, ok);
            Save(testSet, sneaker, testPerClass, testOk);
            Save(testSet, bag, testPerClass, testBad);
        }
        return new MLContext().Data.LoadFromEnumerable(
            Directory.GetFiles(testOk).Order().Select(f => new TestImage { ImagePath = f, Label = 0 })
                .Concat(Directory.GetFiles(testBad).Order().Select(f => new TestImage { ImagePath = f, Label = 1 })).ToList());
    }

    private static void Save(IdxDataset set, int label, int count, string folder)
    {
        Directory.CreateDirectory(folder);
        int written = 0;
        for (int i = 0; i < set.Count && written < count; i++)
        {
            if (set.Labels[i] != label) continue;
            PictureWriter.SavePng(new RasterImage(set.Columns, set.Rows, 1, set.GetPixels(i).Span), Path.Combine(folder, $"{i:D5}.png"));
            written++;
        }
    }
}

// The BRIEF's "what a user writes" snippet, run as is: a PixelCNN anomaly scorer over a folder of
// photos. To have photos to run on, it first writes Fashion-MNIST images as PNG files: sneakers are
// "ok", and the test folder mixes unseen sneakers with bags (the anomalies).
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Samples.Examples;

public static class FolderAnomalyExample
{
    public sealed class TestImage
    {
        public string ImagePath = "";
        public bool Label;
    }

    public static void Run(string workFolder, int epochs = 10, int trainImages = 300)
    {
        var root = Path.GetFullPath(workFolder);
        var (okFolder, test) = WritePhotos(root, trainImages);
        Directory.SetCurrentDirectory(root);

        // ---- BRIEF §4, as a user writes it (test is built below from the files written above).
        var ml = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = true };
        var train = ml.Data.LoadImagesFromFolder("photos/ok");            // ImagePath (+ Label) columns
        var pipeline = ml.Transforms.LoadImages("Image", "photos/ok", "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 32, 32))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))        // CHW floats 0..255, as ML.NET
            .Append(ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options {
                FeatureColumnName = "Pixels", Training = { Epochs = epochs } }));
        using var model = pipeline.Fit(train);
        var scored = model.Transform(test);                                 // BitsPerDim, Score, PredictedLabel
        var metrics = ml.AnomalyDetection.Evaluate(scored);                 // AUROC, detection rate, ...
        ml.Model.Save(model, train.Schema, "scorer.zip");
        // ---- end of the snippet

        Console.WriteLine($"Trained on {okFolder}; test set of sneakers (normal) and bags (anomalies):");
        Console.WriteLine(metrics);
        Console.WriteLine($"Saved {Path.Combine(root, "scorer.zip")}");
    }

    /// <summary>photos/ok: sneakers; photos/test/{ok,anomaly}: unseen sneakers and bags.</summary>
    private static (string ok, IDataView test) WritePhotos(string root, int trainImages)
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
        return (ok, new MLContext().Data.LoadFromEnumerable(
            Directory.GetFiles(testOk).Order().Select(f => new TestImage { ImagePath = f, Label = false })
                .Concat(Directory.GetFiles(testBad).Order().Select(f => new TestImage { ImagePath = f, Label = true })).ToList()));
    }

    private static void Save(IdxDataset set, int label, int count, string folder)
    {
        Directory.CreateDirectory(folder);
        int written = 0;
        for (int i = 0; i < set.Count && written < count; i++)
        {
            if (set.Labels[i] != label) continue;
            ImageCodec.SavePng(set.GetImage(i), Path.Combine(folder, $"{i:D5}.png"));
            written++;
        }
    }
}

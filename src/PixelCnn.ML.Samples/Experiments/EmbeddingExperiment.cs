// pixelcnn experiment embedding: the analogue of the Gated PixelCNN paper's portraits experiment
// (section 3.3) on Fashion-MNIST. Another network (a small classifier, FashionClassifier) is
// trained first; its penultimate layer gives every image an embedding. An ML.NET conditional sampler
// (ML.NET's mean-variance normaliser on the embedding column, then ml.Transforms.PixelCnnConditionalSampler
// with spatial conditioning) is trained on the training images' (pixels, embedding) pairs and saved as one
// pipeline. Then, all through the sampler transformer:
//   - new images from single unseen test images' embeddings (a grid row per source image);
//   - interpolation rows between two unseen images' embeddings, one seed per row (SharedDraws).
// It also reports the test bits/dim of x given the embedding, the classifier's test accuracy and the
// fraction of generated images the classifier puts in their source image's class.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Pictures;
using PixelCnn.ML.Samples.Commands;
using PixelCnn.ML.Sampling;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Experiments;

internal static class EmbeddingExperiment
{
    private static readonly Option<int> TrainImages = new("--train-images") { Description = "Fashion-MNIST training images (the first N) of the classifier and the sampler.", DefaultValueFactory = _ => 10000 };
    private static readonly Option<int> TestImages = new("--test-images") { Description = "Fashion-MNIST test images (the first N): accuracy, bits/dim and the source images.", DefaultValueFactory = _ => 2000 };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Epochs of the conditional PixelCNN.", DefaultValueFactory = _ => 1 };
    private static readonly Option<int> ClassifierEpochs = new("--classifier-epochs") { Description = "Epochs of the classifier.", DefaultValueFactory = _ => 2 };
    private static readonly Option<int> EmbeddingSize = new("--embedding-size") { Description = "Size D of the classifier's penultimate layer (the embedding).", DefaultValueFactory = _ => 32 };
    private static readonly Option<string> Preset = new("--preset") { Description = "PixelCNN preset of the conditional sampler: S or M.", DefaultValueFactory = _ => "S" };
    private static readonly Option<int> SourceImages = new("--source-images") { Description = "Unseen test images to generate from (one per class, in class order).", DefaultValueFactory = _ => 6 };
    private static readonly Option<int> Samples = new("--samples") { Description = "Images generated from each source image's embedding.", DefaultValueFactory = _ => 8 };
    private static readonly Option<int> Steps = new("--steps") { Description = "Images along each interpolation row, both ends included.", DefaultValueFactory = _ => 8 };
    private static readonly Option<int> Rows = new("--rows") { Description = "Interpolation rows; row r is drawn with seed --seed + r.", DefaultValueFactory = _ => 3 };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of initialisation, shuffling and sampling.", DefaultValueFactory = _ => 1 };
    private static readonly Option<DirectoryInfo> OutDir = new("--out-dir") { Description = "Folder for results.json, the pictures and the sampler's model zip.", DefaultValueFactory = _ => new DirectoryInfo("experiment-embedding") };

    public static Command CreateCommand()
    {
        var cmd = new Command("embedding",
            "Condition a PixelCNN on another network's embedding (a Fashion-MNIST classifier's penultimate layer) through the ML.NET conditional " +
            "sampler; generate new images from unseen images' embeddings and interpolate between two. Writes results.json, " +
            "embedding-samples.png, embedding-interpolation.png and sampler.zip into --out-dir.")
        {
            TrainImages, TestImages, Epochs, ClassifierEpochs, EmbeddingSize, Preset, SourceImages, Samples, Steps, Rows, Seed, OutDir, TrainCommand.DeviceOption,
        };
        cmd.SetAction(Run);
        return cmd;
    }

    private sealed class Row
    {
        [VectorType(1, 28, 28)] public float[] Pixels = [];
        public float[] Embedding = [];
    }

    private static int Run(ParseResult p)
    {
        int nTrain = p.GetValue(TrainImages), nTest = p.GetValue(TestImages), epochs = p.GetValue(Epochs), classifierEpochs = p.GetValue(ClassifierEpochs);
        int d = p.GetValue(EmbeddingSize), sources = p.GetValue(SourceImages), samples = p.GetValue(Samples), steps = p.GetValue(Steps), gridRows = p.GetValue(Rows);
        if (nTrain < 1) throw new ArgumentException($"--train-images {nTrain}: must be >= 1");
        if (nTest < 1) throw new ArgumentException($"--test-images {nTest}: must be >= 1");
        if (epochs < 1) throw new ArgumentException($"--epochs {epochs}: must be >= 1");
        if (classifierEpochs < 1) throw new ArgumentException($"--classifier-epochs {classifierEpochs}: must be >= 1");
        if (d < 1) throw new ArgumentException($"--embedding-size {d}: must be >= 1");
        if (sources < 2 || sources > 10) throw new ArgumentException($"--source-images {sources}: must be 2..10 (one per class)");
        if (samples < 1) throw new ArgumentException($"--samples {samples}: must be >= 1");
        if (steps < 2) throw new ArgumentException($"--steps {steps}: must be >= 2 (both ends are included)");
        if (gridRows < 1) throw new ArgumentException($"--rows {gridRows}: must be >= 1");
        var preset = PixelCnnConfig.Preset(p.GetValue(Preset)!);
        var device = Engine.DeviceSelector.Parse(p.GetValue(TrainCommand.DeviceOption)!);
        ulong seed = (ulong)p.GetValue(Seed);
        var outDir = p.GetValue(OutDir)!;
        outDir.Create();
        var total = Stopwatch.StartNew();

        var trainIdx = FashionMnist.Load(FashionMnistSplit.Train, nTrain);
        var testIdx = FashionMnist.Load(FashionMnistSplit.Test, nTest);
        var trainLabels = trainIdx.Labels.Select(l => (int)l).ToArray();
        var testLabels = testIdx.Labels.Select(l => (int)l).ToArray();
        var train = AutoencoderExperiment.Dataset(trainIdx);
        var test = AutoencoderExperiment.Dataset(testIdx);
        var shape = new ImageShape(1, FashionMnist.ImageSide, FashionMnist.ImageSide);
        var names = FashionMnist.ClassNames;
        // One unseen source image per class: the first test image of classes 0, 1, ...
        var sourceRows = Enumerable.Range(0, sources).Select(c => Array.IndexOf(testLabels, c)).ToArray();
        if (sourceRows.Any(r => r < 0)) throw new ArgumentException($"--test-images {nTest}: the first {nTest} test images do not hold one of each of the first {sources} classes");
        Cli.Err.MarkupLine($"Embedding experiment: {train.Count} training and {test.Count} test images of Fashion-MNIST, embedding of {d} values, " +
                           $"preset {Markup.Escape(p.GetValue(Preset)!)}, {device}, {get_num_threads()} thread(s)");

        Cli.Err.MarkupLine($"[bold]1. Classifier (the other network), {classifierEpochs} epoch(s)[/]");
        var sw = Stopwatch.StartNew();
        manual_seed((long)seed);
        using var classifier = new FashionClassifier(shape.Height, shape.Width, preset.EncoderChannels, d, names.Count, new torch.Generator(seed));
        classifier.to(device);
        var training = new Training.TrainingOptions();
        classifier.Fit(ImageDataset.WithClassLabels(1, shape.Height, shape.Width, train.Pixels, trainLabels, names.Count), classifierEpochs,
                       training.BatchSize, training.LearningRate, seed, device, new AutoencoderExperiment.StepReporter("  classifier training").Report, Cli.Cancellation);
        double accuracy = classifier.Accuracy(test, testLabels, device);
        var trainEmbeddings = classifier.Embeddings(train, device);
        var testEmbeddings = classifier.Embeddings(test, device);
        Cli.Err.MarkupLine($"  test accuracy {accuracy:P2} ({sw.Elapsed.TotalSeconds:F0} s)");

        Cli.Err.MarkupLine($"[bold]2. ML.NET conditional sampler on the embedding column, {epochs} epoch(s)[/]");
        sw.Restart();
        var ml = new MLContext(seed: (int)seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Embedding)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        IDataView View(ImageDataset data, float[] embeddings, IEnumerable<int> rows) =>
            ml.Data.LoadFromEnumerable(rows.Select(i => new Row
            {
                Pixels = data.Pixels.AsSpan(i * data.ImageSize, data.ImageSize).ToArray().Select(b => (float)b).ToArray(),
                Embedding = embeddings.AsSpan(i * d, d).ToArray(),
            }).ToList(), schema);
        var trainView = View(train, trainEmbeddings, Enumerable.Range(0, train.Count));
        // The classifier's ELU outputs have arbitrary scales; ML.NET's mean-variance normaliser (fitted on the training
        // embeddings) puts every value on unit scale before it conditions the decoder, in one pipeline with the sampler.
        var normalizer = ml.Transforms.NormalizeMeanVariance("Embedding").Fit(trainView);
        using var sampler = ml.Transforms.PixelCnnConditionalSampler(new PixelCnnConditionalSamplerEstimator.Options
        {
            FeatureColumnName = "Pixels", ConditionColumnName = "Embedding", Model = preset with { Conditioning = ConditioningKind.Spatial }, SamplingSeed = seed,
            Training = { Epochs = epochs, Seed = seed, Device = device }, Progress = new ConsoleTrainingProgress(), CancellationToken = Cli.Cancellation,
        }).Fit(normalizer.Transform(trainView));
        double trainSeconds = sw.Elapsed.TotalSeconds;
        var zip = Path.Combine(outDir.FullName, "sampler.zip");
        ml.Model.Save(normalizer.Append(sampler), trainView.Schema, zip);
        var normalizedTest = normalizer.Transform(View(test, testEmbeddings, Enumerable.Range(0, test.Count)))
            .GetColumn<VBuffer<float>>("Embedding").SelectMany(v => v.DenseValues()).ToArray();
        double givenEmbedding = sampler.Model.MeanBitsPerDim(new ImageDataset(1, shape.Height, shape.Width, test.Pixels, normalizedTest, d),
                                                             cancellationToken: Cli.Cancellation);
        Cli.Err.MarkupLine($"  test {givenEmbedding:F4} bits/dim of x given the embedding ({trainSeconds:F0} s); saved {Markup.Escape(zip)}");

        Cli.Err.MarkupLine($"[bold]3. New images from {sources} unseen test images' embeddings, {samples} each[/]");
        sw.Restart();
        // One data view: each source image's embedding repeated, so every row of the transform is a new image.
        var repeated = sourceRows.SelectMany(r => Enumerable.Repeat(r, samples)).ToArray();
        var generated = Generated(sampler.Transform(normalizer.Transform(View(test, testEmbeddings, repeated))), shape);
        var generatedSet = new ImageDataset(1, shape.Height, shape.Width, generated, null);
        var predicted = classifier.Predict(generatedSet, device);
        int sameClass = repeated.Select((r, i) => predicted[i] == testLabels[r] ? 1 : 0).Sum();
        var cells = new List<RasterImage>();
        for (int s = 0; s < sources; s++)
        {
            cells.Add(RasterImage.FromChw(test.Pixels, sourceRows[s], shape));
            for (int k = 0; k < samples; k++) cells.Add(RasterImage.FromChw(generated, s * samples + k, shape));
        }
        var samplesPicture = Path.Combine(outDir.FullName, "embedding-samples.png");
        PictureWriter.SaveGrid(samplesPicture, cells, samples + 1, 3, rowLabels: sourceRows.Select(r => names[testLabels[r]]).ToList(),
                               title: "Unseen image (left), then new images from its classifier embedding");
        Cli.Err.MarkupLine($"  {repeated.Length} images in {sw.Elapsed.TotalSeconds:F0} s; the classifier puts {sameClass}/{repeated.Length} in the source image's class");

        // Interpolation between the first two source images' embeddings (classes 0 and 1 when --source-images allows, else the last).
        int a = sourceRows[0], b = sourceRows[^1];
        Cli.Err.MarkupLine($"[bold]4. Interpolation: {names[testLabels[a]]} → {names[testLabels[b]]}, {gridRows} row(s) of {steps}, one seed per row[/]");
        sw.Restart();
        using var scope = NewDisposeScope();
        var path = PixelCnnSampler.InterpolationPath(tensor(testEmbeddings.AsSpan(a * d, d).ToArray()), tensor(testEmbeddings.AsSpan(b * d, d).ToArray()), steps, d)
            .data<float>().ToArray();
        var pathView = ml.Data.LoadFromEnumerable(Enumerable.Range(0, steps).Select(k => new Row
        {
            Pixels = new float[shape.Size], Embedding = path.AsSpan(k * d, d).ToArray(),
        }).ToList(), schema);
        var rowsCells = new List<RasterImage>();
        for (int r = 0; r < gridRows; r++)
        {
            // SharedDraws: every image of the row uses the random numbers of one seed, so only the embedding changes.
            var row = Generated(sampler.WithSampling(sampler.Temperature, seed + (ulong)r, sharedDraws: true).Transform(normalizer.Transform(pathView)), shape);
            rowsCells.Add(RasterImage.FromChw(test.Pixels, a, shape));
            for (int k = 0; k < steps; k++) rowsCells.Add(RasterImage.FromChw(row, k, shape));
            rowsCells.Add(RasterImage.FromChw(test.Pixels, b, shape));
        }
        var interpolationPicture = Path.Combine(outDir.FullName, "embedding-interpolation.png");
        PictureWriter.SaveGrid(interpolationPicture, rowsCells, steps + 2, 3, rowLabels: Enumerable.Range(0, gridRows).Select(r => $"seed {seed + (ulong)r}").ToList(),
                               title: "Interpolating between two unseen images' embeddings (ends: the images)");
        Cli.Err.MarkupLine($"  {gridRows * steps} images in {sw.Elapsed.TotalSeconds:F0} s");

        var results = new JsonObject
        {
            ["experiment"] = "embedding",
            ["dataset"] = "Fashion-MNIST",
            ["trainImages"] = train.Count,
            ["testImages"] = test.Count,
            ["embeddingSize"] = d,
            ["preset"] = p.GetValue(Preset)!.Trim().ToUpperInvariant(),
            ["epochs"] = epochs,
            ["classifierEpochs"] = classifierEpochs,
            ["seed"] = seed,
            ["device"] = device.ToString(),
            ["threads"] = get_num_threads(),
            ["classifierTestAccuracy"] = accuracy,
            ["bitsPerDimGivenEmbedding"] = givenEmbedding,
            ["samplerTrainSeconds"] = trainSeconds,
            ["generatedInSourceClass"] = (double)sameClass / repeated.Length,
            ["sourceTestRows"] = new JsonArray([.. sourceRows.Select(r => (JsonNode)r)]),
            ["pictures"] = new JsonArray("embedding-samples.png", "embedding-interpolation.png"),
            ["totalSeconds"] = total.Elapsed.TotalSeconds,
        };
        var json = Path.Combine(outDir.FullName, "results.json");
        File.WriteAllText(json, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Classifier test accuracy {accuracy:P2}; test bits/dim given the embedding {givenEmbedding:F4}; " +
                          $"{sameClass}/{repeated.Length} generated images classified as their source's class");
        Console.WriteLine($"Wrote {json}, {Path.GetFileName(samplesPicture)}, {Path.GetFileName(interpolationPicture)} and sampler.zip in {outDir.FullName} " +
                          $"({total.Elapsed.TotalMinutes:F1} min)");
        return Cli.Ok;
    }

    /// <summary>The generated pixels of every row of a sampler transform, as bytes (NCHW).</summary>
    private static byte[] Generated(IDataView view, ImageShape shape)
    {
        var result = new List<byte>();
        foreach (var v in view.GetColumn<VBuffer<float>>("GeneratedPixels"))
        {
            if (v.Length != shape.Size) throw new InvalidOperationException($"generated image has {v.Length} values, expected {shape.Size}");
            result.AddRange(v.DenseValues().Select(f => (byte)Math.Clamp(f, 0, 255)));
        }
        return result.ToArray();
    }
}

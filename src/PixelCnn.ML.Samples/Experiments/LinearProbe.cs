// Linear probes of representations with ML.NET: a multiclass logistic regression (L-BFGS maximum
// entropy on mean-variance normalised features) fitted on the training images' features and scored
// by its test accuracy. PCA features are ML.NET's randomized PCA of the pixels, fitted on the
// training images. This is how the autoencoder experiment (and the demo's --probes) measures how
// much class information a bottleneck h keeps.
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Data;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Experiments;

internal static class LinearProbe
{
    /// <summary>Features of a set of images, row-major (N·D), with the class of every image.</summary>
    public sealed record Features(float[] Values, int Dimensions, IReadOnlyList<int> Labels)
    {
        public int Count => Labels.Count;

        /// <summary>The pixels of labelled images as features.</summary>
        public static Features FromPixels(Labelled images) =>
            new(images.Images.Pixels.Select(b => (float)b).ToArray(), images.Images.ImageSize, images.Labels);
    }

    /// <summary>Images with their classes.</summary>
    public sealed record Labelled(ImageDataset Images, IReadOnlyList<int> Labels);

    /// <summary>Test accuracies of the three representations of size m the Gated PixelCNN paper's claim is about.</summary>
    public sealed record Comparison(int Size, double PixelCnnAutoencoder, double MseAutoencoder, double Pca)
    {
        public JsonObject ToJson() => new() { ["pixelCnnAutoencoder"] = PixelCnnAutoencoder, ["mseAutoencoder"] = MseAutoencoder, ["pca"] = Pca };
    }

    /// <summary>
    /// Probes a PixelCNN autoencoder's h (<paramref name="pixelCnnEncode"/>), the MSE autoencoder's code and the first
    /// <paramref name="size"/> principal components of the pixels.
    /// </summary>
    public static Comparison Compare(MLContext ml, int size, Labelled train, Labelled test, Func<ImageDataset, float[]> pixelCnnEncode,
                                     MseAutoencoder mse, Device device, int seed)
    {
        Features Of(Labelled d, float[] values) => new(values, size, d.Labels);
        double pixelCnn = Accuracy(ml, Of(train, pixelCnnEncode(train.Images)), Of(test, pixelCnnEncode(test.Images)));
        double mseCode = Accuracy(ml, Of(train, mse.Encode(train.Images, device)), Of(test, mse.Encode(test.Images, device)));
        double pca = PcaAccuracy(ml, size, Features.FromPixels(train), Features.FromPixels(test), seed);
        return new Comparison(size, pixelCnn, mseCode, pca);
    }

    /// <summary>Test accuracy of the linear classifier fitted on <paramref name="train"/>.</summary>
    public static double Accuracy(MLContext ml, Features train, Features test) =>
        Evaluate(ml, ml.Transforms.NormalizeMeanVariance("Features"), train, test);

    /// <summary>Test accuracy of the linear classifier on the first <paramref name="rank"/> principal components of the features.</summary>
    public static double PcaAccuracy(MLContext ml, int rank, Features train, Features test, int seed = 1) =>
        Evaluate(ml, ml.Transforms.ProjectToPrincipalComponents("Features", rank: rank, seed: seed)
                       .Append(ml.Transforms.NormalizeMeanVariance("Features")), train, test);

    private static double Evaluate<T>(MLContext ml, IEstimator<T> features, Features train, Features test) where T : class, ITransformer
    {
        if (train.Dimensions != test.Dimensions) throw new ArgumentException($"train features have {train.Dimensions} values, test {test.Dimensions}");
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(features)
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
        var model = pipeline.Fit(View(ml, train));
        return ml.MulticlassClassification.Evaluate(model.Transform(View(ml, test))).MicroAccuracy;
    }

    private static IDataView View(MLContext ml, Features f)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, f.Dimensions);
        var rows = Enumerable.Range(0, f.Count).Select(i => new Row
        {
            Label = (uint)f.Labels[i], Features = f.Values.AsSpan(i * f.Dimensions, f.Dimensions).ToArray(),
        });
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    private sealed class Row
    {
        public uint Label { get; set; }
        public float[] Features { get; set; } = [];
    }
}

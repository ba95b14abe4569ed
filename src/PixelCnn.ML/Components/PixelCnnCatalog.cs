// The PixelCNN features of ML.NET's catalogs: ml.AnomalyDetection.Trainers.PixelCnn(...), the fuller detection
// metrics ml.AnomalyDetection.EvaluateDetection(...) beside ML.NET's own Evaluate, and on ml.Transforms the
// conditional sampler, the autoencoder and the hardened image loader.
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Components;
using PixelCnn.ML.Evaluation;
using PixelCnn.ML.Models;

namespace PixelCnn.ML;

public static class PixelCnnCatalog
{
    /// <summary>
    /// A PixelCNN density scorer: trains on <paramref name="featureColumnName"/> (CHW pixels 0..255) and scores every
    /// image in bits/dim (Score, higher = more anomalous) with a PredictedLabel from the 99th percentile of training scores.
    /// </summary>
    public static PixelCnnDensityTrainer PixelCnn(this AnomalyDetectionCatalog.AnomalyDetectionTrainers catalog,
                                                  string featureColumnName = "Features", int epochs = 1, string? conditionColumnName = null,
                                                  PixelCnnConfig? model = null) =>
        PixelCnn(catalog, new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = featureColumnName, Training = { Epochs = epochs }, ConditionColumnName = conditionColumnName, Model = model ?? PixelCnnConfig.PresetS,
        });

    /// <summary>A PixelCNN density scorer with all options.</summary>
    public static PixelCnnDensityTrainer PixelCnn(this AnomalyDetectionCatalog.AnomalyDetectionTrainers catalog, PixelCnnDensityTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PixelCnnDensityTrainer(MlNetAccess.Environment(catalog), options);
    }

    /// <summary>
    /// <c>mlContext.Model.Load</c> for model files from outside. The archive is checked before ML.NET opens it: a regular
    /// file, every entry's declared size bounded (from <see cref="Scoring.PixelCnnModel.MaxParameterBytes"/>), every entry
    /// inflated once to check its size and CRC-32. PixelCNN components then check their options, configuration, sizes
    /// and the weights' SHA-256 as they load. Every failure of the file is an <see cref="InvalidDataException"/> naming
    /// it (ML.NET's own errors on a broken archive included); a <see cref="NotSupportedException"/> means the loaded
    /// ML.NET is outside the supported range.
    /// </summary>
    public static ITransformer LoadChecked(this ModelOperationsCatalog catalog, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ModelArchive.Check(path);
        ComponentSaving.LastLoadError = null;
        try
        {
            return catalog.Load(path, out inputSchema);
        }
        catch (Exception e) when (Unwrap(e) is FormatException or InvalidDataException or InvalidOperationException or ArgumentException or KeyNotFoundException
                                      or EndOfStreamException or IndexOutOfRangeException or OverflowException)
        {
            // A PixelCNN component's own error says what is wrong; ML.NET may have replaced it with its fallback's.
            Exception inner = ComponentSaving.LastLoadError ?? Unwrap(e);
            throw new InvalidDataException(inner.Message.Contains(path, StringComparison.Ordinal) ? inner.Message : $"{path}: {inner.Message}", inner);
        }
        finally
        {
            ComponentSaving.LastLoadError = null;
        }

        // ML.NET builds components by reflection: a loader's own error arrives wrapped.
        static Exception Unwrap(Exception e) =>
            e is System.Reflection.TargetInvocationException { InnerException: { } inner } ? Unwrap(inner) : e;
    }

    /// <summary>
    /// Detection metrics beyond ML.NET's <c>ml.AnomalyDetection.Evaluate</c> (which reports AUC and the detection rate at
    /// a false-positive count): the positive class is "anomaly", a Boolean label true or a numeric label other than 0.
    /// Reports AUROC, AUPR (step-wise average precision), the detection rate at <paramref name="falsePositiveCount"/>
    /// false positives and at <paramref name="falsePositiveRate"/>, the false-positive rate at 95% true-positive rate,
    /// and precision/recall of the predicted label when that column exists. Rows with a NaN score (unreadable images)
    /// are left out and counted in <see cref="DetectionMetrics.SkippedRows"/>.
    /// </summary>
    public static DetectionMetrics EvaluateDetection(this AnomalyDetectionCatalog catalog, IDataView data, string labelColumnName = "Label",
                                                   string scoreColumnName = "Score", string predictedLabelColumnName = "PredictedLabel",
                                                   int falsePositiveCount = 10, double falsePositiveRate = 0.05)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        var labelCol = SchemaErrors.Find(data.Schema, "label", labelColumnName);
        var scoreCol = SchemaErrors.Find(data.Schema, "score", scoreColumnName);
        if (scoreCol.Type != NumberDataViewType.Single && scoreCol.Type != NumberDataViewType.Double)
            throw SchemaErrors.Mismatch("score", scoreColumnName, "Single or Double", scoreCol.Type.ToString());
        var predCol = data.Schema.GetColumnOrNull(predictedLabelColumnName);
        if (predCol is { } pc && pc.Type != BooleanDataViewType.Instance) predCol = null;

        var active = new List<DataViewSchema.Column> { labelCol, scoreCol };
        if (predCol is { } p) active.Add(p);
        var scores = new List<double>();
        var labels = new List<bool>();
        var predicted = predCol is null ? null : new List<bool>();
        using var cursor = data.GetRowCursor(active);
        var getLabel = LabelGetter(cursor, labelCol, labelColumnName);
        var getScore = NumberGetter(cursor, scoreCol);
        var getPred = predCol is { } pcol ? cursor.GetGetter<bool>(pcol) : null;
        bool pv = false;
        int skipped = 0;
        while (cursor.MoveNext())
        {
            bool label = getLabel();
            double score = getScore();
            if (getPred is not null) getPred(ref pv);
            if (double.IsNaN(score))
            {
                skipped++;
                continue;
            }
            labels.Add(label);
            scores.Add(score);
            predicted?.Add(pv);
        }
        return DetectionMetrics.Compute(scores, labels, falsePositiveCount, falsePositiveRate, predicted) with { SkippedRows = skipped };
    }

    private static Func<double> NumberGetter(DataViewRow row, DataViewSchema.Column col)
    {
        if (col.Type == NumberDataViewType.Single) { var g = row.GetGetter<float>(col); float v = 0; return () => { g(ref v); return v; }; }
        var d = row.GetGetter<double>(col);
        double dv = 0;
        return () => { d(ref dv); return dv; };
    }

    private static Func<bool> LabelGetter(DataViewRow row, DataViewSchema.Column col, string name)
    {
        var t = col.Type;
        if (t == BooleanDataViewType.Instance) { var g = row.GetGetter<bool>(col); bool v = false; return () => { g(ref v); return v; }; }
        if (t == NumberDataViewType.Single) { var g = row.GetGetter<float>(col); float v = 0; return () => { g(ref v); return v != 0; }; }
        if (t == NumberDataViewType.Double) { var g = row.GetGetter<double>(col); double v = 0; return () => { g(ref v); return v != 0; }; }
        if (t == NumberDataViewType.Int32) { var g = row.GetGetter<int>(col); int v = 0; return () => { g(ref v); return v != 0; }; }
        if (t == NumberDataViewType.UInt32) { var g = row.GetGetter<uint>(col); uint v = 0; return () => { g(ref v); return v != 0; }; }
        if (t is KeyDataViewType { Count: 2 } && t.RawType == typeof(uint))
        {
            // ML.NET's two-value key convention: key 2 is the positive class (MapValueToKey with keyOrdinality ByValue).
            var g = row.GetGetter<uint>(col);
            uint v = 0;
            return () => { g(ref v); return v == 2; };
        }
        throw SchemaErrors.Mismatch("label", name, "Boolean (true = anomaly) or a number (non-zero = anomaly)", t.ToString());
    }
}

public static class PixelCnnTransformsCatalog
{
    /// <summary>
    /// A conditional PixelCNN sampler: trains on <paramref name="featureColumnName"/> (CHW pixels 0..255) conditioned on
    /// <paramref name="conditionColumnName"/> (a key, a class index or an embedding), then generates an image per input row.
    /// </summary>
    public static PixelCnnConditionalSamplerEstimator PixelCnnConditionalSampler(this TransformsCatalog catalog, string featureColumnName = "Features",
                                                                                 string conditionColumnName = "Label", int epochs = 1, PixelCnnConfig? model = null) =>
        PixelCnnConditionalSampler(catalog, new PixelCnnConditionalSamplerEstimator.Options
        {
            FeatureColumnName = featureColumnName, ConditionColumnName = conditionColumnName, Training = { Epochs = epochs }, Model = model ?? PixelCnnConfig.PresetS,
        });

    /// <summary>A conditional PixelCNN sampler with all options.</summary>
    public static PixelCnnConditionalSamplerEstimator PixelCnnConditionalSampler(this TransformsCatalog catalog, PixelCnnConditionalSamplerEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PixelCnnConditionalSamplerEstimator(MlNetAccess.Environment(catalog), options);
    }

    /// <summary>A PixelCNN autoencoder with a bottleneck of <paramref name="embeddingSize"/> values, trained end to end by likelihood.</summary>
    public static PixelCnnAutoencoderEstimator PixelCnnAutoencoder(this TransformsCatalog catalog, string featureColumnName = "Features", int embeddingSize = 10,
                                                                   int epochs = 1, PixelCnnConfig? model = null) =>
        PixelCnnAutoencoder(catalog, new PixelCnnAutoencoderEstimator.Options
        {
            FeatureColumnName = featureColumnName, EmbeddingSize = embeddingSize, Training = { Epochs = epochs }, Model = model ?? PixelCnnConfig.PresetS,
        });

    /// <summary>A PixelCNN autoencoder with all options.</summary>
    public static PixelCnnAutoencoderEstimator PixelCnnAutoencoder(this TransformsCatalog catalog, PixelCnnAutoencoderEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PixelCnnAutoencoderEstimator(MlNetAccess.Environment(catalog), options);
    }

    /// <summary>
    /// A PixelDefend purifier: trains an unconditional PixelCNN on clean images in <paramref name="inputColumnName"/>
    /// (CHW pixels 0..255) and moves each input's sub-pixels, by at most <paramref name="epsilon"/> levels, to their most
    /// likely values, into <paramref name="outputColumnName"/>: put it in front of a classifier trained on clean images.
    /// </summary>
    public static PixelCnnPurifierEstimator PixelCnnPurify(this TransformsCatalog catalog, string outputColumnName, string? inputColumnName = null,
                                                           int epsilon = 16, int epochs = 1, PixelCnnConfig? model = null) =>
        PixelCnnPurify(catalog, new PixelCnnPurifierEstimator.Options
        {
            FeatureColumnName = inputColumnName ?? outputColumnName, OutputColumnName = outputColumnName, Epsilon = epsilon, Training = { Epochs = epochs },
            Model = model ?? PixelCnnConfig.PresetS,
        });

    /// <summary>A PixelDefend purifier with all options.</summary>
    public static PixelCnnPurifierEstimator PixelCnnPurify(this TransformsCatalog catalog, PixelCnnPurifierEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PixelCnnPurifierEstimator(MlNetAccess.Environment(catalog), options);
    }

    /// <summary>
    /// Loads images from files like ML.NET's <c>LoadImages</c>, hardened for files nobody vetted: each file's size and its
    /// declared PNG/JPEG header are checked against limits before any decoder allocates, truncated or corrupt files are
    /// rejected instead of zero-filled, and <see cref="SafeImageLoadingOptions.OnError"/> says whether a bad file stops
    /// the pipeline with an error naming it or only flags its row (null image, the reason in the error column).
    /// </summary>
    public static SafeImageLoadingEstimator LoadImagesSafely(this TransformsCatalog catalog, string outputColumnName, string? imageFolder,
                                                             string? inputColumnName = null, SafeImageLoadingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new SafeImageLoadingEstimator(outputColumnName, imageFolder, inputColumnName ?? outputColumnName, options ?? new SafeImageLoadingOptions());
    }
}

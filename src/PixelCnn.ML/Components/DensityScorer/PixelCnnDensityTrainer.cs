// The PixelCNN density scorer: ml.AnomalyDetection.Trainers.PixelCnn(...). Fit trains a PixelCNN on
// a pixel column (optionally conditioned); the transformer adds the negative log-likelihood of every
// image as BitsPerDim and Score (higher = more anomalous), a PredictedLabel from a threshold chosen
// at Fit time, and optionally the per-sub-pixel bits map. Scoring runs in batches inside the
// transformer.
//
// Rows whose image could not be read (the hardened loader's error column is not empty) get NaN scores and
// PredictedLabel true, instead of a score of the zero-filled pixels ML.NET's ExtractPixels gives them.
//
// Saved by mlContext.Model.Save under loader signature "PixelCnnDensityScorer" (ComponentSaving), options.json:
//   { "featureColumn", "condition": {name, kind, size} | null, "shape": [C, H, W], "threshold",
//     "thresholdPercentile" | null, "outputBitsMap", "scoreBatchSize", "imageErrorColumn",
//     "outputColumns": {bitsPerDim, score, predictedLabel, bitsMap} }
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Training;

[assembly: LoadableClass(typeof(PixelCnnDensityTransformer), null, typeof(SignatureLoadModel), "PixelCNN density scorer", PixelCnnDensityTransformer.LoaderSignature)]

namespace PixelCnn.ML.Components;

/// <summary>
/// Trains a PixelCNN likelihood model for anomaly, out-of-distribution or adversarial-input detection;
/// create it with <c>ml.AnomalyDetection.Trainers.PixelCnn(...)</c>.
/// </summary>
/// <remarks>
/// | Characteristic | |
/// |---|---|
/// | Needs training | yes |
/// | Input columns | Vector&lt;Single, C, H, W&gt; pixels 0..255 (ExtractPixels); optional condition: embedding vector, key or class index |
/// | Output columns | BitsPerDim (Single), Score (Single, = bits/dim, higher is more anomalous), PredictedLabel (Boolean, true = anomaly), optional BitsMap (Vector&lt;Single, C, H, W&gt;) |
/// | Native dependency | libtorch through TorchSharp (TorchSharp-cpu or TorchSharp-cuda-*) |
/// | Saved with ml.Model.Save | yes (configuration + safetensors weights) |
/// </remarks>
public sealed class PixelCnnDensityTrainer : IEstimator<PixelCnnDensityTransformer>
{
    /// <summary>Options of the PixelCNN density scorer.</summary>
    public sealed class Options : PixelCnnTrainingOptionsBase
    {
        /// <summary>Optional conditioning column: an embedding vector, a key, or an integer class index (one-hot).</summary>
        public string? ConditionColumnName;
        /// <summary>Number of classes of a plain integer condition column (default: largest value in the training data + 1).</summary>
        public int? ClassCount;
        /// <summary>Fixed anomaly threshold on Score (bits/dim); when null it is the <see cref="ThresholdPercentile"/> of held-out (or training) scores.</summary>
        public double? Threshold;
        /// <summary>Percentile (0..100) of the normal data's scores used as threshold: rows scoring above it are flagged.</summary>
        public double ThresholdPercentile = 99.0;
        /// <summary>At most this many training rows are scored to set the threshold when there is no validation split.</summary>
        public int ThresholdSampleRows = 5000;
        /// <summary>Also output the per-sub-pixel bits map column.</summary>
        public bool OutputBitsMap;
        /// <summary>
        /// The text column of the hardened image loader (<c>ml.Transforms.LoadImagesSafely</c>) that holds why a row's image
        /// could not be read; such rows get NaN scores and PredictedLabel true. Ignored when the input has no such column.
        /// </summary>
        public string ImageErrorColumnName = SafeImageLoadingEstimator.DefaultErrorColumnName;
        /// <summary>Output column names.</summary>
        public string BitsPerDimColumnName = "BitsPerDim", ScoreColumnName = "Score", PredictedLabelColumnName = "PredictedLabel", BitsMapColumnName = "BitsMap";
    }

    private readonly IHostEnvironment _env;
    private readonly Options _o;

    internal PixelCnnDensityTrainer(IHostEnvironment env, Options options)
    {
        _env = env;
        _o = options ?? throw new ArgumentNullException(nameof(options));
        _o.Validate();
        if (_o.ThresholdPercentile is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(options), _o.ThresholdPercentile, "ThresholdPercentile must be in [0, 100]");
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        PixelColumns.CheckShape(inputSchema, _o.FeatureColumnName);
        if (_o.ConditionColumnName is not null) PixelColumns.CheckConditionShape(inputSchema, _o.ConditionColumnName);
        var cols = new List<SchemaShape.Column>
        {
            MlNetAccess.Column(_o.BitsPerDimColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single),
            MlNetAccess.Column(_o.ScoreColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single),
            MlNetAccess.Column(_o.PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance),
        };
        if (_o.OutputBitsMap) cols.Add(MlNetAccess.Column(_o.BitsMapColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single));
        return MlNetAccess.With(inputSchema, [.. cols]);
    }

    public PixelCnnDensityTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema));
        using var ch = _env.Start("PixelCnnDensity");
        var data = PixelCnnFitting.Prepare(_env, input, _o, _o.ConditionColumnName, _o.ClassCount, (cfg, cond) => cfg with
        {
            Conditioning = cond is null ? ConditioningKind.None : (cfg.Conditioning == ConditioningKind.None ? ConditioningKind.Global : cfg.Conditioning),
            ConditionSize = cond?.Size ?? 0,
            EmbeddingSize = 0,
        }, ch);
        var model = PixelCnnFitting.Train(data, _o, ch).Model;
        try
        {
            double threshold;
            double? percentile = null;
            if (_o.Threshold is { } fixedThreshold) threshold = fixedThreshold;
            else
            {
                var reference = data.Validation ?? Sample(data.Train, _o.ThresholdSampleRows, data.Seed);
                var scores = model.Score(reference, _o.ScoreBatchSize, cancellationToken: _o.CancellationToken).BitsPerDim;
                threshold = Percentile(scores, _o.ThresholdPercentile);
                percentile = _o.ThresholdPercentile;
                ch.Info(MessageSensitivity.None, $"Threshold {threshold:F4} bits/dim: the {_o.ThresholdPercentile}th percentile of {scores.Length} {(data.Validation is null ? "training" : "held-out")} scores");
            }
            return new PixelCnnDensityTransformer(model, new PixelCnnDensityTransformer.Settings(
                _o.FeatureColumnName, data.Condition, data.Shape, threshold, percentile, _o.OutputBitsMap, _o.ScoreBatchSize, _o.ImageErrorColumnName,
                _o.BitsPerDimColumnName, _o.ScoreColumnName, _o.PredictedLabelColumnName, _o.BitsMapColumnName));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static ImageDataset Sample(ImageDataset data, int max, ulong seed) =>
        data.Count <= max ? data : data.Take(PixelCnnTrainer.Permutation(seed ^ 0x7E57UL, 0, data.Count).AsSpan(0, max));

    /// <summary>Percentile with linear interpolation between order statistics (NumPy's default).</summary>
    internal static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        if (values.Count == 0) throw new ArgumentException("no scores to take a percentile of");
        var v = values.Order().ToArray();
        double pos = percentile / 100.0 * (v.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, v.Length - 1);
        return v[lo] + (pos - lo) * (v[hi] - v[lo]);
    }
}

/// <summary>The fitted PixelCNN density scorer; see <see cref="PixelCnnDensityTrainer"/>. Dispose it to free the model's native memory.</summary>
public sealed class PixelCnnDensityTransformer : PixelCnnTransformerBase
{
    internal const string LoaderSignature = "PixelCnnDensityScorer";
    private static readonly ComponentSaving.Info Saved = new("PXCNNDEN", LoaderSignature);

    internal sealed record Settings(string FeatureColumn, ConditionColumn? Condition, ImageShape Shape, double Threshold, double? ThresholdPercentile,
                                    bool OutputBitsMap, int ScoreBatchSize, string? ImageErrorColumn, string BitsPerDimColumn, string ScoreColumn, string PredictedLabelColumn, string BitsMapColumn);

    private readonly Settings _s;

    internal PixelCnnDensityTransformer(PixelCnnModel model, Settings settings) : base(model) => _s = settings;

    private PixelCnnDensityTransformer(PixelCnnDensityTransformer owner, Settings settings) : base(owner) => _s = settings;

    /// <summary>
    /// A view of this scorer that also outputs the per-sub-pixel bits map column. It shares this transformer's model:
    /// it is valid while this transformer is, and disposing it frees nothing.
    /// </summary>
    public PixelCnnDensityTransformer WithBitsMap(bool outputBitsMap = true) => new(this, _s with { OutputBitsMap = outputBitsMap });

    /// <summary>Rows whose Score (bits/dim) is above this are flagged as anomalies.</summary>
    public double Threshold => _s.Threshold;
    /// <summary>The percentile of normal scores the threshold came from, or null when it was given.</summary>
    public double? ThresholdPercentile => _s.ThresholdPercentile;
    public string FeatureColumnName => _s.FeatureColumn;
    public ConditionColumn? Condition => _s.Condition;
    public ImageShape ImageShape => _s.Shape;
    public bool OutputBitsMap => _s.OutputBitsMap;

    private protected override int BatchSize => _s.ScoreBatchSize;

    private protected override IBatchMapper CreateMapper(DataViewSchema inputSchema)
    {
        var shape = PixelColumns.ResolveShape(inputSchema, _s.FeatureColumn, _s.Shape.Channels, _s.Shape.Height, _s.Shape.Width);
        if (_s.Condition is { } c) PixelColumns.CheckCondition(inputSchema, c);
        string? errorColumn = null;
        if (_s.ImageErrorColumn is { } e && inputSchema.GetColumnOrNull(e) is { } ec)
        {
            if (ec.Type is not TextDataViewType) throw SchemaErrors.Mismatch("image error", e, "String", ec.Type.ToString());
            errorColumn = e;
        }
        return new Mapper(this, shape, errorColumn);
    }

    private protected override ComponentSaving.Info SaveInfo => Saved;

    private protected override JsonObject SaveOptions()
    {
        var o = new JsonObject();
        o["featureColumn"] = _s.FeatureColumn;
        o["condition"] = _s.Condition?.ToJson();
        o["shape"] = new JsonArray(_s.Shape.Channels, _s.Shape.Height, _s.Shape.Width);
        o["threshold"] = _s.Threshold;
        o["thresholdPercentile"] = _s.ThresholdPercentile;
        o["outputBitsMap"] = _s.OutputBitsMap;
        o["scoreBatchSize"] = _s.ScoreBatchSize;
        o["imageErrorColumn"] = _s.ImageErrorColumn;
        o["outputColumns"] = new JsonObject
        {
            ["bitsPerDim"] = _s.BitsPerDimColumn, ["score"] = _s.ScoreColumn, ["predictedLabel"] = _s.PredictedLabelColumn, ["bitsMap"] = _s.BitsMapColumn,
        };
        return o;
    }

    // Called by ML.NET's model loader ([LoadableClass] above).
    private static PixelCnnDensityTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var (o, model) = ComponentSaving.Load(env, ctx, Saved);
        try
        {
            var settings = new Settings(
                o.GetString("featureColumn"), ConditionColumn.FromJson(o.Json["condition"], o), o.GetShape(), o.GetDouble("threshold"),
                o.GetNullableDouble("thresholdPercentile"), o.GetBoolean("outputBitsMap"), o.GetInt32("scoreBatchSize"), o.GetNullableString("imageErrorColumn"),
                o.GetOutputColumn("bitsPerDim"), o.GetOutputColumn("score"), o.GetOutputColumn("predictedLabel"), o.GetOutputColumn("bitsMap"));
            o.CheckModelShape(model, settings.Shape);
            if ((settings.Condition?.Size ?? 0) != (model.Config.Conditioning == ConditioningKind.None ? 0 : model.Config.ConditionSize))
                throw o.Error("the model's condition size does not match the component's condition column");
            return new PixelCnnDensityTransformer(model, settings);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private sealed class Mapper : IBatchMapper
    {
        private readonly PixelCnnDensityTransformer _t;
        private readonly ImageShape _shape;
        private readonly string? _errorColumn;

        public Mapper(PixelCnnDensityTransformer t, ImageShape shape, string? errorColumn)
        {
            (_t, _shape, _errorColumn) = (t, shape, errorColumn);
            var s = t._s;
            var outs = new List<DataViewSchema.DetachedColumn>
            {
                new(s.BitsPerDimColumn, NumberDataViewType.Single),
                new(s.ScoreColumn, NumberDataViewType.Single),
                new(s.PredictedLabelColumn, BooleanDataViewType.Instance),
            };
            if (s.OutputBitsMap) outs.Add(new(s.BitsMapColumn, new VectorDataViewType(NumberDataViewType.Single, shape.Channels, shape.Height, shape.Width)));
            OutputColumns = outs;
            var inputs = new List<string> { s.FeatureColumn };
            if (s.Condition is not null) inputs.Add(s.Condition.Name);
            if (errorColumn is not null) inputs.Add(errorColumn);
            InputColumnNames = inputs;
        }

        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }
        public IReadOnlyList<string> InputColumnNames { get; }

        public void MapBatch(BatchMapperInput input, BatchMapperOutput output)
        {
            var s = _t._s;
            int n = input.Count;
            // Rows whose image could not be read are not scored: their pixels are ML.NET's zero fill, not an image.
            var failed = new bool[n];
            if (_errorColumn is not null)
            {
                var errors = input.GetValues<ReadOnlyMemory<char>>(_errorColumn);
                for (int i = 0; i < n; i++) failed[i] = !errors[i].IsEmpty;
            }
            var batch = PixelColumns.Batch(input, s.FeatureColumn, _shape, s.Condition, failed);
            bool wantMap = s.OutputBitsMap && output.IsActive(s.BitsMapColumn);
            var r = _t.WithModel(m => m.Score(batch, n, wantMap));
            for (int i = 0; i < n; i++)
            {
                if (!failed[i]) continue;
                r.BitsPerDim[i] = double.NaN;
                if (r.BitsMap is { } bm) bm.AsSpan(i * _shape.Size, _shape.Size).Fill(float.NaN);
            }
            if (output.IsActive(s.BitsPerDimColumn))
            {
                var dst = output.GetValues<float>(s.BitsPerDimColumn);
                for (int i = 0; i < n; i++) dst[i] = (float)r.BitsPerDim[i];
            }
            if (output.IsActive(s.ScoreColumn))
            {
                var dst = output.GetValues<float>(s.ScoreColumn);
                for (int i = 0; i < n; i++) dst[i] = (float)r.BitsPerDim[i];
            }
            if (output.IsActive(s.PredictedLabelColumn))
            {
                var dst = output.GetValues<bool>(s.PredictedLabelColumn);
                for (int i = 0; i < n; i++) dst[i] = failed[i] || r.BitsPerDim[i] > s.Threshold;
            }
            if (wantMap) r.BitsMap.AsSpan().CopyTo(output.GetVectorBlock(s.BitsMapColumn));
        }
    }
}

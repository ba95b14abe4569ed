// The PixelCNN density scorer: ml.AnomalyDetection.Trainers.PixelCnn(...). Fit trains a PixelCNN on
// a pixel column (optionally conditioned); the transformer adds the negative log-likelihood of every
// image as BitsPerDim and Score (higher = more anomalous), a PredictedLabel from a threshold chosen
// at Fit time, and optionally the per-sub-pixel bits map. Scoring runs in batches inside the
// transformer.
//
// Saved as type id "PixelCnn.ML.PixelCnnDensity", format version 1:
//   options: { "featureColumn", "condition": {name, kind, size} | null, "shape": [C, H, W],
//              "threshold", "thresholdPercentile" | null, "outputBitsMap", "scoreBatchSize",
//              "outputColumns": {bitsPerDim, score, predictedLabel, bitsMap} }
//   entries: config.json (model configuration), weights.safetensors (the network's state dict)
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using PixelCnn.ML.Runtime;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Training;

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
        /// <summary>Output column names.</summary>
        public string BitsPerDimColumnName = "BitsPerDim", ScoreColumnName = "Score", PredictedLabelColumnName = "PredictedLabel", BitsMapColumnName = "BitsMap";
    }

    private readonly MLContext _ml;
    private readonly Options _o;

    internal PixelCnnDensityTrainer(MLContext ml, Options options)
    {
        _ml = ml;
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
            new(_o.BitsPerDimColumnName, SchemaShape.VectorKind.Scalar, NumberDataViewType.Single, false),
            new(_o.ScoreColumnName, SchemaShape.VectorKind.Scalar, NumberDataViewType.Single, false),
            new(_o.PredictedLabelColumnName, SchemaShape.VectorKind.Scalar, BooleanDataViewType.Instance, false),
        };
        if (_o.OutputBitsMap) cols.Add(new(_o.BitsMapColumnName, SchemaShape.VectorKind.Vector, NumberDataViewType.Single, false));
        return inputSchema.With([.. cols]);
    }

    public PixelCnnDensityTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema));
        using var ch = ((IChannelProvider)_ml).Start("PixelCnnDensity");
        var data = PixelCnnFitting.Prepare(_ml, input, _o, _o.ConditionColumnName, _o.ClassCount, (cfg, cond) => cfg with
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
                ch.Info($"Threshold {threshold:F4} bits/dim: the {_o.ThresholdPercentile}th percentile of {scores.Length} {(data.Validation is null ? "training" : "held-out")} scores");
            }
            return new PixelCnnDensityTransformer(model, new PixelCnnDensityTransformer.Settings(
                _o.FeatureColumnName, data.Condition, data.Shape, threshold, percentile, _o.OutputBitsMap, _o.ScoreBatchSize,
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
    internal const string LoaderTypeId = "PixelCnn.ML.PixelCnnDensity";

    internal sealed record Settings(string FeatureColumn, ConditionColumn? Condition, ImageShape Shape, double Threshold, double? ThresholdPercentile,
                                    bool OutputBitsMap, int ScoreBatchSize, string BitsPerDimColumn, string ScoreColumn, string PredictedLabelColumn, string BitsMapColumn);

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

    protected override int BatchSize => _s.ScoreBatchSize;

    protected override IBatchMapper CreateMapper(DataViewSchema inputSchema)
    {
        var shape = PixelColumns.ResolveShape(inputSchema, _s.FeatureColumn, _s.Shape.Channels, _s.Shape.Height, _s.Shape.Width);
        if (_s.Condition is { } c) PixelColumns.CheckCondition(inputSchema, c);
        return new Mapper(this, shape);
    }

    public override string TypeId => LoaderTypeId;

    protected override void SaveOptions(JsonObject o)
    {
        o["featureColumn"] = _s.FeatureColumn;
        o["condition"] = _s.Condition?.ToJson();
        o["shape"] = new JsonArray(_s.Shape.Channels, _s.Shape.Height, _s.Shape.Width);
        o["threshold"] = _s.Threshold;
        o["thresholdPercentile"] = _s.ThresholdPercentile;
        o["outputBitsMap"] = _s.OutputBitsMap;
        o["scoreBatchSize"] = _s.ScoreBatchSize;
        o["outputColumns"] = new JsonObject
        {
            ["bitsPerDim"] = _s.BitsPerDimColumn, ["score"] = _s.ScoreColumn, ["predictedLabel"] = _s.PredictedLabelColumn, ["bitsMap"] = _s.BitsMapColumn,
        };
    }

    private static PixelCnnDensityTransformer Load(ModelLoadContext ctx)
    {
        ctx.CheckFormatVersion(1);
        var cols = ctx.Options["outputColumns"] as JsonObject ?? throw ctx.Error("option 'outputColumns' is missing");
        string Col(string key) => cols[key]?.GetValue<string>() is { Length: > 0 } v ? v : throw ctx.Error($"outputColumns.{key} is missing");
        var settings = new Settings(
            ctx.GetString("featureColumn"), ConditionColumn.FromJson(ctx.Options["condition"], ctx), LoadShape(ctx), ctx.GetDouble("threshold"),
            ctx.Options["thresholdPercentile"] is null ? null : ctx.GetDouble("thresholdPercentile"),
            ctx.GetBoolean("outputBitsMap"), ctx.GetInt32("scoreBatchSize"), Col("bitsPerDim"), Col("score"), Col("predictedLabel"), Col("bitsMap"));
        var model = LoadModel(ctx);
        CheckModelShape(ctx, model, settings.Shape);
        if ((settings.Condition?.Size ?? 0) != (model.Config.Conditioning == ConditioningKind.None ? 0 : model.Config.ConditionSize))
        {
            model.Dispose();
            throw ctx.Error("the model's condition size does not match the component's condition column");
        }
        return new PixelCnnDensityTransformer(model, settings);
    }

#pragma warning disable CA2255 // registering the loader when the assembly loads is the point (see ModelLoaderRegistry)
    [ModuleInitializer]
    internal static void RegisterLoader() => ModelLoaderRegistry.Register(LoaderTypeId, Load);
#pragma warning restore CA2255

    private sealed class Mapper : IBatchMapper
    {
        private readonly PixelCnnDensityTransformer _t;
        private readonly ImageShape _shape;

        public Mapper(PixelCnnDensityTransformer t, ImageShape shape)
        {
            (_t, _shape) = (t, shape);
            var s = t._s;
            var outs = new List<DataViewSchema.DetachedColumn>
            {
                new(s.BitsPerDimColumn, NumberDataViewType.Single),
                new(s.ScoreColumn, NumberDataViewType.Single),
                new(s.PredictedLabelColumn, BooleanDataViewType.Instance),
            };
            if (s.OutputBitsMap) outs.Add(new(s.BitsMapColumn, new VectorDataViewType(NumberDataViewType.Single, shape.Channels, shape.Height, shape.Width)));
            OutputColumns = outs;
            InputColumnNames = s.Condition is null ? [s.FeatureColumn] : [s.FeatureColumn, s.Condition.Name];
        }

        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }
        public IReadOnlyList<string> InputColumnNames { get; }

        public void MapBatch(BatchMapperInput input, BatchMapperOutput output)
        {
            var s = _t._s;
            int n = input.Count;
            var batch = PixelColumns.Batch(input, s.FeatureColumn, _shape, s.Condition);
            bool wantMap = s.OutputBitsMap && output.IsActive(s.BitsMapColumn);
            var r = _t.WithModel(m => m.Score(batch, n, wantMap));
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
                for (int i = 0; i < n; i++) dst[i] = r.BitsPerDim[i] > s.Threshold;
            }
            if (wantMap) r.BitsMap.AsSpan().CopyTo(output.GetVectorBlock<float>(s.BitsMapColumn));
        }
    }
}

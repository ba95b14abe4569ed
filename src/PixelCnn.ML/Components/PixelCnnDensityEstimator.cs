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
using PixelCnn.ML.Models;
using PixelCnn.ML.Runtime;
using PixelCnn.ML.Torch;
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
/// | Native dependency | libtorch (through the PixelCnn.ML native shim) |
/// | Saved with ml.Model.Save | yes (configuration + safetensors weights) |
/// </remarks>
public sealed class PixelCnnDensityTrainer : IEstimator<PixelCnnDensityTransformer>
{
    /// <summary>Options of the PixelCNN density scorer.</summary>
    public sealed class Options
    {
        /// <summary>The pixel column: Vector&lt;Single&gt; of CHW values 0..255, ideally with dimensions [C, H, W].</summary>
        public string FeatureColumnName = "Features";
        /// <summary>Optional conditioning column: an embedding vector, a key, or an integer class index (one-hot).</summary>
        public string? ConditionColumnName;
        /// <summary>Number of classes of a plain integer condition column (default: largest value in the training data + 1).</summary>
        public int? ClassCount;
        /// <summary>Architecture and training hyper-parameters; channels and size are taken from the data. Default: preset S.</summary>
        public PixelCnnConfig Model = PixelCnnConfig.PresetS;
        /// <summary>Image geometry when the pixel column has no [C, H, W] dimensions.</summary>
        public int? Channels, Height, Width;
        public int Epochs = 1;
        /// <summary>Stop after this many optimizer steps (null: run all epochs).</summary>
        public long? MaxSteps;
        /// <summary>Seed of initialisation and shuffling (default: the MLContext's seed, else 1).</summary>
        public ulong? Seed;
        /// <summary>Fraction of the training rows held out for validation bits/dim, early stopping and the threshold (0 = none).</summary>
        public double ValidationFraction;
        public int EarlyStoppingPatience;
        /// <summary>Fixed anomaly threshold on Score (bits/dim); when null it is the <see cref="ThresholdPercentile"/> of held-out (or training) scores.</summary>
        public double? Threshold;
        /// <summary>Percentile (0..100) of the normal data's scores used as threshold: rows scoring above it are flagged.</summary>
        public double ThresholdPercentile = 99.0;
        /// <summary>At most this many training rows are scored to set the threshold when there is no validation split.</summary>
        public int ThresholdSampleRows = 5000;
        /// <summary>Also output the per-sub-pixel bits map column.</summary>
        public bool OutputBitsMap;
        public int ScoreBatchSize = 256;
        public string? CheckpointPath;
        public int CheckpointEverySteps;
        /// <summary>Continue the training run saved in this checkpoint (same data and options), exactly where it stopped.</summary>
        public string? ResumeFrom;
        public IProgress<TrainingProgress>? Progress;
        public CancellationToken CancellationToken;
        /// <summary>Output column names.</summary>
        public string BitsPerDimColumnName = "BitsPerDim", ScoreColumnName = "Score", PredictedLabelColumnName = "PredictedLabel", BitsMapColumnName = "BitsMap";
    }

    private readonly MLContext _ml;
    private readonly Options _o;

    internal PixelCnnDensityTrainer(MLContext ml, Options options)
    {
        _ml = ml;
        _o = options ?? throw new ArgumentNullException(nameof(options));
        if (string.IsNullOrEmpty(_o.FeatureColumnName)) throw new ArgumentException("FeatureColumnName must be set", nameof(options));
        if (_o.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(options), _o.Epochs, "Epochs must be >= 1");
        if (_o.ValidationFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), _o.ValidationFraction, "ValidationFraction must be in [0, 1)");
        if (_o.ThresholdPercentile is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(options), _o.ThresholdPercentile, "ThresholdPercentile must be in [0, 100]");
        if (_o.ScoreBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), _o.ScoreBatchSize, "ScoreBatchSize must be >= 1");
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
        var shape = PixelColumns.ResolveShape(input.Schema, _o.FeatureColumnName, _o.Channels, _o.Height, _o.Width);
        var condition = _o.ConditionColumnName is null ? null : PixelColumns.ResolveCondition(input, _o.ConditionColumnName, _o.ClassCount);
        var config = _o.Model with
        {
            Channels = shape.Channels, Height = shape.Height, Width = shape.Width,
            Conditioning = condition is null ? ConditioningKind.None : (_o.Model.Conditioning == ConditioningKind.None ? ConditioningKind.Global : _o.Model.Conditioning),
            ConditionSize = condition?.Size ?? 0,
            EmbeddingSize = 0,
        };
        config.Validate();
        var device = DeviceSelector.Resolve(_ml.GpuDeviceId, _ml.FallbackToCpu, ch.Warning);
        ulong seed = _o.Seed ?? (ulong)(_ml.Seed ?? 1);

        var all = PixelColumns.Materialize(input, _o.FeatureColumnName, shape, condition, _o.CancellationToken);
        if (all.Count == 0) throw new ArgumentException($"the training data has no rows (column '{_o.FeatureColumnName}')");
        var (train, validation) = Split(all, _o.ValidationFraction, seed);
        ch.Info($"Training a {config.Architecture} on {train.Count} images of {shape}" +
                (validation is null ? "" : $", validating on {validation.Count}") + $" ({device}, seed {seed})");
        var trainer = new PixelCnnTrainer(config, new TrainingOptions
        {
            Epochs = _o.Epochs, MaxSteps = _o.MaxSteps, Seed = seed, Device = device, CheckpointPath = _o.CheckpointPath,
            CheckpointEverySteps = _o.CheckpointEverySteps, ResumeFrom = _o.ResumeFrom, EarlyStoppingPatience = validation is null ? 0 : _o.EarlyStoppingPatience,
            EvaluationBatchSize = _o.ScoreBatchSize,
        }, new ChannelLogger(ch));
        var result = trainer.Fit(train, validation, _o.Progress, _o.CancellationToken);
        var model = result.Model;
        try
        {
            double threshold;
            double? percentile = null;
            if (_o.Threshold is { } fixedThreshold) threshold = fixedThreshold;
            else
            {
                var reference = validation ?? Sample(train, _o.ThresholdSampleRows, seed);
                var scores = model.Score(reference, _o.ScoreBatchSize, cancellationToken: _o.CancellationToken).BitsPerDim;
                threshold = Percentile(scores, _o.ThresholdPercentile);
                percentile = _o.ThresholdPercentile;
                ch.Info($"Threshold {threshold:F4} bits/dim: the {_o.ThresholdPercentile}th percentile of {scores.Length} {(validation is null ? "training" : "held-out")} scores");
            }
            return new PixelCnnDensityTransformer(model, new PixelCnnDensityTransformer.Settings(
                _o.FeatureColumnName, condition, shape, threshold, percentile, _o.OutputBitsMap, _o.ScoreBatchSize,
                _o.BitsPerDimColumnName, _o.ScoreColumnName, _o.PredictedLabelColumnName, _o.BitsMapColumnName));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static (ImageDataset train, ImageDataset? validation) Split(ImageDataset all, double fraction, ulong seed)
    {
        int nVal = (int)Math.Round(all.Count * fraction);
        if (nVal == 0) return (all, null);
        if (nVal >= all.Count) throw new ArgumentException($"ValidationFraction {fraction} leaves no training rows of {all.Count}");
        var order = PixelCnnTrainer.Permutation(seed ^ 0x5EEDUL, 0, all.Count);
        return (Take(all, order.AsSpan(nVal)), Take(all, order.AsSpan(0, nVal)));
    }

    private static ImageDataset Sample(ImageDataset data, int max, ulong seed) =>
        data.Count <= max ? data : Take(data, PixelCnnTrainer.Permutation(seed ^ 0x7E57UL, 0, data.Count).AsSpan(0, max));

    private static ImageDataset Take(ImageDataset d, ReadOnlySpan<int> rows)
    {
        var px = new byte[rows.Length * d.ImageSize];
        float[]? cond = d.Conditions is null ? null : new float[rows.Length * d.ConditionSize];
        for (int i = 0; i < rows.Length; i++)
        {
            d.Pixels.AsSpan(rows[i] * d.ImageSize, d.ImageSize).CopyTo(px.AsSpan(i * d.ImageSize));
            d.Conditions?.AsSpan(rows[i] * d.ConditionSize, d.ConditionSize).CopyTo(cond.AsSpan(i * d.ConditionSize));
        }
        return new ImageDataset(d.Channels, d.Height, d.Width, px, cond, d.ConditionSize);
    }

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
public sealed class PixelCnnDensityTransformer : ISavableTransformer, IDisposable
{
    internal const string LoaderTypeId = "PixelCnn.ML.PixelCnnDensity";

    internal sealed record Settings(string FeatureColumn, ConditionColumn? Condition, ImageShape Shape, double Threshold, double? ThresholdPercentile,
                                    bool OutputBitsMap, int ScoreBatchSize, string BitsPerDimColumn, string ScoreColumn, string PredictedLabelColumn, string BitsMapColumn);

    private readonly Settings _s;
    private readonly object _gate;
    private readonly PixelCnnDensityTransformer? _owner;
    private bool _disposed;

    internal PixelCnnDensityTransformer(PixelCnnModel model, Settings settings)
    {
        Model = model;
        _s = settings;
        _gate = new object();
    }

    private PixelCnnDensityTransformer(PixelCnnDensityTransformer owner, Settings settings)
    {
        Model = owner.Model;
        _s = settings;
        _gate = owner._gate;
        _owner = owner;
    }

    /// <summary>
    /// A view of this scorer that also outputs the per-sub-pixel bits map column. It shares this transformer's model:
    /// it is valid while this transformer is, and disposing it frees nothing.
    /// </summary>
    public PixelCnnDensityTransformer WithBitsMap(bool outputBitsMap = true) => new(_owner ?? this, _s with { OutputBitsMap = outputBitsMap });

    private bool Disposed => _disposed || (_owner?._disposed ?? false);

    /// <summary>The trained PixelCNN (owned by this transformer).</summary>
    public PixelCnnModel Model { get; }
    /// <summary>Rows whose Score (bits/dim) is above this are flagged as anomalies.</summary>
    public double Threshold => _s.Threshold;
    /// <summary>The percentile of normal scores the threshold came from, or null when it was given.</summary>
    public double? ThresholdPercentile => _s.ThresholdPercentile;
    public string FeatureColumnName => _s.FeatureColumn;
    public ConditionColumn? Condition => _s.Condition;
    public ImageShape ImageShape => _s.Shape;
    public bool OutputBitsMap => _s.OutputBitsMap;

    public bool IsRowToRowMapper => false;

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException("the PixelCNN scorer works on batches of rows; use Transform (or a PredictionEngine)");

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Transform(new EmptyDataView(inputSchema)).Schema;

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(Disposed, this);
        var shape = PixelColumns.ResolveShape(input.Schema, _s.FeatureColumn, _s.Shape.Channels, _s.Shape.Height, _s.Shape.Width);
        if (_s.Condition is { } c)
        {
            var col = SchemaErrors.Find(input.Schema, "condition", c.Name);
            var expected = c.Kind switch
            {
                ConditionKind.Vector => col.Type is VectorDataViewType { ItemType: var it, Size: var sz } && it == NumberDataViewType.Single && sz == c.Size,
                ConditionKind.Key => col.Type is KeyDataViewType k && (long)k.Count == c.Size,
                _ => col.Type is NumberDataViewType,
            };
            if (!expected)
                throw SchemaErrors.Mismatch("condition", c.Name, c.Kind switch
                {
                    ConditionKind.Vector => $"Vector<Single, {c.Size}>",
                    ConditionKind.Key => $"Key<UInt32, 0-{c.Size - 1}>",
                    _ => "an integer class index",
                }, col.Type.ToString());
        }
        return new BatchMappedDataView(input, new Mapper(this, shape), _s.ScoreBatchSize);
    }

    public string TypeId => LoaderTypeId;
    public int FormatVersion => 1;

    public void Save(ModelSaveContext ctx)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        var o = ctx.Options;
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
        lock (_gate) Model.WriteEntries(name => ctx.CreateEntry(name));
    }

    private static PixelCnnDensityTransformer Load(ModelLoadContext ctx)
    {
        ctx.CheckFormatVersion(1);
        var shapeArr = ctx.GetInt32Array("shape");
        if (shapeArr.Length != 3) throw ctx.Error("option 'shape' must be [C, H, W]");
        var cols = ctx.Options["outputColumns"] as JsonObject ?? throw ctx.Error("option 'outputColumns' is missing");
        string Col(string key) => cols[key]?.GetValue<string>() is { Length: > 0 } v ? v : throw ctx.Error($"outputColumns.{key} is missing");
        var settings = new Settings(
            ctx.GetString("featureColumn"), ConditionColumn.FromJson(ctx.Options["condition"], ctx),
            new ImageShape(shapeArr[0], shapeArr[1], shapeArr[2]), ctx.GetDouble("threshold"),
            ctx.Options["thresholdPercentile"] is null ? null : ctx.GetDouble("thresholdPercentile"),
            ctx.GetBoolean("outputBitsMap"), ctx.GetInt32("scoreBatchSize"), Col("bitsPerDim"), Col("score"), Col("predictedLabel"), Col("bitsMap"));
        var device = DeviceSelector.Resolve(ctx.MLContext.GpuDeviceId, ctx.MLContext.FallbackToCpu);
        PixelCnnModel model;
        try
        {
            model = PixelCnnModel.ReadEntries(name => ctx.HasEntry(name) ? ctx.OpenEntry(name) : null, device);
        }
        catch (InvalidDataException e)
        {
            throw ctx.Error(e.Message, e);
        }
        var cfg = model.Config;
        if (cfg.Channels != settings.Shape.Channels || cfg.Height != settings.Shape.Height || cfg.Width != settings.Shape.Width
            || (settings.Condition?.Size ?? 0) != (cfg.Conditioning == ConditioningKind.None ? 0 : cfg.ConditionSize))
        {
            model.Dispose();
            throw ctx.Error("the model configuration does not match the component's image shape or condition size");
        }
        return new PixelCnnDensityTransformer(model, settings);
    }

#pragma warning disable CA2255 // registering the loader when the assembly loads is the point (see ModelLoaderRegistry)
    [ModuleInitializer]
    internal static void RegisterLoader() => ModelLoaderRegistry.Register(LoaderTypeId, Load);
#pragma warning restore CA2255

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_owner is null) Model.Dispose();
        }
    }

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
            var bytes = new byte[n * _shape.Size];
            PixelColumns.ToBytes(input.GetVectorBlock<float>(s.FeatureColumn), bytes, s.FeatureColumn, input.FirstPosition, _shape.Size);
            float[]? h = null;
            if (s.Condition is { } c)
            {
                h = new float[n * c.Size];
                PixelColumns.ConditionBatch(input, c, h, input.FirstPosition);
            }
            var batch = new ImageDataset(_shape.Channels, _shape.Height, _shape.Width, bytes, h, s.Condition?.Size ?? 0);
            bool wantMap = s.OutputBitsMap && output.IsActive(s.BitsMapColumn);
            ScoreResult r;
            lock (_t._gate)
            {
                ObjectDisposedException.ThrowIf(_t.Disposed, _t);
                r = _t.Model.Score(batch, n, wantMap);
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
                for (int i = 0; i < n; i++) dst[i] = r.BitsPerDim[i] > s.Threshold;
            }
            if (wantMap) r.BitsMap.AsSpan().CopyTo(output.GetVectorBlock<float>(s.BitsMapColumn));
        }
    }
}

// The PixelCNN density scorer: ml.AnomalyDetection.Trainers.PixelCnn(...). Fit trains a PixelCNN on
// a pixel column (optionally conditioned), and for the likelihood-ratio score a background model on
// perturbed images; the transformer adds the negative log-likelihood of every image as BitsPerDim,
// the chosen score (DensityScores: raw bits/dim, likelihood ratio or input complexity; higher = more
// anomalous) as Score, PixelDefend's p-value of that score against held-out scores as PValue, a
// PredictedLabel from a threshold chosen at Fit time, and optionally the per-sub-pixel map. Scoring
// runs in batches inside the transformer.
//
// Rows whose image could not be read (the hardened loader's error column is not empty) get NaN scores and
// PredictedLabel true, instead of a score of the zero-filled pixels ML.NET's ExtractPixels gives them.
//
// Saved by mlContext.Model.Save under loader signature "PixelCnnDensityScorer" (ComponentSaving), options.json:
//   { "featureColumn", "condition": {name, kind, size} | null, "shape": [C, H, W], "threshold",
//     "thresholdPercentile" | null, "outputBitsMap", "scoreBatchSize", "imageErrorColumn", "scoreKind",
//     "compressor", "referenceScores": [sorted], "referenceBitsPerDim": [...],
//     "outputColumns": {bitsPerDim, score, predictedLabel, bitsMap, pValue} }
// plus config.json + weights.safetensors of the model and, for the likelihood ratio, background.config.json +
// background.weights.safetensors of the background model.
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Evaluation;
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
/// | Output columns | BitsPerDim (Single), Score (Single, the chosen score, higher is more anomalous), PValue (Single), PredictedLabel (Boolean, true = anomaly), optional BitsMap (Vector&lt;Single, C, H, W&gt;) |
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
        /// <summary>What the Score column holds: raw bits/dim (default), the likelihood ratio, the input-complexity corrected score or the density of states (best with a Pyramid model).</summary>
        public DensityScoreKind ScoreKind = DensityScoreKind.BitsPerDim;
        /// <summary>Likelihood ratio: which background model the model's likelihood is compared with.</summary>
        public LikelihoodRatioBackground Background = LikelihoodRatioBackground.Perturbed;
        /// <summary>Likelihood ratio, perturbed background: the probability μ with which each sub-pixel of the background model's training images is replaced by uniform noise.</summary>
        public double BackgroundPerturbation = 0.2;
        /// <summary>Likelihood ratio, perturbed background: the background model's L2 weight decay.</summary>
        public double BackgroundWeightDecay = 1e-4;
        /// <summary>Likelihood ratio, local background: the gated blocks (kernel 3) of the small-receptive-field background model.</summary>
        public int LocalBackgroundLayers = 2;
        /// <summary>Input complexity: the lossless compressor that measures L(x).</summary>
        public ComplexityCompressor Compressor = ComplexityCompressor.Png;
        /// <summary>Fixed anomaly threshold on Score; when null it is the <see cref="ThresholdPercentile"/> of held-out (or training) scores.</summary>
        public double? Threshold;
        /// <summary>Percentile (0..100) of the normal data's scores used as threshold: rows scoring above it are flagged.</summary>
        public double ThresholdPercentile = 99.0;
        /// <summary>At most this many training rows are scored for the threshold and the p-values when there is no validation split.</summary>
        public int ThresholdSampleRows = 5000;
        /// <summary>Also output the per-sub-pixel bits map column.</summary>
        public bool OutputBitsMap;
        /// <summary>
        /// The text column of the hardened image loader (<c>ml.Transforms.LoadImagesSafely</c>) that holds why a row's image
        /// could not be read; such rows get NaN scores and PredictedLabel true. Ignored when the input has no such column.
        /// </summary>
        public string ImageErrorColumnName = SafeImageLoadingEstimator.DefaultErrorColumnName;
        /// <summary>Output column names.</summary>
        public string BitsPerDimColumnName = "BitsPerDim", ScoreColumnName = "Score", PredictedLabelColumnName = "PredictedLabel", BitsMapColumnName = "BitsMap",
                      PValueColumnName = "PValue";
    }

    private readonly IHostEnvironment _env;
    private readonly Options _o;

    internal PixelCnnDensityTrainer(IHostEnvironment env, Options options)
    {
        _env = env;
        _o = options ?? throw new ArgumentNullException(nameof(options));
        _o.Validate();
        if (_o.ThresholdPercentile is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(options), _o.ThresholdPercentile, "ThresholdPercentile must be in [0, 100]");
        if (!Enum.IsDefined(_o.ScoreKind)) throw new ArgumentOutOfRangeException(nameof(options), _o.ScoreKind, "unknown ScoreKind");
        if (!Enum.IsDefined(_o.Compressor)) throw new ArgumentOutOfRangeException(nameof(options), _o.Compressor, "unknown Compressor");
        if (_o.BackgroundPerturbation is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), _o.BackgroundPerturbation, "BackgroundPerturbation must be in [0, 1]");
        if (!Enum.IsDefined(_o.Background)) throw new ArgumentOutOfRangeException(nameof(options), _o.Background, "unknown Background");
        if (_o.LocalBackgroundLayers is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(options), _o.LocalBackgroundLayers, "LocalBackgroundLayers must be 1..8");
        if (!(_o.BackgroundWeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(options), _o.BackgroundWeightDecay, "BackgroundWeightDecay must be >= 0");
        if (_o.ThresholdSampleRows < 1) throw new ArgumentOutOfRangeException(nameof(options), _o.ThresholdSampleRows, "ThresholdSampleRows must be >= 1");
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
            MlNetAccess.Column(_o.PValueColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single),
            MlNetAccess.Column(_o.PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance),
        };
        if (_o.OutputBitsMap) cols.Add(MlNetAccess.Column(_o.BitsMapColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single));
        return MlNetAccess.With(inputSchema, [.. cols]);
    }

    public PixelCnnDensityTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(MlNetAccess.ShapeOf(input.Schema));
        using var ch = _env.Start("PixelCnnDensity");
        var data = PixelCnnFitting.Prepare(_env, input, _o, _o.ConditionColumnName, _o.ClassCount, (cfg, cond) => cfg with
        {
            Conditioning = cond is null ? ConditioningKind.None : (cfg.Conditioning == ConditioningKind.None ? ConditioningKind.Global : cfg.Conditioning),
            ConditionSize = cond?.Size ?? 0,
            EmbeddingSize = 0,
        }, ch);
        var model = PixelCnnFitting.Train(data, _o, ch).Model;
        PixelCnnModel? background = null;
        try
        {
            if (_o.ScoreKind == DensityScoreKind.LikelihoodRatio && _o.Background == LikelihoodRatioBackground.Local)
            {
                var local = LocalBackground(data.Config, _o.LocalBackgroundLayers);
                ch.Info(MessageSensitivity.None, $"Training the local background model ({_o.LocalBackgroundLayers} gated block(s), kernel 3) on the same images");
                background = PixelCnnFitting.Train(data with { Config = local, Seed = data.Seed + 1 }, _o, ch, BackgroundCheckpoint).Model;
            }
            else if (_o.ScoreKind == DensityScoreKind.LikelihoodRatio)
            {
                ch.Info(MessageSensitivity.None, $"Training the background model on images perturbed at rate {_o.BackgroundPerturbation} " +
                                                 $"(weight decay {_o.BackgroundWeightDecay})");
                background = PixelCnnFitting.Train(data with { Seed = data.Seed + 1 }, _o, ch, t =>
                {
                    t.InputPerturbation = _o.BackgroundPerturbation;
                    t.WeightDecay = _o.BackgroundWeightDecay;
                    BackgroundCheckpoint(t);
                }).Model;
            }
            // Held-out (or sampled training) scores: the threshold, the p-values, the typicality test's entropy.
            var reference = data.Validation ?? Sample(data.Train, _o.ThresholdSampleRows, data.Seed);
            DensityOfStates? states = null;
            DensityScoreResult scored;
            if (_o.ScoreKind == DensityScoreKind.DensityOfStates)
            {
                // The estimate is fitted on the reference images' statistics; their own scores leave their own kernel out.
                var (statistics, bits) = DensityOfStates.Statistics(model, reference, _o.Compressor, _o.ScoreBatchSize, _o.CancellationToken);
                states = DensityOfStates.Fit(statistics);
                ch.Info(MessageSensitivity.None, $"Density of states: {states.Dimensions} statistics of {states.Reference.Count} " +
                                                 $"{(data.Validation is null ? "training" : "held-out")} images, bandwidth {states.Bandwidth:F3}");
                scored = new(bits, states.LeaveOneOutScores(), null);
            }
            else
                scored = DensityScores.Compute(model, background, _o.ScoreKind, _o.Compressor, reference, _o.ScoreBatchSize,
                                               cancellationToken: _o.CancellationToken);
            double threshold;
            double? percentile = null;
            if (_o.Threshold is { } fixedThreshold) threshold = fixedThreshold;
            else
            {
                threshold = Percentile(scored.Score, _o.ThresholdPercentile);
                percentile = _o.ThresholdPercentile;
                ch.Info(MessageSensitivity.None, $"Threshold {threshold:F4} ({_o.ScoreKind}): the {_o.ThresholdPercentile}th percentile of " +
                                                 $"{scored.Score.Length} {(data.Validation is null ? "training" : "held-out")} scores");
            }
            return new PixelCnnDensityTransformer(model, background, new PixelCnnDensityTransformer.Settings(
                _o.FeatureColumnName, data.Condition, data.Shape, threshold, percentile, _o.OutputBitsMap, _o.ScoreBatchSize, _o.ImageErrorColumnName,
                _o.ScoreKind, _o.Compressor, scored.Score.Where(v => !double.IsNaN(v)).Order().ToArray(), scored.BitsPerDim, states,
                _o.BitsPerDimColumnName, _o.ScoreColumnName, _o.PredictedLabelColumnName, _o.BitsMapColumnName, _o.PValueColumnName));
        }
        catch
        {
            model.Dispose();
            background?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The configuration of the local background model for <paramref name="model"/>: a Gated PixelCNN of
    /// <paramref name="layers"/> blocks with kernel 3 (it sees <paramref name="layers"/> + 1 rows above, <paramref name="layers"/>
    /// columns to either side in them, and <paramref name="layers"/> to the left on its own row),
    /// with the model's image shape, levels, output distribution and conditioning.
    /// </summary>
    public static PixelCnnConfig LocalBackground(PixelCnnConfig model, int layers)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model with
        {
            Architecture = PixelCnnArchitecture.GatedPixelCnn, Layers = layers, KernelSize = 3,
            HiddenChannels = Math.Min(model.HiddenChannels, 32), OutputHiddenChannels = Math.Min(model.OutputHiddenChannels, 128),
        };
    }

    // The background model's own checkpoint file beside the model's, resumed when one was written.
    private static void BackgroundCheckpoint(TrainingOptions t)
    {
        t.CheckpointPath = t.CheckpointPath is null ? null : t.CheckpointPath + ".background";
        t.ResumeFrom = t.ResumeFrom is null || t.CheckpointPath is null || !File.Exists(t.CheckpointPath) ? null : t.CheckpointPath;
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

/// <summary>The fitted PixelCNN density scorer; see <see cref="PixelCnnDensityTrainer"/>. Dispose it to free the models' native memory.</summary>
public sealed class PixelCnnDensityTransformer : PixelCnnTransformerBase
{
    internal const string LoaderSignature = "PixelCnnDensityScorer";
    private static readonly ComponentSaving.Info Saved = new("PXCNNDEN", LoaderSignature);
    private const string BackgroundPrefix = "background.";

    internal sealed record Settings(string FeatureColumn, ConditionColumn? Condition, ImageShape Shape, double Threshold, double? ThresholdPercentile,
                                    bool OutputBitsMap, int ScoreBatchSize, string? ImageErrorColumn, DensityScoreKind ScoreKind, ComplexityCompressor Compressor,
                                    double[] ReferenceScores, double[] ReferenceBitsPerDim, DensityOfStates? States,
                                    string BitsPerDimColumn, string ScoreColumn, string PredictedLabelColumn, string BitsMapColumn, string PValueColumn);

    private readonly Settings _s;

    internal PixelCnnDensityTransformer(PixelCnnModel model, PixelCnnModel? background, Settings settings) : base(model)
    {
        _s = settings;
        Background = background;
    }

    private PixelCnnDensityTransformer(PixelCnnDensityTransformer owner, Settings settings) : base(owner)
    {
        _s = settings;
        Background = owner.Background;
    }

    /// <summary>The background model of the likelihood-ratio score (owned with <see cref="PixelCnnTransformerBase.Model"/>), else null.</summary>
    public PixelCnnModel? Background { get; }

    /// <summary>
    /// A view of this scorer that also outputs the per-sub-pixel map column. It shares this transformer's models:
    /// it is valid while this transformer is, and disposing it frees nothing.
    /// </summary>
    public PixelCnnDensityTransformer WithBitsMap(bool outputBitsMap = true) => new(this, _s with { OutputBitsMap = outputBitsMap });

    /// <summary>
    /// A PixelDefend purifier on this scorer's model (a view sharing it: valid while this scorer is): each image's
    /// sub-pixels are moved, by at most <paramref name="epsilon"/>, to their most likely values.
    /// </summary>
    public PixelCnnPurifierTransformer AsPurifier(int epsilon, string? outputColumnName = null, int batchSize = 64)
    {
        if (_s.Condition is not null) throw new InvalidOperationException("purification needs an unconditional model (this scorer is conditioned)");
        return new PixelCnnPurifierTransformer(this, new PixelCnnPurifierTransformer.Settings(
            _s.FeatureColumn, outputColumnName ?? _s.FeatureColumn, _s.Shape, epsilon, batchSize));
    }

    /// <summary>Rows whose Score is above this are flagged as anomalies.</summary>
    public double Threshold => _s.Threshold;
    /// <summary>The percentile of normal scores the threshold came from, or null when it was given.</summary>
    public double? ThresholdPercentile => _s.ThresholdPercentile;
    public DensityScoreKind ScoreKind => _s.ScoreKind;
    public string FeatureColumnName => _s.FeatureColumn;
    public ConditionColumn? Condition => _s.Condition;
    public ImageShape ImageShape => _s.Shape;
    public bool OutputBitsMap => _s.OutputBitsMap;
    /// <summary>The fitted estimate of the <see cref="DensityScoreKind.DensityOfStates"/> score, else null.</summary>
    public DensityOfStates? States => _s.States;
    /// <summary>The held-out (or sampled training) scores the threshold and the p-values come from, sorted.</summary>
    public IReadOnlyList<double> ReferenceScores => _s.ReferenceScores;

    /// <summary>
    /// The typicality test of Nalisnick et al. for batches of <paramref name="batchSize"/> images, fitted on the
    /// reference rows' raw bits/dim (held-out rows when the scorer was trained with a validation split).
    /// </summary>
    public TypicalityTest TypicalityTest(int batchSize, double alpha = 0.01) =>
        PixelCnn.ML.Evaluation.TypicalityTest.Fit(_s.ReferenceBitsPerDim, batchSize, alpha);

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

    private protected override void DisposeOwned() => Background?.Dispose();

    private protected override ComponentSaving.Info SaveInfo => Saved;

    private protected override IEnumerable<(string Prefix, PixelCnnModel Model)> ExtraModels =>
        Background is null ? [] : [(BackgroundPrefix, Background)];

    private protected override JsonObject SaveOptions()
    {
        var o = new JsonObject();
        o["featureColumn"] = _s.FeatureColumn;
        o["condition"] = _s.Condition?.ToJson();
        o["shape"] = _s.Shape.ToJson();
        o["threshold"] = _s.Threshold;
        o["thresholdPercentile"] = _s.ThresholdPercentile;
        o["outputBitsMap"] = _s.OutputBitsMap;
        o["scoreBatchSize"] = _s.ScoreBatchSize;
        o["imageErrorColumn"] = _s.ImageErrorColumn;
        o["scoreKind"] = _s.ScoreKind.ToString();
        o["compressor"] = _s.Compressor.ToString();
        o["referenceScores"] = new JsonArray(_s.ReferenceScores.Select(v => (JsonNode?)v).ToArray());
        o["referenceBitsPerDim"] = new JsonArray(_s.ReferenceBitsPerDim.Select(v => (JsonNode?)v).ToArray());
        if (_s.States is { } states)
        {
            // The estimate is refitted from its reference statistics on load (the fit is deterministic).
            o["statesWidth"] = states.Dimensions;
            o["statesReference"] = new JsonArray(states.Reference.SelectMany(r => r).Select(v => (JsonNode?)v).ToArray());
        }
        o["outputColumns"] = new JsonObject
        {
            ["bitsPerDim"] = _s.BitsPerDimColumn, ["score"] = _s.ScoreColumn, ["predictedLabel"] = _s.PredictedLabelColumn, ["bitsMap"] = _s.BitsMapColumn,
            ["pValue"] = _s.PValueColumn,
        };
        return o;
    }

    // Called by ML.NET's model loader ([LoadableClass] above).
    private static PixelCnnDensityTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        return ComponentSaving.Load(env, ctx, Saved, (o, model) =>
        {
            var kind = o.GetEnum<DensityScoreKind>("scoreKind");
            var settings = new Settings(
                o.GetString("featureColumn"), ConditionColumn.FromJson(o.Json["condition"], o), o.GetShape(), o.GetDouble("threshold"),
                o.GetNullableDouble("thresholdPercentile"), o.GetBoolean("outputBitsMap"), o.GetBatchSize("scoreBatchSize"), o.GetNullableString("imageErrorColumn"),
                kind, o.GetEnum<ComplexityCompressor>("compressor"), o.GetDoubles("referenceScores"), o.GetDoubles("referenceBitsPerDim"),
                kind == DensityScoreKind.DensityOfStates ? LoadStates(o) : null,
                o.GetOutputColumn("bitsPerDim"), o.GetOutputColumn("score"), o.GetOutputColumn("predictedLabel"), o.GetOutputColumn("bitsMap"),
                o.GetOutputColumn("pValue"));
            o.CheckModelShape(model, settings.Shape);
            if ((settings.Condition?.Size ?? 0) != (model.Config.Conditioning == ConditioningKind.None ? 0 : model.Config.ConditionSize))
                throw o.Error("the model's condition size does not match the component's condition column");
            if (settings.ReferenceScores.Length == 0) throw o.Error("option 'referenceScores' is empty");
            var background = kind == DensityScoreKind.LikelihoodRatio ? ComponentSaving.LoadModel(env, ctx, Saved, BackgroundPrefix) : null;
            if (background is not null && !SameInputs(background.Config, model.Config))
            {
                background.Dispose();
                throw o.Error("the background model's image shape, levels or conditioning differ from the model's");
            }
            return new PixelCnnDensityTransformer(model, background, settings with { ReferenceScores = settings.ReferenceScores.Order().ToArray() });
        });
    }

    private static DensityOfStates LoadStates(SavedOptions o)
    {
        int width = o.GetInt32("statesWidth");
        var flat = o.GetDoubles("statesReference");
        if (width < 1 || flat.Length % width != 0) throw o.Error($"option 'statesReference' ({flat.Length} numbers) is not rows of 'statesWidth' {width}");
        try
        {
            return DensityOfStates.Fit(flat.Chunk(width));
        }
        catch (ArgumentException e)
        {
            throw o.Error($"the density-of-states reference cannot be fitted: {e.Message}", e);
        }
    }

    // A background model scores the same images with the same conditions as the model; its layers may differ (local background).
    private static bool SameInputs(PixelCnnConfig a, PixelCnnConfig b) =>
        a.Channels == b.Channels && a.Height == b.Height && a.Width == b.Width && a.Levels == b.Levels &&
        a.Conditioning == b.Conditioning && a.ConditionSize == b.ConditionSize;

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
                new(s.PValueColumn, NumberDataViewType.Single),
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
            var r = _t.WithModel(m => DensityScores.Compute(m, _t.Background, s.ScoreKind, s.Compressor, batch, n, wantMap, states: s.States));
            for (int i = 0; i < n; i++)
            {
                if (!failed[i]) continue;
                r.BitsPerDim[i] = double.NaN;
                r.Score[i] = double.NaN;
                if (r.Map is { } bm) bm.AsSpan(i * _shape.Size, _shape.Size).Fill(float.NaN);
            }
            if (output.IsActive(s.BitsPerDimColumn))
            {
                var dst = output.GetValues<float>(s.BitsPerDimColumn);
                for (int i = 0; i < n; i++) dst[i] = (float)r.BitsPerDim[i];
            }
            if (output.IsActive(s.ScoreColumn))
            {
                var dst = output.GetValues<float>(s.ScoreColumn);
                for (int i = 0; i < n; i++) dst[i] = (float)r.Score[i];
            }
            if (output.IsActive(s.PValueColumn))
            {
                var dst = output.GetValues<float>(s.PValueColumn);
                for (int i = 0; i < n; i++) dst[i] = (float)DensityScores.PValue(r.Score[i], s.ReferenceScores);
            }
            if (output.IsActive(s.PredictedLabelColumn))
            {
                var dst = output.GetValues<bool>(s.PredictedLabelColumn);
                for (int i = 0; i < n; i++) dst[i] = failed[i] || r.Score[i] > s.Threshold;
            }
            if (wantMap) r.Map.AsSpan().CopyTo(output.GetVectorBlock(s.BitsMapColumn));
        }
    }
}

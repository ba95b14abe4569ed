// PixelDefend purification as an ML.NET transformer: ml.Transforms.PixelCnnPurify(...). Fit trains an unconditional
// PixelCNN on clean images (or scorer.AsPurifier(ε) reuses a density scorer's model); the transformer moves each
// image's sub-pixels, in sampling order and by at most ε, to their most likely values given the sub-pixels already
// purified (PixelCnnSampler.Purify: the cached sampler's walk, about one sampling pass per batch). By default the
// purified pixels replace the input column, so the purifier chains in front of a classifier trained on clean images.
//
// Saved by mlContext.Model.Save under loader signature "PixelCnnPurifier" (ComponentSaving), options.json:
//   { "inputColumn", "outputColumn", "shape": [C, H, W], "epsilon", "batchSize" } + config.json + weights.safetensors
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Sampling;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(PixelCnnPurifierTransformer), null, typeof(SignatureLoadModel), "PixelCNN purifier", PixelCnnPurifierTransformer.LoaderSignature)]

namespace PixelCnn.ML.Components;

/// <summary>
/// Trains a PixelCNN on clean images and purifies inputs before a classifier (PixelDefend); create it with
/// <c>ml.Transforms.PixelCnnPurify(...)</c>.
/// </summary>
/// <remarks>
/// | Characteristic | |
/// |---|---|
/// | Needs training | yes (or reuse a density scorer: <c>scorer.AsPurifier(epsilon)</c>) |
/// | Input columns | Vector&lt;Single, C, H, W&gt; pixels 0..255 |
/// | Output columns | the purified pixels, Vector&lt;Single, C, H, W&gt; (replacing the input column by default) |
/// | Native dependency | libtorch through TorchSharp (TorchSharp-cpu or TorchSharp-cuda-*) |
/// | Saved with ml.Model.Save | yes |
/// </remarks>
public sealed class PixelCnnPurifierEstimator : IEstimator<PixelCnnPurifierTransformer>
{
    public sealed class Options : PixelCnnTrainingOptionsBase
    {
        /// <summary>The largest change of one sub-pixel, in pixel levels 0..255 (PixelDefend's ε_defend).</summary>
        public int Epsilon = 16;
        /// <summary>The purified pixels' column; null replaces <see cref="PixelCnnTrainingOptionsBase.FeatureColumnName"/>.</summary>
        public string? OutputColumnName;
        /// <summary>Images purified per decoder walk.</summary>
        public int PurifyBatchSize = 64;
    }

    private readonly IHostEnvironment _env;
    private readonly Options _o;

    internal PixelCnnPurifierEstimator(IHostEnvironment env, Options options)
    {
        _env = env;
        _o = options ?? throw new ArgumentNullException(nameof(options));
        _o.Validate();
        if (_o.Epsilon is < 0 or > 255) throw new ArgumentOutOfRangeException(nameof(options), _o.Epsilon, "Epsilon must be 0..255 (pixel levels)");
        BatchedDataView.RequireRows(_o.PurifyBatchSize, nameof(_o.PurifyBatchSize));
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        PixelColumns.CheckShape(inputSchema, _o.FeatureColumnName);
        return MlNetAccess.With(inputSchema,
            MlNetAccess.Column(_o.OutputColumnName ?? _o.FeatureColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single));
    }

    public PixelCnnPurifierTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(MlNetAccess.ShapeOf(input.Schema));
        using var ch = _env.Start("PixelCnnPurifier");
        var data = PixelCnnFitting.Prepare(_env, input, _o, null, null, (cfg, _) => cfg with
        {
            Conditioning = ConditioningKind.None, ConditionSize = 0, EmbeddingSize = 0,
        }, ch);
        var model = PixelCnnFitting.Train(data, _o, ch).Model;
        return new PixelCnnPurifierTransformer(model, new PixelCnnPurifierTransformer.Settings(
            _o.FeatureColumnName, _o.OutputColumnName ?? _o.FeatureColumnName, data.Shape, _o.Epsilon, _o.PurifyBatchSize));
    }
}

/// <summary>The fitted purifier; see <see cref="PixelCnnPurifierEstimator"/>.</summary>
public sealed class PixelCnnPurifierTransformer : PixelCnnTransformerBase
{
    internal const string LoaderSignature = "PixelCnnPurifier";
    private static readonly ComponentSaving.Info Saved = new("PXCNNPUR", LoaderSignature);

    internal sealed record Settings(string InputColumn, string OutputColumn, ImageShape Shape, int Epsilon, int BatchSize);

    private readonly Settings _s;

    internal PixelCnnPurifierTransformer(Scoring.PixelCnnModel model, Settings settings) : base(model) => _s = Check(settings);

    internal PixelCnnPurifierTransformer(PixelCnnTransformerBase owner, Settings settings) : base(owner) => _s = Check(settings);

    private static Settings Check(Settings s)
    {
        if (s.Epsilon is < 0 or > 255) throw new ArgumentOutOfRangeException(nameof(s.Epsilon), s.Epsilon, "epsilon must be 0..255 (pixel levels)");
        BatchedDataView.RequireRows(s.BatchSize, "batchSize");
        return s;
    }

    public int Epsilon => _s.Epsilon;
    public ImageShape ImageShape => _s.Shape;

    /// <summary>A view with another ε, sharing this transformer's model (valid while this one is).</summary>
    public PixelCnnPurifierTransformer WithEpsilon(int epsilon) => new(this, _s with { Epsilon = epsilon });

    private protected override int BatchSize => _s.BatchSize;

    private protected override IBatchMapper CreateMapper(DataViewSchema inputSchema)
    {
        PixelColumns.ResolveShape(inputSchema, _s.InputColumn, _s.Shape.Channels, _s.Shape.Height, _s.Shape.Width);
        return new Mapper(this);
    }

    private protected override ComponentSaving.Info SaveInfo => Saved;

    private protected override JsonObject SaveOptions() => new()
    {
        ["inputColumn"] = _s.InputColumn, ["outputColumn"] = _s.OutputColumn, ["shape"] = _s.Shape.ToJson(), ["epsilon"] = _s.Epsilon,
        ["batchSize"] = _s.BatchSize,
    };

    // Called by ML.NET's model loader ([LoadableClass] above).
    private static PixelCnnPurifierTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        return ComponentSaving.Load(env, ctx, Saved, (o, model) =>
        {
            var settings = new Settings(o.GetString("inputColumn"), o.GetString("outputColumn"), o.GetShape(), o.GetInt32("epsilon"), o.GetBatchSize("batchSize"));
            o.CheckModelShape(model, settings.Shape);
            if (model.Config.Conditioning != ConditioningKind.None) throw o.Error("a purifier's model must be unconditional");
            return new PixelCnnPurifierTransformer(model, settings);
        });
    }

    private sealed class Mapper(PixelCnnPurifierTransformer t) : IBatchMapper
    {
        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; } =
            [new(t._s.OutputColumn, new VectorDataViewType(NumberDataViewType.Single, t._s.Shape.Channels, t._s.Shape.Height, t._s.Shape.Width))];

        public IReadOnlyList<string> InputColumnNames { get; } = [t._s.InputColumn];

        public void MapBatch(BatchMapperInput input, BatchMapperOutput output)
        {
            var s = t._s;
            int n = input.Count;
            var batch = PixelColumns.Batch(input, s.InputColumn, s.Shape, null);
            var purified = t.WithModel(m =>
            {
                using var scope = NewDisposeScope();
                var images = tensor(batch.Pixels, [n, s.Shape.Channels, s.Shape.Height, s.Shape.Width]).to(ScalarType.Float32);
                return m.Purify(images, s.Epsilon).to(ScalarType.Float32, CPU).data<float>().ToArray();
            });
            purified.AsSpan().CopyTo(output.GetVectorBlock(s.OutputColumn));
        }
    }
}

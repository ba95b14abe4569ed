// The conditional sampler: ml.Transforms.PixelCnnConditionalSampler(...). Fit trains a PixelCNN
// conditioned on a label (one-hot) or an embedding column; the transformer turns each input row's
// conditioning value into a generated image (Image column, plus the CHW pixel vector that
// ConvertToImage and the scorers read). Sampling uses the cached decoder in batches; a batch's
// randomness comes from SamplingSeed and the batch's first row position, so the same rows, seed and
// batch size give the same images. With SharedDraws every row is drawn with the seed's one set of
// random numbers, so rows differ only through their condition (interpolation rows: a column of
// embeddings along a path; equal conditions give equal images).
//
// Saved by mlContext.Model.Save under loader signature "PixelCnnCondSampler" (ComponentSaving), options.json:
//   { "condition": {name, kind, size}, "shape": [C, H, W], "temperature", "samplingSeed", "batchSize",
//     "sharedDraws" (absent = false), "outputColumns": {image, pixels} }
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using Microsoft.ML.Runtime;
using PixelCnn.ML.Sampling;
using PixelCnn.ML.Scoring;
using TorchSharp;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(PixelCnnConditionalSamplerTransformer), null, typeof(SignatureLoadModel), "PixelCNN conditional sampler",
                         PixelCnnConditionalSamplerTransformer.LoaderSignature)]

namespace PixelCnn.ML.Components;

/// <summary>
/// Trains a conditional PixelCNN and generates images for given labels or embeddings; create it with
/// <c>ml.Transforms.PixelCnnConditionalSampler(...)</c>.
/// </summary>
/// <remarks>
/// | Characteristic | |
/// |---|---|
/// | Needs training | yes |
/// | Input columns (Fit) | Vector&lt;Single, C, H, W&gt; pixels 0..255 and a condition: key, integer class index, or Vector&lt;Single&gt; embedding |
/// | Input columns (Transform) | the condition column only |
/// | Output columns | GeneratedImage (Image&lt;H, W&gt;), GeneratedPixels (Vector&lt;Single, C, H, W&gt;, 0..255) |
/// | Native dependency | libtorch through TorchSharp (TorchSharp-cpu or TorchSharp-cuda-*) |
/// | Saved with ml.Model.Save | yes |
/// </remarks>
public sealed class PixelCnnConditionalSamplerEstimator : IEstimator<PixelCnnConditionalSamplerTransformer>
{
    public sealed class Options : PixelCnnTrainingOptionsBase
    {
        /// <summary>The condition: a key, an integer class index (one-hot of <see cref="ClassCount"/>) or an embedding vector.</summary>
        public string ConditionColumnName = "Label";
        public int? ClassCount;
        /// <summary>Sampling temperature (1 = the model; smaller sharpens; 0 = most likely values).</summary>
        public double Temperature = 1.0;
        /// <summary>Seed of the draws (combined with each batch's first row position unless <see cref="SharedDraws"/>).</summary>
        public ulong SamplingSeed = 1;
        /// <summary>
        /// Draw every row with the same random numbers (those of <see cref="SamplingSeed"/>), so rows differ only
        /// through their condition: feed embeddings along a path for interpolation rows with one seed.
        /// </summary>
        public bool SharedDraws;
        /// <summary>Images generated per decoder call.</summary>
        public int SamplingBatchSize = 64;
        /// <summary>
        /// Images drawn for each row's condition, N ≥ 1, each with its own draws: for N > 1 the pixel column holds
        /// Vector&lt;Single, N, C, H, W&gt; and the image column the N images side by side (N·W wide), e.g. N colourings of
        /// one grey image by a sampler conditioned on it (<see cref="ConditioningKind.Image"/>).
        /// </summary>
        public int SamplesPerRow = 1;
        public string OutputImageColumnName = "GeneratedImage", OutputPixelsColumnName = "GeneratedPixels";
    }

    private readonly IHostEnvironment _env;
    private readonly Options _o;

    internal PixelCnnConditionalSamplerEstimator(IHostEnvironment env, Options options)
    {
        _env = env;
        _o = options ?? throw new ArgumentNullException(nameof(options));
        _o.Validate();
        if (string.IsNullOrEmpty(_o.ConditionColumnName)) throw new ArgumentException("ConditionColumnName must be set", nameof(options));
        BatchedDataView.RequireRows(_o.SamplingBatchSize, nameof(_o.SamplingBatchSize));
        if (_o.SamplesPerRow is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(options), _o.SamplesPerRow, "SamplesPerRow must be 1..1024");
        new SamplingOptions { Temperature = _o.Temperature }.Validate();
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        PixelColumns.CheckShape(inputSchema, _o.FeatureColumnName);
        PixelColumns.CheckConditionShape(inputSchema, _o.ConditionColumnName);
        return MlNetAccess.With(inputSchema,
            MlNetAccess.Column(_o.OutputImageColumnName, SchemaShape.Column.VectorKind.Scalar, new ImageDataViewType()),
            MlNetAccess.Column(_o.OutputPixelsColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single));
    }

    public PixelCnnConditionalSamplerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(MlNetAccess.ShapeOf(input.Schema));
        using var ch = _env.Start("PixelCnnConditionalSampler");
        var data = PixelCnnFitting.Prepare(_env, input, _o, _o.ConditionColumnName, _o.ClassCount, (cfg, cond) => cfg with
        {
            Conditioning = cfg.Conditioning == ConditioningKind.None ? ConditioningKind.Global : cfg.Conditioning,
            ConditionSize = cond!.Size,
            EmbeddingSize = 0,
        }, ch);
        var model = PixelCnnFitting.Train(data, _o, ch).Model;
        return new PixelCnnConditionalSamplerTransformer(model, new PixelCnnConditionalSamplerTransformer.Settings(
            data.Condition!, data.Shape, _o.Temperature, _o.SamplingSeed, _o.SamplingBatchSize, _o.OutputImageColumnName, _o.OutputPixelsColumnName,
            _o.SharedDraws, _o.SamplesPerRow));
    }
}

/// <summary>The fitted conditional sampler; see <see cref="PixelCnnConditionalSamplerEstimator"/>.</summary>
public sealed class PixelCnnConditionalSamplerTransformer : PixelCnnTransformerBase
{
    internal const string LoaderSignature = "PixelCnnCondSampler"; // ML.NET allows at most 24 characters
    private static readonly ComponentSaving.Info Saved = new("PXCNNSMP", LoaderSignature);

    internal sealed record Settings(ConditionColumn Condition, ImageShape Shape, double Temperature, ulong SamplingSeed, int BatchSize,
                                    string ImageColumn, string PixelsColumn, bool SharedDraws = false, int SamplesPerRow = 1);

    private readonly Settings _s;

    internal PixelCnnConditionalSamplerTransformer(PixelCnnModel model, Settings settings) : base(model) => _s = settings;

    private PixelCnnConditionalSamplerTransformer(PixelCnnConditionalSamplerTransformer owner, Settings settings) : base(owner) => _s = settings;

    public ConditionColumn Condition => _s.Condition;
    public ImageShape ImageShape => _s.Shape;
    public double Temperature => _s.Temperature;
    public ulong SamplingSeed => _s.SamplingSeed;
    /// <summary>The output columns: the generated image(s) and their pixels.</summary>
    public string ImageColumnName => _s.ImageColumn;
    public string PixelsColumnName => _s.PixelsColumn;
    /// <summary>Images drawn per row (see the estimator's Options).</summary>
    public int SamplesPerRow => _s.SamplesPerRow;
    /// <summary>True when every row is drawn with the same random numbers (see the estimator's Options).</summary>
    public bool SharedDraws => _s.SharedDraws;

    /// <summary>A view with another temperature and seed, sharing this transformer's model (valid while this one is).</summary>
    public PixelCnnConditionalSamplerTransformer WithSampling(double temperature, ulong seed) => WithSampling(temperature, seed, _s.SharedDraws);

    /// <summary>
    /// A view with another temperature, seed and <see cref="SharedDraws"/> (true: every row drawn with the seed's random
    /// numbers, so rows differ only through their condition), sharing this transformer's model (valid while this one is).
    /// </summary>
    public PixelCnnConditionalSamplerTransformer WithSampling(double temperature, ulong seed, bool sharedDraws)
    {
        new SamplingOptions { Temperature = temperature }.Validate();
        return new(this, _s with { Temperature = temperature, SamplingSeed = seed, SharedDraws = sharedDraws });
    }

    /// <summary>A view that draws <paramref name="samplesPerRow"/> images per row (see the estimator's Options), sharing this transformer's model.</summary>
    public PixelCnnConditionalSamplerTransformer WithSamplesPerRow(int samplesPerRow)
    {
        if (samplesPerRow is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(samplesPerRow), samplesPerRow, "samplesPerRow must be 1..1024");
        return new(this, _s with { SamplesPerRow = samplesPerRow });
    }

    /// <summary>
    /// Generates <paramref name="count"/> images for one condition: a class index 0..K-1 for label models, or an
    /// embedding of the model's size. Returns the images in order.
    /// </summary>
    public IReadOnlyList<MLImage> Generate(int count, int? classIndex = null, float[]? embedding = null, ulong? seed = null,
                                           double? temperature = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be > 0");
        var h = new float[count * _s.Condition.Size];
        for (int i = 0; i < count; i++)
        {
            if (_s.Condition.Kind == ConditionKind.Vector)
            {
                if (embedding is null || embedding.Length != _s.Condition.Size)
                    throw new ArgumentException($"this sampler is conditioned on embeddings of {_s.Condition.Size} values; pass one as {nameof(embedding)}");
                embedding.CopyTo(h, i * _s.Condition.Size);
            }
            else
            {
                if (classIndex is not { } k || !OneHot.TryWrite(h.AsSpan(i * _s.Condition.Size, _s.Condition.Size), k))
                    throw new ArgumentOutOfRangeException(nameof(classIndex), classIndex, $"this sampler is conditioned on {_s.Condition.Size} classes; pass a class index 0..{_s.Condition.Size - 1}");
            }
        }
        var bytes = Sample(h, count, seed ?? _s.SamplingSeed, temperature ?? _s.Temperature, false, progress, cancellationToken);
        return Enumerable.Range(0, count).Select(i => ImageConversions.ToImage(bytes, i, _s.Shape)).ToList();
    }

    /// <summary>
    /// Decodes the straight path from embedding <paramref name="from"/> to <paramref name="to"/> in <paramref name="steps"/>
    /// images (both ends included), all drawn with the same random numbers of <paramref name="seed"/>, so only the
    /// embedding changes along the row. For embedding-conditioned samplers.
    /// </summary>
    public IReadOnlyList<MLImage> Interpolate(float[] from, float[] to, int steps, ulong? seed = null, double? temperature = null,
                                              IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (_s.Condition.Kind != ConditionKind.Vector)
            throw new InvalidOperationException($"this sampler is conditioned on class labels ({_s.Condition.Name}); interpolation needs an embedding-conditioned sampler");
        using var scope = NewDisposeScope();
        var path = PixelCnnSampler.InterpolationPath(tensor(from), tensor(to), steps, _s.Condition.Size).data<float>().ToArray();
        var bytes = Sample(path, steps, seed ?? _s.SamplingSeed, temperature ?? _s.Temperature, true, progress, cancellationToken);
        return Enumerable.Range(0, steps).Select(i => ImageConversions.ToImage(bytes, i, _s.Shape)).ToList();
    }

    private byte[] Sample(float[] h, int count, ulong seed, double temperature, bool sharedDraws, IProgress<int>? progress, CancellationToken ct) =>
        WithModel(m =>
        {
            using var scope = NewDisposeScope();
            var cond = tensor(h, [count, _s.Condition.Size], device: m.Device);
            var options = new SamplingOptions { Seed = seed, Temperature = temperature, SharedDraws = sharedDraws };
            return PixelCnnSampler.SampleBytes(m, count, cond, options, progress, ct);
        });

    private protected override int BatchSize => _s.BatchSize;

    private protected override IBatchMapper CreateMapper(DataViewSchema inputSchema)
    {
        PixelColumns.CheckCondition(inputSchema, _s.Condition);
        return new Mapper(this);
    }

    private protected override ComponentSaving.Info SaveInfo => Saved;

    private protected override JsonObject SaveOptions()
    {
        var o = new JsonObject();
        o["condition"] = _s.Condition.ToJson();
        o["shape"] = new JsonArray(_s.Shape.Channels, _s.Shape.Height, _s.Shape.Width);
        o["temperature"] = _s.Temperature;
        o["samplingSeed"] = _s.SamplingSeed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        o["batchSize"] = _s.BatchSize;
        o["sharedDraws"] = _s.SharedDraws;
        o["samplesPerRow"] = _s.SamplesPerRow;
        o["outputColumns"] = new JsonObject { ["image"] = _s.ImageColumn, ["pixels"] = _s.PixelsColumn };
        return o;
    }

    // Called by ML.NET's model loader ([LoadableClass] above).
    private static PixelCnnConditionalSamplerTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        return ComponentSaving.Load(env, ctx, Saved, (o, model) =>
        {
            var condition = ConditionColumn.FromJson(o.Json["condition"], o) ?? throw o.Error("option 'condition' is missing");
            var settings = new Settings(condition, o.GetShape(), o.GetDouble("temperature"), o.GetUInt64("samplingSeed"), o.GetBatchSize("batchSize"),
                                        o.GetOutputColumn("image"), o.GetOutputColumn("pixels"), o.GetBoolean("sharedDraws", false),
                                        o.GetInt32("samplesPerRow", 1));
            if (settings.SamplesPerRow is < 1 or > 1024) throw o.Error($"option 'samplesPerRow' must be 1..1024, got {settings.SamplesPerRow}");
            o.CheckModelShape(model, settings.Shape);
            if (model.Config.ConditionSize != condition.Size)
                throw o.Error($"the model is conditioned on {model.Config.ConditionSize} values but the component's condition has {condition.Size}");
            return new PixelCnnConditionalSamplerTransformer(model, settings);
        });
    }

    private sealed class Mapper(PixelCnnConditionalSamplerTransformer t) : IBatchMapper
    {
        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; } =
        [
            new(t._s.ImageColumn, new ImageDataViewType(t._s.Shape.Height, t._s.Shape.Width * t._s.SamplesPerRow)),
            new(t._s.PixelsColumn, t._s.SamplesPerRow == 1
                ? new VectorDataViewType(NumberDataViewType.Single, t._s.Shape.Channels, t._s.Shape.Height, t._s.Shape.Width)
                : new VectorDataViewType(NumberDataViewType.Single, t._s.SamplesPerRow, t._s.Shape.Channels, t._s.Shape.Height, t._s.Shape.Width)),
        ];

        public IReadOnlyList<string> InputColumnNames { get; } = [t._s.Condition.Name];

        public void MapBatch(BatchMapperInput input, BatchMapperOutput output)
        {
            var s = t._s;
            int n = input.Count, per = s.SamplesPerRow, size = s.Condition.Size;
            var h = new float[n * size];
            PixelColumns.ConditionBatch(input, s.Condition, h, input.FirstPosition);
            if (per > 1)
            {
                // Row r's condition N times in a row: images r·N .. r·N + N − 1 are its samples.
                var repeated = new float[(long)n * per * size];
                for (int r = 0; r < n; r++)
                    for (int k = 0; k < per; k++) h.AsSpan(r * size, size).CopyTo(repeated.AsSpan((r * per + k) * size, size));
                h = repeated;
            }
            // The batch's draws depend on the seed and where the batch starts, not on other batches; shared
            // draws are the seed's alone, the same for every row of every batch.
            var seed = s.SharedDraws ? s.SamplingSeed : BatchSeed(s.SamplingSeed, input.FirstPosition);
            var bytes = t.Sample(h, n * per, seed, s.Temperature, s.SharedDraws, null, default);
            ImageConversions.WriteImages(output, bytes, n, s.Shape, s.ImageColumn, s.PixelsColumn, per);
        }
    }
}

// ml.Transforms.LoadImagesSafely: ML.NET's LoadImages for files nobody vetted. It reads each file named in a text
// column with SafeImageReader (size and header limits before decoding, truncated or corrupt files rejected, never
// zero-filled) and outputs an Image column that ML.NET's ResizeImages and ExtractPixels take. A bad file either stops
// the pipeline with an error naming it (OnError = Fail) or only flags its row (OnError = FlagRow): the reason goes
// to the error column, the other rows go on, and the PixelCNN scorer gives that row a NaN score. The flagged row's
// image is a 1x1 black placeholder, not null: ML.NET 5.0.1's ResizeImages hands on the previous row's (already
// disposed) image when it meets a null one after a valid one, and the chain fails with "Object is disposed"
// (checked; tests/.../SafeImageLoadingTests). Read the error column, or let the scorer do it. Files are read in small batches on the calling thread: no read-ahead workers, so one bad row cannot take
// others with it.
//
// Saved by mlContext.Model.Save under loader signature "PixelCnnSafeImageLoader" (options.json only).
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data.Images;

[assembly: LoadableClass(typeof(SafeImageLoadingTransformer), null, typeof(SignatureLoadModel), "PixelCNN safe image loader",
                         SafeImageLoadingTransformer.LoaderSignature)]

namespace PixelCnn.ML.Components;

/// <summary>What the hardened image loader does with a file it cannot read.</summary>
public enum ImageErrorPolicy
{
    /// <summary>Stop with an <see cref="InvalidImageException"/> naming the file.</summary>
    Fail,
    /// <summary>Give the row a 1x1 black placeholder image and the reason in the error column; the other rows go on.</summary>
    FlagRow,
}

/// <summary>Options of <c>ml.Transforms.LoadImagesSafely</c>.</summary>
public sealed class SafeImageLoadingOptions
{
    /// <summary>Size limits checked before decoding.</summary>
    public ImageLimits Limits = ImageLimits.Default;
    /// <summary>Fail on a bad file (default) or flag its row.</summary>
    public ImageErrorPolicy OnError = ImageErrorPolicy.Fail;
    /// <summary>The text column that holds why a row's image could not be read (empty when it was); always added.</summary>
    public string ErrorColumnName = SafeImageLoadingEstimator.DefaultErrorColumnName;
    /// <summary>Files read per batch.</summary>
    public int BatchSize = 32;
}

/// <summary>The hardened image loader; create it with <c>ml.Transforms.LoadImagesSafely(...)</c>. It needs no training.</summary>
public sealed class SafeImageLoadingEstimator : IEstimator<SafeImageLoadingTransformer>
{
    /// <summary>The default name of the error column.</summary>
    public const string DefaultErrorColumnName = "ImageError";

    private readonly SafeImageLoadingTransformer.Settings _s;

    internal SafeImageLoadingEstimator(string outputColumnName, string? imageFolder, string inputColumnName, SafeImageLoadingOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        ArgumentException.ThrowIfNullOrEmpty(inputColumnName);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Limits);
        options.Limits.Validate();
        ArgumentException.ThrowIfNullOrEmpty(options.ErrorColumnName);
        BatchedDataView.RequireRows(options.BatchSize, nameof(options.BatchSize));
        _s = new(outputColumnName, inputColumnName, imageFolder, options.Limits, options.OnError, options.ErrorColumnName, options.BatchSize);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var c = SchemaErrors.Find(inputSchema, "image path", _s.InputColumn);
        if (c.Kind != SchemaShape.Column.VectorKind.Scalar || c.ItemType is not TextDataViewType)
            throw SchemaErrors.Mismatch("image path", _s.InputColumn, "String", MlNetAccess.TypeString(c));
        return MlNetAccess.With(inputSchema,
            MlNetAccess.Column(_s.OutputColumn, SchemaShape.Column.VectorKind.Scalar, new ImageDataViewType()),
            MlNetAccess.Column(_s.ErrorColumn, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance));
    }

    public SafeImageLoadingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(MlNetAccess.ShapeOf(input.Schema));
        return new SafeImageLoadingTransformer(_s);
    }
}

/// <summary>The hardened image loader; see <see cref="SafeImageLoadingEstimator"/>.</summary>
public sealed class SafeImageLoadingTransformer : ITransformer
{
    internal const string LoaderSignature = "PixelCnnSafeImageLoader";
    private static readonly ComponentSaving.Info Saved = new("PXCNNIMG", LoaderSignature);

    internal sealed record Settings(string OutputColumn, string InputColumn, string? ImageFolder, ImageLimits Limits, ImageErrorPolicy OnError,
                                    string ErrorColumn, int BatchSize);

    private readonly Settings _s;

    internal SafeImageLoadingTransformer(Settings settings) => _s = settings;

    public string ImageFolder => _s.ImageFolder ?? "";
    public ImageLimits Limits => _s.Limits;
    public ImageErrorPolicy OnError => _s.OnError;

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => BatchedDataView.AppendColumns(inputSchema, CreateMapper(inputSchema).OutputColumns);

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // Rows per batch bounded by the decoded-bytes budget (Limits.MaxBatchDecodedBytes): files inside every limit
        // cannot exhaust memory together.
        return new BatchedDataView(input, CreateMapper(input.Schema), _s.Limits.RowsPerBatch(_s.BatchSize));
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new BatchedRowMapper(inputSchema, CreateMapper(inputSchema));

    private Mapper CreateMapper(DataViewSchema inputSchema)
    {
        var c = SchemaErrors.Find(inputSchema, "image path", _s.InputColumn);
        if (c.Type is not TextDataViewType) throw SchemaErrors.Mismatch("image path", _s.InputColumn, "String", c.Type.ToString());
        return new Mapper(_s);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        var o = new JsonObject
        {
            ["outputColumn"] = _s.OutputColumn, ["inputColumn"] = _s.InputColumn, ["imageFolder"] = _s.ImageFolder,
            ["maxFileBytes"] = _s.Limits.MaxFileBytes, ["maxSide"] = _s.Limits.MaxSide, ["maxDecodedBytes"] = _s.Limits.MaxDecodedBytes,
            ["maxBatchDecodedBytes"] = _s.Limits.MaxBatchDecodedBytes,
            ["onError"] = _s.OnError.ToString(), ["errorColumn"] = _s.ErrorColumn, ["batchSize"] = _s.BatchSize,
        };
        ComponentSaving.Save(ctx, Saved, o, null);
    }

    // Called by ML.NET's model loader ([LoadableClass] above).
    private static SafeImageLoadingTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var o = ComponentSaving.LoadOptions(ctx, Saved);
        if (!Enum.TryParse<ImageErrorPolicy>(o.GetString("onError"), out var policy)) throw o.Error("option 'onError' is not Fail or FlagRow");
        var limits = new ImageLimits
        {
            MaxFileBytes = o.Json["maxFileBytes"]?.GetValue<long>() ?? throw o.Error("option 'maxFileBytes' is missing"),
            MaxSide = o.GetInt32("maxSide"),
            MaxDecodedBytes = o.Json["maxDecodedBytes"]?.GetValue<long>() ?? throw o.Error("option 'maxDecodedBytes' is missing"),
            // Files written before the budget existed get the default.
            MaxBatchDecodedBytes = o.Json["maxBatchDecodedBytes"]?.GetValue<long>() ?? ImageLimits.Default.MaxBatchDecodedBytes,
        };
        limits.Validate();
        return new SafeImageLoadingTransformer(new Settings(o.GetString("outputColumn"), o.GetString("inputColumn"), o.GetNullableString("imageFolder"),
                                                            limits, policy, o.GetString("errorColumn"), o.GetBatchSize("batchSize")));
    }

    private sealed class Mapper(Settings s) : IBatchMapper
    {
        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; } =
        [
            new(s.OutputColumn, new ImageDataViewType()),
            new(s.ErrorColumn, TextDataViewType.Instance),
        ];

        public IReadOnlyList<string> InputColumnNames { get; } = [s.InputColumn];

        // The decoded images belong to the cursor, as LoadImages' do: each is disposed when the next batch replaces it.
        public IReadOnlyCollection<string> CursorOwnedColumns { get; } = [s.OutputColumn];

        public void MapBatch(BatchMapperInput input, BatchMapperOutput output)
        {
            var paths = input.GetValues<ReadOnlyMemory<char>>(s.InputColumn);
            var images = output.IsActive(s.OutputColumn) ? output.GetValues<MLImage>(s.OutputColumn) : default;
            var errors = output.IsActive(s.ErrorColumn) ? output.GetValues<ReadOnlyMemory<char>>(s.ErrorColumn) : default;
            for (int i = 0; i < input.Count; i++)
            {
                var name = paths[i].ToString();
                var path = name.Length == 0 || s.ImageFolder is null ? name : Path.Combine(s.ImageFolder, name);
                string? flagged = null;
                try
                {
                    var image = SafeImageReader.Read(path, s.Limits);
                    if (!images.IsEmpty) images[i] = image;
                    else image.Dispose();
                }
                catch (InvalidImageException e) when (s.OnError == ImageErrorPolicy.FlagRow)
                {
                    flagged = e.Message;
                }
                catch (OutOfMemoryException) when (s.OnError == ImageErrorPolicy.FlagRow)
                {
                    // Decoding this one file ran out of memory: its row is flagged, the others go on.
                    flagged = new InvalidImageException(path, "there was not enough memory to decode it").Message;
                }
                catch (InvalidImageException e)
                {
                    throw new InvalidImageException(e.Path, $"{e.Reason} (row {input.FirstPosition + i} of column '{s.InputColumn}'; " +
                                                              "set OnError = ImageErrorPolicy.FlagRow to flag such rows and go on)", e);
                }
                if (flagged is null) continue;
                if (!errors.IsEmpty) errors[i] = flagged.AsMemory();
                if (!images.IsEmpty) images[i] = MLImage.CreateFromPixels(1, 1, MLPixelFormat.Rgba32, [0, 0, 0, 255]);
            }
        }
    }
}

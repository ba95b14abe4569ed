// LoadImages: turns a Text column of image file paths into an Image column, decoding each file with ImageCodec when
// its value is read (lazily, as every view here) — never when the pipeline is built. Mirrors ML.NET's
// ImageLoadingEstimator / ImageLoadingTransformer.
//
// Saved as type id "PixelCnn.ML.LoadImages", format version 1:
//   options: { "imageFolder": "photos" | null, "columns": [ { "output": "Image", "input": "ImagePath" }, ... ] }
//   (no binary entries). The folder is saved as given: a relative folder is resolved against the working directory
//   of the process that runs the loaded model, as in ML.NET.
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Transforms.Image;

/// <summary>
/// Loads images from the files named in a Text column; create it with <c>ml.Transforms.LoadImages</c>.
/// </summary>
/// <remarks>
/// | Characteristic | |
/// |---|---|
/// | Needs training | no |
/// | Input column | Text: image file paths, relative to the image folder or absolute |
/// | Output column | Image of unknown size (gray images 1 channel, colour images 3) |
/// | Native dependency | the PNG/JPEG decoders of the native image codecs (libpixelcnn_native) |
/// | Saved with ml.Model.Save | yes |
///
/// Files are decoded by <see cref="ImageCodec.Load"/> (PNG and JPEG, chosen by content; see its limits) each time a
/// cursor reads the value of a new row. A file that is not a usable image fails with an
/// <see cref="InvalidImageException"/> naming the file and the reason; a missing file with a
/// <see cref="FileNotFoundException"/>; an empty path with an error naming the column and row. Nothing is returned in
/// place of a bad image.
/// </remarks>
public sealed class ImageLoadingEstimator : TrivialEstimator<ImageLoadingTransformer>
{
    internal ImageLoadingEstimator(string? imageFolder, params (string Output, string Input)[] columns)
        : base(new ImageLoadingTransformer(imageFolder, columns)) { }

    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return inputSchema.With(Transformer.ColumnPairs.Select(p =>
        {
            var c = inputSchema.Find("input", p.InputColumnName);
            if (c.Kind != SchemaShape.VectorKind.Scalar || c.ItemType is not TextDataViewType)
                throw SchemaErrors.Mismatch("input", p.InputColumnName, ImageLoadingTransformer.Expected, c.GetTypeString());
            return new SchemaShape.Column(p.OutputColumnName, SchemaShape.VectorKind.Scalar, new ImageDataViewType(), false);
        }).ToArray());
    }
}

/// <summary>The fitted LoadImages transform; see <see cref="ImageLoadingEstimator"/>.</summary>
public sealed class ImageLoadingTransformer : OneToOneTransformerBase
{
    internal const string LoaderTypeId = "PixelCnn.ML.LoadImages";
    internal const string Expected = "Text (image file paths)";

    internal ImageLoadingTransformer(string? imageFolder, IEnumerable<(string Output, string Input)> columns) : base(columns)
    {
        // As ML.NET: an empty or blank folder means "no folder".
        ImageFolder = string.IsNullOrWhiteSpace(imageFolder) ? null : imageFolder;
    }

    /// <summary>The folder relative paths are resolved against; null (also for an empty folder given) to use paths as they are.</summary>
    public string? ImageFolder { get; }

    /// <summary>The file a path value names: combined with <see cref="ImageFolder"/> unless it is absolute.</summary>
    public string ResolvePath(string path) => ImageFolder == null ? path : Path.Combine(ImageFolder, path);

    private protected override DataViewType GetOutputType(int column, DataViewSchema.Column input) =>
        input.Type is TextDataViewType ? new ImageDataViewType() : throw SchemaErrors.Mismatch("input", input.Name, Expected, input.Type.ToString()!);

    private protected override Delegate MakeGetter(DataViewRow input, DataViewSchema.Column inputColumn, int column)
    {
        var getPath = input.GetGetter<ReadOnlyMemory<char>>(inputColumn);
        ReadOnlyMemory<char> path = default;
        // One decode per row, however many times (or through however many downstream columns) the value is read.
        return OncePerRow(input, () =>
        {
            getPath(ref path);
            if (path.Span.IsWhiteSpace()) throw RowError(inputColumn, input, "the image path is empty.");
            return ImageCodec.Load(ResolvePath(path.ToString()));
        });
    }

    public override string TypeId => LoaderTypeId;
    public override int FormatVersion => 1;

    private protected override void SaveOptions(ModelSaveContext ctx) => ctx.Options["imageFolder"] = ImageFolder;

    private protected override void SaveColumn(int column, JsonObject item) { }

    private static ImageLoadingTransformer Load(ModelLoadContext ctx)
    {
        ctx.CheckFormatVersion(1);
        if (!ctx.HasOption("imageFolder")) throw ctx.Error("option 'imageFolder' is missing.");
        string? folder = ctx.Options["imageFolder"] is null ? null : ctx.GetString("imageFolder");
        return new ImageLoadingTransformer(folder, LoadColumns(ctx).Select(c => (c.Output, c.Input)));
    }

#pragma warning disable CA2255 // registering the loader when the assembly loads is the point (see ModelLoaderRegistry)
    [ModuleInitializer]
    internal static void RegisterLoader() => ModelLoaderRegistry.Register(LoaderTypeId, Load);
#pragma warning restore CA2255
}

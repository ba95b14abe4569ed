// ConvertToGrayscale: turns the images of an Image column gray (ITU-R BT.601 luma, see ImageOps.ToGrayscale). Mirrors
// ML.NET's ImageGrayscalingEstimator / ImageGrayscalingTransformer.
//
// Saved as type id "PixelCnn.ML.ConvertToGrayscale", format version 1:
//   options: { "columns": [ { "output": "Gray", "input": "Image" }, ... ] }   (no binary entries)
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Transforms.Image;

/// <summary>
/// Converts images to grayscale; create it with <c>ml.Transforms.ConvertToGrayscale</c>.
/// </summary>
/// <remarks>
/// | Characteristic | |
/// |---|---|
/// | Needs training | no |
/// | Input column | Image |
/// | Output column | the input's image type (same size), every image with 1 channel |
/// | Native dependency | none |
/// | Saved with ml.Model.Save | yes |
///
/// Gray is <c>(299 R + 587 G + 114 B + 500) / 1000</c> in integers (<see cref="ImageOps.ToGrayscale"/>); gray images
/// pass through unchanged. Deviations from ML.NET: the output images have one channel (ML.NET keeps a colour bitmap
/// with R = G = B; <c>ExtractPixels</c> with the default RGB colours gives the same three equal planes either way),
/// and the weights are BT.601's 0.299/0.587/0.114 (ML.NET's colour matrix uses 0.3/0.59/0.11).
/// </remarks>
public sealed class ImageGrayscalingEstimator : TrivialEstimator<ImageGrayscalingTransformer>
{
    internal ImageGrayscalingEstimator(params (string Output, string Input)[] columns) : base(new ImageGrayscalingTransformer(columns)) { }

    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return inputSchema.With(Transformer.ColumnPairs.Select(p =>
            new SchemaShape.Column(p.OutputColumnName, SchemaShape.VectorKind.Scalar, ImageColumns.Check(inputSchema, p.InputColumnName), false)).ToArray());
    }
}

/// <summary>The fitted ConvertToGrayscale transform; see <see cref="ImageGrayscalingEstimator"/>.</summary>
public sealed class ImageGrayscalingTransformer : OneToOneTransformerBase
{
    internal const string LoaderTypeId = "PixelCnn.ML.ConvertToGrayscale";

    internal ImageGrayscalingTransformer(IEnumerable<(string Output, string Input)> columns) : base(columns) { }

    private protected override DataViewType GetOutputType(int column, DataViewSchema.Column input) => ImageColumns.Check(input);

    private protected override Delegate MakeGetter(DataViewRow input, DataViewSchema.Column inputColumn, int column)
    {
        var read = ImageColumns.Reader(input, inputColumn, ImageColumns.Check(inputColumn));
        return OncePerRow(input, () => ImageOps.ToGrayscale(read()));
    }

    public override string TypeId => LoaderTypeId;
    public override int FormatVersion => 1;

    private protected override void SaveColumn(int column, JsonObject item) { }

    private static ImageGrayscalingTransformer Load(ModelLoadContext ctx)
    {
        ctx.CheckFormatVersion(1);
        return new ImageGrayscalingTransformer(LoadColumns(ctx).Select(c => (c.Output, c.Input)));
    }

#pragma warning disable CA2255 // registering the loader when the assembly loads is the point (see ModelLoaderRegistry)
    [ModuleInitializer]
    internal static void RegisterLoader() => ModelLoaderRegistry.Register(LoaderTypeId, Load);
#pragma warning restore CA2255
}

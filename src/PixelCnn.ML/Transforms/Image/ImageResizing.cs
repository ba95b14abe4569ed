// ResizeImages: resizes every image of an Image column to one size, so the output column type knows its size (which
// ExtractPixels needs). Mirrors ML.NET's ImageResizingEstimator / ImageResizingTransformer; the pixel arithmetic is
// ImageOps' (bilinear, half-pixel centres, rounding halves away from zero).
//
// Saved as type id "PixelCnn.ML.ResizeImages", format version 1:
//   options: { "columns": [ { "output": "Image", "input": "Image", "width": 32, "height": 32,
//                             "resizing": "Fill" | "IsoCrop" | "IsoPad", "anchor": "Center" | "Left" | ... }, ... ] }
//   (no binary entries)
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Transforms.Image;

/// <summary>
/// Resizes images to a fixed width and height; create it with <c>ml.Transforms.ResizeImages</c>.
/// </summary>
/// <remarks>
/// | Characteristic | |
/// |---|---|
/// | Needs training | no |
/// | Input column | Image (any size) |
/// | Output column | Image&lt;height, width&gt;, same channel count as each input image |
/// | Native dependency | none |
/// | Saved with ml.Model.Save | yes |
///
/// <see cref="ResizingKind.Fill"/> stretches to the new size (<see cref="ImageOps.Resize"/>);
/// <see cref="ResizingKind.IsoCrop"/> keeps the aspect ratio, covers the new size and cuts off the rest on the sides
/// chosen by the <see cref="Anchor"/> (<see cref="ImageOps.ResizeIsoCrop"/>); <see cref="ResizingKind.IsoPad"/> keeps
/// the aspect ratio, fits inside the new size and pads the rest with black, centred
/// (<see cref="ImageOps.ResizeIsoPad"/>). An image already of the new size passes through unchanged.
/// The default is <see cref="ResizingKind.IsoCrop"/>, as in ML.NET.
/// </remarks>
public sealed class ImageResizingEstimator : TrivialEstimator<ImageResizingTransformer>
{
    /// <summary>How an image is fitted to the new size.</summary>
    public enum ResizingKind : byte
    {
        /// <summary>Keep the aspect ratio; fit inside and pad the rest with black.</summary>
        IsoPad = 0,

        /// <summary>Keep the aspect ratio; cover the new size and crop what sticks out.</summary>
        IsoCrop = 1,

        /// <summary>Stretch or squeeze to the new size, ignoring the aspect ratio.</summary>
        Fill = 2,
    }

    /// <summary>Which part of the image <see cref="ResizingKind.IsoCrop"/> keeps along the axis it crops:
    /// <see cref="Left"/>/<see cref="Right"/> apply when the width is cropped, <see cref="Top"/>/<see cref="Bottom"/>
    /// when the height is; otherwise the centre is kept.</summary>
    public enum Anchor : byte
    {
        Right = 0,
        Left = 1,
        Top = 2,
        Bottom = 3,
        Center = 4,
    }

    /// <summary>How one column is resized.</summary>
    public sealed class ColumnOptions
    {
        /// <summary>Resize <paramref name="inputColumnName"/> (default: <paramref name="name"/>) to
        /// <paramref name="imageWidth"/> x <paramref name="imageHeight"/> in column <paramref name="name"/>.</summary>
        /// <param name="name">The output column.</param>
        /// <param name="imageWidth">The new width, 1..<see cref="ImageCodec.MaxSide"/>.</param>
        /// <param name="imageHeight">The new height, 1..<see cref="ImageCodec.MaxSide"/>.</param>
        /// <param name="inputColumnName">The image column to resize; null for <paramref name="name"/>.</param>
        /// <param name="resizing">How the image is fitted to the new size.</param>
        /// <param name="anchor">What <see cref="ResizingKind.IsoCrop"/> keeps.</param>
        public ColumnOptions(string name, int imageWidth, int imageHeight, string? inputColumnName = null,
            ResizingKind resizing = ResizingKind.IsoCrop, Anchor anchor = Anchor.Center)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            CheckSide(imageWidth, nameof(imageWidth));
            CheckSide(imageHeight, nameof(imageHeight));
            if (!Enum.IsDefined(resizing)) throw new ArgumentOutOfRangeException(nameof(resizing), resizing, "Unknown resizing kind.");
            if (!Enum.IsDefined(anchor)) throw new ArgumentOutOfRangeException(nameof(anchor), anchor, "Unknown crop anchor.");
            Name = name;
            InputColumnName = string.IsNullOrEmpty(inputColumnName) ? name : inputColumnName;
            ImageWidth = imageWidth;
            ImageHeight = imageHeight;
            Resizing = resizing;
            Anchor = anchor;
        }

        private static void CheckSide(int side, string name)
        {
            if (side < 1 || side > ImageCodec.MaxSide)
                throw new ArgumentOutOfRangeException(name, side, $"{name} must be 1..{ImageCodec.MaxSide}.");
        }

        /// <summary>The output column.</summary>
        public string Name { get; }

        /// <summary>The input image column.</summary>
        public string InputColumnName { get; }

        /// <summary>The new width in pixels.</summary>
        public int ImageWidth { get; }

        /// <summary>The new height in pixels.</summary>
        public int ImageHeight { get; }

        /// <summary>How the image is fitted to the new size.</summary>
        public ResizingKind Resizing { get; }

        /// <summary>What <see cref="ResizingKind.IsoCrop"/> keeps.</summary>
        public Anchor Anchor { get; }
    }

    internal ImageResizingEstimator(params ColumnOptions[] columns) : base(new ImageResizingTransformer(columns)) { }

    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return inputSchema.With(Transformer.Columns.Select(c =>
        {
            ImageColumns.Check(inputSchema, c.InputColumnName);
            return new SchemaShape.Column(c.Name, SchemaShape.VectorKind.Scalar, new ImageDataViewType(c.ImageHeight, c.ImageWidth), false);
        }).ToArray());
    }
}

/// <summary>The fitted ResizeImages transform; see <see cref="ImageResizingEstimator"/>.</summary>
public sealed class ImageResizingTransformer : OneToOneTransformerBase
{
    internal const string LoaderTypeId = "PixelCnn.ML.ResizeImages";
    private readonly ImageResizingEstimator.ColumnOptions[] _columns;

    internal ImageResizingTransformer(ImageResizingEstimator.ColumnOptions[] columns)
        : base((columns ?? throw new ArgumentNullException(nameof(columns))).Select(c => (c.Name, c.InputColumnName)))
    {
        _columns = columns.ToArray();
    }

    /// <summary>The resized columns.</summary>
    public IReadOnlyList<ImageResizingEstimator.ColumnOptions> Columns => _columns;

    private protected override DataViewType GetOutputType(int column, DataViewSchema.Column input)
    {
        ImageColumns.Check(input);
        return new ImageDataViewType(_columns[column].ImageHeight, _columns[column].ImageWidth);
    }

    private protected override Delegate MakeGetter(DataViewRow input, DataViewSchema.Column inputColumn, int column)
    {
        var read = ImageColumns.Reader(input, inputColumn, ImageColumns.Check(inputColumn));
        var o = _columns[column];
        return OncePerRow(input, () => Resize(read(), o));
    }

    private static MLImage Resize(MLImage image, ImageResizingEstimator.ColumnOptions o) => o.Resizing switch
    {
        ImageResizingEstimator.ResizingKind.Fill => ImageOps.Resize(image, o.ImageWidth, o.ImageHeight),
        ImageResizingEstimator.ResizingKind.IsoPad => ImageOps.ResizeIsoPad(image, o.ImageWidth, o.ImageHeight),
        _ => ImageOps.ResizeIsoCrop(image, o.ImageWidth, o.ImageHeight,
            o.Anchor switch { ImageResizingEstimator.Anchor.Left => 0, ImageResizingEstimator.Anchor.Right => 1, _ => 0.5 },
            o.Anchor switch { ImageResizingEstimator.Anchor.Top => 0, ImageResizingEstimator.Anchor.Bottom => 1, _ => 0.5 }),
    };

    public override string TypeId => LoaderTypeId;
    public override int FormatVersion => 1;

    private protected override void SaveColumn(int column, JsonObject item)
    {
        var o = _columns[column];
        item["width"] = o.ImageWidth;
        item["height"] = o.ImageHeight;
        item["resizing"] = o.Resizing.ToString();
        item["anchor"] = o.Anchor.ToString();
    }

    private static ImageResizingTransformer Load(ModelLoadContext ctx)
    {
        ctx.CheckFormatVersion(1);
        return new ImageResizingTransformer(LoadColumns(ctx).Select(c => new ImageResizingEstimator.ColumnOptions(
            c.Output, c.GetInt32("width"), c.GetInt32("height"), c.Input,
            c.GetEnum<ImageResizingEstimator.ResizingKind>("resizing"), c.GetEnum<ImageResizingEstimator.Anchor>("anchor"))).ToArray());
    }

#pragma warning disable CA2255 // registering the loader when the assembly loads is the point (see ModelLoaderRegistry)
    [ModuleInitializer]
    internal static void RegisterLoader() => ModelLoaderRegistry.Register(LoaderTypeId, Load);
#pragma warning restore CA2255
}

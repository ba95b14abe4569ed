// ConvertToImage: turns vectors of pixel values (CHW by default, as ExtractPixels writes them) back into images —
// generated samples, reconstructions, per-pixel maps. Mirrors ML.NET's VectorToImageConvertingEstimator /
// VectorToImageConvertingTransformer, with ML.NET's formula (value * scale - offset) but clamped and rounded.
//
// Saved as type id "PixelCnn.ML.ConvertToImage", format version 1:
//   options: { "columns": [ { "output": "Image", "input": "Pixels", "height": 28, "width": 28, "colors": "Rgb",
//              "order": "ARGB", "interleave": false, "offset": 0.0, "scale": 1.0 }, ... ] }   (no binary entries)
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;
using static PixelCnn.ML.Transforms.Image.ImagePixelExtractingEstimator;

namespace PixelCnn.ML.Transforms.Image;

/// <summary>
/// Converts vectors of pixel values into images; create it with <c>ml.Transforms.ConvertToImage</c>.
/// </summary>
/// <remarks>
/// | Characteristic | |
/// |---|---|
/// | Needs training | no |
/// | Input column | known-size vector of Single, Double or Byte with planes x height x width items |
/// | Output column | Image&lt;height, width&gt;: gray (1 channel) for <see cref="ColorBits.Grayscale"/>, else RGB |
/// | Native dependency | none |
/// | Saved with ml.Model.Save | yes |
///
/// Each sample is <c>value * scaleImage - offsetImage</c> (ML.NET's formula), rounded to the nearest integer (halves
/// away from zero) and clamped to 0..255; NaN becomes 0. So <c>ConvertToImage(scaleImage: 1 / s, offsetImage: -o)</c>
/// undoes <c>ExtractPixels(offsetImage: o, scaleImage: s)</c>, and the defaults take values in 0..255 as they are.
/// The planes are read in <see cref="ColorsOrder"/>, planar (CHW) unless interleaved (HWC); colours not present are 0
/// and an alpha plane is read but dropped (images here have no alpha). Deviations from ML.NET: values are clamped and
/// always rounded (ML.NET wraps out-of-range values and truncates unscaled ones), a Byte vector is scaled like the
/// others, <see cref="ColorBits.Grayscale"/> gives one-channel images, and there are no default colour arguments.
/// </remarks>
public sealed class VectorToImageConvertingEstimator : TrivialEstimator<VectorToImageConvertingTransformer>
{
    /// <summary>How one column is converted.</summary>
    public sealed class ColumnOptions
    {
        /// <summary>Convert the vectors of <paramref name="inputColumnName"/> (default: <paramref name="name"/>) into
        /// <paramref name="imageHeight"/> x <paramref name="imageWidth"/> images in column <paramref name="name"/>.</summary>
        /// <param name="name">The output column.</param>
        /// <param name="imageHeight">The image height, 1..<see cref="ImageCodec.MaxSide"/>.</param>
        /// <param name="imageWidth">The image width, 1..<see cref="ImageCodec.MaxSide"/>.</param>
        /// <param name="inputColumnName">The vector column; null for <paramref name="name"/>.</param>
        /// <param name="colorsPresent">The colours in the vector, one plane each; or <see cref="ColorBits.Grayscale"/> alone.</param>
        /// <param name="orderOfColors">The order of the planes.</param>
        /// <param name="interleavedColors">The vector is HWC (the colours of a pixel together) rather than CHW.</param>
        /// <param name="offsetImage">Subtracted after scaling.</param>
        /// <param name="scaleImage">Multiplies each value first; finite, non-zero.</param>
        public ColumnOptions(string name, int imageHeight, int imageWidth, string? inputColumnName = null,
            ColorBits colorsPresent = ColorBits.Rgb, ColorsOrder orderOfColors = ColorsOrder.ARGB, bool interleavedColors = false,
            float offsetImage = 0f, float scaleImage = 1f)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            if (imageHeight < 1 || imageHeight > ImageCodec.MaxSide)
                throw new ArgumentOutOfRangeException(nameof(imageHeight), imageHeight, $"imageHeight must be 1..{ImageCodec.MaxSide}.");
            if (imageWidth < 1 || imageWidth > ImageCodec.MaxSide)
                throw new ArgumentOutOfRangeException(nameof(imageWidth), imageWidth, $"imageWidth must be 1..{ImageCodec.MaxSide}.");
            PlaneOrder = GetPlanes(colorsPresent, orderOfColors, nameof(colorsPresent), nameof(orderOfColors));
            CheckScale(offsetImage, scaleImage, nameof(offsetImage), nameof(scaleImage));
            Name = name;
            InputColumnName = string.IsNullOrEmpty(inputColumnName) ? name : inputColumnName;
            ImageHeight = imageHeight;
            ImageWidth = imageWidth;
            ColorsPresent = colorsPresent;
            OrderOfColors = orderOfColors;
            InterleavedColors = interleavedColors;
            OffsetImage = offsetImage;
            ScaleImage = scaleImage;
        }

        /// <summary>The output column.</summary>
        public string Name { get; }

        /// <summary>The input vector column.</summary>
        public string InputColumnName { get; }

        /// <summary>The image height.</summary>
        public int ImageHeight { get; }

        /// <summary>The image width.</summary>
        public int ImageWidth { get; }

        /// <summary>The colours in the vector.</summary>
        public ColorBits ColorsPresent { get; }

        /// <summary>The order of the planes.</summary>
        public ColorsOrder OrderOfColors { get; }

        /// <summary>HWC instead of CHW.</summary>
        public bool InterleavedColors { get; }

        /// <summary>Subtracted after scaling.</summary>
        public float OffsetImage { get; }

        /// <summary>Multiplies each value first.</summary>
        public float ScaleImage { get; }

        /// <summary>The number of planes in the vector.</summary>
        public int Planes => PlaneOrder.Length;

        /// <summary>The vector size this column needs: planes x height x width.</summary>
        public int VectorSize => Planes * ImageHeight * ImageWidth;

        internal PixelPlane[] PlaneOrder { get; }

        internal string Expected(string itemType = "Single, Double or Byte") =>
            $"a vector of {itemType} with {Planes} x {ImageHeight} x {ImageWidth} = {VectorSize} items";
    }

    internal VectorToImageConvertingEstimator(params ColumnOptions[] columns) : base(new VectorToImageConvertingTransformer(columns)) { }

    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return inputSchema.With(Transformer.Columns.Select(c =>
        {
            var input = inputSchema.Find("input", c.InputColumnName);
            if (input.Kind != SchemaShape.VectorKind.Vector || input.IsKey || !VectorToImageConvertingTransformer.IsPixelItem(input.ItemType))
                throw SchemaErrors.Mismatch("input", c.InputColumnName, c.Expected(), input.GetTypeString());
            return new SchemaShape.Column(c.Name, SchemaShape.VectorKind.Scalar, new ImageDataViewType(c.ImageHeight, c.ImageWidth), false);
        }).ToArray());
    }
}

/// <summary>The fitted ConvertToImage transform; see <see cref="VectorToImageConvertingEstimator"/>.</summary>
public sealed class VectorToImageConvertingTransformer : OneToOneTransformerBase
{
    internal const string LoaderTypeId = "PixelCnn.ML.ConvertToImage";
    private readonly VectorToImageConvertingEstimator.ColumnOptions[] _columns;

    internal VectorToImageConvertingTransformer(VectorToImageConvertingEstimator.ColumnOptions[] columns)
        : base((columns ?? throw new ArgumentNullException(nameof(columns))).Select(c => (c.Name, c.InputColumnName)))
    {
        _columns = columns.ToArray();
    }

    /// <summary>The converted columns.</summary>
    public IReadOnlyList<VectorToImageConvertingEstimator.ColumnOptions> Columns => _columns;

    internal static bool IsPixelItem(DataViewType t) => t == NumberDataViewType.Single || t == NumberDataViewType.Double || t == NumberDataViewType.Byte;

    private protected override DataViewType GetOutputType(int column, DataViewSchema.Column input)
    {
        var o = _columns[column];
        if (input.Type is not VectorDataViewType { IsKnownSize: true } v || !IsPixelItem(v.ItemType))
            throw SchemaErrors.Mismatch("input", input.Name, o.Expected(), input.Type.ToString()!);
        if (v.Size != o.VectorSize)
            throw SchemaErrors.Mismatch("input", input.Name, o.Expected(v.ItemType.ToString()!), input.Type.ToString()!);
        return new ImageDataViewType(o.ImageHeight, o.ImageWidth);
    }

    private protected override Delegate MakeGetter(DataViewRow input, DataViewSchema.Column inputColumn, int column)
    {
        var o = _columns[column];
        var item = ((VectorDataViewType)inputColumn.Type).ItemType;
        return item == NumberDataViewType.Single ? Getter<float>(input, inputColumn, o)
            : item == NumberDataViewType.Double ? Getter<double>(input, inputColumn, o)
            : Getter<byte>(input, inputColumn, o);
    }

    private static ValueGetter<MLImage> Getter<T>(DataViewRow input, DataViewSchema.Column inputColumn, VectorToImageConvertingEstimator.ColumnOptions o)
        where T : INumberBase<T>
    {
        var get = input.GetGetter<VBuffer<T>>(inputColumn);
        var vector = default(VBuffer<T>);
        var samples = new byte[o.Planes][];
        for (int p = 0; p < samples.Length; p++) samples[p] = new byte[o.ImageHeight * o.ImageWidth];
        return OncePerRow(input, () =>
        {
            get(ref vector);
            if (vector.Length != o.VectorSize) throw RowError(inputColumn, input, $"the vector has {vector.Length} items, expected {o.VectorSize}.");
            var values = vector.GetValues();
            int n = o.ImageHeight * o.ImageWidth, planes = o.Planes;
            for (int p = 0; p < planes; p++)
            {
                var plane = samples[p];
                for (int i = 0; i < n; i++)
                    plane[i] = ToSample(double.CreateTruncating(values[o.InterleavedColors ? i * planes + p : p * n + i]), o.ScaleImage, o.OffsetImage);
            }
            return Compose(o, samples);
        });
    }

    private static byte ToSample(double value, float scale, float offset)
    {
        double v = value * scale - offset;
        return double.IsNaN(v) ? (byte)0 : (byte)Math.Clamp(Math.Round(v, MidpointRounding.AwayFromZero), 0, 255);
    }

    /// <summary>The image from its planes: gray for a single Gray plane, else RGB with absent colours 0.</summary>
    private static MLImage Compose(VectorToImageConvertingEstimator.ColumnOptions o, byte[][] planes)
    {
        int n = o.ImageHeight * o.ImageWidth;
        if (o.PlaneOrder is [PixelPlane.Gray]) return new MLImage(o.ImageWidth, o.ImageHeight, 1, planes[0]);
        var rgb = new byte[n * 3];
        for (int p = 0; p < planes.Length; p++)
        {
            if (o.PlaneOrder[p] == PixelPlane.Alpha) continue;
            int k = o.PlaneOrder[p] - PixelPlane.Red;
            var plane = planes[p];
            for (int i = 0; i < n; i++) rgb[3 * i + k] = plane[i];
        }
        return MLImage.Adopt(o.ImageWidth, o.ImageHeight, 3, rgb);
    }

    public override string TypeId => LoaderTypeId;
    public override int FormatVersion => 1;

    private protected override void SaveColumn(int column, JsonObject item)
    {
        var o = _columns[column];
        item["height"] = o.ImageHeight;
        item["width"] = o.ImageWidth;
        item["colors"] = o.ColorsPresent.ToString();
        item["order"] = o.OrderOfColors.ToString();
        item["interleave"] = o.InterleavedColors;
        item["offset"] = (double)o.OffsetImage;
        item["scale"] = (double)o.ScaleImage;
    }

    private static VectorToImageConvertingTransformer Load(ModelLoadContext ctx)
    {
        ctx.CheckFormatVersion(1);
        return new VectorToImageConvertingTransformer(LoadColumns(ctx).Select(c => new VectorToImageConvertingEstimator.ColumnOptions(
            c.Output, c.GetInt32("height"), c.GetInt32("width"), c.Input, c.GetEnum<ColorBits>("colors"), c.GetEnum<ColorsOrder>("order"),
            c.GetBoolean("interleave"), c.GetSingle("offset"), c.GetSingle("scale"))).ToArray());
    }

#pragma warning disable CA2255 // registering the loader when the assembly loads is the point (see ModelLoaderRegistry)
    [ModuleInitializer]
    internal static void RegisterLoader() => ModelLoaderRegistry.Register(LoaderTypeId, Load);
#pragma warning restore CA2255
}

// ExtractPixels: turns the images of a known-size Image column into vectors of their samples, planar (CHW) by default,
// as floats 0..255 (optionally offset and scaled) or bytes. Mirrors ML.NET's ImagePixelExtractingEstimator /
// ImagePixelExtractingTransformer, including the ColorBits / ColorsOrder options that ConvertToImage shares.
//
// Saved as type id "PixelCnn.ML.ExtractPixels", format version 1:
//   options: { "columns": [ { "output": "Pixels", "input": "Image", "colors": "Rgb" (a ColorBits name, "Red, Blue"
//              for combinations), "order": "ARGB", "interleave": false, "offset": 0.0, "scale": 1.0,
//              "outputAsFloat": true }, ... ] }   (no binary entries)
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Transforms.Image;

/// <summary>
/// Extracts the pixels of images into vectors; create it with <c>ml.Transforms.ExtractPixels</c>.
/// </summary>
/// <remarks>
/// | Characteristic | |
/// |---|---|
/// | Needs training | no |
/// | Input column | Image of known size (after ResizeImages, or an IDX/Fashion-MNIST Image column) |
/// | Output column | Vector&lt;Single or Byte, planes, height, width&gt; (planar), or &lt;height, width, planes&gt; (interleaved) |
/// | Native dependency | none |
/// | Saved with ml.Model.Save | yes |
///
/// The number of planes comes from the options, never from the images, so the output type is known before any image
/// is read: 3 for <see cref="ColorBits.Rgb"/> (the default), one per colour bit set, 1 for
/// <see cref="ColorBits.Grayscale"/>. Gray images give R = G = B; colour images asked for
/// <see cref="ColorBits.Grayscale"/> give their BT.601 gray (as ConvertToGrayscale); alpha is always 255 (images here
/// have no alpha channel). Float values are <c>(sample - offsetImage) * scaleImage</c>, as in ML.NET: the defaults give
/// 0..255. Deviations from ML.NET: <see cref="ColorBits.Grayscale"/> is an addition, and a non-default offset or scale
/// with byte output is an error (ML.NET ignores them silently).
/// </remarks>
public sealed class ImagePixelExtractingEstimator : TrivialEstimator<ImagePixelExtractingTransformer>
{
    /// <summary>Which colours become planes of the vector.</summary>
    [Flags]
    public enum ColorBits : byte
    {
        /// <summary>Alpha: always 255 here, images have no alpha channel.</summary>
        Alpha = 0x01,
        Red = 0x02,
        Green = 0x04,
        Blue = 0x08,
        Rgb = Red | Green | Blue,
        All = Alpha | Red | Green | Blue,

        /// <summary>One plane of gray (BT.601 for colour images). Not combinable with the others. Not in ML.NET.</summary>
        Grayscale = 0x10,
    }

    /// <summary>The order of the planes (only the colours asked for are kept, in this order).</summary>
    public enum ColorsOrder : byte
    {
        ARGB = 1,
        ARBG = 2,
        ABRG = 3,
        ABGR = 4,
        AGRB = 5,
        AGBR = 6,
    }

    /// <summary>How one column is extracted.</summary>
    public sealed class ColumnOptions
    {
        /// <summary>Extract the pixels of <paramref name="inputColumnName"/> (default: <paramref name="name"/>) into
        /// the vector column <paramref name="name"/>.</summary>
        /// <param name="name">The output column.</param>
        /// <param name="inputColumnName">The image column; null for <paramref name="name"/>.</param>
        /// <param name="colorsToExtract">The colours, one plane each; or <see cref="ColorBits.Grayscale"/> alone.</param>
        /// <param name="orderOfExtraction">The order of the planes.</param>
        /// <param name="interleavePixelColors">HWC (the colours of a pixel together) instead of CHW (one plane after the other).</param>
        /// <param name="offsetImage">Subtracted from each sample before scaling (float output only).</param>
        /// <param name="scaleImage">Multiplies each sample after the offset (float output only); finite, non-zero.</param>
        /// <param name="outputAsFloatArray">Single values (true) or the bytes themselves (false).</param>
        public ColumnOptions(string name, string? inputColumnName = null, ColorBits colorsToExtract = ColorBits.Rgb,
            ColorsOrder orderOfExtraction = ColorsOrder.ARGB, bool interleavePixelColors = false,
            float offsetImage = 0f, float scaleImage = 1f, bool outputAsFloatArray = true)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            PlaneOrder = GetPlanes(colorsToExtract, orderOfExtraction, nameof(colorsToExtract), nameof(orderOfExtraction));
            CheckScale(offsetImage, scaleImage, nameof(offsetImage), nameof(scaleImage));
            if (!outputAsFloatArray && (offsetImage != 0 || scaleImage != 1))
                throw new ArgumentException($"offsetImage ({offsetImage}) and scaleImage ({scaleImage}) apply to float output only; outputAsFloatArray is false.", nameof(outputAsFloatArray));
            Name = name;
            InputColumnName = string.IsNullOrEmpty(inputColumnName) ? name : inputColumnName;
            ColorsToExtract = colorsToExtract;
            OrderOfExtraction = orderOfExtraction;
            InterleavePixelColors = interleavePixelColors;
            OffsetImage = offsetImage;
            ScaleImage = scaleImage;
            OutputAsFloatArray = outputAsFloatArray;
        }

        /// <summary>The output column.</summary>
        public string Name { get; }

        /// <summary>The input image column.</summary>
        public string InputColumnName { get; }

        /// <summary>The colours extracted.</summary>
        public ColorBits ColorsToExtract { get; }

        /// <summary>The order of the planes.</summary>
        public ColorsOrder OrderOfExtraction { get; }

        /// <summary>HWC instead of CHW.</summary>
        public bool InterleavePixelColors { get; }

        /// <summary>Subtracted from each sample before scaling.</summary>
        public float OffsetImage { get; }

        /// <summary>Multiplies each sample after the offset.</summary>
        public float ScaleImage { get; }

        /// <summary>Single (true) or Byte (false) vectors.</summary>
        public bool OutputAsFloatArray { get; }

        /// <summary>The number of planes (channels) of the output.</summary>
        public int Planes => PlaneOrder.Length;

        internal PixelPlane[] PlaneOrder { get; }
    }

    /// <summary>What one plane of a pixel vector holds.</summary>
    internal enum PixelPlane
    {
        Alpha,
        Red,
        Green,
        Blue,
        Gray,
    }

    /// <summary>The planes of <paramref name="colors"/> in <paramref name="order"/> (as ML.NET's GetOrder: the letters of
    /// the order's name, keeping those whose colour is asked for); errors name the parameters.</summary>
    internal static PixelPlane[] GetPlanes(ColorBits colors, ColorsOrder order, string colorsName, string orderName)
    {
        if (!Enum.IsDefined(order)) throw new ArgumentOutOfRangeException(orderName, order, "Unknown colour order.");
        if (colors == ColorBits.Grayscale) return [PixelPlane.Gray];
        if (colors == 0 || (colors & ~ColorBits.All) != 0)
            throw new ArgumentOutOfRangeException(colorsName, colors, "Pick at least one of Alpha, Red, Green, Blue, or Grayscale alone.");
        var planes = new List<PixelPlane>(4);
        foreach (char letter in order.ToString())
        {
            var (bit, plane) = letter switch
            {
                'A' => (ColorBits.Alpha, PixelPlane.Alpha),
                'R' => (ColorBits.Red, PixelPlane.Red),
                'G' => (ColorBits.Green, PixelPlane.Green),
                _ => (ColorBits.Blue, PixelPlane.Blue),
            };
            if ((colors & bit) != 0) planes.Add(plane);
        }
        return planes.ToArray();
    }

    internal static void CheckScale(float offset, float scale, string offsetName, string scaleName)
    {
        if (!float.IsFinite(offset)) throw new ArgumentOutOfRangeException(offsetName, offset, $"{offsetName} must be finite.");
        if (!float.IsFinite(scale) || scale == 0) throw new ArgumentOutOfRangeException(scaleName, scale, $"{scaleName} must be finite and non-zero.");
    }

    internal ImagePixelExtractingEstimator(params ColumnOptions[] columns) : base(new ImagePixelExtractingTransformer(columns)) { }

    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return inputSchema.With(Transformer.Columns.Select(c =>
        {
            ImageColumns.Check(inputSchema, c.InputColumnName, needKnownSize: true);
            return new SchemaShape.Column(c.Name, SchemaShape.VectorKind.Vector, c.OutputAsFloatArray ? NumberDataViewType.Single : NumberDataViewType.Byte, false);
        }).ToArray());
    }
}

/// <summary>The fitted ExtractPixels transform; see <see cref="ImagePixelExtractingEstimator"/>.</summary>
public sealed class ImagePixelExtractingTransformer : OneToOneTransformerBase
{
    internal const string LoaderTypeId = "PixelCnn.ML.ExtractPixels";
    private readonly ImagePixelExtractingEstimator.ColumnOptions[] _columns;

    internal ImagePixelExtractingTransformer(ImagePixelExtractingEstimator.ColumnOptions[] columns)
        : base((columns ?? throw new ArgumentNullException(nameof(columns))).Select(c => (c.Name, c.InputColumnName)))
    {
        _columns = columns.ToArray();
    }

    /// <summary>The extracted columns.</summary>
    public IReadOnlyList<ImagePixelExtractingEstimator.ColumnOptions> Columns => _columns;

    private protected override DataViewType GetOutputType(int column, DataViewSchema.Column input)
    {
        var image = ImageColumns.Check(input, needKnownSize: true);
        var o = _columns[column];
        var item = o.OutputAsFloatArray ? NumberDataViewType.Single : NumberDataViewType.Byte;
        return o.InterleavePixelColors
            ? new VectorDataViewType(item, image.Height, image.Width, o.Planes)
            : new VectorDataViewType(item, o.Planes, image.Height, image.Width);
    }

    private protected override Delegate MakeGetter(DataViewRow input, DataViewSchema.Column inputColumn, int column)
    {
        var type = ImageColumns.Check(inputColumn, needKnownSize: true);
        var read = ImageColumns.Reader(input, inputColumn, type);
        var o = _columns[column];
        var plane = new byte[type.Height * type.Width];
        if (!o.OutputAsFloatArray) return Getter<byte>(read, o, plane, b => b);
        float offset = o.OffsetImage, scale = o.ScaleImage;
        return Getter(read, o, plane, b => (b - offset) * scale);
    }

    private static ValueGetter<VBuffer<T>> Getter<T>(Func<MLImage> read, ImagePixelExtractingEstimator.ColumnOptions o, byte[] plane, Func<byte, T> convert) =>
        (ref VBuffer<T> dst) =>
        {
            var image = read();
            var planes = o.PlaneOrder;
            int n = plane.Length, count = planes.Length;
            var editor = VBufferEditor.Create(ref dst, n * count);
            var values = editor.Values;
            for (int p = 0; p < count; p++)
            {
                FillPlane(image, planes[p], plane);
                if (o.InterleavePixelColors)
                    for (int i = 0; i < n; i++) values[i * count + p] = convert(plane[i]);
                else
                {
                    var dstPlane = values.Slice(p * n, n);
                    for (int i = 0; i < n; i++) dstPlane[i] = convert(plane[i]);
                }
            }
            dst = editor.Commit();
        };

    /// <summary>Writes one plane of <paramref name="image"/> (HWC, 1 or 3 channels) into <paramref name="dst"/>.</summary>
    private static void FillPlane(MLImage image, ImagePixelExtractingEstimator.PixelPlane plane, Span<byte> dst)
    {
        var src = image.Span;
        int c = image.Channels;
        switch (plane)
        {
            case ImagePixelExtractingEstimator.PixelPlane.Alpha:
                dst.Fill(255);
                break;
            case ImagePixelExtractingEstimator.PixelPlane.Gray when c == 3:
                for (int i = 0; i < dst.Length; i++) dst[i] = ImageOps.Luma(src[3 * i], src[3 * i + 1], src[3 * i + 2]);
                break;
            default:
                int k = c == 1 ? 0 : plane - ImagePixelExtractingEstimator.PixelPlane.Red;
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i * c + k];
                break;
        }
    }

    public override string TypeId => LoaderTypeId;
    public override int FormatVersion => 1;

    private protected override void SaveColumn(int column, JsonObject item)
    {
        var o = _columns[column];
        item["colors"] = o.ColorsToExtract.ToString();
        item["order"] = o.OrderOfExtraction.ToString();
        item["interleave"] = o.InterleavePixelColors;
        item["offset"] = (double)o.OffsetImage;
        item["scale"] = (double)o.ScaleImage;
        item["outputAsFloat"] = o.OutputAsFloatArray;
    }

    private static ImagePixelExtractingTransformer Load(ModelLoadContext ctx)
    {
        ctx.CheckFormatVersion(1);
        return new ImagePixelExtractingTransformer(LoadColumns(ctx).Select(c => new ImagePixelExtractingEstimator.ColumnOptions(
            c.Output, c.Input, c.GetEnum<ImagePixelExtractingEstimator.ColorBits>("colors"), c.GetEnum<ImagePixelExtractingEstimator.ColorsOrder>("order"),
            c.GetBoolean("interleave"), c.GetSingle("offset"), c.GetSingle("scale"), c.GetBoolean("outputAsFloat"))).ToArray());
    }

#pragma warning disable CA2255 // registering the loader when the assembly loads is the point (see ModelLoaderRegistry)
    [ModuleInitializer]
    internal static void RegisterLoader() => ModelLoaderRegistry.Register(LoaderTypeId, Load);
#pragma warning restore CA2255
}

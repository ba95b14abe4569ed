// ml.Transforms.LoadImages / ResizeImages / ConvertToGrayscale / ExtractPixels / ConvertToImage: the image transforms of
// Microsoft.ML.ImageAnalytics' ImageEstimatorsCatalog, over MLImage and the library's own codecs. Each has a flat
// overload (output column first, input column defaulting to the output's name) and one taking per-column options or
// pairs, for several columns at once.
using PixelCnn.ML.Transforms.Image;
using static PixelCnn.ML.Transforms.Image.ImagePixelExtractingEstimator;

namespace PixelCnn.ML;

/// <summary>The image transforms of <see cref="TransformsCatalog"/> (as ML.NET's ImageEstimatorsCatalog).</summary>
public static class ImageTransformsCatalog
{
    /// <summary>
    /// Loads the PNG or JPEG files named in the Text column <paramref name="inputColumnName"/> into the Image column
    /// <paramref name="outputColumnName"/>, decoding each when its value is read. Corrupt files fail with an
    /// <see cref="Imaging.InvalidImageException"/> naming the file. See <see cref="ImageLoadingEstimator"/>.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The Image column to create.</param>
    /// <param name="imageFolder">Folder relative paths are resolved against; null or empty to use the paths as they are.
    /// Absolute paths ignore it.</param>
    /// <param name="inputColumnName">The Text column of paths; null for <paramref name="outputColumnName"/>.</param>
    public static ImageLoadingEstimator LoadImages(this TransformsCatalog catalog, string outputColumnName, string? imageFolder, string? inputColumnName = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImageLoadingEstimator(imageFolder, Pair(outputColumnName, inputColumnName));
    }

    /// <summary>Loads images for several (output, input) column pairs; see
    /// <see cref="LoadImages(TransformsCatalog, string, string?, string?)"/>.</summary>
    public static ImageLoadingEstimator LoadImages(this TransformsCatalog catalog, string? imageFolder, params InputOutputColumnPair[] columns)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImageLoadingEstimator(imageFolder, Pairs(columns));
    }

    /// <summary>
    /// Resizes the images of <paramref name="inputColumnName"/> to <paramref name="imageWidth"/> x
    /// <paramref name="imageHeight"/> into <paramref name="outputColumnName"/>, whose type then knows its size. See
    /// <see cref="ImageResizingEstimator"/>.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The Image column to create.</param>
    /// <param name="imageWidth">The new width.</param>
    /// <param name="imageHeight">The new height.</param>
    /// <param name="inputColumnName">The Image column to resize; null for <paramref name="outputColumnName"/>.</param>
    /// <param name="resizing">Keep the aspect ratio and crop (<see cref="ImageResizingEstimator.ResizingKind.IsoCrop"/>, the
    /// default, as in ML.NET) or pad (IsoPad), or stretch (Fill).</param>
    /// <param name="cropAnchor">What IsoCrop keeps.</param>
    public static ImageResizingEstimator ResizeImages(this TransformsCatalog catalog, string outputColumnName, int imageWidth, int imageHeight,
        string? inputColumnName = null, ImageResizingEstimator.ResizingKind resizing = ImageResizingEstimator.ResizingKind.IsoCrop,
        ImageResizingEstimator.Anchor cropAnchor = ImageResizingEstimator.Anchor.Center)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImageResizingEstimator(new ImageResizingEstimator.ColumnOptions(outputColumnName, imageWidth, imageHeight, inputColumnName, resizing, cropAnchor));
    }

    /// <summary>Resizes several columns, each with its own options.</summary>
    public static ImageResizingEstimator ResizeImages(this TransformsCatalog catalog, params ImageResizingEstimator.ColumnOptions[] columnOptions)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImageResizingEstimator(Options(columnOptions));
    }

    /// <summary>Converts the images of <paramref name="inputColumnName"/> to one-channel gray images in
    /// <paramref name="outputColumnName"/> (BT.601). See <see cref="ImageGrayscalingEstimator"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The Image column to create.</param>
    /// <param name="inputColumnName">The Image column to convert; null for <paramref name="outputColumnName"/>.</param>
    public static ImageGrayscalingEstimator ConvertToGrayscale(this TransformsCatalog catalog, string outputColumnName, string? inputColumnName = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImageGrayscalingEstimator(Pair(outputColumnName, inputColumnName));
    }

    /// <summary>Converts several (output, input) column pairs to grayscale.</summary>
    public static ImageGrayscalingEstimator ConvertToGrayscale(this TransformsCatalog catalog, params InputOutputColumnPair[] columns)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImageGrayscalingEstimator(Pairs(columns));
    }

    /// <summary>
    /// Extracts the pixels of the known-size images of <paramref name="inputColumnName"/> into the vector column
    /// <paramref name="outputColumnName"/>: by default CHW Single values 0..255 with 3 planes (R, G, B; gray images give
    /// three equal planes), type Vector&lt;Single, 3, height, width&gt;, as ML.NET. See <see cref="ImagePixelExtractingEstimator"/>.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The vector column to create.</param>
    /// <param name="inputColumnName">The Image column, of known size (use ResizeImages first); null for <paramref name="outputColumnName"/>.</param>
    /// <param name="colorsToExtract">The colours, one plane each; <see cref="ColorBits.Grayscale"/> for a single gray plane.</param>
    /// <param name="orderOfExtraction">The order of the planes.</param>
    /// <param name="interleavePixelColors">HWC instead of CHW.</param>
    /// <param name="offsetImage">Subtracted from each sample first (float output only).</param>
    /// <param name="scaleImage">Multiplies each sample after the offset (float output only).</param>
    /// <param name="outputAsFloatArray">Single (true) or Byte (false) values.</param>
    public static ImagePixelExtractingEstimator ExtractPixels(this TransformsCatalog catalog, string outputColumnName, string? inputColumnName = null,
        ColorBits colorsToExtract = ColorBits.Rgb, ColorsOrder orderOfExtraction = ColorsOrder.ARGB, bool interleavePixelColors = false,
        float offsetImage = 0f, float scaleImage = 1f, bool outputAsFloatArray = true)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImagePixelExtractingEstimator(new ImagePixelExtractingEstimator.ColumnOptions(outputColumnName, inputColumnName,
            colorsToExtract, orderOfExtraction, interleavePixelColors, offsetImage, scaleImage, outputAsFloatArray));
    }

    /// <summary>Extracts the pixels of several columns, each with its own options.</summary>
    public static ImagePixelExtractingEstimator ExtractPixels(this TransformsCatalog catalog, params ImagePixelExtractingEstimator.ColumnOptions[] columnOptions)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImagePixelExtractingEstimator(Options(columnOptions));
    }

    /// <summary>
    /// Converts the pixel vectors of <paramref name="inputColumnName"/> (planes x height x width values, CHW unless
    /// interleaved) into <paramref name="imageHeight"/> x <paramref name="imageWidth"/> images in
    /// <paramref name="outputColumnName"/>: each sample is <c>value * scaleImage - offsetImage</c>, rounded and clamped to
    /// 0..255. See <see cref="VectorToImageConvertingEstimator"/>.
    /// </summary>
    /// <remarks>Deviation from ML.NET: the output column comes first, as in every other transform (ML.NET's
    /// ConvertToImage takes the height and width first); pass arguments by name to write code that reads the same on both.</remarks>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The Image column to create.</param>
    /// <param name="imageHeight">The image height.</param>
    /// <param name="imageWidth">The image width.</param>
    /// <param name="inputColumnName">The vector column (Single, Double or Byte); null for <paramref name="outputColumnName"/>.</param>
    /// <param name="colorsPresent">The colours in the vector; <see cref="ColorBits.Grayscale"/> for gray images.</param>
    /// <param name="orderOfColors">The order of the planes.</param>
    /// <param name="interleavedColors">The vector is HWC rather than CHW.</param>
    /// <param name="offsetImage">Subtracted after scaling.</param>
    /// <param name="scaleImage">Multiplies each value first.</param>
    public static VectorToImageConvertingEstimator ConvertToImage(this TransformsCatalog catalog, string outputColumnName, int imageHeight, int imageWidth,
        string? inputColumnName = null, ColorBits colorsPresent = ColorBits.Rgb, ColorsOrder orderOfColors = ColorsOrder.ARGB,
        bool interleavedColors = false, float offsetImage = 0f, float scaleImage = 1f)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new VectorToImageConvertingEstimator(new VectorToImageConvertingEstimator.ColumnOptions(outputColumnName, imageHeight, imageWidth,
            inputColumnName, colorsPresent, orderOfColors, interleavedColors, offsetImage, scaleImage));
    }

    /// <summary>Converts several vector columns to images, each with its own options.</summary>
    public static VectorToImageConvertingEstimator ConvertToImage(this TransformsCatalog catalog, params VectorToImageConvertingEstimator.ColumnOptions[] columnOptions)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new VectorToImageConvertingEstimator(Options(columnOptions));
    }

    private static (string, string)[] Pair(string outputColumnName, string? inputColumnName)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        return [(outputColumnName, string.IsNullOrEmpty(inputColumnName) ? outputColumnName : inputColumnName)];
    }

    private static (string, string)[] Pairs(InputOutputColumnPair[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Length == 0) throw new ArgumentException("At least one column pair is needed.", nameof(columns));
        return columns.Select(c => (c?.OutputColumnName ?? throw new ArgumentException("A column pair is null.", nameof(columns)), c.InputColumnName)).ToArray();
    }

    private static T[] Options<T>(T[] columnOptions) where T : class
    {
        ArgumentNullException.ThrowIfNull(columnOptions);
        if (columnOptions.Length == 0) throw new ArgumentException("At least one column's options are needed.", nameof(columnOptions));
        if (columnOptions.Any(o => o == null)) throw new ArgumentException("A column's options are null.", nameof(columnOptions));
        return columnOptions.ToArray();
    }
}

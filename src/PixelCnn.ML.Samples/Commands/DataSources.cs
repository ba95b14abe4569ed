// The data a command reads, named on the command line:
//   fashion-mnist[:train|test]   the built-in Fashion-MNIST (Debian package dataset-fashion-mnist)
//   idx:IMAGES[,LABELS]          MNIST-format IDX images, with or without a labels file (gzip or plain)
//   a folder                     images (PNG/JPEG), labelled by sub-folder, resized and converted
// Each yields a data view whose "Pixels" column holds CHW pixels 0..255. Folders go through the hardened loader
// (unreadable files flag their row: ImageError column) and ML.NET's ResizeImages and ExtractPixels.

using PixelCnn.ML.Components;
using static Microsoft.ML.Transforms.Image.ImagePixelExtractingEstimator;

namespace PixelCnn.ML.Samples.Commands;

internal sealed record DataSource(IDataView Rows, string Description, bool IsFolder, string? Folder);

internal static class DataSources
{
    public const string Help = "fashion-mnist[:train|test], idx:IMAGES[,LABELS], or a folder of PNG/JPEG images (sub-folders = labels)";

    /// <summary>Fashion-MNIST or IDX files as the data catalog's rows (Pixels, Label, LabelIndex).</summary>
    public static IDataView OpenTable(MLContext ml, string spec, int? take = null)
    {
        if (spec.StartsWith("fashion-mnist", StringComparison.OrdinalIgnoreCase) || spec.StartsWith("idx:", StringComparison.OrdinalIgnoreCase))
            return Open(ml, spec, take, 0, grayscale: true).Rows;
        throw new ArgumentException($"--data {spec}: expected {Help}");
    }

    public static DataSource Open(MLContext ml, string spec, int? take, int imageSize, bool grayscale, FashionMnistSplit defaultSplit = FashionMnistSplit.Train)
    {
        if (spec.StartsWith("fashion-mnist", StringComparison.OrdinalIgnoreCase))
        {
            var split = spec.Contains(':') ? Enum.Parse<FashionMnistSplit>(spec.Split(':', 2)[1], ignoreCase: true) : defaultSplit;
            return new DataSource(ml.Data.LoadFashionMnist(split, take), $"Fashion-MNIST {split.ToString().ToLowerInvariant()}", false, null);
        }
        if (spec.StartsWith("idx:", StringComparison.OrdinalIgnoreCase))
        {
            var parts = spec[4..].Split(',', 2);
            if (parts[0].Length == 0 || parts is [_, ""]) throw new ArgumentException($"--data {spec}: expected idx:IMAGES or idx:IMAGES,LABELS");
            return new DataSource(ml.Data.LoadFromIdx(parts[0], parts.Length == 2 ? parts[1] : null, take), $"IDX {parts[0]}", false, null);
        }
        if (!Directory.Exists(spec)) throw new DirectoryNotFoundException($"--data {spec}: no such folder (expected {Help})");
        IDataView files = ml.Data.LoadImagesFromFolder(spec);
        if (take is { } t) files = ml.Data.TakeRows(files, t);
        var load = ml.Transforms.LoadImagesSafely("Image", null, "ImagePath", new SafeImageLoadingOptions { OnError = ImageErrorPolicy.FlagRow })
            .Append(ml.Transforms.ResizeImages("Image", imageSize, imageSize));
        // ML.NET extracts one channel of a grey image by taking its red channel after ConvertToGrayscale.
        var pixels = (grayscale
                ? load.Append(ml.Transforms.ConvertToGrayscale("Image")).Append(ml.Transforms.ExtractPixels("Pixels", "Image", colorsToExtract: ColorBits.Red))
                : load.Append(ml.Transforms.ExtractPixels("Pixels", "Image", colorsToExtract: ColorBits.Rgb)))
            .Fit(files).Transform(files);
        return new DataSource(pixels, $"folder {spec}", true, spec);
    }
}

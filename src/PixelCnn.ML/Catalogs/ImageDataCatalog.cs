// ml.Data's image sources and sinks: a folder of image files (one class per sub-folder), IDX files and the installed
// Fashion-MNIST as data views; sample grids and one PNG per row out of an image column. Files are written atomically
// (ImageCodec.SavePng), so an interrupted run never leaves a half-written PNG behind.
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML;

/// <summary>Image data sources and image writers on <see cref="DataOperationsCatalog"/>.</summary>
public static class ImageDataCatalog
{
    /// <summary>The file extensions <see cref="LoadImagesFromFolder"/> lists by default: the formats the decoders read.</summary>
    public static IReadOnlyList<string> DefaultImageExtensions { get; } = Array.AsReadOnly([".png", ".jpg", ".jpeg"]);

    /// <summary>Cell padding of <see cref="SaveImageGrid"/>, in pixels, between cells and around the grid.</summary>
    public const int GridPadding = 2;

    /// <summary>
    /// The image files under <paramref name="folder"/> as a data view with columns <c>ImagePath</c> (Text: the file's
    /// full path) and, when <paramref name="useFolderNameAsLabel"/>, <c>Label</c> (Text: the name of the folder that
    /// holds the file — its class sub-folder). Rows are sorted by path (ordinal), so the order is the same on every run
    /// and machine. Full paths make <c>ml.Transforms.LoadImages(..., imageFolder, "ImagePath")</c> work whatever folder
    /// it is given (absolute paths ignore the folder), including this one or null. Hidden files and folders are skipped.
    /// The folder is listed once, now; the images are read later, by LoadImages.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="folder">The folder to list.</param>
    /// <param name="useFolderNameAsLabel">Add the Label column.</param>
    /// <param name="extensions">File extensions to keep, with or without the dot, any case; null for
    /// <see cref="DefaultImageExtensions"/>.</param>
    /// <param name="recursive">Also list sub-folders (at any depth).</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidOperationException">No file with one of the extensions was found.</exception>
    public static IDataView LoadImagesFromFolder(this DataOperationsCatalog catalog, string folder, bool useFolderNameAsLabel = true,
        string[]? extensions = null, bool recursive = true)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"Image folder '{folder}' does not exist (looked at {full}).");
        var wanted = (extensions ?? DefaultImageExtensions.ToArray()).Select(e =>
            string.IsNullOrWhiteSpace(e) ? throw new ArgumentException("Extensions cannot be empty.", nameof(extensions)) : e.StartsWith('.') ? e : "." + e)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (wanted.Count == 0) throw new ArgumentException("At least one extension is needed.", nameof(extensions));
        var files = Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = recursive })
            .Where(f => wanted.Contains(Path.GetExtension(f)))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
            throw new InvalidOperationException($"No image files ({string.Join(", ", wanted.Order(StringComparer.Ordinal))}) in folder '{folder}'{(recursive ? " or its sub-folders" : "")}.");
        var b = new ArrayDataViewBuilder().AddColumn("ImagePath", files);
        if (useFolderNameAsLabel) b.AddColumn("Label", files.Select(f => Path.GetFileName(Path.GetDirectoryName(f)!)).ToArray());
        return b.Build();
    }

    /// <summary>
    /// Images and labels from a pair of IDX files (MNIST layout, plain or gzip) as a data view with columns
    /// <c>Image</c> (Image&lt;rows, columns&gt;, gray), <c>Pixels</c> (Vector&lt;Single, 1, rows, columns&gt;, CHW values
    /// 0..255), <c>Label</c> (Key&lt;UInt32, 10&gt;: a label byte d is the key d + 1, 0 being ML.NET's "missing"; the
    /// count widens to 256 when a label is 10 or more) and <c>LabelIndex</c> (Int32: d itself). The files are read and
    /// checked now; the columns are computed from the bytes when read.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="imagesPath">The IDX images file.</param>
    /// <param name="labelsPath">The IDX labels file (same count).</param>
    /// <param name="take">Read only the first <paramref name="take"/> items (all when null).</param>
    /// <exception cref="InvalidDataException">A file is malformed, or the counts differ.</exception>
    public static IDataView LoadFromIdx(this DataOperationsCatalog catalog, string imagesPath, string labelsPath, int? take = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new IdxDataView(IdxDataset.Load(imagesPath, labelsPath, take));
    }

    /// <summary>
    /// A split of Fashion-MNIST, the built-in sample data set, read from the files of the Debian package
    /// dataset-fashion-mnist (or <see cref="FashionMnist.DirectoryVariable"/>): the columns of
    /// <see cref="LoadFromIdx"/> with 28 x 28 images and a <c>Label</c> of Key&lt;UInt32, 10&gt; whose key values
    /// (annotation KeyValues) are the class names of <see cref="FashionMnist.ClassNames"/>.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="split">Train (60,000 images) or Test (10,000).</param>
    /// <param name="take">Read only the first <paramref name="take"/> items (all when null).</param>
    /// <exception cref="FileNotFoundException">The data set is not installed.</exception>
    public static IDataView LoadFashionMnist(this DataOperationsCatalog catalog, FashionMnistSplit split, int? take = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new IdxDataView(FashionMnist.Load(split, take), FashionMnist.ClassNames);
    }

    /// <summary>
    /// Writes the images of column <paramref name="imageColumnName"/> as one PNG grid (atomically): rows of
    /// <paramref name="columns"/> cells, filled in row order, each image enlarged <paramref name="upscale"/> times
    /// (nearest neighbour), with <see cref="GridPadding"/> black pixels between cells and around the grid. The PNG is
    /// <c>c * (width * upscale + 2) + 2</c> pixels wide and <c>r * (height * upscale + 2) + 2</c> high for c = min(columns,
    /// images) and r = ceil(images / c); gray unless an image is RGB.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="data">The data.</param>
    /// <param name="imageColumnName">An Image column; its images must all have one size.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="columns">Cells per row.</param>
    /// <param name="upscale">Enlargement of each image, for viewing small images.</param>
    /// <param name="maxImages">Draw only the first <paramref name="maxImages"/> images (all when null).</param>
    public static void SaveImageGrid(this DataOperationsCatalog catalog, IDataView data, string imageColumnName, string path,
        int columns = 10, int upscale = 1, int? maxImages = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(upscale, 1);
        if (maxImages is < 1) throw new ArgumentOutOfRangeException(nameof(maxImages), maxImages, "maxImages must be at least 1.");
        var images = new List<MLImage>();
        foreach (var (image, row) in ReadImages(data, imageColumnName))
        {
            if (images.Count == maxImages) break;
            if (images.Count > 0 && (image.Width != images[0].Width || image.Height != images[0].Height))
                throw new InvalidOperationException($"Column '{imageColumnName}', row {row}: the image is {image.Width}x{image.Height} but the first is {images[0].Width}x{images[0].Height}; a grid needs images of one size (use ResizeImages).");
            images.Add(image);
        }
        if (images.Count == 0) throw new InvalidOperationException($"Column '{imageColumnName}' has no rows: there is nothing to draw.");
        int cols = Math.Min(columns, images.Count), rows = (images.Count + cols - 1) / cols;
        long width = (long)cols * (images[0].Width * (long)upscale + GridPadding) + GridPadding;
        long height = (long)rows * (images[0].Height * (long)upscale + GridPadding) + GridPadding;
        if (width > ImageCodec.MaxSide || height > ImageCodec.MaxSide)
            throw new ArgumentException($"A grid of {images.Count} images of {images[0].Width}x{images[0].Height} in {cols} columns, upscaled {upscale} times, is {width}x{height} pixels; PNGs are limited to {ImageCodec.MaxSide} per side. Pass a smaller maxImages, columns or upscale.", nameof(maxImages));
        var cells = upscale == 1 ? images : images.Select(i => ImageGrid.Upscale(i, upscale)).ToList();
        ImageCodec.SavePng(ImageGrid.Tile(cells, cols, GridPadding), path);
    }

    /// <summary>
    /// Writes each image of column <paramref name="imageColumnName"/> as a PNG file in <paramref name="folder"/>
    /// (created if needed; each file written atomically) and returns the paths, in row order. Files are named after
    /// the Text column <paramref name="fileNameColumnName"/> — its file name without folder or extension, plus ".png",
    /// so an ImagePath column works — or, when it is null, after the row number ("000000.png", "000001.png", ...).
    /// Two rows naming the same file is an error (nothing is overwritten within one call).
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="data">The data.</param>
    /// <param name="imageColumnName">An Image column.</param>
    /// <param name="folder">The folder to write to.</param>
    /// <param name="fileNameColumnName">A Text column naming each row's file; null to number the files.</param>
    public static IReadOnlyList<string> SaveImages(this DataOperationsCatalog catalog, IDataView data, string imageColumnName, string folder,
        string? fileNameColumnName = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string[]? names = null;
        if (fileNameColumnName != null)
        {
            var c = SchemaErrors.Find(data.Schema, "file name", fileNameColumnName);
            if (c.Type is not TextDataViewType) throw SchemaErrors.Mismatch("file name", fileNameColumnName, "Text", c.Type.ToString()!);
            names = data.GetColumn<string>(c).Select((n, row) =>
                Path.GetFileNameWithoutExtension(n) is { Length: > 0 } stem && stem.Trim().Length > 0 ? stem + ".png"
                : throw new InvalidOperationException($"Column '{fileNameColumnName}', row {row}: '{n}' names no file.")).ToArray();
        }
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        var rowOfName = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (image, row) in ReadImages(data, imageColumnName))
        {
            if (names != null && row >= names.Length)
                throw new InvalidOperationException($"Column '{imageColumnName}' has more rows than column '{fileNameColumnName}' ({names.Length}): the data view is not stable across cursors.");
            var name = names?[row] ?? $"{row:D6}.png";
            if (!rowOfName.TryAdd(name, row))
                throw new InvalidOperationException($"Column '{fileNameColumnName}': rows {rowOfName[name]} and {row} both name the file '{name}'.");
            var path = Path.Combine(folder, name);
            ImageCodec.SavePng(image, path);
            written.Add(path);
        }
        return written;
    }

    /// <summary>The images of an Image column with their row numbers, read lazily.</summary>
    private static IEnumerable<(MLImage Image, long Row)> ReadImages(IDataView data, string imageColumnName)
    {
        var column = SchemaErrors.Find(data.Schema, "image", imageColumnName);
        if (column.Type is not ImageDataViewType) throw SchemaErrors.Mismatch("image", imageColumnName, "Image", column.Type.ToString()!);
        return Read(data, column);

        static IEnumerable<(MLImage, long)> Read(IDataView data, DataViewSchema.Column column)
        {
            using var cursor = data.GetRowCursor([column]);
            var getter = cursor.GetGetter<MLImage>(column);
            MLImage image = null!;
            while (cursor.MoveNext())
            {
                getter(ref image);
                yield return (image ?? throw new InvalidOperationException($"Column '{column.Name}', row {cursor.Position}: the image is missing (null)."), cursor.Position);
            }
        }
    }
}

// Data sources on ML.NET's data catalog: a folder of image files (one class per sub-folder) as ImagePath/Label rows for
// ML.NET's image chain, and IDX files or the installed Fashion-MNIST as real IDataViews with a known-size pixel
// vector [1, H, W] and a key label whose key values are the class names.
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

/// <summary>Image data sources on ML.NET's <see cref="DataOperationsCatalog"/>.</summary>
public static class ImageDataCatalog
{
    /// <summary>The file extensions <see cref="LoadImagesFromFolder"/> lists by default: the formats the decoders read.</summary>
    public static IReadOnlyList<string> DefaultImageExtensions { get; } = Array.AsReadOnly([".png", ".jpg", ".jpeg"]);

    /// <summary>One image file: its full path and the name of the folder holding it.</summary>
    public sealed class ImageFile
    {
        public string ImagePath = "";
        public string Label = "";
    }

    /// <summary>
    /// The image files under <paramref name="folder"/>, sorted by path (ordinal), with their class sub-folder names:
    /// rows for <c>ml.Data.LoadFromEnumerable</c> and then <c>ml.Transforms.LoadImages</c> or <c>LoadImagesSafely</c>.
    /// Paths are full, so any image folder (or none) works in the loader. Hidden files are skipped.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidOperationException">No file with one of the extensions was found.</exception>
    public static IReadOnlyList<ImageFile> ListImageFiles(string folder, string[]? extensions = null, bool recursive = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"Image folder '{folder}' does not exist (looked at {full}).");
        var wanted = (extensions ?? DefaultImageExtensions.ToArray()).Select(e =>
            string.IsNullOrWhiteSpace(e) ? throw new ArgumentException("Extensions cannot be empty.", nameof(extensions)) : e.StartsWith('.') ? e : "." + e)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var files = Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = recursive })
            .Where(f => wanted.Contains(Path.GetExtension(f)))
            .Order(StringComparer.Ordinal)
            .Select(f => new ImageFile { ImagePath = f, Label = Path.GetFileName(Path.GetDirectoryName(f)!) })
            .ToList();
        if (files.Count == 0)
            throw new InvalidOperationException($"No image files ({string.Join(", ", wanted.Order(StringComparer.Ordinal))}) in folder '{folder}'{(recursive ? " or its sub-folders" : "")}.");
        return files;
    }

    /// <summary>
    /// The image files under <paramref name="folder"/> as a data view with columns <c>ImagePath</c> (String, full path)
    /// and <c>Label</c> (String, the class sub-folder's name); see <see cref="ListImageFiles"/>.
    /// </summary>
    public static IDataView LoadImagesFromFolder(this DataOperationsCatalog catalog, string folder, string[]? extensions = null, bool recursive = true)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.LoadFromEnumerable(ListImageFiles(folder, extensions, recursive));
    }

    /// <summary>
    /// Images (and labels) of IDX files (MNIST layout, plain or gzip) as a data view with columns <c>Pixels</c>
    /// (Vector&lt;Single, 1, rows, columns&gt;: CHW values 0..255, what the PixelCNN components read) and, when
    /// <paramref name="labelsPath"/> is given, <c>Label</c> (Key&lt;UInt32&gt;: label byte d is key d + 1, ML.NET's
    /// convention; 10 classes, or 256 when a label is 10 or more) and <c>LabelIndex</c> (Int32: d itself). Without a
    /// labels file the view has the <c>Pixels</c> column only. The files are read and checked now.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is malformed, or the counts differ.</exception>
    public static IDataView LoadFromIdx(this DataOperationsCatalog catalog, string imagesPath, string? labelsPath = null, int? take = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(imagesPath);
        return FromIdx(catalog, IdxDataset.Load(imagesPath, labelsPath, take), null);
    }

    /// <summary>
    /// A split of Fashion-MNIST, read from the files of the Debian package dataset-fashion-mnist (or
    /// <see cref="FashionMnist.DirectoryVariable"/>): the columns of <see cref="LoadFromIdx"/> with 1 x 28 x 28 pixels and
    /// a <c>Label</c> of Key&lt;UInt32, 10&gt; whose key values are <see cref="FashionMnist.ClassNames"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The data set is not installed.</exception>
    public static IDataView LoadFashionMnist(this DataOperationsCatalog catalog, FashionMnistSplit split, int? take = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return FromIdx(catalog, FashionMnist.Load(split, take), FashionMnist.ClassNames);
    }

    /// <summary>A row of an IDX data view (ML.NET reads the key field <see cref="Label"/> as 0-based: its key value is Label + 1).</summary>
    public sealed class IdxRow
    {
        public float[] Pixels = [];
        public uint Label;
        public int LabelIndex;
    }

    /// <summary>A row of an unlabelled IDX data view.</summary>
    private sealed class IdxImageRow
    {
        public float[] Pixels = [];
    }

    private static IDataView FromIdx(DataOperationsCatalog catalog, IdxDataset data, IReadOnlyList<string>? classNames)
    {
        if (!data.HasLabels)
        {
            var imagesOnly = SchemaDefinition.Create(typeof(IdxImageRow));
            imagesOnly[nameof(IdxImageRow.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, data.Rows, data.Columns);
            return catalog.LoadFromEnumerable(Rows(data).Select(r => new IdxImageRow { Pixels = r.Pixels }), imagesOnly);
        }
        int classes = classNames?.Count ?? (data.Labels.Length == 0 || data.Labels.Max() < 10 ? 10 : 256);
        var schema = SchemaDefinition.Create(typeof(IdxRow));
        schema[nameof(IdxRow.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, data.Rows, data.Columns);
        schema[nameof(IdxRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), classes);
        if (classNames is not null)
        {
            var names = new VBuffer<ReadOnlyMemory<char>>(classes, classNames.Select(n => n.AsMemory()).ToArray());
            schema[nameof(IdxRow.Label)].AddAnnotation(AnnotationUtils.Kinds.KeyValues, names, new VectorDataViewType(TextDataViewType.Instance, classes));
        }
        return catalog.LoadFromEnumerable(Rows(data), schema);
    }

    private static IEnumerable<IdxRow> Rows(IdxDataset data)
    {
        int size = data.Rows * data.Columns;
        for (int i = 0; i < data.Count; i++)
        {
            var pixels = new float[size];
            var src = data.Images.AsSpan(i * size, size);
            for (int p = 0; p < size; p++) pixels[p] = src[p];
            byte label = data.HasLabels ? data.Labels[i] : (byte)0;
            yield return new IdxRow { Pixels = pixels, Label = label, LabelIndex = label };
        }
    }
}

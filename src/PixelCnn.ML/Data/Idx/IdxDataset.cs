namespace PixelCnn.ML.Data;

/// <summary>Images, and their labels when a labels file came with them, from IDX files (MNIST layout).</summary>
public sealed class IdxDataset
{
    /// <summary>Wraps an array of unlabelled images: count images of rows x columns bytes. The array is not copied.</summary>
    public IdxDataset(int rows, int columns, byte[] images)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentNullException.ThrowIfNull(images);
        if (images.LongLength % ((long)rows * columns) != 0)
            throw new ArgumentException($"{images.LongLength} bytes are not a whole number of {columns}x{rows} images.", nameof(images));
        Rows = rows;
        Columns = columns;
        Images = images;
        Labels = [];
        Count = checked((int)(images.LongLength / ((long)rows * columns)));
    }

    /// <summary>Wraps arrays of images and labels; <paramref name="images"/> holds count images of
    /// rows x columns bytes, <paramref name="labels"/> one byte per image. The arrays are not copied.</summary>
    public IdxDataset(int rows, int columns, byte[] images, byte[] labels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.LongLength != (long)labels.Length * rows * columns)
            throw new ArgumentException(
                $"{labels.Length} labels need {(long)labels.Length * rows * columns} bytes of {columns}x{rows} images, got {images.LongLength}.",
                nameof(images));
        Rows = rows;
        Columns = columns;
        Images = images;
        Labels = labels;
        Count = labels.Length;
        HasLabels = true;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Whether the images came with a labels file (else <see cref="Labels"/> is empty).</summary>
    public bool HasLabels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Rows { get; }

    /// <summary>Image width in pixels.</summary>
    public int Columns { get; }

    /// <summary>Count * Rows * Columns bytes: image after image, each row-major, 0 = background.</summary>
    public byte[] Images { get; }

    /// <summary>One class index per image; empty when <see cref="HasLabels"/> is false.</summary>
    public byte[] Labels { get; }

    /// <summary>The pixels of image <paramref name="index"/>: Rows x Columns bytes, row-major.</summary>
    public ReadOnlyMemory<byte> GetPixels(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        int size = Rows * Columns;
        return Images.AsMemory(index * size, size);
    }

    /// <summary>Loads an images file and, when given, a labels file (each plain or gzip), and checks that their
    /// counts match before reading the data.</summary>
    /// <param name="imagesPath">IDX images file (magic 0x00000803).</param>
    /// <param name="labelsPath">IDX labels file (magic 0x00000801), or null for images without labels.</param>
    /// <param name="take">Read only the first <paramref name="take"/> items (all when null).</param>
    /// <exception cref="InvalidDataException">A file is malformed, or the counts differ.</exception>
    public static IdxDataset Load(string imagesPath, string? labelsPath, int? take = null)
    {
        using var images = IdxFile.Open(imagesPath, IdxReader.ImagesMagic);
        if (labelsPath is null)
        {
            var only = images.ReadImages(take);
            return new IdxDataset(only.Rows, only.Columns, only.Pixels);
        }
        using var labels = IdxFile.Open(labelsPath, IdxReader.LabelsMagic);
        if (labels.Count != images.Count)
            throw new InvalidDataException(
                $"label count {labels.Count} does not match image count {images.Count} ({labelsPath} vs {imagesPath})");
        var pixels = images.ReadImages(take);
        return new IdxDataset(pixels.Rows, pixels.Columns, pixels.Pixels, labels.ReadLabels(take));
    }
}

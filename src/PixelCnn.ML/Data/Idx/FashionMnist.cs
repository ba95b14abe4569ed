namespace PixelCnn.ML.Data;

/// <summary>The two parts of Fashion-MNIST: 60,000 training and 10,000 test images.</summary>
public enum FashionMnistSplit
{
    /// <summary>train-images-idx3-ubyte / train-labels-idx1-ubyte (60,000 items).</summary>
    Train,

    /// <summary>t10k-images-idx3-ubyte / t10k-labels-idx1-ubyte (10,000 items).</summary>
    Test,
}

/// <summary>
/// Fashion-MNIST (Zalando): 28x28 gray images of clothing in 10 classes, the embedded default
/// data set. Read from the files of the Debian package dataset-fashion-mnist; nothing is downloaded.
/// </summary>
public static class FashionMnist
{
    /// <summary>Environment variable that overrides <see cref="DefaultDirectory"/>.</summary>
    public const string DirectoryVariable = "PIXELCNN_FASHION_MNIST_DIR";

    /// <summary>Where the Debian package dataset-fashion-mnist installs the files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Image width and height.</summary>
    public const int ImageSide = 28;

    /// <summary>The folder searched by <see cref="Load"/>: $PIXELCNN_FASHION_MNIST_DIR when set,
    /// else <see cref="DebianDirectory"/>.</summary>
    public static string DefaultDirectory
    {
        get
        {
            var env = Environment.GetEnvironmentVariable(DirectoryVariable);
            return string.IsNullOrWhiteSpace(env) ? DebianDirectory : env;
        }
    }

    /// <summary>Class names by label index 0..9.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    });

    /// <summary>
    /// Loads a split: images as <c>byte[N*28*28]</c> (row-major, 0 = background) and labels as
    /// <c>byte[N]</c> with values 0..9. Files may be gzip-compressed (<c>.gz</c>, as Debian ships
    /// them) or plain (same name without <c>.gz</c>).
    /// </summary>
    /// <param name="split">Train or test.</param>
    /// <param name="take">Read only the first <paramref name="take"/> items (all when null).</param>
    /// <param name="directory">Folder holding the files; <see cref="DefaultDirectory"/> when null.</param>
    /// <exception cref="FileNotFoundException">The files are not there.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or not Fashion-MNIST shaped.</exception>
    public static IdxDataset Load(FashionMnistSplit split, int? take = null, string? directory = null)
    {
        var dir = directory ?? DefaultDirectory;
        var prefix = split switch
        {
            FashionMnistSplit.Train => "train",
            FashionMnistSplit.Test => "t10k",
            _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown Fashion-MNIST split."),
        };
        var images = Find(dir, $"{prefix}-images-idx3-ubyte");
        var labels = Find(dir, $"{prefix}-labels-idx1-ubyte");
        var data = IdxDataset.Load(images, labels, take);
        if (data.Rows != ImageSide || data.Columns != ImageSide)
            throw new InvalidDataException($"{images}: images are {data.Columns}x{data.Rows}; Fashion-MNIST images are {ImageSide}x{ImageSide}");
        int bad = Array.FindIndex(data.Labels, l => l >= ClassNames.Count);
        if (bad >= 0)
            throw new InvalidDataException($"{labels}: label {data.Labels[bad]} at index {bad} is not a Fashion-MNIST class (0..{ClassNames.Count - 1})");
        return data;
    }

    private static string Find(string dir, string name)
    {
        var gz = Path.Combine(dir, name + ".gz");
        if (File.Exists(gz)) return gz;
        var plain = Path.Combine(dir, name);
        if (File.Exists(plain)) return plain;
        throw new FileNotFoundException(
            $"Fashion-MNIST not found at {dir}: install the Debian package dataset-fashion-mnist or set {DirectoryVariable} " +
            $"(looked for {name}.gz and {name})", gz);
    }
}

// Reader for the IDX format of MNIST-style data sets: a big-endian header (magic 0x00000803 =
// unsigned-byte 3-D images, 0x00000801 = unsigned-byte 1-D labels, then one int32 per dimension)
// followed by the samples, optionally gzip-compressed (detected by the 1f 8b magic, not the name).
// Everything in the header is checked before any buffer is sized from it.
using System.Buffers.Binary;
using System.IO.Compression;

namespace PixelCnn.ML.Data;

/// <summary>The images of an IDX file: <see cref="Count"/> images of <see cref="Rows"/> x
/// <see cref="Columns"/> 8-bit gray pixels.</summary>
public sealed class IdxImages
{
    internal IdxImages(int count, int rows, int columns, byte[] pixels)
    {
        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
    }

    /// <summary>Number of images read.</summary>
    public int Count { get; }

    /// <summary>Image height in pixels.</summary>
    public int Rows { get; }

    /// <summary>Image width in pixels.</summary>
    public int Columns { get; }

    /// <summary>Count * Rows * Columns bytes: image after image, each row-major. A fresh array owned by the caller.</summary>
    public byte[] Pixels { get; }
}

/// <summary>Reads IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed.</summary>
/// <remarks>Errors are <see cref="InvalidDataException"/>s that name the file and the problem
/// (wrong magic number, zero or oversized dimensions, truncated data, trailing data, corrupt gzip).</remarks>
public static class IdxReader
{
    /// <summary>Magic number of an unsigned-byte, 3-dimensional (images) IDX file.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an unsigned-byte, 1-dimensional (labels) IDX file.</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Largest accepted image width or height.</summary>
    public const int MaxSide = 4096;

    /// <summary>Reads the images of an IDX file.</summary>
    /// <param name="path">The file (plain or gzip).</param>
    /// <param name="take">Read only the first <paramref name="take"/> images (all when null or larger than the file's count).</param>
    public static IdxImages ReadImages(string path, int? take = null)
    {
        using var file = IdxFile.Open(path, ImagesMagic);
        return file.ReadImages(take);
    }

    /// <summary>Reads the labels of an IDX file.</summary>
    /// <param name="path">The file (plain or gzip).</param>
    /// <param name="take">Read only the first <paramref name="take"/> labels (all when null or larger than the file's count).</param>
    public static byte[] ReadLabels(string path, int? take = null)
    {
        using var file = IdxFile.Open(path, LabelsMagic);
        return file.ReadLabels(take);
    }
}

// One open IDX file positioned after its validated header.
internal sealed class IdxFile : IDisposable
{
    private const int InitialBuffer = 4 << 20;
    private readonly Stream _stream;

    private IdxFile(string path, Stream stream, int[] dims)
    {
        Path = path;
        _stream = stream;
        Dims = dims;
    }

    internal string Path { get; }
    internal int[] Dims { get; }
    internal int Count => Dims[0];

    internal static IdxFile Open(string path, int expectedMagic)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        Stream stream = fs;
        try
        {
            Span<byte> probe = stackalloc byte[2];
            int n = fs.ReadAtLeast(probe, 2, throwOnEndOfStream: false);
            fs.Position = 0;
            if (n == 2 && probe[0] == 0x1f && probe[1] == 0x8b) stream = new GZipStream(fs, CompressionMode.Decompress);
            return new IdxFile(path, stream, ReadHeader(path, stream, expectedMagic));
        }
        catch
        {
            stream.Dispose(); // the gzip stream, when there is one, closes the file too
            throw;
        }
    }

    private static int[] ReadHeader(string path, Stream stream, int expectedMagic)
    {
        Span<byte> magic = stackalloc byte[4];
        int n = ReadFully(path, stream, magic);
        if (n < 4) throw Error(path, $"truncated: expected a 4-byte magic number, found {n} bytes");
        int found = BinaryPrimitives.ReadInt32BigEndian(magic);
        if (found != expectedMagic)
            throw new InvalidDataException(
                $"wrong magic number 0x{found:X8} in {path}: expected {KindOf(expectedMagic)} (0x{expectedMagic:X8})" +
                (found == IdxReader.ImagesMagic || found == IdxReader.LabelsMagic ? $"; this is a {KindOf(found)} file" : ""));
        int ndims = expectedMagic & 0xFF;
        Span<byte> raw = stackalloc byte[4 * ndims];
        n = ReadFully(path, stream, raw);
        if (n < raw.Length) throw Error(path, $"truncated: expected {raw.Length} bytes of dimensions after the magic number, found {n}");
        var dims = new int[ndims];
        for (int i = 0; i < ndims; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(raw.Slice(4 * i));
            if (dims[i] <= 0) throw Error(path, $"dimension {i} is {dims[i]}; IDX dimensions must be positive");
        }
        if (ndims == 3 && (dims[1] > IdxReader.MaxSide || dims[2] > IdxReader.MaxSide))
            throw Error(path, $"images are {dims[2]}x{dims[1]} pixels; the limit is {IdxReader.MaxSide} per side");
        return dims;
    }

    internal IdxImages ReadImages(int? take)
    {
        int count = Take(take);
        int rows = Dims[1], cols = Dims[2];
        long bytes = (long)count * rows * cols;
        if (bytes > Array.MaxLength)
            throw Error(Path, $"{count} images of {cols}x{rows} pixels need {bytes} bytes, more than one array can hold ({Array.MaxLength}); read fewer");
        var pixels = ReadPayload((int)bytes, "pixels", count == Count, $"{Count} images");
        return new IdxImages(count, rows, cols, pixels);
    }

    internal byte[] ReadLabels(int? take)
    {
        int count = Take(take);
        return ReadPayload(count, "labels", count == Count, $"{Count} labels");
    }

    private int Take(int? take)
    {
        if (take is < 0) throw new ArgumentOutOfRangeException(nameof(take), take, "take must not be negative.");
        return take is int t && t < Count ? t : Count;
    }

    // The buffer grows with the data actually read (doubling, capped at the announced size), so a
    // small file whose header announces gigabytes costs little before it is found truncated.
    private byte[] ReadPayload(int bytes, string what, bool wholeFile, string contents)
    {
        var data = GC.AllocateUninitializedArray<byte>(Math.Min(bytes, InitialBuffer));
        int filled = 0;
        while (true)
        {
            filled += ReadFully(Path, _stream, data.AsSpan(filled));
            if (filled < data.Length || filled == bytes) break;
            Array.Resize(ref data, (int)Math.Min(bytes, 2L * data.Length));
        }
        if (filled < bytes) throw Error(Path, $"truncated: expected {bytes} bytes of {what}, found {filled}");
        if (wholeFile)
        {
            Span<byte> one = stackalloc byte[1];
            if (ReadFully(Path, _stream, one) > 0) throw Error(Path, $"unexpected data after the {contents} the header announces");
        }
        return data;
    }

    private static int ReadFully(string path, Stream stream, Span<byte> buffer)
    {
        try { return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: corrupt gzip data ({e.Message})", e); }
    }

    private static string KindOf(int magic) => magic == IdxReader.ImagesMagic ? "images" : "labels";

    private static InvalidDataException Error(string path, string problem) => new($"{path}: {problem}");

    public void Dispose() => _stream.Dispose();
}

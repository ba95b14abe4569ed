// The checks a model zip from outside gets before ML.NET opens it (PixelCnnCatalog.LoadChecked). ML.NET's reader
// extracts every entry it is asked for in full, trusting the sizes the archive declares and never checking CRC-32s,
// so a megabyte-sized file could make it write or allocate gigabytes, and a flipped bit would load as a changed value.
// Here every entry's declared size is bounded first, then every entry is inflated once, streamed and discarded, to
// check that it holds what its archive declares, bytes and CRC-32.
using System.IO.Compression;
using PixelCnn.ML.IO;
using PixelCnn.ML.Scoring;

namespace PixelCnn.ML.Components;

internal static class ModelArchive
{
    /// <summary>The most bytes any one entry may declare: a weights entry of the largest network allowed.</summary>
    public static long MaxEntryBytes => 8 + PixelCnnModel.MaxWeightsHeaderBytes + PixelCnnModel.MaxParameterBytes;

    /// <summary>The most bytes all entries may declare together: a few networks' weights (a scorer and its background) and ML.NET's own entries.</summary>
    public static long MaxTotalBytes => 4 * MaxEntryBytes;

    /// <summary>Throws an <see cref="InvalidDataException"/> naming <paramref name="path"/> and the entry when the archive is not sound.</summary>
    public static void Check(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = RegularFile.Resolve(path, out var problem) ?? throw new InvalidDataException($"{path}: {problem}");
        if (file.Length > MaxTotalBytes)
            throw new InvalidDataException($"{path}: the file has {file.Length:N0} bytes, more than a model may hold ({MaxTotalBytes:N0}, from PixelCnnModel.MaxParameterBytes)");
        using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a model file: it is not a readable zip archive ({e.Message})", e);
        }
        using (zip)
        {
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                long max = entry.FullName.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ComponentSaving.MaxOptionsBytes : MaxEntryBytes;
                total += entry.Length;
                if (total > MaxTotalBytes)
                    throw new InvalidDataException($"{path}: its entries declare more than the {MaxTotalBytes:N0} bytes a model may hold (from PixelCnnModel.MaxParameterBytes)");
                try
                {
                    using var content = BoundedRead.OpenChecked(entry, max);
                    content.CopyTo(Stream.Null);
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException(e.Message.Contains(entry.FullName, StringComparison.Ordinal)
                        ? $"{path}: {e.Message}" : $"{path}: entry {entry.FullName}: {e.Message}", e);
                }
            }
        }
    }
}

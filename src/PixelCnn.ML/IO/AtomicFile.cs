// Replace-or-nothing file writes: the content goes to a temporary file in the destination folder
// (same file system, so the final rename is atomic), is flushed to the disk, then renamed over the
// destination. A failure at any point leaves the old file as it was and removes the temporary one.
namespace PixelCnn.ML.IO;

internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' names no file", nameof(path));
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"cannot write '{path}': the folder '{folder}' does not exist");
        // Leading dot and random part: hidden from casual listings, never collides with a concurrent writer.
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); }
            catch (IOException) { /* the original error matters more than a leftover temporary file */ }
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> bytes) => Write(path, s => s.Write(bytes.Span));
}

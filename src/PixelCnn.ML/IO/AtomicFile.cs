// Replace-or-nothing file writes: the content goes to a temporary file in the destination folder (same file system,
// so the final rename is atomic), is flushed to the disk, then renamed over the destination. A failure at any point
// leaves the old file as it was and removes the temporary one. A process killed mid-write cannot remove its own: the
// next write to the same destination does, when no live writer holds it (writers hold an exclusive lock on their
// temporary file from creation to rename).
namespace PixelCnn.ML.IO;

/// <summary>
/// Writes files so that readers see the old content or the new, never a partial file: model zips, checkpoints, CSVs
/// and pictures all go through here.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// Replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given. Temporary
    /// files left by killed writers of the same destination are removed first.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' names no file", nameof(path));
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"cannot write '{path}': the folder '{folder}' does not exist");
        RemoveStrays(full);
        var (temp, stream) = CreateTemporary(full);
        try
        {
            using (stream)
            {
                write(stream);
                stream.Flush(flushToDisk: true);
                // Renamed while still open and locked, where the platform allows it, so no cleaner can take it in between.
                if (!OperatingSystem.IsWindows()) File.Move(temp, full, overwrite: true);
            }
            if (OperatingSystem.IsWindows()) File.Move(temp, full, overwrite: true);
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

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="text"/> in UTF-8.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    // Leading dot and random part: hidden from casual listings, never colliding with a concurrent writer.
    private static string TemporaryName(string full) => Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");

    private static (string Path, FileStream Stream) CreateTemporary(string full)
    {
        for (int attempt = 0; ; attempt++)
        {
            var temp = TemporaryName(full);
            try
            {
                // FileShare.None takes an exclusive lock (flock on Unix), which is how RemoveStrays tells live files from stray ones.
                return (temp, new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16));
            }
            catch (IOException) when (attempt < 2 && !File.Exists(temp))
            {
                // a cleaner took the new file in the instant between its creation and its lock: take another name
            }
        }
    }

    /// <summary>Deletes the temporary files of earlier writes to <paramref name="full"/> that no live writer holds.</summary>
    private static void RemoveStrays(string full)
    {
        var name = Path.GetFileName(full);
        IEnumerable<string> strays;
        try
        {
            strays = Directory.EnumerateFiles(Path.GetDirectoryName(full)!, $".{name}.*.tmp")
                              .Where(f => Path.GetFileName(f).Length == name.Length + 38) // "." + name + "." + 32 hex + ".tmp"
                              .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var stray in strays)
        {
            try
            {
                // Deleted under the lock on Unix; Windows deletes only closed files.
                using (new FileStream(stray, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                    if (!OperatingSystem.IsWindows()) File.Delete(stray);
                if (OperatingSystem.IsWindows()) File.Delete(stray);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // held by a live writer, or not ours to remove
            }
        }
    }
}

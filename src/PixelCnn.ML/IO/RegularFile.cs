// Untrusted paths are opened only when they finally name a regular file with data. A device, pipe or socket reports
// no size: a symbolic link to /dev/zero would be read forever, and a named pipe blocks the reader until someone writes.
namespace PixelCnn.ML.IO;

internal static class RegularFile
{
    /// <summary>
    /// What <paramref name="path"/> finally points to, when that is a regular file with data; otherwise null, and
    /// <paramref name="problem"/> says why in words for an error message.
    /// </summary>
    public static FileInfo? Resolve(string path, out string? problem)
    {
        var info = new FileInfo(path);
        problem = null;
        if (!info.Exists)
        {
            problem = Directory.Exists(path) ? "it is a folder, not a file" : "the file does not exist";
            return null;
        }
        var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo;
        if (target is null || !target.Exists)
        {
            problem = "the file is a link to nothing that can be read";
            return null;
        }
        if (target.Length == 0)
        {
            problem = "the file is empty, or is not a regular file (a device, a pipe or a socket reports no size): only regular files are read";
            return null;
        }
        return target;
    }
}

// The native image codecs (src/PixelCnn.Native: libpng and TurboJPEG behind a flat C ABI) and the
// one place that finds and loads them.
//
// Search order: $PIXELCNN_NATIVE_LIBRARY (a full path), the application folder, the assembly's
// folder, runtimes/linux-x64/native below either (NuGet layout), then the system loader path.
// On failure one exception lists every path tried with the loader's own reason. After loading,
// the ABI version is checked. Every call that can fail returns a status pointer (null = success)
// whose message Check turns into an exception, freeing it.
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PixelCnn.ML.Imaging;

/// <summary>Raised when the native image codec library cannot be loaded, or its ABI does not match.</summary>
public sealed class NativeLibraryLoadException : DllNotFoundException
{
    public NativeLibraryLoadException(string message) : base(message) { }
}

internal static unsafe partial class NativeCodecs
{
    internal const string Library = "pixelcnn_native";
    internal const string FileName = "libpixelcnn_native.so";

    /// <summary>The ABI version this assembly was built against; must equal pcn_abi_version().</summary>
    internal const int AbiVersion = 2;

    private static IntPtr _handle;
    private static readonly object Gate = new();

    [LibraryImport(Library)] internal static partial int pcn_abi_version();
    [LibraryImport(Library)] internal static partial void pcn_free_status(IntPtr status);
    [LibraryImport(Library)] internal static partial IntPtr pcn_image_decode(byte* data, long len, int maxSide, out IntPtr pixels, out int width, out int height, out int channels);
    [LibraryImport(Library)] internal static partial void pcn_image_free(IntPtr buffer);
    [LibraryImport(Library)] internal static partial IntPtr pcn_png_encode(byte* pixels, int width, int height, int channels, out IntPtr data, out long length);
    [LibraryImport(Library)] internal static partial IntPtr pcn_jpeg_encode(byte* pixels, int width, int height, int channels, int quality, int progressive, out IntPtr data, out long length);

    /// <summary>Throws the message of a failed status (an encoder's argument or codec error).</summary>
    internal static void Check(IntPtr status)
    {
        if (TakeStatusMessage(status) is { } message) throw new InvalidOperationException(message);
    }

    /// <summary>Returns the message of a failed status (freeing it), or null for success.</summary>
    internal static string? TakeStatusMessage(IntPtr status)
    {
        if (status == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(status) ?? "unknown native error"; }
        finally { pcn_free_status(status); }
    }

    /// <summary>Copies a library-allocated image buffer into a new array and frees the native buffer.</summary>
    internal static byte[] TakeImageBuffer(IntPtr buffer, long length)
    {
        try
        {
            var result = GC.AllocateUninitializedArray<byte>(checked((int)length));
            new ReadOnlySpan<byte>((void*)buffer, result.Length).CopyTo(result);
            return result;
        }
        finally { pcn_image_free(buffer); }
    }

#pragma warning disable CA2255 // the resolver must be in place before any P/Invoke of this assembly
    [ModuleInitializer]
    internal static void Register() => NativeLibrary.SetDllImportResolver(typeof(NativeCodecs).Assembly, Resolve);
#pragma warning restore CA2255

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return IntPtr.Zero;
        lock (Gate)
        {
            if (_handle == IntPtr.Zero) _handle = Load();
            return _handle;
        }
    }

    internal static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable("PIXELCNN_NATIVE_LIBRARY");
        if (!string.IsNullOrEmpty(env)) yield return env;
        // BaseDirectory ends with a separator and the assembly folder does not: compare them trimmed.
        var dirs = new List<string> { Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory) };
#pragma warning disable IL3000 // empty in single-file apps: then AppContext.BaseDirectory above covers it
        var asmDir = Path.GetDirectoryName(typeof(NativeCodecs).Assembly.Location);
#pragma warning restore IL3000
        if (!string.IsNullOrEmpty(asmDir) && !dirs.Contains(Path.TrimEndingDirectorySeparator(asmDir)))
            dirs.Add(Path.TrimEndingDirectorySeparator(asmDir));
        foreach (var d in dirs)
        {
            yield return Path.Combine(d, FileName);
            yield return Path.Combine(d, "runtimes", "linux-x64", "native", FileName);
        }
        yield return FileName; // the system loader's own search (LD_LIBRARY_PATH, ldconfig)
    }

    private static IntPtr Load()
    {
        var tried = new List<(string Path, string Reason)>();
        foreach (var path in Candidates())
        {
            if (Path.IsPathRooted(path) && !File.Exists(path))
            {
                tried.Add((path, "not found"));
                continue;
            }
            IntPtr h;
            try { h = NativeLibrary.Load(path); }
            catch (Exception e)
            {
                tried.Add((path, e.Message));
                continue;
            }
            var abi = (delegate* unmanaged<int>)NativeLibrary.GetExport(h, "pcn_abi_version");
            int seen = abi();
            if (seen != AbiVersion) throw new NativeLibraryLoadException(AbiMismatchMessage(path, seen, tried));
            return h;
        }
        throw new NativeLibraryLoadException(LoadFailureMessage(tried));
    }

    /// <summary>The message for a failed load: every candidate path with the loader's reason, then how to fix it.</summary>
    internal static string LoadFailureMessage(IReadOnlyList<(string Path, string Reason)> tried) =>
        "PixelCnn.ML could not load its native image codec library (" + FileName + ").\nTried:\n" +
        FormatTried(tried) +
        "\nThe library needs libpng and TurboJPEG (Debian/Ubuntu: apt-get install libpng16-16 libturbojpeg0). " +
        "Set PIXELCNN_NATIVE_LIBRARY to its full path to load it from elsewhere.";

    /// <summary>The message for a library whose ABI version differs from this assembly's.</summary>
    internal static string AbiMismatchMessage(string path, int seen, IReadOnlyList<(string Path, string Reason)> tried) =>
        $"The native library at {path} has ABI version {seen}, but this PixelCnn.ML assembly needs version " +
        $"{AbiVersion}. Rebuild the native library from the same sources (dotnet build does it) " +
        "or install matching package versions." + (tried.Count > 0 ? "\nAlso tried:\n" + FormatTried(tried) : "");

    private static string FormatTried(IReadOnlyList<(string Path, string Reason)> tried) =>
        string.Join("\n", tried.Select(t => $"  {t.Path}: {t.Reason}"));
}

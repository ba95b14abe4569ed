// The one place that finds and loads the native shim (and, through it, libtorch).
//
// Search order: $PIXELCNN_NATIVE_LIBRARY (a full path), the application folder, the assembly's
// folder, runtimes/linux-x64/native below either (NuGet layout), then the system loader path.
// On failure one exception lists every path tried with the loader's own reason, and says how to
// install libtorch. After loading, the ABI version is checked and libtorch's intra-op thread count
// is set to the core count (libtorch starts with one thread on Debian), or $PIXELCNN_NUM_THREADS.
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PixelCnn.ML.Native;

/// <summary>Raised when the native shim or libtorch cannot be loaded, or the ABI does not match.</summary>
public sealed class NativeLibraryLoadException : DllNotFoundException
{
    public NativeLibraryLoadException(string message) : base(message) { }
}

internal static class NativeLibraryLoader
{
    internal const string FileName = "libpixelcnn_native.so";
    private static IntPtr _handle;
    private static readonly object Gate = new();

#pragma warning disable CA2255 // the resolver must be in place before any P/Invoke of this assembly
    [ModuleInitializer]
    internal static void Register()
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
    }
#pragma warning restore CA2255

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != NativeMethods.Library) return IntPtr.Zero;
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
        var asmDir = Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location);
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
            try
            {
                var h = NativeLibrary.Load(path);
                Handshake(h, path, tried);
                return h;
            }
            catch (NativeLibraryLoadException) { throw; }
            catch (Exception e)
            {
                tried.Add((path, e.Message));
            }
        }
        throw new NativeLibraryLoadException(LoadFailureMessage(tried));
    }

    /// <summary>The message for a failed load: every candidate path with the loader's reason, then how to fix it.</summary>
    internal static string LoadFailureMessage(IReadOnlyList<(string Path, string Reason)> tried) =>
        "PixelCnn.ML could not load its native library (" + FileName + ") or libtorch.\nTried:\n" +
        FormatTried(tried) +
        "\nThe native shim needs libtorch's shared libraries (libtorch.so, libtorch_cpu.so, libc10.so). " +
        "On Debian/Ubuntu: apt-get install libtorch-dev. With a PyTorch install, add its torch/lib folder to " +
        "LD_LIBRARY_PATH. Set PIXELCNN_NATIVE_LIBRARY to the shim's full path to load it from elsewhere.";

    /// <summary>The message for a library whose ABI version differs from this assembly's.</summary>
    internal static string AbiMismatchMessage(string path, int seen, IReadOnlyList<(string Path, string Reason)> tried) =>
        $"The native library at {path} has ABI version {seen}, but this PixelCnn.ML assembly needs version " +
        $"{NativeMethods.AbiVersion}. Rebuild the native shim from the same sources (dotnet build does it) " +
        "or install matching package versions." + (tried.Count > 0 ? "\nAlso tried:\n" + FormatTried(tried) : "");

    private static string FormatTried(IReadOnlyList<(string Path, string Reason)> tried) =>
        string.Join("\n", tried.Select(t => $"  {t.Path}: {t.Reason}"));

    private static unsafe void Handshake(IntPtr h, string path, List<(string Path, string Reason)> tried)
    {
        var abi = (delegate* unmanaged<int>)NativeLibrary.GetExport(h, "pcn_abi_version");
        int seen = abi();
        if (seen != NativeMethods.AbiVersion)
            throw new NativeLibraryLoadException(AbiMismatchMessage(path, seen, tried));
        var setThreads = (delegate* unmanaged<int, IntPtr>)NativeLibrary.GetExport(h, "pcn_set_num_threads");
        int threads = int.TryParse(Environment.GetEnvironmentVariable("PIXELCNN_NUM_THREADS"), out var t) && t > 0 ? t : 0;
        var status = setThreads(threads); // 0 = all cores
        if (status != IntPtr.Zero)
        {
            var free = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(h, "pcn_free_status");
            free(status);
        }
    }
}

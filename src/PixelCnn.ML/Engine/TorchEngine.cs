// Start-up of the tensor engine (TorchSharp over libtorch), done once per process before the first
// model is built:
//  1. CPU allocator policy. libtorch's large CPU buffers come from glibc malloc; by default every
//     buffer above the mmap threshold is mapped and unmapped on each op, and the page faults cost
//     more than the arithmetic (docs/benchmarks.md). mallopt(M_MMAP_MAX, 0) with a high trim
//     threshold keeps them in the heap. PIXELCNN_MALLOC=default leaves glibc's defaults.
//  2. Loading TorchSharp's native library, with one clear error when it cannot load. The common
//     case on Debian 12 and Ubuntu 22.04 is TorchSharp 0.107's libLibTorchSharp.so asking for
//     GLIBCXX_3.4.32, which their libstdc++ lacks. The package's build step fixes the copy in the app's
//     output (build/PixelCnn.ML.targets, TorchSharpGlibcxxFix); a copy that escaped it is fixed here,
//     in place, when it can be written. The library is then loaded directly, so a failure is reported
//     once, by us, with the dynamic loader's reason (TorchSharp's own loader would first print a long
//     trace to the console). See docs/engine.md.
//  3. Idle threads spin only briefly. libtorch's OpenMP threads (GNU libgomp) busy-wait for up to 300,000 spins
//     after every parallel region before they sleep; when cores are shared (concurrent requests, two processes, other
//     jobs) the spinning threads take the cores the working ones need, and throughput collapses (two scoring processes
//     on two cores: 84 images/s together, against 271 for one alone). GOMP_SPINCOUNT is set in the process's native
//     environment before libgomp loads, to a spin short enough to give the cores back and long enough to bridge the
//     gap between one operation and the next (docs/engine.md has the measurements), unless the user set
//     OMP_WAIT_POLICY or GOMP_SPINCOUNT. PIXELCNN_THREAD_WAIT=passive sleeps at once, =spin keeps libgomp's own policy.
//     Intra-op threads: the core count (PIXELCNN_NUM_THREADS overrides). NNPACK off: it would print a warning on
//     every convolution of a CPU it does not support, and oneDNN or libtorch's own convolutions serve x86.
//  4. A check of the CPU convolutions against float64 (ConvolutionCheck): oneDNN is switched off where it
//     is wrong. PIXELCNN_ONEDNN=off switches it off without checking, =on keeps it without checking.
using System.Runtime.InteropServices;
using TorchSharp;

namespace PixelCnn.ML.Engine;

/// <summary>Raised when TorchSharp's native library cannot be loaded; the message names the cause and the fix.</summary>
public sealed class TorchEngineException : Exception
{
    public TorchEngineException(string message, Exception? inner = null) : base(message, inner) { }
}

public static partial class TorchEngine
{
    private static readonly Lazy<string> Started = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Starts the engine if it has not started; throws <see cref="TorchEngineException"/> when libtorch cannot load.</summary>
    public static void EnsureStarted() => _ = Started.Value;

    /// <summary>The libtorch version TorchSharp runs on (e.g. "2.10.0").</summary>
    public static string LibTorchVersion => Started.Value;

    /// <summary>Whether the glibc allocator policy of this class is in force (it is unless PIXELCNN_MALLOC=default, and only on Linux).</summary>
    public static bool AllocatorTuned { get; private set; }

    private static string Start()
    {
        TuneAllocator();
        SetThreadWaitPolicy(Environment.GetEnvironmentVariable("PIXELCNN_THREAD_WAIT"));
        var native = PrepareNativeLibrary();
        if (native.Reason is not null) throw new TorchEngineException(LoadFailureMessage(native));
        string version;
        try
        {
            version = torch.__version__;
        }
        catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException)
        {
            throw new TorchEngineException(LoadFailureMessage(native), e);
        }
        int threads = int.TryParse(Environment.GetEnvironmentVariable("PIXELCNN_NUM_THREADS"), out var t) && t > 0
            ? t : Environment.ProcessorCount;
        torch.set_num_threads(threads);
        ConvolutionCheck.TryDisableNnpack(); // before the first convolution: no "Could not initialize NNPACK" lines
        CheckConvolutions(Environment.GetEnvironmentVariable("PIXELCNN_ONEDNN"));
        return version;
    }

    /// <summary>How libtorch's CPU convolutions run in this process (see <see cref="OneDnnFailure"/>).</summary>
    public static CpuConvolutionBackend CpuConvolutions { get; private set; } = CpuConvolutionBackend.OneDnn;

    /// <summary>What the start-up check found wrong with oneDNN's convolutions on this machine, or null.</summary>
    public static string? OneDnnFailure { get; private set; }

    internal static void CheckConvolutions(string? setting)
    {
        var mode = setting?.Trim().ToLowerInvariant();
        if (mode == "on") return;
        if (mode is not (null or "" or "auto" or "off"))
            throw new TorchEngineException($"PIXELCNN_ONEDNN is '{setting}'; use auto (check, the default), on or off.");
        if (mode != "off")
        {
            OneDnnFailure = ConvolutionCheck.FindWrongConvolution();
            if (OneDnnFailure is null) return;
        }
        if (!ConvolutionCheck.TryDisableOneDnn())
            throw new TorchEngineException(mode == "off"
                ? "PIXELCNN_ONEDNN=off: oneDNN can only be switched off from here on Linux x64."
                : $"libtorch's CPU convolutions (oneDNN) give wrong results on this machine: {OneDnnFailure}. oneDNN can only be " +
                  "switched off from here on Linux x64; try DNNL_MAX_CPU_ISA=SSE41 in the environment. See docs/engine.md.");
        CpuConvolutions = CpuConvolutionBackend.Native;
        if (ConvolutionCheck.FindWrongConvolution() is { } still)
            throw new TorchEngineException($"libtorch's CPU convolutions give wrong results on this machine even without oneDNN: {still}.");
    }

    /// <summary>How libtorch's idle OpenMP threads wait in this process, in words (for `pixelcnn info` and benchmarks).</summary>
    public static string ThreadWaitPolicy { get; private set; } = "not set: the engine has not started";

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>Spins of an idle OpenMP thread before it sleeps, by default (libgomp's own: 300,000).</summary>
    public const int DefaultSpinCount = 3000;

    internal static void SetThreadWaitPolicy(string? setting)
    {
        var mode = setting?.Trim().ToLowerInvariant();
        if (mode is not (null or "" or "short" or "passive" or "spin"))
            throw new TorchEngineException($"PIXELCNN_THREAD_WAIT is '{setting}'; use short (spin {DefaultSpinCount} times, then sleep: the default), " +
                                           "passive (sleep at once) or spin (libgomp's own policy, up to 300,000 spins).");
        if (!OperatingSystem.IsLinux())
        {
            ThreadWaitPolicy = "the platform's OpenMP default";
            return;
        }
        // The native environment is what libgomp reads; .NET's own copy of it starts from the same values.
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 } policy)
        {
            ThreadWaitPolicy = $"OMP_WAIT_POLICY={policy}, from the environment";
            return;
        }
        if (Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is { Length: > 0 } spins)
        {
            ThreadWaitPolicy = $"GOMP_SPINCOUNT={spins}, from the environment";
            return;
        }
        if (mode == "spin")
        {
            ThreadWaitPolicy = "spin: libgomp's own policy, up to 300,000 spins before sleeping (PIXELCNN_THREAD_WAIT=spin)";
            return;
        }
        if (LibGompLoaded())
        {
            ThreadWaitPolicy = "libgomp's own policy: it was loaded before the engine started, too late to change";
            return;
        }
        var (name, value, words) = mode == "passive"
            ? ("OMP_WAIT_POLICY", "PASSIVE", "passive: idle threads sleep at once (OMP_WAIT_POLICY=PASSIVE, PIXELCNN_THREAD_WAIT=passive)")
            : ("GOMP_SPINCOUNT", DefaultSpinCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
               $"short: idle threads spin {DefaultSpinCount} times, then sleep (GOMP_SPINCOUNT={DefaultSpinCount}, set by PixelCnn.ML)");
        try
        {
            ThreadWaitPolicy = SetEnv(name, value, 0) == 0 ? words : $"libgomp's own policy: setting {name} failed";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            ThreadWaitPolicy = "libgomp's own policy: the C library's setenv was not found";
        }
    }

    private static bool LibGompLoaded()
    {
        try
        {
            return File.ReadLines("/proc/self/maps").Any(l => l.Contains("libgomp", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int param, int value);

    private static void TuneAllocator()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("PIXELCNN_MALLOC") == "default") return;
        try
        {
            AllocatorTuned = MallOpt(M_MMAP_MAX, 0) == 1 & MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            AllocatorTuned = false; // not glibc (e.g. musl): nothing to tune
        }
    }

    /// <summary>The app's copy of TorchSharp's native library, where TorchSharp's loader looks first, or null.</summary>
    internal static string? FindNativeLibrary()
    {
        var name = OperatingSystem.IsWindows() ? "LibTorchSharp.dll" : OperatingSystem.IsMacOS() ? "libLibTorchSharp.dylib" : "libLibTorchSharp.so";
        var baseDir = AppContext.BaseDirectory;
        return new[] { Path.Combine(baseDir, name), Path.Combine(baseDir, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", name),
                       Path.Combine(baseDir, "runtimes", "linux-x64", "native", name), Path.Combine(baseDir, "cpu", name) }.FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Fixes the app's copy of libLibTorchSharp.so when it still needs GLIBCXX_3.4.32 strongly, then loads it: the
    /// path and the dynamic loader's reason when it cannot load (null when it loaded or was not found).
    /// </summary>
    internal static (string? Path, string? Reason) PrepareNativeLibrary()
    {
        var path = FindNativeLibrary();
        if (path is null) return (null, null);
        string? unfixed = null;
        if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            try
            {
                if (TorchSharpGlibcxxFix.IsNeeded(path)) TorchSharpGlibcxxFix.Apply(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                unfixed = e.Message;
            }
        }
        try
        {
            NativeLibrary.Load(path); // stays loaded: TorchSharp's loader then finds this very file
            return (path, null);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return (path, unfixed is null ? e.Message : $"{e.Message} (the GLIBCXX fix could not be written: {unfixed})");
        }
    }

    /// <summary>The error for a TorchSharp that cannot load: the cause when known, and the fix.</summary>
    internal static string LoadFailureMessage((string? Path, string? Reason) probe)
    {
        var (path, reason) = probe;
        if (reason is not null && reason.Contains("GLIBCXX_3.4.32", StringComparison.Ordinal))
            return $"TorchSharp's native library {path} cannot load: it asks for GLIBCXX_3.4.32 (GCC 13's libstdc++), and this " +
                   "system's libstdc++ is older (Debian 12 and Ubuntu 22.04 stop at 3.4.30). Only one unused symbol needs that version. " +
                   "The PixelCnn.ML package's build step marks that need weak in the app's build and publish output, and this copy " +
                   $"escaped it and could not be fixed at start-up: {reason}. Build or publish the app with the PixelCnn.ML package " +
                   "referenced (without PixelCnnFixTorchSharp=false), let the process write that file once, or install libstdc++ " +
                   "from GCC 13 or newer.";
        if (reason is not null && System.Text.RegularExpressions.Regex.IsMatch(reason, @"lib(torch|c10)[\w.]*: cannot open shared object file"))
            return $"TorchSharp's native library {path} is there but libtorch is not: the app references TorchSharp (PixelCnn.ML brings " +
                   "it) but no libtorch package. Add TorchSharp-cpu, or libtorch-cpu-linux-x64 2.10.0 for an app that runs on Linux only, " +
                   "or TorchSharp-cuda-linux / TorchSharp-cuda-windows; or put a PyTorch install's torch/lib on LD_LIBRARY_PATH. " +
                   $"The loader said: {reason.Trim()}";
        if (path is null)
            return "TorchSharp's native library (libLibTorchSharp and libtorch) was not found next to the application. " +
                   "Reference TorchSharp-cpu (or TorchSharp-cuda-linux / TorchSharp-cuda-windows) in the application project, " +
                   "or put a PyTorch install's torch/lib on LD_LIBRARY_PATH beside a copy of libLibTorchSharp. See docs/engine.md.";
        return $"TorchSharp's native library {path} cannot load" + (reason is null ? " through TorchSharp's loader" : $": {reason}") +
               ". Check that the TorchSharp and libtorch package versions match (TorchSharp 0.107.0 with libtorch 2.10.0). See docs/engine.md.";
    }
}

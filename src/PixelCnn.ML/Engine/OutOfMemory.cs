// Recognising and recovering from device out-of-memory errors: libtorch reports them as exceptions
// ("CUDA out of memory"), which TorchSharp raises as ExternalException. Recovery releases every
// tensor that is only waiting for the finalizer, so a smaller retry can succeed.
using System.Runtime.InteropServices;

namespace PixelCnn.ML.Engine;

public static class OutOfMemory
{
    /// <summary>True when <paramref name="e"/> is libtorch's out-of-memory error (CUDA or CPU allocator).</summary>
    public static bool Is(Exception e) =>
        e is ExternalException && (e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
                                   || e.Message.Contains("DefaultCPUAllocator: can't allocate memory", StringComparison.Ordinal));

    /// <summary>Releases tensors that were dropped without Dispose after an out-of-memory error.</summary>
    public static void Recover()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}

// Recognising and recovering from device out-of-memory errors: libtorch reports them as exceptions
// ("CUDA out of memory"), which the shim turns into TorchException; the caching allocator is then
// emptied so a smaller retry can succeed.
using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Runtime;

public static class OutOfMemory
{
    /// <summary>True when <paramref name="e"/> is libtorch's out-of-memory error (CUDA or CPU allocator).</summary>
    public static bool Is(Exception e) =>
        e is TorchException && (e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
                                || e.Message.Contains("DefaultCPUAllocator: can't allocate memory", StringComparison.Ordinal));

    /// <summary>Releases cached device memory after an out-of-memory error.</summary>
    public static void Recover()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        torch.live_tensor_count(); // drains handles finalized without Dispose
        torch.cuda.empty_cache();
    }
}

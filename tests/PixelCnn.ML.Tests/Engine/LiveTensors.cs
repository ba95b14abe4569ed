using TorchSharp;

namespace PixelCnn.ML.Tests.Engine;

/// <summary>
/// TorchSharp's live-tensor statistics for this thread (DisposeScopeManager.Statistics.ThreadTotalLiveCount: tensors
/// created minus disposed), for leak checks. Unlike Tensor.TotalCount it is exact when a tensor's handle moves into a
/// Parameter, and a tensor that is only finalized never counts as released.
/// </summary>
internal static class LiveTensors
{
    /// <summary>The count after collecting what earlier tests dropped, so that the finalizer cannot run mid-test.</summary>
    public static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Now;
    }

    /// <summary>Live tensors now, without collecting.</summary>
    public static long Now => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
}

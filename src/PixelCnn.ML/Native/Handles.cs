// SafeHandles for native tensors and generators.
//
// Native memory is never freed on the finalizer thread: a handle finalized without Dispose is
// queued, and the queue is drained on an ordinary thread at the next dispose scope or live-count
// query (TorchSharp's crashes from finalizers freeing tensors are the lesson here).
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace PixelCnn.ML.Native;

internal abstract class DeferredReleaseHandle : SafeHandle
{
    private static readonly ConcurrentQueue<(IntPtr Handle, Action<IntPtr> Free)> Pending = new();

    protected DeferredReleaseHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal void Adopt(IntPtr value) => SetHandle(value);

    protected abstract void Free(IntPtr value);

    protected sealed override bool ReleaseHandle()
    {
        Free(handle);
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing && !IsInvalid && !IsClosed)
        {
            Pending.Enqueue((handle, Free));
            SetHandleAsInvalid();
        }
        base.Dispose(disposing);
    }

    /// <summary>Frees handles whose owners were finalized without being disposed.</summary>
    internal static void DrainPending()
    {
        while (Pending.TryDequeue(out var item)) item.Free(item.Handle);
    }
}

internal sealed class TensorHandle : DeferredReleaseHandle
{
    /// <summary>Stands for an absent optional tensor argument (passes a null pointer).</summary>
    internal static readonly TensorHandle Null = new();

    protected override void Free(IntPtr value) => NativeMethods.pcn_tensor_free(value);
}

internal sealed class GeneratorHandle : DeferredReleaseHandle
{
    /// <summary>Stands for "the default generator".</summary>
    internal static readonly GeneratorHandle Null = new();

    protected override void Free(IntPtr value) => NativeMethods.pcn_generator_free(value);
}

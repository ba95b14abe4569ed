// Dispose scopes: every tensor created while a scope is open on this thread belongs to it and is
// disposed with it, unless moved out (MoveToOuterDisposeScope / DetachFromDisposeScope). Training
// steps run inside one so temporaries are freed deterministically, as in TorchSharp.
using PixelCnn.ML.Native;

namespace PixelCnn.ML.Torch;

public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly HashSet<Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    internal DisposeScope? Outer { get; }

    internal DisposeScope()
    {
        DeferredReleaseHandle.DrainPending();
        Outer = _current;
        _current = this;
    }

    internal static DisposeScope? Current => _current;

    /// <summary>Number of tensors this scope will dispose.</summary>
    public int Count => _tensors.Count;

    internal void Add(Tensor t)
    {
        _tensors.Add(t);
        t.OwningScope = this;
    }

    internal void Remove(Tensor t) => _tensors.Remove(t);

    /// <summary>Keeps <paramref name="t"/> alive past this scope, handing it to the enclosing one.</summary>
    public Tensor MoveToOuter(Tensor t)
    {
        Remove(t);
        t.OwningScope = null;
        Outer?.Add(t);
        return t;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors)
        {
            t.OwningScope = null;
            t.DisposeHandle();
        }
        _tensors.Clear();
        // Scopes must close in LIFO order on one thread; tolerate out-of-order by unwinding to Outer.
        if (ReferenceEquals(_current, this)) _current = Outer;
    }
}

// Tensor: a SafeHandle-backed reference to one libtorch tensor, with PyTorch's method names.
using System.Runtime.InteropServices;
using PixelCnn.ML.Native;
using static PixelCnn.ML.Native.NativeMethods;

namespace PixelCnn.ML.Torch;

internal enum UnaryOp { Neg, Abs, Exp, Log, Tanh, Sigmoid, Relu, Sqrt, Rsqrt, Log1p, Floor, Round, Sign, LogSigmoid, Softplus, Reciprocal, Square, LogicalNot, IsFinite, Expm1, Ceil }
internal enum BinaryOp { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge, LogicalAnd, LogicalOr, RSub, Remainder, FloorDivide }
internal enum ReduceOp { Sum, Mean, Amax, Amin, LogSumExp, Prod, Argmax, Argmin, Std, Var }

/// <summary>
/// A tensor held in native memory. Dispose it (or create it inside a <see cref="DisposeScope"/>)
/// to free the memory deterministically; an undisposed tensor is freed later on an ordinary thread,
/// never on the finalizer thread.
/// </summary>
public sealed unsafe partial class Tensor : IDisposable
{
    internal TensorHandle Handle { get; private set; }
    internal DisposeScope? OwningScope;

    internal Tensor(IntPtr raw)
    {
        if (raw == IntPtr.Zero) throw new TorchException("native call returned a null tensor");
        Handle = new TensorHandle();
        Handle.Adopt(raw);
        DisposeScope.Current?.Add(this);
    }

    internal static Tensor From(IntPtr status, IntPtr raw)
    {
        Check(status);
        return new Tensor(raw);
    }

    public void Dispose()
    {
        OwningScope?.Remove(this);
        OwningScope = null;
        DisposeHandle();
    }

    internal void DisposeHandle() => Handle.Dispose();

    /// <summary>
    /// Makes this object refer to <paramref name="donor"/>'s native tensor (used by Module.to so every
    /// reference to a parameter stays valid); the donor becomes empty, the old tensor is freed.
    /// </summary>
    internal void TakeHandleFrom(Tensor donor)
    {
        var old = Handle;
        Handle = donor.Handle;
        donor.Handle = new TensorHandle();
        donor.DetachFromDisposeScope();
        old.Dispose();
    }

    public bool IsInvalid => Handle.IsClosed || Handle.IsInvalid;

    /// <summary>Moves this tensor out of its dispose scope into the enclosing one (or none).</summary>
    public Tensor MoveToOuterDisposeScope() => OwningScope is { } s ? s.MoveToOuter(this) : this;

    /// <summary>Removes this tensor from every dispose scope: the caller now owns it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        OwningScope?.Remove(this);
        OwningScope = null;
        return this;
    }

    // ---- metadata
    private (ScalarType dtype, int ndim, Device device, bool requiresGrad, bool contiguous) Meta()
    {
        Check(pcn_tensor_meta(Handle, out var dt, out var nd, out var devType, out var devIndex, out var rg, out var c));
        return ((ScalarType)dt, nd, new Device((DeviceType)devType, devIndex), rg != 0, c != 0);
    }

    public ScalarType dtype => Meta().dtype;
    public Device device => Meta().device;
    public long dim() => Meta().ndim;
    public bool is_contiguous() => Meta().contiguous;

    public long[] shape
    {
        get
        {
            var nd = Meta().ndim;
            var s = new long[nd];
            fixed (long* p = s) Check(pcn_tensor_shape(Handle, p, nd));
            return s;
        }
    }

    public long size(int d)
    {
        var s = shape;
        return s[d < 0 ? d + s.Length : d];
    }

    public long numel()
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    public bool requires_grad
    {
        get => Meta().requiresGrad;
        set => Check(pcn_set_requires_grad(Handle, value ? 1 : 0));
    }

    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    public override string ToString() => $"Tensor[{string.Join(", ", shape)}] {dtype} {device}";

    // ---- data in and out
    /// <summary>Copies the elements (row-major) into <paramref name="destination"/>, converting nothing.</summary>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        var dt = dtype;
        if (ScalarTypeExtensions.Of<T>() != dt)
            throw new ArgumentException($"tensor dtype is {dt}, not {typeof(T).Name}");
        fixed (T* p = destination) Check(pcn_tensor_copy_to(Handle, p, (long)destination.Length * sizeof(T)));
    }

    /// <summary>The elements as a new array (row-major).</summary>
    public T[] data<T>() where T : unmanaged
    {
        var a = new T[numel()];
        CopyTo<T>(a);
        return a;
    }

    /// <summary>
    /// A view of the elements of a contiguous CPU tensor, valid while this tensor is alive and not
    /// resized; writes go straight into the tensor.
    /// </summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (ScalarTypeExtensions.Of<T>() != dtype) throw new ArgumentException($"tensor dtype is {dtype}, not {typeof(T).Name}");
        Check(pcn_tensor_data_ptr(Handle, out var ptr));
        return new Span<T>((void*)ptr, checked((int)numel()));
    }

    public double item()
    {
        Check(pcn_tensor_item(Handle, out var v));
        return v;
    }

    public T item<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(long))
        {
            Check(pcn_tensor_item_int64(Handle, out var l));
            return (T)(object)l;
        }
        double d = item();
        if (typeof(T) == typeof(double)) return (T)(object)d;
        if (typeof(T) == typeof(float)) return (T)(object)(float)d;
        if (typeof(T) == typeof(int)) return (T)(object)(int)d;
        if (typeof(T) == typeof(bool)) return (T)(object)(d != 0);
        if (typeof(T) == typeof(byte)) return (T)(object)(byte)d;
        throw new NotSupportedException(typeof(T).Name);
    }

    // ---- conversions
    public Tensor to(Device device) => To(-1, device, copy: false);
    public Tensor to(ScalarType type) => To((int)type, null, copy: false);
    public Tensor to(ScalarType type, Device device) => To((int)type, device, copy: false);
    public Tensor to_type(ScalarType type) => to(type);
    public Tensor cpu() => to(Device.CPU);
    public Tensor cuda(int index = 0) => to(Device.CUDA(index));

    private Tensor To(int dtype, Device? dev, bool copy)
    {
        int dt = dev is null ? -1 : (int)dev.type;
        return From(pcn_to(Handle, dtype, dt, dev?.index ?? -1, copy ? 1 : 0, out var r), r);
    }

    public Tensor clone() => From(pcn_clone(Handle, out var r), r);
    public Tensor detach() => From(pcn_detach(Handle, out var r), r);
    public Tensor contiguous() => From(pcn_contiguous(Handle, out var r), r);
    /// <summary>A second handle on the same tensor (shares storage and autograd identity).</summary>
    public Tensor alias() => From(pcn_tensor_alias(Handle, out var r), r);

    // ---- autograd
    public void backward(Tensor? gradient = null, bool retain_graph = false) =>
        Check(pcn_backward(Handle, gradient?.Handle ?? TensorHandle.Null, retain_graph ? 1 : 0));

    /// <summary>The accumulated gradient, or null when none was computed. A new handle each call.</summary>
    public Tensor? grad
    {
        get
        {
            Check(pcn_grad(Handle, out var r));
            return r == IntPtr.Zero ? null : new Tensor(r);
        }
        set => Check(pcn_set_grad(Handle, value?.Handle ?? TensorHandle.Null));
    }

    // ---- in-place
    public Tensor copy_(Tensor src) { Check(pcn_copy_(Handle, src.Handle)); return this; }
    public Tensor fill_(double value) { Check(pcn_fill_(Handle, value)); return this; }
    public Tensor zero_() => fill_(0);
    public Tensor add_(Tensor other) { Check(pcn_binary_((int)BinaryOp.Add, Handle, other.Handle)); return this; }
    public Tensor add_(double other) { Check(pcn_binary_scalar_((int)BinaryOp.Add, Handle, other)); return this; }
    public Tensor sub_(Tensor other) { Check(pcn_binary_((int)BinaryOp.Sub, Handle, other.Handle)); return this; }
    public Tensor mul_(Tensor other) { Check(pcn_binary_((int)BinaryOp.Mul, Handle, other.Handle)); return this; }
    public Tensor mul_(double other) { Check(pcn_binary_scalar_((int)BinaryOp.Mul, Handle, other)); return this; }
    public Tensor sub_(double other) { Check(pcn_binary_scalar_((int)BinaryOp.Sub, Handle, other)); return this; }
    public Tensor div_(Tensor other) { Check(pcn_binary_((int)BinaryOp.Div, Handle, other.Handle)); return this; }
    public Tensor div_(double other) { Check(pcn_binary_scalar_((int)BinaryOp.Div, Handle, other)); return this; }
    public Tensor pow_(double other) { Check(pcn_binary_scalar_((int)BinaryOp.Pow, Handle, other)); return this; }
    private Tensor UnaryInPlace(UnaryOp op) { Check(pcn_unary_((int)op, Handle)); return this; }
    public Tensor neg_() => UnaryInPlace(UnaryOp.Neg);
    public Tensor exp_() => UnaryInPlace(UnaryOp.Exp);
    public Tensor log_() => UnaryInPlace(UnaryOp.Log);
    public Tensor tanh_() => UnaryInPlace(UnaryOp.Tanh);
    public Tensor sigmoid_() => UnaryInPlace(UnaryOp.Sigmoid);
    public Tensor relu_() => UnaryInPlace(UnaryOp.Relu);
    public Tensor sqrt_() => UnaryInPlace(UnaryOp.Sqrt);
    public Tensor floor_() => UnaryInPlace(UnaryOp.Floor);
    public Tensor round_() => UnaryInPlace(UnaryOp.Round);
    public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null)
    {
        Check(pcn_random_(Handle, 0, from, to, generator?.Handle ?? GeneratorHandle.Null));
        return this;
    }
    public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        Check(pcn_random_(Handle, 1, mean, std, generator?.Handle ?? GeneratorHandle.Null));
        return this;
    }

    // ---- elementwise
    internal Tensor Unary(UnaryOp op) => From(pcn_unary((int)op, Handle, out var r), r);
    internal Tensor Binary(BinaryOp op, Tensor other) => From(pcn_binary((int)op, Handle, other.Handle, out var r), r);
    internal Tensor Binary(BinaryOp op, double other) => From(pcn_binary_scalar((int)op, Handle, other, out var r), r);

    public Tensor neg() => Unary(UnaryOp.Neg);
    public Tensor abs() => Unary(UnaryOp.Abs);
    public Tensor exp() => Unary(UnaryOp.Exp);
    public Tensor expm1() => Unary(UnaryOp.Expm1);
    public Tensor log() => Unary(UnaryOp.Log);
    public Tensor log1p() => Unary(UnaryOp.Log1p);
    public Tensor tanh() => Unary(UnaryOp.Tanh);
    public Tensor sigmoid() => Unary(UnaryOp.Sigmoid);
    public Tensor relu() => Unary(UnaryOp.Relu);
    public Tensor sqrt() => Unary(UnaryOp.Sqrt);
    public Tensor rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor floor() => Unary(UnaryOp.Floor);
    public Tensor ceil() => Unary(UnaryOp.Ceil);
    public Tensor round() => Unary(UnaryOp.Round);
    public Tensor sign() => Unary(UnaryOp.Sign);
    public Tensor square() => Unary(UnaryOp.Square);
    public Tensor reciprocal() => Unary(UnaryOp.Reciprocal);
    public Tensor logical_not() => Unary(UnaryOp.LogicalNot);
    public Tensor isfinite() => Unary(UnaryOp.IsFinite);

    public Tensor add(Tensor other) => Binary(BinaryOp.Add, other);
    public Tensor add(Tensor other, double alpha) => From(pcn_add_scaled(Handle, other.Handle, alpha, out var r), r);
    public Tensor add(double other) => Binary(BinaryOp.Add, other);
    public Tensor sub(Tensor other) => Binary(BinaryOp.Sub, other);
    public Tensor sub(double other) => Binary(BinaryOp.Sub, other);
    public Tensor mul(Tensor other) => Binary(BinaryOp.Mul, other);
    public Tensor mul(double other) => Binary(BinaryOp.Mul, other);
    public Tensor div(Tensor other) => Binary(BinaryOp.Div, other);
    public Tensor div(double other) => Binary(BinaryOp.Div, other);
    public Tensor pow(Tensor other) => Binary(BinaryOp.Pow, other);
    public Tensor pow(double other) => Binary(BinaryOp.Pow, other);
    public Tensor remainder(double other) => Binary(BinaryOp.Remainder, other);
    public Tensor floor_divide(double other) => Binary(BinaryOp.FloorDivide, other);
    public Tensor maximum(Tensor other) => Binary(BinaryOp.Maximum, other);
    public Tensor minimum(Tensor other) => Binary(BinaryOp.Minimum, other);
    public Tensor eq(Tensor other) => Binary(BinaryOp.Eq, other);
    public Tensor eq(double other) => Binary(BinaryOp.Eq, other);
    public Tensor ne(Tensor other) => Binary(BinaryOp.Ne, other);
    public Tensor ne(double other) => Binary(BinaryOp.Ne, other);
    public Tensor lt(Tensor other) => Binary(BinaryOp.Lt, other);
    public Tensor lt(double other) => Binary(BinaryOp.Lt, other);
    public Tensor le(Tensor other) => Binary(BinaryOp.Le, other);
    public Tensor le(double other) => Binary(BinaryOp.Le, other);
    public Tensor gt(Tensor other) => Binary(BinaryOp.Gt, other);
    public Tensor gt(double other) => Binary(BinaryOp.Gt, other);
    public Tensor ge(Tensor other) => Binary(BinaryOp.Ge, other);
    public Tensor ge(double other) => Binary(BinaryOp.Ge, other);
    public Tensor logical_and(Tensor other) => Binary(BinaryOp.LogicalAnd, other);
    public Tensor logical_or(Tensor other) => Binary(BinaryOp.LogicalOr, other);

    public Tensor clamp(double? min = null, double? max = null) =>
        From(pcn_clamp(Handle, min.HasValue ? 1 : 0, min ?? 0, max.HasValue ? 1 : 0, max ?? 0, out var r), r);
    public Tensor clamp_min(double min) => clamp(min, null);
    public Tensor clamp_max(double max) => clamp(null, max);
    public Tensor masked_fill(Tensor mask, double value) => From(pcn_masked_fill(Handle, mask.Handle, value, out var r), r);

    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    public static Tensor operator +(Tensor a, double b) => a.add(b);
    public static Tensor operator +(double a, Tensor b) => b.add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    public static Tensor operator -(Tensor a, double b) => a.sub(b);
    public static Tensor operator -(double a, Tensor b) => b.Binary(BinaryOp.RSub, a);
    public static Tensor operator -(Tensor a) => a.neg();
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    public static Tensor operator *(Tensor a, double b) => a.mul(b);
    public static Tensor operator *(double a, Tensor b) => b.mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    public static Tensor operator /(Tensor a, double b) => a.div(b);

    // ---- reductions
    private Tensor Reduce(ReduceOp op, ReadOnlySpan<long> dims, bool keepdim)
    {
        fixed (long* p = dims) return From(pcn_reduce((int)op, Handle, p, dims.Length, keepdim ? 1 : 0, out var r), r);
    }

    public Tensor sum() => Reduce(ReduceOp.Sum, default, false);
    public Tensor sum(long dim, bool keepdim = false) => Reduce(ReduceOp.Sum, [dim], keepdim);
    public Tensor sum(long[] dims, bool keepdim = false) => Reduce(ReduceOp.Sum, dims, keepdim);
    public Tensor mean() => Reduce(ReduceOp.Mean, default, false);
    public Tensor mean(long dim, bool keepdim = false) => Reduce(ReduceOp.Mean, [dim], keepdim);
    public Tensor mean(long[] dims, bool keepdim = false) => Reduce(ReduceOp.Mean, dims, keepdim);
    public Tensor max() => Reduce(ReduceOp.Amax, default, false);
    public Tensor min() => Reduce(ReduceOp.Amin, default, false);
    public Tensor amax(long dim, bool keepdim = false) => Reduce(ReduceOp.Amax, [dim], keepdim);
    public Tensor amin(long dim, bool keepdim = false) => Reduce(ReduceOp.Amin, [dim], keepdim);
    public Tensor prod() => Reduce(ReduceOp.Prod, default, false);
    public Tensor std() => Reduce(ReduceOp.Std, default, false);
    public Tensor var() => Reduce(ReduceOp.Var, default, false);
    public Tensor logsumexp(long dim, bool keepdim = false) => Reduce(ReduceOp.LogSumExp, [dim], keepdim);
    public Tensor argmax() => Reduce(ReduceOp.Argmax, default, false);
    public Tensor argmax(long dim, bool keepdim = false) => Reduce(ReduceOp.Argmax, [dim], keepdim);
    public Tensor argmin(long dim, bool keepdim = false) => Reduce(ReduceOp.Argmin, [dim], keepdim);

    /// <summary>Max along <paramref name="dim"/>: values and their indices.</summary>
    public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false)
    {
        Check(pcn_max_dim(Handle, dim, keepdim ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public (Tensor values, Tensor indices) sort(long dim = -1, bool descending = false)
    {
        Check(pcn_sort(Handle, dim, descending ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor cumsum(long dim) => From(pcn_cumsum(Handle, dim, out var r), r);

    public bool allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
    {
        Check(pcn_allclose(Handle, other.Handle, rtol, atol, out var r));
        return r != 0;
    }

    /// <summary>True when shapes and every element are equal (bitwise for floats other than NaN).</summary>
    public bool equal(Tensor other)
    {
        Check(pcn_equal(Handle, other.Handle, out var r));
        return r != 0;
    }

    // ---- shapes and indexing
    public Tensor reshape(params long[] shape) { fixed (long* p = shape) return From(pcn_reshape(Handle, p, shape.Length, out var r), r); }
    public Tensor view(params long[] shape) { fixed (long* p = shape) return From(pcn_view(Handle, p, shape.Length, out var r), r); }
    public Tensor permute(params long[] dims) { fixed (long* p = dims) return From(pcn_permute(Handle, p, dims.Length, out var r), r); }
    public Tensor expand(params long[] shape) { fixed (long* p = shape) return From(pcn_expand(Handle, p, shape.Length, out var r), r); }
    public Tensor repeat(params long[] repeats) { fixed (long* p = repeats) return From(pcn_repeat(Handle, p, repeats.Length, out var r), r); }
    public Tensor transpose(long dim0, long dim1) => From(pcn_transpose(Handle, dim0, dim1, out var r), r);
    public Tensor narrow(long dim, long start, long length) => From(pcn_narrow(Handle, dim, start, length, out var r), r);
    public Tensor select(long dim, long index) => From(pcn_select(Handle, dim, index, out var r), r);
    public Tensor unsqueeze(long dim) => From(pcn_unsqueeze(Handle, dim, out var r), r);
    public Tensor squeeze(long dim) => From(pcn_squeeze(Handle, dim, out var r), r);
    public Tensor flatten(long start_dim = 0, long end_dim = -1) => From(pcn_flatten(Handle, start_dim, end_dim, out var r), r);
    public Tensor index_select(long dim, Tensor index) => From(pcn_index_select(Handle, dim, index.Handle, out var r), r);
    public Tensor gather(long dim, Tensor index) => From(pcn_gather(Handle, dim, index.Handle, out var r), r);
    /// <summary>Python's <c>t[..., start:end]</c> along <paramref name="dim"/> (a view).</summary>
    public Tensor slice(long dim, long start, long end) => narrow(dim, start, end - start);

    public Tensor softmax(long dim) => From(pcn_softmax(Handle, dim, out var r), r);
    public Tensor log_softmax(long dim) => From(pcn_log_softmax(Handle, dim, out var r), r);
    public Tensor matmul(Tensor other) => From(pcn_matmul(Handle, other.Handle, out var r), r);
}

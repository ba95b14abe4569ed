// The torch entry points: creation, random numbers, runtime settings and grad mode, with
// PyTorch's names so that a paper's code translates line by line.
using System.Runtime.InteropServices;
using PixelCnn.ML.Native;
using static PixelCnn.ML.Native.NativeMethods;

namespace PixelCnn.ML.Torch;

public static unsafe partial class torch
{
    public static readonly ScalarType float32 = ScalarType.Float32;
    public static readonly ScalarType float64 = ScalarType.Float64;
    public static readonly ScalarType int64 = ScalarType.Int64;
    public static readonly ScalarType uint8 = ScalarType.Byte;
    public static readonly ScalarType @bool = ScalarType.Bool;

    public static Device CPU => Device.CPU;

    // ---- runtime
    /// <summary>libtorch's version, e.g. "1.13.1".</summary>
    public static string version => Marshal.PtrToStringUTF8(pcn_torch_version()) ?? "";

    public static void manual_seed(long seed) => Check(pcn_manual_seed(unchecked((ulong)seed)));

    public static void set_num_threads(int n) => Check(pcn_set_num_threads(n));
    public static int get_num_threads() => pcn_get_num_threads();

    /// <summary>Native tensors alive right now (handles not yet freed); for leak checks.</summary>
    public static long live_tensor_count()
    {
        DeferredReleaseHandle.DrainPending();
        return pcn_live_tensors();
    }

    public static DisposeScope NewDisposeScope() => new();

    public static bool is_grad_enabled() => pcn_is_grad_enabled() != 0;

    /// <summary>Disables gradient recording on this thread until disposed.</summary>
    public static IDisposable no_grad() => new GradModeGuard(false);
    public static IDisposable enable_grad() => new GradModeGuard(true);

    private sealed class GradModeGuard : IDisposable
    {
        private readonly int _previous;
        private bool _done;
        public GradModeGuard(bool enabled) => _previous = pcn_set_grad_enabled(enabled ? 1 : 0);
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            pcn_set_grad_enabled(_previous);
        }
    }

    /// <summary>Autocast (mixed precision) for convolutions and matmuls on a device until disposed.</summary>
    public static IDisposable autocast(Device device, ScalarType dtype = ScalarType.BFloat16, bool enabled = true) =>
        new AutocastGuard(device, dtype, enabled);

    private sealed class AutocastGuard : IDisposable
    {
        private readonly int _deviceType, _dtype, _previous;
        private bool _done;
        public AutocastGuard(Device d, ScalarType dtype, bool enabled)
        {
            _deviceType = (int)d.type;
            _dtype = (int)dtype;
            Check(pcn_set_autocast(_deviceType, enabled ? 1 : 0, _dtype, out _previous));
        }
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            Check(pcn_set_autocast(_deviceType, _previous, _dtype, out _));
        }
    }

    public static class cuda
    {
        /// <summary>True when the loaded libtorch was built with CUDA (independent of a GPU being present).</summary>
        public static bool is_compiled() => pcn_cuda_compiled() != 0;
        public static bool is_available() => pcn_cuda_is_available() != 0;
        public static int device_count() => pcn_cuda_device_count();
        /// <summary>Returns cached, unused CUDA memory to the driver. No-op on CPU-only builds.</summary>
        public static void empty_cache() => Check(pcn_cuda_empty_cache());
        public static void synchronize(int device = 0) => Check(pcn_cuda_synchronize(device));
        public static string get_device_name(int device = 0)
        {
            var buf = stackalloc byte[256];
            Check(pcn_cuda_device_name(device, buf, 256));
            return Marshal.PtrToStringUTF8((IntPtr)buf) ?? "";
        }
        public static (long allocated, long reserved, long peak) memory_stats(int device = 0)
        {
            Check(pcn_cuda_memory_stats(device, out var a, out var r, out var p));
            return (a, r, p);
        }
        public static void reset_peak_memory_stats(int device = 0) => Check(pcn_cuda_reset_peak(device));
    }

    // ---- creation
    private static (int type, int index) Dev(Device? d) => d is null ? (0, -1) : ((int)d.type, d.index);

    private static Tensor Fill(int kind, ReadOnlySpan<long> shape, double value, ScalarType dtype, Device? device, bool requiresGrad)
    {
        var (dt, di) = Dev(device);
        fixed (long* p = shape)
            return Tensor.From(pcn_fill_new(kind, p, shape.Length, value, (int)dtype, dt, di, requiresGrad ? 1 : 0, out var r), r);
    }

    public static Tensor empty(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null, bool requires_grad = false) => Fill(0, shape, 0, dtype, device, requires_grad);
    public static Tensor zeros(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null, bool requires_grad = false) => Fill(1, shape, 0, dtype, device, requires_grad);
    public static Tensor ones(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null, bool requires_grad = false) => Fill(2, shape, 0, dtype, device, requires_grad);
    public static Tensor full(long[] shape, double value, ScalarType dtype = ScalarType.Float32, Device? device = null, bool requires_grad = false) => Fill(3, shape, value, dtype, device, requires_grad);
    public static Tensor zeros_like(Tensor t) => zeros(t.shape, t.dtype, t.device);
    public static Tensor ones_like(Tensor t) => ones(t.shape, t.dtype, t.device);

    /// <summary>
    /// Values from <paramref name="start"/> up to, not including, <paramref name="end"/>. Without a dtype,
    /// int64 when all three bounds are whole numbers and float32 otherwise, as in PyTorch (an int64
    /// default would silently turn <c>arange(0, 1, 0.25)</c> into zeros).
    /// </summary>
    public static Tensor arange(double start, double end, double step = 1, ScalarType? dtype = null, Device? device = null)
    {
        var (dt, di) = Dev(device);
        var type = dtype ?? (double.IsInteger(start) && double.IsInteger(end) && double.IsInteger(step) ? ScalarType.Int64 : ScalarType.Float32);
        return Tensor.From(pcn_arange(start, end, step, (int)type, dt, di, out var r), r);
    }

    /// <summary>A new tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor tensor<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, Device? device = null, bool requires_grad = false) where T : unmanaged
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        if (n != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape.ToArray())}] holds {n} elements but {data.Length} were given");
        var (dt, di) = Dev(device);
        Tensor t;
        fixed (T* d = data)
        fixed (long* p = shape)
            t = Tensor.From(pcn_tensor_from_data(d, p, shape.Length, (int)ScalarTypeExtensions.Of<T>(), dt, di, out var r), r);
        if (requires_grad) t.requires_grad = true;
        return t;
    }

    public static Tensor tensor<T>(T[] data, params long[] shape) where T : unmanaged =>
        tensor<T>(data.AsSpan(), shape.Length == 0 ? [data.Length] : shape);

    public static Tensor tensor(double scalar, ScalarType dtype = ScalarType.Float32, Device? device = null) => full([], scalar, dtype, device);

    // ---- random numbers
    private static Tensor Random(int kind, long[] shape, Generator? g, ScalarType dtype, Device? device)
    {
        var (dt, di) = Dev(device);
        fixed (long* p = shape)
            return Tensor.From(pcn_random_new(kind, p, shape.Length, g?.Handle ?? GeneratorHandle.Null, (int)dtype, dt, di, out var r), r);
    }

    public static Tensor rand(long[] shape, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null) => Random(0, shape, generator, dtype, device);
    public static Tensor randn(long[] shape, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null) => Random(1, shape, generator, dtype, device);

    public static Tensor randint(long low, long high, long[] shape, Generator? generator = null, Device? device = null)
    {
        var (dt, di) = Dev(device);
        fixed (long* p = shape)
            return Tensor.From(pcn_randint(low, high, p, shape.Length, generator?.Handle ?? GeneratorHandle.Null, dt, di, out var r), r);
    }

    public static Tensor randperm(long n, Generator? generator = null, Device? device = null)
    {
        var (dt, di) = Dev(device);
        return Tensor.From(pcn_randperm(n, generator?.Handle ?? GeneratorHandle.Null, dt, di, out var r), r);
    }

    /// <summary>Draws indices from the rows of <paramref name="probs"/> (unnormalised, non-negative).</summary>
    public static Tensor multinomial(Tensor probs, long num_samples, bool replacement = false, Generator? generator = null) =>
        Tensor.From(pcn_multinomial(probs.Handle, num_samples, replacement ? 1 : 0, generator?.Handle ?? GeneratorHandle.Null, out var r), r);

    public static Tensor bernoulli(Tensor probs, Generator? generator = null) =>
        Tensor.From(pcn_bernoulli(probs.Handle, generator?.Handle ?? GeneratorHandle.Null, out var r), r);

    // ---- combinations
    private static Tensor List(IReadOnlyList<Tensor> ts, long dim, bool stack) =>
        ParameterList.With(ts, (p, n) =>
            Tensor.From(stack ? pcn_stack(p, n, dim, out var r) : pcn_cat(p, n, dim, out r), r));

    public static Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0) => List(tensors, dim, stack: false);
    public static Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0) => List(tensors, dim, stack: true);

    public static Tensor where(Tensor condition, Tensor x, Tensor y) =>
        Tensor.From(pcn_where(condition.Handle, x.Handle, y.Handle, out var r), r);

    public static Tensor tanh(Tensor x) => x.tanh();
    public static Tensor sigmoid(Tensor x) => x.sigmoid();
    public static Tensor exp(Tensor x) => x.exp();
    public static Tensor log(Tensor x) => x.log();
    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    public static Tensor logsumexp(Tensor x, long dim, bool keepdim = false) => x.logsumexp(dim, keepdim);
}

/// <summary>A seedable random-number generator (CPU or CUDA) whose state can be saved and restored.</summary>
public sealed class Generator : IDisposable
{
    internal readonly GeneratorHandle Handle;

    public Generator(ulong seed = 0, Device? device = null)
    {
        device ??= Device.CPU;
        Check(pcn_generator_new(seed, (int)device.type, device.index, out var raw));
        Handle = new GeneratorHandle();
        Handle.Adopt(raw);
        Device = device;
    }

    public Device Device { get; }

    public Generator manual_seed(ulong seed)
    {
        Check(pcn_generator_seed(Handle, seed));
        return this;
    }

    /// <summary>The full generator state as a uint8 tensor (for exact resume).</summary>
    public Tensor get_state() => Tensor.From(pcn_generator_get_state(Handle, out var r), r);

    public void set_state(Tensor state) => Check(pcn_generator_set_state(Handle, state.Handle));

    /// <summary>The state of libtorch's default CPU generator.</summary>
    public static Tensor get_default_state() => Tensor.From(pcn_generator_get_state(GeneratorHandle.Null, out var r), r);
    public static void set_default_state(Tensor state) => Check(pcn_generator_set_state(GeneratorHandle.Null, state.Handle));

    public void Dispose() => Handle.Dispose();
}

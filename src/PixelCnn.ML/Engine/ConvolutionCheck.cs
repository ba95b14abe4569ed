// The engine's check of libtorch's CPU convolutions (start-up step 4 of TorchEngine).
//
// libtorch runs float32 CPU convolutions on oneDNN. On some machines oneDNN's vectorised kernels are
// wrong: on an AMD EPYC (family 26) virtual machine, oneDNN 3.7.1 inside libtorch 2.10 gave outputs off
// by ~10 and NaN input gradients for small convolutions whose channel counts are not a multiple of the
// kernel's block, with every instruction set from AVX up (docs/engine.md). A model trained there learns
// from wrong gradients without any error. The check runs a few such convolutions in float32, forward and
// both backward passes, against float64 (which oneDNN does not run). When they disagree, oneDNN is
// switched off (at::Context::setUserEnabledMkldnn(false)) and libtorch's own
// convolutions, slower on large layers but right, take over; the check then runs again and must pass.
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Engine;

/// <summary>How libtorch's CPU convolutions run in this process, as the engine's start-up check decided.</summary>
public enum CpuConvolutionBackend
{
    /// <summary>oneDNN (libtorch's default), checked against float64.</summary>
    OneDnn,
    /// <summary>libtorch's own convolutions: oneDNN gave wrong results here, or PIXELCNN_ONEDNN=off.</summary>
    Native,
}

internal static partial class ConvolutionCheck
{
    // (batch, in channels, out channels, height, width, kernel): channel counts off the 8/16 blocks, a
    // kernel of 2 and of 5, a one-pixel-wide image; all of them failed somewhere on the machine above.
    private static readonly (int N, int C, int O, int H, int W, int K)[] Cases =
    [
        (2, 1, 12, 10, 9, 3), (2, 12, 12, 10, 9, 3), (4, 3, 24, 8, 8, 5), (3, 3, 24, 5, 7, 3),
        (2, 4, 8, 6, 6, 2), (7, 24, 48, 7, 7, 3), (2, 2, 2, 4, 4, 3), (2, 5, 7, 6, 1, 3),
    ];

    /// <summary>The first disagreement between float32 and float64 convolutions, or null when all agree.</summary>
    public static string? FindWrongConvolution()
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        using var gen = new Generator(20260, device("cpu"));
        foreach (var (n, c, o, h, w, k) in Cases)
        {
            var x = randn([n, c, h, w], generator: gen);
            var weight = randn([o, c, k, k], generator: gen);
            var padding = new long[] { k / 2, k / 2 };
            var dy = randn([n, o, h + 2 * (k / 2) - k + 1, w + 2 * (k / 2) - k + 1], generator: gen);
            var (y32, dx32, dw32) = Run(x, weight, padding, dy);
            var (y64, dx64, dw64) = Run(x.to(float64), weight.to(float64), padding, dy.to(float64));
            string shape = $"a {n}x{c}x{h}x{w} input and {o} filters of {k}x{k}";
            if (Disagreement(y32, y64) is { } e1) return $"the forward pass of {shape} is off by {e1}";
            if (Disagreement(dx32, dx64) is { } e2) return $"the input gradient of {shape} is off by {e2}";
            if (Disagreement(dw32, dw64) is { } e3) return $"the weight gradient of {shape} is off by {e3}";
        }
        return null;
    }

    private static (Tensor Y, Tensor Dx, Tensor Dw) Run(Tensor x, Tensor weight, long[] padding, Tensor dy)
    {
        var xg = x.detach().requires_grad_();
        var wg = weight.detach().requires_grad_();
        var y = nn.functional.conv2d(xg, wg, padding: padding);
        var grads = autograd.grad([y], [xg, wg], [dy]);
        return (y.detach(), grads[0], grads[1]);
    }

    // Float32 against float64 on values of order 1-50: rounding gives ~1e-5; the failures were ~1-20 or NaN.
    internal static string? Disagreement(Tensor a, Tensor reference)
    {
        double error = (a.to(float64) - reference).abs().max().item<double>();
        double scale = Math.Max(1.0, reference.abs().max().item<double>());
        return error <= 1e-3 * scale ? null : double.IsNaN(error) ? "NaN" : $"{error:G3} (largest value {scale:G3})";
    }

    /// <summary>libtorch's own flag for using oneDNN; null where it cannot be read from here (not Linux x64).</summary>
    public static bool? OneDnnEnabled() => OnContext(c => UserEnabledMkldnn(c));

    /// <summary>
    /// Switches libtorch's NNPACK convolutions off, before any convolution runs. Where NNPACK cannot start (CPUs it does not
    /// support) libtorch prints "Could not initialize NNPACK! Reason: Unsupported hardware." each time it tries it, and on
    /// x86 libtorch's choice is oneDNN or its own convolutions anyway. False where it cannot be done from here (not Linux x64).
    /// </summary>
    public static bool TryDisableNnpack() => OnContext(c => { SetUserEnabledNnpack(c, false); return !UserEnabledNnpack(c); }) == true;

    /// <summary>libtorch's own flag for using NNPACK; null where it cannot be read from here (not Linux x64).</summary>
    public static bool? NnpackEnabled() => OnContext(c => UserEnabledNnpack(c));

    /// <summary>Switches libtorch's use of oneDNN off; false where that cannot be done from here (not Linux x64).</summary>
    public static bool TryDisableOneDnn() => OnContext(c => { SetUserEnabledMkldnn(c, false); return !UserEnabledMkldnn(c); }) == true;

    /// <summary><paramref name="call"/> on libtorch's global context; null where its symbols cannot be reached (not Linux x64).</summary>
    private static bool? OnContext(Func<IntPtr, bool> call)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        try
        {
            return call(GlobalContext());
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    // at::globalContext() and two member functions of at::Context, by their Itanium C++ ABI names
    // (the Linux build of libtorch exports them; `this` is the first argument).
    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static partial void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static partial void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledNnpack(IntPtr context);

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledMkldnn(IntPtr context);
}

// torch.addmm and Tensor.addmm_: the fused "bias plus matrix product" with an optional destination.
// Writing into a preallocated buffer (or a strided view of one) is what lets step-by-step
// decoders such as the cached sampler run without allocating a tensor per step.
using PixelCnn.ML.Native;
using static PixelCnn.ML.Native.NativeMethods;

namespace PixelCnn.ML.Torch;

public static partial class torch
{
    /// <summary>beta·<paramref name="input"/> + alpha·(<paramref name="mat1"/> @ <paramref name="mat2"/>), as a new tensor; input broadcasts to [n, p].</summary>
    public static Tensor addmm(Tensor input, Tensor mat1, Tensor mat2, double beta = 1, double alpha = 1) =>
        Tensor.From(pcn_addmm(TensorHandle.Null, input.Handle, mat1.Handle, mat2.Handle, beta, alpha, out var r), r);

    /// <summary>
    /// PyTorch's <c>torch.addmm(input, mat1, mat2, beta=, alpha=, out=)</c>: writes the result into
    /// <paramref name="out"/>, which must already have the shape [n, p] (a view into a larger buffer is
    /// fine, and so is <paramref name="input"/> itself). With beta = 0, input is ignored. Returns out.
    /// </summary>
    public static Tensor addmm(Tensor input, Tensor mat1, Tensor mat2, Tensor @out, double beta = 1, double alpha = 1)
    {
        Check(pcn_addmm(@out.Handle, input.Handle, mat1.Handle, mat2.Handle, beta, alpha, out _));
        return @out;
    }
}

public sealed partial class Tensor
{
    /// <summary>this = beta·this + alpha·(mat1 @ mat2), in place.</summary>
    public Tensor addmm_(Tensor mat1, Tensor mat2, double beta = 1, double alpha = 1) => torch.addmm(this, mat1, mat2, this, beta, alpha);
}

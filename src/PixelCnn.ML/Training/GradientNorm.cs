// The joint L2 norm of all gradients, which the trainer needs every step for its non-finite guard,
// and gradient clipping to a maximum norm when one is set.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Training;

internal static class GradientNorm
{
    /// <summary>
    /// Clips the gradients of <paramref name="parameters"/> to a joint norm of <paramref name="maxNorm"/> when it is
    /// positive; returns the joint norm before clipping either way (NaN or infinity when a gradient is not finite).
    /// </summary>
    public static double ClipOrMeasure(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        if (maxNorm > 0) return nn.utils.clip_grad_norm_(parameters, maxNorm);
        using var scope = NewDisposeScope();
        var norms = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!.norm()).ToArray();
        if (norms.Length == 0) return 0;
        return stack(norms).norm().item<float>();
    }
}

// Weight initialisation from an explicit generator, so a seed fixes every weight of a model: the
// factories build TorchSharp's layers and redraw their parameters with PyTorch's default bounds,
// U(−1/√fan_in, 1/√fan_in) for weights (kaiming_uniform with a = √5) and biases alike.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public static class Layers
{
    /// <summary>Fills <paramref name="t"/> from U(−1/√fanIn, 1/√fanIn), drawn from <paramref name="g"/> (or the default generator).</summary>
    public static Tensor DefaultUniform(Tensor t, long fanIn, Generator? g)
    {
        double bound = 1.0 / Math.Sqrt(fanIn);
        using var _ = no_grad();
        // Tensor.uniform_, not nn.init.uniform_: TorchSharp 0.107's nn.init.uniform_ ignores its generator
        // (checked here: weights differed between processes), which would make seeds meaningless.
        return t.uniform_(-bound, bound, g);
    }

    public static Linear Linear(long inFeatures, long outFeatures, Generator? g)
    {
        var m = nn.Linear(inFeatures, outFeatures);
        DefaultUniform(m.weight!, inFeatures, g);
        DefaultUniform(m.bias!, inFeatures, g);
        return m;
    }

    /// <param name="groups">Grouped convolution: each of the groups of outputs reads its own inChannels / groups inputs.</param>
    public static Conv2d Conv2d(long inChannels, long outChannels, long kernel, long stride, long padding, Generator? g, long groups = 1)
    {
        var m = nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding, groups: groups);
        long fanIn = inChannels / groups * kernel * kernel;
        DefaultUniform(m.weight!, fanIn, g);
        DefaultUniform(m.bias!, fanIn, g);
        return m;
    }

    public static ConvTranspose2d ConvTranspose2d(long inChannels, long outChannels, long kernel, long stride, long padding, Generator? g)
    {
        var m = nn.ConvTranspose2d(inChannels, outChannels, kernel, stride: stride, padding: padding);
        long fanIn = outChannels * kernel * kernel; // PyTorch: dim 1 of the [in, out, kh, kw] weight
        DefaultUniform(m.weight!, fanIn, g);
        DefaultUniform(m.bias!, fanIn, g);
        return m;
    }
}

// The common shape of the architectures built of several networks over auxiliary views
// (Grayscale, Pyramid): the negative log-likelihood is the exact sum of the parts, since every
// view is a function of the image; the per-sub-pixel map spreads each view's bits evenly over
// the sub-pixels it summarises, so it sums to the same total. There is no single forward pass
// to distribution parameters: the parts are networks of their own (Parts), sampled in stages.
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public abstract class AuxiliaryPixelCnn : PixelCnnNetwork
{
    protected AuxiliaryPixelCnn(string name, PixelCnnConfig config) : base(name, config) { }

    /// <summary>The names of the parts, in sampling order (e.g. "x̂ (4-bit grey)", "x | x̂").</summary>
    public abstract IReadOnlyList<string> PartNames { get; }

    /// <summary>The networks of the parts, in sampling order.</summary>
    public abstract IReadOnlyList<PixelCnnNetwork> Parts { get; }

    /// <summary>Negative log-likelihood in nats of each part of each image, [N, parts]; the row sums are −ln p(x).</summary>
    public Tensor PartNats(Tensor x, Tensor? h = null)
    {
        CheckInputs(x, h);
        using var scope = NewDisposeScope();
        var parts = PartMaps(x, h).Select(m => m.flatten(1).sum(1, keepdim: true)).ToArray();
        return cat(parts, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Each part's per-sub-pixel nats at its own resolution, in sampling order.</summary>
    protected abstract IReadOnlyList<Tensor> PartMaps(Tensor x, Tensor? h);

    /// <summary>Distribution parameters do not exist for the whole model: each part has its own (see <see cref="Parts"/>).</summary>
    public override Tensor forward(Tensor x, Tensor? h) => throw new NotSupportedException(
        $"{Config.Architecture} is made of several networks ({string.Join(", ", PartNames)}): score it with NllNats or PartNats, and use Parts for each network's parameters");
}

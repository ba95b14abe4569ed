// Output distributions over the values of each sub-pixel (256, or fewer for a softmax over a coarser view): the 256-way softmax of the papers
// and the discretized logistic mixture of PixelCNN++ (here one mixture per channel; colour
// dependencies come from the R→G→B masks rather than PixelCNN++'s linear coefficients).
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public abstract class OutputHead
{
    /// <summary>Network output channels per colour channel.</summary>
    public abstract int ParametersPerChannel { get; }

    /// <summary>
    /// Negative log-likelihood in nats of every sub-pixel: <paramref name="output"/> [N, C·P, H, W]
    /// from the network, <paramref name="target"/> [N, C, H, W] int64 values 0..255; returns [N, C, H, W].
    /// </summary>
    public abstract Tensor NllNats(Tensor output, Tensor target, int channels);

    /// <summary>Log-probabilities of the L values (256, or the configuration's Levels) for parameters <paramref name="parameters"/> [M, P]; returns [M, L].</summary>
    public abstract Tensor LogProbs(Tensor parameters);

    public static OutputHead For(PixelCnnConfig config) => config.Output switch
    {
        OutputDistribution.Softmax256 => new SoftmaxHead(config.Levels),
        OutputDistribution.LogisticMixture => new LogisticMixtureHead(config.MixtureComponents),
        _ => throw new ArgumentOutOfRangeException(nameof(config), config.Output, "unknown output distribution"),
    };

    /// <summary>[N, C·P, H, W] → [N, C, P, H, W] (a view).</summary>
    protected Tensor Split(Tensor output, int channels)
    {
        var s = output.shape;
        return output.view(s[0], channels, ParametersPerChannel, s[2], s[3]);
    }
}

public sealed class SoftmaxHead : OutputHead
{
    private readonly int _levels;

    /// <summary>A softmax over <paramref name="levels"/> values (256 for 8-bit sub-pixels).</summary>
    public SoftmaxHead(int levels = 256) => _levels = levels;

    public override int ParametersPerChannel => _levels;

    public override Tensor NllNats(Tensor output, Tensor target, int channels)
    {
        using var scope = NewDisposeScope();
        // cross_entropy wants the class dim second: [N, L, C, H, W].
        var logits = Split(output, channels).transpose(1, 2);
        return nn.functional.cross_entropy(logits, target, reduction: nn.Reduction.None).MoveToOuterDisposeScope();
    }

    public override Tensor LogProbs(Tensor parameters) => parameters.log_softmax(-1);
}

public sealed class LogisticMixtureHead : OutputHead
{
    private readonly int _k;

    public LogisticMixtureHead(int components) => _k = components;

    public override int ParametersPerChannel => 3 * _k;

    /// <summary>Lower bound on log-scales, as in PixelCNN++.</summary>
    public const double MinLogScale = -7.0;

    public override Tensor NllNats(Tensor output, Tensor target, int channels)
    {
        using var scope = NewDisposeScope();
        var p = Split(output, channels);                 // [N, C, 3K, H, W]
        var x = target.to(ScalarType.Float32).unsqueeze(2); // [N, C, 1, H, W]
        var logp = MixtureLogProb(p.narrow(2, 0, _k), p.narrow(2, _k, _k), p.narrow(2, 2 * _k, _k), x, dim: 2);
        return (-logp).MoveToOuterDisposeScope();
    }

    public override Tensor LogProbs(Tensor parameters)
    {
        using var scope = NewDisposeScope();
        var m = parameters.shape[0];
        var p = parameters.unsqueeze(1);                 // [M, 1, 3K]
        var x = arange(0, 256, dtype: ScalarType.Float32, device: parameters.device).view(1, 256, 1);
        var logp = MixtureLogProb(p.narrow(2, 0, _k), p.narrow(2, _k, _k), p.narrow(2, 2 * _k, _k), x, dim: 2);
        return logp.MoveToOuterDisposeScope();           // [M, 256]
    }

    /// <summary>
    /// log P(x) for x in 0..255 under a mixture of discretized logistics with mixture logits, means and
    /// log-scales in the [-1, 1] pixel scale, reduced over <paramref name="dim"/> (the component axis).
    /// Bin probabilities are computed in log space as log(σ(a) − σ(b)) = b + log(expm1(a − b)) −
    /// softplus(a) − softplus(b), so they telescope to exactly 1 over the 256 values.
    /// </summary>
    internal static Tensor MixtureLogProb(Tensor logits, Tensor means, Tensor logScales, Tensor x, long dim)
    {
        var xs = PixelCnnNetwork.Scale(x);
        var logS = logScales.clamp_min(MinLogScale);
        var invS = (-logS).exp();
        var centred = xs - means;
        var plusIn = invS * (centred + 1.0 / 255.0);
        var minIn = invS * (centred - 1.0 / 255.0);
        var spPlus = nn.functional.softplus(plusIn);
        var spMin = nn.functional.softplus(minIn);
        var logCdfPlus = plusIn - spPlus;     // log σ(plusIn), for x = 0
        var logOneMinusCdfMin = -spMin;       // log(1 − σ(minIn)), for x = 255
        var logMid = minIn + (plusIn - minIn).expm1().log() - spPlus - spMin;
        var logBin = where(x.lt(0.5), logCdfPlus, where(x.gt(254.5), logOneMinusCdfMin, logMid));
        return (logBin + logits.log_softmax(dim)).logsumexp(dim);
    }
}

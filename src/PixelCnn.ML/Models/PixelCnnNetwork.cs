// Common shape of every network in the family: images in (float 0..255, [N, C, H, W]) and an
// optional conditioning vector h, distribution parameters out ([N, C·P, H, W]) such that the
// parameters of sub-pixel (i, j, c) depend only on sub-pixels before it in raster order, R→G→B.
using PixelCnn.ML.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public abstract class PixelCnnNetwork : nn.Module<Tensor, Tensor?, Tensor>
{
    protected PixelCnnNetwork(string name, PixelCnnConfig config) : base(name)
    {
        TorchEngine.EnsureStarted();
        config.Validate();
        Config = config;
        Head = OutputHead.For(config);
    }

    public PixelCnnConfig Config { get; }

    /// <summary>Number of trainable values.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());
    public OutputHead Head { get; }

    /// <summary>Distribution parameters [N, C·P, H, W] for images <paramref name="x"/> (0..255) and condition <paramref name="h"/>.</summary>
    public abstract override Tensor forward(Tensor x, Tensor? h);

    /// <summary>Distribution parameters of an unconditional model.</summary>
    public Tensor forward(Tensor x) => forward(x, null);

    /// <summary>
    /// Negative log-likelihood in nats of every sub-pixel, [N, C, H, W]; summed over an image it is −ln p(x). The
    /// auxiliary architectures spread the bits of their views over the sub-pixels those views summarise.
    /// </summary>
    public virtual Tensor NllNats(Tensor x, Tensor? h = null)
    {
        using var scope = NewDisposeScope();
        var output = forward(x, h);
        var target = x.to(ScalarType.Int64);
        return Head.NllNats(output, target, Config.Channels).MoveToOuterDisposeScope();
    }

    /// <summary>Builds the network a configuration describes, with weights drawn from <paramref name="generator"/>.</summary>
    public static PixelCnnNetwork Create(PixelCnnConfig config, Generator? generator = null) => config.IsAutoencoder
        ? new PixelCnnAutoencoder(config, generator)
        : CreateDecoder(config, generator);

    /// <summary>The PixelCNN of a configuration, ignoring any encoder.</summary>
    internal static PixelCnnNetwork CreateDecoder(PixelCnnConfig config, Generator? generator = null) => config.Architecture switch
    {
        PixelCnnArchitecture.GatedPixelCnn => new GatedPixelCnn(config, generator),
        PixelCnnArchitecture.PixelCnn => new PixelCnnBaseline(config, generator),
        PixelCnnArchitecture.RowLstm or PixelCnnArchitecture.DiagonalBiLstm => new PixelRnn(config, generator),
        PixelCnnArchitecture.Grayscale => new GrayscalePixelCnn(config, generator),
        PixelCnnArchitecture.Pyramid => config.Conditioning != ConditioningKind.Image ? new PyramidPixelCnn(config, generator)
            : config.SuperResolutionOrder == SuperResolutionOrder.Blocks ? new BlockSuperResolutionPixelCnn(config, generator)
            : new SuperResolutionPixelCnn(config, generator),
        _ => throw new ArgumentOutOfRangeException(nameof(config), config.Architecture, "unknown architecture"),
    };

    /// <summary>Maps pixel values 0..255 to [-1, 1], the scale every network works in.</summary>
    protected internal static Tensor Scale(Tensor x) => x / 127.5 - 1.0;

    /// <summary>Maps values 0..<paramref name="levels"/>−1 to [-1, 1] (the same op as <see cref="Scale(Tensor)"/> for 256).</summary>
    protected internal static Tensor Scale(Tensor x, int levels) => x / ((levels - 1) / 2.0) - 1.0;

    /// <summary>This network's input scale: <see cref="Scale(Tensor, int)"/> with its <see cref="PixelCnnConfig.Levels"/>.</summary>
    protected internal Tensor ScaleInput(Tensor x) => Scale(x, Config.Levels);

    /// <summary>
    /// The running sum of per-layer skip outputs with <paramref name="next"/> added (null while there are none),
    /// releasing the previous handles at once so memory does not grow with depth.
    /// </summary>
    protected static Tensor? AddSkip(Tensor? skip, Tensor? next)
    {
        if (next is null) return skip;
        if (skip is null) return next;
        var sum = skip + next;
        skip.Dispose();
        next.Dispose();
        return sum;
    }

    /// <summary>True for networks that derive h themselves (the autoencoder).</summary>
    protected virtual bool ExternalConditionNotAccepted => false;

    protected void CheckInputs(Tensor x, Tensor? h)
    {
        var s = x.shape;
        if (s.Length != 4 || s[1] != Config.Channels || s[2] != Config.Height || s[3] != Config.Width)
            throw new ArgumentException(
                $"images must have shape [N, {Config.Channels}, {Config.Height}, {Config.Width}], got [{string.Join(", ", s)}]");
        if (Config.Conditioning == ConditioningKind.None || ExternalConditionNotAccepted)
        {
            if (h is not null) throw new ArgumentException(ExternalConditionNotAccepted
                ? "this autoencoder computes its condition from the image; do not pass one (decode with Decoder for a given embedding)"
                : "this model is unconditional but a condition vector was given");
            return;
        }
        if (h is null) throw new ArgumentException($"this model is conditioned on a vector of {Config.ConditionSize} values; none was given");
        var hs = h.shape;
        if (hs.Length != 2 || hs[0] != s[0] || hs[1] != Config.ConditionSize)
            throw new ArgumentException($"condition must have shape [{s[0]}, {Config.ConditionSize}], got [{string.Join(", ", hs)}]");
    }

    /// <summary>The 1x1 output head: ReLU → 1x1 (to OutputHiddenChannels) → ReLU → 1x1 (to C·P), colour-masked.</summary>
    protected internal sealed class OutputStack : nn.Module<Tensor, Tensor>
    {
        // Field names are the state-dict names ("head.hidden.weight", "head.out.bias").
        private readonly MaskedConv2d hidden, @out;

        public OutputStack(PixelCnnConfig c, int inChannels, int parametersPerChannel, Generator? g) : base(nameof(OutputStack))
        {
            var inGroups = ColourMasks.Groups(inChannels, c.Channels);
            var hidGroups = ColourMasks.Groups(c.OutputHiddenChannels, c.Channels);
            hidden = MaskedConv2d.Pointwise(inGroups, hidGroups, MaskType.B, g);
            @out = MaskedConv2d.Pointwise(hidGroups, ColourMasks.BlockGroups(c.Channels, parametersPerChannel), MaskType.B, g);
            RegisterComponents();
        }

        internal MaskedConv2d Hidden => hidden;
        internal MaskedConv2d Output => @out;

        public override Tensor forward(Tensor features)
        {
            using var a = features.relu();
            using var b = hidden.forward(a);
            b.relu_(); // in place on the convolution's output: halves the head's largest temporary
            return @out.forward(b);
        }
    }
}

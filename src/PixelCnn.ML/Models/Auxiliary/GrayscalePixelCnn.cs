// PixelCNN with a grayscale auxiliary variable (Kolesnikov & Lampert 2017):
// p(x) = p(x̂) · p(x | x̂) with x̂ the n-bit grey view of x. Both parts are Gated PixelCNNs with the
// configuration's layers and widths: the first over x̂ alone (a softmax over 2^n levels, any
// vector condition h goes here), the second over x given the whole of x̂ as an image condition.
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public sealed class GrayscalePixelCnn : AuxiliaryPixelCnn
{
    // Field names are the state-dict prefixes ("prior.", "conditional.").
    private readonly GatedPixelCnn prior, conditional;

    public GrayscalePixelCnn(PixelCnnConfig config, Generator? generator = null) : base(nameof(GrayscalePixelCnn), config)
    {
        prior = new GatedPixelCnn(PriorConfig(config), generator);
        conditional = new GatedPixelCnn(ConditionalConfig(config), generator);
        RegisterComponents();
    }

    /// <summary>The model of x̂: one channel of 2^AuxiliaryBits levels, conditioned as the whole model is.</summary>
    public static PixelCnnConfig PriorConfig(PixelCnnConfig c) => c with
    {
        Architecture = PixelCnnArchitecture.GatedPixelCnn, Channels = 1, Levels = 1 << c.AuxiliaryBits,
    };

    /// <summary>The model of x given x̂ (expanded to 0..255) as a one-plane image condition.</summary>
    public static PixelCnnConfig ConditionalConfig(PixelCnnConfig c) => c with
    {
        Architecture = PixelCnnArchitecture.GatedPixelCnn, Conditioning = ConditioningKind.Image, ConditionSize = c.Height * c.Width,
    };

    public GatedPixelCnn Prior => prior;
    public GatedPixelCnn Conditional => conditional;

    public override IReadOnlyList<string> PartNames => [$"x̂ ({Config.AuxiliaryBits}-bit grey)", "x | x̂"];
    public override IReadOnlyList<PixelCnnNetwork> Parts => [prior, conditional];

    /// <summary>x̂ of images x [N, C, H, W]: [N, 1, H, W], 0..2^bits − 1.</summary>
    public Tensor View(Tensor x) => AuxiliaryViews.Grayscale(x, Config.AuxiliaryBits);

    /// <summary>The image condition [N, H·W] (0..255) the conditional part reads for views <paramref name="view"/> [N, 1, H, W].</summary>
    public Tensor ConditionOf(Tensor view)
    {
        using var expanded = AuxiliaryViews.Expand(view, Config.AuxiliaryBits);
        return expanded.reshape(view.shape[0], Config.Height * Config.Width);
    }

    protected override IReadOnlyList<Tensor> PartMaps(Tensor x, Tensor? h)
    {
        var view = View(x);
        return [prior.NllNats(view, h), conditional.NllNats(x, ConditionOf(view))];
    }

    public override Tensor NllNats(Tensor x, Tensor? h = null)
    {
        CheckInputs(x, h);
        using var scope = NewDisposeScope();
        var parts = PartMaps(x, h);
        return (parts[1] + parts[0] / Config.Channels).MoveToOuterDisposeScope();
    }
}

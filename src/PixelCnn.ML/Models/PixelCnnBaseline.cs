// The original PixelCNN (van den Oord et al., 2016, PixelRNN paper): a 7x7 mask-A convolution, a
// stack of residual 3x3 mask-B convolutions with ReLU, and the 1x1 output head. Its stacked masks
// leave a blind spot to the upper right, which the Gated PixelCNN removes; it is kept as the
// baseline and to show that difference in tests.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public sealed class PixelCnnBaseline : PixelCnnNetwork
{
    public const int InputKernelSize = 7;

    private readonly MaskedConv2d input_conv;
    private readonly ModuleList<MaskedConv2d> layers;
    private readonly SpatialConditionNet? cond_net;
    private readonly LayerCondition? input_condition;
    private readonly ModuleList<LayerCondition>? conditions;
    private readonly OutputStack head;

    public PixelCnnBaseline(PixelCnnConfig c, Generator? g = null) : base(nameof(PixelCnnBaseline), c)
    {
        int p = c.HiddenChannels, k = c.KernelSize;
        var imgGroups = ColourMasks.Groups(c.Channels, c.Channels);
        var pGroups = ColourMasks.Groups(p, c.Channels);
        int ik = InputKernelSize, ih = ik / 2, kh = k / 2;
        input_conv = new MaskedConv2d(c.Channels, p, ik, ik, ColourMasks.Build(pGroups, imgGroups, ik, ik, ih, ih, MaskType.A), [ih, ih, ih, ih], g);
        layers = nn.ModuleList<MaskedConv2d>();
        for (int l = 0; l < c.Layers; l++)
            layers.Add(new MaskedConv2d(p, p, k, k, ColourMasks.Build(pGroups, pGroups, k, k, kh, kh, MaskType.B), [kh, kh, kh, kh], g));
        if (c.Conditioning == ConditioningKind.Spatial)
            cond_net = new SpatialConditionNet(c.ConditionSize, c.SpatialConditionChannels, c.Height, c.Width, g);
        if (c.Conditioning != ConditioningKind.None)
        {
            input_condition = new LayerCondition(c, p, g);
            conditions = nn.ModuleList<LayerCondition>();
            for (int l = 0; l < c.Layers; l++) conditions.Add(new LayerCondition(c, p, g));
        }
        head = new OutputStack(c, p, Head.ParametersPerChannel, g);
        RegisterComponents();
    }

    // The parts, for the cached sampler (Sampling/CachedBaselineStepper.cs).
    internal MaskedConv2d InputConv => input_conv;
    internal IList<MaskedConv2d> Layers => layers;
    internal LayerCondition? InputCondition => input_condition;
    internal IList<LayerCondition>? Conditions => conditions;
    internal SpatialConditionNet? CondNet => cond_net;
    internal OutputStack OutputLayers => head;

    public override Tensor forward(Tensor x, Tensor? h)
    {
        CheckInputs(x, h);
        using var scope = NewDisposeScope();
        var condition = cond_net is null ? h : cond_net.forward(h!);
        var f = input_conv.forward(ScaleInput(x));
        if (condition is not null) f = f + input_condition!.forward(condition);
        for (int l = 0; l < layers.Count; l++)
        {
            using var a = f.relu();
            var r = layers[l].forward(a);
            if (condition is not null) r = r + conditions![l].forward(condition);
            var next = f + r;
            f.Dispose(); // earlier activations: autograd keeps what backward needs
            r.Dispose();
            f = next;
        }
        return head.forward(f).MoveToOuterDisposeScope();
    }
}

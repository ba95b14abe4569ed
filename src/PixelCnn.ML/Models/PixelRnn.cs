// PixelRNN (van den Oord, Kalchbrenner, Kavukcuoglu, ICML 2016): the Row LSTM and the Diagonal
// BiLSTM. Both share the paper's frame:
//   f0 = conv7x7_A(x)                                   2h feature maps
//   per layer: hid = LSTM(f) (h maps); f = f + residual(hid)   (1x1 conv h → 2h, mask B)
//              skip += skip(hid) (optional, 1x1 conv h → 2h)
//   head: ReLU → 1x1 → ReLU → 1x1 (the family's OutputStack), on skip (when enabled) or f.
// Gates of a pre-activation of 4h maps are laid out i, f, o, g (each h maps, colour groups as in
// ColourMasks), so c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g) and h' = σ(o) ⊙ tanh(c'). Conditioning adds V·h
// (global) or a 1x1 conv of s = m(h) (spatial) to the input-to-state pre-activations.
//
// Row LSTM layer (triangular receptive field above the pixel):
//   pre = is(f) (1 x k, mask B, whole map at once); row by row, pre_i += ss(hid_{i-1}) (1 x k,
//   unmasked: the previous row is known), then the LSTM update along the rows.
// Diagonal BiLSTM layer (the whole context above and to the left):
//   the maps are skewed (row i shifted right by i), so the 2 x 1 state-to-state conv over the
//   previous column of the skewed map sees (i − 1, j) and (i, j − 1), and all rows of a column update
//   at once. Outside the image (the skew's padding) state is zero. A second direction runs on the
//   mirrored maps (it sees (i − 1, j) and (i, j + 1)); its output is shifted down one row before
//   the two are added, so row i only gets what the right direction learned from rows < i.
//   Features at (i, j) never hold the pixel's own last sub-pixel (mask A, then mask B), so the last
//   pixel of row i − 1 would reach no output of row i left of j = W − 4: a one-pixel blind spot of
//   the design as written. The first layer's mirrored direction therefore also reads the image
//   itself through an unmasked 1x1 convolution (legal: its output only reaches the rows below).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

/// <summary>The LSTM update and the skew of the Diagonal BiLSTM, the one definition used by the network and the cached sampler.</summary>
internal static class LstmCell
{
    /// <summary>
    /// One update: <paramref name="pre"/> holds the 4h pre-activations (i, f, o, g, each
    /// <paramref name="hidden"/> wide) along <paramref name="gateDim"/>; <paramref name="cell"/> the previous
    /// cell state (the shape of one gate), or null for zero. Returns the new hidden and cell states.
    /// </summary>
    internal static (Tensor hidden, Tensor cell) Step(Tensor pre, Tensor? cell, long hidden, long gateDim)
    {
        using var scope = NewDisposeScope();
        // Out of place: sigmoid and tanh keep their outputs for backward.
        var c = pre.narrow(gateDim, 0, hidden).sigmoid() * pre.narrow(gateDim, 3 * hidden, hidden).tanh();
        if (cell is not null) c = c + (pre.narrow(gateDim, hidden, hidden).sigmoid() * cell);
        var h = pre.narrow(gateDim, 2 * hidden, hidden).sigmoid() * c.tanh();
        return (h.MoveToOuterDisposeScope(), c.MoveToOuterDisposeScope());
    }

    /// <summary>[N, C, H, W] → [N, C, H, W + H − 1], row i shifted right by i, zeros elsewhere.</summary>
    internal static Tensor Skew(Tensor x)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        // Rows padded to W + H and read back with a row length of W + H − 1: row i starts i places later.
        var flat = nn.functional.pad(x, [0, h]).reshape(n, c, h * (w + h));
        return flat.narrow(2, 0, h * (w + h - 1)).view(n, c, h, w + h - 1).MoveToOuterDisposeScope();
    }

    /// <summary>The inverse of <see cref="Skew"/>: [N, C, H, W + H − 1] → [N, C, H, <paramref name="width"/>].</summary>
    internal static Tensor Unskew(Tensor s, long width)
    {
        using var scope = NewDisposeScope();
        long n = s.shape[0], c = s.shape[1], h = s.shape[2];
        // Rows padded to W + H, then read with a row length of W + H + 1: row i starts i places later again.
        var flat = nn.functional.pad(s, [0, 1]).reshape(n, c, h * (width + h));
        flat = nn.functional.pad(flat, [0, h]);
        return flat.view(n, c, h, width + h + 1).narrow(3, 0, width).contiguous().MoveToOuterDisposeScope();
    }
}

/// <summary>One recurrent layer: features f [N, 2h, H, W], the layer condition and the scaled image → (f + residual(hid), skip(hid) or null).</summary>
public abstract class RecurrentLayer : nn.Module<Tensor, Tensor?, Tensor, (Tensor features, Tensor? skip)>
{
    protected RecurrentLayer(string name) : base(name) { }

    /// <summary>The layer's LSTM output hid [N, h, H, W] for features f, the layer condition (h or s) and the scaled image, before the residual.</summary>
    internal abstract Tensor Hidden(Tensor f, Tensor? condition, Tensor image);

    internal abstract MaskedConv2d Residual { get; }
    internal abstract MaskedConv2d? Skip { get; }

    public override (Tensor features, Tensor? skip) forward(Tensor f, Tensor? condition, Tensor image)
    {
        using var scope = NewDisposeScope();
        var hid = Hidden(f, condition, image);
        var next = Residual.forward(hid).add_(f);
        var skip = Skip?.forward(hid);
        skip?.MoveToOuterDisposeScope();
        return (next.MoveToOuterDisposeScope(), skip);
    }

    /// <summary>Groups of a 4h pre-activation: the h-layout four times (i, f, o, g).</summary>
    internal static int[] GateGroups(int h, int colours)
    {
        var one = ColourMasks.Groups(h, colours);
        return [.. one, .. one, .. one, .. one];
    }
}

public sealed class RowLstmLayer : RecurrentLayer
{
    // Field names are the state-dict names ("layers.0.input_to_state.weight", ...).
    private readonly MaskedConv2d input_to_state, state_to_state, residual;
    private readonly MaskedConv2d? skip;
    private readonly LayerCondition? cond;
    private readonly int _h;

    public RowLstmLayer(PixelCnnConfig c, Generator? g = null) : base(nameof(RowLstmLayer))
    {
        int h = _h = c.HiddenChannels, k = c.KernelSize, half = k / 2;
        var featureGroups = ColourMasks.Groups(2 * h, c.Channels);
        var hiddenGroups = ColourMasks.Groups(h, c.Channels);
        var gateGroups = GateGroups(h, c.Channels);
        // 1 x k over row i: columns j − k/2 .. j (the centre by colour, mask B); those right of it are off.
        input_to_state = new MaskedConv2d(2 * h, 4 * h, 1, k, ColourMasks.Build(gateGroups, featureGroups, 1, k, 0, half, MaskType.B), [half, half, 0, 0], g);
        // 1 x k over row i − 1, all k columns: the previous row is complete, so no mask.
        state_to_state = new MaskedConv2d(h, 4 * h, 1, k, null, [half, half, 0, 0], g);
        residual = MaskedConv2d.Pointwise(hiddenGroups, featureGroups, MaskType.B, g);
        if (c.SkipConnections) skip = MaskedConv2d.Pointwise(hiddenGroups, featureGroups, MaskType.B, g);
        if (c.Conditioning != ConditioningKind.None) cond = new LayerCondition(c, 4 * h, g);
        RegisterComponents();
    }

    // The parts, for the cached sampler (Sampling/CachedPixelRnnStepper.cs).
    internal MaskedConv2d InputToState => input_to_state;
    internal MaskedConv2d StateToState => state_to_state;
    internal LayerCondition? Condition => cond;
    internal override MaskedConv2d Residual => residual;
    internal override MaskedConv2d? Skip => skip;

    internal override Tensor Hidden(Tensor f, Tensor? condition, Tensor image)
    {
        using var scope = NewDisposeScope();
        long n = f.shape[0], height = f.shape[2], width = f.shape[3];
        var pre = input_to_state.forward(f);
        if (condition is not null) pre = pre.add_(cond!.forward(condition));
        var hid = zeros([n, _h, 1, width], dtype: f.dtype, device: f.device);
        Tensor? cell = null;
        var rows = new Tensor[height];
        // One unbind, not a narrow per row: the backward of each narrow would fill a whole map of zeros.
        var preRows = pre.unbind(2);
        for (int i = 0; i < height; i++)
        {
            var p = state_to_state.forward(hid).add_(preRows[i].unsqueeze(2));
            (hid, cell) = LstmCell.Step(p, cell, _h, gateDim: 1);
            rows[i] = hid;
        }
        return cat(rows, 2).MoveToOuterDisposeScope();
    }
}

public sealed class DiagonalBiLstmLayer : RecurrentLayer
{
    private readonly MaskedConv2d input_to_state, state_to_state, input_to_state_r, state_to_state_r, residual;
    private readonly MaskedConv2d? image_to_state_r, skip;
    private readonly LayerCondition? cond, cond_r;
    private readonly int _h;

    /// <param name="first">The first layer: its mirrored direction also reads the image (see the file's header).</param>
    public DiagonalBiLstmLayer(PixelCnnConfig c, bool first, Generator? g = null) : base(nameof(DiagonalBiLstmLayer))
    {
        int h = _h = c.HiddenChannels;
        var featureGroups = ColourMasks.Groups(2 * h, c.Channels);
        var hiddenGroups = ColourMasks.Groups(h, c.Channels);
        var gateGroups = GateGroups(h, c.Channels);
        // Left-to-right direction, then its mirror image: 1x1 mask-B input-to-state, 2x1 state-to-state
        // over the previous column of the skewed map (rows i − 1 and i, padded on top).
        input_to_state = MaskedConv2d.Pointwise(featureGroups, gateGroups, MaskType.B, g);
        state_to_state = new MaskedConv2d(h, 4 * h, 2, 1, null, [0, 0, 1, 0], g);
        input_to_state_r = MaskedConv2d.Pointwise(featureGroups, gateGroups, MaskType.B, g);
        state_to_state_r = new MaskedConv2d(h, 4 * h, 2, 1, null, [0, 0, 1, 0], g);
        if (first) image_to_state_r = new MaskedConv2d(c.Channels, 4 * h, 1, 1, null, [0, 0, 0, 0], g);
        residual = MaskedConv2d.Pointwise(hiddenGroups, featureGroups, MaskType.B, g);
        if (c.SkipConnections) skip = MaskedConv2d.Pointwise(hiddenGroups, featureGroups, MaskType.B, g);
        if (c.Conditioning != ConditioningKind.None)
        {
            cond = new LayerCondition(c, 4 * h, g);
            cond_r = new LayerCondition(c, 4 * h, g);
        }
        RegisterComponents();
    }

    internal MaskedConv2d InputToState => input_to_state;
    internal MaskedConv2d StateToState => state_to_state;
    internal MaskedConv2d InputToStateMirrored => input_to_state_r;
    internal MaskedConv2d StateToStateMirrored => state_to_state_r;
    internal LayerCondition? Condition => cond;
    internal LayerCondition? ConditionMirrored => cond_r;
    internal MaskedConv2d? ImageToStateMirrored => image_to_state_r;
    internal override MaskedConv2d Residual => residual;
    internal override MaskedConv2d? Skip => skip;

    /// <summary>
    /// Whether the mirrored direction's output is shifted down one row before the sum (always, in a
    /// real model). Tests turn it off to show that the shift is what keeps the current row's right
    /// half out of the receptive field.
    /// </summary>
    internal bool ShiftMirroredDown { get; set; } = true;

    internal override Tensor Hidden(Tensor f, Tensor? condition, Tensor image)
    {
        using var scope = NewDisposeScope();
        long n = f.shape[0], height = f.shape[2], width = f.shape[3], h = _h;
        var pre = input_to_state.forward(f);
        var preR = input_to_state_r.forward(f);
        if (image_to_state_r is not null) preR = preR.add_(image_to_state_r.forward(image));
        if (condition is not null)
        {
            pre = pre.add_(cond!.forward(condition));
            preR = preR.add_(cond_r!.forward(condition));
        }
        // Both directions in one scan: channels [left 4h | mirrored 4h], a grouped 2x1 convolution.
        var skewed = LstmCell.Skew(cat([pre, preR.flip(3)], 1)); // [N, 8h, H, K]
        var weight = cat([state_to_state.EffectiveWeight(), state_to_state_r.EffectiveWeight()], 0);
        var bias = cat([state_to_state.bias, state_to_state_r.bias], 0);
        long columns = width + height - 1;
        var hid = zeros([n, 2 * h, height, 1], dtype: f.dtype, device: f.device);
        var cell = zeros([n, 2, h, height], dtype: f.dtype, device: f.device);
        var outputs = new Tensor[columns];
        // One unbind, not a select per column: the backward of each select would fill the whole skewed map.
        var preColumns = skewed.unbind(3);
        for (int k = 0; k < columns; k++)
        {
            // Only rows lo..hi of column k lie inside the image; outside it the state stays zero, so the scan
            // computes the band and pads it back to H rows (half the work of the full skewed column).
            long lo = Math.Max(0, k - (width - 1)), hi = Math.Min(height - 1, k), band = hi - lo + 1;
            using var padded = nn.functional.pad(hid, [0, 0, 1, 0]); // row r + 1 holds state row r; row 0 the zero above the top
            var p = nn.functional.conv2d(padded.narrow(2, lo, band + 1), weight, bias, groups: 2).squeeze(3)
                .add_(preColumns[k].narrow(2, lo, band)).view(n, 2, 4 * h, band);
            var (hn, cn) = LstmCell.Step(p, cell.narrow(3, lo, band), h, gateDim: 2);
            bool whole = band == height;
            cell = whole ? cn : nn.functional.pad(cn, [lo, height - 1 - hi]);
            var state = (whole ? hn : nn.functional.pad(hn, [lo, height - 1 - hi])).view(n, 2 * h, height);
            outputs[k] = state;
            hid = state.unsqueeze(3);
        }
        var both = LstmCell.Unskew(stack(outputs, 3), width); // [N, 2h, H, W]
        var left = both.narrow(1, 0, h);
        var right = both.narrow(1, h, h).flip(3);
        if (ShiftMirroredDown) right = nn.functional.pad(right, [0, 0, 1, 0]).narrow(2, 0, height);
        return (left + right).MoveToOuterDisposeScope();
    }
}

/// <summary>PixelRNN: the Row LSTM or the Diagonal BiLSTM (<see cref="PixelCnnConfig.Architecture"/>).</summary>
public sealed class PixelRnn : PixelCnnNetwork
{
    public const int InputKernelSize = 7;

    private readonly MaskedConv2d input_conv;
    private readonly SpatialConditionNet? cond_net;
    private readonly ModuleList<RecurrentLayer> layers;
    private readonly OutputStack head;

    public PixelRnn(PixelCnnConfig c, Generator? g = null) : base(nameof(PixelRnn), c)
    {
        if (c.Architecture is not (PixelCnnArchitecture.RowLstm or PixelCnnArchitecture.DiagonalBiLstm))
            throw new ArgumentException($"PixelRnn builds RowLstm or DiagonalBiLstm, not {c.Architecture}", nameof(c));
        int f = 2 * c.HiddenChannels, ik = InputKernelSize, ih = ik / 2;
        var imgGroups = ColourMasks.Groups(c.Channels, c.Channels);
        var fGroups = ColourMasks.Groups(f, c.Channels);
        input_conv = new MaskedConv2d(c.Channels, f, ik, ik, ColourMasks.Build(fGroups, imgGroups, ik, ik, ih, ih, MaskType.A), [ih, ih, ih, ih], g);
        if (c.Conditioning == ConditioningKind.Spatial)
            cond_net = new SpatialConditionNet(c.ConditionSize, c.SpatialConditionChannels, c.Height, c.Width, g);
        layers = nn.ModuleList<RecurrentLayer>();
        for (int l = 0; l < c.Layers; l++)
            layers.Add(c.Architecture == PixelCnnArchitecture.RowLstm ? new RowLstmLayer(c, g) : new DiagonalBiLstmLayer(c, l == 0, g));
        head = new OutputStack(c, f, Head.ParametersPerChannel, g);
        RegisterComponents();
    }

    internal MaskedConv2d InputConv => input_conv;
    internal SpatialConditionNet? CondNet => cond_net;
    internal IList<RecurrentLayer> Layers => layers;
    internal OutputStack OutputLayers => head;

    public override Tensor forward(Tensor x, Tensor? h)
    {
        CheckInputs(x, h);
        using var scope = NewDisposeScope();
        var condition = cond_net is null ? h : cond_net.forward(h!);
        var image = ScaleInput(x);
        var f = input_conv.forward(image);
        Tensor? skip = null;
        foreach (var layer in layers)
        {
            var (next, s) = layer.forward(f, condition, image);
            f.Dispose(); // autograd keeps what backward needs
            f = next;
            skip = AddSkip(skip, s);
        }
        return head.forward(skip ?? f).MoveToOuterDisposeScope();
    }
}

// Fast (cached) decoding of the plain PixelCNN: a strictly causal stack of masked convolutions,
// f0 = conv7x7_A(x), f(l+1) = f(l) + conv_B(relu f(l)). Every layer keeps its input in a cache, and
// a masked kxk convolution at pixel (i, j) splits into
//  - the rows above (i − k/2 .. i − 1, all k columns), which are final once row i begins: computed
//    for the whole row at once, at the row's start, as an (k/2) x k convolution of the cached rows,
//    plus bias and conditioning, into a per-column "row bias";
//  - the current row (columns j − k/2 .. j, the centre masked by colour): per sub-pixel, one matrix
//    product of the cached window with the row bias as the addend.
// Taps right of the centre and below are masked off, so nothing else is needed. With colour, the
// pixel is re-run for each channel as the earlier ones are set.
using PixelCnn.ML.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Sampling;

internal sealed class CachedBaselineStepper : SubPixelStepper
{
    /// <summary>One masked convolution and the cache of its input.</summary>
    private sealed class Stream
    {
        public int Pad;
        /// <summary>[B, Cin, pad + H, pad + W + pad]: input rows, zero-padded above and at the sides.</summary>
        public required Tensor Rows;
        public required RowBuffer Input;
        /// <summary>[p, Cin, pad, k]: the kernel rows above the centre.</summary>
        public required Tensor WeightAbove;
        /// <summary>The centre row's taps up to the centre (masked), as a map of a RowBuffer window.</summary>
        public required Projection RowTaps;
        /// <summary>Bias (+ conditioning): [1 or B, p, 1 or H, 1 or W].</summary>
        public required Tensor Const;
        public required Tensor RowBias;
        public required Tensor[] RowBiasAt;
    }

    private readonly Stream[] _streams; // 0: the image into the 7x7 mask-A conv; l + 1: relu(f(l)) into layer l
    private readonly Tensor[] _features; // f(0) .. f(L) at the current pixel, [B, p]
    private readonly HeadStep _head;
    private readonly float[] _scaled;
    private readonly Tensor _scaledTable;
    private readonly float[] _buffer;
    private readonly bool _spatial;
    private (int i, int j, int c) _evaluated = (-1, -1, -1);

    public CachedBaselineStepper(PixelCnnBaseline network, Device device, int batch, Tensor? conditions, bool directWrites)
        : base(network, device, batch, directWrites)
    {
        var cfg = Config;
        int p = cfg.HiddenChannels;
        _spatial = cfg.Conditioning == ConditioningKind.Spatial;
        _scaled = ScaledValues();
        _scaledTable = ScaledTable();
        _buffer = new float[batch];
        using var scope = NewDisposeScope();
        var condition = LayerConditionInput(network.CondNet, conditions);
        _streams = new Stream[cfg.Layers + 1];
        for (int s = 0; s <= cfg.Layers; s++)
        {
            var conv = s == 0 ? network.InputConv : network.Layers[s - 1];
            var cond = s == 0 ? network.InputCondition : network.Conditions?[s - 1];
            int cin = s == 0 ? cfg.Channels : p;
            int k = checked((int)conv.weight.size(2)), pad = k / 2;
            var weight = conv.EffectiveWeight(); // [p, Cin, k, k]
            var constant = conv.bias.view(1, p, 1, 1);
            if (cond is not null) constant = constant + cond.forward(condition!);
            var rowBias = Keep(zeros([cfg.Width, batch, p], device: device));
            _streams[s] = new Stream
            {
                Pad = pad,
                Rows = Keep(zeros([batch, cin, pad + cfg.Height, cfg.Width + 2 * pad], device: device)),
                Input = Keep(new RowBuffer(batch, cfg.Width, pad, cin, device, directWrites)),
                WeightAbove = Keep(weight.narrow(2, 0, pad).contiguous()),
                RowTaps = Keep(new Projection(weight.select(2, pad).narrow(2, 0, pad + 1).permute(0, 2, 1).reshape(p, (pad + 1) * cin), null, batch, device)),
                Const = Keep(constant),
                RowBias = rowBias,
                RowBiasAt = Enumerable.Range(0, cfg.Width).Select(j => Keep(rowBias.select(0, j))).ToArray(),
            };
        }
        _features = Enumerable.Range(0, cfg.Layers + 1).Select(_ => Keep(zeros([batch, p], device: device))).ToArray();
        _head = Keep(new HeadStep(network.OutputLayers, p, cfg.Channels, network.Head.ParametersPerChannel, batch, device));
    }

    public override void BeginRow(int i)
    {
        using var scope = NewDisposeScope();
        foreach (var s in _streams)
        {
            // Rows i − pad .. i − 1 of the input are at padded rows i .. i + pad − 1.
            var above = nn.functional.conv2d(s.Rows.narrow(2, i, s.Pad), s.WeightAbove);
            var bias = above + Row(s.Const, _spatial, i);
            s.RowBias.copy_(bias.permute(3, 0, 1, 2).squeeze(3));
        }
    }

    public override Tensor Parameters(int i, int j, int c)
    {
        Run(j);
        _evaluated = (i, j, c);
        return _head.Run(_features[^1], c);
    }

    /// <summary>Every layer's features at column j of the current row.</summary>
    private void Run(int j)
    {
        var first = _streams[0];
        first.RowTaps.Apply(first.Input.Window[j], _features[0], first.RowBiasAt[j]);
        for (int l = 0; l + 1 < _streams.Length; l++)
        {
            var s = _streams[l + 1];
            var slot = s.Input.Slot[j];
            slot.copy_(_features[l]);
            slot.relu_();
            s.RowTaps.Apply(s.Input.Window[j], _features[l + 1], _features[l]);
            _features[l + 1].add_(s.RowBiasAt[j]);
        }
    }

    public override void Set(int i, int j, int c, Tensor values)
    {
        using var scope = NewDisposeScope();
        _streams[0].Input.Write(j, c, _scaledTable.index_select(0, values.to(ScalarType.Int64)));
    }

    public override void Set(int i, int j, int c, ReadOnlySpan<float> values)
    {
        for (int b = 0; b < Batch; b++) _buffer[b] = _scaled[(int)values[b]];
        _streams[0].Input.Write(j, c, _buffer);
    }

    public override void EndPixel(int i, int j)
    {
        if (_evaluated != (i, j, Config.Channels - 1)) Run(j);
    }

    public override void EndRow(int i)
    {
        foreach (var s in _streams) s.Input.CopyInto(s.Rows, s.Pad + i, s.Pad);
    }
}

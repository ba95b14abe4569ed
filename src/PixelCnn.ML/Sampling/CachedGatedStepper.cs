// Fast (cached) decoding of the Gated PixelCNN, in the manner of Fast PixelCNN++ (Ramachandran et
// al., 2017). The vertical stack at row r depends on rows <= r only, and the horizontal stack sees
// it through v_to_h one row down, so:
//  - once per row i, after row i−1 is complete, each block computes its vertical stack for row
//    i−1 (the (k/2+1) x k convolution over the cached rows i−1−k/2 .. i−1 of its vertical input,
//    all columns: the input is cached as [row, column, image, channel], so each tap's inputs for
//    the whole row are one contiguous [W·B, C_in] slice and the convolution is (k/2+1)·k matrix
//    products accumulated in place; a convolution call this small costs more in per-image overhead
//    than in arithmetic), stores the gated result as the next block's vertical input, and folds
//    v_to_h(v_pre[i−1]) + h_conv bias + the conditioning bias into a per-column "row bias";
//  - per sub-pixel, each block computes its horizontal stack at one pixel only: one matrix
//    product of the cached window of k/2+1 columns of its horizontal input (with the row bias as
//    the addend; see Projection), the gate in place, and the residual / skip 1x1s as matrix products with the
//    bias folded in as an extra row; then the 1x1 head at that pixel, for the current channel only.
// With colour, the pixel's horizontal stack is re-run for each channel as the earlier ones are
// set; the masks make the run for the last channel final for every colour group.
// Everything a step touches is preallocated, and the views a step needs are created up front.
using PixelCnn.ML.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Sampling;

internal sealed class CachedGatedStepper : SubPixelStepper
{
    private sealed class Layer
    {
        public required GatedBlock Block;
        /// <summary>[k/2 + H, k/2 + W + k/2, B, Cin]: the block's vertical input, zero-padded above and at the sides.</summary>
        public required Tensor VInput;
        /// <summary>The block's horizontal input along the current row.</summary>
        public required RowBuffer HInput;
        /// <summary>The masked h_conv taps as a map of a RowBuffer window to h_pre (the row bias is the addend).</summary>
        public required Projection HConv;
        /// <summary>[Cin, 2p] per tap (dy, dx), at dy·k + dx: v_conv's weight transposed.</summary>
        public required Tensor[] VConvTaps;
        /// <summary>[2p, 2p]: v_to_h's weight, transposed.</summary>
        public required Tensor VToHT;
        /// <summary>[1 + p, p]: bias row then the transposed masked 1x1 (h_res / h_skip), for [1, g] @ W.</summary>
        public Tensor? ResidualT, SkipT;
        /// <summary>cond_v(h or s): [B, 2p, 1, 1] or [B, 2p, H, W].</summary>
        public Tensor? CondV;
        /// <summary>h_conv bias + cond_h(h or s): [1 or B, 2p, 1 or H, 1 or W].</summary>
        public required Tensor HConst;
        /// <summary>[W, B, 2p]: the part of h_pre that does not depend on the current row, per column.</summary>
        public required Tensor RowBias;
        public required Tensor[] RowBiasAt;
        /// <summary>[B, 1 + 2p]: a constant 1, then h_pre; gated in place into GA, so GAug = [1, g].</summary>
        public required Tensor G, GPre, GA, GB, GAug;
    }

    private readonly Layer[] _layers;
    private readonly HeadStep _head;
    private readonly Tensor? _skip;
    private readonly Tensor _final;
    private readonly float[] _scaled;
    private readonly Tensor _scaledTable;
    private readonly float[] _buffer;
    private readonly int _p, _half, _width;
    private readonly bool _spatial;
    private (int i, int j, int c) _evaluated = (-1, -1, -1);
    private readonly ConditionLogits? _condLogits;
    /// <summary>The image condition's value each sub-pixel reads, [H, W, C, B], for the direct logits.</summary>
    private readonly Tensor? _condValues;

    public CachedGatedStepper(GatedPixelCnn network, Device device, int batch, Tensor? conditions, bool directWrites)
        : base(network, device, batch, directWrites)
    {
        var cfg = Config;
        int p = _p = cfg.HiddenChannels, half = _half = cfg.KernelSize / 2, w = _width = cfg.Width;
        _spatial = cfg.Conditioning is ConditioningKind.Spatial or ConditioningKind.Image;
        _scaled = ScaledValues();
        _scaledTable = ScaledTable();
        _buffer = new float[batch];
        using var scope = NewDisposeScope();
        var condition = LayerConditionInput(network.CondNet, conditions);
        _layers = new Layer[cfg.Layers];
        for (int l = 0; l < cfg.Layers; l++)
        {
            var block = network.Blocks[l];
            int cin = l == 0 ? cfg.Channels : p;
            var hWeight = block.HConv.EffectiveWeight(); // [2p, Cin, 1, half + 1]
            var g = Keep(ones([batch, 1 + 2 * p], device: device));
            var hConst = block.HConv.bias.view(1, 2 * p, 1, 1);
            if (block.CondH is not null) hConst = hConst + block.CondH.forward(condition!);
            var rowBias = Keep(zeros([w, batch, 2 * p], device: device));
            _layers[l] = new Layer
            {
                Block = block,
                VInput = Keep(zeros([half + cfg.Height, w + 2 * half, batch, cin], device: device)),
                HInput = Keep(new RowBuffer(batch, w, half, cin, device, directWrites)),
                HConv = Keep(new Projection(hWeight.permute(0, 2, 3, 1).reshape(2 * p, (half + 1) * cin), null, batch, device)),
                VConvTaps = Taps(block.VConv.weight!),
                VToHT = Keep(block.VToH.weight!.reshape(2 * p, 2 * p).t().contiguous()),
                ResidualT = block.HRes is null ? null : Keep(Augmented(block.HRes, p)),
                SkipT = block.HSkip is null ? null : Keep(Augmented(block.HSkip, p)),
                CondV = block.CondV is null ? null : Keep(block.CondV.forward(condition!)),
                HConst = Keep(hConst),
                RowBias = rowBias,
                RowBiasAt = Enumerable.Range(0, w).Select(j => Keep(rowBias.select(0, j))).ToArray(),
                G = g,
                GPre = Keep(g.narrow(1, 1, 2 * p)),
                GA = Keep(g.narrow(1, 1, p)),
                GB = Keep(g.narrow(1, 1 + p, p)),
                GAug = Keep(g.narrow(1, 0, 1 + p)),
            };
        }
        _skip = cfg.SkipConnections ? Keep(zeros([batch, p], device: device)) : null;
        _final = Keep(zeros([batch, p], device: device));
        _head = Keep(new HeadStep(network.OutputLayers, p, cfg.Channels, network.Head.ParametersPerChannel, batch, device));
        _condLogits = network.CondLogits;
        if (_condLogits is not null) _condValues = Keep(_condLogits.Values(conditions!).permute(2, 3, 1, 0).contiguous()); // [H, W, C, B]
    }

    /// <summary>A convolution weight [out, in, kh, kw] as kh·kw matrices [in, out], tap (dy, dx) at dy·kw + dx.</summary>
    private Tensor[] Taps(Tensor weight)
    {
        using var perTap = weight.permute(2, 3, 1, 0).contiguous();
        return Enumerable.Range(0, (int)(weight.shape[2] * weight.shape[3]))
            .Select(t => Keep(perTap[t / weight.shape[3], t % weight.shape[3]])).ToArray();
    }

    /// <summary>[1 + p, p]: the bias as the first row, then the masked weight transposed.</summary>
    internal static Tensor Augmented(MaskedConv2d pointwise, int p)
    {
        using var scope = NewDisposeScope();
        var weight = pointwise.EffectiveWeight().view(p, p).transpose(0, 1);
        return cat([pointwise.bias.view(1, p), weight], 0).contiguous().MoveToOuterDisposeScope();
    }

    public override void BeginRow(int i)
    {
        using var scope = NewDisposeScope();
        int p = _p, half = _half;
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var block = layer.Block;
            var constant = ByColumn(Row(layer.HConst, _spatial, i));              // [1 or W, 1 or B, 2p]
            if (i == 0)
            {
                // The link sees the row above through a zero shift: only v_to_h's bias remains.
                layer.RowBias.copy_(constant + block.VToH.bias);
                continue;
            }
            // Vertical stack of row i−1 from its cached input rows i−1−k/2 .. i−1 (padded index i−1 ..): tap (dy, dx) reads
            // columns dx .. dx + W − 1 of row i−1+dy, one contiguous [W·B, Cin] slice, rows ordered (column, image).
            Tensor? vPre = null;                                                              // [W·B, 2p]
            for (int dy = 0; dy <= half; dy++)
            {
                var row = layer.VInput.select(0, i - 1 + dy).view(-1, layer.VInput.shape[3]);  // [(W + 2·(k/2))·B, Cin]
                for (int dx = 0; dx <= 2 * half; dx++)
                {
                    var taps = row.narrow(0, (long)dx * Batch, (long)_width * Batch);
                    var weight = layer.VConvTaps[dy * (2 * half + 1) + dx];
                    vPre = vPre is null ? torch.addmm(block.VConv.bias!, taps, weight, 1, 1) : vPre.addmm_(taps, weight, 1, 1);
                }
            }
            var link = torch.addmm(block.VToH.bias!, vPre, layer.VToHT, 1, 1);
            layer.RowBias.copy_(link.view(_width, Batch, 2 * p) + constant);
            if (l + 1 < _layers.Length)
            {
                var pre = layer.CondV is null ? vPre : (vPre.view(_width, Batch, 2 * p) + ByColumn(Row(layer.CondV, _spatial, i - 1))).view(-1, 2 * p);
                _layers[l + 1].VInput.select(0, half + i - 1).narrow(0, half, _width).copy_(GatedBlock.Gate(pre, p).view(_width, Batch, p));
            }
        }
    }

    /// <summary>A row [B or 1, 2p, 1, W or 1] of a per-pixel map as [W or 1, B or 1, 2p], the layout of the row bias.</summary>
    private static Tensor ByColumn(Tensor row) => row.permute(3, 0, 1, 2).squeeze(3);

    public override Tensor Parameters(int i, int j, int c)
    {
        RunHorizontal(j);
        _evaluated = (i, j, c);
        var parameters = _head.Run(_skip ?? _final, c);
        if (_condLogits is not null)
        {
            using var scope = NewDisposeScope();
            parameters.add_(_condLogits.Rows(c, _condValues![i, j, c]));
        }
        return parameters;
    }

    /// <summary>The horizontal stack of every block at column j of the current row.</summary>
    private void RunHorizontal(int j)
    {
        int last = _layers.Length - 1;
        for (int l = 0; l <= last; l++)
        {
            var layer = _layers[l];
            layer.HConv.Apply(layer.HInput.Window[j], layer.GPre, layer.RowBiasAt[j]);
            GatedBlock.GateInPlace(layer.GA, layer.GB);
            if (l < last || _skip is null)
            {
                var next = l < last ? _layers[l + 1].HInput.Slot[j] : _final;
                if (layer.ResidualT is null) next.copy_(layer.GA);
                else Projection.AddmmInto(next, layer.HInput.Slot[j], layer.GAug, layer.ResidualT);
            }
            if (_skip is not null) Projection.AddmmInto(_skip, _skip, layer.GAug, layer.SkipT!, beta: l == 0 ? 0 : 1);
        }
    }

    public override void Set(int i, int j, int c, Tensor values)
    {
        using var scope = NewDisposeScope();
        _layers[0].HInput.Write(j, c, _scaledTable.index_select(0, values.to(ScalarType.Int64)));
    }

    public override void Set(int i, int j, int c, ReadOnlySpan<float> values)
    {
        for (int b = 0; b < Batch; b++) _buffer[b] = _scaled[(int)values[b]];
        _layers[0].HInput.Write(j, c, _buffer);
    }

    public override void EndPixel(int i, int j)
    {
        // Every colour group of a pixel's features is final once the stack has run with all but
        // the last channel set; a fully known pixel has not run at all yet.
        if (_evaluated != (i, j, Config.Channels - 1)) RunHorizontal(j);
    }

    public override void EndRow(int i)
    {
        using var scope = NewDisposeScope();
        var input = _layers[0].HInput;                                                       // [B, k/2 + W, C]
        _layers[0].VInput.select(0, _half + i).narrow(0, _half, _width).copy_(input.Data.narrow(1, _half, _width).permute(1, 0, 2));
    }
}

// Fast (cached) decoding of the PixelRNN architectures: the recurrent state is carried along, so a
// sub-pixel costs one pixel's worth of work per layer instead of a full forward pass.
//  - The 7x7 mask-A input convolution at pixel (i, j) reads its 4 x 7 window (rows i − 3 .. i) of a
//    zero-padded copy of the image in the network's scale.
//  - Row LSTM: at a row's start, the state-to-state convolution of the previous row's hidden state
//    (plus biases and conditioning) is computed for the whole row. Per pixel, only the 1 x (k/2 + 1)
//    input-to-state window of the current row and the LSTM update remain; the cell comes from the
//    previous row's same column.
//  - Diagonal BiLSTM: the left-to-right direction is a recurrence over (i − 1, j) and (i, j − 1):
//    the first term is computed for the whole row at its start, the second per pixel. The mirrored
//    direction reaches row i only through the one-row shift, so it is computed once per row, when
//    the row is complete, by a right-to-left scan of that row.
// With colour, the pixel is re-run for each channel as the earlier ones are set; the run of the
// last channel leaves the final state (no group depends on the pixel's last channel).
using PixelCnn.ML.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Sampling;

internal sealed class CachedPixelRnnStepper : SubPixelStepper
{
    private const int InputHalf = PixelRnn.InputKernelSize / 2;

    /// <summary>One recurrent layer's weights as matrices and its caches along the current row.</summary>
    private sealed class Layer
    {
        /// <summary>[B, 2h, pad + W]: the layer's input features along the current row, pad zero columns on the left.</summary>
        public required Tensor Features;
        /// <summary>[2h·(pad + 1), 4h]: the input-to-state taps of columns j − pad .. j (transposed for mm).</summary>
        public required Tensor InputWeightT;
        /// <summary>[B, 4h, W]: the part of the pre-activations fixed at the row's start.</summary>
        public required Tensor Above;
        /// <summary>Bias (+ conditioning) of the pre-activations: [B or 1, 4h, H or 1, W or 1].</summary>
        public required Tensor Constant;
        /// <summary>Hidden state of the previous row [B, h, W].</summary>
        public required Tensor HiddenAbove;
        /// <summary>The Row LSTM's cell state of the previous row [B, h, W] (the Diagonal BiLSTM's cell comes from the left).</summary>
        public Tensor? CellAbove;
        /// <summary>Current row's hidden and cell state, [B, h, 1 + W] (column 0 is the zero state left of the image).</summary>
        public required Tensor Hidden, Cell;
        public required Tensor ResidualT, ResidualBias;
        public Tensor? SkipT, SkipBias;
        /// <summary>The Row LSTM's 1 x k state-to-state convolution (over the previous row).</summary>
        public MaskedConv2d? RowStateToState;
        // ---- Diagonal BiLSTM only
        /// <summary>[h, 4h]: the state-to-state tap on (i, j − 1), transposed.</summary>
        public Tensor? LeftTapT;
        /// <summary>[4h, h, 1, 1]: the state-to-state tap on (i − 1, j).</summary>
        public Tensor? AboveTap;
        /// <summary>The mirrored direction's weights: input [4h, 2h, 1, 1], taps as above, its constant.</summary>
        public Tensor? MirroredInput, MirroredAboveTap, MirroredRightTapT, MirroredConstant;
        /// <summary>The first layer's mirrored image tap [4h, C, 1, 1], or null.</summary>
        public Tensor? MirroredImage;
        /// <summary>[B, h, W]: the mirrored direction's hidden state of the previous row (what the shift adds to row i).</summary>
        public Tensor? MirroredAbove;
    }

    private readonly bool _diagonal, _spatial;
    private readonly int _h, _pad;
    private readonly Tensor _image;          // [B, C, 3 + H, 3 + W + 3], the network's scale
    private readonly HostWriter _writer;
    private readonly Tensor _inputWeightT;   // [C·4·7, 2h]: the rows i − 3 .. i of the 7x7 mask-A kernel
    private readonly Tensor _inputBias;      // [2h]
    private readonly Layer[] _layers;
    private readonly HeadStep _head;
    private readonly Tensor _headInput;      // [B, 2h]
    private readonly float[] _scaled;
    private readonly Tensor _scaledTable;
    private readonly float[] _buffer;
    private (int i, int j, int c) _evaluated = (-1, -1, -1);

    public CachedPixelRnnStepper(PixelRnn network, Device device, int batch, Tensor? conditions, bool directWrites)
        : base(network, device, batch, directWrites)
    {
        var cfg = Config;
        _diagonal = cfg.Architecture == PixelCnnArchitecture.DiagonalBiLstm;
        _spatial = cfg.Conditioning == ConditioningKind.Spatial;
        _h = cfg.HiddenChannels;
        _pad = _diagonal ? 0 : cfg.KernelSize / 2;
        int f = 2 * _h, g = 4 * _h;
        _scaled = ScaledValues();
        _scaledTable = ScaledTable();
        _buffer = new float[batch];
        using var scope = NewDisposeScope();
        _image = Keep(zeros([batch, cfg.Channels, InputHalf + cfg.Height, cfg.Width + 2 * InputHalf], device: device));
        _writer = new HostWriter(_image, directWrites);
        _inputWeightT = Keep(network.InputConv.EffectiveWeight().narrow(2, 0, InputHalf + 1).reshape(f, -1).t().contiguous());
        _inputBias = Keep(network.InputConv.bias.detach().clone());
        var condition = LayerConditionInput(network.CondNet, conditions);
        _layers = new Layer[cfg.Layers];
        for (int l = 0; l < cfg.Layers; l++)
        {
            var layer = network.Layers[l];
            Layer s;
            if (layer is RowLstmLayer row)
            {
                var w = row.InputToState.EffectiveWeight().narrow(3, 0, _pad + 1); // [4h, 2h, 1, pad + 1]
                var constant = row.InputToState.bias.view(1, g, 1, 1);
                if (row.Condition is not null) constant = constant + row.Condition.forward(condition!);
                s = NewLayer(batch, cfg.Width, w.reshape(g, -1).t(), constant, layer);
                s.RowStateToState = row.StateToState;
            }
            else
            {
                var d = (DiagonalBiLstmLayer)layer;
                var constant = (d.InputToState.bias + d.StateToState.bias).view(1, g, 1, 1);
                var mirrored = (d.InputToStateMirrored.bias + d.StateToStateMirrored.bias).view(1, g, 1, 1);
                if (d.Condition is not null)
                {
                    constant = constant + d.Condition.forward(condition!);
                    mirrored = mirrored + d.ConditionMirrored!.forward(condition!);
                }
                s = NewLayer(batch, cfg.Width, d.InputToState.EffectiveWeight().view(g, f).t(), constant, layer);
                var ss = d.StateToState.EffectiveWeight();          // [4h, h, 2, 1]: taps (i − 1, j), (i, j − 1)
                var ssR = d.StateToStateMirrored.EffectiveWeight(); // mirrored: (i − 1, j), (i, j + 1)
                s.AboveTap = Keep(ss.narrow(2, 0, 1).contiguous());
                s.LeftTapT = Keep(ss.select(2, 1).select(2, 0).t().contiguous());
                s.MirroredInput = Keep(d.InputToStateMirrored.EffectiveWeight().contiguous());
                s.MirroredAboveTap = Keep(ssR.narrow(2, 0, 1).contiguous());
                s.MirroredRightTapT = Keep(ssR.select(2, 1).select(2, 0).t().contiguous());
                s.MirroredConstant = Keep(mirrored);
                if (d.ImageToStateMirrored is { } image)
                {
                    s.MirroredImage = Keep(image.EffectiveWeight().contiguous());
                    s.MirroredConstant = Keep(mirrored + image.bias.view(1, g, 1, 1));
                }
                s.MirroredAbove = Keep(zeros([batch, _h, cfg.Width], device: device));
            }
            _layers[l] = s;
        }
        _headInput = Keep(zeros([batch, f], device: device));
        _head = Keep(new HeadStep(network.OutputLayers, f, cfg.Channels, network.Head.ParametersPerChannel, batch, device));
    }

    private Layer NewLayer(int batch, int width, Tensor inputWeightT, Tensor constant, RecurrentLayer layer)
    {
        int f = 2 * _h, g = 4 * _h;
        return new Layer
        {
            Features = Keep(zeros([batch, f, _pad + width], device: Device)),
            InputWeightT = Keep(inputWeightT.contiguous()),
            Above = Keep(zeros([batch, g, width], device: Device)),
            Constant = Keep(constant),
            HiddenAbove = Keep(zeros([batch, _h, width], device: Device)),
            CellAbove = _diagonal ? null : Keep(zeros([batch, _h, width], device: Device)),
            Hidden = Keep(zeros([batch, _h, 1 + width], device: Device)),
            Cell = Keep(zeros([batch, _h, 1 + width], device: Device)),
            ResidualT = Keep(layer.Residual.EffectiveWeight().view(f, _h).t().contiguous()),
            ResidualBias = Keep(layer.Residual.bias.detach().clone()),
            SkipT = layer.Skip is null ? null : Keep(layer.Skip.EffectiveWeight().view(f, _h).t().contiguous()),
            SkipBias = layer.Skip is null ? null : Keep(layer.Skip.bias.detach().clone()),
        };
    }

    public override void BeginRow(int i)
    {
        using var scope = NewDisposeScope();
        foreach (var s in _layers)
        {
            var constant = Row(s.Constant, _spatial, i); // [B|1, 4h, 1, W|1]
            var above = _diagonal
                ? nn.functional.conv2d(s.HiddenAbove.unsqueeze(2), s.AboveTap!)
                : s.RowStateToState!.forward(s.HiddenAbove.unsqueeze(2));
            s.Above.copy_((above + constant).squeeze(2));
        }
    }

    public override Tensor Parameters(int i, int j, int c)
    {
        Run(i, j);
        _evaluated = (i, j, c);
        return _head.Run(_headInput, c);
    }

    /// <summary>Every layer at pixel (i, j) from the cached state; leaves the head's input in <see cref="_headInput"/>.</summary>
    private void Run(int i, int j)
    {
        using var scope = NewDisposeScope();
        int b = Batch;
        var window = _image.narrow(2, i, InputHalf + 1).narrow(3, j, 2 * InputHalf + 1).reshape(b, -1);
        var f = window.mm(_inputWeightT).add_(_inputBias);
        Tensor? skip = null;
        foreach (var s in _layers)
        {
            s.Features.select(2, _pad + j).copy_(f);
            var pre = s.Features.narrow(2, j, _pad + 1).reshape(b, -1).mm(s.InputWeightT).add_(s.Above.select(2, j));
            if (_diagonal) pre.add_(s.Hidden.select(2, j).mm(s.LeftTapT!));
            var cell = _diagonal ? s.Cell.select(2, j) : s.CellAbove!.select(2, j);
            var (hid, c) = LstmCell.Step(pre.unsqueeze(2), cell.unsqueeze(2), _h, gateDim: 1);
            s.Hidden.select(2, j + 1).copy_(hid.squeeze(2));
            s.Cell.select(2, j + 1).copy_(c.squeeze(2));
            var output = _diagonal ? hid.squeeze(2) + s.MirroredAbove!.select(2, j) : hid.squeeze(2);
            f = f + output.mm(s.ResidualT).add_(s.ResidualBias);
            if (s.SkipT is not null)
            {
                var k = output.mm(s.SkipT).add_(s.SkipBias!);
                skip = skip is null ? k : skip.add_(k);
            }
        }
        _headInput.copy_(skip ?? f);
    }

    public override void Set(int i, int j, int c, Tensor values)
    {
        using var scope = NewDisposeScope();
        _image.select(1, c).select(1, InputHalf + i).select(1, InputHalf + j).copy_(_scaledTable.index_select(0, values.to(ScalarType.Int64)));
    }

    public override void Set(int i, int j, int c, ReadOnlySpan<float> values)
    {
        for (int b = 0; b < Batch; b++) _buffer[b] = _scaled[(int)values[b]];
        var cfg = Config;
        long rowLength = cfg.Width + 2 * InputHalf, plane = (InputHalf + cfg.Height) * rowLength;
        _writer.Write(_buffer, (c * plane) + ((InputHalf + i) * rowLength) + InputHalf + j, cfg.Channels * plane,
            () => _image.select(1, c).select(1, InputHalf + i).select(1, InputHalf + j));
    }

    public override void EndPixel(int i, int j)
    {
        if (_evaluated != (i, j, Config.Channels - 1)) Run(i, j);
    }

    public override void EndRow(int i)
    {
        using var scope = NewDisposeScope();
        foreach (var s in _layers)
        {
            var hidden = s.Hidden.narrow(2, 1, Config.Width);
            if (_diagonal) MirroredRow(s, i);
            else s.CellAbove!.copy_(s.Cell.narrow(2, 1, Config.Width));
            s.HiddenAbove.copy_(hidden);
        }
    }

    /// <summary>
    /// The mirrored direction over the completed row i: (i, j) from (i − 1, j) and (i, j + 1), scanned right to
    /// left; the result is what the one-row shift adds to row i + 1.
    /// </summary>
    private void MirroredRow(Layer s, int i)
    {
        int width = Config.Width;
        var features = s.Features.narrow(2, _pad, width).unsqueeze(2);                         // [B, 2h, 1, W]
        var pre = nn.functional.conv2d(features, s.MirroredInput!)
            .add_(nn.functional.conv2d(s.MirroredAbove!.unsqueeze(2), s.MirroredAboveTap!))
            .add_(Row(s.MirroredConstant!, _spatial, i));
        if (s.MirroredImage is not null)
            pre.add_(nn.functional.conv2d(_image.narrow(2, InputHalf + i, 1).narrow(3, InputHalf, width), s.MirroredImage));
        pre = pre.squeeze(2);                                                                    // [B, 4h, W]
        var hidden = zeros([Batch, _h], device: Device);
        var cell = zeros([Batch, _h], device: Device);
        var row = new Tensor[width];
        for (int j = width - 1; j >= 0; j--)
        {
            var p = pre.select(2, j).add(hidden.mm(s.MirroredRightTapT!));
            (hidden, cell) = LstmCell.Step(p, cell, _h, gateDim: 1);
            row[j] = hidden;
        }
        s.MirroredAbove!.copy_(stack(row, 2));
    }
}

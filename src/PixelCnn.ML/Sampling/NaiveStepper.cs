// The reference decoder: one full forward pass of the network per sub-pixel, on the image as
// sampled so far (later sub-pixels still zero, which causality makes irrelevant).
using PixelCnn.ML.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Sampling;

internal sealed class NaiveStepper : SubPixelStepper
{
    private readonly Tensor _x;
    private readonly Tensor? _conditions;
    private readonly HostWriter _writer;
    private readonly int _p;
    private Tensor? _parameters;

    public NaiveStepper(PixelCnnNetwork network, Device device, int batch, Tensor? conditions, bool directWrites) : base(network, device, batch, directWrites)
    {
        var c = Config;
        _x = Keep(zeros([batch, c.Channels, c.Height, c.Width], device: device));
        _conditions = conditions;
        _writer = new HostWriter(_x, directWrites);
        _p = network.Head.ParametersPerChannel;
    }

    public override void BeginRow(int i) { }

    public override Tensor Parameters(int i, int j, int c)
    {
        _parameters?.Dispose();
        using var scope = NewDisposeScope();
        var output = Network.forward(_x, _conditions);
        _parameters = output.narrow(1, (long)c * _p, _p).select(2, i).select(2, j).DetachFromDisposeScope();
        return _parameters;
    }

    public override void Set(int i, int j, int c, ReadOnlySpan<float> values)
    {
        var cfg = Config;
        long plane = (long)cfg.Height * cfg.Width;
        _writer.Write(values, (c * plane) + ((long)i * cfg.Width) + j, cfg.Channels * plane, () => _x.select(1, c).select(1, i).select(1, j));
    }

    public override void Set(int i, int j, int c, Tensor values)
    {
        using var scope = NewDisposeScope();
        _x.select(1, c).select(1, i).select(1, j).copy_(values);
    }

    protected override void ReleaseState()
    {
        _parameters?.Dispose();
        _parameters = null;
    }
}

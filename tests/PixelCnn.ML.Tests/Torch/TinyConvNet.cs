// The small conv net (conv-relu-conv) shared by the leak, training and optimizer-state tests,
// and the fixed batch it is trained on: the target is a fixed 3x3 filter of the input, which
// the net can represent, so the loss can fall far.
using PixelCnn.ML.Torch;
using static PixelCnn.ML.Torch.torch.nn;
using F = PixelCnn.ML.Torch.torch.nn.functional;

namespace PixelCnn.ML.Tests.Torch;

internal sealed class TinyConvNet : Module
{
    public readonly Conv2d conv1;
    public readonly Conv2d conv2;

    public TinyConvNet(Generator? init = null, int hidden = 4)
    {
        conv1 = register_module("conv1", new Conv2d(1, hidden, 3, padding: 1, generator: init));
        conv2 = register_module("conv2", new Conv2d(hidden, 1, 3, padding: 1, generator: init));
    }

    public Tensor forward(Tensor x) => conv2.forward(conv1.forward(x).relu());

    /// <summary>A fixed input batch [n, 1, size, size] drawn from <paramref name="seed"/>, and its target.</summary>
    public static (Tensor Input, Tensor Target) Batch(ulong seed, int n = 2, int size = 6)
    {
        using var g = new Generator(seed);
        var x = torch.randn([n, 1, size, size], g);
        return (x, Target(x));
    }

    /// <summary>The function the net learns: a fixed 3x3 cross-shaped average of the input.</summary>
    public static Tensor Target(Tensor x)
    {
        using var cross = torch.tensor(new[] { 0.0f, 0.2f, 0.0f, 0.2f, 0.2f, 0.2f, 0.0f, 0.2f, 0.0f }, 1, 1, 3, 3);
        return F.conv2d(x, cross, padding: [1]);
    }

    /// <summary>One optimisation step on mean squared error; returns the loss before the step.</summary>
    public double TrainStep(torch.optim.Optimizer optimizer, Tensor x, Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad();
        var loss = F.mse_loss(forward(x), y);
        loss.backward();
        optimizer.step();
        return loss.item();
    }
}

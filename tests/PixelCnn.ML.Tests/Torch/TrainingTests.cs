using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class TrainingTests
{
    private const int Steps = 300;

    /// <summary>Losses of a seeded run: manual_seed for the data, a seeded generator for the weights.</summary>
    private static double[] Fit(ulong seed)
    {
        torch.manual_seed((long)seed);
        using var scope = torch.NewDisposeScope();
        var x = torch.randn([4, 1, 6, 6]);
        var y = TinyConvNet.Target(x);
        using var init = new Generator(seed);
        using var net = new TinyConvNet(init, hidden: 4);
        using var optimizer = new torch.optim.Adam(net.parameters(), lr: 1e-2);
        var losses = new double[Steps];
        for (int i = 0; i < Steps; i++) losses[i] = net.TrainStep(optimizer, x, y);
        return losses;
    }

    [TestMethod]
    public void A_small_conv_net_fits_a_fixed_batch_tenfold()
    {
        var losses = Fit(5);
        Assert.IsTrue(losses[^1] * 10 <= losses[0], $"loss went from {losses[0]} to {losses[^1]}");
    }

    [TestMethod]
    public void The_same_seed_gives_bit_identical_losses()
    {
        var first = Fit(6);
        var second = Fit(6);
        for (int i = 0; i < Steps; i++)
            Assert.AreEqual(BitConverter.DoubleToInt64Bits(first[i]), BitConverter.DoubleToInt64Bits(second[i]), $"step {i}: {first[i]:R} vs {second[i]:R}");
    }
}

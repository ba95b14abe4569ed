using PixelCnn.ML.Torch;
using static PixelCnn.ML.Torch.torch.optim;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class LearningRateSchedulerTests
{
    private static double[] Rates(Optimizer opt, lr_scheduler.LRScheduler scheduler, int epochs)
    {
        var rates = new double[epochs];
        for (int i = 0; i < epochs; i++)
        {
            scheduler.step();
            rates[i] = opt.LearningRate;
        }
        return rates;
    }

    [TestMethod]
    public void StepLR_multiplies_by_gamma_every_step_size_epochs()
    {
        using var scope = torch.NewDisposeScope();
        using var opt = new Adam([torch.zeros([1]).requires_grad_()], lr: 0.1);
        var rates = Rates(opt, new lr_scheduler.StepLR(opt, step_size: 2, gamma: 0.5), 5);
        double[] expected = [0.1, 0.05, 0.05, 0.025, 0.025];
        for (int i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], rates[i], 1e-15, $"epoch {i + 1}");
    }

    [TestMethod]
    public void ExponentialLR_multiplies_by_gamma_every_epoch()
    {
        using var scope = torch.NewDisposeScope();
        using var opt = new RMSprop([torch.zeros([1]).requires_grad_()], lr: 0.2);
        var rates = Rates(opt, new lr_scheduler.ExponentialLR(opt, gamma: 0.9), 3);
        double[] expected = [0.2 * 0.9, 0.2 * 0.81, 0.2 * 0.729];
        for (int i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], rates[i], 1e-15, $"epoch {i + 1}");
    }

    [TestMethod]
    public void Set_epoch_resumes_the_schedule_where_it_was()
    {
        using var scope = torch.NewDisposeScope();
        using var opt = new Adam([torch.zeros([1]).requires_grad_()], lr: 1.0);
        var scheduler = new lr_scheduler.StepLR(opt, step_size: 3, gamma: 0.1);
        scheduler.set_epoch(7);
        Assert.AreEqual(7, scheduler.last_epoch);
        Assert.AreEqual(0.01, opt.LearningRate, 1e-15);
        scheduler.step();
        scheduler.step();
        Assert.AreEqual(0.001, opt.LearningRate, 1e-15);
    }

    [TestMethod]
    public void StepLR_rejects_a_non_positive_step_size()
    {
        using var scope = torch.NewDisposeScope();
        using var opt = new Adam([torch.zeros([1]).requires_grad_()]);
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => new lr_scheduler.StepLR(opt, step_size: 0));
    }
}

using PixelCnn.ML.Training;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Training;

[TestClass]
public class InputPerturbationTests
{
    [TestMethod]
    [DataRow(0.2)]
    [DataRow(0.05)]
    public void The_share_of_replaced_sub_pixels_matches_the_rate_and_the_noise_is_uniform(double rate)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        // A constant image of value 300 cannot come out of the noise (0..255), so every changed element is a replacement.
        var images = full([64, 3, 28, 28], 300f);
        var perturbed = InputPerturbation.Apply(images, rate);
        long n = images.numel();
        var replaced = perturbed.ne(300f);
        double share = replaced.sum().item<long>() / (double)n;
        double sigma = Math.Sqrt(rate * (1 - rate) / n);
        Assert.AreEqual(rate, share, 5 * sigma, $"share {share} of {n}");
        var noise = perturbed.masked_select(replaced);
        Assert.IsTrue(noise.min().item<float>() >= 0 && noise.max().item<float>() <= 255);
        Assert.IsTrue(noise.eq(noise.round()).all().item<bool>(), "whole pixel values");
        Assert.AreEqual(127.5, noise.mean().item<float>(), 3.0, "uniform on 0..255 has mean 127.5");
    }

    [TestMethod]
    public void Rate_zero_leaves_the_images_and_a_rate_outside_0_to_1_is_refused()
    {
        using var images = ones(2, 1, 4, 4);
        Assert.AreSame(images, InputPerturbation.Apply(images, 0));
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => InputPerturbation.Apply(images, 1.5));
        StringAssert.Contains(Assert.ThrowsException<ArgumentException>(() => new TrainingOptions { InputPerturbation = -0.1 }.Validate()).Message,
                              "InputPerturbation");
    }
}

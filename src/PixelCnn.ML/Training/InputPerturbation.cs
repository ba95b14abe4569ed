// The input perturbation of Ren et al. (2019), "Likelihood Ratios for Out-of-Distribution Detection": a background
// model is trained on images in which each sub-pixel is, with probability μ, replaced by a value drawn uniformly from
// 0..255. It learns the population-level statistics (smoothness, background) but not the semantics, so the ratio
// of the two models' likelihoods cancels the part of the likelihood that simple images win on. Draws come from
// libtorch's default generator of the tensor's device, which the trainer seeds and checkpoints, so runs and resumes
// are reproducible.
using static TorchSharp.torch;

namespace PixelCnn.ML.Training;

public static class InputPerturbation
{
    /// <summary>
    /// <paramref name="images"/> (whole values 0..255, any shape) with each element replaced, with probability
    /// <paramref name="rate"/>, by a uniform random whole value 0..255; the images themselves when the rate is 0.
    /// </summary>
    public static Tensor Apply(Tensor images, double rate)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (rate is < 0 or > 1 || double.IsNaN(rate)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "the perturbation rate must be in [0, 1]");
        if (rate == 0) return images;
        var replace = rand_like(images, dtype: ScalarType.Float32) < rate;
        var noise = randint_like(images, 0, 256);
        return where(replace, noise, images);
    }
}

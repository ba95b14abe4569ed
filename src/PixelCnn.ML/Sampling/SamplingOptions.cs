// What a caller chooses about drawing images from a PixelCNN: the randomness (seed, temperature)
// and which of the two equivalent decoders does the work.
namespace PixelCnn.ML.Sampling;

/// <summary>How the distribution of each sub-pixel is computed during sampling.</summary>
public enum SamplerKind
{
    /// <summary>
    /// Fast PixelCNN++-style decoding: per-layer caches so each step computes only what the new
    /// sub-pixel changes (the default; the same images as <see cref="Naive"/> for the same seed).
    /// </summary>
    Cached,
    /// <summary>One full forward pass of the network per sub-pixel: the reference the cached decoder is checked against.</summary>
    Naive,
}

/// <summary>Options of <see cref="PixelCnnSampler"/>.</summary>
public sealed class SamplingOptions
{
    /// <summary>
    /// Divides every log-probability before drawing: 1 samples the model, values below 1 sharpen
    /// the distributions towards their modes, 0 takes the most likely value (argmax decoding).
    /// </summary>
    public double Temperature = 1.0;

    /// <summary>
    /// Seed of the random draws. The same seed, model, conditions and image count give the same
    /// images on the same device and thread count (see docs/sampling.md for the exact rule).
    /// </summary>
    public ulong Seed;

    /// <summary>
    /// Draw every image with the same random numbers (those the seed gives the first image), so images differ
    /// only through their conditions: a batch of conditions along a path gives the interpolation rows of the
    /// Gated PixelCNN paper's figure 5, and equal conditions give equal images. False (the default) gives each
    /// image its own draws.
    /// </summary>
    public bool SharedDraws;

    /// <summary>The decoder; both give the same images for the same seed.</summary>
    public SamplerKind Kind = SamplerKind.Cached;

    /// <summary>
    /// Where the sub-pixel values are drawn: null chooses the device for CUDA models (no host round trip per
    /// sub-pixel) and the host for CPU models; tests force either path.
    /// </summary>
    internal bool? DrawOnDevice;

    internal void Validate()
    {
        if (!(Temperature >= 0) || !double.IsFinite(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, $"{nameof(Temperature)} must be a finite number >= 0 (0 = argmax decoding)");
        if (!Enum.IsDefined(Kind))
            throw new ArgumentOutOfRangeException(nameof(Kind), Kind, $"unknown {nameof(Kind)}");
    }
}

// What the Fashion-MNIST experiments feed the ML.NET components: one 1x28x28 image per row, pixels 0..255.
namespace PixelCnn.ML.Samples.Experiments;

public sealed class FashionPixels
{
    [VectorType(1, 28, 28)] public float[] Pixels = [];

    public static FashionPixels From(ReadOnlySpan<byte> image)
    {
        var pixels = new float[image.Length];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = image[i];
        return new FashionPixels { Pixels = pixels };
    }
}

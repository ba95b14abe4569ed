namespace PixelCnn.ML.Data;

/// <summary>Synthetic image sets for checks and benchmarks (uniform random pixels, seeded).</summary>
public static class ImageDatasetFactory
{
    /// <summary><paramref name="count"/> images of the configuration's shape with uniform random pixels (and one-hot conditions when conditioned).</summary>
    public static ImageDataset Random(Models.PixelCnnConfig config, int count, int seed = 0)
    {
        var rng = new System.Random(seed);
        var px = new byte[count * config.Dimensions];
        rng.NextBytes(px);
        if (config.Conditioning == Models.ConditioningKind.None || config.IsAutoencoder)
            return new ImageDataset(config.Channels, config.Height, config.Width, px);
        var labels = Enumerable.Range(0, count).Select(_ => rng.Next(config.ConditionSize)).ToArray();
        return ImageDataset.WithClassLabels(config.Channels, config.Height, config.Width, px, labels, config.ConditionSize);
    }
}

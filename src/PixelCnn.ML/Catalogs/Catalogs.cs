// The catalogs are empty holders: each feature adds itself as an extension method in its own XxxCatalog.cs
// (as ML.NET does), reaching the MLContext through the internal Context property.
namespace PixelCnn.ML;

/// <summary>Data transformations: <c>ml.Transforms.CopyColumns(...)</c>, <c>ml.Transforms.Concatenate(...)</c>, and
/// those added by the image and model components.</summary>
public sealed class TransformsCatalog
{
    internal TransformsCatalog(MLContext context) => Context = context;
    internal MLContext Context { get; }
}

/// <summary>Anomaly detection: <see cref="Trainers"/> and evaluation (added by extension methods).</summary>
public sealed class AnomalyDetectionCatalog
{
    internal AnomalyDetectionCatalog(MLContext context)
    {
        Context = context;
        Trainers = new AnomalyDetectionTrainers(context);
    }

    internal MLContext Context { get; }

    /// <summary>The anomaly detection trainers (e.g. the PixelCNN density scorer).</summary>
    public AnomalyDetectionTrainers Trainers { get; }

    /// <summary>Holder of the anomaly detection trainers (added by extension methods).</summary>
    public sealed class AnomalyDetectionTrainers
    {
        internal AnomalyDetectionTrainers(MLContext context) => Context = context;
        internal MLContext Context { get; }
    }
}

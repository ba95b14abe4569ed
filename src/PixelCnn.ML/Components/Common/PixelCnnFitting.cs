// Training shared by the PixelCNN components: the options every one of them takes, reading the
// input columns into memory, the model configuration from the data, device and seed from the
// MLContext, the validation split, and the training run itself.
using Microsoft.ML;
using Microsoft.ML.Runtime;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Components;

/// <summary>Options shared by the PixelCNN estimators (each component's Options derives from this).</summary>
public abstract class PixelCnnTrainingOptionsBase
{
    /// <summary>The pixel column: Vector&lt;Single&gt; of CHW values 0..255, ideally with dimensions [C, H, W] (ExtractPixels).</summary>
    public string FeatureColumnName = "Features";
    /// <summary>Architecture and training hyper-parameters; channels and size are taken from the data. Default: preset S.</summary>
    public PixelCnnConfig Model = PixelCnnConfig.PresetS;
    /// <summary>Image geometry when the pixel column has no [C, H, W] dimensions.</summary>
    public int? Channels, Height, Width;
    /// <summary>
    /// How the model is trained: epochs or steps, batch size, optimizer and learning rate, early stopping, checkpoints
    /// and resume. Its <c>Seed</c> and <c>Device</c>, when set, win over <see cref="Seed"/> and <see cref="Device"/>.
    /// </summary>
    public TrainingOptions Training = new();
    /// <summary>Seed of initialisation, shuffling and sampling; null: the MLContext's seed (new MLContext(seed: ...)), else 1.</summary>
    public int? Seed;
    /// <summary>
    /// Where to train and run: "cpu", "cuda", "cuda:N" or "auto" (cuda:0 when available); null: the MLContext's
    /// GpuDeviceId and FallbackToCpu, else the CPU.
    /// </summary>
    public string? Device;
    /// <summary>Fraction of the training rows held out for validation bits/dim (and early stopping); 0 = none.</summary>
    public double ValidationFraction;
    /// <summary>Rows per batch when scoring or mapping rows after training.</summary>
    public int ScoreBatchSize = 256;
    public IProgress<TrainingProgress>? Progress;
    public CancellationToken CancellationToken;

    internal void Validate()
    {
        if (string.IsNullOrEmpty(FeatureColumnName)) throw new ArgumentException("FeatureColumnName must be set");
        ArgumentNullException.ThrowIfNull(Training);
        Training.Validate();
        if (ValidationFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be in [0, 1)");
        BatchedDataView.RequireRows(ScoreBatchSize, nameof(ScoreBatchSize));
        ArgumentNullException.ThrowIfNull(Model);
    }
}

/// <summary>The input of a training run, read from a data view and ready to train.</summary>
internal sealed record PreparedData(ImageShape Shape, ConditionColumn? Condition, PixelCnnConfig Config, Device Device, ulong Seed,
                                    ImageDataset Train, ImageDataset? Validation);

internal static class PixelCnnFitting
{
    /// <summary>
    /// Reads the pixel (and condition) columns, builds the configuration from the data's image shape and
    /// <paramref name="configure"/>, resolves device and seed, and splits off the validation rows.
    /// </summary>
    public static PreparedData Prepare(IHostEnvironment env, IDataView input, PixelCnnTrainingOptionsBase o, string? conditionColumn, int? classCount,
                                       Func<PixelCnnConfig, ConditionColumn?, PixelCnnConfig> configure, IChannel ch)
    {
        var shape = PixelColumns.ResolveShape(input.Schema, o.FeatureColumnName, o.Channels, o.Height, o.Width);
        var condition = conditionColumn is null ? null : PixelColumns.ResolveCondition(input, conditionColumn, classCount);
        var config = configure(o.Model with { Channels = shape.Channels, Height = shape.Height, Width = shape.Width }, condition);
        config.Validate();
        var device = o.Training.Device ?? MlNetAccess.Device(env, o.Device, m => ch.Warning(MessageSensitivity.None, m));
        ulong seed = o.Training.Seed ?? (ulong)(o.Seed ?? MlNetAccess.Seed(env) ?? 1);
        var all = PixelColumns.Materialize(input, o.FeatureColumnName, shape, condition, o.CancellationToken);
        if (all.Count == 0) throw new ArgumentException($"the training data has no rows (column '{o.FeatureColumnName}')");
        var (train, validation) = Split(all, o.ValidationFraction, seed);
        return new PreparedData(shape, condition, config, device, seed, train, validation);
    }

    /// <summary>Trains the prepared configuration; the result's model belongs to the caller.</summary>
    public static TrainingResult Train(PreparedData d, PixelCnnTrainingOptionsBase o, IChannel ch, Action<TrainingOptions>? adjust = null)
    {
        ch.Info(MessageSensitivity.None, $"Training a {(d.Config.IsAutoencoder ? $"PixelCNN autoencoder (h of {d.Config.EmbeddingSize})" : d.Config.Architecture.ToString())} " +
                $"on {d.Train.Count} images of {d.Shape}" + (d.Validation is null ? "" : $", validating on {d.Validation.Count}") +
                $" ({d.Device}, seed {d.Seed})");
        var options = o.Training.Clone();
        options.Seed = d.Seed;
        options.Device = d.Device;
        adjust?.Invoke(options);
        var trainer = new PixelCnnTrainer(d.Config, options, new ChannelLogger(ch));
        return trainer.Fit(d.Train, d.Validation, o.Progress, o.CancellationToken);
    }

    private static (ImageDataset train, ImageDataset? validation) Split(ImageDataset all, double fraction, ulong seed)
    {
        int nVal = (int)Math.Round(all.Count * fraction);
        if (nVal == 0) return (all, null);
        if (nVal >= all.Count) throw new ArgumentException($"ValidationFraction {fraction} leaves no training rows of {all.Count}");
        var order = PixelCnnTrainer.Permutation(seed ^ 0x5EEDUL, 0, all.Count);
        return (all.Take(order.AsSpan(nVal)), all.Take(order.AsSpan(0, nVal)));
    }
}

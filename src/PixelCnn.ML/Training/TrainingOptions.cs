using PixelCnn.ML.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Training;

public enum OptimizerKind { Adam, RMSprop }

/// <summary>
/// How a model is trained: the optimization hyper-parameters and how the run is driven. The one home of every
/// training setting: the trainer reads them here, and the ML.NET components embed an instance.
/// </summary>
public sealed class TrainingOptions
{
    // ---- optimization (a checkpoint is resumed only with the same values)
    public int BatchSize { get; set; } = 32;
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Adam;
    public double LearningRate { get; set; } = 1e-3;
    /// <summary>Multiplicative learning-rate decay per epoch (1 = none).</summary>
    public double LearningRateDecay { get; set; } = 1.0;
    /// <summary>Clip the joint gradient norm to this value (0 = off).</summary>
    public double GradientClipNorm { get; set; }
    public double WeightDecay { get; set; }
    /// <summary>
    /// Probability with which each training sub-pixel is replaced by a uniform random value 0..255 before the step
    /// (0 = off): the input perturbation of Ren et al.'s background model for likelihood-ratio scores.
    /// </summary>
    public double InputPerturbation { get; set; }
    /// <summary>Seeds weight initialisation, shuffling and libtorch's default generator (null: 1; a component uses the MLContext's seed).</summary>
    public ulong? Seed { get; set; }

    // ---- the run
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; set; } = 1;
    /// <summary>Stop after this many optimizer steps in total (null = no limit).</summary>
    public long? MaxSteps { get; set; }
    /// <summary>
    /// Stop after the first step that ends this long after the run started (null = no limit): training for a time
    /// budget, e.g. to compare architectures at equal training time. The steps a budget buys depend on the machine, so a
    /// run stopped by it is not reproducible step for step; it is not recorded in checkpoints.
    /// </summary>
    public TimeSpan? MaxTime { get; set; }
    /// <summary>The device to train on (null: the CPU; a component uses the MLContext's GpuDeviceId and FallbackToCpu).</summary>
    public Device? Device { get; set; }
    /// <summary>Checkpoint file to write (atomically); null = no checkpoints.</summary>
    public string? CheckpointPath { get; set; }
    /// <summary>Write a checkpoint every N steps (0 = only at the end of each epoch, on cancellation and at the end).</summary>
    public int CheckpointEverySteps { get; set; }
    /// <summary>Continue the run saved in this checkpoint, exactly where it stopped.</summary>
    public string? ResumeFrom { get; set; }
    /// <summary>Stop when validation bits/dim has not improved for this many epochs (0 = off); the best weights are kept.</summary>
    public int EarlyStoppingPatience { get; set; }
    /// <summary>Non-finite losses or gradients in a row after which training stops with an error.</summary>
    public int MaxConsecutiveNonFiniteSteps { get; set; } = 5;
    public int EvaluationBatchSize { get; set; } = 256;
    /// <summary>Report progress every N steps.</summary>
    public int ProgressEverySteps { get; set; } = 1;
    /// <summary>
    /// How often the trainer logs a progress line (epoch, step, bits/dim, images/s, time left) to its logger, which
    /// the ML.NET components route to <c>MLContext.Log</c>; the first line comes after the first step. TimeSpan.Zero
    /// logs epochs only, and so does a run given a progress handler (which shows the steps itself).
    /// </summary>
    public TimeSpan LogInterval { get; set; } = TimeSpan.FromSeconds(15);

    internal ulong EffectiveSeed => Seed ?? 1;

    internal Device EffectiveDevice => Device ?? torch.CPU;

    /// <summary>The settings that decide the result of a run, as a checkpoint records them.</summary>
    internal TrainingHyperParameters HyperParameters() =>
        new(BatchSize, Optimizer, LearningRate, LearningRateDecay, GradientClipNorm, WeightDecay, EffectiveSeed, InputPerturbation);

    /// <summary>A copy whose later changes do not affect this instance.</summary>
    public TrainingOptions Clone() => (TrainingOptions)MemberwiseClone();

    internal void Validate()
    {
        static void Require(bool ok, string option, string message)
        {
            if (!ok) throw new ArgumentException($"{option}: {message}", option);
        }
        Require(BatchSize is >= 1 and <= 65536, nameof(BatchSize), $"must be 1..65536, got {BatchSize}");
        Require(Enum.IsDefined(Optimizer), nameof(Optimizer), $"unknown optimizer {Optimizer}");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), $"must be a positive number, got {LearningRate}");
        Require(LearningRateDecay > 0 && LearningRateDecay <= 1, nameof(LearningRateDecay), $"must be in (0, 1], got {LearningRateDecay}");
        Require(GradientClipNorm >= 0 && double.IsFinite(GradientClipNorm), nameof(GradientClipNorm), $"must be >= 0, got {GradientClipNorm}");
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay), $"must be >= 0, got {WeightDecay}");
        Require(InputPerturbation is >= 0 and <= 1, nameof(InputPerturbation), $"must be in [0, 1], got {InputPerturbation}");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be >= 1");
        if (MaxSteps is <= 0) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be > 0");
        if (MaxTime is { } t && t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxTime), MaxTime, "MaxTime must be > 0");
        if (CheckpointEverySteps < 0) throw new ArgumentOutOfRangeException(nameof(CheckpointEverySteps), CheckpointEverySteps, "must be >= 0");
        if (EarlyStoppingPatience < 0) throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "must be >= 0");
        if (MaxConsecutiveNonFiniteSteps < 1) throw new ArgumentOutOfRangeException(nameof(MaxConsecutiveNonFiniteSteps), MaxConsecutiveNonFiniteSteps, "must be >= 1");
        if (EvaluationBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(EvaluationBatchSize), EvaluationBatchSize, "must be >= 1");
        if (ProgressEverySteps < 1) throw new ArgumentOutOfRangeException(nameof(ProgressEverySteps), ProgressEverySteps, "must be >= 1");
        if (LogInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(LogInterval), LogInterval, "must not be negative");
    }
}

/// <summary>The settings a checkpoint records so that a resumed run is the same run.</summary>
internal sealed record TrainingHyperParameters(int BatchSize, OptimizerKind Optimizer, double LearningRate, double LearningRateDecay,
                                               double GradientClipNorm, double WeightDecay, ulong Seed, double InputPerturbation = 0);

public enum TrainingPhase { Step, EpochEnd, Validation, Checkpoint, Finished }

/// <summary>A progress report: per step (training loss) and per epoch (with validation bits/dim).</summary>
public sealed record TrainingProgress(
    TrainingPhase Phase, int Epoch, int Epochs, long Step, long TotalSteps, double TrainBitsPerDim,
    double? ValidationBitsPerDim, double ImagesPerSecond, TimeSpan Elapsed, TimeSpan? Eta, double LearningRate);

/// <summary>Summary of one finished epoch.</summary>
public sealed record EpochSummary(int Epoch, double TrainBitsPerDim, double? ValidationBitsPerDim, double LearningRate, long Steps, TimeSpan Elapsed);

/// <summary>Raised when too many consecutive steps produce non-finite losses or gradients.</summary>
public sealed class TrainingDivergedException : Exception
{
    public TrainingDivergedException(string message) : base(message) { }
}

/// <summary>The outcome of <see cref="PixelCnnTrainer.Fit"/>: the trained model (owned by the caller) and the run's history.</summary>
public sealed class TrainingResult
{
    public required Scoring.PixelCnnModel Model { get; init; }
    public required IReadOnlyList<EpochSummary> History { get; init; }
    public long Steps { get; init; }
    public int SkippedSteps { get; init; }
    public bool StoppedEarly { get; init; }
    public TimeSpan Elapsed { get; init; }
    public double ImagesPerSecond { get; init; }
}

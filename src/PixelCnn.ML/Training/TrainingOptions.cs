using static TorchSharp.torch;
using PixelCnn.ML.Scoring;
using TorchSharp;

namespace PixelCnn.ML.Training;

/// <summary>How a training run is driven (the model's own hyper-parameters live in PixelCnnConfig).</summary>
public sealed class TrainingOptions
{
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; set; } = 1;
    /// <summary>Stop after this many optimizer steps in total (null = no limit).</summary>
    public long? MaxSteps { get; set; }
    /// <summary>Seeds weight initialisation, shuffling and libtorch's default generator.</summary>
    public ulong Seed { get; set; } = 1;
    public Device Device { get; set; } = torch.CPU;
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

    internal void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be >= 1");
        if (MaxSteps is <= 0) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be > 0");
        if (CheckpointEverySteps < 0) throw new ArgumentOutOfRangeException(nameof(CheckpointEverySteps), CheckpointEverySteps, "must be >= 0");
        if (EarlyStoppingPatience < 0) throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "must be >= 0");
        if (MaxConsecutiveNonFiniteSteps < 1) throw new ArgumentOutOfRangeException(nameof(MaxConsecutiveNonFiniteSteps), MaxConsecutiveNonFiniteSteps, "must be >= 1");
        if (EvaluationBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(EvaluationBatchSize), EvaluationBatchSize, "must be >= 1");
        if (ProgressEverySteps < 1) throw new ArgumentOutOfRangeException(nameof(ProgressEverySteps), ProgressEverySteps, "must be >= 1");
    }
}

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

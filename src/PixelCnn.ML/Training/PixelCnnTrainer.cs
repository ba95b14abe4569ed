// Trains a PixelCNN by maximum likelihood: seeded shuffling, Adam or RMSprop, per-epoch learning
// rate decay, gradient clipping, validation bits/dim and early stopping, non-finite step skipping,
// cancellation between steps, and checkpoints from which a run resumes exactly (same weights, bit
// for bit on CPU, as a run that never stopped).
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Training;

public sealed class PixelCnnTrainer
{
    private readonly PixelCnnConfig _config;
    private readonly TrainingOptions _options;
    private readonly ILogger? _logger;

    public PixelCnnTrainer(PixelCnnConfig config, TrainingOptions? options = null, ILogger? logger = null)
    {
        config.Validate();
        _config = config;
        _options = options?.Clone() ?? new TrainingOptions();
        _options.Validate();
        _logger = logger;
    }

    public PixelCnnConfig Config => _config;

    /// <summary>The training settings of this trainer (a copy of those given).</summary>
    public TrainingOptions Options => _options.Clone();

    /// <summary>Trains a new model (or resumes the run in <see cref="TrainingOptions.ResumeFrom"/>).</summary>
    public TrainingResult Fit(ImageDataset train, ImageDataset? validation = null, IProgress<TrainingProgress>? progress = null,
                              CancellationToken cancellationToken = default)
    {
        train.EnsureMatches(_config, "training data");
        validation?.EnsureMatches(_config, "validation data");
        if (train.Count == 0) throw new ArgumentException("training data is empty");
        var o = _options;
        int n = train.Count, batch = o.BatchSize;
        int stepsPerEpoch = (n + batch - 1) / batch;
        long totalSteps = Math.Min((long)o.Epochs * stepsPerEpoch, o.MaxSteps ?? long.MaxValue);

        manual_seed((long)o.EffectiveSeed);
        var model = PixelCnnModel.Create(_config, o.EffectiveSeed, o.EffectiveDevice);
        if (_logger is not null) model.Warning += m => _logger.LogWarning("{Message}", m);
        Dictionary<string, Tensor>? best = null;
        try
        {
            var parameters = model.Network.parameters().ToList();
            using var optimizer = CreateOptimizer(parameters);
            var state = new TrainingState { DataCount = n };
            if (o.ResumeFrom is not null)
            {
                best = Checkpoint.Load(o.ResumeFrom, _config, o.HyperParameters(), model, optimizer, state);
                _logger?.LogInformation("Resumed from {Path} at epoch {Epoch}, step {Step}", o.ResumeFrom, state.Epoch + 1, state.Step);
            }
            else
            {
                _logger?.LogInformation("Training {Arch}: {Params:N0} parameters, {N} images, {Epochs} epoch(s) of {Steps} steps, batch {Batch}, on {Device} with {Threads} thread(s)",
                    _config.Architecture, model.Network.ParameterCount, n, o.Epochs, stepsPerEpoch, batch, o.EffectiveDevice, get_num_threads());
            }

            var clock = Stopwatch.StartNew();
            long stepsThisRun = 0, imagesThisRun = 0;
            var lastLog = TimeSpan.Zero;
            bool stoppedEarly = false, outOfTime = false;
            var rows = new int[batch];
            model.Network.train();
            for (int epoch = state.Epoch; epoch < o.Epochs && state.Step < totalSteps && !stoppedEarly && !outOfTime; epoch++)
            {
                OptimizerState.SetLearningRate(optimizer, o.LearningRate * Math.Pow(o.LearningRateDecay, epoch));
                var perm = Permutation(o.EffectiveSeed, epoch, n);
                for (int b = state.BatchInEpoch; b < stepsPerEpoch && state.Step < totalSteps; b++)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        if (o.CheckpointPath is not null) SaveCheckpoint(model, optimizer, state, best);
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                    int start = b * batch, count = Math.Min(batch, n - start);
                    perm.AsSpan(start, count).CopyTo(rows);
                    double bits;
                    try
                    {
                        bits = Step(model, optimizer, parameters, train, rows.AsSpan(0, count), state);
                    }
                    catch (ExternalException e) when (OutOfMemory.Is(e))
                    {
                        OutOfMemory.Recover();
                        throw new InvalidOperationException(
                            $"{o.EffectiveDevice} ran out of memory training {_config.Architecture} at batch size {count} (step {state.Step + 1}): " +
                            "lower BatchSize or the model size" + (o.CheckpointPath is null ? "" : $"; the last checkpoint is kept at {o.CheckpointPath}") +
                            $". libtorch said: {e.Message}", e);
                    }
                    state.Step++;
                    state.BatchInEpoch = b + 1;
                    stepsThisRun++;
                    imagesThisRun += count;
                    bool report = progress is not null && (state.Step % o.ProgressEverySteps == 0 || state.Step == totalSteps);
                    // A caller with a progress handler shows progress itself; the log then gets the epochs only.
                    bool log = _logger is not null && progress is null && o.LogInterval > TimeSpan.Zero &&
                               (stepsThisRun == 1 || clock.Elapsed - lastLog >= o.LogInterval);
                    if (report || log)
                    {
                        double rate = imagesThisRun / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                        var eta = TimeSpan.FromSeconds((totalSteps - state.Step) * (clock.Elapsed.TotalSeconds / stepsThisRun));
                        if (o.MaxTime is { } left && left - clock.Elapsed < eta) eta = left > clock.Elapsed ? left - clock.Elapsed : TimeSpan.Zero;
                        if (report)
                            progress!.Report(new TrainingProgress(TrainingPhase.Step, epoch + 1, o.Epochs, state.Step, totalSteps, bits,
                                null, rate, clock.Elapsed, eta, OptimizerState.LearningRate(optimizer)));
                        if (log)
                        {
                            lastLog = clock.Elapsed;
                            _logger!.LogInformation("Epoch {Epoch}/{Epochs}, step {Step}/{Total} ({Percent:F0}%): {Bits:F4} bits/dim, {Rate:F1} images/s, {Left} left",
                                epoch + 1, o.Epochs, state.Step, totalSteps, 100.0 * state.Step / totalSteps, bits, rate, Duration(eta));
                        }
                    }
                    if (o.CheckpointPath is not null && o.CheckpointEverySteps > 0 && state.Step % o.CheckpointEverySteps == 0)
                        SaveCheckpoint(model, optimizer, state, best);
                    if (o.MaxTime is { } budget && clock.Elapsed >= budget)
                    {
                        outOfTime = true;
                        _logger?.LogInformation("Stopping at step {Step}: the time budget of {Budget} is spent", state.Step, budget);
                        break;
                    }
                }
                if (state.BatchInEpoch < stepsPerEpoch) break; // MaxSteps or MaxTime reached mid-epoch

                // ---- end of epoch
                double trainBits = state.EpochLossCount > 0 ? state.EpochLossSum / state.EpochLossCount : double.NaN;
                double? valBits = null;
                if (validation is not null && validation.Count > 0)
                {
                    valBits = model.MeanBitsPerDim(validation, o.EvaluationBatchSize, cancellationToken);
                    model.Network.train();
                    if (o.EarlyStoppingPatience > 0)
                    {
                        if (state.BestValidation is null || valBits < state.BestValidation)
                        {
                            state.BestValidation = valBits;
                            state.EpochsWithoutImprovement = 0;
                            DisposeAll(best);
                            best = CloneState(model.Network);
                        }
                        else if (++state.EpochsWithoutImprovement >= o.EarlyStoppingPatience)
                        {
                            stoppedEarly = true;
                            _logger?.LogInformation("Early stopping after epoch {Epoch}: validation bits/dim has not improved for {Patience} epoch(s) (best {Best:F4})",
                                epoch + 1, o.EarlyStoppingPatience, state.BestValidation);
                        }
                    }
                }
                var summary = new EpochSummary(epoch + 1, trainBits, valBits, OptimizerState.LearningRate(optimizer), state.Step, clock.Elapsed);
                state.History.Add(summary);
                _logger?.LogInformation("Epoch {Epoch}/{Epochs}: train {Train:F4} bits/dim{Val}, {Rate:F1} images/s",
                    epoch + 1, o.Epochs, trainBits, valBits is null ? "" : $", validation {valBits:F4} bits/dim", imagesThisRun / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
                progress?.Report(new TrainingProgress(TrainingPhase.EpochEnd, epoch + 1, o.Epochs, state.Step, totalSteps, trainBits, valBits,
                    imagesThisRun / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), clock.Elapsed, TimeSpan.Zero, OptimizerState.LearningRate(optimizer)));
                state.Epoch = epoch + 1;
                state.BatchInEpoch = 0;
                state.EpochLossSum = 0;
                state.EpochLossCount = 0;
                if (o.CheckpointPath is not null) SaveCheckpoint(model, optimizer, state, best);
            }
            if (o.CheckpointPath is not null) SaveCheckpoint(model, optimizer, state, best);
            if (best is not null)
            {
                model.Network.load_state_dict(best);
                _logger?.LogInformation("Kept the weights of the best validation epoch ({Best:F4} bits/dim)", state.BestValidation);
            }
            model.Network.eval();
            var result = new TrainingResult
            {
                Model = model, History = state.History.ToList(), Steps = state.Step, SkippedSteps = state.SkippedSteps,
                StoppedEarly = stoppedEarly, Elapsed = clock.Elapsed, ImagesPerSecond = imagesThisRun / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),
            };
            progress?.Report(new TrainingProgress(TrainingPhase.Finished, state.Epoch, o.Epochs, state.Step, totalSteps,
                state.History.LastOrDefault()?.TrainBitsPerDim ?? double.NaN, state.History.LastOrDefault()?.ValidationBitsPerDim,
                result.ImagesPerSecond, clock.Elapsed, TimeSpan.Zero, OptimizerState.LearningRate(optimizer)));
            return result;
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            DisposeAll(best);
        }
    }

    /// <summary>One optimizer step; returns the batch's bits/dim (NaN when skipped).</summary>
    private double Step(PixelCnnModel model, OptimizerHelper optimizer, List<Parameter> parameters, ImageDataset data,
                        ReadOnlySpan<int> rows, TrainingState state)
    {
        using var scope = NewDisposeScope();
        var (x, h) = data.GetBatch(rows, model.Device);
        x = InputPerturbation.Apply(x, _options.InputPerturbation);
        optimizer.zero_grad();
        var loss = model.Network.NllNats(x, h).mean();
        double nats = loss.item<float>();
        double norm = double.NaN;
        if (double.IsFinite(nats))
        {
            loss.backward();
            norm = GradientNorm.ClipOrMeasure(parameters, _options.GradientClipNorm);
        }
        if (!double.IsFinite(nats) || !double.IsFinite(norm))
        {
            optimizer.zero_grad();
            state.SkippedSteps++;
            state.ConsecutiveNonFinite++;
            _logger?.LogWarning("Step {Step}: non-finite {What} ({Value}); step skipped ({Count} in a row)",
                state.Step + 1, double.IsFinite(nats) ? "gradient norm" : "loss", double.IsFinite(nats) ? norm : nats, state.ConsecutiveNonFinite);
            if (state.ConsecutiveNonFinite >= _options.MaxConsecutiveNonFiniteSteps)
                throw new TrainingDivergedException(
                    $"training diverged: {state.ConsecutiveNonFinite} consecutive steps had a non-finite loss or gradient (at step {state.Step + 1}); " +
                    (_options.CheckpointPath is null ? "no checkpoint was configured" : $"the last good checkpoint is kept at {_options.CheckpointPath}") +
                    ". Lower LearningRate or set GradientClipNorm.");
            return double.NaN;
        }
        state.ConsecutiveNonFinite = 0;
        optimizer.step();
        double bits = nats / Math.Log(2);
        state.EpochLossSum += bits;
        state.EpochLossCount++;
        return bits;
    }

    private OptimizerHelper CreateOptimizer(List<Parameter> parameters) => _options.Optimizer switch
    {
        OptimizerKind.Adam => optim.Adam(parameters, _options.LearningRate, weight_decay: _options.WeightDecay),
        OptimizerKind.RMSprop => optim.RMSProp(parameters, _options.LearningRate, weight_decay: _options.WeightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(_options.Optimizer), _options.Optimizer, "unknown optimizer"),
    };

    private void SaveCheckpoint(PixelCnnModel model, OptimizerHelper optimizer, TrainingState state, Dictionary<string, Tensor>? best)
    {
        Checkpoint.Save(_options.CheckpointPath!, _config, _options.HyperParameters(), model, optimizer, state, best);
        _logger?.LogDebug("Checkpoint written to {Path} at step {Step}", _options.CheckpointPath, state.Step);
    }

    /// <summary>A time left as people read it: "40 s", "12 min", "2 h 5 min".</summary>
    internal static string Duration(TimeSpan t) =>
        t.TotalSeconds < 90 ? $"{Math.Max(0, Math.Round(t.TotalSeconds)):F0} s"
        : t.TotalMinutes < 90 ? $"{Math.Round(t.TotalMinutes):F0} min"
        : $"{Math.Floor(t.TotalHours):F0} h {t.Minutes} min";

    /// <summary>The visiting order of epoch <paramref name="epoch"/>: a function of the seed and epoch only, so resume recomputes it.</summary>
    public static int[] Permutation(ulong seed, int epoch, int n)
    {
        var rng = new Random(unchecked((int)(seed * 0x9E3779B97F4A7C15UL >> 33) ^ (epoch * 7919 + 17)));
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    private static Dictionary<string, Tensor> CloneState(nn.Module m)
    {
        using var _ = no_grad();
        return m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    private static void DisposeAll(Dictionary<string, Tensor>? d)
    {
        if (d is null) return;
        foreach (var t in d.Values) t.Dispose();
        d.Clear();
    }
}

/// <summary>Everything besides weights and optimizer moments that exact resume needs.</summary>
internal sealed class TrainingState
{
    public int Epoch { get; set; }
    public int BatchInEpoch { get; set; }
    public long Step { get; set; }
    public int SkippedSteps { get; set; }
    public int ConsecutiveNonFinite { get; set; }
    public double EpochLossSum { get; set; }
    public long EpochLossCount { get; set; }
    public double? BestValidation { get; set; }
    public int EpochsWithoutImprovement { get; set; }
    public int DataCount { get; set; }
    public List<EpochSummary> History { get; set; } = new();
}

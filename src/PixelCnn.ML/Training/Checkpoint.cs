// Training checkpoints: one zip written atomically (temp file, flush, rename) holding
//   trainer.json          format, version, architecture, the training hyper-parameters (batch size,
//                         optimizer, learning rate and its decay, clipping, weight decay, seed) and
//                         the loop state (epoch, batch position, step, skipped steps, early-stopping
//                         state, history)
//   model.safetensors     the weights
//   optimizer.safetensors step count, learning rate and moment buffers
//   rng.safetensors       libtorch's default CPU generator state
//   best.safetensors      the best-validation weights (only with early stopping)
// Shuffling needs no saved state: each epoch's order is a function of (seed, epoch).
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using PixelCnn.ML.IO;
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Training;

internal static class Checkpoint
{
    public const string FormatName = "pixelcnn-checkpoint";
    /// <summary>3: <see cref="PixelCnnConfig.EqualizedEncoderOutput"/>; format 2 is read as written without it.</summary>
    public const int FormatVersion = 3;

    public static void Save(string path, PixelCnnConfig config, TrainingHyperParameters training, PixelCnnModel model, OptimizerHelper optimizer,
                            TrainingState state, Dictionary<string, Tensor>? best)
    {
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            var doc = new CheckpointDocument(FormatName, FormatVersion, config, training, state);
            using (var s = zip.CreateEntry("trainer.json").Open())
                JsonSerializer.Serialize(s, doc, CheckpointJson.Default.CheckpointDocument);
            Write(zip, "model.safetensors", model.Network.state_dict());
            using (var scope = NewDisposeScope())
            {
                Write(zip, "optimizer.safetensors", OptimizerState.Get(optimizer));
                Write(zip, "rng.safetensors", new Dictionary<string, Tensor> { ["default_cpu"] = Generator.Default.get_state() });
            }
            if (best is not null) Write(zip, "best.safetensors", best);
        });
    }

    private static void Write(ZipArchive zip, string name, IReadOnlyDictionary<string, Tensor> tensors)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        SafeTensors.Save(tensors, s);
    }

    /// <summary>Restores a run into a freshly built model and optimizer; returns the best weights if saved.</summary>
    public static Dictionary<string, Tensor>? Load(string path, PixelCnnConfig config, TrainingHyperParameters training, PixelCnnModel model,
                                                   OptimizerHelper optimizer, TrainingState state)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint {path} does not exist", path);
        try
        {
            var file = RegularFile.Resolve(path, out var problem) ?? throw new InvalidDataException(problem!);
            using var zip = ZipFile.OpenRead(file.FullName);
            CheckpointDocument doc;
            using (var s = ReadAll(zip, "trainer.json", MaxDocumentBytes))
                doc = JsonSerializer.Deserialize(s, CheckpointJson.Default.CheckpointDocument) ?? throw new InvalidDataException("trainer.json is empty");
            if (doc.Format != FormatName) throw new InvalidDataException($"format '{doc.Format}' is not a PixelCnn.ML checkpoint");
            if (doc.Version is < 2 or > FormatVersion)
                throw new InvalidDataException($"checkpoint format version {doc.Version} is not supported (expected 2..{FormatVersion})");
            if (doc.Version < 3 && doc.Config.IsAutoencoder) doc = doc with { Config = doc.Config with { EqualizedEncoderOutput = false } };
            if (doc.Config != config)
                throw new InvalidDataException("it was written for a different model configuration; resume with the same options it was trained with");
            if (doc.Training != training)
                throw new InvalidDataException($"it was written with other training settings ({Differences(doc.Training, training)}); " +
                                               "resume with the same settings, or start a new run");
            if (doc.State.DataCount != state.DataCount)
                throw new InvalidDataException($"it was written for {doc.State.DataCount} training images but {state.DataCount} were given");

            // Every entry is read with a cap from the (already built) model's size and checked against its CRC-32.
            long weights = PixelCnnModel.MaxWeightsHeaderBytes + 4 * model.Network.ParameterCount;
            SafeTensors.LoadInto(model.Network, ReadAll(zip, "model.safetensors", weights));
            using (var scope = NewDisposeScope())
            {
                var moments = OptimizerState.Get(optimizer);
                SafeTensors.LoadInto(moments, ReadAll(zip, "optimizer.safetensors", 3 * weights), "the optimizer state");
                OptimizerState.ApplyScalars(optimizer, moments);
                var rng = SafeTensors.Load(ReadAll(zip, "rng.safetensors", 1 << 20));
                if (!rng.TryGetValue("default_cpu", out var g)) throw new InvalidDataException("rng.safetensors lacks 'default_cpu'");
                Generator.Default.set_state(g);
            }
            Dictionary<string, Tensor>? best = null;
            if (zip.GetEntry("best.safetensors") is not null)
            {
                best = SafeTensors.Load(ReadAll(zip, "best.safetensors", weights), model.Device);
                foreach (var t in best.Values) t.DetachFromDisposeScope();
            }
            Copy(doc.State, state);
            return best;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or SafeTensorsFormatException)
        {
            throw new InvalidDataException($"cannot resume from checkpoint {path}: {e.Message}", e);
        }
    }

    /// <summary>"LearningRate 0.001 in the checkpoint, 0.01 now; ..." for every setting that differs.</summary>
    private static string Differences(TrainingHyperParameters saved, TrainingHyperParameters now)
    {
        var parts = new List<string>();
        void Check<T>(string name, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b)) parts.Add($"{name} {a} in the checkpoint, {b} now");
        }
        Check(nameof(saved.BatchSize), saved.BatchSize, now.BatchSize);
        Check(nameof(saved.Optimizer), saved.Optimizer, now.Optimizer);
        Check(nameof(saved.LearningRate), saved.LearningRate, now.LearningRate);
        Check(nameof(saved.LearningRateDecay), saved.LearningRateDecay, now.LearningRateDecay);
        Check(nameof(saved.GradientClipNorm), saved.GradientClipNorm, now.GradientClipNorm);
        Check(nameof(saved.WeightDecay), saved.WeightDecay, now.WeightDecay);
        Check(nameof(saved.Seed), saved.Seed, now.Seed);
        Check(nameof(saved.InputPerturbation), saved.InputPerturbation, now.InputPerturbation);
        return string.Join("; ", parts);
    }

    /// <summary>The most bytes trainer.json may hold (its history grows by an epoch's record per epoch).</summary>
    private const long MaxDocumentBytes = 32L << 20;

    private static MemoryStream ReadAll(ZipArchive zip, string name, long max)
    {
        var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"it has no {name}");
        using var s = BoundedRead.OpenChecked(entry, max);
        return BoundedRead.Bytes(s, max, name);
    }

    private static void Copy(TrainingState from, TrainingState to)
    {
        to.Epoch = from.Epoch;
        to.BatchInEpoch = from.BatchInEpoch;
        to.Step = from.Step;
        to.SkippedSteps = from.SkippedSteps;
        to.ConsecutiveNonFinite = from.ConsecutiveNonFinite;
        to.EpochLossSum = from.EpochLossSum;
        to.EpochLossCount = from.EpochLossCount;
        to.BestValidation = from.BestValidation;
        to.EpochsWithoutImprovement = from.EpochsWithoutImprovement;
        to.History = from.History;
    }
}

internal sealed record CheckpointDocument(string Format, int Version, PixelCnnConfig Config, TrainingHyperParameters Training, TrainingState State);

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(CheckpointDocument))]
internal partial class CheckpointJson : JsonSerializerContext;

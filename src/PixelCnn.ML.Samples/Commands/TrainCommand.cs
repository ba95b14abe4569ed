// pixelcnn train: fits the PixelCNN density scorer on images and saves the pipeline as a model zip.
using System.CommandLine;
using PixelCnn.ML.IO;
using PixelCnn.ML.Components;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using Spectre.Console;
using TorchSharp;

namespace PixelCnn.ML.Samples.Commands;

internal static class TrainCommand
{
    internal static readonly Option<string> Data = new("--data") { Description = "Training images: " + DataSources.Help, DefaultValueFactory = _ => "fashion-mnist" };
    internal static readonly Option<int?> Take = new("--take") { Description = "Use only the first N images." };
    internal static readonly Option<int> ImageSize = new("--image-size") { Description = "Folder images are resized to this square size.", DefaultValueFactory = _ => 28 };
    internal static readonly Option<bool> Rgb = new("--rgb") { Description = "Model folder images in colour (R→G→B) instead of grayscale." };
    private static readonly Option<string> Preset = new("--preset") { Description = "Model preset: S or M (sized per architecture, see PixelCnnConfig.Preset).", DefaultValueFactory = _ => "S" };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Passes over the data.", DefaultValueFactory = _ => 1 };
    private static readonly Option<long?> MaxSteps = new("--max-steps") { Description = "Stop after this many optimizer steps." };
    private static readonly Option<bool> ConditionOnLabel = new("--condition-on-label") { Description = "Condition the model on the class label (one-hot)." };
    private static readonly Option<double> Validation = new("--validation-fraction") { Description = "Held-out fraction for validation bits/dim and the threshold.", DefaultValueFactory = _ => 0.1 };
    private static readonly Option<double> Percentile = new("--threshold-percentile") { Description = "Percentile of normal scores used as the anomaly threshold.", DefaultValueFactory = _ => 99.0 };
    private static readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "Checkpoint file (written atomically; resumes if it exists)." };
    internal static readonly Option<string> DeviceOption = new("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of initialisation and shuffling.", DefaultValueFactory = _ => 1 };
    private static readonly Option<FileInfo> Out = new("--out") { Description = "Model zip to write.", DefaultValueFactory = _ => new FileInfo("pixelcnn-model.zip") };

    public static Command Create()
    {
        var cmd = new Command("train", "Train a PixelCNN density scorer on images and save it as a model zip.")
        {
            Data, Take, ImageSize, Rgb, Cli.Architecture, Cli.PyramidOrder, Cli.PyramidBaseLayers, Cli.SuperResolutionBlocks, Preset, Epochs, MaxSteps, ConditionOnLabel, Validation, Percentile, Checkpoint, DeviceOption, Seed, Out,
        };
        cmd.SetAction(p =>
        {
            var device = Engine.DeviceSelector.Parse(p.GetValue(DeviceOption)!);
            var ml = new MLContext(seed: p.GetValue(Seed)) { GpuDeviceId = (device.type == DeviceType.CUDA) ? device.index : null };
            Cli.ShowLog(ml);
            var source = DataSources.Open(ml, p.GetValue(Data)!, p.GetValue(Take), p.GetValue(ImageSize), grayscale: !p.GetValue(Rgb));
            var checkpoint = p.GetValue(Checkpoint);
            var options = new PixelCnnDensityTrainer.Options
            {
                FeatureColumnName = "Pixels", ConditionColumnName = p.GetValue(ConditionOnLabel) ? "Label" : null,
                Model = Cli.ModelWithPyramidOptions(p, Cli.ModelPreset(p, Preset)),
                Training =
                {
                    Epochs = p.GetValue(Epochs), MaxSteps = p.GetValue(MaxSteps),
                    CheckpointPath = checkpoint, CheckpointEverySteps = checkpoint is null ? 0 : 200,
                    ResumeFrom = checkpoint is not null && File.Exists(checkpoint) ? checkpoint : null,
                },
                ValidationFraction = p.GetValue(Validation), ThresholdPercentile = p.GetValue(Percentile),
                Progress = new ConsoleTrainingProgress(), CancellationToken = Cli.Cancellation,
            };
            if (checkpoint is not null && File.Exists(checkpoint)) Cli.Err.MarkupLine($"Resuming from [green]{Markup.Escape(checkpoint)}[/]");
            Cli.Err.MarkupLine($"Training on {Markup.Escape(source.Description)} ({device})");
            using var model = ml.AnomalyDetection.Trainers.PixelCnn(options).Fit(source.Rows);
            var outFile = p.GetValue(Out)!;
            AtomicFile.Write(outFile.FullName, s => ml.Model.Save(model, source.Rows.Schema, s));
            Console.WriteLine($"Saved {outFile.FullName}: threshold {model.Threshold:F4} bits/dim ({model.ThresholdPercentile}th percentile of held-out scores)");
            return Cli.Ok;
        });
        return cmd;
    }
}

// pixelcnn: the command line of PixelCnn.ML (train, score, sample, complete, autoencoders, bench, demo, ...).
// Exit codes: 0 success, 1 failure (the message says why), 2 bad usage, 130 cancelled.
using System.CommandLine;
using PixelCnn.ML.Samples.Commands;
using PixelCnn.ML.Samples.Experiments;

return Cli.Run(Program.CreateRoot(), args);

internal partial class Program
{
    /// <summary>Every command of the tool (the tests run them in-process through this).</summary>
    internal static RootCommand CreateRoot() => new("PixelCnn.ML: exact-likelihood image models (Gated PixelCNN) on libtorch.")
    {
        InfoCommand.Create(),
        TrainCommand.Create(),
        ScoreCommand.Create(),
        OodExperiment.Create(),
        DefendExperiment.Create(),
        ApplyCommand.Create(),
        SampleCommand.Create(),
        CompleteCommand.Create(),
        ColorizeCommand.Create(),
        AutoencoderCommands.CreateTrain(),
        AutoencoderCommands.CreateEncode(),
        AutoencoderCommands.CreateReconstruct(),
        AutoencoderCommands.CreateInterpolate(),
        AutoencoderExperiment.Create(),
        ExampleCommand.Create(),
        DemoCommand.Create(),
        BenchCommand.Create(),
        BenchCommand.CreateWorker(),
        GpuCheckCommand.Create(),
    };
}

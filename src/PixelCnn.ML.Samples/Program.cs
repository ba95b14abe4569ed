// pixelcnn: the command line of PixelCnn.ML (train, score, sample, complete, bench, demo, ...).
// Exit codes: 0 success, 1 failure (the message says why), 2 bad usage, 130 cancelled.
using System.CommandLine;
using PixelCnn.ML.Samples.Commands;

var root = new RootCommand("PixelCnn.ML: exact-likelihood image models (Gated PixelCNN) on libtorch.")
{
    InfoCommand.Create(),
    TrainCommand.Create(),
    ScoreCommand.Create(),
    ExampleCommand.Create(),
    DemoCommand.Create(),
    BenchCommand.Create(),
    BenchCommand.CreateWorker(),
    GpuCheckCommand.Create(),
};
return Cli.Run(root, args);

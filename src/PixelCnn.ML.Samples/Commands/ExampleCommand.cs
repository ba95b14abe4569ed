using System.CommandLine;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Samples.Examples;
using TorchSharp;

namespace PixelCnn.ML.Samples.Commands;

internal static class ExampleCommand
{
    private static readonly Option<DirectoryInfo> Folder = new("--folder") { Description = "Working folder (photos/ and scorer.zip go here).", DefaultValueFactory = _ => new DirectoryInfo("example-output") };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Epochs (the snippet's 10 by default).", DefaultValueFactory = _ => 10 };
    private static readonly Option<int> Images = new("--train-images") { Description = "Photos written to photos/ok.", DefaultValueFactory = _ => 300 };

    public static Command Create()
    {
        var cmd = new Command("example", "Run the README snippet: a PixelCNN anomaly scorer over a folder of photos (made from Fashion-MNIST).")
        {
            Folder, Epochs, Images,
        };
        cmd.SetAction(p =>
        {
            var dir = p.GetValue(Folder)!;
            dir.Create();
            FolderAnomalyExample.Run(dir.FullName, p.GetValue(Epochs), p.GetValue(Images));
            return Cli.Ok;
        });
        return cmd;
    }
}

// Shared plumbing of the commands: error reporting with exit codes, Ctrl+C cancellation, progress.
using System.CommandLine;
using PixelCnn.ML.Engine;
using Microsoft.ML.Runtime;
using PixelCnn.ML.Data.Images;
using Spectre.Console;
using TorchSharp;

namespace PixelCnn.ML.Samples.Commands;

internal static class Cli
{
    public const int Ok = 0, Failed = 1, Usage = 2, Cancelled = 130;

    /// <summary>The architecture of a model a command trains (with its --preset).</summary>
    internal static readonly Option<string> Architecture = new("--arch")
    {
        Description = "Architecture: gated (Gated PixelCNN), pixelcnn (the plain PixelCNN), row-lstm or diagonal-bilstm (PixelRNN), " +
                      "grayscale (a 4-bit grey view x̂, then x given x̂) or pyramid (28 → 14 → 7 with super-resolution levels).",
        DefaultValueFactory = _ => "gated",
    };

    internal static readonly Option<string?> PyramidOrder = new("--pyramid-order")
    {
        Description = "Order of the pyramid's super-resolution levels: blocks (the preset: by position in the 2x2 block, 4 steps per " +
                      "level and channel) or raster (wavefronts of a masked window, W + 2(H − 1) steps per level).",
    };

    /// <summary>The order named by --pyramid-order, or <paramref name="fallback"/> when it is not given.</summary>
    internal static Models.SuperResolutionOrder ParsePyramidOrder(string? name, Models.SuperResolutionOrder fallback) => name?.Trim().ToLowerInvariant() switch
    {
        null => fallback,
        "blocks" => Models.SuperResolutionOrder.Blocks,
        "raster" => Models.SuperResolutionOrder.Raster,
        _ => throw new ArgumentException($"--pyramid-order '{name}': use blocks or raster"),
    };

    internal static readonly Option<int?> PyramidBaseLayers = new("--pyramid-base-layers")
    {
        Description = "Gated blocks of the pyramid's smallest level (the preset: half the preset's layers, 4 for S).",
    };

    internal static readonly Option<int?> SuperResolutionBlocks = new("--super-resolution-blocks")
    {
        Description = "Residual blocks of each super-resolution level's network over the level below (the preset: 3).",
    };

    /// <summary>
    /// <paramref name="config"/> with the order --pyramid-order names and the blocks --pyramid-base-layers and
    /// --super-resolution-blocks give (a pyramid only; any other architecture refuses them).
    /// </summary>
    internal static Models.PixelCnnConfig ModelWithPyramidOptions(ParseResult p, Models.PixelCnnConfig config)
    {
        var name = p.GetValue(PyramidOrder);
        var baseLayers = p.GetValue(PyramidBaseLayers);
        var levelBlocks = p.GetValue(SuperResolutionBlocks);
        foreach (var (given, option) in new[]
                 {
                     (name is not null, PyramidOrder.Name), (baseLayers is not null, PyramidBaseLayers.Name),
                     (levelBlocks is not null, SuperResolutionBlocks.Name),
                 })
            if (given && config.Architecture != Models.PixelCnnArchitecture.Pyramid)
                throw new ArgumentException($"{option}: only the pyramid architecture (--arch pyramid) has one, not {config.Architecture}");
        if (baseLayers is < 1 or > 64) throw new ArgumentException($"--pyramid-base-layers must be 1..64, got {baseLayers}");
        if (levelBlocks is < 0 or > 32) throw new ArgumentException($"--super-resolution-blocks must be 0..32, got {levelBlocks}");
        return config with
        {
            SuperResolutionOrder = ParsePyramidOrder(name, config.SuperResolutionOrder),
            PyramidBaseLayers = baseLayers ?? config.PyramidBaseLayers,
            SuperResolutionBlocks = levelBlocks ?? config.SuperResolutionBlocks,
        };
    }

    /// <summary>The preset named by <paramref name="preset"/> of the architecture named by --arch.</summary>
    internal static Models.PixelCnnConfig ModelPreset(ParseResult p, Option<string> preset) =>
        Models.PixelCnnConfig.Preset(p.GetValue(preset)!, Models.PixelCnnConfig.ParseArchitecture(p.GetValue(Architecture)!));

    /// <summary>Cancelled on Ctrl+C so long work stops between steps and checkpoints.</summary>
    public static CancellationToken Cancellation { get; private set; }

    public static int Run(RootCommand root, string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        Cancellation = cts.Token;
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine("Run with --help for usage.");
            return Usage;
        }
        try
        {
            // Our handlers below turn the errors a user can cause into one-line messages and exit codes. ML.NET calls
            // component loaders by reflection: their errors arrive wrapped, and the inner one says what went wrong.
            try
            {
                return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("Cancelled.");
            return Cancelled;
        }
        catch (Exception e) when (e is TorchEngineException)
        {
            Console.Error.WriteLine(e.Message);
            return Failed;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidImageException or IOException or InvalidOperationException or NotSupportedException
                                      or System.Runtime.InteropServices.ExternalException or UnauthorizedAccessException or Training.TrainingDivergedException
                                      or FormatException or OutOfMemoryException)
        {
            Console.Error.WriteLine(e is OutOfMemoryException ? $"error: out of memory ({e.Message})" : $"error: {e.Message}");
            if (Environment.GetEnvironmentVariable("PIXELCNN_TRACE") is "1") Console.Error.WriteLine(e);
            return Failed;
        }
    }

    /// <summary>True when stderr is a terminal, so progress bars make sense.</summary>
    public static bool Interactive => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;

    /// <summary>Shows the MLContext's log (training progress, thresholds, device warnings) on stderr, without trace messages.</summary>
    public static void ShowLog(MLContext ml) =>
        ml.Log += (_, e) => { if (e.Kind != ChannelMessageKind.Trace) Err.MarkupLine($"[grey]{Markup.Escape(e.RawMessage)}[/]"); };

    /// <summary>A section title of a long command's output.</summary>
    public static void Section(string title) => AnsiConsole.MarkupLine($"\n[bold blue]{Markup.Escape(title)}[/]");

    public static IAnsiConsole Err { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
}

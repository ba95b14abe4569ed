// Shared plumbing of the commands: error reporting with exit codes, Ctrl+C cancellation, progress.
using System.CommandLine;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Imaging;
using Spectre.Console;
using TorchSharp;

namespace PixelCnn.ML.Samples.Commands;

internal static class Cli
{
    public const int Ok = 0, Failed = 1, Usage = 2, Cancelled = 130;

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
            // Our handlers below turn the errors a user can cause into one-line messages and exit codes.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("Cancelled.");
            return Cancelled;
        }
        catch (Exception e) when (e is NativeLibraryLoadException or TorchEngineException)
        {
            Console.Error.WriteLine(e.Message);
            return Failed;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException
                                      or System.Runtime.InteropServices.ExternalException or UnauthorizedAccessException or Training.TrainingDivergedException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Failed;
        }
    }

    /// <summary>True when stderr is a terminal, so progress bars make sense.</summary>
    public static bool Interactive => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;

    public static IAnsiConsole Err { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
}

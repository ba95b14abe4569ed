// Runs the dotnet CLI (and the apps it builds) as a child process the way a user's shell would:
// without the MSBuild variables that `dotnet test` leaves in this process's environment, without
// build servers or node reuse (a lingering server would keep the output pipes open and outlive the
// test), without telemetry or first-run banners, and with a time limit per command.
using System.Diagnostics;
using System.Text;

namespace PixelCnn.ML.Tests.Packaging;

internal sealed record CliResult(string Command, int ExitCode, string StdOut, string StdErr)
{
    /// <summary>Everything a failure message needs: the command, its exit code and both streams.</summary>
    public override string ToString() =>
        $"`{Command}` exited with {ExitCode}\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}";
}

internal static class DotnetCli
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    /// <summary>The dotnet executable found on PATH, or null.</summary>
    public static string? FindOnPath()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/> in <paramref name="workingDirectory"/>.</summary>
    public static CliResult Run(string file, IEnumerable<string> args, string workingDirectory)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Isolate(psi.Environment);

        var command = file + " " + string.Join(" ", psi.ArgumentList);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(Limit))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"`{command}` did not finish within {Limit.TotalMinutes} minutes\n{stdout}\n{stderr}");
        }
        p.WaitForExit(); // drains the asynchronous readers
        return new CliResult(command, p.ExitCode, stdout.ToString(), stderr.ToString());
    }

    // HOME and DOTNET_CLI_HOME are passed on as they are: without HOME the CLI and NuGet fall back to
    // the account's home folder, and pointing DOTNET_CLI_HOME elsewhere would move NuGet's folders too.
    private static void Isolate(IDictionary<string, string?> env)
    {
        // `dotnet test` exports the SDK's MSBuild location and settings to its children; a fresh
        // shell has none of them, and a stale MSBUILD_EXE_PATH could point a child at another SDK.
        foreach (var key in env.Keys.ToList())
            if (key.TrimStart('_').StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST_", StringComparison.OrdinalIgnoreCase))
                env.Remove(key);
        // The consumer must find the packaged shim on its own, and restore into its own folder.
        env.Remove("NUGET_PACKAGES");
        env["DOTNET_NOLOGO"] = "1";
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        env["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        env["DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE"] = "1";
        env["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false";
        env["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        env["MSBUILDDISABLENODEREUSE"] = "1";
        env["UseSharedCompilation"] = "false";
        env["DOTNET_CLI_UI_LANGUAGE"] = "en";
    }
}

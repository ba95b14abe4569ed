namespace PixelCnn.ML.Tests;

/// <summary>Locates files of the repository from the test's output folder.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PixelCnn.ML.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root (PixelCnn.ML.sln) not found above " + AppContext.BaseDirectory);
    }

    public static string Get(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The `pixelcnn` CLI built in the configuration of this test run.</summary>
    public static string Cli => Get("src", "PixelCnn.ML.Samples", "bin",
        typeof(RepoPaths).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
            .OfType<System.Reflection.AssemblyConfigurationAttribute>().FirstOrDefault()?.Configuration ?? "Debug", "net10.0", "pixelcnn.dll");
}

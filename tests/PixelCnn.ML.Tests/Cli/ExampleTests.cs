// The README snippet is the code `pixelcnn example` runs (same text between the markers), and the example runs: a
// separate process, since it works in its own folder.
using System.Globalization;
using System.Reflection;
using PixelCnn.ML.Tests.Packaging;

namespace PixelCnn.ML.Tests.CommandLine;

[TestClass]
public class ExampleTests
{
    [TestMethod]
    public void The_readme_snippet_is_the_code_of_pixelcnn_example()
    {
        var source = File.ReadAllText(RepoPaths.Get("src", "PixelCnn.ML.Samples", "Examples", "FolderAnomalyExample.cs"));
        int start = source.IndexOf("// ---- README snippet", StringComparison.Ordinal), end = source.IndexOf("// ---- end of the snippet", StringComparison.Ordinal);
        Assert.IsTrue(start >= 0 && end > start);
        var exampleLines = source[start..end].Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var readmeLines = PackageConsumerTests.ReadmeSnippet().Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        CollectionAssert.AreEqual(readmeLines, exampleLines, "README.md's snippet and FolderAnomalyExample.cs differ");
    }

    [TestMethod]
    public void Pixelcnn_example_trains_evaluates_saves_and_reloads_the_same_scores()
    {
        var dir = Directory.CreateTempSubdirectory("pixelcnn-example-").FullName;
        try
        {
            var cli = RepoPaths.Cli;
            var run = DotnetCli.Run(DotnetCli.FindOnPath() ?? "dotnet", [cli, "example", "--folder", dir, "--epochs", "1", "--train-images", "40"], dir);
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            StringAssert.Contains(run.StdOut, "ML.NET's Evaluate: AUC ");
            StringAssert.Contains(run.StdOut, "loaded back with ml.Model.Load it gives the same scores.");
            var auc = double.Parse(run.StdOut.Split("AUC ")[1].Split(',')[0], CultureInfo.InvariantCulture);
            Assert.IsTrue(auc is >= 0 and <= 1);
            Assert.IsTrue(File.Exists(Path.Combine(dir, "scorer.zip")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

// The C# of README.md, nuget/README.md and docs/*.md compiles as written. Each ```csharp block is compiled on its own
// (Roslyn, against the assemblies of this test run: the library, ML.NET, TorchSharp, Microsoft.Data.Analysis) as a
// program of top-level statements. A block may be preceded by a comment naming what it takes from the text around it:
//   <!-- compiles with: using Microsoft.ML; IDataView test; int epochs -->
// "using ..." entries are added as using directives, "Type name" entries as variables of that type. Everything else a
// block needs, its using directives included, must be in the block, as a reader copying it would need it; only the
// implicit usings of a new console app (`dotnet new console`: System, System.IO, System.Linq, ...) come for free.
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PixelCnn.ML.Tests;

[TestClass]
public class DocsCodeTests
{
    private sealed record Block(string File, int Line, string Code, string[] Usings, string[] Givens);

    private static IEnumerable<string> DocFiles() =>
        new[] { RepoPaths.Get("README.md"), RepoPaths.Get("nuget", "README.md") }
            .Concat(Directory.GetFiles(RepoPaths.Get("docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));

    private static List<Block> Blocks()
    {
        var blocks = new List<Block>();
        var given = new Regex(@"<!--\s*compiles with:(?<items>.*?)-->", RegexOptions.Singleline);
        foreach (var file in DocFiles())
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].Trim() != "```csharp") continue;
                int end = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
                Assert.IsTrue(end > i, $"{file}:{i + 1}: the csharp block is not closed");
                // The comment, if any, is on one of the three lines before the block.
                var before = string.Join("\n", lines[Math.Max(0, i - 3)..i]);
                var items = given.Match(before) is { Success: true } m
                    ? m.Groups["items"].Value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    : [];
                blocks.Add(new Block(Path.GetRelativePath(RepoPaths.Root, file), i + 1, string.Join("\n", lines[(i + 1)..end]),
                                     items.Where(s => s.StartsWith("using ", StringComparison.Ordinal)).ToArray(),
                                     items.Where(s => !s.StartsWith("using ", StringComparison.Ordinal)).ToArray()));
                i = end;
            }
        }
        return blocks;
    }

    /// <summary>The global usings of a console app with ImplicitUsings enabled (the .NET SDK's default for new apps).</summary>
    private const string ImplicitUsings =
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
        "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;\n";

    /// <summary>The program a block compiles as: its own using directives first, then the given usings and variables, then its code.</summary>
    private static string Program(Block b)
    {
        var code = b.Code.Split('\n');
        int firstStatement = Array.FindIndex(code, l => !(l.StartsWith("using ", StringComparison.Ordinal) && l.TrimEnd().EndsWith(';')) && l.Trim().Length > 0);
        if (firstStatement < 0) firstStatement = code.Length;
        var givens = b.Givens.Select(g =>
        {
            int space = g.LastIndexOf(' ');
            Assert.IsTrue(space > 0, $"{b.File}:{b.Line}: '{g}' is not 'Type name'");
            return $"{g[..space]} {g[(space + 1)..]} = default!;";
        });
        return ImplicitUsings + string.Join("\n", code[..firstStatement].Concat(b.Usings.Select(u => u + ";")).Concat(givens).Concat(code[firstStatement..])) + "\n";
    }

    [TestMethod]
    public void Every_csharp_block_of_the_readme_and_the_docs_compiles_as_written()
    {
        var blocks = Blocks();
        Assert.IsTrue(blocks.Count >= 10, $"only {blocks.Count} blocks found");
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => MetadataReference.CreateFromFile(p)).ToList();
        var options = new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable);
        var failures = new List<string>();
        foreach (var block in blocks)
        {
            var tree = CSharpSyntaxTree.ParseText(Program(block), new CSharpParseOptions(LanguageVersion.Latest));
            var compilation = CSharpCompilation.Create("DocBlock", [tree], references, options);
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
                failures.Add($"{block.File}:{block.Line}:\n  " + string.Join("\n  ", errors.Take(5).Select(e => e.ToString())));
        }
        Assert.AreEqual(0, failures.Count, $"{failures.Count} of {blocks.Count} blocks do not compile:\n" + string.Join("\n", failures));
    }

    [TestMethod]
    public void A_block_that_does_not_compile_is_reported_with_its_file_and_line()
    {
        // The check itself: a misspelt member fails, and the same block with its given variable declared compiles.
        var bad = new Block("x.md", 3, "using Microsoft.ML;\nvar ml = new MLContext();\nml.Data.LoadFromEnumerablee(new int[0]);", [], []);
        var good = new Block("x.md", 3, "using Microsoft.ML;\nvar view = ml.Data.LoadFromEnumerable(new[] { new Row() });\nclass Row { public float X; }", [], ["MLContext ml"]);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).Select(p => MetadataReference.CreateFromFile(p)).ToList();
        int Errors(Block b) => CSharpCompilation.Create("DocBlock", [CSharpSyntaxTree.ParseText(Program(b))], references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication)).GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
        Assert.IsTrue(Errors(bad) > 0);
        Assert.AreEqual(0, Errors(good), Program(good));
    }
}

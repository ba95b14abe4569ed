namespace PixelCnn.ML.Tests.Serialization;

/// <summary>A fresh folder under the system temp folder, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public DirectoryInfo Info { get; } = Directory.CreateTempSubdirectory("pcn-st-");

    public string PathOf(string fileName) => Path.Combine(Info.FullName, fileName);

    /// <summary>Names of the files in the folder, sorted; temporary files left behind show up here.</summary>
    public string[] FileNames() => Info.GetFiles().Select(f => f.Name).Order(StringComparer.Ordinal).ToArray();

    public void Dispose() => Info.Delete(recursive: true);
}

// Replace-or-nothing writes: a reader sees the old file or the new one; a failed write leaves the old file and no
// temporary file; the temporary file a killed writer left is removed by the next write to the same destination, while
// a live writer's (held under its lock) is not touched.
using PixelCnn.ML.IO;

namespace PixelCnn.ML.Tests.IO;

[TestClass]
public class AtomicFileTests
{
    private string _dir = "";

    [TestInitialize]
    public void Create() => _dir = Directory.CreateTempSubdirectory("pixelcnn-atomic-").FullName;

    [TestCleanup]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    private string Stray(string name) => Path.Combine(_dir, $".{name}.{Guid.NewGuid():N}.tmp");

    [TestMethod]
    public void A_failed_write_leaves_the_old_file_and_no_temporary_file()
    {
        var path = Path.Combine(_dir, "model.zip");
        AtomicFile.WriteAllText(path, "old");
        Assert.ThrowsException<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[1000]);
            throw new InvalidOperationException("the writer failed half-way");
        }));
        Assert.AreEqual("old", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { "model.zip" }, Directory.GetFiles(_dir).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void The_temporary_file_of_a_killed_writer_is_removed_by_the_next_write()
    {
        var path = Path.Combine(_dir, "run.ck.bin");
        var stray = Stray("run.ck.bin");
        File.WriteAllBytes(stray, new byte[742]);                     // what a writer killed mid-save leaves
        var other = Stray("other.zip");
        File.WriteAllBytes(other, new byte[10]);                      // another destination's: not this write's business
        var lookalike = Path.Combine(_dir, ".run.ck.bin.notes.tmp");  // not a name AtomicFile makes
        File.WriteAllText(lookalike, "keep");
        AtomicFile.WriteAllText(path, "new");
        Assert.AreEqual("new", File.ReadAllText(path));
        Assert.IsFalse(File.Exists(stray), "the stray temporary file is removed");
        Assert.IsTrue(File.Exists(other) && File.Exists(lookalike));
    }

    [TestMethod]
    public void A_live_writers_temporary_file_is_left_alone()
    {
        var path = Path.Combine(_dir, "scores.csv");
        var live = Stray("scores.csv");
        using (var writer = new FileStream(live, FileMode.CreateNew, FileAccess.Write, FileShare.None)) // holds its lock, as AtomicFile's writers do
        {
            writer.Write(new byte[5]);
            AtomicFile.WriteAllText(path, "a,b\n");
            Assert.IsTrue(File.Exists(live), "a file under a live writer's lock is not removed");
        }
        Assert.AreEqual("a,b\n", File.ReadAllText(path));
        AtomicFile.WriteAllText(path, "c,d\n");
        Assert.IsFalse(File.Exists(live), "once its writer is gone, the next write removes it");
    }
}

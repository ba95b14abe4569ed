// Makes TorchSharp's native library load where libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04: GLIBCXX up to
// 3.4.30). TorchSharp 0.107's libLibTorchSharp.so was linked with GCC 13, whose <iostream> references
// std::ios_base_library_init@GLIBCXX_3.4.32. Nothing calls that symbol, but the dynamic loader refuses the whole
// library because the version is missing. Marking that one version-needed entry weak (VER_FLG_WEAK in .gnu.version_r)
// lets the loader require only the versions the system has. The fix refuses to weaken a version that any other
// symbol needs, so it never hides a real dependency; it changes one flag, is idempotent, and rewrites the file
// atomically (a temporary file beside it, then a rename). docs/engine.md explains it.
//
// One source, two builds: the library compiles it (PIXELCNN_LIBRARY defined) for its start-up check, and the NuGet
// package ships it for MSBuild's RoslynCodeTaskFactory (buildTransitive/PixelCnn.ML.targets), which compiles it with
// the task class below, so every app that references the package gets a fixed copy in its build and publish
// output. Hence C# 7.3 and netstandard2.0 only.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace PixelCnn.ML.Engine
{
    /// <summary>The GLIBCXX_3.4.32 fix of TorchSharp's native library (see the file header).</summary>
#if PIXELCNN_LIBRARY
    internal
#else
    public
#endif
    static class TorchSharpGlibcxxFix
    {
        private const uint ShtDynsym = 11, ShtGnuVerneed = 0x6FFFFFFE, ShtGnuVersym = 0x6FFFFFFF;
        private const ushort VerFlgWeak = 0x2;

        /// <summary>The versions this fix may weaken, with the only symbols allowed to need them.</summary>
        private static readonly Dictionary<string, string[]> Weakenable = new Dictionary<string, string[]>
        {
            { "GLIBCXX_3.4.32", new[] { "_ZSt21ios_base_library_initv" } },
        };

        /// <summary>The outcome of <see cref="Apply"/>.</summary>
        public enum Outcome
        {
            /// <summary>The library had no strong need for the version: nothing was written.</summary>
            AlreadyLoadable,
            /// <summary>The need was marked weak and the file rewritten.</summary>
            Fixed,
        }

        /// <summary>Whether the library at <paramref name="path"/> needs GLIBCXX_3.4.32 strongly (the fix is due).</summary>
        public static bool IsNeeded(string path) => Weaken(File.ReadAllBytes(path), dryRun: true).Count > 0;

        /// <summary>
        /// Marks the library's GLIBCXX_3.4.32 need weak, in place. Throws <see cref="InvalidDataException"/> for a file that
        /// is not a 64-bit little-endian ELF library or where another symbol needs that version (the file is left alone),
        /// and the usual I/O exceptions when the file or its folder cannot be written.
        /// </summary>
        public static Outcome Apply(string path)
        {
            var data = File.ReadAllBytes(path);
            if (Weaken(data, dryRun: false).Count == 0) return Outcome.AlreadyLoadable;
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            var tmp = Path.Combine(folder, ".glibcxx-fix-" + Guid.NewGuid().ToString("N") + ".tmp");
            try
            {
                using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
                {
                    f.Write(data, 0, data.Length);
                    f.Flush(true);
                }
                CopyMode(path, tmp);
                File.Replace(tmp, path, null); // a rename: readers see the old file or the new one, never half of it
            }
            catch
            {
                if (File.Exists(tmp)) File.Delete(tmp);
                throw;
            }
            return Outcome.Fixed;
        }

        private static void CopyMode(string from, string to)
        {
#if NET7_0_OR_GREATER
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(to, File.GetUnixFileMode(from));
#endif
        }

        /// <summary>Marks the weakenable needs of <paramref name="data"/> weak (unless <paramref name="dryRun"/>); returns their names.</summary>
        private static List<string> Weaken(byte[] data, bool dryRun)
        {
            if (data.Length < 64 || data[0] != 0x7F || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F' || data[4] != 2 || data[5] != 1)
                throw new InvalidDataException("not a 64-bit little-endian ELF file");
            long shoff = (long)U64(data, 0x28);
            int shentsize = U16(data, 0x3A), shnum = U16(data, 0x3C);
            var sections = new List<Section>();
            for (int i = 0; i < shnum; i++)
            {
                long at = shoff + (long)i * shentsize;
                Check(data, at, 64);
                sections.Add(new Section
                {
                    Type = U32(data, at + 4), Offset = (long)U64(data, at + 24), Size = (long)U64(data, at + 32),
                    Link = (int)U32(data, at + 40), Info = (int)U32(data, at + 44),
                });
            }
            var changed = new List<string>();
            var verneed = sections.Find(s => s.Type == ShtGnuVerneed);
            if (verneed == null) return changed;
            long strtab = sections[verneed.Link].Offset;
            var users = SymbolsByVersion(data, sections);
            long need = verneed.Offset;
            for (int n = 0; n < verneed.Info; n++)
            {
                Check(data, need, 16);
                int count = U16(data, need + 2);
                long entry = need + U32(data, need + 8);
                for (int k = 0; k < count; k++)
                {
                    Check(data, entry, 16);
                    ushort flags = U16(data, entry + 4);
                    ushort other = U16(data, entry + 6);
                    string version = CString(data, strtab + U32(data, entry + 8));
                    string[] allowed;
                    if (Weakenable.TryGetValue(version, out allowed) && (flags & VerFlgWeak) == 0)
                    {
                        HashSet<string> neededBy;
                        if (users.TryGetValue(other, out neededBy) && !neededBy.IsSubsetOf(allowed))
                            throw new InvalidDataException(version + " is needed by " + string.Join(", ", neededBy) + ", not only by the unused " +
                                                           string.Join(", ", allowed) + "; refusing to weaken it");
                        if (!dryRun)
                        {
                            ushort weak = (ushort)(flags | VerFlgWeak);
                            data[entry + 4] = (byte)weak;
                            data[entry + 5] = (byte)(weak >> 8);
                        }
                        changed.Add(version);
                    }
                    entry += U32(data, entry + 12);
                }
                need += U32(data, need + 12);
            }
            return changed;
        }

        /// <summary>Version index → the names of the dynamic symbols bound to it.</summary>
        private static Dictionary<int, HashSet<string>> SymbolsByVersion(byte[] data, List<Section> sections)
        {
            var result = new Dictionary<int, HashSet<string>>();
            var dynsym = sections.Find(s => s.Type == ShtDynsym);
            var versym = sections.Find(s => s.Type == ShtGnuVersym);
            if (dynsym == null || versym == null) return result;
            long strtab = sections[dynsym.Link].Offset;
            for (long i = 0; i < dynsym.Size / 24; i++)
            {
                Check(data, dynsym.Offset + 24 * i, 24);
                Check(data, versym.Offset + 2 * i, 2);
                string name = CString(data, strtab + U32(data, dynsym.Offset + 24 * i));
                int version = U16(data, versym.Offset + 2 * i) & 0x7FFF;
                HashSet<string> names;
                if (!result.TryGetValue(version, out names)) result[version] = names = new HashSet<string>();
                names.Add(name);
            }
            return result;
        }

        private sealed class Section
        {
            public uint Type;
            public long Offset, Size;
            public int Link, Info;
        }

        private static void Check(byte[] data, long offset, long length)
        {
            if (offset < 0 || offset + length > data.Length) throw new InvalidDataException("the ELF tables point outside the file");
        }

        private static ushort U16(byte[] d, long o) { Check(d, o, 2); return (ushort)(d[o] | d[o + 1] << 8); }
        private static uint U32(byte[] d, long o) { Check(d, o, 4); return (uint)(d[o] | d[o + 1] << 8 | d[o + 2] << 16 | d[o + 3] << 24); }
        private static ulong U64(byte[] d, long o) => U32(d, o) | (ulong)U32(d, o + 4) << 32;

        private static string CString(byte[] d, long o)
        {
            Check(d, o, 1);
            long end = o;
            while (end < d.Length && d[end] != 0) end++;
            return Encoding.ASCII.GetString(d, (int)o, (int)(end - o));
        }
    }

#if !PIXELCNN_LIBRARY
    /// <summary>
    /// The package's build step: applies the fix to every libLibTorchSharp.so in <see cref="Files"/> (the copies in an
    /// app's build or publish output). Never touches the NuGet packages folder.
    /// </summary>
    public sealed class FixTorchSharpGlibcxx : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; }

        public override bool Execute()
        {
            foreach (var item in Files)
            {
                var path = item.ItemSpec;
                if (!File.Exists(path)) continue;
                try
                {
                    if (TorchSharpGlibcxxFix.Apply(path) == TorchSharpGlibcxxFix.Outcome.Fixed)
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "PixelCnn.ML: marked the GLIBCXX_3.4.32 need of {0} weak", path);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is InvalidDataException)
                {
                    Log.LogWarning(null, "PXCNN001", null, path, 0, 0, 0, 0,
                        "PixelCnn.ML could not make TorchSharp's native library loadable on systems whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04): {0}", e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}

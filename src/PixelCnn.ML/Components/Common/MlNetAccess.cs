// The ML.NET internals the components reach, in one place (docs/mlnet-saving.md):
//  - saving and loading: ModelSaveContext's members, ModelLoadContext, VersionInfo, [LoadableClass] and
//    SignatureLoadModel are internal to Microsoft.ML.Core, and third parties cannot otherwise write transformers that
//    mlContext.Model.Save/Load round-trip (dotnet/machinelearning#4911);
//  - the MLContext behind a catalog (CatalogUtils.GetEnvironment) and its seed and GPU settings
//    (IHostEnvironmentInternal), so components follow new MLContext(seed) and ml.GpuDeviceId like ML.NET's own;
//  - SchemaShape.Create and SchemaShape.Column's constructor, for estimators' GetOutputSchema.
// The library compiles against publicized copies of Microsoft.ML.Core/Data (tools/Publicizer) and declares
// [IgnoresAccessChecksTo], which the .NET runtime honours, so these calls pass the access checks at run time.
//
// The package states the supported ML.NET range (SupportedRange). Before the first call into these internals (a catalog
// method, a model loaded by ML.NET), EnsureSupported checks that the ML.NET actually loaded has every member listed in
// Required, and fails with one error naming the version found and the range supported; without it a missing member
// surfaces as a MissingMethodException from deep inside a pipeline. The code that touches the internals sits in
// methods of its own that are never inlined, so the check runs before the runtime compiles any of them.
// MlNetRouteTests checks that Required lists every non-public ML.NET member the compiled library references.
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using PixelCnn.ML.Engine;
using TorchSharp;

[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices
{
    /// <summary>Read by the .NET runtime: this assembly may use non-public members of the named assembly.</summary>
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
    {
        public string AssemblyName { get; } = assemblyName;
    }
}

namespace PixelCnn.ML.Components
{
    internal static class MlNetAccess
    {
        /// <summary>The ML.NET versions this build supports: the package's dependency range (PixelCnn.ML.csproj, MlNetRange).</summary>
        public const string SupportedRange = "[6.0.0, 7.0.0)";

        /// <summary>The non-public ML.NET members the components call: (assembly, type as reflection names it, members).</summary>
        internal static readonly (string Assembly, string Type, string[] Members)[] Required =
        [
            ("Microsoft.ML.Core", "Microsoft.ML.ModelSaveContext", ["CheckAtModel", "SetVersionInfo", "SaveTextStream", "SaveBinaryStream", "Writer", "InRepository"]),
            ("Microsoft.ML.Core", "Microsoft.ML.ModelLoadContext", ["CheckAtModel", "TryLoadTextStream", "TryLoadBinaryStream", "Reader"]),
            ("Microsoft.ML.Core", "Microsoft.ML.VersionInfo", [".ctor"]),
            ("Microsoft.ML.Core", "Microsoft.ML.LoadableClassAttribute", [".ctor"]),
            ("Microsoft.ML.Core", "Microsoft.ML.SignatureLoadModel", []),
            ("Microsoft.ML.Core", "Microsoft.ML.Runtime.IHostEnvironmentInternal", ["Seed", "GpuDeviceId", "FallbackToCpu"]),
            ("Microsoft.ML.Core", "Microsoft.ML.SchemaShape", ["Create"]),
            ("Microsoft.ML.Core", "Microsoft.ML.SchemaShape+Column", [".ctor", "GetTypeString"]),
            ("Microsoft.ML.Data", "Microsoft.ML.Data.CatalogUtils", ["GetEnvironment"]),
            ("Microsoft.ML.Data", "Microsoft.ML.Data.IInternalCatalog", []),
        ];

        private static readonly Lazy<string?> Problem = new(() => Describe(LoadedVersion, Missing()), LazyThreadSafetyMode.ExecutionAndPublication);

        /// <summary>
        /// Throws <see cref="NotSupportedException"/> naming the ML.NET version found and the range supported when the
        /// loaded ML.NET lacks a member the components call. Checked once per process.
        /// </summary>
        public static void EnsureSupported()
        {
            if (Problem.Value is { } problem) throw new NotSupportedException(problem);
        }

        /// <summary>The version of the Microsoft.ML loaded in this process (e.g. "6.0.0").</summary>
        public static string LoadedVersion =>
            typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? typeof(MLContext).Assembly.GetName().Version?.ToString() ?? "(unknown)";

        /// <summary>The entries of <paramref name="required"/> (default <see cref="Required"/>) that the loaded ML.NET lacks, as "Type.Member".</summary>
        internal static List<string> Missing(IEnumerable<(string Assembly, string Type, string[] Members)>? required = null)
        {
            const BindingFlags any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
            var assemblies = new Dictionary<string, Assembly>
            {
                [typeof(ICanSaveModel).Assembly.GetName().Name!] = typeof(ICanSaveModel).Assembly,
                [typeof(MLContext).Assembly.GetName().Name!] = typeof(MLContext).Assembly,
            };
            var missing = new List<string>();
            foreach (var (assembly, typeName, members) in required ?? Required)
            {
                var type = assemblies.TryGetValue(assembly, out var a) ? a.GetType(typeName) : null;
                if (type is null)
                {
                    missing.Add(typeName);
                    continue;
                }
                foreach (var member in members)
                    if (type.GetMember(member, any).Length == 0) missing.Add($"{typeName}.{member}");
            }
            return missing;
        }

        /// <summary>The error for an ML.NET that lacks <paramref name="missing"/>, or null when nothing is missing.</summary>
        internal static string? Describe(string version, IReadOnlyList<string> missing) => missing.Count == 0 ? null :
            $"PixelCnn.ML {typeof(MlNetAccess).Assembly.GetName().Version?.ToString(3)} supports Microsoft.ML {SupportedRange}, but this process " +
            $"loaded Microsoft.ML {version}, which lacks what saving, loading and the catalog methods of the PixelCNN components need: " +
            $"{string.Join(", ", missing)}. Reference Microsoft.ML and Microsoft.ML.ImageAnalytics from that range (on ML.NET 5, stay on PixelCnn.ML 0.1.x).";

        /// <summary>The MLContext behind an ML.NET catalog (after <see cref="EnsureSupported"/>).</summary>
        public static IHostEnvironment Environment(object catalog)
        {
            EnsureSupported();
            return EnvironmentOf(catalog);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static IHostEnvironment EnvironmentOf(object catalog) => CatalogUtils.GetEnvironment((IInternalCatalog)catalog);

        /// <summary>The MLContext's seed (new MLContext(seed: ...)), or null when it was made without one.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static int? Seed(IHostEnvironment env) => (env as IHostEnvironmentInternal)?.Seed;

        /// <summary>
        /// The device a component runs on: <paramref name="device"/> when given ("cpu", "cuda", "cuda:N", "auto"), else
        /// the MLContext's GpuDeviceId and FallbackToCpu (the CPU when neither is set).
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static torch.Device Device(IHostEnvironment env, string? device, Action<string>? warn)
        {
            if (device is not null) return DeviceSelector.Parse(device, warn);
            var e = env as IHostEnvironmentInternal;
            return DeviceSelector.Resolve(e?.GpuDeviceId, e?.FallbackToCpu ?? false, warn);
        }

        /// <summary>The shape of a schema, as an estimator's GetOutputSchema takes it (SchemaShape.Create is internal).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static SchemaShape ShapeOf(DataViewSchema schema) => SchemaShape.Create(schema);

        /// <summary>A new SchemaShape column (its constructor is internal).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static SchemaShape.Column Column(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey = false) =>
            new(name, kind, itemType, isKey, null);

        /// <summary><paramref name="input"/> with <paramref name="columns"/> added (replacing columns of the same name).</summary>
        public static SchemaShape With(SchemaShape input, params SchemaShape.Column[] columns)
        {
            var result = input.ToDictionary(c => c.Name);
            foreach (var c in columns) result[c.Name] = c;
            return new SchemaShape(result.Values);
        }

        /// <summary>The text form of a SchemaShape column's type, for error messages.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static string TypeString(SchemaShape.Column column) => column.GetTypeString();
    }
}

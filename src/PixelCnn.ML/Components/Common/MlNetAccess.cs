// The ML.NET internals the components reach, in one place (docs/mlnet-saving.md):
//  - saving and loading: ModelSaveContext's members, ModelLoadContext, VersionInfo, [LoadableClass] and
//    SignatureLoadModel are internal to Microsoft.ML.Core, and third parties cannot otherwise write transformers that
//    mlContext.Model.Save/Load round-trip (dotnet/machinelearning#4911);
//  - the MLContext behind a catalog (CatalogUtils.GetEnvironment) and its seed and GPU settings
//    (IHostEnvironmentInternal), so components follow new MLContext(seed) and ml.GpuDeviceId like ML.NET's own;
//  - SchemaShape.Column's constructor, for estimators' GetOutputSchema.
// The library compiles against publicized copies of Microsoft.ML.Core/Data (tools/Publicizer) and declares
// [IgnoresAccessChecksTo], which the .NET runtime honours, so these calls pass the access checks at run time. The
// package pins Microsoft.ML to the version this was built against; MlNetRouteTests fail loudly when it breaks.
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
        /// <summary>The ML.NET version the saving route was built and tested against.</summary>
        public const string PinnedVersion = "5.0.1";

        public static IHostEnvironment Environment(IInternalCatalog catalog) => CatalogUtils.GetEnvironment(catalog);

        /// <summary>The MLContext's seed (new MLContext(seed: ...)), or null when it was made without one.</summary>
        public static int? Seed(IHostEnvironment env) => (env as IHostEnvironmentInternal)?.Seed;

        /// <summary>
        /// The device a component runs on: <paramref name="device"/> when given ("cpu", "cuda", "cuda:N", "auto"), else
        /// the MLContext's GpuDeviceId and FallbackToCpu (the CPU when neither is set).
        /// </summary>
        public static torch.Device Device(IHostEnvironment env, string? device, Action<string>? warn)
        {
            if (device is not null) return DeviceSelector.Parse(device, warn);
            var e = env as IHostEnvironmentInternal;
            return DeviceSelector.Resolve(e?.GpuDeviceId, e?.FallbackToCpu ?? false, warn);
        }

        /// <summary>A new SchemaShape column (its constructor is internal).</summary>
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
        public static string TypeString(SchemaShape.Column column) => column.GetTypeString();
    }
}

// Maps component type ids to loader functions. Components register themselves from a [ModuleInitializer] in their
// own file, so adding a component never means editing a central list, and registration needs no reflection
// (trimming/NativeAOT safe).
namespace PixelCnn.ML;

/// <summary>The loaders of saved components, by <see cref="ISavableTransformer.TypeId"/>.</summary>
public static class ModelLoaderRegistry
{
    private static readonly Dictionary<string, Func<ModelLoadContext, ITransformer>> Loaders = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    /// <summary>
    /// Registers <paramref name="loader"/> for <paramref name="typeId"/>. Registering the same loader again is
    /// harmless; registering a different loader for a taken id throws, since two components would then claim one id.
    /// </summary>
    public static void Register(string typeId, Func<ModelLoadContext, ITransformer> loader)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(typeId);
        ArgumentNullException.ThrowIfNull(loader);
        lock (Gate)
        {
            if (Loaders.TryGetValue(typeId, out var existing))
            {
                if (existing.Equals(loader)) return;
                throw new InvalidOperationException($"Component type id '{typeId}' already has a loader ({existing.Method.DeclaringType?.Name}.{existing.Method.Name}).");
            }
            Loaders[typeId] = loader;
        }
    }

    /// <summary>Whether a loader is registered for <paramref name="typeId"/>.</summary>
    public static bool IsRegistered(string typeId)
    {
        lock (Gate) return Loaders.ContainsKey(typeId);
    }

    /// <summary>The registered type ids, sorted.</summary>
    public static IReadOnlyList<string> KnownTypeIds
    {
        get
        {
            lock (Gate) return Loaders.Keys.Order(StringComparer.Ordinal).ToArray();
        }
    }

    internal static bool TryGet(string typeId, out Func<ModelLoadContext, ITransformer> loader)
    {
        lock (Gate) return Loaders.TryGetValue(typeId, out loader!);
    }
}

namespace PixelCnn.ML;

/// <summary>
/// A transformer that <c>ml.Model.Save</c> can write (as ML.NET's ICanSaveModel). It writes its options to
/// <see cref="ModelSaveContext.Options"/> and any binary data (e.g. <c>weights.safetensors</c>) with
/// <see cref="ModelSaveContext.CreateEntry"/>; a loader registered under <see cref="TypeId"/> with
/// <see cref="ModelLoaderRegistry.Register"/> reads them back.
/// </summary>
public interface ISavableTransformer : ITransformer
{
    /// <summary>The stable identifier of the component type in model files (e.g. "PixelCnn.ML.CopyColumns"). Never
    /// change it once models exist: it is how the loader is found.</summary>
    string TypeId { get; }

    /// <summary>The version of this component's saved layout. Bump it when the options or entries change, and keep
    /// the loader able to read older versions.</summary>
    int FormatVersion { get; }

    /// <summary>Writes the component.</summary>
    void Save(ModelSaveContext ctx);
}

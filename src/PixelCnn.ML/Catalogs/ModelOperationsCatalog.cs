// ml.Model: saving and loading pipelines (format in Model/ModelFile.cs and docs) and prediction engines.
using System.Diagnostics.CodeAnalysis;
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

/// <summary>Saving, loading and single-example prediction.</summary>
public sealed class ModelOperationsCatalog
{
    internal ModelOperationsCatalog(MLContext context) => Context = context;

    internal MLContext Context { get; }

    /// <summary>
    /// Saves <paramref name="model"/> (a transformer or a chain of them, each an <see cref="ISavableTransformer"/>) and
    /// the schema of the data it was fitted on to one zip file at <paramref name="filePath"/>. The file is written
    /// atomically: a temporary file next to it is flushed to disk and then renamed over it, so a crash never leaves a
    /// partial model at <paramref name="filePath"/>.
    /// </summary>
    public void Save(ITransformer model, DataViewSchema? inputSchema, string filePath) =>
        ModelFile.SaveToFile(model, inputSchema, filePath);

    /// <summary>Saves the model to <paramref name="stream"/> (left open); see <see cref="Save(ITransformer, DataViewSchema?, string)"/>.</summary>
    public void Save(ITransformer model, DataViewSchema? inputSchema, Stream stream) =>
        ModelFile.Save(model, inputSchema, stream);

    /// <summary>
    /// Loads a model saved by <see cref="Save(ITransformer, DataViewSchema?, string)"/>; a chain comes back as a
    /// <see cref="TransformerChain{TLastTransformer}"/> of <see cref="ITransformer"/>. <paramref name="inputSchema"/> is
    /// the saved input schema (empty if none was saved). Any defect of the file (not a zip, no manifest, unsupported
    /// format version, unknown component type, missing entry, bad options) raises an
    /// <see cref="InvalidDataException"/> naming the file and the problem.
    /// </summary>
    public ITransformer Load(string filePath, out DataViewSchema inputSchema) =>
        ModelFile.LoadFromFile(Context, filePath, out inputSchema);

    /// <summary>Loads a model from <paramref name="stream"/> (left open); see <see cref="Load(string, out DataViewSchema)"/>.</summary>
    public ITransformer Load(Stream stream, out DataViewSchema inputSchema) =>
        ModelFile.Load(Context, stream, "the model stream", out inputSchema);

    /// <summary>
    /// A <see cref="PredictionEngine{TSrc, TDst}"/> running <paramref name="transformer"/> on one
    /// <typeparamref name="TSrc"/> at a time. Checks now that the transformer accepts <typeparamref name="TSrc"/>'s
    /// columns and that its output fits <typeparamref name="TDst"/>.
    /// </summary>
    /// <param name="transformer">The fitted model.</param>
    /// <param name="ignoreMissingColumns">Leave members of <typeparamref name="TDst"/> without an output column at their
    /// defaults (ML.NET's default, true) instead of failing.</param>
    /// <param name="inputSchemaDefinition">Mapping of <typeparamref name="TSrc"/> members to input columns.</param>
    /// <param name="outputSchemaDefinition">Mapping of output columns to <typeparamref name="TDst"/> members.</param>
    public PredictionEngine<TSrc, TDst> CreatePredictionEngine<
        [DynamicallyAccessedMembers(SchemaDefinition.MemberTypes)] TSrc,
        [DynamicallyAccessedMembers(SchemaDefinition.MemberTypes | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TDst>(
        ITransformer transformer, bool ignoreMissingColumns = true,
        SchemaDefinition? inputSchemaDefinition = null, SchemaDefinition? outputSchemaDefinition = null)
        where TSrc : class
        where TDst : class, new()
    {
        ArgumentNullException.ThrowIfNull(transformer);
        return new PredictionEngine<TSrc, TDst>(transformer, ignoreMissingColumns, inputSchemaDefinition, outputSchemaDefinition);
    }
}

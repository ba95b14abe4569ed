namespace PixelCnn.ML.Data;

/// <summary>When a member of a chain applies: <see cref="TransformerChain{TLastTransformer}.GetModelFor"/> keeps
/// the members whose scope includes the requested one (as ML.NET's TransformerScope).</summary>
[Flags]
public enum TransformerScope
{
    None = 0,
    Training = 1 << 0,
    Testing = 1 << 1,
    Scoring = 1 << 2,
    TrainTest = Training | Testing,
    Everything = Training | Testing | Scoring,
}

// The layers of the library point one way (docs/architecture.md): the engine start-up ← models ←
// training, scoring, sampling and persistence ← the ML.NET components ← the CLI. This reads the
// compiled assembly (Mono.Cecil) and fails on any reference that points the wrong way, from a
// signature or from a method body, so a stray `using` cannot creep back in.
using Mono.Cecil;
using Mono.Cecil.Cil;
using PixelCnn.ML.Models;

namespace PixelCnn.ML.Tests;

[TestClass]
public class LayeringTests
{
    private const string Root = "PixelCnn.ML";

    /// <summary>The namespaces of the library's own types that code in each layer may use.</summary>
    private static readonly (string Layer, string[] Namespaces, string[] AllowedTypes)[] Rules =
    [
        ("Engine", [$"{Root}.Engine"], []),
        ("Models", [$"{Root}.Models", $"{Root}.Engine"], []),
        ("Training", [$"{Root}.Training", $"{Root}.Scoring", $"{Root}.Serialization", $"{Root}.Models", $"{Root}.Engine", $"{Root}.IO"],
            [$"{Root}.Data.ImageDataset", $"{Root}.Data.OneHot"]),
        ("Scoring", [$"{Root}.Scoring", $"{Root}.Serialization", $"{Root}.Models", $"{Root}.Engine", $"{Root}.IO"],
            [$"{Root}.Data.ImageDataset", $"{Root}.Data.OneHot"]),
        ("Sampling", [$"{Root}.Sampling", $"{Root}.Scoring", $"{Root}.Models", $"{Root}.Engine"], []),
        ("Serialization", [$"{Root}.Serialization", $"{Root}.IO"], []),
        ("Diagnostics", [$"{Root}.Diagnostics", $"{Root}.Models", $"{Root}.Engine"], []),
        ("Data", [$"{Root}.Data", $"{Root}.Data.Images", $"{Root}.Models", $"{Root}.Engine", $"{Root}.IO"], []),
        ("Data.Images", [$"{Root}.Data.Images", $"{Root}.IO"], []),
        ("IO", [$"{Root}.IO"], []),
        ("Pictures", [$"{Root}.Pictures", $"{Root}.Data", $"{Root}.IO"], []),
        ("Evaluation", [$"{Root}.Evaluation"], []),
    ];

    /// <summary>Layers below the ML.NET components: pure TorchSharp and .NET, no Microsoft.ML type (docs/architecture.md).</summary>
    private static readonly string[] BelowMlNet = ["Engine", "Models", "Training", "Scoring", "Sampling", "Serialization", "Diagnostics", "Evaluation"];

    [TestMethod]
    public void The_layers_below_the_components_use_no_mlnet_type()
    {
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(PixelCnnConfig).Assembly.Location);
        var problems = new SortedSet<string>(StringComparer.Ordinal);
        int checkedTypes = 0;
        foreach (var type in assembly.MainModule.Types.SelectMany(AllNested))
        {
            if (!BelowMlNet.Any(l => OuterNamespace(type) == $"{Root}.{l}")) continue;
            checkedTypes++;
            foreach (var used in References(type))
                if (used.Scope is AssemblyNameReference a && a.Name.StartsWith("Microsoft.ML", StringComparison.Ordinal))
                    problems.Add($"{OuterName(type)} uses {used.FullName} ({a.Name})");
        }
        Assert.IsTrue(checkedTypes > 20, $"only {checkedTypes} types checked");
        Assert.AreEqual(0, problems.Count, "ML.NET below the components:\n" + string.Join("\n", problems));
    }

    [TestMethod]
    public void No_layer_references_a_layer_above_it()
    {
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(PixelCnnConfig).Assembly.Location);
        var module = assembly.MainModule;
        var problems = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in module.Types.SelectMany(AllNested))
        {
            var ns = OuterNamespace(type);
            var rule = Rules.FirstOrDefault(r => ns == $"{Root}.{r.Layer}");
            if (rule.Layer is null) continue;
            foreach (var used in References(type).Where(t => IsOurs(t, module)))
            {
                var name = OuterName(used);
                var usedNs = OuterNamespace(used);
                if (rule.Namespaces.Contains(usedNs) || rule.AllowedTypes.Contains(name) || name.StartsWith('<')) continue;
                problems.Add($"{OuterName(type)} ({rule.Layer}) uses {name}");
            }
        }
        Assert.AreEqual(0, problems.Count, "wrong-way references:\n" + string.Join("\n", problems));
    }

    [TestMethod]
    public void The_check_sees_references_from_method_bodies()
    {
        // PixelCnnTrainer calls PixelCnnModel.Create in a body: if the walker missed bodies, the rules would prove little.
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(PixelCnnConfig).Assembly.Location);
        var trainer = assembly.MainModule.GetType($"{Root}.Training.PixelCnnTrainer");
        var names = References(trainer).Select(OuterName).ToHashSet();
        CollectionAssert.IsSubsetOf(new[] { $"{Root}.Scoring.PixelCnnModel", $"{Root}.Engine.OutOfMemory" }, names.ToList());
    }

    private static IEnumerable<TypeDefinition> AllNested(TypeDefinition t) => new[] { t }.Concat(t.NestedTypes.SelectMany(AllNested));

    private static TypeReference Outer(TypeReference t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t;
    }

    private static string OuterNamespace(TypeReference t) => Outer(t).Namespace;

    private static string OuterName(TypeReference t) => Outer(t).FullName;

    private static bool IsOurs(TypeReference t, ModuleDefinition module) =>
        t is TypeDefinition d ? d.Module == module : t.Scope is ModuleDefinition m && m == module;

    /// <summary>Every type <paramref name="type"/> names: base, interfaces, fields, signatures, attributes and bodies.</summary>
    private static IEnumerable<TypeReference> References(TypeDefinition type)
    {
        var seen = new List<TypeReference>();
        void Add(TypeReference? t)
        {
            switch (t)
            {
                case null: return;
                case GenericInstanceType g:
                    Add(g.ElementType);
                    foreach (var a in g.GenericArguments) Add(a);
                    return;
                case TypeSpecification s:
                    Add(s.ElementType);
                    return;
                case GenericParameter:
                    return;
                default:
                    seen.Add(t);
                    return;
            }
        }
        void AddMember(MemberReference? m)
        {
            switch (m)
            {
                case MethodReference method:
                    Add(method.DeclaringType);
                    Add(method.ReturnType);
                    foreach (var p in method.Parameters) Add(p.ParameterType);
                    if (method is GenericInstanceMethod gm) foreach (var a in gm.GenericArguments) Add(a);
                    break;
                case FieldReference field:
                    Add(field.DeclaringType);
                    Add(field.FieldType);
                    break;
                case TypeReference t:
                    Add(t);
                    break;
            }
        }
        Add(type.BaseType);
        foreach (var i in type.Interfaces) Add(i.InterfaceType);
        foreach (var a in type.CustomAttributes) Add(a.AttributeType);
        foreach (var f in type.Fields) Add(f.FieldType);
        foreach (var p in type.Properties) Add(p.PropertyType);
        foreach (var m in type.Methods)
        {
            AddMember(m);
            if (!m.HasBody) continue;
            foreach (var v in m.Body.Variables) Add(v.VariableType);
            foreach (var instruction in m.Body.Instructions)
                if (instruction.Operand is MemberReference member) AddMember(member);
        }
        return seen;
    }
}

// Publicizer: copies an assembly with its non-public types, methods and fields made public, for compiling against
// ML.NET internals that the library reaches at run time through [IgnoresAccessChecksTo] (docs/mlnet-saving.md).
// Usage: Publicizer <input.dll> <output.dll>. Method bodies are dropped: the copy is a reference assembly only.
using Mono.Cecil;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Publicizer <input.dll> <output.dll>");
    return 2;
}
var (input, output) = (args[0], args[1]);
var resolver = new DefaultAssemblyResolver();
resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(input))!);
using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver });
int types = 0, methods = 0, fields = 0;
foreach (var type in assembly.MainModule.GetTypes())
{
    if (IsCompilerGenerated(type)) continue;
    if (type.IsNested ? !type.IsNestedPublic : !type.IsPublic)
    {
        type.Attributes = (type.Attributes & ~TypeAttributes.VisibilityMask) | (type.IsNested ? TypeAttributes.NestedPublic : TypeAttributes.Public);
        types++;
    }
    // A field named like an event or property of its type (field-like events) would make uses ambiguous: keep it hidden.
    var memberNames = type.Events.Select(e => e.Name).Concat(type.Properties.Select(p => p.Name)).ToHashSet();
    foreach (var method in type.Methods)
    {
        if (method.IsCompilerControlled) continue;
        // Widening an override of a member declared elsewhere would not match its base's accessibility.
        if (!method.IsPublic && !(method.IsVirtual && !method.IsNewSlot))
        {
            method.Attributes = (method.Attributes & ~MethodAttributes.MemberAccessMask) | MethodAttributes.Public;
            methods++;
        }
        if (method.HasBody) method.Body = null;
    }
    foreach (var field in type.Fields)
    {
        if (field.IsPublic || field.IsCompilerControlled || memberNames.Contains(field.Name) || field.Name.Contains('<')) continue;
        field.Attributes = (field.Attributes & ~FieldAttributes.FieldAccessMask) | FieldAttributes.Public;
        fields++;
    }
}
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
assembly.Write(output);
Console.WriteLine($"publicized {Path.GetFileName(input)}: {types} types, {methods} methods, {fields} fields");
return 0;

static bool IsCompilerGenerated(TypeDefinition t) =>
    t.Name.Contains('<') || t.CustomAttributes.Any(a => a.AttributeType.FullName == "System.Runtime.CompilerServices.CompilerGeneratedAttribute");

using System;
using System.Collections.Generic;
using System.Linq;
using PvGen.Model;

// Compiled into the generator, and into pvgen itself (PvGen.Generation) for the csharp style: one emitter, two hosts.
namespace PvGen.CSharpBindings;

/// <summary>A C struct or union passed by value: emitted as a blittable struct of the same size.</summary>
internal sealed record ValueStruct(string CName, string CSharpName, int Size, int WordSize);

/// <summary>
/// Maps the model's C types to C# for one target. Integers go by their size on the target (C <c>long</c>
/// is pointer-sized on both Linux x86 ABIs, so it becomes nint/nuint); <c>_Bool</c> becomes byte because a C#
/// bool would be marshalled as a 4-byte BOOL; structs passed by value become integer-word structs of the same size,
/// which the SysV ABI classifies like C structs of integer members (every kernel page-table type).
/// </summary>
internal sealed class TypeMap
{
    private static readonly char[] Blanks = [' ', '\t'];
    private readonly Target target;
    private readonly OpaquePointerStyle pointers;
    private readonly Dictionary<string, ValueStruct> values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> opaques = new(StringComparer.Ordinal);

    public TypeMap(OpsModel model, CSharpOptions options, NameScope scope)
    {
        target = model.Target;
        pointers = options.OpaquePointers;

        // Names are claimed in sorted C-name order so that output never depends on op order quirks.
        var byValue = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var pointedTo = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var op in model.Ops)
        {
            foreach (var type in op.Params.Select(p => p.Type).Concat(new[] { op.ReturnType }))
            {
                if ((type.Kind is TypeKind.Struct or TypeKind.Union) && type.Size > 0 && RecordName(type.Canonical) is { } name)
                {
                    byValue[name] = type.Size;
                }
                else if (type.Kind == TypeKind.Pointer && pointers == OpaquePointerStyle.Typed && PointeeRecordName(type.Canonical) is { } pointee)
                {
                    pointedTo.Add(pointee);
                }
            }
        }

        foreach (var pair in byValue)
        {
            values[pair.Key] = new ValueStruct(pair.Key, scope.Claim(CSharpNames.Pascal(pair.Key)), pair.Value, Math.Min(8, target.PointerSize));
        }

        foreach (string name in pointedTo.Where(n => !values.ContainsKey(n)))
        {
            opaques[name] = scope.Claim(CSharpNames.Pascal(name));
        }
    }

    public IEnumerable<ValueStruct> ValueStructs => values.Values.OrderBy(v => v.CName, StringComparer.Ordinal);

    /// <summary>(C name, C# name) of the empty structs that type opaque pointers.</summary>
    public IEnumerable<KeyValuePair<string, string>> Opaques => opaques.OrderBy(o => o.Key, StringComparer.Ordinal);

    /// <summary>The C# type, or null with <paramref name="problem"/> saying why there is none.</summary>
    public string? Map(CType type, bool isReturn, out string? problem)
    {
        problem = null;
        switch (type.Kind)
        {
            case TypeKind.Void:
                if (isReturn)
                {
                    return "void";
                }

                problem = "a void parameter";
                return null;
            case TypeKind.Bool:
                return type.Size == 1 ? "byte" : Unmappable(type, out problem);
            case TypeKind.SignedInteger:
            case TypeKind.UnsignedInteger:
            case TypeKind.Enum:
                return Integer(Words(type.Canonical), type.Size, type.Kind == TypeKind.UnsignedInteger) ?? Unmappable(type, out problem);
            case TypeKind.Float:
                return type.Size == 4 ? "float" : type.Size == 8 ? "double" : Unmappable(type, out problem);
            case TypeKind.Pointer:
                return Pointer(type.Canonical) ?? Unmappable(type, out problem);
            case TypeKind.FunctionPointer:
                return "void*";
            case TypeKind.Struct:
            case TypeKind.Union:
                return RecordName(type.Canonical) is { } name && values.TryGetValue(name, out var value) ? value.CSharpName : Unmappable(type, out problem);
            default:
                return Unmappable(type, out problem);
        }
    }

    /// <summary>A data member's C# field type from its spelling, or null to keep it as raw bytes.</summary>
    public string? MapData(string spelling, long size)
    {
        if (spelling.IndexOf('*') >= 0 && size == target.PointerSize)
        {
            return Pointer(spelling) ?? "void*";
        }

        return Builtin(Words(spelling)) is { } builtin && builtin.Size == size ? builtin.Name : null;
    }

    private static string? Unmappable(CType type, out string? problem)
    {
        problem = $"'{type.Spelling}' ({KindName(type.Kind)}, {type.Size} bytes)";
        return null;
    }

    private static string KindName(TypeKind kind) => kind switch
    {
        TypeKind.SignedInteger => "signed integer",
        TypeKind.UnsignedInteger => "unsigned integer",
        TypeKind.FunctionPointer => "function pointer",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private string? Pointer(string canonical)
    {
        if (canonical.IndexOf('(') >= 0 || canonical.IndexOf('[') >= 0)
        {
            return "void*";
        }

        int stars = canonical.Count(c => c == '*');
        string stem = canonical.Substring(0, canonical.IndexOf('*') < 0 ? canonical.Length : canonical.IndexOf('*'));
        string suffix = new string('*', Math.Max(stars, 1));
        string[] words = Words(stem);
        if (words.Length == 1 && words[0] == "void")
        {
            return "void" + suffix;
        }

        if (Builtin(words) is { } builtin)
        {
            // char* is byte*: kernel strings are bytes, and sbyte* would only get in the way.
            return (builtin.Name == "sbyte" ? "byte" : builtin.Name) + suffix;
        }

        if (words.Length == 2 && words[0] == "enum")
        {
            return "int" + suffix;
        }

        string? name = RecordName(stem);
        if (name is null)
        {
            return null;
        }

        if (values.TryGetValue(name, out var value))
        {
            return value.CSharpName + suffix;
        }

        return pointers == OpaquePointerStyle.Typed && opaques.TryGetValue(name, out var opaque) ? opaque + suffix : "void" + suffix;
    }

    private string? Integer(string[] words, int size, bool unsigned)
    {
        if (Builtin(words) is { } builtin && builtin.Size == size)
        {
            return builtin.Name;
        }

        return (size, unsigned) switch
        {
            (1, false) => "sbyte",
            (1, true) => "byte",
            (2, false) => "short",
            (2, true) => "ushort",
            (4, false) => "int",
            (4, true) => "uint",
            (8, false) => "long",
            (8, true) => "ulong",
            _ => null,
        };
    }

    /// <summary>C's built-in arithmetic types, sized for the target.</summary>
    private (string Name, int Size)? Builtin(string[] words)
    {
        bool unsigned = words.Contains("unsigned");
        var rest = words.Where(w => w is not ("unsigned" or "signed")).ToList();
        if (rest.Count > 1 || (rest.Count == 1 && (words.Contains("unsigned") || words.Contains("signed"))))
        {
            rest.Remove("int");
        }

        string key = string.Join(" ", rest);
        if (key.Length == 0 && words.Length > 0)
        {
            key = "int";
        }

        return key switch
        {
            "char" => unsigned ? ("byte", 1) : ("sbyte", 1),
            "short" => unsigned ? ("ushort", 2) : ("short", 2),
            "int" => unsigned ? ("uint", 4) : ("int", 4),
            "long" => target.PointerSize == 8 ? (unsigned ? ("nuint", 8) : ("nint", 8)) : (unsigned ? ("nuint", 4) : ("nint", 4)),
            "long long" => unsigned ? ("ulong", 8) : ("long", 8),
            "_Bool" => ("byte", 1),
            "float" => ("float", 4),
            "double" => ("double", 8),
            _ => null,
        };
    }

    /// <summary>Words of a C type with qualifiers dropped: "const unsigned int " gives [unsigned, int].</summary>
    private static string[] Words(string text) =>
        text.Split(Blanks, StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w is not ("const" or "volatile" or "restrict" or "__restrict"))
            .ToArray();

    /// <summary>"struct mm_struct" or "pte_t" to its name; null for anything that is not one named record or typedef.</summary>
    private static string? RecordName(string text)
    {
        string[] words = Words(text);
        if (words.Length == 2 && (words[0] is "struct" or "union"))
        {
            return CSharpNames.IsIdentifier(words[1]) ? words[1] : null;
        }

        return words.Length == 1 && CSharpNames.IsIdentifier(words[0]) ? words[0] : null;
    }

    private static string? PointeeRecordName(string canonical)
    {
        int star = canonical.IndexOf('*');
        if (star < 0 || canonical.IndexOf('(') >= 0)
        {
            return null;
        }

        string[] words = Words(canonical.Substring(0, star));
        if (words.Length == 2 && words[0] == "enum")
        {
            return null;
        }

        string? name = RecordName(canonical.Substring(0, star));
        return name is null || name == "void" || IsBuiltinWord(name) ? null : name;
    }

    private static bool IsBuiltinWord(string word) =>
        word is "char" or "short" or "int" or "long" or "unsigned" or "signed" or "_Bool" or "float" or "double";
}

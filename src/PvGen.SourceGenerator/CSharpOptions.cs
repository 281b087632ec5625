using System.Text;
using PvGen.Model;

// Compiled into the generator, and into pvgen itself (PvGen.Generation) for the csharp style: one emitter, two hosts.
namespace PvGen.CSharpBindings;

/// <summary>How pointers to structs the model knows only by name are written.</summary>
public enum OpaquePointerStyle
{
    /// <summary>A typed pointer to an empty nested struct per C type (<c>MmStruct*</c>): the compiler keeps them apart.</summary>
    Typed,

    /// <summary>Plain <c>void*</c>.</summary>
    Void,
}

/// <summary>Per-model choices of the C# bindings (MSBuild item metadata or `pvgen` options).</summary>
/// <param name="Namespace">Namespace of the generated type; empty for the global namespace.</param>
/// <param name="TypeName">Name of the generated table struct.</param>
public sealed record CSharpOptions(string Namespace, string TypeName, OpaquePointerStyle OpaquePointers = OpaquePointerStyle.Typed)
{
    public const string DefaultNamespace = "PvGen.Generated";

    /// <summary>Fills unset choices: the namespace falls back to <paramref name="fallbackNamespace"/>, the type name to the struct name in PascalCase.</summary>
    public static CSharpOptions For(OpsModel model, string? @namespace, string? typeName, string? opaquePointers = null, string? fallbackNamespace = null)
    {
        string ns = !string.IsNullOrWhiteSpace(@namespace) ? @namespace!.Trim()
            : !string.IsNullOrWhiteSpace(fallbackNamespace) ? fallbackNamespace!.Trim()
            : DefaultNamespace;
        string type = !string.IsNullOrWhiteSpace(typeName) ? typeName!.Trim() : CSharpNames.Pascal(model.Struct);
        var style = string.Equals(opaquePointers, "void", System.StringComparison.OrdinalIgnoreCase) ? OpaquePointerStyle.Void : OpaquePointerStyle.Typed;
        return new CSharpOptions(ns, type, style);
    }

    /// <summary>Why these options cannot produce valid C#, or null when they can.</summary>
    public string? Problem(string? opaquePointersText = null)
    {
        if (Namespace.Length > 0)
        {
            foreach (string part in Namespace.Split('.'))
            {
                if (!CSharpNames.IsIdentifier(part) || CSharpNames.IsKeyword(part))
                {
                    return $"namespace '{Namespace}' is not a valid C# namespace";
                }
            }
        }

        if (!CSharpNames.IsIdentifier(TypeName) || CSharpNames.IsKeyword(TypeName))
        {
            return $"type name '{TypeName}' is not a valid C# identifier";
        }

        if (opaquePointersText is { Length: > 0 } text
            && !string.Equals(text, "typed", System.StringComparison.OrdinalIgnoreCase)
            && !string.Equals(text, "void", System.StringComparison.OrdinalIgnoreCase))
        {
            return $"opaque pointer style '{text}' is not 'typed' or 'void'";
        }

        return null;
    }
}

/// <summary>C names to C# names: keywords escaped, types in PascalCase, everything deterministic.</summary>
public static class CSharpNames
{
    private static readonly System.Collections.Generic.HashSet<string> Keywords = new(System.StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };

    public static bool IsKeyword(string name) => Keywords.Contains(name);

    public static bool IsIdentifier(string name)
    {
        if (name.Length == 0 || !(char.IsLetter(name[0]) || name[0] == '_') || name[0] > 127)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (c > 127 || !(char.IsLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A C member name as a C# member reference: keywords get '@' (<c>pv_ops.lock</c> becomes <c>@lock</c>).</summary>
    public static string Member(string name) => IsKeyword(name) ? "@" + name : name;

    /// <summary><c>mm_struct</c> to <c>MmStruct</c>, <c>pte_t</c> to <c>Pte</c> (a typedef's "_t" says nothing in C#).</summary>
    public static string Pascal(string cName)
    {
        string name = cName.EndsWith("_t", System.StringComparison.Ordinal) && cName.Length > 2 ? cName.Substring(0, cName.Length - 2) : cName;
        var builder = new StringBuilder();
        bool upper = true;
        foreach (char c in name)
        {
            if (c > 127 || !char.IsLetterOrDigit(c))
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        if (builder.Length == 0 || char.IsDigit(builder[0]))
        {
            builder.Insert(0, 'T');
        }

        return builder.ToString();
    }
}

/// <summary>Hands out unique names within one C# scope; a clash gets a numeric suffix, in a deterministic order.</summary>
internal sealed class NameScope
{
    private readonly System.Collections.Generic.HashSet<string> used = new(System.StringComparer.Ordinal);

    public NameScope(params string[] reserved)
    {
        foreach (string name in reserved)
        {
            used.Add(name);
        }
    }

    public string Claim(string desired)
    {
        string name = desired;
        for (int n = 2; !used.Add(name); n++)
        {
            name = desired + "_" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PvGen.Model;

namespace PvGen.Checking.TypeSafety;

/// <summary>What one negative probe does to a wrapper call.</summary>
public enum ProbeKind
{
    /// <summary>A struct passed by value where the parameter expects something else.</summary>
    WrongStructValue,

    /// <summary>A pointer where an integer is expected.</summary>
    PointerForInteger,

    /// <summary>A pointer to the wrong type where a typed pointer is expected.</summary>
    WrongPointerType,

    /// <summary>The last argument left out.</summary>
    MissingArgument,

    /// <summary>One argument too many (probes ops without parameters too).</summary>
    ExtraArgument,
}

/// <summary>One call that a type-safe wrapper must make the compiler reject, with the rejection it must get.</summary>
public sealed record Probe(string OpPath, string Wrapper, ProbeKind Kind, int Argument, int Line, string Call);

/// <summary>The probe translation unit: line numbers tie each compiler error to its probe.</summary>
public sealed record ProbeSource(string Text, IReadOnlyList<Probe> Probes, IReadOnlyDictionary<int, string> CompatibilityLines);

/// <summary>
/// Builds the type-safety probe for a wrapper header: per op, a compile-time assertion that the
/// wrapper's type is the op's (or its configured signature's), and calls with wrongly typed arguments.
/// </summary>
public static class TypeSafetyProbe
{
    public const string WrongType = "pvgen_probe_wrong";

    public static ProbeSource Build(OpsModel model, IReadOnlyDictionary<string, string> wrappers, string wrapperHeader)
    {
        var text = new StringBuilder();
        var probes = new List<Probe>();
        var compatibility = new Dictionary<int, string>();
        int line = 1;
        void Emit(string s)
        {
            text.Append(s).Append('\n');
            line++;
        }

        Emit($"#include \"{wrapperHeader}\"");
        Emit($"struct {WrongType} {{ int pvgen_unused; }};");
        int index = 0;
        foreach (var op in model.Ops)
        {
            if (!wrappers.TryGetValue(op.Path, out string? wrapper) || !op.SignatureKnown)
            {
                continue;
            }

            // The wrapper has exactly the op's prototype: its return and parameter types as the model spells
            // them (the member's, or the configured signature of a callee-save op). Calling-convention
            // attributes (fastcall = regparm(3)) are left out: gcc counts them in the type, yet under the
            // i386 kernel's global -mregparm=3 they change nothing.
            string expected = $"{op.ReturnType.Spelling} (*)({ParamList(op)})";
            compatibility[line] = op.Path;
            Emit($"_Static_assert(__builtin_types_compatible_p(__typeof__(&{wrapper}), {expected}), \"pvgen: {wrapper} does not have the type of {op.Path}\");");

            foreach (var (kind, argument, args) in Calls(op))
            {
                string call = $"{wrapper}({string.Join(", ", args)})";
                probes.Add(new Probe(op.Path, wrapper, kind, argument, line, call));
                Emit($"void pvgen_probe_{index++}(void) {{ (void){call}; }}");
            }
        }

        return new ProbeSource(text.ToString(), probes, compatibility);
    }

    /// <summary>Flags that turn the C diagnostics we expect from warnings (gcc 12) into errors.</summary>
    public static readonly string[] CompilerFlags = ["-Werror=int-conversion", "-Werror=incompatible-pointer-types"];

    private static string ParamList(Op op) => op.Params.Count == 0 ? "void" : string.Join(", ", op.Params.Select(p => p.Type.Spelling));

    private static IEnumerable<(ProbeKind Kind, int Argument, List<string> Args)> Calls(Op op)
    {
        var valid = op.Params.Select(p => ValidArgument(p.Type)).ToList();
        for (int i = 0; i < op.Params.Count; i++)
        {
            var type = op.Params[i].Type;
            yield return (ProbeKind.WrongStructValue, i + 1, Replace(valid, i, $"(struct {WrongType}){{0}}"));

            if (type.Kind is TypeKind.SignedInteger or TypeKind.UnsignedInteger or TypeKind.Enum)
            {
                yield return (ProbeKind.PointerForInteger, i + 1, Replace(valid, i, $"(struct {WrongType} *)0"));
            }

            if (type.Kind is TypeKind.Pointer or TypeKind.FunctionPointer && !IsVoidPointer(type))
            {
                yield return (ProbeKind.WrongPointerType, i + 1, Replace(valid, i, $"(struct {WrongType} *)0"));
            }
        }

        if (op.Params.Count > 0)
        {
            yield return (ProbeKind.MissingArgument, op.Params.Count, valid.Take(op.Params.Count - 1).ToList());
        }

        yield return (ProbeKind.ExtraArgument, op.Params.Count + 1, [.. valid, "0"]);
    }

    private static List<string> Replace(List<string> args, int index, string value)
    {
        var copy = new List<string>(args);
        copy[index] = value;
        return copy;
    }

    private static string ValidArgument(CType type) => type.Kind switch
    {
        TypeKind.Struct or TypeKind.Union => $"({type.Spelling}){{0}}",
        _ => "0",
    };

    private static bool IsVoidPointer(CType type) => Regex.IsMatch(type.Canonical, @"^(const\s+|volatile\s+)*void\s*\*$");

    /// <summary>The wording each compiler family uses for the rejection a probe must get.</summary>
    public static Regex ExpectedDiagnostic(string family, Probe probe)
    {
        string w = Regex.Escape(probe.Wrapper);
        string n = probe.Argument.ToString(CultureInfo.InvariantCulture);
        string pattern = (family, probe.Kind) switch
        {
            ("gcc", ProbeKind.WrongStructValue) => $@"incompatible type for argument {n} of '{w}'",
            // gcc words a pointer passed for an enum parameter as an incompatible type.
            ("gcc", ProbeKind.PointerForInteger) => $@"passing argument {n} of '{w}' makes integer from pointer without a cast|incompatible type for argument {n} of '{w}'",
            ("gcc", ProbeKind.WrongPointerType) => $@"passing argument {n} of '{w}' from incompatible pointer type",
            ("gcc", ProbeKind.MissingArgument) => $@"too few arguments to function '{w}'",
            ("gcc", ProbeKind.ExtraArgument) => $@"too many arguments to function '{w}'",
            (_, ProbeKind.WrongStructValue) => $@"passing 'struct {WrongType}' to parameter of incompatible type",
            (_, ProbeKind.PointerForInteger) => $@"incompatible pointer to integer conversion passing 'struct {WrongType} \*'",
            (_, ProbeKind.WrongPointerType) => $@"incompatible (function-)?pointer types passing 'struct {WrongType} \*'",
            (_, ProbeKind.MissingArgument) => @"too few arguments to function call",
            _ => @"too many arguments to function call",
        };
        return new Regex(pattern, RegexOptions.CultureInvariant);
    }
}

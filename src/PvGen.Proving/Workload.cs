using System.Globalization;
using PvGen.Clang;
using PvGen.Model;

namespace PvGen.Proving;

/// <summary>One call the workload makes: an exerciser function, or a function of the caller corpus with generated arguments.</summary>
/// <param name="Name">How the log names the call ("exercise pv_irq_save_fl", "irq_critical.c: counter_add").</param>
/// <param name="Prototype">Its declaration in the driver (pointers as void *, which every x86 ABI passes alike).</param>
/// <param name="Call">The C expression that calls it.</param>
public sealed record WorkloadCall(string Name, string Prototype, string Call);

/// <summary>A corpus function the workload does not call, and why.</summary>
public sealed record SkippedFunction(string File, string Function, string Reason);

/// <summary>
/// Turns the functions a corpus file defines into calls with deterministic arguments: each pointer parameter gets its
/// own arena chunk (filled with a pattern before every call), integers get small values by position, booleans 1, and
/// structures passed by value a chunk's bytes. Functions whose parameters cannot be made up are skipped, with the reason.
/// </summary>
public static class Workload
{
    public const int ArenaChunks = 16;
    public const int ArenaChunkSize = 4096;

    public static (IReadOnlyList<WorkloadCall> Calls, IReadOnlyList<SkippedFunction> Skipped) ForCorpus(string file, IReadOnlyList<SourceFunction> functions)
    {
        var calls = new List<WorkloadCall>();
        var skipped = new List<SkippedFunction>();
        string display = Path.GetFileName(file);
        foreach (var function in functions)
        {
            string? why = function.Variadic ? "variadic" : function.Name is "main" or "_start" ? "an entry point" : null;
            var declared = new List<string>();
            var arguments = new List<string>();
            for (int i = 0; i < function.Parameters.Count && why is null; i++)
            {
                var parameter = function.Parameters[i];
                switch (parameter.Kind)
                {
                    case TypeKind.Pointer:
                        declared.Add("void *");
                        arguments.Add($"pvgen_chunk({i})");
                        break;
                    case TypeKind.Bool:
                        declared.Add("_Bool");
                        arguments.Add("1");
                        break;
                    case TypeKind.SignedInteger or TypeKind.UnsignedInteger:
                        declared.Add(parameter.Canonical);
                        arguments.Add($"({parameter.Canonical}){(i + 2).ToString(CultureInfo.InvariantCulture)}");
                        break;
                    case TypeKind.Enum:
                        string integer = IntegerOfSize(parameter.Size);
                        declared.Add(integer);
                        arguments.Add($"({integer})0");
                        break;
                    case TypeKind.Struct or TypeKind.Union when !parameter.DeclaredInFile && parameter.Size <= ArenaChunkSize:
                        declared.Add(parameter.Spelling);
                        arguments.Add($"*({parameter.Spelling} *)pvgen_chunk({ArenaChunks / 2 + i})");
                        break;
                    case TypeKind.Struct or TypeKind.Union:
                        why = $"parameter '{parameter.Name}' is a structure declared in the file, passed by value";
                        break;
                    case TypeKind.FunctionPointer:
                        why = $"parameter '{parameter.Name}' is a function pointer";
                        break;
                    default:
                        why = $"parameter '{parameter.Name}' has type '{parameter.Spelling}'";
                        break;
                }
            }

            string? result = function.Result.Kind switch
            {
                TypeKind.Void => "void",
                TypeKind.Pointer or TypeKind.FunctionPointer => "void *",
                TypeKind.Bool => "_Bool",
                TypeKind.SignedInteger or TypeKind.UnsignedInteger => function.Result.Canonical,
                TypeKind.Enum => IntegerOfSize(function.Result.Size),
                _ => null,
            };
            if (why is null && result is null)
            {
                why = $"returns '{function.Result.Spelling}' by value";
            }

            if (why is not null)
            {
                skipped.Add(new SkippedFunction(display, function.Name, why));
                continue;
            }

            string parameters = declared.Count == 0 ? "void" : string.Join(", ", declared);
            calls.Add(new WorkloadCall($"{display}: {function.Name}", $"{result} {function.Name}({parameters});", $"(void){function.Name}({string.Join(", ", arguments)})"));
        }

        return (calls, skipped);
    }

    private static string IntegerOfSize(int size) => size switch
    {
        1 => "unsigned char",
        2 => "unsigned short",
        8 => "unsigned long long",
        _ => "unsigned int",
    };
}

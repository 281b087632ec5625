using PvGen.Model;
using PvGen.X86;

namespace PvGen.Generation;

/// <summary>How one op is called in macro style: the pieces of its inline-asm statement, or why it is a plain call.</summary>
public sealed record MacroBinding
{
    /// <summary>The site's asm statement; null when the op is a plain call in macro style (see <see cref="Reason"/>).</summary>
    public AsmStatement? Asm { get; init; }

    public bool IsAsm => Asm is not null;

    /// <summary>Why the op is a plain call in macro style (null for asm sites).</summary>
    public string? Reason { get; init; }

    public int ArgumentWords { get; init; }

    public IReadOnlyList<Register> Clobbers { get; init; } = [];

    /// <summary>
    /// The binding as data: every register operand of the asm statement (argument words in argument order, then result
    /// registers the arguments do not already occupy). Templates that build their own asm (the VMI set) use these.
    /// </summary>
    public IReadOnlyList<BoundOperand> Operands { get; init; } = [];

    /// <summary>Argument words passed on the stack (i386's fourth word), as asm input operands.</summary>
    public IReadOnlyList<string> StackInputs { get; init; } = [];

    /// <summary>The registers the result comes back in, low word first (none for void).</summary>
    public IReadOnlyList<Register> ResultRegisters { get; init; } = [];
}

/// <summary>An asm site's statement as text, in the pieces the default template set pastes together.</summary>
/// <param name="Setup">C declarations before the statement (the register variables).</param>
/// <param name="Outputs">The statement's output operands.</param>
/// <param name="Inputs">Its input operands.</param>
/// <param name="ClobberList">Its clobbers.</param>
/// <param name="Before">Asm lines before the annotated bytes (i386: push of the stack argument).</param>
/// <param name="Save">Asm lines inside the annotated bytes before the call: registers the op's clobber set promises to keep.</param>
/// <param name="Restore">The same registers restored after the call.</param>
/// <param name="After">Asm lines after the annotated bytes (i386: drop the stack argument).</param>
/// <param name="Result">C statements after the asm that produce the result.</param>
public sealed record AsmStatement(
    IReadOnlyList<string> Setup, IReadOnlyList<string> Outputs, IReadOnlyList<string> Inputs, IReadOnlyList<string> ClobberList,
    IReadOnlyList<string> Before, IReadOnlyList<string> Save, IReadOnlyList<string> Restore, IReadOnlyList<string> After, IReadOnlyList<string> Result)
{
    /// <summary>A plain call's: no pieces (the template model lists them empty).</summary>
    public static AsmStatement None { get; } = new([], [], [], [], [], [], [], [], []);
}

/// <summary>One register operand of a site's asm statement.</summary>
/// <param name="Variable">The C variable bound to the register (also the operand's asm name).</param>
/// <param name="Access">"in" (an argument the call keeps), "inout" (an argument in a register the call may change) or "out" (a result).</param>
/// <param name="ArgumentWord">Which argument word it carries, or null for a result register.</param>
public sealed record BoundOperand(string Variable, Register Register, string Access, int? ArgumentWord);

/// <summary>Binds an op's C signature to registers for the macro style: the register-level work the kernel's PVOP_* macros did by hand.</summary>
public static class MacroBinder
{
    private enum Shape
    {
        Unsupported,
        Scalar,
        Aggregate,
    }

    private sealed record Word(string Variable, Register? Register);

    /// <param name="configuredClobbers">Register names from pvgen.json (null: the natural set; "any": every caller-saved register).</param>
    public static MacroBinding Bind(Op op, CallAbi abi, IReadOnlyList<string>? configuredClobbers, int maxSlot = 255)
    {
        MacroBinding Plain(string reason, int words = 0) => new() { Reason = reason, ArgumentWords = words };

        int wordSize = abi.WordSize;
        var setup = new List<string>();
        var words = new List<Word>();
        string? unsupported = null;
        for (int i = 0; i < op.Params.Count; i++)
        {
            var param = op.Params[i];
            var (shape, count) = Classify(param.Type, wordSize);
            if (shape == Shape.Unsupported)
            {
                unsupported ??= $"argument '{param.Name}' of type '{param.Type.Spelling}' ({param.Type.Size} bytes) cannot be bound to registers";
                continue;
            }

            string first = $"__pv_a{words.Count}";
            if (count == 1)
            {
                if (shape == Shape.Scalar)
                {
                    setup.Add($"unsigned long {first} = (unsigned long)({param.Name});");
                }
                else
                {
                    setup.Add($"unsigned long {first} = 0;");
                    setup.Add($"__builtin_memcpy(&{first}, &{param.Name}, sizeof({param.Name}));");
                }

                words.Add(new Word(first, null));
            }
            else
            {
                // Two words (i386 64-bit value): low word first, as regparm passes it.
                string wide = $"__pv_w{i}";
                if (shape == Shape.Scalar)
                {
                    setup.Add($"unsigned long long {wide} = (unsigned long long)({param.Name});");
                }
                else
                {
                    setup.Add($"unsigned long long {wide} = 0;");
                    setup.Add($"__builtin_memcpy(&{wide}, &{param.Name}, sizeof({param.Name}));");
                }

                string second = $"__pv_a{words.Count + 1}";
                setup.Add($"unsigned long {first} = (unsigned long){wide};");
                setup.Add($"unsigned long {second} = (unsigned long)({wide} >> 32);");
                words.Add(new Word(first, null));
                words.Add(new Word(second, null));
            }
        }

        if (unsupported is not null)
        {
            return Plain(unsupported, words.Count);
        }

        var (returnShape, returnWords) = op.ReturnType.Kind == TypeKind.Void ? (Shape.Scalar, 0) : Classify(op.ReturnType, wordSize);
        if (returnShape == Shape.Unsupported)
        {
            return Plain($"return type '{op.ReturnType.Spelling}' ({op.ReturnType.Size} bytes) does not come back in registers", words.Count);
        }

        if (op.Slot > maxSlot)
        {
            return Plain($"slot {op.Slot} does not fit the record's one-byte type", words.Count);
        }

        // Assign words to registers the way the callee's ABI reads them (regparm: an argument that does not fit goes
        // to the stack and so does every later one).
        var bound = new List<Word>();
        var stack = new List<Word>();
        int next = 0;
        int index = 0;
        for (int i = 0; i < op.Params.Count; i++)
        {
            int count = Classify(op.Params[i].Type, wordSize).Words;
            bool fits = stack.Count == 0 && next + count <= abi.ArgumentRegisters.Count;
            for (int w = 0; w < count; w++, index++)
            {
                if (fits)
                {
                    bound.Add(words[index] with { Register = abi.ArgumentRegisters[next++] });
                }
                else
                {
                    stack.Add(words[index]);
                }
            }

            if (!fits)
            {
                next = abi.ArgumentRegisters.Count;
            }
        }

        if (stack.Count > abi.MaxStackWords)
        {
            return Plain($"needs {words.Count} argument words; the {abi.Arch} machinery binds {abi.ArgumentRegisters.Count} in registers"
                + (abi.MaxStackWords > 0 ? $" and {abi.MaxStackWords} on the stack" : string.Empty), words.Count);
        }

        // The clobber set: the ABI's caller-saved registers for an ordinary op, only the result for callee-save ops,
        // or exactly what pvgen.json says (plus the result registers, which the call always writes).
        var resultRegisters = new List<Register>();
        if (returnWords >= 1 || op.ReturnType.Kind == TypeKind.Void)
        {
            resultRegisters.Add(abi.ReturnRegister);
        }

        if (returnWords == 2)
        {
            resultRegisters.Add(abi.ReturnHighRegister);
        }

        var clobbered = ClobberSet(op, abi, configuredClobbers).ToHashSet();

        // Registers an ordinary callee may clobber but the configured set promises to keep: saved inside the site,
        // as the 2.6.2x kernels did around irq ops.
        var saved = op.CalleeSave ? [] : abi.CallerSaved.Where(r => !clobbered.Contains(r)).ToList();
        if (saved.Count > 0 && stack.Count > 0)
        {
            return Plain("a stack argument cannot be combined with registers saved inside the site", words.Count);
        }

        var outputs = new List<string>();
        var inputs = new List<string>();
        var clobberList = new List<string>();
        var variables = new Dictionary<Register, string>();
        var operands = new List<BoundOperand>();
        foreach (var word in bound)
        {
            variables[word.Register!] = word.Variable;
            bool changed = clobbered.Contains(word.Register!);
            operands.Add(new BoundOperand(word.Variable, word.Register!, changed ? "inout" : "in", operands.Count));
            if (changed)
            {
                outputs.Add($"\"+{word.Register!.Constraint}\"({word.Variable})");
            }
            else
            {
                inputs.Add($"\"{word.Register!.Constraint}\"({word.Variable})");
            }
        }

        var declared = new List<string>();
        if (returnWords >= 1)
        {
            foreach (var register in resultRegisters)
            {
                if (!variables.ContainsKey(register))
                {
                    string variable = $"__pv_{register.Name}";
                    variables[register] = variable;
                    declared.Add(variable);
                    operands.Add(new BoundOperand(variable, register, "out", null));
                    outputs.Add($"\"={register.Constraint}\"({variable})");
                }
            }
        }

        foreach (var register in abi.Registers.Where(clobbered.Contains))
        {
            bool isOutput = variables.ContainsKey(register);
            if (!isOutput)
            {
                clobberList.Add($"\"{register.Name}\"");
            }
        }

        clobberList.Add("\"memory\"");
        clobberList.Add("\"cc\"");
        if (declared.Count > 0)
        {
            setup.Add($"unsigned long {string.Join(", ", declared)};");
        }

        var before = new List<string>();
        var after = new List<string>();
        var stackInputs = new List<string>();
        foreach (var word in stack)
        {
            stackInputs.Add($"[{word.Variable}] \"g\"({word.Variable})");
            inputs.Add($"[{word.Variable}] \"g\"({word.Variable})");
            before.Add($"push %[{word.Variable}]");
        }

        if (stack.Count > 0)
        {
            after.Add($"lea {stack.Count * wordSize}(%%esp), %%esp");
        }

        string suffix = wordSize == 8 ? "q" : "l";

        return new MacroBinding
        {
            Asm = new AsmStatement(setup, outputs, inputs, clobberList, before,
                Save: [.. saved.Select(r => $"push{suffix} %%{r.Name}")],
                Restore: [.. saved.AsEnumerable().Reverse().Select(r => $"pop{suffix} %%{r.Name}")],
                after, ResultLines(op, returnShape, returnWords, variables, abi)),
            ArgumentWords = words.Count,
            Clobbers = [.. abi.Registers.Where(clobbered.Contains)],
            Operands = operands,
            StackInputs = stackInputs,
            ResultRegisters = returnWords == 0 ? [] : resultRegisters,
        };
    }

    /// <summary>The clobber set of an op whatever its binding: configured, else callee-save result registers, else the caller-saved set.</summary>
    public static IReadOnlyList<Register> ClobberSet(Op op, CallAbi abi, IReadOnlyList<string>? configured)
    {
        var results = new List<Register> { abi.ReturnRegister };
        if (op.ReturnType.Size == 2 * abi.WordSize && abi.WordSize == 4)
        {
            results.Add(abi.ReturnHighRegister);
        }

        HashSet<Register> set;
        if (configured is not null)
        {
            set = configured.Contains("any") ? [.. abi.CallerSaved] : [.. configured.Select(name => abi.Find(name) ?? throw new ArgumentException(name))];
            if (op.ReturnType.Kind != TypeKind.Void)
            {
                set.UnionWith(results);
            }
        }
        else
        {
            set = op.CalleeSave ? [.. results] : [.. abi.CallerSaved];
        }

        return [.. abi.Registers.Where(set.Contains)];
    }

    private static IReadOnlyList<string> ResultLines(Op op, Shape shape, int words, Dictionary<Register, string> variables, CallAbi abi)
    {
        if (words == 0)
        {
            return [];
        }

        string type = CNames.TypeForDeclaration(op.ReturnType.Spelling);
        string low = variables[abi.ReturnRegister];
        string value = low;
        var lines = new List<string>();
        if (words == 2)
        {
            lines.Add($"unsigned long long __pv_r64 = ((unsigned long long){variables[abi.ReturnHighRegister]} << 32) | {low};");
            value = "__pv_r64";
        }

        if (shape == Shape.Aggregate)
        {
            lines.Add($"{CNames.Declaration(op.ReturnType.Spelling, "__pv_r")};");
            lines.Add($"__builtin_memcpy(&__pv_r, &{value}, sizeof(__pv_r));");
            lines.Add("return __pv_r;");
        }
        else if (op.ReturnType.Kind == TypeKind.Bool)
        {
            // The callee sets only %al: the rest of the register is not part of the value.
            lines.Add($"return ({type})({value} & 0xff);");
        }
        else
        {
            lines.Add($"return ({type}){value};");
        }

        return lines;
    }

    private static (Shape Shape, int Words) Classify(CType type, int wordSize)
    {
        switch (type.Kind)
        {
            case TypeKind.Bool or TypeKind.SignedInteger or TypeKind.UnsignedInteger or TypeKind.Enum or TypeKind.Pointer or TypeKind.FunctionPointer:
                if (type.Size >= 1 && type.Size <= wordSize)
                {
                    return (Shape.Scalar, 1);
                }

                return type.Size == 2 * wordSize && wordSize == 4 ? (Shape.Scalar, 2) : (Shape.Unsupported, 0);
            case TypeKind.Struct or TypeKind.Union:
                // Register-sized aggregates (pte_t) travel like integers; assumes integer members (no floats).
                if (type.Size is 1 or 2 or 4 || type.Size == wordSize)
                {
                    return (Shape.Aggregate, 1);
                }

                return type.Size == 8 && wordSize == 4 ? (Shape.Aggregate, 2) : (Shape.Unsupported, 0);
            default:
                return (Shape.Unsupported, 0);
        }
    }
}

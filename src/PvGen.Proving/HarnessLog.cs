using System.Globalization;

namespace PvGen.Proving;

/// <summary>One op call as an implementation logged it.</summary>
/// <param name="Tag">D default, H hypervisor (reached directly), N native set (reached directly), T through the table after patching.</param>
/// <param name="Call">Index of the workload call it happened in.</param>
/// <param name="Guard">Not an op call: the guard cut the workload call short here.</param>
public sealed record LoggedEvent(int Call, char Tag, int Slot, ulong ReturnAddress, IReadOnlyList<string> Arguments, string? Result, bool Guard = false)
{
    /// <summary>What must be equal in both runs: the op, its arguments and its result.</summary>
    public string Behaviour => Guard ? "guard" : $"{Slot}({string.Join(",", Arguments)})={Result}";
}

/// <summary>One record as the patcher handled it.</summary>
/// <param name="Action">
/// call, jmp, native; refused-* (the kernel would BUG(): short, type, null for .parainstructions; length, original,
/// replacement, kind for DIRECT_CALL entries); skipped-condition (an alternative whose condition does not hold).
/// </param>
public sealed record PatchedRecord(int Index, ulong Site, int Length, int Type, string Action, ulong Target, byte[] After)
{
    public bool Applied => Action is "call" or "jmp" or "native";

    public bool Refused => Action.StartsWith("refused-", StringComparison.Ordinal);
}

/// <summary>The program's output, parsed: the two runs, the patcher's report, and how the program ended.</summary>
public sealed record HarnessLog(
    IReadOnlyList<string> Calls,
    IReadOnlyList<LoggedEvent> Unpatched,
    IReadOnlyList<LoggedEvent> Patched,
    IReadOnlyList<PatchedRecord> Records,
    bool ReachedPatching,
    bool Completed,
    (int Signal, ulong Address, int Phase)? Crash,
    string? Failure)
{
    public static HarnessLog Parse(string output)
    {
        var calls = new List<string>();
        var unpatched = new List<LoggedEvent>();
        var patched = new List<LoggedEvent>();
        var records = new List<PatchedRecord>();
        int phase = 0;
        int call = -1;
        bool reachedPatching = false, completed = false;
        (int, ulong, int)? crash = null;
        string? failure = null;
        foreach (string raw in output.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            string[] parts = line.Split(' ');
            switch (parts[0])
            {
                case "B":
                    phase = parts[1] switch { "1" => 1, "P" => 3, _ => 2 };
                    reachedPatching |= phase == 3;
                    call = -1;
                    break;
                case "W":
                    call++;
                    if (phase == 1)
                    {
                        calls.Add(line[2..]);
                    }

                    break;
                case "E" when parts.Length >= 4:
                    var arguments = parts.Skip(4).Where(p => p.StartsWith("a=", StringComparison.Ordinal)).Select(p => p[2..]).ToList();
                    string? result = parts.Skip(4).FirstOrDefault(p => p.StartsWith("r=", StringComparison.Ordinal))?[2..];
                    var logged = new LoggedEvent(call, parts[1][0], int.Parse(parts[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture), Hex(parts[3]), arguments, result);
                    (phase == 1 ? unpatched : patched).Add(logged);
                    break;
                case "G":
                    (phase == 1 ? unpatched : patched).Add(new LoggedEvent(call, 'G', -1, 0, [], null, Guard: true));
                    break;
                case "P" when parts.Length >= 8:
                    records.Add(new PatchedRecord(
                        int.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture), Hex(parts[2]),
                        int.Parse(parts[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture), int.Parse(parts[4], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                        parts[5], Hex(parts[6]), Convert.FromHexString(parts[7])));
                    break;
                case "C" when parts.Length >= 3:
                    crash = (int.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture), Hex(parts[2]), phase);
                    break;
                case "U" or "F":
                    failure ??= line[2..];
                    break;
                case "Z":
                    completed = true;
                    break;
            }
        }

        return new HarnessLog(calls, unpatched, patched, records, reachedPatching, completed, crash, failure);
    }

    private static ulong Hex(string text) => ulong.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}

using System.Globalization;
using PvGen.Model;

namespace PvGen.Checking;

/// <summary>
/// A problem found in a compiled artefact, located in the object rather than in source:
/// printed as "file.o: .text+0x1a (func+0x9): error: message [PVG0203]".
/// </summary>
public sealed record Finding(string Id, Severity Severity, string Message, string File, string? Section = null, long? Offset = null, string? Function = null)
{
    public override string ToString()
    {
        string where = File;
        if (Section is not null)
        {
            where += $": {Section}+0x{(Offset ?? 0).ToString("x", CultureInfo.InvariantCulture)}";
            if (Function is not null)
            {
                where += $" ({Function})";
            }
        }

        return Diagnostic.Format(where, Severity, Message, Id);
    }
}

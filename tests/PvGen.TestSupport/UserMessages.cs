using System.Text.RegularExpressions;
using Xunit;

namespace PvGen.TestSupport;

/// <summary>
/// What a user may read: pvgen's words, never a .NET resource key (the CLI is built with UseSystemResourceKeys, so a
/// runtime message is a key such as <c>Arg_EndOfStreamException</c> or <c>IO_FileNotFound_FileName</c>) and never a
/// stack trace. Test projects that check messages are built with the same setting, so they see what users see.
/// </summary>
public static partial class UserMessages
{
    // Mixed-case words joined by underscores (Arg_EndOfStreamException, IO_FileExists_Name; not R_X86_64_PC32 or
    // CONFIG_X86_32, which are all capitals, nor pv_ops), or four or more capitalised words glued together standing as
    // a message of their own (DeserializeUnableToConvertValue; a type name inside a library's sentence is not one).
    [GeneratedRegex(@"\b(?=[A-Za-z0-9_]*[a-z])(?=[A-Za-z0-9_]*_[A-Z])[A-Z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b|(?:^|: )[A-Z][a-z]+(?:[A-Z][a-z]+){3,}(?=,|\s*$)", RegexOptions.Multiline)]
    private static partial Regex ResourceKey();

    [GeneratedRegex(@"^\s+at \S+\(.*\)", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    /// <summary>The first resource key or stack frame in <paramref name="text"/>, or null.</summary>
    public static string? Foreign(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var key = ResourceKey().Match(text);
        if (key.Success)
        {
            return key.Value;
        }

        var frame = StackFrame().Match(text);
        return frame.Success ? frame.Value.Trim() : null;
    }

    public static void AssertOurs(string? text, string label)
    {
        string? foreign = Foreign(text);
        Assert.True(foreign is null, $"{label}: a message a user would see holds '{foreign}', not words of ours:\n{text}");
    }
}

using System.Text.RegularExpressions;

namespace PvGen.Model;

/// <summary>
/// The runtime's exception messages in words of ours. The CLI is built with UseSystemResourceKeys (no resource strings
/// loaded at start), so a runtime message is a bare key such as <c>IO_FileNotFound_FileName, /x</c> or
/// <c>Arg_EndOfStreamException</c>: no user may see one. Messages pvgen and its libraries wrote in words pass through.
/// </summary>
public static partial class RuntimeMessages
{
    /// <summary>What went wrong, in words, for a message to a user.</summary>
    public static string Describe(Exception e)
    {
        string message = e.Message;
        if (!IsResourceKey(message))
        {
            return message;
        }

        string key = message.Trim().Split([',', ' '], 2)[0];
        return key switch
        {
            "IO_FileExists_Name" => "the file already exists",
            "IO_FileNotFound" or "IO_FileNotFound_FileName" => "no such file",
            "IO_PathNotFound_Path" or "IO_PathNotFound_NoPathName" => "a directory on the path does not exist",
            "UnauthorizedAccess_IODenied_Path" or "UnauthorizedAccess_IODenied_NoPathName" => "permission denied",
            "IO_PathTooLong" or "IO_PathTooLong_Path" => "the path is too long",
            "Arg_EndOfStreamException" or "IO_EOF_ReadBeyondEOF" => "the data ends early (truncated)",
            "ArgumentOutOfRange_StreamLength" or "IO_SeekBeforeBegin" => "an offset or size outside the data (corrupt)",
            "DeserializeUnableToConvertValue" => "a value of the wrong type",
            "Arg_OverflowException" or "Overflow_Int32" or "Overflow_Int64" or "Overflow_UInt32" or "Overflow_UInt64" => "a number too large",
            _ => ByType(e),
        };
    }

    /// <summary>System.Text.Json's message without the runtime's "Path: ..." and "LineNumber: ..." tail (locations are ours), in words.</summary>
    public static string OfJson(System.Text.Json.JsonException e)
    {
        string message = e.Message;
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut] : message;
        int line = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        message = (line > 0 ? message[..line] : message).TrimEnd('.', ' ');
        return message switch
        {
            "DeserializeUnableToConvertValue" => "a value of the wrong type",
            "ExpectedJsonTokens" => "unexpected content",
            var text when IsResourceKey(text) => "a value has the wrong type or the document is malformed",
            var text => text,
        };
    }

    /// <summary>Whether the text is a resource key (with its arguments appended), not a sentence.</summary>
    public static bool IsResourceKey(string message)
    {
        // An ArgumentException appends " Arg_ParamName_Name, name" to its key: the first word decides.
        string head = message.Trim().Split([',', ' '], 2)[0];
        return head.Length == 0 || KeyPattern().IsMatch(head);
    }

    private static string ByType(Exception e) => e switch
    {
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "a directory on the path does not exist",
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "the path is too long",
        EndOfStreamException => "the data ends early (truncated)",
        ArgumentOutOfRangeException or IndexOutOfRangeException => "an offset, size or index out of range (corrupt input)",
        OverflowException => "a number too large",
        OutOfMemoryException => "too large to hold in memory",
        InvalidDataException => "corrupt data",
        FormatException => "malformed text where a number or name was expected",
        NotSupportedException => "an operation the input does not support",
        IOException => "an input or output error",
        _ => "unexpected " + Words(e.GetType().Name),
    };

    /// <summary>"InvalidCastException" as "invalid cast".</summary>
    private static string Words(string typeName)
    {
        string name = typeName.EndsWith("Exception", StringComparison.Ordinal) ? typeName[..^"Exception".Length] : typeName;
        return CapitalPattern().Replace(name, " $0").Trim().ToLowerInvariant() is { Length: > 0 } words ? words : "error";
    }

    // Arg_EndOfStreamException, IO_FileExists_Name, DeserializeUnableToConvertValue: no spaces, underscores or several capitals.
    [GeneratedRegex(@"^(?:[A-Z][A-Za-z0-9]*_[A-Za-z0-9_]+|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+){2,})$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex("[A-Z]")]
    private static partial Regex CapitalPattern();
}

namespace PvGen.Cli;

/// <summary>The exit-code contract: 0 ok, 1 findings, 2 usage or input error.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Findings = 1;
    public const int InputError = 2;
}

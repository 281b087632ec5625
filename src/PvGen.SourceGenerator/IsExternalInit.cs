namespace System.Runtime.CompilerServices;

/// <summary>Lets records and init accessors compile for netstandard2.0 (the linked model records need it).</summary>
internal static class IsExternalInit
{
}

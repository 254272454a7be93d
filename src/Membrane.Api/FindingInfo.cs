namespace Membrane.Api;

/// <summary>A validation finding: where (file, line, column, field path), its stable code, how bad, and what.</summary>
public sealed record FindingInfo(string File, int Line, int Column, string Severity, string Code, string Path, string Message);

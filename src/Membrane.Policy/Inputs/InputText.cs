namespace Membrane.Policy.Inputs;

/// <summary>One input read whole: its name as findings print it (the path, or <c>&lt;stdin&gt;</c>) and its text.</summary>
public sealed record InputText(string Name, string Text);

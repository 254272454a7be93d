namespace Membrane.Policy.Engine.Rules;

public enum Verdict : byte
{
    Allow,
    Deny,
}

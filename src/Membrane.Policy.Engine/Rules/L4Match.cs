namespace Membrane.Policy.Engine.Rules;

/// <summary>What a rule allows or denies above L3: everything, a port range, a named port, or ICMP.</summary>
public abstract record L4Match;

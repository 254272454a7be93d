namespace Membrane.Netlink.Tc;

/// <summary>The clsact hook a filter sits on: packets the interface receives (ingress) or sends (egress).</summary>
public enum TcDirection
{
    Ingress,
    Egress,
}

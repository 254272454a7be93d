using System.Security.Cryptography;

namespace Membrane.Bpf.Tests.Support;

/// <summary>
/// Two network namespaces of the test's own (mbrA-xxxxxx, mbrB-xxxxxx) joined by a veth pair with a /30 on each end.
/// Traffic flows only between them. Dispose deletes both namespaces, which destroys the veth pair with them.
/// </summary>
internal sealed class TestNetwork : IDisposable
{
    private readonly List<string> namespaces = [];

    public TestNetwork()
    {
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        NamespaceA = $"mbrA-{suffix}";
        NamespaceB = $"mbrB-{suffix}";
        InterfaceA = $"mbrva-{suffix}";
        InterfaceB = $"mbrvb-{suffix}";
        var subnet = RandomNumberGenerator.GetInt32(0, 256);
        AddressA = $"10.199.{subnet}.1";
        AddressB = $"10.199.{subnet}.2";
        try
        {
            AddNamespace(NamespaceA);
            AddNamespace(NamespaceB);
            Command.Check("ip", "-n", NamespaceA, "link", "add", InterfaceA, "type", "veth", "peer", "name", InterfaceB, "netns", NamespaceB);
            Command.Check("ip", "-n", NamespaceA, "addr", "add", $"{AddressA}/30", "dev", InterfaceA);
            Command.Check("ip", "-n", NamespaceB, "addr", "add", $"{AddressB}/30", "dev", InterfaceB);
            Command.Check("ip", "-n", NamespaceA, "link", "set", InterfaceA, "up");
            Command.Check("ip", "-n", NamespaceB, "link", "set", InterfaceB, "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string NamespaceA { get; }

    public string NamespaceB { get; }

    public string InterfaceA { get; }

    public string InterfaceB { get; }

    public string AddressA { get; }

    public string AddressB { get; }

    /// <summary>One echo request from A to B with a one-second timeout: true when the reply came back.</summary>
    public bool PingFromAToB() =>
        Command.Run("ip", "netns", "exec", NamespaceA, "ping", "-c", "1", "-W", "1", AddressB).ExitCode == 0;

    /// <summary>Pings until it passes (the veth needs a moment after coming up), for at most a few tries.</summary>
    public bool PingFromAToBEventually()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (PingFromAToB())
            {
                return true;
            }
        }

        return false;
    }

    private void AddNamespace(string name)
    {
        Command.Check("ip", "netns", "add", name);
        namespaces.Add(name);
    }

    public void Dispose()
    {
        foreach (var name in namespaces)
        {
            Command.Run("ip", "netns", "del", name);
        }

        namespaces.Clear();
    }
}

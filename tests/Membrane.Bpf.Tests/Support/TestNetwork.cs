using System.Security.Cryptography;
using Membrane.Bpf.Links;
using Membrane.Bpf.Programs;

namespace Membrane.Bpf.Tests.Support;

/// <summary>
/// Two network namespaces of the test's own (mbrA_xxxxxx, mbrB_xxxxxx) joined by a veth pair with a /30 on each end.
/// Traffic flows only between them. Dispose deletes both namespaces, which destroys the veth pair with them, and
/// throws when one could not be deleted, so a leftover fails the test instead of going unnoticed.
/// </summary>
internal sealed class TestNetwork : IDisposable
{
    private readonly List<string> namespaces = [];

    public TestNetwork()
    {
        NamespaceA = TestNames.Unique("A");
        NamespaceB = TestNames.Unique("B");
        InterfaceA = TestNames.Unique("va");
        InterfaceB = TestNames.Unique("vb");
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
        catch (Exception setup)
        {
            try
            {
                Dispose();
            }
            catch (Exception cleanup)
            {
                throw new AggregateException("setting up the test network failed, and so did removing it", setup, cleanup);
            }

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

    /// <summary>Attaches <paramref name="program"/> with tcx to <see cref="InterfaceA"/>, from a thread inside namespace
    /// A, because BPF_LINK_CREATE resolves the ifindex in the caller's network namespace.</summary>
    public BpfLink AttachInA(BpfProgram program, TcxDirection direction) =>
        InNetworkNamespace.Run(NamespaceA, () => Tcx.Attach(program, InNetworkNamespace.InterfaceIndex(InterfaceA), direction));

    private void AddNamespace(string name)
    {
        Command.Check("ip", "netns", "add", name);
        namespaces.Add(name);
    }

    /// <summary>Deletes every namespace, even after one fails, then reports all that could not be deleted.</summary>
    public void Dispose()
    {
        var failures = new List<Exception>();
        foreach (var name in namespaces)
        {
            try
            {
                var (exitCode, output) = Command.Run("ip", "netns", "del", name);
                if (exitCode != 0)
                {
                    failures.Add(new InvalidOperationException($"ip netns del {name} failed ({exitCode}): {output.Trim()}"));
                }
            }
            catch (Exception exception)
            {
                failures.Add(new InvalidOperationException($"ip netns del {name} failed: {exception.Message}", exception));
            }
        }

        namespaces.Clear();
        if (failures.Count > 0)
        {
            throw new AggregateException(
                $"could not remove the test network namespace(s) {string.Join(", ", failures.Select(failure => failure.Message))}; " +
                "remove them by hand with ip netns del",
                failures);
        }
    }
}

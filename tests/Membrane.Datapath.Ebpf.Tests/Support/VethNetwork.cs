using System.Net;
using System.Security.Cryptography;
using Membrane.Bpf.Asm;
using Membrane.Bpf.Programs;
using Membrane.Netlink;
using Membrane.Netlink.Namespaces;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Datapath.Ebpf.Tests.Support;

/// <summary>
/// Two namespaces of the test's own, mbrdaA… and mbrdaB…, joined by a veth pair with a /30 on each end, built through
/// Membrane.Netlink. The prefix <c>mbrda</c> and the subnets 10.233.X.0/30 keep it apart from the other test projects,
/// which run at the same time. Traffic flows only between the two. Dispose deletes both namespaces, which destroys the
/// pair with them.
/// </summary>
internal sealed class VethNetwork : IDisposable
{
    public VethNetwork()
    {
        var subnet = RandomNumberGenerator.GetInt32(0, 256);
        AddressA = $"10.233.{subnet}.1";
        AddressB = $"10.233.{subnet}.2";
        InterfaceA = Unique("va");
        InterfaceB = Unique("vb");
        try
        {
            A = NetworkNamespace.Create(Unique("A"));
            B = NetworkNamespace.Create(Unique("B"));
            using (var links = Rtnetlink.Open(A))
            {
                links.CreateVethPair(InterfaceA, InterfaceB, B);
                links.AddAddress(links.GetLink(InterfaceA).Index, IPAddress.Parse(AddressA), 30);
                links.SetLinkUp(InterfaceA);
            }

            using (var links = Rtnetlink.Open(B))
            {
                links.AddAddress(links.GetLink(InterfaceB).Index, IPAddress.Parse(AddressB), 30);
                links.SetLinkUp(InterfaceB);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetworkNamespace A { get; } = null!;

    public NetworkNamespace B { get; } = null!;

    public string InterfaceA { get; }

    public string InterfaceB { get; }

    public string AddressA { get; }

    public string AddressB { get; }

    /// <summary>One echo request from A to B with a one-second timeout.</summary>
    public bool PingFromAToB() =>
        Command.Run("ip", "netns", "exec", A.Name!, "ping", "-c", "1", "-W", "1", AddressB).ExitCode == 0;

    /// <summary>Up to five tries: a fresh veth needs a moment, and the first echo waits on ARP.</summary>
    public bool PingFromAToBEventually() => Enumerable.Range(0, 5).Any(_ => PingFromAToB());

    /// <summary>Loads <c>mbr_drop</c>, a SCHED_CLS program returning TC_ACT_SHOT (2, uapi/linux/pkt_cls.h).</summary>
    public static BpfProgram LoadPass() =>
        BpfProgram.Load(new ProgramSpec("mbr_pass", ProgramType.SchedCls, [AluOperation.Mov.Imm(R0, 0), Instruction.Exit()]));

    public static BpfProgram LoadDrop() =>
        BpfProgram.Load(new ProgramSpec("mbr_drop", ProgramType.SchedCls, [AluOperation.Mov.Imm(R0, 2), Instruction.Exit()]));

    public void Dispose()
    {
        var failures = new List<Exception>();
        foreach (var networkNamespace in new[] { A, B })
        {
            if (networkNamespace is null)
            {
                continue;
            }

            try
            {
                networkNamespace.Dispose();
                NetworkNamespace.Delete(networkNamespace.Name!);
            }
            catch (Exception exception)
            {
                failures.Add(exception);
            }
        }

        if (failures.Count > 0)
        {
            throw new AggregateException("could not remove the test's namespaces; remove them with ip netns del", failures);
        }
    }

    private static string Unique(string kind) => $"mbrda{kind}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
}

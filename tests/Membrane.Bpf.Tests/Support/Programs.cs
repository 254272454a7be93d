using Membrane.Bpf.Asm;
using Membrane.Bpf.Programs;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Bpf.Tests.Support;

/// <summary>Small programs the tests share.</summary>
internal static class Programs
{
    /// <summary>TC_ACT_SHOT (uapi linux/pkt_cls.h): tcx drops the packet.</summary>
    public const int TcActShot = 2;

    /// <summary>Loads <c>mbr_drop</c>, a SCHED_CLS program that drops every packet, for tcx tests to attach.</summary>
    public static BpfProgram LoadDrop() => BpfProgram.Load(Returning("mbr_drop", TcActShot));

    public static ProgramSpec Returning(string name, int value, ProgramType type = ProgramType.SchedCls) =>
        new(name, type, [AluOperation.Mov.Imm(R0, value), Instruction.Exit()]);

    /// <summary>An Ethernet frame of the given length: zero MACs, EtherType IPv4, zero payload.</summary>
    public static byte[] Packet(int length = 64)
    {
        var packet = new byte[length];
        packet[12] = 0x08;
        return packet;
    }
}

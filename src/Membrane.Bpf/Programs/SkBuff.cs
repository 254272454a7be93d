using System.Runtime.InteropServices;

namespace Membrane.Bpf.Programs;

/// <summary>
/// <c>struct __sk_buff</c> (uapi linux/bpf.h), the context of socket-filter and traffic-control programs. Programs read
/// it at the <c>*Offset</c> constants (<c>Instruction.LoadMem(R2, R1, SkBuff.DataOffset, Size.Word)</c>); a test run
/// can pass it in and out to set or read mark, priority, ifindex, cb and the timestamps. The verifier rewrites
/// every access into the real <c>struct sk_buff</c>, so only these offsets are stable.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct SkBuff
{
    public const int Size = 192;
    public const short LenOffset = 0;
    public const short PktTypeOffset = 4;
    public const short MarkOffset = 8;
    public const short QueueMappingOffset = 12;
    public const short ProtocolOffset = 16;
    public const short VlanPresentOffset = 20;
    public const short VlanTciOffset = 24;
    public const short VlanProtoOffset = 28;
    public const short PriorityOffset = 32;
    public const short IngressIfindexOffset = 36;
    public const short IfindexOffset = 40;
    public const short TcIndexOffset = 44;
    public const short CbOffset = 48;
    public const short HashOffset = 68;
    public const short TcClassidOffset = 72;
    public const short DataOffset = 76;
    public const short DataEndOffset = 80;
    public const short NapiIdOffset = 84;
    public const short FamilyOffset = 88;
    public const short RemoteIp4Offset = 92;
    public const short LocalIp4Offset = 96;
    public const short RemoteIp6Offset = 100;
    public const short LocalIp6Offset = 116;
    public const short RemotePortOffset = 132;
    public const short LocalPortOffset = 136;
    public const short DataMetaOffset = 140;
    public const short FlowKeysOffset = 144;
    public const short TstampOffset = 152;
    public const short WireLenOffset = 160;
    public const short GsoSegsOffset = 164;
    public const short SkOffset = 168;
    public const short GsoSizeOffset = 176;
    public const short TstampTypeOffset = 180;
    public const short HwtstampOffset = 184;

    [FieldOffset(LenOffset)] public uint Len;
    [FieldOffset(PktTypeOffset)] public uint PktType;
    [FieldOffset(MarkOffset)] public uint Mark;
    [FieldOffset(QueueMappingOffset)] public uint QueueMapping;
    [FieldOffset(ProtocolOffset)] public uint Protocol;
    [FieldOffset(VlanPresentOffset)] public uint VlanPresent;
    [FieldOffset(VlanTciOffset)] public uint VlanTci;
    [FieldOffset(VlanProtoOffset)] public uint VlanProto;
    [FieldOffset(PriorityOffset)] public uint Priority;
    [FieldOffset(IngressIfindexOffset)] public uint IngressIfindex;
    [FieldOffset(IfindexOffset)] public uint Ifindex;
    [FieldOffset(TcIndexOffset)] public uint TcIndex;
    [FieldOffset(CbOffset)] public fixed uint Cb[5];
    [FieldOffset(HashOffset)] public uint Hash;
    [FieldOffset(TcClassidOffset)] public uint TcClassid;
    [FieldOffset(DataOffset)] public uint Data;
    [FieldOffset(DataEndOffset)] public uint DataEnd;
    [FieldOffset(NapiIdOffset)] public uint NapiId;
    [FieldOffset(FamilyOffset)] public uint Family;
    [FieldOffset(RemoteIp4Offset)] public uint RemoteIp4;
    [FieldOffset(LocalIp4Offset)] public uint LocalIp4;
    [FieldOffset(RemoteIp6Offset)] public fixed uint RemoteIp6[4];
    [FieldOffset(LocalIp6Offset)] public fixed uint LocalIp6[4];
    [FieldOffset(RemotePortOffset)] public uint RemotePort;
    [FieldOffset(LocalPortOffset)] public uint LocalPort;
    [FieldOffset(DataMetaOffset)] public uint DataMeta;
    [FieldOffset(FlowKeysOffset)] public ulong FlowKeys;
    [FieldOffset(TstampOffset)] public ulong Tstamp;
    [FieldOffset(WireLenOffset)] public uint WireLen;
    [FieldOffset(GsoSegsOffset)] public uint GsoSegs;
    [FieldOffset(SkOffset)] public ulong Sk;
    [FieldOffset(GsoSizeOffset)] public uint GsoSize;
    [FieldOffset(TstampTypeOffset)] public byte TstampType;
    [FieldOffset(HwtstampOffset)] public ulong Hwtstamp;
}

using Membrane.Bpf.Asm;
using Membrane.Bpf.Programs;
using Membrane.Policy.Values;
using static Membrane.Bpf.Asm.Register;
using static Membrane.Datapath.DatapathConstants;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Step 2 of docs/datapath.md §2: the headers, with direct packet access. The first 512 bytes are made linear when
/// they are not (bpf_skb_pull_data), then the parser holds R7 = data, R8 = data_end, R9 = the end of the IP datagram
/// and R5 = the offset of the header being read, and copies every field it reads to the frame; no stage after it
/// touches the packet. Every variable offset is a sum of bounded header lengths (an IHL, an extension header's length
/// byte), so the verifier knows its range, and every read is preceded by its own <c>data + offset + n &gt; data_end</c>
/// check. Lengths are checked against <c>skb-&gt;len</c> and the datagram end; reads against data_end.
/// </summary>
internal static class ParseStage
{
    private const string Parsed = "parsed";

    public static void Emit(ProgramEmitter e)
    {
        var truncated = e.Early(VerdictReason.Truncated);
        var malformed = e.Early(VerdictReason.MalformedIpHeader);

        e.Comment("Parse: pull min(skb->len, 512) bytes linear unless they are")
            .Load(R2, StackFrame.PacketLength, Size.Word)
            .If(JumpOperation.JLE, R2, PullLength, "pull_length")
            .Mov(R2, PullLength)
            .Label("pull_length")
            .Add(Instruction.LoadMem(R3, R6, SkBuff.DataOffset, Size.Word))
            .Add(Instruction.LoadMem(R4, R6, SkBuff.DataEndOffset, Size.Word))
            .Alu(AluOperation.Add, R3, R2)
            .IfReg(JumpOperation.JLE, R3, R4, "pulled")
            .Mov(R1, R6)
            .Comment("a failed pull leaves the packet as it was: what is not linear reads as truncated")
            .Add(Instruction.Call(HelperFunction.SkbPullData))
            .Label("pulled")
            .Comment("the helper invalidated packet pointers: load them now")
            .Add(Instruction.LoadMem(R7, R6, SkBuff.DataOffset, Size.Word))
            .Add(Instruction.LoadMem(R8, R6, SkBuff.DataEndOffset, Size.Word));

        e.Comment("Ethernet: 14 bytes").Mov(R0, R7).Alu(AluOperation.Add, R0, EthernetHeaderLength)
            .IfReg(JumpOperation.JGT, R0, R8, truncated)
            .LoadBigEndian16(R2, R7, 12)
            .Comment("802.1Q / 802.1ad: not looked inside, so not let through")
            .If(JumpOperation.JEq, R2, EtherTypeVlan, e.Early(VerdictReason.UnsupportedEncapsulation))
            .If(JumpOperation.JEq, R2, EtherTypeQinQ, e.Early(VerdictReason.UnsupportedEncapsulation))
            .If(JumpOperation.JEq, R2, EtherTypeIPv4, "ipv4")
            .If(JumpOperation.JNE, R2, EtherTypeIPv6, e.Early(VerdictReason.NotIp))
            .Goto("ipv6");

        EmitIPv4(e, truncated, malformed);
        EmitIPv6(e, truncated, malformed);
        EmitLayer4(e, truncated);
        EmitEmbedded(e);
        e.Label(Parsed);
    }

    private static void EmitIPv4(ProgramEmitter e, string truncated, string malformed)
    {
        const short ip = EthernetHeaderLength;
        e.Label("ipv4").Comment("IPv4").Store(StackFrame.Family, FamilyIPv4, Size.Byte)
            .Mov(R0, R7).Alu(AluOperation.Add, R0, ip + IPv4MinimumHeaderLength)
            .IfReg(JumpOperation.JGT, R0, R8, truncated)
            .Comment("the protocol and the addresses, once the fixed header is there, before it is checked")
            .Copy(StackFrame.Protocol, R7, ip + 9, 1)
            .Copy(StackFrame.Source, R7, ip + 12, 4)
            .Copy(StackFrame.Destination, R7, ip + 16, 4)
            .Add(Instruction.LoadMem(R2, R7, ip, Size.Byte))
            .Mov(R3, R2).Alu(AluOperation.Rsh, R3, 4)
            .If(JumpOperation.JNE, R3, 4, malformed)
            .Alu(AluOperation.And, R2, 0x0f)
            .If(JumpOperation.JLT, R2, 5, malformed)
            .Comment("r2 = IHL * 4, 20..60").Alu(AluOperation.Lsh, R2, 2)
            .LoadBigEndian16(R3, R7, ip + 2)
            .Comment("total length below the header").IfReg(JumpOperation.JLT, R3, R2, malformed)
            .Comment("r9 = end of the datagram, within skb->len").Mov(R9, R3).Alu(AluOperation.Add, R9, ip)
            .Load(R1, StackFrame.PacketLength, Size.Word)
            .IfReg(JumpOperation.JGT, R9, R1, truncated)
            .Comment("r5 = L4 offset: options skipped by IHL").Mov(R5, R2).Alu(AluOperation.Add, R5, ip)
            .LoadBigEndian16(R1, R7, ip + 4).Store(StackFrame.FragmentId, R1, Size.Word)
            .Comment("fragments (RFC 791): MF or a non-zero offset").LoadBigEndian16(R1, R7, ip + 6)
            .Mov(R2, R1).Alu(AluOperation.And, R2, 0x1fff)
            .If(JumpOperation.JNE, R2, 0, "ipv4_later")
            .If(JumpOperation.JSet, R1, 0x2000, "ipv4_first")
            .Goto("l4")
            .Label("ipv4_later").Store(StackFrame.FragmentKind, (int)FragmentKind.Later, Size.Byte).Goto(Parsed)
            .Label("ipv4_first").Store(StackFrame.FragmentKind, (int)FragmentKind.First, Size.Byte).Goto("l4");
    }

    private static void EmitIPv6(ProgramEmitter e, string truncated, string malformed)
    {
        const short ip = EthernetHeaderLength;
        e.Label("ipv6").Comment("IPv6").Store(StackFrame.Family, FamilyIPv6, Size.Byte)
            .Mov(R0, R7).Alu(AluOperation.Add, R0, ip + IPv6HeaderLength)
            .IfReg(JumpOperation.JGT, R0, R8, truncated)
            .Comment("r4 = the next header, the protocol until a header says otherwise")
            .Add(Instruction.LoadMem(R4, R7, ip + 6, Size.Byte)).Store(StackFrame.Protocol, R4, Size.Byte)
            .Comment("the hop limit and the addresses, before the header is checked")
            .Copy(StackFrame.HopLimit, R7, ip + 7, 1)
            .Copy(StackFrame.Source, R7, ip + 8, 16)
            .Copy(StackFrame.Destination, R7, ip + 24, 16)
            .Add(Instruction.LoadMem(R2, R7, ip, Size.Byte)).Alu(AluOperation.Rsh, R2, 4)
            .If(JumpOperation.JNE, R2, 6, malformed)
            .Comment("payload length 0: to the end of the packet (jumbo, BIG TCP)")
            .Load(R9, StackFrame.PacketLength, Size.Word)
            .LoadBigEndian16(R3, R7, ip + 4)
            .If(JumpOperation.JEq, R3, 0, "ipv6_addresses")
            .Alu(AluOperation.Add, R3, ip + IPv6HeaderLength)
            .IfReg(JumpOperation.JGT, R3, R9, truncated)
            .Mov(R9, R3)
            .Label("ipv6_addresses")
            .Mov(R5, ip + IPv6HeaderLength);

        // Unrolled: the verifier sees each header's length added to a bounded offset (at most 2,048 bytes a header).
        for (var i = 0; i < MaxExtensionHeaders; i++)
        {
            var read = $"ext{i}_read";
            var next = $"ext{i + 1}";
            e.Label($"ext{i}").Comment($"extension header {i + 1} of at most {MaxExtensionHeaders}");
            if (i > 0)
            {
                ForgetOffset(e, truncated);
            }

            EmitIsExtensionHeader(e, read);
            e.Goto("l4");
            e.Label(read)
                .Comment("every extension header is at least 8 bytes, within the datagram and the packet")
                .Mov(R0, R5).Alu(AluOperation.Add, R0, 8).IfReg(JumpOperation.JGT, R0, R9, truncated)
                .Mov(R3, R7).Alu(AluOperation.Add, R3, R5)
                .Mov(R0, R3).Alu(AluOperation.Add, R0, 8).IfReg(JumpOperation.JGT, R0, R8, truncated)
                .Add(Instruction.LoadMem(R2, R3, 0, Size.Byte))
                .Add(Instruction.LoadMem(R1, R3, 1, Size.Byte))
                .If(JumpOperation.JEq, R4, NextHeaderFragment, $"ext{i}_fragment")
                .If(JumpOperation.JEq, R4, NextHeaderAuthentication, $"ext{i}_auth")
                .Comment("hop-by-hop, routing, destination options: (n + 1) * 8")
                .Alu(AluOperation.Add, R1, 1).Alu(AluOperation.Lsh, R1, 3).Goto($"ext{i}_advance")
                .Label($"ext{i}_auth").Comment("authentication (RFC 4302): (n + 2) * 4")
                .Alu(AluOperation.Add, R1, 2).Alu(AluOperation.Lsh, R1, 2).Goto($"ext{i}_advance")
                .Label($"ext{i}_fragment").Comment("fragment (RFC 8200 §4.5): offset = be16 >> 3, M = be16 & 1, id = be32")
                .Add(Instruction.LoadMem(R1, R3, 4, Size.Word)).Add(Instruction.ToBigEndian(R1, 32))
                .Store(StackFrame.FragmentId, R1, Size.Word)
                .LoadBigEndian16(R0, R3, 2)
                .Mov(R1, R0).Alu(AluOperation.Rsh, R1, 3)
                .If(JumpOperation.JNE, R1, 0, $"ext{i}_later")
                .Store(StackFrame.FragmentKind, (int)FragmentKind.Atomic, Size.Byte)
                .Comment("an atomic fragment (offset 0, M clear) is not a fragment (RFC 6946), but has a fragment header")
                .If(JumpOperation.JSet, R0, 1, $"ext{i}_first")
                .Mov(R1, 8).Goto($"ext{i}_advance")
                .Label($"ext{i}_first").Store(StackFrame.FragmentKind, (int)FragmentKind.First, Size.Byte)
                .Mov(R1, 8).Goto($"ext{i}_advance")
                .Label($"ext{i}_later")
                .Comment("a later fragment: what follows is payload, not a header, so the walk ends here")
                .Store(StackFrame.FragmentKind, (int)FragmentKind.Later, Size.Byte)
                .Store(StackFrame.Protocol, R2, Size.Byte)
                .Goto(Parsed)
                .Label($"ext{i}_advance")
                .Alu(AluOperation.Add, R5, R1).IfReg(JumpOperation.JGT, R5, R9, truncated)
                .Mov(R4, R2).Store(StackFrame.Protocol, R4, Size.Byte);
        }

        e.Label($"ext{MaxExtensionHeaders}").Comment("a fifth extension header: fail closed");
        ForgetOffset(e, truncated);
        EmitIsExtensionHeader(e, e.Early(VerdictReason.TooManyExtensionHeaders));
    }

    /// <summary>
    /// The largest offset an L4 header can have: Ethernet, IPv6 and four extension headers of the largest length
    /// (a routing header of length byte 255 is 2,048 bytes).
    /// </summary>
    public const int MaxL4Offset = EthernetHeaderLength + IPv6HeaderLength + (MaxExtensionHeaders * 2048);

    /// <summary>
    /// Makes the verifier forget what it knows of R5's range beyond [0, <see cref="MaxL4Offset"/>], by passing it
    /// through a stack slot it does not track (a 2-byte store at an offset not aligned to 8 is plain data to it). The
    /// paths through the headers give R5 different ranges (each kind of extension header adds its own), and states
    /// with different ranges are not pruned against each other: without this, the L4 parse would be walked once per
    /// combination of headers before it (4^4 of them). The bound can never be exceeded, so it changes no verdict.
    /// </summary>
    private static ProgramEmitter ForgetOffset(ProgramEmitter e, string truncated) =>
        e.Store(StackFrame.OffsetScratch, R5, Size.Half)
            .Load(R5, StackFrame.OffsetScratch, Size.Half)
            .If(JumpOperation.JGT, R5, MaxL4Offset, truncated);

    private static void EmitIsExtensionHeader(ProgramEmitter e, string label) =>
        e.If(JumpOperation.JEq, R4, NextHeaderHopByHop, label)
            .If(JumpOperation.JEq, R4, NextHeaderRouting, label)
            .If(JumpOperation.JEq, R4, NextHeaderDestinationOptions, label)
            .If(JumpOperation.JEq, R4, NextHeaderAuthentication, label)
            .If(JumpOperation.JEq, R4, NextHeaderFragment, label);

    /// <summary>r3 = data + r5 when <paramref name="length"/> bytes are there, within the datagram (r9) and the
    /// packet (r8); otherwise goes to <paramref name="otherwise"/>.</summary>
    private static ProgramEmitter Need(ProgramEmitter e, int length, string otherwise) =>
        e.Mov(R0, R5).Alu(AluOperation.Add, R0, length).IfReg(JumpOperation.JGT, R0, R9, otherwise)
            .Mov(R3, R7).Alu(AluOperation.Add, R3, R5)
            .Mov(R0, R3).Alu(AluOperation.Add, R0, length).IfReg(JumpOperation.JGT, R0, R8, otherwise);

    private static void EmitLayer4(ProgramEmitter e, string truncated)
    {
        e.Label("l4").Comment("L4, within the datagram");
        ForgetOffset(e, truncated)
            .Load(R4, StackFrame.Protocol, Size.Byte)
            .Load(R2, StackFrame.Family, Size.Byte)
            .If(JumpOperation.JEq, R4, IpProtocols.Tcp, "tcp")
            .If(JumpOperation.JEq, R4, IpProtocols.Udp, "udp")
            .If(JumpOperation.JEq, R4, IpProtocols.Sctp, "sctp")
            .If(JumpOperation.JEq, R4, IpProtocols.Icmp, "l4_icmp")
            .If(JumpOperation.JEq, R4, IpProtocols.IcmpV6, "l4_icmp6")
            .Comment("other protocols: no ports").Goto(Parsed)
            .Label("l4_icmp").If(JumpOperation.JEq, R2, FamilyIPv4, "icmp4").Goto(Parsed)
            .Label("l4_icmp6").If(JumpOperation.JEq, R2, FamilyIPv6, "icmp6").Goto(Parsed);

        e.Label("tcp").Comment("TCP: 20 bytes, data offset >= 5");
        Need(e, 20, truncated)
            .LoadBigEndian16(R1, R3, 0).Store(StackFrame.SourcePort, R1, Size.Half)
            .LoadBigEndian16(R1, R3, 2).Store(StackFrame.DestinationPort, R1, Size.Half)
            .Add(Instruction.LoadMem(R1, R3, 12, Size.Byte)).Alu(AluOperation.Rsh, R1, 4)
            .If(JumpOperation.JLT, R1, 5, e.Early(VerdictReason.MalformedL4Header))
            .Copy(StackFrame.TcpFlags, R3, 13, 1)
            .Goto(Parsed);
        e.Label("udp").Comment("UDP: 8 bytes");
        EmitPorts(Need(e, 8, truncated));
        e.Label("sctp").Comment("SCTP: 12 bytes");
        EmitPorts(Need(e, 12, truncated));

        EmitIcmp(e, "icmp4", truncated, Icmp4EchoRequest, Icmp4EchoReply,
            [Icmp4DestinationUnreachable, Icmp4TimeExceeded, Icmp4ParameterProblem], "embedded4");
        EmitIcmp(e, "icmp6", truncated, Icmp6EchoRequest, Icmp6EchoReply,
            [Icmp6DestinationUnreachable, Icmp6PacketTooBig, Icmp6TimeExceeded, Icmp6ParameterProblem], "embedded6");
        e.Label("echo").Comment("echo: both ports hold the identifier")
            .LoadBigEndian16(R1, R3, 4)
            .Store(StackFrame.SourcePort, R1, Size.Half)
            .Store(StackFrame.DestinationPort, R1, Size.Half)
            .Goto(Parsed);
    }

    private static void EmitPorts(ProgramEmitter e) =>
        e.LoadBigEndian16(R1, R3, 0).Store(StackFrame.SourcePort, R1, Size.Half)
            .LoadBigEndian16(R1, R3, 2).Store(StackFrame.DestinationPort, R1, Size.Half)
            .Goto(Parsed);

    private static void EmitIcmp(ProgramEmitter e, string label, string truncated, byte echoRequest, byte echoReply, byte[] errors, string embedded)
    {
        e.Label(label).Comment($"{label}: 8 bytes; type, code, and the identifier of echo");
        Need(e, 8, truncated)
            .Add(Instruction.LoadMem(R2, R3, 0, Size.Byte)).Store(StackFrame.IcmpType, R2, Size.Byte)
            .Copy(StackFrame.IcmpCode, R3, 1, 1)
            .If(JumpOperation.JEq, R2, echoRequest, $"{label}_request")
            .If(JumpOperation.JEq, R2, echoReply, $"{label}_reply");
        foreach (var error in errors)
        {
            e.If(JumpOperation.JEq, R2, error, $"{label}_error");
        }

        e.Store(StackFrame.IcmpKind, (int)IcmpKind.Other, Size.Byte).Goto(Parsed)
            .Label($"{label}_request").Store(StackFrame.IcmpKind, (int)IcmpKind.EchoRequest, Size.Byte).Goto("echo")
            .Label($"{label}_reply").Store(StackFrame.IcmpKind, (int)IcmpKind.EchoReply, Size.Byte).Goto("echo")
            .Label($"{label}_error").Store(StackFrame.IcmpKind, (int)IcmpKind.Error, Size.Byte)
            .Comment("the embedded packet starts after the 8-byte ICMP header").Alu(AluOperation.Add, R5, 8)
            .Goto(embedded);
    }

    /// <summary>The header an ICMP error carries (docs/datapath.md §4): what does not read is simply not related.</summary>
    private static void EmitEmbedded(ProgramEmitter e)
    {
        e.Label("embedded4").Comment("embedded IPv4: 20 bytes, version 4, IHL >= 5, offset 0, options skipped");
        Need(e, IPv4MinimumHeaderLength, Parsed)
            .Add(Instruction.LoadMem(R2, R3, 0, Size.Byte))
            .Mov(R1, R2).Alu(AluOperation.Rsh, R1, 4).If(JumpOperation.JNE, R1, 4, Parsed)
            .Alu(AluOperation.And, R2, 0x0f).If(JumpOperation.JLT, R2, 5, Parsed)
            .Alu(AluOperation.Lsh, R2, 2)
            .LoadBigEndian16(R1, R3, 6).Alu(AluOperation.And, R1, 0x1fff).If(JumpOperation.JNE, R1, 0, Parsed)
            .Copy(StackFrame.InnerProtocol, R3, 9, 1)
            .Copy(StackFrame.InnerSource, R3, 12, 4)
            .Copy(StackFrame.InnerDestination, R3, 16, 4)
            .Alu(AluOperation.Add, R5, R2)
            .Goto("embedded_l4");

        e.Label("embedded6").Comment("embedded IPv6: 40 bytes, version 6, followed directly by its L4 header");
        Need(e, IPv6HeaderLength, Parsed)
            .Add(Instruction.LoadMem(R2, R3, 0, Size.Byte)).Alu(AluOperation.Rsh, R2, 4).If(JumpOperation.JNE, R2, 6, Parsed)
            .Copy(StackFrame.InnerProtocol, R3, 6, 1)
            .Copy(StackFrame.InnerSource, R3, 8, 16)
            .Copy(StackFrame.InnerDestination, R3, 24, 16)
            .Alu(AluOperation.Add, R5, IPv6HeaderLength);

        e.Label("embedded_l4").Comment("its first 8 bytes: TCP, UDP or SCTP ports, or an echo identifier");
        Need(e, 8, Parsed)
            .Load(R1, StackFrame.InnerProtocol, Size.Byte)
            .Load(R2, StackFrame.Family, Size.Byte)
            .If(JumpOperation.JEq, R1, IpProtocols.Tcp, "embedded_ports")
            .If(JumpOperation.JEq, R1, IpProtocols.Udp, "embedded_ports")
            .If(JumpOperation.JEq, R1, IpProtocols.Sctp, "embedded_ports")
            .If(JumpOperation.JEq, R2, FamilyIPv6, "embedded_icmp6")
            .If(JumpOperation.JNE, R1, IpProtocols.Icmp, Parsed)
            .Add(Instruction.LoadMem(R2, R3, 0, Size.Byte))
            .If(JumpOperation.JEq, R2, Icmp4EchoRequest, "embedded_echo")
            .If(JumpOperation.JEq, R2, Icmp4EchoReply, "embedded_echo")
            .Goto(Parsed)
            .Label("embedded_icmp6")
            .If(JumpOperation.JNE, R1, IpProtocols.IcmpV6, Parsed)
            .Add(Instruction.LoadMem(R2, R3, 0, Size.Byte))
            .If(JumpOperation.JEq, R2, Icmp6EchoRequest, "embedded_echo")
            .If(JumpOperation.JEq, R2, Icmp6EchoReply, "embedded_echo")
            .Goto(Parsed)
            .Label("embedded_echo")
            .LoadBigEndian16(R1, R3, 4)
            .Store(StackFrame.InnerSourcePort, R1, Size.Half)
            .Store(StackFrame.InnerDestinationPort, R1, Size.Half)
            .Goto("embedded_valid")
            .Label("embedded_ports")
            .LoadBigEndian16(R1, R3, 0).Store(StackFrame.InnerSourcePort, R1, Size.Half)
            .LoadBigEndian16(R1, R3, 2).Store(StackFrame.InnerDestinationPort, R1, Size.Half)
            .Label("embedded_valid")
            .Store(StackFrame.InnerValid, 1, Size.Byte)
            .Goto(Parsed);
    }
}

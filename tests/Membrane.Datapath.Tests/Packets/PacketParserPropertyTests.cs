using CsCheck;
using Membrane.Datapath.Packets;

namespace Membrane.Datapath.Tests.Packets;

/// <summary>The parser reads hostile bytes: whatever the frame, it returns a reason and never throws.</summary>
public sealed class PacketParserPropertyTests
{
    private static readonly byte[][] Seeds =
    [
        PacketBuilder.Between("10.0.0.1", "10.0.0.2").Tcp(1, 2).Build(),
        PacketBuilder.Between("10.0.0.1", "10.0.0.2").IcmpError(3, 4, PacketBuilder.Between("10.0.0.2", "10.0.0.1").Udp(1, 2)).Build(),
        PacketBuilder.Between("fd00::1", "fd00::2").ExtensionHeader(0).ExtensionHeader(60).Udp(1, 2).Build(),
        PacketBuilder.Between("fd00::1", "fd00::2").IcmpError(2, 0, PacketBuilder.Between("fd00::2", "fd00::1").EchoRequest(1)).Build(),
        PacketBuilder.Between("fd00::1", "fd00::2").Fragment(1, 0, true).Tcp(1, 2).Build(),
    ];

    [Fact]
    public void TryParse_never_throws_on_random_bytes() =>
        Gen.Byte.Array[0, 200].Sample(bytes => { _ = PacketParser.TryParse(bytes, out _); }, iter: 20_000);

    /// <summary>Random bytes rarely get past the EtherType; valid packets with random bytes overwritten reach every branch.</summary>
    [Fact]
    public void TryParse_never_throws_on_mutated_valid_packets() =>
        Gen.Select(Gen.Int[0, Seeds.Length - 1], Gen.Select(Gen.Int[0, 150], Gen.Byte).Array[1, 8], Gen.Int[0, 200])
            .Sample((seed, changes, cut) =>
            {
                var frame = (byte[])Seeds[seed].Clone();
                foreach (var (at, value) in changes)
                {
                    if (at < frame.Length)
                    {
                        frame[at] = value;
                    }
                }

                _ = PacketParser.TryParse(frame.AsSpan(0, Math.Min(cut, frame.Length)), out _);
                _ = PacketParser.TryParse(frame, out _);
            }, iter: 20_000);
}

using Membrane.Datapath.Packets;

namespace Membrane.Datapath.Tests.Packets;

public sealed class PacketParserAllocationTests
{
    /// <summary>The parser is on the path of every replayed and traced packet: it must not allocate.</summary>
    [Fact]
    public void Parsing_allocates_nothing()
    {
        var frames = new[]
        {
            PacketBuilder.Between("10.0.0.1", "10.0.0.2").IPv4Options([1, 1, 1, 1]).Tcp(1, 2).Build(),
            PacketBuilder.Between("fd00::1", "fd00::2").ExtensionHeader(0).Fragment(1, 0, true).Udp(1, 2).Build(),
            PacketBuilder.Between("192.0.2.1", "10.0.0.2").IcmpError(3, 4, PacketBuilder.Between("10.0.0.2", "10.0.0.1").Tcp(1, 2)).Build(),
        };
        foreach (var frame in frames)
        {
            _ = PacketParser.TryParse(frame, out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            foreach (var frame in frames)
            {
                _ = PacketParser.TryParse(frame, out _);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

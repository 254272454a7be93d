using System.Net;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Twin;
using Membrane.Datapath.Writing;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Tests.Encoding;

/// <summary>
/// The ipcache holds what <see cref="IdentitySet.Lookup"/> says, whatever order identities came in: an endpoint's own
/// address is its endpoint identity even when a CIDR identity names the same host prefix; and the writer keeps the
/// map equal to that, removing what goes or changes before the switch and adding what comes after.
/// </summary>
public sealed class IpcacheEncoderTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_endpoints_own_address_is_its_identity_whichever_came_first(bool cidrFirst)
    {
        var identities = new IdentitySet();
        var address = IPAddress.Parse("10.0.0.5");
        Identity? endpoint = null;
        if (!cidrFirst)
        {
            endpoint = identities.AddEndpoint(LabelSet.Parse("k8s:app=a"), addresses: [address]);
        }

        var cidr = identities.AddCidr(new Cidr(address, 32));
        var wider = identities.AddCidr(new Cidr(IPAddress.Parse("10.0.0.0"), 24));
        endpoint ??= identities.AddEndpoint(LabelSet.Parse("k8s:app=a"), addresses: [address]);

        var entries = IpcacheEncoder.Encode(identities);
        Assert.Equal(endpoint.Id, entries[IpcacheKey.Host(address)].Identity);
        Assert.Equal(wider.Id, entries[IpcacheKey.Of(IPNetwork.Parse("10.0.0.0/24"))].Identity);
        Assert.Equal(endpoint.Id, identities.Lookup(address).Id);
        Assert.NotEqual(cidr.Id, endpoint.Id);

        // The twin, reading that ipcache, sees the endpoint as the engine does.
        var maps = new TwinMaps();
        var writer = new IpcacheWriter(maps);
        writer.AddMissing(entries);
        Assert.True(maps.Ipcache.TryLookup(new IpcacheKey { PrefixLength = DatapathConstants.IpcacheKeyBits, Family = 4, Address = IpAddress16.From(address) }, out var found));
        Assert.Equal(endpoint.Id, found.Identity);
    }

    [Fact]
    public void The_writer_removes_what_goes_or_changes_and_adds_what_comes_and_can_put_back_what_it_removed()
    {
        var maps = new TwinMaps();
        var writer = new IpcacheWriter(maps);
        var (a, b, c) = (IpcacheKey.Host(IPAddress.Parse("10.0.0.1")), IpcacheKey.Host(IPAddress.Parse("10.0.0.2")), IpcacheKey.Host(IPAddress.Parse("10.0.0.3")));
        writer.AddMissing(new Dictionary<IpcacheKey, IpcacheValue> { [a] = new() { Identity = 300 }, [b] = new() { Identity = 301 } });

        var next = new Dictionary<IpcacheKey, IpcacheValue> { [a] = new() { Identity = 300 }, [b] = new() { Identity = 999 }, [c] = new() { Identity = 302 } };
        Assert.Equal([b], writer.Stale(next));
        var removed = writer.RemoveStale(next);
        Assert.Equal(1, maps.Ipcache.Count); // b is gone (it changes), a stays, c is not there yet
        writer.Restore(removed);
        Assert.Equal(301u, writer.Entries[b].Identity);

        writer.RemoveStale(next);
        writer.AddMissing(next);
        Assert.Equal(3, maps.Ipcache.Count);
        Assert.Empty(writer.Stale(next));
        Assert.Empty(writer.Missing(next));
        Assert.Equal(999u, writer.Entries[b].Identity);
    }
}

using System.Net;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Tests.Identities;

public sealed class IdentitySetTests
{
    private static readonly LabelSet Web = LabelSet.Parse("k8s:app=web");

    public static TheoryData<uint?, string, string> Refused() => new()
    {
        { 2, "", "endpoint identities are numbered 256 to 16777215; 1 to 255 are reserved identities, and 0 means any peer" },
        { 1u << 24, "", "endpoint identities are numbered 256 to 16777215; 16777216 and above are the node's CIDR identities" },
        { 300, "", "identity 300 is already taken by k8s:app=db" },
        { null, "10.0.0.1", "the address 10.0.0.1 already belongs to identity 300 (k8s:app=db)" },
    };

    /// <summary>Its messages reach users (an API, a CLI): Membrane's words, never .NET's "(Parameter 'id')".</summary>
    [Theory]
    [MemberData(nameof(Refused))]
    public void Refusals_are_argument_errors_in_plain_words(uint? id, string address, string message)
    {
        var set = new IdentitySet();
        set.AddEndpoint(LabelSet.Parse("k8s:app=db"), 300, [IPAddress.Parse("10.0.0.1")]);

        var error = Assert.Throws<ArgumentException>(() => set.AddEndpoint(Web, id, address.Length == 0 ? null : [IPAddress.Parse(address)]));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void An_empty_label_set_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new IdentitySet().AddEndpoint(LabelSet.Empty));
        Assert.Equal("an endpoint identity needs at least one label", error.Message);
    }

    [Fact]
    public void Removing_an_identity_frees_its_labels_and_addresses()
    {
        var set = new IdentitySet();
        var pod = LabelSet.Parse("k8s:app=web,k8s:io.kubernetes.pod.namespace=shop");
        var web = set.AddEndpoint(pod, addresses: [IPAddress.Parse("10.0.0.1")]);

        Assert.Same(web, set.Lookup(IPAddress.Parse("10.0.0.1")));
        Assert.True(set.Remove(web.Id));
        Assert.Null(set.Find(pod));
        Assert.Same(ReservedIdentities.WorldIPv4, set.Lookup(IPAddress.Parse("10.0.0.1")));
        Assert.NotSame(web, set.AddEndpoint(pod, addresses: [IPAddress.Parse("10.0.0.1")]));
    }

    [Fact]
    public void Lookup_prefers_the_endpoint_then_the_longest_prefix()
    {
        var set = new IdentitySet();
        var wide = set.AddCidr(Prefix("10.0.0.0/8"));
        var narrow = set.AddCidr(Prefix("10.1.0.0/16"));
        var web = set.AddEndpoint(Web, addresses: [IPAddress.Parse("10.1.0.5")]);

        Assert.Equal((web, narrow, wide), (set.Lookup(IPAddress.Parse("10.1.0.5")), set.Lookup(IPAddress.Parse("10.1.0.6")), set.Lookup(IPAddress.Parse("10.2.0.1"))));
        Assert.Same(ReservedIdentities.WorldIPv6, set.Lookup(IPAddress.Parse("fd00::1")));
    }

    [Fact]
    public void The_set_publishes_each_change_in_order_and_a_repeat_is_no_change()
    {
        var set = new IdentitySet();
        var changes = new List<IdentityChange>();
        set.Changed += changes.Add;

        var web = set.AddEndpoint(Web);
        set.AddEndpoint(Web);
        var cidr = set.AddCidr(Prefix("10.0.0.0/8"));
        set.Remove(web.Id);

        Assert.Equal([IdentityChange.Add(web), IdentityChange.Add(cidr), IdentityChange.Remove(web)], changes);
    }

    [Fact]
    public void A_reserved_identity_cannot_be_removed_and_stays()
    {
        var set = new IdentitySet();
        var changes = new List<IdentityChange>();
        set.Changed += changes.Add;

        Assert.False(set.Remove(ReservedIdentities.WorldIPv4.Id));
        Assert.Same(ReservedIdentities.WorldIPv4, set[ReservedIdentities.WorldIPv4.Id]);
        Assert.Empty(changes);
    }

    private static Cidr Prefix(string text) => Cidr.TryParse(text, allowBareAddress: false, out var cidr, out var error) ? cidr : throw new FormatException(error);

    [Fact]
    public void Endpoints_with_the_same_labels_share_an_identity_each_with_its_own_addresses()
    {
        var set = new IdentitySet();
        var first = set.AddEndpoint(Web, addresses: [IPAddress.Parse("10.0.0.1")]);
        var second = set.AddEndpoint(Web, addresses: [IPAddress.Parse("10.0.0.2")]);
        Assert.Equal(first.Id, second.Id);
        Assert.Single(second.Addresses); // AddEndpoint returns the existing identity as it is

        var both = set.AddAddresses(first.Id, [IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.2")]);
        Assert.Equal(["10.0.0.1", "10.0.0.2"], both.Addresses.Select(a => a.ToString()));
        Assert.Equal(first.Id, set.Lookup(IPAddress.Parse("10.0.0.2")).Id);
        Assert.Same(both, set.Find(both.Labels) ?? set[first.Id]);

        var other = set.AddEndpoint(LabelSet.Parse("k8s:app=db"), addresses: [IPAddress.Parse("10.0.0.9")]);
        Assert.Contains("already belongs to identity", Assert.Throws<ArgumentException>(() => set.AddAddresses(first.Id, [IPAddress.Parse("10.0.0.9")])).Message);
        Assert.Throws<ArgumentException>(() => set.AddAddresses(ReservedIdentities.World.Id, [IPAddress.Parse("10.0.0.3")]));

        var left = set.RemoveAddresses(first.Id, [IPAddress.Parse("10.0.0.1")]);
        Assert.Equal(["10.0.0.2"], left.Addresses.Select(a => a.ToString()));
        Assert.Equal(ReservedIdentities.WorldIPv4.Id, set.Lookup(IPAddress.Parse("10.0.0.1")).Id);
        Assert.Equal(other.Id, set.Lookup(IPAddress.Parse("10.0.0.9")).Id);
    }
}

using Membrane.Netlink.Namespaces;

namespace Membrane.Netlink.Tests.Support;

/// <summary>
/// The named namespaces one test creates, through the library. Dispose deletes every one, even after one fails, and
/// throws when any is left, so a leftover fails the test instead of going unnoticed. Deleting a namespace destroys
/// the interfaces in it, and so both ends of every veth pair that has an end there.
/// </summary>
internal sealed class TestNamespaces : IDisposable
{
    private readonly List<NetworkNamespace> created = [];

    public NetworkNamespace Create(string kind)
    {
        var networkNamespace = NetworkNamespace.Create(TestNames.Unique(kind));
        created.Add(networkNamespace);
        return networkNamespace;
    }

    public void Dispose()
    {
        var failures = new List<Exception>();
        foreach (var networkNamespace in created)
        {
            try
            {
                networkNamespace.Dispose();
                if (NetworkNamespace.Exists(networkNamespace.Name!))
                {
                    NetworkNamespace.Delete(networkNamespace.Name!);
                }
            }
            catch (Exception exception)
            {
                failures.Add(exception);
            }
        }

        created.Clear();
        if (failures.Count > 0)
        {
            throw new AggregateException("could not remove the test's network namespaces; remove them with ip netns del", failures);
        }
    }
}

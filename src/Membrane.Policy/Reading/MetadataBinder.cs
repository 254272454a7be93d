using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;

namespace Membrane.Policy.Reading;

/// <summary>Binds Kubernetes object metadata; fields that policy does not use are accepted as they are.</summary>
internal static class MetadataBinder
{
    public static ObjectMetadata Bind(MappingReader r)
    {
        var metadata = new ObjectMetadata
        {
            Position = r.Position,
            Name = r.String("name", strict: true),
            Namespace = r.String("namespace", strict: true),
            Labels = r.Map("labels"),
            Annotations = r.Map("annotations"),
        };
        r.Ignore("generateName", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
            "deletionGracePeriodSeconds", "ownerReferences", "finalizers", "managedFields", "selfLink");
        if (r.Scalar("description") is { } description)
        {
            r.Diagnostics.Warning(FieldErrorKind.Ineffective, FieldPath.Child(r.Path, "description"), description.Position,
                "description is not a field of object metadata; Kubernetes prunes it", hint: "move it to spec.description", code: "MBR1036");
        }

        return r.Finish(metadata);
    }
}

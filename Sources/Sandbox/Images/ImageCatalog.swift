/// Sandcastle's own images and how short names map to them.
public struct ImageCatalog: Sendable {
    /// The images `sandcastle images build` makes, in build order (each may build on the ones before).
    public static let shipped = ["base", "python", "node", "agent"]
    public static let repositoryPrefix = "sandcastle/"

    public init() {}

    /// `python` → `sandcastle/python:latest`; anything with a `/` or `:` is taken as given.
    public func resolve(_ name: String) -> String {
        Self.shipped.contains(name) ? Self.reference(for: name) : name
    }

    public static func reference(for name: String) -> String {
        "\(repositoryPrefix)\(name):latest"
    }
}

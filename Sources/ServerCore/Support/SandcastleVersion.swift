/// The version this build reports (`sandcastle --version`, `GET /api/runtime`).
public enum SandcastleVersion {
    public static let current = "0.1.0"
}

import DockerEngine
import Sandbox

extension DockerSandboxBackend {
    /// Removes a run's shared workspace volume (named volumes outlive their sandboxes on
    /// purpose, so the engine removes it when the run ends). A volume that is already gone is fine.
    public func removeWorkspaceVolume(named name: String) async {
        do {
            try await docker.removeVolume(name: name, force: true)
        } catch let error as DockerError where error.code == .notFound {
            return
        } catch {
            // A cleanup problem must not turn a finished run into a failed one; `sandcastle doctor`
            // finds leftovers by the managed label.
            return
        }
    }
}

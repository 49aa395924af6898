import DockerEngine
import Sandbox

extension IsolationProfile {
    /// The complete HostConfig for a sandbox under this profile.
    ///
    /// Nothing from the host is mounted: the workspace is a Docker volume (anonymous and
    /// removed with the container unless a named workspace is asked for), and the
    /// engine's socket is never reachable from inside.
    public func hostConfig(workspace: String? = nil, workspaceLabels: [String: String] = [:]) -> HostConfig {
        var config = HostConfig()
        config.capDrop = ["ALL"]
        config.capAdd = addedCapabilities.isEmpty ? nil : addedCapabilities
        var securityOptions = ["seccomp=\(seccompJSON)"]
        if noNewPrivileges { securityOptions.append("no-new-privileges:true") }
        config.securityOpt = securityOptions
        config.privileged = false
        config.readonlyRootfs = readOnlyRootFilesystem
        config.tmpfs = Dictionary(uniqueKeysWithValues: tmpfs.map { ($0.path, $0.dockerOptions) })
        config.mounts = [
            Mount(
                type: .volume, source: workspace, target: "/workspace", readOnly: false,
                volumeOptions: VolumeOptions(noCopy: false, labels: workspaceLabels))
        ]
        config.pidsLimit = pidsLimit
        config.memory = memoryBytes
        // Equal to Memory: no swap on top of the limit, so the limit is the limit.
        config.memorySwap = memoryBytes
        config.nanoCpus = nanoCPUs
        config.networkMode = network.rawValue
        config.ipcMode = "private"
        // nil keeps Docker's defaults; a list replaces them, so profiles send Docker's plus their extras.
        config.maskedPaths = maskedPaths
        config.readonlyPaths = readonlyPaths
        config.ulimits = ulimits.map { Ulimit(name: $0.name, soft: $0.soft, hard: $0.hard) }
        // Frames on stdout would otherwise be written to the engine's log files too.
        config.logConfig = LogConfig(type: "none", config: [:])
        config.initProcess = false
        config.autoRemove = false
        return config
    }
}

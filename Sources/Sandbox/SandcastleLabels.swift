/// Every label Sandcastle puts on what it creates, in one namespace, so a sweep or a person
/// reading `docker inspect` finds them all. Objects carry ``managed`` always, plus the labels of
/// whoever made them: a sandbox, the warm pool, a workflow run, the server.
public enum SandcastleLabels {
    /// On everything Sandcastle creates (`true`): `sandcastle doctor` and the tests find leftovers by it.
    public static let managed = "sandcastle.managed"
    /// The sandbox id of a sandbox's container and its own workspace volume.
    public static let sandbox = "sandcastle.sandbox"
    /// The isolation profile a sandbox runs under.
    public static let profile = "sandcastle.profile"
    /// On built images: the hash of what went into them, so an unchanged build is skipped.
    public static let contentKey = "sandcastle.content-key"

    /// On every container the warm pool creates (`true`). The label is set at create time and
    /// cannot change afterwards, so a sandbox that was handed out still carries it: whoever
    /// hands sandboxes out (the server's database) is the source of truth for which pooled
    /// containers are in use; the label only says where a container came from.
    public static let pool = "sandcastle.pool"
    /// The pool target (`<image>|<profile>`) a pooled container was made for.
    public static let poolTarget = "sandcastle.pool.target"

    /// The workflow run a sandbox (or a helper container) belongs to: what cancel and resume sweep.
    public static let run = "sandcastle.run"
    /// The step of the run a sandbox was made for.
    public static let step = "sandcastle.step"
    /// The `session:` name of a sandbox kept across steps.
    public static let session = "sandcastle.session"
    /// The process executing the workflow run that made a sandbox (`host pid start-ticks`, as
    /// Engine's `ProcessOwner` writes it). Once that process is gone nobody uses the sandbox
    /// again (a resume makes new ones), so a sweep may remove it without asking any database.
    public static let process = "sandcastle.process"

    /// A one-shot agent's sandbox (`sandcastle agent`, `POST /query`): the session id. The sandbox
    /// lives exactly as long as that session.
    public static let agentSession = "sandcastle.agent-session"

    /// The server instance that owns a sandbox container (its data folder's identity).
    public static let server = "sandcastle.server"
    /// Marks a server's named workspace volume, with the name its owner calls it (names are per
    /// owner; the volume's own name is derived from both).
    public static let workspace = "sandcastle.workspace"
    /// The API key id that created a workspace (`open` in open mode): the workspace is that key's
    /// alone, and other keys cannot see it.
    public static let owner = "sandcastle.owner"
}

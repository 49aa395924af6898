import Crypto
import Foundation
import Sandbox

/// A named workspace as one API key (tenant) knows it. Names are per key: two keys can each
/// have a workspace `data`, and a key never reaches, nor learns of, a volume it does not own.
///
/// Docker's volume names are global, so the volume behind a workspace has a name derived from
/// its owner and name (``volumeName``) and carries the labels that say whose it is. A workspace
/// made before names were scoped lives on in a volume called by the bare name, with the same
/// labels; it is found there (``legacyVolumeName``) and keeps working as it was.
package struct OwnedWorkspace: Sendable, Hashable {
    /// The API key id, or `open` when the server has no keys (one scope for everyone).
    package let owner: String
    package let name: String

    /// The rule every workspace name follows, wherever it enters (the native and Sandkasten
    /// routes, a sandbox's `workspace`).
    package static let nameRule = "1-64 letters, digits, '_', '.', '-', starting with a letter or digit"
    /// ``nameRule`` as a regular expression (also the OpenAPI document's `pattern`).
    package static let namePattern = #"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"#
    static let volumePrefix = "sandcastle-ws-"

    /// A name a client sent: `400 invalid_input` naming the rule when it breaks it.
    package init(validating name: String, keyID: String?) throws {
        try Self.validate(name)
        self.init(name: name, keyID: keyID)
    }

    /// A name checked before (a sandbox record's).
    package init(name: String, keyID: String?) {
        self.owner = Self.owner(keyID)
        self.name = name
    }

    package static func validate(_ name: String) throws {
        // Byte by byte rather than by regular expression: ICU's `$` also matches before a final
        // newline, and "a\n" must not reach Docker as part of a volume name.
        func isLetterOrDigit(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, isLetterOrDigit(first), bytes.count <= 64,
            bytes.allSatisfy({ isLetterOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else {
            throw ServerError(.invalidInput, "workspace names are \(nameRule), not '\(name)'")
        }
    }

    package static func owner(_ keyID: String?) -> String { keyID ?? "open" }

    /// `sandcastle-ws-<owner digest>-<name>`: the owner part keeps two keys' names apart (the
    /// labels, not the digest, decide access), the prefix keeps workspaces clear of every other
    /// volume, and it is always a valid Docker volume name, even for a one-character workspace.
    package var volumeName: String {
        let digest = SHA256.hash(data: Data(owner.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        return "\(Self.volumePrefix)\(digest)-\(name)"
    }

    /// The volume a workspace made before names were scoped per key is called by.
    package var legacyVolumeName: String { name }

    /// The labels its volume carries besides the managed one.
    package var labels: [String: String] {
        [SandcastleLabels.workspace: name, SandcastleLabels.owner: owner]
    }

    /// Whether `volume` is this workspace's: one of its two names, and Sandcastle's labels saying
    /// this owner and this name. Any other volume, whoever made it, is not there as far as the key knows.
    package func isBacked(by volume: WorkspaceListing) -> Bool {
        (volume.name == volumeName || volume.name == legacyVolumeName)
            && volume.labels[SandcastleLabels.managed] == "true"
            && volume.labels[SandcastleLabels.workspace] == name
            && volume.labels[SandcastleLabels.owner] == owner
    }
}

extension WorkspaceInfo {
    /// What the API shows: the key's own name for it, not the volume's.
    init(_ workspace: OwnedWorkspace, volume: WorkspaceListing) {
        self.init(name: workspace.name, createdAt: volume.createdAt, labels: volume.labels)
    }
}

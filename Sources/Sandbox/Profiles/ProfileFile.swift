import Foundation
import Seccomp

/// The on-disk format of an isolation profile (`seccomp/profiles/<name>.json`), documented
/// in `seccomp/README.md`. Decoding is strict: an unknown key is an error, so a typo cannot
/// silently fall back to a weaker default.
struct ProfileFile: Decodable {
    var name: String?
    /// Another profile whose values this one starts from (top-level keys replace, `limits` merges per key).
    var extends: String?
    var description: String?
    var comment: String?
    /// The seccomp filter, relative to this file's folder (or to the shipped `seccomp/` folder), or absolute.
    var seccomp: String?
    var capabilities: CapabilitySection?
    var user: String?
    var readOnlyRootFilesystem: Bool?
    var noNewPrivileges: Bool?
    var tmpfs: [TmpfsEntry]?
    var limits: Limits?
    var network: String?
    var extraMaskedPaths: [String]?
    var extraReadonlyPaths: [String]?
    var ulimits: [UlimitEntry]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, extends, description, comment, seccomp, capabilities, user, readOnlyRootFilesystem, noNewPrivileges
        case tmpfs, limits, network, extraMaskedPaths, extraReadonlyPaths, ulimits
    }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        extends = try c.decodeIfPresent(String.self, forKey: .extends)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        comment = try c.decodeIfPresent(String.self, forKey: .comment)
        seccomp = try c.decodeIfPresent(String.self, forKey: .seccomp)
        capabilities = try c.decodeIfPresent(CapabilitySection.self, forKey: .capabilities)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        readOnlyRootFilesystem = try c.decodeIfPresent(Bool.self, forKey: .readOnlyRootFilesystem)
        noNewPrivileges = try c.decodeIfPresent(Bool.self, forKey: .noNewPrivileges)
        tmpfs = try c.decodeIfPresent([TmpfsEntry].self, forKey: .tmpfs)
        limits = try c.decodeIfPresent(Limits.self, forKey: .limits)
        network = try c.decodeIfPresent(String.self, forKey: .network)
        extraMaskedPaths = try c.decodeIfPresent([String].self, forKey: .extraMaskedPaths)
        extraReadonlyPaths = try c.decodeIfPresent([String].self, forKey: .extraReadonlyPaths)
        ulimits = try c.decodeIfPresent([UlimitEntry].self, forKey: .ulimits)
    }

    /// This file's values on top of `base`'s.
    func merged(onto base: ProfileFile) -> ProfileFile {
        var result = base
        result.name = name
        result.extends = nil
        result.description = description ?? base.description
        result.comment = comment ?? base.comment
        result.seccomp = seccomp ?? base.seccomp
        result.capabilities = capabilities ?? base.capabilities
        result.user = user ?? base.user
        result.readOnlyRootFilesystem = readOnlyRootFilesystem ?? base.readOnlyRootFilesystem
        result.noNewPrivileges = noNewPrivileges ?? base.noNewPrivileges
        result.tmpfs = tmpfs ?? base.tmpfs
        if let limits {
            var merged = base.limits ?? Limits()
            merged.pids = limits.pids ?? merged.pids
            merged.memory = limits.memory ?? merged.memory
            merged.cpus = limits.cpus ?? merged.cpus
            result.limits = merged
        }
        result.network = network ?? base.network
        result.extraMaskedPaths = extraMaskedPaths ?? base.extraMaskedPaths
        result.extraReadonlyPaths = extraReadonlyPaths ?? base.extraReadonlyPaths
        result.ulimits = ulimits ?? base.ulimits
        return result
    }

    struct CapabilitySection: Decodable {
        var add: [String]
        var comment: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case add, comment }

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            add = try c.decodeIfPresent([String].self, forKey: .add) ?? []
            comment = try c.decodeIfPresent(String.self, forKey: .comment)
        }
    }

    struct TmpfsEntry: Decodable {
        var path: String
        var size: ByteSize
        var options: [String]
        var comment: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case path, size, options, comment }

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decode(String.self, forKey: .path)
            size = try c.decode(ByteSize.self, forKey: .size)
            options = try c.decodeIfPresent([String].self, forKey: .options) ?? []
            comment = try c.decodeIfPresent(String.self, forKey: .comment)
        }
    }

    struct Limits: Decodable {
        var pids: Int64?
        var memory: ByteSize?
        /// CPUs, fractional (0.5 = half a CPU).
        var cpus: Double?
        var comment: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case pids, memory, cpus, comment }

        init() {}

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            pids = try c.decodeIfPresent(Int64.self, forKey: .pids)
            memory = try c.decodeIfPresent(ByteSize.self, forKey: .memory)
            cpus = try c.decodeIfPresent(Double.self, forKey: .cpus)
            comment = try c.decodeIfPresent(String.self, forKey: .comment)
        }
    }

    struct UlimitEntry: Decodable {
        var name: String
        var soft: Int64
        var hard: Int64
        var comment: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case name, soft, hard, comment }

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            soft = try c.decode(Int64.self, forKey: .soft)
            hard = try c.decode(Int64.self, forKey: .hard)
            comment = try c.decodeIfPresent(String.self, forKey: .comment)
        }
    }
}

/// A size in bytes, written as a number of bytes or with a binary unit: `512MiB`, `1GiB`, `64k`.
struct ByteSize: Decodable {
    var bytes: Int64

    init(bytes: Int64) { self.bytes = bytes }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            bytes = number
            return
        }
        let text = try container.decode(String.self)
        guard let parsed = Self.parse(text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "'\(text)' is not a size; write e.g. 1073741824, \"512MiB\" or \"1GiB\""))
        }
        bytes = parsed
    }

    static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber }
        guard let value = Int64(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multiplier: Int64
        switch unit {
        case "", "b": multiplier = 1
        case "k", "kib", "kb": multiplier = 1 << 10
        case "m", "mib", "mb": multiplier = 1 << 20
        case "g", "gib", "gb": multiplier = 1 << 30
        default: return nil
        }
        let (result, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : result
    }

    /// `268435456` → `256 MiB`, for reports.
    static func render(_ bytes: Int64) -> String {
        for (unit, size) in [("GiB", Int64(1) << 30), ("MiB", Int64(1) << 20), ("KiB", Int64(1) << 10)] where bytes >= size && bytes % size == 0 {
            return "\(bytes / size) \(unit)"
        }
        return "\(bytes) B"
    }
}

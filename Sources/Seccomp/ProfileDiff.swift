/// A syscall allowed by one profile and not at all by the other.
public struct OneSidedAllowance: Sendable, Hashable, Codable {
    public var name: String
    /// How the allowing profile treats it (`allowed` or `argument-filtered`).
    public var disposition: Disposition
    /// When argument-filtered, the condition under which it is allowed.
    public var condition: String?
}

/// A syscall that at least one profile filters by argument, compared on witness arguments.
public struct ArgumentFilterComparison: Sendable, Hashable, Codable {
    public var name: String
    public var conditionA: String
    public var conditionB: String
    /// Arguments A allows and B denies (nil: none found among the witnesses).
    public var allowedOnlyByA: [UInt64]?
    public var allowedOnlyByB: [UInt64]?
    /// How many argument vectors were tried.
    public var witnessCount: Int

    public var identical: Bool { allowedOnlyByA == nil && allowedOnlyByB == nil }
}

/// Two profiles that both refuse a call, but differently (e.g. ENOSYS against EPERM).
public struct DenialDifference: Sendable, Hashable, Codable {
    public var name: String
    public var actionA: Action
    public var actionB: Action
}

/// What one profile allows that another does not, syscall by syscall.
///
/// Names are compared as the daemon expands both profiles for one context (architecture,
/// capabilities, kernel). A call allowed in one and argument-filtered in the other is
/// compared on witness arguments (every boundary of every condition, single bits of
/// masks), so a looser filter shows up with an argument vector that proves it.
public struct ProfileDiff: Sendable, Codable {
    public var nameA: String
    public var nameB: String
    public var context: EvaluationContext
    /// Allowed (for all or some arguments) by A, blocked whatever the arguments by B.
    public var allowedOnlyInA: [OneSidedAllowance]
    public var allowedOnlyInB: [OneSidedAllowance]
    /// Every name argument-filtered in at least one profile and allowed for some arguments by both.
    public var argumentFiltered: [ArgumentFilterComparison]
    public var differentDenials: [DenialDifference]

    /// Names A lets through in cases B does not: `allowedOnlyInA` plus looser argument filters.
    public var looserInA: [String] {
        (allowedOnlyInA.map(\.name) + argumentFiltered.filter { $0.allowedOnlyByA != nil }.map(\.name)).sorted()
    }

    /// Names B lets through in cases A does not.
    public var looserInB: [String] {
        (allowedOnlyInB.map(\.name) + argumentFiltered.filter { $0.allowedOnlyByB != nil }.map(\.name)).sorted()
    }

    /// Compares two profiles in one context.
    public init(
        _ a: SeccompProfile, named nameA: String, _ b: SeccompProfile, named nameB: String,
        context: EvaluationContext = .host()
    ) {
        self.nameA = nameA
        self.nameB = nameB
        self.context = context
        let left = a.expanded(for: context)
        let right = b.expanded(for: context)
        var universe = left.names.union(right.names)
        if left.defaultAction.allowsCall || right.defaultAction.allowsCall {
            // A denylist allows every name it does not list, so every name must be compared.
            universe.formUnion(SyscallTable.allNames(architectures: left.architectures + right.architectures))
            universe.formUnion(SyscallTable.newerThanLibseccomp.keys)
        }
        var onlyA: [OneSidedAllowance] = [], onlyB: [OneSidedAllowance] = []
        var filtered: [ArgumentFilterComparison] = []
        var denials: [DenialDifference] = []
        for name in universe.sorted() {
            let dispositionA = left.disposition(of: name)
            let dispositionB = right.disposition(of: name)
            switch (dispositionA, dispositionB) {
            case (.blocked, .blocked):
                let actionA = left.unconditionalAction(for: name), actionB = right.unconditionalAction(for: name)
                if let actionA, let actionB, actionA != actionB {
                    denials.append(DenialDifference(name: name, actionA: actionA, actionB: actionB))
                }
            case (.allowed, .allowed):
                continue
            case (_, .blocked):
                onlyA.append(
                    OneSidedAllowance(
                        name: name, disposition: dispositionA,
                        condition: dispositionA == .argumentFiltered ? left.allowCondition(for: name) : nil))
            case (.blocked, _):
                onlyB.append(
                    OneSidedAllowance(
                        name: name, disposition: dispositionB,
                        condition: dispositionB == .argumentFiltered ? right.allowCondition(for: name) : nil))
            default:
                filtered.append(Self.compareArguments(name, left, right))
            }
        }
        allowedOnlyInA = onlyA
        allowedOnlyInB = onlyB
        argumentFiltered = filtered
        differentDenials = denials
    }

    static func compareArguments(_ name: String, _ left: ExpandedProfile, _ right: ExpandedProfile) -> ArgumentFilterComparison {
        let conditions = ((left.rulesByName[name] ?? []).map { left.rules[$0] } + (right.rulesByName[name] ?? []).map { right.rules[$0] })
            .flatMap(\.conditionSets).flatMap { $0 }
        let witnesses = Self.witnesses(for: conditions)
        var onlyLeft: [UInt64]?, onlyRight: [UInt64]?
        for arguments in witnesses {
            let a = left.action(for: name, arguments: arguments).allowsCall
            let b = right.action(for: name, arguments: arguments).allowsCall
            if a && !b && onlyLeft == nil { onlyLeft = arguments }
            if b && !a && onlyRight == nil { onlyRight = arguments }
        }
        return ArgumentFilterComparison(
            name: name, conditionA: left.allowCondition(for: name), conditionB: right.allowCondition(for: name),
            allowedOnlyByA: onlyLeft, allowedOnlyByB: onlyRight, witnessCount: witnesses.count)
    }

    /// Argument vectors that sit on every boundary of the given conditions, varying one argument at a time.
    public static func witnesses(for conditions: [ArgumentCondition]) -> [[UInt64]] {
        var perIndex: [UInt: Set<UInt64>] = [:]
        for condition in conditions where condition.index < 6 {
            var values: Set<UInt64> = [
                0, 1, 0xffff_ffff, 0x1_0000_0000, .max, condition.value,
                condition.value &- 1, condition.value &+ 1,
            ]
            if condition.comparison == .maskedEqual {
                let two = condition.valueTwo ?? 0
                values.formUnion([two, condition.value | two, two &- 1, two &+ 1])
                for bit in 0..<64 where condition.value & (1 << UInt64(bit)) != 0 {
                    values.insert(two ^ (1 << UInt64(bit)))
                    values.insert(1 << UInt64(bit))
                }
            }
            perIndex[condition.index, default: []].formUnion(values)
        }
        var result: [[UInt64]] = [[0, 0, 0, 0, 0, 0]]
        for (index, values) in perIndex.sorted(by: { $0.key < $1.key }) {
            for value in values.sorted() {
                var arguments: [UInt64] = [0, 0, 0, 0, 0, 0]
                arguments[Int(index)] = value
                result.append(arguments)
            }
        }
        return result
    }
}

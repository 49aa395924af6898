/// `struct seccomp_data`: what a seccomp filter sees of a call.
public struct SeccompData: Sendable, Hashable {
    public var number: Int32
    /// `AUDIT_ARCH_*`.
    public var architecture: UInt32
    public var instructionPointer: UInt64
    /// The six register arguments; missing ones are 0.
    public var arguments: [UInt64]

    public init(number: Int32, architecture: UInt32, instructionPointer: UInt64 = 0, arguments: [UInt64] = []) {
        self.number = number
        self.architecture = architecture
        self.instructionPointer = instructionPointer
        self.arguments = arguments
    }

    /// The 32-bit word at a byte offset, as `BPF_LD|BPF_W|BPF_ABS` reads it (host byte order, little-endian here).
    func word(at offset: UInt32) -> UInt32? {
        switch offset {
        case 0: return UInt32(bitPattern: number)
        case 4: return architecture
        case 8: return UInt32(truncatingIfNeeded: instructionPointer)
        case 12: return UInt32(truncatingIfNeeded: instructionPointer >> 32)
        case 16..<64 where offset % 4 == 0:
            let index = Int(offset - 16) / 8
            let argument = index < arguments.count ? arguments[index] : 0
            return offset % 8 == 0 ? UInt32(truncatingIfNeeded: argument) : UInt32(truncatingIfNeeded: argument >> 32)
        default: return nil
        }
    }
}

/// A classic-BPF interpreter for seccomp programs: runs a compiled filter on a call without
/// installing it, so tests and `action(for:)` can check what the kernel would do.
///
/// Implements the instruction subset the kernel accepts for seccomp (`seccomp_check_filter`).
public struct BPFInterpreter: Sendable {
    struct Instruction {
        var code: UInt16
        var jt: UInt8
        var jf: UInt8
        var k: UInt32
    }

    let program: [Instruction]

    /// `program` is the raw `sock_filter` array (8 bytes per instruction, host byte order).
    public init(program bytes: [UInt8]) {
        var instructions: [Instruction] = []
        instructions.reserveCapacity(bytes.count / 8)
        var offset = 0
        while offset + 8 <= bytes.count {
            let code = UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
            let k =
                UInt32(bytes[offset + 4]) | UInt32(bytes[offset + 5]) << 8 | UInt32(bytes[offset + 6]) << 16
                | UInt32(bytes[offset + 7]) << 24
            instructions.append(Instruction(code: code, jt: bytes[offset + 2], jf: bytes[offset + 3], k: k))
            offset += 8
        }
        program = instructions
    }

    /// The filter's return value for `data`.
    public func run(_ data: SeccompData) throws -> UInt32 {
        var a: UInt32 = 0
        var x: UInt32 = 0
        var memory = [UInt32](repeating: 0, count: 16)
        var pc = 0
        func fail(_ why: String) -> SeccompError {
            SeccompError(.internal, "BPF program: \(why) at instruction \(pc)")
        }
        while pc < program.count {
            let instruction = program[pc]
            let k = instruction.k
            pc += 1
            switch instruction.code & 0x07 {
            case 0x00: // BPF_LD
                switch instruction.code {
                case 0x20: // LD W ABS
                    guard let word = data.word(at: k) else { throw fail("read outside seccomp_data (offset \(k))") }
                    a = word
                case 0x80: a = 64 // LD W LEN
                case 0x00: a = k // LD IMM
                case 0x60: // LD MEM
                    guard k < 16 else { throw fail("scratch index \(k)") }
                    a = memory[Int(k)]
                default: throw fail("unsupported load 0x\(String(instruction.code, radix: 16))")
                }
            case 0x01: // BPF_LDX
                switch instruction.code {
                case 0x81: x = 64
                case 0x01: x = k
                case 0x61:
                    guard k < 16 else { throw fail("scratch index \(k)") }
                    x = memory[Int(k)]
                default: throw fail("unsupported load 0x\(String(instruction.code, radix: 16))")
                }
            case 0x02: // BPF_ST
                guard k < 16 else { throw fail("scratch index \(k)") }
                memory[Int(k)] = a
            case 0x03: // BPF_STX
                guard k < 16 else { throw fail("scratch index \(k)") }
                memory[Int(k)] = x
            case 0x04: // BPF_ALU
                let operand = instruction.code & 0x08 != 0 ? x : k
                switch instruction.code & 0xf0 {
                case 0x00: a = a &+ operand
                case 0x10: a = a &- operand
                case 0x20: a = a &* operand
                case 0x30:
                    guard operand != 0 else { return 0 }
                    a /= operand
                case 0x40: a |= operand
                case 0x50: a &= operand
                case 0x60: a = operand >= 32 ? 0 : a << operand
                case 0x70: a = operand >= 32 ? 0 : a >> operand
                case 0x80: a = 0 &- a
                case 0x90:
                    guard operand != 0 else { return 0 }
                    a %= operand
                case 0xa0: a ^= operand
                default: throw fail("unsupported ALU op 0x\(String(instruction.code, radix: 16))")
                }
            case 0x05: // BPF_JMP
                let operand = instruction.code & 0x08 != 0 ? x : k
                let taken: Bool
                switch instruction.code & 0xf0 {
                case 0x00:
                    pc += Int(k)
                    continue
                case 0x10: taken = a == operand
                case 0x20: taken = a > operand
                case 0x30: taken = a >= operand
                case 0x40: taken = a & operand != 0
                default: throw fail("unsupported jump 0x\(String(instruction.code, radix: 16))")
                }
                pc += Int(taken ? instruction.jt : instruction.jf)
            case 0x06: // BPF_RET
                return instruction.code & 0x18 == 0x10 ? a : k
            case 0x07: // BPF_MISC
                if instruction.code & 0xf8 == 0x00 { x = a } else { a = x }
            default:
                throw fail("unknown instruction class")
            }
        }
        throw fail("ran off the end of the program")
    }
}

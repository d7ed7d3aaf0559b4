//! rstest matrix over the clone_args encoder: every arch x a range of sizes.
//!
//! The decoder here is independent of `clone_args::encode`: it reads each member with the
//! arch's byte order at the offset the kernel header gives (8 * index), so a wrong offset,
//! byte order, truncation or tail in the encoder fails these tests.

use cloneabi_arch::clone_args::{encode, CloneArgs, Tail, FIELDS, SIZE_LATEST};
use cloneabi_arch::{Arch, Endian};
use rstest::rstest;

/// Distinct, byte-order-revealing values for all 11 members.
fn sample() -> CloneArgs {
    CloneArgs {
        flags: 0x0102_0304_0506_0708,
        pidfd: 0x1112_1314_1516_1718,
        child_tid: 0x2122_2324_2526_2728,
        parent_tid: 0x3132_3334_3536_3738,
        exit_signal: 17,
        stack: 0x7fff_0000_1000,
        stack_size: 0x10_0000,
        tls: 0x4142_4344_4546_4748,
        set_tid: 0x5152_5354_5556_5758,
        set_tid_size: 3,
        cgroup: 0x6162_6364_6566_6768,
    }
}

fn decode_u64(b: &[u8], endian: Endian) -> u64 {
    let a: [u8; 8] = b.try_into().unwrap();
    match endian {
        Endian::Little => u64::from_le_bytes(a),
        Endian::Big => u64::from_be_bytes(a),
    }
}

/// The kernel's view of a `size`-byte buffer: members wholly inside it, and whether a member
/// is cut short (the leading bytes it would see).
fn check_roundtrip(arch: Arch, size: usize, tail: Tail) {
    let endian = arch.abi().endian;
    let args = sample();
    let buf = encode(&args, endian, size, tail);
    assert_eq!(buf.len(), size, "{arch} size {size}");
    let values = args.values();
    for (i, value) in values.iter().enumerate() {
        let off = i * 8;
        let full = match endian {
            Endian::Little => value.to_le_bytes(),
            Endian::Big => value.to_be_bytes(),
        };
        if off + 8 <= size {
            assert_eq!(
                decode_u64(&buf[off..off + 8], endian),
                *value,
                "{arch} size {size}: member {i}"
            );
        } else if off < size {
            assert_eq!(
                &buf[off..size],
                &full[..size - off],
                "{arch} cut member {i}"
            );
        }
    }
    if size > SIZE_LATEST {
        let tail_bytes = &buf[SIZE_LATEST..];
        match tail {
            Tail::Zero => assert!(tail_bytes.iter().all(|&b| b == 0), "{arch}: zero tail"),
            Tail::U64At { offset, value } => {
                for (i, &b) in tail_bytes.iter().enumerate() {
                    let at = SIZE_LATEST + i;
                    if at < offset || at >= offset + 8 {
                        assert_eq!(b, 0, "{arch} size {size}: byte {at} past the struct");
                    }
                }
                if offset + 8 <= size {
                    assert_eq!(decode_u64(&buf[offset..offset + 8], endian), value);
                }
            }
        }
    }
}

#[rstest]
fn encode_roundtrip(
    #[values(
        Arch::X86_64,
        Arch::Aarch64,
        Arch::S390x,
        Arch::Powerpc64le,
        Arch::Powerpc64
    )]
    arch: Arch,
    #[values(56, 60, 64, 80, 88, 96, 4096)] size: usize,
) {
    check_roundtrip(arch, size, Tail::Zero);
}

#[rstest]
fn encode_nonzero_tail(
    #[values(
        Arch::X86_64,
        Arch::Aarch64,
        Arch::S390x,
        Arch::Powerpc64le,
        Arch::Powerpc64
    )]
    arch: Arch,
    #[values(88, 96, 104, 4096)] size: usize,
    #[values(88, 96)] offset: usize,
) {
    check_roundtrip(
        arch,
        size,
        Tail::U64At {
            offset,
            value: 0xdead_beef_0000_0001,
        },
    );
}

#[rstest]
#[case::little(Arch::X86_64, [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01])]
#[case::big_s390x(Arch::S390x, [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08])]
#[case::big_ppc64(Arch::Powerpc64, [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08])]
#[case::little_ppc64le(Arch::Powerpc64le, [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01])]
fn flags_bytes_in_arch_order(#[case] arch: Arch, #[case] first8: [u8; 8]) {
    let buf = encode(&sample(), arch.abi().endian, SIZE_LATEST, Tail::Zero);
    assert_eq!(buf[..8], first8);
}

#[test]
fn fields_cover_the_struct() {
    assert_eq!(FIELDS.len() * 8, SIZE_LATEST);
}

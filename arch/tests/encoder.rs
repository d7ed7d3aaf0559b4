//! The clone_args encoder over the ABI table: every ABI x a range of sizes, one
//! libtest-mimic trial each, named `encoder::<triple>::<test>::<parameters>`, so an ABI added
//! to the table is covered here without a change and `cargo test -p cloneabi-arch --test
//! encoder <triple>` runs one ABI's trials.
//!
//! The decoder here is independent of `clone_args::encode`: it reads each member with the
//! arch's byte order at the offset the kernel header gives (8 * index), so a wrong offset,
//! byte order, truncation or tail in the encoder fails these tests.

use cloneabi_arch::clone_args::{encode, CloneArgs, Tail, FIELDS, SIZE_LATEST};
use cloneabi_arch::{Arch, Endian};
use libtest_mimic::{Arguments, Failed, Trial};
use std::panic::{catch_unwind, AssertUnwindSafe};

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

/// The flags member's 8 bytes: least significant first on a little-endian ABI.
fn flags_bytes_in_arch_order(arch: Arch) {
    let little = [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01];
    let big = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
    let want = match arch.abi().endian {
        Endian::Little => little,
        Endian::Big => big,
    };
    let buf = encode(&sample(), arch.abi().endian, SIZE_LATEST, Tail::Zero);
    assert_eq!(buf[..8], want, "{arch}");
}

/// A trial whose body reports a failed assertion as the trial's failure.
fn trial(name: String, body: impl FnOnce() + Send + 'static) -> Trial {
    Trial::test(name, move || {
        catch_unwind(AssertUnwindSafe(body)).map_err(|e| {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".into());
            Failed::from(msg)
        })
    })
}

fn main() {
    let mut trials = vec![trial("encoder::fields_cover_the_struct".into(), || {
        assert_eq!(FIELDS.len() * 8, SIZE_LATEST)
    })];
    for arch in Arch::ALL {
        let t = arch.triple();
        for size in [56, 60, 64, 80, 88, 96, 4096] {
            trials.push(trial(
                format!("encoder::{t}::roundtrip::size_{size}"),
                move || check_roundtrip(arch, size, Tail::Zero),
            ));
        }
        for size in [88, 96, 104, 4096] {
            for offset in [88, 96] {
                trials.push(trial(
                    format!("encoder::{t}::nonzero_tail::size_{size}::offset_{offset}"),
                    move || {
                        check_roundtrip(
                            arch,
                            size,
                            Tail::U64At {
                                offset,
                                value: 0xdead_beef_0000_0001,
                            },
                        )
                    },
                ));
            }
        }
        trials.push(trial(
            format!("encoder::{t}::flags_bytes_in_arch_order"),
            move || flags_bytes_in_arch_order(arch),
        ));
    }
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}

//! `struct clone_args` (include/uapi/linux/sched.h) as data, and its encoder.
//!
//! Every member is an `__aligned_u64`, so the layout is the same on every 64-bit ABI; only
//! the byte order differs. Pointers travel zero-extended in a u64.

use crate::abi::Endian;
use crate::version::KernelVersion;
use serde::Serialize;

/// One member of `struct clone_args`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: &'static str,
    pub offset: usize,
    pub size: usize,
    /// The kernel version that introduced the member.
    pub since: KernelVersion,
}

const V5_3: KernelVersion = KernelVersion::new(5, 3, 0);
const V5_5: KernelVersion = KernelVersion::new(5, 5, 0);
const V5_7: KernelVersion = KernelVersion::new(5, 7, 0);

/// The members, in order.
pub const FIELDS: [Field; 11] = [
    Field {
        name: "flags",
        offset: 0,
        size: 8,
        since: V5_3,
    },
    Field {
        name: "pidfd",
        offset: 8,
        size: 8,
        since: V5_3,
    },
    Field {
        name: "child_tid",
        offset: 16,
        size: 8,
        since: V5_3,
    },
    Field {
        name: "parent_tid",
        offset: 24,
        size: 8,
        since: V5_3,
    },
    Field {
        name: "exit_signal",
        offset: 32,
        size: 8,
        since: V5_3,
    },
    Field {
        name: "stack",
        offset: 40,
        size: 8,
        since: V5_3,
    },
    Field {
        name: "stack_size",
        offset: 48,
        size: 8,
        since: V5_3,
    },
    Field {
        name: "tls",
        offset: 56,
        size: 8,
        since: V5_3,
    },
    Field {
        name: "set_tid",
        offset: 64,
        size: 8,
        since: V5_5,
    },
    Field {
        name: "set_tid_size",
        offset: 72,
        size: 8,
        since: V5_5,
    },
    Field {
        name: "cgroup",
        offset: 80,
        size: 8,
        since: V5_7,
    },
];

/// Looks a member up by name.
pub fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

/// The published size versions (`CLONE_ARGS_SIZE_VER*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SizeVersion {
    Ver0,
    Ver1,
    Ver2,
}

impl SizeVersion {
    pub const ALL: [SizeVersion; 3] = [SizeVersion::Ver0, SizeVersion::Ver1, SizeVersion::Ver2];

    /// Size in bytes: the end of the last member of that version.
    pub const fn bytes(self) -> usize {
        match self {
            SizeVersion::Ver0 => 64,
            SizeVersion::Ver1 => 80,
            SizeVersion::Ver2 => 88,
        }
    }

    /// The kernel that first accepted this size with its new members meaningful.
    pub const fn since(self) -> KernelVersion {
        match self {
            SizeVersion::Ver0 => V5_3,
            SizeVersion::Ver1 => V5_5,
            SizeVersion::Ver2 => V5_7,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            SizeVersion::Ver0 => "ver0",
            SizeVersion::Ver1 => "ver1",
            SizeVersion::Ver2 => "ver2",
        }
    }

    /// The newest version a kernel knows: `sizeof(struct clone_args)` in that kernel.
    pub fn newest_known_by(kernel: KernelVersion) -> SizeVersion {
        *SizeVersion::ALL
            .iter()
            .rev()
            .find(|v| kernel >= v.since())
            .unwrap_or(&SizeVersion::Ver0)
    }
}

/// The largest struct this crate knows.
pub const SIZE_LATEST: usize = SizeVersion::Ver2.bytes();

/// A logical `struct clone_args` value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CloneArgs {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
    pub set_tid: u64,
    pub set_tid_size: u64,
    pub cgroup: u64,
}

impl CloneArgs {
    /// The members' values in [`FIELDS`] order.
    pub fn values(&self) -> [u64; 11] {
        [
            self.flags,
            self.pidfd,
            self.child_tid,
            self.parent_tid,
            self.exit_signal,
            self.stack,
            self.stack_size,
            self.tls,
            self.set_tid,
            self.set_tid_size,
            self.cgroup,
        ]
    }

    /// The struct from its members' values in [`FIELDS`] order.
    pub fn from_values(v: [u64; 11]) -> CloneArgs {
        let [flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup] =
            v;
        CloneArgs {
            flags,
            pidfd,
            child_tid,
            parent_tid,
            exit_signal,
            stack,
            stack_size,
            tls,
            set_tid,
            set_tid_size,
            cgroup,
        }
    }
}

/// What fills the bytes past the end of the known struct when the requested size is larger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tail {
    /// All zero: the kernel must accept it (`copy_struct_from_user`).
    Zero,
    /// A u64 `value` at byte `offset` (which must lie past the known struct), the rest zero.
    U64At { offset: usize, value: u64 },
}

/// Writes `value` as a u64 of the given byte order at `offset`.
pub fn put_u64(buf: &mut [u8], offset: usize, value: u64, endian: Endian) {
    let bytes = match endian {
        Endian::Little => value.to_le_bytes(),
        Endian::Big => value.to_be_bytes(),
    };
    buf[offset..offset + 8].copy_from_slice(&bytes);
}

/// Writes `value` as an i32 (`pid_t`) of the given byte order at `offset`.
pub fn put_i32(buf: &mut [u8], offset: usize, value: i32, endian: Endian) {
    let bytes = match endian {
        Endian::Little => value.to_le_bytes(),
        Endian::Big => value.to_be_bytes(),
    };
    buf[offset..offset + 4].copy_from_slice(&bytes);
}

/// Encodes `args` for an ABI of byte order `endian` as exactly `size` bytes: cut short
/// for sizes below the full struct (a member cut in half keeps its leading bytes, as the
/// kernel would read them), extended with `tail` past it.
pub fn encode(args: &CloneArgs, endian: Endian, size: usize, tail: Tail) -> Vec<u8> {
    let full_len = size.max(SIZE_LATEST);
    let mut buf = vec![0u8; full_len];
    for (field, value) in FIELDS.iter().zip(args.values()) {
        put_u64(&mut buf, field.offset, value, endian);
    }
    if let Tail::U64At { offset, value } = tail {
        assert!(
            offset >= SIZE_LATEST,
            "a tail value must lie past the known struct"
        );
        if offset + 8 <= full_len {
            put_u64(&mut buf, offset, value, endian);
        }
    }
    buf.truncate(size);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_end_where_their_last_member_ends() {
        for v in SizeVersion::ALL {
            let last = FIELDS
                .iter()
                .filter(|f| f.since <= v.since())
                .max_by_key(|f| f.offset)
                .unwrap();
            assert_eq!(last.offset + last.size, v.bytes(), "{}", v.name());
        }
    }

    #[test]
    fn fields_are_contiguous_u64s() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!((f.offset, f.size), (i * 8, 8), "{}", f.name);
        }
    }

    #[test]
    fn newest_known_size_follows_the_kernel() {
        assert_eq!(
            SizeVersion::newest_known_by(KernelVersion::new(5, 4, 0)),
            SizeVersion::Ver0
        );
        assert_eq!(
            SizeVersion::newest_known_by(KernelVersion::new(5, 6, 0)),
            SizeVersion::Ver1
        );
        assert_eq!(
            SizeVersion::newest_known_by(KernelVersion::new(6, 1, 0)),
            SizeVersion::Ver2
        );
    }
}

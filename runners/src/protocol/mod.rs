//! The wire protocol between cloneabi and the payload (docs/PROTOCOL.md).
//!
//! [`batch`] encodes what the payload runs; [`records`] parses what it answers. All
//! integers of the protocol itself are little-endian; the two opaque blobs of a case are in
//! the target's byte order already (the arch crate made them).

pub mod batch;
pub mod records;
pub mod wire;

pub use batch::{encode_batch, encode_case, BatchOptions, CgroupSetup, SYSCALL_TABLE};
pub use records::{
    encode_record, CorruptRecord, FrameBody, ParseReport, Record, RecordBody, RecordParser,
};

pub use wire::{PROTOCOL_VERSION, RECORD_MARKER};

/// The first 8 bytes of every batch.
pub const BATCH_MAGIC: &[u8; 8] = {
    let m = wire::BATCH_MAGIC.as_bytes();
    assert!(m.len() == 8);
    &[m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]]
};

/// Whether two lists of names are the same, in the same order (usable in constants).
pub(crate) const fn same_names(a: &[&str], b: &[&str]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        let (x, y) = (a[i].as_bytes(), b[i].as_bytes());
        if x.len() != y.len() {
            return false;
        }
        let mut j = 0;
        while j < x.len() {
            if x[j] != y[j] {
                return false;
            }
            j += 1;
        }
        i += 1;
    }
    true
}

const _: () = assert!(
    same_names(&wire::NAMESPACES, &cloneabi_suites::observation::NS_NAMES),
    "the payload's namespace order (wire::NAMESPACES) differs from the observation's NS_NAMES"
);

const _: () = assert!(
    same_names(
        &[wire::CGROUP1_OPTIONS],
        &[cloneabi_suites::program::CGROUP1_OPTIONS]
    ),
    "the payload's cgroup v1 mount options differ from the ones the C reproducer writes"
);

/// IEEE CRC-32 (zlib/PNG), as the payload computes it.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc32_is_the_ieee_one() {
        // The check value of CRC-32/ISO-HDLC.
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
    }
}

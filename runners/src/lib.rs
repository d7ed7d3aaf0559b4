//! Running cloneabi's payload: the batch protocol, the payload builds, the native sandbox,
//! QEMU kernels, initramfs and boots, and the sessions that judge a run.

pub mod bench;
pub mod exec;
pub mod fuzz;
pub mod guest_session;
pub mod initramfs;
pub mod interrupt;
pub mod kernels;
pub mod libc_probe;
pub mod matrix;
pub mod native;
pub mod payload;
pub mod protocol;
pub mod provision;
pub mod qemu;
pub mod session;
pub mod system_session;

// `crate::wire` in the library and in build.rs alike, for `payload::build_cmd`.
use protocol::wire;

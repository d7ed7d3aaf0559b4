//! The record channel of a boot: a virtio-serial port whose QEMU end is a pair of FIFOs in
//! a temporary directory (QEMU's `pipe` chardev opens `<path>.in` and `<path>.out`).
//!
//! QEMU opens both FIFOs read-write, so neither side ever blocks on an open; this side holds
//! `<path>.out` open read-write and non-blocking too, so what the guest wrote before QEMU
//! exited stays readable after it.

use crate::protocol::wire::CHANNEL_NAME;
use cloneabi_arch::Arch;
use std::ffi::CString;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The host's end of one boot's record channel.
pub struct RecordFifo {
    out: File,
    dir: PathBuf,
    /// The directory, when this value made it (and removes it).
    _own: Option<tempfile::TempDir>,
}

fn mkfifo(path: &Path) -> io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl RecordFifo {
    /// FIFOs in a temporary directory of their own.
    pub fn new() -> io::Result<RecordFifo> {
        let own = tempfile::Builder::new()
            .prefix("cloneabi-channel-")
            .tempdir()?;
        let mut f = RecordFifo::in_dir(own.path())?;
        f._own = Some(own);
        Ok(f)
    }

    /// FIFOs in `dir`, which the caller keeps (and removes).
    pub fn in_dir(dir: &Path) -> io::Result<RecordFifo> {
        mkfifo(&dir.join("records.in"))?;
        mkfifo(&dir.join("records.out"))?;
        let out = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(dir.join("records.out"))?;
        Ok(RecordFifo {
            out,
            dir: dir.to_path_buf(),
            _own: None,
        })
    }

    /// The FIFO QEMU reads the guest's input from, in `dir`: a driver writes batches to it.
    pub fn input(dir: &Path) -> PathBuf {
        dir.join("records.in")
    }

    /// The QEMU arguments that give the guest the port, on `arch`'s kind of device.
    pub fn qemu_args(&self, arch: Arch) -> Vec<String> {
        let device = arch.kernel_arch().qemu.record_channel.device;
        vec![
            "-device".into(),
            device.into(),
            "-chardev".into(),
            format!(
                "pipe,id=cloneabi-records,path={}",
                self.dir.join("records").display()
            ),
            "-device".into(),
            format!("virtserialport,chardev=cloneabi-records,name={CHANNEL_NAME}"),
        ]
    }

    /// Appends what has arrived to `to`; returns how many bytes that was.
    pub fn drain(&mut self, to: &mut Vec<u8>) -> usize {
        let mut buf = [0u8; 16 * 1024];
        let mut n = 0;
        loop {
            match self.out.read(&mut buf) {
                Ok(0) => return n,
                Ok(k) => {
                    to.extend_from_slice(&buf[..k]);
                    n += k;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return n,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn bytes_written_to_the_out_fifo_are_drained_without_blocking() {
        let mut f = RecordFifo::new().unwrap();
        let mut got = Vec::new();
        assert_eq!(f.drain(&mut got), 0, "an empty FIFO must not block");
        let mut w = std::fs::OpenOptions::new()
            .write(true)
            .open(f.dir.join("records.out"))
            .unwrap();
        w.write_all(b"@CLONEABI 0 E 00 00000000\n").unwrap();
        drop(w);
        // The writer is gone (as QEMU after its exit): what it wrote is still there.
        assert_eq!(f.drain(&mut got), 26);
        assert_eq!(&got[..10], b"@CLONEABI ");
        let a = f.qemu_args(Arch::S390x).join(" ");
        assert!(
            a.starts_with("-device virtio-serial-ccw -chardev pipe,id=cloneabi-records,path="),
            "{a}"
        );
        assert!(a.ends_with("name=org.cloneabi.records"), "{a}");
        assert!(f
            .qemu_args(Arch::I386)
            .join(" ")
            .contains("virtio-serial-pci"));
    }
}

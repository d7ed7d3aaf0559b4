//! The payload's per-arch stubs under qemu-user (Debian's QEMU 7.2): legacy fork-like
//! clone() with a fresh stack, SETTLS, PARENT_SETTID and CHILD_SETTID must work, the child
//! must see exactly the SP and TLS it was given, and clone3 answers ENOSYS there.

mod common;

use cloneabi_arch::Arch;
use cloneabi_suites::observation::{ChildEnd, SLOT_SENTINEL};
use common::*;

fn check_arch(arch: Arch) {
    let Some(qemu) = arch.abi().debian.qemu_user else {
        println!("SKIPPED {arch}: QEMU has no user-mode emulator for it");
        return;
    };
    if !find_in_path(qemu) {
        println!("SKIPPED {arch}: {qemu} is not installed (Debian package qemu-user)");
        return;
    }
    if cloneabi_runners::payload::embedded(arch).is_none() {
        println!(
            "SKIPPED {arch}: payload not embedded ({} missing)",
            arch.abi().debian.cross_gcc
        );
        return;
    }
    let programs = vec![
        (
            0,
            legacy_clone(
                arch,
                SIGCHLD | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID,
                true,
            ),
        ),
        (1, fork_like(arch, vec![])),
        // Plain fork-like legacy clone on the caller's stack (newsp 0).
        (2, legacy_clone(arch, SIGCHLD, false)),
    ];
    let run = run(arch, Some(qemu), &programs);
    assert!(
        run.status.success(),
        "{arch}: {:?} {:?}",
        run.status,
        run.logs
    );
    assert_eq!(run.env.payload_arch, arch.name());
    assert_eq!(
        (run.env.clone3_probe_ret, run.env.clone3_probe_errno),
        (-38, 38),
        "{arch}: qemu-user answers clone3 with ENOSYS"
    );

    let o = run.case(0);
    assert!(o.ret > 0, "{arch}: {o:?} {:?}", run.logs);
    let c = o.child.as_ref().expect("child report");
    assert_eq!(
        c.sp,
        o.stack_base + STACK as u64,
        "{arch}: SP on entry is the stack top passed"
    );
    assert_eq!(
        c.tls,
        o.tls_area + TLS_ADDEND as u64,
        "{arch}: the TLS register is not the tls argument; is the arch crate's legacy clone \
         order ({:?}) right?",
        arch.abi().legacy_clone
    );
    assert_eq!(o.parent_tid_slot.unwrap().value as i64, o.ret, "{arch}");
    assert_eq!(o.parent_tid_slot.unwrap().after, SLOT_SENTINEL, "{arch}");
    assert_eq!(c.child_tid_seen as i64, o.ret, "{arch}");
    assert_eq!(c.pid as i64, o.ret, "{arch}");
    assert_eq!(o.child_end, Some(ChildEnd::Exited(0)), "{arch}");
    assert_eq!(o.exit_signal, 17, "{arch}");

    let o = run.case(1);
    assert_eq!(
        (o.ret, o.errno),
        (-38, 38),
        "{arch}: clone3 under qemu-user"
    );
    assert!(o.child.is_none());

    let o = run.case(2);
    assert!(o.ret > 0, "{arch}: {o:?}");
    let c = o.child.as_ref().expect("child report");
    assert_eq!(c.pid as i64, o.ret);
    assert!(o.parent_tid_slot.unwrap().untouched());
    assert_eq!(o.child_end, Some(ChildEnd::Exited(0)));
    println!(
        "{arch}: verified under {qemu}: child SP {:#x}, TLS {:#x}, clone3 ENOSYS",
        run.case(0).child.as_ref().unwrap().sp,
        run.case(0).child.as_ref().unwrap().tls
    );
}

#[test]
fn aarch64_under_qemu_user() {
    check_arch(Arch::Aarch64);
}

#[test]
fn s390x_under_qemu_user() {
    check_arch(Arch::S390x);
}

#[test]
fn powerpc64le_under_qemu_user() {
    check_arch(Arch::Powerpc64le);
}

#[test]
fn powerpc64_under_qemu_user() {
    check_arch(Arch::Powerpc64);
}

/// What qemu-aarch64 (like glibc's and musl's aarch64 clone wrappers) does with legacy
/// clone(): tls is the 4th argument and child_tid the 5th, i.e. the CLONE_BACKWARDS order.
/// This pins the aarch64 stub independently of the arch crate's order.
#[test]
fn aarch64_legacy_clone_takes_tls_fourth_under_qemu_user() {
    use cloneabi_arch::abi::LegacyCloneVariant;
    let arch = Arch::Aarch64;
    let qemu = arch.abi().debian.qemu_user.expect("qemu-aarch64 exists");
    if !find_in_path(qemu) || cloneabi_runners::payload::embedded(arch).is_none() {
        println!("SKIPPED: {qemu} or the aarch64 payload is missing");
        return;
    }
    let flags = SIGCHLD | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID;
    let programs = vec![(
        0,
        legacy_clone_in_order(arch, LegacyCloneVariant::Backwards.order(), flags, true),
    )];
    let run = run(arch, Some(qemu), &programs);
    let o = run.case(0);
    let c = o.child.as_ref().expect("child report");
    assert_eq!(c.sp, o.stack_base + STACK as u64);
    assert_eq!(c.tls, o.tls_area + TLS_ADDEND as u64);
    assert_eq!(c.child_tid_seen as i64, o.ret);
    assert_eq!(o.parent_tid_slot.unwrap().value as i64, o.ret);
}

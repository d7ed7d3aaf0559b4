//! The model at each comparison it makes: the value at the boundary and one on each side,
//! with the errno the kernel source gives (linux-source-6.1 and 7.3: kernel/fork.c
//! `copy_clone_args_from_user()`, `clone3_args_valid()`, `kernel_clone()`; kernel/pid.c
//! `alloc_pid()`; kernel/pid_namespace.c `create_pid_namespace()`; lib/usercopy.c
//! `check_zeroed_user()`; arch/x86/kernel/process_64.c `do_arch_prctl_64()`).

use cloneabi_arch::{Arch, KernelVersion};
use cloneabi_suites::case::{
    Call, Case, CgroupSpec, Clone3Call, Concern, LegacyCall, PidValue, Placement, Ptr, Scope,
    SetTidSpec, SizeArg, SlotKind, StackSpec, Step,
};
use cloneabi_suites::flags::*;
use cloneabi_suites::model::{predict, Check, Expectation, ModelEnv, PID_MAX_LIMIT};
use cloneabi_suites::program::Behavior;

const V6_1: (u32, u32, u32) = (6, 1, 0);
const V7_3: (u32, u32, u32) = (7, 3, 0);

fn env_on(arch: Arch, k: (u32, u32, u32)) -> ModelEnv {
    ModelEnv::nominal(arch, KernelVersion::new(k.0, k.1, k.2))
}

fn case_with(steps: Vec<Step>, call: Call) -> Case {
    Case {
        id: "fuzz.boundary".into(),
        concern: Concern::Fuzz,
        summary: String::new(),
        origin: None,
        steps,
        call,
        behavior: Behavior::default(),
        scope: Scope::AllAbis,
    }
}

fn predict_on(arch: Arch, k: (u32, u32, u32), steps: Vec<Step>, call: Clone3Call) -> Expectation {
    predict(&case_with(steps, Call::Clone3(call)), &env_on(arch, k))
}

/// The outcome on x86_64 ("ok", an errno name or "skip").
fn on(k: (u32, u32, u32), steps: Vec<Step>, call: Clone3Call) -> String {
    predict_on(Arch::X86_64, k, steps, call).outcome()
}

fn call(f: impl FnOnce(&mut Clone3Call)) -> Clone3Call {
    let mut c = Clone3Call::default();
    f(&mut c);
    c
}

fn sized(size: u64) -> Clone3Call {
    call(|c| c.size = SizeArg::Literal(size))
}

#[test]
fn size_against_page_size_and_ver0() {
    // usize > PAGE_SIZE is E2BIG; usize < CLONE_ARGS_SIZE_VER0 (64) is EINVAL.
    for (size, want) in [
        (4095, "ok"),
        (4096, "ok"),
        (4097, "E2BIG"),
        (63, "EINVAL"),
        (64, "ok"),
        (65, "ok"),
    ] {
        assert_eq!(on(V6_1, vec![], sized(size)), want, "size {size}");
    }
    let page = |k: i64| call(|c| c.size = SizeArg::PageSizePlus(k));
    assert_eq!(on(V6_1, vec![], page(0)), "ok");
    assert_eq!(on(V6_1, vec![], page(1)), "E2BIG");
    // The runtime page size decides, not the ABI's default.
    let mut e = env_on(Arch::X86_64, V6_1);
    e.page_size = 8192;
    let c = case_with(vec![], Call::Clone3(sized(8192)));
    assert_eq!(predict(&c, &e).outcome(), "ok");
    let c = case_with(vec![], Call::Clone3(sized(8193)));
    assert_eq!(predict(&c, &e).outcome(), "E2BIG");
}

#[test]
fn bytes_past_the_kernels_struct() {
    // 6.1 knows 88 bytes: a non-zero byte at 88 counts once the size reaches past it.
    let tail = |size: u64, off: usize, v: u64| {
        call(|c| {
            c.size = SizeArg::Literal(size);
            c.tail = Some((off, v));
        })
    };
    assert_eq!(on(V6_1, vec![], tail(88, 88, 1)), "ok");
    assert_eq!(on(V6_1, vec![], tail(89, 88, 1)), "E2BIG");
    assert_eq!(on(V6_1, vec![], tail(96, 88, 0)), "ok");
    // Little-endian: 0x100 at 88 is byte 89.
    assert_eq!(on(V6_1, vec![], tail(89, 88, 0x100)), "ok");
    assert_eq!(on(V6_1, vec![], tail(90, 88, 0x100)), "E2BIG");
    // Big-endian: 0x100 at 88 is byte 94.
    let be = |size| predict_on(Arch::S390x, V6_1, vec![], tail(size, 88, 0x100)).outcome();
    assert_eq!(be(94), "ok");
    assert_eq!(be(95), "E2BIG");
    // 5.6 knows 80 bytes: the cgroup member is past it.
    let cg = |size: u64, fd: u64| {
        call(|c| {
            c.size = SizeArg::Literal(size);
            c.cgroup = CgroupSpec::Fd(fd);
        })
    };
    assert_eq!(on((5, 6, 0), vec![], cg(88, 0)), "ok");
    assert_eq!(on((5, 6, 0), vec![], cg(88, 3)), "E2BIG");
    assert_eq!(on((5, 6, 0), vec![], cg(80, 3)), "ok");
    assert_eq!(on((5, 6, 0), vec![], cg(81, 3)), "E2BIG");
    // Byte by byte for a fixed member: 0x100's non-zero byte is 81, past a size of 81.
    assert_eq!(on((5, 6, 0), vec![], cg(81, 0x100)), "ok");
    assert_eq!(on((5, 6, 0), vec![], cg(82, 0x100)), "E2BIG");
    // A descriptor the payload fills in is non-zero wherever its member is read, and only
    // there: 5.4 knows 64 bytes, and a size of 80 stops right where the cgroup member starts.
    let created = |size: u64| {
        call(|c| {
            c.size = SizeArg::Literal(size);
            c.cgroup = CgroupSpec::Created;
        })
    };
    assert_eq!(on((5, 4, 0), vec![], created(80)), "ok");
    assert_eq!(on((5, 4, 0), vec![], created(81)), "E2BIG");
    assert_eq!(on((5, 4, 0), vec![], created(88)), "E2BIG");
    // A descriptor is below 256: big-endian, its one non-zero byte is the member's last.
    let be = |size| predict_on(Arch::S390x, (5, 4, 0), vec![], created(size)).outcome();
    assert_eq!(be(87), "ok");
    assert_eq!(be(88), "E2BIG");
    // An address may be non-zero in any byte: a set_tid array's, cut after its first byte.
    let array = |size: u64| {
        call(|c| {
            c.size = SizeArg::Literal(size);
            c.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(0)]);
        })
    };
    let be = |size| predict_on(Arch::S390x, (5, 4, 0), vec![], array(size)).outcome();
    assert_eq!(be(64), "ok");
    assert_eq!(be(65), "E2BIG");
}

#[test]
fn struct_next_to_an_unmapped_page() {
    let guarded = |mapped: u32, size: u64| {
        on(
            V6_1,
            vec![],
            call(|c| {
                c.size = SizeArg::Literal(size);
                c.args_at = Placement::GuardAfter { mapped };
            }),
        )
    };
    // copy_struct_from_user() copies min(size, 88) bytes: all of them must be readable.
    assert_eq!(guarded(64, 64), "ok");
    assert_eq!(guarded(64, 65), "EFAULT");
    assert_eq!(guarded(88, 88), "ok");
    assert_eq!(guarded(87, 88), "EFAULT");
    // check_zeroed_user() reads aligned words past 88: the struct starts `mapped` bytes below
    // a page boundary, so with 96 mapped the words start at 88 and 96.
    assert_eq!(guarded(96, 96), "ok");
    assert_eq!(guarded(96, 97), "EFAULT");
    // With 100 mapped they start at offsets 84, 92, 100: a size of 100 reads up to 100.
    assert_eq!(guarded(100, 100), "ok");
    assert_eq!(guarded(100, 101), "EFAULT");
    // A non-zero byte in a readable word comes first.
    let e2big = on(
        V6_1,
        vec![],
        call(|c| {
            c.size = SizeArg::Literal(101);
            c.args_at = Placement::GuardAfter { mapped: 100 };
            c.tail = Some((96, 1));
        }),
    );
    assert_eq!(e2big, "E2BIG");
    assert_eq!(
        on(V6_1, vec![], call(|c| c.args_at = Placement::Null)),
        "EFAULT"
    );
}

fn set_tid(spec: SetTidSpec) -> Clone3Call {
    call(|c| c.set_tid = spec)
}

fn pids(p: &[i32]) -> SetTidSpec {
    SetTidSpec::Pids(p.iter().map(|v| PidValue::Literal(*v)).collect())
}

#[test]
fn set_tid_size_against_max_pid_ns_level() {
    // set_tid_size > MAX_PID_NS_LEVEL (32) is EINVAL before the array is copied.
    for k in [V6_1, V7_3] {
        let unmapped = |size| on(k, vec![], set_tid(SetTidSpec::Unmapped { size }));
        assert_eq!(unmapped(32), "EFAULT");
        assert_eq!(unmapped(33), "EINVAL");
        assert_eq!(unmapped(1), "EFAULT");
        // set_tid without set_tid_size, and the reverse.
        assert_eq!(unmapped(0), "EINVAL");
        let null = |size| on(k, vec![], set_tid(SetTidSpec::Null { size }));
        assert_eq!(null(0), "ok");
        assert_eq!(null(1), "EINVAL");
    }
    // Before 5.5 the members mean nothing: they are zero bytes of a struct it does not know
    // (5.4 knows 64 bytes), so any value there is E2BIG, and a zero one is ignored.
    assert_eq!(
        on((5, 4, 0), vec![], set_tid(SetTidSpec::Null { size: 0 })),
        "ok"
    );
    assert_eq!(
        on((5, 4, 0), vec![], set_tid(SetTidSpec::Null { size: 1 })),
        "E2BIG"
    );
}

#[test]
fn exit_signal_against_csignal_and_nsig() {
    let sig = |s: u64| call(|c| c.exit_signal = s);
    for k in [V6_1, V7_3] {
        assert_eq!(on(k, vec![], sig(64)), "ok", "{k:?}");
        assert_eq!(on(k, vec![], sig(65)), "EINVAL", "{k:?}");
        assert_eq!(on(k, vec![], sig(0)), "ok", "{k:?}");
        assert_eq!(on(k, vec![], sig(0x100)), "EINVAL", "{k:?}");
    }
    // 6.1 tests valid_signal() in copy_clone_args_from_user(), before the set_tid copy; 7.3
    // in kernel_clone(), after it.
    let both = |s: u64| {
        call(|c| {
            c.exit_signal = s;
            c.set_tid = SetTidSpec::Unmapped { size: 1 };
        })
    };
    assert_eq!(on(V6_1, vec![], both(65)), "EINVAL");
    assert_eq!(on(V7_3, vec![], both(65)), "EFAULT");
    // The upper bits are tested before the copy on both.
    assert_eq!(on(V7_3, vec![], both(0x100)), "EINVAL");
    assert_eq!(on(V6_1, vec![], both(64)), "EFAULT");
}

#[test]
fn into_cgroup_against_int_max_and_ver2() {
    let into = |fd: u64, size: u64| {
        call(|c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::Fd(fd);
            c.size = SizeArg::Literal(size);
        })
    };
    // cgroup > INT_MAX or usize < CLONE_ARGS_SIZE_VER2 (88) is EINVAL; a descriptor that is
    // no cgroup is EBADF later (cgroup_css_set_fork()).
    assert_eq!(on(V6_1, vec![], into(0x7fff_ffff, 88)), "EBADF");
    assert_eq!(on(V6_1, vec![], into(0x8000_0000, 88)), "EINVAL");
    assert_eq!(on(V6_1, vec![], into(5, 87)), "EINVAL");
    assert_eq!(on(V6_1, vec![], into(5, 89)), "EBADF");
    let created = |flags: u64| {
        call(|c| {
            c.flags = flags;
            c.cgroup = CgroupSpec::Created;
        })
    };
    assert_eq!(
        on(V6_1, vec![Step::Cgroup], created(CLONE_INTO_CGROUP)),
        "ok"
    );
    let thread = CLONE_INTO_CGROUP | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    let t = call(|c| {
        c.flags = thread;
        c.cgroup = CgroupSpec::Created;
        c.exit_signal = 0;
    });
    assert_eq!(on(V6_1, vec![Step::Cgroup], t), "EOPNOTSUPP");
    let dir = call(|c| {
        c.flags = CLONE_INTO_CGROUP;
        c.cgroup = CgroupSpec::NonCgroupDir;
    });
    assert_eq!(on(V6_1, vec![], dir), "EBADF");
    // Before 5.7 the flag is unknown to clone3_args_valid(), and the member lies past the
    // struct the kernel knows, which copy_struct_from_user() tests first.
    assert_eq!(on((5, 6, 0), vec![], into(0, 80)), "EINVAL");
    assert_eq!(on((5, 6, 0), vec![], into(5, 88)), "E2BIG");
}

#[test]
fn stack_range_and_size() {
    let stack = |s: StackSpec, size: u64| {
        on(
            V6_1,
            vec![],
            call(|c| {
                c.stack = s;
                c.stack_size = size;
            }),
        )
    };
    assert_eq!(stack(StackSpec::None, 1), "EINVAL");
    assert_eq!(stack(StackSpec::None, 0), "ok");
    assert_eq!(stack(StackSpec::Literal(0), 1), "EINVAL");
    let region = StackSpec::Region {
        len: 65536,
        offset: 0,
    };
    assert_eq!(stack(region, 0), "EINVAL");
    assert_eq!(stack(region, 1), "ok");
    // access_ok(): a range past every user address limit, or one that wraps.
    assert_eq!(stack(StackSpec::Literal(1 << 60), 4096), "EINVAL");
    assert_eq!(stack(StackSpec::Literal(u64::MAX - 4095), 4096), "EINVAL");
    assert_eq!(stack(StackSpec::Literal(u64::MAX - 4096), 4096), "EINVAL");
    // A user address nothing maps: the call succeeds, the child faults on its stack.
    assert_eq!(stack(StackSpec::Literal(0x1000_0000), 4096), "ok");
    let faults = predict_on(
        Arch::X86_64,
        V6_1,
        vec![],
        call(|c| {
            c.stack = StackSpec::Literal(0x1000_0000);
            c.stack_size = 4096;
        }),
    );
    assert_eq!(
        faults,
        Expectation::Success {
            checks: vec![Check::ChildKilled(11)]
        }
    );
    // s390's access_ok() accepts every range.
    let s390 = predict_on(
        Arch::S390x,
        V6_1,
        vec![],
        call(|c| {
            c.stack = StackSpec::Literal(1 << 60);
            c.stack_size = 4096;
        }),
    );
    assert_eq!(s390.outcome(), "ok");
    // Before 5.3.11 / 5.4 nothing is validated.
    let old = |k| {
        on(
            k,
            vec![],
            call(|c| {
                c.stack = StackSpec::None;
                c.stack_size = 1;
            }),
        )
    };
    assert_eq!(old((5, 3, 10)), "ok");
    assert_eq!(old((5, 3, 11)), "EINVAL");
}

#[test]
fn settls_against_task_size_max_on_x86_64() {
    // do_arch_prctl_64(ARCH_SET_FS): arg2 >= TASK_SIZE_MAX ((1 << 47) - PAGE_SIZE) is EPERM.
    let limit = (1u64 << 47) - 4096;
    let tls = |v: u64| {
        call(|c| {
            c.flags = CLONE_SETTLS;
            c.tls = Ptr::Literal(v);
        })
    };
    assert_eq!(on(V6_1, vec![], tls(limit - 1)), "ok");
    assert_eq!(on(V6_1, vec![], tls(limit)), "EPERM");
    assert_eq!(on(V6_1, vec![], tls(limit + 1)), "EPERM");
}

#[test]
fn set_tid_length_against_the_child_level() {
    // alloc_pid(): set_tid_size > ns->level + 1 is EINVAL. Natively the payload is at level
    // 1, so two pids fit.
    for k in [V6_1, V7_3] {
        assert_eq!(on(k, vec![], set_tid(pids(&[500, 600]))), "ok", "{k:?}");
        assert_eq!(on(k, vec![], set_tid(pids(&[500]))), "ok", "{k:?}");
        assert_eq!(
            on(k, vec![], set_tid(pids(&[500, 600, 700]))),
            "EINVAL",
            "{k:?}"
        );
        // One level more below: three fit.
        let nested = vec![Step::NestPidNs { levels: 1 }];
        assert_eq!(
            on(k, nested.clone(), set_tid(pids(&[500, 600, 700]))),
            "ok",
            "{k:?}"
        );
        assert_eq!(
            on(k, nested, set_tid(pids(&[500, 600, 700, 800]))),
            "EINVAL",
            "{k:?}"
        );
    }
}

#[test]
fn set_tid_values_against_1_and_pid_max() {
    let pid = |v: PidValue| set_tid(SetTidSpec::Pids(vec![v]));
    for k in [V6_1, V7_3] {
        // tid < 1 || tid >= pid_max is EINVAL; pid 1 is taken where an init runs (EEXIST).
        assert_eq!(on(k, vec![], pid(PidValue::Literal(0))), "EINVAL");
        assert_eq!(on(k, vec![], pid(PidValue::Literal(-1))), "EINVAL");
        assert_eq!(on(k, vec![], pid(PidValue::Literal(1))), "EEXIST");
        assert_eq!(on(k, vec![], pid(PidValue::Literal(2))), "ok");
        assert_eq!(on(k, vec![], pid(PidValue::PidMaxMinus(1))), "ok");
        assert_eq!(on(k, vec![], pid(PidValue::PidMaxMinus(0))), "EINVAL");
        assert_eq!(on(k, vec![], pid(PidValue::PidMaxMinus(-1))), "EINVAL");
    }
    // A pid namespace the case creates starts with pid_max = PID_MAX_LIMIT where pid_max is
    // per namespace (7.3 kernel/pid_namespace.c); 6.1 compares with the global pid_max.
    let nested = || vec![Step::NestPidNs { levels: 1 }];
    let lit = |v: i64| pid(PidValue::Literal(v as i32));
    assert_eq!(on(V7_3, nested(), lit(32768)), "ok");
    assert_eq!(on(V6_1, nested(), lit(32768)), "EINVAL");
    assert_eq!(on(V6_1, nested(), lit(32767)), "ok");
    assert_eq!(on(V7_3, nested(), lit(PID_MAX_LIMIT - 1)), "ok");
    assert_eq!(on(V7_3, nested(), lit(PID_MAX_LIMIT)), "EINVAL");
    // The payload's own level keeps the pid_max it read.
    assert_eq!(on(V7_3, nested(), set_tid(pids(&[500, 32768]))), "EINVAL");
    assert_eq!(on(V7_3, nested(), set_tid(pids(&[500, 32767]))), "ok");
}

#[test]
fn set_tid_in_a_new_pid_namespace() {
    let newpid = |p: &[i32], flags: u64| {
        call(|c| {
            c.flags = CLONE_NEWPID | flags;
            c.set_tid = pids(p);
        })
    };
    for k in [V6_1, V7_3] {
        // A namespace without an init takes only pid 1.
        assert_eq!(on(k, vec![], newpid(&[1], 0)), "ok");
        assert_eq!(on(k, vec![], newpid(&[2], 0)), "EINVAL");
        assert_eq!(on(k, vec![], newpid(&[1, 500], 0)), "ok");
        assert_eq!(on(k, vec![], newpid(&[1, 1], 0)), "EEXIST");
        assert_eq!(on(k, vec![], newpid(&[1, 500, 600], 0)), "ok");
        assert_eq!(on(k, vec![], newpid(&[1, 500, 600, 700], 0)), "EINVAL");
        // Without CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE) over the outer level.
        let no_caps = vec![Step::KeepCaps { caps: 0 }];
        assert_eq!(
            on(k, no_caps.clone(), newpid(&[1], CLONE_NEWUSER)),
            "ok",
            "{k:?}: the new user namespace owns the new level"
        );
        assert_eq!(
            on(k, no_caps.clone(), newpid(&[1, 500], CLONE_NEWUSER)),
            "EPERM",
            "{k:?}"
        );
        // A new user namespace alone: the child stays in the caller's pid namespace, which
        // the new user namespace does not own.
        let newuser = call(|c| c.flags = CLONE_NEWUSER);
        let newuser_set_tid = call(|c| {
            c.flags = CLONE_NEWUSER;
            c.set_tid = pids(&[500]);
        });
        assert_eq!(on(k, no_caps.clone(), newuser), "ok", "{k:?}");
        assert_eq!(on(k, no_caps.clone(), newuser_set_tid), "EPERM", "{k:?}");
        assert_eq!(on(k, no_caps, newpid(&[1], 0)), "EPERM", "{k:?}");
    }
    // 6.1 tests each level in turn (range, init, capability, in use); 7.3 tests range and
    // capability for every level first.
    let no_caps = || vec![Step::KeepCaps { caps: 0 }];
    assert_eq!(
        on(V6_1, no_caps(), newpid(&[2, 500], CLONE_NEWUSER)),
        "EINVAL"
    );
    assert_eq!(
        on(V7_3, no_caps(), newpid(&[2, 500], CLONE_NEWUSER)),
        "EPERM"
    );
    assert_eq!(on(V6_1, vec![], newpid(&[2, 0], 0)), "EINVAL");
    assert_eq!(on(V7_3, vec![], newpid(&[1, 1], 0)), "EEXIST");
    assert_eq!(on(V6_1, no_caps(), newpid(&[1, 1], CLONE_NEWUSER)), "EPERM");
    assert_eq!(on(V7_3, no_caps(), newpid(&[1, 1], CLONE_NEWUSER)), "EPERM");
    // CAP_CHECKPOINT_RESTORE alone, from 5.9.
    let cr = || {
        vec![Step::KeepCaps {
            caps: cap(CAP_CHECKPOINT_RESTORE),
        }]
    };
    assert_eq!(on((5, 9, 0), cr(), set_tid(pids(&[500]))), "ok");
    assert_eq!(on((5, 8, 0), cr(), set_tid(pids(&[500]))), "EPERM");
    let admin = vec![Step::KeepCaps {
        caps: cap(CAP_SYS_ADMIN),
    }];
    assert_eq!(on((5, 8, 0), admin, set_tid(pids(&[500]))), "ok");
}

#[test]
fn pid_namespace_nesting_against_max_pid_ns_level() {
    // create_pid_namespace(): level > MAX_PID_NS_LEVEL (32) is ENOSPC. The payload is at 1.
    let newpid = || call(|c| c.flags = CLONE_NEWPID);
    let nest = |levels| vec![Step::NestPidNs { levels }];
    assert_eq!(on(V6_1, nest(30), newpid()), "ok");
    assert_eq!(on(V6_1, nest(31), newpid()), "ENOSPC");
    // A case that needs more levels than there are cannot run at all.
    assert_eq!(on(V6_1, nest(31), Clone3Call::default()), "ok");
    assert_eq!(on(V6_1, nest(32), Clone3Call::default()), "skip");
    let mut unshare = nest(30);
    unshare.push(Step::UnsharePidNs);
    assert_eq!(on(V6_1, unshare.clone(), Clone3Call::default()), "ok");
    unshare[0] = Step::NestPidNs { levels: 31 };
    assert_eq!(on(V6_1, unshare, Clone3Call::default()), "skip");
}

#[test]
fn flag_combinations_in_copy_process() {
    let flags = |f: u64, sig: u64| {
        call(|c| {
            c.flags = f;
            c.exit_signal = sig;
        })
    };
    let thread = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    for (f, sig, want) in [
        (CLONE_NEWNS | CLONE_FS, 17, "EINVAL"),
        (CLONE_NEWNS, 17, "ok"),
        (CLONE_FS, 17, "ok"),
        (CLONE_NEWUSER | CLONE_FS, 17, "EINVAL"),
        (CLONE_NEWUSER, 17, "ok"),
        (CLONE_THREAD | CLONE_VM, 0, "EINVAL"),
        (CLONE_SIGHAND, 17, "EINVAL"),
        (CLONE_SIGHAND | CLONE_VM, 17, "ok"),
        (thread, 0, "ok"),
        (thread, 17, "EINVAL"),
        (CLONE_PARENT, 17, "EINVAL"),
        (CLONE_PARENT, 0, "ok"),
        (thread | CLONE_NEWUSER, 0, "EINVAL"),
        (thread | CLONE_NEWPID, 0, "EINVAL"),
        (CLONE_SIGHAND | CLONE_VM | CLONE_CLEAR_SIGHAND, 17, "EINVAL"),
        (CLONE_CLEAR_SIGHAND, 17, "ok"),
        (CLONE_NEWIPC | CLONE_SYSVSEM, 17, "EINVAL"),
        (CLONE_NEWIPC, 17, "ok"),
        (CLONE_SYSVSEM, 17, "ok"),
        (CLONE_DETACHED, 17, "EINVAL"),
        (1 << 40, 17, "EINVAL"),
    ] {
        assert_eq!(on(V6_1, vec![], flags(f, sig)), want, "flags {f:#x}");
    }
    // CLONE_PIDFD with CLONE_THREAD from 6.9.
    let pidfd_thread = call(|c| {
        c.flags = thread | CLONE_PIDFD;
        c.exit_signal = 0;
        c.pidfd = Ptr::Slot(SlotKind::Pidfd);
    });
    assert_eq!(on((6, 8, 0), vec![], pidfd_thread.clone()), "EINVAL");
    assert_eq!(on((6, 9, 0), vec![], pidfd_thread), "ok");
    // CLONE_PIDFD and CLONE_PARENT_SETTID on one address (kernel_clone()).
    let same = |a: Ptr, b: Ptr| {
        on(
            V6_1,
            vec![],
            call(|c| {
                c.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
                c.pidfd = a;
                c.parent_tid = b;
            }),
        )
    };
    let (p, t) = (Ptr::Slot(SlotKind::Pidfd), Ptr::Slot(SlotKind::ParentTid));
    assert_eq!(same(p, p), "EINVAL");
    assert_eq!(same(p, t), "ok");
    assert_eq!(same(Ptr::Unmapped, t), "EFAULT");
    // Without CAP_SYS_ADMIN a new namespace is EPERM, unless it comes with a new user one.
    let no_caps = || vec![Step::KeepCaps { caps: 0 }];
    assert_eq!(on(V6_1, no_caps(), flags(CLONE_NEWUTS, 17)), "EPERM");
    assert_eq!(
        on(V6_1, no_caps(), flags(CLONE_NEWUTS | CLONE_NEWUSER, 17)),
        "ok"
    );
    // A kernel built without a namespace type refuses its flag.
    let mut e = env_on(Arch::X86_64, V6_1);
    e.namespaces &= !(1 << 1); // time
    let c = case_with(vec![], Call::Clone3(flags(CLONE_NEWTIME, 17)));
    assert_eq!(predict(&c, &e).outcome(), "EINVAL");
    let c = case_with(vec![], Call::Clone3(flags(CLONE_NEWUTS, 17)));
    assert_eq!(predict(&c, &e).outcome(), "ok");
    e.namespaces &= !(1 << 2); // user
    let c = case_with(vec![], Call::Clone3(flags(CLONE_NEWUSER, 17)));
    assert_eq!(predict(&c, &e).outcome(), "EINVAL");
}

#[test]
fn the_2026_flags_in_copy_process() {
    let autoreap = |f: u64, sig: u64| {
        call(|c| {
            c.flags = CLONE_AUTOREAP | f;
            c.exit_signal = sig;
            c.pidfd = Ptr::Slot(SlotKind::Pidfd);
        })
    };
    assert_eq!(on(V7_3, vec![], autoreap(0, 0)), "ok");
    assert_eq!(on(V7_3, vec![], autoreap(0, 17)), "EINVAL");
    assert_eq!(on((7, 0, 0), vec![], autoreap(0, 0)), "EINVAL");
    assert_eq!(on(V7_3, vec![], autoreap(CLONE_PARENT, 0)), "EINVAL");
    let thread = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    assert_eq!(on(V7_3, vec![], autoreap(thread, 0)), "EINVAL");
    let kill = CLONE_PIDFD_AUTOKILL | CLONE_PIDFD;
    assert_eq!(on(V7_3, vec![], autoreap(kill, 0)), "ok");
    assert_eq!(
        on(V7_3, vec![], autoreap(CLONE_PIDFD_AUTOKILL, 0)),
        "EINVAL"
    );
    let no_caps = || vec![Step::KeepCaps { caps: 0 }];
    assert_eq!(on(V7_3, no_caps(), autoreap(kill, 0)), "EPERM");
    assert_eq!(on(V7_3, no_caps(), autoreap(kill | CLONE_NNP, 0)), "ok");
    let plain_autokill = call(|c| {
        c.flags = kill;
        c.exit_signal = 0;
        c.pidfd = Ptr::Slot(SlotKind::Pidfd);
    });
    assert_eq!(on(V7_3, vec![], plain_autokill), "EINVAL");
    let nnp = |f: u64, sig: u64| {
        call(|c| {
            c.flags = CLONE_NNP | f;
            c.exit_signal = sig;
        })
    };
    assert_eq!(on(V7_3, vec![], nnp(0, 17)), "ok");
    assert_eq!(on(V7_3, vec![], nnp(thread, 0)), "EINVAL");
    let parent = call(|c| {
        c.flags = CLONE_PARENT;
        c.exit_signal = 0;
    });
    assert_eq!(
        on(V7_3, vec![Step::AutoreapedCaller], parent.clone()),
        "EINVAL"
    );
    assert_eq!(on(V7_3, vec![], parent.clone()), "ok");
    // A caller made with CLONE_AUTOREAP needs a kernel that has it.
    assert_eq!(on((7, 0, 0), vec![Step::AutoreapedCaller], parent), "skip");
    // CLONE_EMPTY_MNTNS implies CLONE_NEWNS, whose rule against CLONE_FS applies.
    let empty = |f: u64| call(|c| c.flags = CLONE_EMPTY_MNTNS | f);
    assert_eq!(on(V7_3, vec![], empty(0)), "ok");
    assert_eq!(on(V7_3, vec![], empty(CLONE_FS)), "EINVAL");
}

#[test]
fn version_gates_at_their_point_releases() {
    let newtime = || call(|c| c.flags = CLONE_NEWTIME);
    for (k, want) in [
        ((6, 1, 19), "EINVAL"),
        ((6, 1, 20), "ok"),
        ((6, 2, 0), "EINVAL"),
        ((6, 2, 99), "EINVAL"),
        ((6, 3, 0), "ok"),
        ((5, 15, 102), "EINVAL"),
        ((5, 15, 103), "ok"),
        ((5, 10, 175), "ok"),
        ((5, 10, 174), "EINVAL"),
    ] {
        assert_eq!(on(k, vec![], newtime()), want, "{k:?}");
    }
    // 6.19 may or may not test alloc_pid's ranges and capabilities first: a case the order
    // decides is a skip there, others are judged.
    let no_caps = || vec![Step::KeepCaps { caps: 0 }];
    let order = || {
        call(|c| {
            c.flags = CLONE_NEWPID | CLONE_NEWUSER;
            c.set_tid = pids(&[2, 500]);
        })
    };
    assert_eq!(on((6, 18, 0), no_caps(), order()), "EINVAL");
    assert_eq!(on((6, 19, 0), no_caps(), order()), "skip");
    assert_eq!(on((7, 0, 0), no_caps(), order()), "EPERM");
    assert_eq!(on((6, 19, 0), vec![], set_tid(pids(&[500]))), "ok");
    // An errno named by two rules is one verdict: 6.19 judges it.
    let both_einval = call(|c| {
        c.flags = CLONE_NEWPID;
        c.set_tid = pids(&[2, 0]);
    });
    assert_eq!(on((6, 19, 0), vec![], both_einval), "EINVAL");
}

#[test]
fn clone3_exists_from_the_abis_first_kernel() {
    assert_eq!(on((5, 2, 99), vec![], Clone3Call::default()), "ENOSYS");
    assert_eq!(on((5, 3, 0), vec![], Clone3Call::default()), "ok");
}

#[test]
fn legacy_clone_keeps_the_low_32_bits_from_5_7() {
    let legacy = |flags: u64| {
        case_with(
            vec![],
            Call::Legacy(LegacyCall {
                flags,
                stack: StackSpec::None,
                parent_tid: Ptr::Null,
                child_tid: Ptr::Null,
                tls: Ptr::Null,
            }),
        )
    };
    let out = |flags: u64, k: (u32, u32, u32)| {
        predict(&legacy(flags), &env_on(Arch::X86_64, k)).outcome()
    };
    // SYSCALL_DEFINE5(clone): lower_32_bits(clone_flags), so bits above 31 mean nothing.
    let f = (1 << 40) | CLONE_CLEAR_SIGHAND | CLONE_SIGHAND | CLONE_VM | SIGCHLD;
    assert_eq!(out(f, (5, 6, 14)), "ok");
    assert_eq!(out(f, (6, 1, 0)), "ok");
    // Its exit signal is the low byte; from 7.2 kernel_clone() tests it.
    assert_eq!(out(64, V7_3), "ok");
    assert_eq!(out(65, V7_3), "EINVAL");
    assert_eq!(out(65, V6_1), "ok");
    let sent = |flags: u64| match predict(&legacy(flags), &env_on(Arch::X86_64, V6_1)) {
        Expectation::Success { checks } => checks
            .into_iter()
            .find_map(|c| match c {
                Check::ExitSignal(s) => Some(s),
                _ => None,
            })
            .expect("an exit signal check"),
        other => panic!("{other:?}"),
    };
    // do_notify_parent() sends only a valid signal.
    assert_eq!(sent(64), 64);
    assert_eq!(sent(65), 0);
    assert_eq!(sent(0), 0);
}

#[test]
fn a_size_that_cuts_a_member_keeps_the_bytes_before_the_cut() {
    // copy_struct_from_user() copies `size` bytes: with 73, set_tid_size keeps its first
    // byte, the low-order one on a little-endian target, the high-order one on a big-endian.
    let cut = |arch: Arch, size: u64| {
        predict_on(
            arch,
            V6_1,
            vec![],
            call(|c| {
                c.size = SizeArg::Literal(73);
                c.set_tid = SetTidSpec::Null { size };
            }),
        )
        .outcome()
    };
    // 0x100: its low byte is 0, so the kernel sees 0 (and no set_tid).
    assert_eq!(cut(Arch::X86_64, 0x100), "ok");
    assert_eq!(cut(Arch::X86_64, 0x101), "EINVAL");
    // 0x10000 and 0x100: the high byte is 0 on s390x.
    assert_eq!(cut(Arch::S390x, 0x10000), "ok");
    assert_eq!(cut(Arch::S390x, 0x100), "ok");
    assert_eq!(cut(Arch::S390x, 1 << 56), "EINVAL");
    // With a set_tid pointer: one pid (the low byte, 1) is read and the read faults.
    let literal = predict_on(
        Arch::X86_64,
        V6_1,
        vec![],
        call(|c| {
            c.size = SizeArg::Literal(73);
            c.set_tid = SetTidSpec::Literal {
                addr: 0x1000,
                size: 0x101,
            };
        }),
    );
    assert_eq!(literal.outcome(), "EFAULT");
}

/// kernel/user_namespace.c `create_user_ns()`: `parent_ns->level > 32` is ENOSPC; and the
/// payload's own level, where the runner knows it, counts.
#[test]
fn user_namespace_nesting_against_its_limit() {
    let newuser = call(|c| c.flags = CLONE_NEWUSER);
    let nest = |levels| vec![Step::NestUserNs { levels }];
    let with_level = |level: Option<u32>, levels: u32| {
        let env = ModelEnv {
            payload_user_level: level,
            ..env_on(Arch::X86_64, V6_1)
        };
        predict(
            &case_with(nest(levels), Call::Clone3(newuser.clone())),
            &env,
        )
        .outcome()
    };
    assert_eq!(with_level(Some(0), 31), "ok");
    assert_eq!(with_level(Some(0), 32), "ok");
    assert_eq!(with_level(Some(0), 33), "ENOSPC");
    // The steps themselves cannot go past the limit: such a case means nothing.
    assert_eq!(with_level(Some(0), 34), "skip");
    assert_eq!(with_level(Some(1), 31), "ok");
    assert_eq!(with_level(Some(1), 32), "ENOSPC");
    assert_eq!(with_level(Some(1), 33), "skip");
    // Where the payload's level is unknown, a case that nests any is not judged.
    assert_eq!(with_level(None, 1), "skip");
    assert_eq!(
        predict(
            &case_with(vec![], Call::Clone3(newuser.clone())),
            &ModelEnv {
                payload_user_level: None,
                ..env_on(Arch::X86_64, V6_1)
            }
        )
        .outcome(),
        "ok"
    );
    // Without CLONE_NEWUSER the depth is no concern of the call.
    assert_eq!(on(V6_1, nest(33), Clone3Call::default()), "ok");
    // A kernel without user namespaces cannot run the setup.
    let no_user = ModelEnv {
        namespaces: !(1u8 << ns_bit("user")),
        ..env_on(Arch::X86_64, V6_1)
    };
    assert_eq!(
        predict(
            &case_with(nest(1), Call::Clone3(Clone3Call::default())),
            &no_user
        )
        .outcome(),
        "skip"
    );
}

fn ns_bit(name: &str) -> u32 {
    cloneabi_suites::observation::NS_NAMES
        .iter()
        .position(|n| *n == name)
        .expect("a namespace name") as u32
}

/// kernel/pid.c `alloc_pid()`: `checkpoint_restore_ns_capable(tmp->user_ns)` per level, and
/// security/commoncap.c `cap_capable()`: a caller has no capability over a namespace at or
/// above its own user namespace's level.
#[test]
fn set_tid_from_a_caller_in_a_user_namespace_of_its_own() {
    let chosen = |depth: usize| {
        set_tid(SetTidSpec::Pids(
            (0..depth)
                .map(|i| PidValue::Literal(5000 + i as i32))
                .collect(),
        ))
    };
    let steps = |user: u32, pid: u32| {
        let mut s = vec![];
        if user > 0 {
            s.push(Step::NestUserNs { levels: user });
        }
        if pid > 0 {
            s.push(Step::NestPidNs { levels: pid });
        }
        s
    };
    // One pid namespace below the payload's: its level is the caller's to choose in, the
    // payload's is not.
    assert_eq!(on(V6_1, steps(1, 1), chosen(1)), "ok");
    assert_eq!(on(V6_1, steps(1, 1), chosen(2)), "EPERM");
    assert_eq!(on(V6_1, steps(0, 1), chosen(2)), "ok");
    // Without a pid namespace of its own, even the child's level is an ancestor's.
    assert_eq!(on(V6_1, steps(1, 0), chosen(1)), "EPERM");
    assert_eq!(on(V6_1, steps(0, 0), chosen(1)), "ok");
    // A new pid namespace in a new user namespace belongs to the caller either way.
    let mut own = chosen(1);
    own.flags = CLONE_NEWUSER | CLONE_NEWPID;
    own.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(1)]);
    assert_eq!(on(V6_1, steps(1, 0), own), "ok");
    // The same at payload level 0 (a guest): the level the setup made is 1.
    let guest = ModelEnv {
        payload_level: 0,
        ..env_on(Arch::X86_64, V6_1)
    };
    let at = |s, c| predict(&case_with(s, Call::Clone3(c)), &guest).outcome();
    assert_eq!(at(steps(1, 1), chosen(1)), "ok");
    assert_eq!(at(steps(1, 1), chosen(2)), "EPERM");
}

/// copy_process() copies the caller's no_new_privs (copy_seccomp()); CLONE_NNP sets it (7.1);
/// CLONE_PIDFD_AUTOKILL asks for the flag, not the state.
#[test]
fn no_new_privs_of_the_caller() {
    let checks = |k, steps, c| match predict_on(Arch::X86_64, k, steps, c) {
        Expectation::Success { checks } => checks,
        other => panic!("expected success, got {other:?}"),
    };
    let nnp = |checks: Vec<Check>| {
        checks.iter().find_map(|c| match c {
            Check::NoNewPrivs(v) => Some(*v),
            _ => None,
        })
    };
    assert_eq!(
        nnp(checks(V6_1, vec![Step::NoNewPrivs], Clone3Call::default())),
        Some(1)
    );
    assert_eq!(nnp(checks(V6_1, vec![], Clone3Call::default())), None);
    let autoreap = call(|c| {
        c.flags = CLONE_AUTOREAP;
        c.exit_signal = 0;
    });
    assert_eq!(nnp(checks(V7_3, vec![], autoreap.clone())), Some(0));
    assert_eq!(nnp(checks(V7_3, vec![Step::NoNewPrivs], autoreap)), Some(1));
    let autokill = |f: u64| {
        call(|c| {
            c.flags = CLONE_PIDFD | CLONE_PIDFD_AUTOKILL | CLONE_AUTOREAP | f;
            c.pidfd = Ptr::Slot(SlotKind::Pidfd);
            c.exit_signal = 0;
        })
    };
    let no_caps = Step::KeepCaps { caps: 0 };
    assert_eq!(
        on(V7_3, vec![Step::NoNewPrivs, no_caps.clone()], autokill(0)),
        "EPERM"
    );
    assert_eq!(
        on(V7_3, vec![Step::NoNewPrivs, no_caps], autokill(CLONE_NNP)),
        "ok"
    );
    assert_eq!(on(V7_3, vec![Step::NoNewPrivs], autokill(0)), "ok");
}

/// The read-only page: the kernel reads it and cannot write it.
#[test]
fn the_read_only_page() {
    let pidfd = call(|c| {
        c.flags = CLONE_PIDFD;
        c.pidfd = Ptr::ReadOnly;
    });
    assert_eq!(on(V6_1, vec![], pidfd), "EFAULT");
    for (flags, f) in [
        (
            CLONE_PARENT_SETTID,
            (|c: &mut Clone3Call| c.parent_tid = Ptr::ReadOnly) as fn(&mut Clone3Call),
        ),
        (CLONE_CHILD_SETTID, |c: &mut Clone3Call| {
            c.child_tid = Ptr::ReadOnly
        }),
    ] {
        let c = call(|c| {
            c.flags = flags;
            f(c);
        });
        assert_eq!(on(V6_1, vec![], c), "ok");
    }
    let stack = |size| {
        call(|c| {
            c.stack = StackSpec::ReadOnly { offset: 0 };
            c.stack_size = size;
        })
    };
    assert_eq!(on(V6_1, vec![], stack(0)), "EINVAL");
    match predict_on(Arch::X86_64, V6_1, vec![], stack(0x1000)) {
        Expectation::Success { checks } => assert_eq!(checks, vec![Check::ChildKilled(11)]),
        other => panic!("expected a killed child, got {other:?}"),
    }
    // i386's CLONE_SETTLS reads a user_desc there: zeros, entry_number 0.
    let tls = call(|c| {
        c.flags = CLONE_SETTLS;
        c.tls = Ptr::ReadOnly;
    });
    assert_eq!(
        predict_on(Arch::I386, V6_1, vec![], tls).outcome(),
        "EINVAL"
    );
}

/// kernel/cgroup/cgroup.c `cgroup_get_from_file()`: a v1 directory is EBADF, whatever the
/// other flags; a payload that could not mount one judges no such case.
#[test]
fn a_cgroup_v1_directory() {
    let into = |f: u64| {
        call(|c| {
            c.flags = CLONE_INTO_CGROUP | f;
            c.cgroup = CgroupSpec::V1Root;
            if f & CLONE_THREAD != 0 {
                c.exit_signal = 0;
                c.stack = StackSpec::Region {
                    len: 0x10000,
                    offset: 0,
                };
                c.stack_size = 0x10000;
            }
        })
    };
    let steps = || vec![Step::CgroupV1];
    assert_eq!(on(V6_1, steps(), into(0)), "EBADF");
    assert_eq!(on(V7_3, steps(), into(0)), "EBADF");
    assert_eq!(
        on(V6_1, steps(), into(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)),
        "EBADF"
    );
    // Without CLONE_INTO_CGROUP the descriptor is not looked at.
    let mut plain = into(0);
    plain.flags = 0;
    assert_eq!(on(V6_1, steps(), plain), "ok");
    for (errno, why) in [(1, "cannot be mounted here (EPERM)"), (-1, "did not try")] {
        let env = ModelEnv {
            cgroup1_errno: errno,
            ..env_on(Arch::X86_64, V6_1)
        };
        match predict(&case_with(steps(), Call::Clone3(into(0))), &env) {
            Expectation::Skip { reason } => assert!(reason.contains(why), "{reason}"),
            other => panic!("expected a skip, got {other:?}"),
        }
    }
}

/// copy_creds(): without CONFIG_USER_NS, create_user_ns() is a stub that refuses; a call
/// without CLONE_NEWUSER never reaches it.
#[test]
fn a_kernel_without_user_namespaces() {
    let env = ModelEnv {
        namespaces: !(1 << ns_bit("user")),
        ..env_on(Arch::X86_64, V6_1)
    };
    let outcome = |flags: u64| {
        predict(
            &case_with(vec![], Call::Clone3(call(|c| c.flags = flags))),
            &env,
        )
        .outcome()
    };
    assert_eq!(outcome(0), "ok");
    assert_eq!(outcome(CLONE_NEWNS), "ok");
    assert_eq!(outcome(CLONE_NEWUSER), "EINVAL");
}

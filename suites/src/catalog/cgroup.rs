//! CLONE_INTO_CGROUP (5.7).

use super::case;
use crate::case::{Case, CgroupSpec, Concern::Cgroup, SizeArg, Step};
use crate::flags::CLONE_INTO_CGROUP;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            Cgroup,
            "into.valid",
            "the child starts in the target cgroup",
        )
        .origin("LTP clone303")
        .step(Step::Cgroup)
        .behavior(|b| {
            b.child_holds = true;
            b.read_cgroup_procs = true;
        })
        .clone3(|c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::Created;
        }),
        case(Cgroup, "into.closed_fd", "a closed descriptor is EBADF").clone3(|c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::Fd(1000);
        }),
        case(
            Cgroup,
            "into.o_path",
            "an O_PATH descriptor of the cgroup directory is taken",
        )
        .origin("kernel/cgroup/cgroup.c cgroup_css_set_fork(): \"This can even be an O_PATH file descriptor\"")
        .step(Step::Cgroup)
        .behavior(|b| {
            b.child_holds = true;
            b.read_cgroup_procs = true;
        })
        .clone3(|c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::CreatedPath;
        }),
        case(
            Cgroup,
            "into.procs_file",
            "the cgroup's cgroup.procs file, not its directory, is EBADF",
        )
        .origin("kernel/cgroup/cgroup.c cgroup_css_set_fork(): \"it can never be a cgroup.procs file descriptor\"")
        .step(Step::Cgroup)
        .clone3(|c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::CreatedProcsFile;
        }),
        case(
            Cgroup,
            "into.cgroup_fd_closed",
            "the cgroup directory's descriptor, closed before the call, is EBADF",
        )
        .step(Step::Cgroup)
        .clone3(|c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::CreatedClosed;
        }),
        case(
            Cgroup,
            "into.not_a_cgroup",
            "a directory that is not a cgroup is EBADF",
        )
        .clone3(|c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::NonCgroupDir;
        }),
        case(
            Cgroup,
            "into.v1_root",
            "the root of a cgroup v1 hierarchy is EBADF: clone3 starts children in cgroup2 \
             cgroups only",
        )
        .origin("kernel/cgroup/cgroup.c cgroup_get_from_file(): !cgroup_on_dfl() is -EBADF")
        .step(Step::CgroupV1)
        .clone3(|c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::V1Root;
        }),
        case(
            Cgroup,
            "into.size_ver1",
            "CLONE_INTO_CGROUP with a VER1 struct is EINVAL",
        )
        .clone3(|c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::Fd(3);
            c.size = SizeArg::Literal(80);
        }),
        case(
            Cgroup,
            "into.fd_above_int_max",
            "a cgroup value above INT_MAX is EINVAL",
        )
        .clone3(|c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::Fd(1 << 31);
        }),
        case(
            Cgroup,
            "into.size_ver2_plus_8",
            "CLONE_INTO_CGROUP with a larger zero-tailed struct",
        )
        .step(Step::Cgroup)
        .clone3(|c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::Created;
            c.size = SizeArg::Literal(96);
        }),
    ]
}

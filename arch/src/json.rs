//! One arch's model as a JSON document and as a plain-text table.

use crate::clone_args::{SizeVersion, FIELDS};
use crate::{flags, Arch, Sysno};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;

/// The model of `arch`:
///
/// ```text
/// {"arch":"s390x","triple":"s390x-unknown-linux-gnu","endian":"big","pointer_width":64,
///  "elf":{...},"debian":{...},"syscalls":{"clone3":435,"fork":2,...},
///  "clone_args":{"sizes":{"ver0":64,"ver1":80,"ver2":88},
///                "fields":[{"name":"flags","offset":0,"size":8,"since":"5.3"},...]},
///  "flags":[{"name":"CLONE_VM","value":256,...},...],
///  "legacy_clone_order":["stack","flags","parent_tid","child_tid","tls"],
///  "syscall_convention":{...},"stack":{...},"tls_register":"a0:a1",
///  "default_page_size":4096,"settls_limit":null,"tls_argument":"value"}
/// ```
///
/// A syscall the arch lacks is `null`.
pub fn abi_json(arch: Arch) -> Value {
    let abi = arch.abi();
    let syscalls: Map<String, Value> = Sysno::ALL
        .iter()
        .map(|&nr| (nr.name().to_string(), json!(arch.syscall(nr))))
        .collect();
    let sizes: Map<String, Value> = SizeVersion::ALL
        .iter()
        .map(|v| (v.name().to_string(), json!(v.bytes())))
        .collect();
    json!({
        "arch": arch.name(),
        "triple": abi.triple,
        "endian": abi.endian,
        "pointer_width": abi.pointer_width,
        "elf": abi.elf,
        "debian": abi.debian,
        "kernel": {
            "abi": arch.kernel_abi(),
            "compat": arch.is_compat(),
            "boot_args": arch.boot_args(),
            "first_clone3": abi.first_clone3.to_string(),
            "arch": arch.kernel_arch(),
        },
        "syscalls": syscalls,
        "clone_args": {
            "sizes": sizes,
            "fields": FIELDS,
        },
        "flags": flags::all(),
        "legacy_clone_order": abi.legacy_clone.order(),
        "syscall_convention": abi.syscall,
        "stack": abi.stack,
        "tls_register": abi.tls_register,
        "default_page_size": abi.default_page_size,
        "settls_limit": abi.settls_limit,
        "tls_argument": abi.tls_argument,
    })
}

fn hex_or_none(v: Option<u64>) -> String {
    v.map_or_else(|| "none".to_string(), |v| format!("{v:#x}"))
}

/// The same model as a readable plain-text table.
pub fn abi_table(arch: Arch) -> String {
    let abi = arch.abi();
    let mut t = String::new();
    let endian = match abi.endian {
        crate::Endian::Little => "little",
        crate::Endian::Big => "big",
    };
    let _ = writeln!(t, "{} ({})", arch.name(), abi.triple);
    let _ = writeln!(t, "  endian            {endian}");
    let _ = writeln!(t, "  pointer width     {}", abi.pointer_width);
    let _ = writeln!(
        t,
        "  ELF               e_machine {}, class {}, data {}, ppc64 ABI {}",
        abi.elf.machine,
        if abi.elf.class64 { "ELF64" } else { "ELF32" },
        endian,
        abi.elf
            .ppc64_abi_version
            .map_or_else(|| "-".to_string(), |v| format!("v{v}"))
    );
    let _ = writeln!(
        t,
        "  Debian            dpkg {}, cc {} ({})",
        abi.debian.dpkg_arch,
        abi.debian.cross_gcc,
        abi.debian.cross_packages.join(", ")
    );
    let k = arch.kernel_arch();
    let _ = writeln!(
        t,
        "  kernel            {} ({}){}, clone3 since {}, image {}",
        arch.kernel_abi(),
        k.uname_machine,
        if arch.is_compat() {
            ", compat entry points"
        } else {
            ""
        },
        abi.first_clone3,
        k.image.describe()
    );
    if !arch.boot_args().is_empty() {
        let _ = writeln!(t, "  boot args         {}", arch.boot_args());
    }
    let kernels = match (k.sources.debian, k.sources.default_build) {
        (Some(d), _) => format!(
            "Debian linux-image-{} in {} (default {})",
            d.flavour,
            d.releases
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(", "),
            d.default
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (None, Some(d)) => format!(
            "built from linux-source-{} ({} + fixtures/kernels/{}, make {})",
            d.series, k.sources.build.defconfig, d.fragment, k.sources.build.target
        ),
        (None, None) => "none".to_string(),
    };
    let _ = writeln!(t, "  kernels           {kernels}");
    let m = &k.qemu.tuned;
    let _ = writeln!(
        t,
        "  QEMU              {} -M {}{} -m {} console={} ({}); user mode {}",
        k.qemu.binary,
        m.machine,
        m.cpu.map(|c| format!(" -cpu {c}")).unwrap_or_default(),
        m.memory_mb,
        k.qemu.console,
        k.qemu.package,
        abi.debian.qemu_user.unwrap_or("none")
    );
    let s = &abi.syscall;
    let _ = writeln!(
        t,
        "  syscall           {}: nr {}, args {}, ret {}, error {:?}",
        s.instruction,
        s.number_register,
        s.argument_registers.join(","),
        s.return_register,
        s.error
    );
    if !s.clobbered.is_empty() {
        let _ = writeln!(t, "  clobbered         {}", s.clobbered.join(","));
    }
    let order: Vec<String> = abi
        .legacy_clone
        .order()
        .iter()
        .map(|a| {
            serde_json::to_value(a)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    let _ = writeln!(
        t,
        "  legacy clone      {:?}: {}",
        abi.legacy_clone,
        order.join(", ")
    );
    let st = &abi.stack;
    let _ = writeln!(
        t,
        "  stack             align {}, entry frame {}, back chain {}, red zone {}, TOC {}, SP bits {}",
        st.alignment,
        st.entry_frame,
        if st.zero_back_chain { "zeroed" } else { "none" },
        st.red_zone,
        st.toc_register.unwrap_or("-"),
        st.sp_bits
    );
    let _ = writeln!(t, "  TLS register      {}", abi.tls_register);
    let _ = writeln!(t, "  page size         {}", abi.default_page_size);
    let _ = writeln!(t, "  SETTLS limit      {}", hex_or_none(abi.settls_limit));
    let _ = writeln!(
        t,
        "  SETTLS argument   {}",
        match abi.tls_argument {
            crate::abi::TlsArgument::Value => "the TLS register's value",
            crate::abi::TlsArgument::UserDesc => "a struct user_desc * (set_thread_area)",
        }
    );

    let _ = writeln!(t, "\n  syscall               number");
    for &nr in Sysno::ALL {
        let number = arch
            .syscall(nr)
            .map_or_else(|| "-".to_string(), |n| n.to_string());
        let _ = writeln!(t, "  {:<21} {:>6}", nr.name(), number);
    }

    let _ = writeln!(t, "\n  clone_args      offset  size  since");
    for f in &FIELDS {
        let _ = writeln!(
            t,
            "  {:<14} {:>7} {:>5}  {}",
            f.name, f.offset, f.size, f.since
        );
    }
    for v in SizeVersion::ALL {
        let _ = writeln!(
            t,
            "  CLONE_ARGS_SIZE_{} = {} (since {})",
            v.name().to_ascii_uppercase(),
            v.bytes(),
            v.since()
        );
    }

    let _ = writeln!(
        t,
        "\n  flag                  value         since   clone3  clone()"
    );
    for f in flags::all() {
        let clone3 = f
            .clone3_since
            .map_or_else(|| "never".to_string(), |v| v.to_string());
        let _ = writeln!(
            t,
            "  {:<21} {:<13} {:<7} {:<7} {}",
            f.name,
            format!("{:#x}", f.value),
            f.since.to_string(),
            clone3,
            if f.legacy_clone { "yes" } else { "no" }
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 17] = [
        "arch",
        "kernel",
        "triple",
        "endian",
        "pointer_width",
        "elf",
        "debian",
        "syscalls",
        "clone_args",
        "flags",
        "legacy_clone_order",
        "syscall_convention",
        "stack",
        "tls_register",
        "default_page_size",
        "settls_limit",
        "tls_argument",
    ];

    #[test]
    fn top_level_shape() {
        for arch in Arch::ALL {
            top_level_shape_of(arch);
        }
    }

    fn top_level_shape_of(arch: Arch) {
        let v = abi_json(arch);
        let obj = v.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = KEYS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want, "{arch}");
        assert_eq!(v["arch"], arch.name());
        assert_eq!(v["triple"], arch.triple());
        assert_eq!(v["pointer_width"], arch.abi().pointer_width);
        assert_eq!(v["kernel"]["abi"], arch.kernel_abi().name());
        assert_eq!(
            v["kernel"]["arch"]["uname_machine"],
            arch.kernel_arch().uname_machine
        );
        assert_eq!(
            v["clone_args"]["sizes"],
            json!({"ver0": 64, "ver1": 80, "ver2": 88})
        );
        let fields = v["clone_args"]["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 11);
        assert_eq!(
            fields[8],
            json!({"name": "set_tid", "offset": 64, "size": 8, "since": "5.5"})
        );
        let syscalls = v["syscalls"].as_object().unwrap();
        assert_eq!(syscalls.len(), Sysno::ALL.len());
        for &nr in Sysno::ALL {
            assert_eq!(
                syscalls[nr.name()],
                json!(arch.syscall(nr)),
                "{}",
                nr.name()
            );
        }
        assert_eq!(
            v["flags"].as_array().unwrap().len(),
            flags::all().len(),
            "every flag"
        );
        assert_eq!(v["legacy_clone_order"].as_array().unwrap().len(), 5);
        assert_eq!(
            v["elf"]["machine"],
            json!(arch.abi().elf.machine),
            "elf identity"
        );
        assert_eq!(v["debian"]["cross_gcc"], arch.abi().debian.cross_gcc);
    }

    #[test]
    fn s390x_matches_the_documented_example() {
        let v = abi_json(Arch::S390x);
        assert_eq!(v["arch"], "s390x");
        assert_eq!(v["triple"], "s390x-unknown-linux-gnu");
        assert_eq!(v["endian"], "big");
        assert_eq!(v["syscalls"]["clone3"], 435);
        assert_eq!(v["syscalls"]["arch_prctl"], Value::Null);
        assert_eq!(
            v["clone_args"]["fields"][0],
            json!({"name": "flags", "offset": 0, "size": 8, "since": "5.3"})
        );
        assert_eq!(
            v["legacy_clone_order"],
            json!(["stack", "flags", "parent_tid", "child_tid", "tls"])
        );
        assert_eq!(v["tls_register"], "a0:a1");
        assert_eq!(v["default_page_size"], 4096);
        assert_eq!(v["settls_limit"], Value::Null);
        assert_eq!(v["stack"]["entry_frame"], 160);
        assert_eq!(v["syscall_convention"]["number_register"], "r1");
        let vm = v["flags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "CLONE_VM")
            .unwrap();
        assert_eq!(vm["value"], 256);
        let cg = flags::flag_by_name("CLONE_INTO_CGROUP").unwrap();
        assert_eq!(
            serde_json::to_value(cg).unwrap()["clone3_since"],
            json!("5.7")
        );
    }

    #[test]
    fn missing_syscalls_are_null() {
        let v = abi_json(Arch::Aarch64);
        assert_eq!(v["syscalls"]["fork"], Value::Null);
        assert_eq!(v["syscalls"]["vfork"], Value::Null);
        assert_eq!(v["syscalls"]["clone"], 220);
        let x = abi_json(Arch::X86_64);
        assert_eq!(x["syscalls"]["arch_prctl"], 158);
        assert_eq!(x["settls_limit"], json!((1u64 << 47) - 4096));
        assert_eq!(x["endian"], "little");
    }

    #[test]
    fn ppc64_identity_differs_only_where_it_should() {
        let be = abi_json(Arch::Powerpc64);
        let le = abi_json(Arch::Powerpc64le);
        assert_eq!(be["elf"]["ppc64_abi_version"], 1);
        assert_eq!(le["elf"]["ppc64_abi_version"], 2);
        assert_eq!(be["syscalls"], le["syscalls"]);
        assert_ne!(be["endian"], le["endian"]);
    }

    #[test]
    fn table_lists_everything() {
        let t = abi_table(Arch::Powerpc64);
        assert!(t.starts_with("powerpc64 (powerpc64-unknown-linux-gnu)\n"));
        assert!(t.contains("  clone3                   435\n"), "{t}");
        assert!(t.contains("  arch_prctl                 -\n"), "{t}");
        assert!(t.contains("  set_tid             64     8  5.5\n"), "{t}");
        assert!(t.contains("CLONE_ARGS_SIZE_VER2 = 88 (since 5.7)"), "{t}");
        assert!(
            t.contains("  CLONE_INTO_CGROUP     0x200000000   5.7     5.7     no"),
            "{t}"
        );
        assert!(t.contains("ppc64 ABI v1"), "{t}");
        assert!(
            t.contains("legacy clone      Backwards: flags, stack, parent_tid, tls, child_tid"),
            "{t}"
        );
        for &nr in Sysno::ALL {
            assert!(t.contains(&format!("  {} ", nr.name())), "{}", nr.name());
        }
        for f in flags::all() {
            assert!(t.contains(&format!("  {} ", f.name)), "{}", f.name);
        }
    }
}

//! The kernel modules a guest's record channel needs, taken from the kernel's own package.
//!
//! Debian's 6.1 packages build the virtio transport and `virtio_console` as modules, while
//! the 6.12 and newer ones build them in. A cached kernel keeps the modules it needs in
//! `<entry>/modules/`, named `<nn>-<module>.ko` so that name order is load order (each
//! module after its dependencies). An empty directory means the kernel needs none; no
//! directory means the entry was cached before the channel existed.

use super::KernelError;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The directory of a cache entry that holds its channel modules.
pub const DIR: &str = "modules";

/// The module files of a cache entry in load order, or `None` when the entry has no
/// module directory.
pub fn of_entry(entry: &Path) -> Option<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = fs::read_dir(entry.join(DIR))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ko"))
        .collect();
    v.sort();
    Some(v)
}

/// A module's name as the kernel spells it (`virtio-pci.ko` and `virtio_pci` are one).
fn module_name(file_stem: &str) -> String {
    file_stem.replace('-', "_")
}

/// The modules under `tree` (an unpacked package's `lib/modules/<release>`), by name.
fn index(tree: &Path) -> HashMap<String, PathBuf> {
    let mut out = HashMap::new();
    let mut dirs = vec![tree.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if let Some(stem) = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".ko"))
            {
                out.insert(module_name(stem), p);
            }
        }
    }
    out
}

/// The `depends=` list of a module's `.modinfo` section.
pub fn depends(ko: &[u8]) -> Result<Vec<String>, String> {
    let elf = goblin::elf::Elf::parse(ko).map_err(|e| format!("not an ELF object: {e}"))?;
    let sh = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".modinfo"))
        .ok_or("no .modinfo section")?;
    let start = sh.sh_offset as usize;
    let bytes = ko
        .get(start..start + sh.sh_size as usize)
        .ok_or(".modinfo runs past the file's end")?;
    Ok(bytes
        .split(|b| *b == 0)
        .filter_map(|f| f.strip_prefix(b"depends="))
        .flat_map(|d| d.split(|b| *b == b','))
        .filter(|d| !d.is_empty())
        .map(|d| module_name(&String::from_utf8_lossy(d)))
        .collect())
}

/// Each of `wanted` that `tree` holds as a module file, after its dependencies, once each.
/// A wanted module the tree does not hold is built in (or missing: the guest then says that
/// no port appeared).
pub fn load_order(tree: &Path, wanted: &[&str]) -> Result<Vec<PathBuf>, KernelError> {
    let all = index(tree);
    let mut order: Vec<String> = Vec::new();
    fn visit(
        name: &str,
        all: &HashMap<String, PathBuf>,
        order: &mut Vec<String>,
        path: &mut Vec<String>,
    ) -> Result<(), KernelError> {
        if order.iter().any(|o| o == name) || !all.contains_key(name) {
            return Ok(());
        }
        if path.iter().any(|p| p == name) {
            return Err(KernelError::Corrupt(format!(
                "module dependencies form a cycle: {} -> {name}",
                path.join(" -> ")
            )));
        }
        let file = &all[name];
        let bytes = fs::read(file).map_err(|e| KernelError::io(file, e))?;
        let deps = depends(&bytes)
            .map_err(|e| KernelError::Corrupt(format!("{}: {e}", file.display())))?;
        path.push(name.to_string());
        for d in deps {
            visit(&d, all, order, path)?;
        }
        path.pop();
        order.push(name.to_string());
        Ok(())
    }
    for w in wanted {
        visit(&module_name(w), &all, &mut order, &mut Vec::new())?;
    }
    Ok(order.into_iter().map(|n| all[&n].clone()).collect())
}

/// Copies the modules `arch_modules` needs from the unpacked package at `unpack` into
/// `<entry>/modules/`, numbered in load order. The directory is made even when empty.
pub fn collect(
    unpack: &Path,
    kernel_release: &str,
    arch_modules: &[&str],
    entry: &Path,
) -> Result<usize, KernelError> {
    let tree = ["lib/modules", "usr/lib/modules"]
        .iter()
        .map(|d| unpack.join(d).join(kernel_release))
        .find(|p| p.is_dir());
    let files = match tree {
        Some(t) => load_order(&t, arch_modules)?,
        None => Vec::new(),
    };
    let dir = entry.join(DIR);
    fs::create_dir_all(&dir).map_err(|e| KernelError::io(&dir, e))?;
    for (i, f) in files.iter().enumerate() {
        let name = f.file_name().unwrap().to_string_lossy();
        let to = dir.join(format!("{i:02}-{name}"));
        fs::copy(f, &to).map_err(|e| KernelError::io(&to, e))?;
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A relocatable ELF object whose `.modinfo` holds `info` (built with the host's cc).
    fn ko(dir: &Path, name: &str, depends: &str) -> PathBuf {
        let c = dir.join(format!("{name}.c"));
        let info = format!("license=GPL\\0depends={depends}\\0name={name}");
        fs::write(
            &c,
            format!("__attribute__((section(\".modinfo\"), used)) static const char m[] = \"{info}\";\n"),
        )
        .unwrap();
        let out = dir.join(format!("{name}.ko"));
        let ok = std::process::Command::new("cc")
            .args(["-c", "-o"])
            .arg(&out)
            .arg(&c)
            .status()
            .unwrap()
            .success();
        assert!(ok, "cc failed");
        fs::remove_file(&c).unwrap();
        out
    }

    #[test]
    fn dependencies_come_first_and_once() {
        let t = tempfile::tempdir().unwrap();
        let tree = t.path().join("lib/modules/6.1.0-57-amd64/kernel");
        fs::create_dir_all(tree.join("drivers/virtio")).unwrap();
        fs::create_dir_all(tree.join("drivers/char")).unwrap();
        ko(&tree.join("drivers/virtio"), "virtio_ring", "");
        ko(&tree.join("drivers/virtio"), "virtio", "virtio_ring");
        ko(&tree.join("drivers/virtio"), "virtio_pci_modern_dev", "");
        ko(
            &tree.join("drivers/virtio"),
            "virtio_pci",
            "virtio,virtio_ring,virtio_pci_modern_dev",
        );
        ko(
            &tree.join("drivers/char"),
            "virtio_console",
            "virtio_ring,virtio",
        );
        let order = load_order(
            &t.path().join("lib/modules/6.1.0-57-amd64"),
            &["virtio_pci", "virtio_console", "virtio_ccw"],
        )
        .unwrap();
        let names: Vec<String> = order
            .iter()
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "virtio_ring",
                "virtio",
                "virtio_pci_modern_dev",
                "virtio_pci",
                "virtio_console"
            ]
        );
        let entry = t.path().join("entry");
        assert_eq!(
            collect(
                t.path(),
                "6.1.0-57-amd64",
                &["virtio_pci", "virtio_console"],
                &entry
            )
            .unwrap(),
            5
        );
        let files = of_entry(&entry).unwrap();
        assert!(files[0].ends_with("modules/00-virtio_ring.ko"), "{files:?}");
        assert!(
            files[4].ends_with("modules/04-virtio_console.ko"),
            "{files:?}"
        );
    }

    #[test]
    fn a_kernel_with_everything_built_in_gets_an_empty_directory() {
        let t = tempfile::tempdir().unwrap();
        let entry = t.path().join("entry");
        assert_eq!(
            collect(t.path(), "6.12.95+deb12-amd64", &["virtio_pci"], &entry).unwrap(),
            0
        );
        assert_eq!(of_entry(&entry), Some(vec![]));
        assert_eq!(of_entry(&t.path().join("other")), None);
    }

    #[test]
    fn a_dependency_cycle_is_named() {
        let t = tempfile::tempdir().unwrap();
        ko(t.path(), "a", "b");
        ko(t.path(), "b", "a");
        let e = load_order(t.path(), &["a"]).unwrap_err().to_string();
        assert!(e.contains("cycle: a -> b -> a"), "{e}");
    }
}

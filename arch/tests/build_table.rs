//! build.rs cannot use the crate it builds, so it keeps its own table of toolchains. This
//! checks (through the file build.rs generates) that the table is the model's data.

use cloneabi_arch::Arch;

include!(concat!(env!("OUT_DIR"), "/layout_objects.rs"));

#[test]
fn build_rs_table_is_the_models_debian_data() {
    let table: Vec<(&str, &str, &str, &[&str])> = LAYOUT_OBJECTS
        .iter()
        .map(|o| (o.arch, o.triple, o.cross_gcc, o.packages))
        .collect();
    let model: Vec<(&str, &str, &str, &[&str])> = Arch::ALL
        .iter()
        .map(|a| {
            let abi = a.abi();
            (
                a.name(),
                abi.triple,
                abi.debian.cross_gcc,
                abi.debian.cross_packages,
            )
        })
        .collect();
    assert_eq!(
        table, model,
        "arch/build.rs TOOLCHAINS vs Arch::abi().debian"
    );
}

#[test]
fn every_toolchain_has_an_object_or_a_reason() {
    for o in LAYOUT_OBJECTS {
        match (o.object, o.unavailable, o.failed) {
            (Some(path), None, None) => {
                assert!(
                    o.compiler.is_some(),
                    "{}: object without compiler",
                    o.triple
                );
                assert!(
                    std::path::Path::new(path).is_file(),
                    "{}: {path} missing",
                    o.triple
                );
            }
            (None, Some(reason), None) => {
                // The reason must tell the user what to install.
                for p in o.packages {
                    assert!(reason.contains(p), "{}: {reason:?} lacks {p}", o.triple);
                }
            }
            (None, None, Some(_)) => {}
            other => panic!("{}: inconsistent record {other:?}", o.triple),
        }
    }
    assert!(LAYOUT_SOURCE.ends_with("fixtures/layout/layout.c"));
}

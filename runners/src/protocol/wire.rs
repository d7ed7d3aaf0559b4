//! The protocol's fixed names, shared by the Rust side and the payload: `build_cmd`
//! writes them into `cloneabi_protocol.h` next to the generated ABI header, so the two
//! sides cannot disagree. Plain constants only: build.rs compiles this file too.

/// Version of the batch format and of the record bodies.
pub const PROTOCOL_VERSION: u32 = 3;

/// The first 8 bytes of every batch.
pub const BATCH_MAGIC: &str = "CLNEABI1";

/// Where a guest's /init finds its batch.
pub const BATCH_PATH: &str = "/cloneabi.batch";

/// The marker every record line starts with.
pub const RECORD_MARKER: &str = "@CLONEABI ";

/// In a guest that runs more than one ABI's payload: the file listing the other payloads,
/// one ABI name per line, in the order the guest's /init runs them after its own batch.
pub const COMPANIONS_PATH: &str = "/cloneabi.companions";

/// Where a companion payload and its batch are: `<dir>/<abi>/init`, `<dir>/<abi>/batch`.
pub const COMPANION_DIR: &str = "/abi";

/// The line (`<marker><abi>`) the guest's /init writes, twice, before a companion
/// payload starts: everything on the console after it is that payload's.
pub const PAYLOAD_MARKER: &str = "@CLONEABI-PAYLOAD ";

/// `cloneabi_protocol.h`: the constants above as C macros.
pub fn c_header() -> String {
    let mut s = String::from(
        "/* Generated from runners/src/protocol/wire.rs; do not edit. */\n\
         #ifndef CLONEABI_PROTOCOL_H\n#define CLONEABI_PROTOCOL_H\n",
    );
    let defines: [(&str, String); 7] = [
        ("PROTOCOL_VERSION", PROTOCOL_VERSION.to_string()),
        ("BATCH_MAGIC", format!("{BATCH_MAGIC:?}")),
        ("BATCH_PATH", format!("{BATCH_PATH:?}")),
        ("RECORD_MARKER", format!("{RECORD_MARKER:?}")),
        ("COMPANIONS_PATH", format!("{COMPANIONS_PATH:?}")),
        ("COMPANION_DIR", format!("{COMPANION_DIR:?}")),
        ("PAYLOAD_MARKER", format!("{PAYLOAD_MARKER:?}")),
    ];
    for (name, value) in defines {
        s.push_str(&format!("#define {name} {value}\n"));
    }
    s.push_str("#endif\n");
    s
}

/// The header's file name.
pub const C_HEADER_FILE: &str = "cloneabi_protocol.h";

//! The payload's answer: a stream of framed records, and the reference decoder of their
//! bodies (docs/PROTOCOL.md, "Records").
//!
//! A record is one line `@CLONEABI <seq> <type> <hex body> <crc32 of the body, 8 hex>`.
//! The console the lines arrive on may be shared with the kernel's printk output, which
//! can land between records or in the middle of one; the payload can be told to write
//! every record twice. [`RecordParser`] finds the marker anywhere in the byte stream,
//! rejects every line whose checksum or shape is wrong, keeps the first good copy of each
//! `seq` and reports what it could not recover.
//!
//! Body layouts (all integers little-endian; `str` = u32 length + UTF-8 bytes;
//! `opt<T>` = u8 present (0/1) followed by T, which is written even when absent):
//!
//! ```text
//! H  u32 protocol_version; str payload_arch; str uname_release; str uname_version;
//!    str uname_machine; u64 page_size; u64 pid_max; u32 uid; u32 euid; u64 cap_effective;
//!    i32 seccomp_mode; u32 n; i32 nspid[n]; i32 cgroup2_errno; str cgroup2_controllers;
//!    u8 namespaces (bit i: /proc/self/ns/<NS_NAMES[i]> exists); i64 clone3_probe_ret; i32 clone3_probe_errno;
//!    i32 cgroup1_errno
//! O  u32 case_index; opt<u32 step, i32 errno> setup_failed; i64 ret; i32 errno;
//!    u64 stack_base; u64 tls_area; u64 size_passed;
//!    3 x opt<i32 value, u32 after> slots in the order pidfd, parent_tid, child_tid;
//!    u64 caller_ns[8]; i32 caller_pid;
//!    u8 child_end (0 none, 1 not reaped, 2 exited, 3 killed, 4 timed out); i32 its value;
//!    i32 exit_signal; opt<i32> pidfd_send_ret; u8 cleartid_woken (0 none, 1 false, 2 true);
//!    opt<str> cgroup_procs; u8 child present, and when 1:
//!      i32 pid; i32 tid; i32 ppid; u64 sp; u64 tls; u32 n; i32 nspid[n];
//!      opt<u64 ignored, u64 handled> dispositions (bit n-1: signal n);
//!      i32 child_tid_seen; opt<i32 signo, i32 code, i32 value> signal;
//!      str cgroup; u64 ns[8]; opt<i32> no_new_privs;
//!    u8 timed_out; u64 duration_us;
//!    opt<i32 poll, i32 info, u64 mask, i32 exit_code> pidfd_exit; opt<i32> wait_errno;
//!    opt<u64 mnt_ns, i32 mounts> child_mounts; opt<i32> other_close_poll;
//!    opt<i32> child_thread; opt<i32> pidfd_flags
//! L  UTF-8 text
//! E  u32 number of cases run
//! ```

use super::wire::{end, record};
use super::{crc32, RECORD_MARKER};
use cloneabi_suites::observation::{
    ChildEnd, ChildMounts, ChildReport, Dispositions, EnvReport, Observation, PidfdExit,
    ReceivedSignal, Slot,
};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// What a record carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordBody {
    /// `H`: the environment, once, first.
    Env(EnvReport),
    /// `O`: one case.
    Observation(Box<Observation>),
    /// `L`: a log line of the payload.
    Log(String),
    /// `E`: the end; the number of cases run.
    End { cases_run: u32 },
}

/// A record body codec: what the framing (`@CLONEABI <seq> <type> <hex> <crc32>`) carries.
/// The payload's records are [`RecordBody`]; other guest programs that share the console
/// with the kernel (`cloneabi exec`'s init) bring their own bodies and reuse the framing,
/// the parser and its loss accounting.
pub trait FrameBody: Sized {
    /// The record type letter (an ASCII letter or digit).
    fn type_char(&self) -> char;
    /// The body bytes.
    fn encode(&self) -> Vec<u8>;
    /// Decodes a body of record type `kind`; unknown types are errors.
    fn decode(kind: char, bytes: &[u8]) -> Result<Self, String>;
    /// Whether this record ends the stream.
    fn ends_stream(&self) -> bool;
}

impl FrameBody for RecordBody {
    fn type_char(&self) -> char {
        RecordBody::type_char(self)
    }
    fn encode(&self) -> Vec<u8> {
        RecordBody::encode(self)
    }
    fn decode(kind: char, bytes: &[u8]) -> Result<Self, String> {
        RecordBody::decode(kind, bytes)
    }
    fn ends_stream(&self) -> bool {
        matches!(self, RecordBody::End { .. })
    }
}

impl RecordBody {
    /// The record type letter.
    pub fn type_char(&self) -> char {
        let code = match self {
            RecordBody::Env(_) => record::ENV,
            RecordBody::Observation(_) => record::OBSERVATION,
            RecordBody::Log(_) => record::LOG,
            RecordBody::End { .. } => record::END,
        };
        char::from_u32(code).expect("record type codes are ASCII")
    }

    /// The body bytes as the payload writes them.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            RecordBody::Env(e) => encode_env(&mut w, e),
            RecordBody::Observation(o) => encode_observation(&mut w, o),
            RecordBody::Log(s) => w.0.extend_from_slice(s.as_bytes()),
            RecordBody::End { cases_run } => w.u32(*cases_run),
        }
        w.0
    }

    /// Decodes a body of record type `kind`.
    pub fn decode(kind: char, bytes: &[u8]) -> Result<RecordBody, String> {
        let mut r = Reader { b: bytes, at: 0 };
        let body = match u32::from(kind) {
            record::ENV => RecordBody::Env(decode_env(&mut r)?),
            record::OBSERVATION => RecordBody::Observation(Box::new(decode_observation(&mut r)?)),
            record::LOG => {
                return String::from_utf8(bytes.to_vec())
                    .map(RecordBody::Log)
                    .map_err(|_| "log record is not UTF-8".to_string())
            }
            record::END => RecordBody::End {
                cases_run: r.u32()?,
            },
            _ => return Err(format!("unknown record type {kind:?}")),
        };
        if r.at != bytes.len() {
            return Err(format!(
                "{} trailing bytes after the {kind} body",
                bytes.len() - r.at
            ));
        }
        Ok(body)
    }
}

/// One verified record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record<B = RecordBody> {
    pub seq: u64,
    pub body: B,
}

/// A record line that failed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorruptRecord {
    /// The sequence number, when that part of the line could be read.
    pub seq: Option<u64>,
    pub reason: String,
    /// The start of the line as received (lossy UTF-8, at most 160 characters).
    pub excerpt: String,
}

/// What the parser could and could not recover so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseReport {
    /// Distinct records accepted.
    pub received: usize,
    /// Good copies dropped because their `seq` had been accepted already.
    pub duplicates: u64,
    /// Sequence numbers below the highest accepted one that never arrived intact.
    pub missing_seqs: Vec<u64>,
    /// Corrupted lines whose record was not recovered from another copy.
    pub corrupted: Vec<CorruptRecord>,
    /// Corrupted lines in total, recovered or not.
    pub corrupted_total: usize,
    /// Whether the `E` record arrived (nothing after it is expected).
    pub ended: bool,
}

/// Longest record line accepted (a batch's largest observation is a few KiB).
const MAX_LINE: usize = 1 << 20;

/// Streaming parser of console bytes.
#[derive(Debug)]
pub struct RecordParser<B = RecordBody> {
    pending: Vec<u8>,
    seen: BTreeSet<u64>,
    corrupt: Vec<CorruptRecord>,
    duplicates: u64,
    ended: bool,
    body: std::marker::PhantomData<fn() -> B>,
}

impl Default for RecordParser<RecordBody> {
    fn default() -> Self {
        Self::with_body()
    }
}

impl RecordParser<RecordBody> {
    /// A parser of the payload's records.
    pub fn new() -> Self {
        Self::with_body()
    }
}

impl<B: FrameBody> RecordParser<B> {
    /// A parser of records with bodies of type `B`.
    pub fn with_body() -> Self {
        RecordParser {
            pending: Vec::new(),
            seen: BTreeSet::new(),
            corrupt: Vec::new(),
            duplicates: 0,
            ended: false,
            body: std::marker::PhantomData,
        }
    }

    /// Feeds arbitrary bytes; returns the records completed by them, in arrival order,
    /// each `seq` once.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Record<B>> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        let marker = RECORD_MARKER.as_bytes();
        let mut pos = 0;
        loop {
            let Some(m) = find(&self.pending[pos..], marker).map(|i| pos + i) else {
                // Keep a tail that may be the start of a marker split across pushes.
                pos = self.pending.len().saturating_sub(marker.len() - 1).max(pos);
                break;
            };
            let after = m + marker.len();
            let eol = self.pending[after..]
                .iter()
                .position(|&c| c == b'\n' || c == b'\r')
                .map(|i| after + i);
            let next = find(&self.pending[after..], marker).map(|i| after + i);
            match (eol, next) {
                (Some(e), Some(n)) if n < e => {
                    self.line(m, n, &mut out);
                    pos = n;
                }
                (Some(e), _) => {
                    self.line(m, e, &mut out);
                    pos = e + 1;
                }
                (None, Some(n)) => {
                    self.line(m, n, &mut out);
                    pos = n;
                }
                (None, None) => {
                    if self.pending.len() - m > MAX_LINE {
                        self.line(m, self.pending.len(), &mut out);
                        pos = self.pending.len();
                    } else {
                        pos = m;
                    }
                    break;
                }
            }
        }
        self.pending.drain(..pos);
        out
    }

    /// Ends the stream: a last line without its newline is still considered.
    pub fn finish(&mut self) -> Vec<Record<B>> {
        let mut out = Vec::new();
        let marker = RECORD_MARKER.as_bytes();
        if let Some(m) = find(&self.pending, marker) {
            let end = self.pending.len();
            self.line(m, end, &mut out);
        }
        self.pending.clear();
        out
    }

    /// What was lost so far.
    pub fn report(&self) -> ParseReport {
        let missing_seqs = match self.seen.last() {
            Some(&max) => (0..max).filter(|s| !self.seen.contains(s)).collect(),
            None => Vec::new(),
        };
        ParseReport {
            received: self.seen.len(),
            duplicates: self.duplicates,
            missing_seqs,
            corrupted: self
                .corrupt
                .iter()
                .filter(|c| c.seq.is_none_or(|s| !self.seen.contains(&s)))
                .cloned()
                .collect(),
            corrupted_total: self.corrupt.len(),
            ended: self.ended,
        }
    }

    fn line(&mut self, start: usize, end: usize, out: &mut Vec<Record<B>>) {
        let raw = &self.pending[start..end];
        let parsed = parse_line::<B>(raw).or_else(|e| {
            // A kernel message cut into the line: the record goes on after it.
            let joined = rejoin(raw, &self.pending[end..]).ok_or(e.clone())?;
            parse_line::<B>(&joined).map_err(|_| e)
        });
        match parsed {
            Ok(rec) => {
                if self.seen.insert(rec.seq) {
                    if rec.body.ends_stream() {
                        self.ended = true;
                    }
                    out.push(rec);
                } else {
                    self.duplicates += 1;
                }
            }
            Err((seq, reason)) => {
                let text = String::from_utf8_lossy(raw);
                self.corrupt.push(CorruptRecord {
                    seq,
                    reason,
                    excerpt: text.chars().take(160).collect(),
                });
            }
        }
    }
}

/// Where `needle` first occurs in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Kernel messages between the records' lines: at most this many are stepped over.
const MAX_CUT_IN_LINES: usize = 8;

/// A record line with a kernel message cut into it, put back together. The console prints a
/// message as `[<seconds>] text` and a newline wherever the record's write was, so the line
/// stops at a `[` (which no record holds) and the record goes on at the next line that is
/// not itself a kernel message. `None` when `after` (the console after the line) does not
/// hold that line yet. The checksum decides whether the result is the record.
fn rejoin(line: &[u8], after: &[u8]) -> Option<Vec<u8>> {
    let cut = line.iter().position(|&c| c == b'[')?;
    let mut joined = line[..cut].to_vec();
    let mut rest = after;
    for _ in 0..=MAX_CUT_IN_LINES {
        let start = rest.iter().position(|&c| c != b'\r' && c != b'\n')?;
        rest = &rest[start..];
        let end = rest.iter().position(|&c| c == b'\r' || c == b'\n')?;
        let next = &rest[..end];
        if next.first() != Some(&b'[') {
            joined.extend_from_slice(next);
            return Some(joined);
        }
        rest = &rest[end..];
    }
    None
}

/// Parses one candidate line (marker included, newline excluded).
fn parse_line<B: FrameBody>(raw: &[u8]) -> Result<Record<B>, (Option<u64>, String)> {
    let text = std::str::from_utf8(raw).map_err(|_| (None, "not ASCII".to_string()))?;
    let text = text.trim_end_matches([' ', '\r', '\n', '\t']);
    let rest = text
        .strip_prefix(RECORD_MARKER)
        .ok_or((None, "no marker".to_string()))?;
    let mut fields: Vec<&str> = rest.splitn(4, ' ').collect();
    let seq = fields.first().and_then(|s| s.parse::<u64>().ok());
    if fields.len() != 4 {
        return Err((seq, format!("{} fields, expected 4", fields.len())));
    }
    // The checksum is 8 hex digits; a kernel message may follow it on the same line.
    if let Some(crc) = fields[3].get(..8) {
        fields[3] = crc;
    }
    let seq = seq.ok_or((None, "bad sequence number".to_string()))?;
    let kind = match fields[1].as_bytes() {
        [c] if c.is_ascii_alphanumeric() => *c as char,
        _ => return Err((Some(seq), format!("bad record type {:?}", fields[1]))),
    };
    let body = decode_hex(fields[2]).ok_or((Some(seq), "bad hex body".to_string()))?;
    if fields[3].len() != 8 {
        return Err((Some(seq), "bad checksum field".to_string()));
    }
    let crc = u32::from_str_radix(fields[3], 16)
        .map_err(|_| (Some(seq), "bad checksum field".to_string()))?;
    let actual = crc32(&body);
    if crc != actual {
        return Err((
            Some(seq),
            format!("checksum mismatch: line says {crc:08x}, body has {actual:08x}"),
        ));
    }
    let body = B::decode(kind, &body).map_err(|e| (Some(seq), e))?;
    Ok(Record { seq, body })
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

/// The line the payload writes for a record: a leading newline, the record, a newline.
pub fn encode_record<B: FrameBody>(seq: u64, body: &B) -> String {
    let bytes = body.encode();
    let mut line = String::with_capacity(bytes.len() * 2 + 40);
    write!(line, "\n{RECORD_MARKER}{seq} {} ", body.type_char()).unwrap();
    for b in &bytes {
        write!(line, "{b:02x}").unwrap();
    }
    writeln!(line, " {:08x}", crc32(&bytes)).unwrap();
    line
}

// ---------------------------------------------------------------------------------------
// Body codec.

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn i32s(&mut self, v: &[i32]) {
        self.u32(v.len() as u32);
        for x in v {
            self.i32(*x);
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.b.len() - self.at < n {
            return Err(format!("body truncated at byte {}", self.at));
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn flag(&mut self) -> Result<bool, String> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(format!("flag byte {v} at {}", self.at - 1)),
        }
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    fn str(&mut self) -> Result<String, String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "string is not UTF-8".into())
    }
    fn i32s(&mut self) -> Result<Vec<i32>, String> {
        let n = self.u32()? as usize;
        if n > 64 {
            return Err(format!("{n} pid levels"));
        }
        (0..n).map(|_| self.i32()).collect()
    }
    fn ns(&mut self) -> Result<[u64; 8], String> {
        let mut ns = [0u64; 8];
        for v in &mut ns {
            *v = self.u64()?;
        }
        Ok(ns)
    }
}

fn encode_env(w: &mut Writer, e: &EnvReport) {
    w.u32(e.protocol_version);
    w.str(&e.payload_arch);
    w.str(&e.uname_release);
    w.str(&e.uname_version);
    w.str(&e.uname_machine);
    w.u64(e.page_size);
    w.u64(e.pid_max);
    w.u32(e.uid);
    w.u32(e.euid);
    w.u64(e.cap_effective);
    w.i32(e.seccomp_mode);
    w.i32s(&e.nspid);
    w.i32(e.cgroup2_errno);
    w.str(&e.cgroup2_controllers);
    w.u8(e.namespaces);
    w.u64(e.clone3_probe_ret as u64);
    w.i32(e.clone3_probe_errno);
    w.i32(e.cgroup1_errno);
}

fn decode_env(r: &mut Reader) -> Result<EnvReport, String> {
    Ok(EnvReport {
        protocol_version: r.u32()?,
        payload_arch: r.str()?,
        uname_release: r.str()?,
        uname_version: r.str()?,
        uname_machine: r.str()?,
        page_size: r.u64()?,
        pid_max: r.u64()?,
        uid: r.u32()?,
        euid: r.u32()?,
        cap_effective: r.u64()?,
        seccomp_mode: r.i32()?,
        nspid: r.i32s()?,
        cgroup2_errno: r.i32()?,
        cgroup2_controllers: r.str()?,
        namespaces: r.u8()?,
        clone3_probe_ret: r.u64()? as i64,
        clone3_probe_errno: r.i32()?,
        cgroup1_errno: r.i32()?,
    })
}

fn encode_slot(w: &mut Writer, s: Option<Slot>) {
    w.u8(s.is_some() as u8);
    let s = s.unwrap_or(Slot { value: 0, after: 0 });
    w.i32(s.value);
    w.u32(s.after);
}

fn decode_slot(r: &mut Reader) -> Result<Option<Slot>, String> {
    let present = r.flag()?;
    let slot = Slot {
        value: r.i32()?,
        after: r.u32()?,
    };
    Ok(present.then_some(slot))
}

fn encode_observation(w: &mut Writer, o: &Observation) {
    w.u32(o.case_index);
    w.u8(o.setup_failed.is_some() as u8);
    let (step, errno) = o.setup_failed.unwrap_or((0, 0));
    w.u32(step);
    w.i32(errno);
    w.u64(o.ret as u64);
    w.i32(o.errno);
    w.u64(o.stack_base);
    w.u64(o.tls_area);
    w.u64(o.size_passed);
    encode_slot(w, o.pidfd_slot);
    encode_slot(w, o.parent_tid_slot);
    encode_slot(w, o.child_tid_slot);
    for v in o.caller_ns {
        w.u64(v);
    }
    w.i32(o.caller_pid);
    let (kind, value) = match o.child_end {
        None => (end::NONE, 0),
        Some(ChildEnd::NotReaped) => (end::NOT_REAPED, 0),
        Some(ChildEnd::Exited(s)) => (end::EXITED, s),
        Some(ChildEnd::Killed(s)) => (end::KILLED, s),
        Some(ChildEnd::TimedOut) => (end::TIMED_OUT, 0),
    };
    w.u8(kind as u8);
    w.i32(value);
    w.i32(o.exit_signal);
    w.u8(o.pidfd_send_ret.is_some() as u8);
    w.i32(o.pidfd_send_ret.unwrap_or(0));
    w.u8(match o.cleartid_woken {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    });
    w.u8(o.cgroup_procs.is_some() as u8);
    w.str(o.cgroup_procs.as_deref().unwrap_or(""));
    w.u8(o.child.is_some() as u8);
    if let Some(c) = &o.child {
        w.i32(c.pid);
        w.i32(c.tid);
        w.i32(c.ppid);
        w.u64(c.sp);
        w.u64(c.tls);
        w.i32s(&c.nspid);
        w.u8(c.dispositions.is_some() as u8);
        let d = c.dispositions.unwrap_or_default();
        w.u64(d.ignored);
        w.u64(d.handled);
        w.i32(c.child_tid_seen);
        w.u8(c.signal.is_some() as u8);
        let s = c.signal.unwrap_or(ReceivedSignal {
            signo: 0,
            code: 0,
            value: 0,
        });
        w.i32(s.signo);
        w.i32(s.code);
        w.i32(s.value);
        w.str(&c.cgroup);
        for v in c.ns {
            w.u64(v);
        }
        w.u8(c.no_new_privs.is_some() as u8);
        w.i32(c.no_new_privs.unwrap_or(0));
    }
    w.u8(o.timed_out as u8);
    w.u64(o.duration_us);
    let e = o.pidfd_exit.unwrap_or_default();
    w.u8(o.pidfd_exit.is_some() as u8);
    w.i32(e.poll);
    w.i32(e.info);
    w.u64(e.mask);
    w.i32(e.exit_code);
    w.u8(o.wait_errno.is_some() as u8);
    w.i32(o.wait_errno.unwrap_or(0));
    let m = o.child_mounts.unwrap_or_default();
    w.u8(o.child_mounts.is_some() as u8);
    w.u64(m.mnt_ns);
    w.i32(m.mounts);
    w.u8(o.other_close_poll.is_some() as u8);
    w.i32(o.other_close_poll.unwrap_or(0));
    w.u8(o.child_thread.is_some() as u8);
    w.i32(o.child_thread.unwrap_or(0));
    w.u8(o.pidfd_flags.is_some() as u8);
    w.i32(o.pidfd_flags.unwrap_or(0));
}

fn decode_observation(r: &mut Reader) -> Result<Observation, String> {
    let case_index = r.u32()?;
    let failed = r.flag()?;
    let step = r.u32()?;
    let step_errno = r.i32()?;
    let ret = r.u64()? as i64;
    let errno = r.i32()?;
    let stack_base = r.u64()?;
    let tls_area = r.u64()?;
    let size_passed = r.u64()?;
    let pidfd_slot = decode_slot(r)?;
    let parent_tid_slot = decode_slot(r)?;
    let child_tid_slot = decode_slot(r)?;
    let caller_ns = r.ns()?;
    let caller_pid = r.i32()?;
    let kind = r.u8()?;
    let value = r.i32()?;
    let child_end = match u32::from(kind) {
        end::NONE => None,
        end::NOT_REAPED => Some(ChildEnd::NotReaped),
        end::EXITED => Some(ChildEnd::Exited(value)),
        end::KILLED => Some(ChildEnd::Killed(value)),
        end::TIMED_OUT => Some(ChildEnd::TimedOut),
        k => return Err(format!("child end kind {k}")),
    };
    let exit_signal = r.i32()?;
    let has_send = r.flag()?;
    let send = r.i32()?;
    let cleartid_woken = match r.u8()? {
        0 => None,
        1 => Some(false),
        2 => Some(true),
        v => return Err(format!("cleartid_woken byte {v}")),
    };
    let has_procs = r.flag()?;
    let procs = r.str()?;
    let child = if r.flag()? {
        Some(ChildReport {
            pid: r.i32()?,
            tid: r.i32()?,
            ppid: r.i32()?,
            sp: r.u64()?,
            tls: r.u64()?,
            nspid: r.i32s()?,
            dispositions: {
                let has = r.flag()?;
                let d = Dispositions {
                    ignored: r.u64()?,
                    handled: r.u64()?,
                };
                has.then_some(d)
            },
            child_tid_seen: r.i32()?,
            signal: {
                let has = r.flag()?;
                let s = ReceivedSignal {
                    signo: r.i32()?,
                    code: r.i32()?,
                    value: r.i32()?,
                };
                has.then_some(s)
            },
            cgroup: r.str()?,
            ns: r.ns()?,
            no_new_privs: {
                let has = r.flag()?;
                let v = r.i32()?;
                has.then_some(v)
            },
        })
    } else {
        None
    };
    Ok(Observation {
        case_index,
        setup_failed: failed.then_some((step, step_errno)),
        ret,
        errno,
        stack_base,
        tls_area,
        size_passed,
        pidfd_slot,
        parent_tid_slot,
        child_tid_slot,
        caller_ns,
        caller_pid,
        child_end,
        exit_signal,
        pidfd_send_ret: has_send.then_some(send),
        cleartid_woken,
        cgroup_procs: has_procs.then_some(procs),
        child,
        timed_out: r.flag()?,
        duration_us: r.u64()?,
        pidfd_exit: {
            let has = r.flag()?;
            let e = PidfdExit {
                poll: r.i32()?,
                info: r.i32()?,
                mask: r.u64()?,
                exit_code: r.i32()?,
            };
            has.then_some(e)
        },
        wait_errno: {
            let has = r.flag()?;
            let v = r.i32()?;
            has.then_some(v)
        },
        child_mounts: {
            let has = r.flag()?;
            let m = ChildMounts {
                mnt_ns: r.u64()?,
                mounts: r.i32()?,
            };
            has.then_some(m)
        },
        other_close_poll: {
            let has = r.flag()?;
            let v = r.i32()?;
            has.then_some(v)
        },
        child_thread: {
            let has = r.flag()?;
            let v = r.i32()?;
            has.then_some(v)
        },
        pidfd_flags: {
            let has = r.flag()?;
            let v = r.i32()?;
            has.then_some(v)
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> EnvReport {
        EnvReport {
            protocol_version: 1,
            payload_arch: "s390x".into(),
            uname_release: "6.1.0-28-s390x".into(),
            uname_version: "#1 SMP Debian".into(),
            uname_machine: "s390x".into(),
            page_size: 4096,
            pid_max: 32768,
            uid: 0,
            euid: 1000,
            cap_effective: 0x1ff_ffff_ffff,
            seccomp_mode: -1,
            nspid: vec![4242, 1],
            cgroup2_errno: 0,
            cgroup2_controllers: "cpu io memory pids".into(),
            namespaces: 0xff,
            clone3_probe_ret: -22,
            clone3_probe_errno: 22,
            cgroup1_errno: 16,
        }
    }

    fn observation() -> Observation {
        Observation {
            case_index: 17,
            setup_failed: Some((2, 1)),
            ret: -38,
            errno: 38,
            stack_base: 0x7fff_0000_1000,
            tls_area: 0xdead_beef_0000,
            size_passed: 4104,
            pidfd_slot: Some(Slot {
                value: 3,
                after: 0x5a5a_5a5a,
            }),
            parent_tid_slot: None,
            child_tid_slot: Some(Slot {
                value: -1,
                after: 7,
            }),
            caller_ns: [1, 2, 3, 4, 5, 6, 7, 0xffff_ffff_ffff],
            caller_pid: 2,
            child_end: Some(ChildEnd::Killed(9)),
            exit_signal: 17,
            pidfd_send_ret: Some(-3),
            cleartid_woken: Some(false),
            cgroup_procs: Some("12\n13\n".into()),
            child: Some(ChildReport {
                pid: 1,
                tid: 1,
                ppid: 0,
                sp: 0x1234_5678_9abc,
                tls: u64::MAX,
                nspid: vec![300, 1],
                dispositions: Some(Dispositions {
                    ignored: 1 << 9,
                    handled: 1 << 11 | 1 << 63,
                }),
                child_tid_seen: 300,
                signal: Some(ReceivedSignal {
                    signo: 10,
                    code: -1,
                    value: 777,
                }),
                cgroup: "/cloneabi/run/a".into(),
                ns: [9, 8, 7, 6, 5, 4, 3, 2],
                no_new_privs: Some(1),
            }),
            timed_out: true,
            duration_us: 123_456,
            pidfd_exit: Some(PidfdExit {
                poll: 1,
                info: -3,
                mask: 1 << 3,
                exit_code: 9,
            }),
            wait_errno: Some(10),
            child_mounts: Some(ChildMounts {
                mnt_ns: 0xf000_0001,
                mounts: -2,
            }),
            other_close_poll: Some(0),
            child_thread: Some(-11),
            pidfd_flags: Some(1),
        }
    }

    fn all_bodies() -> Vec<RecordBody> {
        let mut no_child = observation();
        no_child.child = None;
        no_child.setup_failed = None;
        no_child.child_end = Some(ChildEnd::Exited(0));
        no_child.cleartid_woken = Some(true);
        no_child.cgroup_procs = None;
        no_child.pidfd_exit = None;
        no_child.child_mounts = None;
        vec![
            RecordBody::Env(env()),
            RecordBody::Observation(Box::new(observation())),
            RecordBody::Observation(Box::new(no_child)),
            RecordBody::Observation(Box::default()),
            RecordBody::Log("mount proc on /proc: EPERM".into()),
            RecordBody::Log(String::new()),
            RecordBody::End { cases_run: 3 },
        ]
    }

    #[test]
    fn every_field_round_trips() {
        for (seq, body) in all_bodies().into_iter().enumerate() {
            let line = encode_record(seq as u64, &body);
            let mut p = RecordParser::new();
            let got = p.push(line.as_bytes());
            assert_eq!(
                got,
                vec![Record {
                    seq: seq as u64,
                    body: body.clone()
                }]
            );
        }
    }

    #[test]
    fn a_corrupted_record_is_rejected() {
        let line = encode_record(0, &RecordBody::Observation(Box::new(observation())));
        // Flip one hex digit of the body: the checksum no longer matches.
        let mut bytes = line.into_bytes();
        let at = bytes.windows(3).position(|w| w == b" O ").unwrap() + 5;
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        let mut p = RecordParser::new();
        assert!(p.push(&bytes).is_empty());
        let report = p.report();
        assert_eq!(report.received, 0);
        assert_eq!(report.corrupted.len(), 1);
        assert_eq!(report.corrupted[0].seq, Some(0));
        assert!(report.corrupted[0].reason.contains("checksum"));
        assert!(report.corrupted[0].excerpt.starts_with("@CLONEABI 0 O "));
    }

    #[test]
    fn noise_between_and_inside_records_is_survived_with_two_copies() {
        let bodies = all_bodies();
        let mut stream = String::from("[    0.000000] Linux version 6.1.0\nrandom junk @CLONE");
        for (seq, body) in bodies.iter().enumerate() {
            let line = encode_record(seq as u64, body);
            // First copy: printk lands in the middle of the hex body, with its own newline.
            let cut = line.len() / 2;
            stream.push_str(&line[..cut]);
            stream.push_str("\n[   12.345678] virtio_console virtio0: hello\n");
            stream.push_str(&line[cut..]);
            // Second copy: intact, followed by more noise without a newline in front.
            stream.push_str(&line);
            stream.push_str("[   12.4] eth0: link up");
        }
        // Feed it in awkward pieces.
        let mut p = RecordParser::new();
        let mut got = Vec::new();
        for chunk in stream.as_bytes().chunks(7) {
            got.extend(p.push(chunk));
        }
        got.extend(p.finish());
        let want: Vec<Record> = bodies
            .into_iter()
            .enumerate()
            .map(|(seq, body)| Record {
                seq: seq as u64,
                body,
            })
            .collect();
        assert_eq!(got, want);
        let report = p.report();
        assert!(report.ended);
        assert!(report.missing_seqs.is_empty());
        assert!(report.corrupted.is_empty(), "{:?}", report.corrupted);
        assert_eq!(report.corrupted_total, want.len());
    }

    #[test]
    fn a_record_whose_every_copy_a_kernel_message_cut_into_is_put_back_together() {
        let obs = RecordBody::Observation(Box::new(observation()));
        let line = encode_record(3, &obs);
        let line = line.trim_end();
        let (a, b) = line.split_at(line.len() / 3);
        let mut s = String::new();
        // Cut into mid-body, by two messages, with a serial console's line ends.
        s.push_str(&format!(
            "\r\n{a}[   11.239361] cloneabi-noise: one\r\n[   11.2394] two\r\n{b}\r\n"
        ));
        // After the checksum, before the line's end.
        s.push_str(&format!(
            "\r\n{line}[   12.161511] cloneabi-noise: three\r\n"
        ));
        let mut p = RecordParser::new();
        let mut got = p.push(s.as_bytes());
        got.extend(p.finish());
        assert_eq!(got, vec![Record { seq: 3, body: obs }]);
        let r = p.report();
        assert_eq!(r.duplicates, 1, "both copies were recovered");
        assert!(r.corrupted.is_empty());
    }

    #[test]
    fn a_rejoined_line_must_still_match_its_checksum() {
        let line = encode_record(0, &RecordBody::Log("first".into()));
        let line = line.trim_end();
        let (a, _) = line.split_at(line.len() / 2);
        // The rest of the line never came: what follows the message is another text.
        let s = format!("{a}[ 1.0] noise\r\n00ff 12345678\r\n");
        let mut p = RecordParser::new();
        assert!(p.push(s.as_bytes()).is_empty());
        assert_eq!(p.report().corrupted.len(), 1);
    }

    #[test]
    fn noise_without_newline_inside_a_record_and_duplicates() {
        let a = encode_record(0, &RecordBody::Log("first".into()));
        let b = encode_record(1, &RecordBody::End { cases_run: 0 });
        let mut s = String::new();
        s.push_str(&a[..20]);
        s.push_str("<6>noise");
        s.push_str(&a[20..]);
        s.push_str(&a);
        s.push_str(&a);
        s.push_str(&b);
        let mut p = RecordParser::new();
        let got = p.push(s.as_bytes());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].body, RecordBody::Log("first".into()));
        let r = p.report();
        assert_eq!(r.duplicates, 1);
        assert_eq!(r.corrupted_total, 1);
        assert!(r.corrupted.is_empty());
    }

    #[test]
    fn gaps_and_unrecovered_corruption_are_reported() {
        let mut p = RecordParser::new();
        let mut s = encode_record(0, &RecordBody::Env(env()));
        let lost = encode_record(1, &RecordBody::Observation(Box::new(observation())));
        s.push_str(&lost.replace(" O ", " O zz"));
        s.push_str(&encode_record(2, &RecordBody::Log("x".into())));
        s.push_str(&encode_record(4, &RecordBody::End { cases_run: 2 }));
        let got = p.push(s.as_bytes());
        assert_eq!(got.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![0, 2, 4]);
        let r = p.report();
        assert_eq!(r.missing_seqs, vec![1, 3]);
        assert_eq!(r.corrupted.len(), 1);
        assert_eq!(r.corrupted[0].seq, Some(1));
        assert!(r.ended);
    }

    #[test]
    fn a_record_split_across_pushes_and_without_final_newline() {
        let line = encode_record(0, &RecordBody::End { cases_run: 9 });
        let line = line.trim_end();
        let mut p = RecordParser::new();
        let (x, y) = line.split_at(5); // splits the marker itself
        assert!(p.push(x.as_bytes()).is_empty());
        assert!(p.push(y.as_bytes()).is_empty());
        let got = p.finish();
        assert_eq!(got[0].body, RecordBody::End { cases_run: 9 });
    }

    #[test]
    fn trailing_bytes_and_bad_flags_are_errors() {
        let mut b = RecordBody::End { cases_run: 1 }.encode();
        b.push(0);
        assert!(RecordBody::decode('E', &b)
            .unwrap_err()
            .contains("trailing"));
        assert!(RecordBody::decode('X', &[]).is_err());
        let mut o = RecordBody::Observation(Box::default()).encode();
        o[4] = 7; // setup_failed flag
        assert!(RecordBody::decode('O', &o).is_err());
    }
}

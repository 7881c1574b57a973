//! A student's transcript (`--log DIR`): what the kit sent, what came back and when, a line
//! each, so that a dispute over a grade is settled by what happened on the wire.
//!
//! ```text
//! +0.003 s  reply    #1  connected from 127.0.0.1:53422
//! +0.003 s  reply    #1  sent 5 bytes: "hello"
//! +0.004 s  reply    #1  came 32 bytes: "[Wed Nov 25 17:28:42 2026] hello"
//! ```

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::tr;

use super::Clock;
use super::Protocol;
use super::show;

/// The most lines kept for one check: a server that answers forever fills no disk.
const MOST_LINES_A_CHECK: usize = 200;

/// What happened on the wire during one server's checks; keeps nothing unless asked to.
pub struct Transcript {
    /// False when no transcript was asked for: every call is then nothing.
    kept: bool,
    /// When the checks began.
    started: Instant,
    /// The check under way, named on each line.
    check: Cell<&'static str>,
    /// Lines of the check under way.
    this_check: Cell<usize>,
    /// The lines so far.
    lines: RefCell<Vec<String>>,
}

impl Transcript {
    /// A transcript that keeps its lines when `kept`.
    pub fn new(kept: bool) -> Transcript {
        Transcript {
            kept,
            started: Instant::now(),
            check: Cell::new(""),
            this_check: Cell::new(0),
            lines: RefCell::new(Vec::new()),
        }
    }

    /// Its first line: which server, and when.
    pub fn opening(&self, target: &str, protocol: Protocol, clock: &Clock) {
        let version = env!("CARGO_PKG_VERSION");
        let (target, when) = (show::clean(target), clock.now().format("%Y-%m-%d %H:%M:%S"));
        let whose = clock.whose();
        self.push(tr!(
            "lab-check {version}: {protocol} {target}, checked at {when} ({whose})",
            "lab-check {version}：{protocol} {target}，检查于 {when}（{whose}）"
        ));
    }

    /// The check `name` begins: the lines after it are its.
    pub fn begin(&self, name: &'static str) {
        self.check.set(name);
        self.this_check.set(0);
    }

    /// One event on connection (or socket) `who` (`#3`).
    pub fn note(&self, who: &str, what: &str) {
        if !self.kept {
            return;
        }
        let count = self.this_check.get() + 1;
        self.this_check.set(count);
        if count > MOST_LINES_A_CHECK {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        let line = if count == MOST_LINES_A_CHECK {
            tr!(
                "(more lines of this check left out)",
                "（本项检查的其余记录从略）"
            )
        } else {
            what.to_string()
        };
        self.push(format!(
            "+{elapsed:.3} s  {:<11}  {who:<4}  {line}",
            self.check.get()
        ));
    }

    /// Bytes sent on `who`.
    pub fn sent(&self, who: &str, bytes: &[u8]) {
        if self.kept {
            let (len, shown) = (bytes.len(), show::bytes(bytes));
            self.note(
                who,
                &tr!("sent {len} bytes: {shown}", "发送 {len} 字节：{shown}"),
            );
        }
    }

    /// Bytes that came on `who`.
    pub fn came(&self, who: &str, bytes: &[u8]) {
        if self.kept {
            let (len, shown) = (bytes.len(), show::bytes(bytes));
            self.note(
                who,
                &tr!("came {len} bytes: {shown}", "收到 {len} 字节：{shown}"),
            );
        }
    }

    /// A line as it is.
    fn push(&self, line: String) {
        if self.kept {
            self.lines.borrow_mut().push(line);
        }
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.borrow().clone()
    }
}

/// A file name for `name` in `dir`: its letters and digits (Chinese too), the rest `_`, not
/// one of `taken`; `student` when nothing is left.
pub fn file_for(dir: &Path, name: &str, taken: &mut Vec<PathBuf>) -> PathBuf {
    let mut stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if stem.trim_matches('_').is_empty() {
        stem = "student".to_string();
    }
    let mut path = dir.join(format!("{stem}.txt"));
    let mut n = 2;
    while taken.contains(&path) {
        path = dir.join(format!("{stem}-{n}.txt"));
        n += 1;
    }
    taken.push(path.clone());
    path
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn a_transcript_keeps_lines_only_when_asked() {
        let off = Transcript::new(false);
        off.sent("#1", b"hello");
        assert!(off.lines().is_empty());
        let on = Transcript::new(true);
        on.begin("reply");
        on.sent("#1", b"hello");
        on.came("#1", b"[x] \x1b[2J");
        let lines = on.lines();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("reply"), "{lines:?}");
        assert!(lines[1].contains("\\x1b[2J"), "{lines:?}");
    }

    #[test]
    fn file_names_are_safe_and_distinct() {
        let dir = Path::new("logs");
        let mut taken = Vec::new();
        let names = [
            "王小明",
            "../../etc/passwd",
            "=cmd|' /C calc'!A0",
            "王小明",
            "\u{1b}",
        ];
        let files: Vec<String> = names
            .iter()
            .map(|name| {
                let path = file_for(dir, name, &mut taken);
                path.strip_prefix(dir)
                    .expect("in dir")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(
            files,
            [
                "王小明.txt",
                "______etc_passwd.txt",
                "_cmd____C_calc__A0.txt",
                "王小明-2.txt",
                "student.txt"
            ]
        );
    }
}

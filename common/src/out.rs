//! Everything a program prints for a person besides the replies: a server's log (stdout),
//! problems and errors (stderr), and `--trace` (stderr).
//!
//! One thread writes all of it, in the order it happened, each line whole in one write, so
//! with `2>&1` no two lines run into each other. The program never waits for that thread:
//! lines wait in a bounded queue, and when stdout or stderr stops taking them (a paused
//! pager, a pipe nobody reads) new lines are counted and dropped, and serving goes on. Ctrl+C,
//! SIGTERM and SIGHUP still end a server at once: its last line gets a moment to go out.
//!
//! A call that waits (`accept()`, `recv()`) is traced when it starts waiting, `accept() ...`,
//! so a student sees where a program waits. When the call returns at once, that line is
//! dropped and only `accept() -> 127.0.0.1:53422` shows: one line a call, unless it waited.

use std::fmt::{Display, Write as _};
use std::io::IsTerminal;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

use crate::writer::{self, Entry, Stream};

/// How many lines may wait for the terminal before new ones are dropped.
const QUEUE: usize = 8192;

/// Logs a line on stdout in the reader's language, unless `--quiet`:
/// `log!("...connected from: {peer}", "...连接来自：{peer}")`.
#[macro_export]
macro_rules! log {
    ($english:literal, $chinese:literal $(,)?) => {
        if $crate::out::logging() {
            $crate::out::log_line($crate::tr!($english, $chinese));
        }
    };
}

/// Reports a problem on stderr in the reader's language, even with `--quiet`.
#[macro_export]
macro_rules! problem {
    ($english:literal, $chinese:literal $(,)?) => {
        $crate::out::stderr_line($crate::tr!($english, $chinese))
    };
}

/// `--trace`: writes one socket call to stderr, such as `trace!("listen({backlog})")`.
#[macro_export]
macro_rules! trace {
    ($($call:tt)*) => {
        if $crate::out::tracing() {
            $crate::out::stderr_line(format!($($call)*));
        }
    };
}

/// `--trace` of a call about to wait, such as `trace_wait!("accept() ...")`: shown only if
/// the call is still waiting a moment later.
#[macro_export]
macro_rules! trace_wait {
    ($($call:tt)*) => {
        if $crate::out::tracing() {
            $crate::out::trace_waiting(format!($($call)*));
        }
    };
}

/// The output of this program, set up once by [`start`].
pub(crate) struct Out {
    /// Where lines wait for the writing thread.
    queue: SyncSender<Entry>,
    /// `--quiet`: no log lines about clients.
    quiet: bool,
    /// `--trace`: socket calls on stderr.
    trace: bool,
}

/// This program's output, once started.
static OUT: OnceLock<Out> = OnceLock::new();

/// Lines dropped because the output was not keeping up; the writing thread says how many
/// with the next line it writes.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// How much stack the writing thread gets: it only copies lines out, so far less than the
/// 2 MiB a thread gets by default (address space counts under `ulimit -v`).
const WRITER_STACK: usize = 256 * 1024;

/// Starts the thread that writes every line. Called once, after the options are read.
pub fn start(quiet: bool, trace: bool) {
    let (queue, entries) = mpsc::sync_channel(QUEUE);
    let writer = thread::Builder::new()
        .name("output".into())
        .stack_size(WRITER_STACK)
        .spawn(move || writer::write_entries(entries, &DROPPED, &mut writer::write_line));
    if writer.is_ok() {
        let _ = OUT.set(Out {
            queue,
            quiet,
            trace,
        });
    }
}

/// True unless `--quiet`: whether log lines about clients are wanted at all.
pub fn logging() -> bool {
    OUT.get().is_none_or(|out| !out.quiet)
}

/// True with `--trace`.
pub fn tracing() -> bool {
    OUT.get().is_some_and(|out| out.trace)
}

/// A line on stdout, even under `--quiet` (the address line, the goodbye); the log goes
/// through [`log!`](crate::log), which skips its lines under `--quiet`.
#[doc(hidden)] // public because `log!` expands to it in the programs
pub fn log_line(line: String) {
    send(Stream::Stdout, line);
}

/// A line on stderr: a problem, or a socket call of `--trace`.
#[doc(hidden)] // public because `problem!` and `trace!` expand to it in the programs
pub fn stderr_line(line: String) {
    send(Stream::Stderr, line);
}

/// A socket call about to wait (use [`trace_wait!`](crate::trace_wait)).
#[doc(hidden)] // public because `trace_wait!` expands to it in the programs
pub fn trace_waiting(call: String) {
    if let Some(out) = OUT.get() {
        let entry = Entry::Waiting(call, thread::current().id());
        if out.queue.try_send(entry).is_err() {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Queues one line, or counts it as dropped when the queue is full. Before [`start`], writes it
/// at once.
fn send(to: Stream, line: String) {
    let Some(out) = OUT.get() else {
        let _ = writer::write_line(to, &line);
        return;
    };
    let from = out.trace.then(|| thread::current().id());
    if out.queue.try_send(Entry::Line(to, line, from)).is_err() {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Waits until every line so far is written, for at most `limit`. False if it ran out.
pub fn flush(limit: Duration) -> bool {
    let Some(out) = OUT.get() else { return true };
    let (done, wait) = mpsc::sync_channel(1);
    out.queue.try_send(Entry::Flush(done)).is_ok() && wait.recv_timeout(limit).is_ok()
}

/// On Ctrl+C, SIGTERM or SIGHUP (a closed terminal): writes `last_words()` (best effort, for
/// under a second, since nobody may be reading) and exits with status 0, the way a server is
/// meant to stop. On a terminal they start on a line of their own: the terminal has just
/// echoed the `^C` where the next line would have begun.
pub fn on_stop(last_words: impl Fn() -> String + Send + 'static) {
    let on_a_terminal = std::io::stdout().is_terminal();
    let installed = ctrlc::set_handler(move || {
        let after_the_echo = if on_a_terminal { "\n" } else { "" };
        log_line(format!("{after_the_echo}{}", last_words()));
        flush(Duration::from_millis(500));
        std::process::exit(0);
    });
    if let Err(error) = installed {
        problem!(
            "cannot catch Ctrl+C ({error}); the server will stop without a summary",
            "无法捕获 Ctrl+C（{error}）；服务器停止时将不打印汇总"
        );
    }
}

/// Shows received bytes in a log line: quoted, at most `Printable::SHOWN` (80) characters of it
/// (a 1 MiB message must not flood the teacher's terminal), and everything a reader could not
/// see written as an escape: control characters (`\n`, `\u{1b}`), characters that show as
/// nothing (`\u{3164}`, `\u{2800}`, zero-width spaces), and bytes that are not UTF-8 (`\xff`),
/// so that an invalid byte never looks like a real `�` (U+FFFD), which shows as itself.
pub struct Printable<'a>(pub &'a [u8]);

impl Printable<'_> {
    /// The most characters of a message a log line shows.
    const SHOWN: usize = 80;
}

impl Display for Printable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = 0;
        let mut cut = false;
        // Whether the last character shown was visible: a joiner or variation selector after
        // one is part of an emoji sequence and shown as itself.
        let mut after_visible = false;
        f.write_str("\"")?;
        'chunks: for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                if shown == Self::SHOWN {
                    cut = true;
                    break 'chunks;
                }
                shown += 1;
                after_visible = write_visibly(f, c, after_visible)?;
            }
            for byte in chunk.invalid() {
                if shown == Self::SHOWN {
                    cut = true;
                    break 'chunks;
                }
                shown += 1;
                after_visible = false;
                write!(f, "\\x{byte:02x}")?;
            }
        }
        f.write_str("\"")?;
        if cut {
            let n = self.0.len();
            let bytes = crate::lang::count(n as u64, "byte");
            f.write_str(&crate::tr!("... ({bytes})", "…（共 {n} 字节）"))?;
        }
        Ok(())
    }
}

/// Writes one character of a message as a reader can see it (see [`Printable`]); returns
/// whether it was shown as a visible character of its own.
fn write_visibly(
    f: &mut std::fmt::Formatter<'_>,
    c: char,
    after_visible: bool,
) -> Result<bool, std::fmt::Error> {
    let escape = match c {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        c if joins_its_neighbour(c) && after_visible => {
            f.write_char(c)?;
            return Ok(true);
        }
        c if c.is_control() || shows_as_nothing(c) || joins_its_neighbour(c) => {
            write!(f, "\\u{{{:x}}}", c as u32)?;
            return Ok(false);
        }
        c => {
            f.write_char(c)?;
            return Ok(c != ' ');
        }
    };
    f.write_str(escape)?;
    Ok(false)
}

/// The zero-width joiners and variation selectors that build emoji sequences (`👨‍👩‍👧`, `❤️`):
/// visible as part of the character before them, invisible on their own.
fn joins_its_neighbour(c: char) -> bool {
    matches!(c, '\u{200c}' | '\u{200d}' | '\u{fe00}'..='\u{fe0f}')
}

/// Characters that take no visible ink: spaces other than the plain one, fillers that look
/// blank (Hangul fillers, the blank Braille pattern), zero-width spaces, direction marks and
/// tags.
fn shows_as_nothing(c: char) -> bool {
    matches!(c,
        '\u{a0}' | '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}'
        | '\u{17b4}' | '\u{17b5}' | '\u{180b}'..='\u{180f}' | '\u{1680}'
        | '\u{2000}'..='\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202f}' | '\u{205f}'..='\u{206f}'
        | '\u{2800}' | '\u{3000}' | '\u{3164}' | '\u{feff}'
        | '\u{ffa0}' | '\u{fff0}'..='\u{fffb}' | '\u{1d159}' | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e0fff}')
}

/// How many lines about one client's messages the log shows in a second; the rest are
/// counted and summarised in one line. A person reads a few lines a second; a student's
/// program that floods the server must not fill the teacher's disk (as journald and syslog
/// limit each sender).
pub const LINES_PER_SECOND: u32 = 5;

/// One client's share of the log: at most [`LINES_PER_SECOND`] lines about its messages in
/// each second, and a count of the lines it would have had beyond that.
#[derive(Debug)]
pub struct LogShare {
    /// When the current second of this client's share began.
    second: Instant,
    /// Lines logged in the current second.
    logged: u32,
    /// Lines not logged since the last summary.
    skipped: u64,
}

/// Whether a line may be logged now.
#[derive(Debug, PartialEq, Eq)]
pub enum LogOrSkip {
    /// Log it; first say that `skipped` lines before it were not shown (when not 0).
    Log {
        /// Lines not shown since the last summary.
        skipped: u64,
    },
    /// Over this second's share: counted, not shown.
    Skip,
}

impl LogShare {
    /// A new client's share, starting now.
    pub fn new(now: Instant) -> LogShare {
        LogShare {
            second: now,
            logged: 0,
            skipped: 0,
        }
    }

    /// A line about this client is about to be logged at `now`: may it be?
    pub fn take(&mut self, now: Instant) -> LogOrSkip {
        if now.saturating_duration_since(self.second) >= Duration::from_secs(1) {
            self.second = now;
            self.logged = 0;
        }
        if self.logged < LINES_PER_SECOND {
            self.logged += 1;
            return LogOrSkip::Log {
                skipped: std::mem::take(&mut self.skipped),
            };
        }
        self.skipped += 1;
        LogOrSkip::Skip
    }

    /// Lines not shown and not summarised yet, once the second they fell in is over (for a
    /// server that summarises on a timer, or when the client leaves: pass a `now` a second
    /// on). Counted as summarised.
    pub fn skipped_by(&mut self, now: Instant) -> u64 {
        if now.saturating_duration_since(self.second) >= Duration::from_secs(1) {
            std::mem::take(&mut self.skipped)
        } else {
            0
        }
    }

    /// The client has gone: lines not shown and not summarised yet.
    pub fn finish(mut self) -> u64 {
        std::mem::take(&mut self.skipped)
    }
}

/// Logs the summary of lines a client's [`LogShare`] did not show.
pub fn log_skipped(peer: std::net::SocketAddr, skipped: u64) {
    if skipped == 0 {
        return;
    }
    let lines = crate::lang::count(skipped, "more message");
    log!(
        "  ({lines} from {peer} not logged: it sends faster than a person reads; the counts at the stop include them)",
        "  （{peer} 发来的另外 {skipped} 条消息未记入日志：发送速度远超人的阅读速度；停止时的统计包含它们）"
    );
}

#[cfg(test)]
mod tests;

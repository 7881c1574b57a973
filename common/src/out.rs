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

use std::collections::VecDeque;
use std::fmt::Display;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crate::tr;

/// How many lines may wait for the terminal before new ones are dropped.
const QUEUE: usize = 8192;

/// How long a call must wait before its `...` line is shown.
const SHOW_WAIT_AFTER: Duration = Duration::from_millis(150);

/// Logs a line on stdout in the reader's language, unless `--quiet`:
/// `log!("...connected from: {peer}", "...连接来自：{peer}")`.
#[macro_export]
macro_rules! log {
    ($english:literal, $chinese:literal $(,)?) => {
        if $crate::out::logging() {
            $crate::out::log($crate::tr!($english, $chinese));
        }
    };
}

/// Reports a problem on stderr in the reader's language, even with `--quiet`.
#[macro_export]
macro_rules! problem {
    ($english:literal, $chinese:literal $(,)?) => {
        $crate::out::problem($crate::tr!($english, $chinese))
    };
}

/// `--trace`: writes one socket call to stderr, such as `trace!("listen({backlog})")`.
#[macro_export]
macro_rules! trace {
    ($($call:tt)*) => {
        if $crate::out::tracing() {
            $crate::out::trace(format!($($call)*));
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

/// Where a line goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// The log.
    Stdout,
    /// Problems, errors and `--trace`.
    Stderr,
}

/// What the writing thread is asked to do.
enum Entry {
    /// Write this line; `from` is the thread that made it, when tracing.
    Line(Stream, String, Option<ThreadId>),
    /// Thread `from` is about to wait in this call.
    Waiting(String, ThreadId),
    /// Write everything before this, then say so.
    Flush(SyncSender<()>),
}

/// The output of this program, set up once by [`start`].
struct Out {
    /// Where lines wait for the writing thread.
    queue: SyncSender<Entry>,
    /// `--quiet`: no log lines about clients.
    quiet: bool,
    /// `--trace`: socket calls on stderr.
    trace: bool,
    /// Lines dropped because the output was not keeping up; said with the next line written.
    dropped: AtomicU64,
}

static OUT: OnceLock<Out> = OnceLock::new();

/// Starts the thread that writes every line. Called once, after the options are read.
pub fn start(quiet: bool, trace: bool) {
    let (queue, entries) = mpsc::sync_channel(QUEUE);
    let writer = thread::Builder::new()
        .name("output".into())
        .spawn(move || write_entries(entries, &mut write_line));
    if writer.is_ok() {
        let _ = OUT.set(Out {
            queue,
            quiet,
            trace,
            dropped: AtomicU64::new(0),
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

/// A log line on stdout (use [`log!`](crate::log), which skips it under `--quiet`).
pub fn log(line: String) {
    send(Stream::Stdout, line);
}

/// A line on stdout even under `--quiet`: the address line, the goodbye.
pub fn always(line: String) {
    send(Stream::Stdout, line);
}

/// A problem on stderr.
pub fn problem(line: String) {
    send(Stream::Stderr, line);
}

/// A socket call on stderr (use [`trace!`](crate::trace)).
pub fn trace(call: String) {
    send(Stream::Stderr, call);
}

/// A socket call about to wait (use [`trace_wait!`](crate::trace_wait)).
pub fn trace_waiting(call: String) {
    if let Some(out) = OUT.get() {
        let entry = Entry::Waiting(call, thread::current().id());
        if out.queue.try_send(entry).is_err() {
            out.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Queues one line, or counts it as dropped when the queue is full. Before [`start`], writes it
/// at once.
fn send(to: Stream, line: String) {
    let Some(out) = OUT.get() else {
        write_line(to, &line);
        return;
    };
    let from = out.trace.then(|| thread::current().id());
    if out.queue.try_send(Entry::Line(to, line, from)).is_err() {
        out.dropped.fetch_add(1, Ordering::Relaxed);
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
/// meant to stop.
pub fn on_stop(last_words: impl Fn() -> String + Send + 'static) {
    let installed = ctrlc::set_handler(move || {
        always(last_words());
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

/// Lines held back behind a call that may be waiting, in the order they were made.
enum Held {
    /// A line to write.
    Line(Stream, String),
    /// A `...` line, shown only once its call has waited [`SHOW_WAIT_AFTER`].
    Wait(String, ThreadId, Instant),
}

/// The writing thread: writes each entry in order, dropping a `...` line whose call returned
/// at once (the next line from the same thread says it has).
fn write_entries(entries: Receiver<Entry>, write: &mut impl FnMut(Stream, &str)) {
    let mut held: VecDeque<Held> = VecDeque::new();
    loop {
        let next = match held.front() {
            Some(Held::Wait(_, _, since)) => entries
                .recv_timeout((*since + SHOW_WAIT_AFTER).saturating_duration_since(Instant::now())),
            _ => entries.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let mut all = false;
        match next {
            Ok(Entry::Line(to, line, from)) => {
                if let Some(from) = from {
                    held.retain(
                        |held| !matches!(held, Held::Wait(_, thread, _) if *thread == from),
                    );
                }
                held.push_back(Held::Line(to, line));
            }
            Ok(Entry::Waiting(call, from)) => {
                held.push_back(Held::Wait(call, from, Instant::now()))
            }
            Ok(Entry::Flush(done)) => {
                write_held(&mut held, true, write);
                let _ = done.send(());
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => all = true,
        }
        write_held(&mut held, all, write);
        if all {
            return;
        }
    }
}

/// Writes held lines from the front, up to a `...` line whose call may still return at once.
fn write_held(held: &mut VecDeque<Held>, all: bool, write: &mut impl FnMut(Stream, &str)) {
    while let Some(front) = held.front() {
        if let Held::Wait(_, _, since) = front {
            if !all && since.elapsed() < SHOW_WAIT_AFTER {
                return;
            }
        }
        let dropped = OUT
            .get()
            .map_or(0, |out| out.dropped.swap(0, Ordering::Relaxed));
        if dropped > 0 {
            write(
                Stream::Stderr,
                &tr!(
                    "({dropped} lines of output dropped: nobody was reading them)",
                    "（有 {dropped} 行输出被丢弃：没有人在读取）"
                ),
            );
        }
        match held.pop_front() {
            Some(Held::Line(to, line)) => write(to, &line),
            Some(Held::Wait(call, _, _)) => write(Stream::Stderr, &call),
            None => return,
        }
    }
}

/// Writes one line and its newline in one write. A closed stdout or stderr must not stop a
/// server, so write errors are ignored.
fn write_line(to: Stream, line: &str) {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    let _ = match to {
        Stream::Stdout => io::stdout().lock().write_all(&bytes),
        Stream::Stderr => io::stderr().lock().write_all(&bytes),
    };
}

/// Writes a client's reply (or prompt) to stdout at once. An error of kind `BrokenPipe` means
/// nobody reads stdout any more (`client | head -1`): the client then stops quietly, with
/// status 0; any other (a full disk) is an error.
pub fn print_now(bytes: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()
}

/// Shows received bytes in a log line: quoted, control characters escaped, at most 80
/// characters of it (a 1 MiB message must not flood the teacher's terminal).
pub struct Printable<'a>(pub &'a [u8]);

impl Display for Printable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 80;
        let text = String::from_utf8_lossy(self.0);
        if text.chars().count() <= SHOWN {
            return write!(f, "{text:?}");
        }
        let start: String = text.chars().take(SHOWN).collect();
        write!(f, "{start:?}... ({} bytes)", self.0.len())
    }
}

/// Turns what `run` returned into the exit status, printing an error as one line on stderr
/// after everything printed before it: `tcp-client: error: cannot connect to ...`.
pub fn exit_status(program: &str, result: anyhow::Result<ExitCode>) -> ExitCode {
    let status = match result {
        Ok(status) => status,
        Err(error) => {
            // `{:#}` prints the chain of causes on one line, and never a backtrace.
            let error = format!("{error:#}");
            problem!("{program}: error: {error}", "{program}：错误：{error}");
            ExitCode::FAILURE
        }
    };
    flush(Duration::from_secs(1));
    status
}

/// Makes a panic (a bug in this program, never the user's fault) print one line, not a
/// backtrace. In a server only the thread that panicked ends; the others go on.
pub fn one_line_panics(program: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default()
            .replace('\n', " ");
        let place = info
            .location()
            .map(|at| format!(" at {}:{}", at.file(), at.line()))
            .unwrap_or_default();
        let line = tr!(
            "{program}: internal error{place}: {message} (this is a bug; please report it)",
            "{program}：内部错误{place}：{message}（这是程序的缺陷，请报告）"
        );
        let _ = writeln!(io::stderr().lock(), "{line}");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_and_shortens() {
        let printable = |bytes: &[u8]| Printable(bytes).to_string();
        assert_eq!(printable(b"hi\n"), "\"hi\\n\"");
        assert_eq!(printable("中".as_bytes()), "\"中\"");
        let long = printable(&[b'a'; 1000]);
        assert!(long.ends_with("... (1000 bytes)"), "{long}");
        assert!(long.len() < 100);
    }

    /// Runs the writer over `entries` and returns what it wrote.
    fn written(entries: Vec<(Entry, Duration)>) -> Vec<String> {
        let (queue, receiver) = mpsc::sync_channel(16);
        let feeder = thread::spawn(move || {
            for (entry, pause) in entries {
                thread::sleep(pause);
                queue.send(entry).unwrap();
            }
        });
        let mut lines = Vec::new();
        write_entries(receiver, &mut |_, line: &str| lines.push(line.to_string()));
        feeder.join().unwrap();
        lines
    }

    #[test]
    fn a_call_that_returns_at_once_is_one_line_and_a_wait_shows() {
        let me = thread::current().id();
        let line = |text: &str| Entry::Line(Stream::Stderr, text.into(), Some(me));
        let wait = |text: &str| Entry::Waiting(format!("{text} ..."), me);
        let quick = Duration::ZERO;
        let lines = written(vec![
            (wait("accept()"), quick),
            (line("accept() -> a"), quick),
            (wait("recv(1024)"), quick),
            (line("recv(1024) -> 6 bytes"), SHOW_WAIT_AFTER * 3),
        ]);
        assert_eq!(
            lines,
            ["accept() -> a", "recv(1024) ...", "recv(1024) -> 6 bytes"]
        );
    }
}

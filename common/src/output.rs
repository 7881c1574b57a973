//! What the programs print for a person: the server's log, `--trace`, and errors.
//!
//! A server's log goes through [`Log`], which never lets printing hold up serving: the lines
//! wait in a bounded queue for a thread that writes them to stdout, and if stdout stops
//! keeping up (a paused terminal, a pipe nobody reads) the overflow is counted and skipped,
//! never waited for.

use std::fmt::Display;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread;

use crate::text::Message;

/// How many log lines may wait for stdout before new ones are skipped.
const LOG_QUEUE: usize = 8192;

/// What the log thread is asked to do.
enum Entry {
    /// Print this line.
    Line(String),
    /// Print everything before this, then say so on the enclosed channel.
    Flush(SyncSender<()>),
}

/// A server's log on stdout. Cheap to clone: every client's thread holds one.
#[derive(Clone)]
pub struct Log {
    /// Where lines wait for the thread that prints them.
    queue: SyncSender<Entry>,
    /// `--quiet`: keep only the first line, problems with the server, and the goodbye.
    quiet: bool,
    /// Lines skipped because stdout was not keeping up; reported with the next line printed.
    skipped: Arc<AtomicU64>,
}

impl Log {
    /// Starts the thread that prints the log.
    pub fn start(quiet: bool) -> Log {
        let (queue, entries) = mpsc::sync_channel(LOG_QUEUE);
        let skipped = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&skipped);
        thread::Builder::new()
            .name("log".into())
            .spawn(move || print_entries(entries, &counter))
            .map(drop)
            .unwrap_or_else(|error| eprintln!("log: {error}"));
        Log {
            queue,
            quiet,
            skipped,
        }
    }

    /// Logs what happens to clients (connections, messages, disconnections), unless `--quiet`,
    /// in the user's language. Never waits: when stdout is not keeping up, the line is
    /// counted and skipped.
    pub fn event(&self, message: Message, values: &[(&str, &dyn Display)]) {
        if self.quiet {
            return; // before anything is formatted: quiet costs nothing per message
        }
        let line = message.with(values);
        if let Err(TrySendError::Full(_)) = self.queue.try_send(Entry::Line(line)) {
            self.skipped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Prints a line even with `--quiet` (the address line, the goodbye), waiting if needed.
    pub fn always(&self, message: Message, values: &[(&str, &dyn Display)]) {
        let _ = self.queue.send(Entry::Line(message.with(values)));
    }

    /// Reports a problem with the server itself (not with one client) on stderr, always.
    pub fn problem(&self, message: Message, values: &[(&str, &dyn Display)]) {
        let _ = writeln!(io::stderr().lock(), "{}", message.with(values));
    }

    /// Waits until every line logged so far is written.
    pub fn flush(&self) {
        let (done, wait) = mpsc::sync_channel(1);
        if self.queue.send(Entry::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }
}

/// The log thread: prints lines as they come, flushing whenever the queue runs dry.
fn print_entries(entries: Receiver<Entry>, skipped: &AtomicU64) {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    while let Ok(first) = entries.recv() {
        let mut next = Some(first);
        while let Some(entry) = next {
            let lost = skipped.swap(0, Ordering::Relaxed);
            if lost > 0 {
                let _ = writeln!(out, "{}", Message::LogSkipped.with(&[("count", &lost)]));
            }
            match entry {
                // A closed stdout must not stop the server: write errors are ignored.
                Entry::Line(line) => {
                    let _ = writeln!(out, "{line}");
                }
                Entry::Flush(done) => {
                    let _ = out.flush();
                    let _ = done.send(());
                }
            }
            next = entries.try_recv().ok();
        }
        let _ = out.flush();
    }
}

/// On Ctrl+C (or a polite `kill`), logs the line `goodbye` makes, waits until the log is
/// out whole, and exits with status 0: a server is meant to be stopped that way.
pub fn goodbye_on_ctrl_c(log: Log, goodbye: impl Fn() -> String + Send + 'static) {
    let in_handler = log.clone();
    let installed = ctrlc::set_handler(move || {
        let _ = in_handler.queue.send(Entry::Line(goodbye()));
        in_handler.flush();
        std::process::exit(0);
    });
    if let Err(error) = installed {
        log.problem(Message::NoCtrlC, &[("error", &error)]);
    }
}

/// `--trace`: each socket call, written to stderr as it happens.
#[derive(Clone, Copy, Debug)]
pub struct Trace {
    /// Whether `--trace` was given.
    pub on: bool,
}

impl Trace {
    /// Writes one socket call, such as `recv(1024) -> 6 bytes`.
    pub fn call(&self, call: impl Display) {
        if self.on {
            let _ = writeln!(io::stderr().lock(), "{call}");
        }
    }
}

/// Shows received bytes in a log line: quoted, control characters escaped, at most 80
/// characters of it (a 1 MiB message must not flood the teacher's terminal).
///
/// Formatting happens only when the line is printed, so `--quiet` costs nothing per message.
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

/// Turns what `run` returned into the exit status, printing an error as one line on stderr:
/// `tcp-client: error: cannot connect to ...: connection refused`.
pub fn exit_status(program: &str, result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(error) => {
            // `{:#}` prints the whole chain of causes on one line, and never a backtrace.
            let error = format!("{error:#}");
            let line = Message::ErrorLine.with(&[("program", &program), ("error", &error)]);
            let _ = writeln!(io::stderr().lock(), "{line}");
            ExitCode::FAILURE
        }
    }
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
            .unwrap_or_else(|| "unknown panic".into());
        let place = info
            .location()
            .map(|at| format!(" at {}:{}", at.file(), at.line()))
            .unwrap_or_default();
        let message = message.replace('\n', " ");
        let line = Message::InternalError.with(&[
            ("program", &program),
            ("place", &place),
            ("message", &message),
        ]);
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
}

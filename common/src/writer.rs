//! The thread that writes every line the program prints for a person (see [`crate::out`]),
//! in order, each line whole in one write.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use crate::out::{Entry, OUT, Stream};
use crate::tr;

/// How long a call must wait before its `...` line is shown.
const SHOW_WAIT_AFTER: Duration = Duration::from_millis(150);

/// Lines held back behind a call that may be waiting, in the order they were made.
enum Held {
    /// A line to write.
    Line(Stream, String),
    /// A `...` line, shown only once its call has waited [`SHOW_WAIT_AFTER`].
    Wait(String, ThreadId, Instant),
}

/// The writing thread: writes each entry in order, dropping a `...` line whose call returned
/// at once (the next line from the same thread says it has).
pub(crate) fn write_entries(entries: Receiver<Entry>, write: &mut impl FnMut(Stream, &str)) {
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
pub(crate) fn write_line(to: Stream, line: &str) {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    let _ = match to {
        Stream::Stdout => io::stdout().lock().write_all(&bytes),
        Stream::Stderr => io::stderr().lock().write_all(&bytes),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::thread;

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

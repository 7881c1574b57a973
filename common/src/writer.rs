//! The thread that writes every line the program prints for a person (see [`crate::out`]),
//! in order, each line whole in one write.
//!
//! A line that cannot be written is counted, and a line on stderr says how many were dropped
//! and why, with the true reason: nobody was reading (a pipe or a pager that stopped taking
//! lines), the output could not keep up (a file on a slow disk), or writing failed (a full
//! disk). That line comes at most once a second, so a full disk does not get a notice for
//! every line it refuses. A line the disk took only part of is ended before the next one, so
//! a cut line never runs into the next.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use crate::lang::{count, os_error};
use crate::tr;

/// Where a line goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    /// The log.
    Stdout,
    /// Problems, errors and `--trace`.
    Stderr,
}

/// What the writing thread is asked to do.
pub(crate) enum Entry {
    /// Write this line; `from` is the thread that made it, when tracing.
    Line(Stream, String, Option<ThreadId>),
    /// Thread `from` is about to wait in this call.
    Waiting(String, ThreadId),
    /// Write everything before this, then say so.
    Flush(SyncSender<()>),
}

/// How long a call must wait before its `...` line is shown.
const SHOW_WAIT_AFTER: Duration = Duration::from_millis(150);

/// How often, at most, a line says that lines were dropped.
const NOTICE_EVERY: Duration = Duration::from_secs(1);

/// Lines held back behind a call that may be waiting, in the order they were made.
enum Held {
    /// A line to write.
    Line(Stream, String),
    /// A `...` line, shown only once its call has waited [`SHOW_WAIT_AFTER`].
    Wait(String, ThreadId, Instant),
}

/// Why lines were dropped.
#[derive(Debug, PartialEq, Eq)]
enum Reason {
    /// Too many lines waited for an output that is a pipe, a terminal or a pager: nobody was
    /// reading it.
    NobodyReading,
    /// Too many lines waited for an output that is a file: it could not keep up.
    TooSlow,
    /// Writing failed because the disk is full.
    DiskFull,
    /// Writing failed; the system's words.
    Failed(String),
}

/// The writing thread's outputs and what it dropped since it last said so.
struct Output<'w, W: FnMut(Stream, &str) -> io::Result<()>> {
    /// Writes one line to a stream.
    write: &'w mut W,
    /// Lines the program dropped from the full queue, counted where it dropped them.
    dropped: &'w AtomicU64,
    /// Whether stdout and stderr (in that order) are regular files, which are never "not
    /// read", only slow or full.
    is_file: [bool; 2],
    /// Time spent writing to each stream since the last notice: the slow one is the one a
    /// full queue was waiting for.
    busy: [Duration; 2],
    /// Lines dropped from the full queue, not told yet.
    queued: u64,
    /// Lines whose write failed, not told yet.
    failed: u64,
    /// The last failure's reason.
    failure: Option<Reason>,
    /// When the last notice was written (or tried).
    noticed: Option<Instant>,
}

/// The writing thread: writes each entry in order, dropping a `...` line whose call returned
/// at once (the next line from the same thread says it has). `dropped` counts the lines the
/// program could not queue.
pub(crate) fn write_entries(
    entries: Receiver<Entry>,
    dropped: &AtomicU64,
    write: &mut impl FnMut(Stream, &str) -> io::Result<()>,
) {
    write_entries_to(
        entries,
        dropped,
        write,
        [is_file(Stream::Stdout), is_file(Stream::Stderr)],
    );
}

/// [`write_entries`], told which streams are regular files.
fn write_entries_to(
    entries: Receiver<Entry>,
    dropped: &AtomicU64,
    write: &mut impl FnMut(Stream, &str) -> io::Result<()>,
    is_file: [bool; 2],
) {
    let mut output = Output {
        write,
        dropped,
        is_file,
        busy: [Duration::ZERO; 2],
        queued: 0,
        failed: 0,
        failure: None,
        noticed: None,
    };
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
                output.write_held(&mut held, true);
                output.tell_dropped(true);
                let _ = done.send(());
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => all = true,
        }
        output.write_held(&mut held, all);
        if all {
            output.tell_dropped(true);
            return;
        }
    }
}

impl<W: FnMut(Stream, &str) -> io::Result<()>> Output<'_, W> {
    /// Writes held lines from the front, up to a `...` line whose call may still return at
    /// once.
    fn write_held(&mut self, held: &mut VecDeque<Held>, all: bool) {
        while let Some(front) = held.front() {
            if let Held::Wait(_, _, since) = front {
                if !all && since.elapsed() < SHOW_WAIT_AFTER {
                    return;
                }
            }
            self.tell_dropped(false);
            match held.pop_front() {
                Some(Held::Line(to, line)) => self.write(to, &line),
                Some(Held::Wait(call, _, _)) => self.write(Stream::Stderr, &call),
                None => return,
            }
        }
    }

    /// Writes one line, counting it as dropped if the write fails.
    fn write(&mut self, to: Stream, line: &str) {
        let started = Instant::now();
        if let Err(error) = (self.write)(to, line) {
            self.failed += 1;
            self.failure = Some(reason_for(&error));
        }
        self.busy[index(to)] += started.elapsed();
    }

    /// Says how many lines were dropped since the last notice, and why: at most once every
    /// [`NOTICE_EVERY`], unless `now` (the program is stopping). A notice that cannot be
    /// written either is kept for later.
    fn tell_dropped(&mut self, now: bool) {
        self.queued += self.dropped.swap(0, Ordering::Relaxed);
        let waited = self.noticed.map_or(NOTICE_EVERY, |at| at.elapsed());
        if (self.queued == 0 && self.failed == 0) || (!now && waited < NOTICE_EVERY) {
            return;
        }
        self.noticed = Some(Instant::now());
        if self.queued > 0 {
            let reason = reason_for_waiting(self.is_file, self.busy);
            if (self.write)(Stream::Stderr, &notice(self.queued, &reason)).is_ok() {
                self.queued = 0;
                self.busy = [Duration::ZERO; 2];
            }
        }
        if let Some(reason) = self.failure.as_ref().filter(|_| self.failed > 0) {
            if (self.write)(Stream::Stderr, &notice(self.failed, reason)).is_ok() {
                self.failed = 0;
            }
        }
    }
}

/// Why lines dropped from a full queue were dropped: the queue waited on the stream the
/// writer spent the most time on; a file there is slow, anything else is not being read.
fn reason_for_waiting(is_file: [bool; 2], busy: [Duration; 2]) -> Reason {
    let slowest = if busy[index(Stream::Stderr)] > busy[index(Stream::Stdout)] {
        Stream::Stderr
    } else {
        Stream::Stdout
    };
    if is_file[index(slowest)] {
        Reason::TooSlow
    } else {
        Reason::NobodyReading
    }
}

/// A stream's place in the per-stream arrays: stdout, then stderr.
fn index(to: Stream) -> usize {
    match to {
        Stream::Stdout => 0,
        Stream::Stderr => 1,
    }
}

/// Why a line whose write failed was dropped.
fn reason_for(error: &io::Error) -> Reason {
    match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Reason::DiskFull,
        // The reader has gone (`server | head`): nobody reads, as with a full pipe.
        io::ErrorKind::BrokenPipe => Reason::NobodyReading,
        _ => Reason::Failed(os_error(error)),
    }
}

/// The line that says `dropped` lines were dropped, and why.
fn notice(dropped: u64, reason: &Reason) -> String {
    let lines = count(dropped, "line");
    match reason {
        Reason::NobodyReading => tr!(
            "({lines} of output dropped: nobody was reading the output, a full pipe or a paused pager)",
            "（输出无人读取，已丢弃 {dropped} 行）"
        ),
        Reason::TooSlow => tr!(
            "({lines} of output dropped: they came faster than the output file took them)",
            "（输出文件写入跟不上，已丢弃 {dropped} 行）"
        ),
        Reason::DiskFull => tr!(
            "({lines} of output dropped: the disk is full)",
            "（磁盘已满，已丢弃 {dropped} 行输出）"
        ),
        Reason::Failed(error) => tr!(
            "({lines} of output dropped: writing failed: {error})",
            "（输出写入失败：{error}，已丢弃 {dropped} 行）"
        ),
    }
}

/// Whether a stream is a regular file (not a pipe, a terminal or a socket).
fn is_file(to: Stream) -> bool {
    #[cfg(unix)]
    let handle = {
        use std::os::fd::AsFd;
        match to {
            Stream::Stdout => io::stdout().as_fd().try_clone_to_owned(),
            Stream::Stderr => io::stderr().as_fd().try_clone_to_owned(),
        }
    };
    #[cfg(windows)]
    let handle = {
        use std::os::windows::io::AsHandle;
        match to {
            Stream::Stdout => io::stdout().as_handle().try_clone_to_owned(),
            Stream::Stderr => io::stderr().as_handle().try_clone_to_owned(),
        }
    };
    handle
        .map(std::fs::File::from)
        .and_then(|file| file.metadata())
        .is_ok_and(|metadata| metadata.is_file())
}

/// Whether the last line written to stdout, and to stderr, was cut (see [`write_whole`]).
static CUT: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];

/// Writes one line and its newline to a stream, whole (see [`write_whole`]).
pub(crate) fn write_line(to: Stream, line: &str) -> io::Result<()> {
    let cut = &CUT[index(to)];
    let mut was_cut = cut.load(Ordering::Relaxed);
    let written = match to {
        Stream::Stdout => write_whole(&mut io::stdout().lock(), line, &mut was_cut),
        Stream::Stderr => write_whole(&mut io::stderr().lock(), line, &mut was_cut),
    };
    cut.store(was_cut, Ordering::Relaxed);
    written
}

/// Writes `line` and its newline in one write. An output that takes only part of a line (a
/// disk that fills in the middle of it) leaves that line cut: `cut` says so, and the next line
/// written begins with the newline the cut one lacks, so that it starts a line of its own
/// (never `received 8 bytreceived 9 bytes`).
fn write_whole(out: &mut impl Write, line: &str, cut: &mut bool) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(line.len() + 2);
    if *cut {
        bytes.push(b'\n');
    }
    let ends_the_cut_one = bytes.len();
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    let mut written = 0;
    let failure = loop {
        if written == bytes.len() {
            *cut = false;
            return Ok(());
        }
        match out.write(&bytes[written..]) {
            Ok(0) => break io::Error::from(io::ErrorKind::WriteZero),
            Ok(n) => written += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => break error,
        }
    };
    // Nothing of this line went out: the earlier line is still cut unless its newline went.
    // Part of it went out: this line is the cut one now.
    *cut = if written < ends_the_cut_one {
        *cut
    } else {
        written > ends_the_cut_one
    };
    Err(failure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::thread;

    /// Runs the writer over `entries` and returns what it wrote.
    fn written(entries: Vec<(Entry, Duration)>) -> Vec<String> {
        let dropped = AtomicU64::new(0);
        let (queue, receiver) = mpsc::sync_channel(16);
        let feeder = thread::spawn(move || {
            for (entry, pause) in entries {
                thread::sleep(pause);
                queue.send(entry).unwrap();
            }
        });
        let mut lines = Vec::new();
        write_entries_to(
            receiver,
            &dropped,
            &mut |_, line: &str| {
                lines.push(line.to_string());
                Ok(())
            },
            [false; 2],
        );
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

    #[test]
    fn a_full_disk_is_told_as_such_once_with_the_count() {
        let (queue, receiver) = mpsc::sync_channel(100);
        for n in 0..50 {
            queue
                .send(Entry::Line(Stream::Stdout, format!("log {n}"), None))
                .unwrap();
        }
        drop(queue);
        let mut told = Vec::new();
        write_entries_to(
            receiver,
            &AtomicU64::new(0),
            &mut |to, line: &str| match to {
                // stdout is on the full disk; stderr is a terminal.
                Stream::Stdout => Err(io::Error::from(io::ErrorKind::StorageFull)),
                Stream::Stderr => {
                    told.push(line.to_string());
                    Ok(())
                }
            },
            [true, false],
        );
        // The first failure is told at once (with the next line), the rest when the writer
        // ends: two notices for fifty lines, not fifty.
        assert_eq!(told.len(), 2, "{told:?}");
        assert_eq!(told[0], notice(1, &Reason::DiskFull));
        assert_eq!(told[1], notice(49, &Reason::DiskFull));
    }

    /// A file on a disk with room for `room` more bytes.
    struct FillingDisk {
        written: Vec<u8>,
        room: usize,
    }

    impl Write for FillingDisk {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            let n = bytes.len().min(self.room);
            self.written.extend_from_slice(&bytes[..n]);
            self.room -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_cut_by_a_full_disk_never_runs_into_the_next() {
        let mut disk = FillingDisk {
            written: Vec::new(),
            room: 30,
        };
        let mut cut = false;
        write_whole(&mut disk, "received 7 bytes", &mut cut).expect("room for it");
        assert!(!cut);
        // 13 bytes of room left: the line is cut after "received 8 by".
        assert!(write_whole(&mut disk, "received 8 bytes", &mut cut).is_err());
        assert!(cut);
        // Still full: nothing is written, and the cut stays to be ended.
        assert!(write_whole(&mut disk, "received 9 bytes", &mut cut).is_err());
        assert!(cut);
        // Room again (a log rotated away): the cut line is ended first.
        disk.room = 100;
        write_whole(&mut disk, "received 10 bytes", &mut cut).expect("room for it");
        assert!(!cut);
        let text = String::from_utf8(disk.written).expect("text");
        assert_eq!(text, "received 7 bytes\nreceived 8 by\nreceived 10 bytes\n");
        // Room for the newline that ends the cut line only: the new line is not cut.
        let mut disk = FillingDisk {
            written: Vec::new(),
            room: 1,
        };
        let mut cut = true;
        assert!(write_whole(&mut disk, "next", &mut cut).is_err());
        assert!(!cut, "the newline went out, nothing of the next line did");
        assert_eq!(disk.written, b"\n");
    }

    #[test]
    fn a_full_queue_is_blamed_on_the_output_that_held_it_up() {
        let (stdout, stderr) = (Duration::from_millis(900), Duration::from_millis(5));
        // The log into a pipe nobody reads.
        assert_eq!(
            reason_for_waiting([false, false], [stdout, stderr]),
            Reason::NobodyReading
        );
        // `--trace 2> trace.txt` under a flood: the file is slow, nobody failed to read it.
        assert_eq!(
            reason_for_waiting([false, true], [stderr, stdout]),
            Reason::TooSlow
        );
        assert_eq!(
            reason_for_waiting([true, false], [stdout, stderr]),
            Reason::TooSlow
        );
    }

    #[test]
    fn the_notice_counts_in_the_right_number() {
        assert!(notice(1, &Reason::DiskFull).starts_with("(1 line of output dropped"));
        assert!(notice(2, &Reason::TooSlow).starts_with("(2 lines of output dropped"));
        assert!(notice(5, &Reason::NobodyReading).contains("nobody was reading"));
        assert!(!notice(5, &Reason::TooSlow).contains("nobody"));
    }
}

//! Helpers for the end-to-end tests: build the four programs, start them as real processes,
//! and talk to them over loopback.
//!
//! Every process started here is ended by the test that started it, failing or not (on
//! drop, by its own id: see [`KilledOnDrop`]), and every wait is bounded by a deadline.
//!
//! The programs run in a time zone far from UTC ([`ZONE`]), so a stamp in UTC, or in the
//! zone of the machine the tests run on, is caught.

pub mod classmate;
mod closed_port;
pub mod lab;
pub mod talk;
#[cfg(target_os = "linux")]
pub mod terminal;
pub mod usage;

pub mod tcp_proxy;
pub mod udp_proxy;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

pub use closed_port::ClosedPort;
pub use talk::{connect, exchange, read_exactly, read_to_close};

/// The TCP server's modes, for tests that must hold in each.
pub const MODES: [&str; 3] = ["threaded", "iterative", "event"];

/// How long a test waits for something that should take milliseconds.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Where prebuilt programs are, instead of building them: a folder holding `tcp-server`
/// (or `tcp-server.exe`) and the others. `scripts/check-windows` points it at a Windows build.
pub const BIN_DIR: &str = "TESTS_BIN_DIR";

/// A program that runs each binary, such as `wine` for a Windows build on Linux.
pub const LAUNCHER: &str = "TESTS_LAUNCHER";

/// The path of a program's binary: from [`BIN_DIR`] when it is set; otherwise built (once
/// per test process) with the profile this test runs under, so that `cargo test -p tests`
/// alone also tests fresh binaries.
pub fn binary(program: &str) -> PathBuf {
    static GIVEN: OnceLock<Option<PathBuf>> = OnceLock::new();
    let given = GIVEN.get_or_init(|| std::env::var_os(BIN_DIR).map(PathBuf::from));
    let dir = match given {
        Some(dir) => dir.as_path(),
        None => built(),
    };
    let plain = dir.join(program);
    let exe = dir.join(format!("{program}.exe"));
    if plain.exists() || !exe.exists() {
        plain
    } else {
        exe
    }
}

/// True when the programs run under a launcher (a Windows build under wine): tests that
/// send Unix signals to the program's process, or read its `/proc`, do not apply.
pub fn launched() -> bool {
    std::env::var_os(LAUNCHER).is_some_and(|launcher| !launcher.is_empty())
}

/// True when the programs under test are Windows builds (`tcp-server.exe`, run under wine).
pub fn windows_build() -> bool {
    binary("tcp-server")
        .extension()
        .is_some_and(|extension| extension == "exe")
}

/// The path of one of the book's examples (`tsTserv`, `tsTclnt`, `tsUserv`, `tsUclnt`), built
/// for this machine even where [`BIN_DIR`] names other binaries.
pub fn example(name: &str) -> PathBuf {
    built()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// Runs `cargo build` of the workspace's programs and examples (once per test process) into
/// this test's own target directory and profile; returns the folder that holds the programs.
///
/// The whole workspace, as `cargo test --workspace` builds it: naming packages (`-p
/// tcp-server ...`) would unify the dependencies' features differently and build them all
/// again, some ten seconds on a small machine. So after `cargo test --workspace` only the four
/// programs' own binaries are left to build (`cargo test` builds the examples, not the binaries
/// of a package without tests of its own).
fn built() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        // This test runs from <target>/<profile>/deps/<test binary>.
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test binary lives in <target>/<profile>/deps")
            .to_path_buf();
        let target_dir = profile_dir.parent().expect("a target directory");
        let release = profile_dir
            .file_name()
            .is_some_and(|name| name == "release");

        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .args(["build", "--quiet", "--workspace", "--bins", "--examples"])
            .arg("--target-dir")
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if release {
            build.arg("--release");
        }
        let status = build.status().expect("cargo build starts");
        assert!(status.success(), "cargo build of the programs failed");
        profile_dir
    })
}

/// Raises this process's limit on open files to at least `wanted` (servers started after it
/// inherit it), with `prlimit` where there is one: a test of thousands of connections needs
/// more than the usual 1024. Best effort: a test that still runs out says so when it does.
pub fn allow_open_files(wanted: u64) {
    let now = Command::new("sh").args(["-c", "ulimit -n"]).output();
    let now = now.ok().and_then(|out| {
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<u64>()
            .ok()
    });
    if now.is_some_and(|now| now >= wanted) {
        return;
    }
    let limit = format!("--nofile={wanted}:{wanted}");
    let _ = Command::new("prlimit")
        .args(["--pid", &std::process::id().to_string(), &limit])
        .stderr(Stdio::null())
        .status();
}

/// What a finished program left behind.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// Everything it wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

impl Finished {
    /// Its exit code (-1 when a signal ended it).
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// Its stdout as lines of text.
    pub fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// The time zone the programs run in: nine and a half hours east of UTC, as a POSIX `TZ`
/// string that needs no zone database (chrono reads it on Unix). Far from UTC and not a whole
/// number of hours, so a server that stamps UTC, or the test machine's own zone, shows.
pub const ZONE: &str = "<+0930>-9:30";

/// [`ZONE`]'s offset east of UTC, in seconds.
const ZONE_EAST_SECS: i32 = 9 * 3600 + 30 * 60;

/// The `TZ` every process a test starts runs in, ours, the book's examples and `lab-check`
/// alike, so that all of a run's stamps are in one zone: [`ZONE`]; UTC under a launcher,
/// where a Windows build takes its zone from the launcher's settings, not from `TZ` (a stamp
/// in UTC then cannot be told from a right one, and the tests of that say so).
pub fn tz() -> &'static str {
    if launched() { "UTC" } else { ZONE }
}

/// The offset of the zone the programs run in, [`tz`]: [`ZONE`]'s, or UTC under a launcher.
pub fn zone() -> chrono::FixedOffset {
    let east = if launched() { 0 } else { ZONE_EAST_SECS };
    chrono::FixedOffset::east_opt(east).expect("a zone within a day of UTC")
}

/// The time now in the zone the programs run in: what their stamps must show.
pub fn now_in_zone() -> chrono::NaiveDateTime {
    chrono::Utc::now().with_timezone(&zone()).naive_local()
}

/// The ctime of now in the zone the programs run in, for a fake server's replies.
pub fn ctime_in_zone() -> String {
    now_in_zone().format("%a %b %e %H:%M:%S %Y").to_string()
}

/// A command for one of the programs, in [`tz`] and with English messages, its lines
/// unwrapped (no `COLUMNS` from the terminal the tests were started in), whatever the
/// machine's language and terminal.
pub fn command(program: &str) -> Command {
    let mut command = match std::env::var_os(LAUNCHER).filter(|launcher| !launcher.is_empty()) {
        Some(launcher) => {
            let mut command = Command::new(launcher);
            command.arg(binary(program));
            command
        }
        None => Command::new(binary(program)),
    };
    command
        .env("TZ", tz())
        .env("LC_ALL", "C.UTF-8")
        // UTF-8 characters also where a test sets the language itself (`LANG=zh_CN.UTF-8`,
        // which a machine may not have): wine hands a Windows build its arguments whole only so.
        .env("LC_CTYPE", "C.UTF-8")
        .env_remove("COLUMNS")
        .env_remove("RUST_BACKTRACE");
    command
}

/// [`command`] for `program` with its stderr into the pipe of its stdout, as a shell's `2>&1`
/// puts them (Unix: through `sh`).
pub fn command_2_and_1(program: &str) -> Command {
    let alone = command(program);
    let mut both = Command::new("sh");
    both.args(["-c", "exec \"$0\" \"$@\" 2>&1"])
        .arg(alone.get_program())
        .args(alone.get_args());
    for (name, value) in alone.get_envs() {
        match value {
            Some(value) => both.env(name, value),
            None => both.env_remove(name),
        };
    }
    both
}

/// A process a test started, killed and waited for when dropped: a test that fails (panics)
/// anywhere after starting it still ends it. A bare [`Child`] is not ended on drop, which
/// left servers of failing tests running, orphaned, holding their ports.
pub struct KilledOnDrop(pub Child);

impl KilledOnDrop {
    /// Starts `command`, owned from its first moment.
    pub fn spawn(command: &mut Command) -> KilledOnDrop {
        KilledOnDrop(command.spawn().expect("the program starts"))
    }
}

impl Deref for KilledOnDrop {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for KilledOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a program to the end with `input` on stdin; kills it if it takes longer than `limit`.
pub fn run(program: &str, args: &[&str], input: &[u8], limit: Duration) -> Finished {
    run_command(command(program).args(args), input, limit)
}

/// Runs `command` to the end with `input` on stdin; kills it after `limit`.
pub fn run_command(command: &mut Command, input: &[u8], limit: Duration) -> Finished {
    let mut child = KilledOnDrop::spawn(
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = thread::spawn(move || {
        // The program may exit before reading everything; that is its business.
        let _ = stdin.write_all(&input);
    });
    let stdout = collect(child.stdout.take().expect("piped stdout"));
    let stderr = collect(child.stderr.take().expect("piped stderr"));
    let status = wait_or_kill(&mut child, limit);
    let _ = writer.join();
    Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned(),
    }
}

/// Reads `pipe` up to its first newline (at most 64 KiB) on a thread of its own, so that the
/// wait is bounded: a program that prints nothing fails the test after [`PATIENCE`] instead
/// of hanging it. Gives back the line and the pipe, the rest unread.
pub fn first_line<R: Read + Send + 'static>(mut pipe: R) -> (String, R) {
    let (read, line) = mpsc::channel();
    thread::spawn(move || {
        let mut first = Vec::new();
        let mut byte = [0];
        while !first.ends_with(b"\n") && first.len() < 64 * 1024 {
            match pipe.read(&mut byte) {
                Ok(1) => first.push(byte[0]),
                _ => break,
            }
        }
        let _ = read.send((first, pipe));
    });
    match line.recv_timeout(PATIENCE) {
        Ok((first, pipe)) => (String::from_utf8_lossy(&first).into_owned(), pipe),
        Err(_) => panic!("no line within {PATIENCE:?}"),
    }
}

/// Reads a pipe to its end on a thread of its own.
fn collect(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut all = Vec::new();
        let _ = pipe.read_to_end(&mut all);
        all
    })
}

/// Waits for `child` to exit; past `limit`, kills it and fails the test.
pub fn wait_or_kill(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the program did not finish within {limit:?}");
        }
        // std has no wait on a child with a deadline: look again every 10 ms.
        thread::sleep(Duration::from_millis(10));
    }
}

/// Lines a running program printed, shared with the thread that reads them.
#[derive(Default)]
struct Lines {
    /// Every line so far, and whether the pipe has ended.
    state: Mutex<Printed>,
    /// Signalled at each new line and at the end.
    arrived: Condvar,
}

/// What a pipe has brought so far.
#[derive(Default)]
struct Printed {
    /// Every line so far.
    lines: Vec<String>,
    /// True once the pipe ended (the program exited or closed it).
    ended: bool,
}

impl Lines {
    fn follow(pipe: impl Read + Send + 'static) -> Arc<Lines> {
        let lines = Arc::new(Lines::default());
        let shared = Arc::clone(&lines);
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                shared.state.lock().expect("lines").lines.push(line);
                shared.arrived.notify_all();
            }
            shared.state.lock().expect("lines").ended = true;
            shared.arrived.notify_all();
        });
        lines
    }

    /// Waits (at most `limit`) until `done` holds of what came; returns what it returned.
    fn wait_until<T>(&self, limit: Duration, done: impl Fn(&Printed) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + limit;
        let mut state = self.state.lock().expect("lines");
        loop {
            if let Some(found) = done(&state) {
                return Some(found);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self.arrived.wait_timeout(state, left).expect("lines").0;
        }
    }

    /// Waits until a line contains `needle`; returns it.
    fn wait_for(&self, needle: &str, limit: Duration) -> Option<String> {
        self.wait_until(limit, |printed| {
            printed
                .lines
                .iter()
                .find(|line| line.contains(needle))
                .cloned()
        })
    }

    /// Waits until `count` lines contain `needle`; true if they did in time.
    fn wait_for_count(&self, needle: &str, count: usize, limit: Duration) -> bool {
        self.wait_until(limit, |printed| {
            let found = printed
                .lines
                .iter()
                .filter(|line| line.contains(needle))
                .count();
            (found >= count).then_some(())
        })
        .is_some()
    }

    /// Waits until the first line; returns it.
    fn first(&self, limit: Duration) -> Option<String> {
        self.wait_until(limit, |printed| printed.lines.first().cloned())
    }

    /// Waits until the pipe has ended, so that every line is in; true if it did in time.
    fn wait_ended(&self, limit: Duration) -> bool {
        self.wait_until(limit, |printed| printed.ended.then_some(()))
            .is_some()
    }

    fn all(&self) -> Vec<String> {
        self.state.lock().expect("lines").lines.clone()
    }
}

/// A server running as a process, killed when dropped.
pub struct ServerProcess {
    /// The process.
    child: KilledOnDrop,
    /// Where it said it listens.
    pub address: SocketAddr,
    /// What it printed on stdout.
    stdout: Arc<Lines>,
    /// What it printed on stderr.
    stderr: Arc<Lines>,
}

impl ServerProcess {
    /// Starts `program` with `args`, adding `--port 0` unless `args` names a port, and waits
    /// for its first line, which names the address it is bound to.
    pub fn start(program: &str, args: &[&str]) -> ServerProcess {
        Self::start_with(command(program), args)
    }

    /// Like [`ServerProcess::start`], with a command prepared by the caller (environment, say).
    pub fn start_with(mut command: Command, args: &[&str]) -> ServerProcess {
        command.args(args);
        if !args.contains(&"--port") {
            command.args(["--port", "0"]);
        }
        // Owned from here on: every panic below ends it too.
        let mut child = KilledOnDrop::spawn(
            command
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        let stdout = Lines::follow(child.stdout.take().expect("piped stdout"));
        let stderr = Lines::follow(child.stderr.take().expect("piped stderr"));
        let Some(first) = stdout.first(PATIENCE) else {
            match child.try_wait() {
                Ok(Some(status)) => panic!("the server exited ({status}): {:?}", stderr.all()),
                _ => panic!("the server printed no address within {PATIENCE:?}"),
            }
        };
        let address = address_in(&first).unwrap_or_else(|| panic!("no IP:PORT in {first:?}"));
        ServerProcess {
            child,
            address,
            stdout,
            stderr,
        }
    }

    /// The port it listens on, as an argument.
    pub fn port(&self) -> String {
        self.address.port().to_string()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until a line of its log contains `needle`.
    pub fn wait_for_log(&self, needle: &str) -> Option<String> {
        self.stdout.wait_for(needle, PATIENCE)
    }

    /// Waits until `count` lines of its log contain `needle`; true if they did in time.
    pub fn wait_for_log_lines(&self, needle: &str, count: usize) -> bool {
        self.stdout.wait_for_count(needle, count, PATIENCE)
    }

    /// Waits until `done` holds of its whole log so far; true if it did in time.
    pub fn wait_until_log(&self, done: impl Fn(&[String]) -> bool) -> bool {
        self.stdout
            .wait_until(PATIENCE, |printed| done(&printed.lines).then_some(()))
            .is_some()
    }

    /// Waits until a line of its stderr contains `needle`.
    pub fn wait_for_stderr(&self, needle: &str) -> Option<String> {
        self.stderr.wait_for(needle, PATIENCE)
    }

    /// Every line of its log so far.
    pub fn log(&self) -> Vec<String> {
        self.stdout.all()
    }

    /// Every line of its stderr so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.all()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Ends the process and waits for it.
    pub fn stop(self) {
        drop(self);
    }

    /// Presses Ctrl+C: sends it SIGINT, by its own id, with `kill` (a Unix host's command).
    pub fn interrupt(&self) {
        let sent = Command::new("kill")
            .args(["-INT", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -INT {}", self.pid());
    }

    /// Waits for it to exit by itself (after [`ServerProcess::interrupt`], say); kills it and
    /// fails the test if it has not within [`PATIENCE`].
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        wait_or_kill(&mut self.child, PATIENCE)
    }

    /// Presses Ctrl+C, waits for it to exit cleanly and for its stdout and stderr to reach
    /// their ends; returns every line of its log, the stop line last ([`ServerProcess::stderr`]
    /// is whole too). What a test reads then is all the server ever printed: a line that
    /// should not be there cannot come after the test looked.
    #[cfg(unix)]
    pub fn stop_and_read_log(&mut self) -> Vec<String> {
        self.interrupt();
        let status = self.wait_for_exit();
        assert!(
            self.stdout.wait_ended(PATIENCE) && self.stderr.wait_ended(PATIENCE),
            "its output stayed open after it exited (a child process holding it?)"
        );
        let log = self.log();
        assert!(status.success(), "{status} after Ctrl+C: {log:?}");
        log
    }
}

/// The `IP:PORT` (or `[IPv6]:PORT`) at the end of a server's first line.
pub fn address_in(line: &str) -> Option<SocketAddr> {
    line.split_whitespace()
        .rev()
        .find_map(|word| word.parse().ok())
}

/// A client program running with its stdin open, so a test can feed it line by line.
pub struct Interactive {
    /// The process.
    child: KilledOnDrop,
    /// Its stdin, `None` once closed.
    stdin: Option<ChildStdin>,
    /// Its stdout, line by line.
    stdout: Arc<Lines>,
    /// Its stderr.
    stderr: Arc<Lines>,
}

impl Interactive {
    /// Starts `program` with `args`.
    pub fn start(program: &str, args: &[&str]) -> Interactive {
        let mut child = KilledOnDrop::spawn(
            command(program)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        Interactive {
            stdin: child.stdin.take(),
            stdout: Lines::follow(child.stdout.take().expect("piped stdout")),
            stderr: Lines::follow(child.stderr.take().expect("piped stderr")),
            child,
        }
    }

    /// Types one line.
    pub fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("write to the client");
        stdin.flush().expect("flush");
    }

    /// Waits for an output line that contains `needle`.
    pub fn wait_for(&self, needle: &str) -> Option<String> {
        self.stdout.wait_for(needle, PATIENCE)
    }

    /// Every line it printed on stdout so far.
    pub fn lines(&self) -> Vec<String> {
        self.stdout.all()
    }

    /// Waits until `count` lines of its stderr contain `needle` (its `--trace` lines, say);
    /// true if they did in time.
    pub fn wait_for_stderr_lines(&self, needle: &str, count: usize) -> bool {
        self.stderr.wait_for_count(needle, count, PATIENCE)
    }

    /// Waits for the exit status with stdin still open: the program ends on its own (a
    /// client whose server closed the connection while it waits for the keyboard).
    pub fn wait_for_exit(mut self) -> (ExitStatus, Vec<String>) {
        let status = wait_or_kill(&mut self.child, PATIENCE);
        (status, self.all_of_stderr())
    }

    /// Closes stdin (end of input) and waits for the exit status.
    pub fn finish(mut self) -> (ExitStatus, Vec<String>) {
        drop(self.stdin.take());
        let status = wait_or_kill(&mut self.child, PATIENCE);
        (status, self.all_of_stderr())
    }

    /// Every line it wrote to stderr, once the reader has reached the pipe's end (it has
    /// exited): waited for, not guessed with a sleep.
    fn all_of_stderr(&self) -> Vec<String> {
        assert!(
            self.stderr.wait_ended(PATIENCE),
            "its stderr stayed open after it exited (a child process holding it?)"
        );
        self.stderr.all()
    }
}

/// Runs a client whose stdout is closed once its first reply begins, as in
/// `client < lines | head -1`, with more lines still to come; returns its exit status and
/// everything it wrote to stderr.
pub fn run_with_stdout_closed_early(program: &str, args: &[&str]) -> (ExitStatus, String) {
    let mut child = KilledOnDrop::spawn(
        command(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let stderr = collect(child.stderr.take().expect("piped stderr"));
    stdin.write_all(b"one\n").expect("type a line");
    // Read on a thread of its own, so that a reply that never comes ends in the deadline.
    let (began, beginning) = mpsc::channel();
    thread::spawn(move || {
        let mut first = [0; 10];
        let read = stdout.read_exact(&mut first);
        drop(stdout); // what `head -1` does once it has its line
        let _ = began.send(read);
    });
    match beginning.recv_timeout(PATIENCE) {
        Ok(read) => read.expect("a reply begins"),
        Err(_) => panic!("no reply began within {PATIENCE:?}"),
    }
    let _ = stdin.write_all(b"two\nthree\nfour\n");
    drop(stdin);
    let status = wait_or_kill(&mut child, PATIENCE);
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    (status, stderr)
}

/// Checks that `reply` is `[ctime] data` with a ctime close to now (in [`ZONE`]), and
/// returns the data.
pub fn data_of(reply: &[u8]) -> &[u8] {
    assert!(reply.len() >= 27, "too short for a reply: {reply:?}");
    assert_eq!(reply[0], b'[', "{:?}", String::from_utf8_lossy(reply));
    assert_eq!(
        &reply[25..27],
        b"] ",
        "{:?}",
        String::from_utf8_lossy(reply)
    );
    let stamp = std::str::from_utf8(&reply[1..25]).expect("the stamp is text");
    assert_stamp_is_now(stamp);
    &reply[27..]
}

/// Checks that `stamp` is in C's ctime form and within a minute of now, in [`ZONE`].
pub fn assert_stamp_is_now(stamp: &str) {
    let time = chrono::NaiveDateTime::parse_from_str(stamp, "%a %b %e %H:%M:%S %Y")
        .unwrap_or_else(|error| panic!("{stamp:?} is not ctime: {error}"));
    assert_eq!(stamp.len(), 24, "{stamp:?}");
    assert_eq!(
        time.format("%a %b %e %H:%M:%S %Y").to_string(),
        stamp,
        "the day of week must match the date"
    );
    let off = (now_in_zone() - time).num_seconds().abs();
    assert!(off < 60, "{stamp:?} is {off} s from now in {ZONE}");
}

/// Splits a printed line of the TCP client into the data of its replies: a line longer than
/// the server's buffer carries several `[ctime] ` stamps. Assumes the data holds no `[`.
pub fn stamped_parts(line: &[u8]) -> Vec<Vec<u8>> {
    let mut parts = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        let data = data_of(rest);
        let end = data
            .iter()
            .position(|&byte| byte == b'[')
            .unwrap_or(data.len());
        parts.push(data[..end].to_vec());
        rest = &data[end..];
    }
    parts
}

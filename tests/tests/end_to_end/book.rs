//! The book's own programs (`cargo run -p tcp-server --example tsTserv`, and `tsTclnt`,
//! `tsUserv`, `tsUclnt`) behave on the wire as the chapter's Python programs do: the stamped
//! reply byte for byte, the book's log lines, one client after another, and each talks to the
//! classroom programs (`tcp-server`, `tcp-client`, `udp-server`, `udp-client`) alike.
//!
//! The book's programs have no options: they use the book's PORT, 21567, always. So every
//! test here first claims that port (one test at a time, through a lock), in a network of its
//! own where it can (Linux, as root); elsewhere, when another program holds the port, it does
//! not run and says why (see `claim_the_books_port`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use tests::lab;
use tests::{Finished, KilledOnDrop, PATIENCE, ServerProcess, run_command};

/// The book's PORT: the examples have no `--port`.
const BOOK_PORT: u16 = 21567;

/// Where the tests reach the book's servers, which listen on every interface.
const BOOK_SERVER: (&str, u16) = ("127.0.0.1", BOOK_PORT);

/// How long a test waits to be sure that nothing came: the book's iterative server leaves a
/// second client unanswered while the first is connected.
const SILENCE: Duration = Duration::from_millis(300);

/// Claims the book's port for one test: the lock keeps these tests one after another, and the
/// port is checked free (TCP and UDP) before anything is started on it.
///
/// Where the test may (Linux, as root, as CI runs), it first moves to a network of its own, a
/// fresh network namespace with only a loopback: nothing else can be on the port there, not a
/// newcomer's quick-start server in another terminal, nor anything else of this test run (in
/// full runs the book's server twice found the port taken a moment after it was checked free
/// here, by what we could not tell). Elsewhere the port must be free on the machine; when it
/// is not, the test does not run, and the first test to find it taken says why on the
/// terminal. `None` then: the test returns, and the other tests still run.
fn claim_the_books_port() -> Option<MutexGuard<'static, ()>> {
    static PORT: Mutex<()> = Mutex::new(());
    // A test that failed while holding the lock left the port free all the same: its
    // processes were ended as it unwound.
    let claim = PORT.lock().unwrap_or_else(PoisonError::into_inner);
    private_network::enter();
    let Err(taken) = the_books_port_is_free() else {
        return Some(claim);
    };
    static SAID: OnceLock<()> = OnceLock::new();
    SAID.get_or_init(|| {
        // Straight to stderr: the test harness keeps what `eprintln!` says from a test that
        // passes, and this is for the person who ran the tests.
        let _ = writeln!(
            std::io::stderr(),
            "book.rs: the book's programs were not run: port {BOOK_PORT}, the book's PORT, is \
             taken by another program ({taken}), and they have no --port; stop what holds it \
             (the quick start's server? `ss -ltnup | grep {BOOK_PORT}` names it) and run \
             `cargo test -p tests --test end_to_end book::` again"
        );
    });
    None
}

/// Ok when the book's port is free here, for TCP and UDP alike.
fn the_books_port_is_free() -> std::io::Result<()> {
    let tcp = TcpListener::bind(("0.0.0.0", BOOK_PORT));
    let udp = UdpSocket::bind(("0.0.0.0", BOOK_PORT));
    tcp.and(udp).map(drop)
}

/// A network of the test's own: Linux only, where a thread can leave the machine's network
/// for a new network namespace that holds just a loopback (the processes and threads it then
/// starts are in it too).
#[cfg(target_os = "linux")]
mod private_network {
    use std::process::{Command, Stdio};

    /// Moves this thread into a new network namespace and brings its loopback up; false when
    /// the system does not allow it (not root, or no `ip` command).
    pub fn enter() -> bool {
        use nix::sched::{CloneFlags, unshare};
        unshare(CloneFlags::CLONE_NEWNET).is_ok()
            && Command::new("ip")
                .args(["link", "set", "lo", "up"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
    }
}

/// Elsewhere a test cannot have a network of its own.
#[cfg(not(target_os = "linux"))]
mod private_network {
    /// Always false.
    pub fn enter() -> bool {
        false
    }
}

/// A command for one of the book's examples, in the far zone.
fn book(name: &str) -> Command {
    let mut command = Command::new(tests::example(name));
    command.env("TZ", tests::tz()).env_remove("RUST_BACKTRACE");
    command
}

/// A command for one of our programs (in the same zone: [`tests::command`] sets it).
fn ours(program: &str) -> Command {
    tests::command(program)
}

/// Runs a client to its end with `input` typed, for at most `PATIENCE`.
fn type_into(mut client: Command, input: &str) -> Finished {
    run_command(&mut client, input.as_bytes(), PATIENCE)
}

/// One of the book's servers, running; ended by its own id when dropped.
struct BookServer {
    /// The process, ended by its own id when dropped.
    child: KilledOnDrop,
    /// Every line it printed on stdout, and a signal at each new one.
    lines: Arc<(Mutex<Vec<String>>, Condvar)>,
    /// What it prints on stderr, read to the end on a thread of its own.
    stderr: Option<thread::JoinHandle<String>>,
}

impl BookServer {
    /// Starts the book's server `name` and waits for its first line, printed once it is bound.
    fn start(name: &str) -> BookServer {
        let mut child = KilledOnDrop::spawn(
            book(name)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let stderr = thread::spawn(move || {
            let mut all = String::new();
            let _ = stderr.read_to_string(&mut all);
            all
        });
        let lines = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let shared = Arc::clone(&lines);
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let (all, arrived) = &*shared;
                all.lock().expect("lines").push(line);
                arrived.notify_all();
            }
        });
        let mut server = BookServer {
            child,
            lines,
            stderr: Some(stderr),
        };
        if server.printed(1).is_none() {
            // It never said it was waiting: say what it said instead (it cannot bind?).
            let _ = server.child.kill();
            let said = server.ended().stderr;
            panic!("the book's {name} printed nothing within {PATIENCE:?}; on stderr: {said:?}");
        }
        server
    }

    /// Waits for it to end on its own, for at most `PATIENCE`.
    fn ended(mut self) -> Finished {
        let status = tests::wait_or_kill(&mut self.child, PATIENCE);
        let stderr = self.stderr.take().and_then(|reader| reader.join().ok());
        Finished {
            status,
            stdout: Vec::new(),
            stderr: stderr.unwrap_or_default(),
        }
    }

    /// Waits until it has printed `count` lines, for at most `PATIENCE`; returns them all.
    fn log_of(&self, count: usize) -> Vec<String> {
        self.printed(count).unwrap_or_else(|| {
            let lines = self.lines.0.lock().expect("lines");
            panic!("the book's server printed {lines:?}, not {count} lines")
        })
    }

    /// Its lines once it has printed `count`; `None` if it had not within `PATIENCE`.
    fn printed(&self, count: usize) -> Option<Vec<String>> {
        let deadline = Instant::now() + PATIENCE;
        let (all, arrived) = &*self.lines;
        let mut lines = all.lock().expect("lines");
        while lines.len() < count {
            let left = deadline.checked_duration_since(Instant::now())?;
            lines = arrived.wait_timeout(lines, left).expect("lines").0;
        }
        Some(lines.clone())
    }
}

/// Checks that `reply` is `[ctime] data`, with `data` byte for byte and a ctime of now in
/// the far zone: the book's `'[%s] %s' % (ctime(), data)`.
fn assert_stamped(reply: &[u8], data: &[u8]) {
    let shown = String::from_utf8_lossy(reply);
    assert!(
        reply.len() == 27 + data.len(),
        "{shown:?} is not [ctime] {:?}",
        String::from_utf8_lossy(data)
    );
    assert_eq!(reply[0], b'[', "{shown:?}");
    assert_eq!(&reply[25..27], b"] ", "{shown:?}");
    assert_eq!(&reply[27..], data, "{shown:?}");
    let stamp = std::str::from_utf8(&reply[1..25]).expect("the stamp is text");
    tests::assert_stamp_is_now(stamp);
}

/// Checks a book client's stdout: a prompt `> ` before each line typed, each reply after its
/// prompt, then the prompt that the empty line (or the end of input) answered.
fn assert_transcript(stdout: &[u8], typed: &[&str]) {
    let text = String::from_utf8_lossy(stdout);
    let mut lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines.pop(), Some("> "), "the last prompt: {text:?}");
    assert_eq!(
        lines.len(),
        typed.len(),
        "one reply per line typed: {text:?}"
    );
    for (line, data) in lines.iter().zip(typed) {
        let reply = line.strip_prefix("> ").expect("the prompt, then the reply");
        assert_stamped(reply.as_bytes(), data.as_bytes());
    }
}

/// The book's server's line for a client from this machine: `...connected from: ('127.0.0.1',
/// 53422)`, as Python prints the `addr` tuple. Returns the port.
fn connected_from(line: &str) -> u16 {
    let port = line
        .strip_prefix("...connected from: ('127.0.0.1', ")
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not the book's line: {line:?}"));
    port.parse().expect("a port")
}

/// A raw TCP client of the book's server, as the test's own hands.
fn connect() -> TcpStream {
    let address: SocketAddr = format!("127.0.0.1:{BOOK_PORT}")
        .parse()
        .expect("an address");
    let stream = TcpStream::connect_timeout(&address, PATIENCE).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    stream
}

/// Sends `data` and reads its reply, which must be `[ctime] data`.
fn exchange(stream: &mut TcpStream, data: &[u8]) {
    stream.write_all(data).expect("send");
    let mut reply = vec![0; 27 + data.len()];
    stream.read_exact(&mut reply).expect("the whole reply");
    assert_stamped(&reply, data);
}

#[test]
fn the_book_client_and_server_talk_as_in_the_book() {
    let Some(_port) = claim_the_books_port() else {
        return;
    };
    let server = BookServer::start("tsTserv");
    assert_eq!(server.log_of(1), ["等待客户端连接..."]);

    // Several lines on one connection; the empty line ends the client, the rest is not sent.
    let first = type_into(book("tsTclnt"), "hello\n你好\n\nnot sent\n");
    assert_eq!(first.code(), 0, "{}", first.stderr);
    assert_transcript(&first.stdout, &["hello", "你好"]);
    // The next client is served once the first has left; the end of input ends it too.
    let second = type_into(book("tsTclnt"), "second");
    assert_eq!(second.code(), 0, "{}", second.stderr);
    assert_transcript(&second.stdout, &["second"]);

    let mut log = server.log_of(8);
    let (first_port, second_port) = (connected_from(&log[1]), connected_from(&log[5]));
    assert_ne!(
        first_port, second_port,
        "two clients, one after the other: {log:?}"
    );
    log[1] = "...connected from: ('127.0.0.1', PORT)".to_owned();
    log[5] = log[1].clone();
    let book_lines = [
        "等待客户端连接...",
        "...connected from: ('127.0.0.1', PORT)",
        "服务器接受TCP数据： hello",
        "服务器接受TCP数据： 你好",
        "等待客户端连接...",
        "...connected from: ('127.0.0.1', PORT)",
        "服务器接受TCP数据： second",
        "等待客户端连接...",
    ];
    assert_eq!(log, book_lines);
}

#[test]
fn the_book_server_stamps_the_bytes_as_they_came_one_client_at_a_time() {
    let Some(_port) = claim_the_books_port() else {
        return;
    };
    let server = BookServer::start("tsTserv");
    let mut first = connect();
    // Bytes that are not text, a newline, and several messages on one connection.
    exchange(&mut first, b"\xff\xfe not UTF-8 \x00\r\n");
    exchange(&mut first, b"hello");
    exchange(&mut first, "你好\n".as_bytes());

    // The book's server is iterative: a second client waits, unanswered, in the listen queue
    // until the first leaves, then it is served.
    let mut second = connect();
    second.write_all(b"next").expect("send");
    second.set_read_timeout(Some(SILENCE)).expect("timeout");
    let mut byte = [0; 1];
    let early = second.read(&mut byte);
    assert!(
        early.is_err(),
        "answered while the first client stays: {early:?}"
    );
    drop(first);
    second.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut reply = vec![0; 27 + 4];
    second
        .read_exact(&mut reply)
        .expect("the reply, once the first has left");
    assert_stamped(&reply, b"next");
    drop(second);
    // The first message printed as two lines (it ends in "\r\n"), "hello" as one, "你好\n" as
    // two; then the second client.
    let log = server.log_of(11);
    connected_from(&log[8]);
    assert_eq!(log[9..], ["服务器接受TCP数据： next", "等待客户端连接..."]);
}

#[test]
fn the_book_client_talks_to_our_tcp_server() {
    let Some(_port) = claim_the_books_port() else {
        return;
    };
    let _server = ServerProcess::start_with(ours("tcp-server"), &["--port", "21567"]);
    let client = type_into(book("tsTclnt"), "hello\n你好\n\n");
    assert_eq!(client.code(), 0, "{}", client.stderr);
    assert_transcript(&client.stdout, &["hello", "你好"]);
}

#[test]
fn our_tcp_client_talks_to_the_book_server() {
    let Some(_port) = claim_the_books_port() else {
        return;
    };
    let server = BookServer::start("tsTserv");
    // One line per client: our client does not wait for a reply before it sends the next line,
    // so two lines could reach the book's server in one recv(), and come back as one reply.
    for line in ["hello", "你好"] {
        let mut client = ours("tcp-client");
        client.args(["--port", "21567"]);
        let client = type_into(client, &format!("{line}\n"));
        assert_eq!(client.code(), 0, "{}", client.stderr);
        assert_eq!(client.lines().len(), 1, "{:?}", client.lines());
        assert_stamped(client.lines()[0].as_bytes(), line.as_bytes());
    }
    // Our client ends each line with "\n", which the book's server prints as it came.
    let log = server.log_of(9);
    assert_eq!(log[2..4], ["服务器接受TCP数据： hello", ""]);
    assert_eq!(
        log[6..9],
        ["服务器接受TCP数据： 你好", "", "等待客户端连接..."]
    );
}

#[test]
fn the_book_udp_client_and_server_talk_as_in_the_book() {
    let Some(_port) = claim_the_books_port() else {
        return;
    };
    let server = BookServer::start("tsUserv");
    assert_eq!(server.log_of(1), ["等待消息（数据报）的到来..."]);
    let first = type_into(book("tsUclnt"), "hello\n你好\n\nnot sent\n");
    assert_eq!(first.code(), 0, "{}", first.stderr);
    assert_transcript(&first.stdout, &["hello", "你好"]);
    let second = type_into(book("tsUclnt"), "second");
    assert_eq!(second.code(), 0, "{}", second.stderr);
    assert_transcript(&second.stdout, &["second"]);

    let log = server.log_of(7);
    assert_eq!(log.len(), 7, "{log:?}");
    let mut senders = Vec::new();
    for pair in log.chunks(2) {
        assert_eq!(pair[0], "等待消息（数据报）的到来...", "{log:?}");
        if let Some(line) = pair.get(1) {
            let port = line
                .strip_prefix("...received from and returned to: ('127.0.0.1', ")
                .and_then(|rest| rest.strip_suffix(')'))
                .unwrap_or_else(|| panic!("not the book's line: {line:?}"));
            senders.push(port.to_owned());
        }
    }
    // Each client sends from one port of its own.
    assert_eq!(senders[0], senders[1], "{log:?}");
    assert_ne!(senders[1], senders[2], "{log:?}");
}

#[test]
fn the_book_udp_server_stamps_each_datagram_as_it_came() {
    let Some(_port) = claim_the_books_port() else {
        return;
    };
    let _server = BookServer::start("tsUserv");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("a socket");
    socket.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut reply = [0; 4096];
    for datagram in [
        &b"\xff\xfe not UTF-8 \x00\r\n"[..],
        b"hello",
        "你好".as_bytes(),
    ] {
        socket.send_to(datagram, BOOK_SERVER).expect("send");
        let (len, from) = socket.recv_from(&mut reply).expect("a reply");
        assert_eq!(from.port(), BOOK_PORT);
        assert_stamped(&reply[..len], datagram);
    }
    // recvfrom(BUFSIZ): a longer datagram is answered with its first 1024 bytes. (Linux cuts
    // it; Windows reports an error, and there the book's server stops, as Python's does.)
    #[cfg(unix)]
    {
        let long = [b'x'; 2000];
        socket.send_to(&long, BOOK_SERVER).expect("send");
        let (len, _) = socket.recv_from(&mut reply).expect("a reply");
        assert_stamped(&reply[..len], &long[..1024]);
    }
}

#[test]
fn the_book_udp_client_talks_to_our_udp_server() {
    let Some(_port) = claim_the_books_port() else {
        return;
    };
    let _server = ServerProcess::start_with(ours("udp-server"), &["--port", "21567"]);
    let client = type_into(book("tsUclnt"), "hello\n你好\n\n");
    assert_eq!(client.code(), 0, "{}", client.stderr);
    assert_transcript(&client.stdout, &["hello", "你好"]);
}

#[test]
fn our_udp_client_talks_to_the_book_udp_server() {
    let Some(_port) = claim_the_books_port() else {
        return;
    };
    let server = BookServer::start("tsUserv");
    let mut client = ours("udp-client");
    client.args(["--port", "21567"]);
    let client = type_into(client, "hello\n你好\n");
    assert_eq!(client.code(), 0, "{}", client.stderr);
    let lines = client.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_stamped(lines[0].as_bytes(), b"hello");
    assert_stamped(lines[1].as_bytes(), "你好".as_bytes());
    assert!(server.log_of(5)[1].starts_with("...received from and returned to: ("));
}

/// An error ends a book program as an uncaught exception ends Python's: with one line (here
/// `Error: ...` on stderr, no panic, no backtrace) and exit status 1.
fn assert_one_line_error(finished: &Finished, kind: &str) {
    assert_eq!(finished.code(), 1, "{finished:?}");
    let lines: Vec<&str> = finished.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("Error: ") && lines[0].contains(kind),
        "{lines:?}"
    );
}

#[test]
fn the_book_programs_end_on_an_error_with_one_line() {
    let Some(_port) = claim_the_books_port() else {
        return;
    };
    // No server: the client cannot connect.
    let client = type_into(book("tsTclnt"), "hello\n");
    assert_one_line_error(&client, "ConnectionRefused");

    // The port already served: a second server cannot bind.
    let _server = BookServer::start("tsTserv");
    let again = run_command(&mut book("tsTserv"), b"", PATIENCE);
    assert_one_line_error(&again, "AddrInUse");
    let _udp_server = BookServer::start("tsUserv");
    let again = run_command(&mut book("tsUserv"), b"", PATIENCE);
    assert_one_line_error(&again, "AddrInUse");
}

#[test]
fn one_clients_reset_stops_the_book_server_as_it_stops_pythons() {
    let Some(_port) = claim_the_books_port() else {
        return;
    };
    let server = BookServer::start("tsTserv");
    // `except Exception, e: raise e`: the book's server ends at its first error, even one
    // client's. tcp-server serves on (tcp.rs).
    let client = connect();
    socket2::SockRef::from(&client)
        .set_linger(Some(Duration::ZERO))
        .expect("linger 0: close with a reset");
    drop(client);
    assert_one_line_error(&server.ended(), "ConnectionReset");
}

#[test]
fn the_books_servers_meet_the_labs_checks_as_the_books_python_servers_do() {
    // The lab's own checks (lab-check), run against the book's programs: the TCP server
    // serves one client at a time and dies on a reset, as the book's Python server does;
    // the UDP server meets every check.
    let Some(_port) = claim_the_books_port() else {
        return;
    };
    for (name, protocol, fails) in [
        ("tsTserv", lab::Protocol::Tcp, &["at-once", "reset"][..]),
        ("tsUserv", lab::Protocol::Udp, &[][..]),
    ] {
        let _server = BookServer::start(name);
        let address = SocketAddr::from(([127, 0, 0, 1], BOOK_PORT));
        let report = lab::check(name, protocol, address, tests::now_in_zone);
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|check| !check.passed)
            .map(|check| format!("{}: {}", check.name, check.detail))
            .collect();
        assert_eq!(report.failed(), fails, "{name}: {failed:#?}");
    }
}

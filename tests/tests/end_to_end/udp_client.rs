//! udp-client on a bad network and on a terminal: every reply beside its own line, nothing
//! twice, nothing from a stranger, nothing that drives the terminal, and the right exit status.
//!
//! The network is [`tests::udp_proxy::UdpProxy`] on loopback: it delays, loses, duplicates and
//! reorders datagrams, and has a stranger answer first.

use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tests::udp_proxy::{Link, UdpProxy};
use tests::{Finished, PATIENCE, ServerProcess, data_of, run};

/// Runs udp-client against `server` with `args`, `input` on stdin, within `limit`.
fn client(server: SocketAddr, args: &[&str], input: &str, limit: Duration) -> Finished {
    let port = server.port().to_string();
    let mut all = vec!["--port", port.as_str()];
    all.extend_from_slice(args);
    run("udp-client", &all, input.as_bytes(), limit)
}

/// The data of each reply printed (the stamp checked to be now).
fn replies(done: &Finished) -> Vec<String> {
    done.lines()
        .iter()
        .map(|line| String::from_utf8_lossy(data_of(line.as_bytes())).into_owned())
        .collect()
}

/// A stand-in server that stamps its n-th reply with 1 Jan 2026, n minutes past midnight, so
/// that a printed reply tells which datagram it answers, and remembers where each came from.
struct NumberingServer {
    /// Where it listens.
    address: SocketAddr,
    /// The sender of each datagram, in the order received.
    senders: Arc<Mutex<Vec<SocketAddr>>>,
    /// Set to stop its thread.
    stop: Arc<AtomicBool>,
    /// Its thread.
    thread: Option<JoinHandle<()>>,
}

impl NumberingServer {
    fn start() -> NumberingServer {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        let address = socket.local_addr().expect("address");
        let senders = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (record, stopped) = (Arc::clone(&senders), Arc::clone(&stop));
        let thread = thread::spawn(move || {
            let mut buffer = [0; 2048];
            while !stopped.load(Ordering::SeqCst) {
                let Ok((len, sender)) = socket.recv_from(&mut buffer) else {
                    continue;
                };
                let mut senders = record.lock().expect("senders");
                let stamp = numbered_stamp(senders.len());
                senders.push(sender);
                let reply = [stamp.as_bytes(), &buffer[..len]].concat();
                let _ = socket.send_to(&reply, sender);
            }
        });
        NumberingServer {
            address,
            senders,
            stop,
            thread: Some(thread),
        }
    }

    fn senders(&self) -> Vec<SocketAddr> {
        self.senders.lock().expect("senders").clone()
    }
}

impl Drop for NumberingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Midnight, 1 Jan 2026: the stamp of the first datagram a [`NumberingServer`] answers.
fn midnight() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .expect("a date")
}

/// `[Thu Jan  1 00:07:00 2026] ` for the datagram numbered 7.
fn numbered_stamp(number: usize) -> String {
    let time = midnight() + chrono::Duration::minutes(number as i64);
    format!("[{}] ", time.format("%a %b %e %H:%M:%S %Y"))
}

/// The number in a reply stamped by [`numbered_stamp`].
fn number_of(printed: &str) -> usize {
    let stamp = &printed[1..25];
    let time = chrono::NaiveDateTime::parse_from_str(stamp, "%a %b %e %H:%M:%S %Y")
        .unwrap_or_else(|error| panic!("{printed:?}: {error}"));
    usize::try_from((time - midnight()).num_minutes()).expect("a stamp from 2026")
}

/// With a round trip longer than `--timeout` (2.5 s against the default 2 s, scaled down
/// here), the same line typed again is answered by its own send, never by the late answer
/// to the line before: issue 17 saw every reply one send behind, forever.
#[test]
fn a_round_trip_longer_than_the_timeout_keeps_each_reply_beside_its_own_line() {
    let server = NumberingServer::start();
    let link = Link {
        delay: Duration::from_millis(500),
        ..Link::default()
    };
    let proxy = UdpProxy::start(server.address, link);
    let started = Instant::now();
    let done = client(
        proxy.address,
        &["--timeout", "0.8"],
        "hi\nhi\nhi\n",
        PATIENCE,
    );
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert!(started.elapsed() < Duration::from_secs(8));
    let printed = done.lines();
    assert_eq!(printed.len(), 3, "{printed:?}");
    // Each line went out from a socket of its own: the k-th new sender the server saw.
    let senders = server.senders();
    let mut lines_senders: Vec<SocketAddr> = Vec::new();
    for sender in &senders {
        if !lines_senders.contains(sender) {
            lines_senders.push(*sender);
        }
    }
    let numbers: Vec<usize> = printed.iter().map(|line| number_of(line)).collect();
    assert_eq!(
        lines_senders.len(),
        3,
        "a socket for each line: {senders:?}"
    );
    for (line, number) in numbers.iter().enumerate() {
        assert!(printed[line].ends_with("] hi"), "{printed:?}");
        assert_eq!(
            senders[*number], lines_senders[line],
            "line {line} shows the answer to datagram {number}, which another line sent: {printed:?} {senders:?}"
        );
    }
    // The first line's resend (1.0 s round trip, resent after 0.8 s) reached the server too.
    assert!(senders.len() >= 4, "{senders:?}");
}

/// At 10 % loss each way over 50 lines: every reply shown is its own line's, in order and
/// once; each line given up on is reported naming --timeout and --retries; the client goes
/// on to the end, and its exit status says whether a line went unanswered.
#[test]
fn ten_percent_loss_over_fifty_lines_keeps_the_client_in_step_to_the_end() {
    let server = ServerProcess::start("udp-server", &["--quiet"]);
    let link = Link {
        delay: Duration::from_millis(2),
        loss: 0.10,
        // With this seed one line loses all its tries (as timed on an idle machine): the
        // client must go on after it.
        seed: 2,
        ..Link::default()
    };
    let proxy = UdpProxy::start(server.address, link);
    let lines: Vec<String> = (1..=50).map(|n| format!("line {n}")).collect();
    let input = lines.join("\n") + "\n";
    let args = ["--timeout", "0.3", "--retries", "2"];
    let done = client(proxy.address, &args, &input, Duration::from_secs(60));
    let printed = replies(&done);
    let reported: Vec<&str> = done
        .stderr
        .lines()
        .filter(|line| line.contains("no reply"))
        .collect();
    for report in &reported {
        assert!(report.contains("--timeout"), "{report}");
        assert!(report.contains("--retries"), "{report}");
    }
    // In order and once: each printed reply is a later line than the one before.
    let mut next = 0;
    for reply in &printed {
        let at = lines[next..]
            .iter()
            .position(|line| line == reply)
            .unwrap_or_else(|| panic!("{reply:?} out of order or twice: {printed:?}"));
        next += at + 1;
    }
    eprintln!(
        "50 lines at 10 % loss each way: {} answered, {} reported unanswered, {} datagrams sent, {} replies",
        printed.len(),
        reported.len(),
        proxy.to_server(),
        proxy.to_client()
    );
    assert!(
        !done.stderr.contains("in a row"),
        "10 % loss is no reason to give up: {}",
        done.stderr
    );
    assert_eq!(printed.len() + reported.len(), 50, "{}", done.stderr);
    let expected = if reported.is_empty() { 0 } else { 1 };
    assert_eq!(done.code(), expected, "{}", done.stderr);
    assert!(proxy.to_server() > 50, "some lines were sent again");
}

/// A line whose every try is lost is reported, and the next line still goes and is answered.
#[test]
fn a_line_that_exhausts_its_tries_is_reported_and_the_client_goes_on() {
    let server = ServerProcess::start("udp-server", &["--quiet"]);
    let link = Link {
        lose_to_server: vec![0, 1, 2],
        ..Link::default()
    };
    let proxy = UdpProxy::start(server.address, link);
    let args = ["--timeout", "0.5", "--retries", "2"];
    let done = client(proxy.address, &args, "lost\nfound\n", PATIENCE);
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert_eq!(replies(&done), ["found"]);
    let stderr: Vec<&str> = done.stderr.lines().collect();
    assert_eq!(stderr.len(), 1, "{stderr:?}");
    for word in ["\"lost\"", "3 tries", "--timeout", "--retries"] {
        assert!(stderr[0].contains(word), "{word}: {}", stderr[0]);
    }
    assert!(
        proxy.to_server() >= 4,
        "3 tries of the lost line, then the found one"
    );
}

/// Three lines in a row without any reply end the client: the rest of its input is not sent.
#[test]
fn three_unanswered_lines_in_a_row_end_the_client() {
    let mute = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let address = mute.local_addr().expect("address");
    let started = Instant::now();
    let args = ["--timeout", "0.2", "--retries", "0"];
    let done = client(address, &args, "one\ntwo\nthree\nfour\nfive\n", PATIENCE);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(done.code(), 1);
    assert!(done.stdout.is_empty());
    let stderr: Vec<&str> = done.stderr.lines().collect();
    assert_eq!(stderr.len(), 3, "{stderr:?}");
    assert!(stderr[0].contains("\"one\"") && stderr[1].contains("\"two\""));
    assert!(
        stderr[2].contains("likely down or unreachable"),
        "{}",
        stderr[2]
    );
    mute.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut buffer = [0; 64];
    let received: Vec<Vec<u8>> = (0..5)
        .filter_map(|_| {
            let (len, _) = mute.recv_from(&mut buffer).ok()?;
            Some(buffer[..len].to_vec())
        })
        .collect();
    assert_eq!(received, [&b"one"[..], b"two", b"three"]);
}

/// A server that answered earlier lines and then leaves three in a row unanswered is not
/// called down: it was there, and may have stopped, or does not answer lines like these.
#[test]
fn three_unanswered_lines_after_answered_ones_say_the_server_answered_before() {
    let picky = UdpSocket::bind("127.0.0.1:0").expect("bind");
    picky
        .set_read_timeout(Some(Duration::from_secs(1)))
        .expect("timeout");
    let address = picky.local_addr().expect("address");
    let answering = thread::spawn(move || {
        let mut buffer = [0; 64];
        // Answers only lines that begin with "hi", until the client is gone.
        while let Ok((len, client)) = picky.recv_from(&mut buffer) {
            if buffer[..len].starts_with(b"hi") {
                let _ = picky.send_to(&buffer[..len], client);
            }
        }
    });
    let args = ["--timeout", "0.2", "--retries", "0"];
    let done = client(address, &args, "hi\none\ntwo\nthree\nfour\n", PATIENCE);
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert_eq!(done.lines(), ["hi"]);
    let last = done.stderr.lines().last().unwrap_or_default();
    assert!(last.contains("3 lines in a row"), "{last}");
    assert!(last.contains("answered earlier lines"), "{last}");
    assert!(!last.contains("likely down"), "{last}");
    let _ = answering.join();
}

/// Every datagram twice, and reordered: each line's reply is shown once, beside its line.
#[test]
fn duplicated_and_reordered_datagrams_show_each_reply_once() {
    let server = ServerProcess::start("udp-server", &["--quiet"]);
    let link = Link {
        delay: Duration::from_millis(10),
        jitter: Duration::from_millis(80),
        duplicate: true,
        seed: 3,
        ..Link::default()
    };
    let proxy = UdpProxy::start(server.address, link);
    let lines = ["hi", "hi", "ho", "hi", "hi!", "h", "hi", "ho", "ho", "hi"];
    let input = lines.join("\n") + "\n";
    let done = client(proxy.address, &["--timeout", "0.5"], &input, PATIENCE);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(replies(&done), lines);
    assert!(
        proxy.to_client() > lines.len(),
        "the server answered copies"
    );
}

/// A stranger who answers first, with a well-formed reply to the very line, is never shown.
#[test]
fn a_forged_reply_from_another_address_is_never_shown() {
    let server = ServerProcess::start("udp-server", &["--quiet"]);
    let link = Link {
        delay: Duration::from_millis(50),
        forge: true,
        ..Link::default()
    };
    let proxy = UdpProxy::start(server.address, link);
    let done = client(proxy.address, &[], "one\ntwo\nthree\n", PATIENCE);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(replies(&done), ["one", "two", "three"]);
    assert!(!String::from_utf8_lossy(&done.stdout).contains("1970"));
}

/// With stdout and stderr in one file (`2>&1`), each reply comes after the trace lines of the
/// calls that brought it: issue 17 saw it before `send(...)` in 14 runs of 20.
#[test]
fn with_trace_into_the_same_file_a_reply_follows_its_calls() {
    let server = ServerProcess::start("udp-server", &["--quiet"]);
    let link = Link {
        delay: Duration::from_millis(100),
        ..Link::default()
    };
    let proxy = UdpProxy::start(server.address, link);
    let path = std::env::temp_dir().join(format!("udp-client-trace-{}", std::process::id()));
    let file = std::fs::File::create(&path).expect("a file for the output");
    let port = proxy.address.port().to_string();
    let mut child = tests::KilledOnDrop::spawn(
        tests::command("udp-client")
            .args(["--port", &port, "--trace"])
            .stdin(Stdio::piped())
            .stdout(file.try_clone().expect("clone"))
            .stderr(file),
    );
    let lines: Vec<String> = (1..=6).map(|n| format!("line {n}")).collect();
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all((lines.join("\n") + "\n").as_bytes())
        .expect("type");
    drop(stdin);
    let status = tests::wait_or_kill(&mut child, PATIENCE);
    let output = std::fs::read_to_string(&path).expect("the output");
    let _ = std::fs::remove_file(&path);
    assert_eq!(status.code(), Some(0), "{output}");
    let all: Vec<&str> = output.lines().collect();
    let mut replies_seen = 0;
    for (at, line) in all.iter().enumerate() {
        if !line.starts_with('[') {
            continue;
        }
        replies_seen += 1;
        assert!(at >= 4, "{output}");
        let data = &line[27..];
        assert_eq!(all[at - 1], "close()", "{output}");
        assert!(all[at - 2].starts_with("recvfrom("), "{output}");
        assert!(
            all[at - 2].ends_with(&format!(
                "-> {} bytes from {}",
                27 + data.len(),
                proxy.address
            )),
            "{output}"
        );
        assert!(
            all[..at]
                .iter()
                .any(|earlier| earlier.starts_with("sendto("))
        );
    }
    assert_eq!(replies_seen, lines.len(), "{output}");
}

/// On a terminal (see `tests::terminal`).
#[cfg(target_os = "linux")]
mod terminal {
    use super::*;
    use tests::terminal::Terminal;

    /// udp-client on a terminal of its own, to the server on `port`.
    fn on_a_terminal(port: &str) -> Option<Terminal> {
        Terminal::start("udp-client", &["--port", port], &[])
    }

    /// Ctrl+D after some typing sends that text as the last line: its reply starts on a line
    /// of its own, and the client ends there, though a terminal would go on reading.
    #[test]
    fn on_a_terminal_ctrl_d_after_some_typing_sends_the_line_and_ends() {
        let server = ServerProcess::start("udp-server", &["--quiet"]);
        let Some(mut terminal) = on_a_terminal(&server.port()) else {
            return;
        };
        assert!(terminal.shows("> ", 1), "{:?}", terminal.screen());
        // 'abc', then Ctrl+D twice: the first hands 'abc' over, the second is the end.
        terminal.types(b"abc\x04\x04");
        let (status, text) = terminal.ends();
        assert_eq!(status.code(), Some(0), "the client ended: {text:?}");
        assert!(text.contains("> abc\r\n["), "{text:?}");
        assert!(
            text.ends_with("] abc\r\n"),
            "no prompt after the end: {text:?}"
        );
    }

    /// Lines typed (or pasted) before the prompt came were echoed with their Enter already:
    /// no prompt is shown for them, so no reply is glued after `> `.
    #[test]
    fn on_a_terminal_lines_typed_ahead_get_no_prompt_and_no_reply_after_one() {
        let server = ServerProcess::start("udp-server", &["--quiet"]);
        let Some(mut terminal) = on_a_terminal(&server.port()) else {
            return;
        };
        terminal.types(b"one\ntwo\n\x04");
        let (status, text) = terminal.ends();
        assert_eq!(status.code(), Some(0), "{text:?}");
        assert!(!text.contains("> ["), "{text:?}");
        assert!(text.contains("] one\r\n"), "{text:?}");
        assert!(text.contains("] two\r\n"), "{text:?}");
    }

    /// On a terminal, a reply's control characters are shown, not obeyed (a classmate's forged
    /// `ESC ] 0 ; PWNED BEL` must not retitle the window), and every note starts on a line of its
    /// own with the prompt back after it.
    #[test]
    fn on_a_terminal_a_reply_cannot_drive_it_and_the_prompt_comes_back_after_a_note() {
        let fake = UdpSocket::bind("127.0.0.1:0").expect("bind");
        fake.set_read_timeout(Some(PATIENCE)).expect("timeout");
        let port = fake.local_addr().expect("address").port();
        let Some(mut terminal) = on_a_terminal(&port.to_string()) else {
            return;
        };
        let answering = thread::spawn(move || {
            let mut buffer = [0; 64];
            if let Ok((_, client)) = fake.recv_from(&mut buffer) {
                let _ = fake.send_to(b"[Thu Jan  1 00:00:00 2026] \x1b]0;PWNED\x07\r", client);
            }
        });
        assert!(terminal.shows("> ", 1), "{:?}", terminal.screen());
        terminal.types(b"title\n");
        assert!(terminal.shows("> ", 2), "{:?}", terminal.screen());
        terminal.types(format!("{}\n", "x".repeat(2000)).as_bytes());
        let note_then_prompt = "--bufsize on both programs\r\n> ";
        assert!(
            terminal.shows(note_then_prompt, 1),
            "the prompt comes back after the note: {:?}",
            terminal.screen()
        );
        terminal.types(b"\x04");
        let (status, text) = terminal.ends();
        let _ = answering.join();
        assert_eq!(status.code(), Some(1), "the long line was not sent: {text}");
        assert!(
            !text.contains('\x1b'),
            "a raw ESC reached the terminal: {text:?}"
        );
        assert!(
            !text.contains('\x07'),
            "a raw BEL reached the terminal: {text:?}"
        );
        assert!(
            text.contains("] \\x1b]0;PWNED\\x07\\x0d\r\n"),
            "shown visibly: {text:?}"
        );
        assert!(
            text.contains("\nudp-client: line of 2000 bytes not sent"),
            "the note starts on a line of its own: {text:?}"
        );
    }
}

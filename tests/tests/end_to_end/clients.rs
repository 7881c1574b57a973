//! The clients as a new user and a hostile tester meet them: long lines, servers that
//! answer oddly, late or never, addresses as people write them, and a stdout that fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use tests::{Interactive, MODES, PATIENCE, ServerProcess, data_of, run, stamped_parts};

/// A TCP server of the test's own, answering each line with `answer(line)`.
fn fake_tcp_server(
    answer: fn(&[u8]) -> Vec<u8>,
    delay: Duration,
) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port().to_string();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(PATIENCE * 3))
            .expect("timeout");
        let mut writer = stream.try_clone().expect("clone");
        for line in BufReader::new(stream).split(b'\n') {
            let Ok(line) = line else { break };
            // The scenario, not a barrier: a server that answers `delay` late.
            thread::sleep(delay);
            if writer.write_all(&answer(&line)).is_err() {
                break;
            }
        }
    });
    (port, handle)
}

#[test]
fn a_ten_megabyte_line_goes_out_while_its_replies_come_back_in_every_mode() {
    let line: String = (0..10_000_000)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let input = format!("{line}\nafter\n");
    for mode in MODES {
        let server = ServerProcess::start("tcp-server", &["--mode", mode, "--quiet"]);
        let started = Instant::now();
        let done = run(
            "tcp-client",
            &["--port", &server.port()],
            input.as_bytes(),
            PATIENCE * 6,
        );
        assert_eq!(done.code(), 0, "{mode}: {}", done.stderr);
        let lines: Vec<&[u8]> = done.stdout.split(|&b| b == b'\n').collect();
        assert_eq!(lines.len(), 3, "{mode}: two lines and the end");
        assert!(
            stamped_parts(lines[0]).concat() == line.as_bytes(),
            "{mode}: the long line came back changed"
        );
        assert_eq!(data_of(lines[1]), b"after", "{mode}");
        eprintln!("{mode}: 10 MB line in {:?}", started.elapsed());
    }
}

#[test]
fn a_reply_without_a_newline_is_shown_and_the_client_goes_on() {
    let (port, server) = fake_tcp_server(|line| [b"no newline: ", line].concat(), Duration::ZERO);
    let started = Instant::now();
    let done = run("tcp-client", &["--port", &port], b"one\ntwo\n", PATIENCE);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    // A pause is not the end of a reply: the bytes after it belong to the same one, so into a
    // pipe they go out as they came, and the line ends when the connection does.
    assert_eq!(done.lines(), ["no newline: oneno newline: two"]);
    assert!(done.stderr.contains("no newline"), "{}", done.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    server.join().expect("fake server");
}

/// `--timeout` bounds the connect only: a reply four times as late, and twice the second after
/// which a reply without a newline is shown, still comes.
#[test]
fn a_client_waits_for_a_slow_reply_as_long_as_the_connection_lasts() {
    let (port, server) = fake_tcp_server(|line| [line, b"\n"].concat(), Duration::from_secs(2));
    let done = run(
        "tcp-client",
        &["--port", &port, "--timeout", "0.5"],
        b"patience\n",
        PATIENCE * 3,
    );
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(done.lines(), ["patience"]);
    server.join().expect("fake server");
}

#[test]
fn reply_timeout_prints_what_came_and_exits_1() {
    let (port, _server) = fake_tcp_server(|_| b"half a rep".to_vec(), Duration::ZERO);
    let started = Instant::now();
    let done = run(
        "tcp-client",
        &["--port", &port, "--reply-timeout", "0.5"],
        b"x\n",
        PATIENCE,
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // Within 0.5 s the pause is under the 1 s that ends a reply without a newline.
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert_eq!(done.lines(), ["half a rep"]);
    assert!(done.stderr.contains("--reply-timeout"), "{}", done.stderr);
}

#[test]
fn the_server_can_be_named_as_people_write_it() {
    let server = ServerProcess::start("tcp-server", &[]);
    let port = server.port();
    let with_port = format!("127.0.0.1:{port}");
    for args in [
        vec![with_port.as_str()],
        vec!["127.0.0.1", "--port", &port],
        vec!["--host", &with_port],
        vec!["--host", &with_port, "--port", &port],
    ] {
        let done = run("tcp-client", &args, b"hi\n", PATIENCE);
        assert_eq!(done.code(), 0, "{args:?}: {}", done.stderr);
        assert_eq!(data_of(done.lines()[0].as_bytes()), b"hi");
    }
    let udp = ServerProcess::start("udp-server", &[]);
    let udp_port = format!("127.0.0.1:{}", udp.port());
    let done = run("udp-client", &[&udp_port], b"hi\n", PATIENCE);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    if TcpListener::bind("[::1]:0").is_ok() {
        let server = ServerProcess::start("tcp-server", &["--host", "::1"]);
        let bracketed = format!("[::1]:{}", server.port());
        let done = run("tcp-client", &[&bracketed], b"v6\n", PATIENCE);
        assert_eq!(done.code(), 0, "{}", done.stderr);
    }
}

#[test]
fn a_port_given_twice_differently_or_port_0_is_a_usage_error() {
    for client in ["tcp-client", "udp-client"] {
        for args in [
            vec!["127.0.0.1:1000", "--port", "2000"],
            vec!["127.0.0.1", "--host", "10.0.0.9"],
            vec!["--port", "0"],
            vec!["127.0.0.1:0"],
            vec!["--timeout", "1e19"],
            vec!["--timeout", "inf"],
        ] {
            let done = run(client, &args, b"", PATIENCE);
            assert_eq!(done.code(), 2, "{client} {args:?}: {}", done.stderr);
            assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
        }
    }
    for server in ["tcp-server", "udp-server"] {
        let done = run(server, &["--idle-timeout", "1e19"], b"", PATIENCE);
        assert_eq!(done.code(), 2, "{server}: {}", done.stderr);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_on_stdout_is_an_error() {
    for (client, server) in [("tcp-client", "tcp-server"), ("udp-client", "udp-server")] {
        let server = ServerProcess::start(server, &[]);
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let mut child = tests::KilledOnDrop::spawn(
            tests::command(client)
                .args(["--port", &server.port()])
                .stdin(std::process::Stdio::piped())
                .stdout(full)
                .stderr(std::process::Stdio::piped()),
        );
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"lost\n")
            .expect("type");
        let status = tests::wait_or_kill(&mut child, PATIENCE);
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("stderr");
        let done = tests::Finished {
            status,
            stdout: Vec::new(),
            stderr,
        };
        assert_eq!(done.code(), 1, "{client}: {}", done.stderr);
        assert!(done.stderr.contains("standard output"), "{}", done.stderr);
    }
}

#[test]
fn udp_client_shows_a_changed_servers_answer() {
    let fake = UdpSocket::bind("127.0.0.1:0").expect("bind");
    fake.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let port = fake.local_addr().expect("address").port().to_string();
    let mut typing = Interactive::start("udp-client", &["--port", &port]);
    typing.send_line("date");
    let mut buffer = [0; 64];
    let (_, client) = fake.recv_from(&mut buffer).expect("the line");
    fake.send_to(b"Thu Nov 26 09:00:00 2026", client)
        .expect("answer");
    assert!(typing.wait_for("Thu Nov 26 09:00:00 2026").is_some());
    let (status, _) = typing.finish();
    assert_eq!(status.code(), Some(0));
}

#[cfg(unix)]
#[test]
fn udp_client_stays_in_step_when_the_server_pauses_past_its_timeout() {
    let server = ServerProcess::start("udp-server", &["--quiet"]);
    let pid = server.pid().to_string();
    let signal = |name: &str| {
        let sent = std::process::Command::new("kill")
            .args([name, &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
    };
    let mut typing = Interactive::start(
        "udp-client",
        &[
            "--port",
            &server.port(),
            "--timeout",
            "0.3",
            "--retries",
            "10",
            "--trace",
        ],
    );
    signal("-STOP");
    typing.send_line("x");
    // Three copies of "x" wait at the stopped server: the first try and two resends, each
    // traced as the client sends it (on loopback a datagram sent is a datagram queued).
    assert!(
        typing.wait_for_stderr_lines("sendto(", 3),
        "the client did not try three times"
    );
    signal("-CONT");
    assert!(typing.wait_for("] x").is_some());
    for line in ["xy", "xyz"] {
        typing.send_line(line);
        let printed = typing
            .wait_for(&format!("] {line}"))
            .expect("its own reply");
        assert!(printed.ends_with(&format!("] {line}")), "{printed}");
    }
    let printed: Vec<Vec<u8>> = typing
        .lines()
        .iter()
        .map(|line| data_of(line.as_bytes()).to_vec())
        .collect();
    assert_eq!(
        printed,
        [&b"x"[..], b"xy", b"xyz"],
        "one reply a line, each its own"
    );
    let (status, stderr) = typing.finish();
    assert_eq!(status.code(), Some(0), "{stderr:?}");
}

#[test]
fn udp_client_refused_where_a_tcp_server_listens_says_the_ports_are_separate() {
    let tcp = ServerProcess::start("tcp-server", &[]);
    let done = run(
        "udp-client",
        &["--port", &tcp.port(), "--timeout", "0.5"],
        b"hello\n",
        PATIENCE,
    );
    assert_eq!(done.code(), 1);
    assert!(done.stderr.contains("TCP server"), "{}", done.stderr);
    assert!(done.stderr.contains("separate"), "{}", done.stderr);
}

#[test]
fn an_idle_close_shows_the_servers_reason() {
    let server = ServerProcess::start("tcp-server", &["--idle-timeout", "1"]);
    let mut typing = Interactive::start("tcp-client", &["--port", &server.port()]);
    typing.send_line("hello");
    assert!(typing.wait_for("] hello").is_some());
    let why = typing
        .wait_for("idle")
        .expect("the server's reason, printed as it came");
    assert!(why.contains("--idle-timeout"), "{why}");
    // The close ends the client at once, while it waits for the keyboard.
    let (status, stderr) = typing.wait_for_exit();
    assert_eq!(status.code(), Some(1), "{stderr:?}");
}

#[test]
fn a_raw_reader_sees_the_busy_line_even_after_sending_two_megabytes() {
    for mode in ["threaded", "event"] {
        let server = ServerProcess::start(
            "tcp-server",
            &["--mode", mode, "--max-clients", "1", "--quiet"],
        );
        // The one place is taken: this client has been served.
        let mut holder = tests::connect(server.address);
        tests::exchange(&mut holder, b"first\n");
        let stream = TcpStream::connect(server.address).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        stream.set_write_timeout(Some(PATIENCE)).expect("timeout");
        let mut writer = stream.try_clone().expect("clone");
        let flood = thread::spawn(move || {
            let _ = writer.write_all(&vec![b'f'; 2 * 1024 * 1024]);
        });
        // All two megabytes are sent (or refused) before a byte is read.
        flood.join().expect("the flood");
        let mut reply = Vec::new();
        let read = (&stream).read_to_end(&mut reply);
        let text = String::from_utf8_lossy(&reply);
        assert!(text.contains("busy"), "{mode}: {read:?} {text:?}");
    }
}

#[test]
fn a_usage_error_into_a_pipe_keeps_each_sentence_on_one_line() {
    // Wrapped only where a person reads it on a terminal; `grep` and scripts get it whole.
    let mut client = tests::command("tcp-client");
    client.args(["--port", "0"]);
    let done = tests::run_command(&mut client, b"", PATIENCE);
    assert_eq!(done.code(), 2, "{}", done.stderr);
    let first = done.stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("'0'") && first.ends_with("the port the server printed"),
        "{}",
        done.stderr
    );
}

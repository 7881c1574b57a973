//! End-to-end tests of udp-server and udp-client: real processes, real sockets, loopback.

use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use tests::{Interactive, PATIENCE, ServerProcess, data_of, run};

/// A socket on loopback, as a raw client or a fake server.
fn socket() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.set_read_timeout(Some(PATIENCE)).expect("timeout");
    socket
}

/// Sends `datagram` to `server` and returns its reply's data, checking the stamp.
fn ask(socket: &UdpSocket, server: SocketAddr, datagram: &[u8]) -> Vec<u8> {
    socket.send_to(datagram, server).expect("send");
    let mut buffer = vec![0; 70_000];
    let (len, from) = socket.recv_from(&mut buffer).expect("a reply");
    assert_eq!(from, server, "the reply comes from the server's address");
    data_of(&buffer[..len]).to_vec()
}

fn client(server: &ServerProcess, args: &[&str], input: &str) -> tests::Finished {
    let port = server.port();
    let mut all = vec!["--port", port.as_str()];
    all.extend_from_slice(args);
    run("udp-client", &all, input.as_bytes(), PATIENCE)
}

/// A port nothing listens on (free a moment ago).
fn closed_port() -> String {
    socket().local_addr().expect("address").port().to_string()
}

#[test]
fn replies_are_the_exact_bytes_stamped() {
    let server = ServerProcess::start("udp-server", &[]);
    assert_eq!(server.address.ip().to_string(), "127.0.0.1");
    let raw = socket();
    assert_eq!(ask(&raw, server.address, b"hello"), b"hello");
    let binary: Vec<u8> = (0..=255).collect();
    assert_eq!(ask(&raw, server.address, &binary), binary);
    assert_eq!(ask(&raw, server.address, b"line\n"), b"line\n");
}

#[test]
fn the_client_prints_one_reply_per_line_and_stops_at_an_empty_line() {
    let server = ServerProcess::start("udp-server", &[]);
    let done = client(&server, &[], "one\n中文 two\r\n\nnever sent\n");
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let lines = done.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(data_of(lines[0].as_bytes()), b"one");
    assert_eq!(data_of(lines[1].as_bytes()), "中文 two".as_bytes());
    assert!(done.stderr.is_empty());
}

#[test]
fn a_datagram_longer_than_the_buffer_is_cut_and_logged() {
    let server = ServerProcess::start("udp-server", &[]);
    let raw = socket();
    let long: Vec<u8> = (0..2000).map(|i| b'a' + (i % 26) as u8).collect();
    assert_eq!(ask(&raw, server.address, &long), &long[..1024]);
    assert!(server.wait_for_log("cut").is_some(), "{:?}", server.log());
    // Exactly the buffer is not cut.
    assert_eq!(ask(&raw, server.address, &long[..1024]), &long[..1024]);
}

#[test]
fn an_over_long_line_is_not_sent_and_the_next_lines_still_go() {
    let server = ServerProcess::start("udp-server", &[]);
    let input = format!("before\n{}\nafter\n", "z".repeat(2000));
    let done = client(&server, &[], &input);
    assert_eq!(done.code(), 1, "{}", done.stderr);
    let lines = done.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(data_of(lines[0].as_bytes()), b"before");
    assert_eq!(data_of(lines[1].as_bytes()), b"after");
    assert!(done.stderr.contains("2000"), "{}", done.stderr);
    assert!(done.stderr.contains("--bufsize"), "{}", done.stderr);
}

#[test]
fn no_server_ends_in_a_bounded_wait_with_a_clear_message() {
    let started = Instant::now();
    let args = [
        "--port",
        &closed_port(),
        "--timeout",
        "0.5",
        "--retries",
        "2",
    ];
    let done = run("udp-client", &args, b"anyone?\n", PATIENCE);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(done.code(), 1);
    assert!(done.stderr.contains("no reply"), "{}", done.stderr);
    assert!(done.stderr.contains("down"), "{}", done.stderr);
    assert!(done.stderr.contains("udp-server"), "{}", done.stderr);
    assert_eq!(done.stderr.trim().lines().count(), 1, "{}", done.stderr);
}

#[test]
fn a_silent_server_is_given_up_on_after_the_retries() {
    let mute = socket(); // receives, never answers
    let port = mute.local_addr().expect("address").port().to_string();
    let started = Instant::now();
    let args = ["--port", &port, "--timeout", "0.4", "--retries", "2"];
    let done = run("udp-client", &args, b"hello?\n", PATIENCE);
    let waited = started.elapsed();
    assert_eq!(done.code(), 1);
    assert!(
        waited >= Duration::from_millis(1200),
        "3 waits of 0.4 s: {waited:?}"
    );
    assert!(waited < Duration::from_secs(4), "{waited:?}");
    assert!(done.stderr.contains("3 tries"), "{}", done.stderr);
    // The datagram went out three times: once and two resends.
    mute.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut buffer = [0; 64];
    let copies = (0..5)
        .filter(|_| mute.recv_from(&mut buffer).is_ok())
        .count();
    assert_eq!(copies, 3);
}

#[test]
fn the_client_ignores_datagrams_from_anyone_but_the_server() {
    let fake = socket();
    let port = fake.local_addr().expect("address").port().to_string();
    let mut typing = Interactive::start("udp-client", &["--port", &port]);
    typing.send_line("hello");
    let mut buffer = [0; 64];
    let (len, client) = fake.recv_from(&mut buffer).expect("the client's datagram");
    assert_eq!(&buffer[..len], b"hello");
    // A stranger answers first, with a well-formed but old reply; then the server.
    socket()
        .send_to(b"[Thu Jan  1 00:00:00 1970] hello", client)
        .expect("stray");
    // The scenario, not a barrier: the stranger is a tenth of a second quicker than the server.
    thread::sleep(Duration::from_millis(100));
    let now = tests::ctime_in_zone();
    fake.send_to(format!("[{now}] hello").as_bytes(), client)
        .expect("reply");
    let printed = typing.wait_for("hello").expect("a reply printed");
    assert!(
        !printed.contains("1970"),
        "took the stranger's datagram: {printed}"
    );
    let (status, _) = typing.finish();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_late_reply_to_a_resend_does_not_put_the_client_out_of_step() {
    let fake = socket();
    let port = fake.local_addr().expect("address").port().to_string();
    let mut typing = Interactive::start("udp-client", &["--port", &port, "--timeout", "0.3"]);
    let stamp = tests::ctime_in_zone();
    let reply = |data: &str| format!("[{stamp}] {data}");
    let mut buffer = [0; 64];

    typing.send_line("first");
    let (_, client) = fake.recv_from(&mut buffer).expect("first try");
    fake.recv_from(&mut buffer).expect("the resend after 0.3 s");
    // Both tries get answered: the second answer arrives late.
    fake.send_to(reply("first").as_bytes(), client)
        .expect("reply");
    typing.wait_for("] first").expect("the first reply printed");
    typing.send_line("second");
    // Each line has a socket of its own: answer "second" where it came from.
    let (_, client) = fake.recv_from(&mut buffer).expect("second");
    fake.send_to(reply("first").as_bytes(), client)
        .expect("late reply");
    fake.send_to(reply("second").as_bytes(), client)
        .expect("reply");
    typing
        .wait_for("] second")
        .expect("the second reply printed");
    let (status, _) = typing.finish();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn ten_senders_at_once_are_all_answered() {
    let server = ServerProcess::start("udp-server", &[]);
    let address = server.address;
    let senders: Vec<_> = (0..10)
        .map(|i| {
            thread::spawn(move || {
                let raw = socket();
                for round in 0..20 {
                    let message = format!("sender {i} round {round}");
                    assert_eq!(ask(&raw, address, message.as_bytes()), message.as_bytes());
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().expect("every sender answered");
    }
}

#[test]
fn the_server_survives_clients_that_vanish_before_their_reply() {
    let mut server = ServerProcess::start("udp-server", &[]);
    for _ in 0..20 {
        let gone = socket();
        gone.send_to(b"I will not wait", server.address)
            .expect("send");
        drop(gone); // the reply meets a closed port: ICMP unreachable back to the server
    }
    // The server takes datagrams in the order they came: its answer to this one comes after
    // it met all twenty refusals.
    let raw = socket();
    assert_eq!(ask(&raw, server.address, b"still there?"), b"still there?");
    assert!(server.is_running());
}

#[test]
fn ipv6_loopback_works() {
    if UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let server = ServerProcess::start("udp-server", &["--host", "::1"]);
    assert_eq!(server.address.ip().to_string(), "::1");
    let done = client(&server, &["--host", "::1"], "over IPv6\n");
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(data_of(done.lines()[0].as_bytes()), b"over IPv6");
}

#[test]
fn the_default_client_host_reaches_a_default_server() {
    let server = ServerProcess::start("udp-server", &[]);
    let done = client(&server, &["--host", "localhost"], "hi\n");
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(data_of(done.lines()[0].as_bytes()), b"hi");
}

#[test]
fn a_second_server_on_a_served_port_fails_clearly() {
    let first = ServerProcess::start("udp-server", &[]);
    let done = run("udp-server", &["--port", &first.port()], b"", PATIENCE);
    assert_eq!(done.code(), 1);
    assert!(done.stderr.contains("already in use"), "{}", done.stderr);
    assert!(done.stderr.contains("--port"), "{}", done.stderr);
    // In UDP's words: no connection holds a UDP port after it ends; another server does.
    assert!(done.stderr.contains("UDP server"), "{}", done.stderr);
    assert!(!done.stderr.contains("connection"), "{}", done.stderr);
    let mut chinese = tests::command("udp-server");
    chinese
        .env("LC_ALL", "zh_CN.UTF-8")
        .args(["--port", &first.port()]);
    let done = tests::run_command(&mut chinese, b"", PATIENCE);
    assert!(done.stderr.contains("另一个 UDP 服务器"), "{}", done.stderr);
    assert!(!done.stderr.contains("连接"), "{}", done.stderr);
}

#[test]
fn help_version_and_bad_arguments() {
    for program in ["udp-server", "udp-client"] {
        let help = run(program, &["--help"], b"", PATIENCE);
        assert_eq!(help.code(), 0);
        assert!(String::from_utf8_lossy(&help.stdout).contains("--bufsize"));
        let version = run(program, &["--version"], b"", PATIENCE);
        assert_eq!(version.code(), 0);
        for (bad, value) in [
            ("--port", "65536"),
            ("--bufsize", "0"),
            ("--bufsize", "big"),
            ("--bufsize", "65481"),
            ("--bufsize", "65501"),
        ] {
            let done = run(program, &[bad, value], b"", PATIENCE);
            assert_eq!(done.code(), 2, "{program} {bad} {value}: {}", done.stderr);
            assert!(done.stderr.contains(value), "{}", done.stderr);
        }
    }
    // Over IPv6 a datagram carries 20 bytes more.
    if UdpSocket::bind("[::1]:0").is_ok() {
        let server = ServerProcess::start("udp-server", &["--host", "::1", "--bufsize", "65500"]);
        let done = client(&server, &["--host", "::1", "--bufsize", "65500"], "ok\n");
        assert_eq!(done.code(), 0, "{}", done.stderr);
    }
    let done = run("udp-client", &["--retries", "-1"], b"", PATIENCE);
    assert_eq!(done.code(), 2);
}

#[test]
fn the_largest_datagram_is_answered_whole() {
    let server = ServerProcess::start("udp-server", &["--bufsize", "65480"]);
    let raw = socket();
    let largest = vec![b'L'; 65_480];
    assert_eq!(ask(&raw, server.address, &largest), largest);
}

#[test]
fn trace_shows_the_books_steps() {
    let server = ServerProcess::start("udp-server", &["--trace"]);
    for step in ["socket()", "bind(127.0.0.1:"] {
        assert!(server.wait_for_stderr(step).is_some(), "{step}");
    }
    let done = client(&server, &["--trace"], "hello\n");
    // The client's socket is connected to the server: its send() is the sendto(2) system call
    // with no address, traced as strace shows it, under the book's name.
    for step in [
        "socket()",
        "connect(",
        "sendto(5 bytes)",
        "recvfrom(",
        "close()",
    ] {
        assert!(
            done.stderr.contains(step),
            "client trace lacks {step}: {}",
            done.stderr
        );
    }
    for step in [
        "recvfrom(1024) -> 5 bytes from 127.0.0.1:",
        "sendto(32 bytes",
    ] {
        assert!(
            server.wait_for_stderr(step).is_some(),
            "server trace lacks {step}"
        );
    }
    assert!(!server.stderr().iter().any(|line| line.contains("listen(")));
}

/// With --quiet, nothing of a client's datagrams is logged. The server answers one datagram
/// after another, so the second reply comes after every line the first could have caused;
/// then the whole log, read to its end after Ctrl+C, shows whether one was printed, however
/// late.
#[cfg(unix)]
#[test]
fn quiet_keeps_only_the_address_line() {
    let mut server = ServerProcess::start("udp-server", &["--quiet"]);
    client(&server, &[], "not logged\nnor this\n");
    let log = server.stop_and_read_log();
    assert_eq!(log.len(), 2, "the address line and the stop line: {log:#?}");
    assert!(log[1].starts_with("udp-server stopped"), "{log:#?}");
}

#[test]
fn a_closed_stdout_ends_the_client_quietly() {
    let server = ServerProcess::start("udp-server", &[]);
    let (status, stderr) =
        tests::run_with_stdout_closed_early("udp-client", &["--port", &server.port()]);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_lab_server_on_every_interface_is_reached_over_loopback() {
    let mut hosts = vec![("0.0.0.0", vec!["127.0.0.1"])];
    if UdpSocket::bind("[::1]:0").is_ok() {
        hosts.push(("::", vec!["127.0.0.1", "::1"]));
    }
    for (host, reached_by) in hosts {
        let server = ServerProcess::start("udp-server", &["--host", host]);
        assert!(server.address.ip().is_unspecified(), "{:?}", server.log());
        for client_host in reached_by {
            let done = client(&server, &["--host", client_host], "from the back row\n");
            assert_eq!(done.code(), 0, "{host} via {client_host}: {}", done.stderr);
            assert_eq!(data_of(done.lines()[0].as_bytes()), b"from the back row");
        }
    }
}

#[test]
fn retries_zero_sends_once() {
    let mute = socket();
    let port = mute.local_addr().expect("address").port().to_string();
    let args = ["--port", &port, "--timeout", "0.3", "--retries", "0"];
    let done = run("udp-client", &args, b"just once\n", PATIENCE);
    assert_eq!(done.code(), 1);
    assert!(done.stderr.contains("after 1 try,"), "{}", done.stderr);
    mute.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut buffer = [0; 64];
    let copies = (0..3)
        .filter(|_| mute.recv_from(&mut buffer).is_ok())
        .count();
    assert_eq!(copies, 1);
}

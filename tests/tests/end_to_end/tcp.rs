//! End-to-end tests of tcp-server and tcp-client: real processes, real sockets, loopback.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use tests::{
    Interactive, MODES, PATIENCE, ServerProcess, connect, data_of, exchange, read_exactly,
    read_to_close, run, stamped_parts,
};

fn server(mode: &str, extra: &[&str]) -> ServerProcess {
    let mut args = vec!["--mode", mode];
    args.extend_from_slice(extra);
    ServerProcess::start("tcp-server", &args)
}

fn client(server: &ServerProcess, input: &str) -> tests::Finished {
    run(
        "tcp-client",
        &["--port", &server.port()],
        input.as_bytes(),
        PATIENCE,
    )
}

/// `TZ` is a Unix variable: Windows takes the zone from its settings, and chrono there reads
/// those, so this holds on Linux and macOS only (the README says so).
#[cfg(unix)]
#[test]
fn the_stamp_is_local_time_and_honours_tz() {
    if tests::launched() {
        return; // a Windows build under wine: see above
    }
    // A POSIX zone eight hours east of UTC, which needs no zone database.
    let mut east = tests::command("tcp-server");
    east.env("TZ", "CST-8");
    let server = ServerProcess::start_with(east, &[]);
    let mut stream = connect(server.address);
    stream.write_all(b"what time is it?").expect("send");
    let reply = read_exactly(&mut stream, 27 + 16);
    let stamp = std::str::from_utf8(&reply[1..25]).expect("text");
    let shown =
        chrono::NaiveDateTime::parse_from_str(stamp, "%a %b %e %H:%M:%S %Y").expect("ctime");
    let utc = chrono::Utc::now().naive_utc();
    let ahead = (shown - utc).num_seconds();
    assert!(
        (8 * 3600 - 60..=8 * 3600 + 60).contains(&ahead),
        "{stamp} is {ahead} s from UTC"
    );
}

#[test]
fn first_line_names_the_bound_address() {
    let server = ServerProcess::start("tcp-server", &[]);
    assert_eq!(server.address.ip().to_string(), "127.0.0.1");
    assert_ne!(server.address.port(), 0, "--port 0 must show the real port");
}

#[test]
fn replies_are_the_exact_bytes_stamped_in_every_mode() {
    for mode in MODES {
        let server = server(mode, &[]);
        let mut stream = connect(server.address);
        exchange(&mut stream, b"hello\n");
        // No newline, as the book's client sends it; spaces and \r kept as they are.
        exchange(&mut stream, b"  no newline \r");
    }
}

#[test]
fn the_client_prints_one_reply_per_line_and_stops_at_an_empty_line() {
    for mode in MODES {
        let server = server(mode, &[]);
        let done = client(&server, "hello\n你好 world\r\n\nnever sent\n");
        assert_eq!(done.code(), 0, "{mode}: {}", done.stderr);
        let lines = done.lines();
        assert_eq!(lines.len(), 2, "{mode}: {lines:?}");
        assert_eq!(data_of(lines[0].as_bytes()), b"hello");
        assert_eq!(data_of(lines[1].as_bytes()), "你好 world".as_bytes());
        assert!(done.stderr.is_empty(), "{}", done.stderr);
        assert!(
            !String::from_utf8_lossy(&done.stdout).contains("> "),
            "no prompt off a terminal"
        );
    }
}

#[test]
fn end_of_input_exits_zero() {
    let server = server("threaded", &[]);
    let done = client(&server, "");
    assert_eq!(done.code(), 0);
    assert!(done.stdout.is_empty());
    let done = client(&server, "last line without newline");
    assert_eq!(done.code(), 0);
    assert_eq!(
        data_of(done.lines()[0].as_bytes()),
        b"last line without newline"
    );
}

#[test]
fn a_line_longer_than_the_buffer_comes_back_whole_and_the_next_stays_in_step() {
    for mode in MODES {
        let server = server(mode, &[]);
        let long = "x".repeat(5000);
        let done = client(&server, &format!("{long}\nshort\n"));
        assert_eq!(done.code(), 0, "{}", done.stderr);
        let lines = done.lines();
        assert_eq!(lines.len(), 2, "{mode}");
        let parts = stamped_parts(lines[0].as_bytes());
        assert!(
            parts.len() >= 5,
            "5000 bytes need at least 5 reads of 1024: {}",
            parts.len()
        );
        assert_eq!(parts.concat(), long.as_bytes());
        assert_eq!(data_of(lines[1].as_bytes()), b"short");
    }
}

#[test]
fn chinese_text_longer_than_the_buffer_is_never_cut_inside_a_character() {
    for mode in MODES {
        let server = server(mode, &["--bufsize", "1024"]);
        // 3-byte characters: 1024 is not a multiple of 3, so reads end inside characters.
        let text = "网络编程中文字符".repeat(100);
        let done = client(&server, &format!("{text}\n"));
        assert_eq!(done.code(), 0, "{}", done.stderr);
        let line = &done.stdout[..done.stdout.len() - 1];
        let parts = stamped_parts(line);
        assert!(parts.len() >= 2);
        for part in &parts {
            assert!(
                std::str::from_utf8(part).is_ok(),
                "{mode}: a reply cut a character"
            );
        }
        assert_eq!(parts.concat(), text.as_bytes(), "{mode}");
        assert!(!String::from_utf8_lossy(&done.stdout).contains('\u{FFFD}'));
    }
}

#[test]
fn held_back_bytes_go_out_when_the_client_half_closes() {
    for mode in MODES {
        let server = server(mode, &["--bufsize", "4"]);
        let mut stream = connect(server.address);
        // "ab" and the first two bytes of 中 fill the 4-byte buffer.
        stream.write_all(b"ab\xe4\xb8").expect("send");
        let first = read_exactly(&mut stream, 27 + 2);
        assert_eq!(data_of(&first), b"ab");
        stream.shutdown(Shutdown::Write).expect("half-close");
        let rest = read_to_close(&mut stream);
        assert_eq!(data_of(&rest), b"\xe4\xb8", "{mode}");
    }
}

#[test]
fn binary_and_invalid_utf8_come_back_unchanged_and_the_server_goes_on() {
    for mode in MODES {
        let server = server(mode, &[]);
        let mut stream = connect(server.address);
        let all_bytes: Vec<u8> = (0..=255).collect();
        exchange(&mut stream, &all_bytes);
        exchange(&mut stream, b"\xff\xfe\xc3\x28 \xed\xa0\x80");
        drop(stream);
        let done = client(&server, "still here\n");
        assert_eq!(data_of(done.lines()[0].as_bytes()), b"still here", "{mode}");
    }
}

#[test]
fn reset_and_vanished_clients_do_not_stop_the_server() {
    for mode in MODES {
        let server = server(mode, &[]);
        // A reset: SO_LINGER 0 makes close() send RST.
        let stream = connect(server.address);
        let socket = socket2::SockRef::from(&stream);
        socket.set_linger(Some(Duration::ZERO)).expect("linger");
        (&stream).write_all(b"about to reset\n").expect("send");
        drop(stream);
        // Vanished mid-reply: sends a lot and leaves without reading.
        let mut stream = connect(server.address);
        stream.write_all(&vec![b'v'; 200_000]).expect("send");
        drop(stream);
        // Connected and gone without a word.
        drop(connect(server.address));
        // The server has met all three (it logs each one's end) before the next client comes:
        // one served meanwhile, by another thread, would prove nothing. (Windows drops a
        // connection reset in the listen queue: the server never sees the first one there.)
        let met = if tests::launched() { 2 } else { 3 };
        assert!(
            server.wait_for_log_lines("disconnected", met),
            "{mode}: {:#?}",
            server.log()
        );
        let done = client(&server, "after the trouble\n");
        assert_eq!(done.code(), 0, "{mode}: {}", done.stderr);
        assert_eq!(data_of(done.lines()[0].as_bytes()), b"after the trouble");
    }
}

#[test]
fn fifty_clients_are_served_at_once() {
    for mode in ["threaded", "event"] {
        let server = server(mode, &[]);
        // All 50 connect first, then all talk, and every one stays connected until all were
        // served: none may wait for another to leave (a server that serves one client at a
        // time answers the first and no other).
        let streams: Vec<TcpStream> = (0..50).map(|_| connect(server.address)).collect();
        let workers: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(i, mut stream)| {
                thread::spawn(move || {
                    for round in 0..5 {
                        exchange(
                            &mut stream,
                            format!("client {i} round {round}\n").as_bytes(),
                        );
                    }
                    stream // handed back, still connected
                })
            })
            .collect();
        let served: Vec<TcpStream> = workers
            .into_iter()
            .map(|worker| worker.join().expect("every client served"))
            .collect();
        assert_eq!(served.len(), 50, "{mode}");
    }
}

#[test]
fn iterative_mode_serves_one_client_at_a_time() {
    let server = server("iterative", &[]);
    let mut first = connect(server.address);
    exchange(&mut first, b"first\n");
    let mut second = connect(server.address);
    second.write_all(b"second\n").expect("send");
    second
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let mut byte = [0; 1];
    let early = second.read(&mut byte);
    assert!(early.is_err(), "the second client must wait: {early:?}");
    exchange(&mut first, b"still first\n");
    drop(first);
    second.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let reply = read_exactly(&mut second, 27 + 7);
    assert_eq!(data_of(&reply), b"second\n");
}

#[test]
fn a_client_over_max_clients_is_told_the_server_is_busy() {
    for mode in ["threaded", "event"] {
        let server = server(mode, &["--max-clients", "1"]);
        let mut holder = connect(server.address);
        exchange(&mut holder, b"I was here first\n");

        let done = client(&server, "let me in\n");
        assert_eq!(done.code(), 1, "{mode}: {done:?}");
        let lines = done.lines();
        assert_eq!(lines.len(), 1, "{mode}: {lines:?}");
        assert!(lines[0].contains("busy"), "{lines:?}");
        assert!(
            done.stderr.contains("closed the connection"),
            "{}",
            done.stderr
        );

        // A raw client gets the same single line, then the end.
        let mut turned = connect(server.address);
        let busy = read_to_close(&mut turned);
        assert!(String::from_utf8_lossy(&busy).contains("busy"));
        assert_eq!(busy.iter().filter(|&&b| b == b'\n').count(), 1);

        // The client already connected goes on undisturbed, and its place frees up after.
        exchange(&mut holder, b"undisturbed\n");
        drop(holder);
        server
            .wait_for_log("(0 connected)")
            .expect("the holder left");
        let done = client(&server, "my turn\n");
        assert_eq!(done.code(), 0, "{mode}: {}", done.stderr);
    }
}

#[test]
fn idle_timeout_closes_a_silent_client_only() {
    for mode in MODES {
        let server = server(mode, &["--idle-timeout", "1"]);
        let mut silent = connect(server.address);
        let started = Instant::now();
        let why = String::from_utf8(read_to_close(&mut silent)).expect("text");
        assert!(
            why.contains("idle") && why.ends_with('\n'),
            "{mode}: {why:?}"
        );
        assert_eq!(why.lines().count(), 1, "{mode}: {why:?}");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(900),
            "{mode}: closed after {waited:?}"
        );
        assert!(
            waited < Duration::from_secs(5),
            "{mode}: closed after {waited:?}"
        );
        assert!(server.wait_for_log("idle-timeout").is_some());
    }
}

#[test]
fn ipv6_loopback_works() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    for mode in MODES {
        let server = server(mode, &["--host", "::1"]);
        assert_eq!(server.address.ip().to_string(), "::1");
        let done = run(
            "tcp-client",
            &["--host", "::1", "--port", &server.port()],
            b"over IPv6\n",
            PATIENCE,
        );
        assert_eq!(
            data_of(done.lines()[0].as_bytes()),
            b"over IPv6",
            "{}",
            done.stderr
        );
    }
}

#[test]
fn the_default_client_host_reaches_a_default_server() {
    // localhost may resolve to ::1 first; the server listens on 127.0.0.1.
    let server = ServerProcess::start("tcp-server", &[]);
    let done = run(
        "tcp-client",
        &["--host", "localhost", "--port", &server.port()],
        b"hi\n",
        PATIENCE,
    );
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(data_of(done.lines()[0].as_bytes()), b"hi");
}

#[test]
fn a_server_restarts_on_the_same_port_at_once() {
    let first = ServerProcess::start("tcp-server", &[]);
    let port = first.port();
    // A connection the server closes first leaves the port in TIME_WAIT.
    let mut stream = connect(first.address);
    exchange(&mut stream, b"before the restart\n");
    first.stop();
    drop(stream);
    let second = ServerProcess::start("tcp-server", &["--port", &port]);
    let done = client(&second, "after the restart\n");
    assert_eq!(done.code(), 0, "{}", done.stderr);
}

#[test]
fn a_port_in_use_is_named_with_advice() {
    let first = ServerProcess::start("tcp-server", &[]);
    let port = first.port();
    let done = run("tcp-server", &["--port", &port], b"", PATIENCE);
    assert_eq!(done.code(), 1);
    assert!(
        done.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        done.stderr
    );
    assert!(done.stderr.contains("already in use"), "{}", done.stderr);
    assert!(done.stderr.contains("--port"), "{}", done.stderr);
    assert_eq!(
        done.stderr.trim().lines().count(),
        1,
        "one line: {}",
        done.stderr
    );
}

#[test]
fn no_server_says_connection_refused_and_what_to_start() {
    let closed = tests::ClosedPort::new();
    let port = closed.port();
    let done = run("tcp-client", &["--port", &port], b"hello\n", PATIENCE);
    assert_eq!(done.code(), 1);
    assert!(done.stderr.contains("refused"), "{}", done.stderr);
    assert!(done.stderr.contains("tcp-server"), "{}", done.stderr);
    assert!(done.stderr.contains(&port), "{}", done.stderr);
    assert!(!done.stderr.contains("panicked"));
    assert_eq!(
        done.stderr.trim().lines().count(),
        1,
        "one line: {}",
        done.stderr
    );
}

#[test]
fn an_unknown_host_is_named() {
    for program in ["tcp-client", "tcp-server", "udp-client", "udp-server"] {
        let done = run(program, &["--host", "no-such-host.invalid"], b"", PATIENCE);
        assert_eq!(done.code(), 1, "{program}");
        assert!(
            done.stderr.contains("no-such-host.invalid"),
            "{}",
            done.stderr
        );
    }
}

#[test]
fn help_version_and_bad_arguments() {
    for program in ["tcp-server", "tcp-client"] {
        let help = run(program, &["--help"], b"", PATIENCE);
        assert_eq!(help.code(), 0);
        assert!(String::from_utf8_lossy(&help.stdout).contains("--port"));
        let version = run(program, &["--version"], b"", PATIENCE);
        assert_eq!(version.code(), 0);
        assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
        for (bad, value) in [("--port", "99999"), ("--port", "http"), ("--nonsense", "1")] {
            let done = run(program, &[bad, value], b"", PATIENCE);
            assert_eq!(done.code(), 2, "{program} {bad} {value}: {}", done.stderr);
            assert!(
                done.stderr.contains(value) || done.stderr.contains(bad),
                "{}",
                done.stderr
            );
        }
    }
    for (bad, value) in [
        ("--bufsize", "0"),
        ("--bufsize", "lots"),
        ("--mode", "forking"),
        ("--backlog", "-1"),
        ("--backlog", "many"),
        ("--max-clients", "0"),
        ("--idle-timeout", "soon"),
        ("--write-timeout", "-5"),
    ] {
        let done = run("tcp-server", &[bad, value], b"", PATIENCE);
        assert_eq!(done.code(), 2, "{bad} {value}");
        assert!(done.stderr.contains(value), "{}", done.stderr);
    }
    let done = run("tcp-client", &["--timeout", "0"], b"", PATIENCE);
    assert_eq!(done.code(), 2);
}

#[test]
fn trace_shows_the_books_steps() {
    for mode in MODES {
        let server = server(mode, &["--trace"]);
        let listen = match mode {
            "iterative" => "listen(5)",
            _ => "listen(128)",
        };
        for step in ["socket()", "bind(127.0.0.1:", listen] {
            assert!(server.wait_for_stderr(step).is_some(), "{mode}: {step}");
        }
        let done = run(
            "tcp-client",
            &["--port", &server.port(), "--trace"],
            b"hello\n",
            PATIENCE,
        );
        assert_eq!(done.code(), 0);
        for step in ["socket()", "connect(", "send(6 bytes)", "recv(", "close()"] {
            assert!(
                done.stderr.contains(step),
                "client trace lacks {step}: {}",
                done.stderr
            );
        }
        for step in [
            "accept() -> 127.0.0.1:",
            "recv(1024) -> 6 bytes",
            "send(33 bytes)",
            "close()",
        ] {
            assert!(
                server.wait_for_stderr(step).is_some(),
                "{mode}: server trace lacks {step}"
            );
        }
    }
}

#[test]
fn the_server_logs_connections_messages_and_disconnections_unless_quiet() {
    let server = server("threaded", &[]);
    client(&server, "logged\n");
    assert!(server.wait_for_log("connected from").is_some());
    assert!(server.wait_for_log("logged").is_some());
    assert!(server.wait_for_log("disconnected").is_some());

    // With --quiet, nothing of the first client's visit may be logged. The iterative server
    // takes the second client only once it has done with the first (disconnection included),
    // so the second one's reply comes after every line the first could have caused; then the
    // whole log, read to its end after Ctrl+C, shows whether one was printed, however late.
    #[cfg(unix)]
    {
        let mut quiet = ServerProcess::start("tcp-server", &["--mode", "iterative", "--quiet"]);
        client(&quiet, "not logged\n");
        client(&quiet, "nor this\n");
        let log = quiet.stop_and_read_log();
        assert_eq!(log.len(), 2, "the address line and the stop line: {log:#?}");
        assert!(log[1].starts_with("tcp-server stopped"), "{log:#?}");
    }
}

#[test]
fn a_closed_stdout_ends_the_client_quietly() {
    let server = server("threaded", &[]);
    let (status, stderr) =
        tests::run_with_stdout_closed_early("tcp-client", &["--port", &server.port()]);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_client_waits_no_longer_than_its_reply_timeout_for_a_reply() {
    // A listener that accepts (in the backlog) but never answers.
    let mute = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = mute.local_addr().expect("address").port().to_string();
    let started = Instant::now();
    let done = run(
        "tcp-client",
        &["--port", &port, "--reply-timeout", "1"],
        b"anyone?\n",
        PATIENCE,
    );
    assert_eq!(done.code(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(done.stderr.contains("--reply-timeout"), "{}", done.stderr);
}

#[test]
fn an_interactive_client_keeps_its_connection_between_lines() {
    let server = server("threaded", &[]);
    let mut typing = Interactive::start("tcp-client", &["--port", &server.port()]);
    typing.send_line("first");
    assert!(typing.wait_for("] first").is_some());
    typing.send_line("second");
    assert!(typing.wait_for("] second").is_some());
    let (status, stderr) = typing.finish();
    assert_eq!(status.code(), Some(0), "{stderr:?}");
    let connects = server
        .log()
        .iter()
        .filter(|line| line.contains("connected from"))
        .count();
    assert_eq!(connects, 1);
}

#[test]
fn a_reader_that_falls_behind_still_gets_every_byte() {
    for mode in MODES {
        let server = server(mode, &[]);
        let stream = connect(server.address);
        let mut reader = stream.try_clone().expect("clone");
        // 8 MiB of letters (no `[`), sent while nobody reads the replies: the server's
        // writes fill up, and what it could not send yet must wait, not vanish.
        let data: Vec<u8> = (0..8 * 1024 * 1024)
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        let sent = data.clone();
        let writer = thread::spawn(move || {
            let mut stream = stream;
            stream.write_all(&sent).expect("send");
            stream.shutdown(Shutdown::Write).expect("half-close");
        });
        // The scenario, not a barrier: the reader falls half a second behind the writer.
        thread::sleep(Duration::from_millis(500));
        let replies = read_to_close(&mut reader);
        writer.join().expect("writer");
        let back: Vec<u8> = replies
            .split(|&b| b == b'[')
            .skip(1)
            .flat_map(|part| data_of(&[b"[", part].concat()).to_vec())
            .collect();
        assert!(
            back == data,
            "{mode}: {} of {} bytes came back",
            back.len(),
            data.len()
        );
    }
}

#[test]
fn a_lab_server_on_every_interface_is_reached_over_loopback() {
    // 0.0.0.0 is every IPv4 interface; `::` every interface, IPv4 ones included.
    let mut hosts = vec![("0.0.0.0", vec!["127.0.0.1"])];
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        hosts.push(("::", vec!["127.0.0.1", "::1"]));
    }
    for (host, reached_by) in hosts {
        for mode in MODES {
            let server = server(mode, &["--host", host]);
            assert!(server.address.ip().is_unspecified(), "{:?}", server.log());
            for client_host in &reached_by {
                let done = run(
                    "tcp-client",
                    &["--host", client_host, "--port", &server.port()],
                    b"from the back row\n",
                    PATIENCE,
                );
                assert_eq!(done.code(), 0, "{host} via {client_host}: {}", done.stderr);
                assert_eq!(data_of(done.lines()[0].as_bytes()), b"from the back row");
            }
        }
    }
}

#[test]
fn backlog_sets_the_listen_queue() {
    let server = server("iterative", &["--backlog", "1", "--trace"]);
    assert!(
        server.wait_for_stderr("listen(1)").is_some(),
        "{:?}",
        server.stderr()
    );
    let done = client(&server, "queued\n");
    assert_eq!(data_of(done.lines()[0].as_bytes()), b"queued");
}

#[test]
fn a_client_closed_for_idleness_is_told_the_server_closed_the_connection() {
    let server = server("threaded", &["--idle-timeout", "1"]);
    let mut typing = Interactive::start("tcp-client", &["--port", &server.port()]);
    typing.send_line("before the break");
    assert!(typing.wait_for("] before the break").is_some());
    server
        .wait_for_log("idle-timeout")
        .expect("the server closed the idle client");
    // The close ends the client at once, while it waits for the keyboard.
    let (status, stderr) = typing.wait_for_exit();
    assert_eq!(status.code(), Some(1), "{stderr:?}");
    assert!(
        stderr
            .iter()
            .any(|line| line.contains("closed the connection")),
        "{stderr:?}"
    );
}

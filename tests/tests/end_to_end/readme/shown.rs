//! What the pages show, run today and compared, in English and in Chinese: the server's
//! `--trace` of one client, a long line over TCP and over UDP, a usage error, and `lab-check`
//! against our own server. Times and ports are masked; everything else must be the programs'
//! own words, to the byte. Loopback only, ports the system picks.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use tests::{KilledOnDrop, PATIENCE, ServerProcess, run_command};

use super::programs::{LANGUAGES, command, masked_stamps, run, unvarying};
use super::{blocks, read};

/// What a page shows a command print: the lines of the text block that starts with
/// `$ ` and a command containing `command`, after that first line.
fn shown_for(page: &str, command: &str) -> Vec<String> {
    let text = read(page);
    let block = blocks(&text).into_iter().find(|block| {
        block
            .lines
            .first()
            .is_some_and(|first| first.starts_with("$ ") && first.contains(command))
    });
    let block = block.unwrap_or_else(|| panic!("{page} shows `$ ...{command}...`"));
    block.lines[1..].to_vec()
}

/// A program whose stdout and stderr go into one pipe, in the order it wrote them (as `2>&1`
/// does, the way the pages show them), each line read as it comes by a thread of its own.
struct Merged {
    /// The program (under `sh`, which gives it the one pipe).
    _child: KilledOnDrop,
    /// Each line as it comes.
    lines: mpsc::Receiver<String>,
    /// Every line so far.
    seen: Vec<String>,
}

impl Merged {
    fn start(program: &str, args: &[&str], locale: &str) -> Merged {
        let inner = command(program, locale);
        let mut sh = Command::new("sh");
        sh.args(["-c", "exec \"$@\" 2>&1", "sh"])
            .arg(inner.get_program())
            .args(inner.get_args())
            .args(args);
        for (key, value) in inner.get_envs() {
            match value {
                Some(value) => sh.env(key, value),
                None => sh.env_remove(key),
            };
        }
        let mut child = KilledOnDrop::spawn(
            sh.stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let out = child.stdout.take().expect("piped stdout");
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Merged {
            _child: child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits until `count` lines so far contain `needle`.
    fn wait_for(&mut self, needle: &str, count: usize) {
        let deadline = Instant::now() + PATIENCE;
        while self
            .seen
            .iter()
            .filter(|line| line.contains(needle))
            .count()
            < count
        {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "{count} lines with {needle:?} did not come within {PATIENCE:?}: {:?}",
                    self.seen
                ),
            }
        }
    }
}

/// The server's side of one client that types `hello` and then ends, with `--trace`, as
/// the README shows it: each wait shown (the client sends only once the server waits), and the
/// client's own port.
fn trace_of_one_client(locale: &str) -> (Vec<String>, [u16; 2]) {
    let mut server = Merged::start("tcp-server", &["--trace", "--port", "0"], locale);
    server.wait_for("accept() ...", 1);
    let address = server
        .seen
        .iter()
        .find_map(|line| tests::address_in(line))
        .expect("the line that names the address");
    let mut client = TcpStream::connect(address).expect("connect");
    let port = client.local_addr().expect("the client's address").port();
    server.wait_for("recv(1024) ...", 1);
    client.write_all(b"hello\n").expect("send hello");
    client
        .set_read_timeout(Some(PATIENCE))
        .expect("a read timeout");
    let mut reply = Vec::new();
    BufReader::new(&client)
        .read_until(b'\n', &mut reply)
        .expect("the reply");
    assert_eq!(tests::data_of(&reply), b"hello\n");
    server.wait_for("recv(1024) ...", 2);
    server.wait_for("accept() ...", 2);
    client.shutdown(Shutdown::Write).expect("shutdown");
    let gone = if locale.starts_with("zh") {
        "已断开连接"
    } else {
        "disconnected"
    };
    server.wait_for(gone, 1);
    (server.seen, [address.port(), port])
}

/// A line about the client on its own thread (its reads, sends and close, and what the log
/// says of them), rather than one of the accepting loop.
fn of_the_client(line: &str, port: u16) -> bool {
    line.contains(&format!(":{port}"))
        && !line.starts_with("accept()")
        && !line.starts_with("...connected from")
}

#[test]
fn the_trace_the_readme_shows_is_what_tcp_server_prints() {
    for (readme, _, locale) in LANGUAGES {
        let shown = shown_for(readme, "tcp-server -- --trace");
        let (printed, [server, client]) = trace_of_one_client(locale);
        // The client's thread and the accepting loop each print in order; which of the two
        // prints first after the accept is up to the threads.
        let split = |lines: &[String], ports: [u16; 2]| {
            let (of_client, of_loop): (Vec<&String>, Vec<&String>) =
                lines.iter().partition(|line| of_the_client(line, ports[1]));
            // The server was asked for `--port 0`, and binds that.
            let names = [(ports[0], "PORT"), (ports[1], "CLIENT"), (0, "PORT")];
            let unvarying = |lines: Vec<&String>| {
                lines
                    .into_iter()
                    .map(|line| unvarying(line, &names))
                    .collect::<Vec<_>>()
            };
            (unvarying(of_client), unvarying(of_loop))
        };
        let (shown_client, mut shown_loop) = split(&shown, [21567, 53422]);
        if tests::windows_build() {
            // Windows' std sets no SO_REUSEADDR (it would let another program take the port).
            shown_loop.retain(|line| line != "setsockopt(SO_REUSEADDR, 1)");
        }
        let (printed_client, printed_loop) = split(&printed, [server, client]);
        assert_eq!(
            printed_loop, shown_loop,
            "{readme}: the accepting loop's lines"
        );
        assert_eq!(printed_client, shown_client, "{readme}: the client's lines");
    }
}

/// `line` with each run of more than three `a`s written `aaa…`, as the README shortens them.
fn shortened(line: &str) -> String {
    // Each piece is a run of `a`s (perhaps none) and the one character after it.
    line.split_inclusive(|c| c != 'a')
        .map(|piece| {
            let run = piece.trim_end_matches(|c| c != 'a');
            let after = &piece[run.len()..];
            if run.len() > 3 {
                format!("aaa…{after}")
            } else {
                piece.to_owned()
            }
        })
        .collect()
}

#[test]
fn a_long_line_comes_back_as_the_readme_shows_over_tcp_and_over_udp() {
    let tcp = ServerProcess::start("tcp-server", &[]);
    let udp = ServerProcess::start("udp-server", &[]);
    let line = format!("{}\n", "a".repeat(3000));
    for (readme, _, locale) in LANGUAGES {
        // TCP: one line printed, three stamps, the a's shortened as the README shortens them.
        let shown = shown_for(readme, "| cargo run -q -p tcp-client");
        let done = run(
            "tcp-client",
            &["--port", &tcp.port()],
            line.as_bytes(),
            locale,
        );
        assert_eq!(done.code(), 0, "{}", done.stderr);
        let printed: Vec<String> = done
            .lines()
            .iter()
            .map(|line| masked_stamps(&shortened(line)))
            .collect();
        let shown: Vec<String> = shown.iter().map(|line| masked_stamps(line)).collect();
        assert_eq!(printed, shown, "{readme}: a 3000-byte line over TCP");

        // UDP: not sent, and why.
        let shown = shown_for(readme, "cargo run -q -p udp-client");
        let done = run(
            "udp-client",
            &["--port", &udp.port()],
            line.as_bytes(),
            locale,
        );
        assert_eq!(done.code(), 1);
        let printed: Vec<&str> = done.stderr.lines().collect();
        assert_eq!(printed, shown, "{readme}: a 3000-byte line over UDP");
    }
}

#[test]
fn a_usage_error_is_the_few_lines_the_readme_shows_and_exits_2() {
    for (readme, _, locale) in LANGUAGES {
        let shown = shown_for(readme, "tcp-client -- --prot 21568");
        let done = run("tcp-client", &["--prot", "21568"], b"", locale);
        assert_eq!(done.code(), 2, "{readme}: a usage error's status");
        let printed: Vec<&str> = done.stderr.lines().collect();
        assert_eq!(printed, shown, "{readme}: the usage error");
    }
}

#[test]
fn lab_check_passes_our_server_as_the_lab_page_shows() {
    let server = ServerProcess::start("tcp-server", &[]);
    let target = server.address.to_string();
    let checks: Vec<_> = LANGUAGES
        .into_iter()
        .map(|(_, lab, locale)| {
            let target = target.clone();
            thread::spawn(move || {
                let mut kit = Command::new(env!("CARGO_BIN_EXE_lab-check"));
                kit.args(["tcp", &target])
                    .env("TZ", tests::tz())
                    .env("LC_ALL", locale)
                    .env_remove("COLUMNS");
                (lab, run_command(&mut kit, b"", Duration::from_secs(60)))
            })
        })
        .collect();
    for check in checks {
        let (lab, done) = check.join().expect("the check's thread");
        let text = read(lab);
        let shown = blocks(&text)
            .into_iter()
            .find(|block| block.lines.first().is_some_and(|line| line == "PASS reply"))
            .unwrap_or_else(|| panic!("{lab} shows our server passing"));
        assert_eq!(done.code(), 0, "{}", done.stderr);
        let port = server.address.port();
        let unvarying = |line: &String| unvarying(line, &[(21567, "PORT"), (port, "PORT")]);
        let printed: Vec<String> = done.lines().iter().map(unvarying).collect();
        let shown: Vec<String> = shown.lines.iter().map(unvarying).collect();
        assert_eq!(printed, shown, "{lab}: lab-check against our tcp-server");
    }
}

#[test]
fn shortening_writes_long_runs_of_a_as_the_readme_does() {
    assert_eq!(shortened("[x] aaaaaa[y] aa"), "[x] aaa…[y] aa");
}

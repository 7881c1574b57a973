//! What the pages show, run today and compared, in English and in Chinese: the server's
//! `--trace` of one client, a long line over TCP and over UDP, a usage error, `lab-check`
//! against our own server, and every message the troubleshooting tables quote that a program
//! prints on one machine. Times and ports are masked (and, in the tables' quotes, every
//! number); everything else must be the programs' own words, to the byte. Loopback only, ports
//! the system picks.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use tests::{Finished, KilledOnDrop, PATIENCE, ServerProcess, run_command};

use super::{blocks, code_spans, prose, read};

/// Each language the pages are written in: the README, the lab's page, and the locale that
/// makes the programs speak it.
const LANGUAGES: [(&str, &str, &str); 2] = [
    ("README.md", "LAB.md", "C"),
    ("README.zh-CN.md", "LAB.zh-CN.md", "zh_CN.UTF-8"),
];

/// A command for one of the programs, speaking the language of `locale`.
fn command(program: &str, locale: &str) -> Command {
    let mut command = tests::command(program);
    command.env("LC_ALL", locale);
    command
}

/// Runs a program to its end, in the language of `locale`.
fn run(program: &str, args: &[&str], input: &[u8], locale: &str) -> Finished {
    run_command(command(program, locale).args(args), input, PATIENCE)
}

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

/// `line` with each `[ctime]` stamp made `[STAMP]`, and each port of `ports` (a port the
/// page shows, and the one the program used) made `:` and the name beside it.
fn unvarying(line: &str, ports: &[(u16, &str)]) -> String {
    let mut line = masked_stamps(line);
    for (port, name) in ports {
        line = line.replace(&format!(":{port}"), &format!(":{name}"));
    }
    line
}

/// `line` with each `[ctime]` stamp made `[STAMP]`.
fn masked_stamps(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '[' && is_stamp(rest.get(1..25)) && rest.get(25..26) == Some("]") {
            out.push_str("[STAMP]");
            rest = &rest[26..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// True for C's ctime form of a time: `Wed Nov 25 17:28:42 2026`.
fn is_stamp(text: Option<&str>) -> bool {
    text.is_some_and(|text| {
        chrono::NaiveDateTime::parse_from_str(text, "%a %b %e %H:%M:%S %Y").is_ok()
    })
}

/// `line` with everything that differs from one run or one machine to the next masked, for
/// the tables' quotes: each `[ctime]` stamp made `[STAMP]`, each number (a port, a count of
/// seconds, a part of an address) `#`.
fn masked(line: &str) -> String {
    let line = masked_stamps(line);
    let mut out = String::new();
    let mut rest = line.as_str();
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() {
            let digits = |text: &str| {
                text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len()
            };
            let mut end = digits(rest);
            if rest[end..].starts_with('.') && digits(&rest[end + 1..]) > 0 {
                end += 1 + digits(&rest[end + 1..]);
            }
            out.push('#');
            rest = &rest[end..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
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
        let (shown_client, shown_loop) = split(&shown, [21567, 53422]);
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
                    .env("TZ", tests::ZONE)
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

/// Messages the troubleshooting tables quote that no program prints on one machine over
/// loopback, as root: each was seen by hand, with the programs of the same commit, from
/// another machine's view (an address the sandbox refuses, an empty network namespace with
/// `unshare -n`, a route of type `unreachable`, a firewall rule that drops, a user not
/// allowed ports below 1024, `ulimit -n`).
const SEEN_BY_HAND: [&str; 20] = [
    // A refusal at another machine's address.
    "connection refused at 192.168.1.23:21567: no server there takes connections from other machines",
    "no reply from 192.168.1.23:21567: its port refused the datagrams: no UDP server there hears other machines",
    "connection refused at ...: no server there takes connections from other machines",
    "its port refused the datagrams: no UDP server there hears other machines",
    "no server there takes connections from other machines",
    "no UDP server there hears other machines",
    "连接被拒绝（connection refused），192.168.1.23:21567 上没有接受其他机器连接的服务器",
    "192.168.1.23:21567 没有回复：该端口拒收了数据报，说明那里没有接受其他机器的 UDP 服务器",
    "连接被拒绝（connection refused），... 上没有接受其他机器连接的服务器",
    "该端口拒收了数据报，说明那里没有接受其他机器的 UDP 服务器",
    // A connection attempt nobody answers (a firewall that drops it).
    "no answer from ... within 10 s",
    "10 秒内 ... 没有应答",
    // No way to the address.
    "No route to host",
    "Network is unreachable",
    "主机不可达（host unreachable）",
    "网络不可达（network unreachable）",
    "主机不可达",
    "网络不可达",
    // Ports below 1024 for a user who is not root.
    "cannot bind ...: permission denied",
    "无法绑定 ...：权限不足",
];

/// The same, for the file descriptors a server runs out of under `ulimit -n`.
const SEEN_BY_HAND_TOO: [&str; 2] = [
    "accept() failed: ... (out of file descriptors: ...)",
    "accept() 失败：...（文件描述符用尽：...）",
];

/// The headers of the tables that quote the programs, in their first column.
const QUOTING: [&str; 6] = [
    "you see",
    "你看到",
    "the client says",
    "客户端显示",
    "the server says",
    "服务器显示",
];

/// Every message quoted in the first column of a troubleshooting table of `page`.
fn quoted(page: &str) -> Vec<String> {
    let text = read(page);
    let mut quotes = Vec::new();
    let mut quoting = false;
    for line in prose(&text) {
        let Some(row) = line.strip_prefix('|') else {
            quoting = false;
            continue;
        };
        let first = row.split('|').next().unwrap_or("").trim();
        if QUOTING.contains(&first) {
            quoting = true;
        } else if quoting && !first.starts_with("---") {
            quotes.extend(code_spans(first).into_iter().map(str::to_owned));
        }
    }
    quotes
}

/// What each program printed when given each mistake the tables quote that one machine can
/// make, in the language of `locale`: every line of stdout and stderr.
fn mistakes(locale: &str) -> Vec<String> {
    let mut printed = Vec::new();
    let mut keep = |done: Finished| {
        printed.extend(done.lines());
        printed.extend(done.stderr.lines().map(str::to_owned));
    };
    // A port in use; a server at its --max-clients, and its busy client.
    let server = ServerProcess::start_with(command("tcp-server", locale), &["--max-clients", "1"]);
    keep(run("tcp-server", &["--port", &server.port()], b"", locale));
    let held = TcpStream::connect(server.address).expect("the first client");
    server
        .wait_for_log("connected from")
        .expect("the first client is in");
    keep(run(
        "tcp-client",
        &["--port", &server.port()],
        b"hi\n",
        locale,
    ));
    drop(held);
    // Nothing listening here, over TCP and over UDP.
    let closed_tcp = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a port");
    keep(run(
        "tcp-client",
        &[&closed_tcp.to_string()],
        b"hi\n",
        locale,
    ));
    let closed_udp = UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a port");
    keep(run(
        "udp-client",
        &[&closed_udp.to_string()],
        b"hi\n",
        locale,
    ));
    // A UDP server that never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("a silent socket");
    let silent_at: SocketAddr = silent.local_addr().expect("its address");
    let args = [&silent_at.to_string(), "--timeout", "0.2"];
    keep(run("udp-client", &args, b"hi\n", locale));
    // A name that does not resolve; addresses as an input method, a chat or a browser give them.
    for typed in [
        "no-such-host.invalid",
        "127.0.0.1：21567",
        "“127.0.0.1”",
        "127.0.0.1，",
        "—port",
        "http://127.0.0.1:21567/",
    ] {
        keep(run("tcp-client", &[typed], b"", locale));
    }
    // A --bufsize whose reply would not fit in a datagram.
    keep(run(
        "udp-server",
        &["--bufsize", "65500", "--port", "0"],
        b"",
        locale,
    ));
    printed
}

/// True when `line` says what `quote` quotes: the parts of `quote` between its `...`, in
/// order, numbers masked; `'x'` stands for any name.
fn says(line: &str, quote: &str) -> bool {
    let quote = masked(&quote.replace("'x'", "'...'"));
    let line = masked(line);
    let mut rest = line.as_str();
    for part in quote
        .split("...")
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn the_troubleshooting_tables_quote_what_the_programs_print() {
    let printed: Vec<String> = LANGUAGES
        .into_iter()
        .map(|(_, _, locale)| thread::spawn(move || mistakes(locale)))
        .collect::<Vec<_>>()
        .into_iter()
        .flat_map(|mistakes| mistakes.join().expect("the mistakes' thread"))
        .collect();
    let by_hand: Vec<&str> = SEEN_BY_HAND
        .iter()
        .chain(&SEEN_BY_HAND_TOO)
        .copied()
        .collect();
    let mut all_quotes = Vec::new();
    for (readme, lab, _) in LANGUAGES {
        for page in [readme, lab] {
            let quotes = quoted(page);
            assert!(
                quotes.len() >= 10,
                "{page}: troubleshooting tables found: {quotes:?}"
            );
            for quote in quotes {
                if !by_hand.contains(&quote.as_str()) {
                    assert!(
                        printed.iter().any(|line| says(line, &quote)),
                        "{page} quotes `{quote}`, which no program printed: {printed:#?}"
                    );
                }
                all_quotes.push(quote);
            }
        }
    }
    for quote in by_hand {
        assert!(
            all_quotes.iter().any(|q| q == quote),
            "`{quote}`, seen by hand, is quoted by no page any more: take it off the list"
        );
    }
}

#[test]
fn masking_keeps_the_words_and_hides_times_and_numbers() {
    assert_eq!(
        masked("[Mon Dec  7 00:51:08 2026] hi at 127.0.0.1:53422, 0.3 s"),
        "[STAMP] hi at #.#:#, # s"
    );
    assert!(says(
        "udp-client: no reply to \"hi\" from 127.0.0.1:4 after 3 tries, 0.2 s each",
        "no reply to ... from ... after 3 tries"
    ));
    assert!(!says("no reply from 127.0.0.1:4", "no reply to ... from"));
    assert!(says(
        "unknown host 'a.invalid': no such host",
        "unknown host 'x'"
    ));
    assert_eq!(shortened("[x] aaaaaa[y] aa"), "[x] aaa…[y] aa");
}

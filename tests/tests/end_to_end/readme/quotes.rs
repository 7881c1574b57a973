//! The troubleshooting tables of the README and LAB.md, in both languages: every message
//! their first column quotes is what a program prints, given that mistake on one machine (a
//! port in use, nothing listening, a silent UDP server, a busy server, a name that does not
//! resolve, an address as an input method types it, a --bufsize too large); the few that need
//! another machine are listed as seen by hand. Numbers are masked, `...` stands for anything.

use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread;

use tests::{Finished, ServerProcess};

use super::programs::{LANGUAGES, command, masked, run};
use super::{code_spans, prose, read};

/// Messages the troubleshooting tables quote that no program prints on one machine over
/// loopback, as root: each was seen by hand when the pages were written, from
/// another machine's view (an address the sandbox refuses, an empty network namespace with
/// `unshare -n`, a route of type `unreachable`, a firewall rule that drops, a user not
/// allowed ports below 1024, `ulimit -n`).
const SEEN_BY_HAND: [&str; 22] = [
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
    // A server out of file descriptors, under `ulimit -n`.
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
    let mut all_quotes = Vec::new();
    for (readme, lab, _) in LANGUAGES {
        for page in [readme, lab] {
            let quotes = quoted(page);
            assert!(
                quotes.len() >= 10,
                "{page}: troubleshooting tables found: {quotes:?}"
            );
            for quote in quotes {
                if !SEEN_BY_HAND.contains(&quote.as_str()) {
                    assert!(
                        printed.iter().any(|line| says(line, &quote)),
                        "{page} quotes `{quote}`, which no program printed: {printed:#?}"
                    );
                }
                all_quotes.push(quote);
            }
        }
    }
    for quote in SEEN_BY_HAND {
        assert!(
            all_quotes.iter().any(|q| q == quote),
            "`{quote}`, seen by hand, is quoted by no page any more: take it off the list"
        );
    }
}

#[test]
fn a_quote_is_said_by_its_parts_in_order() {
    assert!(says(
        "udp-client: no reply to \"hi\" from 127.0.0.1:4 after 3 tries, 0.2 s each",
        "no reply to ... from ... after 3 tries"
    ));
    assert!(!says("no reply from 127.0.0.1:4", "no reply to ... from"));
    assert!(says(
        "unknown host 'a.invalid': no such host",
        "unknown host 'x'"
    ));
}

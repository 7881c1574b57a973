//! The programs speak the reader's language: English by default, Chinese when the locale
//! says `zh` (LC_ALL, then LC_MESSAGES, then LANG; LANGUAGE first, as gettext reads it). A
//! Chinese message is whole Chinese: no English sentence inside. And a server stopped with
//! Ctrl+C says what it served.

use std::process::Command;

use tests::{PATIENCE, ServerProcess, data_of, run_command};

/// A command for `program` under the given locale variables (and no others).
fn localized(program: &str, vars: &[(&str, &str)]) -> Command {
    let mut command = tests::command(program);
    for name in ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"] {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied());
    command
}

const CHINESE: &[(&str, &str)] = &[("LANG", "zh_CN.UTF-8")];
const ENGLISH: &[(&str, &str)] = &[];

#[test]
fn the_tcp_pair_speaks_chinese_under_a_chinese_locale() {
    let server = ServerProcess::start_with(localized("tcp-server", CHINESE), &[]);
    assert!(server.log()[0].contains("正在监听"), "{:?}", server.log());
    let done = run_command(
        localized("tcp-client", CHINESE).args(["--port", &server.port()]),
        "你好\n".as_bytes(),
        PATIENCE,
    );
    assert_eq!(data_of(done.lines()[0].as_bytes()), "你好".as_bytes());
    for line in [
        "等待客户端连接...",
        "...connected from:",
        "服务器接受TCP数据：",
        "已断开连接",
    ] {
        assert!(
            server.wait_for_log(line).is_some(),
            "{line}: {:?}",
            server.log()
        );
    }
    let port = server.port();
    drop(server);
    let refused = run_command(
        localized("tcp-client", CHINESE).args(["--port", &port]),
        b"hello\n",
        PATIENCE,
    );
    assert_eq!(refused.code(), 1);
    assert!(refused.stderr.contains("连接被拒绝"), "{}", refused.stderr);
    assert!(refused.stderr.contains("tcp-server"), "{}", refused.stderr);
}

#[test]
fn the_udp_pair_speaks_chinese_under_a_chinese_locale() {
    let server = ServerProcess::start_with(localized("udp-server", CHINESE), &[]);
    let done = run_command(
        localized("udp-client", CHINESE).args(["--port", &server.port()]),
        format!("hi\n{}\n", "x".repeat(2000)).as_bytes(),
        PATIENCE,
    );
    assert_eq!(done.code(), 1, "the long line was not sent");
    assert!(done.stderr.contains("没有发送"), "{}", done.stderr);
    // The book's Chinese edition keeps this line in English.
    for line in [
        "等待消息（数据报）的到来...",
        "...received from and returned to: ",
    ] {
        assert!(
            server.wait_for_log(line).is_some(),
            "{line}: {:?}",
            server.log()
        );
    }
}

#[test]
fn english_is_the_default_and_lc_all_wins_over_lang() {
    let server = ServerProcess::start_with(localized("tcp-server", ENGLISH), &[]);
    assert!(server.wait_for_log("waiting for connection...").is_some());
    let c_over_zh = [("LC_ALL", "C"), ("LANG", "zh_CN.UTF-8")];
    let server = ServerProcess::start_with(localized("udp-server", &c_over_zh), &[]);
    assert!(server.wait_for_log("waiting for message...").is_some());
    let zh_messages = [("LC_MESSAGES", "zh_TW.UTF-8"), ("LANG", "en_US.UTF-8")];
    let server = ServerProcess::start_with(localized("udp-server", &zh_messages), &[]);
    assert!(
        server.wait_for_log("等待消息").is_some(),
        "{:?}",
        server.log()
    );
}

#[test]
fn the_busy_line_follows_the_servers_locale_and_says_busy_in_english() {
    for (vars, word, admitted) in [
        (ENGLISH, "busy", "(1 connected)"),
        (CHINESE, "服务器忙", "当前 1 个"),
    ] {
        let server =
            ServerProcess::start_with(localized("tcp-server", vars), &["--max-clients", "1"]);
        let _holder = std::net::TcpStream::connect(server.address).expect("connect");
        server.wait_for_log(admitted).expect("admitted");
        let done = tests::run("tcp-client", &["--port", &server.port()], b"hi\n", PATIENCE);
        assert!(done.lines()[0].contains(word), "{:?}", done.lines());
        assert_eq!(done.code(), 1);
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_prints_what_the_server_served_and_exits_cleanly() {
    // `over`: the log line that comes once the server has counted the whole visit (the
    // client's disconnection; the second datagram's line), and how many of them.
    for (program, vars, words, over) in [
        (
            "tcp-server",
            ENGLISH,
            ["stopped", "1 client, 2 messages, 8 bytes"],
            ("disconnected", 1),
        ),
        (
            "tcp-server",
            CHINESE,
            ["已停止", "1 个客户端，收到 2 条消息、8 字节"],
            ("已断开", 1),
        ),
        (
            "udp-server",
            ENGLISH,
            ["stopped", "2 datagrams, 6 bytes"],
            ("returned to", 2),
        ),
    ] {
        let mut server = ServerProcess::start_with(localized(program, vars), &[]);
        let client = program.replace("server", "client");
        let done = tests::run(
            &client,
            &["--port", &server.port()],
            b"abc\ndef\n",
            PATIENCE,
        );
        assert_eq!(done.code(), 0, "{}", done.stderr);
        assert!(
            server.wait_for_log_lines(over.0, over.1),
            "{program}: {:#?}",
            server.log()
        );
        // Ctrl+C is SIGINT; the server exits with status 0, its stop line last.
        let log = server.stop_and_read_log();
        let goodbye = log.last().expect("a goodbye line");
        assert!(
            goodbye.contains(words[0]) && goodbye.contains(words[1]),
            "{program}: {log:#?}"
        );
        assert!(server.stderr().is_empty(), "{:?}", server.stderr());
    }
}

#[test]
fn help_and_usage_errors_speak_chinese_under_a_chinese_locale() {
    for program in ["tcp-server", "tcp-client", "udp-server", "udp-client"] {
        let help = run_command(localized(program, CHINESE).arg("--help"), b"", PATIENCE);
        assert_eq!(help.code(), 0, "{program}");
        let text = String::from_utf8_lossy(&help.stdout);
        for words in ["用法：", "选项：", "显示帮助", "--port"] {
            assert!(
                text.contains(words),
                "{program} --help lacks {words}: {text}"
            );
        }
        assert!(!text.contains("Print help"), "{program}: {text}");
        let english = english_placeholders(&text);
        assert!(english.is_empty(), "{program}: {english:?} in\n{text}");
        let bad = run_command(
            localized(program, CHINESE).args(["--port", "abc"]),
            b"",
            PATIENCE,
        );
        assert_eq!(bad.code(), 2, "{program}: {}", bad.stderr);
        assert!(
            bad.stderr.contains("错误：") && bad.stderr.contains("abc"),
            "{}",
            bad.stderr
        );
        assert!(bad.stderr.contains("无效"), "{}", bad.stderr);
    }
}

#[test]
fn language_comes_first_as_gettext_reads_it() {
    let server = ServerProcess::start_with(
        localized(
            "udp-server",
            &[("LANGUAGE", "zh_CN:en"), ("LANG", "en_US.UTF-8")],
        ),
        &[],
    );
    assert!(
        server.wait_for_log("等待消息").is_some(),
        "{:?}",
        server.log()
    );
    // The C locale asks for the program's own messages, whatever LANGUAGE says.
    let server = ServerProcess::start_with(
        localized("udp-server", &[("LANGUAGE", "zh_CN"), ("LC_ALL", "C")]),
        &[],
    );
    assert!(
        server.wait_for_log("waiting for message...").is_some(),
        "{:?}",
        server.log()
    );
}

/// What may stand in Chinese text in Latin letters: the book's own words (its log lines,
/// `BUFSIZ`), names a reader types or reads as names (programs, options, systems, protocols,
/// socket calls, the `--mode` values), and units. Anything else of three letters or more is
/// English left in a Chinese message.
const ALLOWED: &[&str] = &[
    // the book's own words and names
    "connected from",
    "received from and returned to",
    "waiting for connection",
    "waiting for message",
    "BUFSIZ",
    "HOST",
    "PORT",
    "ADDR",
    "ctime",
    "SocketServer",
    "ThreadingMixIn",
    "Twisted",
    // the book's socket calls, named as the book names them
    "accept",
    "bind",
    "listen",
    "connect",
    "recvfrom",
    "sendto",
    "recv",
    "send",
    "socket",
    "close",
    // the programs and what runs them
    "tcp-server",
    "tcp-client",
    "udp-server",
    "udp-client",
    "cargo run",
    "localhost",
    "telnet",
    "threaded",
    "iterative",
    "event",
    // systems, protocols, keys, the terminal's streams
    "TCP",
    "UDP",
    "IPv4",
    "IPv6",
    "UTF-8",
    "Linux",
    "macOS",
    "Windows",
    "Ctrl",
    "Enter",
    "stderr",
    "stdout",
    "http",
    "URL",
];

/// The runs of three or more ASCII letters in `text` that are English left in Chinese:
/// outside code (`...`), flag names, what the user typed (quoted back in '...' or "..."), the OS's
/// own term after its Chinese words (`权限不足（permission denied）`), socket calls
/// (`recv(1024)`) and [`ALLOWED`].
fn english_in(text: &str) -> Vec<String> {
    let mut text = text.to_string();
    for allowed in ALLOWED {
        text = text.replace(allowed, " ");
    }
    let text = strip_between(&text, '`', '`');
    let text = strip_between(&text, '\'', '\'');
    let text = strip_between(&text, '"', '"');
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    while at < chars.len() {
        if !chars[at].is_ascii_alphabetic() {
            at += 1;
            continue;
        }
        let start = at;
        while at < chars.len() && (chars[at].is_ascii_alphanumeric() || chars[at] == '_') {
            at += 1;
        }
        let word: String = chars[start..at].iter().collect();
        let before = if start > 0 { chars[start - 1] } else { ' ' };
        let after = chars.get(at).copied().unwrap_or(' ');
        let flag = before == '-';
        let call = after == '(';
        let gloss = before == '（' || (matches!(before, ' ' | '\n') && in_gloss(&chars, start));
        let letters = word.chars().filter(char::is_ascii_alphabetic).count();
        if letters >= 3 && !flag && !call && !gloss {
            found.push(word);
        }
    }
    found
}

/// True when the word at `at` is inside a bracketed gloss of Latin words (`（no such host）`),
/// also one that a usage error's wrapping broke across lines.
fn in_gloss(chars: &[char], at: usize) -> bool {
    let opening = chars[..at]
        .iter()
        .rposition(|&c| c == '（' || !(c.is_ascii_alphabetic() || c == ' ' || c == '\n'));
    opening.is_some_and(|open| chars[open] == '（')
}

/// `text` without what stands between `open` and `close` (code, or the user's own words).
fn strip_between(text: &str, open: char, close: char) -> String {
    let mut kept = String::new();
    let mut inside = false;
    for c in text.chars() {
        match (inside, c) {
            (false, c) if c == open => inside = true,
            (true, c) if c == close => inside = false,
            (false, c) => kept.push(c),
            (true, _) => {}
        }
    }
    kept
}

#[test]
fn the_english_finder_finds_english_and_lets_the_rest_be() {
    assert_eq!(
        english_in("错误：invalid digit found in string"),
        ["invalid", "digit", "found", "string"]
    );
    assert_eq!(english_in("…\"中中…\"... (301 bytes)"), ["bytes"]);
    assert!(english_in("用 --port 选择；`cargo run -p tcp-server`；recv(1024)；IPv4").is_empty());
    assert!(english_in("未知的选项 '--prot'；你是不是想用 '--port'？").is_empty());
    assert!(english_in("权限不足（permission denied）").is_empty());
    assert!(english_in("找不到该文件或目录（no such file or\ndirectory）").is_empty());
    assert_eq!(
        english_in("系统错误：Too many open files"),
        ["Too", "many", "open", "files"]
    );
}

/// Runs `program` with `args` under a Chinese locale in an 80-column terminal and returns
/// what it printed, stdout and stderr.
fn chinese_output(program: &str, args: &[&str]) -> (i32, String) {
    chinese_output_in(program, args, "80")
}

/// Like [`chinese_output`], in a terminal `columns` wide.
fn chinese_output_in(program: &str, args: &[&str], columns: &str) -> (i32, String) {
    let done = run_command(
        localized(program, &[("LANG", "zh_CN.UTF-8"), ("COLUMNS", columns)]).args(args),
        b"hello\n",
        PATIENCE,
    );
    let stdout = String::from_utf8_lossy(&done.stdout).into_owned();
    (done.code(), stdout + &done.stderr)
}

#[test]
fn help_usage_and_runtime_errors_are_whole_chinese() {
    let unused = std::net::UdpSocket::bind("127.0.0.1:0").expect("a free UDP port");
    let silent = unused.local_addr().expect("address").port().to_string();
    let closed_port = tests::ClosedPort::new();
    let closed = closed_port.port();
    let busy = ServerProcess::start("tcp-server", &[]);
    let busy_port = busy.port();
    let mut runs: Vec<(&str, Vec<&str>, i32)> = Vec::new();
    for program in ["tcp-server", "tcp-client", "udp-server", "udp-client"] {
        runs.push((program, vec!["--help"], 0));
        for bad in [
            vec!["--port", "99999"],
            vec!["--port", "-1"],
            vec!["--port", "３２０６６"],
            vec!["——port", "1"],
            vec!["--prot", "1"],
            vec!["--trace", "--trace"],
            vec!["--host", "１２７.０.０.１"],
            vec!["--host", "127.0.0.1：21567"],
            vec!["--host", "http://127.0.0.1:21567/"],
            vec!["--bufsize", "x"],
        ] {
            if program == "tcp-client" && bad[0] == "--bufsize" {
                continue;
            }
            runs.push((program, bad, 2));
        }
    }
    runs.extend([
        ("tcp-client", vec!["a", "b"], 2),
        ("tcp-client", vec!["--host", "a", "b"], 2),
        ("tcp-client", vec!["127.0.0.1:5", "--port", "6"], 2),
        ("udp-client", vec!["--retries", "x"], 2),
        ("udp-client", vec!["--retries", "99999999999"], 2),
        ("udp-client", vec!["--timeout", "-1"], 2),
        ("tcp-server", vec!["--mode", "thread"], 2),
        ("tcp-server", vec!["--backlog", "x"], 2),
        (
            "tcp-server",
            vec!["--host", "127.0.0.1:5", "--port", "6"],
            2,
        ),
        ("tcp-server", vec!["extra"], 2),
        (
            "udp-server",
            vec!["--host", "::", "--bufsize", "65500", "--port", "0"],
            2,
        ),
        ("tcp-client", vec!["--port", &closed], 1),
        ("tcp-client", vec!["no-such-host.invalid"], 1),
        ("tcp-server", vec!["--port", &busy_port], 1),
        // No UDP server there, but a TCP one: the ports are apart.
        ("udp-client", vec!["--port", &busy_port], 1),
        (
            "udp-client",
            vec!["--port", &silent, "--timeout", "0.1", "--retries", "0"],
            1,
        ),
    ]);
    let mut english = Vec::new();
    for (program, args, code) in &runs {
        let (status, output) = chinese_output(program, args);
        assert_eq!(status, *code, "{program} {args:?}: {output}");
        // What the user typed may be echoed back: it is theirs, not English of ours.
        let theirs = args
            .iter()
            .fold(output.clone(), |left, arg| left.replace(arg, " "));
        let found = english_in(&theirs);
        if !found.is_empty() {
            english.push(format!("{program} {args:?}: {found:?} in\n{output}"));
        }
        // A cause is joined to its clause as Chinese joins them, with `：`.
        assert!(
            !joins_in_english(&output),
            "{program} {args:?}: an English ': ' in\n{output}"
        );
        // Help and usage errors are wrapped; a runtime error stays one line, for grep.
        let widest = output.lines().map(columns).max().unwrap_or_default();
        assert!(
            *code == 1 || widest <= 80,
            "{program} {args:?}: a line of {widest} columns:\n{output}"
        );
    }
    assert!(
        english.is_empty(),
        "English in Chinese output:\n{}",
        english.join("\n")
    );
    drop(unused);
}

/// The columns `line` takes on a terminal: two for a Chinese character.
fn columns(line: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(line)
}

#[test]
fn usage_errors_keep_what_the_english_tells() {
    for (program, args, english, chinese) in [
        (
            "tcp-client",
            vec!["--prot", "1"],
            "'--port'",
            "你是不是想用 '--port'？",
        ),
        (
            "tcp-client",
            vec!["--trace", "--trace"],
            "cannot be used multiple times",
            "只能给一次",
        ),
        (
            "tcp-client",
            vec!["a", "b"],
            "'b'",
            "多余的参数 'b'：只能指定一个服务器",
        ),
        (
            "tcp-client",
            vec!["--host", "a", "b"],
            "as a and as b",
            "先是 a，后是 b",
        ),
        (
            "tcp-server",
            vec!["--port", "99999"],
            "from 0 to 65535",
            "0 到 65535",
        ),
        (
            "tcp-client",
            vec!["--port", "-1"],
            "from 1 to 65535",
            "1 到 65535",
        ),
        (
            "udp-client",
            vec!["--retries", "x"],
            "from 0 to 4294967295",
            "0 到 4294967295 之间的整数",
        ),
        (
            "tcp-client",
            vec!["127.0.0.1：21567"],
            "type it as 127.0.0.1:21567",
            "应输入半角的 127.0.0.1:21567",
        ),
        (
            "tcp-client",
            vec!["--port", "３２０６６"],
            "type it as 32066",
            "半角的 32066",
        ),
        (
            "udp-client",
            vec!["——port", "1"],
            "type it as --port",
            "“——”是中文破折号（输入法或自动更正打出的）：请输入两个半角减号：--port",
        ),
        (
            "tcp-client",
            vec!["http://127.0.0.1:21567"],
            "URL, not a host",
            "网址，不是主机",
        ),
    ] {
        let in_english = run_command(
            localized(program, ENGLISH)
                .env("COLUMNS", "300")
                .args(&args),
            b"",
            PATIENCE,
        );
        assert_eq!(in_english.code(), 2, "{program} {args:?}");
        assert!(
            in_english.stderr.contains(english),
            "{program} {args:?}: {}",
            in_english.stderr
        );
        // Wide enough that no message is wrapped in the middle of what is looked for.
        let (code, in_chinese) = chinese_output_in(program, &args, "300");
        assert_eq!(code, 2, "{program} {args:?}");
        assert!(
            in_chinese.contains(chinese),
            "{program} {args:?}: {in_chinese}"
        );
        assert!(
            in_chinese.contains(&format!("运行 {program} --help 查看全部选项")),
            "{in_chinese}"
        );
    }
    let help = chinese_output("tcp-client", &["--help"]).1;
    assert!(help.contains("用法：tcp-client [选项] [服务器]"), "{help}");
}

#[cfg(unix)]
#[test]
fn non_utf8_arguments_are_told_in_the_readers_language() {
    if tests::launched() {
        // A Windows program's arguments are UTF-16: wine makes characters of these bytes
        // before the program sees them.
        return;
    }
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"\xff\xfe");
    let done = run_command(localized("tcp-client", CHINESE).arg(bad), b"", PATIENCE);
    assert_eq!(done.code(), 2);
    assert!(
        done.stderr.contains("不是 UTF-8 编码的文字"),
        "{}",
        done.stderr
    );
    assert!(english_in(&done.stderr).is_empty(), "{}", done.stderr);
}

#[test]
fn a_server_takes_the_books_empty_host_and_the_ip_port_it_prints() {
    // HOST = '' in the book: every interface, IPv4 as the book's AF_INET socket.
    let every = ServerProcess::start("tcp-server", &["--host", ""]);
    assert!(every.log()[0].contains("0.0.0.0:"), "{:?}", every.log());
    let done = tests::run("tcp-client", &["--port", &every.port()], b"hi\n", PATIENCE);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    // The IP:PORT form the server prints, given back to it.
    let printed = ServerProcess::start("udp-server", &["--host", "127.0.0.1:0", "--port", "0"]);
    assert_eq!(printed.address.ip().to_string(), "127.0.0.1");
    let done = tests::run(
        "udp-client",
        &[&printed.address.to_string()],
        b"hi\n",
        PATIENCE,
    );
    assert_eq!(done.code(), 0, "{}", done.stderr);
}

/// The part of a log line between its first and last `"`: the message as the log shows it.
fn preview(line: &str) -> &str {
    match (line.find('"'), line.rfind('"')) {
        (Some(open), Some(close)) if open < close => &line[open + 1..close],
        _ => "",
    }
}

#[test]
fn a_servers_log_under_a_chinese_locale_is_whole_chinese() {
    use std::io::Write;
    use std::net::Shutdown;
    // Four bytes a read: every Chinese character but the first is cut across two reads.
    let server = ServerProcess::start_with(
        localized("tcp-server", CHINESE),
        &["--bufsize", "4", "--max-clients", "1"],
    );

    // One client at its --max-clients: the next one is told the server is busy.
    let holder = tests::connect(server.address);
    server.wait_for_log("当前 1 个客户端").expect("admitted");
    let mut turned_away = tests::connect(server.address);
    let busy = String::from_utf8(tests::read_to_close(&mut turned_away)).expect("UTF-8");
    assert!(busy.contains("服务器忙"), "{busy}");
    assert!(english_in(&busy).is_empty(), "{busy}");
    server
        .wait_for_log("被拒绝")
        .expect("the busy line in the log");
    let address = holder.local_addr().expect("address");
    drop(holder);
    server
        .wait_for_log(&format!("{address} 已断开连接"))
        .expect("the holder left");

    // Chinese cut across reads: the log shows whole characters, as the replies carry them.
    let mut chinese = tests::connect(server.address);
    chinese.write_all("你好世界".as_bytes()).expect("send");
    chinese.shutdown(Shutdown::Write).expect("shutdown");
    let address = chinese.local_addr().expect("address");
    tests::read_to_close(&mut chinese);
    server
        .wait_for_log(&format!("{address} 已断开连接"))
        .expect("it left");
    let shown: String = server
        .log()
        .iter()
        .filter(|line| line.starts_with("服务器接受TCP数据："))
        .map(|line| preview(line).to_string())
        .collect();
    assert_eq!(shown, "你好世界", "{:?}", server.log());

    // A flood: the log's share for it, then one Chinese line for the rest.
    let mut flood = tests::connect(server.address);
    let mut replies = flood.try_clone().expect("clone");
    let reader = std::thread::spawn(move || tests::read_to_close(&mut replies).len());
    flood.write_all("中".repeat(3000).as_bytes()).expect("send");
    flood.shutdown(Shutdown::Write).expect("shutdown");
    assert!(reader.join().expect("the reader") > 0);
    let summary = server
        .wait_for_log("未记入日志")
        .expect("the flood's summary line");
    assert!(summary.contains("停止时的统计包含它们"), "{summary}");

    let log = server.log();
    let english: Vec<String> = log
        .iter()
        .filter(|line| !english_in(line).is_empty())
        .cloned()
        .collect();
    assert!(english.is_empty(), "English in the log: {english:#?}");
    assert!(
        log.iter()
            .all(|line| !line.contains('\u{fffd}') && !line.contains("\\x")),
        "{log:#?}"
    );
    assert!(server.stderr().is_empty(), "{:?}", server.stderr());
}

#[test]
fn a_udp_servers_log_under_a_chinese_locale_is_whole_chinese() {
    let server = ServerProcess::start_with(localized("udp-server", CHINESE), &[]);
    let client = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    client.set_read_timeout(Some(PATIENCE)).expect("timeout");
    // Each answer sent straight back, as a server looping with this one would: the second
    // time, it is not answered.
    let mut answer = [0; 200];
    client.send_to(b"hi", server.address).expect("send");
    for _ in 0..2 {
        let (len, _) = client.recv_from(&mut answer).expect("an answer");
        client
            .send_to(&answer[..len], server.address)
            .expect("send back");
    }
    let line = server
        .wait_for_log("未回复")
        .expect("the not-answered line");
    assert!(english_in(&line).is_empty(), "{line}");
    client
        .send_to("你好".as_bytes(), server.address)
        .expect("send");
    let mut reply = [0; 100];
    let (len, _) = client.recv_from(&mut reply).expect("a reply");
    assert_eq!(data_of(&reply[..len]), "你好".as_bytes());
    server
        .wait_for_log("...received from and returned to: ")
        .expect("the book's line");
    for line in server.log() {
        assert!(english_in(&line).is_empty(), "{line}");
    }
}

/// The placeholders in `help` that are English words (`<SECS>`, `[SERVER]`, `HOST:PORT`):
/// under a Chinese locale they are Chinese words (`<秒数>`, `[服务器]`, `主机:端口`).
fn english_placeholders(help: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (open, close) in [('<', '>'), ('[', ']')] {
        for (at, _) in help.match_indices(open) {
            let inside = &help[at + 1..];
            let name = inside.split(close).next().unwrap_or_default();
            let english = !name.is_empty()
                && name.len() < inside.len()
                && name.chars().all(|c| c.is_ascii_uppercase() || c == '_');
            if english {
                found.push(format!("{open}{name}{close}"));
            }
        }
    }
    found.extend(help.contains("HOST:PORT").then(|| "HOST:PORT".to_string()));
    found
}

/// Closing punctuation, which no line may start with.
const CLOSING: &str = "，。、；：？！”’）》」』…,.;:)]}";

/// Opening punctuation, which no line may end with.
const OPENING: &str = "“‘（《「『([{";

/// What in `text`, laid out for a terminal `width` columns wide, breaks the rules of line
/// breaking: a line wider than the terminal (a Chinese character two columns), one that
/// starts with closing punctuation, one that ends with opening punctuation.
fn line_breaking_faults(text: &str, width: usize) -> Vec<String> {
    let mut faults = Vec::new();
    for line in text.lines() {
        let shown = line.trim();
        let (Some(first), Some(last)) = (shown.chars().next(), shown.chars().next_back()) else {
            continue;
        };
        if columns(line) > width {
            faults.push(format!("{} columns: {line:?}", columns(line)));
        }
        if CLOSING.contains(first) {
            faults.push(format!("starts with {first}: {line:?}"));
        }
        if OPENING.contains(last) {
            faults.push(format!("ends with {last}: {line:?}"));
        }
    }
    faults
}

/// A command for `program` (one of the four, or `lab-check`) under the locale `vars`.
fn any_program(program: &str, vars: &[(&str, &str)]) -> Command {
    if program != "lab-check" {
        return localized(program, vars);
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_lab-check"));
    for name in ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"] {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied());
    command
}

/// Runs `check` on every job, on four threads (each job starts a program), and gathers what
/// each found wrong.
fn on_four_threads<T: Sync>(jobs: &[T], check: impl Fn(&T) -> Vec<String> + Sync) -> Vec<String> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let found = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let faults = check(job);
                    found.lock().expect("no thread panicked").extend(faults);
                }
            });
        }
    });
    found.into_inner().expect("no thread panicked")
}

#[test]
fn help_and_usage_errors_break_lines_as_their_language_does_at_every_width() {
    let programs = [
        "tcp-server",
        "tcp-client",
        "udp-server",
        "udp-client",
        "lab-check",
    ];
    // (program, locale, arguments, the status it ends with, width)
    let mut jobs = Vec::new();
    for width in 40..=120 {
        for program in programs {
            for vars in [CHINESE, ENGLISH] {
                jobs.push((program, vars, vec!["--help"], 0, width));
            }
            // Usage errors, wrapped on a terminal: a tip with quotes, a quoted address.
            jobs.push((program, CHINESE, vec!["--prot", "1"], 2, width));
            jobs.push((program, CHINESE, vec!["--host", "“127.0.0.1”"], 2, width));
        }
    }
    let faults = on_four_threads(&jobs, |(program, vars, args, code, width)| {
        let columns = width.to_string();
        let done = run_command(
            any_program(program, vars)
                .env("COLUMNS", &columns)
                .args(args),
            b"",
            PATIENCE,
        );
        let output = String::from_utf8_lossy(&done.stdout).into_owned() + &done.stderr;
        let mut faults = line_breaking_faults(&output, *width);
        if done.code() != *code {
            faults.push(format!("exit status {}", done.code()));
        }
        let language = if vars.is_empty() {
            "English"
        } else {
            "Chinese"
        };
        faults
            .into_iter()
            .map(|fault| format!("{program} {args:?} in {language} at {width}: {fault}"))
            .collect()
    });
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[test]
fn the_rule_finder_finds_what_breaks_the_rules() {
    assert!(line_breaking_faults("收到“服务器忙”\n并被断开", 40).is_empty());
    assert_eq!(
        line_breaking_faults("收到“服务器忙\n”并被断开", 40).len(),
        1
    );
    assert_eq!(line_breaking_faults("收到“\n服务器忙”。", 40).len(), 1);
    assert_eq!(line_breaking_faults("  ，好", 40).len(), 1);
    assert_eq!(line_breaking_faults(&"中".repeat(21), 40).len(), 1);
    assert!(line_breaking_faults(&"中".repeat(20), 40).is_empty());
    assert_eq!(
        english_placeholders("--port <PORT> [SERVER] <秒数> [选项] HOST:PORT").len(),
        3
    );
}

/// Runs `program` with a directory for standard input: its exit status and stderr.
#[cfg(unix)]
fn with_a_directory_for_input(mut command: Command) -> (i32, String) {
    use std::io::Read;
    use std::process::Stdio;
    let directory = std::fs::File::open(std::env::temp_dir()).expect("a directory opens");
    let mut child = tests::KilledOnDrop::spawn(
        command
            .stdin(Stdio::from(directory))
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let mut stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = tests::wait_or_kill(&mut child, PATIENCE);
    (
        status.code().unwrap_or(-1),
        reader.join().unwrap_or_default(),
    )
}

#[cfg(unix)]
#[test]
fn an_errors_cause_is_joined_as_its_language_joins_it() {
    if tests::launched() {
        // A directory as standard input is a Unix case: Windows' shells refuse it before the
        // program starts (wine reports it as "Invalid function").
        return;
    }
    for client in ["tcp-client", "udp-client"] {
        let server = ServerProcess::start(&client.replace("client", "server"), &["--quiet"]);
        for (vars, joined) in [
            (
                CHINESE,
                "无法读取标准输入：它是一个目录，不是文件（is a directory）",
            ),
            (ENGLISH, "cannot read standard input: Is a directory"),
        ] {
            let mut command = localized(client, vars);
            command.args(["--port", &server.port()]);
            let (code, stderr) = with_a_directory_for_input(command);
            assert_eq!(code, 1, "{client}: {stderr}");
            assert!(stderr.contains(joined), "{client}: {stderr}");
            if !vars.is_empty() {
                assert!(!joins_in_english(&stderr), "{client}: {stderr}");
            }
        }
    }
}

/// True when `text` joins a clause to its cause with an English `: ` (the `::` of IPv6 is
/// an address, not a join).
fn joins_in_english(text: &str) -> bool {
    text.match_indices(": ")
        .any(|(at, _)| !text[..at].ends_with(':'))
}

/// The word a message suggests typing instead: what follows its last "type it as " (or the
/// Chinese words for it), to the end of its first line.
fn suggestion_in(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default();
    let after = ["type it as ", "半角减号：", "，输入 ", "半角的 "]
        .iter()
        .filter_map(|marker| line.rfind(marker).map(|at| at + marker.len()))
        .max()
        .unwrap_or_else(|| panic!("no suggestion in {message}"));
    line[after..].trim().to_string()
}

#[test]
fn every_suggestion_for_a_mistyped_word_is_taken_when_fed_back() {
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    let port = server.port();
    let full_width = |text: &str| -> String {
        text.chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c))
            .collect()
    };
    // (the client's command line, which of its words is mistyped, what the message names in
    // English and in Chinese)
    let cases = [
        (
            format!("“127.0.0.1” --port {port}"),
            0,
            ["quotation marks", "中文引号"],
        ),
        (
            format!("‘127.0.0.1’ --port {port}"),
            0,
            ["quotation marks", "中文引号"],
        ),
        (
            format!("「127.0.0.1」 --port {port}"),
            0,
            ["quotation marks", "中文引号"],
        ),
        (
            format!("\"127.0.0.1\" --port {port}"),
            0,
            ["quotation marks", "引号"],
        ),
        (
            format!("'127.0.0.1' --port {port}"),
            0,
            ["quotation marks", "引号"],
        ),
        (
            format!("“127.0.0.1:{port}”，"),
            0,
            ["quotation marks", "中文引号"],
        ),
        (
            format!("127.0.0.1:{port}，"),
            0,
            ["full-width comma '，'", "中文逗号“，”"],
        ),
        (
            format!("127.0.0.1。 --port {port}"),
            0,
            ["full stop '。'", "中文句号“。”"],
        ),
        (format!("—port {port}"), 0, ["dash '—'", "“—”是中文破折号"]),
        (
            format!("——port {port}"),
            0,
            ["dash '——'", "“——”是中文破折号"],
        ),
        (format!("–port {port}"), 0, ["dash '–'", "“–”是连接号"]),
        (
            format!("--port {}", full_width(&port)),
            1,
            ["full-width character", "全角字符"],
        ),
        (
            format!("127.0.0.1：{port}"),
            0,
            ["character '：'", "全角字符 '：'"],
        ),
        (
            format!("{}.0.0.1 --port {port}", full_width("127")),
            0,
            ["character '１'", "全角字符 '１'"],
        ),
    ];
    for (vars, language) in [(ENGLISH, 0), (CHINESE, 1)] {
        for (line, at, named) in &cases {
            let typed: Vec<&str> = line.split(' ').collect();
            let refused = run_command(
                localized("tcp-client", vars).args(&typed),
                b"hi\n",
                PATIENCE,
            );
            assert_eq!(refused.code(), 2, "{typed:?}: {}", refused.stderr);
            assert!(
                refused.stderr.contains(named[language]),
                "{typed:?}: {}",
                refused.stderr
            );
            let suggested = suggestion_in(&refused.stderr);
            let mut fed_back = typed.clone();
            fed_back[*at] = &suggested;
            let done = run_command(
                localized("tcp-client", vars).args(&fed_back),
                b"hi\n",
                PATIENCE,
            );
            assert_eq!(
                done.code(),
                0,
                "{typed:?} suggested {fed_back:?}: {}",
                done.stderr
            );
            assert_eq!(data_of(done.lines()[0].as_bytes()), b"hi", "{fed_back:?}");
        }
        // The servers' --host, as a teacher pastes it from a handout.
        for (server, mistyped) in [("tcp-server", "“127.0.0.1”"), ("udp-server", "127.0.0.1。")]
        {
            let typed = ["--host", mistyped, "--port", "0"];
            let refused = run_command(localized(server, vars).args(typed), b"", PATIENCE);
            assert_eq!(refused.code(), 2, "{server} {typed:?}: {}", refused.stderr);
            let suggested = suggestion_in(&refused.stderr);
            let started = ServerProcess::start_with(
                localized(server, vars),
                &["--host", &suggested, "--port", "0"],
            );
            assert_eq!(
                started.address.ip().to_string(),
                "127.0.0.1",
                "{server} {suggested}"
            );
        }
    }
}

/// What `lab-check` may print in Latin letters besides [`ALLOWED`]: its verdicts (`PASS`,
/// `FAIL`, `ok`: the same in both languages, for grep, as `lab_check.rs` holds them), its
/// check names and protocols (what `--json` and `--csv` carry), and the Python of a student's
/// server that a reason quotes. Replaced before [`ALLOWED`], whose `socket` is inside
/// `socketserver`.
const LAB_ALLOWED: &[&str] = &[
    "lab-check",
    "PASS",
    "FAIL",
    "next-client",
    "at-once",
    "not-utf8",
    "reply",
    "time",
    "several",
    "long",
    "chinese",
    "reset",
    "senders",
    "source",
    "vanished",
    "tcp",
    "udp",
    "FILE",
    "PROTOCOL",
    "JSON",
    "CSV",
    // the keys of the `--json` object, as its help names them
    "target, protocol, checks: [name, passed, detail]",
    "room.txt",
    "grades.csv",
    // the Python a reason quotes
    "socketserver.ThreadingTCPServer",
    "threading",
    "select",
    "ConnectionResetError",
    "UnicodeDecodeError",
    "while True",
    "(ctime(), data)",
    "data = recv",
    "Python",
    "bytes 对象",
    "ICMP",
];

/// The English in `lab-check`'s output: [`english_in`] after its own names.
fn english_in_lab(text: &str) -> Vec<String> {
    english_in(
        &LAB_ALLOWED
            .iter()
            .fold(text.to_string(), |left, name| left.replace(name, " ")),
    )
}

/// `lab-check` with `args` under a Chinese locale in an 80-column terminal, in the zone our
/// servers run in (it compares their stamps with its own clock): its exit code and output.
fn lab_check_in_chinese(args: &[&str]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lab-check"));
    for name in ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"] {
        command.env_remove(name);
    }
    command
        .args(args)
        .env("LANG", "zh_CN.UTF-8")
        .env("COLUMNS", "80")
        .env("TZ", tests::tz())
        .env_remove("RUST_BACKTRACE");
    let done = run_command(&mut command, b"", 6 * PATIENCE);
    let stdout = String::from_utf8_lossy(&done.stdout).into_owned();
    (done.code(), stdout + &done.stderr)
}

#[test]
fn lab_check_under_a_chinese_locale_is_whole_chinese() {
    if tests::launched() {
        return; // our servers run under a launcher, in UTC: lab-check here is native
    }
    let good = ServerProcess::start("tcp-server", &["--quiet"]);
    let one_at_a_time = ServerProcess::start("tcp-server", &["--mode", "iterative", "--quiet"]);
    let closed_port = tests::ClosedPort::new();
    let closed = closed_port.address();
    let room = std::env::temp_dir().join(format!("locale-room-{}.txt", std::process::id()));
    std::fs::write(
        &room,
        format!(
            "\u{feff}# 名单\n张三 tcp {}\n王五 tcp {closed}\n李四 tcp 127.0.0.1:2l567\n",
            good.address
        ),
    )
    .expect("the room file");
    let passing = room.with_extension("all-pass.txt");
    std::fs::write(&passing, format!("张三 tcp {}\n", good.address)).expect("a room file");
    let room_file = room.to_string_lossy().into_owned();
    let passing_file = passing.to_string_lossy().into_owned();
    let directory = std::env::temp_dir().to_string_lossy().into_owned();
    let (good_at, iterative_at, closed_at) = (
        good.address.to_string(),
        one_at_a_time.address.to_string(),
        closed.to_string(),
    );
    // A reply timeout of 1 s shows the iterative server's waiting clients as well as 2 s.
    let runs: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["--help"], 0, "退出状态"),
        (vec!["tcp", &good_at], 0, "全部 9 项检查通过"),
        (
            vec!["tcp", &iterative_at, "--reply-timeout", "1"],
            1,
            "FAIL at-once：同时连接的",
        ),
        (vec!["udp", &closed_at], 1, "未通过"),
        (vec!["--room", &room_file], 1, "学生"),
        (
            vec!["--room", &room_file],
            1,
            "李四：未检查：名单文件第 4 行",
        ),
        // The table is written to the terminal first; then --csv into a directory fails.
        (
            vec!["--room", &room_file, "--csv", &directory],
            1,
            "是一个目录",
        ),
        (vec!["--room", &passing_file, "--watch", "0.2"], 0, "得分"),
        (vec![], 2, "请说明要检查什么"),
        (
            vec!["foo", "127.0.0.1:1"],
            2,
            "协议 foo 无效：只能是 tcp 或 udp",
        ),
        (vec!["tcp", "127.0.0.1:99999"], 2, "1 到 65535"),
        (vec!["--room", "/no/such/room.txt"], 2, "找不到该文件或目录"),
        (vec!["--bogus"], 2, "未知的选项"),
        (vec!["--only", "张三"], 2, "--room 文件"),
    ];
    // Each run mostly waits on the network: all at once.
    let outputs: Vec<(i32, String)> = std::thread::scope(|scope| {
        let running: Vec<_> = runs
            .iter()
            .map(|(args, _, _)| scope.spawn(move || lab_check_in_chinese(args)))
            .collect();
        running
            .into_iter()
            .map(|run| run.join().expect("lab-check ran"))
            .collect()
    });
    let mut english = Vec::new();
    for ((args, code, chinese), (status, output)) in runs.iter().zip(outputs) {
        assert_eq!(status, *code, "lab-check {args:?}: {output}");
        assert!(output.contains(chinese), "lab-check {args:?}: {output}");
        // An option's name is a flag, whole (`time` inside `--reply-timeout` is a check's).
        let theirs = args
            .iter()
            .fold(output.clone(), |left, arg| left.replace(arg, " "))
            .replace("--reply-timeout", " ");
        let found = english_in_lab(&theirs);
        if !found.is_empty() {
            english.push(format!("lab-check {args:?}: {found:?} in\n{output}"));
        }
    }
    let _ = std::fs::remove_file(&room);
    let _ = std::fs::remove_file(&passing);
    assert!(
        english.is_empty(),
        "English in lab-check's Chinese output:\n{}",
        english.join("\n")
    );
}

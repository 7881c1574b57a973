//! The programs speak the reader's language: English by default, Chinese when the locale
//! says `zh` (LC_ALL, then LC_MESSAGES, then LANG). And a server stopped with Ctrl+C says
//! what it served.

use std::process::Command;

use tests::{PATIENCE, ServerProcess, data_of, run_command};

/// A command for `program` under the given locale variables (and no others).
fn localized(program: &str, vars: &[(&str, &str)]) -> Command {
    let mut command = tests::command(program);
    for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
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
    for line in ["等待消息（数据报）的到来...", "...接收自并返回到："] {
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
    for (program, vars, words) in [
        (
            "tcp-server",
            ENGLISH,
            ["stopped", "1 client, 2 messages, 8 bytes"],
        ),
        (
            "tcp-server",
            CHINESE,
            ["已停止", "1 个客户端，收到 2 条消息、8 字节"],
        ),
        ("udp-server", ENGLISH, ["stopped", "2 datagrams, 6 bytes"]),
    ] {
        let mut server = ServerProcess::start_with(localized(program, vars), &["--quiet"]);
        let client = program.replace("server", "client");
        let done = tests::run(
            &client,
            &["--port", &server.port()],
            b"abc\ndef\n",
            PATIENCE,
        );
        assert_eq!(done.code(), 0, "{}", done.stderr);
        std::thread::sleep(std::time::Duration::from_millis(100));
        // Ctrl+C is SIGINT.
        let sent = Command::new("kill")
            .args(["-INT", &server.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let goodbye = server.wait_for_log(words[0]).expect("a goodbye line");
        assert!(goodbye.contains(words[1]), "{program}: {goodbye}");
        let deadline = std::time::Instant::now() + PATIENCE;
        while server.is_running() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(!server.is_running(), "{program} exits after Ctrl+C");
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

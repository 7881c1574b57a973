//! Parsing what people type: ports, seconds, and the server's address.

use super::*;
use std::time::Duration;

#[test]
fn seconds_accept_fractions_and_refuse_nonsense() {
    assert_eq!(positive_seconds("2"), Ok(Duration::from_secs(2)));
    assert_eq!(positive_seconds("0.5"), Ok(Duration::from_millis(500)));
    assert!(positive_seconds("0").is_err());
    assert!(positive_seconds("-1").is_err());
    assert!(positive_seconds("soon").is_err());
    assert!(positive_seconds("inf").is_err());
    assert!(positive_seconds("1e19").is_err());
    assert_eq!(seconds("0"), Ok(Duration::ZERO));
}

#[test]
fn ports_for_servers_and_clients() {
    assert_eq!(server_port("0"), Ok(0));
    assert!(server_port("65536").is_err());
    assert!(client_port("0").is_err());
    assert_eq!(client_port("21567"), Ok(21567));
}

#[test]
fn a_bad_value_is_told_what_a_good_one_is() {
    // The reader's language here is English (the tests run without a Chinese locale).
    let port = server_port("99999").unwrap_err();
    assert!(port.contains("from 0 to 65535"), "{port}");
    assert!(client_port("-1").unwrap_err().contains("from 1 to 65535"));
    let retries = whole_number(0, u32::MAX);
    assert_eq!(retries("3"), Ok(3));
    for bad in ["x", "99999999999", "-1", ""] {
        let why = retries(bad).unwrap_err();
        assert!(
            why.contains("whole number from 0 to 4294967295"),
            "{bad}: {why}"
        );
        assert!(!why.contains("invalid digit"), "{why}");
    }
    let backlog = whole_number(0, 65535);
    assert_eq!(backlog("5"), Ok(5i32));
    assert!(backlog("65536").unwrap_err().contains("from 0 to 65535"));
    assert!(bytes_up_to(10)("11").unwrap_err().contains("from 1 to 10"));
}

#[test]
fn the_server_as_people_write_it() {
    let ok = |named: &[&str], port| server_address(named, port).unwrap();
    let default = ("localhost".to_string(), 21567);
    assert_eq!(ok(&[], None), default);
    assert_eq!(ok(&["10.0.0.5"], None), ("10.0.0.5".into(), 21567));
    assert_eq!(ok(&["10.0.0.5:80"], None), ("10.0.0.5".into(), 80));
    assert_eq!(ok(&["[::1]:9"], None), ("::1".into(), 9));
    assert_eq!(ok(&["::1"], Some(9)), ("::1".into(), 9));
    assert_eq!(ok(&["[::1]"], None), ("::1".into(), 21567));
    assert_eq!(ok(&["h:9", "h"], Some(9)), ("h".into(), 9));
    assert!(server_address(&["h:9"], Some(10)).is_err());
    assert!(server_address(&["h:0"], None).is_err());
    assert!(server_address(&["h:http"], None).is_err());
}

#[test]
fn a_server_named_twice_is_named_in_the_order_typed() {
    let why = server_address(&["a", "b"], None).unwrap_err();
    assert!(why.contains("as a and as b"), "{why}");
    let why = server_address(&["b", "a"], None).unwrap_err();
    assert!(why.contains("as b and as a"), "{why}");
}

#[test]
fn a_url_is_told_as_a_url() {
    let why = server_address(&["http://127.0.0.1:21567/"], None).unwrap_err();
    assert!(why.contains("URL, not a host"), "{why}");
    assert!(why.contains("such as 127.0.0.1:21567"), "{why}");
}

#[test]
fn a_server_listens_where_it_says_it_listens() {
    assert_eq!(
        listen_address("127.0.0.1:21567", None),
        Ok(("127.0.0.1".into(), Some(21567)))
    );
    assert_eq!(listen_address("[::1]:0", None), Ok(("::1".into(), Some(0))));
    assert_eq!(listen_address("::", Some(5)), Ok(("::".into(), None)));
    // The book's HOST = '': every interface.
    assert_eq!(listen_address("", None), Ok((String::new(), None)));
    assert_eq!(
        listen_address("127.0.0.1:7", Some(7)),
        Ok(("127.0.0.1".into(), Some(7)))
    );
    assert!(
        listen_address("127.0.0.1:7", Some(8))
            .unwrap_err()
            .contains("twice")
    );
}

#[test]
fn full_width_characters_are_named_with_the_text_as_it_should_be_typed() {
    for (typed, found, meant) in [
        ("127.0.0.1：21567", '：', "127.0.0.1:21567"),
        ("１２７.０.０.１", '１', "127.0.0.1"),
        ("３２０６６", '３', "32066"),
        ("——port", '—', "--port"),
        ("192。168。1。5", '。', "192.168.1.5"),
    ] {
        let why = full_width(typed).expect(typed);
        assert!(why.contains(&format!("'{found}'")), "{why}");
        assert!(why.ends_with(&format!("type it as {meant}")), "{why}");
    }
    for fine in [
        "127.0.0.1:21567",
        "localhost",
        "--port",
        "例子.中国",
        "[::1]:9",
    ] {
        assert_eq!(full_width(fine), None, "{fine}");
    }
}

#[test]
fn help_wraps_counting_a_chinese_character_as_two_columns() {
    let line = "      --port <PORT>  监听的端口（书中的 21567）；0 表示任选一个空闲端口并打印出来（默认 21567）";
    let wrapped = wrap(line, 40);
    let lines: Vec<&str> = wrapped.lines().collect();
    assert!(lines.len() > 2, "{wrapped}");
    let help_column = "      --port <PORT>  ".len();
    for line in &lines {
        let columns: usize = line.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
        assert!(columns <= 40, "{columns} columns: {line}");
    }
    for line in &lines[1..] {
        assert!(line.starts_with(&" ".repeat(help_column)), "{line:?}");
        let first = line.trim_start().chars().next().unwrap();
        assert!(
            !"，。、；：）".contains(first),
            "a line starts with {first}: {wrapped}"
        );
    }
    // Words are not cut in English.
    let english = "      --host <HOST>  The server's host name or address, or HOST:PORT";
    for piece in wrap(english, 40).split_whitespace() {
        assert!(english.contains(piece), "{piece}");
    }
    assert_eq!(wrap("short", 40), "short\n");
}

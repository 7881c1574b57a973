//! Words as an input method, a chat message or a word processor hands them on.

use super::*;

#[test]
fn each_slip_is_named_with_the_word_as_it_should_be_typed() {
    // (as typed, what the message names, as it should be typed)
    for (typed, named, meant) in [
        ("“127.0.0.1”", "quotation marks", "127.0.0.1"),
        ("‘127.0.0.1’", "quotation marks", "127.0.0.1"),
        ("「127.0.0.1」", "quotation marks", "127.0.0.1"),
        ("\"127.0.0.1\"", "quotation marks", "127.0.0.1"),
        ("'127.0.0.1'", "quotation marks", "127.0.0.1"),
        ("“127.0.0.1:21567”，", "quotation marks", "127.0.0.1:21567"),
        ("127.0.0.1:21567，", "comma '，'", "127.0.0.1:21567"),
        ("127.0.0.1。", "full stop '。'", "127.0.0.1"),
        ("—port", "dash '—'", "--port"),
        ("——port", "dash '——'", "--port"),
        ("–port", "dash '–'", "--port"),
        ("—h", "dash '—'", "-h"),
        ("—port=1", "dash '—'", "--port=1"),
        ("127.0.0.1：21567", "character '：'", "127.0.0.1:21567"),
        ("１２７.０.０.１", "character '１'", "127.0.0.1"),
        ("３２０６６", "character '３'", "32066"),
        ("－－port", "character '－'", "--port"),
        ("192。168。1。5", "character '。'", "192.168.1.5"),
        ("【::1】:9", "character '【'", "[::1]:9"),
    ] {
        let why = mistyped(typed).unwrap_or_else(|| panic!("{typed} passed"));
        assert!(why.contains(named), "{typed}: {why}");
        assert!(
            why.ends_with(&format!("type it as {meant}")),
            "{typed}: {why}"
        );
        assert_eq!(as_meant(typed), meant);
        // The suggestion is fine as it is.
        assert_eq!(mistyped(meant), None, "{meant}");
    }
}

#[test]
fn what_is_typed_right_passes() {
    for fine in [
        "127.0.0.1:21567",
        "localhost",
        "--port",
        "-h",
        "例子.中国",
        "[::1]:9",
        "--max-clients",
        "0",
        "",
        "-1",
        "—",
        "don't",
    ] {
        assert_eq!(mistyped(fine), None, "{fine}");
    }
}

#[test]
fn which_slip_is_named_first() {
    assert_eq!(slip("“x”，"), Some(Slip::Quotes { chinese: true }));
    assert_eq!(slip("'x'"), Some(Slip::Quotes { chinese: false }));
    assert_eq!(slip("x，"), Some(Slip::Trailing('，')));
    assert_eq!(slip("——ｐｏｒｔ"), Some(Slip::Dash("——".into())));
    assert_eq!(as_meant("——ｐｏｒｔ"), "--port");
    assert_eq!(slip("x：1"), Some(Slip::FullWidth('：')));
    assert_eq!(as_meant("“”"), "");
}

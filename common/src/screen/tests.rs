//! What a client shows of a reply on a terminal.

use super::visible;

#[test]
fn ordinary_text_and_chinese_pass_unchanged_and_borrowed() {
    let text = "[Mon Nov 30 06:00:00 2026] 你好\tworld".as_bytes();
    assert!(matches!(visible(text), std::borrow::Cow::Borrowed(_)));
    assert_eq!(&*visible(text), text);
}

#[test]
fn terminal_commands_are_shown_not_obeyed() {
    assert_eq!(&*visible(b"\x1b]0;PWNED\x07"), b"\\x1b]0;PWNED\\x07");
    assert_eq!(&*visible(b"a\rb\x7f"), b"a\\x0db\\x7f");
    // U+009B, the one-character CSI, in UTF-8.
    assert_eq!(&*visible("x\u{9b}2J".as_bytes()), b"x\\u{9b}2J");
}

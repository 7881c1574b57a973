//! Lines broken where their language allows, never wider than the terminal.

use super::*;

/// The lines of `fill(text, width)`.
fn lines(text: &str, width: usize) -> Vec<String> {
    fill(text, width).lines().map(str::to_string).collect()
}

/// True when `line` breaks Chinese line-breaking rules at its ends.
fn breaks_a_rule(line: &str) -> bool {
    let text = line.trim();
    let first = text.chars().next().unwrap_or(' ');
    let last = text.chars().next_back().unwrap_or(' ');
    "，。、；：？！”’）》」』…".contains(first) || "“‘（《「『".contains(last)
}

#[test]
fn chinese_breaks_between_characters_but_never_beside_its_punctuation() {
    let line = "      --max-clients <数量>  threaded 和 event 模式下同时服务的客户端数上限；超出上限的客户端会收到“服务器忙”并被断开（默认 10000）";
    let help_column = hanging_indent(line);
    assert_eq!(help_column, display_width("      --max-clients <数量>  "));
    // As `--help` lays it out: the help has half the width at least.
    for width in 2 * help_column..=120 {
        let lines = lines(line, width);
        for (at, piece) in lines.iter().enumerate() {
            assert!(display_width(piece) <= width, "{width}: {piece}");
            assert!(!breaks_a_rule(piece), "{width}: {lines:#?}");
            if at > 0 {
                assert!(piece.starts_with(&" ".repeat(help_column)), "{piece:?}");
            }
        }
        let joined: String = lines.iter().map(|piece| piece.trim()).collect();
        assert!(joined.contains("“服务器忙”"), "{width}: {lines:#?}");
    }
}

#[test]
fn what_a_reader_types_stays_whole() {
    let text = "请运行 tcp-client --max-clients 127.0.0.1:21567 http://127.0.0.1:21567/path 主机:端口 <秒数> [服务器] 再试一次，谢谢";
    let whole = [
        "--max-clients",
        "127.0.0.1:21567",
        "http://127.0.0.1:21567/path",
        "主机:端口",
        "<秒数>",
        "[服务器]",
    ];
    for width in 30..=80 {
        let lines = lines(text, width);
        for token in whole {
            assert!(
                lines.iter().any(|line| line.contains(token)),
                "{token} cut at {width}: {lines:#?}"
            );
        }
    }
}

#[test]
fn english_breaks_at_spaces_only() {
    let english = "      --host <HOST>  The server's host name or address, or HOST:PORT, such as well-known.example";
    for width in 40..=100 {
        for piece in fill(english, width).split_whitespace() {
            assert!(
                english.split_whitespace().any(|word| word == piece),
                "{piece}"
            );
        }
    }
    assert_eq!(fill("short", 40), "short\n");
    assert_eq!(fill("  indented\n\nnext", 40), "  indented\n\nnext\n");
}

//! clap's usage errors in Chinese words.
//!
//! clap words its errors in English only. Each kind of error is said here in Chinese, with
//! what the English tells: the argument and its value, the valid values or range, and clap's
//! tips (a similar option, `-- -1` for a value that starts with `-`).

use clap::Command;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use super::help::usage_line;

/// A usage error in Chinese: the error, the usage line, and the command that shows every
/// option.
pub(super) fn usage_text(command: &mut Command, why: &str) -> String {
    let usage = usage_line(command);
    let name = command.get_name().to_string();
    format!("错误：{why}\n\n用法：{usage}\n\n运行 {name} --help 查看全部选项。\n")
}

/// clap's error in Chinese words. A client `takes_a_server` as its one positional argument;
/// a server takes none.
pub(super) fn clap_error(error: &clap::Error, takes_a_server: bool) -> String {
    let text = |kind| match error.get(kind) {
        Some(ContextValue::String(text)) => text.clone(),
        Some(ContextValue::Strings(texts)) => texts.join("、"),
        Some(ContextValue::StyledStr(text)) => text.to_string(),
        Some(ContextValue::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    // `--port <端口>` is `--port` in a sentence.
    let arg = text(ContextKind::InvalidArg);
    let arg = arg.split(' ').next().unwrap_or_default().to_string();
    let (value, valid) = (
        text(ContextKind::InvalidValue),
        text(ContextKind::ValidValue),
    );
    let mut line = match error.kind() {
        ErrorKind::ValueValidation if !arg.is_empty() => {
            let why = std::error::Error::source(error)
                .map(ToString::to_string)
                .unwrap_or_default();
            if value.is_empty() {
                format!("{arg} 的值为空：{why}")
            } else {
                format!("{arg} 的值 {value} 无效：{why}")
            }
        }
        ErrorKind::InvalidValue if value.is_empty() => format!("{arg} 后面缺少值"),
        ErrorKind::InvalidValue => format!("{arg} 的值 {value} 无效：可选的值为 {valid}"),
        ErrorKind::UnknownArgument if arg.starts_with('-') => format!("未知的选项 '{arg}'"),
        ErrorKind::UnknownArgument if takes_a_server => {
            format!("多余的参数 '{arg}'：只能指定一个服务器")
        }
        ErrorKind::UnknownArgument => format!("多余的参数 '{arg}'：这个程序只接受选项"),
        ErrorKind::ArgumentConflict if text(ContextKind::PriorArg).starts_with(&arg) => {
            format!("选项 '{arg}' 只能给一次")
        }
        ErrorKind::ArgumentConflict => {
            let prior = text(ContextKind::PriorArg);
            format!("选项 '{arg}' 不能与 '{prior}' 同时使用")
        }
        ErrorKind::TooManyValues => format!("多余的值 '{value}'"),
        ErrorKind::MissingRequiredArgument => format!("缺少必需的参数 {arg}"),
        ErrorKind::NoEquals => format!("{arg} 的值要用 = 连接，例如 {arg}=值"),
        ErrorKind::InvalidUtf8 => "参数中有不是 UTF-8 编码的文字".to_string(),
        _ => {
            // A message of ours (already in the reader's language), or a rarer error of clap's.
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            first.trim_start_matches("error: ").to_string()
        }
    };
    let suggested = text(ContextKind::SuggestedArg) + &text(ContextKind::SuggestedValue);
    if !suggested.is_empty() {
        line.push_str(&format!("；你是不是想用 '{suggested}'？"));
    }
    if text(ContextKind::Suggested).contains("as a value") {
        line.push_str(&format!("；要把 '{arg}' 当作值，请写成 '-- {arg}'"));
    }
    line
}

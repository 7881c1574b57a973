//! `lab-check`: the chapter lab's last step, "check your server".
//!
//! `lab-check tcp HOST:PORT` (or `udp`) runs the chapter's checks against a timestamp server
//! that is already running, in any language, on any machine, and prints `PASS name` or
//! `FAIL name: why` per check, then a summary; `--json` prints one JSON object instead.
//! `lab-check --room FILE` checks a whole room at once and prints a table (`--csv FILE`
//! writes it for the gradebook). Exit status: 0 when every check passed, 1 when any failed,
//! 2 for a usage error.
//!
//! The checks themselves are `tests::lab`, the same code the end-to-end tests run against
//! our own servers.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use common::tr;
use tests::lab::{self, Protocol, Report, room, show};

/// The command line.
#[derive(clap::Parser, Debug)]
#[command(
    name = "lab-check",
    version,
    override_usage = "lab-check tcp|udp HOST:PORT [--json]\n       lab-check --room FILE [--csv FILE] [--json]",
    about = tr!(
        "Check a student's timestamp server (the chapter's lab) on the wire: tcp or udp, at HOST:PORT, already running anywhere",
        "通过网络检查学生写的时间戳服务器（本章的实验）：一个已经在运行的 TCP 或 UDP 服务器，在哪台机器上都可以，给出它的 主机:端口 即可"
    ),
    after_help = tr!(
        "Exit status: 0 when every check passed, 1 when any failed, 2 for a usage error.\nExamples:\n  lab-check tcp 127.0.0.1:21567\n  lab-check udp 192.168.1.23:21567 --json\n  lab-check --room room.txt --csv grades.csv   (each line: NAME tcp|udp HOST:PORT)",
        "退出状态：全部检查通过为 0，有检查未通过为 1，用法错误为 2。\n示例：\n  lab-check tcp 127.0.0.1:21567\n  lab-check udp 192.168.1.23:21567 --json\n  lab-check --room room.txt --csv grades.csv   （每行：姓名 tcp|udp 主机:端口）"
    )
)]
struct Cli {
    /// Which kind of server: the checks differ.
    #[arg(value_name = "PROTOCOL", value_parser = protocol, help = tr!(
        "tcp or udp: the kind of server to check",
        "tcp 或 udp：要检查的服务器类型"
    ))]
    protocol: Option<Protocol>,

    /// Where the server runs.
    #[arg(value_name = "HOST:PORT", help = tr!(
        "Where the server runs, as its first line says: 192.168.1.23:21567, [::1]:21567 (the port defaults to the book's 21567)",
        "服务器的位置，即它第一行打印的地址：192.168.1.23:21567、[::1]:21567（端口默认为书中的 21567）"
    ))]
    address: Option<String>,

    /// `--json`: for scripts and graders.
    #[arg(long, help = tr!(
        "Print one JSON object (with --room, a JSON array) instead of lines: target, protocol, checks: [name, passed, detail]",
        "输出一个 JSON 对象（与 --room 同用时为 JSON 数组），而不是逐行输出：target, protocol, checks: [name, passed, detail]"
    ))]
    json: bool,

    /// `--room FILE`: the whole room at once.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["protocol", "address"], help = tr!(
        "Check every server listed in FILE at once, a line per student: NAME tcp|udp HOST:PORT (# starts a comment)",
        "同时检查 FILE 中列出的所有服务器，每个学生一行：姓名 tcp|udp 主机:端口（# 开始注释）"
    ))]
    room: Option<PathBuf>,

    /// `--csv FILE`: the room's table for the gradebook.
    #[arg(long, value_name = "FILE", requires = "room", help = tr!(
        "With --room: also write the table to FILE as CSV, for the gradebook",
        "与 --room 同用：同时把表格以 CSV 格式写入 FILE，便于登记成绩"
    ))]
    csv: Option<PathBuf>,
}

/// Parses `tcp` or `udp`.
fn protocol(text: &str) -> Result<Protocol, String> {
    Protocol::parse(text).ok_or_else(|| {
        tr!(
            "'{text}' is not a protocol: give tcp or udp",
            "'{text}' 不是协议：请给出 tcp 或 udp"
        )
    })
}

fn main() -> ExitCode {
    common::program::one_line_panics("lab-check");
    let cli: Cli = match common::cli::parse() {
        Ok(cli) => cli,
        Err(usage) => return usage.report(), // --help, --version, or a usage error
    };
    match (&cli.room, cli.protocol, &cli.address) {
        (Some(file), None, None) => check_room(file, cli.csv.as_ref(), cli.json),
        (None, _, _) if cli.csv.is_some() => common::cli::usage_error::<Cli>(tr!(
            "--csv writes a room's table: give it with --room FILE",
            "--csv 用于写出全班的表格，只能与 --room 一起使用"
        ))
        .report(),
        (None, Some(protocol), Some(address)) => check_one(protocol, address, cli.json),
        _ => common::cli::usage_error::<Cli>(tr!(
            "say what to check: lab-check tcp HOST:PORT, lab-check udp HOST:PORT, or lab-check --room FILE",
            "请说明要检查什么：lab-check tcp 主机:端口、lab-check udp 主机:端口，或 lab-check --room 文件"
        ))
        .report(),
    }
}

/// Checks one server and prints its report.
fn check_one(protocol: Protocol, address: &str, json: bool) -> ExitCode {
    if let Err(why) = room::host_and_port(address) {
        return common::cli::usage_error::<Cli>(why).report();
    }
    let report = match room::resolve(address) {
        Ok(resolved) => lab::check(address, protocol, resolved, lab::this_machines_time),
        Err(why) => Report::unreachable(address, protocol, &why),
    };
    let output = if json {
        format!("{}\n", show::json(&report))
    } else {
        show::text(&report)
    };
    print(&output);
    status(report.all_passed())
}

/// Checks every server of a room file, in parallel, and prints the table.
fn check_room(file: &PathBuf, csv: Option<&PathBuf>, json: bool) -> ExitCode {
    let shown = file.display();
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            let error = common::lang::os_error(&error);
            return common::cli::usage_error::<Cli>(tr!(
                "cannot read the room file {shown}: {error}",
                "无法读取名单文件 {shown}：{error}"
            ))
            .report();
        }
    };
    let students = match room::parse(&text) {
        Ok(students) if students.is_empty() => {
            return common::cli::usage_error::<Cli>(tr!(
                "the room file {shown} lists nobody: write a line per student, NAME tcp|udp HOST:PORT",
                "名单文件 {shown} 里没有任何学生：每个学生写一行，姓名 tcp|udp 主机:端口"
            ))
            .report();
        }
        Ok(students) => students,
        Err(why) => return common::cli::usage_error::<Cli>(why).report(),
    };
    let started = Instant::now();
    let total = students.len();
    let mut finished = 0;
    let reports = room::run(&students, lab::this_machines_time, |student, report| {
        finished += 1;
        let (name, passed, checks) = (&student.name, report.passed(), report.checks.len());
        let line = tr!(
            "[{finished}/{total}] {name}: {passed}/{checks} checks passed",
            "[{finished}/{total}] {name}：通过 {passed}/{checks} 项检查"
        );
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    });
    let secs = format!("{:.1}", started.elapsed().as_secs_f64());
    let all = reports.iter().filter(|report| report.all_passed()).count();
    let output = if json {
        let objects: Vec<String> = reports.iter().map(show::json).collect();
        format!("[{}]\n", objects.join(",\n"))
    } else {
        let summary = tr!(
            "{all} of {total} servers passed every check; the room took {secs} s",
            "{total} 个服务器中有 {all} 个通过了全部检查；全班检查用时 {secs} 秒"
        );
        format!("{}\n{summary}\n", room::table(&students, &reports))
    };
    print(&output);
    if let Some(path) = csv {
        if let Err(error) = std::fs::write(path, room::csv(&students, &reports)) {
            let (shown, error) = (path.display(), common::lang::os_error(&error));
            let line = tr!(
                "lab-check: cannot write {shown}: {error}",
                "lab-check：无法写入 {shown}：{error}"
            );
            let _ = writeln!(std::io::stderr().lock(), "{line}");
            return ExitCode::FAILURE;
        }
    }
    status(all == total)
}

/// Writes to stdout; a reader that went away (`lab-check ... | head -1`) is not an error.
fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// 0 when everything passed, 1 otherwise.
fn status(passed: bool) -> ExitCode {
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

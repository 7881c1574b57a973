//! `lab-check`: the chapter lab's last step, "check your server".
//!
//! `lab-check tcp HOST:PORT` (or `udp`) runs the chapter's checks against a timestamp server
//! that is already running, in any language, on any machine, and prints `PASS name` or
//! `FAIL name: why` per check, then a summary with the points; `--json` prints one JSON
//! object instead. `lab-check --room FILE` checks a whole room at once and prints a table
//! that fits the terminal (`--csv FILE` writes the gradebook; `--watch` keeps a live board).
//! Exit status: 0 when every check passed, 1 when any failed, 2 for a usage error.
//!
//! The checks themselves are `tests::lab`, the same code the end-to-end tests run against
//! our own servers.

mod room;
mod screen;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use common::cli::Usage;
use common::tr;
use tests::lab::{self, Clock, Patience, Points, Protocol, Report, Settings, json, room as rooms};

/// A placeholder in the reader's language (`主机:端口` for `HOST:PORT`).
fn word(english: &'static str, chinese: &'static str) -> &'static str {
    if common::lang::chinese() {
        chinese
    } else {
        english
    }
}

/// The command line.
#[derive(clap::Parser, Debug)]
#[command(
    name = "lab-check",
    version,
    override_usage = tr!(
        "lab-check tcp|udp HOST:PORT [--json] [OPTIONS]\n       lab-check --room FILE [--csv FILE] [--watch [SECS]] [OPTIONS]",
        "lab-check tcp|udp 主机:端口 [--json] [选项]\n       lab-check --room 文件 [--csv 文件] [--watch [秒数]] [选项]"
    ),
    about = tr!(
        "Check a student's timestamp server (the chapter's lab) on the wire: tcp or udp, at HOST:PORT, already running anywhere",
        "通过网络检查学生编写的时间戳服务器（本章实验）。服务器须已在运行，可以在任何机器上，只需给出它的“主机:端口”。"
    ),
    after_help = tr!(
        "Points: reply 2, UDP's senders 2, every other check 1 (10 for each protocol); --points changes them.\nExit status: 0 when every check passed, 1 when any failed, 2 for a usage error.\nExamples:\n  lab-check tcp 127.0.0.1:21567\n  lab-check udp 192.168.1.23:21567 --json\n  lab-check --room room.txt --csv grades.csv   (each line: NAME tcp|udp HOST:PORT)\n  lab-check --room room.txt --csv grades.csv --only alice,bob\n  lab-check --room room.txt --watch --checks reply,time,several",
        "分数：reply 2 分，UDP 的 senders 2 分，其余每项 1 分（每种协议共 10 分）；可用 --points 修改。\n退出状态：全部检查通过为 0，有检查未通过为 1，用法错误为 2。\n示例：\n  lab-check tcp 127.0.0.1:21567\n  lab-check udp 192.168.1.23:21567 --json\n  lab-check --room room.txt --csv grades.csv   （每行：姓名 tcp|udp 主机:端口）\n  lab-check --room room.txt --csv grades.csv --only 张三,李四\n  lab-check --room room.txt --watch --checks reply,time,several"
    )
)]
struct Cli {
    /// Which kind of server: the checks differ.
    #[arg(value_name = word("PROTOCOL", "协议"), help = tr!(
        "tcp or udp: the kind of server to check",
        "tcp 或 udp：要检查的服务器类型"
    ))]
    protocol: Option<String>,

    /// Where the server runs.
    #[arg(value_name = word("HOST:PORT", "主机:端口"), help = tr!(
        "Where the server runs, as its first line says: 192.168.1.23:21567, [::1]:21567 (the port defaults to the book's 21567)",
        "服务器的位置，即它第一行打印的地址：192.168.1.23:21567、[::1]:21567（端口默认为书中的 21567）"
    ))]
    address: Option<String>,

    /// `--json`: for scripts and graders.
    #[arg(long, help = tr!(
        "Print JSON instead of lines (with --room, an array with each student's name): target, protocol, checks: [name, passed, detail, points], points, checked_at, kit",
        "输出 JSON，而不是逐行输出（与 --room 同用时为数组，带每个学生的姓名）；字段：`target`、`protocol`、`checks`（每项的 `name`、`passed`、`detail`、`points`）、`points`、`checked_at`、`kit`"
    ))]
    json: bool,

    /// `--room FILE`: the whole room at once.
    #[arg(long, value_name = word("FILE", "文件"), conflicts_with_all = ["protocol", "address"], help = tr!(
        "Check every server listed in FILE at once, a line per student: NAME tcp|udp HOST:PORT (a line starting with # is a comment; UTF-8, with or without a BOM)",
        "同时检查文件中列出的所有服务器，每个学生一行：姓名 tcp|udp 主机:端口（以 # 开头的行是注释；文件用 UTF-8 编码，开头有没有字节顺序标记都可以）"
    ))]
    room: Option<PathBuf>,

    /// `--csv FILE`: the room's gradebook.
    #[arg(long, value_name = word("FILE", "文件"), requires = "room", help = tr!(
        "With --room: also write the gradebook to FILE as CSV (UTF-8 with a BOM, as Excel opens it); with --only, update those students' rows in it",
        "与 --room 同用：同时把成绩表以 CSV 格式写入该文件（UTF-8 编码，带字节顺序标记，中文或英文 Windows 上的电子表格软件都能正确打开）；与 --only 同用时，只更新这些学生在其中的行"
    ))]
    csv: Option<PathBuf>,

    /// `--only NAMES`: re-check some students.
    #[arg(long, value_name = word("NAMES", "姓名"), requires = "room", value_delimiter = ',', help = tr!(
        "With --room: check only these students (names as in the room file, separated by commas)",
        "与 --room 同用：只检查这些学生（姓名与名单文件中的一致，用逗号分隔）"
    ))]
    only: Option<Vec<String>>,

    /// `--checks LIST`: a milestone.
    #[arg(long, value_name = word("CHECKS", "检查项"), value_delimiter = ',', value_parser = lab::parse_check, help = tr!(
        "Run only these checks, separated by commas (a milestone): reply, time, several, long, chinese, next-client, at-once, not-utf8, reset, senders, source, vanished",
        "只运行这些检查（某个阶段的要求），用逗号分隔：reply, time, several, long, chinese, next-client, at-once, not-utf8, reset, senders, source, vanished"
    ))]
    checks: Option<Vec<&'static str>>,

    /// `--points LIST`: what each check is worth.
    #[arg(long, value_name = word("NAME=POINTS", "检查名=分数"), value_parser = Points::parse, help = tr!(
        "What checks are worth, separated by commas: reply=3,at-once=2 (the others keep theirs)",
        "各项检查的分数，用逗号分隔：reply=3,at-once=2（其余检查的分数不变）"
    ))]
    points: Option<Points>,

    /// `--log DIR`: a transcript per student.
    #[arg(long, value_name = word("DIR", "目录"), help = tr!(
        "Write each server's transcript (what was sent, what came back, when) into DIR, a file per student",
        "把每个服务器的检查记录（发送了什么、收到了什么、在什么时候）写入该目录，每个学生一个文件"
    ))]
    log: Option<PathBuf>,

    /// `--tz ZONE`: the room's time zone.
    #[arg(long, value_name = word("ZONE", "时区"), value_parser = Clock::parse, help = tr!(
        "Judge stamps in this time zone instead of this machine's: +08:00, UTC-5, or a name such as Asia/Shanghai (the room's zone, when this machine is in another one)",
        "按这个时区判定时间戳，而不是本机的时区：'+08:00'、'UTC-5'，或时区名，例如 'Asia/Shanghai'（本机与全班不在同一时区时使用）"
    ))]
    tz: Option<Clock>,

    /// `--reply-timeout SECS`: patience on a slow network.
    #[arg(long, value_name = word("SECS", "秒数"), value_parser = common::cli::positive_seconds, help = tr!(
        "How long a reply may take before a server counts as silent (default 2); the kit's other waits grow or shrink with it",
        "回复最多等待多少秒，超过就算服务器没有回复（默认 2）；检查工具的其他等待时间随之按比例变化"
    ))]
    reply_timeout: Option<Duration>,

    /// `--watch [SECS]`: the live board.
    #[arg(long, value_name = word("SECS", "秒数"), requires = "room", num_args = 0..=1, default_missing_value = "5", value_parser = common::cli::positive_seconds, help = tr!(
        "With --room: a live board; check the room again every SECS seconds (default 5) and redraw the table in place, until every server passed or Ctrl+C (which leaves the last table and writes the --csv file)",
        "与 --room 同用：实时看板；每隔若干秒（默认 5 秒）重新检查全班并原地刷新表格，直到所有服务器全部通过或按下 Ctrl+C（保留最后一张表格并写出 --csv 文件）"
    ))]
    watch: Option<Duration>,
}

/// What the room's run is asked to do besides checking.
pub struct Asked {
    /// `--json`.
    pub json: bool,
    /// `--csv FILE`.
    pub csv: Option<PathBuf>,
    /// `--only NAMES`.
    pub only: Option<Vec<String>>,
    /// `--log DIR`.
    pub log: Option<PathBuf>,
}

fn main() -> ExitCode {
    common::program::one_line_panics("lab-check");
    let cli: Cli = match common::cli::parse() {
        Ok(cli) => cli,
        Err(usage) => return usage.report(), // --help, --version, or a usage error
    };
    run(&cli).unwrap_or_else(Usage::report)
}

/// Runs what the command line asks for: one server, a room, or the board.
fn run(cli: &Cli) -> Result<ExitCode, Usage> {
    let settings = Settings {
        clock: cli.tz.clone().unwrap_or_default(),
        patience: cli.reply_timeout.map(Patience::new).unwrap_or_default(),
        checks: cli.checks.clone(),
        points: cli.points.clone().unwrap_or_default(),
        transcript: cli.log.is_some(),
    };
    let asked = Asked {
        json: cli.json,
        csv: cli.csv.clone(),
        only: cli.only.clone(),
        log: cli.log.clone(),
    };
    let protocol = match cli
        .protocol
        .as_deref()
        .map(|text| (text, Protocol::parse(text)))
    {
        Some((text, None)) => {
            return Err(usage_error(tr!(
                "'{text}' is not a protocol: give tcp or udp",
                "协议 {text} 无效：只能是 tcp 或 udp"
            )));
        }
        Some((_, protocol)) => protocol,
        None => None,
    };
    let room_only = [
        ("--csv", cli.csv.is_some()),
        ("--only", cli.only.is_some()),
        ("--watch", cli.watch.is_some()),
    ];
    if let (None, Some((option, _))) = (&cli.room, room_only.iter().find(|(_, given)| *given)) {
        return Err(usage_error(tr!(
            "{option} is for a room: give it with --room FILE",
            "{option} 用于检查全班，只能与 --room 文件 一起使用"
        )));
    }
    match (&cli.room, protocol, &cli.address) {
        (Some(file), None, None) => match cli.watch {
            Some(every) => watch::watch(file, every, &settings, &asked),
            None => room::check_room(file, &settings, &asked),
        },
        (None, Some(protocol), Some(address)) => {
            check_one(protocol, address, &settings, cli.json, cli.log.as_ref())
        }
        _ => Err(usage_error(tr!(
            "say what to check: lab-check tcp HOST:PORT, lab-check udp HOST:PORT, or lab-check --room FILE",
            "请说明要检查什么：lab-check tcp 主机:端口、lab-check udp 主机:端口，或 lab-check --room 文件"
        ))),
    }
}

/// The usage error that says `why`, for `main` to print (exit status 2).
pub fn usage_error(why: String) -> Usage {
    common::cli::usage_error::<Cli>(why)
}

/// Checks one server and prints its report.
fn check_one(
    protocol: Protocol,
    address: &str,
    settings: &Settings,
    json: bool,
    log: Option<&PathBuf>,
) -> Result<ExitCode, Usage> {
    lab::roster::host_and_port(address).map_err(usage_error)?;
    let report = match rooms::resolve(address) {
        Ok(resolved) => lab::check_with(address, protocol, resolved, settings),
        Err(why) => {
            let names: Vec<&str> = protocol
                .checks()
                .into_iter()
                .filter(|name| settings.runs(name))
                .collect();
            let mut report = Report::unreachable(address, protocol, &names, &why);
            report.weigh(&settings.points);
            report
        }
    };
    let when = rooms::graded_now(&settings.clock);
    let output = if json {
        format!("{}\n", json::report(&report, None, &when))
    } else {
        lab::show::report(&report)
    };
    screen::print(&output);
    if let Some(dir) = log {
        let name = format!("{protocol} {address}");
        if let Err(why) = room::write_transcripts(dir, &[(name, &report)]) {
            screen::complain(&why);
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(screen::status(report.all_passed()))
}

//! The kit's reports as JSON, for scripts and graders: one server's object, or a room's
//! array of them, each with the student's name (written by hand: it is small, and needs no
//! crate).

use super::Report;
use super::gradebook::KIT;
use super::room::Row;
use super::roster::Student;
use super::show::json_string;

/// One server's report as a JSON object: `target`, `protocol`, `checks` (`name`, `passed`,
/// `detail`, `points`), then the points, the time and the kit; with `student`, first, in a
/// room.
pub fn report(report: &Report, student: Option<&Student>, when: &str) -> String {
    let checks: Vec<String> = report
        .checks
        .iter()
        .map(|check| {
            format!(
                "{{\"name\": {}, \"passed\": {}, \"detail\": {}, \"points\": {}, \"out_of\": {}}}",
                json_string(check.name),
                check.passed,
                json_string(&check.detail),
                if check.passed { check.points } else { 0 },
                check.points
            )
        })
        .collect();
    let name = student.map_or_else(String::new, |student| {
        format!("\"student\": {}, ", json_string(&student.name))
    });
    format!(
        "{{{name}\"target\": {}, \"protocol\": {}, \"checks\": [{}], \"points\": {}, \"out_of\": {}, \"checked_at\": {}, \"kit\": {}}}",
        json_string(&report.target),
        json_string(&report.protocol.to_string()),
        checks.join(", "),
        report.points(),
        report.most_points(),
        json_string(when),
        json_string(KIT),
    )
}

/// A room as a JSON array, an object per student (a line not checked says why).
pub fn room(rows: &[Row]) -> String {
    let objects: Vec<String> = rows
        .iter()
        .map(|row| match &row.result {
            Ok(report) => self::report(report, Some(&row.student), &row.when),
            Err(why) => format!(
                "{{\"student\": {}, \"target\": {}, \"not_checked\": {}, \"checked_at\": {}, \"kit\": {}}}",
                json_string(&row.student.name),
                json_string(&row.student.address),
                json_string(why),
                json_string(&row.when),
                json_string(KIT),
            ),
        })
        .collect();
    format!("[{}]\n", objects.join(",\n"))
}

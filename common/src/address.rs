//! Where a server listens and where a client finds it, as people write it: `192.168.1.5`,
//! `192.168.1.5:21567`, `[::1]:21567` (the form a server prints), with `--host` and `--port`.
//!
//! Only the reading of the text is here; finding the addresses a name stands for is
//! [`crate::net::resolve`], and text typed with a Chinese input method or passed on by a chat
//! message (`127.0.0.1：21567`, `“127.0.0.1”`) is told by [`crate::typing`].

use crate::tr;

/// Parses a server's `--port`: 0 to 65535, where 0 lets the system pick a free port.
pub(crate) fn server_port(text: &str) -> Result<u16, String> {
    text.trim().parse().map_err(|_| {
        tr!(
            "a port is a whole number from 0 to 65535 (0: the system picks a free one)",
            "端口号应为 0 到 65535 之间的整数（0 表示由系统任选）"
        )
    })
}

/// Parses a client's `--port`: 1 to 65535 (a client must name the server's real port).
pub(crate) fn client_port(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(tr!(
            "a server's port is a whole number from 1 to 65535: the port the server printed",
            "服务器的端口号应为 1 到 65535 之间的整数，即服务器打印出的端口"
        )),
    }
}

/// Where a client's server is, from the ways people write it, in the order they were typed:
/// `192.168.1.5`, `192.168.1.5:21567`, `[::1]:21567` (as the positional `SERVER` or
/// `--host`), and `--port`; with none, the book's `ADDR`.
///
/// Returns the host and port, or the usage error when the host or port is given twice,
/// differently.
pub(crate) fn server_address(named: &[&str], port: Option<u16>) -> Result<(String, u16), String> {
    let split: Vec<(String, Option<u16>)> = named
        .iter()
        .map(|text| split_port(text, client_port))
        .collect::<Result<_, _>>()?;
    if let [(first, _), (second, _)] = &split[..] {
        if first != second {
            return Err(tr!(
                "the server is named twice, as {first} and as {second}: give it once",
                "服务器被指定了两次（先是 {first}，后是 {second}）：请只给一次"
            ));
        }
    }
    let ports: Vec<u16> = split
        .iter()
        .filter_map(|(_, port)| *port)
        .chain(port)
        .collect();
    same_port(&ports)?;
    let host = split
        .into_iter()
        .next()
        .map(|(host, _)| host)
        .unwrap_or_else(|| crate::ADDR.0.to_string());
    Ok((host, ports.first().copied().unwrap_or(crate::ADDR.1)))
}

/// Where a server listens, from its `--host` (`127.0.0.1`, or the `127.0.0.1:21567` and
/// `[::1]:21567` it prints itself) and its `--port` when typed.
///
/// Returns the host and the port the host names, if it names one; or the usage error when
/// the port is given twice, differently.
pub(crate) fn listen_address(
    host: &str,
    port: Option<u16>,
) -> Result<(String, Option<u16>), String> {
    let (host, named) = split_port(host, server_port)?;
    let ports: Vec<u16> = named.into_iter().chain(port).collect();
    same_port(&ports)?;
    Ok((host, named))
}

/// The usage error when a port is given twice, differently.
fn same_port(ports: &[u16]) -> Result<(), String> {
    match ports.iter().find(|&&other| other != ports[0]) {
        Some(other) => {
            let first = ports[0];
            Err(tr!(
                "the port is given twice, as {first} and as {other}: give it once",
                "端口被指定了两次（先是 {first}，后是 {other}）：请只给一次"
            ))
        }
        None => Ok(()),
    }
}

/// Splits `HOST:PORT` (`[IPv6]:PORT` for IPv6), reading the port with `port_of`; a bare IPv6
/// address such as `::1` has no port. A URL (`http://host:port/`) is told as what it is.
fn split_port(
    text: &str,
    port_of: fn(&str) -> Result<u16, String>,
) -> Result<(String, Option<u16>), String> {
    let text = text.trim();
    if let Some((scheme, rest)) = text.split_once("://") {
        let host = rest.split('/').next().unwrap_or_default();
        return Err(tr!(
            "'{text}' is a {scheme} URL, not a host: give the host alone, such as {host}",
            "'{text}' 是一个 {scheme} 网址，不是主机：请只写主机部分，例如 {host}"
        ));
    }
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, port)) => (host, Some(port.strip_prefix(':').unwrap_or(port))),
            None => (text, None),
        },
        None => match text.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            _ => (text, None),
        },
    };
    let port = port
        .map(|port| port_of(port).map_err(|why| bad_port_in(text, &why)))
        .transpose()?;
    Ok((host.to_string(), port))
}

/// The error for the port in `HOST:PORT` that is not one.
fn bad_port_in(text: &str, why: &str) -> String {
    tr!(
        "the port in '{text}' is not valid: {why}",
        "'{text}' 中的端口无效：{why}"
    )
}

#[cfg(test)]
mod tests;

//! A small HTTP proxy on loopback between drready and moto_server: each request is forwarded on
//! a connection of its own (`Connection: close`), unless the test's rule answers it otherwise
//! (throttling, an error, a reset connection, a stall).

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// What the proxy does with one request.
pub enum Action {
    /// Pass it to moto.
    Forward,
    /// Answer with these bytes (a whole HTTP response) instead.
    Answer(String),
    /// Close the connection without an answer.
    Reset,
    /// Wait this long, then close the connection without an answer.
    Stall(Duration),
}

/// An AWS error answer in the query protocol's XML (STS, RDS, IAM, CloudWatch).
pub fn query_error(status: u16, code: &str, message: &str) -> Action {
    let body = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
    );
    Action::Answer(format!(
        "HTTP/1.1 {status} Error\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ))
}

/// The rule: the request's head lines and body → what to do.
pub type Rule = dyn Fn(&[String], &[u8]) -> Action + Send + Sync;

/// Start a proxy to `upstream` (`http://host:port`) applying `rule`; its URL.
pub fn start(upstream: &str, rule: Arc<Rule>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (upstream, rule) = (upstream.clone(), Arc::clone(&rule));
            std::thread::spawn(move || serve(client, &upstream, &*rule));
        }
    });
    url
}

/// Read one HTTP request (head and `Content-Length` body); `None` at the end of the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(Vec<String>, Vec<u8>)> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let length = head
        .iter()
        .find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// Serve one client connection: one request, then the connection closes.
fn serve(client: TcpStream, upstream: &str, rule: &Rule) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut client = client;
    let Some((head, body)) = read_request(&mut reader) else {
        return;
    };
    match rule(&head, &body) {
        Action::Forward => {}
        Action::Answer(text) => {
            let _ = client.write_all(text.as_bytes());
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        Action::Reset => {
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        Action::Stall(d) => {
            std::thread::sleep(d);
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
    }
    let Ok(mut up) = TcpStream::connect(upstream) else {
        return;
    };
    let mut out = Vec::new();
    for (i, h) in head.iter().enumerate() {
        let lower = h.to_ascii_lowercase();
        if i > 0 && (lower.starts_with("connection:") || lower.starts_with("keep-alive:")) {
            continue;
        }
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&body);
    if up.write_all(&out).is_err() {
        return;
    }
    let mut answer = Vec::new();
    let _ = up.read_to_end(&mut answer);
    // The answer says `Connection: close` (moto closes): the client opens a new connection.
    let _ = client.write_all(&answer);
    let _ = client.shutdown(Shutdown::Both);
}

//! A real SMTP server on a random local port, collecting what it receives.

use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use std::io;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: Vec<String>,
    pub data: String,
}

impl ReceivedMail {
    /// The value of a header of the message, its folded lines joined.
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_lowercase());
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        head.replace("\r\n ", " ")
            .replace("\r\n\t", " ")
            .lines()
            .find(|l| l.to_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// The `token` query value of the first link to `path` in the plain-text part.
    pub fn token_for(&self, path: &str) -> String {
        let unfolded = self.data.replace("=\r\n", "").replace("=3D", "=");
        let start = unfolded
            .find(&format!("/{path}?token="))
            .unwrap_or_else(|| panic!("no /{path} link in {}", self.data))
            + path.len()
            + "/?token=".len();
        unfolded[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect()
    }
}

impl ReceivedMail {
    /// The decoded content of the attached file `filename`.
    pub fn attachment(&self, filename: &str) -> Option<Vec<u8>> {
        use base64::Engine;
        let at = self.data.find(&format!("filename=\"{filename}\""))?;
        let part_start = self.data[..at].rfind("\r\n--")?;
        let body_start = at + self.data[at..].find("\r\n\r\n")? + 4;
        let headers = self.data[part_start..body_start].to_lowercase();
        let body_end = body_start + self.data[body_start..].find("\r\n--")?;
        let body = &self.data[body_start..body_end];
        if headers.contains("content-transfer-encoding: base64") {
            base64::engine::general_purpose::STANDARD
                .decode(body.replace("\r\n", ""))
                .ok()
        } else if headers.contains("content-transfer-encoding: quoted-printable") {
            let unfolded = body.replace("=\r\n", "");
            let bytes = unfolded.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'=' {
                    let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            Some(out)
        } else {
            Some(body.as_bytes().to_vec())
        }
    }

    /// The path segment after the first `/{prefix}/` in a link, such as a page's token.
    pub fn segment_after(&self, prefix: &str) -> String {
        let unfolded = self.data.replace("=\r\n", "").replace("=3D", "=");
        let marker = format!("/{prefix}/");
        let start = unfolded
            .find(&marker)
            .unwrap_or_else(|| panic!("no /{prefix}/ link in {}", self.data))
            + marker.len();
        unfolded[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect()
    }
}

#[derive(Clone)]
struct Collector {
    to: Vec<String>,
    data: Vec<u8>,
    sink: mpsc::UnboundedSender<ReceivedMail>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let _ = self.sink.send(ReceivedMail {
            to: std::mem::take(&mut self.to),
            data: String::from_utf8_lossy(&self.data).into_owned(),
        });
        response::OK
    }
}

pub struct SmtpSink {
    pub url: String,
    received: mpsc::UnboundedReceiver<ReceivedMail>,
}

impl SmtpSink {
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("smtp://{}", listener.local_addr().expect("addr"));
        let (sink, received) = mpsc::unbounded_channel();
        let mut server = Server::new(Collector {
            to: Vec::new(),
            data: Vec::new(),
            sink,
        });
        server
            .with_name("sink.test")
            // A thread per connection, and senders keep pooled connections open: enough
            // threads for every pooled connection of several processes at once.
            .with_num_threads(64)
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self { url, received }
    }

    pub async fn next(&mut self) -> ReceivedMail {
        tokio::time::timeout(Duration::from_secs(20), self.received.recv())
            .await
            .expect("an email arrived in time")
            .expect("sink open")
    }

    /// The next email to `address`, skipping others.
    pub async fn next_to(&mut self, address: &str) -> ReceivedMail {
        loop {
            let mail = self.next().await;
            if mail.to.iter().any(|t| t.contains(address)) {
                return mail;
            }
        }
    }

    pub async fn assert_quiet(&mut self, wait: Duration) {
        if let Ok(Some(extra)) = tokio::time::timeout(wait, self.received.recv()).await {
            panic!(
                "unexpected email to {:?}: {}",
                extra.to,
                extra
                    .data
                    .lines()
                    .find(|l| l.starts_with("Subject"))
                    .unwrap_or_default()
            );
        }
    }
}
